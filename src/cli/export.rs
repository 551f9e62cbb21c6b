//! `modelvet export`: a model's manifest (or MOF entry) on stdout.

use super::{Ctx, Format, Outcome};
use crate::manifest::Manifest;
use clap::Args;

/// Arguments of `export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The catalogue model to export.
    pub model: String,
}

/// Runs `export`.
pub fn run(ctx: &Ctx, args: ExportArgs) -> anyhow::Result<Outcome> {
    // `--format human` is the default of every command; for export it means the manifest.
    let format =
        ctx.require_format(&[Format::Human, Format::Manifest, Format::Json, Format::Mof])?;
    let catalogue = ctx.catalogue()?;
    let rev = ctx.block_on(catalogue.resolve(&args.model))?;
    if format == Format::Mof {
        // The components as classified (stored for MOF imports, computed from evidence otherwise).
        let record = ctx.block_on(crate::vet::record_of(&catalogue, &rev))?;
        let components = match &record.openness {
            Some(o) if !o.components.is_empty() => o.components.clone(),
            _ => ctx.block_on(catalogue.components(&rev))?,
        };
        let metadata = ctx.block_on(catalogue.metadata(&rev))?;
        let version = metadata
            .as_ref()
            .and_then(|m| m.get("version"))
            .and_then(|v| v.as_str());
        super::print(&crate::openness::mot::to_yaml(
            &record.name,
            version,
            &components,
        ))?;
        return Ok(Outcome::Ok);
    }
    let files = ctx.block_on(catalogue.files(&rev))?;
    let manifest = Manifest::from_files(&files);
    if manifest.files.len() < files.len() {
        tracing::warn!(
            "{} files have no SHA-256 recorded (only a git blob id) and are left out of the manifest",
            files.len() - manifest.files.len()
        );
    }
    match format {
        Format::Json => super::print_json(&manifest)?,
        _ => super::print(&manifest.to_yaml())?,
    }
    Ok(Outcome::Ok)
}
