//! `modelvet outdated`: ask the Hub again about Hub-pinned models.

use super::{Ctx, Format, Outcome};
use clap::Args;

/// Arguments of `outdated`.
#[derive(Debug, Args)]
pub struct OutdatedArgs {
    /// Models to check (NAME, NAME@REV or a unique prefix); every Hub model when none is given.
    pub models: Vec<String>,
}

/// Runs `outdated`: records each observation; exit 1 when any model drifted.
pub fn run(ctx: &Ctx, args: OutdatedArgs) -> anyhow::Result<Outcome> {
    let format = ctx.require_format(&[Format::Human, Format::Json])?;
    let catalogue = ctx.catalogue()?;
    let vet = ctx.vet(&catalogue, &crate::hashing::NoProgress);
    let reports = ctx.block_on(crate::vet::drift::outdated(&vet, &args.models))?;
    let drifted = reports.iter().any(|r| r.drifted());
    match format {
        Format::Json => super::print_json(&serde_json::json!({ "models": reports }))?,
        _ => {
            if reports.is_empty() {
                eprintln!("no model in the catalogue was added from the Hub");
            }
            let mut out = String::new();
            for r in &reports {
                let follows = r.ref_name.as_deref().unwrap_or("pinned commit");
                let head = r.head.as_deref().unwrap_or("-");
                out.push_str(&format!(
                    "{:<7} {}  ({} {follows}: {} -> {head})\n",
                    r.status, r.id, r.repo, r.pinned
                ));
                for f in &r.findings {
                    out.push_str("  ");
                    out.push_str(&super::finding_line(f));
                }
            }
            super::print(&out)?;
        }
    }
    Ok(Outcome::problems_if(drifted))
}
