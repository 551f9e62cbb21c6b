//! Talking to the Hub: requests with bounded retries, redirects followed by hand (the token only
//! ever goes to the endpoint's origin), model info, the paginated tree API, small files.

use super::{HubClient, HubError, HubFile, HubSnapshot, check_path};
use crate::hashing::git_blob_id as git_blob_sha1;
use reqwest::Url;
use reqwest::blocking::Response;
use reqwest::header::{self, HeaderMap};
use serde::Deserialize;

/// At most this many redirects per request.
const MAX_REDIRECTS: usize = 10;
/// Small files larger than this are not read during resolution.
/// A guard against a tree API that never stops paginating.
const MAX_TREE_PAGES: usize = 10_000;

/// A response after redirects, with the headers of the first response from the Hub itself
/// (a 302 to a CDN carries `X-Repo-Commit`, `X-Linked-Etag`, `X-Linked-Size`; the CDN does not).
pub(crate) struct Answer {
    pub response: Response,
    pub hub_headers: HeaderMap,
}

/// Why one attempt failed: worth another try, or final.
pub(crate) enum OnceError {
    Retry(String),
    Fatal(HubError),
}

pub(crate) fn same_origin(a: &Url, b: &Url) -> bool {
    a.scheme() == b.scheme()
        && a.host_str() == b.host_str()
        && a.port_or_known_default() == b.port_or_known_default()
}

/// A header as a string with a weak-ETag prefix and quotes stripped.
pub(crate) fn etag_value(headers: &HeaderMap, name: &str) -> Option<String> {
    let v = headers.get(name)?.to_str().ok()?.trim();
    let v = v.strip_prefix("W/").unwrap_or(v);
    let v = v.trim_matches('"').trim();
    (!v.is_empty()).then(|| v.to_ascii_lowercase())
}

pub(crate) fn header_str(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(|s| s.trim().to_string())
}

fn retryable_status(status: u16) -> bool {
    matches!(status, 408 | 429 | 500 | 502 | 503 | 504)
}

fn describe(err: &reqwest::Error) -> String {
    if err.is_timeout() {
        "timed out".to_string()
    } else if err.is_connect() {
        "could not connect".to_string()
    } else {
        let mut s = err.to_string();
        let mut src = std::error::Error::source(err);
        while let Some(e) = src {
            s.push_str(": ");
            s.push_str(&e.to_string());
            src = e.source();
        }
        s
    }
}

impl HubClient {
    /// A URL on the endpoint made of path segments (each percent-encoded, so `refs/pr/1` stays
    /// one segment when passed as one).
    pub(crate) fn url(&self, segments: &[&str]) -> Url {
        let mut url = self.endpoint.clone();
        {
            let mut path = url.path_segments_mut().expect("http URLs have paths");
            path.pop_if_empty();
            path.extend(segments);
        }
        url
    }

    /// The URL of a file's bytes: `{endpoint}/{repo}/resolve/{rev}/{path}`.
    pub(crate) fn resolve_url(&self, repo: &str, rev: &str, path: &str) -> Url {
        let mut segs: Vec<&str> = repo.split('/').collect();
        segs.push("resolve");
        segs.push(rev);
        segs.extend(path.split('/'));
        self.url(&segs)
    }

    /// One GET (following redirects by hand), with the Authorization header only on the
    /// endpoint's origin. `range_from` asks for the bytes from that offset on.
    pub(crate) fn get_once(&self, url: &Url, range_from: Option<u64>) -> Result<Answer, OnceError> {
        let mut current = url.clone();
        let mut hub_headers: Option<HeaderMap> = None;
        for _ in 0..=MAX_REDIRECTS {
            let mut req = self
                .http
                .get(current.clone())
                .header(header::ACCEPT_ENCODING, "identity");
            if let Some(from) = range_from.filter(|n| *n > 0) {
                req = req.header(header::RANGE, format!("bytes={from}-"));
            }
            let on_hub = same_origin(&current, &self.endpoint);
            if on_hub && let Some(token) = &self.token {
                req = req.bearer_auth(token);
            }
            let resp = req.send().map_err(|e| OnceError::Retry(describe(&e)))?;
            let status = resp.status();
            if on_hub && hub_headers.is_none() {
                hub_headers = Some(resp.headers().clone());
            }
            if status.is_redirection() {
                let loc = header_str(resp.headers(), "location").ok_or_else(|| {
                    OnceError::Fatal(HubError::BadResponse {
                        url: current.to_string(),
                        detail: format!("HTTP {} without a Location header", status.as_u16()),
                    })
                })?;
                current = current.join(&loc).map_err(|_| {
                    OnceError::Fatal(HubError::BadResponse {
                        url: current.to_string(),
                        detail: format!("unusable Location `{loc}`"),
                    })
                })?;
                if !matches!(current.scheme(), "http" | "https") {
                    return Err(OnceError::Fatal(HubError::BadResponse {
                        url: url.to_string(),
                        detail: "redirect to a non-HTTP URL".to_string(),
                    }));
                }
                continue;
            }
            if retryable_status(status.as_u16()) {
                return Err(OnceError::Retry(format!("HTTP {}", status.as_u16())));
            }
            return Ok(Answer {
                hub_headers: hub_headers.unwrap_or_else(|| resp.headers().clone()),
                response: resp,
            });
        }
        Err(OnceError::Fatal(HubError::BadResponse {
            url: url.to_string(),
            detail: format!("more than {MAX_REDIRECTS} redirects"),
        }))
    }

