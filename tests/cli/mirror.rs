//! The Hub mirror (issue 15): `modelvet serve` answering as the Hub, filled from the test Hub,
//! downloaded from by the real clients — PyPI huggingface_hub (and its `hf` CLI), transformers
//! and tokenizers from the test cache's venv, and the hf-hub crate — on SQLite and PostgreSQL,
//! with a folder or an S3 bucket (moto's server) as the blob store.

use crate::hub_server::{FakeFile, FakeRepo, Fault, HubServer};
use crate::server::{Server, token};
use crate::support::{Env, last_line, require_assets, tiny_safetensors};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// The venv with the real Hub clients (installed by scripts/test), or a loud skip.
fn clients(test: &str) -> Option<PathBuf> {
    let assets = require_assets(test)?;
    let venv = assets.join("hub-clients-venv");
    if venv.join("bin/python").is_file() {
        Some(venv)
    } else if std::env::var_os("MODELVET_REQUIRE_ASSETS").is_some() {
        panic!("{test}: {} is missing; run scripts/test", venv.display())
    } else {
        eprintln!("SKIPPED ({test}): no Hub clients venv; run scripts/test");
        None
    }
}

/// Runs a Python snippet with the venv's interpreter against the mirror, in a fresh HF_HOME
/// (`hf_home`). Returns (exit code, stdout, stderr).
fn python(
    env: &Env,
    venv: &Path,
    mirror: &str,
    token: &str,
    hf_home: &Path,
    code: &str,
) -> (i32, String, String) {
    let mut cmd = env.std_cmd(venv.join("bin/python"));
    cmd.args(["-c", code])
        .env("HF_ENDPOINT", mirror)
        .env("HF_TOKEN", token)
        .env("HF_HOME", hf_home)
        .env("HF_HUB_DISABLE_TELEMETRY", "1")
        .env("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        .env("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")
        .env_remove("HF_HUB_DISABLE_IMPLICIT_TOKEN");
    let out = cmd.output().expect("run python");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `modelvet` with the test Hub as HF_ENDPOINT.
fn cli(env: &Env, hub: &HubServer, vars: &[(&str, &str)], args: &[&str]) -> (i32, String, String) {
    let mut cmd = env.cmd();
    cmd.env("HF_ENDPOINT", &hub.url);
    for (k, v) in vars {
        cmd.env(k, v);
    }
    let out = cmd.args(args).output().expect("run modelvet");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn cli_ok(env: &Env, hub: &HubServer, vars: &[(&str, &str)], args: &[&str]) -> String {
    let (code, out, err) = cli(env, hub, vars, args);
    assert_eq!(code, 0, "modelvet {args:?} exited {code}\n{out}\n{err}");
    out
}

/// The files of a model folder, relative path → bytes (LFS: weights and anything over 1 MiB).
fn folder_files(dir: &Path) -> Vec<FakeFile> {
    let mut out = Vec::new();
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry = entry.unwrap();
        if !entry.file_type().is_file() {
            continue;
        }
        let rel = entry
            .path()
            .strip_prefix(dir)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let bytes = std::fs::read(entry.path()).unwrap();
        out.push(if rel.ends_with(".safetensors") || bytes.len() > 1 << 20 {
            FakeFile::lfs(&rel, bytes)
        } else {
            FakeFile::git(&rel, bytes)
        });
    }
    out
}

/// A small model whose card's license is not one the default policy allows.
fn unlicensed_files() -> Vec<FakeFile> {
    vec![
        FakeFile::git(
            "README.md",
            "---\nlicense: cc-by-nc-4.0\n---\n# bad\nNon-commercial use only.\n",
        ),
        FakeFile::git("config.json", r#"{"model_type": "bert", "hidden_size": 4}"#),
        FakeFile::lfs("model.safetensors", tiny_safetensors(7)),
    ]
}

/// A small Hub repo under a license (README, config, weights) added to `hub`; its commit.
fn small_repo(hub: &HubServer, id: &str, license: &str, weights: Vec<u8>) -> String {
    let mut repo = FakeRepo::new(id);
    repo.card_data = serde_json::json!({ "license": license });
    let commit = repo.commit(
        "main",
        vec![
            FakeFile::git(
                "README.md",
                format!("---\nlicense: {license}\n---\n# {id}\n"),
            ),
            FakeFile::git("config.json", r#"{"model_type": "bert"}"#),
            FakeFile::lfs("model.safetensors", weights),
        ],
    );
    hub.add_repo(repo);
    commit
}

/// The test Hub with `acme/tiny-bert` (the real all-MiniLM-L6-v2 files) and `acme/unlicensed`.
fn hub_with_models(assets: &Path) -> (HubServer, String) {
    let hub = HubServer::start();
    hub.page_size(1000);
    let mut good = FakeRepo::new("acme/tiny-bert");
    good.card_data =
        serde_json::json!({"license": "apache-2.0", "library_name": "sentence-transformers"});
    let commit = good.commit("main", folder_files(&assets.join("all-MiniLM-L6-v2")));
    hub.add_repo(good);
    let mut bad = FakeRepo::new("acme/unlicensed");
    bad.card_data = serde_json::json!({"license": "cc-by-nc-4.0"});
    bad.commit("main", unlicensed_files());
    hub.add_repo(bad);
    (hub, commit)
}

/// Adds and audits both models under the default policy, putting verified blobs into `blobs`.
fn add_and_audit(env: &Env, hub: &HubServer, vars: &[(&str, &str)], blobs: &str) {
    for repo in ["acme/tiny-bert", "acme/unlicensed"] {
        cli_ok(env, hub, vars, &["add", &format!("hf:{repo}")]);
    }
    cli_ok(
        env,
        hub,
        vars,
        &["audit", "acme/tiny-bert", "--blobs", blobs],
    );
    let (code, out, err) = cli(
        env,
        hub,
        vars,
        &["audit", "acme/unlicensed", "--blobs", blobs],
    );
    assert_eq!(
        code, 1,
        "the unlicensed model must fail its audit\n{out}\n{err}"
    );
}

fn assert_same_tree(got: &Path, want: &Path) {
    for f in walkdir::WalkDir::new(want) {
        let f = f.unwrap();
        if !f.file_type().is_file() {
            continue;
        }
        let rel = f.path().strip_prefix(want).unwrap();
        let mine = std::fs::read(got.join(rel))
            .unwrap_or_else(|e| panic!("{} missing from the download: {e}", rel.display()));
        assert!(
            mine == std::fs::read(f.path()).unwrap(),
            "{} differs from the source",
            rel.display()
        );
    }
}

both_backends!(real_clients_download_only_vetted_revisions, |env| {
    let Some(venv) = clients("real_clients_download_only_vetted_revisions") else {
        return;
    };
    let assets = require_assets("mirror").unwrap();
    let source = assets.join("all-MiniLM-L6-v2");
    let (hub, commit) = hub_with_models(&assets);
    let blobs = env.path().join("blobs");
    add_and_audit(env, &hub, &[], blobs.to_str().unwrap());
    // The server never talks to the test Hub: every byte comes from its blob store.
    let server = Server::start(env, &["--blobs", blobs.to_str().unwrap()], &[]);
    let reader = token(env, "ci-reader", "reader");
    let py = |home: &str, code: &str| {
        python(
            env,
            &venv,
            &server.url,
            &reader,
            &env.path().join(home),
            code,
        )
    };

    // huggingface_hub: the whole snapshot, byte-identical, at the audited commit.
    let (code, out, err) = py(
        "client-1",
        "from huggingface_hub import snapshot_download; print(snapshot_download('acme/tiny-bert'))",
    );
    assert_eq!(code, 0, "{out}\n{err}\nserver:\n{}", server.stderr());
    let snapshot = PathBuf::from(last_line(&out));
    assert!(snapshot.ends_with(&commit), "{}", snapshot.display());
    assert_same_tree(&snapshot, &source);

    // transformers and tokenizers (no torch), through the same mirror.
    let (code, out, err) = py(
        "client-2",
        "from transformers import AutoConfig, AutoTokenizer\n\
         c = AutoConfig.from_pretrained('acme/tiny-bert')\n\
         t = AutoTokenizer.from_pretrained('acme/tiny-bert')\n\
         print(c.model_type, t('hello world')['input_ids'])",
    );
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("bert [101, 7592, 2088, 102]"), "{out}");

    // The `hf` CLI.
    let mut hf = env.std_cmd(venv.join("bin/hf"));
    let local = env.path().join("hf-download");
    let out = hf
        .args(["download", "acme/tiny-bert", "config.json", "--local-dir"])
        .arg(&local)
        .env("HF_ENDPOINT", &server.url)
        .env("HF_TOKEN", &reader)
        .env("HF_HOME", env.path().join("client-3"))
        .env_remove("HF_HUB_DISABLE_IMPLICIT_TOKEN")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        std::fs::read(local.join("config.json")).unwrap(),
        std::fs::read(source.join("config.json")).unwrap()
    );

    // A failing model: the client's error carries our reason.
    let (code, out, err) = py(
        "client-4",
        "from huggingface_hub import hf_hub_download; hf_hub_download('acme/unlicensed', 'config.json')",
    );
    assert_ne!(code, 0, "{out}");
    assert!(err.contains("403"), "{err}");
    assert!(
        err.contains("failed audit: license-not-allowed"),
        "the client should print why: {err}"
    );
    // An unknown repo is the client's RepositoryNotFoundError, as on the Hub.
    let (code, _, err) = py(
        "client-4",
        "from huggingface_hub import model_info; model_info('acme/nobody')",
    );
    assert_ne!(code, 0);
    assert!(err.contains("RepositoryNotFoundError"), "{err}");

    // A newer commit on main, recorded but not audited: `main` still means the vetted one.
    hub.edit_repo("acme/tiny-bert", |r| {
        let mut files = r.commits[&commit].clone();
        files.push(FakeFile::git("NOTICE", "new and unvetted\n"));
        r.commit("main", files);
    });
    let newer = last_line(&cli_ok(env, &hub, &[], &["add", "hf:acme/tiny-bert"])).to_string();
    assert!(!newer.ends_with(&commit), "{newer}");
    let (code, out, err) = py(
        "client-5",
        "from huggingface_hub import model_info, hf_hub_download\n\
         print(model_info('acme/tiny-bert').sha)\n\
         print(hf_hub_download('acme/tiny-bert', 'config.json'))",
    );
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(
        out.starts_with(&commit),
        "main must skip the unvetted commit: {out}"
    );
    let newer_rev = newer.rsplit_once('@').unwrap().1;
    let (code, _, err) = py(
        "client-5",
        &format!(
            "from huggingface_hub import hf_hub_download; hf_hub_download('acme/tiny-bert', 'NOTICE', revision='{newer_rev}')"
        ),
    );
    assert_ne!(code, 0);
    assert!(err.contains("has not been audited"), "{err}");

    // A resumed download: huggingface_hub finds a partial blob and asks for the rest (Range).
    let home = env.path().join("client-6");
    let weights = std::fs::read(source.join("model.safetensors")).unwrap();
    let sha = modelvet::hashing::sha256_hex(&weights);
    let blob_dir = home.join("hub/models--acme--tiny-bert/blobs");
    std::fs::create_dir_all(&blob_dir).unwrap();
    std::fs::write(
        blob_dir.join(format!("{sha}.incomplete")),
        &weights[..weights.len() / 3],
    )
    .unwrap();
    let (code, out, err) = py(
        "client-6",
        "from huggingface_hub import hf_hub_download; print(hf_hub_download('acme/tiny-bert', 'model.safetensors'))",
    );
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(std::fs::read(last_line(&out)).unwrap() == weights);

    // The hf-hub crate (candle's client), from Rust.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let client = hf_hub::HFClient::builder()
        .endpoint(server.url.clone())
        .token(reader.clone())
        .cache_dir(env.path().join("client-7"))
        .build()
        .unwrap();
    let repo = client.model("acme", "tiny-bert");
    let got = rt
        .block_on(repo.snapshot_download().send())
        .unwrap_or_else(|e| panic!("hf-hub snapshot_download: {e}\n{}", server.stderr()));
    assert!(got.ends_with(&commit), "{}", got.display());
    assert_same_tree(&got, &source);
    let denied = rt.block_on(
        client
            .model("acme", "unlicensed")
            .download_file()
            .filename("config.json")
            .send(),
    );
    assert!(denied.is_err(), "hf-hub must not get a failing model");
});

/// Raw requests a client library would normalise.
fn raw_status(server: &Server, request: &str) -> u16 {
    let answer = server.raw(request);
    answer
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status in {answer:?}"))
}

both_backends!(hostile_requests_get_4xx_and_change_nothing, |env| {
    let hub = HubServer::start();
    let commit = small_repo(&hub, "acme/tiny", "mit", tiny_safetensors(3));
    let blobs = env.path().join("blobs");
    cli_ok(env, &hub, &[], &["add", "hf:acme/tiny"]);
    cli_ok(
        env,
        &hub,
        &[],
        &["audit", "acme/tiny", "--blobs", blobs.to_str().unwrap()],
    );
    let server = Server::start(
        env,
        &["--blobs", blobs.to_str().unwrap(), "--tree-page-size", "2"],
        &[],
    );
    let reader = token(env, "reader", "reader");
    let auth = format!("Authorization: Bearer {reader}\r\n");
    let events_before = server.json("GET", "/api/v1/events", Some(&reader), None).1;
    let blobs_before: Vec<_> = walkdir::WalkDir::new(&blobs)
        .into_iter()
        .map(|e| e.unwrap().path().to_path_buf())
        .collect();

    // The happy path first: headers the clients read, and a Range answered with 206.
    let client = reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let url = format!("{}/acme/tiny/resolve/main/model.safetensors", server.url);
    let head = client.head(&url).bearer_auth(&reader).send().unwrap();
    assert_eq!(head.status(), 200);
    let weights = tiny_safetensors(3);
    let sha = modelvet::hashing::sha256_hex(&weights);
    let h = head.headers();
    assert_eq!(h["x-repo-commit"], commit.as_str());
    assert_eq!(h["etag"], format!("\"{sha}\"").as_str());
    assert_eq!(h["x-linked-etag"], format!("\"{sha}\"").as_str());
    assert_eq!(h["x-linked-size"], weights.len().to_string().as_str());
    assert_eq!(h["content-length"], weights.len().to_string().as_str());
    assert_eq!(h["accept-ranges"], "bytes");
    let part = client
        .get(&url)
        .bearer_auth(&reader)
        .header("range", "bytes=4-9")
        .send()
        .unwrap();
    assert_eq!(part.status(), 206);
    assert_eq!(
        part.headers()["content-range"],
        format!("bytes 4-9/{}", weights.len()).as_str()
    );
    assert_eq!(part.bytes().unwrap().as_ref(), &weights[4..10]);
    let config = client
        .get(format!(
            "{}/acme/tiny/resolve/{commit}/config.json",
            server.url
        ))
        .bearer_auth(&reader)
        .send()
        .unwrap();
    let cfg = r#"{"model_type": "bert"}"#;
    assert_eq!(
        config.headers()["etag"],
        format!("\"{}\"", modelvet::hashing::git_blob_id(cfg.as_bytes())).as_str()
    );
    assert_eq!(config.text().unwrap(), cfg);
    // The tree, two entries a page, with a Link to the next.
    let page1 = client
        .get(format!(
            "{}/api/models/acme/tiny/tree/main?recursive=true",
            server.url
        ))
        .bearer_auth(&reader)
        .send()
        .unwrap();
    let link = page1.headers()["link"].to_str().unwrap().to_string();
    assert!(
        link.contains("cursor=2") && link.contains("rel=\"next\""),
        "{link}"
    );
    let entries: serde_json::Value = page1.json().unwrap();
    assert_eq!(entries.as_array().unwrap().len(), 2);
    let next = link.trim_start_matches('<').split('>').next().unwrap();
    let page2: serde_json::Value = client
        .get(next)
        .bearer_auth(&reader)
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(page2[0]["path"], "model.safetensors");
    assert_eq!(page2[0]["lfs"]["oid"], sha.as_str());
    // paths-info as huggingface_hub posts it (a form).
    let info: serde_json::Value = client
        .post(format!(
            "{}/api/models/acme/tiny/paths-info/main",
            server.url
        ))
        .bearer_auth(&reader)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("paths=config.json&paths=nothing.bin&expand=False")
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(info.as_array().unwrap().len(), 1, "{info}");
    assert_eq!(info[0]["path"], "config.json");

    let get = |target: &str, extra: &str| {
        raw_status(
            &server,
            &format!("GET {target} HTTP/1.1\r\nHost: x\r\n{auth}{extra}Connection: close\r\n\r\n"),
        )
    };
    // Path traversal in repo names, revisions and file paths (raw, so nothing normalises them).
    for target in [
        "/acme/..%2f..%2fetc/resolve/main/passwd",
        "/%2e%2e/tiny/resolve/main/config.json",
        "/acme/tiny/resolve/..%2f..%2f..%2fetc/config.json",
        "/acme/tiny/resolve/main/..%2f..%2fcatalogue.db",
        "/acme/tiny/resolve/main/%2e%2e/%2e%2e/etc/passwd",
        "/acme/tiny/resolve/main/a%00b",
        "/api/models/acme/tiny/tree/main/..%2f..",
        "/api/models/acme/%2e%2e/revision/main",
    ] {
        let status = get(target, "");
        assert!((400..500).contains(&status), "{target}: {status}");
    }
    // A revision given as a commit prefix; an unknown full commit.
    assert_eq!(
        get(
            &format!("/acme/tiny/resolve/{}/config.json", &commit[..12]),
            ""
        ),
        400
    );
    assert_eq!(
        get(
            &format!("/acme/tiny/resolve/{}/config.json", "0".repeat(40)),
            ""
        ),
        404
    );
    // Absurd ranges.
    for range in [
        "bytes=999999999-",
        "bytes=9-3",
        "bytes=0-1,4-5",
        "lines=1-2",
        "bytes=--1",
        "bytes=18446744073709551616-",
    ] {
        let status = get(
            "/acme/tiny/resolve/main/model.safetensors",
            &format!("Range: {range}\r\n"),
        );
        assert_eq!(status, 416, "{range}");
    }
    // No token, a bad token, and a reader's token used for writes.
    assert_eq!(
        raw_status(
            &server,
            "GET /acme/tiny/resolve/main/config.json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        ),
        401
    );
    assert_eq!(
        raw_status(
            &server,
            "GET /api/models/acme/tiny HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer mvt_nope\r\nConnection: close\r\n\r\n"
        ),
        401
    );
    for (method, target) in [
        ("POST", "/api/repos/create"),
        ("POST", "/api/models/acme/tiny/commit/main"),
        ("POST", "/api/models/acme/tiny/preupload/main"),
        ("DELETE", "/api/repos/delete"),
        ("PUT", "/api/models/acme/tiny/settings"),
        ("PUT", "/acme/tiny/resolve/main/config.json"),
    ] {
        let status = raw_status(
            &server,
            &format!(
                "{method} {target} HTTP/1.1\r\nHost: x\r\n{auth}Content-Length: 2\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n{{}}"
            ),
        );
        assert_eq!(status, 403, "{method} {target}");
    }
    let events_after = server.json("GET", "/api/v1/events", Some(&reader), None).1;
    assert_eq!(
        events_before, events_after,
        "a refused request must change nothing"
    );
    let blobs_after: Vec<_> = walkdir::WalkDir::new(&blobs)
        .into_iter()
        .map(|e| e.unwrap().path().to_path_buf())
        .collect();
    assert_eq!(blobs_before, blobs_after);
});

#[test]
fn pull_through_verifies_upstream_bytes_and_keeps_none_that_fail() {
    let env = Env::new();
    let hub = HubServer::start();
    let weights = tiny_safetensors(11);
    small_repo(&hub, "acme/pulled", "mit", weights.clone());
    // The audit ran on another machine (its own HF cache); this server's store is empty.
    let auditor_home = env.path().join("auditor-hf");
    let vars = [("HF_HOME", auditor_home.to_str().unwrap())];
    cli_ok(&env, &hub, &vars, &["add", "hf:acme/pulled"]);
    cli_ok(&env, &hub, &vars, &["audit", "acme/pulled"]);
    let blobs = env.path().join("server-blobs");
    let server = Server::start(
        &env,
        &["--blobs", blobs.to_str().unwrap(), "--upstream", &hub.url],
        &[("HF_HOME", env.path().join("server-hf").to_str().unwrap())],
    );
    let reader = token(&env, "reader", "reader");
    let client = reqwest::blocking::Client::new();
    let url = format!("{}/acme/pulled/resolve/main/model.safetensors", server.url);
    let stored = || {
        walkdir::WalkDir::new(blobs.join("sha256"))
            .into_iter()
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_file())
            .count()
            + std::fs::read_dir(blobs.join("tmp")).unwrap().count()
    };

    // A tampering upstream (one byte changed, right length): an error, and nothing kept.
    hub.fault("/blobs/", Fault::WrongBytes, 1);
    let resp = client.get(&url).bearer_auth(&reader).send().unwrap();
    assert_eq!(resp.status(), 502);
    assert!(resp.text().unwrap().contains("nothing was stored"));
    assert_eq!(stored(), 0, "tampered bytes must not be kept");

    // An honest upstream: pulled, verified, stored, served; the next request needs no upstream.
    let resp = client.get(&url).bearer_auth(&reader).send().unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.bytes().unwrap().as_ref() == weights.as_slice());
    assert_eq!(stored(), 1);
    hub.clear_log();
    let resp = client.get(&url).bearer_auth(&reader).send().unwrap();
    assert!(resp.bytes().unwrap().as_ref() == weights.as_slice());
    assert!(
        hub.log().is_empty(),
        "a stored blob is served from the store"
    );

    // A model that failed its audit is never pulled.
    let mut bad = FakeRepo::new("acme/unlicensed");
    bad.commit("main", unlicensed_files());
    hub.add_repo(bad);
    cli_ok(&env, &hub, &vars, &["add", "hf:acme/unlicensed"]);
    let _ = cli(&env, &hub, &vars, &["audit", "acme/unlicensed"]);
    hub.clear_log();
    let resp = client
        .get(format!(
            "{}/acme/unlicensed/resolve/main/model.safetensors",
            server.url
        ))
        .bearer_auth(&reader)
        .send()
        .unwrap();
    assert_eq!(resp.status(), 403);
    assert!(
        hub.log().is_empty(),
        "nothing is pulled for a refused revision"
    );
}

/// moto's S3-compatible server on a free port of 127.0.0.1, with a bucket; killed on drop.
struct Moto {
    child: std::process::Child,
    endpoint: String,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_moto(env: &Env, venv: &Path, bucket: &str) -> Moto {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = env
        .std_cmd(venv.join("bin/moto_server"))
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start moto_server");
    let endpoint = format!("http://127.0.0.1:{port}");
    let start = std::time::Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "moto did not start"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let moto = Moto { child, endpoint };
    let out = Command::new(venv.join("bin/python"))
        .args([
            "-c",
            &format!(
                "import boto3; boto3.client('s3', endpoint_url='{}', region_name='us-east-1', aws_access_key_id='test', aws_secret_access_key='test').create_bucket(Bucket='{bucket}')",
                moto.endpoint
            ),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    moto
}

#[test]
fn two_servers_share_postgresql_and_an_s3_bucket() {
    let Some(venv) = clients("two_servers_share_postgresql_and_an_s3_bucket") else {
        return;
    };
    let Some(env) = Env::with_backend(crate::support::Backend::Postgres) else {
        return;
    };
    let moto = start_moto(&env, &venv, "models");
    let s3 = [
        ("AWS_ENDPOINT_URL", moto.endpoint.as_str()),
        ("AWS_ALLOW_HTTP", "true"),
        ("AWS_ACCESS_KEY_ID", "test"),
        ("AWS_SECRET_ACCESS_KEY", "test"),
        ("AWS_REGION", "us-east-1"),
    ];
    let hub = HubServer::start();
    // 12 MiB of weights: a multipart upload of three parts into the bucket.
    let weights = big_safetensors(3 << 20);
    let commit = small_repo(&hub, "acme/shared", "apache-2.0", weights.clone());
    cli_ok(&env, &hub, &s3, &["add", "hf:acme/shared"]);
    cli_ok(
        &env,
        &hub,
        &s3,
        &["audit", "acme/shared", "--blobs", "s3://models/blobs"],
    );
    // Two servers, each with its own (empty) HF cache: the bucket is the only copy they share.
    let servers: Vec<Server> = (0..2)
        .map(|i| {
            let home = env.path().join(format!("server-{i}-hf"));
            let mut vars = s3.to_vec();
            vars.push(("HF_HOME", home.to_str().unwrap()));
            Server::start(&env, &["--blobs", "s3://models/blobs"], &vars)
        })
        .collect();
    let reader = token(&env, "reader", "reader");
    let mut downloads = Vec::new();
    for (i, server) in servers.iter().enumerate() {
        let (code, out, err) = python(
            &env,
            &venv,
            &server.url,
            &reader,
            &env.path().join(format!("client-{i}")),
            "from huggingface_hub import snapshot_download; print(snapshot_download('acme/shared'))",
        );
        assert_eq!(code, 0, "{out}\n{err}\n{}", server.stderr());
        let snap = PathBuf::from(last_line(&out));
        assert!(snap.ends_with(&commit));
        downloads.push(snap);
    }
    for f in ["README.md", "config.json", "model.safetensors"] {
        let a = std::fs::read(downloads[0].join(f)).unwrap();
        let b = std::fs::read(downloads[1].join(f)).unwrap();
        assert!(a == b, "{f} differs between the servers");
    }
    assert!(std::fs::read(downloads[0].join("model.safetensors")).unwrap() == weights);
}

/// A valid safetensors file with one F32 tensor of `n` values.
fn big_safetensors(n: usize) -> Vec<u8> {
    let mut header = format!(
        r#"{{"w":{{"dtype":"F32","shape":[{n}],"data_offsets":[0,{}]}}}}"#,
        n * 4
    );
    while header.len() % 8 != 0 {
        header.push(' ');
    }
    let mut out = (header.len() as u64).to_le_bytes().to_vec();
    out.extend_from_slice(header.as_bytes());
    out.extend((0..n).flat_map(|i| ((i % 1000) as f32 / 1000.0).to_le_bytes()));
    out
}

/// Benchmark (run by `scripts/bench-mirror` with a release binary in `MODELVET_BIN`; ignored in the
/// suite): huggingface_hub's `snapshot_download` of all-MiniLM-L6-v2 (90 MB) straight from the test
/// Hub and through the mirror, alternately, in one run. Prints the rates and the ratio.
#[test]
#[ignore]
fn bench_snapshot_download_through_the_mirror() {
    let env = Env::new();
    let Some(venv) = clients("bench_snapshot_download_through_the_mirror") else {
        return;
    };
    let assets = require_assets("bench").unwrap();
    let (hub, _) = hub_with_models(&assets);
    let blobs = env.path().join("blobs");
    add_and_audit(&env, &hub, &[], blobs.to_str().unwrap());
    let server = Server::start(&env, &["--blobs", blobs.to_str().unwrap()], &[]);
    let reader = token(&env, "bench", "reader");
    let size: u64 = walkdir::WalkDir::new(assets.join("all-MiniLM-L6-v2"))
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| e.metadata().unwrap().len())
        .sum();
    let code = "import time\nfrom huggingface_hub import snapshot_download\n\
                t = time.perf_counter(); snapshot_download('acme/tiny-bert'); print(time.perf_counter() - t)";
    let mut best = [f64::MAX; 2];
    for round in 0..5 {
        for (i, endpoint) in [hub.url.as_str(), server.url.as_str()]
            .into_iter()
            .enumerate()
        {
            let home = env.path().join(format!("bench-{round}-{i}"));
            let (status, out, err) = python(&env, &venv, endpoint, &reader, &home, code);
            assert_eq!(status, 0, "{out}\n{err}");
            let secs: f64 = last_line(&out).trim().parse().unwrap();
            best[i] = best[i].min(secs);
            let _ = std::fs::remove_dir_all(&home);
        }
    }
    let mb = size as f64 / 1e6;
    println!(
        "snapshot_download {mb:.0} MB: test Hub {:.0} MB/s, mirror {:.0} MB/s, ratio {:.2}",
        mb / best[0],
        mb / best[1],
        best[0] / best[1]
    );
}

#[test]
fn approvals_and_the_policy_decide_what_the_mirror_serves() {
    let env = Env::new();
    let hub = HubServer::start();
    let commit = small_repo(&hub, "acme/gated", "mit", tiny_safetensors(9));
    let blobs = env.path().join("blobs");
    let blobs = blobs.to_str().unwrap();
    let policy = env.work().join("policy.yaml");
    std::fs::write(
        &policy,
        "version: 1\nlicenses:\n  allow: [MIT]\nchecks:\n  verify: true\napprovals:\n  criteria:\n    production: reviewed\n  require: [production]\n",
    )
    .unwrap();
    let policy = policy.to_str().unwrap();
    cli_ok(&env, &hub, &[], &["add", "hf:acme/gated"]);
    // Audited under another policy (the built-in default): not what this registry enforces.
    cli_ok(&env, &hub, &[], &["audit", "acme/gated", "--blobs", blobs]);
    let server = Server::start(&env, &["--blobs", blobs, "--policy", policy], &[]);
    let reader = token(&env, "reader", "reader");
    let url = "/acme/gated/resolve/main/config.json";
    let (status, body) = server.call("GET", url, Some(&reader), None);
    assert_eq!(status, 403);
    assert!(
        body.contains("not under the policy this registry enforces"),
        "{body}"
    );
    // Audited under the server's policy, but not approved: the audit fails for that alone, and
    // the mirror says so.
    let (code, _, _) = cli(
        &env,
        &hub,
        &[],
        &["audit", "acme/gated", "--policy", policy],
    );
    assert_eq!(code, 1);
    let (status, body) = server.call("GET", url, Some(&reader), None);
    assert_eq!(status, 403);
    assert!(body.contains("is not approved: approval-missing"), "{body}");
    // Approved after the audit: served at once, without another audit.
    cli_ok(
        &env,
        &hub,
        &[],
        &[
            "approve",
            &format!("acme/gated@{commit}"),
            "--criteria",
            "production",
            "--policy",
            policy,
        ],
    );
    let (status, body) = server.call("GET", url, Some(&reader), None);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, r#"{"model_type": "bert"}"#);
    // Revoked: refused again.
    cli_ok(
        &env,
        &hub,
        &[],
        &[
            "revoke",
            &format!("acme/gated@{commit}"),
            "--criteria",
            "production",
        ],
    );
    let (status, body) = server.call("GET", url, Some(&reader), None);
    assert_eq!(status, 403);
    assert!(body.contains("approval-revoked"), "{body}");
}
