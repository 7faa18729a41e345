//! Deterministic random workloads from a seed: signed orders, cancels, withdrawals,
//! liquidations, oracle updates and deposits for a set of dev accounts, and (opted into
//! with [`Workload::with_agents`]) agent approvals, revocations, agent-signed actions,
//! dead-man's switches, trigger orders and TP/SLs (signed by the account or its agent),
//! and (with [`Workload::with_client_orders`]) the client-order kinds: good-till-time
//! orders with client ids, cancels by client id, modifies and bulk modifies, and (with
//! [`Workload::with_leverage`]) leverage settings, in and out of range, and (opt-in,
//! [`Workload::with_isolated`]) margin modes and isolated-margin moves, and (with
//! [`Workload::with_options`]) option orders on the first option schedule's series, shorts
//! sold to their margin limit, violent index moves, series liquidations and (as the caller
//! moves the clock past an expiry) settlement.
//!
//! Used by property tests, benches and the whole-system simulation, which must all be
//! replayable from one `u64` seed. Pure: the PRNG is splitmix64, keys derive from the seed.

use crate::action::{
    Action, AgentCancel, AgentCancelAll, AgentOrder, AgentScheduleCancel, ApproveAgent, BulkModify,
    Cancel, CancelAll, CancelByClientId, ClientOrder, DEAD_MAN_MIN_DELAY_MS, ImpliedVolUpdate,
    IsolatedMargin, L1Message, Liquidate, ModifyItem, ModifyItems, ModifyOrder, NO_EXPIRY, Order,
    PriceUpdate, RevokeAgent, ScheduleCancel, SetLeverage, SetMarginMode, TimeInForce, TpSl,
    TriggerKind, TriggerOrder, Tx, Withdraw,
};
use crate::genesis::Genesis;
use crate::options::schedule::{OptionSchedule, SERIES_ID_BASE};
use crate::primitives::{Address, H256, keccak256, keccak256_concat};
use crate::signing::{address_of, domain_separator, sign_action, signing_key_from_bytes};
use k256::ecdsa::SigningKey;

/// splitmix64: tiny, fast, and good enough to drive test workloads reproducibly.
#[derive(Debug, Clone)]
pub struct SplitMix64(pub u64);

impl SplitMix64 {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0); the modulo bias is irrelevant for workloads.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// True with probability `percent`/100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// A deterministic dev key: keccak256(label ‖ seed ‖ index), retried in the negligible case
/// that the hash is not a valid scalar.
pub fn dev_key(label: &str, seed: u64, index: u64) -> SigningKey {
    let mut counter = 0u64;
    loop {
        let h = keccak256_concat(&[
            label.as_bytes(),
            &seed.to_be_bytes(),
            &index.to_be_bytes(),
            &counter.to_be_bytes(),
        ]);
        if let Ok(key) = signing_key_from_bytes(&h.0) {
            return key;
        }
        counter += 1;
    }
}

/// One trader of the workload.
#[derive(Debug, Clone)]
pub struct Trader {
    pub key: SigningKey,
    pub address: Address,
    next_nonce: u64,
}

/// An action and the signer its signature recovers to (`batch::verify_tx`).
pub type VerifiedTx = (Tx, Result<Address, crate::signing::SignatureError>);

/// A stream of plausible transactions against the devnet markets.
#[derive(Debug, Clone)]
pub struct Workload {
    pub rng: SplitMix64,
    pub genesis: Genesis,
    pub oracle: SigningKey,
    pub traders: Vec<Trader>,
    domain: H256,
    /// Current oracle price per market (index into `genesis.markets`).
    prices: Vec<u64>,
    last_price_ms: Vec<u64>,
    /// Orders placed so far, as (trader, market, nonce), for cancels.
    placed: Vec<(usize, u32, u64)>,
    next_queue_index: u64,
    /// Trader i's agent key (empty unless `with_agents`).
    agents: Vec<SigningKey>,
    /// Whether the client-order kinds are drawn (`with_client_orders`).
    client_orders: bool,
    /// Client ids placed so far, as (trader, id), for cancels and modifies by client id.
    client_ids: Vec<(usize, u128)>,
    /// Whether `SetLeverage` is drawn (`with_leverage`).
    leverage: bool,
    /// Whether `SetMarginMode` and `IsolatedMargin` are drawn (`with_isolated`).
    isolated: bool,
    /// Whether option actions are drawn (`with_options`).
    options: bool,
    /// The time of the last implied volatility signed (`with_options`), which must rise.
    last_vol_ms: u64,
}

/// Client ids the workload draws from (1..=this; 0 = none), few enough to collide.
const CLIENT_IDS: u64 = 8;

/// What each victim of `liquidation-skipped`'s precondition opens: 20,000 USDC of the
/// market, in micro-USDC.
pub const LIQUIDATION_NOTIONAL_MICRO: u128 = 20_000_000_000;

/// How far the index moves against those victims: 8 % (below the devnet's 10 % breaker
/// bound, above the 5 % a position at 10x can lose before it is below maintenance).
pub const LIQUIDATION_MOVE_BPS: u64 = 800;

/// How many times `liquidation-skipped`'s position size its precondition rests as depth
/// to close a victim's earlier position with (`Workload::flatten`).
pub const FLATTEN_SIZE_FACTOR: u64 = 4;

/// How far `circuit-breaker-ignored`'s precondition moves the index: 15 %.
pub const BREAKER_JUMP_BPS: u64 = 1_500;

/// How many whole units of the underlying `option-short-unmargined`'s precondition bids
/// for: 100 BTC of an at-the-money call holds at least 500,000 USDC of short margin at a
/// 50,000 index (Part 8 §8's 10 % floor), five times a workload deposit.
pub const UNMARGINED_BID_UNITS: u64 = 100;

/// How many of `next_tx`'s rolls are option actions with `with_options` (of 100 and the
/// other opt-ins' spans): about one user action in six.
const OPTION_SPAN: u64 = 20;

/// The largest sale of [`Workload::option_liquidation_round`]'s victims, in whole units of
/// the underlying: 32 BTC of a deep in-the-money call holds far more margin than a
/// workload deposit of 100,000 USDC, so the halving sales always reach the limit.
pub const OPTION_LIMIT_UNITS: u64 = 32;

/// How far [`Workload::option_liquidation_round`] moves the index: 8 % (below the devnet's
/// 10 % breaker bound); a deep in-the-money option's mark moves by most of that, far more
/// than the 7.5 % of the index between a short's initial and maintenance margin.
pub const OPTION_MOVE_BPS: u64 = 800;

/// Starting oracle prices for the devnet markets, in micro-USDC.
const START_PRICE_MICRO: [u64; 2] = [50_000_000_000, 3_000_000_000];

impl Workload {
    /// A workload over `Genesis::devnet` whose oracle is a key derived from `seed`.
    pub fn new(seed: u64, traders: usize) -> Workload {
        let oracle = dev_key("vigil-oracle", seed, 0);
        let genesis = Genesis::devnet(
            31337,
            Address(
                keccak256(b"vigil-rollup").0[12..]
                    .try_into()
                    .expect("20 bytes"),
            ),
            address_of(&oracle),
        );
        Self::with_genesis(seed, traders, genesis, oracle)
    }

    pub fn with_genesis(
        seed: u64,
        traders: usize,
        genesis: Genesis,
        oracle: SigningKey,
    ) -> Workload {
        let traders = (0..traders as u64)
            .map(|i| {
                let key = dev_key("vigil-trader", seed, i);
                Trader {
                    address: address_of(&key),
                    key,
                    next_nonce: 1,
                }
            })
            .collect();
        let domain = domain_separator(genesis.chain_id, &genesis.verifying_contract);
        let n = genesis.markets.len();
        let prices = (0..n)
            .map(|i| START_PRICE_MICRO.get(i).copied().unwrap_or(1_000_000_000))
            .collect();
        Workload {
            rng: SplitMix64(seed),
            genesis,
            oracle,
            traders,
            domain,
            prices,
            last_price_ms: vec![0; n],
            placed: Vec::new(),
            next_queue_index: 0,
            agents: Vec::new(),
            client_orders: false,
            client_ids: Vec::new(),
            leverage: false,
            isolated: false,
            options: false,
            last_vol_ms: 0,
        }
    }

