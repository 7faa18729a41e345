//! The single integration-test binary of `protocol` (one binary links once; see matklad's
//! "How to test"). Each module covers one feature through the public API.

mod atomicity;
mod chunks;
mod engine;
mod fraud;
mod options;
mod purity;
mod signing;
mod spec_examples;
mod tables;
mod tree;
mod vectors;
