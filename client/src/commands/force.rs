//! `vigil force withdraw|cancel-all|close|price`: censorship resistance. The signed L2
//! action is sent through the settlement layer's L1 queue (`POST /v1/force`, an L1 call
//! signed by the same key) instead of the sequencer's intake; the sequencer must include
//! it by the queue's deadline block or its next batch is refused (docs/spec/settlement.md).
//! `price` relays an oracle-signed `PriceUpdate` the same way, so a sequencer that stops
//! including prices cannot make a forced withdrawal fail as stale. With `--wait`, a forced
//! withdrawal or close waits (bounded) until the sequencer executes it and prints the
//! outcome; without it, the command that shows the outcome later (`vigil tx HASH`).

use super::market::{action_domain, expires_in, find, fresh_nonce, markets, now_ms, worst_price};
use super::network::{Endpoints, signer};
use super::trade::why_cancelled;
use super::{Output, UsageError, tx};
use crate::cli::{Cli, ForceCommand, ForceWait, SignerArg};
use crate::keystore::parse_private_key;
use crate::units::{format_price, format_size_fixed, format_usdc_fixed};
use k256::ecdsa::SigningKey;
use protocol::action::{Action, CancelAll, Order, PriceUpdate, TimeInForce, Withdraw};
use protocol::api::sequencer::{MarketInfo, TxLookup};
use protocol::api::settlement::ForceCall;
use protocol::genesis::devnet_oracle_key;
use protocol::primitives::H256;
use protocol::signing::sign_action;
use serde_json::json;
use std::time::Duration;

/// Forced actions wait in the L1 queue until a batch includes them, so their signatures
/// live longer than the sequencer path's: an hour.
const FORCED_EXPIRY_SECS: u64 = 3_600;

/// One forced action, built and described, before it is signed and queued.
struct Forced<'a> {
    /// Who signs the L1 call (and the action, unless `action_key` is set).
    signer: &'a SignerArg,
    action: Action,
    what: String,
    /// The key that signs the action when it is not the caller's (a relayed oracle price).
    action_key: Option<SigningKey>,
    wait: Option<ForceWait>,
    close: Option<Close>,
}

pub async fn run(cli: &Cli, command: &ForceCommand) -> anyhow::Result<Output> {
    let endpoints = Endpoints::resolve(cli)?;
    let forced = match command {
        ForceCommand::Withdraw {
            amount,
            wait,
            signer,
        } => withdraw(cli, *amount, *wait, signer)?,
        ForceCommand::CancelAll { signer } => cancel_all(cli, signer)?,
        ForceCommand::Close {
            market,
            slippage_bps,
            wait,
            signer,
        } => close(cli, &endpoints, market, *slippage_bps, *wait, signer).await?,
        ForceCommand::Price {
            market,
            price,
            oracle_key,
            signer,
        } => relay_price(&endpoints, market, *price, oracle_key.as_deref(), signer).await?,
    };
    let (mut output, hash, deadline_block) = queue(cli, &endpoints, &forced).await?;
    match forced.wait {
        Some(w) if w.wait => {
            let seq = endpoints.sequencer();
            let timeout = Duration::from_secs(w.timeout_secs);
            let lookup = tx::wait_executed(&seq, &hash, timeout, deadline_block).await?;
            let markets = markets(&seq).await?;
            executed(&mut output, &lookup, &markets, forced.close);
        }
        Some(_) => output.text.push_str(&format!(
            "\nits outcome once executed: `vigil tx {hash}` (or pass --wait)"
        )),
        None => {}
    }
    Ok(output)
}

fn withdraw<'a>(
    cli: &Cli,
    amount: u64,
    wait: ForceWait,
    signer_arg: &'a SignerArg,
) -> anyhow::Result<Forced<'a>> {
    if amount == 0 {
        return Err(UsageError("the amount must be positive".into()).into());
    }
    let key = signer(cli, &signer_arg.name)?;
    let action = Action::Withdraw(Withdraw {
        account: key.address,
        amount,
        nonce: fresh_nonce(),
        expires_at: expires_in(FORCED_EXPIRY_SECS),
    });
    Ok(Forced {
        signer: signer_arg,
        action,
        what: format!("withdrawal of {} USDC", format_usdc_fixed(amount)),
        action_key: None,
        wait: Some(wait),
        close: None,
    })
}

