//! Cases for the checks around trading: expiry and the nonce window (Part 4 §4.1), oracle
//! updates (§7), and the L1 queue (§4).

use super::super::world::{ALICE, BOB, BTC, BTC_UNIT, CAROL, ETH, T0, T1, USD, World};
use super::{Case, MILLION_USD};
use protocol::action::{Action, L1Message, TimeInForce, Tx};
use protocol::engine::Status;

/// `trader`'s `CancelAll` with an explicit nonce and expiry.
fn cancel_all(w: &World, trader: usize, nonce: u64, expires_at: u64) -> Tx {
    let message = w.cancel_all_msg(trader, nonce, expires_at);
    w.sign(trader, Action::CancelAll(message))
}

/// Expiry and the nonce window, with their boundaries.
pub fn common_checks() -> Case {
    let mut w = World::devnet();
    w.fund(&[ALICE, BOB], MILLION_USD);
    let window: Vec<Tx> = (101..=164)
        .map(|nonce| cancel_all(&w, BOB, nonce, T0 + 60_000))
        .collect();
    w.setup(window);
    w.now = T1;
    let mut case = Case::start(
        &w,
        "common_checks",
        "expiry and nonces; bob's nonce set holds 101..=164 (full: 64 nonces)",
    );
    push_expiry(&w, &mut case);
    push_nonce_window(&w, &mut case);
    case
}

/// alice: expiry at and before the block time, nonce reuse, and expiry before the nonce.
fn push_expiry(w: &World, case: &mut Case) {
    let why = "alice's CancelAll with expiresAt = block time − 1";
    case.push(Status::Expired, why, cancel_all(w, ALICE, 1, T1 - 1));
    let why =
        "alice's CancelAll with expiresAt = block time (still valid), nonce 1; nothing to cancel";
    case.push(Status::Ok, why, cancel_all(w, ALICE, 1, T1));
    let why = "alice's nonce 1 again";
    case.push(Status::NonceAlreadyUsed, why, cancel_all(w, ALICE, 1, T1));
    let why = "alice's nonce 1 again, expired: expiry is checked before the nonce";
    case.push(Status::Expired, why, cancel_all(w, ALICE, 1, T1 - 1));
}

/// bob's full window of 64 nonces: in it, below it, and a nonce that left it.
fn push_nonce_window(w: &World, case: &mut Case) {
    let why = "bob's nonce 150, in his set";
    case.push(Status::NonceAlreadyUsed, why, cancel_all(w, BOB, 150, T1));
    let why = "bob's nonce 100: his set is full and 100 is below its minimum 101";
    case.push(Status::NonceTooLow, why, cancel_all(w, BOB, 100, T1));
    let why = "bob's nonce 165: accepted, 101 leaves the set";
    case.push(Status::Ok, why, cancel_all(w, BOB, 165, T1));
    let why = "bob's nonce 101 again: it left the set, so it is too low, not already used";
    case.push(Status::NonceTooLow, why, cancel_all(w, BOB, 101, T1));
}

/// Every oracle rule of Part 4 §7, in check order, and the first price of a market.
pub fn oracle() -> Case {
    let mut w = World::devnet();
    w.setup([w.price(BTC, 50_000 * USD)]);
    w.now = T1;
    let mut case = Case::start(
        &w,
        "oracle",
        "price updates (Part 4 §7): BTC has a price stamped T0, ETH none",
    );
    let fresh = w.price(BTC, 50_100 * USD);
    let why = "BTC 50,100 USD stamped the block time";
    case.push(Status::Ok, why, fresh.clone());
    let why = "the same update again (a replay)";
    case.push(Status::OraclePriceNotNewer, why, fresh);
    push_oracle_refusals(&w, &mut case);
    let why = "ETH's first price, 3,000 USD: starts its funding clock";
    case.push(Status::Ok, why, w.price(ETH, 3_000 * USD));
    case
}

