//! The pipeline: add a source, fetch a Hub model's bytes, verify them, smoke-test them, classify,
//! and audit (all of these, then the policy's verdict, recorded).

use super::record::assemble;
use super::{Location, Vet, VetError, blocking, locate};
use crate::catalogue::{Inserted, RevisionRef};
use crate::hub::{FetchReport, HubClient};
use crate::ids::ModelName;
use crate::ingest::{self, Ingested, LocalOptions, Source};
use crate::policy::{CheckResults, Policy, Verdict};
use crate::record::{ModelRecord, OpennessSection};
use crate::runtime::{SmokeOptions, SmokeOutcome};
use crate::verify::{self, Expected, FileCheck, FileStatus};
use std::path::{Path, PathBuf};

/// What [`add`] did: the revision as ingested, and whether it was new to the catalogue.
pub struct AddOutcome {
    pub ingested: Ingested,
    pub inserted: Inserted,
}

/// Ingests a source — a folder, a weights file, a MOF model YAML or `hf:OWNER/NAME[@REV]` — and
/// records it in one transaction. Re-adding unchanged content changes nothing.
pub async fn add(
    vet: &Vet<'_>,
    spec: &str,
    name: Option<ModelName>,
) -> Result<AddOutcome, VetError> {
    let add_error = |shown: &str, source: Box<dyn std::error::Error + Send + Sync>| VetError::Add {
        spec: shown.to_string(),
        source,
    };
    let source = Source::parse(spec).map_err(|e| match e {
        ingest::IngestError::Hub(hub) => VetError::Hub(hub),
        other => add_error(spec, Box::new(other)),
    })?;
    let ingested = match source {
        Source::Hub { repo, revision } => {
            // The Hub client is blocking: it is built, used and dropped off the async runtime.
            blocking(|| {
                let client = HubClient::from_env(vet.offline)?;
                ingest::ingest_hub(&client, &repo, revision.as_deref(), name)
            })
            .map_err(|e| add_error(spec, Box::new(e)))?
        }
        Source::Mof(path) => {
            let shown = path.display().to_string();
            let text = std::fs::read_to_string(&path)
                .map_err(|e| add_error(&shown, format!("cannot read `{shown}`: {e}").into()))?;
            ingest::ingest_mof(&path, &text, name)
                .map_err(|e| add_error(&shown, format!("`{shown}` {e}").into()))?
        }
        Source::Folder(path) | Source::WeightsFile(path) => {
            let opts = LocalOptions {
                name,
                progress: vet.progress,
                read_weights: true,
            };
            blocking(|| ingest::ingest_local(&path, &opts))
                .map_err(|e| add_error(&path.display().to_string(), Box::new(e)))?
        }
    };
    let mut ingested = ingested;
    let signature = super::signature::found_at_add(&ingested);
    if let Some((_, findings)) = &signature {
        ingested.findings.extend(findings.iter().cloned());
    }
    let inserted = vet.catalogue.insert(&ingested).await?;
    if inserted.new {
        if let Some((Some(section), _)) = &signature {
            vet.catalogue.save_signature(&inserted.rev, section).await?;
        }
        refresh_summary(vet, &inserted.rev).await;
    }
    Ok(AddOutcome { ingested, inserted })
}

/// Audits a Hugging Face cache offline and records every cached model snapshot.
pub async fn add_cache(
    vet: &Vet<'_>,
    dir: &Path,
) -> Result<(crate::hub::CacheAudit, Vec<Inserted>), VetError> {
    let (audit, revisions) = blocking(|| crate::ingest::ingest_cache(dir))?;
    let mut inserted = Vec::new();
    for ing in &revisions {
        let done = vet.catalogue.insert(ing).await?;
        if done.new {
            refresh_summary(vet, &done.rev).await;
        }
        inserted.push(done);
    }
    Ok((audit, inserted))
}

