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
            let Some(account) = manifest(cli)?.and_then(|m| {
                m.accounts
                    .into_iter()
                    .find(|a| a.name.eq_ignore_ascii_case(&name))
            }) else {
                return Err(UsageError(format!(
                    "no key named {name:?} in {} and no devnet account of that name (create one with `vigil keys new --name {name}`)",
                    dir.display()
                ))
                .into());
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
