//! L1 accounts: token balances, call nonces and bonds; the devnet faucet; bonding; and the
//! supply accounting `minted = Σ balances + escrow + Σ bonds + burned`.

use super::chain::{self, Head};
use super::{batches, events};
use crate::config::SUPPLY_CAP;
use crate::error_codes;
use crate::rules::Rules;
use protocol::api::settlement::{
    AccountResponse, BondCall, BondEntry, BondResponse, EventKind, FaucetRequest, FaucetResponse,
    Supply, UnbondCall,
};
use protocol::primitives::Address;
use protocol::units::format_usdc_and_raw;
use rusqlite::{Connection, OptionalExtension, params};
use service_shell::http::ApiError;

/// One account's row (all zero for an address never seen).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Account {
    pub balance: u64,
    /// The nonce its next call must carry.
    pub nonce: u64,
    pub bond: u64,
}

pub fn get(conn: &Connection, address: &Address) -> Result<Account, ApiError> {
    let row = conn
        .query_row(
            "SELECT balance, nonce, bond FROM accounts WHERE address = ?1",
            [address.0],
            |r| {
                Ok(Account {
                    balance: r.get(0)?,
                    nonce: r.get(1)?,
                    bond: r.get(2)?,
                })
            },
        )
        .optional()?;
    Ok(row.unwrap_or_default())
}

fn put(conn: &Connection, address: &Address, account: &Account) -> Result<(), ApiError> {
    conn.execute(
        "INSERT INTO accounts (address, balance, nonce, bond) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (address) DO UPDATE SET balance = excluded.balance, nonce = excluded.nonce, bond = excluded.bond",
        params![address.0, account.balance, account.nonce, account.bond],
    )?;
    Ok(())
}

pub fn view(conn: &Connection, address: &Address) -> Result<AccountResponse, ApiError> {
    let a = get(conn, address)?;
    Ok(AccountResponse {
        address: *address,
        balance: a.balance,
        nonce: a.nonce,
        bond: a.bond,
    })
}

/// Accepts `nonce` only if it is exactly `from`'s next one, and consumes it. A call that is
/// refused later rolls back with its transaction, nonce included.
pub fn consume_nonce(conn: &Connection, from: &Address, nonce: u64) -> Result<(), ApiError> {
    let mut account = get(conn, from)?;
    if nonce != account.nonce {
        let why = if nonce < account.nonce {
            "already used (a replayed call?)"
        } else {
            "ahead of it (nonces cannot skip)"
        };
        return Err(ApiError::new(
            error_codes::BAD_NONCE,
            format!(
                "nonce {nonce} is not {from}'s next L1 nonce {}: {why}",
                account.nonce
            ),
        ));
    }
    account.nonce += 1;
    put(conn, from, &account)
}

/// Adds `amount` to `address`'s balance; returns the new balance.
pub fn credit(conn: &Connection, address: &Address, amount: u64) -> Result<u64, ApiError> {
    let mut account = get(conn, address)?;
    // Every balance is part of a supply capped below i64::MAX, so this cannot overflow
    // unless the ledger itself is broken.
    account.balance = account
        .balance
        .checked_add(amount)
        .ok_or_else(|| ApiError::internal("balance overflow"))?;
    put(conn, address, &account)?;
    Ok(account.balance)
}

/// Takes `amount` from `address`'s balance to pay for `what`; returns the new balance.
pub fn debit(
    conn: &Connection,
    address: &Address,
    amount: u64,
    what: &str,
) -> Result<u64, ApiError> {
    let mut account = get(conn, address)?;
    let balance = account.balance;
    account.balance = balance.checked_sub(amount).ok_or_else(|| {
        let message = format!(
            "{address} holds {} on L1 and {what} needs {}; see the balance with `vigil l1 balance --address {address}` and top it up first",
            format_usdc_and_raw(balance),
            format_usdc_and_raw(amount),
        );
        let details = serde_json::json!({ "balance": balance, "needed": amount });
        ApiError::new(error_codes::INSUFFICIENT_BALANCE, message).with_details(details)
    })?;
    put(conn, address, &account)?;
    Ok(account.balance)
}

fn require_positive(amount: u64) -> Result<(), ApiError> {
    if amount == 0 {
        return Err(ApiError::new(
            error_codes::ZERO_AMOUNT,
            "amount must be greater than zero",
        ));
    }
    Ok(())
}

/// `POST /v1/faucet`: mints `amount` to `address` (devnet).
pub fn faucet(
    conn: &Connection,
    rules: &Rules,
    req: &FaucetRequest,
) -> Result<FaucetResponse, ApiError> {
    let max = rules.config.faucet_max_amount;
    if max == 0 {
        return Err(ApiError::new(
            error_codes::FAUCET_DISABLED,
            "the faucet is disabled on this chain",
        ));
    }
    require_positive(req.amount)?;
    if req.amount > max {
        return Err(ApiError::new(
            error_codes::FAUCET_LIMIT,
            format!(
                "the faucet mints at most {max} per call, asked for {}",
                req.amount
            ),
        ));
    }
    let mut head = chain::head(conn)?;
    head.minted = head
        .minted
        .checked_add(req.amount)
        .filter(|m| *m <= SUPPLY_CAP)
        .ok_or_else(|| {
            ApiError::new(
                error_codes::SUPPLY_CAP,
                format!(
                    "minting {} would take the supply past its cap {SUPPLY_CAP}",
                    req.amount
                ),
            )
        })?;
    chain::save_head(conn, &head)?;
    let balance = credit(conn, &req.address, req.amount)?;
    events::append(
        conn,
        head.number,
        head.timestamp_ms,
        &EventKind::Minted {
            account: req.address,
            amount: req.amount,
        },
    )?;
    Ok(FaucetResponse {
        address: req.address,
        balance,
    })
}

