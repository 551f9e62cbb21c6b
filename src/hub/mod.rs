//! Hugging Face Hub client: pin a repo to a commit, list its files with their digests, fetch them
//! into the standard Hugging Face cache while verifying every byte, and audit a cache offline.
//!
//! Why our own HTTP code on reqwest rather than hf-hub's downloader: hf-hub 1.0 never checks a
//! digest, renames a download into `blobs/` before anyone could check it (so a wrong file would be
//! left in place), drops the tree API's `lfs.oid` (its struct has no serde renames), and its
//! `get_file_metadata` reads the CDN's headers after following an absolute redirect. We need the
//! `resolve` headers of the 302 itself and full control over where the token goes. hf-hub still
//! serves for what it does well here: locating the cache (`HF_HUB_CACHE`/`HF_HOME`/XDG) — and the
//! cache we write is the layout it (and huggingface_hub) reads.

mod api;
pub use api::RefStatus;
mod cache;
mod download;

pub use cache::{
    CacheAudit, CachedFile, CachedRepo, CachedSnapshot, audit_cache, repo_dir, repo_folder_name,
    snapshot_dir,
};
pub use download::{FetchReport, FetchStatus, FetchedFile, validate_include};

use reqwest::Url;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::Duration;

crate::finding_codes! {
    /// Finding codes of the Hugging Face cache audit.
    pub enum HubCode {
        CacheBlobMismatch = "hf-cache-blob-mismatch", High, "a blob in the Hugging Face cache does not hash to the digest in its own name";
        CacheLinkOutside = "hf-cache-link-outside", High, "a snapshot symlink in the Hugging Face cache points outside the repo's blobs (not followed)";
        CacheLinkBroken = "hf-cache-link-broken", Medium, "a snapshot symlink in the Hugging Face cache points to a missing blob";
        CacheRefMissingSnapshot = "hf-cache-ref-missing-snapshot", Medium, "a ref in the Hugging Face cache names a commit that has no snapshot (or is not a commit id)";
        CacheTreeMismatch = "hf-cache-tree-mismatch", High, "a snapshot file in the Hugging Face cache uses another blob than `trees/<commit>.json` lists";
        CacheIncomplete = "hf-cache-incomplete", Low, "an interrupted download (`.incomplete`) is left in the Hugging Face cache";
        CacheOrphanBlob = "hf-cache-orphan-blob", Info, "a blob in the Hugging Face cache is used by no snapshot";
        CacheUnexpectedEntry = "hf-cache-unexpected-entry", Low, "an entry in the Hugging Face cache does not fit its layout (odd name or file type)";
    }
}

/// How many times a request is tried when the Hub answers 5xx/429 or times out.
const ATTEMPTS: u32 = 3;
/// Default per-read timeout, as huggingface_hub's `HF_HUB_DOWNLOAD_TIMEOUT`.
const DEFAULT_TIMEOUT_SECS: f64 = 10.0;

/// Errors talking to the Hub or using the cache.
#[derive(Debug, thiserror::Error)]
pub enum HubError {
    #[error("`{0}` is not a Hub repo id (expected OWNER/NAME)")]
    InvalidRepo(String),
    #[error("`HF_ENDPOINT` value `{0}` is not a URL")]
    InvalidEndpoint(String),
    #[error("refused file name `{path}` in `{repo}`: {reason}")]
    UnsafePath {
        repo: String,
        path: String,
        reason: &'static str,
    },
    #[error(
        "repo `{repo}` not found on the Hub ({url}); if it is private, set HF_TOKEN to a token with access"
    )]
    RepoNotFound { repo: String, url: String },
    #[error(
        "revision `{revision}` of `{repo}` not found on the Hub: it never existed or no longer exists (history rewritten or branch deleted)"
    )]
    RevisionNotFound { repo: String, revision: String },
    #[error("file `{path}` not found in `{repo}` at `{commit}`")]
    EntryNotFound {
        repo: String,
        commit: String,
        path: String,
    },
    #[error("access to `{repo}` denied (HTTP {status}): {hint}")]
    AccessDenied {
        repo: String,
        status: u16,
        hint: String,
    },
    #[error("the Hub answered HTTP {status} for `{url}`")]
    Status { url: String, status: u16 },
    #[error("`{url}` failed after {attempts} attempts: {last}")]
    Unavailable {
        url: String,
        attempts: u32,
        last: String,
    },
    #[error("request to `{url}` failed")]
    Http {
        url: String,
        #[source]
        source: reqwest::Error,
    },
    #[error("unexpected answer from `{url}`: {detail}")]
    BadResponse { url: String, detail: String },
    #[error(
        "`{path}` of `{repo}` does not match its digest: expected {algorithm} {expected}, got {actual}"
    )]
    DigestMismatch {
        repo: String,
        path: String,
        algorithm: &'static str,
        expected: String,
        actual: String,
    },
    #[error("`{path}` of `{repo}` has {actual} bytes, the Hub lists {expected}")]
    SizeMismatch {
        repo: String,
        path: String,
        expected: u64,
        actual: u64,
    },
    #[error(
        "`{repo}` at `{revision}` is not in the Hugging Face cache `{cache}` and offline mode (`--offline` or `HF_HUB_OFFLINE`) forbids the network"
    )]
    NotCached {
        repo: String,
        revision: String,
        cache: PathBuf,
    },
    #[error("cannot use `{path}`")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("invalid `--include` glob `{glob}`")]
    Glob {
        glob: String,
        #[source]
        source: globset::Error,
    },
}

