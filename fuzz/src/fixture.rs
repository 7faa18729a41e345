//! The fixed world the targets decode against and seed from: a devnet genesis with a
//! checkpoint every 4 transactions, an honest two-chunk batch of real workload actions,
//! the same batch with its second checkpoint falsified, and the fraud proof against it.
//! Built once per process (deterministic: the workload's seed), so the fraud-proof target's
//! ruling needs no setup per input.

use crate::Decoder;
use protocol::action::Tx;
use protocol::api::settlement::ChallengeCall;
use protocol::batch::{Batch, Draft, genesis_tree};
use protocol::codec::Encode;
use protocol::fraud::{self, FraudProof};
use protocol::genesis::Genesis;
use protocol::primitives::H256;
use protocol::tree::Tree;
use protocol::workload::Workload;
use sequencer::journal::record::{Checkpoint, LogRecord, OpenRecord, SealRecord, TxRecord};
use sequencer::journal::snapshot;
use std::sync::OnceLock;

const SEED: u64 = 13;
const T0_MS: u64 = 1_700_000_000_000;
/// The checkpoint interval of the fixture's genesis: small, so a ruling re-executes little.
const K: u32 = 4;
/// The chunk whose checkpoint `bad_batch` falsifies.
const BAD_CHUNK: u32 = 1;

/// See the module documentation.
#[derive(Debug)]
pub struct Fixture {
    pub genesis: Genesis,
    pub honest_batch: Batch,
    pub bad_batch: Batch,
    /// The proof against `bad_batch`'s falsified chunk.
    pub proof: FraudProof,
    /// The signed user actions of the batch.
    users: Vec<Tx>,
    /// The state after the batch.
    post_state: Tree,
}

impl Fixture {
    pub fn get() -> &'static Fixture {
        static FIXTURE: OnceLock<Fixture> = OnceLock::new();
        FIXTURE.get_or_init(Fixture::build)
    }

    fn build() -> Fixture {
        let mut workload = Workload::new(SEED, 3).with_agents(SEED);
        workload.genesis.checkpoint_interval_txs = K;
        let genesis = workload.genesis.clone();
        let mut txs = workload.deposits(1_000_000_000_000);
        txs.extend(workload.price_updates(T0_MS));
        let users: Vec<Tx> = (0..3).map(|_| workload.next_tx(T0_MS)).collect();
        txs.extend(users.iter().cloned());
        let mut post_state = genesis_tree(&genesis);
        let (honest_batch, _) = Batch::execute_and_seal(
            &mut post_state,
            &genesis,
            Draft::first(&genesis, T0_MS),
            txs,
        )
        .expect("a full tree executes");
        let mut checkpoints = honest_batch.checkpoints.clone();
        checkpoints[BAD_CHUNK as usize] = H256([0xBA; 32]);
        let bad_batch = Batch::seal(
            honest_batch.header.draft(),
            honest_batch.header.prev_state_root,
            honest_batch.txs.clone(),
            checkpoints,
            honest_batch.receipt_roots.clone(),
        );
        let pre_state = Self::pre_state(&genesis, &honest_batch, BAD_CHUNK);
        let proof = fraud::build(&genesis, &bad_batch, BAD_CHUNK, &pre_state)
            .expect("the falsified chunk is provable");
        Fixture {
            genesis,
            honest_batch,
            bad_batch,
            proof,
            users,
            post_state,
        }
    }

    /// The honest state before `chunk` of `batch` (batch 0, on the genesis state).
    fn pre_state(genesis: &Genesis, batch: &Batch, chunk: u32) -> Tree {
        protocol::batch::execute_chunks(&genesis_tree(genesis), genesis, batch, None)
            .map(|c| c.expect("a full tree executes").pre_state)
            .nth(chunk as usize)
            .expect("the chunk exists")
    }

    /// The honest (state root, receipts root) after `chunk`.
    pub fn honest_commitment(&self, chunk: u32) -> (H256, H256) {
        self.honest_batch.chunk_commitment(chunk as usize)
    }

    pub(crate) fn seeds(&self, decoder: Decoder) -> Vec<Vec<u8>> {
        match decoder {
            Decoder::Action => self.action_seeds(),
            Decoder::Batch => vec![self.honest_batch.encode(), self.bad_batch.encode()],
            Decoder::Witness => vec![
                self.proof.witness.clone(),
                genesis_tree(&self.genesis).to_witness_bytes(),
                Tree::new().to_witness_bytes(),
            ],
            Decoder::FraudProof => self.proof_seeds(),
            Decoder::Genesis => vec![serde_json::to_vec_pretty(&self.genesis).expect("serializes")],
            Decoder::Journal => self.journal_seeds(),
        }
    }

    fn action_seeds(&self) -> Vec<Vec<u8>> {
        self.honest_batch
            .txs
            .iter()
            .filter_map(|tx| match tx {
                Tx::User { action } => Some(serde_json::to_vec(action).expect("serializes")),
                Tx::L1 { .. } => None,
            })
            .collect()
    }

    fn proof_seeds(&self) -> Vec<Vec<u8>> {
        let calls = [
            ChallengeCall {
                proof: self.proof.clone(),
                header_hash: None,
            },
            ChallengeCall {
                proof: FraudProof {
                    chunk: 0,
                    ..self.proof.clone()
                },
                header_hash: Some(self.bad_batch.header.hash()),
            },
        ];
        calls
            .iter()
            .map(|call| serde_json::to_vec(call).expect("serializes"))
            .collect()
    }

    fn journal_seeds(&self) -> Vec<Vec<u8>> {
        let header = &self.honest_batch.header;
        let checkpoint = Some(Checkpoint {
            reported_root: header.post_state_root,
            fault: None,
        });
        let records = [
            LogRecord::Open(OpenRecord {
                index: header.index,
                timestamp_ms: header.timestamp_ms,
                prev_header_hash: header.prev_header_hash,
                prev_state_root: header.prev_state_root,
                queue_start: header.queue_start,
            }),
            LogRecord::Tx(TxRecord {
                seq: 7,
                tx: self.users[0].clone(),
                checkpoint,
                rejected: false,
            }),
            LogRecord::Seal(SealRecord {
                index: header.index,
                header_hash: header.hash(),
                checkpoint,
            }),
            LogRecord::Revert { from_index: 3 },
        ];
        let mut seeds: Vec<Vec<u8>> = records
            .iter()
            .map(|record| [vec![0], record.encode()].concat())
            .collect();
        seeds.push([vec![1], snapshot::encode(&self.post_state)].concat());
        seeds
    }
}
