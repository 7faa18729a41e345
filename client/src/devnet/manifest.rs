//! `devnet.json`: what a running devnet tells its users and scripts — the endpoints, the
//! chain's EIP-712 domain facts, the markets, and the funded dev accounts with their keys.
//!
//! `vigil devnet` writes it into its directory once every service answers; the other
//! commands read it (from `<data-dir>/devnet/devnet.json`) when no URL is given by flag or
//! env, so "start the devnet in one terminal, trade in another" needs no configuration.

use protocol::api::genesis::GenesisView;
use protocol::genesis::MarketParams;
use protocol::primitives::Address;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The file's name inside a devnet directory.
pub const MANIFEST_FILE: &str = "devnet.json";

/// One funded dev account. The private key is here on purpose: these are throwaway devnet
/// keys, and external wallets and scripts need them to sign.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DevAccount {
    /// Its keystore-style name (`dev0`, `dev1`, …).
    pub name: String,
    pub address: Address,
    /// 32 bytes, `0x` hex.
    pub private_key: String,
}

/// The contents of `devnet.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DevnetManifest {
    pub l1_url: String,
    pub sequencer_url: String,
    pub verifier_urls: Vec<String>,
    pub chain_id: u64,
    /// The EIP-712 `verifyingContract` that actions are signed for.
    pub verifying_contract: Address,
    pub markets: Vec<MarketParams>,
    pub accounts: Vec<DevAccount>,
    /// Every genesis parameter with its canonical bytes, hash, anchor and initial root, as
    /// `GET /v1/genesis` serves them (absent in manifests written before it existed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub genesis: Option<GenesisView>,
    /// The web explorer (absent in manifests written before it existed, or when the
    /// devnet runs without one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub explorer_url: Option<String>,
}

/// Why `devnet.json` could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("cannot {action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not a devnet manifest: {source}")]
    Malformed {
        path: PathBuf,
        source: serde_json::Error,
    },
}

impl DevnetManifest {
    /// The manifest path inside devnet directory `dir`.
    pub fn path_in(dir: &Path) -> PathBuf {
        dir.join(MANIFEST_FILE)
    }

    /// Reads `dir/devnet.json`.
    pub fn load(dir: &Path) -> Result<DevnetManifest, ManifestError> {
        let path = DevnetManifest::path_in(dir);
        let bytes = std::fs::read(&path).map_err(|source| ManifestError::Io {
            action: "read",
            path: path.clone(),
            source,
        })?;
        serde_json::from_slice(&bytes).map_err(|source| ManifestError::Malformed { path, source })
    }

    /// Writes `dir/devnet.json` atomically (temp file, fsync, rename), so a reader never
    /// sees half a manifest.
    pub fn store(&self, dir: &Path) -> Result<(), ManifestError> {
        use std::io::Write as _;
        let path = DevnetManifest::path_in(dir);
        let tmp = dir.join(format!("{MANIFEST_FILE}.tmp"));
        let io = |action: &'static str, path: &Path| {
            let path = path.to_path_buf();
            move |source| ManifestError::Io {
                action,
                path,
                source,
            }
        };
        let text =
            serde_json::to_string_pretty(self).expect("a manifest always serializes to JSON");
        let mut file = std::fs::File::create(&tmp).map_err(io("create", &tmp))?;
        file.write_all(text.as_bytes())
            .and_then(|()| file.sync_all())
            .map_err(io("write", &tmp))?;
        std::fs::rename(&tmp, &path).map_err(io("rename into", &path))
    }

    /// The market with this symbol (`BTC-PERP`), case-insensitively.
    pub fn market(&self, symbol: &str) -> Option<&MarketParams> {
        self.markets
            .iter()
            .find(|m| m.symbol.eq_ignore_ascii_case(symbol))
    }
}
