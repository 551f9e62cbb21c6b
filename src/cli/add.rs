//! `modelvet add`: record a model revision in the catalogue.

use super::progress::HashBars;
use super::{Ctx, Format, Outcome};
use crate::finding::Finding;
use anyhow::Context;
use clap::Args;

/// Arguments of `add`.
#[derive(Debug, Args)]
pub struct AddArgs {
    /// A model folder, a single weights file (.safetensors, .gguf), hf:OWNER/NAME[@REV], or a MOF model YAML.
    #[arg(required_unless_present = "hf_cache", conflicts_with = "hf_cache")]
    pub source: Option<String>,
    /// Audit a Hugging Face cache offline and record every cached model [default DIR: $HF_HOME/hub].
    #[arg(long, value_name = "DIR", num_args = 0..=1)]
    pub hf_cache: Option<Option<std::path::PathBuf>>,
    /// The model's name in the catalogue [default: the card's `model_name`, else the folder or file name].
    #[arg(long)]
    pub name: Option<String>,
}

/// What `add --format json` prints.
#[derive(serde::Serialize)]
struct Added<'a> {
    id: crate::ids::ModelId,
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
    let name = args
        .name
        .as_deref()
        .map(crate::ids::ModelName::given)
        .transpose()?;
    if let Some(dir) = &args.hf_cache {
        return add_cache(ctx, format, dir.clone(), args.name.is_some());
    }
    let source = args
        .source
        .as_deref()
        .expect("clap requires SOURCE without --hf-cache");
    let catalogue = ctx.catalogue()?;
    let bars = HashBars::new(ctx.progress());
    let added = ctx.block_on(crate::vet::add(&ctx.vet(&catalogue, &bars), source, name));
    bars.clear();
    let crate::vet::AddOutcome { ingested, inserted } = added?;
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
                    crate::units::human_bytes(bytes),
                    ingested.source.location
                ));
                for f in &ingested.findings {
                    out.push_str(&super::finding_line(f));
                }
            } else {
                out.push_str("unchanged: this content is already recorded; nothing added\n");
            }
            out.push_str(&format!("{id}\n"));
            super::print(&out)?;
        }
    }
    Ok(Outcome::Ok)
}

/// `add --hf-cache`: audits a Hugging Face cache offline, records every cached model snapshot,
/// and reports every problem. Exit 1 when a problem of severity low or above was found.
fn add_cache(
    ctx: &Ctx,
    format: Format,
    dir: Option<std::path::PathBuf>,
    named: bool,
) -> anyhow::Result<Outcome> {
    if named {
        anyhow::bail!("--name names one model; a cache holds many (each is named owner/name)");
    }
    let dir = dir.unwrap_or_else(crate::hub::default_cache_dir);
    let catalogue = ctx.catalogue()?;
    let vet = ctx.vet(&catalogue, &crate::hashing::NoProgress);
    let (audit, inserted) = ctx
        .block_on(crate::vet::add_cache(&vet, &dir))
        .with_context(|| format!("cannot audit the cache `{}`", dir.display()))?;
    let ids: Vec<serde_json::Value> = inserted
        .iter()
        .map(|i| serde_json::json!({ "id": i.rev.id(), "new": i.new }))
        .collect();
    let problems = audit
        .findings
        .iter()
        .any(|f| f.severity >= crate::finding::Severity::Low);
    match format {
        Format::Json => super::print_json(&serde_json::json!({
            "cache": dir.display().to_string(),
            "blobs_checked": audit.blobs_checked,
            "models": ids,
            "findings": audit.findings,
        }))?,
        _ => {
            let mut out = format!(
                "audited {} ({} blobs checked, {} cached models)\n",
                dir.display(),
                audit.blobs_checked,
                inserted.len()
            );
            for f in &audit.findings {
                out.push_str(&super::finding_line(f));
            }
            for id in &ids {
                out.push_str(id["id"].as_str().unwrap_or_default());
                out.push('\n');
            }
            super::print(&out)?;
        }
    }
    Ok(Outcome::problems_if(problems))
}
