//! The sequencer's HTTP API (`vigil-sequencer`) as serde types: the soft-confirmation
//! receipts of `POST /v1/tx` and `POST /v1/txs`, and the read endpoints (status, accounts,
//! markets and books, transactions, batches, withdrawals). The operator-facing description
//! (endpoint table, durability, batching, recovery) is docs/spec/sequencer.md.
//!
//! Errors are `ErrorBody {code, message}` (the same shape as the settlement layer's). A
//! rejected action's `code` is the engine's stable status code (`Status::code`), e.g.
//! `nonce_already_used` or `insufficient_margin`.

pub use super::audit::{AuditStatus, InvariantAlert};
use crate::action::int;
use crate::engine::Receipt;
use crate::engine::view::{AccountView, BookDepth, BreakerView};
use crate::fraud::hex_bytes;
use crate::genesis::MarketParams;
use crate::primitives::{Address, H256};
use serde::{Deserialize, Serialize};

pub use super::settlement::ErrorBody;

/// `POST /v1/tx` → 200: the action was accepted, executed and is durable (it survives a
/// crash of the sequencer). `seq` numbers accepted transactions in execution order;
/// `batch_index` is the batch it goes into and `position` its place there.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxAccepted {
    pub hash: H256,
    pub seq: u64,
    pub batch_index: u64,
    pub position: u32,
    pub receipt: Receipt,
}

/// One entry of a bulk answer, in the order of the request. JSON: the entry's fields plus
/// `"result": "accepted" | "rejected"`.
///
/// Deserialized through [`BulkItemWire`] rather than serde's internally tagged enums: those
/// buffer the entry first, and serde's buffer cannot hold the receipts' `i128` amounts.
///
/// Not boxed: the entries of one answer are built, serialized and dropped together, and
/// nearly all are `Accepted` (a receipt), so a box would add an allocation per entry to
/// save nothing.
#[allow(clippy::large_enum_variant)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case", try_from = "BulkItemWire")]
pub enum BulkItem {
    Accepted(TxAccepted),
    /// Not sequenced and nothing changed; `code` and `message` as a single submission's 4xx.
    Rejected {
        hash: H256,
        code: String,
        message: String,
    },
}

/// The flat form a [`BulkItem`] is read from: every field of both variants, optional, and
/// the tag. A plain struct, so nothing is buffered.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BulkItemWire {
    result: BulkResult,
    hash: H256,
    seq: Option<u64>,
    batch_index: Option<u64>,
    position: Option<u32>,
    receipt: Option<Receipt>,
    code: Option<String>,
    message: Option<String>,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "snake_case")]
enum BulkResult {
    Accepted,
    Rejected,
}

impl TryFrom<BulkItemWire> for BulkItem {
    type Error = String;

    fn try_from(w: BulkItemWire) -> Result<BulkItem, String> {
        let missing = |field: &str, result: &str| format!("a {result} entry needs `{field}`");
        match w.result {
            BulkResult::Accepted => {
                if w.code.is_some() || w.message.is_some() {
                    return Err("an accepted entry has no `code` or `message`".into());
                }
                Ok(BulkItem::Accepted(TxAccepted {
                    hash: w.hash,
                    seq: w.seq.ok_or_else(|| missing("seq", "accepted"))?,
                    batch_index: w
                        .batch_index
                        .ok_or_else(|| missing("batch_index", "accepted"))?,
                    position: w.position.ok_or_else(|| missing("position", "accepted"))?,
                    receipt: w.receipt.ok_or_else(|| missing("receipt", "accepted"))?,
                }))
            }
            BulkResult::Rejected => {
                if w.seq.is_some()
                    || w.batch_index.is_some()
                    || w.position.is_some()
                    || w.receipt.is_some()
                {
                    return Err(
                        "a rejected entry has no `seq`, `batch_index`, `position` or `receipt`"
                            .into(),
                    );
                }
                Ok(BulkItem::Rejected {
                    hash: w.hash,
                    code: w.code.ok_or_else(|| missing("code", "rejected"))?,
                    message: w.message.ok_or_else(|| missing("message", "rejected"))?,
                })
            }
        }
    }
}