fn cancel_all<'a>(cli: &Cli, signer_arg: &'a SignerArg) -> anyhow::Result<Forced<'a>> {
    let key = signer(cli, &signer_arg.name)?;
    let action = Action::CancelAll(CancelAll {
        account: key.address,
        nonce: fresh_nonce(),
        expires_at: expires_in(FORCED_EXPIRY_SECS),
    });
    Ok(Forced {
        signer: signer_arg,
        action,
        what: "cancellation of all open orders".to_string(),
        action_key: None,
        wait: None,
        close: None,
    })
}

/// A reduce-only IOC order for the whole position in `market`, at the worst price
/// `slippage_bps` allows.
async fn close<'a>(
    cli: &Cli,
    endpoints: &Endpoints,
    market: &str,
    slippage_bps: Option<u32>,
    wait: ForceWait,
    signer_arg: &'a SignerArg,
) -> anyhow::Result<Forced<'a>> {
    let key = signer(cli, &signer_arg.name)?;
    let seq = endpoints.sequencer();
    let markets = markets(&seq).await?;
    let market = find(&markets, market)?;
    let id = market.params.id;
    let account = seq.account(&key.address).await?;
    let position = account
        .positions
        .iter()
        .find(|p| p.market == id && p.size != 0)
        .ok_or_else(|| {
            UsageError(format!(
                "{} has no position in {} to close",
                key.address, market.params.symbol
            ))
        })?;
    let is_buy = position.size < 0;
    let size = u64::try_from(position.size.unsigned_abs())
        .map_err(|_| anyhow::anyhow!("position size {} is out of range", position.size))?;
    // By default nine tenths of the band, not its edge: the mark moves between queueing
    // and inclusion, and a price at the old edge would then be refused price_outside_band.
    let default_bps = market.params.price_band_bps * 9 / 10;
    let price = worst_price(market, is_buy, Some(slippage_bps.unwrap_or(default_bps)))?;
    let nonce = fresh_nonce();
    let action = Action::Order(Order {
        account: key.address,
        market: id,
        is_buy,
        price,
        size,
        tif: TimeInForce::Ioc,
        reduce_only: true,
        nonce,
        expires_at: expires_in(FORCED_EXPIRY_SECS),
    });
    let what = format!(
        "close of {} {} (reduce-only IOC {} @ {}, order id {})",
        format_size_fixed(i128::from(size), market.params.size_decimals),
        market.params.symbol,
        if is_buy { "buy" } else { "sell" },
        format_price(u128::from(price)),
        super::table::order_id(nonce)
    );
    Ok(Forced {
        signer: signer_arg,
        action,
        what,
        action_key: None,
        wait: Some(wait),
        close: Some(Close { market: id, price }),
    })
}

/// An oracle-signed price update for `market`, relayed by the caller.
async fn relay_price<'a>(
    endpoints: &Endpoints,
    market: &str,
    price: u64,
    oracle_key: Option<&str>,
    signer_arg: &'a SignerArg,
) -> anyhow::Result<Forced<'a>> {
    let markets = markets(&endpoints.sequencer()).await?;
    let market = find(&markets, market)?;
    let update = PriceUpdate {
        market: market.params.id,
        price,
        timestamp_ms: now_ms(),
    };
    let what = format!(
        "oracle price {} for {}",
        format_price(u128::from(price)),
        market.params.symbol
    );
    let key = match oracle_key {
        Some(hex) => parse_private_key(hex)
            .map_err(|e| UsageError(format!("--oracle-key / VIGIL_ORACLE_KEY: {e}")))?,
        None => devnet_oracle_key(),
    };
    Ok(Forced {
        signer: signer_arg,
        action: Action::PriceUpdate(update),
        what,
        action_key: Some(key),
        wait: None,
        close: None,
    })
}

