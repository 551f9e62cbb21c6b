//! Fetching a pinned snapshot into the Hugging Face cache, verifying each file as it streams.
//!
//! Layout (the one huggingface_hub and hf-hub read): `blobs/<sha256 or git-sha1>`,
//! `snapshots/<commit>/<path>` as relative symlinks to `../../blobs/<name>`, `refs/<branch>`
//! holding the commit, `trees/<commit>.json` with the expected hashes. Bytes go to
//! `blobs/<name>.incomplete` first and are renamed into place only once their digest matches.

use super::api::{etag_value, header_str};
use super::cache::{blob_digest, repo_dir};
use super::{HubClient, HubError, HubFile, HubSnapshot, check_path};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;
use sha2::Digest;
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// What `fetch` did.
#[derive(Debug, Clone, Serialize)]
pub struct FetchReport {
    pub repo: String,
    pub commit: String,
    /// `…/models--owner--name/snapshots/<commit>`.
    pub snapshot_dir: PathBuf,
    pub files: Vec<FetchedFile>,
    /// Bytes received over the network.
    pub bytes_downloaded: u64,
}

impl FetchReport {
    /// Whether any file's bytes did not match its digest (it was not put in place).
    pub fn has_mismatches(&self) -> bool {
        self.files.iter().any(|f| f.status == FetchStatus::Mismatch)
    }
}

/// One file of a fetch.
#[derive(Debug, Clone, Serialize)]
pub struct FetchedFile {
    pub path: String,
    pub size: u64,
    /// The blob's name in the cache (its SHA-256, or its git blob id for regular files).
    pub blob: String,
    pub status: FetchStatus,
    /// Why a file is `mismatch`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// How a file ended up in the cache (or did not).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FetchStatus {
    /// Downloaded and verified.
    Downloaded,
    /// Completed from an earlier `.incomplete` download, then verified.
    Resumed,
    /// Already in the cache; re-hashed and verified.
    Cached,
    /// The bytes the Hub sent do not match its digest; nothing was left in place.
    Mismatch,
}

/// Streaming digest of a file: SHA-256 for LFS files, git-sha1 (`blob <size>\0` + bytes) else.
enum Verifier {
    Sha256(sha2::Sha256),
    GitSha1(sha1::Sha1),
}

impl Verifier {
    fn new(file: &HubFile) -> Verifier {
        if file.sha256.is_some() {
            Verifier::Sha256(sha2::Sha256::new())
        } else {
            let mut h = sha1::Sha1::new();
            sha1::Digest::update(&mut h, format!("blob {}\0", file.size).as_bytes());
            Verifier::GitSha1(h)
        }
    }
    fn update(&mut self, bytes: &[u8]) {
        match self {
            Verifier::Sha256(h) => h.update(bytes),
            Verifier::GitSha1(h) => sha1::Digest::update(h, bytes),
        }
    }
    fn finish(self) -> String {
        match self {
            Verifier::Sha256(h) => hex::encode(h.finalize()),
            Verifier::GitSha1(h) => hex::encode(sha1::Digest::finalize(h)),
        }
    }
    fn algorithm(&self) -> &'static str {
        match self {
            Verifier::Sha256(_) => "sha256",
            Verifier::GitSha1(_) => "git-sha1",
        }
    }
}

/// A download that failed: the bytes were wrong (a finding for this file) or we could not get them.
enum DownloadError {
    Mismatch(HubError),
    Fatal(HubError),
}

