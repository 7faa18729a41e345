//! The event log as followers use it: paging, long-polling that wakes on a commit, and
//! shutdown that does not wait for idle followers.

use crate::support::{Node, addr, alice};
use protocol::api::settlement::{EventKind, EventsResponse};
use std::time::{Duration, Instant};

#[tokio::test]
async fn pages_are_ascending_and_resume_after_the_given_seq() {
    let node = Node::start().await;
    for amount in 1..=5 {
        node.faucet(&addr(&alice()), amount).await;
    }
    let page: EventsResponse = node.get("/v1/events?after=2&limit=2").await;
    let seqs: Vec<u64> = page.events.iter().map(|e| e.seq).collect();
    assert_eq!((seqs, page.last_seq), (vec![3, 4], 5));
    assert_eq!(
        page.events[0].event,
        EventKind::Minted {
            account: addr(&alice()),
            amount: 3
        }
    );
    let rest: EventsResponse = node.get("/v1/events?after=4").await;
    assert_eq!(rest.events.len(), 1);
    let none: EventsResponse = node.get("/v1/events?after=5").await;
    assert!(none.events.is_empty());
}

#[tokio::test]
async fn a_long_poll_returns_as_soon_as_an_event_is_committed() {
    let node = Node::start().await;
    let after = node.status().await.last_event_seq;
    let poll = node
        .http
        .get(format!(
            "{}/v1/events?after={after}&wait_ms=20000",
            node.url
        ))
        .send();
    let waiting = tokio::spawn(poll);
    let started = Instant::now();
    node.faucet(&addr(&alice()), 42).await;
    let response = tokio::time::timeout(Duration::from_secs(10), waiting)
        .await
        .expect("the poll must return well before its 20 s wait")
        .expect("task")
        .expect("response");
    assert!(started.elapsed() < Duration::from_secs(10));
    let page: EventsResponse = response.json().await.expect("json");
    assert_eq!(page.events.len(), 1);
    assert_eq!(
        page.events[0].event,
        EventKind::Minted {
            account: addr(&alice()),
            amount: 42
        }
    );
}

#[tokio::test]
async fn a_long_poll_with_nothing_new_answers_empty_after_its_wait() {
    let node = Node::start().await;
    let page: EventsResponse = node.get("/v1/events?after=0&wait_ms=50").await;
    assert!(page.events.is_empty());
    assert_eq!(page.last_seq, 0);
}

#[tokio::test]
async fn shutdown_does_not_wait_for_idle_followers() {
    let mut node = Node::start().await;
    let poll = node
        .http
        .get(format!("{}/v1/events?after=0&wait_ms=30000", node.url))
        .send();
    let waiting = tokio::spawn(poll);
    // Whether or not the poll is already waiting when shutdown starts, shutdown must end
    // promptly (a waiting poll is released early; one not yet read is refused).
    let _ = node.status().await;
    tokio::time::timeout(Duration::from_secs(10), node.shutdown())
        .await
        .expect("shutdown must not wait out the 30 s poll");
    let answered = tokio::time::timeout(Duration::from_secs(10), waiting)
        .await
        .expect("the poll ends")
        .expect("task");
    if let Ok(response) = answered {
        assert_eq!(response.status(), 200);
    }
}
