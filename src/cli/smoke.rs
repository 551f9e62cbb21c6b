//! `modelvet smoke`.

use super::{Ctx, Outcome};
use clap::Args;

/// Arguments of `smoke`.
#[derive(Debug, Args)]
pub struct SmokeArgs {
    /// A catalogue model or a path to a model folder or weights file.
    pub target: String,
}

/// Runs `smoke`.
pub fn run(_ctx: &Ctx, _args: SmokeArgs) -> anyhow::Result<Outcome> {
    anyhow::bail!("`smoke` is not implemented yet")
}
