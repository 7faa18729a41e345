//! `Devnet::start`: the whole network in this process. In order: check the configuration,
//! take the devnet directory's lock (a second devnet on it is refused before it binds a
//! port or touches a file of the running one), bind the listeners,
//! start the settlement layer, fund the actors (first start only, see `funding`), start
//! the sequencer (it bonds itself) and the challenge-mode verifiers (two by default; they
//! bond themselves), wait until every queued deposit is credited on L2, start the oracle feed
//! and the web explorer, and write `devnet.json`. A failure at any point stops what already runs.

use super::config::{DevnetConfig, MAX_VERIFIERS, SEQUENCER_FUNDS, VERIFIER_BOND, VERIFIER_FUNDS};
use super::funding::{self, Funded};
use super::keys;
use super::manifest::{DevAccount, DevnetManifest, ManifestError};
use super::poll::{Poll, TimedOut, poll_until};
use super::services::{Services, Stage};
use crate::sequencer::SequencerClient;
use crate::verifier::VerifierClient;
use protocol::api::genesis::GenesisView;
use protocol::genesis::Genesis;
use protocol::signing::address_of;
use service_client::http::ServiceError;
use service_client::settlement::SettlementClient;
use service_shell::data_dir::{DataDirError, DataDirLock, LOCK_FILE, lock_data_dir};
use std::path::PathBuf;
use std::time::Duration;
use tokio::net::TcpListener;

/// How long startup waits for each service (generous: two loaded cores, first builds of
/// SQLite files).
const STARTUP_LIMIT: Duration = Duration::from_secs(60);
const POLL_EVERY: Duration = Duration::from_millis(50);

/// Why a devnet could not start or did not stop cleanly.
#[derive(Debug, thiserror::Error)]
pub enum DevnetError {
    #[error("invalid devnet configuration: {0}")]
    Config(String),
    #[error(
        "cannot listen on 127.0.0.1:{port} for the {service}: {source} (another devnet running? pick other ports with --base-port)"
    )]
    Bind {
        service: &'static str,
        port: u16,
        source: std::io::Error,
    },
    #[error("cannot create {path}: {source}")]
    Dir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("funding the dev accounts: {0}")]
    Funding(Box<ServiceError>),
    #[error(transparent)]
    TimedOut(#[from] TimedOut),
    #[error("a service stopped during startup: {0}")]
    ServiceExited(String),
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    #[error("services failed: {}", .0.join("; "))]
    Services(Vec<String>),
    /// The directory is held by another running devnet (or could not be locked).
    #[error(transparent)]
    DataDir(#[from] DataDirError),
}

/// The one-process network.
#[derive(Debug)]
pub struct Devnet;

/// A started devnet: its manifest and genesis; stop it with `shutdown`.
#[derive(Debug)]
pub struct RunningDevnet {
    manifest: DevnetManifest,
    genesis: Genesis,
    dir: PathBuf,
    funded: Funded,
    services: Services,
    /// Held until the devnet has stopped: one devnet per directory.
    _lock: DataDirLock,
}

impl Devnet {
    /// The genesis a devnet with `chain_id` runs (the devnet markets, the three devnet
    /// oracle signers).
    pub fn genesis(chain_id: u64) -> Genesis {
        let oracles = protocol::genesis::devnet_oracles();
        Genesis::devnet(
            chain_id,
            contracts_mock::Config::default_rollup_address(),
            oracles[0],
        )
        .with_oracles(oracles)
    }

    /// Starts every service and returns once the dev accounts can trade.
    pub async fn start(config: DevnetConfig) -> Result<RunningDevnet, DevnetError> {
        let ports = checked_ports(&config)?;
        let lock = lock_data_dir(&config.dir, "vigil devnet")?;
        let mut services = Services::default();
        match launch(&config, ports, &lock, &mut services).await {
            Ok((manifest, genesis, funded)) => Ok(RunningDevnet {
                manifest,
                genesis,
                dir: config.dir,
                funded,
                services,
                _lock: lock,
            }),
            Err(e) => {
                let e = match services.failure() {
                    Some(why) => DevnetError::ServiceExited(why),
                    None => e,
                };
                for problem in services.shutdown().await {
                    tracing::warn!(%problem, "while stopping a devnet that failed to start");
                }
                Err(e)
            }
        }
    }
}

impl RunningDevnet {
    pub fn manifest(&self) -> &DevnetManifest {
        &self.manifest
    }

    pub fn genesis(&self) -> &Genesis {
        &self.genesis
    }

    /// Its directory (holds `devnet.json` and one subdirectory per service).
    pub fn dir(&self) -> &std::path::Path {
        &self.dir
    }

    /// What this start funded (nothing when it resumed a funded devnet).
    pub fn funded(&self) -> &Funded {
        &self.funded
    }

    /// Resolves when a service ends on its own (it should not); returns why.
    pub fn failed(&self) -> impl std::future::Future<Output = String> + Send + 'static {
        self.services.failed()
    }

    /// Stops every service in order and joins every task.
    pub async fn shutdown(self) -> Result<(), DevnetError> {
        let errors = self.services.shutdown().await;
        if errors.is_empty() {
            Ok(())
        } else {
            Err(DevnetError::Services(errors))
        }
    }
}

