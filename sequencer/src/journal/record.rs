//! The records of the sequencer's log: everything replay needs to rebuild the exact state,
//! in the order it happened. The executor's decisions (when a batch opened and at which
//! timestamp, which transactions it accepted, where a fault was injected, when it sealed,
//! which batches were reverted) are recorded; their outcomes (roots, receipts) are
//! recomputed on replay and checked against the recorded roots.
//!
//! Encoding (protocol codec rules: big-endian integers):
//! ```text
//! Open   = 1 ‖ index u64 ‖ timestamp_ms u64 ‖ prev_header_hash ‖ prev_state_root ‖ queue_start u64
//! Tx     = 2 ‖ seq u64 ‖ Tx ‖ checkpoint?
//! Seal   = 3 ‖ index u64 ‖ header_hash ‖ checkpoint?
//! Revert = 4 ‖ from_index u64
//! Kept   = 5 ‖ seq u64 ‖ Tx ‖ checkpoint?
//! checkpoint? = 0 | 1 ‖ reported_root ‖ fault u8 (0 none, else `Fault::code`: 1 wrong-root,
//!               2 mint, 3 bad-fill, 4 skip-liquidation-check)
//! ```
//! A `Tx` record carries the checkpoint of the chunk it completes; a `Seal` record carries
//! the checkpoint of a trailing partial chunk. `Kept` is a `Tx` record for a user
//! transaction included although the STF rejects it: this sequencer never sequences one,
//! but a batch another proposer posted (adopted, or rebuilt from L1 data) may hold one, and
//! the chain must replay it exactly.

use protocol::action::Tx;
use protocol::codec::{Decode, DecodeError, Encode, Reader, Writer};
use protocol::fault::Fault;
use protocol::primitives::H256;

