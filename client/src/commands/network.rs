//! Where the network is and who signs: the endpoint and key resolution every command
//! shares (documented in `vigil --help`).
//!
//! URLs: flag or env first, then the running devnet's `devnet.json`, then the services'
//! default listen addresses. Keys: the keystore first, then a devnet account of that name,
//! so that right after `vigil devnet` a user can trade as `dev0` with no setup.

use super::{UsageError, classify, data_dir};
use crate::cli::{Cli, DEFAULT_L1_URL, DEFAULT_SEQUENCER_URL};
use crate::devnet::manifest::DevnetManifest;
use crate::keystore::{Keystore, KeystoreError, StoredKey, parse_private_key};
use crate::sequencer::SequencerClient;
use protocol::action::Action;
use protocol::api::sequencer::TxAccepted;
use protocol::signing::{address_of, sign_action};
use service_client::settlement::SettlementClient;
use std::path::PathBuf;

/// The devnet directory inside a data dir (where `vigil devnet` writes `devnet.json`).
pub fn devnet_dir(cli: &Cli) -> Result<PathBuf, UsageError> {
    Ok(data_dir(cli)?.join("devnet"))
}

/// The running devnet's manifest, if there is one. A manifest that exists but cannot be
/// read is a configuration mistake worth stopping for, not something to skip silently.
pub fn manifest(cli: &Cli) -> Result<Option<DevnetManifest>, UsageError> {
    let dir = devnet_dir(cli)?;
    if !DevnetManifest::path_in(&dir).exists() {
        return Ok(None);
    }
    DevnetManifest::load(&dir)
        .map(Some)
        .map_err(|e| UsageError(e.to_string()))
}

/// The two endpoints a command talks to, resolved once.
#[derive(Debug, Clone)]
pub struct Endpoints {
    pub l1_url: String,
    pub sequencer_url: String,
}

impl Endpoints {
    pub fn resolve(cli: &Cli) -> Result<Endpoints, UsageError> {
        let manifest = match (&cli.l1_url, &cli.sequencer_url) {
            (Some(_), Some(_)) => None,
            _ => manifest(cli)?,
        };
        let pick = |given: &Option<String>, from_manifest: Option<&String>, default: &str| {
            given
                .clone()
                .or_else(|| from_manifest.cloned())
                .unwrap_or_else(|| default.to_string())
        };
        Ok(Endpoints {
            l1_url: pick(
                &cli.l1_url,
                manifest.as_ref().map(|m| &m.l1_url),
                DEFAULT_L1_URL,
            ),
            sequencer_url: pick(
                &cli.sequencer_url,
                manifest.as_ref().map(|m| &m.sequencer_url),
                DEFAULT_SEQUENCER_URL,
            ),
        })
    }

    pub fn l1(&self) -> SettlementClient {
        SettlementClient::new(&self.l1_url)
    }

    pub fn sequencer(&self) -> SequencerClient {
        SequencerClient::new(&self.sequencer_url)
    }

    /// Signs `action` with `key` under the settlement layer's EIP-712 domain and submits
    /// it to the sequencer: every trading command's last step.
    pub async fn sign_and_submit(
        &self,
        key: &StoredKey,
        action: Action,
    ) -> anyhow::Result<TxAccepted> {
        let domain = super::market::action_domain(&self.l1()).await?;
        let signed = sign_action(&key.signing_key, action, &domain);
        Ok(self.sequencer().submit(&signed).await?)
    }
}

/// The signing key `name`: the keystore's, else the devnet account of that name.
pub fn signer(cli: &Cli, name: &str) -> anyhow::Result<StoredKey> {
    let store = Keystore::new(&data_dir(cli)?);
    match store.load(name) {
        Ok(key) => Ok(key),
        Err(KeystoreError::NotFound { name, dir }) => {
            let manifest = manifest(cli)?;
            let found = manifest.as_ref().and_then(|m| {
                m.accounts
                    .iter()
                    .find(|a| a.name.eq_ignore_ascii_case(&name))
            });
            let Some(account) = found.cloned() else {
                let why = no_key_words(cli, &name, &dir, manifest.as_ref());
                return Err(UsageError(why).into());
            };
            let signing_key = parse_private_key(&account.private_key).map_err(|e| {
                UsageError(format!(
                    "devnet account {name:?} has a bad private key: {e}"
                ))
            })?;
            // The address is derived, never trusted from the file.
            Ok(StoredKey {
                name: account.name,
                address: address_of(&signing_key),
                signing_key,
            })
        }
        Err(e) => Err(classify(e)),
    }
}

/// Why there is no key `name`, and exactly what to run: a devnet account's name
/// (`dev0`) with no devnet running means starting one, never creating a key that would
/// shadow the dev account once it runs; any other name means creating it (or, while a
/// devnet runs, signing as one of its accounts).
fn no_key_words(
    cli: &Cli,
    name: &str,
    dir: &std::path::Path,
    manifest: Option<&DevnetManifest>,
) -> String {
    let looks_dev = name
        .strip_prefix("dev")
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
    let create = match name {
        crate::keystore::DEFAULT_KEY_NAME => "vigil keys new".to_string(),
        _ => format!("vigil keys new --name {name}"),
    };
    let data_dir_words = match &cli.data_dir {
        Some(d) => format!(" --data-dir {}", d.display()),
        None => String::new(),
    };
    match manifest {
        None if looks_dev => format!(
            "no key named {name:?}: {name} is a devnet account, known only through a devnet's devnet.json and none was found in {}; start one with `vigil devnet{data_dir_words}` (in another terminal), then run this again",
            devnet_dir(cli).map_or_else(|_| "the data dir".into(), |d| d.display().to_string())
        ),
        None => format!(
            "no key named {name:?} in {} (and no devnet running): create it with `{create}`",
            dir.display()
        ),
        Some(m) => {
            let names: Vec<&str> = m.accounts.iter().map(|a| a.name.as_str()).collect();
            let first = names.first().copied().unwrap_or("dev0");
            let create = match looks_dev {
                // A key of a devnet account's name would shadow it on a larger devnet.
                true => String::new(),
                false => format!("create it with `{create}`, or "),
            };
            format!(
                "no key named {name:?} in {} and no devnet account of that name (the devnet's are {}): {create}sign as a devnet account with `--name {first}`",
                dir.display(),
                names.join(", ")
            )
        }
    }
}

/// The name under which `address`'s key is known to `vigil` (the keystore first, then the
/// devnet accounts), for hints that must work when copied.
pub fn key_name_for(cli: &Cli, address: &protocol::primitives::Address) -> Option<String> {
    let store = Keystore::new(&data_dir(cli).ok()?);
    if let Some(key) = store
        .list()
        .ok()?
        .into_iter()
        .find(|k| &k.address == address)
    {
        return Some(key.name);
    }
    manifest(cli).ok()??.accounts.into_iter().find_map(|a| {
        let key = parse_private_key(&a.private_key).ok()?;
        (&address_of(&key) == address).then_some(a.name)
    })
}
