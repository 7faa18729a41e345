//! Keeps `protocol` pure (DESIGN §1): its manifest pulls in no async, HTTP, database or
//! logging crate, and its source never names the clock, OS randomness, hash maps or floats.
//! `clippy.toml` bans the same things at lint time; this test catches them without clippy.

use std::path::Path;

/// Crates that would bring I/O, time, randomness or logging into consensus code.
const FORBIDDEN_DEPENDENCIES: &[&str] = &[
    "tokio",
    "async-std",
    "futures",
    "axum",
    "hyper",
    "reqwest",
    "tower",
    "rusqlite",
    "sqlx",
    "rocksdb",
    "sled",
    "rand",
    "getrandom",
    "tracing",
    "log",
    "chrono",
    "time",
    "rayon",
];

/// Token sequences that mean nondeterminism or hidden state; `scan` reports each
/// offending file and line. Matched as whole tokens, so `0x…f64…` or `as_f64_bits` never
/// trip `f64`, and `operand::` never trips `rand::`.
const FORBIDDEN_SOURCE: &[&str] = &[
    "HashMap",
    "HashSet",
    "SystemTime",
    "Instant::now",
    "thread::spawn",
    "f32",
    "f64",
    "rand::",
    "std::fs",
    "std::net",
    "println!",
    "eprintln!",
    "thread_local!",
    "static mut",
];

/// Forbidden patterns a file may use, each with the reason it is still deterministic.
const ALLOWED: &[(&str, &str, &str)] = &[(
    "engine/owner_hash.rs",
    "thread_local!",
    "a per-thread memo of keccak(owner) (a quarter of the STF's time without it); an entry is \
     only ever the hash of its own input, so results never depend on it. A per-action key \
     context passed through the engine would replace it, at the cost of threading it through \
     every key derivation",
)];

/// The tokens of one line of code: identifiers and keywords, numbers (a decimal float
/// literal with an `f32`/`f64` suffix also yields that suffix), `::`, and single
/// punctuation characters. Comments after `//` are dropped.
fn tokens(line: &str) -> Vec<String> {
    let code = line.split("//").next().unwrap_or("");
    let chars: Vec<char> = code.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let start = i;
        if c.is_alphanumeric() || c == '_' {
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            let radix = word.starts_with("0x") || word.starts_with("0b") || word.starts_with("0o");
            if c.is_ascii_digit() && !radix {
                for suffix in ["f32", "f64"] {
                    if word.ends_with(suffix) {
                        out.push(suffix.to_string());
                    }
                }
            }
            out.push(word);
        } else if c == ':' && chars.get(i + 1) == Some(&':') {
            out.push("::".into());
            i += 2;
        } else {
            if !c.is_whitespace() {
                out.push(c.to_string());
            }
            i += 1;
        }
    }
    out
}

/// Whether `pattern`'s tokens occur contiguously in `line`'s.
fn trips(line: &str, pattern: &str) -> bool {
    let (line, pattern) = (tokens(line), tokens(pattern));
    line.windows(pattern.len()).any(|w| w == pattern.as_slice())
}

/// Offences in one file's text: `path:line: pattern`, minus the allow-list.
fn scan(path: &str, text: &str) -> Vec<String> {
    let mut offences = Vec::new();
    for (n, line) in text.lines().enumerate() {
        for bad in FORBIDDEN_SOURCE {
            let allowed = ALLOWED
                .iter()
                .any(|(file, pattern, _)| path.ends_with(file) && pattern == bad);
            if !allowed && trips(line, bad) {
                offences.push(format!("{path}:{}: {bad}", n + 1));
            }
        }
    }
    offences
}

fn manifest_dependency_names(manifest: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut in_deps = false;
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            // Only runtime dependencies matter; dev-dependencies never reach other crates.
            in_deps = line == "[dependencies]";
            continue;
        }
        if in_deps
            && !line.starts_with('#')
            && let Some((name, _)) = line.split_once('=')
        {
            names.push(name.trim().trim_end_matches(".workspace").to_string());
        }
    }
    names
}

#[test]
fn protocol_depends_on_no_io_time_or_randomness_crate() {
    let manifest =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml")).unwrap();
    let deps = manifest_dependency_names(&manifest);
    assert!(
        deps.contains(&"k256".to_string()),
        "parser sanity: {deps:?}"
    );
    let bad: Vec<&String> = deps
        .iter()
        .filter(|d| FORBIDDEN_DEPENDENCIES.contains(&d.as_str()))
        .collect();
    assert!(
        bad.is_empty(),
        "protocol must stay pure, but depends on {bad:?}"
    );
}

#[test]
fn protocol_source_names_no_clock_randomness_hash_map_or_float() {
    let mut offences = Vec::new();
    let mut files = 0;
    let mut stack = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("src")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            files += 1;
            let text = std::fs::read_to_string(&path).unwrap();
            offences.extend(scan(&path.display().to_string(), &text));
        }
    }
    assert!(files > 5, "walked the source tree ({files} files)");
    assert!(
        offences.is_empty(),
        "nondeterminism in protocol:\n{}",
        offences.join("\n")
    );
}

#[test]
fn the_scanner_matches_whole_tokens() {
    // (line, pattern, trips?)
    let table: &[(&str, &str, bool)] = &[
        ("let x: f64 = 1.0;", "f64", true),
        ("let x = 2.5f64;", "f64", true),
        ("let x = 1f32;", "f32", true),
        (
            "const A: &str = \"0x5FbDB2315678afecb367f032d93F642f64180aa3\";",
            "f64",
            false,
        ),
        ("let a = 0x1f64;", "f64", false),
        ("fn as_f64_bits() {}", "f64", false),
        ("let f64x = 3;", "f64", false),
        ("use std::collections::HashMap;", "HashMap", true),
        ("struct MyHashMapLike;", "HashMap", false),
        ("let t = Instant::now();", "Instant::now", true),
        ("let t = Instant :: now();", "Instant::now", true),
        ("let t = instant::nowish();", "Instant::now", false),
        ("let r = rand::random();", "rand::", true),
        ("let r = operand::value();", "rand::", false),
        ("println!(\"x\");", "println!", true),
        ("eprintln!(\"x\");", "println!", false),
        ("thread_local! {", "thread_local!", true),
        ("fn thread_local_cache() {}", "thread_local!", false),
        ("static mut COUNTER: u64 = 0;", "static mut", true),
        ("static MUTEX: u64 = 0;", "static mut", false),
        ("let x = 1; // f64 in a comment", "f64", false),
    ];
    for &(line, pattern, expected) in table {
        assert_eq!(trips(line, pattern), expected, "{pattern:?} in {line:?}");
    }
}

#[test]
fn the_allow_list_covers_only_its_file_and_pattern() {
    let cell = "thread_local! { static C: u8 = 0; }";
    assert!(scan("src/engine/owner_hash.rs", cell).is_empty());
    assert_eq!(scan("src/engine/other.rs", cell).len(), 1);
    assert_eq!(
        scan("src/engine/owner_hash.rs", "static mut X: u8 = 0;").len(),
        1
    );
    for (file, pattern, reason) in ALLOWED {
        assert!(
            FORBIDDEN_SOURCE.contains(pattern),
            "{file}: {pattern} is not forbidden"
        );
        assert!(!reason.is_empty(), "{file}: a reason");
    }
}
