//! EIP-712 hashing: the Vigil domain, the primary types' type strings and type hashes,
//! `hashStruct` for each action, and the final `0x19 0x01` signing digest.
//!
//! The type strings are normative (DESIGN §2): wallets (MetaMask, ethers, eth-account) hash
//! exactly these, so a change here silently invalidates every signature in the wild. The
//! type hashes are hardcoded so they cost nothing at run time; a unit test recomputes each
//! from its string.
//!
//! `StructHasher` streams `typeHash ‖ enc(field₁) ‖ … ‖ enc(fieldₙ)` into keccak256 one
//! 32-byte word at a time, with no allocation, because hashing runs once per action on the
//! sequencer's hot path. It is public so other typed data (the EIP-712 spec's own "Mail"
//! example in our tests) runs through the very same word encoders.

use crate::action::{Action, Cancel, ClientOrder, ModifyOrder, Order, ScheduleCancel};
use crate::primitives::{Address, H256, keccak256, keccak256_concat};
use sha3::{Digest, Keccak256};

/// The domain's name field.
pub const DOMAIN_NAME: &str = "Vigil";
/// The domain's version field.
pub const DOMAIN_VERSION: &str = "1";

pub const DOMAIN_TYPE: &str =
    "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)";
pub const ORDER_TYPE: &str = "Order(address account,uint32 market,bool isBuy,uint64 price,uint64 size,uint8 tif,bool reduceOnly,uint64 nonce,uint64 expiresAt)";
pub const CANCEL_TYPE: &str =
    "Cancel(address account,uint32 market,uint64 orderNonce,uint64 nonce,uint64 expiresAt)";
pub const CANCEL_ALL_TYPE: &str = "CancelAll(address account,uint64 nonce,uint64 expiresAt)";
pub const WITHDRAW_TYPE: &str =
    "Withdraw(address account,uint64 amount,uint64 nonce,uint64 expiresAt)";
pub const LIQUIDATE_TYPE: &str =
    "Liquidate(address liquidator,address account,uint32 market,uint64 nonce,uint64 expiresAt)";
pub const PRICE_UPDATE_TYPE: &str = "PriceUpdate(uint32 market,uint64 price,uint64 timestampMs)";
pub const IMPLIED_VOL_UPDATE_TYPE: &str =
    "ImpliedVolUpdate(uint32 market,uint64 volPpm,uint64 timestampMs)";
pub const APPROVE_AGENT_TYPE: &str = "ApproveAgent(address account,address agent,string name,uint64 validUntil,uint64 nonce,uint64 expiresAt)";
pub const REVOKE_AGENT_TYPE: &str =
    "RevokeAgent(address account,address agent,uint64 nonce,uint64 expiresAt)";
pub const AGENT_ORDER_TYPE: &str = "AgentOrder(address agent,address account,uint32 market,bool isBuy,uint64 price,uint64 size,uint8 tif,bool reduceOnly,uint64 nonce,uint64 expiresAt)";
pub const AGENT_CANCEL_TYPE: &str = "AgentCancel(address agent,address account,uint32 market,uint64 orderNonce,uint64 nonce,uint64 expiresAt)";
pub const AGENT_CANCEL_ALL_TYPE: &str =
    "AgentCancelAll(address agent,address account,uint64 nonce,uint64 expiresAt)";
pub const SCHEDULE_CANCEL_TYPE: &str =
    "ScheduleCancel(address account,uint64 time,uint64 nonce,uint64 expiresAt)";
pub const AGENT_SCHEDULE_CANCEL_TYPE: &str =
    "AgentScheduleCancel(address agent,address account,uint64 time,uint64 nonce,uint64 expiresAt)";
pub const CLIENT_ORDER_TYPE: &str = "ClientOrder(address signer,address account,uint32 market,bool isBuy,uint64 price,uint64 size,uint8 tif,bool reduceOnly,uint128 clientId,uint64 nonce,uint64 expiresAt)";
pub const CANCEL_BY_CLIENT_ID_TYPE: &str = "CancelByClientId(address signer,address account,uint128 clientId,uint64 nonce,uint64 expiresAt)";
pub const MODIFY_ORDER_TYPE: &str = "ModifyOrder(address signer,address account,uint128 clientId,uint64 price,uint64 size,uint64 nonce,uint64 expiresAt)";
pub const TRIGGER_ORDER_TYPE: &str = "TriggerOrder(address signer,address account,uint32 market,bool isBuy,uint8 kind,uint64 triggerPrice,uint64 price,uint64 size,bool reduceOnly,uint64 nonce,uint64 expiresAt)";
pub const TP_SL_TYPE: &str = "TpSl(address signer,address account,uint32 market,uint64 takeProfit,uint64 stopLoss,uint64 nonce,uint64 expiresAt)";
pub const SET_LEVERAGE_TYPE: &str = "SetLeverage(address signer,address account,uint32 market,uint32 leverage,uint64 nonce,uint64 expiresAt)";