    /// The same workload with options on the genesis's first option schedule (nothing
    /// without one): about one user action in six is an option order (either side, calls
    /// and puts of the listing trading at the time, premiums up to 4 % of the index) or a
    /// series `Liquidate` (mostly refused), and [`Workload::option_liquidation_round`]
    /// sells shorts to their margin limit, moves the index violently and liquidates them.
    /// Start the clock at [`Workload::option_times`]' listing time, so that the first index
    /// lists the series, and move it past the expiry for the settlement sweep. Workloads
    /// without it are unchanged, seed for seed.
    pub fn with_options(mut self) -> Workload {
        self.options = !self.genesis.options.is_empty();
        self
    }

    /// The first option schedule's first listing time and first expiry, if it has one.
    pub fn option_times(&self) -> Option<(u64, u64)> {
        let s = self.genesis.options.first()?;
        let expiry = s.first_expiry_ms;
        Some((expiry.saturating_sub(s.listing_lead_ms), expiry))
    }

    /// The same workload with some of its user actions drawn from `SetMarginMode` (mostly
    /// to isolated, some back to cross; many refused while the trader is not flat) and
    /// `IsolatedMargin` (adds and removes of 1 to 500 USDC, some refused). Workloads
    /// without it are unchanged, seed for seed.
    pub fn with_isolated(mut self) -> Workload {
        self.isolated = true;
        self
    }

    /// The same workload with a few of its user actions drawn from `SetLeverage` (1x up to
    /// one past the market's maximum, so some are refused; signed by the trader or, with
    /// agents, sometimes by its agent). Workloads without it are unchanged, seed for seed.
    pub fn with_leverage(mut self) -> Workload {
        self.leverage = true;
        self
    }

    /// The same workload with a tenth of its user actions (roughly) drawn from the
    /// client-order kinds, signed by the trader or (with agents) sometimes by its agent.
    /// Workloads without it are unchanged, seed for seed.
    pub fn with_client_orders(mut self) -> Workload {
        self.client_orders = true;
        self
    }

    /// The same workload with one agent key per trader, and a fifth of its user actions
    /// drawn from the agent kinds (approvals, revocations, agent orders and cancels, and
    /// actions an agent may not sign). Workloads without it are unchanged, seed for seed.
    pub fn with_agents(mut self, seed: u64) -> Workload {
        self.agents = (0..self.traders.len() as u64)
            .map(|i| dev_key("vigil-agent", seed, i))
            .collect();
        self
    }

    /// Every trader approving its agent until revoked (none without `with_agents`).
    pub fn agent_approvals(&mut self, now_ms: u64) -> Vec<Tx> {
        (0..self.agents.len())
            .map(|t| {
                let approve = Action::ApproveAgent(ApproveAgent {
                    account: self.traders[t].address,
                    agent: address_of(&self.agents[t]),
                    name: format!("bot {t}"),
                    valid_until: 0,
                    nonce: self.take_nonce(t),
                    expires_at: now_ms + 60_000,
                });
                self.signed_by(&self.traders[t].key.clone(), approve)
            })
            .collect()
    }

    /// Every other trader (0, 2, …) putting the first market in isolated margin, for a
    /// workload `with_isolated` to start from while everybody is flat (none without it), so
    /// that its isolated positions and margin moves are reached early.
    pub fn isolated_modes(&mut self, now_ms: u64) -> Vec<Tx> {
        if !self.isolated {
            return Vec::new();
        }
        let market = self.genesis.markets[0].id;
        (0..self.traders.len())
            .step_by(2)
            .map(|t| self.isolated_mode_tx(t, market, now_ms + 60_000))
            .collect()
    }

    /// Trader `t` cancelling all of its orders, with its next nonce.
    fn cancel_all_tx(&mut self, t: usize, expires_at: u64) -> Tx {
        let cancel = Action::CancelAll(CancelAll {
            account: self.traders[t].address,
            nonce: self.take_nonce(t),
            expires_at,
        });
        let key = self.traders[t].key.clone();
        self.signed_by(&key, cancel)
    }

    /// Trader `t` putting `market` in isolated margin, signed by itself with its next nonce.
    fn isolated_mode_tx(&mut self, t: usize, market: u32, expires_at: u64) -> Tx {
        let account = self.traders[t].address;
        let action = Action::SetMarginMode(SetMarginMode {
            signer: account,
            account,
            market,
            isolated: true,
            nonce: self.take_nonce(t),
            expires_at,
        });
        let key = self.traders[t].key.clone();
        self.signed_by(&key, action)
    }

    /// Trader `trader`'s agent address, if the workload has agents.
    pub fn agent_of(&self, trader: usize) -> Option<Address> {
        self.agents.get(trader).map(address_of)
    }

    /// The EIP-712 domain separator of the workload's genesis.
    pub fn domain(&self) -> H256 {
        self.domain
    }

    /// A deposit of `amount` micro-USDC for every trader, as L1 queue messages.
    pub fn deposits(&mut self, amount: u64) -> Vec<Tx> {
        let accounts: Vec<Address> = self.traders.iter().map(|t| t.address).collect();
        accounts
            .into_iter()
            .map(|account| self.l1(L1Message::Deposit { account, amount }))
            .collect()
    }

    /// The STF benches' fixture: the genesis state after every trader's deposit of
    /// `deposit` and the oracles' prices at `now_ms` (applied through the engine), and
    /// `count` further actions at `now_ms`, each with the signer its signature recovers to
    /// (recovered here, so a bench times the state transition alone). Shared by the
    /// protocol bench and the `stf_counts` example, which measure the same stream.
    pub fn funded_stream(
        &mut self,
        deposit: u64,
        now_ms: u64,
        count: usize,
    ) -> (crate::tree::Tree, Vec<VerifiedTx>) {
        let ctx = crate::engine::BlockContext {
            timestamp_ms: now_ms,
        };
        let domain = self.domain;
        let oracles = self.genesis.oracles.clone();
        let mut tree = crate::batch::genesis_tree(&self.genesis);
        let mut setup = self.deposits(deposit);
        setup.extend(self.price_updates(now_ms));
        for tx in &setup {
            let signer = crate::batch::verify_tx(tx, &domain, &oracles);
            crate::engine::apply_tx(&mut tree, &self.genesis, &ctx, tx, &signer)
                .expect("deposits and prices apply to a full tree");
        }
        let stream = (0..count)
            .map(|_| {
                let tx = self.next_tx(now_ms);
                let signer = crate::batch::verify_tx(&tx, &domain, &oracles);
                (tx, signer)
            })
            .collect();
        (tree, stream)
    }

    /// The same deposits as `(queue index, message)` pairs, the form an executor's L1 queue
    /// takes them in.
    pub fn deposit_messages(&mut self, amount: u64) -> Vec<(u64, L1Message)> {
        self.deposits(amount)
            .into_iter()
            .filter_map(|tx| match tx {
                Tx::L1 {
                    queue_index,
                    message,
                } => Some((queue_index, message)),
                Tx::User { .. } => None,
            })
            .collect()
    }

    /// A signed oracle update for every market at `now_ms`, moving each price by a random
    /// walk of up to ±0.5%.
    pub fn price_updates(&mut self, now_ms: u64) -> Vec<Tx> {
        (0..self.genesis.markets.len())
            .filter_map(|i| self.price_update(i, now_ms))
            .collect()
    }

