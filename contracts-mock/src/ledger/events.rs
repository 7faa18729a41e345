//! The ordered event log: every state change appends one event in the same transaction as
//! the change, so the log and the state can never disagree, even across a crash.

use super::schema::sql_key;
use protocol::api::settlement::{Event, EventKind, EventsResponse};
use rusqlite::{Connection, params};
use service_shell::http::ApiError;

/// Most events one read returns.
pub const MAX_EVENTS_PER_READ: u64 = 1_000;

/// Appends `kind` at `block`; returns its sequence number. `submission_id` links a
/// `batch_posted` event to its stored data (the payload omits the data).
pub fn append(
    conn: &Connection,
    block: u64,
    timestamp_ms: u64,
    kind: &EventKind,
) -> Result<u64, ApiError> {
    let (payload, submission_id) = match kind {
        EventKind::BatchPosted { submission_id, .. } => (
            serde_json::to_string(&without_data(kind)),
            Some(*submission_id),
        ),
        other => (serde_json::to_string(other), None),
    };
    let payload = payload.map_err(ApiError::internal)?;
    conn.execute(
        "INSERT INTO events (block, timestamp_ms, payload, submission_id) VALUES (?1, ?2, ?3, ?4)",
        params![block, timestamp_ms, payload, submission_id],
    )?;
    u64::try_from(conn.last_insert_rowid()).map_err(ApiError::internal)
}

/// `kind` as the log stores it: a `batch_posted` event without its data (stored once, with
/// the batch; readers join it back by `submission_id`).
fn without_data(kind: &EventKind) -> EventKind {
    let mut stored = kind.clone();
    if let EventKind::BatchPosted { data, .. } = &mut stored {
        *data = Vec::new();
    }
    stored
}

/// The newest sequence number (0 for an empty log).
pub fn last_seq(conn: &Connection) -> Result<u64, ApiError> {
    Ok(conn.query_row("SELECT COALESCE(MAX(seq), 0) FROM events", [], |r| r.get(0))?)
}

/// Up to `limit` events with `seq > after`, ascending, with batch data joined in.
pub fn read(conn: &Connection, after: u64, limit: u64) -> Result<EventsResponse, ApiError> {
    let last_seq = last_seq(conn)?;
    let after = sql_key(after).unwrap_or(i64::MAX);
    let limit = limit.clamp(1, MAX_EVENTS_PER_READ);
    let mut stmt = conn.prepare_cached(
        "SELECT e.seq, e.block, e.timestamp_ms, e.payload, b.data FROM events e
         LEFT JOIN batch_data b ON b.submission_id = e.submission_id
         WHERE e.seq > ?1 ORDER BY e.seq LIMIT ?2",
    )?;
    let rows = stmt.query_map(params![after, limit], |r| {
        Ok((
            r.get::<_, u64>(0)?,
            r.get::<_, u64>(1)?,
            r.get::<_, u64>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, Option<Vec<u8>>>(4)?,
        ))
    })?;
    let mut events = Vec::new();
    for row in rows {
        let (seq, block, timestamp_ms, payload, data) = row?;
        let mut event: EventKind = serde_json::from_str(&payload)
            .map_err(|e| ApiError::internal(format_args!("event {seq}: {e}")))?;
        if let (EventKind::BatchPosted { data: slot, .. }, Some(data)) = (&mut event, data) {
            *slot = data;
        }
        events.push(Event {
            seq,
            block,
            timestamp_ms,
            event,
        });
    }
    Ok(EventsResponse { events, last_seq })
}
