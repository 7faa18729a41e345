//! `vigil withdraw|withdrawal`: a withdrawal's one status line (pending → in batch →
//! challenge window with blocks remaining and ETA → claimable → claimed), read from the
//! sequencer's `/v1/withdrawals/{id}`. `--wait` keeps the line updated (on standard error,
//! so standard output stays the final answer) until the withdrawal is claimable.

use super::market::{expires_in, fresh_nonce};
use super::network::{Endpoints, signer};
use super::{Output, UsageError};
use crate::cli::{Cli, WithdrawArgs, WithdrawalArgs};
use crate::sequencer::SequencerClient;
use crate::units::format_usdc_fixed;
use protocol::action::{Action, Withdraw};
use protocol::api::sequencer::{WithdrawalStatus, WithdrawalView};
use std::io::{IsTerminal as _, Write as _};
use std::time::{Duration, Instant};

/// How often `--wait` re-reads the status.
const POLL_INTERVAL: Duration = Duration::from_millis(250);

pub async fn withdraw(cli: &Cli, args: &WithdrawArgs) -> anyhow::Result<Output> {
    if args.amount == 0 {
        return Err(UsageError("the amount must be positive".into()).into());
    }
    let endpoints = Endpoints::resolve(cli)?;
    let key = signer(cli, &args.signer.name)?;
    let seq = endpoints.sequencer();
    let action = Action::Withdraw(Withdraw {
        account: key.address,
        amount: args.amount,
        nonce: fresh_nonce(),
        expires_at: expires_in(args.expires_in_secs),
    });
    let accepted = match endpoints.sign_and_submit(&key, action).await {
        Ok(accepted) => accepted,
        Err(e) => return Err(with_withdrawable(&seq, &key, e).await),
    };
    let id = accepted.receipt.withdrawal_id.ok_or_else(|| {
        anyhow::anyhow!(
            "the sequencer accepted the withdrawal (tx {}) without a withdrawal id",
            accepted.hash
        )
    })?;
    let claimer = Some(key.name.as_str());
    let timeout = Duration::from_secs(args.timeout_secs);
    let view = if args.wait {
        wait_claimable(cli, &seq, id, timeout, claimer).await?
    } else {
        seq.withdrawal(id).await?
    };
    let mut output = show(&view, claimer);
    output.json["seq"] = accepted.seq.into();
    Ok(output)
}

/// A withdrawal refused for collateral or margin, with what may be withdrawn now by every
/// rule at once (the figure `vigil account` shows): `insufficient_collateral` cites the
/// collateral only, not the margin the rest would also leave short (an
/// `insufficient_margin` refusal already names the figure).
async fn with_withdrawable(
    seq: &crate::sequencer::SequencerClient,
    key: &crate::keystore::StoredKey,
    error: anyhow::Error,
) -> anyhow::Error {
    let code = match error.downcast_ref() {
        Some(service_client::http::ServiceError::Api { code, .. })
            if code == "insufficient_collateral" =>
        {
            code.clone()
        }
        _ => return error,
    };
    let Ok(view) = seq.account(&key.address).await else {
        return error;
    };
    let available = super::risk::withdrawable(&view);
    let message = format!(
        "{error:#}; available to withdraw now: {} USDC (`vigil account --name {}`)",
        format_usdc_fixed(u64::try_from(available).unwrap_or(0)),
        key.name
    );
    super::Explained { message, code }.into()
}

pub async fn withdrawal(cli: &Cli, args: &WithdrawalArgs) -> anyhow::Result<Output> {
    let endpoints = Endpoints::resolve(cli)?;
    let view = endpoints.sequencer().withdrawal(args.id).await?;
    let claimer = super::network::key_name_for(cli, &view.account);
    let mut output = show(&view, claimer.as_deref());
    // A forced withdrawal also shows its path through the L1 queue.
    if let Some(entry) = forced_origin(&endpoints.l1(), &view.tx_hash).await? {
        let consumed = entry
            .consumed_by
            .map_or("not consumed yet".to_string(), |b| {
                format!("consumed by batch {b}")
            });
        output.text.push_str(&format!(
            "\nforced through L1: queue message {} (enqueued at block {}, deadline block {}), {consumed}",
            entry.index, entry.enqueued_block, entry.deadline_block
        ));
        output.json["forced"] = serde_json::json!({
            "queue_index": entry.index,
            "enqueued_block": entry.enqueued_block,
            "deadline_block": entry.deadline_block,
            "consumed_by": entry.consumed_by,
        });
    }
    Ok(output)
}

