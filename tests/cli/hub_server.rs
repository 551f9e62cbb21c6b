//! A test Hugging Face Hub: a real HTTP/1.1 server on 127.0.0.1 (free port) answering like the
//! Hub from fixture data the test writes — model info and tree APIs (paginated with `Link`),
//! `resolve` with `X-Repo-Commit`/`ETag`/`X-Linked-Etag`/`X-Linked-Size`, LFS files 302-redirected
//! to a second server (the "CDN", another port so another origin) — plus injected faults.
//!
//! Why std `TcpListener` with a thread per connection instead of a server crate: the faults need
//! byte-level control of the connection (a body cut short after its Content-Length was promised, a
//! stall before any byte), which small server crates hide, and a few hundred lines of request
//! parsing are cheaper than another dev-dependency.

#![allow(dead_code)]

use modelvet::hashing::git_blob_id;
use modelvet::hashing::sha256_hex;
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A file of a fixture repo.
#[derive(Debug, Clone)]
pub struct FakeFile {
    pub path: String,
    pub bytes: Vec<u8>,
    pub lfs: bool,
    /// The SHA-256, computed once: the server asks for it on every request.
    sha: std::sync::OnceLock<String>,
}

impl FakeFile {
    /// A regular (git) file.
    pub fn git(path: &str, bytes: impl Into<Vec<u8>>) -> FakeFile {
        FakeFile {
            path: path.to_string(),
            bytes: bytes.into(),
            lfs: false,
            sha: std::sync::OnceLock::new(),
        }
    }

    /// An LFS file (served by 302 to the CDN).
    pub fn lfs(path: &str, bytes: impl Into<Vec<u8>>) -> FakeFile {
        FakeFile {
            path: path.to_string(),
            bytes: bytes.into(),
            lfs: true,
            sha: std::sync::OnceLock::new(),
        }
    }

    pub fn sha256(&self) -> String {
        self.sha.get_or_init(|| sha256_hex(&self.bytes)).clone()
    }

    /// The LFS pointer text the git blob of an LFS file holds.
    pub fn pointer(&self) -> String {
        format!(
            "version https://git-lfs.github.com/spec/v1\noid sha256:{}\nsize {}\n",
            self.sha256(),
            self.bytes.len()
        )
    }

    /// The git blob id the Hub reports (of the pointer for LFS files).
    pub fn git_oid(&self) -> String {
        if self.lfs {
            git_blob_id(self.pointer().as_bytes()).into_string()
        } else {
            git_blob_id(&self.bytes).into_string()
        }
    }

    /// The name of its blob in the HF cache.
    pub fn blob_name(&self) -> String {
        if self.lfs {
            self.sha256()
        } else {
            self.git_oid()
        }
    }
}

/// A fixture repo: commits (each a file list), refs, metadata, gating.
#[derive(Debug, Clone)]
pub struct FakeRepo {
    pub id: String,
    pub refs: BTreeMap<String, String>,
    pub commits: BTreeMap<String, Vec<FakeFile>>,
    pub card_data: serde_json::Value,
    pub tags: Vec<String>,
    pub gated: Option<String>,
    /// The token `resolve` requires (a gated repo whose terms that token's account accepted).
    pub required_token: Option<String>,
    pub last_modified: String,
    /// Disabled by the Hub: every request is a 403 saying so, as the Hub answers.
    pub disabled: bool,
}

impl FakeRepo {
    pub fn new(id: &str) -> FakeRepo {
        FakeRepo {
            id: id.to_string(),
            refs: BTreeMap::new(),
            commits: BTreeMap::new(),
            card_data: serde_json::json!({}),
            tags: Vec::new(),
            gated: None,
            required_token: None,
            last_modified: "2026-01-02T03:04:05.000Z".to_string(),
            disabled: false,
        }
    }

    /// Adds a commit with `files` and points `branch` at it; returns the commit id.
    pub fn commit(&mut self, branch: &str, files: Vec<FakeFile>) -> String {
        let mut seed = format!("{}:{}", self.id, self.commits.len());
        for f in &files {
            seed.push_str(&f.path);
            seed.push_str(&f.git_oid());
        }
        let id = git_blob_id(seed.as_bytes()).into_string();
        self.commits.insert(id.clone(), files);
        self.refs.insert(branch.to_string(), id.clone());
        id
    }

