//! `Ledger`: the settlement rules over one SQLite connection, driven by plain calls instead
//! of HTTP. It exists so that code that needs the settlement layer without a server (the
//! deterministic whole-system simulation in `client/tests/it/simulation/`) runs the very
//! functions the HTTP handlers run, under the same discipline: one transaction per call,
//! committed only on `Ok` and dropped on `Err` (so a refused call leaves no trace), and
//! time only as arguments (there is no clock and no block producer here).
//!
//! `read`/`write` below are that discipline; `AppState` (the HTTP side) uses the same two
//! functions on the database thread, so the two paths differ only in how a caller is
//! authenticated: the HTTP layer recovers the caller from the call's signature and consumes
//! its nonce (`auth`, `accounts::consume_nonce`); a `Ledger` caller names the address.

use super::{accounts, batches, chain, events, exit, queue, schema};
use crate::RunError;
use crate::config::Config;
use crate::rules::Rules;
use protocol::api::settlement::{
    AccountResponse, BatchView, BondCall, BondResponse, ChallengeCall, ChallengeResponse,
    DepositCall, DepositResponse, EventsResponse, ExitClaimCall, ExitClaimView, ExitStatus,
    FaucetRequest, FaucetResponse, ForceCall, ForceResponse, MineResponse, PostBatchCall,
    PostBatchResponse, QueueResponse, StatusResponse,
};
use protocol::primitives::Address;
use rusqlite::{Connection, TransactionBehavior};
use service_shell::http::ApiError;

/// Runs `read` in one read transaction (one consistent snapshot of the ledger).
pub(crate) fn read<R>(
    conn: &Connection,
    rules: &Rules,
    read: impl FnOnce(&Connection, &Rules) -> Result<R, ApiError>,
) -> Result<R, ApiError> {
    // Unchecked only because `conn` is shared: nothing else holds a transaction on it.
    let tx = conn.unchecked_transaction()?;
    read(&tx, rules)
}

/// Runs `change` in one write transaction and commits it only if it succeeded; on an error
/// the transaction is dropped, so nothing it wrote survives. Returns the answer and the
/// newest event seq after the commit (the HTTP side wakes long-polls with it).
pub(crate) fn write<R>(
    conn: &mut Connection,
    rules: &Rules,
    change: impl FnOnce(&Connection, &Rules) -> Result<R, ApiError>,
) -> Result<(R, u64), ApiError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let out = change(&tx, rules)?;
    let last = events::last_seq(&tx)?;
    tx.commit()?;
    Ok((out, last))
}

/// The settlement layer on one connection: the rules, the schema production creates, and
/// one method per operation, each the function the matching HTTP handler calls.
#[derive(Debug)]
pub struct Ledger {
    conn: Connection,
    rules: Rules,
}

impl Ledger {
    /// A fresh ledger in memory for `config` (validated as `Service::start` validates it;
    /// its `data_dir` is unused), with block 0 stamped `now_ms`.
    pub fn open_in_memory(config: Config, now_ms: u64) -> Result<Ledger, RunError> {
        config.validate()?;
        let mut conn = Connection::open_in_memory().map_err(schema::InitError::from)?;
        // The pragma production sets that applies in memory (WAL and fsync do not).
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(schema::InitError::from)?;
        schema::init(
            &mut conn,
            &config.genesis,
            now_ms,
            protocol::primitives::H256::ZERO,
        )?;
        Ok(Ledger {
            conn,
            rules: Rules::new(config),
        })
    }

    /// The ledger in `config.data_dir`, opened exactly as the service opens its database
    /// (WAL, `synchronous=FULL`, schema, genesis check) but with no server: for tests that
    /// reopen the store after a simulated crash.
    pub fn open(config: Config) -> Result<Ledger, RunError> {
        config.validate()?;
        let (rules, conn, _) = crate::open(config)?;
        Ok(Ledger { conn, rules })
    }

    pub fn rules(&self) -> &Rules {
        &self.rules
    }

    fn write<R>(
        &mut self,
        change: impl FnOnce(&Connection, &Rules) -> Result<R, ApiError>,
    ) -> Result<R, ApiError> {
        write(&mut self.conn, &self.rules, change).map(|(out, _)| out)
    }

    fn read<R>(
        &self,
        query: impl FnOnce(&Connection, &Rules) -> Result<R, ApiError>,
    ) -> Result<R, ApiError> {
        read(&self.conn, &self.rules, query)
    }

    /// `POST /v1/faucet`.
    pub fn faucet(&mut self, req: &FaucetRequest) -> Result<FaucetResponse, ApiError> {
        self.write(|conn, rules| accounts::faucet(conn, rules, req))
    }

