//! `sequencer::run` embedded in a process that hosts other services (the one-process
//! devnet): a sequencer still waiting for its settlement layer stops as soon as its
//! shutdown future resolves, returns `Ok`, and leaves the data dir free for the next run.
//! (Running many sequencers in one process is what this test binary does all along:
//! its tests run in parallel, each with its own `run`.)

use crate::support::*;
use sequencer::Config;
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sequencer_waiting_for_the_settlement_layer_stops_on_shutdown() {
    init_logs();
    // A port nobody listens on: the settlement layer is "not up yet".
    let gone = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let nowhere = format!("http://{}", gone.local_addr().expect("addr"));
    drop(gone);
    let dir = tempfile::tempdir().expect("temp dir");
    let config = Config::new(
        dir.path().to_path_buf(),
        nowhere,
        genesis(),
        sequencer_key(),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let (ready_tx, ready) = std::sync::mpsc::channel();
    let task = tokio::spawn(sequencer::run_with_ready(
        config,
        listener,
        async move {
            let _ = stopped.await;
        },
        move |addr| {
            let _ = ready_tx.send(addr);
        },
    ));
    // It has taken the data dir once LOCK exists; then it tries the settlement layer.
    wait_for(
        "a first connection attempt",
        Duration::from_secs(10),
        || async { dir.path().join(sequencer::LOCK_FILE).exists().then_some(()) },
    )
    .await;
    let asked = Instant::now();
    stop.send(()).expect("still running");
    let result = tokio::time::timeout(Duration::from_secs(10), task)
        .await
        .expect("stops well before its 30 s of connection attempts")
        .expect("joined");
    assert!(result.is_ok(), "{result:?}");
    assert!(asked.elapsed() < Duration::from_secs(10));
    assert!(ready.try_recv().is_err(), "it never announced itself");
    assert!(!dir.path().join(sequencer::ADDR_FILE).exists());
    // The lock went with it.
    let reopened = std::fs::File::open(dir.path().join(sequencer::LOCK_FILE)).expect("LOCK");
    reopened.try_lock().expect("the data dir is free again");
}
