//! The Hub mirror: `serve` answers as the Hugging Face Hub does, so that `HF_ENDPOINT` pointed at
//! the registry makes huggingface_hub, transformers, `hf download` and hf-hub download through it,
//! but only revisions that passed their audit (and, where the policy asks, are approved), and only
//! bytes verified into the blob store.
//!
//! Routes (DESIGN.md, "Hub mirror"): `GET /api/models/{repo}[/revision/{rev}]`,
//! `GET /api/models/{repo}/tree/{rev}[/{path}]` (paginated with a `Link` header),
//! `POST /api/models/{repo}/paths-info/{rev}`, and `HEAD|GET /{repo}/resolve/{rev}/{path}` with
//! the Hub's headers and `Range`. Errors carry `X-Error-Code` and `X-Error-Message`, which the
//! clients read (a HEAD has no body), and `{"error": "…"}`.
//!
//! Paths are parsed from the raw request path: a revision such as `refs%2Fpr%2F1` is one segment,
//! and each segment is decoded and checked on its own.

use super::AppState;
use super::auth::require;
use super::error::{ApiError, chain};
use crate::record::Role;
use crate::vet::mirror::{Refused, Served, ServedFile, Unavailable, ensure_blob, resolve};
use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

/// An error as the Hub answers it.
#[derive(Debug)]
pub struct HubError {
    status: StatusCode,
    /// The Hub's `X-Error-Code` (`RepoNotFound`, `RevisionNotFound`, `EntryNotFound`), if any.
    code: Option<&'static str>,
    message: String,
}

impl HubError {
    fn new(status: StatusCode, code: Option<&'static str>, message: impl Into<String>) -> Self {
        HubError {
            status,
            code,
            message: message.into(),
        }
    }

    fn bad_request(message: impl Into<String>) -> Self {
        HubError::new(StatusCode::BAD_REQUEST, None, message)
    }
}

impl From<ApiError> for HubError {
    fn from(e: ApiError) -> Self {
        HubError::new(e.status, None, e.message)
    }
}

impl From<crate::vet::VetError> for HubError {
    fn from(e: crate::vet::VetError) -> Self {
        ApiError::from(e).into()
    }
}

impl From<Refused> for HubError {
    fn from(r: Refused) -> Self {
        let message = r.to_string();
        match r {
            Refused::RepoNotFound(_) => {
                HubError::new(StatusCode::NOT_FOUND, Some("RepoNotFound"), message)
            }
            Refused::RevisionNotFound { .. } => {
                HubError::new(StatusCode::NOT_FOUND, Some("RevisionNotFound"), message)
            }
            Refused::CommitPrefix { .. } => HubError::bad_request(message),
            Refused::NotVetted(_) => HubError::new(StatusCode::FORBIDDEN, None, message),
        }
    }
}

/// Text fit for a header value: visible ASCII and spaces, at most 1,000 characters (file
/// names and card text end up in messages).
fn header_text(s: &str) -> HeaderValue {
    let clean: String = s
        .replace('…', "...")
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '?'
            }
        })
        .take(1000)
        .collect();
    HeaderValue::from_str(&clean).unwrap_or_else(|_| HeaderValue::from_static("error"))
}

impl IntoResponse for HubError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({ "error": self.message });
        let mut response = (self.status, axum::Json(body)).into_response();
        let h = response.headers_mut();
        if let Some(code) = self.code {
            h.insert("x-error-code", HeaderValue::from_static(code));
        }
        h.insert("x-error-message", header_text(&self.message));
        response
    }
}

/// The raw path's segments after `prefix`, each percent-decoded and checked.
fn segments(raw: &str) -> Result<Vec<String>, HubError> {
    raw.split('/')
        .map(|seg| {
            let decoded = percent_encoding::percent_decode_str(seg)
                .decode_utf8()
                .map_err(|_| HubError::bad_request("a path segment is not UTF-8"))?;
            super::paths::check_segment(&decoded)?;
            Ok(decoded.into_owned())
        })
        .collect()
}

