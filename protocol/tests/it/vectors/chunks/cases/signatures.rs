//! The `signatures` case: every signature rule of Part 2 §5 (each gives `bad_signature`),
//! valid signatures by the wrong key (`signer_mismatch`, or `not_oracle` for a price
//! update), and why the insurance fund can never act.

use super::super::world::{ALICE, BOB, BTC, BTC_UNIT, T1, USD, World};
use super::{Case, MILLION_USD};
use protocol::action::{Action, Order, PriceUpdate, Signature, TimeInForce, Tx};
use protocol::engine::{INSURANCE_FUND, Status};
use protocol::primitives::H256;
use protocol::signing::{CURVE_ORDER, SignatureError, recover_signer, signing_digest};

/// `tx` (a user transaction) with its signature bytes edited.
fn with_signature(tx: Tx, edit: impl FnOnce(&mut [u8; 65])) -> Tx {
    match tx {
        Tx::User { mut action } => {
            edit(&mut action.signature.0);
            Tx::User { action }
        }
        other => panic!("only user transactions carry a signature here, not {other:?}"),
    }
}

/// Replaces `s` by `n − s` and flips `v`: the same signature in its high-S form.
fn to_high_s(signature: &mut [u8; 65]) {
    let mut borrow = 0u16;
    for i in (0..32).rev() {
        let subtrahend = u16::from(signature[32 + i]) + borrow;
        let minuend = u16::from(CURVE_ORDER[i]);
        borrow = u16::from(minuend < subtrahend);
        signature[32 + i] = (minuend + (borrow << 8) - subtrahend) as u8;
    }
    signature[64] ^= 27 ^ 28;
}

/// Sets `r` to the smallest integer that is the x-coordinate of no curve point, so no
/// public key recovers (rules 1–3 still pass).
fn r_off_the_curve(digest: &H256, signature: &mut [u8; 65]) {
    for x in 1u8.. {
        signature[..32].fill(0);
        signature[31] = x;
        if recover_signer(digest, &Signature(*signature)) == Err(SignatureError::Unrecoverable) {
            return;
        }
    }
}

/// A bid of alice's with a fresh nonce: the action, and the transaction she signs.
fn alice_bid(w: &mut World) -> (Action, Tx) {
    let order = w.order(ALICE, BTC, (true, 49_000 * USD, BTC_UNIT), TimeInForce::Gtc);
    let action = Action::Order(order);
    (action.clone(), w.sign(ALICE, action))
}

pub fn signatures() -> Case {
    let mut w = World::devnet();
    w.fund(&[ALICE, BOB], MILLION_USD);
    w.setup([w.price(BTC, 50_000 * USD)]);
    w.now = T1;
    let mut case = Case::start(
        &w,
        "signatures",
        "signature outcomes: each rule of Part 2 §5 gives bad_signature, a valid signature by \
         another key signer_mismatch, a price update by another key not_oracle",
    );
    let why = "a correctly signed GTC bid of 1 BTC at 49,000 USD: rests";
    case.push(Status::Ok, why, alice_bid(&mut w).1);
    push_rule_failures(&mut w, &mut case);
    push_wrong_signers(&mut w, &mut case);
    case
}

/// One bad signature per rule of Part 2 §5 (1–4), each on a fresh bid of alice's.
fn push_rule_failures(w: &mut World, case: &mut Case) {
    let bad = Status::BadSignature;
    let (_, tx) = alice_bid(w);
    let why = "v = 5 (rule 1, InvalidV)";
    case.push(bad, why, with_signature(tx, |s| s[64] = 5));
    let (_, tx) = alice_bid(w);
    let why =
        "s replaced by n − s and v flipped: the valid signature's high-S twin (rule 3, HighS)";
    case.push(bad, why, with_signature(tx, to_high_s));
    let (_, tx) = alice_bid(w);
    let why = "r = 0 (rule 2, OutOfRange)";
    case.push(bad, why, with_signature(tx, |s| s[..32].fill(0)));
    let (action, tx) = alice_bid(w);
    let digest = signing_digest(&action, &w.domain());
    let why =
        "r = the smallest x-coordinate of no curve point, s and v valid (rule 4, Unrecoverable)";
    case.push(
        bad,
        why,
        with_signature(tx, |s| r_off_the_curve(&digest, s)),
    );
}

/// Valid signatures by the wrong key, and a bad one on an oracle update.
fn push_wrong_signers(w: &mut World, case: &mut Case) {
    let (action, _) = alice_bid(w);
    let why = "an order naming alice, validly signed by bob's key";
    case.push(Status::SignerMismatch, why, w.sign(BOB, action));
    let update = Action::PriceUpdate(PriceUpdate {
        market: BTC,
        price: 50_100 * USD,
        timestamp_ms: T1,
    });
    let why = "a BTC price update validly signed by alice, not the oracle";
    case.push(Status::NotOracle, why, w.sign(ALICE, update));
    let oracle_signed = w.price(BTC, 50_100 * USD);
    let why = "a BTC price update by the oracle with v = 5: bad_signature, not not_oracle";
    case.push(
        Status::BadSignature,
        why,
        with_signature(oracle_signed, |s| s[64] = 5),
    );
    let why = "an order naming the insurance fund (0x00…00) signed by alice: nobody can sign for \
               the fund, so it never reaches reserved_account as an actor";
    case.push(Status::SignerMismatch, why, insurance_fund_order(w));
}

fn insurance_fund_order(w: &mut World) -> Tx {
    let order = Order {
        account: INSURANCE_FUND,
        ..w.order(ALICE, BTC, (true, 49_000 * USD, BTC_UNIT), TimeInForce::Gtc)
    };
    w.sign(ALICE, Action::Order(order))
}
