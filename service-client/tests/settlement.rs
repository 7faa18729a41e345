//! The shared settlement-layer client against a scripted HTTP server: refusals keep the
//! server's stable code, a never-posted batch is `None`, a signed call is re-signed on a
//! nonce race (and only so often), a pinned domain saves the status read, and a service's
//! call limit cuts off a server that never answers.
//!
//! The server is a few lines over `std::net` (one request per connection) so the tests see
//! exactly which requests the client sent, in order.

use k256::ecdsa::SigningKey;
use protocol::api::settlement::{
    AccountResponse, BondCall, BondResponse, ErrorBody, SignedCall, l1_domain_separator,
};
use protocol::primitives::{Address, H256};
use protocol::signing::address_of;
use protocol::workload::dev_key;
use service_client::{NONCE_RETRIES, ServiceError, SettlementClient, Timeouts, TopUp};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One request as the server saw it.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    path: String,
    body: String,
}

type Handler = dyn Fn(&Seen, usize) -> (u16, String) + Send + Sync;

/// Serves `handler` (given each request and how many came before it) on a loopback port;
/// returns the base URL and the log of requests.
fn serve(handler: Box<Handler>) -> (String, Arc<Mutex<Vec<Seen>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let log = Arc::new(Mutex::new(Vec::new()));
    let seen = log.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let Some(request) = read_request(&mut stream) else {
                continue;
            };
            let count = {
                let mut seen = seen.lock().unwrap();
                seen.push(request.clone());
                seen.len() - 1
            };
            let (status, body) = handler(&request, count);
            let head = format!(
                "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(body.as_bytes());
        }
    });
    (url, log)
}

fn read_request(stream: &mut std::net::TcpStream) -> Option<Seen> {
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let (method, path) = (parts.next()?.to_string(), parts.next()?.to_string());
    let mut length = 0;
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).ok()?;
        if header.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().ok()?;
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some(Seen {
        method,
        path,
        body: String::from_utf8(body).ok()?,
    })
}

fn refusal(code: &str, message: &str) -> String {
    serde_json::to_string(&ErrorBody {
        code: code.into(),
        message: message.into(),
        details: None,
    })
    .unwrap()
}

fn account(address: Address, nonce: u64, balance: u64, bond: u64) -> String {
    serde_json::to_string(&AccountResponse {
        address,
        balance,
        nonce,
        bond,
    })
    .unwrap()
}

fn key() -> SigningKey {
    dev_key("service-client-test", 0, 0)
}

fn domain() -> H256 {
    l1_domain_separator(7, &Address([9; 20]))
}

#[tokio::test]
async fn a_refusal_keeps_the_servers_code_and_message() {
    let (url, _) = serve(Box::new(|_, _| {
        (409, refusal("batch_reverted", "too late"))
    }));
    let err = SettlementClient::new(&url)
        .status()
        .await
        .expect_err("refused");
    assert_eq!(err.code(), Some("batch_reverted"));
    assert_eq!(err.status(), Some(409));
    assert_eq!(
        err.to_string(),
        "settlement layer refused GET /v1/status (409 batch_reverted): too late"
    );
}

#[tokio::test]
async fn a_batch_never_posted_is_none_and_other_refusals_stay_errors() {
    let (url, _) = serve(Box::new(|seen, _| {
        if seen.path.starts_with("/v1/batches/1?") {
            (404, refusal("unknown_batch", "no batch 1"))
        } else {
            (503, refusal("unavailable", "stopping"))
        }
    }));
    let l1 = SettlementClient::new(&url);
    assert!(l1.find_batch(1, false).await.expect("answered").is_none());
    let err = l1.find_batch(2, true).await.expect_err("refused");
    assert_eq!(err.code(), Some("unavailable"));
}

