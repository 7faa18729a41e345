//! Writes each fuzz target's seed corpus (valid encodings from the fixture) to
//! `DIR/<target>/seed-<n>`, where the libFuzzer binaries start from.

use std::path::PathBuf;
use vigil_fuzz::Decoder;

fn main() -> std::io::Result<()> {
    let Some(dir) = std::env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!("usage: seed-corpus DIR (for example target/fuzz-corpus)");
        std::process::exit(2);
    };
    for decoder in Decoder::ALL {
        let target = dir.join(decoder.name());
        std::fs::create_dir_all(&target)?;
        for (n, seed) in decoder.seeds().iter().enumerate() {
            std::fs::write(target.join(format!("seed-{n}")), seed)?;
        }
        println!("{}", target.display());
    }
    Ok(())
}
