//! `modelvet fetch`.

use super::{Ctx, Format, Outcome};
use crate::hub::{FetchStatus, HubClient};
use clap::Args;

/// Arguments of `fetch`.
#[derive(Debug, Args)]
pub struct FetchArgs {
    /// The model (NAME, NAME@REV or a unique prefix), or `hf:OWNER/NAME[@REV]` directly.
    pub model: String,
    /// Only files matching this glob (repeatable).
    #[arg(long)]
    pub include: Vec<String>,
}

/// Runs `fetch`: pins the repo to a commit, downloads into the Hugging Face cache, verifying
/// every byte. Exit 1 when a file's bytes did not match its digest (it was not put in place).
pub fn run(ctx: &Ctx, args: FetchArgs) -> anyhow::Result<Outcome> {
    let format = ctx.require_format(&[Format::Human, Format::Json])?;
    crate::hub::validate_include(&args.include)?;
    // `hf:OWNER/NAME[@REV]` fetches without recording; a catalogue MODEL fetches the pinned commit
    // and must agree with the digests recorded when it was added.
    let (repo, revision, recorded) = match args.model.strip_prefix("hf:") {
        Some(spec) => {
            let (repo, rev) = crate::hub::parse_repo_spec(spec)?;
            (repo, rev, None)
        }
        None => {
            let catalogue = ctx.catalogue()?;
            let rev = ctx.block_on(catalogue.resolve(&args.model))?;
            let record = ctx.block_on(catalogue.record(&rev))?;
            let Some(repo) = record
                .source
                .location
                .strip_prefix("hf:")
                .filter(|_| record.source.kind == "hub")
            else {
                anyhow::bail!(
                    "`{}` was not added from the Hub (source: {} `{}`); there is nothing to fetch",
                    rev.id(),
                    record.source.kind,
                    record.source.location
                );
            };
            let commit = record
                .source
                .revision
                .clone()
                .unwrap_or_else(|| record.revision.clone());
            (repo.to_string(), Some(commit), Some(record.files))
        }
    };
    let client = HubClient::from_env(ctx.global.offline)?;
    let snapshot = client.resolve_repo(&repo, revision.as_deref())?;
    if let Some(recorded) = &recorded {
        check_against_record(&snapshot, recorded)?;
    }
    let report = client.fetch(&snapshot, &args.include, ctx.progress())?;
    if !args.include.is_empty() && report.files.is_empty() {
        tracing::warn!("no file of `{repo}` matches the `--include` globs");
    }
    match format {
        Format::Json => super::print_json(&report)?,
        _ => {
            let mut out = String::new();
            for f in &report.files {
                let status = match f.status {
                    FetchStatus::Downloaded => "downloaded",
                    FetchStatus::Resumed => "resumed",
                    FetchStatus::Cached => "cached",
                    FetchStatus::Mismatch => "MISMATCH",
                };
                out.push_str(&format!("{status:<10} {:>12}  {}\n", f.size, f.path));
                if let Some(e) = &f.error {
                    out.push_str(&format!("           {e}\n"));
                }
            }
            out.push_str(&format!(
                "{}@{}: {} file(s), {} bytes downloaded\n{}\n",
                report.repo,
                report.commit,
                report.files.len(),
                report.bytes_downloaded,
                report.snapshot_dir.display()
            ));
            super::print(&out)?;
        }
    }
    Ok(Outcome::problems_if(report.has_mismatches()))
}

/// Fails when the Hub's listing at the pinned commit disagrees with what the catalogue recorded.
fn check_against_record(
    snapshot: &crate::hub::HubSnapshot,
    recorded: &[crate::record::FileRecord],
) -> anyhow::Result<()> {
    for f in &snapshot.files {
        let Some(r) = recorded.iter().find(|r| r.path == f.path) else {
            continue;
        };
        let git_differs = r.git_oid.as_ref().is_some_and(|g| *g != f.git_oid);
        let sha_differs = match (&r.sha256, &f.sha256) {
            (Some(a), Some(b)) => a != b,
            _ => false,
        };
        if r.size != f.size || git_differs || sha_differs {
            anyhow::bail!(
                "`{}` of `{}@{}` differs from the catalogue's record (size {} vs {}, git {} vs {}); the Hub's content at this commit changed",
                f.path,
                snapshot.repo,
                snapshot.commit,
                f.size,
                r.size,
                f.git_oid,
                r.git_oid.as_deref().unwrap_or("-")
            );
        }
    }
    Ok(())
}
