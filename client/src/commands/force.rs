//! `vigil force withdraw|cancel-all|close|price`: censorship resistance. The signed L2
//! action is sent through the settlement layer's L1 queue (`POST /v1/force`, an L1 call
//! signed by the same key) instead of the sequencer's intake; the sequencer must include
//! it by the queue's deadline block or its next batch is refused (docs/spec/settlement.md).
//! `price` relays an oracle-signed `PriceUpdate` the same way, so a sequencer that stops
//! including prices cannot make a forced withdrawal fail as stale.

use super::market::{action_domain, expires_in, find, fresh_nonce, markets, now_ms, worst_price};
use super::network::{Endpoints, signer};
use super::{Output, UsageError};
use crate::cli::{Cli, ForceCommand};
use crate::keystore::parse_private_key;
use crate::units::{format_price, format_size, format_usdc};
use protocol::action::{Action, CancelAll, Order, PriceUpdate, TimeInForce, Withdraw};
use protocol::api::settlement::ForceCall;
use protocol::genesis::devnet_oracle_key;
use protocol::signing::sign_action;
use serde_json::json;

/// Forced actions wait in the L1 queue until a batch includes them, so their signatures
/// live longer than the sequencer path's: an hour.
const FORCED_EXPIRY_SECS: u64 = 3_600;

pub async fn run(cli: &Cli, command: &ForceCommand) -> anyhow::Result<Output> {
    let endpoints = Endpoints::resolve(cli)?;
    let l1 = endpoints.l1();
    let mut action_key = None;
    let (name, action, what) = match command {
        ForceCommand::Withdraw { amount, signer: s } => {
            if *amount == 0 {
                return Err(UsageError("the amount must be positive".into()).into());
            }
            let key = signer(cli, &s.name)?;
            let action = Action::Withdraw(Withdraw {
                account: key.address,
                amount: *amount,
                nonce: fresh_nonce(),
                expires_at: expires_in(FORCED_EXPIRY_SECS),
            });
            (
                s,
                action,
                format!("withdrawal of {} USDC", format_usdc(*amount)),
            )
        }
        ForceCommand::CancelAll { signer: s } => {
            let key = signer(cli, &s.name)?;
            let action = Action::CancelAll(CancelAll {
                account: key.address,
                nonce: fresh_nonce(),
                expires_at: expires_in(FORCED_EXPIRY_SECS),
            });
            (s, action, "cancellation of all open orders".to_string())
        }
        ForceCommand::Close {
            market,
            slippage_bps,
            signer: s,
        } => {
            let key = signer(cli, &s.name)?;
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
            let price = worst_price(market, is_buy, *slippage_bps)?;
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
                "close of {} {} (reduce-only IOC {} @ {}, order {nonce})",
                format_size(size, market.params.size_decimals),
                market.params.symbol,
                if is_buy { "buy" } else { "sell" },
                format_price(u128::from(price))
            );
            (s, action, what)
        }
        ForceCommand::Price {
            market,
            price,
            oracle_key,
            signer: s,
        } => {
            let markets = markets(&endpoints.sequencer()).await?;
            let market = find(&markets, market)?;
            let update = PriceUpdate {
                market: market.params.id,
                price: *price,
                timestamp_ms: now_ms(),
            };
            let what = format!(
                "oracle price {} for {}",
                format_price(u128::from(*price)),
                market.params.symbol
            );
            let key = match oracle_key {
                Some(hex) => parse_private_key(hex)
                    .map_err(|e| UsageError(format!("--oracle-key / VIGIL_ORACLE_KEY: {e}")))?,
                None => devnet_oracle_key(),
            };
            action_key = Some(key);
            (s, Action::PriceUpdate(update), what)
        }
    };
    let key = signer(cli, &name.name)?;
    let domain = action_domain(&l1).await?;
    // Exits are signed by their account; a price by the oracle, relayed by the caller.
    let signed = sign_action(
        action_key.as_ref().unwrap_or(&key.signing_key),
        action,
        &domain,
    );
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
    Ok(Output {
        text: format!(
            "forced {what} for {}\nqueued as L1 message {} in block {}; the sequencer must include it by block {}{eta_text}\ntx        {hash}",
            key.address, queued.queue_index, queued.block, queued.deadline_block
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
    })
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