/// `POST /v1/bond`: balance → bond.
pub fn bond(conn: &Connection, from: &Address, call: &BondCall) -> Result<BondResponse, ApiError> {
    require_positive(call.amount)?;
    debit(conn, from, call.amount, "the bond")?;
    let mut account = get(conn, from)?;
    account.bond = account
        .bond
        .checked_add(call.amount)
        .ok_or_else(|| ApiError::internal("bond overflow"))?;
    let event = EventKind::Bonded {
        account: *from,
        amount: call.amount,
        bond: account.bond,
    };
    record_bond_change(conn, from, &account, &event)
}

/// `POST /v1/unbond`: bond → balance, refused while `from` has batches in their window
/// (otherwise a sequencer could post fraud and pull its stake before the proof lands).
pub fn unbond(
    conn: &Connection,
    from: &Address,
    call: &UnbondCall,
) -> Result<BondResponse, ApiError> {
    require_positive(call.amount)?;
    let pending = batches::pending_posted_by(conn, from)?;
    if let Some(last) = pending.last() {
        return Err(ApiError::new(
            error_codes::BOND_LOCKED,
            format!(
                "{from} has {} batch(es) in their challenge window (the last until block {}); its bond stays locked until they are final",
                pending.len(),
                last.deadline_block
            ),
        ));
    }
    let mut account = get(conn, from)?;
    let bond = account.bond;
    account.bond = bond.checked_sub(call.amount).ok_or_else(|| {
        let message = format!(
            "{from} has a bond of {}, cannot unbond {}; unbond at most the bond (`vigil l1 balance --address {from}` shows it)",
            format_usdc_and_raw(bond),
            format_usdc_and_raw(call.amount),
        );
        let details = serde_json::json!({ "bond": bond, "requested": call.amount });
        ApiError::new(error_codes::INSUFFICIENT_BOND, message).with_details(details)
    })?;
    account.balance = account
        .balance
        .checked_add(call.amount)
        .ok_or_else(|| ApiError::internal("balance overflow"))?;
    let event = EventKind::Unbonded {
        account: *from,
        amount: call.amount,
        bond: account.bond,
    };
    record_bond_change(conn, from, &account, &event)
}

/// Stores `from`'s `account` after a bond or unbond, logs `event` at the head block, and
/// answers with the new balance and bond.
fn record_bond_change(
    conn: &Connection,
    from: &Address,
    account: &Account,
    event: &EventKind,
) -> Result<BondResponse, ApiError> {
    put(conn, from, account)?;
    let head = chain::head(conn)?;
    events::append(conn, head.number, head.timestamp_ms, event)?;
    Ok(BondResponse {
        account: *from,
        balance: account.balance,
        bond: account.bond,
    })
}

/// Takes `from`'s whole bond (slashing); returns the amount taken.
pub fn take_bond(conn: &Connection, from: &Address) -> Result<u64, ApiError> {
    let mut account = get(conn, from)?;
    let amount = account.bond;
    account.bond = 0;
    put(conn, from, &account)?;
    Ok(amount)
}

/// Fails unless `from` holds a bond of at least `min` for `what`.
pub fn require_bond(
    conn: &Connection,
    from: &Address,
    min: u64,
    what: &str,
) -> Result<(), ApiError> {
    let bond = get(conn, from)?.bond;
    if bond < min {
        let message = format!(
            "{from} has a bond of {}; {what} needs a bond of at least {}: bond {} more first",
            format_usdc_and_raw(bond),
            format_usdc_and_raw(min),
            format_usdc_and_raw(min - bond),
        );
        let details = serde_json::json!({ "bond": bond, "min_bond": min });
        return Err(ApiError::new(error_codes::BOND_REQUIRED, message).with_details(details));
    }
    Ok(())
}

/// Every non-zero bond, by address.
pub fn bonds(conn: &Connection) -> Result<Vec<BondEntry>, ApiError> {
    let mut stmt =
        conn.prepare_cached("SELECT address, bond FROM accounts WHERE bond > 0 ORDER BY address")?;
    let rows = stmt.query_map([], |r| {
        Ok(BondEntry {
            account: Address(r.get(0)?),
            amount: r.get(1)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The supply accounting, summed from the rows.
pub fn supply(conn: &Connection, head: &Head) -> Result<Supply, ApiError> {
    let (balances, bonds): (i64, i64) = conn.query_row(
        "SELECT COALESCE(SUM(balance), 0), COALESCE(SUM(bond), 0) FROM accounts",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let balances = u64::try_from(balances).map_err(ApiError::internal)?;
    let bonds = u64::try_from(bonds).map_err(ApiError::internal)?;
    let held = u128::from(balances)
        + u128::from(head.escrow)
        + u128::from(bonds)
        + u128::from(head.burned);
    Ok(Supply {
        minted: head.minted,
        balances,
        escrow: head.escrow,
        bonds,
        burned: head.burned,
        conserved: held == u128::from(head.minted),
    })
}
