//! `modelvet classify`.

use super::{Ctx, Outcome};
use clap::Args;

/// Arguments of `classify`.
#[derive(Debug, Args)]
pub struct ClassifyArgs {
    /// The model (NAME, NAME@REV or a unique prefix).
    pub model: String,
    /// Use the strict MOF evaluation as the headline class.
    #[arg(long)]
    pub strict: bool,
}

/// Runs `classify`.
pub fn run(_ctx: &Ctx, _args: ClassifyArgs) -> anyhow::Result<Outcome> {
    anyhow::bail!("`classify` is not implemented yet")
}
