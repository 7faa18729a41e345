//! Replay protection (DESIGN §2): each account keeps its 64 highest used nonces. A nonce is
//! valid iff it is not in that set and, when the set is full, greater than its minimum;
//! using it inserts it and, if the set then holds 65, drops the minimum.
//!
//! This lets high-frequency traders sign many actions in parallel with unrelated nonces
//! (e.g. millisecond timestamps) while a dropped nonce can never be replayed: everything
//! dropped is below the set's minimum, which only ever rises.

use super::Halt;
use super::keys::nonce_set_key;
use super::receipt::Status;
use super::records::{NONCE_WINDOW, NonceSet};
use super::storage::read;
use crate::primitives::Address;
use crate::state::State;

/// Checks `nonce` against the rule above and, if it passes, adds it to `set` (in place: the
/// set is read, updated and written once per action); a refused nonce leaves `set` as it was.
pub fn admit(set: &mut NonceSet, nonce: u64) -> Result<(), Status> {
    let at = match set.nonces.binary_search(&nonce) {
        Ok(_) => return Err(Status::NonceAlreadyUsed),
        Err(at) => at,
    };
    if set.nonces.len() >= NONCE_WINDOW && at == 0 {
        return Err(Status::NonceTooLow);
    }
    set.nonces.insert(at, nonce);
    if set.nonces.len() > NONCE_WINDOW {
        set.nonces.remove(0);
    }
    Ok(())
}

/// Consumes `owner`'s `nonce` or rejects the action.
pub fn use_nonce<S: State>(st: &mut S, owner: &Address, nonce: u64) -> Result<(), Halt> {
    let key = nonce_set_key(owner);
    let mut set: NonceSet = read(st, &key)?.unwrap_or_default();
    admit(&mut set, nonce).map_err(Halt::Reject)?;
    st.set_record(&key, &set)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_of_64_highest() {
        let mut set = NonceSet::default();
        // Out-of-order nonces are fine while the window has room.
        for n in (1..=64u64).rev() {
            admit(&mut set, n * 10).unwrap();
        }
        assert_eq!(set.nonces.len(), 64);
        // A refusal leaves the set as it was.
        let full = set.clone();
        assert_eq!(admit(&mut set, 10), Err(Status::NonceAlreadyUsed));
        // Full: anything at or below the minimum (10) is too low, even if never used.
        assert_eq!(admit(&mut set, 5), Err(Status::NonceTooLow));
        assert_eq!(set, full);
        // A gap above the minimum is still usable; the minimum drops out.
        admit(&mut set, 15).unwrap();
        assert_eq!(set.nonces.len(), 64);
        assert_eq!(set.nonces[0], 15);
        assert_eq!(admit(&mut set, 10), Err(Status::NonceTooLow));
        assert_eq!(admit(&mut set, 15), Err(Status::NonceAlreadyUsed));
        assert!(admit(&mut set, u64::MAX).is_ok());
    }
}