/// Signs `forced` and queues it on L1: what was queued (text and JSON), the hash of the
/// transaction it becomes, and the block by which the sequencer must include it.
async fn queue(
    cli: &Cli,
    endpoints: &Endpoints,
    forced: &Forced<'_>,
) -> anyhow::Result<(Output, H256, u64)> {
    let l1 = endpoints.l1();
    let key = signer(cli, &forced.signer.name)?;
    let domain = action_domain(&l1).await?;
    // Exits are signed by their account; a price by the oracle, relayed by the caller.
    let action_key = forced.action_key.as_ref().unwrap_or(&key.signing_key);
    let signed = sign_action(action_key, forced.action.clone(), &domain);
    let call = l1
        .sign(
            &key.signing_key,
            ForceCall {
                action: signed.clone(),
            },
        )
        .await?;
    let queued = l1.force(&call).await?;
    let hash = protocol::action::Tx::L1 {
        queue_index: queued.queue_index,
        message: protocol::action::L1Message::Forced {
            action: signed.clone(),
        },
    }
    .hash();
    let eta = deadline_eta(&l1, queued.deadline_block).await?;
    let eta_text = match eta {
        Some((secs, _)) => format!(" (about {secs} s from now)"),
        None => " (blocks are mined by hand on this chain)".to_string(),
    };
    let output = Output {
        text: format!(
            "forced {} for {}\nqueued as L1 message {} in block {}; the sequencer must include it by block {}{eta_text}\ntx        {hash}",
            forced.what, key.address, queued.queue_index, queued.block, queued.deadline_block
        ),
        json: json!({
            "account": key.address,
            "queue_index": queued.queue_index,
            "block": queued.block,
            "deadline_block": queued.deadline_block,
            "deadline_eta_secs": eta.map(|(secs, _)| secs),
            "deadline_eta_timestamp_ms": eta.map(|(_, at)| at),
            "tx_hash": hash,
            "action": signed,
        }),
    };
    Ok((output, hash, queued.deadline_block))
}

/// A forced close's market and worst price, to explain what it filled.
#[derive(Debug, Clone, Copy)]
struct Close {
    market: u32,
    price: u64,
}

/// Appends the executed action's outcome: the receipt, and for a withdrawal the command
/// that follows it, for a close why it filled nothing (or less than the position).
fn executed(output: &mut Output, lookup: &TxLookup, markets: &[MarketInfo], close: Option<Close>) {
    let shown = tx::render(lookup, markets, close.map(|c| c.market));
    output.text.push_str("\n\n");
    output.text.push_str(&shown.text);
    output.json["executed"] = shown.json;
    if let Some(id) = lookup.receipt.withdrawal_id {
        output.text.push_str(&format!(
            "\nfollow the withdrawal with `vigil withdrawal {id}`"
        ));
        output.json["withdrawal_id"] = id.into();
    }
    let why = close.and_then(|c| why_cancelled(&lookup.receipt, TimeInForce::Ioc, c.price, true));
    if let Some(why) = why {
        output.text.push_str(&format!("\nwhy       {why}"));
        output.json["cancelled_because"] = why.into();
    }
}

/// When block `deadline_block` ends, from the L1 head and block time: (seconds from now,
/// timestamp in ms). `None` on a chain whose blocks are mined by hand.
async fn deadline_eta(
    l1: &service_client::SettlementClient,
    deadline_block: u64,
) -> anyhow::Result<Option<(u64, u64)>> {
    let status = l1.status().await?;
    let Some(block_time_ms) = status.params.block_time_ms else {
        return Ok(None);
    };
    // The deadline block is the last one that may still leave the message out.
    let blocks = deadline_block
        .saturating_add(1)
        .saturating_sub(status.block.number);
    let wait_ms = blocks.saturating_mul(block_time_ms);
    Ok(Some((
        wait_ms.div_ceil(1_000),
        status.block.timestamp_ms.saturating_add(wait_ms),
    )))
}