/// keccak256(DOMAIN_TYPE)
pub const DOMAIN_TYPEHASH: H256 =
    h256("0x8b73c3c69bb8fe3d512ecc4cf759cc79239f7b179b0ffacaa9a75d522b39400f");
/// keccak256(ORDER_TYPE)
pub const ORDER_TYPEHASH: H256 =
    h256("0xd3f9cdd06232f07c1ea43fe725ec42f054489aa813935684a6d4df567abc4db4");
/// keccak256(CANCEL_TYPE)
pub const CANCEL_TYPEHASH: H256 =
    h256("0xe12e9bc0627482a6e1758d2e27236a84b21773b5e1c6f0efd7bf01e742b3a3fc");
/// keccak256(CANCEL_ALL_TYPE)
pub const CANCEL_ALL_TYPEHASH: H256 =
    h256("0x4b10954193618e7862aec8942a96376a2dfbf0f1a1069c4c54e7c764ea5d8940");
/// keccak256(WITHDRAW_TYPE)
pub const WITHDRAW_TYPEHASH: H256 =
    h256("0x6c53d356a7aba9f565365a7ca4d0051e5ee8b7f944216fe15c5c1e6cd9322203");
/// keccak256(LIQUIDATE_TYPE)
pub const LIQUIDATE_TYPEHASH: H256 =
    h256("0x52c39045953cdc01714fc5078985e1da25b5f661148e62c2afe1842d110e9bb6");
/// keccak256(PRICE_UPDATE_TYPE)
pub const PRICE_UPDATE_TYPEHASH: H256 =
    h256("0x02cd825cf19260fc3551a9bf3f20a2e1020cf7cb45f67f8bbc7c3dc25fce4f0e");
/// keccak256(APPROVE_AGENT_TYPE)
pub const APPROVE_AGENT_TYPEHASH: H256 =
    h256("0x058f30c324320c1aa44fe2c8b441648a911ba1bc4338251f4fb889cb8f31bcf4");
/// keccak256(REVOKE_AGENT_TYPE)
pub const REVOKE_AGENT_TYPEHASH: H256 =
    h256("0x1f1bd30eeb16a9b711bef3096241ff0abfebbbe51afab16e63f9f9d1f826630d");
/// keccak256(AGENT_ORDER_TYPE)
pub const AGENT_ORDER_TYPEHASH: H256 =
    h256("0xf2d65a47eb47a8c9645cf405a4d31a80a10efdc2d070df331ebe01c30881dc66");
/// keccak256(AGENT_CANCEL_TYPE)
pub const AGENT_CANCEL_TYPEHASH: H256 =
    h256("0xd5d35c99a6e0c754fa7f71b073087630eb6957c37649426b1d445748d8282943");
/// keccak256(AGENT_CANCEL_ALL_TYPE)
pub const AGENT_CANCEL_ALL_TYPEHASH: H256 =
    h256("0xb17a19a53320b50adcf2ca14ca589698d20412ede81a3b68bb0d2a0cb986fe54");
/// keccak256(IMPLIED_VOL_UPDATE_TYPE)
pub const IMPLIED_VOL_UPDATE_TYPEHASH: H256 =
    h256("0xd6393dbbc2397ab2127c0541eef1ce0007876dafb9a60a145e5a9cf8d2ac7e75");
/// keccak256(SCHEDULE_CANCEL_TYPE)
pub const SCHEDULE_CANCEL_TYPEHASH: H256 =
    h256("0x7e935d1bbcda9499e2a2356ef24490dff782cd0a84d213054bd2e19b73a5a7ec");
/// keccak256(AGENT_SCHEDULE_CANCEL_TYPE)
pub const AGENT_SCHEDULE_CANCEL_TYPEHASH: H256 =
    h256("0x464559043939f689658c306eff37dac02ddefa3f75f8a11c6f723b5fe14e05aa");