/// The median of the fresh oracle signers (Part 4 §7): the even-count rule, a stale slot
/// left out, and an outlier that does not move the index.
pub fn oracle_median() -> Case {
    let mut w = World::devnet();
    w.now = T0 + 2;
    w.setup([
        w.price_by(0, BTC, 50_000 * USD, T0),
        w.price_by(1, BTC, 50_100 * USD, T0 + 2),
    ]);
    w.now = T0 + 60_001;
    let mut case = Case::start(
        &w,
        "oracle_median",
        "three oracle signers (max age 60,000 ms): BTC 50,000 USD by signer 0 at T0 and \
         50,100 USD by signer 1 at T0 + 2 (index 50,050); block time T0 + 60,001",
    );
    let why = "signer 2: 50,300 USD at the block time; signer 0 (60,001 ms old) is stale, so \
               the index is the mean of 50,100 and 50,300 = 50,200";
    let tx = w.price_by(2, BTC, 50_300 * USD, T0 + 60_001);
    case.push(Status::Ok, why, tx);
    let outlier = w.price_by(0, BTC, 90_000 * USD, T0 + 60_001);
    let why = "signer 0's outlier 90,000 USD: the index is the median 50,300, not the outlier";
    case.push(Status::Ok, why, outlier.clone());
    let why = "signer 0's update again: not newer than that signer's last price";
    case.push(Status::OraclePriceNotNewer, why, outlier);
    let why = "signer 1 at T0 + 1: older than its own last price (T0 + 2)";
    let tx = w.price_by(1, BTC, 50_000 * USD, T0 + 1);
    case.push(Status::OraclePriceNotNewer, why, tx);
    case
}

/// Old, future, zero, too large, and unknown-market updates.
fn push_oracle_refusals(w: &World, case: &mut Case) {
    let why = "BTC stamped 500 ms earlier";
    let tx = w.price_at(BTC, 50_200 * USD, T1 - 500);
    case.push(Status::OraclePriceNotNewer, why, tx);
    let why = "BTC stamped 1 ms after the block time";
    let tx = w.price_at(BTC, 50_200 * USD, T1 + 1);
    case.push(Status::OraclePriceFromFuture, why, tx);
    let why = "BTC price 0";
    case.push(Status::InvalidPrice, why, w.price_at(BTC, 0, T1 + 1));
    let why = "BTC price MAX_PRICE + 1 = 10^15 + 1";
    let tx = w.price_at(BTC, 1_000_000_000_000_001, T1);
    case.push(Status::InvalidPrice, why, tx);
    case.push(Status::UnknownMarket, "market 9", w.price(9, 50_000 * USD));
}

/// A user transaction forced through the L1 queue at `queue_index`.
fn forced(queue_index: u64, tx: Tx) -> Tx {
    let Tx::User { action } = tx else {
        panic!("only a user action can be forced");
    };
    Tx::L1 {
        queue_index,
        message: L1Message::Forced { action },
    }
}

/// Deposits, forced actions (accepted and rejected), and indices out of turn.
pub fn l1_queue() -> Case {
    let mut w = World::devnet();
    w.fund(&[ALICE, BOB], MILLION_USD);
    w.now = T1;
    let q = w.next_queue_index();
    assert_eq!(q, 2, "two deposits so far");
    let mut case = Case::start(
        &w,
        "l1_queue",
        "L1 messages: meta.next_queue_index is 2. queue_index_mismatch is reached here by the \
         chunk executor; a batch the settlement layer accepts never carries it (Part 5 §3 and \
         settlement.md: queue indices run on from the previous batch's queue_end)",
    );
    let why = "deposit of 5,000 USD to carol at queue index 2";
    case.push(Status::Ok, why, w.deposit(q, CAROL, 5_000 * USD));
    let why = "deposit at index 7 while 3 is expected: nothing changes, the counter stays";
    case.push(Status::QueueIndexMismatch, why, w.deposit(q + 5, CAROL, 1));
    push_forced(&mut w, &mut case, q + 1);
    let why = "a deposit at the consumed index 4";
    case.push(Status::QueueIndexMismatch, why, w.deposit(q + 2, CAROL, 1));
    let why = "deposit of 0 at index 5: accepted, only the counter moves (no empty account leaf)";
    case.push(Status::Ok, why, w.deposit(q + 3, CAROL, 0));
    case
}

/// Two forced actions at `first` and `first + 1`: an accepted one and a rejected one.
fn push_forced(w: &mut World, case: &mut Case, first: u64) {
    let withdraw = w.withdraw(ALICE, 1_000 * USD);
    let why = "alice's Withdraw of 1,000 USD forced at index 3";
    case.push(Status::Ok, why, forced(first, withdraw));
    let order = w.order(ALICE, BTC, (true, 49_000 * USD, BTC_UNIT), TimeInForce::Gtc);
    let by_bob = w.sign(BOB, Action::Order(order));
    let why = "an order naming alice signed by bob, forced at index 4: rejected, but the queue \
               counter still advances (the root changes)";
    case.push(Status::SignerMismatch, why, forced(first + 1, by_bob));
}