    /// GET with bounded retries on 5xx/429/timeouts/connection errors. Any status is returned;
    /// callers map 4xx with [`HubClient::status_error`].
    pub(crate) fn get(&self, url: &Url, range_from: Option<u64>) -> Result<Answer, HubError> {
        self.retrying(url, || self.get_once(url, range_from))
    }

    /// Runs `f` up to [`super::ATTEMPTS`] times while it fails with something worth retrying.
    fn retrying<T>(
        &self,
        url: &Url,
        mut f: impl FnMut() -> Result<T, OnceError>,
    ) -> Result<T, HubError> {
        let mut last = String::new();
        for attempt in 0..super::ATTEMPTS {
            if attempt > 0 {
                std::thread::sleep(self.backoff * 2u32.pow(attempt - 1));
            }
            match f() {
                Ok(v) => return Ok(v),
                Err(OnceError::Fatal(e)) => return Err(e),
                Err(OnceError::Retry(why)) => {
                    tracing::info!(
                        "{url}: {why}; attempt {} of {}",
                        attempt + 1,
                        super::ATTEMPTS
                    );
                    last = why;
                }
            }
        }
        Err(HubError::Unavailable {
            url: url.to_string(),
            attempts: super::ATTEMPTS,
            last,
        })
    }

    /// Maps a non-success answer to the error a user can act on.
    pub(crate) fn status_error(
        &self,
        repo: &str,
        revision: &str,
        path: Option<&str>,
        url: &Url,
        headers: &HeaderMap,
        status: u16,
    ) -> HubError {
        let code = header_str(headers, "x-error-code").unwrap_or_default();
        let page = self.url(&repo.split('/').collect::<Vec<_>>());
        match (status, code.as_str()) {
            (_, "RevisionNotFound") => HubError::RevisionNotFound {
                repo: repo.to_string(),
                revision: revision.to_string(),
            },
            // The Hub answers 401 for a missing repo when the request carries no (valid) token,
            // so that private repos cannot be told apart from missing ones.
            (401 | 404, "RepoNotFound") => HubError::RepoNotFound {
                repo: repo.to_string(),
                url: url.to_string(),
            },
            (404, "EntryNotFound") => HubError::EntryNotFound {
                repo: repo.to_string(),
                commit: revision.to_string(),
                path: path.unwrap_or_default().to_string(),
            },
            (401, _) | (403, _) | (_, "GatedRepo") => {
                let hint = if self.token.is_none() {
                    format!(
                        "the repo is gated or private (or does not exist). If it is gated, accept its terms at {page} while logged in, then set HF_TOKEN to an access token of that account"
                    )
                } else if status == 401 {
                    format!(
                        "the token in HF_TOKEN was not accepted. Check it, and if the repo is gated accept its terms at {page}"
                    )
                } else {
                    format!(
                        "the token in HF_TOKEN has no access to this repo. If it is gated, accept its terms at {page} with the token's account (access may await the authors' approval)"
                    )
                };
                HubError::AccessDenied {
                    repo: repo.to_string(),
                    status,
                    hint,
                }
            }
            (404, _) => HubError::RepoNotFound {
                repo: repo.to_string(),
                url: url.to_string(),
            },
            _ => HubError::Status {
                url: url.to_string(),
                status,
            },
        }
    }

