//! The data-dir lock: a second verifier on a data dir in use is refused at start with one
//! line naming the dir while the first keeps following; once the first has stopped, the
//! dir can be taken again; and a data dir refuses a settlement layer other than its own.

use crate::support::node::Node;
use crate::support::service::Verifier;
use protocol::workload::Workload;
use service_shell::data_dir::DataDirError;
use verifier::RunError;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_verifier_on_a_data_dir_in_use_is_refused() {
    let workload = Workload::new(3, 2);
    let node = Node::start(&workload.genesis).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let first = Verifier::start(Verifier::config(&node, dir.path(), None)).await;
    first.client.wait_caught_up(&node).await;
    let second = Verifier::start(Verifier::config(&node, dir.path(), None)).await;
    match second.finished().await {
        Err(e @ RunError::DataDir(DataDirError::Locked { .. })) => {
            let message = e.to_string();
            assert!(
                message.contains(&dir.path().display().to_string()),
                "{message}"
            );
            assert!(message.contains("another verifier"), "{message}");
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    first.client.wait_caught_up(&node).await; // the first still follows and answers
    first.shutdown().await;
    let again = Verifier::start(Verifier::config(&node, dir.path(), None)).await;
    again.client.wait_caught_up(&node).await;
    again.shutdown().await;
}

/// A data dir stays with the settlement layer it was built from: pointed at another one
/// with the same genesis (another devnet), the verifier refuses with a message naming both.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_data_dir_refuses_another_settlement_layer_with_the_same_genesis() {
    let workload = Workload::new(3, 2);
    let first = Node::start(&workload.genesis).await;
    let second = Node::start(&workload.genesis).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let verifier = Verifier::start(Verifier::config(&first, dir.path(), None)).await;
    verifier.client.wait_caught_up(&first).await;
    verifier.shutdown().await;

    let wrong = Verifier::start(Verifier::config(&second, dir.path(), None)).await;
    match wrong.finished().await {
        Err(e @ RunError::OtherInstance { .. }) => {
            let message = e.to_string();
            assert!(message.contains(&second.url), "{message}");
            assert!(message.contains("fresh --data-dir"), "{message}");
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    let again = Verifier::start(Verifier::config(&first, dir.path(), None)).await;
    again.client.wait_caught_up(&first).await;
    again.shutdown().await;
}
