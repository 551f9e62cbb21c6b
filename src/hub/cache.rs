//! The Hugging Face cache on disk: paths, offline resolution, and a full offline audit.
//!
//! The cache is self-certifying: every `blobs/<name>` must hash to its own name (SHA-256 when the
//! name has 64 hex digits, git-sha1 when 40). huggingface_hub's own `scan_cache_dir` checks only
//! structure; this audit hashes every blob and never follows a link that leaves the cache.

use super::{HubCode, HubError, HubFile, HubSnapshot};
use crate::finding::Finding;
use crate::ids::{GitOid, Sha256};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Component, Path, PathBuf};

/// `models--owner--name` for `owner/name`.
pub fn repo_folder_name(repo: &str) -> String {
    format!("models--{}", repo.replace('/', "--"))
}

/// `<cache>/models--owner--name`, where `cache` is the Hub cache (`$HF_HOME/hub`).
pub fn repo_dir(cache: &Path, repo: &str) -> PathBuf {
    cache.join(repo_folder_name(repo))
}

/// `$HF_HOME/hub/models--owner--name/snapshots/<commit>`: where a fetched model's files are.
pub fn snapshot_dir(hf_home: &Path, repo: &str, commit: &str) -> PathBuf {
    repo_dir(&hf_home.join("hub"), repo)
        .join("snapshots")
        .join(commit)
}

/// What a blob's name says it should hash to, and what it does: `Some((actual, algorithm))`, or
/// `None` when the name is no digest.
pub(crate) fn blob_digest(
    path: &Path,
    name: &str,
) -> std::io::Result<Option<(String, &'static str)>> {
    let lower = name.to_ascii_lowercase();
    if Sha256::is_valid(&lower) {
        let d = crate::hashing::hash_file(path, &|_| {}).map_err(|e| match e {
            crate::hashing::HashError::Io { source, .. } => source,
            other => std::io::Error::other(other.to_string()),
        })?;
        Ok(Some((d.sha256.into_string(), "sha256")))
    } else if GitOid::is_valid(&lower) {
        Ok(Some((
            crate::hashing::git_blob_id_file(path)?.into_string(),
            "git-sha1",
        )))
    } else {
        Ok(None)
    }
}

/// The result of auditing a Hub cache.
#[derive(Debug, Clone, Serialize)]
pub struct CacheAudit {
    pub hub_dir: PathBuf,
    pub repos: Vec<CachedRepo>,
    /// Problems, each with the path (relative to `hub_dir`) it is about.
    pub findings: Vec<crate::finding::Finding>,
    pub blobs_checked: usize,
}

/// One cached repo.
#[derive(Debug, Clone, Serialize)]
pub struct CachedRepo {
    /// `owner/name`.
    pub repo: String,
    /// `model`, `dataset` or `space`.
    pub repo_type: String,
    pub path: PathBuf,
    /// Ref name (`main`, `refs/pr/1`) → commit.
    pub refs: BTreeMap<String, String>,
    pub snapshots: Vec<CachedSnapshot>,
}

/// One snapshot (commit) of a cached repo.
#[derive(Debug, Clone, Serialize)]
pub struct CachedSnapshot {
    pub commit: String,
    pub path: PathBuf,
    pub files: Vec<CachedFile>,
}

/// One file of a snapshot.
#[derive(Debug, Clone, Serialize)]
pub struct CachedFile {
    /// Path in the repo, `/`-separated.
    pub path: String,
    pub size: u64,
    /// The blob it links to (`None` for a real copy, as in huggingface_hub's degraded mode).
    pub blob: Option<String>,
    /// SHA-256 of the content, where known (blob named by it, or hashed copy).
    pub sha256: Option<String>,
    /// Git blob id, where the blob is named by it.
    pub git_oid: Option<String>,
    /// Whether its bytes were verified against a digest (a blob matching its name).
    pub verified: bool,
}