    fn price_update(&mut self, i: usize, now_ms: u64) -> Option<Tx> {
        if now_ms <= self.last_price_ms[i] {
            return None;
        }
        let step = self.prices[i] / 200;
        let delta = self.rng.below(2 * step + 1);
        self.signed_price(i, (self.prices[i] + delta).saturating_sub(step), now_ms)
    }

    /// The oracle's update of market `i` to `price` (on its tick, at least ten ticks) at
    /// `now_ms`; `None` when a price at `now_ms` or later is already signed.
    fn signed_price(&mut self, i: usize, price: u64, now_ms: u64) -> Option<Tx> {
        if now_ms <= self.last_price_ms[i] {
            return None;
        }
        let tick = self.genesis.markets[i].tick_size;
        self.prices[i] = price.max(tick * 10) / tick * tick;
        self.last_price_ms[i] = now_ms;
        let action = Action::PriceUpdate(PriceUpdate {
            market: self.genesis.markets[i].id,
            price: self.prices[i],
            timestamp_ms: now_ms,
        });
        Some(Tx::User {
            action: sign_action(&self.oracle, action, &self.domain),
        })
    }

    fn l1(&mut self, message: L1Message) -> Tx {
        let queue_index = self.next_queue_index;
        self.next_queue_index += 1;
        Tx::L1 {
            queue_index,
            message,
        }
    }

    /// The next random user transaction, valid or not, as of `now_ms`.
    pub fn next_tx(&mut self, now_ms: u64) -> Tx {
        let agent_span = if self.agents.is_empty() { 0 } else { 40 };
        let client_span = if self.client_orders { 30 } else { 0 };
        let leverage_span = if self.leverage { 8 } else { 0 };
        let isolated_span = if self.isolated { 12 } else { 0 };
        let option_span = if self.options { OPTION_SPAN } else { 0 };
        let roll = self
            .rng
            .below(100 + agent_span + client_span + leverage_span + isolated_span + option_span);
        let before_options = 100 + agent_span + client_span + leverage_span + isolated_span;
        if roll >= before_options {
            return self.option_tx(roll - before_options, now_ms);
        }
        if roll >= 100 + agent_span + client_span + leverage_span {
            return self.isolated_tx(
                roll - 100 - agent_span - client_span - leverage_span,
                now_ms,
            );
        }
        if roll >= 100 + agent_span + client_span {
            return self.leverage_tx(now_ms);
        }
        if roll >= 100 + agent_span {
            return self.client_tx(roll - 100 - agent_span, now_ms);
        }
        if roll >= 100 {
            return self.agent_tx(roll - 100, now_ms);
        }
        let t = self.rng.below(self.traders.len() as u64) as usize;
        let m = self.rng.below(self.genesis.markets.len() as u64) as usize;
        let market = self.genesis.markets[m].clone();
        let account = self.traders[t].address;
        let nonce = self.take_nonce(t);
        let expires_at = now_ms + 60_000;
        let action = match roll {
            0..=69 => Action::Order(self.random_order(t, m, nonce, expires_at)),
            70..=79 if !self.placed.is_empty() => {
                let (owner, market, order_nonce) =
                    self.placed[self.rng.below(self.placed.len() as u64) as usize];
                let account = self.traders[owner].address;
                let nonce = if owner == t {
                    nonce
                } else {
                    self.take_nonce(owner)
                };
                Action::Cancel(Cancel {
                    account,
                    market,
                    order_nonce,
                    nonce,
                    expires_at,
                })
            }
            80..=83 => Action::CancelAll(CancelAll {
                account,
                nonce,
                expires_at,
            }),
            84..=91 => Action::Withdraw(Withdraw {
                account,
                amount: 1 + self.rng.below(2_000_000_000),
                nonce,
                expires_at,
            }),
            92..=95 => {
                let victim =
                    self.traders[self.rng.below(self.traders.len() as u64) as usize].address;
                Action::Liquidate(Liquidate {
                    liquidator: account,
                    account: victim,
                    market: market.id,
                    nonce,
                    expires_at,
                })
            }
            _ => {
                return self
                    .price_update(m, now_ms)
                    .unwrap_or_else(|| self.next_tx(now_ms));
            }
        };
        let signer = match &action {
            Action::Cancel(c) => self
                .traders
                .iter()
                .position(|tr| tr.address == c.account)
                .expect("cancel names a trader"),
            _ => t,
        };
        Tx::User {
            action: sign_action(&self.traders[signer].key, action, &self.domain),
        }
    }

    /// One of the agent actions (`roll` in 0..40), as of `now_ms`: approvals (some
    /// already expired or expiring soon), revocations, agent orders and cancels, a
    /// Withdraw or ApproveAgent signed by the agent (always refused), and dead-man's
    /// switches scheduled by the account or its agent, trigger orders and TP/SLs signed by
    /// the account or its agent.
    fn agent_tx(&mut self, roll: u64, now_ms: u64) -> Tx {
        let t = self.rng.below(self.traders.len() as u64) as usize;
        let account = self.traders[t].address;
        let agent_key = self.agents[t].clone();
        let agent = address_of(&agent_key);
        let nonce = self.take_nonce(t);
        let expires_at = now_ms + 60_000;
        let by_account = |action| (action, false);
        // A trigger kind is signed by the agent for rolls from `agent_from` up, else by the
        // account itself: one envelope for both kinds.
        let envelope = |agent_from: u64| {
            let signer = if roll >= agent_from { agent } else { account };
            let by = Envelope {
                t,
                signer,
                nonce,
                expires_at,
            };
            (by, roll >= agent_from)
        };
        let (action, agent_signs) = match roll {
            0..=7 => by_account(Action::ApproveAgent(ApproveAgent {
                account,
                agent,
                name: format!("bot {t}"),
                valid_until: match self.rng.below(4) {
                    0 => now_ms + 1 + self.rng.below(2_000),
                    _ => 0,
                },
                nonce,
                expires_at,
            })),
            8 => by_account(Action::RevokeAgent(RevokeAgent {
                account,
                agent,
                nonce,
                expires_at,
            })),
            9..=13 => {
                let m = self.rng.below(self.genesis.markets.len() as u64) as usize;
                let order = self.random_order(t, m, nonce, expires_at);
                (Action::AgentOrder(AgentOrder::new(agent, order)), true)
            }
            14..=15 if !self.placed.is_empty() => {
                let (owner, market, order_nonce) =
                    self.placed[self.rng.below(self.placed.len() as u64) as usize];
                let account = self.traders[owner].address;
                let agent = address_of(&self.agents[owner]);
                let nonce = self.take_nonce(owner);
                let cancel = Action::AgentCancel(AgentCancel {
                    agent,
                    account,
                    market,
                    order_nonce,
                    nonce,
                    expires_at,
                });
                return self.signed_by(&self.agents[owner].clone(), cancel);
            }
            14..=16 => (
                Action::AgentCancelAll(AgentCancelAll {
                    agent,
                    account,
                    nonce,
                    expires_at,
                }),
                true,
            ),
            17..=22 => (
                Action::Withdraw(Withdraw {
                    account,
                    amount: 1 + self.rng.below(2_000_000_000),
                    nonce,
                    expires_at,
                }),
                true,
            ),
            25..=27 => by_account(Action::ScheduleCancel(ScheduleCancel {
                account,
                time: self.dead_man_time(now_ms),
                nonce,
                expires_at,
            })),
            28..=29 => (
                Action::AgentScheduleCancel(AgentScheduleCancel {
                    agent,
                    account,
                    time: self.dead_man_time(now_ms),
                    nonce,
                    expires_at,
                }),
                true,
            ),
            30..=35 => {
                let m = self.rng.below(self.genesis.markets.len() as u64) as usize;
                let (by, agent_signs) = envelope(34);
                let t_order = self.random_trigger(m, by);
                (Action::TriggerOrder(t_order), agent_signs)
            }
            36..=39 => {
                let m = self.rng.below(self.genesis.markets.len() as u64) as usize;
                let (by, agent_signs) = envelope(38);
                let tp_sl = self.random_tp_sl(m, by);
                (Action::TpSl(tp_sl), agent_signs)
            }
            _ => (
                Action::ApproveAgent(ApproveAgent {
                    account,
                    agent: self.traders[(t + 1) % self.traders.len()].address,
                    name: String::new(),
                    valid_until: 0,
                    nonce,
                    expires_at,
                }),
                true,
            ),
        };
        let key = if agent_signs {
            agent_key
        } else {
            self.traders[t].key.clone()
        };
        self.signed_by(&key, action)
    }

