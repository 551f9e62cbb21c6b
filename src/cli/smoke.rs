//! `modelvet smoke`: load the weights with the bundled candle runtime and run a forward pass.

use super::{Ctx, Format, Outcome};
use crate::runtime::{SmokeOptions, SmokeOutcome};
use crate::units::{group_digits, human_bytes};
use clap::Args;
use std::fmt::Write as _;
use std::path::Path;

/// Arguments of `smoke`.
#[derive(Debug, Args)]
pub struct SmokeArgs {
    /// A model folder or weights file (smoked, not recorded), or a catalogue MODEL (recorded).
    pub target: String,
    /// Tokens to generate greedily for decoder models.
    #[arg(long, default_value_t = 16)]
    pub max_new_tokens: usize,
}

/// Runs `smoke`: exit 0 passed or honestly unsupported, 1 broken weights, 2 error.
pub fn run(ctx: &Ctx, args: SmokeArgs) -> anyhow::Result<Outcome> {
    let format = ctx.require_format(&[Format::Human, Format::Json])?;
    let opts = SmokeOptions {
        max_new_tokens: args.max_new_tokens,
        ..SmokeOptions::default()
    };
    let path = Path::new(&args.target);
    let (id, outcome) = if path.exists() {
        // A path is smoked where it is, not recorded; ingest decides what it is.
        match crate::ingest::Source::parse(&args.target)? {
            crate::ingest::Source::Folder(p) | crate::ingest::Source::WeightsFile(p) => {
                (None, crate::runtime::smoke(&p, &opts)?)
            }
            _ => anyhow::bail!(
                "`{}` is a MOF model entry, which describes a model but carries no weights to smoke-test",
                args.target
            ),
        }
    } else {
        // Not a path: a catalogue model, whose result is recorded with it.
        let catalogue = ctx.catalogue()?;
        let rev = match ctx.block_on(catalogue.resolve(&args.target)) {
            Ok(rev) => rev,
            Err(crate::catalogue::CatalogueError::NotFound(_)) => anyhow::bail!(
                "no such file or folder `{}`, and no catalogue model of that name (smoke takes a model folder, a weights file or a catalogue model)",
                args.target
            ),
            Err(e) => return Err(e.into()),
        };
        let vet = ctx.vet(&catalogue, &crate::hashing::NoProgress);
        let outcome = match ctx.block_on(crate::vet::smoke(&vet, &rev, &opts)) {
            Ok(outcome) => outcome,
            Err(e @ crate::vet::VetError::Locate(_)) => {
                return Err(anyhow::Error::new(e)
                    .context(format!("`{}` cannot be smoke-tested here", rev.id())));
            }
            Err(e) => return Err(e.into()),
        };
        (Some(rev.id().to_string()), outcome)
    };
    let label = id.clone().unwrap_or_else(|| args.target.clone());
    match format {
        Format::Json => super::print_json(&serde_json::json!({
            "target": args.target,
            "id": id,
            "smoke": outcome.section,
            "findings": outcome.findings,
        }))?,
        _ => super::print(&human(&label, &outcome))?,
    }
    Ok(Outcome::problems_if(outcome.failed()))
}

/// The result for people.
fn human(target: &str, o: &SmokeOutcome) -> String {
    let s = &o.section;
    let mut out = String::new();
    let arch = s.architecture.as_deref().unwrap_or("unknown");
    let _ = write!(out, "{target}: {} ({arch}", s.status);
    if let Some(p) = s.parameters {
        let _ = write!(out, ", {} parameters", group_digits(p));
    }
    out.push_str(")\n");
    let d = s.details.clone().unwrap_or_default();
    if let Some(dtypes) = d["dtypes"].as_array().filter(|a| !a.is_empty()) {
        let names: Vec<&str> = dtypes.iter().filter_map(|v| v.as_str()).collect();
        let _ = writeln!(out, "  dtypes:      {}", names.join(", "));
    }
    if let (Some(l), Some(f)) = (s.load_ms, s.forward_ms) {
        let _ = writeln!(out, "  load:        {l:.0} ms");
        let _ = writeln!(out, "  forward:     {f:.0} ms");
    }
    if let Some(t) = s.tokens_per_second {
        let _ = writeln!(out, "  generation:  {t:.1} tokens/s");
    }
    if let Some(sim) = d.get("similarity") {
        let _ = writeln!(
            out,
            "  similarity:  paraphrase {}, unrelated {}",
            sim["similar"], sim["unrelated"]
        );
    }
    if let Some(text) = d["output_text"].as_str() {
        let _ = writeln!(out, "  output:      {:?}", text);
    }
    if let Some(p) = s.peak_rss_bytes {
        let _ = writeln!(out, "  peak memory: {}", human_bytes(p));
    }
    if let Some(fp) = &s.fingerprint {
        let _ = writeln!(out, "  fingerprint: {fp}");
    }
    if let Some(notes) = d["notes"].as_array() {
        for n in notes.iter().filter_map(|v| v.as_str()) {
            let _ = writeln!(out, "  note: {n}");
        }
    }
    if !o.findings.is_empty() {
        out.push_str("findings:\n");
        for f in &o.findings {
            let _ = write!(
                out,
                "  {:<8} {}: {}",
                f.severity.as_str(),
                f.code,
                f.message
            );
            if let Some(p) = &f.path {
                let _ = write!(out, " [{p}]");
            }
            out.push('\n');
        }
    }
    out
}
