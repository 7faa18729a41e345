//! `vigil verify tx HASH`: trust nobody about what happened to a transaction. The genesis
//! and every live batch up to the transaction's come from the settlement layer (the genesis
//! checked against the hash it pins, each batch against its posted header hash); the chain
//! is re-executed from genesis with `protocol`'s own STF (`protocol::audit`), and the
//! receipt honest execution gives is compared with what the batch committed and with what
//! the sequencer reports. The sequencer is only asked where to look.

use super::network::Endpoints;
use super::{Output, UsageError, emit};
use crate::cli::{Cli, VerifyCommand};
use anyhow::Context as _;
use protocol::api::genesis::GenesisView;
use protocol::api::sequencer::{TxLookup, TxState};
use protocol::api::settlement::BatchStatus;
use protocol::audit::{ReceiptVerdict, check_receipt};
use protocol::batch::Batch;
use protocol::codec::Decode;
use protocol::engine::Receipt;
use protocol::genesis::Genesis;
use protocol::primitives::H256;
use serde_json::json;
use service_client::settlement::SettlementClient;

pub async fn run(cli: &Cli, command: &VerifyCommand) -> anyhow::Result<Output> {
    match command {
        VerifyCommand::Tx { hash, batch } => tx(cli, hash, *batch).await,
    }
}

async fn tx(cli: &Cli, hash: &H256, batch: Option<u64>) -> anyhow::Result<Output> {
    let endpoints = Endpoints::resolve(cli)?;
    let l1 = endpoints.l1();
    let genesis = pinned_genesis(&l1).await?;
    let reported = endpoints.sequencer().tx(hash).await.ok();
    let index = match (batch, &reported) {
        (Some(index), _) => index,
        (None, Some(lookup)) if lookup.state == TxState::Included => lookup.batch_index,
        (None, _) => {
            return Err(UsageError(format!(
                "the sequencer at {} does not report transaction {hash} as included; name its batch: `vigil verify tx {hash} --batch N`",
                endpoints.sequencer_url
            ))
            .into());
        }
    };
    let chain = live_chain(&l1, index).await?;
    let verdict = check_receipt(&genesis, &chain, hash).context("re-executing the posted chain")?;
    let reported = reported.filter(|r| r.state == TxState::Included && r.batch_index == index);
    let report = Report {
        hash: *hash,
        index,
        verdict,
        reported,
    };
    let output = Output {
        text: report.text(),
        json: report.json(),
    };
    if report.holds() {
        return Ok(output);
    }
    emit(&output.render(cli.json));
    anyhow::bail!("{}", report.summary())
}

/// The settlement layer's genesis, re-encoded and re-hashed here: it must be the genesis
/// whose hash the settlement layer pins for every batch.
async fn pinned_genesis(l1: &SettlementClient) -> anyhow::Result<Genesis> {
    let view = l1
        .genesis()
        .await
        .context("reading the settlement layer's genesis")?;
    let pinned = l1.status().await?.params.genesis_hash;
    let recomputed = GenesisView::of(&view.genesis);
    anyhow::ensure!(
        recomputed.hash == pinned && recomputed.canonical == view.canonical,
        "the settlement layer's genesis hashes to {}, but it pins {pinned}",
        recomputed.hash
    );
    Ok(view.genesis)
}

/// The live batches `0..=last` as posted, each decoded and checked against the header hash
/// the settlement layer recorded for it.
pub(crate) async fn live_chain(l1: &SettlementClient, last: u64) -> anyhow::Result<Vec<Batch>> {
    let mut chain = Vec::new();
    for index in 0..=last {
        let Some(posted) = l1.find_batch(index, true).await? else {
            anyhow::bail!(
                "the settlement layer has no batch {index}: batch {last} is not on the chain (`vigil watch` shows the live batches)"
            );
        };
        anyhow::ensure!(
            !matches!(posted.status, BatchStatus::Reverted { .. }),
            "batch {index} was reverted and not posted again yet; run the command once the chain has moved on"
        );
        let data = posted
            .data
            .context("the settlement layer sent no batch data")?;
        let batch =
            Batch::decode(&data).with_context(|| format!("batch {index} does not decode"))?;
        anyhow::ensure!(
            batch.header.hash() == posted.header_hash,
            "batch {index}'s data does not hash to the header hash the settlement layer recorded"
        );
        chain.push(batch);
    }
    Ok(chain)
}

