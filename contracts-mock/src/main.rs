//! Entry point of the `contracts-mock` binary. The service is not built yet; it says so and exits non-zero.
fn main() {
    eprintln!("contracts-mock: not built yet (see its open issue)");
    std::process::exit(2);
}
