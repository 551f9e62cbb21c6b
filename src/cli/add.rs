//! `modelvet add`: record a model revision in the catalogue.

use super::progress::HashBars;
use super::{Ctx, Format, Outcome};
use crate::finding::Finding;
use crate::ingest::{self, LocalOptions};
use anyhow::Context;
use clap::Args;

/// Arguments of `add`.
#[derive(Debug, Args)]
pub struct AddArgs {
    /// A model folder, a single weights file (.safetensors, .gguf), hf:OWNER/NAME[@REV], or a MOF model YAML.
    pub source: String,
    /// The model's name in the catalogue [default: the card's `model_name`, else the folder or file name].
    #[arg(long)]
    pub name: Option<String>,
}

/// What `add --format json` prints.
#[derive(serde::Serialize)]
struct Added<'a> {
    id: String,
    name: &'a str,
    revision: &'a str,
    new: bool,
    files: usize,
    bytes: u64,
    findings: &'a [Finding],
}

/// Runs `add`.
pub fn run(ctx: &Ctx, args: AddArgs) -> anyhow::Result<Outcome> {
    let format = ctx.require_format(&[Format::Human, Format::Json])?;
    if let Some(name) = &args.name {
        validate_name(name)?;
    }
    let catalogue = ctx.catalogue()?;
    let (ingested, inserted) = add_source(ctx, &catalogue, &args.source, args.name.clone())?;
    let id = inserted.rev.id();
    let bytes = ingested.files.iter().map(|f| f.size).sum();
    match format {
        Format::Json => super::print_json(&Added {
            id: id.clone(),
            name: &ingested.name,
            revision: &ingested.revision,
            new: inserted.new,
            files: ingested.files.len(),
            bytes,
            findings: &ingested.findings,
        })?,
        _ => {
            let mut out = String::new();
            if inserted.new {
                out.push_str(&format!(
                    "recorded {} files ({}) from {}\n",
                    ingested.files.len(),
                    human_bytes(bytes),
                    ingested.source.location
                ));
                for f in &ingested.findings {
                    out.push_str(&super::finding_line(f));
                }
            } else {
                out.push_str("unchanged: this content is already recorded; nothing added\n");
            }
            out.push_str(&id);
            out.push('\n');
            super::print(&out)?;
        }
    }
    Ok(Outcome::Ok)
}

/// Ingests a source and records it; shared by `add` and `audit`.
pub fn add_source(
    ctx: &Ctx,
    catalogue: &crate::catalogue::Catalogue,
    source: &str,
    name: Option<String>,
) -> anyhow::Result<(crate::ingest::Ingested, crate::catalogue::Inserted)> {
    if source.starts_with("hf:") {
        anyhow::bail!("Hub sources (`{source}`) are not supported yet");
    }
    let path = std::path::PathBuf::from(source);
    if ingest::classify_local(&path).ok() == Some(ingest::LocalKind::MofYaml) {
        // A Model Openness Tool entry: a model described, not a folder of bytes.
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read `{}`", path.display()))?;
        let ingested = crate::openness::mot::ingested(&path, &text, name)
            .map_err(|e| anyhow::anyhow!("`{}` {e}", path.display()))?;
        let inserted = ctx.block_on(catalogue.insert(&ingested))?;
        return Ok((ingested, inserted));
    }
    let bars = HashBars::new(ctx.progress());
    let set_total = |bytes, files| bars.set_total(bytes, files);
    let opts = LocalOptions {
        name,
        progress: &bars,
        set_total: &set_total,
    };
    let ingested = ingest::ingest_local(&path, &opts);
    bars.clear();
    let ingested = ingested.with_context(|| format!("cannot add `{}`", path.display()))?;
    let inserted = ctx.block_on(catalogue.insert(&ingested))?;
    Ok((ingested, inserted))
}

/// Rejects names that would make `NAME@REV` ambiguous or unreadable.
pub fn validate_name(name: &str) -> anyhow::Result<()> {
    if name.is_empty()
        || name.contains('@')
        || name.chars().any(|c| c.is_control() || c.is_whitespace())
    {
        anyhow::bail!(
            "invalid model name `{name}`: it must be non-empty, without `@`, spaces or control characters"
        );
    }
    Ok(())
}

/// `1.5 GiB`-style sizes for people.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}