    /// A `SetLeverage` of a random trader in a random market, 1x to one past the market's
    /// maximum; signed by its agent one time in three when it has one.
    fn leverage_tx(&mut self, now_ms: u64) -> Tx {
        let t = self.rng.below(self.traders.len() as u64) as usize;
        let m = self.rng.below(self.genesis.markets.len() as u64) as usize;
        let market = self.genesis.markets[m].id;
        let max = crate::engine::leverage::max_leverage(&self.genesis.markets[m]);
        let leverage = 1 + self.rng.below(u64::from(max) + 1) as u32;
        let account = self.traders[t].address;
        let key = self.key_of(t, 33);
        let action = Action::SetLeverage(SetLeverage {
            signer: address_of(&key),
            account,
            market,
            leverage,
            nonce: self.take_nonce(t),
            expires_at: now_ms + 60_000,
        });
        self.signed_by(&key, action)
    }

    /// A margin-mode action (`roll` in 0..12) of a random trader in a random market:
    /// `SetMarginMode` (isolated two times in three), or `IsolatedMargin` adding or
    /// removing 1 to 500 USDC; signed by its agent one time in three when it has one.
    fn isolated_tx(&mut self, roll: u64, now_ms: u64) -> Tx {
        let t = self.rng.below(self.traders.len() as u64) as usize;
        let m = self.rng.below(self.genesis.markets.len() as u64) as usize;
        let market = self.genesis.markets[m].id;
        let account = self.traders[t].address;
        let key = self.key_of(t, 33);
        let (signer, nonce, expires_at) = (address_of(&key), self.take_nonce(t), now_ms + 60_000);
        let action = if roll < 5 {
            Action::SetMarginMode(SetMarginMode {
                signer,
                account,
                market,
                isolated: roll < 4,
                nonce,
                expires_at,
            })
        } else {
            Action::IsolatedMargin(IsolatedMargin {
                signer,
                account,
                market,
                is_add: roll < 9,
                amount: (1 + self.rng.below(500)) * 1_000_000,
                nonce,
                expires_at,
            })
        };
        self.signed_by(&key, action)
    }

    /// One of the client-order kinds (`roll` in 0..30), as of `now_ms`: orders with a
    /// client id (sometimes none, sometimes one in use) resting until a few seconds or a
    /// minute ahead or until cancelled, cancels by client id and modifies (mostly of ids
    /// placed before, found or not), and (`roll` 27..30) bulk modifies.
    fn client_tx(&mut self, roll: u64, now_ms: u64) -> Tx {
        let mut t = self.rng.below(self.traders.len() as u64) as usize;
        let mut client_id = u128::from(self.rng.below(CLIENT_IDS + 1));
        if roll >= 16 && !self.client_ids.is_empty() && self.rng.chance(80) {
            (t, client_id) = self.client_ids[self.rng.below(self.client_ids.len() as u64) as usize];
        }
        let account = self.traders[t].address;
        let key = self.key_of(t, 30);
        let signer = address_of(&key);
        let nonce = self.take_nonce(t);
        let action = match roll {
            0..=15 => {
                let m = self.rng.below(self.genesis.markets.len() as u64) as usize;
                let expires_at = match self.rng.below(4) {
                    0 => NO_EXPIRY,
                    1 => now_ms + 60_000,
                    _ => now_ms + self.rng.below(3_000),
                };
                if client_id != 0 {
                    self.client_ids.push((t, client_id));
                }
                let o = self.random_order(t, m, nonce, expires_at);
                Action::ClientOrder(ClientOrder {
                    signer,
                    account,
                    market: o.market,
                    is_buy: o.is_buy,
                    price: o.price,
                    size: o.size,
                    tif: o.tif,
                    reduce_only: o.reduce_only,
                    client_id,
                    nonce,
                    expires_at,
                })
            }
            16..=21 => Action::CancelByClientId(CancelByClientId {
                signer,
                account,
                client_id,
                nonce,
                expires_at: now_ms + 60_000,
            }),
            27.. => self.bulk_modify(t, signer, nonce, now_ms),
            _ => {
                let m = self.rng.below(self.genesis.markets.len() as u64) as usize;
                let o = self.random_order(t, m, nonce, now_ms + 60_000);
                Action::ModifyOrder(ModifyOrder {
                    signer,
                    account,
                    client_id,
                    price: o.price,
                    size: o.size,
                    nonce,
                    expires_at: now_ms + 60_000,
                })
            }
        };
        self.signed_by(&key, action)
    }

    /// A `BulkModify` of trader `t` signed by `signer`, as of `now_ms`: 1–3 items naming
    /// orders the trader placed lately (by client id or by market and nonce; found, filled
    /// or gone), each with a new price near the mark, a new size, or both.
    fn bulk_modify(&mut self, t: usize, signer: Address, nonce: u64, now_ms: u64) -> Action {
        // The trader's 8 latest client ids and orders: the likeliest to be still open.
        let ids: Vec<u128> = self
            .client_ids
            .iter()
            .rev()
            .filter(|(owner, _)| *owner == t)
            .take(8)
            .map(|(_, id)| *id)
            .collect();
        let orders: Vec<(u32, u64)> = self
            .placed
            .iter()
            .rev()
            .filter(|(owner, _, _)| *owner == t)
            .take(8)
            .map(|(_, market, nonce)| (*market, *nonce))
            .collect();
        let count = 1 + self.rng.below(3);
        let items = (0..count)
            .map(|_| {
                let m = self.rng.below(self.genesis.markets.len() as u64) as usize;
                let (market, order_nonce, client_id) = if !ids.is_empty() && self.rng.chance(40) {
                    (0, 0, ids[self.rng.below(ids.len() as u64) as usize])
                } else if !orders.is_empty() {
                    let (market, nonce) = orders[self.rng.below(orders.len() as u64) as usize];
                    (market, nonce, 0)
                } else {
                    (self.genesis.markets[m].id, nonce, 0)
                };
                let mi = self
                    .genesis
                    .markets
                    .iter()
                    .position(|p| p.id == market)
                    .unwrap_or(m);
                let params = self.genesis.markets[mi].clone();
                let price = if self.rng.chance(25) {
                    0
                } else {
                    self.near_mark(mi, -60, 121)
                };
                let size = if price != 0 && self.rng.chance(30) {
                    0
                } else {
                    (1 + self.rng.below(50))
                        * params.lot_size
                        * 10u64.pow(params.size_decimals.saturating_sub(2) as u32)
                };
                ModifyItem {
                    market,
                    order_nonce,
                    client_id,
                    price,
                    size,
                }
            })
            .collect();
        Action::BulkModify(BulkModify {
            signer,
            account: self.traders[t].address,
            items: ModifyItems(items),
            nonce,
            expires_at: now_ms + 60_000,
        })
    }

