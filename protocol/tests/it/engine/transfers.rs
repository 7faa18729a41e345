//! Deposits, withdrawals (limits, leaf encoding, staleness) and L1 queue handling.

use super::*;
use TimeInForce::{Gtc, Ioc};
use protocol::codec::{Decode, Encode};
use protocol::engine::INSURANCE_FUND;
use protocol::engine::records::Withdrawal;

const P100: u64 = 100_000_000;

#[test]
fn withdrawal_limits_and_leaf() {
    let a = addr(1);
    let mut sim = Sim::new();
    sim.deposit(a, 1_000 * USD);
    expect(&sim.withdraw(a, 0), Status::ZeroAmount);
    expect(
        &sim.withdraw(a, 1_000 * USD + 1),
        Status::InsufficientCollateral,
    );
    let r = sim.withdraw(a, 400 * USD);
    assert_eq!(r.withdrawal_id, Some(0));
    // The leaf the settlement layer proves: key 0x06 ‖ id, value account ‖ amount (BE).
    let leaf = sim.st.get(&keys::withdrawal_key(0)).unwrap().unwrap();
    let mut expected = a.0.to_vec();
    expected.extend_from_slice(&400_000_000u64.to_be_bytes());
    assert_eq!(leaf, expected);
    assert_eq!(
        Withdrawal::decode(&leaf).unwrap(),
        Withdrawal {
            account: a,
            amount: 400_000_000
        }
    );
    assert_eq!(
        Withdrawal {
            account: a,
            amount: 400_000_000
        }
        .encode(),
        expected
    );
    assert_eq!(sim.withdraw(a, 100 * USD).withdrawal_id, Some(1));
    assert_eq!(
        view::withdrawal(&mut sim.st, 1).unwrap().unwrap().amount,
        100_000_000
    );
    assert_eq!(sim.collateral(a), 500 * USD);
    let meta = sim.meta();
    assert_eq!(
        (
            meta.total_deposits,
            meta.total_withdrawals,
            meta.next_withdrawal_id
        ),
        (1_000_000_000, 500_000_000, 2)
    );
}

/// `a` holds 10 TOY bought at 100 with 198 USD of collateral; the price is then `mark`.
fn long_ten_at(mark: u64) -> (Sim, Address) {
    let (a, b) = (addr(1), addr(2));
    let mut sim = Sim::new();
    sim.price(TOY, P100);
    sim.deposit(a, 200 * USD);
    sim.deposit(b, 10_000 * USD);
    sim.order(b, TOY, (false, P100, 10), Gtc);
    sim.order(a, TOY, (true, P100, 10), Ioc);
    sim.now += 1;
    sim.price(TOY, mark);
    (sim, a)
}

#[test]
fn unrealized_profit_cannot_be_withdrawn() {
    // At 150: equity 698, IM 150, but only the 198 USD of collateral may leave.
    let (mut sim, a) = long_ten_at(150_000_000);
    expect(
        &sim.withdraw(a, 198 * USD + 1),
        Status::InsufficientCollateral,
    );
    expect(&sim.withdraw(a, 198 * USD), Status::Ok);
}

#[test]
fn withdrawal_must_leave_initial_margin() {
    // At 110: equity 298, IM 110: at most 188 USD.
    let (mut sim, a) = long_ten_at(110_000_000);
    expect(&sim.withdraw(a, 188 * USD + 1), Status::InsufficientMargin);
    expect(&sim.withdraw(a, 188 * USD), Status::Ok);
}

#[test]
fn stale_price_blocks_withdrawals_only_with_positions() {
    let (mut sim, a) = long_ten_at(P100);
    let c = addr(3);
    sim.deposit(c, 10 * USD);
    sim.now += 60_001;
    expect(&sim.withdraw(a, USD), Status::StalePrice);
    expect(&sim.withdraw(c, USD), Status::Ok);
}

#[test]
fn l1_queue_is_consumed_in_order_even_when_a_forced_action_fails() {
    let a = addr(1);
    let mut sim = Sim::new();
    // Wrong queue index: a rejected no-op.
    let before = sim.st.clone();
    let wrong = Tx::L1 {
        queue_index: 5,
        message: L1Message::Deposit {
            account: a,
            amount: 1,
        },
    };
    expect(&sim.apply(wrong, Ok(a)), Status::QueueIndexMismatch);
    assert_eq!(sim.st, before);
    // A zero deposit is accepted and only advances the queue.
    sim.deposit(a, 0);
    assert_eq!(sim.meta().next_queue_index, 1);
    assert_eq!(sim.account(a), records::Account::empty(a));
    sim.deposit(a, 50 * USD);
    // A forced withdrawal that fails changes nothing but the queue index.
    let forced = |amount: u64, nonce| L1Message::Forced {
        action: SignedAction {
            action: Action::Withdraw(Withdraw {
                account: a,
                amount,
                nonce,
                expires_at: u64::MAX,
            }),
            signature: Signature([0; 65]),
        },
    };
    let before_meta = sim.meta();
    let tx = Tx::L1 {
        queue_index: 2,
        message: forced(51_000_000, 1),
    };
    expect(&sim.apply(tx, Ok(a)), Status::InsufficientCollateral);
    assert_eq!(
        sim.meta(),
        records::Meta {
            next_queue_index: 3,
            ..before_meta
        }
    );
    assert_eq!(sim.collateral(a), 50 * USD);
    // The same nonce is still free, and the forced withdrawal succeeds.
    let tx = Tx::L1 {
        queue_index: 3,
        message: forced(50_000_000, 1),
    };
    assert_eq!(sim.apply(tx, Ok(a)).withdrawal_id, Some(0));
    assert_eq!(sim.meta().next_queue_index, 4);
    sim.queue = 4;
    // Deposits to the insurance fund's address are donations.
    sim.deposit(INSURANCE_FUND, 7 * USD);
    assert_eq!(sim.collateral(INSURANCE_FUND), 7 * USD);
}
