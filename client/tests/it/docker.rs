//! The docker files against the code they run, without a YAML parser or a Docker engine:
//! every binary the compose file starts is built by the Dockerfile and declared by a crate,
//! every settlement-layer variable it sets is one `vigil-contracts-mock` reads, and its
//! healthcheck is a valid `vigil` command line.

use vigil_client::cli::Cli;

fn read(relative: &str) -> String {
    let path = format!("{}/../{relative}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {path}: {e}"))
}

/// The JSON-style string lists of `key: [...]` lines (`command`, `test`).
fn lists(compose: &str, key: &str) -> Vec<Vec<String>> {
    compose
        .lines()
        .filter_map(|line| line.trim().strip_prefix(&format!("{key}: [")))
        .map(|rest| {
            let list = format!("[{}", rest);
            serde_json::from_str(&list).unwrap_or_else(|e| panic!("{key} list {list}: {e}"))
        })
        .collect()
}

/// The `NAME:` keys under `environment:` blocks that start with `prefix`.
fn env_names(compose: &str, prefix: &str) -> Vec<String> {
    compose
        .lines()
        .filter_map(|line| line.trim().split_once(':').map(|(k, _)| k.to_string()))
        .filter(|k| k.starts_with(prefix))
        .collect()
}

#[test]
fn compose_and_dockerfile_match_the_binaries() {
    let compose = read("docker/compose.yaml");
    let dockerfile = read("docker/Dockerfile");
    assert!(!compose.contains('\t'), "YAML indentation has no tabs");
    assert!(dockerfile.contains("ARG RUST_IMAGE=rust:1.89-bookworm"));
    assert!(dockerfile.contains("ARG RUNTIME_IMAGE=debian:bookworm-slim"));
    assert!(dockerfile.contains("cargo build --release --locked"));

    let bins: Vec<String> = ["client", "contracts-mock", "sequencer", "verifier"]
        .iter()
        .flat_map(|krate| {
            let manifest = read(&format!("{krate}/Cargo.toml"));
            let names: Vec<String> = manifest
                .split("[[bin]]")
                .skip(1)
                .filter_map(|section| {
                    let line = section.lines().find(|l| l.trim().starts_with("name"))?;
                    Some(line.split('"').nth(1)?.to_string())
                })
                .collect();
            names
        })
        .collect();
    let commands = lists(&compose, "command");
    assert_eq!(commands.len(), 5, "l1, sequencer, two verifiers, oracle");
    for command in &commands {
        let binary = &command[0];
        assert!(
            bins.contains(binary),
            "{binary} is not a [[bin]] of the workspace: {bins:?}"
        );
        assert!(
            dockerfile.contains(&format!("target/release/{binary}")),
            "the Dockerfile does not ship {binary}"
        );
    }

    // The main's own flags, and the genesis flags (VIGIL_CHAIN_ID, …) it flattens from
    // service_shell::genesis::GenesisArgs.
    let l1_main = read("contracts-mock/src/main.rs");
    assert!(
        l1_main.contains("genesis: GenesisArgs"),
        "vigil-contracts-mock flattens GenesisArgs"
    );
    let l1_flags = l1_main + &read("service-shell/src/genesis.rs");
    let l1_vars = env_names(&compose, "VIGIL_L1_");
    assert!(l1_vars.len() >= 3, "{l1_vars:?}");
    for var in l1_vars.iter().chain(&["VIGIL_CHAIN_ID".to_string()]) {
        assert!(
            l1_flags.contains(&format!("env = \"{var}\"")),
            "vigil-contracts-mock reads no {var}"
        );
    }

    let checks = lists(&compose, "test");
    assert_eq!(checks.len(), 1);
    let check = &checks[0];
    assert_eq!(&check[..2], ["CMD", "vigil"]);
    Cli::try_parse_args(&check[1..]).expect("the healthcheck is a valid vigil command");
}
