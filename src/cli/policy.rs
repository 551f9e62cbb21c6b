//! `modelvet policy`.

use super::{Ctx, Outcome};
use anyhow::Context;
use clap::Args;
use std::io::Write;

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
    /// Check a policy file and print it as understood.
    Check {
        /// The policy file.
        file: std::path::PathBuf,
    },
}

/// Runs `policy`.
pub fn run(ctx: &Ctx, args: PolicyArgs) -> anyhow::Result<Outcome> {
    match args.command {
        PolicyCommand::Init { file } => {
            ctx.require_format(&[super::Format::Human])?;
            let path = file.unwrap_or_else(|| "modelvet-policy.yaml".into());
            // create_new: never overwrite, even when another process creates the file meanwhile.
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
                .with_context(|| {
                    format!(
                        "cannot create `{}` (it is never overwritten)",
                        path.display()
                    )
                })?;
            f.write_all(crate::policy::TEMPLATE.as_bytes())
                .with_context(|| format!("cannot write `{}`", path.display()))?;
            eprintln!("wrote {}", path.display());
        }
        PolicyCommand::Check { file } => {
            let format = ctx.require_format(&[super::Format::Human, super::Format::Json])?;
            let policy = crate::policy::Policy::load(&file)?;
            match format {
                super::Format::Json => super::print_json(&policy)?,
                _ => super::print(&format!(
                    "{}: valid policy (version {})\n",
                    file.display(),
                    policy.version
                ))?,
            }
        }
    }
    Ok(Outcome::Ok)
}
