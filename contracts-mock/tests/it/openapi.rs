//! The OpenAPI document: the checked-in docs/openapi/settlement.json is what the code
//! generates, every route the router registers is in it, the ledger's refusal codes are
//! listed, and `GET /openapi.json` serves it.

use crate::support::Node;
use service_shell::http::openapi::{check_checked_in, render, undocumented_routes};
use std::path::Path;

#[test]
fn the_checked_in_document_is_what_the_code_generates() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/openapi/settlement.json");
    let bless = "VIGIL_BLESS=1 cargo test -p contracts-mock --test it openapi";
    if let Err(e) = check_checked_in(&contracts_mock::openapi_document(), &path, bless) {
        panic!("{e}");
    }
}

#[test]
fn every_registered_route_is_documented() {
    let sources = [include_str!("../../src/http/mod.rs")];
    let missing = undocumented_routes(&contracts_mock::openapi_document(), &sources);
    assert!(
        missing.is_empty(),
        "routes missing from the document: {missing:?}"
    );
}

#[test]
fn the_ledgers_refusal_codes_are_listed() {
    let text = render(&contracts_mock::openapi_document());
    for code in [
        "bad_batch_shape",
        "insufficient_bond",
        "bad_signature",
        "invalid_json",
    ] {
        assert!(text.contains(&format!("\"{code}\"")), "{code}");
    }
}

#[tokio::test]
async fn the_document_is_served() {
    let node = Node::start().await;
    let response = node
        .http
        .get(format!("{}/openapi.json", node.url))
        .send()
        .await
        .expect("GET");
    assert_eq!(response.status().as_u16(), 200);
    let served: serde_json::Value = response.json().await.expect("json");
    let generated: serde_json::Value =
        serde_json::from_str(&render(&contracts_mock::openapi_document())).expect("json");
    assert_eq!(served, generated);
    assert_eq!(served["openapi"], "3.1.0");
}