impl HubError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> HubError {
        HubError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// One file of a Hub repo at a commit, as the tree API lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HubFile {
    /// Path in the repo, `/`-separated, checked to stay inside it.
    pub path: String,
    /// Real size in bytes (for LFS files the content, not the pointer).
    pub size: u64,
    /// Git blob id (sha1 of `blob <size>\0` + content; for LFS files, of the pointer).
    pub git_oid: String,
    /// SHA-256 of the content, for LFS files (the Hub's `lfs.oid`).
    pub sha256: Option<String>,
    pub lfs: bool,
}

impl HubFile {
    /// The name of this file's blob in the cache: the SHA-256 for LFS files, else the git blob id.
    pub fn blob_name(&self) -> &str {
        self.sha256.as_deref().unwrap_or(&self.git_oid)
    }
}

/// A Hub repo pinned to a commit: metadata, every file with its digests, and the small text files
/// (card, license, configs) that ingest reads.
#[derive(Debug, Clone, Serialize)]
pub struct HubSnapshot {
    /// `owner/name`.
    pub repo: String,
    /// The 40-hex commit the revision resolved to; never a branch name.
    pub commit: String,
    /// The revision as asked (`main` when none was given); a branch or tag name is only used to
    /// write `refs/<name>` in the cache.
    pub requested_revision: String,
    /// `cardData` from the model info API (the card's YAML front matter as the Hub parsed it).
    pub card_data: Option<serde_json::Value>,
    pub tags: Vec<String>,
    /// `auto` or `manual` when the repo is gated; `None` when it is not.
    pub gated: Option<String>,
    /// `lastModified` as the Hub states it (RFC 3339).
    pub last_modified: Option<String>,
    pub files: Vec<HubFile>,
    /// Small non-LFS files read during resolution (README.md, LICENSE*, config.json, tokenizer
    /// configs), each checked against its git blob id.
    #[serde(skip)]
    pub small_files: Vec<(String, Vec<u8>)>,
}

/// The largest small file read from a revision: a card, license or config is prose, not data.
pub const SMALL_FILE_MAX: u64 = 5 << 20;

impl HubSnapshot {
    /// Reads the small non-LFS files ingest needs (card, licenses, configs) with `read`, the one
    /// rule for which files and how large, whether they come from the Hub or from a cache. A file
    /// `read` gives no bytes for is left out.
    pub fn read_small_files<E>(
        &mut self,
        mut read: impl FnMut(&HubFile) -> Result<Option<Vec<u8>>, E>,
    ) -> Result<(), E> {
        for f in &self.files {
            if f.lfs || f.size > SMALL_FILE_MAX || !is_small_text_file(&f.path) {
                continue;
            }
            if let Some(bytes) = read(f)? {
                self.small_files.push((f.path.clone(), bytes));
            }
        }
        Ok(())
    }
}

/// A Hub client configured from the environment (`HF_ENDPOINT`, `HF_TOKEN`, `HF_HOME`).
pub struct HubClient {
    endpoint: Url,
    token: Option<String>,
    cache_dir: PathBuf,
    offline: bool,
    http: reqwest::blocking::Client,
    backoff: Duration,
}

impl std::fmt::Debug for HubClient {
    // Hand-written so the token can never reach a log line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HubClient")
            .field("endpoint", &self.endpoint.as_str())
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("cache_dir", &self.cache_dir)
            .field("offline", &self.offline)
            .finish()
    }
}

