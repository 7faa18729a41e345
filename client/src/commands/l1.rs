//! `vigil l1 faucet|balance|deposit|claim|status`: the settlement layer from the command
//! line, amounts in USDC with human formatting. Signed calls use the account's next L1
//! nonce, read from the settlement layer just before signing. A claim given only its
//! withdrawal id is fetched from the sequencer (proof, batch, account, amount).

use super::network::{self, Endpoints, signer};
use super::{Output, UsageError};
use crate::cli::{AccountArg, ClaimArgs, Cli, L1Command};
use crate::keystore::{DEFAULT_KEY_NAME, StoredKey};
use crate::units::format_usdc_fixed;
use protocol::api::sequencer::WithdrawalStatus;
use protocol::api::settlement::{ClaimWithdrawalCall, DepositCall, FaucetRequest};
use protocol::primitives::{Address, parse_hex};
use serde_json::json;
use service_client::http::ServiceHttp;
use service_client::settlement::SettlementClient;

pub async fn run(cli: &Cli, command: &L1Command) -> anyhow::Result<Output> {
    let endpoints = Endpoints::resolve(cli)?;
    let l1 = SettlementClient::new(&endpoints.l1_url);
    match command {
        L1Command::Faucet { account, amount } => {
            let address = resolve(cli, account)?;
            let answer = l1
                .faucet(&FaucetRequest {
                    address,
                    amount: *amount,
                })
                .await?;
            Ok(Output {
                text: format!(
                    "minted {} USDC to {address}; L1 balance now {} USDC",
                    format_usdc_fixed(*amount),
                    format_usdc_fixed(answer.balance)
                ),
                json: json!({"address": address, "minted": amount, "balance": answer.balance}),
            })
        }
        L1Command::Balance { account } => {
            let address = resolve(cli, account)?;
            let account = l1.account(&address).await?;
            Ok(Output {
                text: format!(
                    "address  {address}\nbalance  {} USDC\nbond     {} USDC\nnonce    {}",
                    format_usdc_fixed(account.balance),
                    format_usdc_fixed(account.bond),
                    account.nonce
                ),
                json: serde_json::to_value(account)?,
            })
        }
        L1Command::Deposit { name, amount, to } => {
            let key = load(cli, name)?;
            let account = to.unwrap_or(key.address);
            let call = DepositCall {
                account,
                amount: *amount,
            };
            let signed = l1.sign(&key.signing_key, call).await?;
            let answer = l1.deposit(&signed).await?;
            Ok(Output {
                text: format!(
                    "deposited {} USDC from {} to L2 account {account}\nqueued as L1 message {} in block {}; the sequencer must include it by block {}",
                    format_usdc_fixed(*amount),
                    key.address,
                    answer.queue_index,
                    answer.block,
                    answer.deadline_block
                ),
                json: json!({
                    "from": key.address,
                    "account": account,
                    "amount": amount,
                    "l1_nonce": signed.nonce,
                    "queue_index": answer.queue_index,
                    "block": answer.block,
                    "deadline_block": answer.deadline_block,
                }),
            })
        }
        L1Command::Claim(args) => claim(cli, &endpoints, &l1, args).await,
        L1Command::Status => {
            let status = l1.status().await?;
            let tip = status
                .tip
                .index
                .map_or_else(|| "genesis".to_string(), |i| format!("batch {i}"));
            let finalized = status
                .finalized_index
                .map_or_else(|| "none".to_string(), |i| format!("batch {i}"));
            Ok(Output {
                text: format!(
                    "head block    {} ({} ms)\ntip           {tip} (root {})\nfinalized     {finalized}\npending       {} batches\nL1 queue      {} messages\nescrow        {} USDC\nconserved     {}",
                    status.block.number,
                    status.block.timestamp_ms,
                    status.tip.state_root,
                    status.pending_batches,
                    status.queue_length,
                    format_usdc_fixed(status.supply.escrow),
                    status.supply.conserved
                ),
                json: serde_json::to_value(status)?,
            })
        }
    }
}