/// A catalogue model, or a source to add first (an existing path or `hf:…`).
pub async fn target(vet: &Vet<'_>, spec: &str) -> Result<RevisionRef, VetError> {
    if spec.starts_with("hf:") || Path::new(spec).exists() {
        return Ok(add(vet, spec, None).await?.inserted.rev);
    }
    Ok(vet.catalogue.resolve(spec).await?)
}

/// Downloads a catalogue model's pinned commit into the Hugging Face cache, verifying every
/// byte; the Hub's listing must agree with the digests recorded when it was added. A `spec` of
/// `hf:OWNER/NAME[@REV]` fetches without reading the catalogue, as [`fetch_hub`] does.
pub async fn fetch(vet: &Vet<'_>, spec: &str, include: &[String]) -> Result<FetchReport, VetError> {
    if spec.starts_with("hf:") {
        return fetch_hub(vet.offline, vet.download_bars, spec, include);
    }
    crate::hub::validate_include(include)?;
    let rev = vet.catalogue.resolve(spec).await?;
    let stored = vet.catalogue.stored(&rev).await?;
    let (repo, commit) = hub_pin(&rev, &stored.source)?;
    let branch = added_from(&vet.catalogue.metadata(&rev).await?);
    blocking(|| {
        let client = HubClient::from_env(vet.offline)?;
        let mut snapshot = client.resolve_repo(&repo, Some(&commit))?;
        check_against_record(&snapshot, &stored.files)?;
        // Added from a branch (`add hf:o/n` is `main`): the cache's `refs/<branch>` names the
        // pinned commit, as huggingface_hub writes it when it resolves that branch, so that
        // `local_files_only=True` loaders find the snapshot by the branch name.
        if let Some(branch) = branch {
            snapshot.requested_revision = branch;
        }
        Ok(client.fetch(&snapshot, include, vet.download_bars)?)
    })
}

/// Downloads `hf:OWNER/NAME[@REV]` into the Hugging Face cache, verifying every byte; nothing
/// is recorded.
pub fn fetch_hub(
    offline: bool,
    download_bars: bool,
    spec: &str,
    include: &[String],
) -> Result<FetchReport, VetError> {
    crate::hub::validate_include(include)?;
    let hub_spec = spec.strip_prefix("hf:").unwrap_or(spec);
    let (repo, rev) = crate::hub::parse_repo_spec(hub_spec)?;
    blocking(|| {
        let client = HubClient::from_env(offline)?;
        let snapshot = client.resolve_repo(&repo, rev.as_deref())?;
        Ok(client.fetch(&snapshot, include, download_bars)?)
    })
}

/// The branch or tag a Hub revision was added from (the revision asked for, when it was not a
/// commit id), from the metadata recorded at `add`.
pub(super) fn added_from(metadata: &Option<serde_json::Value>) -> Option<String> {
    metadata
        .as_ref()?
        .pointer("/hub/requested_revision")?
        .as_str()
        .filter(|r| !r.is_empty() && !crate::ids::GitOid::is_valid(r))
        .map(str::to_string)
}

/// The repo and commit a Hub model was pinned to when it was added.
pub(super) fn hub_pin(
    rev: &RevisionRef,
    source: &crate::record::SourceInfo,
) -> Result<(String, String), VetError> {
    let Some(repo) = source
        .location
        .strip_prefix("hf:")
        .filter(|_| source.kind == crate::record::SourceKind::Hub)
    else {
        return Err(VetError::NotFromHub {
            id: rev.id(),
            kind: source.kind.to_string(),
            location: source.location.clone(),
        });
    };
    let commit = source
        .revision
        .as_ref()
        .unwrap_or(&rev.revision)
        .to_string();
    Ok((repo.to_string(), commit))
}

