//! `modelvet add`.

use super::{Ctx, Outcome};
use clap::Args;

/// Arguments of `add`.
#[derive(Debug, Args)]
pub struct AddArgs {}

/// Runs `add`.
pub fn run(_ctx: &Ctx, _args: AddArgs) -> anyhow::Result<Outcome> {
    anyhow::bail!("`add` is not implemented yet")
}