/// A file path in a repo: segments joined by `/`, none of them empty, `.` or `..`.
fn repo_path(segs: &[String]) -> Result<String, HubError> {
    let path = segs.join("/");
    if let Some(why) = crate::hub::unsafe_path_reason(&path) {
        return Err(HubError::bad_request(format!(
            "unsafe path `{path}`: {why}"
        )));
    }
    Ok(path)
}

/// Splits `segs` into a repo (one or two segments) and the rest, preferring a split whose repo
/// the catalogue knows; `accept` says which rests make sense.
async fn split_repo(
    state: &AppState,
    segs: &[String],
    accept: impl Fn(&[String]) -> bool,
) -> Result<(String, Vec<String>), HubError> {
    let mut candidates = Vec::new();
    for k in [2, 1] {
        if segs.len() >= k && accept(&segs[k..]) {
            candidates.push((segs[..k].join("/"), segs[k..].to_vec()));
        }
    }
    let Some(first) = candidates.first().cloned() else {
        return Err(HubError::new(
            StatusCode::NOT_FOUND,
            None,
            "no such Hub route on this registry",
        ));
    };
    for (repo, rest) in candidates {
        if state
            .catalogue
            .has_model(&crate::ids::ModelName::new(repo.as_str()))
            .await
            .map_err(ApiError::from)?
        {
            return Ok((repo, rest));
        }
    }
    Ok(first)
}

async fn served(state: &AppState, repo: &str, rev: &str) -> Result<Served, HubError> {
    // A decoded segment may hold `/` (`refs%2Fpr%2F1`): each of its parts is checked too.
    for part in repo.split('/').chain(rev.split('/')) {
        super::paths::check_segment(part)?;
    }
    // Kept while nothing was written (any write moves the change mark, also on another server
    // sharing the database) and for at most 2 s: approvals expire by date and imports change
    // elsewhere.
    let mark = state
        .catalogue
        .change_mark()
        .await
        .map_err(ApiError::from)?;
    let key = format!("{repo}\n{rev}");
    let answer = state
        .mirror
        .get_or_compute(key, mark, || async {
            let vet = super::api::vet_for(state, &state.catalogue);
            resolve(&vet, &state.config.policy, repo, rev).await
        })
        .await?;
    match answer.as_ref() {
        Ok(s) => Ok(s.clone()),
        Err(r) => Err(r.clone().into()),
    }
}

fn lfs_json(f: &ServedFile) -> serde_json::Value {
    match (&f.sha256, f.lfs) {
        (Some(d), true) => serde_json::json!({
            "oid": d.as_str(), "size": f.size, "pointerSize": f.pointer_size(),
        }),
        _ => serde_json::Value::Null,
    }
}

/// `GET /api/models/{repo}[/revision/{rev}]`: the model info the clients read first.
fn model_info(s: &Served) -> serde_json::Value {
    let name = s.revision.rev.name.as_str();
    let siblings: Vec<serde_json::Value> = s
        .files
        .iter()
        .map(|f| {
            let mut v = serde_json::json!({
                "rfilename": f.path, "size": f.size, "blobId": f.git_oid.as_str(),
            });
            if let (Some(d), true) = (&f.sha256, f.lfs) {
                v["lfs"] = serde_json::json!({
                    "sha256": d.as_str(), "size": f.size, "pointerSize": f.pointer_size(),
                });
            }
            v
        })
        .collect();
    let card = s.card.clone().unwrap_or(serde_json::Value::Null);
    let tags: Vec<serde_json::Value> = card
        .get("tags")
        .and_then(|t| t.as_array())
        .cloned()
        .unwrap_or_default();
    serde_json::json!({
        "_id": name,
        "id": name,
        "modelId": name,
        "sha": s.commit(),
        "lastModified": s.revision.added_at,
        "createdAt": s.revision.added_at,
        "private": false,
        "disabled": false,
        "gated": false,
        "downloads": 0,
        "likes": 0,
        "tags": tags,
        "library_name": card.get("library_name").cloned().unwrap_or(serde_json::Value::Null),
        "pipeline_tag": card.get("pipeline_tag").cloned().unwrap_or(serde_json::Value::Null),
        "cardData": card,
        "siblings": siblings,
    })
}

