//! The canonical binary encoding of actions, signed actions, L1 messages and transactions
//! (docs/PROTOCOL.md Part 1), and the transaction hash built on it.

use super::{
    Action, ActionKind, AgentCancel, AgentCancelAll, AgentOrder, AgentScheduleCancel, ApproveAgent,
    Cancel, CancelAll, CancelByClientId, ClientOrder, ImpliedVolUpdate, L1Message, Liquidate,
    MAX_AGENT_NAME_BYTES, ModifyOrder, Order, PriceUpdate, RevokeAgent, ScheduleCancel,
    SetLeverage, Signature, SignedAction, TimeInForce, TpSl, TriggerKind, TriggerOrder, Tx,
    Withdraw,
};
use crate::codec::{Decode, DecodeError, Encode, Reader, Writer};
use crate::primitives::H256;

impl Encode for Action {
    fn encode_to(&self, w: &mut Writer) {
        w.u8(self.kind().tag());
        match self {
            Action::Order(o) => {
                w.address(&o.account)
                    .u32(o.market)
                    .bool(o.is_buy)
                    .u64(o.price)
                    .u64(o.size);
                w.u8(o.tif as u8)
                    .bool(o.reduce_only)
                    .u64(o.nonce)
                    .u64(o.expires_at);
            }
            Action::Cancel(c) => {
                w.address(&c.account)
                    .u32(c.market)
                    .u64(c.order_nonce)
                    .u64(c.nonce)
                    .u64(c.expires_at);
            }
            Action::CancelAll(c) => {
                w.address(&c.account).u64(c.nonce).u64(c.expires_at);
            }
            Action::Withdraw(x) => {
                w.address(&x.account)
                    .u64(x.amount)
                    .u64(x.nonce)
                    .u64(x.expires_at);
            }
            Action::Liquidate(l) => {
                w.address(&l.liquidator)
                    .address(&l.account)
                    .u32(l.market)
                    .u64(l.nonce)
                    .u64(l.expires_at);
            }
            Action::PriceUpdate(p) => {
                w.u32(p.market).u64(p.price).u64(p.timestamp_ms);
            }
            Action::ImpliedVolUpdate(v) => {
                w.u32(v.market).u64(v.vol_ppm).u64(v.timestamp_ms);
            }
            Action::ApproveAgent(a) => {
                w.address(&a.account)
                    .address(&a.agent)
                    .bytes(a.name.as_bytes())
                    .u64(a.valid_until);
                w.u64(a.nonce).u64(a.expires_at);
            }
            Action::RevokeAgent(r) => {
                w.address(&r.account)
                    .address(&r.agent)
                    .u64(r.nonce)
                    .u64(r.expires_at);
            }
            Action::AgentOrder(o) => {
                w.address(&o.agent);
                Action::Order(o.order()).encode_fields(w);
            }
            Action::AgentCancel(c) => {
                w.address(&c.agent);
                Action::Cancel(c.cancel()).encode_fields(w);
            }
            Action::AgentCancelAll(c) => {
                w.address(&c.agent)
                    .address(&c.account)
                    .u64(c.nonce)
                    .u64(c.expires_at);
            }
            Action::ScheduleCancel(c) => {
                w.address(&c.account)
                    .u64(c.time)
                    .u64(c.nonce)
                    .u64(c.expires_at);
            }
            Action::AgentScheduleCancel(c) => {
                w.address(&c.agent);
                Action::ScheduleCancel(c.schedule()).encode_fields(w);
            }
            Action::ClientOrder(o) => {
                w.address(&o.signer)
                    .address(&o.account)
                    .u32(o.market)
                    .bool(o.is_buy)
                    .u64(o.price)
                    .u64(o.size);
                w.u8(o.tif as u8)
                    .bool(o.reduce_only)
                    .u128(o.client_id)
                    .u64(o.nonce)
                    .u64(o.expires_at);
            }
            Action::CancelByClientId(c) => {
                w.address(&c.signer)
                    .address(&c.account)
                    .u128(c.client_id)
                    .u64(c.nonce)
                    .u64(c.expires_at);
            }
            Action::ModifyOrder(m) => {
                w.address(&m.signer)
                    .address(&m.account)
                    .u128(m.client_id)
                    .u64(m.price)
                    .u64(m.size);
                w.u64(m.nonce).u64(m.expires_at);
            }
            Action::TriggerOrder(t) => {
                w.address(&t.signer).address(&t.account).u32(t.market);
                w.bool(t.is_buy)
                    .u8(t.kind as u8)
                    .u64(t.trigger_price)
                    .u64(t.price)
                    .u64(t.size);
                w.bool(t.reduce_only).u64(t.nonce).u64(t.expires_at);
            }
            Action::TpSl(t) => {
                w.address(&t.signer).address(&t.account).u32(t.market);
                w.u64(t.take_profit)
                    .u64(t.stop_loss)
                    .u64(t.nonce)
                    .u64(t.expires_at);
            }
            Action::SetLeverage(l) => {
                w.address(&l.signer).address(&l.account).u32(l.market);
                w.u32(l.leverage).u64(l.nonce).u64(l.expires_at);
            }
        }
    }
}

