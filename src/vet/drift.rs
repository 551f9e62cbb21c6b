//! Upstream drift (`outdated`): ask the Hub again where the ref a Hub model was added from
//! points now, compare with what was recorded, and record the observation with its time.

use super::pipeline::{added_from, hub_pin};
use super::{Vet, VetError, blocking};
use crate::catalogue::{Catalogue, RevisionRef};
use crate::finding::Finding;
use crate::hub::{HubClient, HubError, RefStatus};
use crate::ids::ModelId;
use crate::record::{FileRecord, SourceKind, UpstreamObservation};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

crate::finding_codes! {
    /// Finding codes of upstream drift.
    pub enum DriftCode {
        UpstreamRefMoved = "upstream-ref-moved", Medium, "the branch the model was added from now points to another commit than the pinned one";
        UpstreamFilesChanged = "upstream-files-changed", Medium, "at the branch's new commit, files were added, removed or changed (by digest) against the pinned revision";
        UpstreamLicenseChanged = "upstream-license-changed", High, "at the branch's new commit, the model card (or the Hub's license tag) declares another license";
        UpstreamLicenseTextChanged = "upstream-license-text-changed", High, "at the branch's new commit, a LICENSE-like file was added, removed or changed";
        UpstreamGated = "upstream-gated", Medium, "the repo is gated now (or refuses access) and was not when the model was added";
        PinnedCommitGone = "pinned-commit-gone", High, "the pinned commit no longer resolves on the Hub: the history was squashed or force-pushed";
        UpstreamRefGone = "upstream-ref-gone", High, "the branch the model was added from no longer exists";
        UpstreamRepoGone = "upstream-repo-gone", High, "the repo is gone from the Hub (404), or private to us now";
        UpstreamRepoRenamed = "upstream-repo-renamed", Medium, "the repo was renamed or moved: the Hub redirects to another repo id";
        UpstreamRepoDisabled = "upstream-repo-disabled", High, "the Hub disabled the repo";
    }
}

/// Files added, removed and changed between the pinned revision and the ref's new commit.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FileChanges {
    pub added: Vec<String>,
    pub removed: Vec<String>,
    pub changed: Vec<String>,
}

impl FileChanges {
    fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty()
    }
}

/// What `outdated` found for one model.
#[derive(Debug, Clone, Serialize)]
pub struct DriftReport {
    pub id: ModelId,
    pub repo: String,
    /// The commit the revision is pinned to.
    pub pinned: String,
    /// The branch followed (`None` when the model was added at a commit).
    #[serde(rename = "ref")]
    pub ref_name: Option<String>,
    /// Where the ref points now (`None` when it cannot be resolved).
    pub head: Option<String>,
    /// `current` or `drift`.
    pub status: String,
    pub observed_at: String,
    pub findings: Vec<Finding>,
    pub files: FileChanges,
}

impl DriftReport {
    pub fn drifted(&self) -> bool {
        !self.findings.is_empty()
    }
}

/// Checks each Hub-pinned model named in `specs` (every Hub model's newest revision when
/// none is named) against the Hub and records what it saw. A named model that was not added
/// from the Hub is an error.
pub async fn outdated(vet: &Vet<'_>, specs: &[String]) -> Result<Vec<DriftReport>, VetError> {
    if vet.offline {
        return Err(VetError::Offline("`outdated`"));
    }
    let mut targets = Vec::new();
    if specs.is_empty() {
        for m in vet.catalogue.list().await? {
            let rev = vet.catalogue.resolve(&m.id.to_string()).await?;
            let stored = vet.catalogue.stored(&rev).await?;
            if stored.source.kind == SourceKind::Hub {
                targets.push((rev, stored));
            }
        }
    } else {
        for spec in specs {
            let rev = vet.catalogue.resolve(spec).await?;
            let stored = vet.catalogue.stored(&rev).await?;
            hub_pin(&rev, &stored.source)?;
            targets.push((rev, stored));
        }
    }
    let client = blocking(|| HubClient::from_env(false))?;
    let mut out = Vec::new();
    for (rev, stored) in targets {
        let (repo, pinned) = hub_pin(&rev, &stored.source)?;
        let metadata = vet.catalogue.metadata(&rev).await?;
        let ref_name = added_from(&metadata);
        let was_gated = metadata
            .as_ref()
            .and_then(|m| m.pointer("/hub/gated"))
            .is_some_and(|g| !g.is_null() && g != false);
        let claims = vet.catalogue.license_claims(&rev).await?;
        let recorded_license = declared(claims.iter().map(|c| (&c.from, &c.value)));
        let seen = blocking(|| {
            observe(
                &client,
                &repo,
                &pinned,
                ref_name.as_deref(),
                was_gated,
                &stored.files,
                &recorded_license,
            )
        })?;
        let status = if seen.findings.is_empty() {
            "current"
        } else {
            "drift"
        };
        let detail = serde_json::json!({
            "repo": repo,
            "pinned": pinned,
            "findings": seen.findings,
            "files": seen.files,
        });
        let observed_at = vet
            .catalogue
            .record_observation(
                &rev,
                ref_name.as_deref(),
                seen.head.as_deref(),
                status,
                &detail,
            )
            .await?;
        out.push(DriftReport {
            id: rev.id(),
            repo,
            pinned,
            ref_name,
            head: seen.head,
            status: status.to_string(),
            observed_at,
            findings: seen.findings,
            files: seen.files,
        });
    }
    Ok(out)
}

