//! `vigil dead-man set|clear|show`: the dead-man's switch (PROTOCOL.md Part 4 §19). The
//! account's key signs ScheduleCancel, or with `--as ACCOUNT` an approved agent's key signs
//! AgentScheduleCancel; `show` reads `dead_man_at_ms` of `GET /v1/accounts/{a}`. A bot
//! runs `set --in 30s` every few seconds; if it stops, its orders are cancelled at the
//! first transaction 30 s after its last push.

use super::market::{expires_in, fresh_nonce, markets};
use super::network::{Endpoints, signer};
use super::trade::{acting_for, as_agent_words};
use super::views::address_of_arg;
use super::{Output, UsageError, receipt};
use crate::cli::{AccountArg, AgentFor, Cli, DeadManCommand, DeadManSetArgs, SignerArg};
use crate::units::format_utc;
use protocol::action::{Action, AgentScheduleCancel, DEAD_MAN_MIN_DELAY_MS, ScheduleCancel};
use serde_json::json;

/// Signature lifetime of a ScheduleCancel, in seconds.
const EXPIRY_SECS: u64 = 60;

pub async fn run(cli: &Cli, command: &DeadManCommand) -> anyhow::Result<Output> {
    match command {
        DeadManCommand::Set(args) => set(cli, args).await,
        DeadManCommand::Clear(args) => schedule(cli, &args.signer, &args.agent_for, 0).await,
        DeadManCommand::Show(arg) => show(cli, arg).await,
    }
}

async fn set(cli: &Cli, args: &DeadManSetArgs) -> anyhow::Result<Output> {
    let now = expires_in(0);
    let time = match (args.in_ms, args.at) {
        (Some(ahead), _) => now.saturating_add(ahead),
        (None, Some(at)) => at,
        (None, None) => return Err(UsageError("give --in DURATION or --at TIME".into()).into()),
    };
    let earliest = now.saturating_add(DEAD_MAN_MIN_DELAY_MS);
    if time < earliest {
        return Err(UsageError(format!(
            "the switch must be at least {} s ahead: {} is before {} (try --in 30s)",
            DEAD_MAN_MIN_DELAY_MS / 1_000,
            format_utc(time),
            format_utc(earliest)
        ))
        .into());
    }
    schedule(cli, &args.signer, &args.agent_for, time).await
}

/// Signs and submits the switch at `time` (0 clears it).
async fn schedule(
    cli: &Cli,
    signer_arg: &SignerArg,
    agent_for: &AgentFor,
    time: u64,
) -> anyhow::Result<Output> {
    let endpoints = Endpoints::resolve(cli)?;
    let key = signer(cli, &signer_arg.name)?;
    let (account, agent) = acting_for(key.address, agent_for);
    let switch = ScheduleCancel {
        account,
        time,
        nonce: fresh_nonce(),
        expires_at: expires_in(EXPIRY_SECS),
    };
    let action = match agent {
        Some(agent) => Action::AgentScheduleCancel(AgentScheduleCancel {
            agent,
            account,
            time: switch.time,
            nonce: switch.nonce,
            expires_at: switch.expires_at,
        }),
        None => Action::ScheduleCancel(switch),
    };
    let markets = markets(&endpoints.sequencer()).await?;
    let accepted = endpoints.sign_and_submit(&key, action).await?;
    let what = if time == 0 {
        format!("dead-man's switch of {account} cleared")
    } else {
        format!(
            "dead-man's switch of {account} set: every open order, trigger orders and TP/SL included, is cancelled at the first transaction at or after {} UTC ({time} ms) unless you set it again",
            format_utc(time)
        )
    };
    let headline = what + &as_agent_words(account, agent);
    let mut output = receipt::render(&headline, &accepted, &markets, None);
    output.json["account"] = json!(account);
    output.json["agent"] = json!(agent);
    output.json["dead_man_at_ms"] = json!((time != 0).then_some(time));
    Ok(output)
}

async fn show(cli: &Cli, arg: &AccountArg) -> anyhow::Result<Output> {
    let address = address_of_arg(cli, arg)?;
    let view = Endpoints::resolve(cli)?
        .sequencer()
        .account(&address)
        .await?;
    let text = match view.dead_man_at_ms {
        None => format!(
            "{address} has no dead-man's switch (set one with `vigil dead-man set --in 30s`)"
        ),
        Some(at) => format!(
            "{address}'s dead-man's switch: every open order, trigger orders and TP/SL included, is cancelled at the first transaction at or after {} UTC ({at} ms); {} open orders now",
            format_utc(at),
            view.open_orders.len()
        ),
    };
    Ok(Output {
        text,
        json: json!({"address": address, "dead_man_at_ms": view.dead_man_at_ms}),
    })
}
