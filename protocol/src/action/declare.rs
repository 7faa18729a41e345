//! `declare_actions!`: one declaration per action kind, from which everything that only
//! follows the kind's *shape* is generated.
//!
//! Why: each action kind used to be written out six times by hand, member by member: the
//! struct with its serde attributes, the `Action` and `ActionKind` variants, the binary
//! encoder, the binary decoder, the EIP-712 type string and its `hashStruct`. The copies
//! had to agree byte for byte (wallets sign the type string; fraud proofs hash the bytes),
//! and nothing but tests said when one drifted. Now a kind is declared once:
//!
//! ```text
//! /// What it does (the generated doc starts with its type string).
//! Cancel = 1, signer account, hash "0xe12e…" {
//!     account: Address as address account,
//!     market: u32 as uint32 market,
//!     order_nonce: u64 as uint64 orderNonce,
//!     nonce: u64 as uint64 nonce,
//!     expires_at: u64 as uint64 expiresAt,
//! }
//! ```
//!
//! - `Cancel = 1`: the EIP-712 primary type, JSON `type`, `Action` variant, message struct
//!   and `ActionKind` variant, and its canonical-encoding tag (normative, never reused).
//! - `signer account`: the member that must have signed it (`oracle` for the oracle's kinds,
//!   signed by a genesis oracle signer); `signer agent for account` when the signer acts for
//!   another member's account.
//! - `hash "0x…"`: keccak256 of the type string, precomputed so hashing costs nothing at run
//!   time (`tests/it/tables.rs` recomputes every one and prints the right value).
//! - One line per member, in type-string order: the Rust field and type, `as`, then the
//!   member exactly as it stands in the type string (Solidity type and name). The order is
//!   also the binary order; the EIP-712 name is the JSON name and the decoder's field name.
//!   A Solidity type that is not an identifier (an array of structs) is written as a
//!   string, `items: ModifyItems as "ModifyItem[]" items`, and the kind then names the
//!   struct types it references after its hash, `includes "ModifyItem(…)"`: EIP-712's
//!   `encodeType` appends them to the type string (`tests/it/tables.rs` checks the
//!   included string is the struct's own, [`super::ModifyItem::TYPE_STRING`]).
//!
//! Generated, per kind: the struct (serde `camelCase`, unknown fields refused, every member
//! through [`member`](super::member)), its [`ActionMessage`] impl (name, tag, type string,
//! type hash, member-wise encode/decode/hash) and two compile-time checks per member: the
//! declared Solidity type is the one the Rust type encodes as, and the JSON name (serde's
//! camelCase of the field) is the declared EIP-712 name. Across kinds: `Action`,
//! `ActionKind` with `ActionKind::ALL`, `Action::kind()`, the signer/account accessors,
//! `Action::signing()` (who must sign, for the engine's first checks), `Encode`/`Decode`
//! for `Action`, `Action::hash_struct()` and the JSON dispatch of `SignedAction`. What is
//! not shape (forcibility, the touched-key bound, the state transition) stays in
//! `ActionKind::TABLE` and `engine`.
//!
//! A member type is anything implementing [`Member`](super::member::Member); a kind whose
//! members need another encoding adds a `Member` impl, never a hand-written encoder.

use super::ActionKind;
use crate::codec::{DecodeError, Reader, Writer};
use crate::primitives::H256;
use crate::signing::StructHasher;

