//! The fuzz targets of every decoder that reads bytes a stranger (or a damaged disk) can
//! hand us: the wire JSON of a signed action (`POST /v1/tx`), the batch encoding (posted
//! data, `Batch::decode`), the witness encoding (`Tree::from_witness_bytes`), a fraud proof
//! as the settlement layer receives it (`ChallengeCall` JSON, then the ruling), a genesis
//! file, and the sequencer's journal (log records and snapshot blobs).
//!
//! Each target must never panic on any input; where it decodes, it also checks that the
//! value survives its own encoding (so a decoder that accepts bytes its encoder would
//! never write, or loses a field, is found too). The bodies live here, in a library, so
//! that `cargo test` runs them over a seed corpus and its mutations in CI, and the
//! coverage-guided libFuzzer binaries (`fuzz_targets/`, behind the `libfuzzer` feature;
//! README "Reliability") are one line each.

mod fixture;
pub mod mutate;

use protocol::action::{SignedAction, Tx};
use protocol::api::settlement::ChallengeCall;
use protocol::batch::Batch;
use protocol::codec::{Decode, Encode};
use protocol::fraud::{self, Verdict};
use protocol::genesis::Genesis;
use protocol::tree::Tree;
use sequencer::journal::record::LogRecord;
use sequencer::journal::snapshot;

pub use fixture::Fixture;

/// One decoder under test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decoder {
    /// `POST /v1/tx`'s body: JSON to `SignedAction`, then its canonical bytes.
    Action,
    /// Posted batch data: `Batch::decode`, then the shape check.
    Batch,
    /// `Tree::from_witness_bytes`: the one encoding of a (pruned) tree.
    Witness,
    /// `POST /v1/challenge`'s body, then the adjudicator's ruling on a held batch.
    FraudProof,
    /// A genesis file: JSON, validation, the genesis state.
    Genesis,
    /// The sequencer's journal: the first byte picks a log record (even) or a snapshot
    /// blob (odd); the rest is decoded.
    Journal,
}

impl Decoder {
    pub const ALL: [Decoder; 6] = [
        Decoder::Action,
        Decoder::Batch,
        Decoder::Witness,
        Decoder::FraudProof,
        Decoder::Genesis,
        Decoder::Journal,
    ];

    /// The target's name: its `fuzz_targets/<name>.rs` binary and corpus directory.
    pub fn name(self) -> &'static str {
        match self {
            Decoder::Action => "action",
            Decoder::Batch => "batch",
            Decoder::Witness => "witness",
            Decoder::FraudProof => "fraud_proof",
            Decoder::Genesis => "genesis",
            Decoder::Journal => "journal",
        }
    }

    /// Runs the decoder on `data`; panics only on a bug (that is what the fuzzer looks for).
    pub fn run(self, data: &[u8]) {
        match self {
            Decoder::Action => action(data),
            Decoder::Batch => batch(data),
            Decoder::Witness => witness(data),
            Decoder::FraudProof => fraud_proof(data),
            Decoder::Genesis => genesis(data),
            Decoder::Journal => journal(data),
        }
    }

    /// Valid inputs to start from (the seed corpus).
    pub fn seeds(self) -> Vec<Vec<u8>> {
        Fixture::get().seeds(self)
    }
}

/// `decode(encode(v)) == v` for a value of the canonical codec.
fn round_trips<T: Encode + Decode + PartialEq + std::fmt::Debug>(value: &T) {
    let again = T::decode(&value.encode()).expect("an encoded value decodes");
    assert_eq!(&again, value, "a value changed through its own encoding");
}

fn action(data: &[u8]) {
    let Ok(action) = serde_json::from_slice::<SignedAction>(data) else {
        return;
    };
    let json = serde_json::to_vec(&action).expect("a signed action serializes");
    let again: SignedAction = serde_json::from_slice(&json).expect("its own JSON parses");
    assert_eq!(again, action, "a signed action changed through its JSON");
    round_trips(&Tx::User { action });
}

fn batch(data: &[u8]) {
    let Ok(batch) = Batch::decode(data) else {
        return;
    };
    round_trips(&batch);
    let k = Fixture::get().genesis.checkpoint_interval_txs;
    if batch.check_shape(k).is_ok() {
        let _ = batch.header.hash();
    }
}

fn witness(data: &[u8]) {
    let Ok(tree) = Tree::from_witness_bytes(data) else {
        return;
    };
    let _ = tree.root();
    // The format has one encoding per tree (decoding rejects every other byte string).
    assert_eq!(tree.to_witness_bytes(), data, "a witness is not canonical");
}

fn fraud_proof(data: &[u8]) {
    let Ok(call) = serde_json::from_slice::<ChallengeCall>(data) else {
        return;
    };
    let fixture = Fixture::get();
    let upheld = fraud::adjudicate(&fixture.genesis, &fixture.bad_batch, &call.proof);
    let rejected = fraud::adjudicate(&fixture.genesis, &fixture.honest_batch, &call.proof);
    assert!(
        matches!(rejected, Verdict::Rejected { .. }),
        "a proof against an honest batch was upheld: {rejected:?}"
    );
    if let Verdict::Upheld(ruling) = upheld {
        assert_eq!(
            (ruling.computed_root, ruling.computed_receipts_root),
            fixture.honest_commitment(ruling.chunk),
            "an upheld proof computed other roots than honest execution"
        );
    }
}

fn genesis(data: &[u8]) {
    let Ok(genesis) = serde_json::from_slice::<Genesis>(data) else {
        return;
    };
    if genesis.validate().is_ok() {
        let _ = protocol::batch::genesis_tree(&genesis).root();
        let _ = genesis.hash();
    }
}

fn journal(data: &[u8]) {
    let Some((selector, rest)) = data.split_first() else {
        return;
    };
    if selector % 2 == 0 {
        if let Ok(record) = LogRecord::decode(rest) {
            round_trips(&record);
        }
    } else if let Ok(tree) = snapshot::decode(rest) {
        let again = snapshot::decode(&snapshot::encode(&tree)).expect("a snapshot decodes");
        assert_eq!(again.root(), tree.root(), "a snapshot changed its root");
    }
}