    fn rev(&self, rev: &str) -> Option<String> {
        self.refs
            .get(rev)
            .cloned()
            .or_else(|| self.commits.contains_key(rev).then(|| rev.to_string()))
    }
}

/// A fault injected into matching requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Answer with this status and no body.
    Status(u16),
    /// Say nothing for longer than the client's timeout, then hang up.
    Stall,
    /// Promise the full Content-Length, send half the body, hang up.
    Truncate,
    /// Send the right length with one byte changed.
    WrongBytes,
}

struct FaultRule {
    path_contains: String,
    fault: Fault,
    remaining: usize,
}

/// One request the servers saw.
#[derive(Debug, Clone)]
pub struct Logged {
    /// `hub` or `cdn`.
    pub server: &'static str,
    pub method: String,
    pub path: String,
    pub authorization: Option<String>,
    pub range: Option<String>,
}

struct State {
    repos: BTreeMap<String, FakeRepo>,
    /// Renamed repos: old id → new id (answered with a relative 307, as the Hub does).
    aliases: BTreeMap<String, String>,
    faults: Vec<FaultRule>,
    log: Vec<Logged>,
    weak_etags: bool,
    page_size: usize,
    hub_url: String,
    cdn_url: String,
}

/// The running test Hub and its CDN.
pub struct HubServer {
    pub url: String,
    pub cdn_url: String,
    state: Arc<Mutex<State>>,
}

impl HubServer {
    /// Starts the Hub and the CDN on free ports of 127.0.0.1. They live until the test process ends.
    pub fn start() -> HubServer {
        let hub = TcpListener::bind("127.0.0.1:0").expect("bind hub");
        let cdn = TcpListener::bind("127.0.0.1:0").expect("bind cdn");
        let url = format!("http://{}", hub.local_addr().unwrap());
        let cdn_url = format!("http://{}", cdn.local_addr().unwrap());
        let state = Arc::new(Mutex::new(State {
            repos: BTreeMap::new(),
            aliases: BTreeMap::new(),
            faults: Vec::new(),
            log: Vec::new(),
            weak_etags: false,
            page_size: 2,
            hub_url: url.clone(),
            cdn_url: cdn_url.clone(),
        }));
        for (listener, which) in [(hub, "hub"), (cdn, "cdn")] {
            let st = state.clone();
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    let Ok(stream) = stream else { continue };
                    let st = st.clone();
                    std::thread::spawn(move || {
                        let _ = handle(stream, &st, which);
                    });
                }
            });
        }
        HubServer {
            url,
            cdn_url,
            state,
        }
    }

    pub fn add_repo(&self, repo: FakeRepo) {
        self.state
            .lock()
            .unwrap()
            .repos
            .insert(repo.id.clone(), repo);
    }

    /// Renames: requests for `old` are redirected (relative 307) to `new`.
    pub fn alias(&self, old: &str, new: &str) {
        self.state
            .lock()
            .unwrap()
            .aliases
            .insert(old.to_string(), new.to_string());
    }

    /// Deletes the repo `id`: the Hub answers 404 (401 without a token) for it from now on.
    pub fn remove_repo(&self, id: &str) {
        self.state.lock().unwrap().repos.remove(id);
    }

    /// Renames the repo `old` to `new`, as the Hub does: `new` serves it, `old` redirects there.
    pub fn rename(&self, old: &str, new: &str) {
        let mut st = self.state.lock().unwrap();
        let mut repo = st.repos.remove(old).expect("repo");
        repo.id = new.to_string();
        st.repos.insert(new.to_string(), repo);
        st.aliases.insert(old.to_string(), new.to_string());
    }

    /// Applies `f` to the fixture repo `id` (e.g. to delete a commit after it was pinned).
    pub fn edit_repo(&self, id: &str, f: impl FnOnce(&mut FakeRepo)) {
        f(self.state.lock().unwrap().repos.get_mut(id).expect("repo"));
    }

    /// Injects `fault` into the next `times` requests whose path contains `path_contains`.
    pub fn fault(&self, path_contains: &str, fault: Fault, times: usize) {
        self.state.lock().unwrap().faults.push(FaultRule {
            path_contains: path_contains.to_string(),
            fault,
            remaining: times,
        });
    }

    /// Sends ETags in weak form (`W/"…"`).
    pub fn weak_etags(&self, on: bool) {
        self.state.lock().unwrap().weak_etags = on;
    }

    /// Tree API entries per page.
    pub fn page_size(&self, n: usize) {
        self.state.lock().unwrap().page_size = n.max(1);
    }

    /// Every request so far.
    pub fn log(&self) -> Vec<Logged> {
        self.state.lock().unwrap().log.clone()
    }

    pub fn clear_log(&self) {
        self.state.lock().unwrap().log.clear();
    }
}

struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    fault: Option<Fault>,
}

impl Response {
    fn new(status: u16) -> Response {
        Response {
            status,
            headers: Vec::new(),
            body: Vec::new(),
            fault: None,
        }
    }
    fn header(mut self, k: &str, v: impl Into<String>) -> Response {
        self.headers.push((k.to_string(), v.into()));
        self
    }
    fn json(value: &serde_json::Value) -> Response {
        let mut r = Response::new(200).header("Content-Type", "application/json");
        r.body = value.to_string().into_bytes();
        r
    }
    fn error(status: u16, code: &str, message: &str) -> Response {
        Response::new(status)
            .header("X-Error-Code", code)
            .header("X-Error-Message", message)
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        206 => "Partial Content",
        302 => "Found",
        307 => "Temporary Redirect",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        416 => "Range Not Satisfiable",
        500 => "Internal Server Error",
        _ => "Status",
    }
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let Ok(v) =
                u8::from_str_radix(std::str::from_utf8(&b[i + 1..i + 3]).unwrap_or("zz"), 16)
        {
            out.push(v);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn handle(mut stream: TcpStream, state: &Mutex<State>, which: &'static str) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut buf)?;
        if n == 0 || head.len() > 65536 {
            return Ok(());
        }
        head.extend_from_slice(&buf[..n]);
    }
    let text = String::from_utf8_lossy(&head).into_owned();
    let mut lines = text.split("\r\n");
    let mut first = lines.next().unwrap_or("").split_whitespace();
    let method = first.next().unwrap_or("").to_string();
    let target = first.next().unwrap_or("").to_string();
    let mut headers = BTreeMap::new();
    for line in lines.take_while(|l| !l.is_empty()) {
        if let Some((k, v)) = line.split_once(':') {
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
        }
    }
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    let resp = {
        let mut st = state.lock().unwrap();
        st.log.push(Logged {
            server: which,
            method: method.clone(),
            path: percent_decode(path),
            authorization: headers.get("authorization").cloned(),
            range: headers.get("range").cloned(),
        });
        let decoded = percent_decode(path);
        let fault = st
            .faults
            .iter_mut()
            .find(|f| f.remaining > 0 && decoded.contains(&f.path_contains))
            .map(|f| {
                f.remaining -= 1;
                f.fault
            });
        match fault {
            Some(Fault::Status(code)) => Response::new(code),
            other => {
                let mut r = if which == "hub" {
                    route_hub(&st, path, query, &headers)
                } else {
                    route_cdn(&st, path, &headers)
                };
                if r.status / 100 == 2 {
                    r.fault = other;
                }
                r
            }
        }
    };
    if resp.fault == Some(Fault::Stall) {
        std::thread::sleep(Duration::from_secs(4));
        return Ok(());
    }
    let mut body = resp.body;
    if resp.fault == Some(Fault::WrongBytes) && !body.is_empty() {
        body[0] ^= 0xff;
    }
    let mut out = format!("HTTP/1.1 {} {}\r\n", resp.status, reason(resp.status));
    for (k, v) in &resp.headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    ));
    stream.write_all(out.as_bytes())?;
    if method != "HEAD" {
        if resp.fault == Some(Fault::Truncate) {
            stream.write_all(&body[..body.len() / 2])?;
            stream.flush()?;
            let _ = stream.shutdown(std::net::Shutdown::Both);
            return Ok(());
        }
        stream.write_all(&body)?;
    }
    stream.flush()
}

