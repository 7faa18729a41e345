//! Every withdrawal the sequencer has sequenced, by id, so an account page lists its
//! withdrawals from the moment they are debited — in the still-open batch too, not only
//! once a batch is posted. Withdrawal ids are dense (`0..next_withdrawal_id`, PROTOCOL.md's
//! invariant 5), so following them is one read of `GET /v1/withdrawals/{next}` per status
//! poll while nothing new happened (a 404), and one per new withdrawal otherwise.
//!
//! A fraud proof reverts batches and the sequencer re-sequences them, which may give the
//! reverted withdrawals other ids: `rewind` forgets every id in a reverted batch or later
//! and the next poll reads them again.

use crate::api::AppState;
use crate::hub::message;
use crate::upstream::Service;
use protocol::api::sequencer::WithdrawalView;
use protocol::primitives::Address;
use serde_json::json;
use std::collections::BTreeMap;

/// New ids read per poll at most (a long history is caught up over several polls).
const READS_PER_POLL: u64 = 256;

/// Who made each withdrawal, and in which batch.
#[derive(Debug, Default)]
pub struct WithdrawalIndex {
    /// id → (account, batch index).
    ids: BTreeMap<u64, (Address, u64)>,
}

impl WithdrawalIndex {
    /// The next id to read.
    pub fn next_id(&self) -> u64 {
        self.ids.last_key_value().map_or(0, |(id, _)| id + 1)
    }

    pub fn insert(&mut self, view: &WithdrawalView) {
        self.ids
            .insert(view.withdrawal_id, (view.account, view.batch_index));
    }

    /// `account`'s withdrawal ids, newest first, at most `limit`.
    pub fn of(&self, account: &Address, limit: usize) -> Vec<u64> {
        self.ids
            .iter()
            .rev()
            .filter(|(_, (a, _))| a == account)
            .map(|(id, _)| *id)
            .take(limit)
            .collect()
    }

    /// Forgets every withdrawal in batch `index` or later (they were reverted).
    pub fn rewind(&mut self, index: u64) {
        self.ids.retain(|_, (_, batch)| *batch < index);
    }
}

/// Reads the withdrawals sequenced since the last poll; tells the browsers of each new one
/// (`withdrawal` frames), so an account page shows it while its batch is still open.
pub async fn follow(state: &AppState) {
    for _ in 0..READS_PER_POLL {
        let next = state.withdrawals().next_id();
        let path = format!("/v1/withdrawals/{next}");
        let view: WithdrawalView = match state.upstreams.get(Service::Sequencer, &path).await {
            Ok(answer) if answer.status == 200 => match serde_json::from_slice(&answer.body) {
                Ok(view) => view,
                Err(e) => {
                    tracing::warn!(error = %e, "explorer: unreadable withdrawal {next}");
                    return;
                }
            },
            // 404: not sequenced yet. Anything else: the status poll reports the link.
            _ => return,
        };
        state.withdrawals().insert(&view);
        state.hub.publish(message(
            "withdrawal",
            &json!({"withdrawal_id": view.withdrawal_id, "account": view.account}),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use protocol::api::sequencer::WithdrawalStatus;
    use protocol::primitives::H256;

    fn view(id: u64, account: u8, batch: u64) -> WithdrawalView {
        WithdrawalView {
            withdrawal_id: id,
            account: Address([account; 20]),
            amount: 1,
            tx_hash: H256::default(),
            batch_index: batch,
            status: WithdrawalStatus::Pending,
        }
    }

    #[test]
    fn ids_by_account_newest_first_and_a_revert_rewinds() {
        let mut index = WithdrawalIndex::default();
        for (id, account, batch) in [(0, 1, 3), (1, 2, 3), (2, 1, 4), (3, 1, 5)] {
            index.insert(&view(id, account, batch));
        }
        assert_eq!(index.next_id(), 4);
        assert_eq!(index.of(&Address([1; 20]), 2), [3, 2]);
        index.rewind(4);
        assert_eq!(index.next_id(), 2, "ids 2 and 3 are read again");
        assert_eq!(index.of(&Address([1; 20]), 10), [0]);
    }
}
