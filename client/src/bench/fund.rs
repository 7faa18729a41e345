//! Bench accounts: fresh keys from OS randomness, each funded on the settlement layer
//! (faucet, then a signed deposit to its own L2 account), then a bounded wait until the
//! sequencer has credited every deposit.

use super::BenchError;
use crate::sequencer::SequencerClient;
use k256::ecdsa::SigningKey;
use protocol::api::settlement::{DepositCall, FaucetRequest};
use protocol::signing::{address_of, signing_key_from_bytes};
use service_client::settlement::SettlementClient;
use std::time::{Duration, Instant};

/// Pause between two looks at the credited collateral.
const CREDIT_POLL: Duration = Duration::from_millis(50);

pub async fn fund_accounts(
    l1: &SettlementClient,
    seq: &SequencerClient,
    accounts: usize,
    deposit: u64,
    timeout: Duration,
) -> Result<Vec<SigningKey>, BenchError> {
    let mut keys = Vec::with_capacity(accounts);
    for _ in 0..accounts {
        let key = fresh_key()?;
        let address = address_of(&key);
        l1.faucet(&FaucetRequest {
            address,
            amount: deposit,
        })
        .await?;
        let call = l1
            .sign(
                &key,
                DepositCall {
                    account: address,
                    amount: deposit,
                },
            )
            .await?;
        l1.deposit(&call).await?;
        keys.push(key);
    }
    let started = Instant::now();
    let mut credited = 0;
    // Bounded in time and in attempts; the accounts are checked in order, each once credited.
    for _ in 0..100_000 {
        while credited < keys.len() {
            let view = seq.account(&address_of(&keys[credited])).await?;
            if view.collateral < i128::from(deposit) {
                break;
            }
            credited += 1;
        }
        if credited == keys.len() {
            return Ok(keys);
        }
        if started.elapsed() >= timeout {
            break;
        }
        tokio::time::sleep(CREDIT_POLL).await;
    }
    Err(BenchError::NotCredited {
        secs: timeout.as_secs(),
        credited,
        accounts: keys.len(),
    })
}

fn fresh_key() -> Result<SigningKey, BenchError> {
    for _ in 0..8 {
        let mut secret = [0u8; 32];
        getrandom::fill(&mut secret).map_err(|e| BenchError::Randomness(e.to_string()))?;
        if let Ok(key) = signing_key_from_bytes(&secret) {
            return Ok(key);
        }
    }
    Err(BenchError::Randomness(
        "kept producing invalid keys".to_string(),
    ))
}
