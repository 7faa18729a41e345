//! `vigil keys new|import|list|show`: the keystore from the command line, and beside it the
//! devnet accounts (`devnet.json`) that `--name dev0` also signs with. A private key is
//! printed only by `show --show-private-key`, never by default and never by `new`.

use super::network::{manifest, signer};
use super::{Output, classify};
use crate::cli::{Cli, KeysCommand};
use crate::keystore::parse_private_key;
use crate::keystore::{Keystore, StoredKey};
use protocol::primitives::Address;
use protocol::signing::address_of;
use serde_json::json;

pub fn run(cli: &Cli, store: &Keystore, command: &KeysCommand) -> anyhow::Result<Output> {
    match command {
        KeysCommand::New(name) => {
            let key = store.generate(&name.name).map_err(classify)?;
            Ok(created(store, &key, "created"))
        }
        KeysCommand::Import { name, private_key } => {
            let key = store.import(&name.name, private_key).map_err(classify)?;
            Ok(created(store, &key, "imported"))
        }
        KeysCommand::List => list(cli, store),
        KeysCommand::Show {
            name,
            show_private_key,
        } => {
            let key = signer(cli, &name.name)?;
            let mut text = format!("name     {}\naddress  {}", key.name, key.address);
            let mut value = json!({"name": key.name, "address": key.address});
            if *show_private_key {
                text.push_str(&format!("\nprivate  {}", key.private_key_hex()));
                value["private_key"] = json!(key.private_key_hex());
            }
            Ok(Output { text, json: value })
        }
    }
}

fn created(store: &Keystore, key: &StoredKey, verb: &str) -> Output {
    let path = store.dir().join(format!("{}.json", key.name));
    Output {
        text: format!(
            "{verb} key {} with address {}\nstored in {} (readable by you only)",
            key.name,
            key.address,
            path.display()
        ),
        json: json!({"name": key.name, "address": key.address, "path": path}),
    }
}

/// The keystore's keys, then the devnet accounts a stored key does not shadow.
fn list(cli: &Cli, store: &Keystore) -> anyhow::Result<Output> {
    let mut rows: Vec<(String, Address, &str)> = store
        .list()
        .map_err(classify)?
        .into_iter()
        .map(|k| (k.name, k.address, "keystore"))
        .collect();
    for account in manifest(cli)?.map(|m| m.accounts).unwrap_or_default() {
        let shadowed = rows
            .iter()
            .any(|(n, ..)| n.eq_ignore_ascii_case(&account.name));
        // The address is derived from the key, never trusted from the file.
        if let (false, Ok(key)) = (shadowed, parse_private_key(&account.private_key)) {
            rows.push((account.name, address_of(&key), "devnet"));
        }
    }
    let text = if rows.is_empty() {
        format!(
            "no keys in {} and no running devnet (create one with `vigil keys new --name alice`)",
            store.dir().display()
        )
    } else {
        let width = rows.iter().map(|(n, ..)| n.len()).max().unwrap_or(0);
        rows.iter()
            .map(|(name, address, source)| {
                let note = if *source == "devnet" {
                    "  (devnet account)"
                } else {
                    ""
                };
                format!("{name:width$}  {address}{note}")
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    let list: Vec<_> = rows
        .iter()
        .map(|(name, address, source)| json!({"name": name, "address": address, "source": source}))
        .collect();
    Ok(Output {
        text,
        json: json!({ "keys": list }),
    })
}
