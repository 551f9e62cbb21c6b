//! `modelvet export`.

use super::{Ctx, Outcome};
use clap::Args;

/// Arguments of `export`.
#[derive(Debug, Args)]
pub struct ExportArgs {}

/// Runs `export`.
pub fn run(_ctx: &Ctx, _args: ExportArgs) -> anyhow::Result<Outcome> {
    anyhow::bail!("`export` is not implemented yet")
}
