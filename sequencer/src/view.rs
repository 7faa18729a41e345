//! What reads see: an immutable view of the durable state, published by the writer thread
//! after each commit that changed it. Holding one costs an O(1) `Tree` clone, so reads
//! never wait for the executor and never see an effect that is not yet durable.

use protocol::api::proofs::HeldState;
use protocol::api::sequencer::OpenBatchInfo;
use protocol::engine::BlockContext;
use protocol::tree::Tree;
use std::sync::Arc;
use tokio::sync::watch;

#[derive(Debug, Clone)]
pub struct ReadView {
    /// The state with every durable (acknowledged) transaction applied.
    pub tree: Tree,
    /// The open batch's timestamp, else the last sealed batch's.
    pub timestamp_ms: u64,
    pub next_seq: u64,
    pub open: Option<OpenBatchInfo>,
    /// Index of the next batch to be opened after the open one (= sealed count).
    pub next_batch_index: u64,
    pub queue_next: u64,
    /// The first L1 queue index not yet final.
    pub final_queue_end: u64,
    /// The newest finalized batch and the state after it (withdrawal proofs).
    pub finalized: Option<(u64, Tree)>,
    /// The states after the newest finalized batch (or genesis) and after every sealed
    /// batch since, ascending: what `/v1/proofs/…?batch=N` proves against.
    pub held: Arc<Vec<HeldState>>,
    /// The configured fault was injected (it never is again).
    pub fault_spent: bool,
    /// Counts the committed writes that changed a batch's status (opened, sealed,
    /// reverted, posted, finalized; `Entry::changes_batch_status`). Equal in two views:
    /// `batches` shows the same statuses in both, so the batches feed need not read it
    /// again (it did at every transaction, a scan of the newest batches each time).
    pub batches_version: u64,
}

impl ReadView {
    /// A block context for views at `now_ms` (never before the state's own time).
    pub fn context(&self, now_ms: u64) -> BlockContext {
        BlockContext {
            timestamp_ms: now_ms.max(self.timestamp_ms),
        }
    }
}

/// The publishing side (executor → writer thread) and the reading side (handlers, keeper).
pub type ViewSender = Arc<watch::Sender<Arc<ReadView>>>;
pub type ViewReceiver = watch::Receiver<Arc<ReadView>>;

/// `GET /v1/accounts/{address}`'s body, whose home is the API types (the feeds send it
/// too).
pub use protocol::api::sequencer::AccountBody;

/// The account `address` in `view` at `now_ms` (never before the view's own time).
pub fn account_body(
    view: &ReadView,
    genesis: &protocol::genesis::Genesis,
    address: &protocol::primitives::Address,
    now_ms: u64,
) -> Result<AccountBody, protocol::engine::view::ViewError> {
    AccountBody::at(
        &mut view.tree.clone(),
        genesis,
        &view.context(now_ms),
        address,
    )
}
