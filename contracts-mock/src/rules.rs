//! The fixed context every ledger operation runs under: the configuration plus what is
//! derived from genesis once at startup (hash, anchor, genesis root, both EIP-712 domains).

use crate::config::Config;
use protocol::api::settlement::{SettlementParams, l1_domain_separator};
use protocol::batch::{self, genesis_anchor, genesis_tree};
use protocol::genesis::Genesis;
use protocol::primitives::H256;

/// Immutable for the life of the process; shared by the HTTP layer and the database thread.
#[derive(Debug, Clone)]
pub struct Rules {
    pub config: Config,
    pub genesis_hash: H256,
    /// `prev_header_hash` of batch 0.
    pub genesis_anchor: H256,
    /// `prev_state_root` of batch 0.
    pub genesis_root: H256,
    /// Domain of L1 calls ("Vigil Settlement").
    pub l1_domain: H256,
    /// Domain of L2 actions ("Vigil"), to check forced actions' signatures.
    pub l2_domain: H256,
    /// This database's identity (`schema::init`): two settlement layers with the same
    /// genesis differ in it, so nodes can tell which one their data dir follows.
    pub instance_id: H256,
}

impl Rules {
    /// Derives the genesis commitments (this executes genesis once: cheap).
    pub fn new(config: Config) -> Rules {
        let genesis = &config.genesis;
        Rules {
            genesis_hash: genesis.hash(),
            genesis_anchor: genesis_anchor(genesis),
            genesis_root: genesis_tree(genesis).root(),
            l1_domain: l1_domain_separator(genesis.chain_id, &genesis.verifying_contract),
            l2_domain: batch::domain_separator(genesis),
            instance_id: H256::ZERO,
            config,
        }
    }

    pub fn genesis(&self) -> &Genesis {
        &self.config.genesis
    }

    /// The numbers published in `GET /v1/status`.
    pub fn params(&self) -> SettlementParams {
        let c = &self.config;
        SettlementParams {
            chain_id: c.genesis.chain_id,
            verifying_contract: c.genesis.verifying_contract,
            genesis_hash: self.genesis_hash,
            instance_id: self.instance_id,
            domain_separator: self.l1_domain,
            checkpoint_interval_txs: c.genesis.checkpoint_interval_txs,
            challenge_window_blocks: c.challenge_window_blocks,
            force_inclusion_deadline_blocks: c.force_inclusion_deadline_blocks,
            min_sequencer_bond: c.min_sequencer_bond,
            min_challenger_bond: c.min_challenger_bond,
            slash_share_bps: c.slash_share_bps,
            max_timestamp_drift_ms: c.max_timestamp_drift_ms,
            block_time_ms: c.block_time_ms,
            faucet_max_amount: c.faucet_max_amount,
            freeze_delay_blocks: c.freeze_delay_blocks,
            exit_claim_period_blocks: c.exit_claim_period_blocks,
        }
    }
}
