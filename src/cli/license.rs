//! `modelvet license`.

use super::{Ctx, Outcome};
use clap::Args;

/// Arguments of `license`.
#[derive(Debug, Args)]
pub struct LicenseArgs {
    /// SPDX expressions, Hub tags, free-text names or LICENSE files.
    #[arg(required = true)]
    pub args: Vec<String>,
}

/// Runs `license`.
pub fn run(_ctx: &Ctx, _args: LicenseArgs) -> anyhow::Result<Outcome> {
    anyhow::bail!("`license` is not implemented yet")
}
