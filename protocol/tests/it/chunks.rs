//! The one chunked executor (`batch::execute_chunks` / `ChunkExecutor`), table-driven:
//! chunk boundaries for K dividing and not dividing the transaction count, the empty
//! batch, receipts and roots equal to transaction-by-transaction execution, and supplied
//! signers (trusted as given, refused when their count does not match), and receipt proofs
//! against the header for every position, each falsification refused.

use protocol::action::Tx;
use protocol::batch::{
    Batch, ChunkExecutor, Draft, ReceiptProof, ReceiptProofError, Signer, domain_separator,
    execute_chunks, execute_tx, genesis_tree, verify_tx,
};
use protocol::engine::{BlockContext, Receipt};
use protocol::genesis::Genesis;
use protocol::signing::SignatureError;
use protocol::tree::Tree;
use protocol::workload::Workload;

const T0_MS: u64 = 1_700_000_000_000;
const CTX: BlockContext = BlockContext {
    timestamp_ms: T0_MS,
};

/// A genesis at checkpoint interval `k` and `n` transactions for it (deposits, prices,
/// then trading), so chunks mix kinds.
fn setup(seed: u64, k: u32, n: usize) -> (Genesis, Vec<Tx>) {
    let mut w = Workload::new(seed, 6);
    let mut txs = w.deposits(10_000_000_000);
    txs.extend(w.price_updates(T0_MS));
    while txs.len() < n {
        txs.push(w.next_tx(T0_MS));
    }
    txs.truncate(n);
    let mut genesis = w.genesis.clone();
    genesis.checkpoint_interval_txs = k;
    (genesis, txs)
}

/// Transaction by transaction with `execute_tx`: the receipts and the root after each.
fn serial(genesis: &Genesis, txs: &[Tx]) -> (Vec<Receipt>, Vec<Tree>) {
    let domain = domain_separator(genesis);
    let mut state = genesis_tree(genesis);
    let mut states = vec![state.clone()];
    let receipts = txs
        .iter()
        .map(|tx| {
            let r = execute_tx(&mut state, genesis, &domain, &CTX, tx).unwrap();
            states.push(state.clone());
            r
        })
        .collect();
    (receipts, states)
}

