//! `vigil keys` through the real binary: keys are created, listed and shown; the private key
//! appears only with --show-private-key; files are private; mistakes exit 2.

use crate::support::vigil;
use vigil_client::keystore::parse_private_key;

#[test]
fn new_list_show_hides_the_private_key_unless_asked() {
    let home = tempfile::tempdir().expect("temp dir");
    let created = vigil(
        home.path(),
        None,
        &["--json", "keys", "new", "--name", "alice"],
    )
    .json();
    let address = created["account"].as_str().expect("address").to_string();
    assert_eq!(created["name"], "alice");
    vigil(home.path(), None, &["keys", "new"]).ok();

    let listed = vigil(home.path(), None, &["--json", "keys", "list"]).json();
    let names: Vec<&str> = listed["keys"]
        .as_array()
        .expect("keys array")
        .iter()
        .map(|k| k["name"].as_str().expect("name"))
        .collect();
    assert_eq!(names, ["alice", "default"]);
    assert_eq!(listed["keys"][0]["account"], address.as_str());
    let text = vigil(home.path(), None, &["keys", "list"]).ok();
    assert!(text.contains("alice") && text.contains(&address), "{text}");

    let file = std::fs::read_to_string(home.path().join("keys/alice.json")).expect("key file");
    let stored: serde_json::Value = serde_json::from_str(&file).expect("key file is JSON");
    let secret = stored["private_key"]
        .as_str()
        .expect("private key")
        .to_string();
    let secret_digits = secret.trim_start_matches("0x").to_string();

    for json in [false, true] {
        let mut args = vec!["keys", "show", "--name", "alice"];
        if json {
            args.insert(0, "--json");
        }
        let out = vigil(home.path(), None, &args).ok();
        assert!(out.contains(&address), "{out}");
        assert!(
            !out.contains(&secret_digits),
            "private key printed without --show-private-key: {out}"
        );
    }
    let shown = vigil(
        home.path(),
        None,
        &[
            "--json",
            "keys",
            "show",
            "--name",
            "alice",
            "--show-private-key",
        ],
    )
    .json();
    assert_eq!(shown["private_key"], secret.as_str());
    let key = parse_private_key(&secret).expect("the stored key parses");
    assert_eq!(
        protocol::signing::address_of(&key).to_string(),
        address,
        "the stored address is the key's"
    );

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(home.path().join("keys/alice.json"))
            .expect("metadata")
            .permissions()
            .mode();
        assert_eq!(
            mode & 0o777,
            0o600,
            "key files are readable by their owner only"
        );
    }
}

#[test]
fn import_derives_the_known_address() {
    let home = tempfile::tempdir().expect("temp dir");
    // The secret 0x11…11 is the settlement spec's worked-example key.
    let key = format!("0x{}", "11".repeat(32));
    let out = vigil(
        home.path(),
        None,
        &[
            "--json",
            "keys",
            "import",
            "--name",
            "w",
            "--private-key",
            &key,
        ],
    )
    .json();
    assert_eq!(out["account"], "0x19e7e376e7c213b7e7e7e46cc70a5dd086daff2a");
}

#[test]
fn mistakes_are_one_line_errors_with_exit_code_2() {
    let home = tempfile::tempdir().expect("temp dir");
    vigil(home.path(), None, &["keys", "new", "--name", "bob"]).ok();
    let check = |args: &[&str], part: &str| {
        let run = vigil(home.path(), None, args);
        assert_eq!(run.code, 2, "{args:?}: {run:?}");
        assert!(run.stderr.contains(part), "{args:?}: {}", run.stderr);
        assert_eq!(run.stderr.trim_end().lines().count(), 1, "{}", run.stderr);
        assert!(run.stdout.is_empty(), "{}", run.stdout);
    };
    check(&["keys", "new", "--name", "bob"], "already exists");
    check(
        &["keys", "show", "--name", "carol"],
        "no key named \"carol\"",
    );
    check(&["keys", "new", "--name", "../evil"], "invalid key name");
    check(
        &["keys", "import", "--name", "x", "--private-key", "0x1234"],
        "invalid private key",
    );
    let listed = vigil(home.path(), None, &["--json", "keys", "list"]).json();
    assert_eq!(
        listed["keys"].as_array().map(Vec::len),
        Some(1),
        "nothing else stored"
    );
    // clap's own usage errors also exit 2.
    assert_eq!(vigil(home.path(), None, &["keys", "frobnicate"]).code, 2);
}

#[test]
fn a_key_file_whose_address_is_not_its_keys_is_refused() {
    let home = tempfile::tempdir().expect("temp dir");
    vigil(home.path(), None, &["keys", "new", "--name", "eve"]).ok();
    let path = home.path().join("keys/eve.json");
    let mut file: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("read")).expect("json");
    file["address"] = serde_json::json!("0x19e7e376e7c213b7e7e7e46cc70a5dd086daff2a");
    std::fs::write(&path, file.to_string()).expect("write");
    let run = vigil(home.path(), None, &["keys", "show", "--name", "eve"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains("is corrupt") && run.stderr.contains("is not its key's address"),
        "{}",
        run.stderr
    );
}

/// The devnet accounts `--name dev1` signs with are listed and shown beside the keystore's
/// keys (a stored key of the same name shadows one, as it does when signing).
#[test]
fn devnet_accounts_are_listed_and_shown() {
    use protocol::signing::{address_of, signing_key_from_bytes};
    use vigil_client::devnet::manifest::{DevAccount, DevnetManifest};
    let home = tempfile::tempdir().expect("temp dir");
    let secret = [0x66u8; 32];
    let address = address_of(&signing_key_from_bytes(&secret).expect("key"));
    let genesis = protocol::genesis::Genesis::devnet(
        31337,
        protocol::genesis::DEVNET_VERIFYING_CONTRACT,
        protocol::primitives::Address([9; 20]),
    );
    let manifest = DevnetManifest {
        l1_url: "http://127.0.0.1:1".into(),
        sequencer_url: "http://127.0.0.1:1".into(),
        verifier_urls: vec![],
        chain_id: genesis.chain_id,
        verifying_contract: genesis.verifying_contract,
        markets: genesis.markets.clone(),
        genesis: None,
        explorer_url: None,
        accounts: vec![DevAccount {
            name: "dev1".into(),
            address,
            private_key: protocol::primitives::to_hex(&secret),
        }],
    };
    let dir = home.path().join("devnet");
    std::fs::create_dir_all(&dir).expect("devnet dir");
    manifest.store(&dir).expect("devnet.json");

    let text = vigil(home.path(), None, &["keys", "list"]).ok();
    assert!(
        text.contains("dev1") && text.contains("(devnet account)"),
        "{text}"
    );
    assert!(text.contains(&address.to_string()), "{text}");
    let shown = vigil(
        home.path(),
        None,
        &["--json", "keys", "show", "--name", "dev1"],
    )
    .json();
    assert_eq!(shown["account"], address.to_string(), "{shown}");
}
