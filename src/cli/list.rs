//! `modelvet list`.

use super::{Ctx, Outcome};
use clap::Args;

/// Arguments of `list`.
#[derive(Debug, Args)]
pub struct ListArgs {}

/// Runs `list`.
pub fn run(_ctx: &Ctx, _args: ListArgs) -> anyhow::Result<Outcome> {
    anyhow::bail!("`list` is not implemented yet")
}
