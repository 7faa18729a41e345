//! The data-dir lock: a second settlement layer on a data dir in use is refused at start
//! with one line naming the dir, and the first keeps serving; once the first has stopped,
//! the dir can be taken again.

use crate::support::{Node, test_config};
use service_shell::data_dir::DataDirError;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_instance_on_a_data_dir_in_use_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let listener = || async {
        tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0")
    };
    let first = contracts_mock::start(test_config(dir.path()), listener().await)
        .await
        .expect("the first instance starts");
    let second = contracts_mock::start(test_config(dir.path()), listener().await).await;
    match second {
        Err(e @ contracts_mock::RunError::DataDir(DataDirError::Locked { .. })) => {
            let message = e.to_string();
            assert!(
                message.contains(&dir.path().display().to_string()),
                "{message}"
            );
            assert!(message.contains("another settlement layer"), "{message}");
            assert!(!message.contains('\n'), "one line: {message}");
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    let node = Node::attach(format!("http://{}", first.addr()), test_config(dir.path()));
    node.status().await; // the first still answers
    first.shutdown().await.expect("clean stop");
    let again = contracts_mock::start(test_config(dir.path()), listener().await)
        .await
        .expect("free once the first stopped");
    again.shutdown().await.expect("clean stop");
}
