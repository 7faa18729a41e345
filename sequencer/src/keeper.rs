//! The liquidation keeper: on a timer, scans every account with positions in the latest
//! durable state (`engine::view::liquidatable_markets`, the STF's own rule) and submits a
//! `Liquidate` signed by the sequencer key through the normal intake for each account
//! under its maintenance margin. It waits for the outcomes before the next scan, so it
//! never liquidates the same account twice on a stale view.

use crate::executor::{Outcome, now_ms};
use crate::intake::Intake;
use crate::view::ViewReceiver;
use k256::ecdsa::SigningKey;
use protocol::action::{Action, Liquidate};
use protocol::codec::Decode;
use protocol::engine::keys::{KIND_ACCOUNT, KIND_INSOLVENT};
use protocol::engine::records::Account;
use protocol::engine::view::liquidatable_markets;
use protocol::engine::{BlockContext, INSURANCE_FUND};
use protocol::genesis::Genesis;
use protocol::primitives::{Address, H256};
use protocol::signing::{address_of, sign_action};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// How long a keeper liquidation stays valid.
const EXPIRY_MS: u64 = 60_000;

#[derive(Debug)]
pub struct Keeper {
    pub intake: Arc<Intake>,
    pub views: ViewReceiver,
    pub genesis: Arc<Genesis>,
    pub key: SigningKey,
    pub domain: H256,
    pub every: Duration,
}

/// The (account, market) pairs a `Liquidate` would succeed on at `ctx`, one per account:
/// liquidatable accounts, and accounts marked insolvent that have recovered (equity at or
/// above maintenance), whose `Liquidate` only clears the mark. Withdrawals stay paused
/// while any mark remains (PROTOCOL.md Part 4 §11), so the keeper clears them promptly.
pub fn scan(
    tree: &protocol::tree::Tree,
    genesis: &Genesis,
    ctx: &BlockContext,
) -> Vec<(Address, u32)> {
    let mut reader = tree.clone();
    let accounts: Vec<Address> = tree
        .iter()
        .filter(|(key, _)| key.0[0] == KIND_ACCOUNT)
        .filter_map(|(_, value)| Account::decode(value).ok())
        .filter(|a| !a.markets.is_empty() && a.owner != INSURANCE_FUND)
        .map(|a| a.owner)
        .collect();
    let mut targets: Vec<(Address, u32)> = accounts
        .into_iter()
        .filter_map(|owner| {
            let markets = liquidatable_markets(&mut reader, genesis, ctx, &owner).ok()?;
            markets.first().map(|m| (owner, *m))
        })
        .collect();
    let any_market = genesis.markets.first().map(|m| m.id);
    let recovered = tree
        .iter()
        .filter(|(key, _)| key.0[0] == KIND_INSOLVENT)
        .filter_map(|(_, value)| <[u8; 20]>::try_from(value).ok().map(Address))
        .filter(|owner| !targets.iter().any(|(t, _)| t == owner))
        .filter_map(|owner| any_market.map(|m| (owner, m)));
    targets.extend(recovered.collect::<Vec<_>>());
    targets
}

impl Keeper {
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        let liquidator = address_of(&self.key);
        let mut last_nonce = 0u64;
        let mut ticker = tokio::time::interval(self.every);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = ticker.tick() => {}
                _ = stop.wait_for(|s| *s) => return,
            }
            let view = self.views.borrow().clone();
            let genesis = self.genesis.clone();
            let now = now_ms();
            let ctx = view.context(now);
            let Ok(targets) =
                tokio::task::spawn_blocking(move || scan(&view.tree, &genesis, &ctx)).await
            else {
                continue;
            };
            for (account, market) in targets {
                // Millisecond nonces keep increasing across restarts.
                last_nonce = (last_nonce + 1).max(now);
                let action = Action::Liquidate(Liquidate {
                    liquidator,
                    account,
                    market,
                    nonce: last_nonce,
                    expires_at: now + EXPIRY_MS,
                });
                let signed = sign_action(&self.key, action, &self.domain);
                let keeper = protocol::signing::address_of(&self.key);
                let Ok(permit) = self.intake.try_admit(&[keeper]) else {
                    break;
                };
                let answer = self.intake.submit(vec![signed], permit);
                match answer.await.ok().and_then(|o| o.into_iter().next()) {
                    Some(Outcome::Accepted(a)) => {
                        tracing::info!(%account, market, seq = a.seq, "keeper liquidated an account")
                    }
                    Some(Outcome::Rejected { status, .. }) => {
                        tracing::debug!(%account, market, code = status.code(), "keeper liquidation rejected")
                    }
                    None => return,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use protocol::engine::keys::insolvent_key;
    use protocol::state::State;

    #[test]
    fn an_insolvent_mark_on_a_recovered_account_is_a_target() {
        let genesis = protocol::workload::Workload::new(3, 2).genesis;
        let mut tree = protocol::batch::genesis_tree(&genesis);
        let ctx = BlockContext { timestamp_ms: 1 };
        assert_eq!(
            scan(&tree, &genesis, &ctx),
            vec![],
            "nothing to do at genesis"
        );
        let owner = Address([0x77; 20]);
        tree.set(&insolvent_key(&owner), owner.0.to_vec())
            .expect("set");
        let first = genesis.markets[0].id;
        assert_eq!(scan(&tree, &genesis, &ctx), vec![(owner, first)]);
    }
}
