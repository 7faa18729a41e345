//! An honest test-side rollup: builds real batches with `protocol` (execute, seal), keeps
//! the honest state, and makes dishonest variants for the fraud tests.

use k256::ecdsa::SigningKey;
use protocol::action::{Action, L1Message, Tx, Withdraw};
use protocol::batch::{
    Batch, Draft, domain_separator, execute_batch, genesis_anchor, genesis_tree,
};
use protocol::genesis::Genesis;
use protocol::primitives::{Address, H256, keccak256};
use protocol::signing::sign_action;
use protocol::tree::Tree;

#[derive(Debug, Clone)]
pub struct Rollup {
    pub genesis: Genesis,
    /// The honest state at the tip.
    pub tree: Tree,
    pub prev_hash: H256,
    pub next_index: u64,
    pub queue_next: u64,
}

impl Rollup {
    pub fn new(genesis: &Genesis) -> Rollup {
        Rollup {
            genesis: genesis.clone(),
            tree: genesis_tree(genesis),
            prev_hash: genesis_anchor(genesis),
            next_index: 0,
            queue_next: 0,
        }
    }

    /// The next honest batch at `timestamp_ms` and the state after it (the tip is unchanged).
    pub fn build(&self, timestamp_ms: u64, txs: Vec<Tx>) -> (Batch, Tree) {
        let draft = Draft {
            index: self.next_index,
            prev_header_hash: self.prev_hash,
            timestamp_ms,
            queue_start: self.queue_next,
        };
        let mut post = self.tree.clone();
        let (batch, _) = Batch::execute_and_seal(&mut post, &self.genesis, draft, txs)
            .expect("a full tree executes");
        (batch, post)
    }

    /// Makes `batch` (built by `build`) the tip.
    pub fn advance(&mut self, batch: &Batch, post: Tree) {
        self.prev_hash = batch.header.hash();
        self.tree = post;
        self.next_index += 1;
        self.queue_next = batch.header.queue_end;
    }

    /// Builds the next honest batch and makes it the tip.
    pub fn next(&mut self, timestamp_ms: u64, txs: Vec<Tx>) -> Batch {
        let (batch, post) = self.build(timestamp_ms, txs);
        self.advance(&batch, post);
        batch
    }

    /// Extends the tip with `batch` whose checkpoints may be wrong: the honest state is
    /// what re-execution gives (as a verifier would track it).
    pub fn advance_over(&mut self, batch: &Batch) {
        let mut post = self.tree.clone();
        execute_batch(&mut post, &self.genesis, batch).expect("a full tree executes");
        self.prev_hash = batch.header.hash();
        self.tree = post;
        self.next_index += 1;
        self.queue_next = batch.header.queue_end;
    }
}

pub fn deposit_tx(queue_index: u64, account: Address, amount: u64) -> Tx {
    Tx::L1 {
        queue_index,
        message: L1Message::Deposit { account, amount },
    }
}

/// A signed L2 withdrawal of `amount` by `key`.
pub fn withdraw_tx(genesis: &Genesis, key: &SigningKey, amount: u64, nonce: u64) -> Tx {
    let action = Action::Withdraw(Withdraw {
        account: super::addr(key),
        amount,
        nonce,
        expires_at: u64::MAX / 2,
    });
    Tx::User {
        action: sign_action(key, action, &domain_separator(genesis)),
    }
}

/// `batch` with a wrong checkpoint at `chunk`, resealed so that every commitment is
/// consistent (a well-formed lie that only re-execution exposes).
pub fn tamper(batch: &Batch, chunk: usize) -> Batch {
    let mut checkpoints = batch.checkpoints.clone();
    checkpoints[chunk] = keccak256(format!("a lie about chunk {chunk}").as_bytes());
    let h = &batch.header;
    Batch::seal(
        h.draft(),
        h.prev_state_root,
        batch.txs.clone(),
        checkpoints,
        batch.receipt_roots.clone(),
    )
}
