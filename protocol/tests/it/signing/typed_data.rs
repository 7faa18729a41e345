//! A deliberately naive, generic EIP-712 encoder used as the reference in tests: it parses
//! type strings, finds nested struct dependencies, builds `encodeData` as one byte vector
//! from JSON values and hashes it in one go. It shares nothing with `protocol::signing`
//! except keccak256, so agreement between the two means something.
//!
//! Supported member types: `string`, `address`, `bool`, `uintN`, named structs and arrays
//! of any of these (`T[]`).

use protocol::keccak256;
use serde_json::Value;
use std::collections::BTreeMap;

/// Struct name → its members as (type, name), in declaration order.
#[derive(Debug, Default)]
pub struct Types(BTreeMap<String, Vec<(String, String)>>);

impl Types {
    /// Adds every struct of an `encodeType` string, `Name(type name,…)` declarations one
    /// after the other (a primary type followed by the types it references).
    pub fn with(mut self, declarations: &str) -> Self {
        let mut rest = declarations;
        while let Some(end) = rest.find(')') {
            self = self.with_one(&rest[..=end]);
            rest = &rest[end + 1..];
        }
        assert!(rest.is_empty(), "trailing {rest:?} after the declarations");
        self
    }

    /// Adds one struct from its own `Name(type name,…)` declaration.
    fn with_one(mut self, declaration: &str) -> Self {
        let (name, rest) = declaration.split_once('(').expect("declaration has '('");
        let body = rest.strip_suffix(')').expect("declaration ends with ')'");
        let members = body
            .split(',')
            .map(|m| {
                let (ty, field) = m.split_once(' ').expect("member is 'type name'");
                (ty.to_string(), field.to_string())
            })
            .collect();
        self.0.insert(name.to_string(), members);
        self
    }

    /// The members of struct `name` as (type, name), or `None` when `name` is not a struct.
    pub fn members(&self, name: &str) -> Option<&[(String, String)]> {
        self.0.get(name).map(Vec::as_slice)
    }

    /// EIP-712 `encodeType`: the primary type, then its dependencies sorted by name.
    pub fn encode_type(&self, primary: &str) -> String {
        let mut deps = std::collections::BTreeSet::new();
        self.collect_deps(primary, &mut deps);
        deps.remove(primary);
        std::iter::once(primary)
            .chain(deps.iter().map(String::as_str))
            .map(|name| {
                let members: Vec<String> = self.0[name]
                    .iter()
                    .map(|(ty, field)| format!("{ty} {field}"))
                    .collect();
                format!("{name}({})", members.join(","))
            })
            .collect()
    }

    fn collect_deps(&self, name: &str, found: &mut std::collections::BTreeSet<String>) {
        if !self.0.contains_key(name) || !found.insert(name.to_string()) {
            return;
        }
        for (ty, _) in &self.0[name] {
            self.collect_deps(ty.trim_end_matches("[]"), found);
        }
    }

    pub fn type_hash(&self, primary: &str) -> [u8; 32] {
        keccak256(self.encode_type(primary).as_bytes()).0
    }

    /// EIP-712 `hashStruct(value)` for a JSON object of type `primary`.
    pub fn hash_struct(&self, primary: &str, value: &Value) -> [u8; 32] {
        let mut encoded = self.type_hash(primary).to_vec();
        for (ty, field) in &self.0[primary] {
            let member = value
                .get(field)
                .unwrap_or_else(|| panic!("{primary}.{field} is missing"));
            encoded.extend_from_slice(&self.encode_value(ty, member));
        }
        keccak256(&encoded).0
    }

    fn encode_value(&self, ty: &str, value: &Value) -> [u8; 32] {
        if let Some(element) = ty.strip_suffix("[]") {
            let items = value.as_array().expect("an array member is a JSON array");
            let words: Vec<u8> = items
                .iter()
                .flat_map(|v| self.encode_value(element, v))
                .collect();
            return keccak256(&words).0;
        }
        if self.0.contains_key(ty) {
            return self.hash_struct(ty, value);
        }
        let mut word = [0u8; 32];
        match ty {
            "string" => word = keccak256(value.as_str().expect("string member").as_bytes()).0,
            "address" => {
                let hex = value.as_str().expect("address member is a string");
                let bytes = hex::decode(hex.trim_start_matches("0x")).expect("address is hex");
                assert_eq!(bytes.len(), 20, "address is 20 bytes");
                word[12..].copy_from_slice(&bytes);
            }
            "bool" => word[31] = u8::from(value.as_bool().expect("bool member")),
            _ => {
                let bits: u32 = ty
                    .strip_prefix("uint")
                    .and_then(|b| b.parse().ok())
                    .expect("unsupported member type");
                let n: u128 = match value {
                    Value::Number(n) => n.as_u64().expect("non-negative integer").into(),
                    Value::String(s) => s.parse().expect("decimal string"),
                    other => panic!("{ty} member is {other}"),
                };
                assert!(bits >= 128 || n >> bits == 0, "{n} does not fit {ty}");
                word[16..].copy_from_slice(&n.to_be_bytes());
            }
        }
        word
    }
}

/// The four-field domain type Vigil uses.
pub fn domain_types() -> Types {
    Types::default().with(protocol::signing::DOMAIN_TYPE)
}

/// The full EIP-712 digest, computed naively.
pub fn digest(types: &Types, domain: &Value, primary: &str, message: &Value) -> [u8; 32] {
    let mut preimage = vec![0x19, 0x01];
    preimage.extend_from_slice(&domain_types().hash_struct("EIP712Domain", domain));
    preimage.extend_from_slice(&types.hash_struct(primary, message));
    keccak256(&preimage).0
}
