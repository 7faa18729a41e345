//! Server-side HTTP every Vigil service shares: the one `ApiError`, the extractors that
//! answer malformed requests with it, the paging query, and the default fallbacks.
//!
//! The three services may not depend on one another (DESIGN §1), yet they answer the same
//! error shape and follow the same conventions, so the one copy of that code lives here.

mod error;

pub use error::{ApiError, METHOD_NOT_ALLOWED};
