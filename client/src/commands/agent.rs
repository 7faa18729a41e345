//! `vigil agent approve|revoke|list`: trade-only agent keys (PROTOCOL.md Part 4 §18). The
//! account's own key signs ApproveAgent / RevokeAgent; `list` reads
//! `GET /v1/accounts/{a}/agents`. Trading as an agent is `--as ACCOUNT` on `vigil order`,
//! `cancel` and `cancel-all` (`trade.rs`).

use super::market::{expires_in, fresh_nonce, markets};
use super::network::{Endpoints, signer};
use super::views::address_of_arg;
use super::{Output, UsageError, receipt, table};
use crate::cli::{AccountArg, AgentApproveArgs, AgentCommand, AgentRevokeArgs, Cli};
use crate::units::format_utc;
use protocol::action::{Action, ApproveAgent, MAX_AGENT_NAME_BYTES, RevokeAgent};
use protocol::engine::view::AgentView;
use serde_json::json;

/// Signature lifetime of approvals and revocations, in seconds.
const EXPIRY_SECS: u64 = 300;

pub async fn run(cli: &Cli, command: &AgentCommand) -> anyhow::Result<Output> {
    match command {
        AgentCommand::Approve(args) => approve(cli, args).await,
        AgentCommand::Revoke(args) => revoke(cli, args).await,
        AgentCommand::List(arg) => list(cli, arg).await,
    }
}

async fn approve(cli: &Cli, args: &AgentApproveArgs) -> anyhow::Result<Output> {
    if args.agent_name.len() > MAX_AGENT_NAME_BYTES {
        return Err(UsageError(format!(
            "--agent-name is {} bytes; at most {MAX_AGENT_NAME_BYTES} (UTF-8)",
            args.agent_name.len()
        ))
        .into());
    }
    let endpoints = Endpoints::resolve(cli)?;
    let key = signer(cli, &args.signer.name)?;
    let valid_until = args
        .valid_for
        .map_or(0, |ms| expires_in(0).saturating_add(ms));
    let action = Action::ApproveAgent(ApproveAgent {
        account: key.address,
        agent: args.agent,
        name: args.agent_name.clone(),
        valid_until,
        nonce: fresh_nonce(),
        expires_at: expires_in(EXPIRY_SECS),
    });
    let markets = markets(&endpoints.sequencer()).await?;
    let accepted = endpoints.sign_and_submit(&key, action).await?;
    let headline = format!(
        "agent {} approved for {} ({}): it may place and cancel orders, never withdraw",
        args.agent,
        key.address,
        until(valid_until)
    );
    let mut output = receipt::render(&headline, &accepted, &markets, None);
    output.json["account"] = json!(key.address);
    output.json["agent"] = json!(args.agent);
    output.json["valid_until"] = json!(valid_until);
    Ok(output)
}

async fn revoke(cli: &Cli, args: &AgentRevokeArgs) -> anyhow::Result<Output> {
    let endpoints = Endpoints::resolve(cli)?;
    let key = signer(cli, &args.signer.name)?;
    let action = Action::RevokeAgent(RevokeAgent {
        account: key.address,
        agent: args.agent,
        nonce: fresh_nonce(),
        expires_at: expires_in(EXPIRY_SECS),
    });
    let markets = markets(&endpoints.sequencer()).await?;
    let accepted = endpoints.sign_and_submit(&key, action).await?;
    let headline = format!("agent {} revoked for {}", args.agent, key.address);
    let mut output = receipt::render(&headline, &accepted, &markets, None);
    output.json["account"] = json!(key.address);
    output.json["agent"] = json!(args.agent);
    Ok(output)
}

async fn list(cli: &Cli, arg: &AccountArg) -> anyhow::Result<Output> {
    let address = address_of_arg(cli, arg)?;
    let view = Endpoints::resolve(cli)?
        .sequencer()
        .agents(&address)
        .await?;
    let text = if view.agents.is_empty() {
        format!("{address} has no agents (approve one with `vigil agent approve ADDRESS`)")
    } else {
        let rows: Vec<Vec<String>> = view.agents.iter().map(row).collect();
        let header = ["agent", "name", "valid until", "active"];
        format!("agents of {address}\n{}", table::render(&header, &rows, 2))
    };
    Ok(Output {
        text,
        json: serde_json::to_value(&view)?,
    })
}

fn row(agent: &AgentView) -> Vec<String> {
    vec![
        agent.agent.to_string(),
        agent.name.clone(),
        until(agent.valid_until),
        if agent.active { "yes" } else { "no (expired)" }.to_string(),
    ]
}

/// "until revoked" or "until 2026-12-06 07:00:00 UTC".
fn until(valid_until: u64) -> String {
    if valid_until == 0 {
        "until revoked".to_string()
    } else {
        format!("until {}", format_utc(valid_until))
    }
}