/// Audits a Hub cache (`$HF_HOME/hub`) without touching the network: hashes every blob against its
/// name, checks snapshot links stay in the repo's `blobs/`, refs name existing snapshots, and
/// reports `.incomplete` and orphan blobs. Lists every cached repo's files.
pub fn audit_cache(hub_dir: &Path) -> Result<CacheAudit, HubError> {
    let mut audit = CacheAudit {
        hub_dir: hub_dir.to_path_buf(),
        repos: Vec::new(),
        findings: Vec::new(),
        blobs_checked: 0,
    };
    let mut entries: Vec<_> = fs::read_dir(hub_dir)
        .map_err(|e| HubError::io(hub_dir, e))?
        .filter_map(|e| e.ok())
        .collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') || name == "CACHEDIR.TAG" || name == "version.txt" {
            continue;
        }
        let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
        let parsed = name.split_once("--").and_then(|(kind, rest)| {
            let kind = match kind {
                "models" => "model",
                "datasets" => "dataset",
                "spaces" => "space",
                _ => return None,
            };
            (!rest.is_empty()).then(|| (kind, rest.replace("--", "/")))
        });
        match (is_dir, parsed) {
            (true, Some((kind, repo))) => {
                let r = audit_repo(hub_dir, &name, kind, &repo, &mut audit, true)?;
                audit.repos.push(r);
            }
            _ => audit.findings.push(
                Finding::new(
                    &HubCode::CacheUnexpectedEntry,
                    format!("`{name}` is not a `models--…`/`datasets--…`/`spaces--…` repo folder"),
                )
                .at(name),
            ),
        }
    }
    Ok(audit)
}

/// Audits one repo folder of the cache: its blobs, its snapshots, its refs, then the blobs no
/// snapshot uses. Findings go to `audit`. With `hash_blobs` false, blobs named by a digest are
/// only listed (offline resolution: `fetch` verifies what it uses).
fn audit_repo(
    hub_dir: &Path,
    folder: &str,
    kind: &str,
    repo: &str,
    audit: &mut CacheAudit,
    hash_blobs: bool,
) -> Result<CachedRepo, HubError> {
    let rdir = hub_dir.join(folder);
    let blobs_dir = rdir.join("blobs");
    let mut a = RepoAudit {
        hub_dir,
        rdir: &rdir,
        blobs_norm: lexical_join(&blobs_dir, Path::new(".")),
        blobs_dir,
        repo,
        audit,
        blobs: BTreeMap::new(),
        used: BTreeSet::new(),
    };
    a.check_blobs(hash_blobs)?;
    let snapshots = a.check_snapshots()?;
    let refs = a.check_refs(&snapshots);
    a.report_orphans();
    Ok(CachedRepo {
        repo: repo.to_string(),
        repo_type: kind.to_string(),
        path: rdir,
        refs,
        snapshots,
    })
}

/// A path as findings name it: relative to the cache.
fn rel_to(hub_dir: &Path, p: &Path) -> String {
    p.strip_prefix(hub_dir)
        .unwrap_or(p)
        .to_string_lossy()
        .into_owned()
}

/// One repo folder's audit as it goes: where the repo is, what its blobs are, and which of them
/// the snapshots use.
struct RepoAudit<'a> {
    hub_dir: &'a Path,
    rdir: &'a Path,
    blobs_dir: PathBuf,
    /// `blobs_dir` with `.` folded away, to compare link targets with.
    blobs_norm: PathBuf,
    repo: &'a str,
    audit: &'a mut CacheAudit,
    /// Blob name → (size, verified).
    blobs: BTreeMap<String, (u64, bool)>,
    /// The blobs some snapshot links to.
    used: BTreeSet<String>,
}

