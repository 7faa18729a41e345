//! `vigil fills|trades|candles`: the sequencer's history (docs/spec/sequencer.md §2) in
//! human units and aligned columns, times in UTC. Fills and trades are newest first and
//! walk the newest-first pages until `--limit` entries, keeping a transaction's entries
//! together as the pages do; candles are the newest `--limit` intervals up to the latest
//! trade's, oldest first. `--json` keeps the sequencer's entries whole (integers in
//! protocol units, like every `vigil --json`), with the market's symbol beside its id and
//! `next_before_seq`, the cursor of what was left out (`null`: nothing).

use super::market::{find, market_size, markets, symbol};
use super::network::Endpoints;
use super::views::address_of_arg;
use super::{Output, table};
use crate::cli::{CandlesArgs, Cli, LedgerArgs, TradesArgs};
use crate::sequencer::SequencerError;
use crate::units::{format_price, format_size_fixed, format_usdc_fixed, format_utc};
use protocol::api::history::{AccountFill, Role, Side};
use protocol::api::sequencer::MarketInfo;
use serde_json::json;

/// The sequencer's largest page.
const MAX_PAGE: u64 = 1_000;

/// The newest entries that `keep`, at least `limit` of them when there are that many:
/// newest-first pages (`page(before_seq, limit)` → entries and the next cursor) are walked
/// until then, and the list is cut after the transaction (entries sharing a `seq`) that
/// reaches `limit`. Also the cursor of the entries left out, if any.
pub(super) async fn newest<T, F, Fut>(
    limit: u64,
    filtered: bool,
    mut page: F,
    keep: impl Fn(&T) -> bool,
    seq: impl Fn(&T) -> u64,
) -> Result<(Vec<T>, Option<u64>), SequencerError>
where
    F: FnMut(Option<u64>, u64) -> Fut,
    Fut: Future<Output = Result<(Vec<T>, Option<u64>), SequencerError>>,
{
    let limit = usize::try_from(limit).unwrap_or(usize::MAX).max(1);
    let mut got: Vec<T> = Vec::new();
    let mut before = None;
    loop {
        let want = u64::try_from(limit - got.len()).unwrap_or(MAX_PAGE);
        // A filter may drop most of a page: read whole pages then.
        let size = if filtered {
            MAX_PAGE
        } else {
            want.min(MAX_PAGE)
        };
        let (rows, next) = page(before, size).await?;
        got.extend(rows.into_iter().filter(|r| keep(r)));
        if got.len() >= limit {
            let last = seq(&got[limit - 1]);
            let end = limit + got[limit..].iter().take_while(|r| seq(r) == last).count();
            let more = end < got.len() || next.is_some();
            got.truncate(end);
            return Ok((got, more.then_some(last)));
        }
        match next {
            Some(cursor) => before = Some(cursor),
            None => return Ok((got, None)),
        }
    }
}

pub(super) fn side_word(side: Side) -> &'static str {
    match side {
        Side::Buy => "buy",
        Side::Sell => "sell",
    }
}

fn role_word(role: Role) -> &'static str {
    match role {
        Role::Maker => "maker",
        Role::Taker => "taker",
    }
}

/// The line under a list cut at `--limit`: how to see more.
pub(super) fn more_hint(shown: usize, limit: u64) -> String {
    format!(
        "\nthe newest {shown} shown; --limit {} shows more",
        limit.saturating_mul(2)
    )
}