/// What the check found, for people and scripts.
struct Report {
    hash: H256,
    index: u64,
    verdict: ReceiptVerdict,
    /// What the sequencer reports for the transaction in this batch, if it does.
    reported: Option<TxLookup>,
}

impl Report {
    /// The receipt honest execution gives, where re-execution got that far.
    fn honest(&self) -> Option<&Receipt> {
        match &self.verdict {
            ReceiptVerdict::Committed { proof } => Some(&proof.receipt),
            ReceiptVerdict::WrongCommitment { receipt, .. } => Some(receipt),
            _ => None,
        }
    }

    /// Whether the sequencer's receipt is the honest one (`None`: it reports none).
    fn reported_matches(&self) -> Option<bool> {
        let reported = self.reported.as_ref()?;
        Some(self.honest().map(Receipt::hash) == Some(reported.receipt.hash()))
    }

    fn holds(&self) -> bool {
        matches!(self.verdict, ReceiptVerdict::Committed { .. })
            && self.reported_matches() != Some(false)
    }

    fn summary(&self) -> String {
        let (hash, index) = (self.hash, self.index);
        match &self.verdict {
            ReceiptVerdict::Committed { .. } => format!(
                "the sequencer reports a receipt for {hash} that batch {index} did not commit"
            ),
            ReceiptVerdict::WrongCommitment { chunk, .. } => format!(
                "batch {index} commits a wrong checkpoint or receipt root at chunk {chunk}: it is fraudulent, and any verifier can prove it before its challenge window closes"
            ),
            ReceiptVerdict::EarlierBatchWrong { batch_index, chunk } => format!(
                "batch {batch_index}, before {hash}'s batch {index}, is fraudulent at chunk {chunk}: nothing after it can be checked until it is reverted"
            ),
            ReceiptVerdict::NotInBatch { .. } => {
                format!("transaction {hash} is not in the posted batch {index}")
            }
        }
    }

    fn text(&self) -> String {
        let mut lines = vec![format!(
            "transaction {} in batch {}: re-executed from genesis with the settlement layer's data",
            self.hash, self.index
        )];
        match &self.verdict {
            ReceiptVerdict::Committed { proof } => {
                lines.push(format!(
                    "  committed: position {} (chunk {}), status {}; receipt hash {} proven against the header's receipts_root",
                    proof.position,
                    proof.chunk,
                    proof.receipt.status.code(),
                    proof.receipt_hash
                ));
            }
            ReceiptVerdict::WrongCommitment {
                chunk,
                claimed_root,
                computed_root,
                claimed_receipts_root,
                computed_receipts_root,
                receipt,
                ..
            } => {
                lines.push(format!("  WRONG: chunk {chunk} commits root {claimed_root} and receipts root {claimed_receipts_root}"));
                lines.push(format!(
                    "         honest execution gives {computed_root} and {computed_receipts_root}"
                ));
                lines.push(format!(
                    "  the honest receipt: status {}",
                    receipt.status.code()
                ));
            }
            _ => lines.push(format!("  {}", self.summary())),
        }
        match (&self.reported, self.reported_matches()) {
            (Some(r), Some(true)) => lines.push(format!(
                "  the sequencer reports the same receipt (status {})",
                r.receipt.status.code()
            )),
            (Some(r), _) => lines.push(format!(
                "  MISMATCH: the sequencer reports status {} (receipt hash {}), not what the batch committed",
                r.receipt.status.code(),
                r.receipt.hash()
            )),
            (None, _) => lines.push("  the sequencer reports no receipt for it in this batch".into()),
        }
        lines.join("\n")
    }

    fn json(&self) -> serde_json::Value {
        json!({
            "tx_hash": self.hash,
            "batch_index": self.index,
            "ok": self.holds(),
            "check": self.verdict,
            "reported_receipt": self.reported.as_ref().map(|r| &r.receipt),
            "reported_receipt_hash": self.reported.as_ref().map(|r| r.receipt.hash()),
            "reported_matches": self.reported_matches(),
        })
    }
}