impl Action {
    /// The fields without the tag (an agent kind is its agent, then the fields of the
    /// action it performs).
    fn encode_fields(&self, w: &mut Writer) {
        let mut tagged = Writer::new();
        self.encode_to(&mut tagged);
        w.raw(&tagged.finish()[1..]);
    }
}

fn decode_tif(r: &mut Reader<'_>) -> Result<TimeInForce, DecodeError> {
    let v = r.u8("tif")?;
    TimeInForce::from_u8(v).ok_or(DecodeError::Invalid {
        field: "tif",
        reason: format!("{v} is not 0..=3"),
    })
}

/// The client-order kinds' fields after the tag.
fn decode_client_action(kind: ActionKind, r: &mut Reader<'_>) -> Result<Action, DecodeError> {
    let signer = r.address("signer")?;
    let account = r.address("account")?;
    Ok(match kind {
        ActionKind::ClientOrder => Action::ClientOrder(ClientOrder {
            signer,
            account,
            market: r.u32("market")?,
            is_buy: r.bool("isBuy")?,
            price: r.u64("price")?,
            size: r.u64("size")?,
            tif: decode_tif(r)?,
            reduce_only: r.bool("reduceOnly")?,
            client_id: r.u128("clientId")?,
            nonce: r.u64("nonce")?,
            expires_at: r.u64("expiresAt")?,
        }),
        ActionKind::CancelByClientId => Action::CancelByClientId(CancelByClientId {
            signer,
            account,
            client_id: r.u128("clientId")?,
            nonce: r.u64("nonce")?,
            expires_at: r.u64("expiresAt")?,
        }),
        _ => Action::ModifyOrder(ModifyOrder {
            signer,
            account,
            client_id: r.u128("clientId")?,
            price: r.u64("price")?,
            size: r.u64("size")?,
            nonce: r.u64("nonce")?,
            expires_at: r.u64("expiresAt")?,
        }),
    })
}

fn decode_order(r: &mut Reader<'_>) -> Result<Order, DecodeError> {
    Ok(Order {
        account: r.address("account")?,
        market: r.u32("market")?,
        is_buy: r.bool("isBuy")?,
        price: r.u64("price")?,
        size: r.u64("size")?,
        tif: decode_tif(r)?,
        reduce_only: r.bool("reduceOnly")?,
        nonce: r.u64("nonce")?,
        expires_at: r.u64("expiresAt")?,
    })
}

fn decode_cancel(r: &mut Reader<'_>) -> Result<Cancel, DecodeError> {
    Ok(Cancel {
        account: r.address("account")?,
        market: r.u32("market")?,
        order_nonce: r.u64("orderNonce")?,
        nonce: r.u64("nonce")?,
        expires_at: r.u64("expiresAt")?,
    })
}

fn decode_schedule_cancel(r: &mut Reader<'_>) -> Result<ScheduleCancel, DecodeError> {
    Ok(ScheduleCancel {
        account: r.address("account")?,
        time: r.u64("time")?,
        nonce: r.u64("nonce")?,
        expires_at: r.u64("expiresAt")?,
    })
}

