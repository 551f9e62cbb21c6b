//! `modelvet verify`: re-hash local bytes against the catalogue's digests or a manifest.

use super::progress::HashBars;
use super::{Ctx, Format, Outcome};
use crate::hashing::Progress as _;
use crate::manifest::Manifest;
use crate::verify::{self, Expected, FileCheck, FileStatus};
use anyhow::Context;
use clap::Args;
use std::path::{Path, PathBuf};

/// Arguments of `verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The catalogue model to verify (omit with --manifest).
    #[arg(required_unless_present = "manifest", conflicts_with = "manifest")]
    pub model: Option<String>,
    /// Where the bytes are [default: where the model was added from].
    #[arg(long)]
    pub path: Option<PathBuf>,
    /// A manifest (`modelvet export`) or a `sha256sum`/`SHA256SUMS` file to verify against.
    #[arg(long, requires = "path")]
    pub manifest: Option<PathBuf>,
    /// Files present but not recorded fail the check too.
    #[arg(long)]
    pub strict: bool,
}

#[derive(serde::Serialize)]
struct Report<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    root: String,
    ok: bool,
    files: &'a [FileCheck],
}

/// Runs `verify`.
pub fn run(ctx: &Ctx, args: VerifyArgs) -> anyhow::Result<Outcome> {
    let format = ctx.require_format(&[Format::Human, Format::Json])?;
    let bars = HashBars::new(ctx.progress());
    if let Some(manifest_path) = &args.manifest {
        let text = std::fs::read_to_string(manifest_path)
            .with_context(|| format!("cannot read manifest `{}`", manifest_path.display()))?;
        let manifest = Manifest::parse(&text)
            .with_context(|| format!("invalid manifest `{}`", manifest_path.display()))?;
        let root = args
            .path
            .clone()
            .expect("clap requires --path with --manifest");
        require_dir(&root)?;
        let expected: Vec<Expected> = manifest
            .files
            .iter()
            .map(|f| Expected {
                path: f.path.clone(),
                size: f.size,
                sha256: Some(f.sha256.clone()),
                git_oid: None,
            })
            .collect();
        bars.set_total(expected.iter().filter_map(|e| e.size).sum(), expected.len());
        let mut checks = verify::verify_tree(&root, &expected, true, &bars);
        bars.clear();
        // The manifest does not list itself.
        if let Ok(rel) = manifest_path
            .canonicalize()
            .and_then(|m| Ok((m, root.canonicalize()?)))
            && let Ok(inside) = rel.0.strip_prefix(&rel.1)
        {
            let inside = inside.to_string_lossy().replace('\\', "/");
            checks.retain(|c| !(c.path == inside && c.status == FileStatus::Extra));
        }
        return finish(format, None, &root, &checks, args.strict);
    }

    let spec = args
        .model
        .as_deref()
        .expect("clap requires MODEL without --manifest");
    let catalogue = ctx.catalogue()?;
    let rev = ctx.block_on(catalogue.resolve(spec))?;
    let vet = ctx.vet(&catalogue, &bars);
    let verified = ctx.block_on(crate::vet::verify(
        &vet,
        &rev,
        args.path.as_deref(),
        args.strict,
    ));
    bars.clear();
    let verified = verified?;
    finish(
        format,
        Some(rev.id().to_string()),
        &verified.root,
        &verified.checks,
        args.strict,
    )
}

fn require_dir(root: &Path) -> anyhow::Result<()> {
    let meta =
        std::fs::metadata(root).with_context(|| format!("cannot read `{}`", root.display()))?;
    if !meta.is_dir() {
        anyhow::bail!("`{}` is not a folder", root.display());
    }
    Ok(())
}

fn finish(
    format: Format,
    id: Option<String>,
    root: &Path,
    checks: &[FileCheck],
    strict: bool,
) -> anyhow::Result<Outcome> {
    let failed = checks
        .iter()
        .any(|c| crate::vet::check_fails(&c.status, strict));
    if format == Format::Json {
        super::print_json(&Report {
            id,
            root: root.display().to_string(),
            ok: !failed,
            files: checks,
        })?;
        return Ok(Outcome::problems_if(failed));
    }
    let mut out = String::new();
    let mut counts = std::collections::BTreeMap::<&str, usize>::new();
    for c in checks {
        let (word, detail) = match &c.status {
            FileStatus::Ok => ("ok", String::new()),
            FileStatus::Mismatch { expected, actual } => (
                "MISMATCH",
                format!(" (expected {expected}, found {actual})"),
            ),
            FileStatus::Missing => ("MISSING", String::new()),
            FileStatus::Extra => ("extra", " (not recorded)".to_string()),
            FileStatus::Unreadable { error } => ("UNREADABLE", format!(" ({error})")),
            FileStatus::LfsPointer => (
                "LFS-POINTER",
                " (a Git LFS pointer, not the content)".to_string(),
            ),
        };
        *counts.entry(word).or_default() += 1;
        out.push_str(&format!("{word:<11} {}{detail}\n", c.path));
    }
    let summary: Vec<String> = counts
        .iter()
        .map(|(w, n)| format!("{n} {}", w.to_lowercase()))
        .collect();
    out.push_str(&format!(
        "{}: {}\n",
        if failed { "FAILED" } else { "verified" },
        summary.join(", ")
    ));
    super::print(&out)?;
    Ok(Outcome::problems_if(failed))
}
