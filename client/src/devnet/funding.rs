//! First-start funding, idempotent by construction: every decision reads the settlement
//! layer's state, so a restart (even after a crash halfway through) never pays twice.
//!
//! - The sequencer and the verifiers get faucet money only while their L1 account is
//!   untouched (no balance, bond or nonce); they bond themselves when they start.
//! - A dev account gets faucet money while it has never signed an L1 call and holds less
//!   than its deposit, and deposits while it has never signed an L1 call (the deposit is its
//!   first signed call, so a nonce above 0 means "already deposited").

use k256::ecdsa::SigningKey;
use protocol::api::settlement::{DepositCall, FaucetRequest};
use protocol::primitives::Address;
use protocol::signing::address_of;
use service_client::settlement::{SettlementClient, SettlementError};

/// What funding did on this start (all zero on a resumed devnet).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Funded {
    /// Accounts that received faucet money.
    pub minted: Vec<Address>,
    /// Dev accounts whose deposit was queued.
    pub deposited: Vec<Address>,
}

/// Mints `amount` to `address` unless its L1 account has ever been used.
pub async fn fund_service(
    l1: &SettlementClient,
    address: Address,
    amount: u64,
    funded: &mut Funded,
) -> Result<(), SettlementError> {
    let account = l1.account(&address).await?;
    if account.balance == 0 && account.bond == 0 && account.nonce == 0 {
        l1.faucet(&FaucetRequest { address, amount }).await?;
        funded.minted.push(address);
    }
    Ok(())
}

/// Funds dev account `key` with `funds` on L1 and deposits `deposit` into the rollup, each
/// only if it has not happened before.
pub async fn fund_account(
    l1: &SettlementClient,
    key: &SigningKey,
    funds: u64,
    deposit: u64,
    funded: &mut Funded,
) -> Result<(), SettlementError> {
    let address = address_of(key);
    let account = l1.account(&address).await?;
    if account.nonce > 0 {
        return Ok(());
    }
    if account.balance < deposit {
        l1.faucet(&FaucetRequest {
            address,
            amount: funds,
        })
        .await?;
        funded.minted.push(address);
    }
    if deposit > 0 {
        let call = l1
            .sign(
                key,
                DepositCall {
                    account: address,
                    amount: deposit,
                },
            )
            .await?;
        l1.deposit(&call).await?;
        funded.deposited.push(address);
    }
    Ok(())
}
