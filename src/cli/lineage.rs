//! `modelvet lineage`: where else in the catalogue a model's weights are.

use super::{Ctx, Format, Outcome};
use clap::Args;

/// Arguments of `lineage`.
#[derive(Debug, Args)]
pub struct LineageArgs {
    /// NAME (newest revision), NAME@REV (a unique prefix of REV), or a unique prefix of a NAME.
    pub model: String,
}

/// Runs `lineage`: identical files and shared tensors across the catalogue. Exit 1 when the
/// same weights are recorded under another license (`weights-identical-license-differs`).
pub fn run(ctx: &Ctx, args: LineageArgs) -> anyhow::Result<Outcome> {
    let format = ctx.require_format(&[Format::Human, Format::Json])?;
    let catalogue = ctx.catalogue()?;
    let report = ctx.block_on(crate::vet::lineage(&catalogue, &args.model))?;
    match format {
        Format::Json => super::print_json(&report)?,
        _ => {
            let mut out = format!("{} ({})\n", report.id, report.license);
            out.push_str(&super::lineage_lines(&report.lineage));
            for f in &report.findings {
                out.push_str("  ");
                out.push_str(&super::finding_line(f));
            }
            super::print(&out)?;
        }
    }
    Ok(Outcome::problems_if(!report.findings.is_empty()))
}
