//! Memoized owner hashes for the key layout: `keccak256(owner)` and
//! `keccak256(owner ‖ market)`.
//!
//! Accounts, positions, nonce sets and order indexes are keyed by these hashes, and one
//! action derives the same few keys many times (admission, margin over every market,
//! each maker of each fill). Profiling the STF showed key derivation alone at about a
//! quarter of its time, so each thread keeps a small direct-mapped cache of recent owners.
//!
//! The cache is invisible to consensus: an entry is only ever the hash of exactly its
//! input (checked on every hit), so the answer is the same bytes with or without it, on
//! any thread, in any order. It holds no I/O, clock or randomness.

use crate::primitives::{Address, H256, keccak256, keccak256_concat};
use std::cell::RefCell;

/// Entries per cache; a power of two, indexed by low bits of the (already uniform) address.
/// Direct-mapped, so `n` live owners keep about `e^(-n/SLOTS)` of their hits: at 1,024
/// slots, the bench's 200 traders in two markets missed on 0.44 lookups per action, each a
/// keccak (8.6 % of the STF's instructions); at 4,096 (about 240 KiB per cache per
/// thread that runs the STF) far fewer do.
const SLOTS: usize = 4096;

type OwnerSlot = Option<(Address, H256)>;
type OwnerMarketSlot = Option<(Address, u32, H256)>;

thread_local! {
    static OWNERS: RefCell<Box<[OwnerSlot; SLOTS]>> = RefCell::new(Box::new([None; SLOTS]));
    static OWNER_MARKETS: RefCell<Box<[OwnerMarketSlot; SLOTS]>> =
        RefCell::new(Box::new([None; SLOTS]));
}

fn slot(owner: &Address, salt: u32) -> usize {
    let low = u32::from_be_bytes([owner.0[16], owner.0[17], owner.0[18], owner.0[19]]);
    (low ^ salt.wrapping_mul(0x9e37_79b9)) as usize % SLOTS
}

/// `keccak256(owner)`.
pub fn owner_hash(owner: &Address) -> H256 {
    OWNERS.with(|cache| {
        let mut cache = cache.borrow_mut();
        let entry = &mut cache[slot(owner, 0)];
        match entry {
            Some((cached, hash)) if cached == owner => *hash,
            _ => {
                let hash = keccak256(&owner.0);
                *entry = Some((*owner, hash));
                hash
            }
        }
    })
}

/// `keccak256(owner ‖ market_be4)`.
pub fn owner_market_hash(owner: &Address, market: u32) -> H256 {
    OWNER_MARKETS.with(|cache| {
        let mut cache = cache.borrow_mut();
        let entry = &mut cache[slot(owner, market)];
        match entry {
            Some((cached, cached_market, hash)) if cached == owner && *cached_market == market => {
                *hash
            }
            _ => {
                let hash = keccak256_concat(&[&owner.0, &market.to_be_bytes()]);
                *entry = Some((*owner, market, hash));
                hash
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whatever the access pattern (hits, misses, evictions by colliding slots), every
    /// answer equals the plain hash.
    #[test]
    fn cached_hashes_equal_plain_hashes_under_collisions() {
        let owners: Vec<Address> = (0u32..3 * SLOTS as u32)
            .map(|i| {
                let mut a = [0u8; 20];
                a[..4].copy_from_slice(&i.to_be_bytes());
                a[16..].copy_from_slice(&(i % 7).to_be_bytes());
                Address(a)
            })
            .collect();
        for round in 0..3u32 {
            for (i, owner) in owners.iter().enumerate() {
                assert_eq!(
                    owner_hash(owner),
                    keccak256(&owner.0),
                    "round {round}, owner {i}"
                );
                let market = (i as u32 + round) % 5;
                assert_eq!(
                    owner_market_hash(owner, market),
                    keccak256_concat(&[&owner.0, &market.to_be_bytes()]),
                    "round {round}, owner {i}, market {market}"
                );
            }
        }
    }
}
