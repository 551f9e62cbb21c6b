//! `modelvet verify`: re-hash local bytes against the catalogue's digests or a manifest.

use super::progress::HashBars;
use super::{Ctx, Format, Outcome};
use crate::hashing::{self, Expected, FileCheck, FileStatus};
use crate::manifest::Manifest;
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
        let mut checks = hashing::verify_tree(&root, &expected, true, &bars);
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
    let record = ctx.block_on(catalogue.record(&rev))?;
    let (root, checks, _failed) = verify_record(
        ctx,
        &catalogue,
        &rev,
        &record,
        args.path.as_deref(),
        args.strict,
        &bars,
    )?;
    bars.clear();
    finish(format, Some(rev.id()), &root, &checks, args.strict)
}

/// Re-hashes a catalogue revision's files (at `path`, or where they were added from), records a
/// `verify` run with its findings, and returns the root, the per-file checks and whether it failed.
pub(super) fn verify_record(
    ctx: &Ctx,
    catalogue: &crate::catalogue::Catalogue,
    rev: &crate::catalogue::RevisionRef,
    record: &crate::record::ModelRecord,
    path: Option<&Path>,
    strict: bool,
    bars: &HashBars,
) -> anyhow::Result<(PathBuf, Vec<FileCheck>, bool)> {
    let mut expected: Vec<Expected> = record
        .files
        .iter()
        .map(|f| Expected {
            path: f.path.clone(),
            size: Some(f.size),
            sha256: f.sha256.clone(),
            git_oid: f.git_oid.clone(),
        })
        .collect();
    let location = match (path, record.source.kind.as_str()) {
        (Some(p), _) => p.to_path_buf(),
        (None, "local") => PathBuf::from(&record.source.location),
        (None, kind) => anyhow::bail!(
            "`{}` came from a {kind} source; say where its bytes are with --path DIR",
            rev.id()
        ),
    };
    let meta = std::fs::metadata(&location)
        .with_context(|| format!("cannot read `{}`", location.display()))?;
    // A single-file model lives in a folder with other things: check the file only, under the name given.
    let single = !meta.is_dir();
    let root = if single {
        if expected.len() != 1 {
            anyhow::bail!(
                "`{}` has {} files; --path must be a folder",
                rev.id(),
                expected.len()
            );
        }
        let name = location
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        expected[0].path = name;
        location.parent().map(Path::to_path_buf).unwrap_or_default()
    } else {
        location.clone()
    };
    bars.set_total(expected.iter().filter_map(|e| e.size).sum(), expected.len());
    let checks = hashing::verify_tree(&root, &expected, !single, bars);
    let failed = checks.iter().any(|c| fails(&c.status, strict));
    let findings = hashing::findings_of(&checks);
    let result =
        serde_json::json!({ "root": root.display().to_string(), "ok": !failed, "files": &checks });
    let status = if failed { "failed" } else { "passed" };
    ctx.block_on(catalogue.record_run(rev, "verify", status, &result, &findings))?;
    Ok((root, checks, failed))
}

fn require_dir(root: &Path) -> anyhow::Result<()> {
    let meta =
        std::fs::metadata(root).with_context(|| format!("cannot read `{}`", root.display()))?;
    if !meta.is_dir() {
        anyhow::bail!("`{}` is not a folder", root.display());
    }
    Ok(())
}

fn fails(status: &FileStatus, strict: bool) -> bool {
    match status {
        FileStatus::Ok => false,
        FileStatus::Extra => strict,
        _ => true,
    }
}

fn finish(
    format: Format,
    id: Option<String>,
    root: &Path,
    checks: &[FileCheck],
    strict: bool,
) -> anyhow::Result<Outcome> {
    let failed = checks.iter().any(|c| fails(&c.status, strict));
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
