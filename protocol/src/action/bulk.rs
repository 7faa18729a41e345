//! The items of a `BulkModify` (issue #16): one [`ModifyItem`] per open order to change,
//! signed as the EIP-712 array of structs `ModifyItem[] items`, so an external signer
//! (eth-account's `encode_typed_data`, MetaMask's `eth_signTypedData_v4`) signs it with
//! the two types `BulkModify` and `ModifyItem` and nothing of ours.
//!
//! Representations (docs/PROTOCOL.md Part 1 and Part 2 §2):
//! - binary: a `u8` count (1..=[`MAX_BULK_MODIFY_ITEMS`]), then per item `market u32 ‖
//!   orderNonce u64 ‖ clientId u128 ‖ price u64 ‖ size u64`;
//! - EIP-712: the member's word is `keccak256(hashStruct(item₀) ‖ hashStruct(item₁) ‖ …)`,
//!   each `hashStruct` over [`ModifyItem::TYPE_STRING`];
//! - JSON: an array of `{"market", "orderNonce", "clientId", "price", "size"}` objects
//!   (`clientId` a decimal string, like `ClientOrder`'s).

use super::member::Member;
use crate::codec::{DecodeError, Field, Reader, Writer};
use crate::primitives::H256;
use crate::primitives::keccak256;
use crate::signing::StructHasher;
use crate::signing::h256;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The most orders one `BulkModify` changes. Like Hyperliquid's batch modify it is a
/// market maker's re-quote of a ladder; 16 keeps one action's witness small (the bound
/// grows by 6 paths per item, docs/PROTOCOL.md Part 4 §14).
pub const MAX_BULK_MODIFY_ITEMS: usize = 16;

/// One order to change. `clientId` ≠ 0 names the account's open order with that client id
/// (then `market` and `orderNonce` must be 0); `clientId` = 0 names the order
/// `(account, orderNonce)` in `market`. `price` and `size` are the new limit price and
/// unfilled size; 0 keeps the current one (not both).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ModifyItem {
    #[serde(with = "crate::action::member")]
    pub market: u32,
    #[serde(with = "crate::action::member")]
    pub order_nonce: u64,
    #[serde(with = "crate::action::member")]
    pub client_id: u128,
    #[serde(with = "crate::action::member")]
    pub price: u64,
    #[serde(with = "crate::action::member")]
    pub size: u64,
}

impl ModifyItem {
    /// Its EIP-712 struct type, which `BulkModify`'s type string includes.
    pub const TYPE_STRING: &'static str =
        "ModifyItem(uint32 market,uint64 orderNonce,uint128 clientId,uint64 price,uint64 size)";

    /// keccak256 of [`ModifyItem::TYPE_STRING`], stated once rather than hashed for every
    /// item of every signature checked (a test holds the two together).
    pub const TYPE_HASH: H256 =
        h256("0xd35af1e55d9d6661fe1d7040fded414fcfc3908d8a9a982e634be932b289746d");

    /// The item naming the account's open order with `client_id`.
    pub fn by_client_id(client_id: u128, price: u64, size: u64) -> ModifyItem {
        ModifyItem {
            market: 0,
            order_nonce: 0,
            client_id,
            price,
            size,
        }
    }

    /// The item naming the account's order `order_nonce` in `market`.
    pub fn by_nonce(market: u32, order_nonce: u64, price: u64, size: u64) -> ModifyItem {
        ModifyItem {
            market,
            order_nonce,
            client_id: 0,
            price,
            size,
        }
    }

    /// `hashStruct(item)`.
    pub fn hash_struct(&self) -> [u8; 32] {
        let h = StructHasher::new(&Self::TYPE_HASH);
        let h = self.market.hash(h);
        let h = self.order_nonce.hash(h);
        let h = self.client_id.hash(h);
        let h = self.price.hash(h);
        self.size.hash(h).finish().0
    }
}

/// The `items` member: 1..=[`MAX_BULK_MODIFY_ITEMS`] items, in the order they apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModifyItems(pub Vec<ModifyItem>);

impl ModifyItems {
    /// Why `n` items are not a valid list, if they are not.
    fn check_count(n: usize) -> Result<(), String> {
        if (1..=MAX_BULK_MODIFY_ITEMS).contains(&n) {
            return Ok(());
        }
        Err(format!(
            "{n} items; a BulkModify changes 1 to {MAX_BULK_MODIFY_ITEMS} orders (send more as several)"
        ))
    }
}

impl Field for ModifyItems {
    fn write(&self, w: &mut Writer) {
        let n = u8::try_from(self.0.len()).expect("at most MAX_BULK_MODIFY_ITEMS items");
        w.u8(n);
        for item in &self.0 {
            w.u32(item.market)
                .u64(item.order_nonce)
                .u128(item.client_id)
                .u64(item.price)
                .u64(item.size);
        }
    }

    fn read(r: &mut Reader<'_>, field: &'static str) -> Result<Self, DecodeError> {
        let n = usize::from(r.u8(field)?);
        Self::check_count(n).map_err(|reason| DecodeError::Invalid { field, reason })?;
        let mut items = Vec::with_capacity(n);
        for _ in 0..n {
            items.push(ModifyItem {
                market: r.u32("market")?,
                order_nonce: r.u64("orderNonce")?,
                client_id: r.u128("clientId")?,
                price: r.u64("price")?,
                size: r.u64("size")?,
            });
        }
        Ok(ModifyItems(items))
    }
}

impl Member for ModifyItems {
    const SOLIDITY: &'static str = "ModifyItem[]";
    fn hash(&self, h: StructHasher) -> StructHasher {
        let words: Vec<u8> = self.0.iter().flat_map(|i| i.hash_struct()).collect();
        h.word(&keccak256(&words).0)
    }
    fn to_json<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
    fn from_json<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let items = Vec::<ModifyItem>::deserialize(d)?;
        Self::check_count(items.len()).map_err(serde::de::Error::custom)?;
        Ok(ModifyItems(items))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stated_type_hash_is_the_type_strings() {
        assert_eq!(
            ModifyItem::TYPE_HASH,
            keccak256(ModifyItem::TYPE_STRING.as_bytes())
        );
    }
}
