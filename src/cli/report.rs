//! `modelvet report`: a compliance report for one model, or an inventory of the catalogue.

use super::{Ctx, Format, Outcome};
use crate::report::{self, ReportFormat};
use anyhow::Context;
use clap::Args;
use std::io::Write;
use std::path::Path;

/// Arguments of `report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The model to report on.
    pub model: Option<String>,
    /// Write to this file instead of stdout.
    #[arg(short = 'o', long = "output")]
    pub output: Option<std::path::PathBuf>,
    /// An inventory of the whole catalogue.
    #[arg(long, conflicts_with = "model")]
    pub all: bool,
    /// With `--format intoto`: wrap the statement in a DSSE envelope signed with this private
    /// key (PEM: ECDSA P-256/P-384 or Ed25519).
    #[arg(long, value_name = "PEM", conflicts_with = "all")]
    pub sign_key: Option<std::path::PathBuf>,
}

/// Runs `report`.
pub fn run(ctx: &Ctx, args: ReportArgs) -> anyhow::Result<Outcome> {
    let allowed: &[Format] = if args.all {
        &[Format::Human, Format::Markdown, Format::Html, Format::Json]
    } else {
        &[
            Format::Human,
            Format::Markdown,
            Format::Html,
            Format::Json,
            Format::Cyclonedx,
            Format::Spdx,
            Format::Intoto,
        ]
    };
    let format = match ctx.require_format(allowed)? {
        Format::Html => ReportFormat::Html,
        Format::Json => ReportFormat::Json,
        Format::Cyclonedx => ReportFormat::Cyclonedx,
        Format::Spdx => ReportFormat::Spdx,
        Format::Intoto => ReportFormat::Intoto,
        _ => ReportFormat::Markdown,
    };
    let sign_key = match &args.sign_key {
        Some(_) if format != ReportFormat::Intoto => {
            anyhow::bail!("--sign-key signs in-toto statements only; add `--format intoto`")
        }
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read `{}`", path.display()))?;
            Some(
                crate::signing::keys::SigningKey::from_pem(&text)
                    .map_err(|e| anyhow::anyhow!("`{}`: {}", path.display(), e.0))?,
            )
        }
        None => None,
    };
    let generated_at = generated_at()?;
    let catalogue = ctx.catalogue()?;
    let text = if args.all {
        let mut entries = Vec::new();
        for m in ctx.block_on(catalogue.list())? {
            let rev = ctx.block_on(catalogue.resolve(&m.id.to_string()))?;
            let record = ctx.block_on(crate::vet::record_of(&catalogue, &rev))?;
            let verify = ctx.block_on(catalogue.latest_run(&rev, "verify"))?;
            let audit = ctx.block_on(catalogue.latest_run(&rev, "audit"))?;
            entries.push(report::inventory_entry(
                &record,
                verify.as_ref(),
                audit.as_ref(),
            ));
        }
        report::render_inventory(&report::inventory(entries, &generated_at), format)?
    } else {
        let Some(model) = &args.model else {
            anyhow::bail!("name a MODEL to report on, or give `--all` for the whole catalogue");
        };
        let rev = ctx.block_on(catalogue.resolve(model))?;
        let record = ctx.block_on(crate::vet::record_of(&catalogue, &rev))?;
        let verify = ctx.block_on(catalogue.latest_run(&rev, "verify"))?;
        let audit = ctx.block_on(catalogue.latest_run(&rev, "audit"))?;
        let doc = report::build_document(record, verify.as_ref(), audit.as_ref(), &generated_at);
        let text = report::render(&doc, format)?;
        match &sign_key {
            Some(key) => {
                let envelope = report::intoto::dsse_envelope(&text, key);
                format!("{}\n", serde_json::to_string_pretty(&envelope)?)
            }
            None => text,
        }
    };
    match &args.output {
        Some(path) => {
            write_atomic(path, text.as_bytes())?;
            eprintln!("wrote {} report to {}", format.name(), path.display());
        }
        None => super::print(&text)?,
    }
    Ok(Outcome::Ok)
}

/// The report time: `SOURCE_DATE_EPOCH` (seconds since 1970, the reproducible-builds convention)
/// when set, so the same record gives the same bytes; else now.
fn generated_at() -> anyhow::Result<String> {
    match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(v) if !v.trim().is_empty() => {
            let secs: i64 = v.trim().parse().with_context(|| {
                format!("`SOURCE_DATE_EPOCH` is not a number of seconds: `{v}`")
            })?;
            let t = chrono::DateTime::from_timestamp(secs, 0)
                .with_context(|| format!("`SOURCE_DATE_EPOCH` is out of range: `{v}`"))?;
            Ok(report::timestamp(t))
        }
        _ => Ok(report::timestamp(chrono::Utc::now())),
    }
}

/// Writes `bytes` to a temporary file beside `path`, then renames it over `path`: a reader never
/// sees half a report, and a failed write leaves any previous file untouched.
fn write_atomic(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .with_context(|| format!("`{}` is not a file name", path.display()))?;
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(name);
    tmp_name.push(format!(".tmp-{}", std::process::id()));
    let tmp = dir.join(tmp_name);
    let result = (|| -> std::io::Result<()> {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(e).with_context(|| format!("cannot write `{}`", path.display()));
    }
    Ok(())
}
