//! The demo's timeline: one entry per step, stamped with the time since the story began
//! and the L1 head block, rendered as aligned text for people or as JSON for scripts.

use serde::Serialize;
use std::time::Instant;

/// One thing that happened.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    /// The step's short stable name (`trade`, `fraud_detected`, …).
    pub step: String,
    pub elapsed_ms: u64,
    pub l1_block: u64,
    /// One readable line.
    pub summary: String,
    /// The facts behind it (hashes, amounts, roots).
    pub details: serde_json::Value,
}

/// The story so far.
#[derive(Debug, Clone)]
pub struct Timeline {
    started: Instant,
    entries: Vec<Entry>,
}

impl Default for Timeline {
    fn default() -> Self {
        Timeline::new()
    }
}

impl Timeline {
    pub fn new() -> Timeline {
        Timeline {
            started: Instant::now(),
            entries: Vec::new(),
        }
    }

    /// Records a step; also logs it, so a failing run shows how far it got.
    pub fn record(
        &mut self,
        step: &str,
        l1_block: u64,
        summary: String,
        details: serde_json::Value,
    ) {
        let elapsed_ms = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX);
        tracing::info!(step, l1_block, elapsed_ms, %summary, "demo step");
        self.entries.push(Entry {
            step: step.to_string(),
            elapsed_ms,
            l1_block,
            summary,
            details,
        });
    }

    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// Whether a step with this name was recorded.
    pub fn has(&self, step: &str) -> bool {
        self.entries.iter().any(|e| e.step == step)
    }

    /// `  +12.345s  L1 #  120  summary` per entry.
    pub fn render_text(&self) -> String {
        self.entries
            .iter()
            .map(|e| {
                format!(
                    "+{:>3}.{:03}s  L1 #{:<5} {}",
                    e.elapsed_ms / 1000,
                    e.elapsed_ms % 1000,
                    e.l1_block,
                    e.summary.replace('\n', "\n                        ")
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(&self.entries).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_render_with_time_and_block() {
        let mut t = Timeline::new();
        t.record(
            "trade",
            12,
            "alice sells\nbob buys".into(),
            serde_json::json!({"n": 1}),
        );
        assert!(t.has("trade") && !t.has("claim"));
        let text = t.render_text();
        assert!(text.starts_with("+  0."), "{text}");
        assert!(text.contains("L1 #12    alice sells\n"), "{text}");
        assert_eq!(t.to_json()[0]["details"]["n"], 1);
    }
}