    /// A dead-man's switch time as of `now_ms`: mostly within a few seconds past the
    /// minimum delay (so a later batch sees it fire), sometimes 0 (clear) or too soon.
    fn dead_man_time(&mut self, now_ms: u64) -> u64 {
        match self.rng.below(6) {
            0 => 0,
            1 => now_ms + self.rng.below(DEAD_MAN_MIN_DELAY_MS),
            _ => now_ms + DEAD_MAN_MIN_DELAY_MS + self.rng.below(2_000),
        }
    }

    /// A price `from_bps + below(span)` basis points above (negative: below) market `m`'s
    /// current price, on its tick.
    fn near_mark(&mut self, m: usize, from_bps: i64, span: u64) -> u64 {
        let bps = from_bps + self.rng.below(span) as i64;
        let tick = self.genesis.markets[m].tick_size;
        let mark = i128::from(self.prices[m]);
        let raw = mark + mark * i128::from(bps) / 10_000;
        let raw = u64::try_from(raw.max(0)).unwrap_or(u64::MAX);
        (raw / tick).max(1) * tick
    }

    /// A random trigger order in market index `m`, sent as `by` says: any
    /// kind and side, its trigger mostly within ±1.5% of the price (so some fire as the
    /// walk moves and some wait), one in four 10–30 % away (so some wait for long: what a
    /// stop fired early needs), sometimes malformed (a limit kind without a price).
    fn random_trigger(&mut self, m: usize, by: Envelope) -> TriggerOrder {
        let market = self.genesis.markets[m].clone();
        let kind = TriggerKind::from_u8(self.rng.below(4) as u8).expect("0..4");
        let trigger_price = match self.rng.below(8) {
            0 => self.near_mark(m, 1_000, 2_001),
            1 => self.near_mark(m, -3_000, 2_001),
            _ => self.near_mark(m, -150, 301),
        };
        let price = if kind.is_limit() && self.rng.chance(95) {
            self.near_mark(m, -100, 201)
        } else {
            0
        };
        let size = (1 + self.rng.below(20))
            * market.lot_size
            * 10u64.pow(market.size_decimals.saturating_sub(2) as u32);
        let account = self.place(by, market.id);
        TriggerOrder {
            signer: by.signer,
            account,
            market: market.id,
            is_buy: self.rng.chance(50),
            kind,
            trigger_price,
            price,
            size,
            reduce_only: self.rng.chance(30),
            nonce: by.nonce,
            expires_at: by.expires_at,
        }
    }

    /// A random TP/SL in market index `m`, sent as `by` says (a take-profit above the
    /// price and a stop-loss below it, either sometimes absent).
    fn random_tp_sl(&mut self, m: usize, by: Envelope) -> TpSl {
        let market = self.genesis.markets[m].id;
        let take_profit = match self.rng.below(5) {
            0 => 0,
            _ => self.near_mark(m, 20, 100),
        };
        let stop_loss = match self.rng.below(5) {
            0 => 0,
            _ => self.near_mark(m, -119, 100),
        };
        let account = self.place(by, market);
        TpSl {
            signer: by.signer,
            account,
            market,
            take_profit,
            stop_loss,
            nonce: by.nonce,
            expires_at: by.expires_at,
        }
    }

    /// Records what `by` places in `market` (a later cancel may name it) and gives the
    /// account it is placed for.
    fn place(&mut self, by: Envelope, market: u32) -> Address {
        self.placed.push((by.t, market, by.nonce));
        self.traders[by.t].address
    }

    /// A random order of trader `t` in market index `m`: mostly near the mark, so orders
    /// cross and rest; sometimes far (the band refuses those).
    fn random_order(&mut self, t: usize, m: usize, nonce: u64, expires_at: u64) -> Order {
        let market = self.genesis.markets[m].clone();
        let account = self.traders[t].address;
        let is_buy = self.rng.chance(50);
        // Mostly near the mark so orders cross and rest; sometimes far (band rejects).
        let spread_bps = if self.rng.chance(95) {
            self.rng.below(60)
        } else {
            1_500
        };
        let mark = self.prices[m];
        let offset = mark / 10_000 * spread_bps;
        let raw = if self.rng.chance(50) {
            mark + offset
        } else {
            mark.saturating_sub(offset)
        };
        let price = (raw / market.tick_size).max(1) * market.tick_size;
        let size = (1 + self.rng.below(50))
            * market.lot_size
            * 10u64.pow(market.size_decimals.saturating_sub(2) as u32);
        let tif = match self.rng.below(10) {
            0..=5 => TimeInForce::Gtc,
            6..=7 => TimeInForce::Ioc,
            8 => TimeInForce::Fok,
            _ => TimeInForce::PostOnly,
        };
        self.placed.push((t, market.id, nonce));
        Order {
            account,
            market: market.id,
            is_buy,
            price,
            size,
            tif,
            reduce_only: self.rng.chance(10),
            nonce,
            expires_at,
        }
    }

    /// The transactions that give `fault` something to corrupt, for faults that need a
    /// state the random draws reach only sometimes: a dead-man's switch an hour ahead
    /// (`dead-man-early`), a buy stop at twice the price (`stop-early`), a good-till-time
    /// bid 1 % below the price for an hour (`expire-early`), 2x leverage in the first market
    /// (`leverage-dropped`), every trader's orders cancelled and every market isolated
    /// before a crossing pair (`isolated-spill`), a small fill between traders 1 and 0
    /// (`bad-fill`, `skip-liquidation-check`, and `adl-misranked`, which needs positions to
    /// misrank), an index and an implied volatility for the first optioned market (the index
    /// lists its series: `option-settlement-price`, `option-mark`), a bid moved by a
    /// `BulkModify` (`bulk-priority`), a large option bid and a small sale into it
    /// (`option-short-unmargined`); none for the others.
    /// Each is signed with fresh nonces,
    /// so offering it again is harmless.
    pub fn precondition(&mut self, fault: crate::fault::Fault, now_ms: u64) -> Vec<Tx> {
        use crate::fault::Fault;
        let account = self.traders[0].address;
        let price = self.prices[0];
        let market = self.genesis.markets[0].clone();
        let size = market.lot_size * 10u64.pow(market.size_decimals.saturating_sub(2) as u32);
        if matches!(
            fault,
            Fault::BadFill | Fault::SkipLiquidationCheck | Fault::AdlMisranked
        ) {
            return self.crossing_pair(now_ms);
        }
        if matches!(fault, Fault::OptionSettlementPrice | Fault::OptionMark) {
            return self.option_inputs(now_ms);
        }
        if fault == Fault::IsolatedSpill {
            return self.isolate_everywhere(now_ms);
        }
        if fault == Fault::BulkPriority {
            return self.bid_then_bulk_move(now_ms);
        }
        if fault == Fault::LiquidationSkipped {
            return self.liquidation_inputs(now_ms);
        }
        if fault == Fault::CircuitBreakerIgnored {
            return self.tripped_breaker(now_ms);
        }
        if fault == Fault::OptionShortUnmargined {
            return self.unmargined_short_inputs(now_ms);
        }
        let (nonce, expires_at) = (self.take_nonce(0), now_ms + 60_000);
        let action = match fault {
            Fault::DeadManEarly => Action::ScheduleCancel(ScheduleCancel {
                account,
                time: now_ms + 3_600_000,
                nonce,
                expires_at,
            }),
            Fault::StopEarly => Action::TriggerOrder(TriggerOrder {
                signer: account,
                account,
                market: market.id,
                is_buy: true,
                kind: TriggerKind::StopMarket,
                trigger_price: (2 * price / market.tick_size).max(1) * market.tick_size,
                price: 0,
                size,
                reduce_only: false,
                nonce,
                expires_at,
            }),
            Fault::ExpireEarly => Action::ClientOrder(ClientOrder {
                signer: account,
                account,
                market: market.id,
                is_buy: true,
                price: ((price - price / 100) / market.tick_size).max(1) * market.tick_size,
                size,
                tif: TimeInForce::Gtc,
                reduce_only: false,
                client_id: 0,
                nonce,
                expires_at: now_ms + 3_600_000,
            }),
            Fault::LeverageDropped => Action::SetLeverage(SetLeverage {
                signer: account,
                account,
                market: market.id,
                leverage: 2,
                nonce,
                expires_at,
            }),
            _ => return Vec::new(),
        };
        let key = self.traders[0].key.clone();
        vec![self.signed_by(&key, action)]
    }