    /// `POST /v1/admin/mine`: `blocks` blocks stamped `timestamp_ms`, else `now_ms`.
    pub fn mine(
        &mut self,
        blocks: u64,
        timestamp_ms: Option<u64>,
        now_ms: u64,
    ) -> Result<MineResponse, ApiError> {
        self.write(|conn, rules| chain::mine(conn, rules, blocks, timestamp_ms, now_ms))
    }

    /// `POST /v1/bond`, by `from`.
    pub fn bond(&mut self, from: &Address, call: &BondCall) -> Result<BondResponse, ApiError> {
        self.write(|conn, _| accounts::bond(conn, from, call))
    }

    /// `POST /v1/deposit`, by `from`.
    pub fn deposit(
        &mut self,
        from: &Address,
        call: &DepositCall,
    ) -> Result<DepositResponse, ApiError> {
        self.write(|conn, rules| queue::deposit(conn, rules, from, call))
    }

    /// `POST /v1/force`, by `from`.
    pub fn force(&mut self, from: &Address, call: &ForceCall) -> Result<ForceResponse, ApiError> {
        self.write(|conn, rules| queue::force(conn, rules, from, call))
    }

    /// `POST /v1/exit/claim`, by `from`.
    pub fn claim_exit(
        &mut self,
        from: &Address,
        call: &ExitClaimCall,
    ) -> Result<ExitClaimView, ApiError> {
        self.write(|conn, rules| exit::claim(conn, rules, from, call))
    }

    /// `GET /v1/exit`.
    pub fn exit(&self) -> Result<ExitStatus, ApiError> {
        self.read(exit::status)
    }

    /// `GET /v1/accounts/{address}`.
    pub fn account(&self, address: &Address) -> Result<AccountResponse, ApiError> {
        self.read(|conn, _| accounts::view(conn, address))
    }

    /// `POST /v1/batches`, by `from`.
    pub fn post_batch(
        &mut self,
        from: &Address,
        call: &PostBatchCall,
    ) -> Result<PostBatchResponse, ApiError> {
        self.write(|conn, rules| super::post_batch(conn, rules, from, call))
    }

    /// `POST /v1/challenge`, by `from`.
    pub fn challenge(
        &mut self,
        from: &Address,
        call: &ChallengeCall,
    ) -> Result<ChallengeResponse, ApiError> {
        self.write(|conn, rules| super::challenge(conn, rules, from, call))
    }

    /// `GET /v1/status`.
    pub fn status(&self) -> Result<StatusResponse, ApiError> {
        self.read(super::status)
    }

    /// `GET /v1/events?after=&limit=`, without the long poll.
    pub fn events(&self, after: u64, limit: u64) -> Result<EventsResponse, ApiError> {
        self.read(|conn, _| events::read(conn, after, limit))
    }

    /// `GET /v1/queue?from=&limit=`.
    pub fn queue(&self, from: u64, limit: u64) -> Result<QueueResponse, ApiError> {
        self.read(|conn, rules| queue::view(conn, rules, from, limit))
    }

    /// `GET /v1/submissions/{id}`, with the batch data; `None` if there is no such posting.
    pub fn submission(&self, id: u64) -> Result<Option<BatchView>, ApiError> {
        self.read(|conn, _| {
            let Some(row) = batches::by_submission(conn, id)? else {
                return Ok(None);
            };
            let data = batches::data(conn, row.view.submission_id)?;
            Ok(Some(batches::view(&row, Some(data))))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use protocol::genesis::Genesis;

    fn ledger() -> Ledger {
        let genesis = Genesis::devnet(1, Config::default_rollup_address(), Address([9; 20]));
        let mut config = Config::new(std::path::PathBuf::new(), genesis);
        config.block_time_ms = None;
        Ledger::open_in_memory(config, 1_000).expect("opens")
    }

    #[test]
    fn a_refused_call_leaves_nothing_and_a_good_one_commits() {
        let mut ledger = ledger();
        let me = Address([1; 20]);
        let refused = ledger.bond(&me, &BondCall { amount: 5 });
        assert_eq!(
            refused.expect_err("no balance").code,
            "insufficient_balance"
        );
        assert_eq!(ledger.events(0, 10).expect("events").last_seq, 0);
        ledger
            .faucet(&FaucetRequest {
                address: me,
                amount: 10,
            })
            .expect("minted");
        ledger.bond(&me, &BondCall { amount: 5 }).expect("bonded");
        let status = ledger.status().expect("status");
        assert_eq!((status.last_event_seq, status.supply.bonds), (2, 5));
        let mined = ledger.mine(3, None, 500).expect("mined");
        // The L1 clock never goes back: an earlier `now_ms` keeps the head's timestamp.
        assert_eq!((mined.block.number, mined.block.timestamp_ms), (3, 1_000));
    }
}