/// Fails when the Hub's listing at the pinned commit disagrees with what the catalogue recorded.
fn check_against_record(
    snapshot: &crate::hub::HubSnapshot,
    recorded: &[crate::record::FileRecord],
) -> Result<(), VetError> {
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
            return Err(VetError::HubChanged(Box::new(super::HubChange {
                path: f.path.clone(),
                repo: snapshot.repo.clone(),
                commit: snapshot.commit.clone(),
                hub_size: f.size,
                recorded_size: r.size,
                hub_git: f.git_oid.clone(),
                recorded_git: r.git_oid.as_deref().unwrap_or("-").to_string(),
            })));
        }
    }
    Ok(())
}

/// What [`verify`] found.
pub struct VerifyOutcome {
    /// The folder the files were checked in.
    pub root: PathBuf,
    pub checks: Vec<FileCheck>,
    /// Whether any file failed (extra files only with `strict`).
    pub failed: bool,
}

/// Whether a file's status fails verification.
pub fn check_fails(status: &FileStatus, strict: bool) -> bool {
    match status {
        FileStatus::Ok => false,
        FileStatus::Extra => strict,
        _ => true,
    }
}

/// Re-hashes a revision's files (at `path`, or where [`locate`] finds them) against the recorded
/// digests, and records a `verify` run with its findings.
pub async fn verify(
    vet: &Vet<'_>,
    rev: &RevisionRef,
    path: Option<&Path>,
    strict: bool,
) -> Result<VerifyOutcome, VetError> {
    let record = super::record_of(vet.catalogue, rev).await?;
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
    let location = match path {
        Some(p) => p.to_path_buf(),
        None => locate(&record)?.path,
    };
    let meta = std::fs::metadata(&location).map_err(|source| VetError::Unreadable {
        path: location.clone(),
        source,
    })?;
    // A single-file model lives in a folder with other things: check the file only, under the
    // name given.
    let single = !meta.is_dir();
    let root = if single {
        if expected.len() != 1 {
            return Err(VetError::PathNotFolder {
                id: rev.id(),
                files: expected.len(),
            });
        }
        expected[0].path = location
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        location.parent().map(Path::to_path_buf).unwrap_or_default()
    } else {
        location.clone()
    };
    vet.progress
        .set_total(expected.iter().filter_map(|e| e.size).sum(), expected.len());
    let checks = blocking(|| verify::verify_tree(&root, &expected, !single, vet.progress));
    let failed = checks.iter().any(|c| check_fails(&c.status, strict));
    let findings = verify::findings_of(&checks);
    let result =
        serde_json::json!({ "root": root.display().to_string(), "ok": !failed, "files": &checks });
    let status = if failed { "failed" } else { "passed" };
    vet.catalogue
        .record_run(rev, "verify", status, &result, &findings)
        .await?;
    Ok(VerifyOutcome {
        root,
        checks,
        failed,
    })
}

/// Smoke-tests a revision where its bytes are, and records the result (a `smoke` run with its
/// findings) so that `show`, `audit` and reports see it.
pub async fn smoke(
    vet: &Vet<'_>,
    rev: &RevisionRef,
    opts: &SmokeOptions,
) -> Result<SmokeOutcome, VetError> {
    let record = super::record_of(vet.catalogue, rev).await?;
    let Location { path } = locate(&record)?;
    let outcome = blocking(|| crate::runtime::smoke(&path, opts))?;
    let result = serde_json::to_value(&outcome.section)?;
    vet.catalogue
        .record_run(
            rev,
            "smoke",
            outcome.section.status.as_str(),
            &result,
            &outcome.findings,
        )
        .await?;
    Ok(outcome)
}

/// Classifies a catalogue revision and records a `classify` run. Local and Hub models get their
/// components from the recorded files and card (plus the folder's sidecar, when the folder is
/// still there), and the recorded components are replaced; MOF imports keep the components they
/// were recorded with.
pub async fn classify(
    vet: &Vet<'_>,
    rev: &RevisionRef,
    strict: bool,
) -> Result<OpennessSection, VetError> {
    let record = assemble(vet.catalogue, rev, strict).await?;
    let section = record.openness.expect("assemble classifies every record");
    let keep_stored = record.source.kind == crate::record::SourceKind::Mof
        && !vet.catalogue.components(rev).await?.is_empty();
    if !keep_stored {
        vet.catalogue
            .replace_components(rev, &section.components)
            .await?;
    }
    vet.catalogue
        .record_run(
            rev,
            "classify",
            section.class.as_str(),
            &serde_json::to_value(&section)?,
            &[],
        )
        .await?;
    refresh_summary(vet, rev).await;
    Ok(section)
}

