//! The sequencer's streaming intake, `GET /v1/tx/ws` (a WebSocket), as serde types: a
//! trader that streams orders sends each signed action in a [`WsSubmit`] text frame with
//! its own request id, and gets one [`WsAnswer`] per frame carrying that id, the HTTP
//! status `POST /v1/tx` would have answered and that answer's body (the durable
//! `TxAccepted`, or the `ErrorBody` with the same code). Answers come once the action is
//! durable, in completion order (usually the order sent): match them by `id`. Actions on
//! one connection are sequenced in the order their frames arrived. The operator-facing
//! description (limits, close reasons) is docs/spec/sequencer.md.

use super::sequencer::TxAccepted;
use super::settlement::ErrorBody;
use crate::action::SignedAction;
use serde::{Deserialize, Serialize};

/// Client → server: one signed action (`{"type", "message", "signature"}`, as the body of
/// `POST /v1/tx`) and the client's id for it, echoed in the answer. The server reads the
/// action as plain JSON first (`A = serde_json::Value`) so a malformed one is refused with
/// the same message as `POST /v1/tx`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WsSubmit<A = SignedAction> {
    pub id: u64,
    pub action: A,
}

/// Server → client: the answer to one frame. `status` is what `POST /v1/tx` would have
/// answered: 200 with `accepted` (durable), else a 4xx/5xx with `error` (the same codes:
/// 422 engine status codes, 400 `malformed_action`, 503 `overloaded`, 504 `timed_out`, …).
/// `id` is `null` only when the frame itself had no readable id.
///
/// A plain struct with optional fields rather than a tagged enum: serde's buffering of
/// tagged enums cannot hold the receipts' `i128` amounts.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WsAnswer {
    pub id: Option<u64>,
    pub status: u16,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accepted: Option<TxAccepted>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorBody>,
}

impl WsAnswer {
    /// The durable receipt, or the error answer (a missing body reads as a bug's 500).
    pub fn into_result(self) -> Result<TxAccepted, ErrorBody> {
        match (self.accepted, self.error) {
            (Some(accepted), None) if self.status == 200 => Ok(accepted),
            (_, Some(error)) => Err(error),
            _ => Err(ErrorBody {
                code: "internal".into(),
                message: format!("answer {:?} (status {}) has no body", self.id, self.status),
                details: None,
            }),
        }
    }
}
