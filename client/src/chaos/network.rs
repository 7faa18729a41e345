//! The network under test: the settlement layer, the sequencer and a verifier, each its
//! real binary in its own process on a loopback port fixed for the run, sharing one
//! genesis file; and the setup every run starts with (the sequencer's L1 funds for its
//! bond, then each trader's faucet money and deposit, credited on L2 before the load).
//!
//! Funding reuses the devnet's (`devnet::funding`), and the keys are the devnet's service
//! keys plus traders derived from a label of their own.

use super::ChaosError;
use super::process::{Role, ServiceProcess, free_port};
use crate::devnet::Devnet;
use crate::devnet::config::{ACCOUNT_FUNDS, DEPOSIT, SEQUENCER_FUNDS};
use crate::devnet::funding::{self, Funded};
use crate::devnet::keys;
use crate::devnet::poll::{Poll, poll_until};
use crate::sequencer::SequencerClient;
use k256::ecdsa::SigningKey;
use protocol::genesis::Genesis;
use protocol::primitives::to_hex;
use protocol::signing::address_of;
use protocol::workload::dev_key;
use service_client::http::Timeouts;
use service_client::settlement::SettlementClient;
use std::path::Path;
use std::time::Duration;

/// How long setup may wait for the deposits to be credited.
const FUNDING_LIMIT: Duration = Duration::from_secs(120);
/// Every call the harness makes is bounded by this.
pub const CALL_LIMIT: Duration = Duration::from_secs(10);

/// The three processes, their clients and the genesis they share.
#[derive(Debug)]
pub struct Network {
    pub genesis: Genesis,
    /// In [`Role::ALL`] order.
    pub processes: Vec<ServiceProcess>,
    pub l1: SettlementClient,
    pub sequencer: SequencerClient,
    pub verifier: crate::verifier::VerifierClient,
}

impl Network {
    pub fn process(&mut self, role: Role) -> &mut ServiceProcess {
        let at = Role::ALL.iter().position(|r| *r == role).expect("a role");
        &mut self.processes[at]
    }

    /// How many messages the L1 queue holds (each must reach the sequencer).
    pub async fn l1_queue_length(&self) -> Result<u64, ChaosError> {
        let status = self.l1.status().await;
        Ok(status
            .map_err(|e| ChaosError::Service(e.to_string()))?
            .queue_length)
    }
}

/// Trader `i`'s key (its own label, so no devnet account is reused).
pub fn trader_key(i: u64) -> SigningKey {
    dev_key("vigil chaos trader", 0, i)
}

/// Writes the genesis, starts the three binaries on fresh ports and funds `traders`.
pub async fn start(dir: &Path, bin_dir: &Path, traders: u64) -> Result<Network, ChaosError> {
    let genesis = Devnet::genesis(contracts_mock::config::defaults::CHAIN_ID);
    let genesis_file = dir.join("genesis.json");
    let text = serde_json::to_vec_pretty(&genesis).expect("a genesis serializes");
    std::fs::write(&genesis_file, text)
        .map_err(|e| ChaosError::Io(format!("writing {}: {e}", genesis_file.display())))?;
    let [l1_port, seq_port, verifier_port] = [free_port()?, free_port()?, free_port()?];
    let l1_url = format!("http://127.0.0.1:{l1_port}");
    let common = |role: Role, port: u16| {
        let data = dir.join(role.binary());
        vec![
            "--data-dir".into(),
            data.to_string_lossy().into_owned(),
            "--listen".into(),
            format!("127.0.0.1:{port}"),
            "--genesis".into(),
            genesis_file.to_string_lossy().into_owned(),
            "--log".into(),
            "warn".into(),
        ]
    };
    let process = |role: Role, port: u16, own: &[&str]| {
        let mut args = common(role, port);
        args.extend(own.iter().map(|a| a.to_string()));
        let log = dir.join(format!("{}.log", role.binary()));
        ServiceProcess::new(role, bin_dir, args, log, port)
    };
    let sequencer_key = to_hex(&keys::sequencer_key().to_bytes());
    let processes = vec![
        // 50 ms blocks and a 20-block window: batches finalize within seconds.
        process(
            Role::Settlement,
            l1_port,
            &["--block-time-ms", "50", "--challenge-window-blocks", "20"],
        ),
        // Small batches and frequent snapshots, so kills land in every phase of both.
        process(
            Role::Sequencer,
            seq_port,
            &[
                "--settlement-url",
                &l1_url,
                "--key",
                &sequencer_key,
                "--batch-interval-ms",
                "100",
                "--batch-max-txs",
                "400",
                "--snapshot-every-batches",
                "4",
                "--keeper-interval-ms",
                "0",
            ],
        ),
        process(
            Role::Verifier,
            verifier_port,
            &["--settlement-url", &l1_url, "--poll-interval-ms", "100"],
        ),
    ];
    let timeouts = Timeouts {
        call: Some(CALL_LIMIT),
        connect: Some(Duration::from_secs(2)),
    };
    let l1 = SettlementClient::with_timeouts(&l1_url, timeouts)
        .map_err(|e| ChaosError::Config(format!("an HTTP client: {e}")))?;
    let mut network = Network {
        sequencer: SequencerClient::new(&processes[1].url()),
        verifier: crate::verifier::VerifierClient::new(&processes[2].url()),
        genesis,
        processes,
        l1,
    };
    network.process(Role::Settlement).start().await?;
    fund(&network, traders).await?;
    network.process(Role::Sequencer).start().await?;
    network.process(Role::Verifier).start().await?;
    wait_credited(&network).await?;
    Ok(network)
}

/// The sequencer's bond money and every trader's faucet money and deposit.
async fn fund(network: &Network, traders: u64) -> Result<(), ChaosError> {
    let l1 = &network.l1;
    let mut funded = Funded::default();
    let sequencer = address_of(&keys::sequencer_key());
    funding::fund_service(l1, sequencer, SEQUENCER_FUNDS, &mut funded)
        .await
        .map_err(|e| ChaosError::Service(format!("funding the sequencer: {e}")))?;
    for i in 0..traders {
        funding::fund_account(l1, &trader_key(i), ACCOUNT_FUNDS, DEPOSIT, &mut funded)
            .await
            .map_err(|e| ChaosError::Service(format!("funding trader {i}: {e}")))?;
    }
    Ok(())
}

/// Bounded: until the sequencer has included every queued deposit.
async fn wait_credited(network: &Network) -> Result<(), ChaosError> {
    let queued = network.l1_queue_length().await?;
    let seq = &network.sequencer;
    poll_until(
        "the sequencer to credit every deposit",
        FUNDING_LIMIT,
        Duration::from_millis(50),
        || async {
            match seq.status().await {
                Ok(s) if s.next_queue_index >= queued => Poll::Ready(()),
                Ok(s) => Poll::Pending(format!("{} of {queued} included", s.next_queue_index)),
                Err(e) => Poll::Pending(e.to_string()),
            }
        },
    )
    .await
    .map_err(|e| ChaosError::Service(e.to_string()))
}
