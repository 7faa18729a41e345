//! `vigil exit status|claim`: the escape hatch from the command line. Once the settlement
//! layer has frozen the rollup (a forced message overdue, no batch for the freeze delay),
//! each account claims its equity at the exit root. The proof comes from whichever node
//! holds that root: the sequencer if it still answers, else any verifier (devnet.json's
//! or `--node`), so a claim needs nobody's cooperation.

use super::network::{Endpoints, manifest, signer};
use super::{Output, UsageError};
use crate::cli::{Cli, ExitCommand};
use crate::units::format_usdc_fixed;
use protocol::api::settlement::{ExitClaimCall, ExitPhase, ExitProof, ExitStatus};
use protocol::primitives::Address;
use serde_json::json;
use service_client::http::ServiceHttp;

pub async fn run(cli: &Cli, command: &ExitCommand) -> anyhow::Result<Output> {
    let endpoints = Endpoints::resolve(cli)?;
    let l1 = endpoints.l1();
    let exit = l1.exit().await?;
    match command {
        ExitCommand::Status => Ok(Output {
            text: describe(&exit),
            json: serde_json::to_value(&exit)?,
        }),
        ExitCommand::Claim {
            name,
            account,
            nodes,
        } => {
            let key = signer(cli, name)?;
            let account = account.unwrap_or(key.address);
            let Some(root) = exit.exit_root else {
                return Err(
                    UsageError(format!("exit claims are not open: {}", describe(&exit))).into(),
                );
            };
            let mut sources = vec![endpoints.sequencer_url.clone()];
            sources.extend(nodes.iter().cloned());
            if let Some(m) = manifest(cli)? {
                sources.extend(m.verifier_urls);
            }
            let proof = fetch_proof(&sources, &account, root).await?;
            let call = l1
                .sign(
                    &key.signing_key,
                    ExitClaimCall {
                        account,
                        witness: proof.witness.clone(),
                    },
                )
                .await?;
            let claimed = l1.submit(&call).await?;
            let paid = match claimed.paid {
                Some(paid) => format!("paid {} USDC", format_usdc_fixed(paid)),
                None => format!(
                    "registered; paid after block {}",
                    exit.claim_deadline_block.unwrap_or_default()
                ),
            };
            Ok(Output {
                text: format!(
                    "exit claim for {account}: equity {} USDC at {} (root {root}), owed {} USDC, {paid}",
                    format_usdc_fixed(i128::from(claimed.equity)),
                    proof
                        .batch_index
                        .map_or("genesis".to_string(), |i| format!("batch {i}")),
                    format_usdc_fixed(claimed.owed),
                ),
                json: json!({"claim": claimed, "proof_batch_index": proof.batch_index, "exit_root": root}),
            })
        }
    }
}

/// The first proof for `account` at `root` among `sources`, trying each in turn; the error
/// names what every node answered.
async fn fetch_proof(
    sources: &[String],
    account: &Address,
    root: protocol::primitives::H256,
) -> anyhow::Result<ExitProof> {
    let mut tried = Vec::new();
    for url in sources {
        let node = ServiceHttp::new("node", url);
        match node
            .get::<ExitProof>(&format!("/v1/exit/proof/{account}"))
            .await
        {
            Ok(proof) if proof.state_root == root => return Ok(proof),
            Ok(proof) => tried.push(format!(
                "{url}: holds root {} (batch {:?}), not the exit root",
                proof.state_root, proof.batch_index
            )),
            Err(e) => tried.push(format!("{url}: {e}")),
        }
    }
    anyhow::bail!(
        "no node served a proof at the exit root {root}; tried: {}. Pass a verifier with --node URL",
        tried.join("; ")
    )
}

/// One line (or a few) about where exit mode stands.
fn describe(exit: &ExitStatus) -> String {
    match exit.phase {
        ExitPhase::Live => match exit.freezes_at_block {
            Some(at) => format!(
                "live; a queue message is waiting: the rollup freezes at block {at} unless a batch includes it"
            ),
            None => "live; nothing is overdue".to_string(),
        },
        ExitPhase::Frozen => format!(
            "frozen at block {} (queue message {} overdue); claims open once no batch is pending",
            exit.frozen_block.unwrap_or_default(),
            exit.overdue_queue_index.unwrap_or_default()
        ),
        ExitPhase::Claiming | ExitPhase::Paid => format!(
            "{} since block {}: claims valued at {} (root {}); {} claims owed {} USDC{}; {} deposits refunded ({} USDC)",
            if exit.phase == ExitPhase::Paid {
                "paid"
            } else {
                "claiming"
            },
            exit.opened_block.unwrap_or_default(),
            exit.exit_batch_index
                .map_or("genesis".to_string(), |i| format!("batch {i}")),
            exit.exit_root.unwrap_or_default(),
            exit.claims,
            format_usdc_fixed(exit.owed_total),
            match exit.paid_block {
                Some(b) => format!(
                    ", paid {} USDC at block {b}",
                    format_usdc_fixed(exit.paid_total)
                ),
                None => format!(
                    ", registered until block {}",
                    exit.claim_deadline_block.unwrap_or_default()
                ),
            },
            exit.refunded_deposits,
            format_usdc_fixed(exit.refunded_amount)
        ),
    }
}
