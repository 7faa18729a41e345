//! Loopback plumbing every suite needs: a listener on 127.0.0.1:0 with its URL (the port
//! is the kernel's choice, never a guess), a JSON `POST` of raw bytes (what a wallet, a
//! bench or a flood sends), and one raw HTTP exchange answered as status and body text, so
//! that each suite's client decodes the body as it needs.

use tokio::net::TcpListener;

/// A listener on 127.0.0.1:0 and its `http://` URL.
pub async fn bind_loopback() -> (TcpListener, String) {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1:0");
    let url = format!("http://{}", listener.local_addr().expect("local addr"));
    (listener, url)
}

/// Sends `request`; its status and body text (panics only if no answer comes).
pub async fn send_for_text(request: reqwest::RequestBuilder) -> (u16, String) {
    let response = request.send().await.expect("an HTTP answer");
    let status = response.status().as_u16();
    (status, response.text().await.expect("body"))
}

/// A `POST` of `body` (JSON bytes, sent as they are) to `url`, ready to send.
pub fn json_post(
    http: &reqwest::Client,
    url: impl reqwest::IntoUrl,
    body: impl Into<reqwest::Body>,
) -> reqwest::RequestBuilder {
    http.post(url)
        .header("content-type", "application/json")
        .body(body)
}