impl RepoAudit<'_> {
    /// Records a finding about `at`.
    fn flag(&mut self, finding: Finding, at: &Path) {
        self.audit
            .findings
            .push(finding.at(rel_to(self.hub_dir, at)));
    }

    /// `blobs/`: every blob hashed against its name (or listed), interrupted downloads and
    /// anything that is not a blob reported.
    fn check_blobs(&mut self, hash_blobs: bool) -> Result<(), HubError> {
        let Ok(rd) = fs::read_dir(&self.blobs_dir) else {
            return Ok(());
        };
        let mut entries: Vec<_> = rd.filter_map(|e| e.ok()).collect();
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            self.check_blob(&e, hash_blobs)?;
        }
        Ok(())
    }

    /// One entry of `blobs/`: a blob goes into [`RepoAudit::blobs`], verified when it hashes to
    /// its name.
    fn check_blob(&mut self, e: &fs::DirEntry, hash_blobs: bool) -> Result<(), HubError> {
        let repo = self.repo;
        let name = e.file_name().to_string_lossy().into_owned();
        let path = e.path();
        let ft = e.file_type().map_err(|err| HubError::io(&path, err))?;
        if name.ends_with(".incomplete") {
            let f = Finding::new(
                &HubCode::CacheIncomplete,
                format!("interrupted download `{name}` in `{repo}`"),
            );
            self.flag(f, &path);
            return Ok(());
        }
        if name.ends_with(".lock") {
            return Ok(());
        }
        if !ft.is_file() {
            let f = Finding::new(
                &HubCode::CacheUnexpectedEntry,
                format!("blob `{name}` of `{repo}` is not a regular file"),
            );
            self.flag(f, &path);
            return Ok(());
        }
        let size = e.metadata().map(|m| m.len()).unwrap_or(0);
        let lower = name.to_ascii_lowercase();
        if !hash_blobs && (Sha256::is_valid(&lower) || GitOid::is_valid(&lower)) {
            // Listing only (offline resolution): `fetch` verifies what it uses.
            self.blobs.insert(name, (size, false));
            return Ok(());
        }
        let verified = match blob_digest(&path, &name).map_err(|err| HubError::io(&path, err))? {
            None => {
                let f = Finding::new(
                    &HubCode::CacheUnexpectedEntry,
                    format!("blob `{name}` of `{repo}` is not named by a digest"),
                );
                self.flag(f, &path);
                false
            }
            Some((actual, algorithm)) => {
                self.audit.blobs_checked += 1;
                let ok = actual == lower;
                if !ok {
                    let f = Finding::new(
                        &HubCode::CacheBlobMismatch,
                        format!(
                            "blob of `{repo}` does not match its name: {algorithm} is {actual}"
                        ),
                    )
                    .with_evidence(format!("expected {name}, got {actual}"));
                    self.flag(f, &path);
                }
                ok
            }
        };
        self.blobs.insert(name, (size, verified));
        Ok(())
    }

    /// `snapshots/`: a folder per commit, each with its files checked against its
    /// `trees/<commit>.json` where there is one.
    fn check_snapshots(&mut self) -> Result<Vec<CachedSnapshot>, HubError> {
        let mut snapshots = Vec::new();
        let Ok(rd) = fs::read_dir(self.rdir.join("snapshots")) else {
            return Ok(snapshots);
        };
        let mut dirs: Vec<_> = rd.filter_map(|e| e.ok()).collect();
        dirs.sort_by_key(|e| e.file_name());
        for d in dirs {
            let commit = d.file_name().to_string_lossy().into_owned();
            let sdir = d.path();
            if !d.file_type().is_ok_and(|t| t.is_dir()) || !GitOid::is_valid(&commit) {
                let f = Finding::new(
                    &HubCode::CacheUnexpectedEntry,
                    format!(
                        "snapshot `{commit}` of `{}` is not a folder named by a commit",
                        self.repo
                    ),
                );
                self.flag(f, &sdir);
                continue;
            }
            let mut files = self.snapshot_files(&sdir)?;
            let hub_dir = self.hub_dir;
            check_tree_manifest(
                self.rdir,
                self.repo,
                &commit,
                &mut files,
                self.audit,
                &|p| rel_to(hub_dir, p),
            );
            snapshots.push(CachedSnapshot {
                commit,
                path: sdir,
                files,
            });
        }
        Ok(snapshots)
    }

    /// The files of one snapshot folder: links into `blobs/`, or real copies (hashed).
    fn snapshot_files(&mut self, sdir: &Path) -> Result<Vec<CachedFile>, HubError> {
        let mut files = Vec::new();
        for e in walkdir::WalkDir::new(sdir)
            .follow_links(false)
            .sort_by_file_name()
            .min_depth(1)
        {
            let e = match e {
                Ok(e) => e,
                Err(err) => {
                    let p = err.path().unwrap_or(sdir).to_path_buf();
                    return Err(HubError::io(&p, err.into()));
                }
            };
            if e.file_type().is_dir() {
                continue;
            }
            let path = e.path();
            let in_repo = path
                .strip_prefix(sdir)
                .expect("walked under sdir")
                .to_string_lossy()
                .replace('\\', "/");
            if e.path_is_symlink() {
                files.extend(self.linked_file(path, in_repo)?);
            } else if e.file_type().is_file() {
                files.push(copied_file(path, in_repo)?);
            } else {
                let f = Finding::new(
                    &HubCode::CacheUnexpectedEntry,
                    format!(
                        "`{in_repo}` of `{}` is neither a link nor a file",
                        self.repo
                    ),
                );
                self.flag(f, path);
            }
        }
        Ok(files)
    }

    /// A snapshot file that links to a blob, which it then uses. A link that leaves the repo's
    /// `blobs/` (never followed) or names a missing blob is a finding and no file.
    fn linked_file(
        &mut self,
        path: &Path,
        in_repo: String,
    ) -> Result<Option<CachedFile>, HubError> {
        let repo = self.repo;
        let target = fs::read_link(path).map_err(|err| HubError::io(path, err))?;
        let base = lexical_join(path.parent().expect("has parent"), Path::new("."));
        let resolved = lexical_join(&base, &target);
        if resolved.parent() != Some(self.blobs_norm.as_path()) {
            let f = Finding::new(
                &HubCode::CacheLinkOutside,
                format!("`{in_repo}` of `{repo}` links outside the repo's blobs (not followed)"),
            )
            .with_evidence(target.to_string_lossy().into_owned());
            self.flag(f, path);
            return Ok(None);
        }
        let blob = resolved
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let Some(&(size, verified)) = self.blobs.get(&blob) else {
            let f = Finding::new(
                &HubCode::CacheLinkBroken,
                format!("`{in_repo}` of `{repo}` links to missing blob `{blob}`"),
            );
            self.flag(f, path);
            return Ok(None);
        };
        self.used.insert(blob.clone());
        let lower = blob.to_ascii_lowercase();
        Ok(Some(CachedFile {
            path: in_repo,
            size,
            sha256: Sha256::is_valid(&lower).then(|| lower.clone()),
            git_oid: GitOid::is_valid(&lower).then(|| lower.clone()),
            blob: Some(blob),
            verified,
        }))
    }

    /// `refs/`: each ref by name with the commit it holds, which must have a snapshot.
    fn check_refs(&mut self, snapshots: &[CachedSnapshot]) -> BTreeMap<String, String> {
        let mut refs = BTreeMap::new();
        let refs_dir = self.rdir.join("refs");
        if !refs_dir.is_dir() {
            return refs;
        }
        for e in walkdir::WalkDir::new(&refs_dir)
            .follow_links(false)
            .sort_by_file_name()
            .min_depth(1)
            .into_iter()
            .filter_map(|e| e.ok())
        {
            if !e.file_type().is_file() {
                continue;
            }
            let name = e
                .path()
                .strip_prefix(&refs_dir)
                .expect("under refs")
                .to_string_lossy()
                .replace('\\', "/");
            let commit = fs::read_to_string(e.path())
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase();
            let known = GitOid::is_valid(&commit) && snapshots.iter().any(|s| s.commit == commit);
            if !known {
                let f = Finding::new(
                    &HubCode::CacheRefMissingSnapshot,
                    format!(
                        "ref `{name}` of `{}` names `{commit}`, which has no snapshot",
                        self.repo
                    ),
                );
                self.flag(f, e.path());
            }
            refs.insert(name, commit);
        }
        refs
    }

    /// A finding for every blob no snapshot uses.
    fn report_orphans(&mut self) {
        for blob in self.blobs.keys().filter(|b| !self.used.contains(*b)) {
            self.audit.findings.push(
                Finding::new(
                    &HubCode::CacheOrphanBlob,
                    format!("blob `{blob}` of `{}` is used by no snapshot", self.repo),
                )
                .at(rel_to(self.hub_dir, &self.blobs_dir.join(blob))),
            );
        }
    }
}