/// `POST /v1/txs` → 200 (each action is judged on its own; accepted ones are durable).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkResponse {
    pub accepted: u32,
    pub rejected: u32,
    pub results: Vec<BulkItem>,
}

/// Where a sequenced transaction stands.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TxState {
    /// In the current chain, in batch `batch_index` at `position`.
    Included,
    /// Its batch was reverted on the settlement layer and re-executing it no longer
    /// succeeds (the receipt says why); it is in no batch.
    Dropped,
}

/// `GET /v1/txs/{hash}`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxLookup {
    pub hash: H256,
    pub state: TxState,
    pub seq: u64,
    pub batch_index: u64,
    pub position: u32,
    pub receipt: Receipt,
    pub batch_status: BatchStatus,
}

/// One entry of `GET /v1/txs?after_seq=&limit=`: the current chain's transactions in
/// execution order.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxListEntry {
    pub seq: u64,
    pub hash: H256,
    pub batch_index: u64,
    pub position: u32,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxListResponse {
    pub txs: Vec<TxListEntry>,
}

/// A batch's life: open (taking transactions) → sealed (durable, waiting to be posted) →
/// posted (in its challenge window) → finalized; or reverted by a fraud proof.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum BatchStatus {
    Open,
    Sealed,
    Posted {
        submission_id: u64,
        posted_block: u64,
        /// Challengeable while the L1 head block is ≤ this.
        deadline_block: u64,
    },
    Finalized {
        submission_id: u64,
    },
    Reverted,
}

/// `GET /v1/batches/{index}` and the entries of `GET /v1/batches`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchInfo {
    pub index: u64,
    pub status: BatchStatus,
    pub timestamp_ms: u64,
    pub tx_count: u32,
    pub prev_state_root: H256,
    pub queue_start: u64,
    /// Set once sealed.
    pub header_hash: Option<H256>,
    pub post_state_root: Option<H256>,
    pub queue_end: Option<u64>,
    /// The canonical batch encoding (`Batch::encode`) once sealed, unless `?data=false`.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "opt_hex")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, pattern = "^0x([0-9a-fA-F]{2})*$"))]
    pub data: Option<Vec<u8>>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchesResponse {
    pub batches: Vec<BatchInfo>,
}

/// A withdrawal's one status, in the order it moves through them. JSON:
/// `{"status": "challenge_window", "deadline_block": …, …}`: a lifecycle's state is
/// tagged `status`, as a batch's is.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum WithdrawalStatus {
    /// Debited on L2; its batch is still open.
    Pending,
    /// Its batch is sealed and waiting to be posted.
    InBatch,
    /// Posted; final once the L1 head passes `deadline_block`.
    ChallengeWindow {
        deadline_block: u64,
        blocks_remaining: u64,
        /// Estimated wait, when the settlement layer mines blocks on a timer.
        eta_ms: Option<u64>,
    },
    /// Final: claim it on the settlement layer with this inclusion proof (`Proof` encoding)
    /// of `withdrawal_key(id)` against the post-state root of finalized batch
    /// `proof_batch_index`.
    Claimable {
        proof_batch_index: u64,
        #[serde(with = "hex_bytes")]
        #[cfg_attr(feature = "openapi", schema(value_type = String, pattern = "^0x([0-9a-fA-F]{2})*$"))]
        proof: Vec<u8>,
    },
    Claimed {
        claimed_block: u64,
    },
}

/// `GET /v1/withdrawals/{id}`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WithdrawalView {
    pub withdrawal_id: u64,
    pub account: Address,
    #[serde(with = "int")]
    pub amount: u64,
    pub tx_hash: H256,
    pub batch_index: u64,
    pub status: WithdrawalStatus,
}

/// `GET /v1/accounts/{address}`: the engine's account view at the current soft state.
pub type AccountResponse = AccountView;

