//! The explorer's own integration tests, one binary: its pages and assets are served from
//! the binary, the pass-through refuses anything but `/v1/` reads and answers a dead
//! upstream with a JSON 502, and the browsers' feed starts with the link state, which
//! says "down" while the upstreams are. (Against a live network and in a real browser:
//! `client/tests/it/explorer.rs`.)

use futures_util::StreamExt as _;
use serde_json::Value;
use std::time::Duration;

/// An address nothing listens on (a port bound and dropped).
async fn dead_url() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    format!("http://{addr}")
}

async fn started() -> explorer::Running {
    let dead = dead_url().await;
    let config = explorer::Config::new(&dead, &dead, std::slice::from_ref(&dead));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    explorer::start(config, listener)
        .await
        .expect("explorer starts")
}

#[tokio::test]
async fn pages_and_assets_come_from_the_binary() {
    let running = started().await;
    let base = running.url();
    // (path, status, content type prefix, a string the body holds)
    let table = [
        ("/", 200, "text/html", "Vigil explorer"),
        ("/assets/app.js", 200, "text/javascript", "PAGES.disputes"),
        ("/assets/app.css", 200, "text/css", ".dispute"),
        ("/assets/favicon.svg", 200, "image/svg+xml", "<svg"),
        ("/assets/nope.js", 404, "application/json", "no_such_asset"),
        ("/api/seq/metrics", 404, "application/json", "not_readable"),
        (
            "/api/l1/v1/admin/mine",
            404,
            "application/json",
            "not_readable",
        ),
        (
            "/api/verifier/0/v1/status",
            404,
            "application/json",
            "numbered from 1",
        ),
        (
            "/api/verifier/9/v1/status",
            404,
            "application/json",
            "no_such_verifier",
        ),
        (
            "/api/seq/v1/status",
            502,
            "application/json",
            "upstream_unreachable",
        ),
        (
            "/api/search?q=hello",
            400,
            "application/json",
            "unrecognized_search",
        ),
        ("/api/search?q=42", 200, "application/json", "\"batch\""),
        ("/api/disputes", 200, "application/json", "\"disputes\":[]"),
    ];
    for (path, status, content_type, holds) in table {
        let response = reqwest::get(format!("{base}{path}")).await.expect(path);
        assert_eq!(response.status().as_u16(), status, "{path}");
        let got_type = response.headers()[reqwest::header::CONTENT_TYPE]
            .to_str()
            .expect("type")
            .to_string();
        assert!(got_type.starts_with(content_type), "{path}: {got_type}");
        let body = response.text().await.expect("body");
        assert!(body.contains(holds), "{path}: {body}");
    }
    running.shutdown().await.expect("clean stop");
}

#[tokio::test]
async fn the_browser_feed_says_when_the_upstreams_are_down() {
    let running = started().await;
    let url = format!("ws://{}/api/stream", running.addr());
    let (mut socket, _) = tokio_tungstenite::connect_async(&url).await.expect("feed");
    let mut down = false;
    for _ in 0..50 {
        let Ok(Some(Ok(frame))) =
            tokio::time::timeout(Duration::from_secs(10), socket.next()).await
        else {
            break;
        };
        let Ok(text) = frame.into_text() else {
            continue;
        };
        let value: Value = serde_json::from_str(text.as_str()).expect("json frame");
        if value["channel"] == "links"
            && value["data"]["sequencer_feed"] == false
            && value["data"]["last_error"].is_string()
        {
            down = true;
            break;
        }
    }
    assert!(down, "a links frame with the feed down and why");
    running.shutdown().await.expect("clean stop");
}