/// What one look at the Hub showed.
struct Seen {
    head: Option<String>,
    findings: Vec<Finding>,
    files: FileChanges,
}

/// The license values a card or the Hub's tags declare (`card:…`, `tag:license:…` claims).
fn declared<'a>(claims: impl Iterator<Item = (&'a String, &'a String)>) -> BTreeSet<String> {
    claims
        .filter(|(from, _)| from.starts_with("card:") || from.starts_with("tag:"))
        .map(|(_, v)| v.trim().to_ascii_lowercase())
        .collect()
}

fn observe(
    client: &HubClient,
    repo: &str,
    pinned: &str,
    ref_name: Option<&str>,
    was_gated: bool,
    recorded: &[FileRecord],
    recorded_license: &BTreeSet<String>,
) -> Result<Seen, HubError> {
    let mut seen = Seen {
        head: None,
        findings: Vec::new(),
        files: FileChanges::default(),
    };
    let follow = ref_name.unwrap_or(pinned);
    let f = |code: DriftCode, msg: String| Finding::new(&code, msg);
    let (served, head, gated) = match client.ref_status(repo, follow)? {
        RefStatus::RepoGone => {
            seen.findings.push(f(
                DriftCode::UpstreamRepoGone,
                format!("`{repo}` is not on the Hub any more (404)"),
            ));
            return Ok(seen);
        }
        RefStatus::Disabled => {
            seen.findings.push(f(
                DriftCode::UpstreamRepoDisabled,
                format!("the Hub disabled `{repo}`"),
            ));
            return Ok(seen);
        }
        // Gated when added (and a token with access was used then): refused now is not drift
        // but a question that cannot be answered without that access.
        RefStatus::Denied { status, hint } if was_gated => {
            return Err(HubError::AccessDenied {
                repo: repo.to_string(),
                status,
                hint,
            });
        }
        RefStatus::Denied { hint, .. } => {
            seen.findings.push(
                f(
                    DriftCode::UpstreamGated,
                    format!("`{repo}` refuses access now"),
                )
                .with_evidence(hint),
            );
            return Ok(seen);
        }
        RefStatus::RevisionGone => {
            if let Some(branch) = ref_name {
                seen.findings.push(f(
                    DriftCode::UpstreamRefGone,
                    format!("`{branch}` of `{repo}` no longer exists"),
                ));
            }
            if ref_name.is_none() || !commit_resolves(client, repo, pinned)? {
                seen.findings.push(pinned_gone(repo, pinned));
            }
            return Ok(seen);
        }
        RefStatus::Live {
            repo: served,
            commit,
            gated,
        } => (served, commit, gated),
    };
    seen.head = Some(head.clone());
    if served != repo {
        seen.findings.push(
            f(
                DriftCode::UpstreamRepoRenamed,
                format!("`{repo}` was renamed: the Hub redirects to `{served}`"),
            )
            .with_evidence(served.clone()),
        );
    }
    if gated.is_some() && !was_gated {
        seen.findings.push(
            f(
                DriftCode::UpstreamGated,
                format!(
                    "`{served}` is gated now ({}); it was not when the model was added",
                    gated.as_deref().unwrap_or_default()
                ),
            )
            .with_evidence(gated.unwrap_or_default()),
        );
    }
    if head == pinned {
        return Ok(seen);
    }
    let branch = ref_name.unwrap_or(pinned);
    seen.findings.push(
        f(
            DriftCode::UpstreamRefMoved,
            format!("`{branch}` of `{served}` moved from {pinned} to {head}"),
        )
        .with_evidence(head.clone()),
    );
    if !commit_resolves(client, &served, pinned)? {
        seen.findings.push(pinned_gone(&served, pinned));
    }
    let snapshot = client.resolve_repo(&served, Some(&head))?;
    seen.files = changes(recorded, &snapshot.files);
    if !seen.files.is_empty() {
        let c = &seen.files;
        seen.findings.push(
            f(
                DriftCode::UpstreamFilesChanged,
                format!(
                    "at {head}: {} added, {} removed, {} changed",
                    c.added.len(),
                    c.removed.len(),
                    c.changed.len()
                ),
            )
            .with_evidence(describe_changes(c)),
        );
    }
    let now = crate::ingest::ingest_snapshot(&snapshot, client.endpoint(), None);
    let license_now = declared(now.license_claims.iter().map(|c| (&c.from, &c.value)));
    if license_now != *recorded_license {
        let list = |s: &BTreeSet<String>| {
            if s.is_empty() {
                "none".to_string()
            } else {
                s.iter().cloned().collect::<Vec<_>>().join(", ")
            }
        };
        seen.findings.push(f(
            DriftCode::UpstreamLicenseChanged,
            format!(
                "the declared license changed from {} to {}",
                list(recorded_license),
                list(&license_now)
            ),
        ));
    }
    let texts = |files: &mut dyn Iterator<Item = (String, String)>| -> BTreeMap<String, String> {
        files.collect()
    };
    let before = texts(
        &mut recorded
            .iter()
            .filter(|r| is_license(&r.format))
            .map(|r| (r.path.clone(), digest_of(r))),
    );
    let after = texts(
        &mut now
            .files
            .iter()
            .filter(|r| is_license(&r.format))
            .map(|r| (r.path.clone(), digest_of(r))),
    );
    if before != after {
        let moved: Vec<&String> = before
            .keys()
            .chain(after.keys())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .filter(|p| before.get(*p) != after.get(*p))
            .collect();
        seen.findings.push(
            f(
                DriftCode::UpstreamLicenseTextChanged,
                format!(
                    "the license text changed at {head}: {}",
                    moved
                        .iter()
                        .map(|p| format!("`{p}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
            .at(moved.first().map(|p| p.to_string()).unwrap_or_default()),
        );
    }
    Ok(seen)
}

fn is_license(format: &crate::format::FileFormat) -> bool {
    *format == crate::format::FileFormat::License
}

/// A file's content digest as recorded: its SHA-256 where known, else its git blob id.
fn digest_of(r: &FileRecord) -> String {
    match (&r.sha256, &r.git_oid) {
        (Some(s), _) => format!("sha256:{s}"),
        (None, Some(g)) => format!("git:{g}"),
        (None, None) => format!("size:{}", r.size),
    }
}

fn pinned_gone(repo: &str, pinned: &str) -> Finding {
    Finding::new(
        &DriftCode::PinnedCommitGone,
        format!(
            "commit {pinned} of `{repo}` no longer resolves (history squashed or force-pushed)"
        ),
    )
    .with_evidence(pinned.to_string())
}

/// Whether `commit` still resolves in `repo`.
fn commit_resolves(client: &HubClient, repo: &str, commit: &str) -> Result<bool, HubError> {
    Ok(matches!(
        client.ref_status(repo, commit)?,
        RefStatus::Live { .. }
    ))
}

/// Files added, removed and changed, comparing digests where both sides have one of the same
/// kind (SHA-256 for LFS files, git blob ids for the others), else sizes.
fn changes(recorded: &[FileRecord], now: &[crate::hub::HubFile]) -> FileChanges {
    let before: BTreeMap<&str, &FileRecord> =
        recorded.iter().map(|f| (f.path.as_str(), f)).collect();
    let after: BTreeMap<&str, &crate::hub::HubFile> =
        now.iter().map(|f| (f.path.as_str(), f)).collect();
    let mut c = FileChanges::default();
    for (path, f) in &after {
        match before.get(path) {
            None => c.added.push(path.to_string()),
            Some(r) => {
                let differs = match (&r.sha256, &f.sha256, &r.git_oid) {
                    (Some(a), Some(b), _) => a.as_str() != b,
                    (_, _, Some(g)) => g.as_str() != f.git_oid,
                    _ => r.size != f.size,
                };
                if differs {
                    c.changed.push(path.to_string());
                }
            }
        }
    }
    for path in before.keys() {
        if !after.contains_key(path) {
            c.removed.push(path.to_string());
        }
    }
    c
}

fn describe_changes(c: &FileChanges) -> String {
    let mut parts = Vec::new();
    for (what, list) in [
        ("added", &c.added),
        ("removed", &c.removed),
        ("changed", &c.changed),
    ] {
        if !list.is_empty() {
            parts.push(format!("{what}: {}", list.join(", ")));
        }
    }
    parts.join("; ")
}

/// The recorded observations of a revision, newest first, as the record lists them.
pub(super) async fn observations(
    catalogue: &Catalogue,
    rev: &RevisionRef,
) -> Result<Vec<UpstreamObservation>, VetError> {
    Ok(catalogue
        .observations(rev)
        .await?
        .into_iter()
        .map(|o| UpstreamObservation {
            findings: o
                .detail
                .get("findings")
                .cloned()
                .and_then(|f| serde_json::from_value(f).ok())
                .unwrap_or_default(),
            observed_at: o.observed_at,
            status: o.status,
            ref_name: o.ref_name,
            head: o.head,
        })
        .collect())
}
