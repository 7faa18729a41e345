//! The feed's shared fan-out: what each `/v1/stream` session used to read and compute for
//! itself, done once per published view and shared by every session that needs it.
//!
//! Why: with 100 subscribers (`cargo bench -p client --bench feed`) the sequencer's
//! throughput fell from 3,922 to 928 orders/s. Each publication woke every session, and
//! each read its trades and fills through the one `ReadDb` connection (a blocking task and
//! the connection's mutex per subscription, so 200 serialized SQLite queries per commit)
//! and walked the book for its own copy of the depth.
//!
//! Now a page of a cursor channel (a market's trades, an account's fills or order events
//! by `seq`, its withdrawals' status changes by `event`) is keyed by the channel and the cursor it follows: the sessions at the same
//! cursor (every subscriber of a market's trades after a commit, every subscriber of one
//! trader's fills) wait for one read and send the same serialized frames. A book's depth
//! is computed once per view and (market, levels), the markets' states once per view.
//! All of it is dropped when a newer view is published: a page is at most one publication
//! old, and a revert (which publishes a view) is never hidden behind a stale page.

use super::super::AppState;
use crate::journal::history::{self, Walk};
use crate::journal::{JournalError, order_feed, withdrawal_events};
use crate::view::ReadView;
use axum::extract::ws::Utf8Bytes;
use protocol::api::sequencer::MarketInfo;
use protocol::api::stream::StreamMessage;
use protocol::engine::view::{self, BookDepth};
use protocol::primitives::Address;
use rusqlite::Connection;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::OnceCell;

/// Rows read per query; a subscription behind by more reads again at once.
pub const PAGE: u64 = 500;

/// A cursor-ordered channel: by `seq`, except `Withdrawals`, by withdrawal `event` (a
/// status change by a seal or a settlement update has no `seq` of its own).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Channel {
    Trades(u32),
    Fills(Address),
    Orders(Address),
    Withdrawals(Address),
}

/// The frames of a channel after a cursor, each with its cursor (`seq`, or `event`),
/// ending between whole transactions; `more` when further ones follow at once.
#[derive(Debug)]
pub struct Page {
    pub frames: Vec<(u64, Utf8Bytes)>,
    pub more: bool,
}

/// One shared result: `None` when its read failed (tried again at the next view).
type Shared<T> = Arc<OnceCell<Option<Arc<T>>>>;

/// The shared reads of the newest view a session asked about.
#[derive(Debug, Default)]
pub struct Fanout {
    generation: Mutex<Option<Generation>>,
}

#[derive(Debug)]
struct Generation {
    /// Held, so its address cannot be reused by a later view while it is compared.
    view: Arc<ReadView>,
    pages: HashMap<(Channel, u64), Shared<Page>>,
    books: HashMap<(u32, u32), Shared<BookDepth>>,
    markets: Shared<Vec<MarketInfo>>,
}

impl Fanout {
    /// The cell `pick` chooses in `view`'s generation (a newer view starts a new one).
    fn cell<T>(
        &self,
        view: &Arc<ReadView>,
        pick: impl FnOnce(&mut Generation) -> &mut Shared<T>,
    ) -> Shared<T> {
        let mut generation = self.generation.lock().unwrap_or_else(|e| e.into_inner());
        if !generation
            .as_ref()
            .is_some_and(|g| Arc::ptr_eq(&g.view, view))
        {
            *generation = Some(Generation {
                view: view.clone(),
                pages: HashMap::new(),
                books: HashMap::new(),
                markets: Shared::default(),
            });
        }
        let generation = generation.as_mut().expect("set above");
        pick(generation).clone()
    }

    /// The page of `channel` after `after`, read once for every session that asks.
    pub async fn page(&self, s: &AppState, channel: Channel, after: u64) -> Option<Arc<Page>> {
        let view = s.views.borrow().clone();
        let cell = self.cell(&view, |g| g.pages.entry((channel, after)).or_default());
        let sizes = (PAGE, super::super::history::rows_for(s, PAGE));
        let read = || async move {
            let page = s.db.read(move |c| channel.page(c, after, sizes)).await;
            page.ok().map(Arc::new)
        };
        cell.get_or_init(read).await.clone()
    }

    /// `market`'s depth to `levels` levels in `view`, computed once.
    pub async fn book(
        &self,
        view: &Arc<ReadView>,
        market: u32,
        levels: u32,
    ) -> Option<Arc<BookDepth>> {
        let cell = self.cell(view, |g| g.books.entry((market, levels)).or_default());
        let depth = || async {
            let mut tree = view.tree.clone();
            view::book_depth(&mut tree, market, levels as usize)
                .ok()
                .map(Arc::new)
        };
        cell.get_or_init(depth).await.clone()
    }

    /// Every market's state in `view`, computed once.
    pub async fn markets(
        &self,
        s: &AppState,
        view: &Arc<ReadView>,
    ) -> Option<Arc<Vec<MarketInfo>>> {
        let cell = self.cell(view, |g| &mut g.markets);
        let infos = || async {
            super::super::reads::market_infos(s, view)
                .ok()
                .map(Arc::new)
        };
        cell.get_or_init(infos).await.clone()
    }
}

impl Channel {
    /// Its messages after `after`, whole transactions, serialized.
    fn page(self, c: &Connection, after: u64, sizes: (u64, u64)) -> Result<Page, JournalError> {
        let walk = Walk::OldestAfter(after);
        let (messages, more): (Vec<(u64, StreamMessage)>, _) = match self {
            Channel::Trades(market) => {
                let trades = |c: &Connection, walk, n| history::market_trades(c, market, walk, n);
                let (rows, more) = history::whole_transactions(c, walk, sizes, trades, |t| t.seq)?;
                let message = |trade: protocol::api::history::Trade| {
                    (trade.seq, StreamMessage::Trade { market, trade })
                };
                (rows.into_iter().map(message).collect(), more)
            }
            Channel::Fills(account) => {
                let fills = |c: &Connection, walk, n| history::account_fills(c, &account, walk, n);
                let (rows, more) = history::whole_transactions(c, walk, sizes, fills, |f| f.seq)?;
                let message = |fill: protocol::api::history::AccountFill| {
                    (fill.seq, StreamMessage::Fill { account, fill })
                };
                (rows.into_iter().map(message).collect(), more)
            }
            Channel::Orders(account) => {
                let (rows, more) = order_feed::account_order_events(c, &account, after, sizes)?;
                let message = |order: protocol::api::stream::OrderUpdate| {
                    (order.seq, StreamMessage::Order { account, order })
                };
                (rows.into_iter().map(message).collect(), more)
            }
            Channel::Withdrawals(account) => {
                let (rows, more) = withdrawal_events::account_updates(c, &account, after, PAGE)?;
                let message = |withdrawal: protocol::api::stream::WithdrawalUpdate| {
                    let cursor = withdrawal.event.unwrap_or(after);
                    let message = StreamMessage::Withdrawal {
                        account,
                        withdrawal,
                    };
                    (cursor, message)
                };
                let rows = rows.into_iter().map(message).collect();
                (rows, more.then_some(after))
            }
        };
        let frames = messages
            .into_iter()
            .map(|(seq, m)| serde_json::to_string(&m).map(|text| (seq, Utf8Bytes::from(text))))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| JournalError::Corrupt {
                what: "feed message".into(),
                reason: e.to_string(),
            })?;
        // A page that moved nowhere cannot be followed by another from the same cursor.
        let more = more.is_some() && !frames.is_empty();
        Ok(Page { frames, more })
    }
}
