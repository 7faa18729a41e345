//! The client's integration tests, one binary: the units and market tables, the real
//! `vigil` binary's key commands in a temp data dir, its L1 commands against an in-process
//! settlement layer on 127.0.0.1:0, and its trading, withdrawal, forced-inclusion and bench
//! commands against an in-process settlement layer and sequencer (`rollup`).

mod bench;
mod claim;
mod docker;
mod keys;
mod l1;
mod market;
mod rollup;
mod support;
mod trading;
mod units;
mod watch;
mod withdrawals;