#[test]
fn chunks_cover_the_transactions_in_order_and_match_serial_execution() {
    // (tx count, K, the chunk ranges expected)
    type Row = (usize, u32, &'static [(usize, usize)]);
    let table: &[Row] = &[
        (0, 4, &[]),
        (1, 4, &[(0, 1)]),
        (4, 4, &[(0, 4)]),
        (5, 4, &[(0, 4), (4, 5)]),
        (12, 4, &[(0, 4), (4, 8), (8, 12)]),
        (13, 5, &[(0, 5), (5, 10), (10, 13)]),
        (3, 1, &[(0, 1), (1, 2), (2, 3)]),
        (7, 100, &[(0, 7)]),
    ];
    for (seed, &(n, k, expected)) in table.iter().enumerate() {
        let (genesis, txs) = setup(seed as u64, k, n);
        let (receipts, states) = serial(&genesis, &txs);
        let exec = ChunkExecutor::new(&genesis, &txs, CTX, None);
        assert_eq!(exec.chunk_count(), expected.len(), "n {n}, K {k}");
        let chunks: Vec<_> = exec
            .chunks(genesis_tree(&genesis))
            .map(Result::unwrap)
            .collect();
        let ranges: Vec<_> = chunks.iter().map(|c| (c.txs.start, c.txs.end)).collect();
        assert_eq!(ranges, expected, "n {n}, K {k}");
        for (j, c) in chunks.iter().enumerate() {
            assert_eq!(c.index, j);
            assert_eq!(c.pre_state.root(), states[c.txs.start].root(), "pre of {j}");
            assert_eq!(c.post_root, states[c.txs.end].root(), "post of {j}");
            assert_eq!(c.receipts, receipts[c.txs.clone()], "receipts of {j}");
        }
    }
}

#[test]
fn an_empty_batch_has_no_chunks_and_leaves_the_state() {
    let (genesis, _) = setup(1, 4, 0);
    let pre = genesis_tree(&genesis);
    let draft = Draft::first(&genesis, T0_MS);
    let batch = Batch::seal(draft, pre.root(), Vec::new(), Vec::new(), Vec::new());
    let mut chunks = execute_chunks(&pre, &genesis, &batch, None);
    assert!(chunks.next().is_none());
    assert_eq!(chunks.into_state().root(), pre.root());
}

/// Sealing with the transactions' known hashes (the sequencer's path) commits to exactly
/// what sealing by hashing them does: the same header, hence the same header hash.
#[test]
fn sealing_with_known_hashes_equals_sealing_by_hashing() {
    let (genesis, txs) = setup(3, 4, 23);
    let pre = genesis_tree(&genesis);
    let draft = Draft::first(&genesis, T0_MS);
    let (batch, _) = Batch::execute_and_seal(&mut pre.clone(), &genesis, draft, txs).unwrap();
    let hashes: Vec<_> = batch.txs.iter().map(Tx::hash).collect();
    let h = &batch.header;
    let args = || (batch.checkpoints.clone(), batch.receipt_roots.clone());
    let (checkpoints, receipt_roots) = args();
    let hashed = Batch::seal_hashed(
        h.draft(),
        h.prev_state_root,
        (batch.txs.clone(), &hashes),
        checkpoints,
        receipt_roots,
    );
    let (checkpoints, receipt_roots) = args();
    let resealed = Batch::seal(
        h.draft(),
        h.prev_state_root,
        batch.txs.clone(),
        checkpoints,
        receipt_roots,
    );
    assert_eq!(hashed.header, resealed.header);
    assert_eq!(hashed.header, batch.header);
    assert_eq!(hashed.header.hash(), batch.header.hash());
}

#[test]
fn supplied_signers_equal_to_recovery_change_nothing() {
    let (genesis, txs) = setup(2, 3, 20);
    let domain = domain_separator(&genesis);
    let signers: Vec<Signer> = txs
        .iter()
        .map(|tx| verify_tx(tx, &domain, &genesis.oracles))
        .collect();
    let run = |signers: Option<&[Signer]>| {
        let exec = ChunkExecutor::new(&genesis, &txs, CTX, signers);
        let chunks: Vec<_> = exec
            .chunks(genesis_tree(&genesis))
            .map(Result::unwrap)
            .collect();
        chunks
            .into_iter()
            .map(|c| (c.receipts, c.post_root))
            .collect::<Vec<_>>()
    };
    assert_eq!(run(Some(&signers)), run(None));
}

#[test]
fn supplied_signers_are_trusted_as_given() {
    // The executor does not re-check what the caller recovered: a refused signature given
    // for a valid transaction makes it a bad-signature receipt.
    let (genesis, txs) = setup(3, 4, 24);
    let domain = domain_separator(&genesis);
    let mut signers: Vec<Signer> = txs
        .iter()
        .map(|tx| verify_tx(tx, &domain, &genesis.oracles))
        .collect();
    let (honest, _) = serial(&genesis, &txs);
    let victim = (0..txs.len())
        .find(|&i| matches!(txs[i], Tx::User { .. }) && honest[i].status.is_ok())
        .expect("an accepted user transaction");
    signers[victim] = Err(SignatureError::HighS);
    let exec = ChunkExecutor::new(&genesis, &txs, CTX, Some(&signers));
    let receipts: Vec<Receipt> = exec
        .chunks(genesis_tree(&genesis))
        .flat_map(|c| c.unwrap().receipts)
        .collect();
    assert!(!receipts[victim].status.is_ok(), "{:?}", receipts[victim]);
    assert_eq!(receipts[..victim], honest[..victim]);
}

#[test]
#[should_panic(expected = "one recovered signer per transaction")]
fn a_signer_count_other_than_the_transaction_count_is_refused() {
    let (genesis, txs) = setup(4, 4, 6);
    let domain = domain_separator(&genesis);
    let signers: Vec<Signer> = txs[1..]
        .iter()
        .map(|tx| verify_tx(tx, &domain, &genesis.oracles))
        .collect();
    let _ = ChunkExecutor::new(&genesis, &txs, CTX, Some(&signers));
}

/// Every transaction's receipt is provable against the header for K dividing the count and
/// not; a changed receipt, a wrong position or another batch's header is refused.
#[test]
fn every_receipt_is_provable_against_the_header() {
    for (n, k) in [(1, 4), (8, 4), (13, 4), (13, 1), (30, 16)] {
        let (genesis, txs) = setup(3, k, n);
        let draft = Draft::first(&genesis, T0_MS);
        let mut tree = genesis_tree(&genesis);
        let (batch, receipts) = Batch::execute_and_seal(&mut tree, &genesis, draft, txs).unwrap();
        let k_usize = k as usize;
        for position in 0..n {
            let chunk = position / k_usize;
            let range = chunk * k_usize..((chunk + 1) * k_usize).min(n);
            let proof = ReceiptProof::build(&batch, k, position, &receipts[range]).unwrap();
            assert_eq!(
                proof.receipt, receipts[position],
                "n {n} k {k} at {position}"
            );
            assert_eq!(
                proof.verify(&batch.header),
                Ok(()),
                "n {n} k {k} at {position}"
            );

            let mut lie = proof.clone();
            lie.receipt.status = if lie.receipt.status.is_ok() {
                protocol::engine::Status::InsufficientMargin
            } else {
                protocol::engine::Status::Ok
            };
            lie.receipt_hash = lie.receipt.hash();
            assert!(matches!(
                lie.verify(&batch.header),
                Err(ReceiptProofError::ReceiptPath { .. })
            ));
            let mut other = batch.header.clone();
            other.index += 1;
            assert!(matches!(
                proof.verify(&other),
                Err(ReceiptProofError::WrongBatch { .. })
            ));
        }
        assert!(
            ReceiptProof::build(&batch, k, n, &[]).is_none(),
            "past the end"
        );
    }
}
