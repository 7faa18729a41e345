//! Named keys under the data dir: one JSON file per key (`<data-dir>/keys/<name>.json` with
//! its name, address and private key in hex), readable by its owner only (mode 0600 on
//! unix), never overwritten.
//!
//! The files are plain (unencrypted) on purpose: this is a devnet trading tool and scripts
//! must run it unattended. The address is stored for listing without touching the key,
//! and re-derived on every load so a hand-edited file cannot sign as someone else.

use k256::ecdsa::SigningKey;
use protocol::primitives::{Address, parse_hex_fixed, to_hex};
use protocol::signing::{address_of, signing_key_from_bytes};
use serde::{Deserialize, Serialize};
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// The name used when a command is given none.
pub const DEFAULT_KEY_NAME: &str = "default";

/// One stored key, as written on disk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyFile {
    pub name: String,
    pub address: Address,
    /// 32 bytes, `0x` hex.
    pub private_key: String,
}

/// A loaded key: its file contents and the signing key they hold.
#[derive(Clone)]
pub struct StoredKey {
    pub name: String,
    pub address: Address,
    pub signing_key: SigningKey,
}

impl std::fmt::Debug for StoredKey {
    // Never prints the secret, even in debug output.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredKey")
            .field("name", &self.name)
            .field("address", &self.address)
            .finish_non_exhaustive()
    }
}

impl StoredKey {
    /// The private key as `0x` hex (only for `--show-private-key`).
    pub fn private_key_hex(&self) -> String {
        to_hex(&self.signing_key.to_bytes())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum KeystoreError {
    #[error(
        "invalid key name {0:?}: use 1 to 64 letters, digits, '-' or '_' (e.g. alice, trader-1)"
    )]
    InvalidName(String),
    #[error("a key named {name:?} already exists at {path}; pick another name")]
    Exists { name: String, path: PathBuf },
    #[error("no key named {name:?} in {dir} (create one with `vigil keys new --name {name}`)")]
    NotFound { name: String, dir: PathBuf },
    #[error("invalid private key: {0} (expected 32 bytes of hex, e.g. 0x11…11)")]
    InvalidKey(String),
    #[error("key file {path} is corrupt: {reason}")]
    Corrupt { path: PathBuf, reason: String },
    #[error("{what} {path}: {source}")]
    Io {
        what: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
}

/// The keys directory of one data dir.
#[derive(Debug, Clone)]
pub struct Keystore {
    dir: PathBuf,
}

impl Keystore {
    pub fn new(data_dir: &Path) -> Keystore {
        Keystore {
            dir: data_dir.join("keys"),
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn path_of(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}.json"))
    }

    /// Creates a key from fresh OS randomness.
    pub fn generate(&self, name: &str) -> Result<StoredKey, KeystoreError> {
        // A random 32-byte string is a valid secp256k1 scalar except with negligible
        // probability (zero or ≥ the curve order); retry rather than fail in that case.
        for _ in 0..8 {
            let mut secret = [0u8; 32];
            getrandom::fill(&mut secret)
                .map_err(|e| KeystoreError::InvalidKey(format!("no OS randomness: {e}")))?;
            if let Ok(key) = signing_key_from_bytes(&secret) {
                return self.store(name, key);
            }
        }
        Err(KeystoreError::InvalidKey(
            "OS randomness kept producing invalid keys".into(),
        ))
    }

    /// Stores a key given as hex (with or without `0x`).
    pub fn import(&self, name: &str, hex: &str) -> Result<StoredKey, KeystoreError> {
        self.store(name, parse_private_key(hex)?)
    }

    fn store(&self, name: &str, signing_key: SigningKey) -> Result<StoredKey, KeystoreError> {
        check_name(name)?;
        let address = address_of(&signing_key);
        let stored = StoredKey {
            name: name.to_string(),
            address,
            signing_key,
        };
        let file = KeyFile {
            name: name.to_string(),
            address,
            private_key: stored.private_key_hex(),
        };
        let io = |what, path: &Path| {
            let path = path.to_path_buf();
            move |source| KeystoreError::Io { what, path, source }
        };
        std::fs::create_dir_all(&self.dir).map_err(io("creating", &self.dir))?;
        let path = self.path_of(name);
        let mut out = open_new_private(&path).map_err(|source| {
            if source.kind() == std::io::ErrorKind::AlreadyExists {
                KeystoreError::Exists {
                    name: name.to_string(),
                    path: path.clone(),
                }
            } else {
                KeystoreError::Io {
                    what: "creating",
                    path: path.clone(),
                    source,
                }
            }
        })?;
        let json = serde_json::to_string_pretty(&file).expect("a KeyFile always serializes");
        out.write_all(json.as_bytes())
            .and_then(|()| out.write_all(b"\n"))
            .and_then(|()| out.sync_all())
            .map_err(io("writing", &path))?;
        Ok(stored)
    }

    /// Loads the key `name`, checking that its address matches its private key.
    pub fn load(&self, name: &str) -> Result<StoredKey, KeystoreError> {
        check_name(name)?;
        let path = self.path_of(name);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(KeystoreError::NotFound {
                    name: name.to_string(),
                    dir: self.dir.clone(),
                });
            }
            Err(source) => {
                return Err(KeystoreError::Io {
                    what: "reading",
                    path,
                    source,
                });
            }
        };
        let corrupt = |reason: String| KeystoreError::Corrupt {
            path: path.clone(),
            reason,
        };
        let file: KeyFile = serde_json::from_str(&text).map_err(|e| corrupt(e.to_string()))?;
        let signing_key =
            parse_private_key(&file.private_key).map_err(|e| corrupt(e.to_string()))?;
        let derived = address_of(&signing_key);
        if derived != file.address {
            return Err(corrupt(format!(
                "its address {} is not its key's address {derived}",
                file.address
            )));
        }
        Ok(StoredKey {
            name: file.name,
            address: derived,
            signing_key,
        })
    }

    /// Every stored key, by name. A missing keys directory is an empty list.
    pub fn list(&self) -> Result<Vec<StoredKey>, KeystoreError> {
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(source) => {
                return Err(KeystoreError::Io {
                    what: "listing",
                    path: self.dir.clone(),
                    source,
                });
            }
        };
        let mut names = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|source| KeystoreError::Io {
                what: "listing",
                path: self.dir.clone(),
                source,
            })?;
            let file_name = entry.file_name();
            if let Some(name) = file_name.to_str().and_then(|n| n.strip_suffix(".json"))
                && check_name(name).is_ok()
            {
                names.push(name.to_string());
            }
        }
        names.sort();
        names.iter().map(|name| self.load(name)).collect()
    }
}

/// Key names become file names, so only a safe alphabet is allowed.
fn check_name(name: &str) -> Result<(), KeystoreError> {
    let ok = (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(KeystoreError::InvalidName(name.to_string()))
    }
}

/// A private key from hex, with or without `0x`.
pub fn parse_private_key(hex: &str) -> Result<SigningKey, KeystoreError> {
    let hex = hex.trim();
    let prefixed = if hex.starts_with("0x") || hex.starts_with("0X") {
        hex.to_string()
    } else {
        format!("0x{hex}")
    };
    let bytes: [u8; 32] =
        parse_hex_fixed(&prefixed).map_err(|e| KeystoreError::InvalidKey(e.to_string()))?;
    signing_key_from_bytes(&bytes).map_err(|e| KeystoreError::InvalidKey(e.to_string()))
}

/// Creates `path`, failing if it exists, readable and writable by its owner only.
fn open_new_private(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    options.open(path)
}
