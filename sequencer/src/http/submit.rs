//! `POST /v1/tx` and `POST /v1/txs`: refuse a body not sent as `application/json` (415),
//! read the body (size and time bounded), parse the
//! wire format of DESIGN §2 (a 400 names the bad field), admit (or 503), verify and
//! execute through intake, and answer once accepted actions are durable.

use super::{ApiError, AppState, error, error_codes};
use crate::executor::Outcome;
use crate::intake::{Client, Overloaded};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Request, State};
use http_body_util::LengthLimitError;
use protocol::action::{SignedAction, Tx};
use protocol::api::sequencer::{BulkItem, BulkResponse, TxAccepted};
use protocol::primitives::{Address, H256};
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::time::Instant;

/// Reads the whole body within the size limit and the body timeout.
async fn read_body(s: &AppState, request: Request) -> Result<Bytes, ApiError> {
    service_shell::http::require_json(request.headers())?;
    let limit = s.limits.max_body_bytes;
    let body = request.into_body();
    match tokio::time::timeout(s.limits.body_timeout, axum::body::to_bytes(body, limit)).await {
        Err(_) => Err(ApiError::slow_client(format!(
            "the request body did not arrive within {} ms",
            s.limits.body_timeout.as_millis()
        ))),
        Ok(Err(e)) => {
            let inner = e.into_inner();
            if inner.downcast_ref::<LengthLimitError>().is_some()
                || inner
                    .source()
                    .is_some_and(|s| s.downcast_ref::<LengthLimitError>().is_some())
            {
                Err(ApiError::too_large(format!(
                    "the request body is larger than {limit} bytes"
                )))
            } else {
                Err(ApiError::new(
                    error_codes::UNREADABLE_BODY,
                    format!("the request body could not be read: {inner}"),
                ))
            }
        }
        Ok(Ok(bytes)) => Ok(bytes),
    }
}

pub(super) fn parse_action(
    value: serde_json::Value,
    position: Option<usize>,
) -> Result<SignedAction, ApiError> {
    serde_json::from_value(value).map_err(|e| {
        let at = position.map_or(String::new(), |i| format!("action {i}: "));
        ApiError::new(error_codes::MALFORMED_ACTION, format!("{at}{e}"))
    })
}

pub(super) fn parse_json(bytes: &[u8]) -> Result<serde_json::Value, ApiError> {
    serde_json::from_slice(bytes).map_err(|e| {
        ApiError::new(
            error_codes::INVALID_JSON,
            format!("the body is not JSON: {e}"),
        )
    })
}

/// The connection a request came on (service_shell's server loop records it), for fairness.
pub(super) fn client_of(extensions: &axum::http::Extensions) -> Client {
    Client(
        extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(peer)| *peer),
    )
}

/// Admits `actions` or answers 503 naming the limit: the queue's budget is used up, or
/// their connection or claimed signer already has its share of it waiting.
fn admit(
    s: &AppState,
    client: Client,
    actions: &[SignedAction],
) -> Result<crate::intake::Admitted, ApiError> {
    if s.halted() {
        return Err(ApiError::unavailable(
            "the sequencer cannot acknowledge actions (storage or executor failure); it must be restarted",
        ));
    }
    if let Some(block) = s.frozen.get() {
        return Err(ApiError::new(
            error_codes::ROLLUP_FROZEN,
            crate::follower::frozen_message(*block),
        ));
    }
    if let Some(alert) = s.audit.stopping_violation() {
        let message = crate::audit::stopped_message(&alert);
        return Err(ApiError::new(error_codes::INVARIANT_VIOLATED, message));
    }
    // Price updates count against the first oracle signer's share: the signer is only
    // known once the signature is recovered, after admission.
    let oracle = s.genesis.oracles.first().copied().unwrap_or(Address::ZERO);
    let accounts: Vec<Address> = actions
        .iter()
        .map(|a| a.action.claimed_signer().unwrap_or(oracle))
        .collect();
    s.intake.try_admit_from(client, &accounts).map_err(|why| {
        s.metrics.shed.fetch_add(1, Ordering::Relaxed);
        ApiError::overloaded(overloaded_message(s, actions.len(), why))
    })
}

/// What a shed request is told: the limit it met, with the numbers.
fn overloaded_message(s: &AppState, n: usize, why: Overloaded) -> String {
    let wait_ms = s.limits.max_queue_wait.as_millis();
    match why {
        Overloaded::Queue { queued, limit } => format!(
            "the sequencer's queue is full: {queued} actions are queued and {n} more would pass its limit of {limit} (what it finishes within {wait_ms} ms, twice that for a connection within its fair share); retry shortly"
        ),
        Overloaded::Client { waiting, share } => format!(
            "this connection already has {waiting} actions queued and {n} more would pass its fair share of the queue ({share} actions: the budget split between the connections with actions waiting); retry once they are answered, or send fewer at once"
        ),
        Overloaded::Account {
            account,
            waiting,
            share,
        } => format!(
            "{account} already has {waiting} actions waiting, its fair share of the queue ({share}); retry once they are answered"
        ),
    }
}