/// What `declare_actions!` generates for each message struct: its identity and its
/// member-wise encodings. Generic code (the `ActionKind::TABLE` rows) reads it.
pub trait ActionMessage: Sized {
    /// Its kind (the discriminant is the encoding tag).
    const KIND: ActionKind;
    /// The EIP-712 primary type name, also the JSON `type`.
    const NAME: &'static str;
    /// The EIP-712 type string (`Name(type member,…)`).
    const TYPE_STRING: &'static str;
    /// keccak256 of [`Self::TYPE_STRING`].
    const TYPE_HASH: H256;
    /// The members' canonical encodings, in order, without the tag.
    fn encode_members(&self, w: &mut Writer);
    /// Reads the members (after the tag).
    fn decode_members(r: &mut Reader<'_>) -> Result<Self, DecodeError>;
    /// Appends one `encodeData` word per member, in order, to a hasher started with
    /// [`Self::TYPE_HASH`].
    fn hash_members(&self, h: StructHasher) -> StructHasher;
}

/// See the module documentation. Invoked once, in `action/mod.rs`, with every kind in tag
/// order.
macro_rules! declare_actions {
    // The type string: `Name(type member,type member,…)`, then the struct types its
    // members reference (EIP-712 `encodeType`), if any.
    (@type_string $name:ident; $sol0:tt $member0:ident $(, $sol:tt $member:ident)*; $($includes:literal)?) => {
        concat!(
            stringify!($name), "(", declare_actions!(@sol $sol0), " ", stringify!($member0),
            $(",", declare_actions!(@sol $sol), " ", stringify!($member),)* ")" $(, $includes)?
        )
    };
    // A member's Solidity type: an identifier (`uint64`), or a string for one that is not
    // (`"ModifyItem[]"`, an array of a struct type the kind `includes`).
    (@sol $sol:ident) => { stringify!($sol) };
    (@sol $sol:literal) => { $sol };
    // The claimed signer and nonce of message `$m`.
    (@signer_and_nonce $m:ident; oracle) => {{ let _ = $m; None }};
    (@signer_and_nonce $m:ident; $signer:ident $(for $account:ident)?) => {
        Some(($m.$signer, $m.nonce))
    };
    // The account message `$m` acts for.
    (@acting_account $m:ident; oracle) => {{ let _ = $m; None }};
    (@acting_account $m:ident; $signer:ident) => { Some($m.$signer) };
    (@acting_account $m:ident; $signer:ident for $account:ident) => { Some($m.$account) };

    // Who must sign message `$m` (`Signing`), from its kind's `signer` clause.
    (@signing $m:ident; oracle) => {{ let _ = $m; $crate::action::Signing::Oracle }};
    (@signing $m:ident; agent for $account:ident) => {
        $crate::action::Signing::Agent(declare_actions!(@signed_for $m; agent for $account))
    };
    (@signing $m:ident; signer for $account:ident) => {
        $crate::action::Signing::AccountOrAgent(declare_actions!(@signed_for $m; signer for $account))
    };
    (@signed_for $m:ident; $signer:ident for $account:ident) => {
        $crate::action::SignedFor {
            signer: $m.$signer,
            account: $m.$account,
            nonce: $m.nonce,
            expires_at: $m.expires_at,
        }
    };
    (@signing $m:ident; $signer:ident) => {
        $crate::action::Signing::Own {
            key: $m.$signer,
            nonce: $m.nonce,
            expires_at: $m.expires_at,
        }
    };

    ($(
        $(#[$doc:meta])*
        $name:ident = $tag:literal, signer $signer:ident $(for $account:ident)?, hash $hash:literal
            $(, includes $includes:literal)? {
            $($field:ident: $ty:ty as $sol:tt $member:ident),+ $(,)?
        }
    )+) => {
        $(
            #[doc = concat!("`", declare_actions!(@type_string $name; $($sol $member),+; $($includes)?), "`")]
            #[doc = ""]
            $(#[$doc])*
            #[derive(Debug, Clone, PartialEq, Eq, ::serde::Serialize, ::serde::Deserialize)]
            #[serde(rename_all = "camelCase", deny_unknown_fields)]
            pub struct $name {
                $(
                    #[serde(with = "crate::action::member")]
                    pub $field: $ty,
                )+
            }

            impl $crate::action::ActionMessage for $name {
                const KIND: $crate::action::ActionKind = $crate::action::ActionKind::$name;
                const NAME: &'static str = stringify!($name);
                const TYPE_STRING: &'static str =
                    declare_actions!(@type_string $name; $($sol $member),+; $($includes)?);
                const TYPE_HASH: $crate::primitives::H256 = $crate::signing::h256($hash);

                fn encode_members(&self, w: &mut $crate::codec::Writer) {
                    $($crate::codec::Field::write(&self.$field, w);)+
                }

                fn decode_members(
                    r: &mut $crate::codec::Reader<'_>,
                ) -> Result<Self, $crate::codec::DecodeError> {
                    Ok($name {
                        $($field: $crate::codec::Field::read(r, stringify!($member))?,)+
                    })
                }

                fn hash_members(
                    &self,
                    h: $crate::signing::StructHasher,
                ) -> $crate::signing::StructHasher {
                    $(let h = $crate::action::member::Member::hash(&self.$field, h);)+
                    h
                }
            }

            // The declaration states each member twice (Rust and EIP-712); these make the
            // build fail where the two disagree.
            $(const _: () = {
                assert!(
                    $crate::action::member::same_str(
                        <$ty as $crate::action::member::Member>::SOLIDITY,
                        declare_actions!(@sol $sol),
                    ),
                    concat!(stringify!($name), ".", stringify!($field),
                        ": the declared Solidity type is not the one its Rust type encodes as"),
                );
                assert!(
                    $crate::action::member::is_camel_case_of(stringify!($field), stringify!($member)),
                    concat!(stringify!($name), ".", stringify!($field),
                        ": the EIP-712 name must be the camelCase of the field (it is the JSON name)"),
                );
            };)+
        )+

        /// One of the signable actions. JSON: `{"type": "Order", "message": {...}}`.
        #[derive(Debug, Clone, PartialEq, Eq, ::serde::Serialize, ::serde::Deserialize)]
        #[serde(tag = "type", content = "message")]
        pub enum Action {
            $($name($name),)+
        }

        /// Which action an `Action` is. The discriminant is the canonical-encoding tag.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[repr(u8)]
        pub enum ActionKind {
            $($name = $tag,)+
        }

        impl ActionKind {
            /// Every kind, in declaration order (which is tag order: `ActionKind::TABLE`
            /// checks it at compile time).
            pub const ALL: &'static [ActionKind] = &[$(ActionKind::$name),+];
        }

        impl Action {
            /// The one `match` from an action to its kind; everything else reads the
            /// kind's row.
            pub fn kind(&self) -> ActionKind {
                match self {
                    $(Action::$name(_) => ActionKind::$name,)+
                }
            }

            /// The claimed signer and the nonce of a user's action; `None` for the
            /// oracle's kinds.
            fn signer_and_nonce(&self) -> Option<(Address, u64)> {
                match self {
                    $(Action::$name(m) => declare_actions!(@signer_and_nonce m; $signer $(for $account)?),)+
                }
            }

            /// The account an action acts for: the claimed signer, except for the kinds an
            /// agent (or a `signer`) may sign for an `account`; `None` for the oracle's
            /// kinds.
            pub fn acting_account(&self) -> Option<Address> {
                match self {
                    $(Action::$name(m) => declare_actions!(@acting_account m; $signer $(for $account)?),)+
                }
            }

            /// Who must have signed it, as its kind declares (the engine's first checks).
            pub fn signing(&self) -> $crate::action::Signing {
                match self {
                    $(Action::$name(m) => declare_actions!(@signing m; $signer $(for $account)?),)+
                }
            }

            /// `hashStruct(action)`: keccak256 of the type hash followed by every member,
            /// in type-string order, as one 32-byte ABI word each.
            pub(crate) fn hash_struct(&self) -> $crate::primitives::H256 {
                use $crate::action::ActionMessage;
                match self {
                    $(Action::$name(m) => {
                        m.hash_members($crate::signing::StructHasher::new(&$name::TYPE_HASH))
                    })+
                }
                .finish()
            }

            /// Writes the message as the `message` field of `SignedAction`'s JSON.
            fn serialize_message<St: ::serde::ser::SerializeStruct>(
                &self,
                st: &mut St,
            ) -> Result<(), St::Error> {
                match self {
                    $(Action::$name(m) => st.serialize_field("message", m),)+
                }
            }

            /// Reads a `kind` message from the `message` field of `SignedAction`'s JSON;
            /// errors start with `message: `.
            fn message_from_json<E: ::serde::de::Error>(
                kind: ActionKind,
                message: ::serde_json::Value,
            ) -> Result<Action, E> {
                fn parse<T: ::serde::de::DeserializeOwned, E: ::serde::de::Error>(
                    v: ::serde_json::Value,
                ) -> Result<T, E> {
                    ::serde_json::from_value(v).map_err(|e| E::custom(format!("message: {e}")))
                }
                Ok(match kind {
                    $(ActionKind::$name => Action::$name(parse(message)?),)+
                })
            }
        }

        /// The tag, then the members in order (docs/PROTOCOL.md Part 1).
        impl $crate::codec::Encode for Action {
            fn encode_to(&self, w: &mut $crate::codec::Writer) {
                use $crate::action::ActionMessage;
                w.u8(self.kind().tag());
                match self {
                    $(Action::$name(m) => m.encode_members(w),)+
                }
            }
        }

        impl $crate::codec::Decode for Action {
            fn decode_from(
                r: &mut $crate::codec::Reader<'_>,
            ) -> Result<Self, $crate::codec::DecodeError> {
                use $crate::action::ActionMessage;
                let tag = r.u8("action tag")?;
                let kind = ActionKind::from_tag(tag).ok_or_else(|| {
                    $crate::codec::DecodeError::Invalid {
                        field: "action tag",
                        reason: format!("unknown tag {tag}"),
                    }
                })?;
                Ok(match kind {
                    $(ActionKind::$name => Action::$name($name::decode_members(r)?),)+
                })
            }
        }
    };
}
