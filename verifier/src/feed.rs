//! The verifier's feed log: the `batches`, `trades`, `fills` and `orders` messages `GET /v1/stream`
//! serves (see `stream.rs`), derived from the replica after every event the follower
//! applies. A batch that appears in the replica is sent with the verdict of its
//! re-execution (verified, challenged, or on a bad parent); one that leaves it was finalized
//! (the anchor passed it) or reverted. A finalized batch's message is followed by its
//! trades and fills, from the receipts this verifier computed when it re-executed it
//! (`Followed::fills`): each fill is a `trade` of its market and a `fill` of its maker and of
//! its taker; then its order events (`Followed::orders`: placed or rejected, filled,
//! cancelled with the reason, derived as the sequencer's are, `protocol::api::order_feed`).
//! A reverted batch sends none. Derived here, in the shell, from the pure core's state, so the core stays
//! free of feed concerns; the store numbers and persists each message in the same
//! transaction as the events it came from (`Store::commit_with_feed`), so a reconnecting
//! client resumes from the durable log.
//!
//! Also what a new subscriber starts from (`snapshot`: every live batch with its verdict)
//! and the markets at the verified head (`markets_at`).

use crate::core::reexec::TxFill;
use crate::core::{Followed, Follower, Verdict};
use protocol::api::history::{Role, Trade};
use protocol::api::order_feed::{self, TxAt};
use protocol::api::sequencer::{BatchInfo, BatchStatus, MarketInfo};
use protocol::api::stream::{BatchVerdict, OrderUpdate, StreamMessage};
use protocol::engine::BlockContext;
use protocol::genesis::Genesis;
use protocol::primitives::Address;
use protocol::tree::Tree;
use std::collections::{BTreeMap, BTreeSet};

/// The live batches as last sent, by submission id, and where the chain stood then.
#[derive(Debug, Default)]
pub struct FeedLog {
    live: BTreeMap<u64, Live>,
    key: ChainKey,
}

/// A live batch as sent, and the fills and order events its re-execution made (sent once
/// it is final).
#[derive(Debug, Clone)]
struct Live {
    batch: BatchInfo,
    verdict: BatchVerdict,
    fills: Vec<TxFill>,
    orders: Vec<(Address, OrderUpdate)>,
}

/// Where the chain stands: the anchor, the number of live batches and the newest one. Any
/// batch appearing or leaving changes it.
type ChainKey = (Option<u64>, usize, Option<u64>);

fn chain_key(core: &Follower) -> ChainKey {
    let newest = core.pending().last().map(|f| f.posted.submission_id);
    (core.anchor().index, core.pending().len(), newest)
}

impl FeedLog {
    /// The log as of `core` (restored): its live batches are known, nothing is sent.
    pub fn new(core: &Follower) -> FeedLog {
        let live = core.pending().iter().map(live_entry).collect();
        FeedLog {
            live,
            key: chain_key(core),
        }
    }

    /// The messages for what changed since the last call: each batch that left the
    /// replica (finalized, or reverted) and each that joined it, in that order.
    pub fn observe(&mut self, core: &Follower) -> Vec<StreamMessage> {
        let key = chain_key(core);
        if key == self.key {
            return Vec::new();
        }
        self.key = key;
        let mut messages = self.departures(core);
        for followed in core.pending() {
            if self.live.contains_key(&followed.posted.submission_id) {
                continue;
            }
            let (id, live) = live_entry(followed);
            messages.push(batch_message(live.batch.clone(), Some(live.verdict)));
            self.live.insert(id, live);
        }
        messages
    }

    /// Batches no longer live: finalized when the anchor reached them (then their trades
    /// and fills), else reverted.
    fn departures(&mut self, core: &Follower) -> Vec<StreamMessage> {
        let still: BTreeSet<u64> = core
            .pending()
            .iter()
            .map(|f| f.posted.submission_id)
            .collect();
        let gone: Vec<u64> = self
            .live
            .keys()
            .filter(|id| !still.contains(id))
            .copied()
            .collect();
        let finalized_to = core.anchor().index;
        let mut messages = Vec::new();
        for id in gone {
            let Some(live) = self.live.remove(&id) else {
                continue;
            };
            if finalized_to.is_some_and(|to| live.batch.index <= to) {
                messages.extend(finalized_messages(live, id));
            } else {
                let batch = live.batch;
                messages.push(StreamMessage::BatchReverted {
                    index: batch.index,
                    event: None,
                });
            }
        }
        messages
    }