/// `GET /v1/accounts/{address}` (and the feed's `account` messages): the engine's account
/// view (perp positions, margin, open orders) and beside it the account's option series
/// positions (docs/PROTOCOL.md Part 8 §11): contracts, mark, value, margin and greeks. Their
/// value and margin are already in the view's equity and margin figures; this lists them
/// per series. One type for the sequencer's read and both services' feeds.
// Deserialized by hand (below): serde's `flatten` buffers the fields in a form that has no
// `i128`, so the view's signed amounts would not decode.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccountBody {
    #[serde(flatten)]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::engine::view::AccountView))]
    pub account: AccountResponse,
    /// `[{series, name, size (signed contracts in size units), mark_price, value, initial_margin,
    /// maintenance_margin, greeks {delta_e18, gamma_e18, vega_e18, theta_e18}}]`: the
    /// position's greeks are the contract's (as `GET /v1/options/chain` shows them) times the
    /// signed size in whole contracts.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Object>))]
    pub option_positions: Vec<crate::engine::option_quote::OptionPositionView>,
}

impl<'de> Deserialize<'de> for AccountBody {
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
    /// The account `address` in state `st` at `ctx`.
    pub fn at<S: crate::state::State>(
        st: &mut S,
        genesis: &crate::genesis::Genesis,
        ctx: &crate::engine::BlockContext,
        address: &Address,
    ) -> Result<AccountBody, crate::engine::view::ViewError> {
        let account = crate::engine::view::account_view(st, genesis, ctx, address)?;
        let option_positions = crate::engine::option_quote::option_positions(st, genesis, address)?;
        Ok(AccountBody {
            account,
            option_positions,
        })
    }
}

/// `GET /v1/accounts/{address}/agents`: the agents the account approved (PROTOCOL.md Part 4 §18).
pub type AgentsResponse = crate::engine::view::AgentsView;

/// `GET /v1/accounts/{address}/triggers`.
pub type TriggersResponse = crate::engine::view::TriggersView;

/// One market: its genesis parameters and live state.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MarketInfo {
    pub params: MarketParams,
    /// The robust mark (0 = no price yet; docs/PROTOCOL.md Part 4 §23): what margin and
    /// liquidation use.
    pub mark_price: u64,
    /// The index: the median of the fresh oracle prices (§7), and when it was signed.
    #[serde(default)]
    pub index_price: u64,
    pub price_timestamp_ms: u64,
    pub funding_index: i128,
    pub long_open_interest: u64,
    /// The circuit breaker: `{"state": "open"}` or `{"state": "reduce_only", "reason",
    /// "since_ms", "resumes_at_ms", "detail"}` (docs/PROTOCOL.md Part 4 §7.1).
    #[serde(default)]
    pub breaker: BreakerView,
}

impl MarketInfo {
    /// Every genesis market as the state `st` holds it, the breaker as the STF sees it at
    /// `ctx`: what `GET /v1/markets` and the feeds' `markets` channel send, on the sequencer
    /// (its head) and on a verifier (its verified head).
    pub fn all<S: crate::state::State>(
        st: &mut S,
        genesis: &crate::genesis::Genesis,
        ctx: &crate::engine::BlockContext,
    ) -> Result<Vec<MarketInfo>, crate::state::StateError> {
        use crate::engine::view;
        let mut markets = Vec::with_capacity(genesis.markets.len());
        for params in &genesis.markets {
            let state = view::market_state(st, params.id)?;
            markets.push(MarketInfo {
                params: params.clone(),
                mark_price: state.mark_price,
                index_price: state.index_price,
                price_timestamp_ms: state.price_timestamp_ms,
                funding_index: state.funding_index,
                long_open_interest: state.long_open_interest,
                breaker: view::breaker_view(genesis, params, &state, ctx),
            });
        }
        Ok(markets)
    }
}

/// `GET /v1/markets`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MarketsResponse {
    pub markets: Vec<MarketInfo>,
}

/// `GET /v1/markets/{id}/book?levels=N`.
pub type BookResponse = BookDepth;

/// The open batch, if one is taking transactions.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenBatchInfo {
    pub index: u64,
    pub timestamp_ms: u64,
    pub tx_count: u32,
}

