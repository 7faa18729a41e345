//! The decoders' smoke test (CI): every fuzz target over its seed corpus and thousands of
//! seeded mutants of it, without a panic; and the seeds are what they claim (valid, and the
//! fixture's proof upheld). The coverage-guided long runs are the libFuzzer binaries.

mod decoders;
