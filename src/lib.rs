//! modelvet: vet open-weight AI models before a team adopts them.
//!
//! The library is organised by domain noun; the binary in `main.rs` is a thin shell over [`cli`].
#![cfg_attr(test, allow(clippy::print_stdout, clippy::print_stderr))]

pub mod blobs;
pub mod catalogue;
// The command line is the one layer that prints (the server will be the other).
#[allow(clippy::print_stdout, clippy::print_stderr)]
pub mod cli;
pub mod finding;
#[cfg(test)]
mod finding_docs;
pub mod format;
pub mod hashing;
pub mod hub;
pub mod ids;
pub mod ingest;
#[cfg(test)]
mod layers;
pub mod license;
pub mod lineage;
pub mod manifest;
pub mod openness;
pub mod policy;
pub mod record;
pub mod report;
pub mod runtime;
pub mod scan;
pub mod server;
pub mod signing;
pub mod units;
pub mod verify;
pub mod vet;

/// An error and its causes, `outer: inner: …`, on one line (for findings, logs and JSON errors).
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        out.push_str(": ");
        out.push_str(&c.to_string());
        cause = c.source();
    }
    out
}