/// `GET /v1/status`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusResponse {
    /// The sequencer's L1 account (posts batches, signs keeper liquidations).
    pub sequencer: Address,
    pub chain_id: u64,
    pub genesis_hash: H256,
    /// Root of the durable soft state (every acknowledged action applied).
    pub state_root: H256,
    /// Accepted transactions so far (the next one gets this `seq`).
    pub next_seq: u64,
    pub open_batch: Option<OpenBatchInfo>,
    pub last_sealed: Option<u64>,
    pub last_posted: Option<u64>,
    pub last_finalized: Option<u64>,
    /// The next L1 queue index the sequencer will include.
    pub next_queue_index: u64,
    /// Actions admitted and not yet answered (the load-shedding gauge).
    pub inflight_actions: u64,
    /// Why posting is stuck, if it is (e.g. the settlement layer is unreachable).
    pub posting_error: Option<String>,
    /// The configured fault injection, e.g. `wrong-root@batch=3 (spent)`.
    pub fault: Option<String>,
    /// The invariant auditor's progress and the violation it found, if any.
    #[serde(default)]
    pub audit: AuditStatus,
}

/// Serde adapter for `Option<Vec<u8>>` as optional `0x` hex.
mod opt_hex {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &Option<Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
        match bytes {
            Some(b) => crate::fraud::hex_bytes::serialize(b, s),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<u8>>, D::Error> {
        let s: Option<String> = Option::deserialize(d)?;
        s.map(|s| crate::primitives::parse_hex(&s).map_err(serde::de::Error::custom))
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_serialize_with_a_status_tag() {
        let posted = BatchStatus::Posted {
            submission_id: 4,
            posted_block: 10,
            deadline_block: 15,
        };
        let json = serde_json::to_value(posted).unwrap();
        assert_eq!(json["status"], "posted");
        assert_eq!(json["deadline_block"], 15);
        assert_eq!(serde_json::from_value::<BatchStatus>(json).unwrap(), posted);

        let view = WithdrawalView {
            withdrawal_id: 7,
            account: Address([1; 20]),
            amount: 5,
            tx_hash: H256([2; 32]),
            batch_index: 3,
            status: WithdrawalStatus::Claimable {
                proof_batch_index: 4,
                proof: vec![0xab],
            },
        };
        let json = serde_json::to_value(&view).unwrap();
        assert_eq!(json["status"]["status"], "claimable");
        assert_eq!(json["status"]["proof"], "0xab");
        assert_eq!(
            serde_json::from_value::<WithdrawalView>(json).unwrap(),
            view
        );
    }

    /// Receipts carry `i128` amounts; a bulk answer must read back exactly (serde's buffered
    /// internally tagged enums could not hold them).
    #[test]
    fn bulk_answers_with_i128_amounts_round_trip() {
        use crate::engine::{Fill, Status};
        let mut receipt = Receipt::ok();
        receipt.fills.push(Fill {
            market: 1,
            maker: Address([3; 20]),
            maker_nonce: 1,
            taker: Address([4; 20]),
            taker_nonce: 2,
            price: 50_000_000_000,
            size: 5_000,
            taker_is_buy: true,
            maker_fee: -7,
            taker_fee: i128::from(u64::MAX) * 3,
        });
        let answer = BulkResponse {
            accepted: 1,
            rejected: 1,
            results: vec![
                BulkItem::Accepted(TxAccepted {
                    hash: H256([5; 32]),
                    seq: 9,
                    batch_index: 2,
                    position: 4,
                    receipt,
                }),
                BulkItem::Rejected {
                    hash: H256([6; 32]),
                    code: Status::NonceAlreadyUsed.code().to_string(),
                    message: "nonce already used".into(),
                },
            ],
        };
        let text = serde_json::to_string(&answer).unwrap();
        assert!(text.contains(r#""result":"accepted""#), "{text}");
        assert_eq!(serde_json::from_str::<BulkResponse>(&text).unwrap(), answer);

        let check_refused = |json: &str, expect: &str| {
            let e = serde_json::from_str::<BulkItem>(json)
                .unwrap_err()
                .to_string();
            assert!(e.contains(expect), "{json}: {e}");
        };
        let hash = format!("\"{}\"", H256([1; 32]));
        check_refused(
            &format!(r#"{{"result":"rejected","hash":{hash},"code":"x"}}"#),
            "needs `message`",
        );
        check_refused(
            &format!(r#"{{"result":"accepted","hash":{hash},"code":"x","message":"y"}}"#),
            "no `code`",
        );
        check_refused(
            &format!(r#"{{"result":"maybe","hash":{hash}}}"#),
            "unknown variant",
        );
    }
}
