//! The Hub mirror's use cases: which revision of a repo a Hub client may have, and its verified
//! bytes in the blob store.
//!
//! A revision is served when its latest audit passed under the policy the server enforces (the
//! same policy file, by digest) and, where that policy requires approvals, when each required
//! criterion has a live approval now (an approval given after the audit counts; one revoked or
//! expired since does not). A branch name (`main`, or any other) means the newest revision that is
//! served, never an unvetted one: the mirror keeps one line of vetted history per model. A full
//! revision is served only if it itself passes; a prefix of one is refused, so that no client
//! pins something it did not name.

use super::{Vet, VetError};
use crate::blobs::{BlobError, BlobKey, BlobStore};
use crate::catalogue::{MirrorRevision, RevisionRef};
use crate::finding::Severity;
use crate::ids::{GitOid, Sha256};
use crate::policy::{Policy, Verdict};
use crate::record::{SourceInfo, SourceKind};
use futures_util::StreamExt;
use std::path::PathBuf;

/// Why a request is not answered with a revision.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("repository `{0}` is not in this registry")]
    RepoNotFound(String),
    #[error("`{repo}` has no revision `{rev}`")]
    RevisionNotFound { repo: String, rev: String },
    #[error(
        "`{rev}` is a prefix of `{full}`; ask for the full revision (or a branch such as `main`)"
    )]
    CommitPrefix {
        repo: String,
        rev: String,
        full: String,
    },
    /// The revision (or, for a branch, every revision) is not vetted; the text says why.
    #[error("{0}")]
    NotVetted(String),
}

/// A file of a served revision, as the Hub describes it.
#[derive(Debug, Clone)]
pub struct ServedFile {
    pub path: String,
    pub size: u64,
    /// The SHA-256 of its content, where known (always for an LFS file).
    pub sha256: Option<Sha256>,
    /// The git blob id: of the content for a regular file, of the LFS pointer for an LFS file.
    pub git_oid: GitOid,
    /// The Hub stores the file in LFS (every file of a local model is presented so: its
    /// SHA-256 is what is known of it).
    pub lfs: bool,
}

impl ServedFile {
    /// The blob store key of its content.
    pub fn key(&self) -> BlobKey {
        match &self.sha256 {
            Some(d) => BlobKey::Sha256(d.clone()),
            None => BlobKey::GitOid(self.git_oid.clone()),
        }
    }

    /// The Hub's ETag: the SHA-256 for an LFS file, the git blob id otherwise.
    pub fn etag(&self) -> &str {
        match (&self.sha256, self.lfs) {
            (Some(d), true) => d.as_str(),
            _ => self.git_oid.as_str(),
        }
    }

    /// The size of the LFS pointer text.
    pub fn pointer_size(&self) -> usize {
        self.sha256
            .as_ref()
            .map_or(0, |d| crate::hashing::lfs_pointer_text(d, self.size).len())
    }
}

/// A revision the mirror serves.
#[derive(Debug, Clone)]
pub struct Served {
    pub revision: MirrorRevision,
    pub card: Option<serde_json::Value>,
    pub files: Vec<ServedFile>,
}

impl Served {
    /// The commit clients see (`X-Repo-Commit`, `sha`).
    pub fn commit(&self) -> &str {
        self.revision.rev.revision.as_str()
    }

    pub fn file(&self, path: &str) -> Option<&ServedFile> {
        self.files.iter().find(|f| f.path == path)
    }
}

