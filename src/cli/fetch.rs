//! `modelvet fetch`.

use super::{Ctx, Format, Outcome};
use crate::hub::FetchStatus;
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
    // `hf:OWNER/NAME[@REV]` fetches without recording; a catalogue MODEL fetches the pinned commit
    // and must agree with the digests recorded when it was added.
    let store = ctx.blob_store(false)?;
    let mut stored = None;
    let report = if args.model.starts_with("hf:") {
        crate::vet::fetch_hub(
            ctx.global.offline,
            ctx.progress(),
            &args.model,
            &args.include,
        )?
    } else {
        let catalogue = ctx.catalogue()?;
        let vet = ctx.vet(&catalogue, &crate::hashing::NoProgress);
        ctx.block_on(async {
            let report = crate::vet::fetch(&vet, &args.model, &args.include).await?;
            // With --blobs, the verified files also go into the Hub mirror's blob store.
            if let Some(store) = &store
                && !report.has_mismatches()
            {
                let rev = catalogue.resolve(&args.model).await?;
                stored = Some(crate::vet::mirror::store_revision(&vet, store, &rev).await?);
            }
            anyhow::Ok(report)
        })?
    };
    if store.is_some() && stored.is_none() && args.model.starts_with("hf:") {
        tracing::warn!(
            "--blobs stores catalogue models only; `{}` was not recorded",
            args.model
        );
    }
    let repo = &report.repo;
    if !args.include.is_empty() && report.files.is_empty() {
        tracing::warn!("no file of `{repo}` matches the `--include` globs");
    }
    match format {
        Format::Json => {
            let mut doc = serde_json::to_value(&report)?;
            if let (Some(s), Some(obj)) = (&stored, doc.as_object_mut()) {
                obj.insert("stored".into(), serde_json::to_value(s)?);
            }
            super::print_json(&doc)?
        }
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
            if let Some(s) = &stored {
                out.push_str(&format!(
                    "stored {} file(s), {} bytes, verified, in {}\n",
                    s.files, s.bytes, s.store
                ));
            }
            super::print(&out)?;
        }
    }
    Ok(Outcome::problems_if(report.has_mismatches()))
}
