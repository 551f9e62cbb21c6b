//! `modelvet verify`.

use super::{Ctx, Outcome};
use clap::Args;

/// Arguments of `verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {}

/// Runs `verify`.
pub fn run(_ctx: &Ctx, _args: VerifyArgs) -> anyhow::Result<Outcome> {
    anyhow::bail!("`verify` is not implemented yet")
}
