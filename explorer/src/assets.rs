//! The explorer's pages: one HTML shell, one stylesheet, one script and an icon, written by
//! hand and compiled into the binary (`include_str!`), so a clean checkout builds and runs
//! it with cargo alone and a browser fetches nothing from anywhere but the explorer.

use crate::error_codes;
use axum::extract::Path;
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use service_shell::http::ApiError;

const INDEX: &str = include_str!("../assets/index.html");

/// `(name, content type, contents)` of every asset under `/assets/`.
const ASSETS: [(&str, &str, &str); 3] = [
    (
        "app.js",
        "text/javascript; charset=utf-8",
        include_str!("../assets/app.js"),
    ),
    (
        "app.css",
        "text/css; charset=utf-8",
        include_str!("../assets/app.css"),
    ),
    (
        "favicon.svg",
        "image/svg+xml",
        include_str!("../assets/favicon.svg"),
    ),
];

pub async fn index() -> Html<&'static str> {
    Html(INDEX)
}

pub async fn asset(Path(name): Path<String>) -> Response {
    match ASSETS.iter().find(|(n, _, _)| *n == name) {
        Some((_, content_type, body)) => (
            [
                (header::CONTENT_TYPE, *content_type),
                (header::CACHE_CONTROL, "no-cache"),
            ],
            *body,
        )
            .into_response(),
        None => {
            ApiError::new(error_codes::NO_SUCH_ASSET, format!("no asset {name:?}")).into_response()
        }
    }
}