/// The L1 queue entry whose forced transaction has hash `tx_hash`, if any (the queue is
/// read in pages, at most 1,000 pages).
async fn forced_origin(
    l1: &service_client::SettlementClient,
    tx_hash: &protocol::primitives::H256,
) -> anyhow::Result<Option<protocol::api::settlement::QueueEntry>> {
    let mut from = 0;
    for _ in 0..1_000 {
        let page = l1.queue(from, 1_000).await?;
        for entry in &page.messages {
            let tx = protocol::action::Tx::L1 {
                queue_index: entry.index,
                message: entry.message.clone(),
            };
            if matches!(entry.message, protocol::action::L1Message::Forced { .. })
                && tx.hash() == *tx_hash
            {
                return Ok(Some(entry.clone()));
            }
        }
        match page.messages.last() {
            Some(last) if last.index + 1 < page.length => from = last.index + 1,
            _ => return Ok(None),
        }
    }
    Ok(None)
}

/// Re-reads the status until it is claimable (or claimed), updating one line on standard
/// error; an error after `timeout`.
async fn wait_claimable(
    cli: &Cli,
    seq: &SequencerClient,
    id: u64,
    timeout: Duration,
    claimer: Option<&str>,
) -> anyhow::Result<WithdrawalView> {
    let started = Instant::now();
    let live = !cli.json;
    let tty = std::io::stderr().is_terminal();
    let mut last_line = String::new();
    loop {
        let view = seq.withdrawal(id).await?;
        let done = matches!(
            view.status,
            WithdrawalStatus::Claimable { .. } | WithdrawalStatus::Claimed { .. }
        );
        let line = status_line(&view, claimer);
        if live && line != last_line && !done {
            let mut err = std::io::stderr().lock();
            let _ = if tty {
                write!(err, "\r\x1b[2K{line}")
            } else {
                writeln!(err, "{line}")
            };
            let _ = err.flush();
            last_line = line.clone();
        }
        if done {
            if live && tty && !last_line.is_empty() {
                eprint!("\r\x1b[2K");
            }
            return Ok(view);
        }
        if started.elapsed() >= timeout {
            if live && tty {
                eprintln!();
            }
            return Err(anyhow::anyhow!(
                "withdrawal {id} is not claimable after {} s; last status: {line}",
                timeout.as_secs()
            ));
        }
        tokio::time::sleep(POLL_INTERVAL).await;
    }
}

fn show(view: &WithdrawalView, claimer: Option<&str>) -> Output {
    Output {
        text: status_line(view, claimer),
        json: serde_json::to_value(view).expect("a withdrawal view serializes"),
    }
}

/// The one status line of a withdrawal; once claimable, the claim command to run, signed by
/// `claimer` (a key name `vigil` knows) when there is one.
pub fn status_line(view: &WithdrawalView, claimer: Option<&str>) -> String {
    let stage = match &view.status {
        WithdrawalStatus::Pending => {
            format!("pending (batch {} is still open)", view.batch_index)
        }
        WithdrawalStatus::InBatch => {
            format!("in batch {} (sealed, being posted)", view.batch_index)
        }
        WithdrawalStatus::ChallengeWindow {
            deadline_block,
            blocks_remaining,
            eta_ms,
        } => {
            let eta = eta_ms.map_or_else(
                || "ETA unknown (blocks are mined by hand)".to_string(),
                |ms| format!("ETA ~{}", human_duration(ms)),
            );
            format!(
                "challenge window: {blocks_remaining} blocks remaining (final after block {deadline_block}), {eta}"
            )
        }
        WithdrawalStatus::Claimable {
            proof_batch_index, ..
        } => {
            let name = claimer.map_or_else(
                || {
                    " --name <a key of yours: anyone may claim, the USDC goes to the account>"
                        .to_string()
                },
                |name| format!(" --name {name}"),
            );
            format!(
                "claimable (batch {proof_batch_index} is final): run `vigil l1 claim --withdrawal-id {}{name}`",
                view.withdrawal_id
            )
        }
        WithdrawalStatus::Claimed { claimed_block } => {
            format!("claimed on L1 in block {claimed_block}")
        }
    };
    format!(
        "withdrawal {}: {} USDC to {} — {stage}",
        view.withdrawal_id,
        format_usdc_fixed(view.amount),
        view.account
    )
}

/// "45 s", "3 min 20 s", "2 h 5 min".
fn human_duration(ms: u64) -> String {
    let secs = ms.div_ceil(1_000);
    match secs {
        0..60 => format!("{secs} s"),
        60..3_600 => format!("{} min {} s", secs / 60, secs % 60),
        _ => format!("{} h {} min", secs / 3_600, secs % 3_600 / 60),
    }
}
