//! The robust mark (docs/PROTOCOL.md Part 4 §22) as tables: a thin-book spoof moves the
//! mark only by the time it stands and never past the band around the index, and one
//! oracle signer's outlier moves neither the index nor the mark. Each row is a step, then
//! the market's held book premium, smoothed premium and mark after it.

use super::*;
use TimeInForce::Gtc;

const P: u64 = 1_000_000; // one USD
const SIGNERS: [Address; 3] = [ORACLE, Address([0xe1; 20]), Address([0xe2; 20])];

#[derive(Clone, Copy)]
enum Step {
    /// The oracle signs the index again, `ms` after the previous step.
    Price { ms: u64, usd: u64 },
    /// The spoofer rests one unit at `usd` (a bid or an ask).
    Quote { bid: bool, usd: u64 },
    /// The spoofer cancels its resting ask.
    CancelAsk,
}
use Step::*;

/// `(step, book premium, smoothed premium, mark)`, all in micro-USDC.
type Row = (Step, i128, i128, u64);

#[test]
fn a_thin_book_spoof_moves_the_mark_only_by_time_and_never_past_the_band() {
    let spoofer = addr(1);
    let mut sim = toy_sim(1, 100_000 * USD); // index 100 USD, band 50 %
    let rows: &[Row] = &[
        (
            Quote {
                bid: true,
                usd: 149,
            },
            0,
            0,
            100 * P,
        ),
        // Mid 149.5: the spoof is sampled but has stood for no time, so the mark stays.
        (
            Quote {
                bid: false,
                usd: 150,
            },
            49_500_000,
            0,
            100 * P,
        ),
        // Half a window later: the smoothed premium is half the held sample.
        (
            Price {
                ms: 150_000,
                usd: 100,
            },
            49_500_000,
            24_750_000,
            124_750_000,
        ),
        (
            Price {
                ms: 150_000,
                usd: 100,
            },
            49_500_000,
            37_125_000,
            137_125_000,
        ),
        // A whole window at the same sample: the smoothed premium reaches it.
        (
            Price {
                ms: 300_000,
                usd: 100,
            },
            49_500_000,
            49_500_000,
            149_500_000,
        ),
        // The ask moves to 224 (inside the band around the mark 149.5): mid 186.5 is
        // clamped to index + 50 % = 150.
        (CancelAsk, 49_500_000, 49_500_000, 149_500_000),
        (
            Quote {
                bid: false,
                usd: 224,
            },
            50_000_000,
            49_500_000,
            149_500_000,
        ),
        (
            Price {
                ms: 300_000,
                usd: 100,
            },
            50_000_000,
            50_000_000,
            150 * P,
        ),
        // However long it stands, the mark is at most index + band.
        (
            Price {
                ms: 3_600_000,
                usd: 100,
            },
            50_000_000,
            50_000_000,
            150 * P,
        ),
    ];
    let mut ask_nonce = 0;
    for (i, &(step, premium, smoothed, mark)) in rows.iter().enumerate() {
        let r = match step {
            Price { ms, usd } => {
                sim.now += ms;
                sim.price(TOY, usd * P)
            }
            Quote { bid, usd } => {
                let o = sim.order_msg(spoofer, TOY, (bid, usd * P, 1), Gtc);
                if !bid {
                    ask_nonce = o.nonce;
                }
                sim.act(Action::Order(o))
            }
            CancelAsk => sim.cancel(spoofer, TOY, ask_nonce),
        };
        expect(&r, Status::Ok);
        let ms = sim.market(TOY);
        assert_eq!(
            (ms.book_premium, ms.premium_ema, ms.mark_price),
            (premium, smoothed, mark),
            "row {i}"
        );
        assert!(ms.mark_price <= ms.index_price * 3 / 2, "row {i}");
    }
}

/// `(signer slot, price in USD, index, mark)`: three signers, honest quotes 99 / 101.
#[test]
fn one_signers_outlier_moves_neither_the_index_nor_the_mark() {
    let g = genesis().with_oracles(SIGNERS.to_vec());
    let mut sim = Sim::with_genesis(g);
    let (maker, signed_at) = (addr(1), sim.now);
    let price = |sim: &mut Sim, slot: usize, usd: u64| {
        let update = Action::PriceUpdate(PriceUpdate {
            market: TOY,
            price: usd * P,
            timestamp_ms: sim.now,
        });
        sim.apply(signed(update), Ok(SIGNERS[slot]))
    };
    expect(&price(&mut sim, 0, 100), Status::Ok);
    expect(&price(&mut sim, 1, 100), Status::Ok);
    sim.deposit(maker, 10_000 * USD);
    sim.order(maker, TOY, (true, 99 * P, 1), Gtc);
    sim.order(maker, TOY, (false, 101 * P, 1), Gtc);
    let rows: &[(usize, u64, u64, u64)] = &[
        (2, 100, 100 * P, 100 * P),
        // Signer 2 goes wild either way: the median stays with the honest two.
        (2, 10_000, 100 * P, 100 * P),
        (2, 1, 100 * P, 100 * P),
        // Fresh 1, 100, 102: the median is signer 1's 100.
        (0, 102, 100 * P, 100 * P),
    ];
    for (i, &(slot, usd, index, mark)) in rows.iter().enumerate() {
        sim.now += 1_000;
        expect(&price(&mut sim, slot, usd), Status::Ok);
        let ms = sim.market(TOY);
        assert_eq!((ms.index_price, ms.mark_price), (index, mark), "row {i}");
    }
    assert!(sim.now > signed_at);
}
