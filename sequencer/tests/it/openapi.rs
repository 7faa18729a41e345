//! The OpenAPI document: the checked-in docs/openapi/sequencer.json is what the code
//! generates, every route the router registers is in it, the engine's rejection codes are
//! listed, and `GET /openapi.json` serves it.

use crate::support::l1::L1;
use crate::support::seq::Seq;
use service_shell::http::openapi::{check_checked_in, render, undocumented_routes};
use std::path::Path;

#[test]
fn the_checked_in_document_is_what_the_code_generates() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/openapi/sequencer.json");
    let bless = "VIGIL_BLESS=1 cargo test -p sequencer --test it openapi";
    if let Err(e) = check_checked_in(&sequencer::http::openapi_document(), &path, bless) {
        panic!("{e}");
    }
}

#[test]
fn every_registered_route_is_documented() {
    let sources = [
        include_str!("../../src/http/mod.rs"),
        include_str!("../../../service-shell/src/http/proofs.rs"),
    ];
    let missing = undocumented_routes(&sequencer::http::openapi_document(), &sources);
    assert!(
        missing.is_empty(),
        "routes missing from the document: {missing:?}"
    );
}

#[test]
fn every_engine_rejection_code_is_listed() {
    let text = render(&sequencer::http::openapi_document());
    for status in protocol::engine::Status::ALL.iter().filter(|s| !s.is_ok()) {
        assert!(
            text.contains(&format!("\"{}\"", status.code())),
            "{}",
            status.code()
        );
    }
    for shared in [
        "invalid_query",
        "no_such_route",
        "overloaded",
        "unknown_market",
    ] {
        assert!(text.contains(&format!("\"{shared}\"")), "{shared}");
    }
}

#[tokio::test]
async fn the_document_is_served() {
    let l1 = L1::start().await;
    let seq = Seq::start(&l1).await;
    let served: serde_json::Value = seq.get("/openapi.json").await;
    let generated: serde_json::Value =
        serde_json::from_str(&render(&sequencer::http::openapi_document())).expect("json");
    assert_eq!(served, generated);
    assert_eq!(served["openapi"], "3.1.0");
    seq.stop().await;
}
