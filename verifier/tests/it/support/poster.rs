//! A test-side batch poster standing in for the sequencer: funds the workload's traders on
//! L1, seals batches of workload transactions with the test `Sequencer` (honest, or with a
//! fault injected) and posts them with a bonded key; after an upheld proof it rewinds to the
//! last valid root and re-posts the reverted users' transactions honestly.

use super::node::{MIN_SEQUENCER_BOND, Node};
use super::sequencing::{Sealed, Sequencer};
use k256::ecdsa::SigningKey;
use protocol::action::Tx;
use protocol::api::settlement::{DepositCall, PostBatchResponse, QueueResponse};
use protocol::fault::Fault;
use protocol::workload::{Workload, dev_key};
use serde_json::Value;
use std::collections::BTreeMap;
use test_support::expect_ok;

pub const DEPOSIT: u64 = 100_000_000_000;

#[derive(Debug)]
pub struct Poster {
    pub key: SigningKey,
    pub seq: Sequencer,
    pub workload: Workload,
    /// The workload transactions of each live batch, to re-sequence after a revert.
    user_txs: BTreeMap<u64, Vec<Tx>>,
    /// Workload transactions sealed so far (re-posts not counted).
    pub actions: usize,
}

impl Poster {
    /// A chain to post on: the settlement layer started on the genesis of a seeded workload
    /// of `traders` (with a checkpoint every `checkpoint_interval_txs` transactions), and a
    /// poster over that workload, set up (bonded, traders funded).
    pub async fn chain(seed: u64, traders: usize, checkpoint_interval_txs: u32) -> (Node, Poster) {
        let mut workload = Workload::new(seed, traders);
        workload.genesis.checkpoint_interval_txs = checkpoint_interval_txs;
        let node = Node::start(&workload.genesis).await;
        let poster = Poster::new(workload);
        poster.setup(&node).await;
        (node, poster)
    }

    pub fn new(workload: Workload) -> Poster {
        Poster {
            key: dev_key("vigil-test-sequencer", 0, 0),
            seq: Sequencer::new(&workload.genesis),
            workload,
            user_txs: BTreeMap::new(),
            actions: 0,
        }
    }

    /// Bonds the sequencer key and deposits for every trader (one funder pays).
    pub async fn setup(&self, node: &Node) {
        node.fund_and_bond(&self.key, MIN_SEQUENCER_BOND, 0).await;
        let funder = dev_key("vigil-test-funder", 0, 0);
        let traders: Vec<_> = self.workload.traders.iter().map(|t| t.address).collect();
        node.faucet(
            &protocol::signing::address_of(&funder),
            DEPOSIT * traders.len() as u64,
        )
        .await;
        for account in traders {
            let call = DepositCall {
                account,
                amount: DEPOSIT,
            };
            let _: Value = expect_ok(node.call("/v1/deposit", &funder, call).await);
        }
    }

    /// Seals and posts the next batch: unconsumed queue messages, fresh prices, then
    /// `user` (re-posted) and `n` new workload transactions, at the L1 head's time.
    pub async fn post(
        &mut self,
        node: &Node,
        user: Vec<Tx>,
        n: usize,
        fault: Option<Fault>,
    ) -> Sealed {
        let now = node.status().await.block.timestamp_ms;
        let from = self.seq.tip().queue_end;
        let queue: QueueResponse = node.get(&format!("/v1/queue?from={from}&limit=1000")).await;
        let mut txs: Vec<Tx> = queue
            .messages
            .into_iter()
            .map(|m| Tx::L1 {
                queue_index: m.index,
                message: m.message,
            })
            .collect();
        txs.extend(self.workload.price_updates(now));
        let fresh: Vec<Tx> = (0..n).map(|_| self.workload.next_tx(now)).collect();
        self.actions += fresh.len();
        let users: Vec<Tx> = user.into_iter().chain(fresh).collect();
        txs.extend(users.iter().cloned());
        let sealed = self.seq.seal(txs, now, fault);
        let (status, body) = node.post_batch(&self.key, &sealed.batch).await;
        assert_eq!(
            status, 200,
            "posting batch {}: {body}",
            sealed.batch.header.index
        );
        let posted: PostBatchResponse = serde_json::from_value(body).expect("decodes");
        assert_eq!(posted.header_hash, sealed.batch.header.hash());
        self.user_txs.insert(sealed.batch.header.index, users);
        sealed
    }

    /// Posts the next batch of `n` new workload transactions.
    pub async fn post_next(&mut self, node: &Node, n: usize, fault: Option<Fault>) -> Sealed {
        self.post(node, Vec::new(), n, fault).await
    }

    /// Batch `index` and later were reverted: rewind, bond again (the bond was slashed),
    /// and re-post their users' transactions honestly, `per_batch` at a time.
    pub async fn repost_after_revert(&mut self, node: &Node, index: u64, per_batch: usize) {
        self.seq.rewind(index);
        let reverted: Vec<Tx> = self
            .user_txs
            .split_off(&index)
            .into_values()
            .flatten()
            .collect();
        node.fund_and_bond(&self.key, MIN_SEQUENCER_BOND, 0).await;
        for chunk in reverted.chunks(per_batch.max(1)) {
            self.post(node, chunk.to_vec(), 0, None).await;
            node.mine(1).await;
        }
    }
}
