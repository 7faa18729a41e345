//! The OpenAPI 3.1 document each service serves at `GET /openapi.json` and checks into
//! `docs/openapi/<service>.json`: the paths and schemas come from the service's
//! `#[utoipa::path]` handlers and the DTOs' derived schemas; this module adds what every
//! service shares: the error body, whose `code` lists every code the service's `ApiError`s
//! can carry (its error-code table and service-shell's, `error_code.rs`), a `4XX` and a
//! `5XX` answer on every operation, the `StoredNumber` schema the paths' ids and cursors
//! refer to, and the drift check the services' tests run.

use super::StoredNumber;
use super::error_code::{ErrorCode, error_codes};
use axum::Router;
use axum::http::header::CONTENT_TYPE;
use axum::routing::get;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use utoipa::openapi::path::Operation;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::{ContentBuilder, OpenApi, RefOr, Response, ResponseBuilder};
use utoipa::{PartialSchema, ToSchema};

/// The environment variable that makes the drift tests rewrite the checked-in documents.
pub const BLESS_VAR: &str = "VIGIL_BLESS";

/// `api` with the shared error answers: the error body, whose `code` lists `codes` (the
/// service's table, with the engine's rejections where it answers them) and the codes
/// every service answers (`error_codes::ALL`), each with its statuses and meaning; and a
/// `4XX` and a `5XX` answer on every operation. A code may come with several statuses.
pub fn with_errors(mut api: OpenApi, codes: &[ErrorCode]) -> OpenApi {
    let mut by_code: ByCode = BTreeMap::new();
    for row in error_codes::ALL.iter().chain(codes) {
        let meanings = by_code.entry(row.code).or_default();
        let meaning = (row.status.as_u16(), row.description);
        if !meanings.contains(&meaning) {
            meanings.push(meaning);
            meanings.sort_unstable();
        }
    }
    let components = api.components.get_or_insert_with(Default::default);
    components
        .schemas
        .insert("ErrorBody".to_string(), error_body(&by_code));
    // The paths name the ids and cursors they take by reference (`StoredNumber`).
    components
        .schemas
        .insert(StoredNumber::name().into_owned(), StoredNumber::schema());
    let client = answer("4XX", &by_code);
    let server = answer("5XX", &by_code);
    for item in api.paths.paths.values_mut() {
        for op in operations(item) {
            op.responses
                .responses
                .entry("4XX".to_string())
                .or_insert_with(|| RefOr::T(client.clone()));
            op.responses
                .responses
                .entry("5XX".to_string())
                .or_insert_with(|| RefOr::T(server.clone()));
        }
    }
    api
}

/// Each code with the `(status, description)` rows it comes with, by status.
type ByCode = BTreeMap<&'static str, Vec<(u16, &'static str)>>;

fn operations(item: &mut utoipa::openapi::PathItem) -> impl Iterator<Item = &mut Operation> {
    [
        item.get.as_mut(),
        item.put.as_mut(),
        item.post.as_mut(),
        item.delete.as_mut(),
        item.options.as_mut(),
        item.head.as_mut(),
        item.patch.as_mut(),
        item.trace.as_mut(),
    ]
    .into_iter()
    .flatten()
}

/// `{"code", "message", "details"?}` with `code` one of `by_code`'s keys.
fn error_body(by_code: &ByCode) -> RefOr<Schema> {
    let table: Vec<String> = by_code
        .iter()
        .flat_map(|(code, meanings)| {
            meanings
                .iter()
                .map(move |(status, meaning)| format!("- `{code}` ({status}): {meaning}"))
        })
        .collect();
    let code = ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(by_code.keys().copied()))
        .description(Some(format!(
            "The stable error code, with the HTTP statuses it comes with and what it means:\n{}",
            table.join("\n")
        )));
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .description(Some(
            "Every refusal and failure: a stable code, a readable message naming the problem, \
             and structured details where the caller needs numbers.",
        ))
        .property("code", code)
        .property("message", ObjectBuilder::new().schema_type(Type::String))
        .property("details", ObjectBuilder::new())
        .required("code")
        .required("message")
        .into()
}