pub(crate) fn fetch(
    client: &HubClient,
    snapshot: &HubSnapshot,
    include: &[String],
    progress: bool,
) -> Result<FetchReport, HubError> {
    let globs = build_globs(include)?;
    let selected: Vec<&HubFile> = snapshot
        .files
        .iter()
        .filter(|f| globs.as_ref().is_none_or(|g| g.is_match(&f.path)))
        .collect();
    let repo = &snapshot.repo;
    let rdir = repo_dir(client.cache_dir(), repo);
    let snap_dir = rdir.join("snapshots").join(&snapshot.commit);
    let blobs = rdir.join("blobs");
    for f in &selected {
        check_path(repo, &f.path)?;
        let name = f.blob_name();
        if !(crate::ids::GitOid::is_valid(name) || crate::ids::Sha256::is_valid(name)) {
            return Err(HubError::BadResponse {
                url: client
                    .resolve_url(repo, &snapshot.commit, &f.path)
                    .to_string(),
                detail: format!("`{}` has no usable digest to name its blob", f.path),
            });
        }
    }
    if !client.is_offline() {
        for d in [&blobs, &snap_dir] {
            fs::create_dir_all(d).map_err(|e| HubError::io(d, e))?;
        }
        write_cachedir_tag(client.cache_dir());
    }
    let total: u64 = selected.iter().map(|f| f.size).sum();
    let bar = if progress {
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template(
                "{msg:30!} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} {eta}",
            )
            .expect("valid template")
            .progress_chars("=> "),
        );
        bar
    } else {
        ProgressBar::hidden()
    };
    let mut report = FetchReport {
        repo: repo.clone(),
        commit: snapshot.commit.clone(),
        snapshot_dir: snap_dir.clone(),
        files: Vec::new(),
        bytes_downloaded: 0,
    };
    for f in selected {
        bar.set_message(f.path.clone());
        let name = f.blob_name().to_string();
        let blob = blobs.join(&name);
        let mut entry = FetchedFile {
            path: f.path.clone(),
            size: f.size,
            blob: name.clone(),
            status: FetchStatus::Cached,
            error: None,
        };
        // Another process fetching the same blob waits here; huggingface_hub takes the same lock
        // (`.locks/<repo folder>/<blob>.lock`, flock), so the two never interleave a download.
        let _lock = if client.is_offline() {
            None
        } else {
            Some(lock_blob(client.cache_dir(), &rdir, &name)?)
        };
        let cached_ok = if blob.is_file() {
            match blob_digest(&blob, &name) {
                Ok(Some((actual, _))) if actual == name => true,
                _ => {
                    if client.is_offline() {
                        entry.status = FetchStatus::Mismatch;
                        entry.error = Some("the cached blob does not hash to its name".into());
                        report.files.push(entry);
                        continue;
                    }
                    // A wrong blob must not stay in place: drop it and download again.
                    fs::remove_file(&blob).map_err(|e| HubError::io(&blob, e))?;
                    false
                }
            }
        } else {
            false
        };
        if cached_ok {
            bar.inc(f.size);
        } else if client.is_offline() {
            return Err(HubError::NotCached {
                repo: repo.clone(),
                revision: format!("{} (file `{}`)", snapshot.commit, f.path),
                cache: client.cache_dir().to_path_buf(),
            });
        } else {
            match download_blob(
                client,
                snapshot,
                f,
                &blob,
                &bar,
                &mut report.bytes_downloaded,
            ) {
                Ok(resumed) => {
                    entry.status = if resumed {
                        FetchStatus::Resumed
                    } else {
                        FetchStatus::Downloaded
                    };
                }
                Err(DownloadError::Mismatch(e)) => {
                    entry.status = FetchStatus::Mismatch;
                    entry.error = Some(e.to_string());
                    tracing::warn!("{e}");
                    report.files.push(entry);
                    continue;
                }
                Err(DownloadError::Fatal(e)) => {
                    bar.finish_and_clear();
                    return Err(e);
                }
            }
        }
        if !client.is_offline() {
            link_snapshot(&snap_dir, &f.path, &name)?;
        }
        report.files.push(entry);
    }
    bar.finish_and_clear();
    if !client.is_offline() {
        write_ref(&rdir, &snapshot.requested_revision, &snapshot.commit)?;
        write_tree(&rdir, snapshot)?;
    }
    Ok(report)
}

fn lock_blob(cache: &Path, rdir: &Path, blob: &str) -> Result<File, HubError> {
    let folder = rdir.file_name().expect("repo folder has a name");
    let dir = cache.join(".locks").join(folder);
    fs::create_dir_all(&dir).map_err(|e| HubError::io(&dir, e))?;
    let path = dir.join(format!("{blob}.lock"));
    let f = OpenOptions::new()
        .create(true)
        .write(true)
        .truncate(false)
        .open(&path)
        .map_err(|e| HubError::io(&path, e))?;
    f.lock().map_err(|e| HubError::io(&path, e))?;
    Ok(f)
}

/// Checks `--include` globs before anything is fetched.
pub fn validate_include(include: &[String]) -> Result<(), HubError> {
    build_globs(include).map(|_| ())
}

