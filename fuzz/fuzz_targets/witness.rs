//! libFuzzer target: `Decoder::Witness` (see `vigil_fuzz`; README "Reliability" runs it).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| vigil_fuzz::Decoder::Witness.run(data));
