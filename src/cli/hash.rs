//! `modelvet hash`: `sha256sum`-compatible digests of files, folders recursively.

use super::progress::HashBars;
use super::{Ctx, Format, Outcome};
use crate::hashing;
use crate::hashing::Progress as _;
use crate::manifest::sha256sum_line;
use anyhow::Context;
use clap::Args;
use std::path::{Path, PathBuf};

/// Arguments of `hash`.
#[derive(Debug, Args)]
pub struct HashArgs {
    /// Files or folders (hashed recursively, symlinks not followed).
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
}

#[derive(serde::Serialize)]
struct Entry {
    path: String,
    size: u64,
    sha256: crate::ids::Sha256,
}

/// Runs `hash`.
pub fn run(ctx: &Ctx, args: HashArgs) -> anyhow::Result<Outcome> {
    let format = ctx.require_format(&[Format::Human, Format::Json])?;
    let mut files = Vec::new();
    for p in &args.paths {
        collect(p, &mut files)?;
    }
    let bars = HashBars::new(ctx.progress());
    let total = files
        .iter()
        .map(|p| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0))
        .sum();
    bars.set_total(total, files.len());
    let digests = hashing::hash_files(&files, hashing::default_threads(), &bars);
    bars.clear();
    let mut entries = Vec::with_capacity(files.len());
    for (p, d) in files.iter().zip(digests) {
        let d = d?;
        entries.push(Entry {
            path: p.to_string_lossy().into_owned(),
            size: d.size,
            sha256: d.sha256,
        });
    }
    if format == Format::Json {
        super::print_json(&entries)?;
    } else {
        let text: String = entries
            .iter()
            .map(|e| sha256sum_line(&e.sha256, &e.path))
            .collect();
        super::print(&text)?;
    }
    Ok(Outcome::Ok)
}

/// Adds `p` (a file) or every regular file under `p` (a folder, sorted) to `out`.
fn collect(p: &Path, out: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    let meta = std::fs::metadata(p).with_context(|| format!("cannot read `{}`", p.display()))?;
    if !meta.is_dir() {
        out.push(p.to_path_buf());
        return Ok(());
    }
    for entry in walkdir::WalkDir::new(p)
        .follow_links(false)
        .sort_by_file_name()
    {
        let entry = entry.with_context(|| format!("cannot walk `{}`", p.display()))?;
        if entry.file_type().is_file() {
            out.push(entry.into_path());
        }
    }
    Ok(())
}