/// Starts the web explorer over the running services; stopped first, with the feed.
async fn start_explorer(
    services: &mut Services,
    listener: TcpListener,
    l1_url: &str,
    seq_url: &str,
    verifier_urls: &[String],
) -> Result<(), DevnetError> {
    let config = explorer::Config::new(l1_url, seq_url, verifier_urls);
    let running = explorer::start(config, listener)
        .await
        .map_err(|e| DevnetError::ServiceExited(format!("explorer: {e}")))?;
    let stop = services.stop_signal(Stage::Feed);
    services.spawn("explorer", Stage::Feed, async move {
        running.serve_until(stop).await.map_err(|e| e.to_string())
    });
    Ok(())
}

/// The verifiers' names, in port order.
const VERIFIER_NAMES: [&str; MAX_VERIFIERS] = ["verifier 1", "verifier 2"];

/// Starts one challenge-mode verifier as a devnet service.
async fn start_verifier(
    services: &mut Services,
    name: &str,
    config: verifier::Config,
    listener: TcpListener,
) -> Result<(), DevnetError> {
    config
        .validate()
        .map_err(|e| DevnetError::Config(e.to_string()))?;
    let running = verifier::start(config, listener)
        .await
        .map_err(|e| DevnetError::ServiceExited(format!("{name}: {e}")))?;
    let stop = services.stop_signal(Stage::Nodes);
    services.spawn(name, Stage::Nodes, async move {
        running.serve_until(stop).await.map_err(|e| e.to_string())
    });
    Ok(())
}

