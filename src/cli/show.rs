//! `modelvet show`.

use super::{Ctx, Outcome};
use clap::Args;

/// Arguments of `show`.
#[derive(Debug, Args)]
pub struct ShowArgs {}

/// Runs `show`.
pub fn run(_ctx: &Ctx, _args: ShowArgs) -> anyhow::Result<Outcome> {
    anyhow::bail!("`show` is not implemented yet")
}