/// keccak256(TRIGGER_ORDER_TYPE)
pub const TRIGGER_ORDER_TYPEHASH: H256 =
    h256("0x6caad3d7d87b3014464e37811d8d6f89d859836b574d1ec40095fc750312171a");
/// keccak256(TP_SL_TYPE)
pub const TP_SL_TYPEHASH: H256 =
    h256("0x40ee8c9eca7c3c2cc42b8ee0fa44c56a34ab09603bf0e74e2534292a86b21921");

/// keccak256(CLIENT_ORDER_TYPE)
pub const CLIENT_ORDER_TYPEHASH: H256 =
    h256("0xd3fc43ddc23362b573f243de608c33ab46d20b8088e294354ca80340891b9aa0");
/// keccak256(CANCEL_BY_CLIENT_ID_TYPE)
pub const CANCEL_BY_CLIENT_ID_TYPEHASH: H256 =
    h256("0xf5f7c5ed728fc93464827ee96b525131dd5538bf6eca57197a0458c745ecff87");
/// keccak256(MODIFY_ORDER_TYPE)
pub const MODIFY_ORDER_TYPEHASH: H256 =
    h256("0xa03b0a8706077ee87f06dbfb4486efc80bf82d8565629d4aa2914c20a920e4e9");
/// keccak256(SET_LEVERAGE_TYPE)
pub const SET_LEVERAGE_TYPEHASH: H256 =
    h256("0xe533630f7217468d35462fca6f36a661e6d6a8042a3187bbb6c9aa9566beab12");

/// The Vigil domain separator for a deployment (`chainId` and the rollup contract's address
/// come from genesis).
pub fn domain_separator(chain_id: u64, verifying_contract: &Address) -> H256 {
    eip712_domain_separator(DOMAIN_NAME, DOMAIN_VERSION, chain_id, verifying_contract)
}

/// `hashStruct(EIP712Domain{name, version, chainId, verifyingContract})` for any domain of
/// that four-field shape. Vigil uses it through `domain_separator`; tests use it for the
/// EIP-712 spec's example domain.
pub fn eip712_domain_separator(
    name: &str,
    version: &str,
    chain_id: u64,
    verifying_contract: &Address,
) -> H256 {
    StructHasher::new(&DOMAIN_TYPEHASH)
        .string(name)
        .string(version)
        .uint(chain_id.into())
        .address(verifying_contract)
        .finish()
}

/// The type hash of an action's primary type.
pub fn type_hash(action: &Action) -> H256 {
    action.kind().type_hash()
}

