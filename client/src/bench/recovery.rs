//! This machine's signature-recovery rate: the one per-action cost a sequencer cannot
//! skip. Signed actions are prepared first; only the recovery over their digests is timed,
//! on every core (rayon's global pool), off the async runtime: k256 (`protocol`'s
//! reference) and libsecp256k1 (the services' default backend).

use super::BenchError;
use protocol::action::{Action, Withdraw};
use protocol::primitives::H256;
use protocol::signing::{
    RecoverFn, address_of, recover_signer, sign_action, signing_digest, signing_key_from_bytes,
};
use rayon::prelude::*;
use std::time::Instant;

/// k256 recoveries per second over `n` signatures.
pub async fn measure(n: usize, domain: H256) -> Result<u64, BenchError> {
    measure_with(n, domain, recover_signer).await
}

/// libsecp256k1 recoveries per second over `n` signatures.
pub async fn measure_libsecp(n: usize, domain: H256) -> Result<u64, BenchError> {
    measure_with(n, domain, libsecp_recovery::recover_signer).await
}

/// The median of three rounds of [`measure`] and of [`measure_libsecp`], `[k256,
/// libsecp256k1]`: one round is a fraction of a second, too short alone on a shared machine.
pub async fn median_of_three(n: usize, domain: H256) -> Result<[u64; 2], BenchError> {
    let (mut k256, mut libsecp) = (Vec::new(), Vec::new());
    for _ in 0..3 {
        k256.push(measure(n, domain).await?);
        libsecp.push(measure_libsecp(n, domain).await?);
    }
    Ok([k256, libsecp].map(|mut rounds| {
        rounds.sort_unstable();
        rounds[1]
    }))
}

/// Recoveries per second of `recover` over `n` signatures.
pub async fn measure_with(n: usize, domain: H256, recover: RecoverFn) -> Result<u64, BenchError> {
    tokio::task::spawn_blocking(move || {
        let key = signing_key_from_bytes(&[0x42; 32]).expect("a valid constant key");
        let account = address_of(&key);
        let signed: Vec<_> = (0..n as u64)
            .into_par_iter()
            .map(|nonce| {
                let action = Action::Withdraw(Withdraw {
                    account,
                    amount: 1,
                    nonce,
                    expires_at: u64::MAX,
                });
                let signed = sign_action(&key, action, &domain);
                (signing_digest(&signed.action, &domain), signed.signature)
            })
            .collect();
        let started = Instant::now();
        let recovered = signed
            .par_iter()
            .filter(|(digest, signature)| recover(digest, signature) == Ok(account))
            .count();
        let micros = started.elapsed().as_micros().max(1);
        if recovered != n {
            return Err(BenchError::Task(format!(
                "only {recovered} of {n} signatures recovered to their signer"
            )));
        }
        Ok(u64::try_from(n as u128 * 1_000_000 / micros).unwrap_or(u64::MAX))
    })
    .await
    .map_err(|e| BenchError::Task(e.to_string()))?
}
