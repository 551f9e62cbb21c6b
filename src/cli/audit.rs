//! `modelvet audit`.

use super::{Ctx, Outcome};
use clap::Args;

/// Arguments of `audit`.
#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Sources or catalogue models to audit.
    pub targets: Vec<String>,
    /// The policy file [default: the built-in default policy].
    #[arg(long)]
    pub policy: Option<std::path::PathBuf>,
    /// Audit every model in the catalogue.
    #[arg(long, conflicts_with = "targets")]
    pub all: bool,
}

/// Runs `audit`.
pub fn run(_ctx: &Ctx, _args: AuditArgs) -> anyhow::Result<Outcome> {
    anyhow::bail!("`audit` is not implemented yet")
}