/// A real copy in a snapshot (huggingface_hub's degraded mode), hashed so it can be recorded.
fn copied_file(path: &Path, in_repo: String) -> Result<CachedFile, HubError> {
    let d = crate::hashing::hash_file(path, &|_| {}).map_err(|err| match err {
        crate::hashing::HashError::Io { path, source } => HubError::Io { path, source },
        other => HubError::io(path, std::io::Error::other(other.to_string())),
    })?;
    Ok(CachedFile {
        path: in_repo,
        size: d.size,
        blob: None,
        sha256: Some(d.sha256.into_string()),
        git_oid: None,
        verified: false,
    })
}

/// Compares a snapshot with `trees/<commit>.json` (written by huggingface_hub ≥ 1.22 and by us):
/// each file must use the blob the manifest names; the manifest fills in git blob ids of LFS files.
fn check_tree_manifest(
    rdir: &Path,
    repo: &str,
    commit: &str,
    files: &mut [CachedFile],
    audit: &mut CacheAudit,
    rel: &dyn Fn(&Path) -> String,
) {
    let path = rdir.join("trees").join(format!("{commit}.json"));
    let Ok(text) = fs::read_to_string(&path) else {
        return;
    };
    let Some(map) = serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|d| d.get("files").and_then(|f| f.as_object()).cloned())
    else {
        audit.findings.push(
            Finding::new(
                &HubCode::CacheUnexpectedEntry,
                format!("tree manifest of `{repo}` at `{commit}` is not valid JSON with `files`"),
            )
            .at(rel(&path)),
        );
        return;
    };
    for f in files.iter_mut() {
        let Some(entry) = map.get(&f.path) else {
            continue;
        };
        let blob_id = entry.get("blob_id").and_then(|v| v.as_str());
        let lfs = entry.get("lfs_sha256").and_then(|v| v.as_str());
        let expected = lfs.or(blob_id).map(str::to_ascii_lowercase);
        let actual = f.blob.as_deref().map(str::to_ascii_lowercase);
        if let (Some(e), Some(a)) = (&expected, &actual)
            && e != a
        {
            audit.findings.push(
                Finding::new(
                    &HubCode::CacheTreeMismatch,
                    format!(
                        "`{}` of `{repo}` at `{commit}` uses blob {a}; the tree manifest lists {e}",
                        f.path
                    ),
                )
                .at(rel(&rdir.join("snapshots").join(commit).join(&f.path))),
            );
            f.verified = false;
            continue;
        }
        if f.git_oid.is_none() {
            f.git_oid = blob_id
                .filter(|b| GitOid::is_valid(b))
                .map(str::to_ascii_lowercase);
        }
    }
}

