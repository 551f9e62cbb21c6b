//! `modelvet classify`: the OSAID 1.0 verdict and the MOF class, with per-component reasons.
//!
//! MODEL is a catalogue model, or — so that a model can be judged before it is added — a path to
//! a model folder, a single weights file, or a Model Openness Tool YAML entry.

use super::{Ctx, Format, Outcome};
use crate::ingest::Source;
use crate::openness::{self, KbFacts, mot};
use crate::record::{ComponentRecord, OpennessSection};
use anyhow::Context;
use clap::Args;
use std::fmt::Write;
use std::path::Path;

/// Arguments of `classify`.
#[derive(Debug, Args)]
pub struct ClassifyArgs {
    /// The model: NAME, NAME@REV or a unique prefix; or a folder, weights file or MOF model YAML.
    pub model: String,
    /// Use the strict MOF evaluation as the headline class, and let the OSAID data check ignore
    /// licenses that data, papers and the card only inherit from the release.
    #[arg(long)]
    pub strict: bool,
}

/// What `classify --format json` prints.
#[derive(serde::Serialize)]
struct Classified<'a> {
    /// `NAME@REV` for a catalogue model, else the path as given.
    id: &'a str,
    strict: bool,
    openness: &'a OpennessSection,
}

/// Runs `classify`.
pub fn run(ctx: &Ctx, args: ClassifyArgs) -> anyhow::Result<Outcome> {
    let format = ctx.require_format(&[Format::Human, Format::Json])?;
    let facts = KbFacts;
    let path = Path::new(&args.model);
    let (id, section) = if path.exists() {
        let (components, weights_license) = from_path(path)?;
        let section = openness::classify(&components, &weights_license, &facts, args.strict);
        (args.model.clone(), section)
    } else {
        from_catalogue(ctx, &args.model, args.strict)?
    };
    match format {
        Format::Json => super::print_json(&Classified {
            id: &id,
            strict: args.strict,
            openness: &section,
        })?,
        _ => super::print(&render(&id, &section, args.strict))?,
    }
    Ok(Outcome::Ok)
}

/// Components and weights license of a source not (yet) in the catalogue: a MOT YAML entry, a
/// folder or a weights file, described by ingest as `add` reads it, without reading the weights.
fn from_path(path: &Path) -> anyhow::Result<(Vec<ComponentRecord>, String)> {
    let shown = path.display();
    let spec = path.to_string_lossy();
    match crate::ingest::Source::parse(&spec)? {
        Source::Mof(_) => {
            let text =
                std::fs::read_to_string(path).with_context(|| format!("cannot read `{shown}`"))?;
            let model = mot::parse(&text).map_err(|e| anyhow::anyhow!("`{shown}` {e}"))?;
            let components = model.components();
            let weights = weights_license_of(&components);
            Ok((components, weights))
        }
        Source::Folder(_) | Source::WeightsFile(_) => {
            let opts = crate::ingest::LocalOptions {
                name: None,
                progress: &crate::hashing::NoProgress,
                read_weights: false,
            };
            let described = crate::ingest::ingest_local(path, &opts)
                .with_context(|| format!("cannot read `{shown}`"))?;
            let sidecar = if path.is_dir() {
                openness::read_sidecar(path)?
            } else {
                None
            };
            let effective = crate::license::resolve(&described.license_claims).effective;
            let release = (effective != crate::license::NOASSERTION).then_some(effective);
            let components = openness::components_from_evidence(
                &described.files,
                described.card.as_ref(),
                sidecar.as_ref(),
                release.as_deref(),
            );
            let weights = release.unwrap_or_else(|| weights_license_of(&components));
            Ok((components, weights))
        }
        Source::Hub { .. } => anyhow::bail!(
            "classify takes a catalogue model or a path; add `{spec}` first (`modelvet add {spec}`)"
        ),
    }
}

/// Classifies a catalogue model (and records the run).
fn from_catalogue(
    ctx: &Ctx,
    spec: &str,
    strict: bool,
) -> anyhow::Result<(String, OpennessSection)> {
    let catalogue = ctx.catalogue()?;
    let rev = ctx.block_on(catalogue.resolve(spec))?;
    let vet = ctx.vet(&catalogue, &crate::hashing::NoProgress);
    let section = ctx.block_on(crate::vet::classify(&vet, &rev, strict))?;
    Ok((rev.id().to_string(), section))
}

fn weights_license_of(components: &[ComponentRecord]) -> String {
    components
        .iter()
        .find(|c| c.id == openness::components::ids::PARAMETERS_FINAL)
        .and_then(|c| c.license.clone())
        .unwrap_or_default()
}

fn pct(p: f64) -> String {
    format!("{p:.0}%")
}

/// The human-readable verdict.
fn render(id: &str, s: &OpennessSection, strict: bool) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{id}");
    let _ = writeln!(
        out,
        "  class:         {} (weights terms: {})",
        s.class, s.weights_terms
    );
    let mof_line = |label: &str, m: &crate::record::MofResult| {
        format!(
            "  {label:<14} {} (Class III {}, Class II {}, Class I {})\n",
            m.class.label(),
            pct(m.progress.class_iii),
            pct(m.progress.class_ii),
            pct(m.progress.class_i)
        )
    };
    if strict {
        out.push_str(&mof_line("MOF (strict):", &s.mof_strict));
        out.push_str(&mof_line("MOF (MOT):", &s.mof));
    } else {
        out.push_str(&mof_line("MOF:", &s.mof));
        out.push_str(&mof_line("MOF (strict):", &s.mof_strict));
    }
    let _ = writeln!(out, "  components:");
    for c in &s.components {
        let license = match (&c.license, c.license_source.as_deref()) {
            (Some(l), Some("explicit")) | (Some(l), None) => l.clone(),
            (Some(l), Some(src)) => format!("{l} (from {src})"),
            (None, _) if c.status == crate::record::ComponentStatus::Included => {
                "no license".to_string()
            }
            (None, _) => String::new(),
        };
        let evidence = c
            .evidence
            .as_deref()
            .map(|e| format!("  [{e}]"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "    {:<13} {:<32} {license}{evidence}",
            c.status, c.name
        );
    }
    if s.reasons.is_empty() {
        let _ = writeln!(out, "  reasons:       none: every requirement is met");
    } else {
        let _ = writeln!(out, "  reasons:");
        for r in &s.reasons {
            let _ = writeln!(out, "    {}: {}", r.code, r.message);
        }
    }
    out
}
