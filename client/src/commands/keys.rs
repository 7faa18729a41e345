//! `vigil keys new|import|list|show`: the keystore from the command line. A private key is
//! printed only by `show --show-private-key`, never by default and never by `new`.

use super::{Output, classify};
use crate::cli::KeysCommand;
use crate::keystore::{Keystore, StoredKey};
use serde_json::json;

pub fn run(store: &Keystore, command: &KeysCommand) -> anyhow::Result<Output> {
    match command {
        KeysCommand::New(name) => {
            let key = store.generate(&name.name).map_err(classify)?;
            Ok(created(store, &key, "created"))
        }
        KeysCommand::Import { name, private_key } => {
            let key = store.import(&name.name, private_key).map_err(classify)?;
            Ok(created(store, &key, "imported"))
        }
        KeysCommand::List => {
            let keys = store.list().map_err(classify)?;
            let text = if keys.is_empty() {
                format!(
                    "no keys in {} (create one with `vigil keys new`)",
                    store.dir().display()
                )
            } else {
                let width = keys.iter().map(|k| k.name.len()).max().unwrap_or(0);
                keys.iter()
                    .map(|k| format!("{:width$}  {}", k.name, k.address))
                    .collect::<Vec<_>>()
                    .join("\n")
            };
            let list: Vec<_> = keys
                .iter()
                .map(|k| json!({"name": k.name, "address": k.address}))
                .collect();
            Ok(Output {
                text,
                json: json!({ "keys": list }),
            })
        }
        KeysCommand::Show {
            name,
            show_private_key,
        } => {
            let key = store.load(&name.name).map_err(classify)?;
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
