//! Integration tests: the real `modelvet` binary in temp dirs. One test binary, one module per area.
// Tests say on stderr what they skip and why.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod audit;
mod catalogue;
mod classify;
mod hub;
mod hub_server;
mod license;
mod report;
mod scan;
mod signature;
mod smoke;
mod snapshots;
mod support;