fn build_globs(include: &[String]) -> Result<Option<globset::GlobSet>, HubError> {
    if include.is_empty() {
        return Ok(None);
    }
    let mut b = globset::GlobSetBuilder::new();
    for g in include {
        let glob = globset::GlobBuilder::new(g)
            .literal_separator(false)
            .build()
            .map_err(|source| HubError::Glob {
                glob: g.clone(),
                source,
            })?;
        b.add(glob);
    }
    b.build().map(Some).map_err(|source| HubError::Glob {
        glob: include.join(", "),
        source,
    })
}

/// Downloads one file to `blob`, resuming a `.incomplete` left by an earlier run. Returns whether
/// it resumed.
fn download_blob(
    client: &HubClient,
    snapshot: &HubSnapshot,
    file: &HubFile,
    blob: &Path,
    bar: &ProgressBar,
    downloaded: &mut u64,
) -> Result<bool, DownloadError> {
    let fatal = DownloadError::Fatal;
    let incomplete = PathBuf::from(format!("{}.incomplete", blob.display()));
    let url = client.resolve_url(&snapshot.repo, &snapshot.commit, &file.path);
    let expected = file.blob_name().to_string();
    // Round 0 may start from an earlier `.incomplete`; if that ends in a mismatch the earlier
    // bytes may be the culprit, so round 1 starts over from nothing.
    for round in 0..2 {
        if round == 1 {
            let _ = fs::remove_file(&incomplete);
        }
        let mut verifier = Verifier::new(file);
        let mut offset = 0u64;
        if incomplete.exists() {
            offset = fs::metadata(&incomplete)
                .map_err(|e| fatal(HubError::io(&incomplete, e)))?
                .len();
            if offset > file.size {
                fs::remove_file(&incomplete).map_err(|e| fatal(HubError::io(&incomplete, e)))?;
                offset = 0;
            } else {
                feed_prefix(&incomplete, &mut verifier)
                    .map_err(|e| fatal(HubError::io(&incomplete, e)))?;
            }
        }
        let resumed = offset > 0;
        bar.inc(offset);
        let mut last = String::new();
        // A `.incomplete` already holding every byte (interrupted before the rename) needs no request.
        let mut complete = offset == file.size && offset > 0;
        for attempt in 0..super::ATTEMPTS {
            if complete {
                break;
            }
            if attempt > 0 {
                std::thread::sleep(client.backoff * 2u32.pow(attempt - 1));
            }
            match stream_once(
                client,
                snapshot,
                file,
                &url,
                &incomplete,
                &mut verifier,
                &mut offset,
                bar,
                downloaded,
            ) {
                Ok(()) => {
                    complete = true;
                    break;
                }
                Err(Step::Retry(why)) => {
                    tracing::info!(
                        "{url}: {why}; attempt {} of {}",
                        attempt + 1,
                        super::ATTEMPTS
                    );
                    last = why;
                }
                Err(Step::Fatal(e)) => return Err(fatal(e)),
                Err(Step::Mismatch(e)) => {
                    let _ = fs::remove_file(&incomplete);
                    return Err(DownloadError::Mismatch(e));
                }
            }
        }
        if !complete {
            // The partial bytes stay as `.incomplete` (never as the blob) for a later resume.
            return Err(fatal(HubError::Unavailable {
                url: url.to_string(),
                attempts: super::ATTEMPTS,
                last,
            }));
        }
        let algorithm = verifier.algorithm();
        let actual = verifier.finish();
        if actual == expected {
            let f = File::open(&incomplete).map_err(|e| fatal(HubError::io(&incomplete, e)))?;
            f.sync_all()
                .map_err(|e| fatal(HubError::io(&incomplete, e)))?;
            fs::rename(&incomplete, blob).map_err(|e| fatal(HubError::io(blob, e)))?;
            return Ok(resumed);
        }
        let _ = fs::remove_file(&incomplete);
        if !resumed || round == 1 {
            return Err(DownloadError::Mismatch(HubError::DigestMismatch {
                repo: snapshot.repo.clone(),
                path: file.path.clone(),
                algorithm,
                expected,
                actual,
            }));
        }
        bar.set_position(bar.position().saturating_sub(file.size));
    }
    unreachable!("round 1 always returns")
}

