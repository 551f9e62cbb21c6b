//! Integration tests: the real `modelvet` binary in temp dirs. One test binary, one module per area.

mod audit;
mod catalogue;
mod classify;
mod hub;
mod hub_server;
mod license;
mod report;
mod scan;
mod smoke;
mod snapshots;
mod support;