/// Admits `actions` and queues them (in their connection's turn; one connection's requests
/// keep the order they were enqueued in); the receiver gets the outcomes once durable.
pub(super) fn enqueue(
    s: &AppState,
    client: Client,
    actions: Vec<SignedAction>,
) -> Result<tokio::sync::oneshot::Receiver<Vec<Outcome>>, ApiError> {
    let permit = admit(s, client, &actions)?;
    Ok(s.intake.submit(actions, permit))
}

/// Waits for the outcomes of an enqueued request, or explains a timeout with the first hash.
pub(super) async fn outcomes(
    s: &AppState,
    answer: tokio::sync::oneshot::Receiver<Vec<Outcome>>,
    first: H256,
) -> Result<Vec<Outcome>, ApiError> {
    match tokio::time::timeout(s.limits.request_timeout, answer).await {
        Ok(Ok(outcomes)) => Ok(outcomes),
        Ok(Err(_)) => Err(ApiError::unavailable(
            "the sequencer stopped before the action was durable; it was not acknowledged",
        )),
        Err(_) => Err(ApiError::timed_out(format!(
            "no durable answer within {} ms; the action may still be sequenced: look up {first} at /v1/txs/{first}",
            s.limits.request_timeout.as_millis()
        ))),
    }
}

async fn execute(
    s: &AppState,
    client: Client,
    actions: Vec<SignedAction>,
    first: H256,
) -> Result<Vec<Outcome>, ApiError> {
    let answer = enqueue(s, client, actions)?;
    outcomes(s, answer, first).await
}

pub(super) fn hash_of(action: &SignedAction) -> H256 {
    Tx::User {
        action: action.clone(),
    }
    .hash()
}

pub async fn one(
    State(s): State<AppState>,
    request: Request,
) -> Result<Json<TxAccepted>, ApiError> {
    let started = Instant::now();
    let client = client_of(request.extensions());
    let body = read_body(&s, request).await?;
    let action = parse_action(parse_json(&body)?, None)?;
    let hash = hash_of(&action);
    let outcomes = execute(&s, client, vec![action], hash).await?;
    s.metrics.submit_latency.observe(started.elapsed());
    single(outcomes).map(Json)
}

/// The answer to a one-action request: its receipt, or the engine's rejection (422).
pub(super) fn single(outcomes: Vec<Outcome>) -> Result<TxAccepted, ApiError> {
    match outcomes.into_iter().next() {
        Some(Outcome::Accepted(accepted)) => Ok(*accepted),
        Some(Outcome::Rejected { status, detail, .. }) => Err(error::rejected(status, detail)),
        None => Err(ApiError::internal("the executor answered no outcome")),
    }
}

pub async fn bulk(
    State(s): State<AppState>,
    request: Request,
) -> Result<Json<BulkResponse>, ApiError> {
    let started = Instant::now();
    let client = client_of(request.extensions());
    let body = read_body(&s, request).await?;
    let serde_json::Value::Array(values) = parse_json(&body)? else {
        return Err(ApiError::new(
            error_codes::MALFORMED_BODY,
            "the body must be a JSON array of signed actions",
        ));
    };
    if values.is_empty() {
        return Err(ApiError::new(
            error_codes::EMPTY_BATCH,
            "the array holds no actions",
        ));
    }
    let max = s.limits.max_bulk_actions;
    if values.len() > max {
        return Err(ApiError::too_large(format!(
            "{} actions in one request; at most {max} are accepted",
            values.len()
        )));
    }
    let actions = values
        .into_iter()
        .enumerate()
        .map(|(i, v)| parse_action(v, Some(i)))
        .collect::<Result<Vec<_>, _>>()?;
    let first = hash_of(&actions[0]);
    let outcomes = execute(&s, client, actions, first).await?;
    s.metrics.submit_latency.observe(started.elapsed());
    let mut response = BulkResponse {
        accepted: 0,
        rejected: 0,
        results: Vec::with_capacity(outcomes.len()),
    };
    for outcome in outcomes {
        response.results.push(match outcome {
            Outcome::Accepted(a) => {
                response.accepted += 1;
                BulkItem::Accepted(*a)
            }
            Outcome::Rejected {
                hash,
                status,
                detail,
            } => {
                response.rejected += 1;
                BulkItem::Rejected {
                    hash,
                    code: status.code().to_string(),
                    message: detail.unwrap_or_else(|| status.message().to_string()),
                }
            }
        });
    }
    Ok(Json(response))
}