/// Whether `s` looks like a hex revision (a commit or a local manifest digest), not a branch.
fn hexlike(s: &str) -> bool {
    s.len() >= 7 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The revision of `repo` that `rev` names, if the mirror may serve it.
pub async fn resolve(
    vet: &Vet<'_>,
    policy: &Policy,
    repo: &str,
    rev: &str,
) -> Result<Result<Served, Refused>, VetError> {
    let revisions = vet.catalogue.revisions_of(repo).await?;
    if revisions.is_empty() {
        return Ok(Err(Refused::RepoNotFound(repo.to_string())));
    }
    let pick = if let Some(exact) = revisions.iter().find(|r| r.rev.revision.as_str() == rev) {
        if let Some(why) = why_not_served(vet, policy, &exact.rev).await? {
            return Ok(Err(Refused::NotVetted(why)));
        }
        exact.clone()
    } else if hexlike(rev) {
        let lower = rev.to_ascii_lowercase();
        return Ok(Err(
            match revisions
                .iter()
                .find(|r| r.rev.revision.as_str().starts_with(&lower))
            {
                Some(r) => Refused::CommitPrefix {
                    repo: repo.to_string(),
                    rev: rev.to_string(),
                    full: r.rev.revision.to_string(),
                },
                None => Refused::RevisionNotFound {
                    repo: repo.to_string(),
                    rev: rev.to_string(),
                },
            },
        ));
    } else {
        // A branch: the newest revision that passes.
        let mut newest_reason = None;
        let mut found = None;
        for r in &revisions {
            match why_not_served(vet, policy, &r.rev).await? {
                None => {
                    found = Some(r.clone());
                    break;
                }
                Some(why) => {
                    newest_reason.get_or_insert(why);
                }
            }
        }
        match found {
            Some(r) => r,
            None => {
                return Ok(Err(Refused::NotVetted(format!(
                    "no revision of {repo} may be served for `{rev}`; the newest: {}",
                    newest_reason.unwrap_or_default()
                ))));
            }
        }
    };
    let card = vet.catalogue.card_data(&pick.rev).await?;
    let files = served_files(vet.catalogue.files(&pick.rev).await?);
    Ok(Ok(Served {
        revision: pick,
        card,
        files,
    }))
}

fn served_files(files: Vec<crate::record::FileRecord>) -> Vec<ServedFile> {
    files
        .into_iter()
        .filter_map(|f| {
            let pointer_oid = f.sha256.as_ref().map(|d| {
                crate::hashing::git_blob_id(crate::hashing::lfs_pointer_text(d, f.size).as_bytes())
            });
            // A Hub file is in LFS when its git blob is the pointer to its SHA-256 (a regular
            // file's SHA-256 is known too once it was fetched); a local file is known by its
            // SHA-256 alone and presented as LFS.
            let lfs = match (&f.git_oid, &pointer_oid) {
                (Some(g), Some(p)) => g == p,
                (None, Some(_)) => true,
                _ => false,
            };
            // Nothing names the bytes of a file without either digest: it is not served.
            let git_oid = f.git_oid.or(pointer_oid)?;
            Some(ServedFile {
                path: f.path,
                size: f.size,
                sha256: f.sha256,
                git_oid,
                lfs,
            })
        })
        .collect()
}

/// Why the mirror may not serve `rev` now (`None`: it may).
pub async fn why_not_served(
    vet: &Vet<'_>,
    policy: &Policy,
    rev: &RevisionRef,
) -> Result<Option<String>, VetError> {
    let id = format!("{}@{}", rev.name, short(rev.revision.as_str()));
    let Some(run) = vet.catalogue.latest_run(rev, "audit").await? else {
        return Ok(Some(format!("{id} has not been audited")));
    };
    let verdict: Verdict = match serde_json::from_value(run.result) {
        Ok(v) => v,
        Err(e) => return Ok(Some(format!("{id}: its audit record cannot be read ({e})"))),
    };
    if verdict.policy_sha256 != policy.sha256 {
        return Ok(Some(format!(
            "{id} was audited under policy `{}`, not under the policy this registry enforces; audit it again",
            verdict.policy
        )));
    }
    // Approval findings are judged again below, as of now.
    let failing: Vec<String> = verdict
        .findings
        .iter()
        .filter(|f| f.severity > Severity::Info && !crate::policy::is_approval_code(&f.code))
        .map(|f| format!("{} {}", f.code, f.message))
        .collect();
    if !failing.is_empty() {
        let more = if failing.len() > 3 {
            format!(" (and {} more)", failing.len() - 3)
        } else {
            String::new()
        };
        return Ok(Some(format!(
            "{id} failed audit: {}{more}",
            failing[..failing.len().min(3)].join("; ")
        )));
    }
    if let Some(approvals) = &policy.approvals {
        let facts = super::registry::approval_facts(vet, rev, approvals).await?;
        let missing = crate::policy::approval_findings(approvals, &facts);
        if !missing.is_empty() {
            let text: Vec<String> = missing
                .iter()
                .map(|f| format!("{} {}", f.code, f.message))
                .collect();
            return Ok(Some(format!("{id} is not approved: {}", text.join("; "))));
        }
    }
    Ok(None)
}

fn short(rev: &str) -> &str {
    rev.get(..12).unwrap_or(rev)
}

/// Why a served file's bytes cannot be had.
#[derive(Debug, thiserror::Error)]
pub enum Unavailable {
    /// Not in the store, not on this machine, and no upstream to pull from.
    #[error(
        "the bytes of `{path}` ({key}) are not in the blob store; fill it with `modelvet fetch --blobs …`, or start the server with --upstream"
    )]
    Missing { path: String, key: String },
    /// The upstream answered with bytes that did not verify (or did not answer); nothing was kept.
    #[error("upstream: {0}")]
    Upstream(String),
    #[error(transparent)]
    Store(#[from] BlobError),
}

