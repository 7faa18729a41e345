//! `cargo bench -p protocol` (being built).
fn main() {}
