//! What both services' feed sessions (`GET /v1/stream` on the sequencer and on a verifier)
//! do the same way around their own subscriptions: hold at most `MAX_SUBSCRIPTIONS` of
//! them, acknowledge and serve a new one, serve every one at a wake, and serve the
//! subscriptions kept at the service's newest state (`HeadSub`: a book, the markets, an
//! account) from what the service reads there. Each service supplies only its reads
//! (`Feed`, `Head`); this is the one copy, because the services may not depend on one
//! another.

use super::ws_session::{End, FeedSession, Sink, send_json};
use protocol::api::sequencer::{AccountBody, MarketInfo};
use protocol::api::stream::{HeadSub, StreamMessage, account_update, book_update, markets_update};
use protocol::engine::view::BookDepth;
use protocol::primitives::Address;
use std::future::Future;
use std::sync::Arc;

/// Subscriptions one session may hold; a further one is refused (`too_many_subscriptions`).
pub const MAX_SUBSCRIPTIONS: usize = 64;

/// What a service's feed does with its own kind of subscription, `Sub`.
pub trait Feed: Send + Sync {
    type Sub: Send;
    /// Answers the subscription request `text`: the subscription, acknowledged
    /// (`subscribed`), or `None` when it was refused with an `error` message (the
    /// connection stays open).
    fn subscribe(
        &self,
        text: &str,
        tx: &mut Sink,
    ) -> impl Future<Output = Result<Option<Self::Sub>, End>> + Send;
    /// Sends what `sub` has not seen yet.
    fn serve(
        &self,
        sub: &mut Self::Sub,
        tx: &mut Sink,
    ) -> impl Future<Output = Result<(), End>> + Send;
    /// A slow reader is being closed: count it; the close frame's reason (how to resume).
    fn dropped_slow(&self) -> &'static str;
}

/// One feed session: the service's feed and what the client subscribed to.
pub struct Subscriptions<F: Feed> {
    feed: F,
    subs: Vec<F::Sub>,
}

// By hand: a derive would ask `F` for `Debug` and still not reach `F::Sub`; what a session
// holds is told by how many subscriptions it has.
impl<F: Feed> std::fmt::Debug for Subscriptions<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscriptions")
            .field("subs", &self.subs.len())
            .finish_non_exhaustive()
    }
}

impl<F: Feed> Subscriptions<F> {
    pub fn new(feed: F) -> Subscriptions<F> {
        Subscriptions {
            feed,
            subs: Vec::new(),
        }
    }
}

impl<F: Feed> FeedSession for Subscriptions<F> {
    async fn on_text(&mut self, text: &str, tx: &mut Sink) -> Result<(), End> {
        if self.subs.len() >= MAX_SUBSCRIPTIONS {
            let code = "too_many_subscriptions".into();
            let message = format!(
                "a session holds at most {MAX_SUBSCRIPTIONS} subscriptions; open another connection"
            );
            return send_json(tx, &StreamMessage::Error { code, message }).await;
        }
        let Some(sub) = self.feed.subscribe(text, tx).await? else {
            return Ok(());
        };
        self.subs.push(sub);
        let last = self.subs.len() - 1;
        self.feed.serve(&mut self.subs[last], tx).await
    }

    async fn on_wake(&mut self, tx: &mut Sink) -> Result<(), End> {
        for sub in &mut self.subs {
            self.feed.serve(sub, tx).await?;
        }
        Ok(())
    }

    fn dropped_slow(&mut self) -> &'static str {
        self.feed.dropped_slow()
    }
}

/// Where a service's head subscriptions read: its newest state. Each read also gives the
/// `seq` its messages carry; `None` when it cannot be read now (tried again at the next
/// wake).
pub trait Head: Sync {
    /// `market`'s book to `levels` levels per side.
    fn book(
        &self,
        market: u32,
        levels: u32,
    ) -> impl Future<Output = Option<(u64, Arc<BookDepth>)>> + Send;
    /// Every market's state.
    fn markets(&self) -> impl Future<Output = Option<(u64, Arc<Vec<MarketInfo>>)>> + Send;
    /// `address`'s view, as `GET /v1/accounts/{address}` returns it.
    fn account(&self, address: &Address)
    -> impl Future<Output = Option<(u64, AccountBody)>> + Send;
}

/// Sends what `sub` has not seen of `head`: a book's snapshot, then its changed levels;
/// each market whose state changed; an account's view when it differs from the last sent.
pub async fn serve_head(head: &impl Head, sub: &mut HeadSub, tx: &mut Sink) -> Result<(), End> {
    let messages = match sub {
        HeadSub::Book {
            market,
            levels,
            last,
        } => match head.book(*market, *levels).await {
            Some((seq, depth)) => book_update(seq, last, &depth).into_iter().collect(),
            None => Vec::new(),
        },
        HeadSub::Markets { last } => match head.markets().await {
            Some((seq, now)) => markets_update(seq, last, &now),
            None => Vec::new(),
        },
        HeadSub::Account { address, last } => match head.account(address).await {
            Some((seq, now)) => account_update(seq, last, now).into_iter().collect(),
            None => Vec::new(),
        },
    };
    for message in messages {
        send_json(tx, &message).await?;
    }
    Ok(())
}