    /// Every live batch with its verdict, oldest first: what a new subscriber starts from.
    pub fn snapshot(&self) -> Vec<StreamMessage> {
        let mut batches: Vec<_> = self
            .live
            .values()
            .map(|l| (l.batch.clone(), l.verdict))
            .collect();
        batches.sort_by_key(|(b, _)| b.index);
        batches
            .into_iter()
            .map(|(batch, verdict)| batch_message(batch, Some(verdict)))
            .collect()
    }
}

/// A finalized batch's messages: the batch, then its trades and fills, then its order
/// events.
fn finalized_messages(live: Live, submission_id: u64) -> Vec<StreamMessage> {
    let Live {
        mut batch,
        verdict,
        fills,
        orders,
    } = live;
    batch.status = BatchStatus::Finalized { submission_id };
    let trades = fills.iter().flat_map(|f| fill_messages(&batch, f));
    let trades: Vec<StreamMessage> = trades.collect();
    let orders = orders
        .into_iter()
        .map(|(account, order)| StreamMessage::Order { account, order });
    let mut messages = vec![batch_message(batch, Some(verdict))];
    messages.extend(trades);
    messages.extend(orders);
    messages
}

fn batch_message(batch: BatchInfo, verdict: Option<BatchVerdict>) -> StreamMessage {
    StreamMessage::Batch {
        batch,
        event: None,
        verdict,
    }
}

/// A fill of finalized `batch` as the feed sends it: the market's `trade`, then the
/// maker's and the taker's `fill` (`seq` 0: the store numbers each with its event).
fn fill_messages(batch: &BatchInfo, f: &TxFill) -> [StreamMessage; 3] {
    let trade = Trade {
        seq: 0,
        batch_index: batch.index,
        timestamp_ms: batch.timestamp_ms,
        price: f.fill.price,
        size: f.fill.size,
        taker_side: order_feed::side(f.fill.taker_is_buy),
    };
    [
        StreamMessage::Trade {
            market: f.fill.market,
            trade,
        },
        account_fill(batch, f, Role::Maker),
        account_fill(batch, f, Role::Taker),
    ]
}

/// The `fill` message of `f` for its maker or its taker (`order_feed::account_fill`, the
/// order events' too).
fn account_fill(batch: &BatchInfo, f: &TxFill, role: Role) -> StreamMessage {
    let at = TxAt {
        seq: 0,
        tx_hash: f.tx_hash,
        batch_index: batch.index,
        timestamp_ms: batch.timestamp_ms,
    };
    let (account, fill) = order_feed::account_fill(at, &f.fill, role);
    StreamMessage::Fill { account, fill }
}

/// A live batch as the feed shows it: its header, posted, with the verifier's verdict and
/// the fills its re-execution made.
fn live_entry(followed: &Followed) -> (u64, Live) {
    let (header, posted) = (&followed.header, &followed.posted);
    let batch = BatchInfo {
        index: header.index,
        status: BatchStatus::Posted {
            submission_id: posted.submission_id,
            posted_block: posted.posted_block,
            deadline_block: posted.deadline_block,
        },
        timestamp_ms: header.timestamp_ms,
        tx_count: header.tx_count,
        prev_state_root: header.prev_state_root,
        queue_start: header.queue_start,
        header_hash: Some(posted.header_hash),
        post_state_root: Some(header.post_state_root),
        queue_end: Some(header.queue_end),
        data: None,
    };
    let verdict = match followed.verdict {
        Verdict::Honest { .. } => BatchVerdict::Verified,
        Verdict::Bad { .. } => BatchVerdict::Challenged,
        Verdict::OnBadParent { .. } => BatchVerdict::OnBadParent,
    };
    let live = Live {
        batch,
        verdict,
        fills: followed.fills.clone(),
        orders: followed.orders.clone(),
    };
    (posted.submission_id, live)
}

/// Every market's state in `tree` (the verified head), as `GET /v1/markets` lists it on
/// the sequencer; the breaker as the STF would see it at `now_ms`.
pub fn markets_at(genesis: &Genesis, tree: &Tree, now_ms: u64) -> Vec<MarketInfo> {
    let ctx = BlockContext {
        timestamp_ms: now_ms,
    };
    // A verified head always holds every genesis market; an unreadable one is no view.
    MarketInfo::all(&mut tree.clone(), genesis, &ctx).unwrap_or_default()
}

/// Milliseconds since the Unix epoch (the breaker's "now").
pub fn wall_clock_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}
