//! `modelvet policy`.

use super::{Ctx, Outcome};
use clap::Args;

/// Arguments of `policy`.
#[derive(Debug, Args)]
pub struct PolicyArgs {
    #[command(subcommand)]
    pub command: PolicyCommand,
}

/// `policy` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum PolicyCommand {
    /// Write the commented policy template (refuses to overwrite).
    Init {
        /// Where to write it [default: modelvet-policy.yaml].
        file: Option<std::path::PathBuf>,
    },
}

/// Runs `policy`.
pub fn run(_ctx: &Ctx, _args: PolicyArgs) -> anyhow::Result<Outcome> {
    anyhow::bail!("`policy` is not implemented yet")
}
