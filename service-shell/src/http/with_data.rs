//! The `?data=` query of the endpoints that answer one batch (the sequencer's and the
//! settlement layer's): the batch's data is included unless `?data=false`.

use serde::Deserialize;

#[derive(Debug, Clone, Copy, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct WithData {
    /// Whether to include the batch's data (default true).
    data: Option<bool>,
}

impl WithData {
    /// Whether the answer carries the batch's data (the default).
    pub fn wanted(&self) -> bool {
        self.data.unwrap_or(true)
    }
}
