//! The sequencer's integration tests, over real HTTP on 127.0.0.1 with the settlement layer
//! (`contracts-mock`) run in-process. One binary, split by area.

mod adopt;
mod backlog;
mod bad_input;
mod bootstrap;
mod content_type;
mod crash;
mod embedding;
mod faults;
mod flood;
mod forced;
mod history;
mod intake_ws;
mod keeper;
mod lock;
mod openapi;
mod options;
mod orders;
mod power_loss;
mod protection;
mod refused;
mod revert;
mod stream;
mod support;
mod trading;
mod withdrawals;
