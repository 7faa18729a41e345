//! EIP-712 signing (DESIGN §2): published and independently produced vectors, the
//! signature rejection rules, and properties against a naive typed-data encoder.
//!
//! Shared fixtures live here: the key, address and domain that the eth-account vectors in
//! `vectors` were produced with (the script is in docs/PROTOCOL.md Part 2).

mod properties;
mod rejection;
mod spec_example;
mod typed_data;
pub mod vectors;

use k256::ecdsa::SigningKey;
use protocol::action::Signature;
use protocol::signing::{domain_separator, signing_key_from_bytes};
use protocol::{Address, H256};

/// The private key every eth-account vector was signed with.
pub const KEY: &str = "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318";
/// The agent key of the agent-kind vectors: the EIP-712 specification's example key,
/// keccak256("cow"), address 0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826.
pub const AGENT_KEY: &str = "0xc85ef7d79691fe79573b1a7064c19c1a9819ebdbd1faaab1a8ec92344438aaf4";
/// Its address, as eth-account reports it.
pub const ADDRESS: &str = "0x2c7536e3605d9c16a7a3d7b1898e529396a65c23";
/// The vectors' domain: a local devnet chain and the first contract a fresh node deploys.
pub const CHAIN_ID: u64 = 31337;
pub const VERIFYING_CONTRACT: &str = "0x5FbDB2315678afecb367f032d93F642f64180aa3";

pub fn key() -> SigningKey {
    key_from_hex(KEY)
}

pub fn key_from_hex(hex: &str) -> SigningKey {
    let bytes =
        protocol::primitives::parse_hex_fixed::<32>(hex).expect("test key is 32 bytes of hex");
    signing_key_from_bytes(&bytes).expect("test key is a valid scalar")
}

pub fn address() -> Address {
    ADDRESS.parse().expect("test address is valid hex")
}

pub fn domain() -> H256 {
    let contract: Address = VERIFYING_CONTRACT
        .parse()
        .expect("test contract is valid hex");
    domain_separator(CHAIN_ID, &contract)
}

pub fn h256(hex: &str) -> H256 {
    hex.parse().expect("test hash is 32 bytes of hex")
}

pub fn signature(hex: &str) -> Signature {
    Signature(
        protocol::primitives::parse_hex_fixed::<65>(hex)
            .expect("test signature is 65 bytes of hex"),
    )
}