enum Step {
    Retry(String),
    Fatal(HubError),
    Mismatch(HubError),
}

fn feed_prefix(path: &Path, verifier: &mut Verifier) -> std::io::Result<()> {
    let mut f = File::open(path)?;
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            return Ok(());
        }
        verifier.update(&buf[..n]);
    }
}

/// One GET of the rest of the file, appended to `.incomplete` and fed to `verifier`.
#[allow(clippy::too_many_arguments)]
fn stream_once(
    client: &HubClient,
    snapshot: &HubSnapshot,
    file: &HubFile,
    url: &reqwest::Url,
    incomplete: &Path,
    verifier: &mut Verifier,
    offset: &mut u64,
    bar: &ProgressBar,
    downloaded: &mut u64,
) -> Result<(), Step> {
    let ans = match client.get_once(url, Some(*offset)) {
        Ok(a) => a,
        Err(super::api::OnceError::Retry(why)) => return Err(Step::Retry(why)),
        Err(super::api::OnceError::Fatal(e)) => return Err(Step::Fatal(e)),
    };
    let status = ans.response.status().as_u16();
    let restart = match status {
        200 => *offset > 0,
        206 => {
            let range = header_str(ans.response.headers(), "content-range").unwrap_or_default();
            !range.starts_with(&format!("bytes {}-", *offset))
        }
        416 => {
            // Our partial file is no prefix the server knows: start over on the next attempt.
            let _ = fs::remove_file(incomplete);
            bar.set_position(bar.position().saturating_sub(*offset));
            *offset = 0;
            *verifier = Verifier::new(file);
            return Err(Step::Retry("HTTP 416 for a resumed range".into()));
        }
        _ => {
            return Err(Step::Fatal(client.status_error(
                &snapshot.repo,
                &snapshot.commit,
                Some(&file.path),
                url,
                &ans.hub_headers,
                status,
            )));
        }
    };
    let h = &ans.hub_headers;
    if let Some(commit) = header_str(h, "x-repo-commit")
        && !commit.eq_ignore_ascii_case(&snapshot.commit)
    {
        return Err(Step::Fatal(HubError::BadResponse {
            url: url.to_string(),
            detail: format!("served commit {commit}, pinned {}", snapshot.commit),
        }));
    }
    let etag = etag_value(h, "x-linked-etag").or_else(|| etag_value(h, "etag"));
    if let Some(etag) = etag
        && etag != file.blob_name()
    {
        return Err(Step::Mismatch(HubError::DigestMismatch {
            repo: snapshot.repo.clone(),
            path: file.path.clone(),
            algorithm: if file.lfs {
                "sha256 (ETag)"
            } else {
                "git-sha1 (ETag)"
            },
            expected: file.blob_name().to_string(),
            actual: etag,
        }));
    }
    if let Some(size) = header_str(h, "x-linked-size").and_then(|s| s.parse::<u64>().ok())
        && size != file.size
    {
        return Err(Step::Mismatch(HubError::SizeMismatch {
            repo: snapshot.repo.clone(),
            path: file.path.clone(),
            expected: file.size,
            actual: size,
        }));
    }
    if restart {
        bar.set_position(bar.position().saturating_sub(*offset));
        *offset = 0;
        *verifier = Verifier::new(file);
    }
    let io_fatal = |e| Step::Fatal(HubError::io(incomplete, e));
    let mut out = OpenOptions::new()
        .create(true)
        .write(true)
        .truncate(restart || *offset == 0)
        .open(incomplete)
        .map_err(io_fatal)?;
    if *offset > 0 {
        use std::io::Seek;
        out.seek(std::io::SeekFrom::Start(*offset))
            .map_err(io_fatal)?;
    }
    let mut resp = ans.response;
    let mut buf = vec![0u8; 256 << 10];
    loop {
        let n = match resp.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                out.flush().map_err(io_fatal)?;
                return Err(Step::Retry(format!(
                    "body broke off after {} of {} bytes: {e}",
                    *offset, file.size
                )));
            }
        };
        if *offset + n as u64 > file.size {
            drop(out);
            let _ = fs::remove_file(incomplete);
            return Err(Step::Mismatch(HubError::SizeMismatch {
                repo: snapshot.repo.clone(),
                path: file.path.clone(),
                expected: file.size,
                actual: *offset + n as u64,
            }));
        }
        out.write_all(&buf[..n]).map_err(io_fatal)?;
        verifier.update(&buf[..n]);
        *offset += n as u64;
        *downloaded += n as u64;
        bar.inc(n as u64);
    }
    out.flush().map_err(io_fatal)?;
    if *offset < file.size {
        return Err(Step::Retry(format!(
            "body ended after {} of {} bytes",
            *offset, file.size
        )));
    }
    Ok(())
}