    /// GET a JSON document from the API, mapping errors.
    fn get_json<T: for<'de> Deserialize<'de>>(
        &self,
        url: &Url,
        repo: &str,
        revision: &str,
    ) -> Result<(T, HeaderMap), HubError> {
        let ans = self.get(url, None)?;
        let status = ans.response.status().as_u16();
        if !(200..300).contains(&status) {
            return Err(self.status_error(
                repo,
                revision,
                None,
                url,
                ans.response.headers(),
                status,
            ));
        }
        let headers = ans.response.headers().clone();
        Ok((json_body(url, ans.response)?, headers))
    }

    /// Where `rev` of `repo` stands on the Hub now: the commit it resolves to, under which repo
    /// id (a renamed repo redirects to its new name), and whether it is gated; or that the repo
    /// is gone, disabled or closed to us, or the revision no longer exists. Errors are only
    /// what keeps the question from being answered (an unreachable Hub, a broken answer).
    pub fn ref_status(&self, repo: &str, rev: &str) -> Result<RefStatus, HubError> {
        super::validate_repo_id(repo)?;
        if self.offline {
            return Err(HubError::NotCached {
                repo: repo.to_string(),
                revision: rev.to_string(),
                cache: self.cache_dir.clone(),
            });
        }
        let mut segs: Vec<&str> = vec!["api", "models"];
        segs.extend(repo.split('/'));
        segs.push("revision");
        segs.push(rev);
        let url = self.url(&segs);
        let ans = self.get(&url, None)?;
        let status = ans.response.status().as_u16();
        // The repo id the answer came from, after any redirect (`/api/models/o/n/…`).
        let served = {
            let u = ans.response.url();
            let segs: Vec<&str> = u.path_segments().map(|s| s.collect()).unwrap_or_default();
            match segs.as_slice() {
                [.., "api", "models", o, n, "revision", _] => format!("{o}/{n}"),
                _ => repo.to_string(),
            }
        };
        if !(200..300).contains(&status) {
            let headers = ans.response.headers();
            if header_str(headers, "x-error-message").as_deref()
                == Some("Access to this resource is disabled.")
            {
                return Ok(RefStatus::Disabled);
            }
            return match self.status_error(repo, rev, None, &url, headers, status) {
                HubError::RepoNotFound { .. } => Ok(RefStatus::RepoGone),
                HubError::RevisionNotFound { .. } => Ok(RefStatus::RevisionGone),
                HubError::AccessDenied { status, hint, .. } => {
                    Ok(RefStatus::Denied { status, hint })
                }
                e => Err(e),
            };
        }
        let info: ModelInfo = json_body(&url, ans.response)?;
        let commit = info.commit(&url)?;
        Ok(RefStatus::Live {
            repo: served,
            commit,
            gated: gated_of(info.gated),
        })
    }

    pub(crate) fn resolve_online(
        &self,
        repo: &str,
        revision: &str,
    ) -> Result<HubSnapshot, HubError> {
        let mut segs: Vec<&str> = vec!["api", "models"];
        segs.extend(repo.split('/'));
        segs.push("revision");
        segs.push(revision);
        // No `blobs=true`: the tree API below gives sizes and digests, paginated; siblings with
        // blobs would repeat them in one (for big repos, huge) document.
        let info_url = self.url(&segs);
        let (info, _): (ModelInfo, _) = self.get_json(&info_url, repo, revision)?;
        let commit = info.commit(&info_url)?;
        if crate::ids::GitOid::is_valid(revision) && !revision.eq_ignore_ascii_case(&commit) {
            return Err(HubError::BadResponse {
                url: info_url.to_string(),
                detail: format!("asked for commit {revision}, the Hub answered {commit}"),
            });
        }
        let files = self.list_tree(repo, &commit)?;
        let gated = gated_of(info.gated);
        let mut snapshot = HubSnapshot {
            repo: repo.to_string(),
            commit,
            requested_revision: revision.to_string(),
            card_data: info.card_data.filter(|v| !v.is_null()),
            tags: info.tags,
            gated,
            last_modified: info.last_modified,
            files,
            small_files: Vec::new(),
        };
        // Each small file is checked against its git blob id as it is read.
        let (repo, commit) = (snapshot.repo.clone(), snapshot.commit.clone());
        snapshot.read_small_files(|f| self.get_small(&repo, &commit, f).map(Some))?;
        Ok(snapshot)
    }