/// Where the mirror pulls missing blobs from.
#[derive(Debug, Clone)]
pub struct Upstream {
    pub endpoint: String,
    pub token: Option<String>,
    pub client: reqwest::Client,
}

/// Makes sure the store holds `file`'s verified bytes: from the store, else from this machine's
/// copy of the revision (a model folder, the HF cache), else pulled from `upstream`. Every byte
/// put into the store is hashed on the way in; bytes that do not hash to the file's digest are
/// never kept.
pub async fn ensure_blob(
    store: &BlobStore,
    served: &Served,
    file: &ServedFile,
    upstream: Option<&Upstream>,
) -> Result<(), Unavailable> {
    let key = file.key();
    if store.size(&key).await? == Some(file.size) {
        return Ok(());
    }
    if let Some(path) = local_copy(served, file) {
        match store.put_file_verified(&key, file.size, &path).await {
            Ok(()) => return Ok(()),
            // A local copy that changed since it was recorded is no source; try upstream.
            Err(e) => tracing::warn!("local copy `{}` not used: {e}", path.display()),
        }
    }
    let (Some(up), SourceKind::Hub) = (upstream, served.revision.source_kind) else {
        return Err(Unavailable::Missing {
            path: file.path.clone(),
            key: key.path(),
        });
    };
    let repo = served
        .revision
        .source_location
        .strip_prefix("hf:")
        .unwrap_or(&served.revision.source_location);
    let commit = served
        .revision
        .source_revision
        .as_deref()
        .unwrap_or(served.commit());
    let mut url = reqwest::Url::parse(&up.endpoint)
        .map_err(|e| Unavailable::Upstream(format!("bad upstream URL: {e}")))?;
    url.path_segments_mut()
        .map_err(|()| Unavailable::Upstream("the upstream URL cannot take a path".into()))?
        .pop_if_empty()
        .extend(repo.split('/'))
        .push("resolve")
        .push(commit)
        .extend(file.path.split('/'));
    let mut request = up.client.get(url.clone());
    if let Some(t) = &up.token {
        request = request.bearer_auth(t);
    }
    let response = request
        .send()
        .await
        .map_err(|e| Unavailable::Upstream(format!("GET {url}: {e}")))?;
    if !response.status().is_success() {
        return Err(Unavailable::Upstream(format!(
            "GET {url} answered {}",
            response.status()
        )));
    }
    let stream = response
        .bytes_stream()
        .map(|r| r.map_err(std::io::Error::other))
        .boxed();
    store
        .put_verified(&key, file.size, stream)
        .await
        .map_err(|e| match e {
            BlobError::Mismatch { .. } | BlobError::Source { .. } => {
                Unavailable::Upstream(format!("{url}: {e}"))
            }
            other => Unavailable::Store(other),
        })
}

/// This machine's copy of a served file, if there is one.
fn local_copy(served: &Served, file: &ServedFile) -> Option<PathBuf> {
    let r = &served.revision;
    let source = SourceInfo {
        kind: r.source_kind,
        location: r.source_location.clone(),
        revision: r.source_revision.clone().map(Into::into),
    };
    let loc = super::bytes::locate_source(&r.rev.id(), &r.rev.name, &source).ok()?;
    let path = if loc.path.is_file() {
        (served.files.len() == 1).then(|| loc.path.clone())?
    } else {
        loc.path.join(&file.path)
    };
    path.is_file().then_some(path)
}

/// What [`store_revision`] put into the store.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Stored {
    pub store: String,
    pub files: usize,
    pub bytes: u64,
}

/// Puts every file of `rev` that this machine holds into `store`, verified (what `fetch` and
/// `audit` do when given a blob store).
pub async fn store_revision(
    vet: &Vet<'_>,
    store: &BlobStore,
    rev: &RevisionRef,
) -> Result<Stored, VetError> {
    let revision = vet.catalogue.mirror_revision(rev).await?;
    let files = served_files(vet.catalogue.files(rev).await?);
    let served = Served {
        revision,
        card: None,
        files,
    };
    let mut out = Stored {
        store: store.spec().to_string(),
        ..Stored::default()
    };
    for file in &served.files {
        let Some(path) = local_copy(&served, file) else {
            continue;
        };
        store
            .put_file_verified(&file.key(), file.size, &path)
            .await?;
        out.files += 1;
        out.bytes += file.size;
    }
    Ok(out)
}
