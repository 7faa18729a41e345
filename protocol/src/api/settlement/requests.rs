//! Request bodies: the payload of each signed call with its method name and canonical
//! argument encoding (what `callHash` covers), plus the two unsigned devnet calls.
//!
//! JSON integers may be numbers or decimal strings; byte strings are `0x` hex.

use super::call::L1CallData;
use crate::action::{SignedAction, int};
use crate::batch::Batch;
use crate::codec::{Encode, Writer};
use crate::fraud::{FraudProof, hex_bytes};
use crate::primitives::{Address, H256};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;

/// `POST /v1/bond`: moves `amount` from the caller's L1 balance into its bond.
/// Method `bond`, args `u64 amount`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BondCall {
    #[serde(with = "int")]
    pub amount: u64,
}

impl L1CallData for BondCall {
    const METHOD: &'static str = "bond";
    fn encode_args(&self, w: &mut Writer) {
        w.u64(self.amount);
    }
}

/// `POST /v1/unbond`: returns `amount` of the caller's bond to its balance; refused while
/// the caller has batches inside their challenge window. Method `unbond`, args `u64 amount`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnbondCall {
    #[serde(with = "int")]
    pub amount: u64,
}

impl L1CallData for UnbondCall {
    const METHOD: &'static str = "unbond";
    fn encode_args(&self, w: &mut Writer) {
        w.u64(self.amount);
    }
}

/// `POST /v1/deposit`: escrows `amount` of the caller's tokens and queues
/// `L1Message::Deposit { account, amount }` (credit on L2 to `account`, which may differ
/// from the caller). Method `deposit`, args `address account ‖ u64 amount`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DepositCall {
    pub account: Address,
    #[serde(with = "int")]
    pub amount: u64,
}

impl L1CallData for DepositCall {
    const METHOD: &'static str = "deposit";
    fn encode_args(&self, w: &mut Writer) {
        w.address(&self.account).u64(self.amount);
    }
}

/// `POST /v1/force`: queues `L1Message::Forced { action }`, which the sequencer must
/// include before the force-inclusion deadline. Method `force`, args the canonical
/// `SignedAction` encoding (action ‖ 65-byte signature).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ForceCall {
    pub action: SignedAction,
}

impl L1CallData for ForceCall {
    const METHOD: &'static str = "force";
    fn encode_args(&self, w: &mut Writer) {
        self.action.encode_to(w);
    }
}

/// `POST /v1/batches`: posts a batch, either as its canonical encoding in hex
/// (`{"data": "0x…"}`) or as JSON (`{"batch": {…}}`). Both sign and store the same bytes:
/// method `post_batch`, args `bytes Batch::encode()` (u32 length prefix).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PostBatchCall {
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    Data(#[serde(with = "hex_bytes")] Vec<u8>),
    Batch(Box<Batch>),
}

impl PostBatchCall {
    /// The canonical encoding this call posts (for `Data`, the bytes as sent; the
    /// settlement layer refuses them unless they decode, which implies canonical form).
    pub fn encoded(&self) -> Cow<'_, [u8]> {
        match self {
            PostBatchCall::Data(data) => Cow::Borrowed(data),
            PostBatchCall::Batch(batch) => Cow::Owned(batch.encode()),
        }
    }
}

impl L1CallData for PostBatchCall {
    const METHOD: &'static str = "post_batch";
    fn encode_args(&self, w: &mut Writer) {
        w.bytes(&self.encoded());
    }
}

/// `POST /v1/challenge`: a fraud proof. `header_hash`, if given, names the exact batch the
/// challenger re-executed, so that a proof arriving after that batch was reverted (and
/// perhaps replaced by another batch with the same index) is answered "already reverted"
/// instead of being judged against the other batch. Method `challenge`, args
/// `u64 batch_index ‖ u32 chunk ‖ bytes witness ‖ u8 has_header_hash ‖ [h256 header_hash]`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChallengeCall {
    pub proof: FraudProof,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header_hash: Option<H256>,
}

impl L1CallData for ChallengeCall {
    const METHOD: &'static str = "challenge";
    fn encode_args(&self, w: &mut Writer) {
        let p = &self.proof;
        w.u64(p.batch_index).u32(p.chunk).bytes(&p.witness);
        match &self.header_hash {
            None => w.u8(0),
            Some(hash) => w.u8(1).h256(hash),
        };
    }
}

/// `POST /v1/withdrawals/claim`: pays the withdrawal leaf `withdrawal_id → {account,
/// amount}` to `account`, given its inclusion proof (`Proof` encoding) against the post-state
/// root of the finalized batch `batch_index`. Anyone may submit it; the money goes to
/// `account`. Method `claim_withdrawal`, args
/// `u64 batch_index ‖ u64 withdrawal_id ‖ address account ‖ u64 amount ‖ bytes proof`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClaimWithdrawalCall {
    #[serde(with = "int")]
    pub batch_index: u64,
    #[serde(with = "int")]
    pub withdrawal_id: u64,
    pub account: Address,
    #[serde(with = "int")]
    pub amount: u64,
    #[serde(with = "hex_bytes")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, pattern = "^0x([0-9a-fA-F]{2})*$"))]
    pub proof: Vec<u8>,
}