/// One tree entry: a file, or a folder (whose oid is a digest of its listing: stable, though
/// not git's tree id, which the catalogue does not keep).
fn file_entry(f: &ServedFile) -> serde_json::Value {
    let mut v = serde_json::json!({
        "type": "file", "oid": f.git_oid.as_str(), "size": f.size, "path": f.path,
    });
    let lfs = lfs_json(f);
    if !lfs.is_null() {
        v["lfs"] = lfs;
    }
    v
}

fn folder_entry(s: &Served, dir: &str) -> serde_json::Value {
    let prefix = format!("{dir}/");
    let listing: Vec<&str> = s
        .files
        .iter()
        .filter(|f| f.path.starts_with(&prefix))
        .map(|f| f.git_oid.as_str())
        .collect();
    let oid = crate::hashing::git_blob_id(format!("{dir}\n{}", listing.join("\n")).as_bytes());
    serde_json::json!({"type": "directory", "oid": oid.as_str(), "size": 0, "path": dir})
}

/// The entries under `dir` ("" for the root): its children, or with `recursive` everything
/// below it, folders first at each level as the Hub lists them.
fn tree_entries(s: &Served, dir: &str, recursive: bool) -> Vec<serde_json::Value> {
    let prefix = if dir.is_empty() {
        String::new()
    } else {
        format!("{dir}/")
    };
    let mut folders = std::collections::BTreeSet::new();
    let mut files = Vec::new();
    for f in &s.files {
        let Some(rest) = f.path.strip_prefix(&prefix) else {
            continue;
        };
        let parts: Vec<&str> = rest.split('/').collect();
        let depth = if recursive { parts.len() - 1 } else { 1 };
        for i in 1..=depth.min(parts.len() - 1) {
            folders.insert(format!("{prefix}{}", parts[..i].join("/")));
        }
        if recursive || parts.len() == 1 {
            files.push(file_entry(f));
        }
    }
    let mut out: Vec<serde_json::Value> = folders.iter().map(|d| folder_entry(s, d)).collect();
    out.extend(files);
    out
}

fn query_flag(query: &str, key: &str) -> bool {
    form_urlencoded::parse(query.as_bytes())
        .any(|(k, v)| k == key && matches!(v.as_ref(), "1" | "true" | "True"))
}