    /// `bulk-priority`'s precondition: trader 0 rests a bid 2 % below the first market's
    /// price, then a `BulkModify` moves it (by market and nonce) to 3 % below, to the back
    /// of that level.
    fn bid_then_bulk_move(&mut self, now_ms: u64) -> Vec<Tx> {
        let market = self.genesis.markets[0].clone();
        let (account, key) = (self.traders[0].address, self.traders[0].key.clone());
        let below = |pct: u64| {
            let p = self.prices[0] - self.prices[0] / 100 * pct;
            (p / market.tick_size).max(1) * market.tick_size
        };
        let (bid_price, moved_price) = (below(2), below(3));
        let size = market.lot_size * 10u64.pow(market.size_decimals.saturating_sub(2) as u32);
        let bid_nonce = self.take_nonce(0);
        let bid = Action::ClientOrder(ClientOrder {
            signer: account,
            account,
            market: market.id,
            is_buy: true,
            price: bid_price,
            size,
            tif: TimeInForce::Gtc,
            reduce_only: false,
            client_id: 0,
            nonce: bid_nonce,
            expires_at: now_ms + 3_600_000,
        });
        let bulk = Action::BulkModify(BulkModify {
            signer: account,
            account,
            items: ModifyItems(vec![ModifyItem::by_nonce(
                market.id,
                bid_nonce,
                moved_price,
                0,
            )]),
            nonce: self.take_nonce(0),
            expires_at: now_ms + 60_000,
        });
        vec![self.signed_by(&key, bid), self.signed_by(&key, bulk)]
    }

    /// A signed index (which lists the day's series, Part 8 §9) and a 60 % implied
    /// volatility for the first market with an option schedule, as of `now_ms`; nothing
    /// when no market has one or an index at `now_ms` is already signed.
    fn option_inputs(&mut self, now_ms: u64) -> Vec<Tx> {
        let Some(market) = self.genesis.options.first().map(|s| s.market) else {
            return Vec::new();
        };
        let Some(m) = self.genesis.markets.iter().position(|p| p.id == market) else {
            return Vec::new();
        };
        let Some(index) = self.price_update(m, now_ms) else {
            return Vec::new();
        };
        let vol = Action::ImpliedVolUpdate(ImpliedVolUpdate {
            market,
            vol_ppm: 600_000,
            timestamp_ms: now_ms,
        });
        let oracle = self.oracle.clone();
        vec![index, self.signed_by(&oracle, vol)]
    }

    /// `option-short-unmargined`'s precondition: [`Workload::option_inputs`] (an index, which
    /// lists the day's series when due, and an implied volatility), then trader 1 bids for
    /// [`UNMARGINED_BID_UNITS`] of the first listing's at-the-money call at one premium tick
    /// (a long holds no margin beyond its premium, so it rests) and trader 0 sells one lot
    /// into it with an IOC (well within its margin: accepted). The fault sells the rest of
    /// that bid for trader 0, far beyond its margin. Nothing without two traders or an
    /// option schedule.
    fn unmargined_short_inputs(&mut self, now_ms: u64) -> Vec<Tx> {
        let Some(schedule) = self.genesis.options.first().cloned() else {
            return Vec::new();
        };
        let Some(market) = self.genesis.market(schedule.market).cloned() else {
            return Vec::new();
        };
        if self.traders.len() < 2 {
            return Vec::new();
        }
        // Strikes ascending, a call then a put each: the middle strike's call.
        let series = SERIES_ID_BASE + 2 * schedule.strikes_each_side;
        let whole = 10u64.pow(u32::from(market.size_decimals));
        let tick = schedule.premium_tick;
        let legs = [
            Leg::new(
                1,
                true,
                tick,
                UNMARGINED_BID_UNITS * whole,
                TimeInForce::Gtc,
            ),
            Leg::new(0, false, tick, market.lot_size, TimeInForce::Ioc),
        ];
        let mut txs = self.option_inputs(now_ms);
        txs.extend(legs.map(|leg| self.leg_tx(series, leg, now_ms + 60_000)));
        txs
    }

    /// `liquidation-skipped`'s precondition, in the last market: up to four victims (traders
    /// 0, 2, 4, 6, each with the next trader as counterparty and liquidator) cancel their
    /// orders, set the maximum leverage and isolated margin there (refused where they are
    /// not flat: they then stay in cross margin) and each take a position worth
    /// [`LIQUIDATION_NOTIONAL_MICRO`] from its counterparty's resting order with an IOC; an
    /// isolated taker's margin is then exactly its initial margin (Part 4 §26), so the index
    /// moving [`LIQUIDATION_MOVE_BPS`] against them leaves it below maintenance, and each
    /// counterparty liquidates its victim. Long (and the price falls) while the price is at
    /// or above its start, else short (and it rises), so repeated offers stay near it.
    /// Nothing when the market's index at `now_ms` is already signed.
    fn liquidation_inputs(&mut self, now_ms: u64) -> Vec<Tx> {
        let m = self.genesis.markets.len() - 1;
        if now_ms <= self.last_price_ms[m] || self.traders.len() < 2 {
            return Vec::new();
        }
        let market = self.genesis.markets[m].clone();
        let price = self.prices[m];
        let start = START_PRICE_MICRO.get(m).copied().unwrap_or(1_000_000_000);
        let long = price >= start;
        let victims: Vec<usize> = (0..self.traders.len() - 1).step_by(2).take(4).collect();
        let expires_at = now_ms + 60_000;
        let scale = 10u128.pow(u32::from(market.size_decimals));
        let lots = LIQUIDATION_NOTIONAL_MICRO * scale
            / u128::from(price.max(1))
            / u128::from(market.lot_size);
        let size = u64::try_from(lots).unwrap_or(1).max(1) * market.lot_size;
        let mut txs = Vec::new();
        let round = Round {
            market: &market,
            price,
            size,
            expires_at,
        };
        for &v in &victims {
            txs.extend(self.isolated_at_max_leverage(v, &round));
        }
        for &v in &victims {
            for (who, is_buy, tif) in [
                (v + 1, !long, TimeInForce::Gtc),
                (v, long, TimeInForce::Ioc),
            ] {
                let leg = Leg::new(who, is_buy, price, size, tif);
                txs.push(self.leg_tx(market.id, leg, expires_at));
            }
        }
        let next = moved(price, LIQUIDATION_MOVE_BPS, !long);
        txs.extend(self.signed_price(m, next, now_ms));
        for &v in &victims {
            txs.push(self.liquidate_by(v + 1, v, market.id, expires_at));
        }
        txs
    }

    /// Trader `v` cancels its orders, closes what it holds in `market` (see
    /// [`Workload::flatten`]), then sets the maximum leverage and isolated margin there
    /// (refused where it is still not flat: it then stays in cross margin).
    fn isolated_at_max_leverage(&mut self, v: usize, round: &Round) -> Vec<Tx> {
        let Round {
            market, expires_at, ..
        } = *round;
        let account = self.traders[v].address;
        let key = self.traders[v].key.clone();
        let mut txs = vec![self.cancel_all_tx(v, expires_at)];
        txs.extend(self.flatten(v, round));
        let leverage = Action::SetLeverage(SetLeverage {
            signer: account,
            account,
            market: market.id,
            leverage: 10_000 / market.initial_margin_bps.max(1),
            nonce: self.take_nonce(v),
            expires_at,
        });
        txs.push(self.signed_by(&key, leverage));
        txs.push(self.isolated_mode_tx(v, market.id, expires_at));
        txs
    }