pub async fn fills(cli: &Cli, args: &LedgerArgs) -> anyhow::Result<Output> {
    let address = address_of_arg(cli, &args.account)?;
    let seq = Endpoints::resolve(cli)?.sequencer();
    let markets = markets(&seq).await?;
    let market = args
        .market
        .as_deref()
        .map(|m| find(&markets, m))
        .transpose()?;
    let only = market.map(|m| m.params.id);
    let (fills, cursor) = newest(
        args.limit,
        only.is_some(),
        |before, limit| {
            let seq = &seq;
            async move {
                let page = seq.fills(&address, before, limit).await?;
                Ok((page.fills, page.next_before_seq))
            }
        },
        |f: &AccountFill| only.is_none_or(|m| f.market == m),
        |f| f.seq,
    )
    .await?;
    let entries: Vec<serde_json::Value> = fills
        .iter()
        .map(|f| {
            let mut value = serde_json::to_value(f)?;
            value["symbol"] = symbol(&markets, f.market).into();
            Ok(value)
        })
        .collect::<serde_json::Result<_>>()?;
    let json = json!({"address": address, "fills": entries, "next_before_seq": cursor});
    if fills.is_empty() {
        let (where_, example) = match market {
            Some(m) => (format!(" in {}", m.params.symbol), m.params.symbol.as_str()),
            None => (
                String::new(),
                markets
                    .first()
                    .map_or("MARKET", |m| m.params.symbol.as_str()),
            ),
        };
        let name = args
            .account
            .name
            .as_deref()
            .map_or(String::new(), |n| format!(" --name {n}"));
        let text = format!(
            "no fills{where_} yet for {address}; place an order with `vigil order buy {example} SIZE @ PRICE{name}`"
        );
        return Ok(Output { text, json });
    }
    let rows: Vec<Vec<String>> = fills.iter().map(|f| fill_row(f, &markets)).collect();
    let header = [
        "time (UTC)",
        "market",
        "side",
        "role",
        "size",
        "price",
        "fee (USDC)",
        "order id",
    ];
    let mut text = format!(
        "fills of {address}, newest first\n{}",
        table::render(&header, &rows, 4)
    );
    if cursor.is_some() {
        text.push_str(&more_hint(fills.len(), args.limit));
    }
    Ok(Output { text, json })
}

fn fill_row(f: &AccountFill, markets: &[MarketInfo]) -> Vec<String> {
    vec![
        format_utc(f.timestamp_ms),
        symbol(markets, f.market),
        side_word(f.side).to_string(),
        role_word(f.role).to_string(),
        market_size(markets, f.market, f.size),
        format_price(u128::from(f.price)),
        format_usdc_fixed(f.fee),
        super::table::order_id(f.order_nonce),
    ]
}

/// A market's history answer in JSON: its symbol and id, then `fields` (an object).
fn market_json(market: &MarketInfo, fields: serde_json::Value) -> serde_json::Value {
    let mut json = json!({ "market": market.params.symbol, "market_id": market.params.id });
    if let (Some(out), serde_json::Value::Object(fields)) = (json.as_object_mut(), fields) {
        out.extend(fields);
    }
    json
}

/// What `trades` and `candles` say for a market nobody has traded on: `then` continues
/// the sentence before the order that would make the first trade.
fn no_trades_yet(symbol: &str, then: &str, json: serde_json::Value) -> Output {
    let text = format!(
        "no trades on {symbol} yet{then} trade with `vigil order buy {symbol} SIZE @ PRICE`"
    );
    Output { text, json }
}

pub async fn trades(cli: &Cli, args: &TradesArgs) -> anyhow::Result<Output> {
    let seq = Endpoints::resolve(cli)?.sequencer();
    let markets = markets(&seq).await?;
    let market = find(&markets, &args.market)?;
    let id = market.params.id;
    let (trades, cursor) = newest(
        args.limit,
        false,
        |before, limit| {
            let seq = &seq;
            async move {
                let page = seq.trades(id, before, limit).await?;
                Ok((page.trades, page.next_before_seq))
            }
        },
        |_| true,
        |t| t.seq,
    )
    .await?;
    let symbol = &market.params.symbol;
    let json = market_json(
        market,
        json!({ "trades": trades, "next_before_seq": cursor }),
    );
    if trades.is_empty() {
        let then = format!("; see its book with `vigil book {symbol}`, or");
        return Ok(no_trades_yet(symbol, &then, json));
    }
    let d = market.params.size_decimals;
    let rows: Vec<Vec<String>> = trades
        .iter()
        .map(|t| {
            vec![
                format_utc(t.timestamp_ms),
                side_word(t.taker_side).to_string(),
                format_size_fixed(i128::from(t.size), d),
                format_price(u128::from(t.price)),
            ]
        })
        .collect();
    let header = ["time (UTC)", "aggressor", "size", "price"];
    let mut text = format!(
        "{symbol} trades, newest first\n{}",
        table::render(&header, &rows, 2)
    );
    if cursor.is_some() {
        text.push_str(&more_hint(trades.len(), args.limit));
    }
    Ok(Output { text, json })
}