impl ClaimWithdrawalCall {
    /// The claim of withdrawal `withdrawal_id` against `tree`, the post-state of finalized
    /// batch `batch_index`: its leaf and inclusion proof. `None` if the state holds no such
    /// withdrawal. Every node serves this same JSON (`GET /v1/withdrawals/{id}/claim`).
    pub fn from_state(
        tree: &crate::tree::Tree,
        batch_index: u64,
        withdrawal_id: u64,
    ) -> Result<Option<ClaimWithdrawalCall>, crate::state::StateError> {
        use crate::codec::Decode;
        let key = crate::engine::keys::withdrawal_key(withdrawal_id);
        let Some(value) = tree.lookup(&key)? else {
            return Ok(None);
        };
        let leaf = crate::engine::records::Withdrawal::decode(value).map_err(|e| {
            crate::state::StateError::Malformed {
                key,
                reason: e.to_string(),
            }
        })?;
        Ok(Some(ClaimWithdrawalCall {
            batch_index,
            withdrawal_id,
            account: leaf.account,
            amount: leaf.amount,
            proof: tree.prove(&key)?.encode(),
        }))
    }
}

impl L1CallData for ClaimWithdrawalCall {
    const METHOD: &'static str = "claim_withdrawal";
    fn encode_args(&self, w: &mut Writer) {
        w.u64(self.batch_index)
            .u64(self.withdrawal_id)
            .address(&self.account)
            .u64(self.amount)
            .bytes(&self.proof);
    }
}

/// `POST /v1/faucet` (devnet, unsigned): mints `amount` new tokens to `address`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaucetRequest {
    pub address: Address,
    #[serde(with = "int")]
    pub amount: u64,
}

/// `POST /v1/admin/mine` (devnet, unsigned): mines `blocks` blocks. Every mined block gets
/// `timestamp_ms` if given (it must not be before the head's), else the wall clock.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MineRequest {
    #[serde(with = "int")]
    pub blocks: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp_ms: Option<u64>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::action::{Action, CancelAll, Signature};
    use crate::primitives::keccak256;

    /// `callHash` = keccak256(u32 len ‖ method ‖ args), with the args laid out as documented.
    fn check<C: L1CallData>(call: &C, args: &[u8]) {
        let mut preimage = (C::METHOD.len() as u32).to_be_bytes().to_vec();
        preimage.extend_from_slice(C::METHOD.as_bytes());
        preimage.extend_from_slice(args);
        assert_eq!(call.call_hash(), keccak256(&preimage), "{}", C::METHOD);
    }

    #[test]
    fn call_hashes_cover_exactly_the_documented_arguments() {
        let a = Address([0xaa; 20]);
        check(&BondCall { amount: 5 }, &5u64.to_be_bytes());
        check(&UnbondCall { amount: 6 }, &6u64.to_be_bytes());
        check(
            &DepositCall {
                account: a,
                amount: 7,
            },
            &[&a.0[..], &7u64.to_be_bytes()].concat(),
        );
        let action = SignedAction {
            action: Action::CancelAll(CancelAll {
                account: a,
                nonce: 1,
                expires_at: 2,
            }),
            signature: Signature([3; 65]),
        };
        check(
            &ForceCall {
                action: action.clone(),
            },
            &action.encode(),
        );
        check(&PostBatchCall::Data(vec![9, 9]), &[0, 0, 0, 2, 9, 9]);
        let proof = FraudProof {
            batch_index: 4,
            chunk: 2,
            witness: vec![1],
        };
        let head = [
            &4u64.to_be_bytes()[..],
            &2u32.to_be_bytes(),
            &[0, 0, 0, 1, 1],
        ]
        .concat();
        check(
            &ChallengeCall {
                proof: proof.clone(),
                header_hash: None,
            },
            &[&head[..], &[0]].concat(),
        );
        let hash = H256([0xcc; 32]);
        check(
            &ChallengeCall {
                proof,
                header_hash: Some(hash),
            },
            &[&head[..], &[1], &hash.0].concat(),
        );
        let claim = ClaimWithdrawalCall {
            batch_index: 1,
            withdrawal_id: 2,
            account: a,
            amount: 3,
            proof: vec![8],
        };
        let args = [
            &1u64.to_be_bytes()[..],
            &2u64.to_be_bytes(),
            &a.0,
            &3u64.to_be_bytes(),
            &[0, 0, 0, 1, 8],
        ]
        .concat();
        check(&claim, &args);
    }

    #[test]
    fn json_shapes_are_the_documented_ones() {
        let challenge = ChallengeCall {
            proof: FraudProof {
                batch_index: 4,
                chunk: 2,
                witness: vec![1, 2],
            },
            header_hash: None,
        };
        assert_eq!(
            serde_json::to_string(&challenge).expect("json"),
            r#"{"proof":{"batch_index":4,"chunk":2,"witness":"0x0102"}}"#
        );
        assert_eq!(
            serde_json::to_string(&PostBatchCall::Data(vec![0xab])).expect("json"),
            r#"{"data":"0xab"}"#
        );
        let mine: MineRequest =
            serde_json::from_str(r#"{"blocks":"3"}"#).expect("decimal strings are accepted");
        assert_eq!(
            mine,
            MineRequest {
                blocks: 3,
                timestamp_ms: None
            }
        );
        let unknown = serde_json::from_str::<BondCall>(r#"{"amount":1,"extra":2}"#)
            .expect_err("unknown fields are refused");
        assert!(
            unknown.to_string().contains("unknown field `extra`"),
            "{unknown}"
        );
    }
}
