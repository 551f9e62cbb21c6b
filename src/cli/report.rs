//! `modelvet report`.

use super::{Ctx, Outcome};
use clap::Args;

/// Arguments of `report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The model to report on.
    pub model: Option<String>,
    /// Write to this file instead of stdout.
    #[arg(short = 'o', long = "output")]
    pub output: Option<std::path::PathBuf>,
    /// An inventory of the whole catalogue.
    #[arg(long, conflicts_with = "model")]
    pub all: bool,
}

/// Runs `report`.
pub fn run(_ctx: &Ctx, _args: ReportArgs) -> anyhow::Result<Outcome> {
    anyhow::bail!("`report` is not implemented yet")
}