#[tokio::test]
async fn a_signed_call_is_resigned_with_a_fresh_nonce_after_a_nonce_race() {
    let from = address_of(&key());
    // Each account read reports one more nonce; the first post lost the race.
    let (url, log) = serve(Box::new(move |seen, count| match seen.method.as_str() {
        "GET" => (200, account(from, count as u64, 100, 0)),
        _ if count == 1 => (409, refusal("bad_nonce", "nonce 0 is already used")),
        _ => (
            200,
            serde_json::to_string(&BondResponse {
                account: from,
                balance: 90,
                bond: 10,
            })
            .unwrap(),
        ),
    }));
    let l1 = SettlementClient::new(&url).with_domain(domain());
    let bonded = l1
        .call(&key(), BondCall { amount: 10 })
        .await
        .expect("bonded");
    assert_eq!(bonded.bond, 10);
    let log = log.lock().unwrap();
    let paths: Vec<_> = log
        .iter()
        .map(|s| (s.method.as_str(), s.path.as_str()))
        .collect();
    let accounts = format!("/v1/accounts/{from}");
    assert_eq!(
        paths,
        [
            ("GET", accounts.as_str()),
            ("POST", "/v1/bond"),
            ("GET", accounts.as_str()),
            ("POST", "/v1/bond")
        ],
        "no status read: the domain is pinned"
    );
    let second: SignedCall<BondCall> = serde_json::from_str(&log[3].body).expect("a call");
    let expected = SignedCall::sign(&key(), 2, BondCall { amount: 10 }, &domain());
    assert_eq!(
        second, expected,
        "re-signed with the nonce read after the race"
    );
}

#[tokio::test]
async fn nonce_races_are_retried_only_so_often() {
    let from = address_of(&key());
    let (url, log) = serve(Box::new(move |seen, count| match seen.method.as_str() {
        "GET" => (200, account(from, count as u64, 100, 0)),
        _ => (409, refusal("bad_nonce", "taken")),
    }));
    let l1 = SettlementClient::new(&url).with_domain(domain());
    let err = l1
        .call(&key(), BondCall { amount: 10 })
        .await
        .expect_err("always raced");
    assert_eq!(err.code(), Some("bad_nonce"));
    let posts = log
        .lock()
        .unwrap()
        .iter()
        .filter(|s| s.method == "POST")
        .count();
    assert_eq!(posts, NONCE_RETRIES + 1);
}

#[tokio::test]
async fn ensure_bond_tops_up_only_what_is_missing_and_only_if_the_balance_covers_it() {
    let from = address_of(&key());
    let (url, log) = serve(Box::new(move |seen, _| match seen.method.as_str() {
        "GET" => (200, account(from, 0, 5, 20)),
        _ => (500, refusal("internal", "must not be called")),
    }));
    let l1 = SettlementClient::new(&url).with_domain(domain());
    assert_eq!(
        l1.ensure_bond(&key(), 20).await.expect("read"),
        TopUp::Enough
    );
    assert_eq!(
        l1.ensure_bond(&key(), 30).await.expect("read"),
        TopUp::BalanceShort {
            bond: 20,
            balance: 5,
            missing: 10
        }
    );
    assert!(
        log.lock().unwrap().iter().all(|s| s.method == "GET"),
        "nothing was sent"
    );
}

#[tokio::test]
async fn without_a_pinned_domain_the_first_signature_reads_it_from_status() {
    // Any answer that is not a status fails to decode: enough to see what was read.
    let (url, log) = serve(Box::new(|_, _| (200, "{}".into())));
    let err = SettlementClient::new(&url)
        .sign(&key(), BondCall { amount: 1 })
        .await
        .expect_err("not a status");
    assert!(
        matches!(&err, ServiceError::BadResponse { status: 200, what, .. } if what == "GET /v1/status"),
        "{err}"
    );
    assert_eq!(log.lock().unwrap().len(), 1, "nothing signed or sent");
}

#[tokio::test]
async fn a_call_limit_cuts_off_a_server_that_never_answers() {
    // Accepts and never answers.
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    std::thread::spawn(move || {
        let _held: Vec<_> = listener.incoming().take(4).collect();
        std::thread::sleep(Duration::from_secs(30));
    });
    let timeouts = Timeouts {
        call: Some(Duration::from_millis(200)),
        connect: Some(Duration::from_secs(1)),
    };
    let l1 = SettlementClient::with_timeouts(&url, timeouts).expect("client");
    let started = Instant::now();
    let err = l1.status().await.expect_err("timed out");
    assert!(matches!(err, ServiceError::Unreachable { .. }), "{err}");
    assert!(started.elapsed() < Duration::from_secs(5));
    // A long poll gets its wait on top of the limit.
    let started = Instant::now();
    let err = l1
        .events(0, 10, Duration::from_millis(400))
        .await
        .expect_err("timed out");
    assert!(matches!(err, ServiceError::Unreachable { .. }), "{err}");
    assert!(started.elapsed() >= Duration::from_millis(600));
}