impl HubClient {
    /// A client for `HF_ENDPOINT` (default the public Hub) with `HF_TOKEN` (or the token file in
    /// `HF_HOME`, unless `HF_HUB_DISABLE_IMPLICIT_TOKEN` is set), caching under `HF_HOME/hub`.
    /// With `offline`, no method touches the network.
    pub fn from_env(offline: bool) -> Result<HubClient, HubError> {
        let raw = std::env::var("HF_ENDPOINT")
            .ok()
            .filter(|s| !s.trim().is_empty())
            .unwrap_or_else(|| "https://huggingface.co".to_string());
        let trimmed = raw.trim().trim_end_matches('/');
        let endpoint = Url::parse(trimmed)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
            .ok_or_else(|| HubError::InvalidEndpoint(raw.clone()))?;
        let timeout = std::env::var("HF_HUB_DOWNLOAD_TIMEOUT")
            .ok()
            .and_then(|s| s.trim().parse::<f64>().ok())
            .filter(|s| *s > 0.0)
            .unwrap_or(DEFAULT_TIMEOUT_SECS);
        // huggingface_hub's switch for the same thing; honoured so a user's setting carries over.
        let env_offline = std::env::var("HF_HUB_OFFLINE").is_ok_and(|v| truthy(&v));
        HubClient::new(
            endpoint,
            token_from_env(),
            hf_hub::resolve_cache_dir(),
            offline || env_offline,
            Duration::from_secs_f64(timeout),
        )
    }

    /// A client with explicit settings (tests, embedding).
    pub fn new(
        endpoint: Url,
        token: Option<String>,
        cache_dir: PathBuf,
        offline: bool,
        timeout: Duration,
    ) -> Result<HubClient, HubError> {
        // Redirects are followed by hand (api.rs) so the Authorization header only ever goes to the
        // endpoint's own origin and the 302's `resolve` headers can be read.
        let http = reqwest::blocking::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(timeout)
            .connect_timeout(timeout)
            .user_agent(concat!("modelvet/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|source| HubError::Http {
                url: endpoint.to_string(),
                source,
            })?;
        Ok(HubClient {
            endpoint,
            token,
            cache_dir,
            offline,
            http,
            backoff: Duration::from_millis(200),
        })
    }

    /// The Hub cache directory this client reads and writes (`$HF_HOME/hub` by default).
    pub fn cache_dir(&self) -> &Path {
        &self.cache_dir
    }

    /// Where `fetch` puts a snapshot's files: `<cache>/models--owner--name/snapshots/<commit>`
    /// (honours `HF_HUB_CACHE`, unlike [`snapshot_dir`], which takes `HF_HOME`).
    pub fn snapshot_path(&self, repo: &str, commit: &str) -> PathBuf {
        repo_dir(&self.cache_dir, repo)
            .join("snapshots")
            .join(commit)
    }

    /// The endpoint (`HF_ENDPOINT`).
    pub fn endpoint(&self) -> &str {
        self.endpoint.as_str()
    }

    /// Whether the client never touches the network.
    pub fn is_offline(&self) -> bool {
        self.offline
    }

    /// Resolves `repo` at `revision` (default `main`) to a commit and lists its metadata and files
    /// with their digests, downloading only small text files. Offline, reads the cache instead.
    pub fn resolve_repo(
        &self,
        repo: &str,
        revision: Option<&str>,
    ) -> Result<HubSnapshot, HubError> {
        validate_repo_id(repo)?;
        let revision = revision.unwrap_or("main");
        if self.offline {
            cache::resolve_offline(&self.cache_dir, repo, revision)
        } else {
            self.resolve_online(repo, revision)
        }
    }

    /// Downloads the snapshot's files (those matching any `include` glob; all when empty) into the
    /// cache, verifying each as it streams; a file whose bytes do not match is never left in place.
    pub fn fetch(
        &self,
        snapshot: &HubSnapshot,
        include: &[String],
        progress: bool,
    ) -> Result<FetchReport, HubError> {
        download::fetch(self, snapshot, include, progress)
    }
}

fn truthy(v: &str) -> bool {
    matches!(
        v.trim().to_ascii_lowercase().as_str(),
        "1" | "true" | "yes" | "on"
    )
}

fn token_from_env() -> Option<String> {
    let clean = |s: String| {
        let t = s.trim().to_string();
        (!t.is_empty()).then_some(t)
    };
    if let Some(t) = std::env::var("HF_TOKEN").ok().and_then(clean) {
        return Some(t);
    }
    let disabled = std::env::var("HF_HUB_DISABLE_IMPLICIT_TOKEN").is_ok_and(|v| truthy(&v));
    if disabled {
        return None;
    }
    let path = std::env::var_os("HF_TOKEN_PATH")
        .map(PathBuf::from)
        .unwrap_or_else(|| hf_hub::hf_home().join("token"));
    std::fs::read_to_string(path).ok().and_then(clean)
}