/// The root committed after a chunk, and the fault injected there, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Checkpoint {
    /// The root put into the batch (differs from the state's root under `WrongRoot`).
    pub reported_root: H256,
    pub fault: Option<Fault>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenRecord {
    pub index: u64,
    pub timestamp_ms: u64,
    pub prev_header_hash: H256,
    pub prev_state_root: H256,
    pub queue_start: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TxRecord {
    pub seq: u64,
    pub tx: Tx,
    pub checkpoint: Option<Checkpoint>,
    /// A user transaction in the batch although rejected (only from another proposer's
    /// batch): encoded as kind 5, and replay checks it is still rejected.
    pub rejected: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealRecord {
    pub index: u64,
    pub header_hash: H256,
    pub checkpoint: Option<Checkpoint>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogRecord {
    Open(OpenRecord),
    Tx(TxRecord),
    Seal(SealRecord),
    /// Batches `from_index..` were reverted on the settlement layer; the state returned to
    /// the start of batch `from_index`.
    Revert {
        from_index: u64,
    },
}

impl LogRecord {
    /// The `kind` column: 1 open, 2 tx, 3 seal, 4 revert, 5 kept (a rejected tx included).
    pub fn kind(&self) -> u8 {
        match self {
            LogRecord::Open(_) => 1,
            LogRecord::Tx(t) if t.rejected => 5,
            LogRecord::Tx(_) => 2,
            LogRecord::Seal(_) => 3,
            LogRecord::Revert { .. } => 4,
        }
    }

    /// The fault this record injected, if any.
    pub fn fault(&self) -> Option<Fault> {
        match self {
            LogRecord::Tx(TxRecord { checkpoint, .. })
            | LogRecord::Seal(SealRecord { checkpoint, .. }) => checkpoint.and_then(|c| c.fault),
            _ => None,
        }
    }
}

pub fn fault_code(fault: Option<Fault>) -> u8 {
    fault.map_or(0, Fault::code)
}

fn fault_from_code(code: u8) -> Result<Option<Fault>, DecodeError> {
    match code {
        0 => Ok(None),
        code => Fault::from_code(code)
            .map(Some)
            .ok_or_else(|| DecodeError::Invalid {
                field: "fault",
                reason: format!("unknown fault code {code}"),
            }),
    }
}

fn encode_checkpoint(w: &mut Writer, checkpoint: &Option<Checkpoint>) {
    match checkpoint {
        None => {
            w.u8(0);
        }
        Some(c) => {
            w.u8(1).h256(&c.reported_root).u8(fault_code(c.fault));
        }
    }
}

fn decode_checkpoint(r: &mut Reader<'_>) -> Result<Option<Checkpoint>, DecodeError> {
    match r.u8("checkpoint tag")? {
        0 => Ok(None),
        1 => Ok(Some(Checkpoint {
            reported_root: r.h256("reported_root")?,
            fault: fault_from_code(r.u8("fault")?)?,
        })),
        t => Err(DecodeError::Invalid {
            field: "checkpoint tag",
            reason: format!("unknown tag {t}"),
        }),
    }
}

impl Encode for LogRecord {
    fn encode_to(&self, w: &mut Writer) {
        w.u8(self.kind());
        match self {
            LogRecord::Open(o) => {
                w.u64(o.index)
                    .u64(o.timestamp_ms)
                    .h256(&o.prev_header_hash)
                    .h256(&o.prev_state_root)
                    .u64(o.queue_start);
            }
            LogRecord::Tx(t) => {
                w.u64(t.seq);
                t.tx.encode_to(w);
                encode_checkpoint(w, &t.checkpoint);
            }
            LogRecord::Seal(s) => {
                w.u64(s.index).h256(&s.header_hash);
                encode_checkpoint(w, &s.checkpoint);
            }
            LogRecord::Revert { from_index } => {
                w.u64(*from_index);
            }
        }
    }
}

impl Decode for LogRecord {
    fn decode_from(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(match r.u8("record kind")? {
            1 => LogRecord::Open(OpenRecord {
                index: r.u64("index")?,
                timestamp_ms: r.u64("timestamp_ms")?,
                prev_header_hash: r.h256("prev_header_hash")?,
                prev_state_root: r.h256("prev_state_root")?,
                queue_start: r.u64("queue_start")?,
            }),
            kind @ (2 | 5) => LogRecord::Tx(TxRecord {
                seq: r.u64("seq")?,
                tx: Tx::decode_from(r)?,
                checkpoint: decode_checkpoint(r)?,
                rejected: kind == 5,
            }),
            3 => LogRecord::Seal(SealRecord {
                index: r.u64("index")?,
                header_hash: r.h256("header_hash")?,
                checkpoint: decode_checkpoint(r)?,
            }),
            4 => LogRecord::Revert {
                from_index: r.u64("from_index")?,
            },
            k => {
                return Err(DecodeError::Invalid {
                    field: "record kind",
                    reason: format!("unknown kind {k}"),
                });
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use protocol::action::L1Message;
    use protocol::primitives::Address;

    #[test]
    fn every_record_kind_round_trips() {
        let tx = Tx::L1 {
            queue_index: 3,
            message: L1Message::Deposit {
                account: Address([7; 20]),
                amount: 99,
            },
        };
        let records = [
            LogRecord::Open(OpenRecord {
                index: 2,
                timestamp_ms: 1_700_000_000_000,
                prev_header_hash: H256([1; 32]),
                prev_state_root: H256([2; 32]),
                queue_start: 5,
            }),
            LogRecord::Tx(TxRecord {
                seq: 41,
                tx: tx.clone(),
                checkpoint: None,
                rejected: false,
            }),
            LogRecord::Tx(TxRecord {
                seq: 43,
                tx: tx.clone(),
                checkpoint: None,
                rejected: true,
            }),
            LogRecord::Tx(TxRecord {
                seq: 42,
                tx,
                checkpoint: Some(Checkpoint {
                    reported_root: H256([3; 32]),
                    fault: Some(Fault::BadFill),
                }),
                rejected: false,
            }),
            LogRecord::Seal(SealRecord {
                index: 2,
                header_hash: H256([4; 32]),
                checkpoint: Some(Checkpoint {
                    reported_root: H256([5; 32]),
                    fault: None,
                }),
            }),
            LogRecord::Revert { from_index: 1 },
        ];
        for record in records {
            let bytes = record.encode();
            assert_eq!(bytes[0], record.kind());
            assert_eq!(LogRecord::decode(&bytes), Ok(record));
        }
        assert_eq!(fault_code(Some(Fault::SkipLiquidationCheck)), 4);
    }

    #[test]
    fn corrupt_records_are_reported_not_unwrapped() {
        assert!(LogRecord::decode(&[9]).is_err());
        assert!(LogRecord::decode(&[4, 0, 0]).is_err());
        let mut bytes = LogRecord::Seal(SealRecord {
            index: 0,
            header_hash: H256::ZERO,
            checkpoint: Some(Checkpoint {
                reported_root: H256::ZERO,
                fault: None,
            }),
        })
        .encode();
        // One past the last fault's code: no fault has it.
        *bytes.last_mut().unwrap() = u8::try_from(Fault::ALL.len() + 1).unwrap();
        assert!(LogRecord::decode(&bytes).is_err());
    }
}
