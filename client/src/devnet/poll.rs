//! Bounded waiting: poll a condition until it yields, giving up after a time limit (and a
//! bounded number of attempts), with an error that names what was awaited. The devnet uses
//! it at startup and the demo at every step; nothing here ever sleeps as synchronization
//! without a condition to check.

use std::future::Future;
use std::time::{Duration, Instant};

/// A wait that ran out of time; the message names the condition and the last observation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("timed out after {limit:?} waiting for {what}{}", last.as_deref().map(|l| format!(" (last seen: {l})")).unwrap_or_default())]
pub struct TimedOut {
    pub what: String,
    pub limit: Duration,
    pub last: Option<String>,
}

/// The answer of one poll: done with a value, or not yet (with what was seen, for the
/// timeout message).
#[derive(Debug)]
pub enum Poll<T> {
    Ready(T),
    Pending(String),
}

/// Calls `check` every `every` until it is `Ready`, at most `limit` long.
pub async fn poll_until<T, F, Fut>(
    what: &str,
    limit: Duration,
    every: Duration,
    mut check: F,
) -> Result<T, TimedOut>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Poll<T>>,
{
    let started = Instant::now();
    let attempts = limit.as_millis() / every.as_millis().max(1) + 2;
    let mut last = None;
    for _ in 0..attempts {
        match check().await {
            Poll::Ready(v) => return Ok(v),
            Poll::Pending(seen) => last = Some(seen),
        }
        if started.elapsed() >= limit {
            break;
        }
        tokio::time::sleep(every).await;
    }
    Err(TimedOut {
        what: what.to_string(),
        limit,
        last,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn ready_values_return_and_timeouts_name_the_condition() {
        let mut n = 0;
        let got = poll_until(
            "n to reach 3",
            Duration::from_secs(5),
            Duration::ZERO,
            || {
                n += 1;
                let now = n;
                async move {
                    if now >= 3 {
                        Poll::Ready(now)
                    } else {
                        Poll::Pending(format!("n = {now}"))
                    }
                }
            },
        )
        .await;
        assert_eq!(got, Ok(3));
        let err = poll_until::<(), _, _>(
            "never",
            Duration::from_millis(20),
            Duration::from_millis(5),
            || async { Poll::Pending("still no".into()) },
        )
        .await
        .expect_err("times out");
        assert!(
            err.to_string()
                .contains("waiting for never (last seen: still no)")
        );
    }
}