async fn bind(service: &'static str, port: u16) -> Result<(TcpListener, String), DevnetError> {
    let listener = TcpListener::bind(("127.0.0.1", port))
        .await
        .map_err(|source| DevnetError::Bind {
            service,
            port,
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| DevnetError::Bind {
        service,
        port,
        source,
    })?;
    Ok((listener, format!("http://{addr}")))
}

fn subdir(config: &DevnetConfig, name: &str) -> Result<PathBuf, DevnetError> {
    let path = config.dir.join(name);
    std::fs::create_dir_all(&path).map_err(|source| DevnetError::Dir {
        path: path.clone(),
        source,
    })?;
    Ok(path)
}

/// Fails fast if a service already died, so startup never waits out a timeout for nothing.
fn alive(services: &Services) -> Result<(), DevnetError> {
    services
        .failure()
        .map_or(Ok(()), |why| Err(DevnetError::ServiceExited(why)))
}

/// The five ports, once the configuration is known to be possible (checked before the
/// directory is created or locked).
fn checked_ports(config: &DevnetConfig) -> Result<[u16; 5], DevnetError> {
    let ports = config
        .ports
        .resolve()
        .ok_or_else(|| DevnetError::Config(format!("{:?} runs past port 65535", config.ports)))?;
    if config.verifiers > MAX_VERIFIERS {
        return Err(DevnetError::Config(format!(
            "a devnet runs at most {MAX_VERIFIERS} verifiers, not {}; pass --verifiers 0, 1 or 2",
            config.verifiers
        )));
    }
    if config.deposit > config.account_funds {
        return Err(DevnetError::Config(format!(
            "each dev account deposits {} but is funded with only {} (micro-USDC)",
            config.deposit, config.account_funds
        )));
    }
    Ok(ports)
}

async fn launch(
    config: &DevnetConfig,
    ports: [u16; 5],
    lock: &DataDirLock,
    services: &mut Services,
) -> Result<(DevnetManifest, Genesis, Funded), DevnetError> {
    let genesis = Devnet::genesis(config.chain_id);
    let (l1_listener, l1_url) = bind("settlement layer", ports[0]).await?;
    // What a refused second devnet on this directory names as the running one.
    lock.record_serving(&l1_url).map_err(|e| DevnetError::Dir {
        path: config.dir.join(LOCK_FILE),
        source: e.source,
    })?;
    let (seq_listener, seq_url) = bind("sequencer", ports[1]).await?;
    let mut verifier_listeners = Vec::new();
    for (i, port) in ports[2..4].iter().take(config.verifiers).enumerate() {
        verifier_listeners.push(bind(VERIFIER_NAMES[i], *port).await?);
    }
    let explorer_listener = if config.explorer {
        Some(bind("explorer", ports[4]).await?)
    } else {
        None
    };

    // The settlement layer.
    let mut l1_config = contracts_mock::Config::new(subdir(config, "l1")?, genesis.clone());
    l1_config.block_time_ms = config.block_time_ms;
    l1_config.challenge_window_blocks = config.challenge_window_blocks;
    l1_config.force_inclusion_deadline_blocks = config.force_inclusion_deadline_blocks;
    l1_config.freeze_delay_blocks = config.freeze_delay_blocks;
    l1_config.exit_claim_period_blocks = config.exit_claim_period_blocks;
    l1_config
        .validate()
        .map_err(|e| DevnetError::Config(e.to_string()))?;
    let running = contracts_mock::start(l1_config, l1_listener)
        .await
        .map_err(|e| DevnetError::ServiceExited(format!("settlement layer: {e}")))?;
    let stop = services.stop_signal(Stage::Settlement);
    services.spawn("settlement layer", Stage::Settlement, async move {
        running.serve_until(stop).await.map_err(|e| e.to_string())
    });
    let l1 = SettlementClient::new(&l1_url);
    poll_until(
        "the settlement layer to answer",
        STARTUP_LIMIT,
        POLL_EVERY,
        || async {
            match (alive(services), l1.status().await) {
                (Err(e), _) => Poll::Ready(Err(e)),
                (Ok(()), Ok(_)) => Poll::Ready(Ok(())),
                (Ok(()), Err(e)) => Poll::Pending(e.to_string()),
            }
        },
    )
    .await??;

    // Funding: the service accounts, then each dev account's faucet money and deposit.
    let mut funded = Funded::default();
    let seq_key = keys::sequencer_key();
    let verifier_keys: Vec<_> = (0..config.verifiers as u64)
        .map(keys::verifier_key)
        .collect();
    let fund = async {
        funding::fund_service(&l1, address_of(&seq_key), SEQUENCER_FUNDS, &mut funded).await?;
        for key in &verifier_keys {
            funding::fund_service(&l1, address_of(key), VERIFIER_FUNDS, &mut funded).await?;
        }
        for i in 0..config.accounts {
            let key = keys::account_key(i);
            funding::fund_account(&l1, &key, config.account_funds, config.deposit, &mut funded)
                .await?;
        }
        Ok::<_, ServiceError>(())
    };
    fund.await.map_err(|e| DevnetError::Funding(Box::new(e)))?;
    let queued = l1
        .status()
        .await
        .map_err(|e| DevnetError::Funding(Box::new(e)))?
        .queue_length;

    // The sequencer and the verifiers.
    let mut seq_config = sequencer::Config::new(
        subdir(config, "sequencer")?,
        l1_url.clone(),
        genesis.clone(),
        seq_key,
    );
    seq_config.batch_interval = config.batch_interval;
    seq_config.keeper_interval = config.keeper_interval;
    seq_config.inject_fault = config.inject_fault;
    seq_config
        .validate()
        .map_err(|e| DevnetError::Config(e.to_string()))?;
    let running = sequencer::start(seq_config, seq_listener)
        .await
        .map_err(|e| DevnetError::ServiceExited(format!("sequencer: {e}")))?;
    let stop = services.stop_signal(Stage::Nodes);
    services.spawn("sequencer", Stage::Nodes, async move {
        running.serve_until(stop).await;
        Ok(())
    });
    let mut verifier_urls = Vec::new();
    for (i, (key, (listener, url))) in verifier_keys
        .into_iter()
        .zip(verifier_listeners)
        .enumerate()
    {
        let dir = subdir(config, &format!("verifier-{}", i + 1))?;
        let mut v_config =
            verifier::Config::new(dir, l1_url.clone(), genesis.clone()).challenging(key);
        v_config.bond = VERIFIER_BOND;
        v_config.poll_interval = config.verifier_poll_interval;
        start_verifier(services, VERIFIER_NAMES[i], v_config, listener).await?;
        verifier_urls.push(url);
    }

    // Ready when the sequencer has included every queued deposit and the verifiers answer.
    let seq = SequencerClient::new(&seq_url);
    poll_until(
        "the sequencer to credit every queued deposit",
        STARTUP_LIMIT,
        POLL_EVERY,
        || async {
            if let Err(e) = alive(services) {
                return Poll::Ready(Err(e));
            }
            match seq.status().await {
                Ok(s) if s.next_queue_index >= queued => Poll::Ready(Ok(())),
                Ok(s) => Poll::Pending(format!(
                    "{} of {queued} L1 messages included",
                    s.next_queue_index
                )),
                Err(e) => Poll::Pending(e.to_string()),
            }
        },
    )
    .await??;
    for url in &verifier_urls {
        let verifier = VerifierClient::new(url);
        poll_until(
            "the verifiers to answer",
            STARTUP_LIMIT,
            POLL_EVERY,
            || async {
                match (alive(services), verifier.status().await) {
                    (Err(e), _) => Poll::Ready(Err(e)),
                    (Ok(()), Ok(_)) => Poll::Ready(Ok(())),
                    (Ok(()), Err(e)) => Poll::Pending(e.to_string()),
                }
            },
        )
        .await??;
    }

    // The oracle feed.
    if let Some(feed) = config.oracle.clone() {
        let stop = services.stop_signal(Stage::Feed);
        let domain = protocol::batch::domain_separator(&genesis);
        let feed_seq = seq.clone();
        services.spawn("oracle feed", Stage::Feed, async move {
            crate::oracle::run_feed(&feed_seq, &keys::oracle_keys(), domain, &feed, stop)
                .await
                .map(|_| ())
                .map_err(|e| e.to_string())
        });
    }

    let explorer_url = match explorer_listener {
        Some((listener, url)) => {
            start_explorer(services, listener, &l1_url, &seq_url, &verifier_urls).await?;
            Some(url)
        }
        None => None,
    };

    let manifest = DevnetManifest {
        explorer_url,
        l1_url,
        sequencer_url: seq_url,
        verifier_urls,
        chain_id: genesis.chain_id,
        verifying_contract: genesis.verifying_contract,
        markets: genesis.markets.clone(),
        genesis: Some(GenesisView::of(&genesis)),
        accounts: (0..config.accounts)
            .map(|i| {
                let key = keys::account_key(i);
                DevAccount {
                    name: format!("dev{i}"),
                    address: address_of(&key),
                    private_key: keys::secret_hex(&key),
                }
            })
            .collect(),
    };
    manifest.store(&config.dir)?;
    Ok((manifest, genesis, funded))
}