pub async fn candles(cli: &Cli, args: &CandlesArgs) -> anyhow::Result<Output> {
    let seq = Endpoints::resolve(cli)?.sequencer();
    let markets = markets(&seq).await?;
    let market = find(&markets, &args.market)?;
    let id = market.params.id;
    let symbol = &market.params.symbol;
    let interval = args.interval;
    // The newest `limit` intervals up to the latest trade's (by the batch clock, so a
    // quiet market still shows its last candles and this machine's clock does not matter).
    let latest = seq.trades(id, None, 1).await?.trades.first().cloned();
    let candles = match &latest {
        None => Vec::new(),
        Some(trade) => {
            let width = interval.millis();
            let last_open = trade.timestamp_ms / width * width;
            let from = last_open.saturating_sub((args.limit - 1).saturating_mul(width));
            seq.candles(id, interval, Some(from), args.limit)
                .await?
                .candles
        }
    };
    let json = market_json(market, json!({ "interval": interval, "candles": candles }));
    if candles.is_empty() {
        return Ok(no_trades_yet(symbol, ", so no candles;", json));
    }
    let d = market.params.size_decimals;
    let price = |p: u64| format_price(u128::from(p));
    let rows: Vec<Vec<String>> = candles
        .iter()
        .map(|c| {
            vec![
                format_utc(c.open_ms),
                price(c.open),
                price(c.high),
                price(c.low),
                price(c.close),
                format_size_fixed(i128::from(c.volume), d),
                c.trades.to_string(),
            ]
        })
        .collect();
    let header = [
        "open time (UTC)",
        "open",
        "high",
        "low",
        "close",
        "volume",
        "trades",
    ];
    let text = format!(
        "{symbol} {interval} candles, oldest first (the last {} intervals to the latest trade; those without trades are left out)\n{}",
        args.limit,
        table::render(&header, &rows, 1)
    );
    Ok(Output { text, json })
}

#[cfg(test)]
mod tests {
    use super::newest;

    /// A sequencer's newest-first pages over `rows` ((seq, market), newest first): `limit`
    /// rows cut after the transaction that reaches it, with the next cursor.
    fn page(
        rows: &[(u64, u32)],
        before: Option<u64>,
        limit: u64,
    ) -> (Vec<(u64, u32)>, Option<u64>) {
        let rest: Vec<(u64, u32)> = rows
            .iter()
            .copied()
            .filter(|(seq, _)| before.is_none_or(|b| *seq < b))
            .collect();
        let limit = usize::try_from(limit).expect("small");
        if rest.len() <= limit {
            return (rest, None);
        }
        let last = rest[limit - 1].0;
        let end = limit + rest[limit..].iter().take_while(|r| r.0 == last).count();
        (rest[..end].to_vec(), (end < rest.len()).then_some(last))
    }

    /// (limit, only market, the seqs listed, the cursor).
    type Case = (u64, Option<u32>, &'static [u64], Option<u64>);

    #[tokio::test]
    async fn the_newest_whole_transactions_with_the_cursor_beyond_them() {
        // Seq 8 has three fills, seq 5 two; markets 1 and 2.
        let rows: &[(u64, u32)] = &[
            (9, 1),
            (8, 2),
            (8, 2),
            (8, 2),
            (7, 1),
            (5, 1),
            (5, 1),
            (2, 2),
        ];
        let table: [Case; 9] = [
            (1, None, &[9], Some(9)),
            (2, None, &[9, 8, 8, 8], Some(8)),
            (4, None, &[9, 8, 8, 8], Some(8)),
            (5, None, &[9, 8, 8, 8, 7], Some(7)),
            (8, None, &[9, 8, 8, 8, 7, 5, 5, 2], None),
            (50, None, &[9, 8, 8, 8, 7, 5, 5, 2], None),
            (3, Some(1), &[9, 7, 5, 5], Some(5)),
            (2, Some(2), &[8, 8, 8], Some(8)),
            (4, Some(2), &[8, 8, 8, 2], None),
        ];
        for (limit, only, seqs, cursor) in table {
            let (got, next) = newest(
                limit,
                only.is_some(),
                |before, size| async move { Ok(page(rows, before, size.min(2))) },
                |r: &(u64, u32)| only.is_none_or(|m| r.1 == m),
                |r| r.0,
            )
            .await
            .expect("pages");
            let got: Vec<u64> = got.iter().map(|r| r.0).collect();
            assert_eq!(
                (got.as_slice(), next),
                (seqs, cursor),
                "limit {limit}, market {only:?}"
            );
        }
    }
}
