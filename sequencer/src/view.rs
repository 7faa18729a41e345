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

/// `GET /v1/accounts/{address}`: the engine's account view (perp positions, margin, open
/// orders) and beside it the account's option series positions (docs/PROTOCOL.md Part 8
/// §11): contracts, mark, value, margin and greeks. Their value and margin are already in
/// the view's equity and margin figures; this lists them per series.
// Deserialized by hand (below): serde's `flatten` buffers the fields in a form that has no
// `i128`, so the view's signed amounts would not decode.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct AccountBody {
    #[serde(flatten)]
    #[schema(value_type = protocol::engine::view::AccountView)]
    pub account: protocol::api::sequencer::AccountResponse,
    /// `[{series, name, size (signed contracts in size units), mark_price, value, initial_margin,
    /// maintenance_margin, greeks {delta_e18, gamma_e18, vega_e18, theta_e18}}]`: the
    /// position's greeks are the contract's (as `GET /v1/options/chain` shows them) times the
    /// signed size in whole contracts.
    #[serde(default)]
    #[schema(value_type = Vec<Object>)]
    pub option_positions: Vec<protocol::engine::option_quote::OptionPositionView>,
}

impl<'de> serde::Deserialize<'de> for AccountBody {
    /// The engine view's fields and `option_positions` beside them: the list is taken out of
    /// the object, and the rest decodes as the view.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let mut value = serde_json::Value::deserialize(d)?;
        let option_positions = match value
            .as_object_mut()
            .and_then(|o| o.remove("option_positions"))
        {
            Some(list) => serde_json::from_value(list).map_err(D::Error::custom)?,
            None => Vec::new(),
        };
        let account = serde_json::from_value(value).map_err(D::Error::custom)?;
        Ok(AccountBody {
            account,
            option_positions,
        })
    }
}

impl AccountBody {
    /// The account `address` in `view` at `now_ms`.
    pub fn of(
        view: &ReadView,
        genesis: &protocol::genesis::Genesis,
        address: &protocol::primitives::Address,
        now_ms: u64,
    ) -> Result<AccountBody, protocol::engine::view::ViewError> {
        let mut tree = view.tree.clone();
        let ctx = view.context(now_ms);
        let account = protocol::engine::view::account_view(&mut tree, genesis, &ctx, address)?;
        let option_positions =
            protocol::engine::option_quote::option_positions(&mut tree, genesis, address)?;
        Ok(AccountBody {
            account,
            option_positions,
        })
    }
}
