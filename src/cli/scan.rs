//! `modelvet scan`.

use super::{Ctx, Outcome};
use clap::Args;

/// Arguments of `scan`.
#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Files or folders to scan.
    #[arg(required = true)]
    pub paths: Vec<std::path::PathBuf>,
    /// Exit 1 when a finding is at or above this severity.
    #[arg(long, default_value = "high")]
    pub fail_on: crate::finding::Severity,
}

/// Runs `scan`.
pub fn run(_ctx: &Ctx, _args: ScanArgs) -> anyhow::Result<Outcome> {
    anyhow::bail!("`scan` is not implemented yet")
}