fn query_value(query: &str, key: &str) -> Option<String> {
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

fn json_response(value: &serde_json::Value) -> Response {
    axum::Json(value).into_response()
}

/// `GET /api/models/…`: model info or a tree listing.
async fn api_get(state: &AppState, req: &Parts, raw: &str) -> Result<Response, HubError> {
    require(state, &req.headers, Role::Reader).await?;
    let segs = segments(raw)?;
    let (repo, rest) = split_repo(state, &segs, |rest| {
        match rest.first().map(String::as_str) {
            None => true,
            Some("revision") => rest.len() == 2,
            Some("tree") => rest.len() >= 2,
            _ => false,
        }
    })
    .await?;
    let query = req.uri.query().unwrap_or("");
    match rest.first().map(String::as_str) {
        None => Ok(json_response(&model_info(
            &served(state, &repo, "main").await?,
        ))),
        Some("revision") => Ok(json_response(&model_info(
            &served(state, &repo, &rest[1]).await?,
        ))),
        _ => {
            let s = served(state, &repo, &rest[1]).await?;
            let dir = if rest.len() > 2 {
                repo_path(&rest[2..])?
            } else {
                String::new()
            };
            if !dir.is_empty()
                && !s
                    .files
                    .iter()
                    .any(|f| f.path.starts_with(&format!("{dir}/")))
            {
                return Err(HubError::new(
                    StatusCode::NOT_FOUND,
                    Some("EntryNotFound"),
                    format!("`{dir}` is not a folder of {repo}@{}", s.commit()),
                ));
            }
            let entries = tree_entries(&s, &dir, query_flag(query, "recursive"));
            let page = state.config.tree_page_size.max(1);
            let start: usize = match query_value(query, "cursor") {
                Some(c) => c.parse().map_err(|_| {
                    HubError::bad_request("`cursor` is not a cursor of this listing")
                })?,
                None => 0,
            };
            let end = (start + page).min(entries.len());
            let body: Vec<&serde_json::Value> =
                entries.get(start..end).unwrap_or(&[]).iter().collect();
            let mut response = axum::Json(body).into_response();
            if end < entries.len() {
                let mut next: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
                    .filter(|(k, _)| k != "cursor")
                    .map(|(k, v)| (k.into_owned(), v.into_owned()))
                    .collect();
                next.push(("cursor".into(), end.to_string()));
                let qs = form_urlencoded::Serializer::new(String::new())
                    .extend_pairs(next)
                    .finish();
                let link = format!("<{}?{qs}>; rel=\"next\"", external_url(req));
                response
                    .headers_mut()
                    .insert(header::LINK, header_text(&link));
            }
            Ok(response)
        }
    }
}

/// The request's own URL without its query (for `Link`), from its `Host` header.
fn external_url(req: &Parts) -> String {
    let host = req
        .headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    format!("http://{host}{}", req.uri.path())
}

/// What `paths-info` is asked about: a form (`paths=a&paths=b`, as huggingface_hub sends it)
/// or JSON (`{"paths": […]}`).
fn paths_of(headers: &HeaderMap, body: &[u8]) -> Result<Vec<String>, HubError> {
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if json {
        #[derive(serde::Deserialize)]
        struct Body {
            paths: Vec<String>,
        }
        let b: Body = serde_json::from_slice(body)
            .map_err(|e| HubError::new(StatusCode::UNPROCESSABLE_ENTITY, None, e.to_string()))?;
        Ok(b.paths)
    } else {
        Ok(form_urlencoded::parse(body)
            .filter(|(k, _)| k == "paths" || k == "paths[]")
            .map(|(_, v)| v.into_owned())
            .collect())
    }
}

/// `POST /api/models/{repo}/paths-info/{rev}`; every other write is refused.
async fn api_post(state: &AppState, req: Request, raw: &str) -> Result<Response, HubError> {
    let (parts, body) = req.into_parts();
    let segs = segments(raw)?;
    let is_paths_info = |rest: &[String]| rest.len() == 2 && rest[0] == "paths-info";
    if !(segs.len() >= 3
        && (is_paths_info(&segs[1..]) || is_paths_info(segs.get(2..).unwrap_or(&[]))))
    {
        return Err(read_only(state, &parts.headers).await);
    }
    require(state, &parts.headers, Role::Reader).await?;
    let (repo, rest) = split_repo(state, &segs, is_paths_info).await?;
    let headers = parts.headers;
    let body = axum::body::to_bytes(body, state.config.body_limit)
        .await
        .map_err(|_| {
            HubError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                None,
                "the request body is too large",
            )
        })?;
    let paths = paths_of(&headers, &body)?;
    let s = served(state, &repo, &rest[1]).await?;
    let mut out = Vec::new();
    for p in paths {
        let p = p.trim_matches('/').to_string();
        if let Some(f) = s.file(&p) {
            out.push(file_entry(f));
        } else if s.files.iter().any(|f| f.path.starts_with(&format!("{p}/"))) {
            out.push(folder_entry(&s, &p));
        }
    }
    Ok(json_response(&serde_json::Value::Array(out)))
}

