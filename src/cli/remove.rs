//! `modelvet remove`.

use super::{Ctx, Outcome};
use clap::Args;

/// Arguments of `remove`.
#[derive(Debug, Args)]
pub struct RemoveArgs {}

/// Runs `remove`.
pub fn run(_ctx: &Ctx, _args: RemoveArgs) -> anyhow::Result<Outcome> {
    anyhow::bail!("`remove` is not implemented yet")
}