/// Serves `bytes`, honouring `Range: bytes=N-` with a 206.
fn ranged(bytes: &[u8], headers: &BTreeMap<String, String>) -> Response {
    let total = bytes.len();
    if let Some(start) = headers
        .get("range")
        .and_then(|r| r.strip_prefix("bytes="))
        .and_then(|r| r.strip_suffix('-'))
        .and_then(|s| s.parse::<usize>().ok())
    {
        if start >= total {
            return Response::new(416).header("Content-Range", format!("bytes */{total}"));
        }
        let mut r = Response::new(206)
            .header(
                "Content-Range",
                format!("bytes {start}-{}/{total}", total - 1),
            )
            .header("Accept-Ranges", "bytes");
        r.body = bytes[start..].to_vec();
        return r;
    }
    let mut r = Response::new(200).header("Accept-Ranges", "bytes");
    r.body = bytes.to_vec();
    r
}

fn route_cdn(st: &State, path: &str, headers: &BTreeMap<String, String>) -> Response {
    let Some(sha) = path.strip_prefix("/blobs/") else {
        return Response::new(404);
    };
    for repo in st.repos.values() {
        for files in repo.commits.values() {
            if let Some(f) = files.iter().find(|f| f.lfs && f.sha256() == sha) {
                return ranged(&f.bytes, headers);
            }
        }
    }
    Response::new(404)
}

fn route_hub(st: &State, path: &str, query: &str, headers: &BTreeMap<String, String>) -> Response {
    let segs: Vec<String> = path
        .trim_start_matches('/')
        .split('/')
        .map(percent_decode)
        .collect();
    let segs: Vec<&str> = segs.iter().map(String::as_str).collect();
    let (o, n) = match segs.as_slice() {
        ["api", "models", o, n, ..] => (*o, *n),
        [o, n, "resolve", ..] => (*o, *n),
        _ => ("", ""),
    };
    if let Some(new) = st.aliases.get(&format!("{o}/{n}")) {
        let location = path.replacen(&format!("/{o}/{n}/"), &format!("/{new}/"), 1);
        let q = if query.is_empty() {
            String::new()
        } else {
            format!("?{query}")
        };
        return Response::new(307).header("Location", format!("{location}{q}"));
    }
    match segs.as_slice() {
        ["api", "models", o, n, "revision", rev] => {
            model_info(st, &format!("{o}/{n}"), rev, headers)
        }
        ["api", "models", o, n, "tree", rev, ..] => {
            tree(st, &format!("{o}/{n}"), rev, query, headers)
        }
        [o, n, "resolve", rev, rest @ ..] => {
            resolve(st, &format!("{o}/{n}"), rev, &rest.join("/"), headers)
        }
        _ => Response::new(404),
    }
}

fn find_repo<'a>(
    st: &'a State,
    repo: &str,
    headers: &BTreeMap<String, String>,
) -> Result<&'a FakeRepo, Response> {
    // Like the Hub: without a token a missing repo is a 401 (private ones look the same).
    let status = if headers.contains_key("authorization") {
        404
    } else {
        401
    };
    let r = st
        .repos
        .get(repo)
        .ok_or_else(|| Response::error(status, "RepoNotFound", "Repository not found"))?;
    if r.disabled {
        // What huggingface_hub reads as `DisabledRepoError`: the message, no error code.
        return Err(
            Response::new(403).header("X-Error-Message", "Access to this resource is disabled.")
        );
    }
    Ok(r)
}

fn model_info(st: &State, repo: &str, rev: &str, headers: &BTreeMap<String, String>) -> Response {
    let r = match find_repo(st, repo, headers) {
        Ok(r) => r,
        Err(e) => return e,
    };
    let Some(commit) = r.rev(rev) else {
        return Response::error(404, "RevisionNotFound", &format!("Invalid rev id: {rev}"));
    };
    let siblings: Vec<serde_json::Value> = r.commits[&commit]
        .iter()
        .map(|f| {
            let mut s = serde_json::json!({"rfilename": f.path, "size": f.bytes.len(), "blobId": f.git_oid()});
            if f.lfs {
                s["lfs"] = serde_json::json!({"sha256": f.sha256(), "size": f.bytes.len(), "pointerSize": f.pointer().len()});
            }
            s
        })
        .collect();
    Response::json(&serde_json::json!({
        "_id": "0123456789abcdef01234567",
        "id": r.id,
        "modelId": r.id,
        "author": r.id.split('/').next(),
        "sha": commit,
        "lastModified": r.last_modified,
        "private": false,
        "gated": r.gated.clone().map(serde_json::Value::from).unwrap_or(false.into()),
        "disabled": false,
        "tags": r.tags,
        "cardData": r.card_data,
        "siblings": siblings,
    }))
}