fn decode_trigger_order(r: &mut Reader<'_>) -> Result<TriggerOrder, DecodeError> {
    Ok(TriggerOrder {
        signer: r.address("signer")?,
        account: r.address("account")?,
        market: r.u32("market")?,
        is_buy: r.bool("isBuy")?,
        kind: {
            let v = r.u8("kind")?;
            TriggerKind::from_u8(v).ok_or(DecodeError::Invalid {
                field: "kind",
                reason: format!("{v} is not 0..=3"),
            })?
        },
        trigger_price: r.u64("triggerPrice")?,
        price: r.u64("price")?,
        size: r.u64("size")?,
        reduce_only: r.bool("reduceOnly")?,
        nonce: r.u64("nonce")?,
        expires_at: r.u64("expiresAt")?,
    })
}

fn decode_tp_sl(r: &mut Reader<'_>) -> Result<TpSl, DecodeError> {
    Ok(TpSl {
        signer: r.address("signer")?,
        account: r.address("account")?,
        market: r.u32("market")?,
        take_profit: r.u64("takeProfit")?,
        stop_loss: r.u64("stopLoss")?,
        nonce: r.u64("nonce")?,
        expires_at: r.u64("expiresAt")?,
    })
}

fn decode_agent_name(r: &mut Reader<'_>) -> Result<String, DecodeError> {
    let bytes = r.bytes("name", MAX_AGENT_NAME_BYTES)?;
    String::from_utf8(bytes.to_vec()).map_err(|_| DecodeError::Invalid {
        field: "name",
        reason: "not UTF-8".into(),
    })
}

/// The agent kinds' fields after the tag.
fn decode_agent_action(kind: ActionKind, r: &mut Reader<'_>) -> Result<Action, DecodeError> {
    Ok(match kind {
        ActionKind::ApproveAgent => Action::ApproveAgent(ApproveAgent {
            account: r.address("account")?,
            agent: r.address("agent")?,
            name: decode_agent_name(r)?,
            valid_until: r.u64("validUntil")?,
            nonce: r.u64("nonce")?,
            expires_at: r.u64("expiresAt")?,
        }),
        ActionKind::RevokeAgent => Action::RevokeAgent(RevokeAgent {
            account: r.address("account")?,
            agent: r.address("agent")?,
            nonce: r.u64("nonce")?,
            expires_at: r.u64("expiresAt")?,
        }),
        ActionKind::AgentOrder => {
            let agent = r.address("agent")?;
            Action::AgentOrder(AgentOrder::new(agent, decode_order(r)?))
        }
        ActionKind::AgentCancel => {
            let agent = r.address("agent")?;
            let c = decode_cancel(r)?;
            Action::AgentCancel(AgentCancel {
                agent,
                account: c.account,
                market: c.market,
                order_nonce: c.order_nonce,
                nonce: c.nonce,
                expires_at: c.expires_at,
            })
        }
        _ => Action::AgentCancelAll(AgentCancelAll {
            agent: r.address("agent")?,
            account: r.address("account")?,
            nonce: r.u64("nonce")?,
            expires_at: r.u64("expiresAt")?,
        }),
    })
}