/// Any write through the Hub's API: authenticated like everything else, then refused.
async fn read_only(state: &AppState, headers: &HeaderMap) -> HubError {
    match require(state, headers, Role::Reader).await {
        Err(e) => e.into(),
        Ok(_) => HubError::new(
            StatusCode::FORBIDDEN,
            None,
            "this registry's Hub mirror is read-only: add models with `modelvet add` or POST /api/v1/models",
        ),
    }
}

/// `HEAD|GET /{repo}/resolve/{rev}/{path}`.
async fn resolve_file(
    state: &AppState,
    req: &Parts,
    segs: &[String],
) -> Result<Response, HubError> {
    require(state, &req.headers, Role::Reader).await?;
    let (repo, rest) =
        split_repo(state, segs, |rest| rest.len() >= 3 && rest[0] == "resolve").await?;
    let path = repo_path(&rest[2..])?;
    let s = served(state, &repo, &rest[1]).await?;
    let Some(file) = s.file(&path) else {
        return Err(HubError::new(
            StatusCode::NOT_FOUND,
            Some("EntryNotFound"),
            format!("{repo}@{} has no file `{path}`", s.commit()),
        ));
    };
    let range = requested_range(&req.headers, file.size)?;
    let mut h = HeaderMap::new();
    h.insert("x-repo-commit", header_text(s.commit()));
    h.insert(header::ETAG, header_text(&format!("\"{}\"", file.etag())));
    if file.lfs {
        h.insert(
            "x-linked-etag",
            header_text(&format!("\"{}\"", file.etag())),
        );
        h.insert("x-linked-size", HeaderValue::from(file.size));
    }
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    let (status, span) = match range {
        Some(r) => {
            h.insert(
                header::CONTENT_RANGE,
                header_text(&format!("bytes {}-{}/{}", r.start, r.end - 1, file.size)),
            );
            (StatusCode::PARTIAL_CONTENT, r)
        }
        None => (StatusCode::OK, 0..file.size),
    };
    h.insert(
        header::CONTENT_LENGTH,
        HeaderValue::from(span.end - span.start),
    );
    if req.method == Method::HEAD {
        // The metadata step of the clients: no bytes, so no pull from upstream either.
        return Ok((status, h, Body::empty()).into_response());
    }
    let Some(store) = &state.config.blobs else {
        return Err(HubError::new(
            StatusCode::CONFLICT,
            None,
            "this registry has no blob store (start it with --blobs)",
        ));
    };
    ensure_blob(store, &s, file, state.config.upstream.as_ref())
        .await
        .map_err(|e| match &e {
            Unavailable::Missing { .. } => HubError::new(StatusCode::CONFLICT, None, e.to_string()),
            Unavailable::Upstream(_) => {
                tracing::warn!("pull-through of `{repo}/{path}` refused: {e}");
                HubError::new(StatusCode::BAD_GATEWAY, None, e.to_string())
            }
            Unavailable::Store(inner) => {
                tracing::error!("blob store: {}", chain(inner));
                HubError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    None,
                    "the blob store could not answer; see the server's log",
                )
            }
        })?;
    let stream = store
        .read(&file.key(), span, file.size)
        .await
        .map_err(|e| {
            tracing::error!("blob store: {}", chain(&e));
            HubError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                None,
                "the blob store could not answer; see the server's log",
            )
        })?;
    Ok((status, h, Body::from_stream(stream)).into_response())
}

/// The one byte range a `Range` header asks for (`None`: the whole file). Several ranges, a
/// malformed header and a range past the end are 416, with the size in `Content-Range`.
fn requested_range(
    headers: &HeaderMap,
    size: u64,
) -> Result<Option<std::ops::Range<u64>>, HubError> {
    let Some(value) = headers.get(header::RANGE) else {
        return Ok(None);
    };
    let unsatisfiable = |why: &str| {
        HubError::new(
            StatusCode::RANGE_NOT_SATISFIABLE,
            None,
            format!(
                "Range `{}`: {why} (the file has {size} bytes)",
                String::from_utf8_lossy(value.as_bytes())
            ),
        )
    };
    let text = value.to_str().map_err(|_| unsatisfiable("not text"))?;
    let ranges = http_range_header::parse_range_header(text)
        .map_err(|_| unsatisfiable("not a byte range"))?
        .validate(size)
        .map_err(|_| unsatisfiable("outside the file"))?;
    match ranges.as_slice() {
        [] => Ok(None),
        [one] => Ok(Some(*one.start()..*one.end() + 1)),
        _ => Err(unsatisfiable("only one range per request is served")),
    }
}

