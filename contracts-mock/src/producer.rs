//! Block production: one block every `block_time_ms`, stamped with the wall clock, until
//! shutdown. Mining also finalizes the batches whose windows have passed (logged at debug:
//! a healthy chain writes no line per block).

use crate::ledger::chain;
use crate::state::AppState;
use std::time::Duration;
use tokio::time::MissedTickBehavior;

/// Mines until `state.stopping()` turns true. The caller owns and joins the task.
pub async fn produce_blocks(state: AppState, block_time_ms: u64) {
    let mut stopping = state.stopping();
    let mut ticks = tokio::time::interval(Duration::from_millis(block_time_ms));
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    ticks.tick().await; // the first tick is immediate; block 1 comes one block time after start
    loop {
        tokio::select! {
            () = crate::state::stopped(&mut stopping) => break,
            _ = ticks.tick() => {
                let now = crate::now_ms();
                match state.write(move |conn, rules| chain::mine(conn, rules, 1, None, now)).await {
                    // Routine: with traffic a batch finalizes every block, and a line a
                    // second says nothing the event log and /metrics do not.
                    Ok(mined) if !mined.finalized.is_empty() => {
                        tracing::debug!(block = mined.block.number, finalized = ?mined.finalized, "batches finalized");
                    }
                    Ok(_) => {}
                    Err(e) => {
                        tracing::error!(error = %e, "mining a block failed");
                        if e.status == axum::http::StatusCode::SERVICE_UNAVAILABLE {
                            break;
                        }
                    }
                }
            }
        }
    }
}
