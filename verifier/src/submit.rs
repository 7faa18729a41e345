//! Submitting a fraud proof and classifying the answer for the core: upheld, already
//! reverted (another verifier won the race: calm, not an error), too late, rejected, or a
//! failure worth retrying. Bonds first when the settlement layer requires a challenger bond.

use crate::core::{ChallengeAction, Submission};
use k256::ecdsa::SigningKey;
use protocol::api::settlement::{ChallengeCall, ChallengeResponse};
use service_client::{ServiceError, SettlementClient, TopUp};

/// What a challenger signs with and how much it keeps bonded.
#[derive(Debug, Clone)]
pub struct Challenger {
    pub key: SigningKey,
    /// The configured bond (the settlement layer's minimum wins when larger).
    pub bond: u64,
}

/// Why bonding could not be done.
#[derive(Debug, thiserror::Error)]
pub enum BondError {
    #[error("the challenger's balance {balance} cannot cover the missing bond {missing}")]
    InsufficientBalance { balance: u64, missing: u64 },
    #[error("{}", describe(.0))]
    Client(#[from] ServiceError),
}

/// How a settlement-layer error reads in a challenge's outcome. These texts are recorded
/// (`last_error`, a rejection's reason) and shown in `/v1/status`, so a refusal keeps the
/// short form it always had, `<status> <code>: <message>`; other failures read as the
/// client's error.
fn describe(e: &ServiceError) -> String {
    match e {
        ServiceError::Api {
            status,
            code,
            message,
            ..
        } => format!("{status} {code}: {message}"),
        other => other.to_string(),
    }
}

/// Makes sure the challenger's bond is at least max(configured, `min_bond`). Returns the
/// amount added (0 if nothing was needed).
pub async fn ensure_bond(
    client: &SettlementClient,
    challenger: &Challenger,
    min_bond: u64,
) -> Result<u64, BondError> {
    let target = challenger.bond.max(min_bond);
    match client.ensure_bond(&challenger.key, target).await? {
        TopUp::Enough => Ok(0),
        TopUp::Bonded { added, .. } => Ok(added),
        TopUp::BalanceShort {
            balance, missing, ..
        } => Err(BondError::InsufficientBalance { balance, missing }),
    }
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
        let answer = client.call(&challenger.key, call.clone()).await;
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
pub fn classify(answer: Result<ChallengeResponse, ServiceError>) -> Submission {
    match answer {
        Ok(upheld) => Submission::Upheld {
            reward: upheld.slash.challenger_reward,
        },
        Err(e) => match e.code() {
            Some("batch_reverted") => Submission::AlreadyReverted,
            Some("batch_finalized") => Submission::TooLate,
            Some("proof_rejected") => Submission::Rejected {
                reason: describe(&e),
            },
            _ => failed(&e),
        },
    }
}

fn failed(e: &ServiceError) -> Submission {
    Submission::Failed { error: describe(e) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(status: u16, code: &str) -> ServiceError {
        ServiceError::Api {
            service: "settlement layer",
            what: "POST /v1/challenge".into(),
            status,
            code: code.into(),
            message: format!("{code} message"),
            details: None,
        }
    }

    #[test]
    fn answers_are_classified_by_their_stable_code() {
        let check = |answer, expect: Submission| assert_eq!(classify(answer), expect);
        check(
            Err(refusal(409, "batch_reverted")),
            Submission::AlreadyReverted,
        );
        check(Err(refusal(409, "batch_finalized")), Submission::TooLate);
        check(
            Err(refusal(422, "proof_rejected")),
            Submission::Rejected {
                reason: "422 proof_rejected: proof_rejected message".into(),
            },
        );
        check(
            Err(refusal(503, "unavailable")),
            Submission::Failed {
                error: "503 unavailable: unavailable message".into(),
            },
        );
    }
}