async fn claim(
    cli: &Cli,
    endpoints: &Endpoints,
    l1: &SettlementClient,
    args: &ClaimArgs,
) -> anyhow::Result<Output> {
    let key = load(cli, &args.name)?;
    let call = match &args.claim_file {
        Some(path) => {
            let text = read_text(path.to_str().unwrap_or_default(), path)?;
            serde_json::from_str::<ClaimWithdrawalCall>(&text).map_err(|e| {
                UsageError(format!("claim file {} is not a claim: {e}", path.display()))
            })?
        }
        None if args.proof.is_none() => {
            let id = args
                .withdrawal_id
                .ok_or_else(|| UsageError("--withdrawal-id is required".into()))?;
            claim_from_nodes(cli, endpoints, id, &args.nodes).await?
        }
        None => {
            let missing = |flag: &str| UsageError(format!("{flag} is required with --proof"));
            let proof_arg = args.proof.as_deref().ok_or_else(|| missing("--proof"))?;
            ClaimWithdrawalCall {
                batch_index: args.batch.ok_or_else(|| missing("--batch"))?,
                withdrawal_id: args
                    .withdrawal_id
                    .ok_or_else(|| missing("--withdrawal-id"))?,
                account: args.account.unwrap_or(key.address),
                amount: args.amount.ok_or_else(|| missing("--amount"))?,
                proof: proof_bytes(proof_arg)?,
            }
        }
    };
    let signed = l1.sign(&key.signing_key, call).await?;
    let answer = l1.claim_withdrawal(&signed).await?;
    Ok(Output {
        text: format!(
            "claimed withdrawal {}: {} USDC paid to {} on L1 (block {})",
            answer.withdrawal_id,
            format_usdc_fixed(answer.amount),
            answer.account,
            answer.block
        ),
        json: serde_json::to_value(answer)?,
    })
}

/// The claim of withdrawal `id` as the sequencer serves it once the withdrawal is
/// claimable; before that, an error with its current status line.
/// The claim from the sequencer (whose status explains a withdrawal that is not claimable
/// yet) or, when it cannot serve one, from `nodes` and then devnet.json's verifiers
/// (`GET /v1/withdrawals/{id}/claim`), so a withdrawal is claimable without the sequencer.
async fn claim_from_nodes(
    cli: &Cli,
    endpoints: &Endpoints,
    id: u64,
    nodes: &[String],
) -> anyhow::Result<ClaimWithdrawalCall> {
    let from_sequencer = claim_from_sequencer(endpoints, id).await;
    let Err(sequencer_error) = from_sequencer else {
        return from_sequencer;
    };
    let mut sources = nodes.to_vec();
    if let Some(m) = network::manifest(cli)? {
        sources.extend(m.verifier_urls);
    }
    let mut tried = vec![format!("sequencer: {sequencer_error}")];
    for url in sources {
        let node = ServiceHttp::new("node", &url);
        match node
            .get::<ClaimWithdrawalCall>(&format!("/v1/withdrawals/{id}/claim"))
            .await
        {
            Ok(claim) => return Ok(claim),
            Err(e) => tried.push(format!("{url}: {e}")),
        }
    }
    Err(anyhow::anyhow!(
        "no node could serve withdrawal {id}'s claim; {}",
        tried.join("; ")
    ))
}

async fn claim_from_sequencer(
    endpoints: &Endpoints,
    id: u64,
) -> anyhow::Result<ClaimWithdrawalCall> {
    let view = endpoints.sequencer().withdrawal(id).await?;
    match &view.status {
        WithdrawalStatus::Claimable {
            proof_batch_index,
            proof,
        } => Ok(ClaimWithdrawalCall {
            batch_index: *proof_batch_index,
            withdrawal_id: view.withdrawal_id,
            account: view.account,
            amount: view.amount,
            proof: proof.clone(),
        }),
        WithdrawalStatus::Claimed { claimed_block } => Err(anyhow::anyhow!(
            "withdrawal {} was already claimed on L1 in block {claimed_block}: its {} USDC went to {}, nothing is left to claim",
            view.withdrawal_id,
            format_usdc_fixed(view.amount),
            view.account
        )),
        _ => Err(anyhow::anyhow!(
            "not claimable yet: {}",
            super::withdraw::status_line(&view, None)
        )),
    }
}

/// `0x…` hex, or `@path` to a file holding that hex.
fn proof_bytes(arg: &str) -> Result<Vec<u8>, UsageError> {
    let text = match arg.strip_prefix('@') {
        Some(path) => read_text(path, std::path::Path::new(path))?,
        None => arg.to_string(),
    };
    parse_hex(text.trim()).map_err(|e| UsageError(format!("--proof is not 0x hex: {e}")))
}

/// A file's text, or standard input for `-`.
fn read_text(arg: &str, path: &std::path::Path) -> Result<String, UsageError> {
    if arg == "-" {
        return std::io::read_to_string(std::io::stdin())
            .map_err(|e| UsageError(format!("reading standard input: {e}")));
    }
    std::fs::read_to_string(path)
        .map_err(|e| UsageError(format!("reading {}: {e}", path.display())))
}

fn load(cli: &Cli, name: &str) -> anyhow::Result<StoredKey> {
    signer(cli, name)
}

/// The address an account argument names: `--address`, else the stored key's.
fn resolve(cli: &Cli, account: &AccountArg) -> anyhow::Result<Address> {
    match (&account.address, &account.name) {
        (Some(address), _) => Ok(*address),
        (None, name) => Ok(load(cli, name.as_deref().unwrap_or(DEFAULT_KEY_NAME))?.address),
    }
}