/// Routes of the Hub's API under `/api/models/` and `/api/repos/`; `resolve` URLs go through
/// [`fallback`], as they start with the repo name.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/api/models/{*rest}", axum::routing::any(api_models))
        .route("/api/repos/{*rest}", axum::routing::any(api_repos))
}

fn raw_rest<'a>(req: &'a Request, prefix: &str) -> &'a str {
    req.uri().path().strip_prefix(prefix).unwrap_or("")
}

async fn api_models(State(state): State<Arc<AppState>>, req: Request) -> Response {
    let raw = raw_rest(&req, "/api/models/").to_string();
    let result = match req.method().clone() {
        Method::GET | Method::HEAD => {
            let (parts, _) = req.into_parts();
            api_get(&state, &parts, &raw).await
        }
        Method::POST => api_post(&state, req, &raw).await,
        _ => {
            let (parts, _) = req.into_parts();
            Err(read_only(&state, &parts.headers).await)
        }
    };
    result.unwrap_or_else(IntoResponse::into_response)
}

async fn api_repos(State(state): State<Arc<AppState>>, req: Request) -> Response {
    let (parts, _) = req.into_parts();
    read_only(&state, &parts.headers).await.into_response()
}

/// Everything no other route takes: a Hub `resolve` URL, or a 404.
pub async fn fallback(State(state): State<Arc<AppState>>, req: Request) -> Response {
    let raw = req.uri().path().trim_start_matches('/').to_string();
    let looks_like_resolve = raw.split('/').take(3).any(|s| s == "resolve");
    if !looks_like_resolve {
        return ApiError::not_found("no such page").into_response();
    }
    let (parts, _) = req.into_parts();
    if !matches!(parts.method, Method::GET | Method::HEAD) {
        return read_only(&state, &parts.headers).await.into_response();
    }
    let result = match segments(&raw) {
        Ok(segs) => resolve_file(&state, &parts, &segs).await,
        Err(e) => Err(e),
    };
    result.unwrap_or_else(IntoResponse::into_response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        let mut h = HeaderMap::new();
        assert_eq!(requested_range(&h, 10).unwrap(), None);
        for (value, want) in [
            ("bytes=0-0", 0..1),
            ("bytes=5-", 5..10),
            ("bytes=-3", 7..10),
            ("bytes=2-99", 2..10),
        ] {
            h.insert(header::RANGE, HeaderValue::from_static(value));
            assert_eq!(requested_range(&h, 10).unwrap(), Some(want), "{value}");
        }
        for value in [
            "bytes=10-",
            "bytes=5-2",
            "bytes=0-1,3-4",
            "items=0-1",
            "bytes=x-y",
            "bytes=99999999999999999999-",
        ] {
            h.insert(header::RANGE, HeaderValue::from_static(value));
            let e = requested_range(&h, 10).unwrap_err();
            assert_eq!(e.status, StatusCode::RANGE_NOT_SATISFIABLE, "{value}");
        }
    }

    #[test]
    fn segments_are_decoded_and_checked() {
        assert_eq!(
            segments("a/refs%2Fpr%2F1/x").unwrap(),
            vec!["a", "refs/pr/1", "x"]
        );
        for bad in ["a/%2e%2e/x", "a//x", "a/../x", "a/%00/x", "a/%ff/x"] {
            assert!(segments(bad).is_err(), "{bad}");
        }
    }
}