/// `hashStruct(action)`: keccak256 of the type hash followed by every field, in type-string
/// order, as one 32-byte ABI word each.
pub fn struct_hash(action: &Action) -> H256 {
    let h = StructHasher::new(&type_hash(action));
    match action {
        Action::Order(o) => order_fields(h, o),
        Action::Cancel(c) => cancel_fields(h, c),
        Action::CancelAll(c) => h
            .address(&c.account)
            .uint(c.nonce.into())
            .uint(c.expires_at.into()),
        Action::Withdraw(w) => h
            .address(&w.account)
            .uint(w.amount.into())
            .uint(w.nonce.into())
            .uint(w.expires_at.into()),
        Action::Liquidate(l) => h
            .address(&l.liquidator)
            .address(&l.account)
            .uint(l.market.into())
            .uint(l.nonce.into())
            .uint(l.expires_at.into()),
        Action::PriceUpdate(p) => h
            .uint(p.market.into())
            .uint(p.price.into())
            .uint(p.timestamp_ms.into()),
        Action::ImpliedVolUpdate(v) => h
            .uint(v.market.into())
            .uint(v.vol_ppm.into())
            .uint(v.timestamp_ms.into()),
        Action::ApproveAgent(a) => h
            .address(&a.account)
            .address(&a.agent)
            .string(&a.name)
            .uint(a.valid_until.into())
            .uint(a.nonce.into())
            .uint(a.expires_at.into()),
        Action::RevokeAgent(r) => h
            .address(&r.account)
            .address(&r.agent)
            .uint(r.nonce.into())
            .uint(r.expires_at.into()),
        // An agent kind's type string is `agent` followed by its account kind's members.
        Action::AgentOrder(o) => order_fields(h.address(&o.agent), &o.order()),
        Action::AgentCancel(c) => cancel_fields(h.address(&c.agent), &c.cancel()),
        Action::AgentCancelAll(c) => h
            .address(&c.agent)
            .address(&c.account)
            .uint(c.nonce.into())
            .uint(c.expires_at.into()),
        Action::ScheduleCancel(c) => schedule_cancel_fields(h, c),
        Action::AgentScheduleCancel(c) => {
            schedule_cancel_fields(h.address(&c.agent), &c.schedule())
        }
        Action::ClientOrder(o) => client_order_fields(h, o),
        Action::CancelByClientId(c) => h
            .address(&c.signer)
            .address(&c.account)
            .uint(c.client_id)
            .uint(c.nonce.into())
            .uint(c.expires_at.into()),
        Action::ModifyOrder(m) => modify_order_fields(h, m),
        Action::TriggerOrder(t) => h
            .address(&t.signer)
            .address(&t.account)
            .uint(t.market.into())
            .bool(t.is_buy)
            .uint(u128::from(t.kind as u8))
            .uint(t.trigger_price.into())
            .uint(t.price.into())
            .uint(t.size.into())
            .bool(t.reduce_only)
            .uint(t.nonce.into())
            .uint(t.expires_at.into()),
        Action::TpSl(t) => h
            .address(&t.signer)
            .address(&t.account)
            .uint(t.market.into())
            .uint(t.take_profit.into())
            .uint(t.stop_loss.into())
            .uint(t.nonce.into())
            .uint(t.expires_at.into()),
        Action::SetLeverage(l) => h
            .address(&l.signer)
            .address(&l.account)
            .uint(l.market.into())
            .uint(l.leverage.into())
            .uint(l.nonce.into())
            .uint(l.expires_at.into()),
    }
    .finish()
}

/// `Order`'s members, in type-string order (also the tail of `AgentOrder`'s).
fn order_fields(h: StructHasher, o: &Order) -> StructHasher {
    h.address(&o.account)
        .uint(o.market.into())
        .bool(o.is_buy)
        .uint(o.price.into())
        .uint(o.size.into())
        .uint(u128::from(o.tif as u8))
        .bool(o.reduce_only)
        .uint(o.nonce.into())
        .uint(o.expires_at.into())
}

/// `ClientOrder`'s members, in type-string order.
fn client_order_fields(h: StructHasher, o: &ClientOrder) -> StructHasher {
    h.address(&o.signer)
        .address(&o.account)
        .uint(o.market.into())
        .bool(o.is_buy)
        .uint(o.price.into())
        .uint(o.size.into())
        .uint(u128::from(o.tif as u8))
        .bool(o.reduce_only)
        .uint(o.client_id)
        .uint(o.nonce.into())
        .uint(o.expires_at.into())
}

/// `ModifyOrder`'s members, in type-string order.
fn modify_order_fields(h: StructHasher, m: &ModifyOrder) -> StructHasher {
    h.address(&m.signer)
        .address(&m.account)
        .uint(m.client_id)
        .uint(m.price.into())
        .uint(m.size.into())
        .uint(m.nonce.into())
        .uint(m.expires_at.into())
}

/// `Cancel`'s members, in type-string order (also the tail of `AgentCancel`'s).
fn cancel_fields(h: StructHasher, c: &Cancel) -> StructHasher {
    h.address(&c.account)
        .uint(c.market.into())
        .uint(c.order_nonce.into())
        .uint(c.nonce.into())
        .uint(c.expires_at.into())
}

/// `ScheduleCancel`'s members, in type-string order (also the tail of
/// `AgentScheduleCancel`'s).
fn schedule_cancel_fields(h: StructHasher, c: &ScheduleCancel) -> StructHasher {
    h.address(&c.account)
        .uint(c.time.into())
        .uint(c.nonce.into())
        .uint(c.expires_at.into())
}

/// The digest a wallet signs for `action`: keccak256(0x19 ‖ 0x01 ‖ domainSeparator ‖ hashStruct).
pub fn signing_digest(action: &Action, domain_separator: &H256) -> H256 {
    typed_data_digest(domain_separator, &struct_hash(action))
}

