//! The conversions between an action kind and its twins: the kinds that carry another
//! kind's members plus who signs (`AgentOrder` is `agent` + `Order`'s members, `ClientOrder`
//! is `signer` + `Order`'s members + `clientId`, …).
//!
//! Why: each conversion used to copy the base kind's members one by one, once per direction
//! and per twin, and the copies had to stay in step with the declarations. Here the base
//! kind's members are named once per base kind, and [`twins!`] writes every direction from
//! that one list. The declarations themselves (type strings, encodings) stay in
//! `declare_actions!` and are untouched by this.

use super::ScheduleCancel;
use super::{AgentCancel, AgentOrder, AgentScheduleCancel, Cancel, ClientOrder, Order};
use crate::primitives::Address;

/// `twins!(Base { members } => Twin::getter [, new(pre…; base; post…)]; …)`: for each twin,
/// `Twin::getter(&self) -> Base` (the base kind's members, copied), and with `new`, the
/// constructor from the members it adds before and after a `Base`, in that order.
macro_rules! twins {
    ($base:ident $fields:tt => $(
        $twin:ident :: $get:ident
            $(, new($($pre:ident: $pre_ty:ty),*; $arg:ident; $($post:ident: $post_ty:ty),*))?
    );+ $(;)?) => {$(
        twins!(@get $base $fields $twin $get);
        $(twins!(@new $base $fields $twin ($($pre: $pre_ty),*) $arg ($($post: $post_ty),*));)?
    )+};
    (@get $base:ident { $($field:ident),+ } $twin:ident $get:ident) => {
        impl $twin {
            #[doc = concat!("The `", stringify!($base), "` it performs for the account.")]
            pub fn $get(&self) -> $base {
                $base { $($field: self.$field),+ }
            }
        }
    };
    (@new $base:ident { $($field:ident),+ } $twin:ident ($($pre:ident: $pre_ty:ty),*) $arg:ident
        ($($post:ident: $post_ty:ty),*)) => {
        impl $twin {
            #[doc = concat!("`", stringify!($arg), "` as a `", stringify!($twin), "`, with the members it adds.")]
            pub fn new($($pre: $pre_ty,)* $arg: $base $(, $post: $post_ty)*) -> $twin {
                $twin { $($pre,)* $($post,)* $($field: $arg.$field),+ }
            }
        }
    };
}

twins!(Order { account, market, is_buy, price, size, tif, reduce_only, nonce, expires_at } =>
    // Signed by `agent` instead of its account.
    AgentOrder::order, new(agent: Address; order;);
    // Signed by `signer` (the account or one of its agents) with `client_id` (0 = none);
    // the order's `expires_at` becomes its good-till-time, so a caller wanting "until
    // cancelled" passes an order with `expires_at = NO_EXPIRY`.
    ClientOrder::order, new(signer: Address; order; client_id: u128);
);

twins!(Cancel { account, market, order_nonce, nonce, expires_at } => AgentCancel::cancel);

twins!(ScheduleCancel { account, time, nonce, expires_at } => AgentScheduleCancel::schedule);
