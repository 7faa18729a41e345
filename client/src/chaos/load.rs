//! The load: one task per trader, each signing and submitting its own actions through the
//! typed client (`SequencerClient::submit`) until told to stop. A mix of crossing GTC
//! orders one lot from the reference price (so fills happen), cancel-alls (so no account
//! piles up orders) and small withdrawals. Only a complete 2xx answer is an
//! acknowledgement; it is recorded with the receipt it carried, which is what the checks
//! hold the chain to. A refusal is counted by its code; no answer (the sequencer was
//! killed) is counted as unanswered, and the trader moves on to its next nonce.

use super::network::CALL_LIMIT;
use crate::sequencer::SequencerClient;
use k256::ecdsa::SigningKey;
use protocol::action::{Action, CancelAll, Order, SignedAction, TimeInForce, Tx, Withdraw};
use protocol::api::sequencer::TxAccepted;
use protocol::primitives::H256;
use protocol::signing::{address_of, sign_action};
use protocol::workload::SplitMix64;
use service_client::http::ServiceError;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::task::JoinSet;

/// A trader's actions stay valid for a day: longer than any run.
const EXPIRY_MS: u64 = 86_400_000;
/// A trader's requests in one load phase, at most (a phase lasts well under a second).
const PHASE_REQUESTS: u64 = 1_000_000;
/// Pause after a request got no answer, so a dead sequencer is not spun on.
const UNANSWERED_PAUSE: Duration = Duration::from_millis(5);

/// An acknowledged action: its hash and the hash of the receipt its 2xx carried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ack {
    pub hash: H256,
    pub receipt: H256,
}

/// What the traders need to sign: the market and price, the domain, the clock's start.
#[derive(Debug, Clone)]
pub struct Market {
    pub id: u32,
    pub price: u64,
    pub tick: u64,
    pub lot: u64,
    pub domain: H256,
    pub now_ms: u64,
}

/// Tallies of every phase so far.
#[derive(Debug, Default)]
pub struct Tally {
    pub acks: Vec<Ack>,
    pub refused: BTreeMap<String, u64>,
    pub unanswered: u64,
}

/// One trader: its key, next nonce and random stream persist across phases.
#[derive(Debug, Clone)]
pub struct Trader {
    key: SigningKey,
    nonce: u64,
    rng: SplitMix64,
}

impl Trader {
    pub fn new(key: SigningKey, seed: u64) -> Trader {
        Trader {
            key,
            nonce: 0,
            rng: SplitMix64(seed),
        }
    }

    fn next_action(&mut self, market: &Market) -> SignedAction {
        self.nonce += 1;
        let (account, nonce, expires_at) =
            (address_of(&self.key), self.nonce, market.now_ms + EXPIRY_MS);
        let action = match self.rng.below(20) {
            0..=14 => {
                let is_buy = self.rng.chance(50);
                let offset = self.rng.below(3) * market.tick;
                let price = if is_buy {
                    market.price + offset
                } else {
                    market.price - offset
                };
                Action::Order(Order {
                    account,
                    market: market.id,
                    is_buy,
                    price,
                    size: market.lot * (1 + self.rng.below(3)),
                    tif: TimeInForce::Gtc,
                    reduce_only: false,
                    nonce,
                    expires_at,
                })
            }
            15..=18 => Action::CancelAll(CancelAll {
                account,
                nonce,
                expires_at,
            }),
            _ => Action::Withdraw(Withdraw {
                account,
                amount: 1_000_000,
                nonce,
                expires_at,
            }),
        };
        sign_action(&self.key, action, &market.domain)
    }
}

/// Traders submitting until `stop` is set; join with [`LoadPhase::finish`].
#[derive(Debug)]
pub struct LoadPhase {
    stop: Arc<AtomicBool>,
    tasks: JoinSet<Trader>,
}

impl LoadPhase {
    pub fn start(
        traders: Vec<Trader>,
        seq: &SequencerClient,
        market: &Market,
        tally: &Arc<Mutex<Tally>>,
    ) -> LoadPhase {
        let stop = Arc::new(AtomicBool::new(false));
        let mut tasks = JoinSet::new();
        for trader in traders {
            let (stop, seq, market, tally) =
                (stop.clone(), seq.clone(), market.clone(), tally.clone());
            tasks.spawn(trade(trader, seq, market, tally, stop));
        }
        LoadPhase { stop, tasks }
    }

    /// Stops the traders and returns them (each request is bounded, so this is too).
    pub async fn finish(mut self) -> Vec<Trader> {
        self.stop.store(true, Ordering::Relaxed);
        let mut traders = Vec::new();
        while let Some(done) = self.tasks.join_next().await {
            traders.push(done.expect("a trader task does not panic"));
        }
        traders
    }
}

async fn trade(
    mut trader: Trader,
    seq: SequencerClient,
    market: Market,
    tally: Arc<Mutex<Tally>>,
    stop: Arc<AtomicBool>,
) -> Trader {
    for _ in 0..PHASE_REQUESTS {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        let action = trader.next_action(&market);
        let hash = Tx::User {
            action: action.clone(),
        }
        .hash();
        let answer = tokio::time::timeout(CALL_LIMIT, seq.submit(&action)).await;
        let answered = record(&tally, hash, answer);
        if !answered {
            tokio::time::sleep(UNANSWERED_PAUSE).await;
        }
    }
    trader
}

/// Tallies one answer; `false` when there was none.
fn record(
    tally: &Mutex<Tally>,
    hash: H256,
    answer: Result<Result<TxAccepted, ServiceError>, tokio::time::error::Elapsed>,
) -> bool {
    let mut tally = tally.lock().unwrap_or_else(|p| p.into_inner());
    match answer {
        Ok(Ok(accepted)) => tally.acks.push(Ack {
            hash,
            receipt: accepted.receipt.hash(),
        }),
        Ok(Err(ServiceError::Api { code, .. })) => *tally.refused.entry(code).or_default() += 1,
        _ => {
            tally.unanswered += 1;
            return false;
        }
    }
    true
}
