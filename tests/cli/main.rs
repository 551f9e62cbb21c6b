//! Integration tests: the real `modelvet` binary in temp dirs. One test binary, one module per area.
// Tests say on stderr what they skip and why.
#![allow(clippy::print_stdout, clippy::print_stderr)]

// First, so that its macros (`both_backends!`) are in scope in every module after it.
#[macro_use]
mod support;
mod audit;
mod browser;
mod catalogue;
mod classify;
mod drift;
mod hub;
mod hub_server;
mod license;
mod lineage;
mod mirror;
mod report;
mod scan;
mod server;
mod signature;
mod smoke;
mod snapshots;