fn tree(
    st: &State,
    repo: &str,
    rev: &str,
    query: &str,
    headers: &BTreeMap<String, String>,
) -> Response {
    let r = match find_repo(st, repo, headers) {
        Ok(r) => r,
        Err(e) => return e,
    };
    let Some(commit) = r.rev(rev) else {
        return Response::error(404, "RevisionNotFound", &format!("Invalid rev id: {rev}"));
    };
    let mut entries: Vec<(String, serde_json::Value)> = Vec::new();
    let mut dirs = std::collections::BTreeSet::new();
    for f in &r.commits[&commit] {
        let mut parts: Vec<&str> = f.path.split('/').collect();
        parts.pop();
        for i in 1..=parts.len() {
            dirs.insert(parts[..i].join("/"));
        }
        let mut e = serde_json::json!({"type": "file", "oid": f.git_oid(), "size": f.bytes.len(), "path": f.path});
        if f.lfs {
            e["lfs"] = serde_json::json!({"oid": f.sha256(), "size": f.bytes.len(), "pointerSize": f.pointer().len()});
        }
        entries.push((f.path.clone(), e));
    }
    for d in dirs.into_iter().filter(|d| !d.is_empty()) {
        entries.push((
            d.clone(),
            serde_json::json!({"type": "directory", "oid": git_blob_id(d.as_bytes()), "size": 0, "path": d}),
        ));
    }
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    let cursor: usize = query
        .split('&')
        .find_map(|kv| kv.strip_prefix("cursor="))
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let end = (cursor + st.page_size).min(entries.len());
    let page: Vec<serde_json::Value> = entries[cursor.min(end)..end]
        .iter()
        .map(|e| e.1.clone())
        .collect();
    let mut resp = Response::json(&serde_json::Value::Array(page));
    if end < entries.len() {
        resp = resp.header(
            "Link",
            format!(
                "<{}/api/models/{repo}/tree/{rev}?recursive=true&cursor={end}>; rel=\"next\"",
                st.hub_url
            ),
        );
    }
    resp
}

fn resolve(
    st: &State,
    repo: &str,
    rev: &str,
    path: &str,
    headers: &BTreeMap<String, String>,
) -> Response {
    let r = match find_repo(st, repo, headers) {
        Ok(r) => r,
        Err(e) => return e,
    };
    if let Some(token) = &r.required_token {
        let msg = format!(
            "Access to model {repo} is restricted. You must have access to it and be authenticated to access it. Please log in."
        );
        match headers.get("authorization") {
            None => return Response::error(401, "GatedRepo", &msg),
            Some(a) if a != &format!("Bearer {token}") => {
                return Response::error(403, "GatedRepo", &msg);
            }
            Some(_) => {}
        }
    }
    let Some(commit) = r.rev(rev) else {
        return Response::error(404, "RevisionNotFound", &format!("Invalid rev id: {rev}"));
    };
    let Some(f) = r.commits[&commit].iter().find(|f| f.path == path) else {
        return Response::error(404, "EntryNotFound", "Entry not found")
            .header("X-Repo-Commit", commit);
    };
    let etag = |v: &str| {
        if st.weak_etags {
            format!("W/\"{v}\"")
        } else {
            format!("\"{v}\"")
        }
    };
    if f.lfs {
        Response::new(302)
            .header(
                "Location",
                format!("{}/blobs/{}?X-Amz-Signature=fake", st.cdn_url, f.sha256()),
            )
            .header("X-Repo-Commit", commit)
            .header("ETag", etag(&f.git_oid()))
            .header("X-Linked-Etag", etag(&f.sha256()))
            .header("X-Linked-Size", f.bytes.len().to_string())
    } else {
        ranged(&f.bytes, headers)
            .header("X-Repo-Commit", commit)
            .header("ETag", etag(&f.git_oid()))
    }
}