    /// Every file at `commit` from the tree API, following `Link: <…>; rel="next"` pages.
    fn list_tree(&self, repo: &str, commit: &str) -> Result<Vec<HubFile>, HubError> {
        let mut segs: Vec<&str> = vec!["api", "models"];
        segs.extend(repo.split('/'));
        segs.push("tree");
        segs.push(commit);
        let mut url = self.url(&segs);
        url.query_pairs_mut().append_pair("recursive", "true");
        let mut files = Vec::new();
        for _ in 0..MAX_TREE_PAGES {
            let (entries, headers): (Vec<TreeEntry>, _) = self.get_json(&url, repo, commit)?;
            for e in entries {
                if e.kind != "file" {
                    check_path(repo, &e.path)?;
                    continue;
                }
                check_path(repo, &e.path)?;
                let git_oid = e
                    .oid
                    .map(|o| o.to_ascii_lowercase())
                    .filter(|o| crate::ids::GitOid::is_valid(o))
                    .ok_or_else(|| HubError::BadResponse {
                        url: url.to_string(),
                        detail: format!("tree entry `{}` has no git blob id", e.path),
                    })?;
                let sha256 = match &e.lfs {
                    Some(l) => {
                        let oid = l.oid.to_ascii_lowercase();
                        if !crate::ids::Sha256::is_valid(&oid) {
                            return Err(HubError::BadResponse {
                                url: url.to_string(),
                                detail: format!(
                                    "tree entry `{}` has an LFS oid that is not SHA-256",
                                    e.path
                                ),
                            });
                        }
                        Some(oid)
                    }
                    None => None,
                };
                let size = e.lfs.as_ref().map(|l| l.size).or(e.size).unwrap_or(0);
                files.push(HubFile {
                    path: e.path,
                    size,
                    git_oid,
                    lfs: sha256.is_some(),
                    sha256,
                });
            }
            match next_link(&headers) {
                Some(next) => {
                    let next = url.join(&next).map_err(|_| HubError::BadResponse {
                        url: url.to_string(),
                        detail: format!("unusable pagination link `{next}`"),
                    })?;
                    if !same_origin(&next, &self.endpoint) {
                        return Err(HubError::BadResponse {
                            url: url.to_string(),
                            detail: "pagination link points to another host".to_string(),
                        });
                    }
                    url = next;
                }
                None => {
                    files.sort_by(|a, b| a.path.cmp(&b.path));
                    files.dedup_by(|a, b| a.path == b.path);
                    return Ok(files);
                }
            }
        }
        Err(HubError::BadResponse {
            url: url.to_string(),
            detail: format!("more than {MAX_TREE_PAGES} tree pages"),
        })
    }

    fn get_small(&self, repo: &str, commit: &str, f: &HubFile) -> Result<Vec<u8>, HubError> {
        let url = self.resolve_url(repo, commit, &f.path);
        let body = self.retrying(&url, || {
            let ans = self.get_once(&url, None)?;
            let status = ans.response.status().as_u16();
            if status != 200 {
                return Err(OnceError::Fatal(self.status_error(
                    repo,
                    commit,
                    Some(&f.path),
                    &url,
                    &ans.hub_headers,
                    status,
                )));
            }
            let mut body = Vec::new();
            let mut limited = std::io::Read::take(ans.response, super::SMALL_FILE_MAX + 1);
            std::io::Read::read_to_end(&mut limited, &mut body)
                .map_err(|e| OnceError::Retry(format!("reading the body: {e}")))?;
            if (body.len() as u64) < f.size {
                return Err(OnceError::Retry(format!(
                    "body ended after {} of {} bytes",
                    body.len(),
                    f.size
                )));
            }
            Ok(body)
        })?;
        let actual = git_blob_sha1(&body);
        if actual != f.git_oid {
            return Err(HubError::DigestMismatch {
                repo: repo.to_string(),
                path: f.path.clone(),
                algorithm: "git-sha1",
                expected: f.git_oid.clone(),
                actual: actual.into_string(),
            });
        }
        Ok(body)
    }
}