/// keccak256(0x19 ‖ 0x01 ‖ domainSeparator ‖ structHash): the EIP-191 version-1 envelope
/// shared by all EIP-712 typed data.
pub fn typed_data_digest(domain_separator: &H256, struct_hash: &H256) -> H256 {
    keccak256_concat(&[&[0x19, 0x01], &domain_separator.0, &struct_hash.0])
}

/// Streams one struct's `typeHash ‖ encodeData` into keccak256. Each method appends exactly
/// one 32-byte word, following EIP-712's `encodeData` rules for that member type.
#[derive(Debug, Clone)]
pub struct StructHasher(Keccak256);

impl StructHasher {
    /// Starts a struct with its type hash (keccak256 of its `encodeType` string).
    pub fn new(type_hash: &H256) -> Self {
        let mut hasher = Keccak256::new();
        hasher.update(type_hash.0);
        StructHasher(hasher)
    }

    /// A raw 32-byte word: `bytes32`, or the `hashStruct` of a nested struct member.
    pub fn word(mut self, word: &[u8; 32]) -> Self {
        self.0.update(word);
        self
    }

    /// `address`: the 20 bytes left-padded with zeros to 32.
    pub fn address(self, address: &Address) -> Self {
        self.word(&address.to_word())
    }

    /// `uint8` … `uint256` (for values up to 128 bits): big-endian, left-padded with zeros.
    pub fn uint(self, value: u128) -> Self {
        let mut word = [0u8; 32];
        word[16..].copy_from_slice(&value.to_be_bytes());
        self.word(&word)
    }

    /// `bool`: the `uint256` 0 or 1.
    pub fn bool(self, value: bool) -> Self {
        self.uint(u128::from(value))
    }

    /// `string`: keccak256 of the UTF-8 bytes (no length prefix, no padding).
    pub fn string(self, value: &str) -> Self {
        self.word(&keccak256(value.as_bytes()).0)
    }

    /// The struct hash.
    pub fn finish(self) -> H256 {
        H256(self.0.finalize().into())
    }
}

/// Parses a `0x` + 64 hex digit literal at compile time (the type-hash constants). A bad
/// literal fails the build, never a running node.
const fn h256(literal: &str) -> H256 {
    let bytes = literal.as_bytes();
    assert!(
        bytes.len() == 66 && bytes[0] == b'0' && bytes[1] == b'x',
        "expected 0x + 64 hex digits"
    );
    let mut out = [0u8; 32];
    let mut i = 0;
    while i < 32 {
        out[i] = (nibble(bytes[2 + 2 * i]) << 4) | nibble(bytes[3 + 2 * i]);
        i += 1;
    }
    H256(out)
}

const fn nibble(c: u8) -> u8 {
    match c {
        b'0'..=b'9' => c - b'0',
        b'a'..=b'f' => c - b'a' + 10,
        _ => panic!("type-hash literals must be lowercase hex"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_domain_type_hash_is_keccak_of_its_type_string() {
        // The primary types are checked by enumerating `ActionKind::TABLE` (tests/it).
        assert_eq!(DOMAIN_TYPEHASH, keccak256(DOMAIN_TYPE.as_bytes()));
    }

    #[test]
    fn words_are_abi_encoded() {
        // hashStruct over one word equals keccak(typeHash ‖ word): check each encoder's word.
        let t = H256([7; 32]);
        let check = |hasher: StructHasher, word: [u8; 32]| {
            assert_eq!(hasher.finish(), keccak256_concat(&[&t.0, &word]));
        };
        let mut w = [0u8; 32];
        w[31] = 1;
        check(StructHasher::new(&t).bool(true), w);
        check(StructHasher::new(&t).bool(false), [0; 32]);
        let mut w = [0u8; 32];
        w[24..].copy_from_slice(&u64::MAX.to_be_bytes());
        check(StructHasher::new(&t).uint(u64::MAX.into()), w);
        let mut w = [0u8; 32];
        w[12..].copy_from_slice(&[0xab; 20]);
        check(StructHasher::new(&t).address(&Address([0xab; 20])), w);
        check(StructHasher::new(&t).string("Vigil"), keccak256(b"Vigil").0);
    }

    #[test]
    fn const_hex_parser_matches_runtime_parser() {
        let s = "0x00ff10a0b1c2d3e4f5968778695a4b3c2d1e0f00112233445566778899aabbcc";
        assert_eq!(h256(s), s.parse::<H256>().expect("valid literal"));
    }
}
