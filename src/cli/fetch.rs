//! `modelvet fetch`.

use super::{Ctx, Outcome};
use clap::Args;

/// Arguments of `fetch`.
#[derive(Debug, Args)]
pub struct FetchArgs {
    /// The model (NAME, NAME@REV or a unique prefix).
    pub model: String,
    /// Only files matching this glob (repeatable).
    #[arg(long)]
    pub include: Vec<String>,
}

/// Runs `fetch`.
pub fn run(_ctx: &Ctx, _args: FetchArgs) -> anyhow::Result<Outcome> {
    anyhow::bail!("`fetch` is not implemented yet")
}