/// The target of `Link: <…>; rel="next"`, if any.
pub(crate) fn next_link(headers: &HeaderMap) -> Option<String> {
    for value in headers.get_all(header::LINK) {
        let Ok(value) = value.to_str() else { continue };
        for part in value.split(',') {
            let mut pieces = part.split(';');
            let target = pieces.next()?.trim();
            let is_next = pieces.any(|p| {
                let p = p.trim().replace(' ', "");
                p == "rel=\"next\"" || p == "rel=next"
            });
            if is_next && target.starts_with('<') && target.ends_with('>') {
                return Some(target[1..target.len() - 1].to_string());
            }
        }
    }
    None
}

/// The parts of `GET /api/models/{repo}/revision/{rev}` we use.
/// Where a revision of a repo stands on the Hub ([`HubClient::ref_status`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefStatus {
    /// It resolves to `commit`, served under `repo` (another id than asked: renamed).
    Live {
        repo: String,
        commit: String,
        gated: Option<String>,
    },
    /// The repo is not on the Hub (404; or private to others).
    RepoGone,
    /// The Hub disabled the repo.
    Disabled,
    /// The repo is there, the revision is not (a branch deleted, a commit dropped by history
    /// rewriting).
    RevisionGone,
    /// The Hub refuses us the repo (gated or private): the HTTP status and what to do about it.
    Denied { status: u16, hint: String },
}

/// A response's body as JSON.
fn json_body<T: for<'de> Deserialize<'de>>(url: &Url, response: Response) -> Result<T, HubError> {
    let body = response.bytes().map_err(|e| HubError::Http {
        url: url.to_string(),
        source: e,
    })?;
    serde_json::from_slice(&body).map_err(|e| HubError::BadResponse {
        url: url.to_string(),
        detail: format!("invalid JSON: {e}"),
    })
}

impl ModelInfo {
    /// The commit the info is about (`sha`), lowercase.
    fn commit(&self, url: &Url) -> Result<String, HubError> {
        self.sha
            .as_deref()
            .map(str::to_ascii_lowercase)
            .filter(|s| crate::ids::GitOid::is_valid(s))
            .ok_or_else(|| HubError::BadResponse {
                url: url.to_string(),
                detail: "no 40-hex `sha` (commit) in the model info".to_string(),
            })
    }
}

/// The model info's `gated`: `auto` or `manual` (or `true`), `None` when not gated.
fn gated_of(v: Option<serde_json::Value>) -> Option<String> {
    match v {
        Some(serde_json::Value::String(s)) => Some(s),
        Some(serde_json::Value::Bool(true)) => Some("true".to_string()),
        _ => None,
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ModelInfo {
    sha: Option<String>,
    card_data: Option<serde_json::Value>,
    #[serde(default)]
    tags: Vec<String>,
    gated: Option<serde_json::Value>,
    last_modified: Option<String>,
}

/// One entry of the tree API (`lfs.oid` is the SHA-256; siblings call it `lfs.sha256`).
#[derive(Debug, Deserialize)]
struct TreeEntry {
    #[serde(rename = "type")]
    kind: String,
    path: String,
    size: Option<u64>,
    oid: Option<String>,
    lfs: Option<TreeLfs>,
}

#[derive(Debug, Deserialize)]
struct TreeLfs {
    oid: String,
    size: u64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn link_header_and_etags() {
        let mut h = HeaderMap::new();
        h.insert(
            header::LINK,
            HeaderValue::from_static(
                "<https://hub/x?cursor=a>; rel=\"prev\", <https://hub/x?cursor=b>; rel=\"next\"",
            ),
        );
        assert_eq!(next_link(&h).as_deref(), Some("https://hub/x?cursor=b"));
        h.insert("etag", HeaderValue::from_static("W/\"ABC123\""));
        assert_eq!(etag_value(&h, "etag").as_deref(), Some("abc123"));
        assert_eq!(next_link(&HeaderMap::new()), None);
    }

    #[test]
    fn origins() {
        let a = Url::parse("http://127.0.0.1:8080/x").unwrap();
        assert!(same_origin(
            &a,
            &Url::parse("http://127.0.0.1:8080/y").unwrap()
        ));
        assert!(!same_origin(
            &a,
            &Url::parse("http://127.0.0.1:8081/x").unwrap()
        ));
        assert!(!same_origin(
            &a,
            &Url::parse("https://127.0.0.1:8080/x").unwrap()
        ));
        let b = Url::parse("https://huggingface.co/x").unwrap();
        assert!(same_origin(
            &b,
            &Url::parse("https://huggingface.co:443/y").unwrap()
        ));
    }
}
