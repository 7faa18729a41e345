//! Submitting a fraud proof and classifying the answer for the core: upheld, already
//! reverted (another verifier won the race: calm, not an error), too late, rejected, or a
//! failure worth retrying. Bonds first when the settlement layer requires a challenger bond.

use crate::core::{ChallengeAction, Submission};
use crate::settlement::{ClientError, SettlementClient};
use k256::ecdsa::SigningKey;
use protocol::api::settlement::{BondCall, BondResponse, ChallengeCall, ChallengeResponse};
use protocol::primitives::H256;
use protocol::signing::address_of;

/// What a challenger signs with and how much it keeps bonded.
#[derive(Debug, Clone)]
pub struct Challenger {
    pub key: SigningKey,
    /// The L1-call EIP-712 domain separator.
    pub domain: H256,
    /// The configured bond (the settlement layer's minimum wins when larger).
    pub bond: u64,
}

/// Why bonding could not be done.
#[derive(Debug, thiserror::Error)]
pub enum BondError {
    #[error("the challenger's balance {balance} cannot cover the missing bond {missing}")]
    InsufficientBalance { balance: u64, missing: u64 },
    #[error(transparent)]
    Client(#[from] ClientError),
}

/// Makes sure the challenger's bond is at least max(configured, `min_bond`). Returns the
/// amount added (0 if nothing was needed).
pub async fn ensure_bond(
    client: &SettlementClient,
    challenger: &Challenger,
    min_bond: u64,
) -> Result<u64, BondError> {
    let target = challenger.bond.max(min_bond);
    let account = client.account(&address_of(&challenger.key)).await?;
    if account.bond >= target {
        return Ok(0);
    }
    let missing = target - account.bond;
    if account.balance < missing {
        return Err(BondError::InsufficientBalance {
            balance: account.balance,
            missing,
        });
    }
    let _: BondResponse = client
        .call(
            "/v1/bond",
            &challenger.key,
            &challenger.domain,
            BondCall { amount: missing },
        )
        .await?;
    Ok(missing)
}

/// Submits `action`'s proof, bonding first (once) if the settlement layer asks for a bond.
pub async fn submit(
    client: &SettlementClient,
    challenger: &Challenger,
    action: &ChallengeAction,
) -> Submission {
    let call = ChallengeCall {
        proof: action.proof.clone(),
        header_hash: Some(action.header_hash),
    };
    let mut bonded = false;
    loop {
        let answer: Result<ChallengeResponse, ClientError> = client
            .call(
                "/v1/challenge",
                &challenger.key,
                &challenger.domain,
                call.clone(),
            )
            .await;
        match answer {
            Err(e) if e.code() == Some("insufficient_bond") && !bonded => {
                bonded = true;
                let min = match client.status().await {
                    Ok(status) => status.params.min_challenger_bond,
                    Err(e) => return failed(&e),
                };
                if let Err(e) = ensure_bond(client, challenger, min).await {
                    return Submission::Failed {
                        error: format!("bonding before the challenge: {e}"),
                    };
                }
            }
            other => return classify(other),
        }
    }
}

/// Maps the settlement layer's answer to what it means for the challenge.
pub fn classify(answer: Result<ChallengeResponse, ClientError>) -> Submission {
    match answer {
        Ok(upheld) => Submission::Upheld {
            reward: upheld.slash.challenger_reward,
        },
        Err(e) => match e.code() {
            Some("batch_reverted") => Submission::AlreadyReverted,
            Some("batch_finalized") => Submission::TooLate,
            Some("proof_rejected") => Submission::Rejected {
                reason: e.to_string(),
            },
            _ => failed(&e),
        },
    }
}

fn failed(e: &ClientError) -> Submission {
    Submission::Failed {
        error: e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use protocol::api::settlement::ErrorBody;

    fn refusal(status: u16, code: &str) -> Result<ChallengeResponse, ClientError> {
        Err(ClientError::Api {
            status,
            body: ErrorBody {
                code: code.into(),
                message: format!("{code} message"),
                details: None,
            },
        })
    }

    #[test]
    fn answers_are_classified_by_their_stable_code() {
        let check = |answer, expect: Submission| assert_eq!(classify(answer), expect);
        check(refusal(409, "batch_reverted"), Submission::AlreadyReverted);
        check(refusal(409, "batch_finalized"), Submission::TooLate);
        check(
            refusal(422, "proof_rejected"),
            Submission::Rejected {
                reason: "422 proof_rejected: proof_rejected message".into(),
            },
        );
        check(
            refusal(503, "unavailable"),
            Submission::Failed {
                error: "503 unavailable: unavailable message".into(),
            },
        );
    }
}
