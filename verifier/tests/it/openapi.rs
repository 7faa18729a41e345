//! The OpenAPI document: the checked-in docs/openapi/verifier.json is what the code
//! generates, every route the router registers is in it, and `GET /openapi.json` serves it.

use crate::support::node::Node;
use crate::support::service::Verifier;
use protocol::workload::Workload;
use service_shell::http::openapi::{check_checked_in, render, undocumented_routes};
use std::path::Path;

#[test]
fn the_checked_in_document_is_what_the_code_generates() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/openapi/verifier.json");
    let bless = "VIGIL_BLESS=1 cargo test -p verifier --test it openapi";
    if let Err(e) = check_checked_in(&verifier::http::openapi_document(), &path, bless) {
        panic!("{e}");
    }
}

#[test]
fn every_registered_route_is_documented() {
    let sources = [
        include_str!("../../src/http.rs"),
        include_str!("../../../service-shell/src/http/proofs.rs"),
    ];
    let missing = undocumented_routes(&verifier::http::openapi_document(), &sources);
    assert!(
        missing.is_empty(),
        "routes missing from the document: {missing:?}"
    );
}

#[tokio::test]
async fn the_document_is_served() {
    let genesis = Workload::new(31, 2).genesis;
    let node = Node::start(&genesis).await;
    let dir = tempfile::tempdir().expect("dir");
    let v = Verifier::start(Verifier::config(&node, dir.path(), None)).await;
    let (code, body) = v.client.get_raw("/openapi.json").await;
    assert_eq!(code, 200, "{body}");
    let served: serde_json::Value = serde_json::from_str(&body).expect("json");
    let generated: serde_json::Value =
        serde_json::from_str(&render(&verifier::http::openapi_document())).expect("json");
    assert_eq!(served, generated);
    assert_eq!(served["openapi"], "3.1.0");
}