    /// Closes whatever trader `v` holds in `market` without knowing its size or side (the
    /// workload does not track positions): trader `v + 1` cancels its orders and rests a bid
    /// 1 % under and an ask 1 % over `price`, each [`FLATTEN_SIZE_FACTOR`] times `size`;
    /// then `v` sends a
    /// reduce-only IOC sell 5 % under and buy 5 % over, which the engine caps at what it
    /// holds (the side that would add is refused). A random workload's positions stay well
    /// under that depth.
    fn flatten(&mut self, v: usize, round: &Round) -> Vec<Tx> {
        let Round {
            market,
            price,
            size,
            expires_at,
        } = *round;
        let tick = market.tick_size.max(1);
        let at = |bps: i64| {
            let moved = i128::from(price) * i128::from(10_000 + bps) / 10_000;
            u64::try_from(moved).unwrap_or(price) / tick * tick
        };
        let depth = size.saturating_mul(FLATTEN_SIZE_FACTOR);
        let legs = [
            Leg::new(v + 1, true, at(-100), depth, TimeInForce::Gtc),
            Leg::new(v + 1, false, at(100), depth, TimeInForce::Gtc),
            Leg::new(v, false, at(-500), depth, TimeInForce::Ioc).reduce_only(),
            Leg::new(v, true, at(500), depth, TimeInForce::Ioc).reduce_only(),
        ];
        // The depth's owner first cancels what an earlier round left resting: an old bid
        // above the market would give the victim's next position a better entry than the
        // price move can liquidate.
        let mut txs = vec![self.cancel_all_tx(v + 1, expires_at)];
        txs.extend(legs.map(|leg| self.leg_tx(market.id, leg, expires_at)));
        txs
    }

    /// `circuit-breaker-ignored`'s precondition: the last market's index jumps
    /// [`BREAKER_JUMP_BPS`] (down from at or above its start, else up; past the devnet's
    /// 10 % move bound, so its breaker trips and the market is reduce-only), then the
    /// crossing pair in the first market (accepted actions of two traders, whom the fault
    /// lets add risk in the tripped market). Nothing when the market's index at `now_ms`
    /// is already signed.
    fn tripped_breaker(&mut self, now_ms: u64) -> Vec<Tx> {
        let m = self.genesis.markets.len() - 1;
        let price = self.prices[m];
        let start = START_PRICE_MICRO.get(m).copied().unwrap_or(1_000_000_000);
        let next = moved(price, BREAKER_JUMP_BPS, price < start);
        let Some(update) = self.signed_price(m, next, now_ms) else {
            return Vec::new();
        };
        let mut txs = vec![update];
        txs.extend(self.crossing_pair(now_ms));
        txs
    }

    /// `isolated-spill`'s precondition: every trader cancels all of its orders and trigger
    /// orders, then puts every market in isolated margin (refused where it holds a
    /// position; the fault needs one accepted, a flat isolated leaf will do), then the
    /// crossing pair.
    fn isolate_everywhere(&mut self, now_ms: u64) -> Vec<Tx> {
        let markets: Vec<u32> = self.genesis.markets.iter().map(|m| m.id).collect();
        let mut txs = Vec::new();
        for t in 0..self.traders.len() {
            txs.push(self.cancel_all_tx(t, now_ms + 60_000));
            for &market in &markets {
                txs.push(self.isolated_mode_tx(t, market, now_ms + 60_000));
            }
        }
        txs.extend(self.crossing_pair(now_ms));
        txs
    }

    /// A fill between the first two traders in the first market, for the faults that
    /// corrupt a fill or a position (`bad-fill`, `skip-liquidation-check`): trader 1
    /// rests a small ask at the price, trader 0 takes it with an IOC bid.
    fn crossing_pair(&mut self, now_ms: u64) -> Vec<Tx> {
        if self.traders.len() < 2 {
            return Vec::new();
        }
        let market = self.genesis.markets[0].clone();
        let size = market.lot_size * 10u64.pow(market.size_decimals.saturating_sub(2) as u32);
        let price = (self.prices[0] / market.tick_size).max(1) * market.tick_size;
        [(1, false, TimeInForce::Gtc), (0, true, TimeInForce::Ioc)]
            .into_iter()
            .map(|(trader, is_buy, tif)| {
                let account = self.traders[trader].address;
                let guard = (self.take_nonce(trader), now_ms + 3_600_000);
                let order = Order::plain(account, market.id, (is_buy, price, size), tif, guard);
                let action = Action::ClientOrder(ClientOrder::new(account, order, 0));
                let key = self.traders[trader].key.clone();
                self.signed_by(&key, action)
            })
            .collect()
    }

    /// The first option schedule, its market's index in `genesis.markets`, and the first
    /// series id of the listing trading at `now_ms`: listing k (of expiry k) is the k-th,
    /// as when every listing window saw an index (the workload's clock does; a wrong guess
    /// only makes refused orders).
    fn listing_at(&self, now_ms: u64) -> Option<(OptionSchedule, usize, u32)> {
        let s = self.genesis.options.first()?.clone();
        let m = self.genesis.markets.iter().position(|p| p.id == s.market)?;
        let listed = if now_ms < s.first_expiry_ms {
            0
        } else {
            (now_ms - s.first_expiry_ms) / s.expiry_interval_ms.max(1) + 1
        };
        let offset = listed.checked_mul(series_per_listing(&s))?;
        let base = u32::try_from(offset).ok()?.checked_add(SERIES_ID_BASE)?;
        Some((s, m, base))
    }

    /// One option action (`roll` in 0..[`OPTION_SPAN`]) on a random series of the listing
    /// trading at `now_ms`: an order of a random trader, or (`roll` 16..) a `Liquidate` of a
    /// random trader's position in it by another (most are healthy, long or flat: refused).
    fn option_tx(&mut self, roll: u64, now_ms: u64) -> Tx {
        let (s, m, base) = self
            .listing_at(now_ms)
            .expect("with_options needs a schedule");
        let series = base + self.rng.below(series_per_listing(&s)) as u32;
        let t = self.rng.below(self.traders.len() as u64) as usize;
        let (nonce, expires_at) = (self.take_nonce(t), now_ms + 60_000);
        let action = if roll < 16 {
            Action::Order(self.random_option_order(t, m, series, nonce, expires_at))
        } else {
            let victim = self.rng.below(self.traders.len() as u64) as usize;
            Action::Liquidate(Liquidate {
                liquidator: self.traders[t].address,
                account: self.traders[victim].address,
                market: series,
                nonce,
                expires_at,
            })
        };
        let key = self.traders[t].key.clone();
        self.signed_by(&key, action)
    }

    /// A random order of trader `t` on `series` of the market at index `m`: a premium of 1
    /// tick to 4 % of the index (so bids and asks cross and rest), with
    /// [`Workload::random_order`]'s side, size, time in force and reduce-only draws.
    fn random_option_order(
        &mut self,
        t: usize,
        m: usize,
        series: u32,
        nonce: u64,
        expires_at: u64,
    ) -> Order {
        let tick = self.genesis.options[0].premium_tick.max(1);
        let price = (1 + self.rng.below(self.prices[m] / 25 / tick)) * tick;
        let order = self.random_order(t, m, nonce, expires_at);
        // `random_order` noted the perp for later cancels; the order is the series'.
        if let Some(placed) = self.placed.last_mut() {
            placed.1 = series;
        }
        Order {
            market: series,
            price,
            ..order
        }
    }