/// The `4XX` or `5XX` answer: the error body, and which codes that class carries.
fn answer(class: &str, by_code: &ByCode) -> Response {
    let first = if class == "4XX" { '4' } else { '5' };
    let codes: Vec<&str> = by_code
        .iter()
        .filter(|(_, meanings)| {
            meanings
                .iter()
                .any(|(s, _)| s.to_string().starts_with(first))
        })
        .map(|(code, _)| *code)
        .collect();
    let what = if first == '4' { "Refused" } else { "Failed" };
    ResponseBuilder::new()
        .description(format!("{what}; `code` is one of: {}", codes.join(", ")))
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(utoipa::openapi::Ref::from_schema_name("ErrorBody")))
                .build(),
        )
        .build()
}

/// The route serving `document` (rendered once) at `GET /openapi.json`.
pub fn openapi_route<S: Clone + Send + Sync + 'static>(document: &OpenApi) -> Router<S> {
    let body: Arc<str> = render(document).into();
    Router::new().route(
        "/openapi.json",
        get(move || {
            let body = body.clone();
            async move { ([(CONTENT_TYPE, "application/json")], body.to_string()) }
        }),
    )
}

/// The document as checked in: pretty JSON with a final newline (object keys sorted, as
/// utoipa keeps them in ordered maps, so the text is the same on every build).
pub fn render(document: &OpenApi) -> String {
    let mut text = document
        .to_pretty_json()
        .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    text.push('\n');
    text
}

/// Compares `document` with the file at `checked_in`; with `VIGIL_BLESS=1` set, rewrites
/// the file instead. `Err` says what differs and the command that regenerates it
/// (`bless_command`, e.g. `VIGIL_BLESS=1 cargo test -p sequencer --test it openapi`).
pub fn check_checked_in(
    document: &OpenApi,
    checked_in: &Path,
    bless_command: &str,
) -> Result<(), String> {
    let text = render(document);
    if std::env::var(BLESS_VAR).is_ok_and(|v| v == "1") {
        return std::fs::write(checked_in, &text)
            .map_err(|e| format!("writing {}: {e}", checked_in.display()));
    }
    let on_disk = std::fs::read_to_string(checked_in).unwrap_or_default();
    if on_disk == text {
        return Ok(());
    }
    let line = on_disk
        .lines()
        .zip(text.lines())
        .position(|(a, b)| a != b)
        .unwrap_or(on_disk.lines().count().min(text.lines().count()));
    Err(format!(
        "{} is not what the code generates (first difference at line {}); if the API change \
         is intended, regenerate it with `{bless_command}` and commit the file",
        checked_in.display(),
        line + 1
    ))
}

/// The `(METHOD, path)` operations `document` describes.
pub fn documented_operations(document: &OpenApi) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (path, item) in &document.paths.paths {
        let methods = [
            ("GET", item.get.is_some()),
            ("PUT", item.put.is_some()),
            ("POST", item.post.is_some()),
            ("DELETE", item.delete.is_some()),
            ("OPTIONS", item.options.is_some()),
            ("HEAD", item.head.is_some()),
            ("PATCH", item.patch.is_some()),
            ("TRACE", item.trace.is_some()),
        ];
        for (method, _) in methods.into_iter().filter(|(_, present)| *present) {
            out.push((method.to_string(), path.clone()));
        }
    }
    out
}

/// Every route registered in `router_sources` (the Rust source of the files that build a
/// service's `Router`, read by [`route_scan::routes`](super::route_scan::routes)) that
/// `document` does not describe; a route whose methods are built elsewhere (`"*"`) counts
/// as described when its path is.
pub fn undocumented_routes(document: &OpenApi, router_sources: &[&str]) -> Vec<String> {
    let documented = documented_operations(document);
    let mut missing = Vec::new();
    for source in router_sources {
        for (method, path) in super::route_scan::routes(source) {
            let found = documented
                .iter()
                .any(|(m, p)| *p == path && (method == "*" || *m == method));
            if !found {
                missing.push(format!("{method} {path}"));
            }
        }
    }
    missing
}
