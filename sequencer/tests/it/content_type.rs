//! Strict content types: a submission not sent as `application/json` is refused with 415
//! and a JSON body, and nothing is sequenced; a browser's cross-site `text/plain` or form
//! post (no CORS preflight) can therefore never relay an action.

use crate::support::l1::L1;
use crate::support::seq::Seq;
use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_not_sent_as_json_is_refused_and_not_sequenced() {
    let mut l1 = L1::start().await;
    let seq = Seq::start(&l1).await;
    let body = serde_json::to_vec(&price(BTC, BTC_PRICE)).expect("json");
    let http = reqwest::Client::new();
    for (path, content_type) in [
        ("/v1/tx", Some("text/plain")),
        ("/v1/tx", Some("application/x-www-form-urlencoded")),
        ("/v1/tx", Some("multipart/form-data; boundary=x")),
        ("/v1/tx", None),
        ("/v1/txs", Some("text/plain")),
    ] {
        let mut request = http.post(format!("{}{path}", seq.url)).body(body.clone());
        if let Some(value) = content_type {
            request = request.header("content-type", value);
        }
        let response = request.send().await.expect("POST");
        assert_eq!(response.status().as_u16(), 415, "{path} {content_type:?}");
        let answer: serde_json::Value = response.json().await.expect("a JSON error body");
        assert_eq!(answer["code"], "unsupported_media_type", "{answer}");
        assert!(
            answer["message"]
                .as_str()
                .is_some_and(|m| m.contains("application/json")),
            "{answer}"
        );
    }
    let status: serde_json::Value = seq.get("/v1/status").await;
    assert_eq!(status["next_seq"], 0, "nothing was sequenced: {status}");
    let (code, _) = seq.post_raw("/v1/tx", body).await;
    assert_eq!(code, 200, "the same body as application/json is accepted");
    seq.stop().await;
    l1.shutdown().await;
}