/// Audits one revision against a policy: fetches a Hub model's bytes when a check needs them,
/// verifies and smoke-tests as the policy asks, judges the record, and records the verdict.
pub async fn audit(
    vet: &Vet<'_>,
    rev: &RevisionRef,
    policy: &Policy,
    policy_name: &str,
) -> Result<Verdict, VetError> {
    let record = super::record_of(vet.catalogue, rev).await?;
    let mut checks = CheckResults::default();
    if record.source.kind == crate::record::SourceKind::Hub
        && (policy.wants_verify() || policy.wants_smoke())
        && locate(&record).is_err()
        && !vet.offline
        && let Err(e) = fetch(vet, &rev.id().to_string(), &[]).await
    {
        checks.verify_note = Some(format!(
            "the files could not be fetched from the Hub: {}",
            crate::error_chain(&e)
        ));
    }
    if policy.wants_verify() {
        match verify(vet, rev, None, false).await {
            Ok(v) => checks.verified = Some(!v.failed),
            Err(e) => {
                checks.verify_note = Some(format!(
                    "the bytes could not be verified: {}",
                    crate::error_chain(&e)
                ))
            }
        }
    }
    if policy.wants_smoke() {
        // A smoke test that cannot run (no local bytes, an error) leaves no result: the policy
        // then reports `smoke-not-run`.
        if let Err(e) = smoke(vet, rev, &SmokeOptions::default()).await {
            tracing::warn!(
                "smoke test of `{}` did not run: {}",
                rev.id(),
                crate::error_chain(&e)
            );
        }
    }
    if let Some(store) = vet.blobs {
        // Every byte is hashed against the recorded digest on its way into the store, so what
        // the mirror serves is verified whether or not the policy asks for `verify`.
        match super::mirror::store_revision(vet, store, rev).await {
            Ok(s) => tracing::info!("{} file(s) of `{}` in {}", s.files, rev.id(), s.store),
            Err(e) => tracing::warn!(
                "the files of `{}` were not put into {}: {}",
                rev.id(),
                store.spec(),
                crate::error_chain(&e)
            ),
        }
    }
    if let Some(approvals) = &policy.approvals {
        checks.approvals = super::registry::approval_facts(vet, rev, approvals).await?;
    }
    if let Some(signatures) = &policy.signatures {
        // Key and trust-root paths are relative to the policy file.
        let base = Path::new(policy_name).parent().unwrap_or(Path::new("."));
        checks.signature = super::signature::policy_fact(vet, rev, signatures, base).await?;
    }
    // Reload: verification and the smoke test recorded their results with the model.
    let record: ModelRecord = super::record_of(vet.catalogue, rev).await?;
    let verdict = crate::policy::evaluate(policy, policy_name, &record, &checks);
    let status = if verdict.pass { "passed" } else { "failed" };
    vet.catalogue
        .record_run(rev, "audit", status, &serde_json::to_value(&verdict)?, &[])
        .await?;
    refresh_summary(vet, rev).await;
    Ok(verdict)
}

/// Rewrites the catalogue page's summary of a revision. The change itself is already committed,
/// so a summary that cannot be computed is logged, not an error of the command (the server fills
/// missing summaries in later, and `show` reports the underlying problem itself).
async fn refresh_summary(vet: &Vet<'_>, rev: &RevisionRef) {
    if let Err(e) = super::summarise(vet.catalogue, rev).await {
        tracing::warn!(
            "cannot summarise `{}` for the catalogue page: {}",
            rev.id(),
            crate::error_chain(&e)
        );
    }
}
