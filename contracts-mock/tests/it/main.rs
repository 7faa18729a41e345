//! The integration tests of `contracts-mock`: one binary (it links once), one module per
//! area, every test against a real server on 127.0.0.1:0 over HTTP. Blocks are mined by
//! hand with explicit timestamps, so every boundary is exact; no test sleeps to wait.

mod support;

mod accounts;
mod challenge;
mod connections;
mod events;
mod exit;
mod forced;
mod http_errors;
mod lock;
mod openapi;
mod posting;
mod power_loss;
mod restart;
mod window;
mod withdrawals;
