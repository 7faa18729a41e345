//! One sequencer per data dir: while one runs, a second start on the same dir fails at once
//! with a one-line error naming the dir, both embedded (`run` returns `DataDirError::Locked`) and
//! as the binary (exit code 1). The lock goes with the sequencer: after a clean stop the
//! dir can be used again.

use crate::support::l1::L1;
use crate::support::seq::{Seq, test_config};
use crate::support::*;
use protocol::primitives::to_hex;
use sequencer::RunError;
use service_shell::data_dir::DataDirError;
use std::process::Command;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_sequencer_on_the_same_data_dir_is_refused() {
    let mut l1 = L1::start().await;
    let seq = Seq::start(&l1).await;
    seq.status().await;
    let dir = seq.data_dir().to_path_buf();

    // Embedded: `run` refuses before touching the database.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let second = tokio::time::timeout(
        Duration::from_secs(30),
        sequencer::run(test_config(&l1, &dir), listener, std::future::pending()),
    )
    .await
    .expect("the second run returns at once");
    match second {
        Err(e @ RunError::DataDir(DataDirError::Locked { .. })) => {
            let message = e.to_string();
            assert!(message.contains(&dir.display().to_string()), "{message}");
            assert!(!message.contains('\n'), "one line: {message}");
        }
        other => panic!("expected DataDirError::Locked, got {other:?}"),
    }

    // The binary: exit code 1 and one line on stderr naming the dir.
    let output = tokio::task::spawn_blocking({
        let (dir, url) = (dir.clone(), l1.url.clone());
        move || {
            Command::new(env!("CARGO_BIN_EXE_vigil-sequencer"))
                .args(["--data-dir", &dir.to_string_lossy()])
                .args(["--listen", "127.0.0.1:0", "--settlement-url", &url])
                .args(["--key", &to_hex(&sequencer_key().to_bytes())])
                .args(["--log", "off"])
                .output()
                .expect("run vigil-sequencer")
        }
    })
    .await
    .expect("joined");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "stderr: {stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
    assert!(
        stderr.contains(&dir.display().to_string()) && stderr.contains("in use"),
        "{stderr}"
    );
    assert!(output.stdout.is_empty(), "it never announced itself");

    // The first one kept serving; once stopped, the dir is free again.
    let before = seq.status().await;
    let dir = seq.stop().await;
    let config = test_config(&l1, dir.path());
    let again = Seq::launch(config, dir).await;
    assert_eq!(again.status().await.state_root, before.state_root);
    again.stop().await;
    l1.shutdown().await;
}
