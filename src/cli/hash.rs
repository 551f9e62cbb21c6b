//! `modelvet hash`.

use super::{Ctx, Outcome};
use clap::Args;

/// Arguments of `hash`.
#[derive(Debug, Args)]
pub struct HashArgs {}

/// Runs `hash`.
pub fn run(_ctx: &Ctx, _args: HashArgs) -> anyhow::Result<Outcome> {
    anyhow::bail!("`hash` is not implemented yet")
}