    /// A signed implied volatility of 40 % to 90 % for the optioned market at `now_ms`
    /// (none when one at `now_ms` or later is signed: the oracle's slot must move forward).
    fn option_vol(&mut self, market: u32, now_ms: u64) -> Option<Tx> {
        if now_ms <= self.last_vol_ms {
            return None;
        }
        self.last_vol_ms = now_ms;
        let vol = Action::ImpliedVolUpdate(ImpliedVolUpdate {
            market,
            vol_ppm: 400_000 + self.rng.below(501) * 1_000,
            timestamp_ms: now_ms,
        });
        let oracle = self.oracle.clone();
        Some(self.signed_by(&oracle, vol))
    }

    /// Short options below maintenance, liquidated (`with_options`; nothing without it, or
    /// when the optioned market's index at `now_ms` is already signed): an implied
    /// volatility, then up to two victims (traders 0 and 2, the next trader as counterparty
    /// and liquidator) each sell the deepest in-the-money series to their margin limit
    /// (halving sales into the counterparty's bid): the lowest strike's call while the index is under
    /// its start, else the highest strike's put. The index then moves
    /// [`OPTION_MOVE_BPS`] into the money (up, or down), and each counterparty sends a
    /// `Liquidate` naming the series.
    pub fn option_liquidation_round(&mut self, now_ms: u64) -> Vec<Tx> {
        let Some((s, m, base)) = self.listing_at(now_ms).filter(|_| self.options) else {
            return Vec::new();
        };
        if now_ms <= self.last_price_ms[m] || self.traders.len() < 2 {
            return Vec::new();
        }
        let price = self.prices[m];
        let up = price < START_PRICE_MICRO.get(m).copied().unwrap_or(1_000_000_000);
        let series = if up {
            base
        } else {
            base + series_per_listing(&s) as u32 - 1
        };
        let victims: Vec<usize> = (0..self.traders.len() - 1).step_by(2).take(2).collect();
        let mut txs: Vec<Tx> = self.option_vol(s.market, now_ms).into_iter().collect();
        for &v in &victims {
            txs.extend(self.sell_to_the_limit(v, series, s.premium_tick, now_ms));
        }
        txs.extend(self.signed_price(m, moved(price, OPTION_MOVE_BPS, up), now_ms));
        for &v in &victims {
            txs.push(self.liquidate_by(v + 1, v, series, now_ms + 60_000));
        }
        txs
    }

    /// Trader `v` sells `series` up to its margin limit, whatever else it holds: trader
    /// `v + 1` rests a bid at one premium tick (a long pays almost nothing, so its bid
    /// never fails its own margin) for the sum of `v`'s sales, then `v` sends IOC sells of
    /// [`OPTION_LIMIT_UNITS`] whole units, half that, and so on down to an eighth of a
    /// unit: each fills while the short still meets its initial margin and is refused
    /// whole once it would not, so `v` ends within an eighth of a unit of its limit.
    fn sell_to_the_limit(&mut self, v: usize, series: u32, tick: u64, now_ms: u64) -> Vec<Tx> {
        let market = self.genesis.markets[self.listing_at(now_ms).expect("listed").1].clone();
        let whole = 10u64.pow(u32::from(market.size_decimals));
        let lot = market.lot_size.max(1);
        let sizes: Vec<u64> = std::iter::successors(Some(OPTION_LIMIT_UNITS * whole), |s| {
            Some(s / 2).filter(|h| *h >= whole / 8)
        })
        .map(|s| s / lot * lot)
        .filter(|s| *s > 0)
        .collect();
        let bid = Leg::new(v + 1, true, tick, sizes.iter().sum(), TimeInForce::Gtc);
        let sells = sizes
            .iter()
            .map(|&size| Leg::new(v, false, tick, size, TimeInForce::Ioc));
        std::iter::once(bid)
            .chain(sells)
            .map(|leg| self.leg_tx(series, leg, now_ms + 60_000))
            .collect()
    }

    /// Trader `liquidator`'s `Liquidate` of trader `account` in `market` (a perp or a
    /// series), with its next nonce.
    fn liquidate_by(
        &mut self,
        liquidator: usize,
        account: usize,
        market: u32,
        expires_at: u64,
    ) -> Tx {
        let action = Action::Liquidate(Liquidate {
            liquidator: self.traders[liquidator].address,
            account: self.traders[account].address,
            market,
            nonce: self.take_nonce(liquidator),
            expires_at,
        });
        let key = self.traders[liquidator].key.clone();
        self.signed_by(&key, action)
    }

    /// `leg` as its trader's signed order in `market` (a perp or a series), with its next
    /// nonce: the one form of every scripted order above.
    fn leg_tx(&mut self, market: u32, leg: Leg, expires_at: u64) -> Tx {
        let order = Order {
            account: self.traders[leg.who].address,
            market,
            is_buy: leg.is_buy,
            price: leg.price,
            size: leg.size,
            tif: leg.tif,
            reduce_only: leg.reduce_only,
            nonce: self.take_nonce(leg.who),
            expires_at,
        };
        let key = self.traders[leg.who].key.clone();
        self.signed_by(&key, Action::Order(order))
    }

    fn signed_by(&self, key: &SigningKey, action: Action) -> Tx {
        Tx::User {
            action: sign_action(key, action, &self.domain),
        }
    }

    /// The key that signs for trader `t`: its agent's `agent_pct` % of the time when agents
    /// are approved (one draw of the workload's generator then), else its own.
    fn key_of(&mut self, t: usize, agent_pct: u64) -> SigningKey {
        if !self.agents.is_empty() && self.rng.chance(agent_pct) {
            self.agents[t].clone()
        } else {
            self.traders[t].key.clone()
        }
    }

    fn take_nonce(&mut self, trader: usize) -> u64 {
        let n = self.traders[trader].next_nonce;
        self.traders[trader].next_nonce += 1;
        n
    }
}

/// How many series one listing of `s` writes: a call and a put per strike.
fn series_per_listing(s: &OptionSchedule) -> u64 {
    2 * (2 * u64::from(s.strikes_each_side) + 1)
}

/// `price` moved `bps` basis points up (or down), saturating; a move too large for a
/// `u64` is the price itself.
fn moved(price: u64, bps: u64, up: bool) -> u64 {
    let by = u64::try_from(u128::from(price) * u128::from(bps) / 10_000).unwrap_or(price);
    if up {
        price.saturating_add(by)
    } else {
        price.saturating_sub(by)
    }
}

/// Who sends an action and with what replay guard: trader `t`'s account, signed by
/// `signer` (the trader or its agent), with `nonce`, expiring at `expires_at`.
#[derive(Debug, Clone, Copy)]
struct Envelope {
    t: usize,
    signer: Address,
    nonce: u64,
    expires_at: u64,
}

/// One liquidation round's terms in a market (`Workload::liquidation_inputs`): the index it
/// starts from, each victim's position size, and when its orders expire.
#[derive(Clone, Copy)]
struct Round<'a> {
    market: &'a crate::genesis::MarketParams,
    price: u64,
    size: u64,
    expires_at: u64,
}

/// One scripted order: who sends it and its terms (its market, nonce and expiry are the
/// script's).
#[derive(Debug, Clone, Copy)]
struct Leg {
    who: usize,
    is_buy: bool,
    price: u64,
    size: u64,
    tif: TimeInForce,
    reduce_only: bool,
}

impl Leg {
    fn new(who: usize, is_buy: bool, price: u64, size: u64, tif: TimeInForce) -> Leg {
        Leg {
            who,
            is_buy,
            price,
            size,
            tif,
            reduce_only: false,
        }
    }

    fn reduce_only(self) -> Leg {
        Leg {
            reduce_only: true,
            ..self
        }
    }
}
