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

/// Source fragments that mean nondeterminism; `check` lists each offending file and line.
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
];

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
            for (n, line) in text.lines().enumerate() {
                let code = line.split("//").next().unwrap_or("");
                for bad in FORBIDDEN_SOURCE {
                    if code.contains(bad) {
                        offences.push(format!("{}:{}: {bad}", path.display(), n + 1));
                    }
                }
            }
        }
    }
    assert!(files > 5, "walked the source tree ({files} files)");
    assert!(
        offences.is_empty(),
        "nondeterminism in protocol:\n{}",
        offences.join("\n")
    );
}