/// Points `snapshots/<commit>/<path>` at `../../blobs/<name>` (one more `../` per directory).
fn link_snapshot(snap_dir: &Path, path: &str, blob_name: &str) -> Result<(), HubError> {
    let link = snap_dir.join(path);
    let parent = link.parent().expect("a joined path has a parent");
    fs::create_dir_all(parent).map_err(|e| HubError::io(parent, e))?;
    let depth = path.split('/').count() - 1;
    let target = format!("{}../../blobs/{blob_name}", "../".repeat(depth));
    if let Ok(existing) = fs::read_link(&link)
        && existing == Path::new(&target)
    {
        return Ok(());
    }
    let tmp = parent.join(format!(
        ".{}.modelvet-tmp",
        link.file_name().expect("file name").to_string_lossy()
    ));
    let _ = fs::remove_file(&tmp);
    make_link(
        &target,
        &tmp,
        &snap_dir.join("../..").join("blobs").join(blob_name),
    )
    .map_err(|e| HubError::io(&tmp, e))?;
    fs::rename(&tmp, &link).map_err(|e| HubError::io(&link, e))
}

#[cfg(unix)]
fn make_link(target: &str, link: &Path, _blob: &Path) -> std::io::Result<()> {
    std::os::unix::fs::symlink(target, link)
}

#[cfg(not(unix))]
fn make_link(_target: &str, link: &Path, blob: &Path) -> std::io::Result<()> {
    // huggingface_hub's "degraded mode" where symlinks are unavailable: a real copy.
    fs::copy(blob, link).map(|_| ())
}

/// Writes `refs/<revision>` = commit for a branch or tag name (not when a commit was asked).
fn write_ref(rdir: &Path, revision: &str, commit: &str) -> Result<(), HubError> {
    if crate::ids::GitOid::is_valid(revision) || super::unsafe_path_reason(revision).is_some() {
        return Ok(());
    }
    let path = rdir.join("refs").join(revision);
    write_atomic(&path, commit.as_bytes())
}

/// `trees/<commit>.json` as huggingface_hub writes it: the expected hashes of every file, an
/// offline manifest for later audits.
fn write_tree(rdir: &Path, snapshot: &HubSnapshot) -> Result<(), HubError> {
    let mut files = serde_json::Map::new();
    for f in &snapshot.files {
        let mut e = serde_json::Map::new();
        e.insert("size".into(), f.size.into());
        e.insert("blob_id".into(), f.git_oid.clone().into());
        if let Some(sha) = &f.sha256 {
            e.insert("lfs_sha256".into(), sha.clone().into());
            e.insert("lfs_size".into(), f.size.into());
        }
        files.insert(f.path.clone(), e.into());
    }
    let doc = serde_json::json!({ "format_version": 1, "files": files });
    let path = rdir.join("trees").join(format!("{}.json", snapshot.commit));
    write_atomic(&path, doc.to_string().as_bytes())
}

fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), HubError> {
    let parent = path.parent().expect("has parent");
    fs::create_dir_all(parent).map_err(|e| HubError::io(parent, e))?;
    let tmp = PathBuf::from(format!("{}.modelvet-tmp", path.display()));
    fs::write(&tmp, bytes).map_err(|e| HubError::io(&tmp, e))?;
    fs::rename(&tmp, path).map_err(|e| HubError::io(path, e))
}

/// The bford cache-directory tag huggingface_hub writes, so backup tools skip the cache.
fn write_cachedir_tag(cache: &Path) {
    let tag = cache.join("CACHEDIR.TAG");
    if !tag.exists() {
        let _ = fs::write(
            tag,
            "Signature: 8a477f597d28d172789f06886806bc55\n# This file is a cache directory tag created by modelvet for the Hugging Face Hub cache.\n",
        );
    }
}