impl Decode for Action {
    fn decode_from(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let tag = r.u8("action tag")?;
        let kind = ActionKind::from_tag(tag).ok_or_else(|| DecodeError::Invalid {
            field: "action tag",
            reason: format!("unknown tag {tag}"),
        })?;
        Ok(match kind {
            ActionKind::Order => Action::Order(decode_order(r)?),
            ActionKind::Cancel => Action::Cancel(decode_cancel(r)?),
            ActionKind::CancelAll => Action::CancelAll(CancelAll {
                account: r.address("account")?,
                nonce: r.u64("nonce")?,
                expires_at: r.u64("expiresAt")?,
            }),
            ActionKind::Withdraw => Action::Withdraw(Withdraw {
                account: r.address("account")?,
                amount: r.u64("amount")?,
                nonce: r.u64("nonce")?,
                expires_at: r.u64("expiresAt")?,
            }),
            ActionKind::Liquidate => Action::Liquidate(Liquidate {
                liquidator: r.address("liquidator")?,
                account: r.address("account")?,
                market: r.u32("market")?,
                nonce: r.u64("nonce")?,
                expires_at: r.u64("expiresAt")?,
            }),
            ActionKind::PriceUpdate => Action::PriceUpdate(PriceUpdate {
                market: r.u32("market")?,
                price: r.u64("price")?,
                timestamp_ms: r.u64("timestampMs")?,
            }),
            ActionKind::ImpliedVolUpdate => Action::ImpliedVolUpdate(ImpliedVolUpdate {
                market: r.u32("market")?,
                vol_ppm: r.u64("volPpm")?,
                timestamp_ms: r.u64("timestampMs")?,
            }),
            ActionKind::ApproveAgent
            | ActionKind::RevokeAgent
            | ActionKind::AgentOrder
            | ActionKind::AgentCancel
            | ActionKind::AgentCancelAll => decode_agent_action(kind, r)?,
            ActionKind::ScheduleCancel => Action::ScheduleCancel(decode_schedule_cancel(r)?),
            ActionKind::AgentScheduleCancel => {
                let agent = r.address("agent")?;
                let c = decode_schedule_cancel(r)?;
                Action::AgentScheduleCancel(AgentScheduleCancel {
                    agent,
                    account: c.account,
                    time: c.time,
                    nonce: c.nonce,
                    expires_at: c.expires_at,
                })
            }
            ActionKind::ClientOrder | ActionKind::CancelByClientId | ActionKind::ModifyOrder => {
                decode_client_action(kind, r)?
            }
            ActionKind::TriggerOrder => Action::TriggerOrder(decode_trigger_order(r)?),
            ActionKind::TpSl => Action::TpSl(decode_tp_sl(r)?),
            ActionKind::SetLeverage => Action::SetLeverage(SetLeverage {
                signer: r.address("signer")?,
                account: r.address("account")?,
                market: r.u32("market")?,
                leverage: r.u32("leverage")?,
                nonce: r.u64("nonce")?,
                expires_at: r.u64("expiresAt")?,
            }),
        })
    }
}

impl Encode for SignedAction {
    fn encode_to(&self, w: &mut Writer) {
        self.action.encode_to(w);
        w.raw(&self.signature.0);
    }
}

impl Decode for SignedAction {
    fn decode_from(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let action = Action::decode_from(r)?;
        let mut sig = [0u8; 65];
        sig.copy_from_slice(r.take(65, "signature")?);
        Ok(SignedAction {
            action,
            signature: Signature(sig),
        })
    }
}

impl Encode for L1Message {
    fn encode_to(&self, w: &mut Writer) {
        match self {
            L1Message::Deposit { account, amount } => {
                w.u8(0).address(account).u64(*amount);
            }
            L1Message::Forced { action } => {
                w.u8(1);
                action.encode_to(w);
            }
        }
    }
}

impl Decode for L1Message {
    fn decode_from(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(match r.u8("l1 message tag")? {
            0 => L1Message::Deposit {
                account: r.address("account")?,
                amount: r.u64("amount")?,
            },
            1 => L1Message::Forced {
                action: SignedAction::decode_from(r)?,
            },
            t => {
                return Err(DecodeError::Invalid {
                    field: "l1 message tag",
                    reason: format!("unknown tag {t}"),
                });
            }
        })
    }
}

impl Encode for Tx {
    fn encode_to(&self, w: &mut Writer) {
        match self {
            Tx::User { action } => {
                w.u8(0);
                action.encode_to(w);
            }
            Tx::L1 {
                queue_index,
                message,
            } => {
                w.u8(1).u64(*queue_index);
                message.encode_to(w);
            }
        }
    }
}

impl Decode for Tx {
    fn decode_from(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(match r.u8("tx tag")? {
            0 => Tx::User {
                action: SignedAction::decode_from(r)?,
            },
            1 => Tx::L1 {
                queue_index: r.u64("queue_index")?,
                message: L1Message::decode_from(r)?,
            },
            t => {
                return Err(DecodeError::Invalid {
                    field: "tx tag",
                    reason: format!("unknown tag {t}"),
                });
            }
        })
    }
}

impl Tx {
    /// The transaction hash: keccak256 of the canonical encoding. Stable across nodes.
    pub fn hash(&self) -> H256 {
        crate::primitives::keccak256(&self.encode())
    }
}