/// `base` joined with `target`, with `.`/`..` folded away without touching the file system (so a
/// link is judged by where it points, never followed).
fn lexical_join(base: &Path, target: &Path) -> PathBuf {
    let joined = if target.is_absolute() {
        target.to_path_buf()
    } else {
        base.join(target)
    };
    let mut out = PathBuf::new();
    for c in joined.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// Resolves `repo` at `revision` from the cache alone (for `--offline`): a commit id as is, else
/// `refs/<revision>`; files from `trees/<commit>.json` when present, else from the snapshot links.
pub(crate) fn resolve_offline(
    cache: &Path,
    repo: &str,
    revision: &str,
) -> Result<HubSnapshot, HubError> {
    let rdir = repo_dir(cache, repo);
    let not_cached = || HubError::NotCached {
        repo: repo.to_string(),
        revision: revision.to_string(),
        cache: cache.to_path_buf(),
    };
    let commit = if GitOid::is_valid(revision) {
        revision.to_ascii_lowercase()
    } else {
        if super::unsafe_path_reason(revision).is_some() {
            return Err(not_cached());
        }
        fs::read_to_string(rdir.join("refs").join(revision))
            .map_err(|_| not_cached())?
            .trim()
            .to_ascii_lowercase()
    };
    let sdir = rdir.join("snapshots").join(&commit);
    if !GitOid::is_valid(&commit) || !sdir.is_dir() {
        return Err(not_cached());
    }
    let mut files: Vec<HubFile> = Vec::new();
    let tree_path = rdir.join("trees").join(format!("{commit}.json"));
    if let Ok(text) = fs::read_to_string(&tree_path)
        && let Ok(doc) = serde_json::from_str::<serde_json::Value>(&text)
        && let Some(map) = doc.get("files").and_then(|f| f.as_object())
    {
        for (path, e) in map {
            super::check_path(repo, path)?;
            let git_oid = e
                .get("blob_id")
                .and_then(|v| v.as_str())
                .unwrap_or("")
                .to_string();
            let sha256 = e
                .get("lfs_sha256")
                .and_then(|v| v.as_str())
                .map(str::to_string);
            files.push(HubFile {
                path: path.clone(),
                size: e.get("size").and_then(|v| v.as_u64()).unwrap_or(0),
                git_oid,
                lfs: sha256.is_some(),
                sha256,
            });
        }
    } else {
        let audit_dir = cache;
        let folder = super::repo_folder_name(repo);
        let mut scratch = CacheAudit {
            hub_dir: audit_dir.to_path_buf(),
            repos: Vec::new(),
            findings: Vec::new(),
            blobs_checked: 0,
        };
        let r = audit_repo(audit_dir, &folder, "model", repo, &mut scratch, false)?;
        let snap = r
            .snapshots
            .into_iter()
            .find(|s| s.commit == commit)
            .ok_or_else(not_cached)?;
        for f in snap.files {
            files.push(HubFile {
                path: f.path,
                size: f.size,
                git_oid: f.git_oid.unwrap_or_default(),
                lfs: f.sha256.is_some(),
                sha256: f.sha256,
            });
        }
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    let mut snapshot = HubSnapshot {
        repo: repo.to_string(),
        commit,
        requested_revision: revision.to_string(),
        card_data: None,
        tags: Vec::new(),
        gated: None,
        last_modified: None,
        files,
        small_files: Vec::new(),
    };
    snapshot.read_small_files(|f| Ok::<_, HubError>(fs::read(sdir.join(&f.path)).ok()))?;
    Ok(snapshot)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hashing::sha256_hex;

    fn codes(a: &CacheAudit) -> Vec<&str> {
        a.findings.iter().map(|f| f.code.as_str()).collect()
    }

    /// A cache with one healthy repo: a config (git-sha1 blob) and weights (sha256 blob).
    fn healthy(hub: &Path) -> (PathBuf, String, String) {
        let rdir = hub.join("models--acme--tiny");
        let commit = "c".repeat(40);
        let cfg = b"{\"a\": 1}\n";
        let weights = vec![7u8; 1000];
        let cfg_id = crate::hashing::git_blob_id(cfg).into_string();
        let w_id = sha256_hex(&weights);
        fs::create_dir_all(rdir.join("blobs")).unwrap();
        fs::create_dir_all(rdir.join("snapshots").join(&commit).join("sub")).unwrap();
        fs::create_dir_all(rdir.join("refs")).unwrap();
        fs::write(rdir.join("blobs").join(&cfg_id), cfg).unwrap();
        fs::write(rdir.join("blobs").join(&w_id), &weights).unwrap();
        let s = rdir.join("snapshots").join(&commit);
        std::os::unix::fs::symlink(format!("../../blobs/{cfg_id}"), s.join("config.json")).unwrap();
        std::os::unix::fs::symlink(
            format!("../../../blobs/{w_id}"),
            s.join("sub/model.safetensors"),
        )
        .unwrap();
        fs::write(rdir.join("refs/main"), &commit).unwrap();
        (rdir, commit, w_id)
    }

    #[test]
    fn healthy_cache_has_no_findings_and_lists_files() {
        let dir = tempfile::tempdir().unwrap();
        let (_, commit, w_id) = healthy(dir.path());
        fs::write(dir.path().join("CACHEDIR.TAG"), "Signature: x").unwrap();
        let a = audit_cache(dir.path()).unwrap();
        assert!(a.findings.is_empty(), "{:?}", a.findings);
        assert_eq!(a.blobs_checked, 2);
        let r = &a.repos[0];
        assert_eq!(r.repo, "acme/tiny");
        assert_eq!(r.refs["main"], commit);
        let files = &r.snapshots[0].files;
        assert_eq!(files.len(), 2);
        let w = files
            .iter()
            .find(|f| f.path == "sub/model.safetensors")
            .unwrap();
        assert_eq!(w.sha256.as_deref(), Some(w_id.as_str()));
        assert!(w.verified);
        assert_eq!(w.size, 1000);
    }

    #[test]
    fn every_problem_is_found() {
        let dir = tempfile::tempdir().unwrap();
        let (rdir, commit, w_id) = healthy(dir.path());
        // Corrupt the weights blob.
        fs::write(rdir.join("blobs").join(&w_id), vec![8u8; 1000]).unwrap();
        // Orphan blob, interrupted download.
        let orphan = b"orphan";
        fs::write(rdir.join("blobs").join(sha256_hex(orphan)), orphan).unwrap();
        fs::write(
            rdir.join("blobs")
                .join(format!("{}.incomplete", "d".repeat(64))),
            b"x",
        )
        .unwrap();
        // Links leaving the cache and pointing nowhere.
        let s = rdir.join("snapshots").join(&commit);
        std::os::unix::fs::symlink("../../../../../etc/passwd", s.join("evil")).unwrap();
        std::os::unix::fs::symlink("/etc/passwd", s.join("abs")).unwrap();
        std::os::unix::fs::symlink(format!("../../blobs/{}", "e".repeat(64)), s.join("gone"))
            .unwrap();
        // A ref to a missing snapshot; a stray file.
        fs::create_dir_all(rdir.join("refs/refs/pr")).unwrap();
        fs::write(rdir.join("refs/refs/pr/1"), "f".repeat(40)).unwrap();
        fs::write(dir.path().join("stray.txt"), "x").unwrap();
        let a = audit_cache(dir.path()).unwrap();
        let c = codes(&a);
        for want in [
            "hf-cache-blob-mismatch",
            "hf-cache-orphan-blob",
            "hf-cache-incomplete",
            "hf-cache-link-outside",
            "hf-cache-link-broken",
            "hf-cache-ref-missing-snapshot",
            "hf-cache-unexpected-entry",
        ] {
            assert!(c.contains(&want), "{want} missing from {c:?}");
        }
        assert_eq!(
            c.iter().filter(|c| **c == "hf-cache-link-outside").count(),
            2
        );
        let r = &a.repos[0];
        assert_eq!(r.refs["refs/pr/1"], "f".repeat(40));
        let w = r.snapshots[0]
            .files
            .iter()
            .find(|f| f.path == "sub/model.safetensors")
            .unwrap();
        assert!(!w.verified);
    }

    #[test]
    fn tree_manifest_is_checked_and_fills_git_ids() {
        let dir = tempfile::tempdir().unwrap();
        let (rdir, commit, w_id) = healthy(dir.path());
        fs::create_dir_all(rdir.join("trees")).unwrap();
        let tree = serde_json::json!({"format_version": 1, "files": {
            "sub/model.safetensors": {"size": 1000, "blob_id": "a".repeat(40), "lfs_sha256": w_id},
            "config.json": {"size": 9, "blob_id": "b".repeat(40)},
        }});
        fs::write(rdir.join(format!("trees/{commit}.json")), tree.to_string()).unwrap();
        let a = audit_cache(dir.path()).unwrap();
        assert_eq!(codes(&a), vec!["hf-cache-tree-mismatch"]);
        assert!(
            a.findings[0]
                .path
                .as_deref()
                .unwrap()
                .ends_with("config.json")
        );
        let w = a.repos[0].snapshots[0]
            .files
            .iter()
            .find(|f| f.path == "sub/model.safetensors")
            .unwrap();
        assert_eq!(w.git_oid.as_deref(), Some("a".repeat(40).as_str()));
        assert!(w.verified);
    }

    #[test]
    fn offline_resolution_reads_links() {
        let dir = tempfile::tempdir().unwrap();
        let (_, commit, w_id) = healthy(dir.path());
        let snap = resolve_offline(dir.path(), "acme/tiny", "main").unwrap();
        assert_eq!(snap.commit, commit);
        assert_eq!(snap.files.len(), 2);
        assert_eq!(snap.files[1].sha256.as_deref(), Some(w_id.as_str()));
        assert_eq!(snap.small_files.len(), 1);
        assert!(matches!(
            resolve_offline(dir.path(), "acme/other", "main"),
            Err(HubError::NotCached { .. })
        ));
        let p = snapshot_dir(Path::new("/h"), "acme/tiny", &commit);
        assert_eq!(
            p,
            PathBuf::from(format!("/h/hub/models--acme--tiny/snapshots/{commit}"))
        );
    }
}
