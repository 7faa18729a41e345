//! The `?data=` query of the endpoints that answer one batch (the sequencer's and the
//! settlement layer's): the batch's data is included unless `?data=false`.

use serde::Deserialize;

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WithData {
    data: Option<bool>,
}

impl WithData {
    /// Whether the answer carries the batch's data (the default).
    pub fn wanted(&self) -> bool {
        self.data.unwrap_or(true)
    }
}