/// Splits `OWNER/NAME[@REV]` (the part after `hf:`) into the repo id and revision.
pub fn parse_repo_spec(spec: &str) -> Result<(String, Option<String>), HubError> {
    let (repo, rev) = match spec.split_once('@') {
        Some((r, v)) if !v.is_empty() => (r, Some(v.to_string())),
        Some(_) => return Err(HubError::InvalidRepo(spec.to_string())),
        None => (spec, None),
    };
    validate_repo_id(repo)?;
    Ok((repo.to_string(), rev))
}

/// Checks a repo id: `NAME` or `OWNER/NAME`, each of letters, digits, `-`, `_`, `.`, not `.`/`..`.
pub fn validate_repo_id(repo: &str) -> Result<(), HubError> {
    let parts: Vec<&str> = repo.split('/').collect();
    let ok = (1..=2).contains(&parts.len())
        && parts.iter().all(|p| {
            !p.is_empty()
                && *p != "."
                && *p != ".."
                && !p.contains("--")
                && p.len() <= 96
                && p.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        });
    if ok {
        Ok(())
    } else {
        Err(HubError::InvalidRepo(repo.to_string()))
    }
}

/// Why a file name from the Hub must not be used as a path, or `None` when it is safe: relative,
/// `/`-separated, no `.`/`..`/empty components, no backslash, NUL or drive prefix.
pub fn unsafe_path_reason(path: &str) -> Option<&'static str> {
    if path.is_empty() {
        return Some("empty name");
    }
    if path.starts_with('/') {
        return Some("absolute path");
    }
    if path.contains('\\') {
        return Some("backslash in name");
    }
    if path.contains('\0') {
        return Some("NUL in name");
    }
    if path.len() >= 2 && path.as_bytes()[1] == b':' && path.as_bytes()[0].is_ascii_alphabetic() {
        return Some("drive-letter path");
    }
    for comp in path.split('/') {
        match comp {
            "" => return Some("empty path component"),
            "." | ".." => return Some("`.` or `..` component"),
            _ => {}
        }
    }
    None
}

pub(crate) fn check_path(repo: &str, path: &str) -> Result<(), HubError> {
    match unsafe_path_reason(path) {
        None => Ok(()),
        Some(reason) => Err(HubError::UnsafePath {
            repo: repo.to_string(),
            path: path.to_string(),
            reason,
        }),
    }
}

/// Whether a small top-level non-LFS file is one ingest reads (card, license, configs).
pub fn is_small_text_file(path: &str) -> bool {
    if path.contains('/') {
        return false;
    }
    let lower = path.to_ascii_lowercase();
    matches!(
        lower.as_str(),
        "readme.md"
            | "config.json"
            | "generation_config.json"
            | "tokenizer_config.json"
            | "special_tokens_map.json"
            | "chat_template.jinja"
            | "params.json"
    ) || lower.starts_with("license")
        || lower.starts_with("licence")
        || lower.starts_with("notice")
        || lower.starts_with("use_policy")
}

/// The user's Hub cache: `HF_HUB_CACHE`, else `$HF_HOME/hub`, else
/// `$XDG_CACHE_HOME/huggingface/hub`, else `~/.cache/huggingface/hub` (hf-hub's resolution).
pub fn default_cache_dir() -> PathBuf {
    hf_hub::resolve_cache_dir()
}

/// Where the user's Hub cache holds `repo` at `commit` (whether or not it is there), found without
/// building a client.
pub fn cached_snapshot_path(repo: &str, commit: &str) -> PathBuf {
    repo_dir(&default_cache_dir(), repo)
        .join("snapshots")
        .join(commit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repo_specs() {
        assert_eq!(
            parse_repo_spec("acme/tiny@main").unwrap(),
            ("acme/tiny".into(), Some("main".into()))
        );
        assert_eq!(parse_repo_spec("gpt2").unwrap(), ("gpt2".into(), None));
        for bad in ["", "a/b/c", "../x", "a/..", "a b/c", "a/b@", "a--b/c", "/a"] {
            assert!(parse_repo_spec(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn unsafe_paths() {
        for bad in [
            "../x",
            "a/../../x",
            "/etc/passwd",
            "a\\b",
            "C:x",
            "a//b",
            "./a",
            "",
        ] {
            assert!(unsafe_path_reason(bad).is_some(), "{bad} accepted");
        }
        for good in [
            "config.json",
            "1_Pooling/config.json",
            "a..b",
            ".gitattributes",
        ] {
            assert_eq!(unsafe_path_reason(good), None, "{good} refused");
        }
    }
}
