//! `modelvet fetch hf:…` against the test Hub (tests/cli/hub_server.rs): the cache layout, digest
//! checks, resume, retries, gating, bad names, offline mode and the token's reach.

use crate::hub_server::{FakeFile, FakeRepo, Fault, HubServer};
use crate::support::Env;
use std::path::{Path, PathBuf};

const TOKEN: &str = "hf_testtoken_do_not_log";

fn weights() -> Vec<u8> {
    (0..300_000u32).map(|i| (i * 7 % 251) as u8).collect()
}

fn files() -> Vec<FakeFile> {
    vec![
        FakeFile::git(
            "README.md",
            "---\nlicense: apache-2.0\nbase_model: acme/base\n---\n# Tiny\n",
        ),
        FakeFile::git("config.json", "{\"model_type\": \"bert\"}\n"),
        FakeFile::git("1_Pooling/config.json", "{\"pooling\": \"mean\"}\n"),
        FakeFile::lfs("model.safetensors", weights()),
    ]
}

/// A Hub serving `acme/tiny` (4 files, one LFS) and its commit.
fn tiny_hub() -> (HubServer, String) {
    let server = HubServer::start();
    let mut repo = FakeRepo::new("acme/tiny");
    repo.card_data = serde_json::json!({"license": "apache-2.0", "base_model": "acme/base"});
    repo.tags = vec!["license:apache-2.0".into()];
    let commit = repo.commit("main", files());
    server.add_repo(repo);
    (server, commit)
}

fn run(
    env: &Env,
    server: &HubServer,
    vars: &[(&str, &str)],
    args: &[&str],
) -> (i32, String, String) {
    let mut cmd = env.cmd();
    cmd.env("HF_ENDPOINT", &server.url)
        .env("HF_HUB_DOWNLOAD_TIMEOUT", "1");
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

fn fetch_json(
    env: &Env,
    server: &HubServer,
    vars: &[(&str, &str)],
    extra: &[&str],
    code: i32,
) -> serde_json::Value {
    let mut args = vec!["fetch", "hf:acme/tiny", "--format", "json"];
    args.extend_from_slice(extra);
    let (c, out, err) = run(env, server, vars, &args);
    assert_eq!(c, code, "exit {c}\nstdout:\n{out}\nstderr:\n{err}");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("not JSON ({e}): {out}\n{err}"))
}

fn repo_dir(env: &Env) -> PathBuf {
    env.path().join("hf/hub/models--acme--tiny")
}

fn status_of(report: &serde_json::Value, path: &str) -> String {
    report["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == path)
        .unwrap_or_else(|| panic!("{path} not in {report}"))["status"]
        .as_str()
        .unwrap()
        .to_string()
}

fn blob_names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir.join("blobs"))
        .map(|rd| {
            rd.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

#[test]
fn fetch_fills_the_hf_cache_layout_and_keeps_the_token_on_the_hub() {
    let env = Env::new();
    let (server, commit) = tiny_hub();
    let report = fetch_json(&env, &server, &[("HF_TOKEN", TOKEN)], &[], 0);
    assert_eq!(report["commit"], commit.as_str());
    for f in files() {
        assert_eq!(status_of(&report, &f.path), "downloaded");
    }
    let rdir = repo_dir(&env);
    // Blob names, snapshot links and refs exactly as huggingface_hub lays them out.
    let mut want: Vec<String> = files().iter().map(FakeFile::blob_name).collect();
    want.sort();
    assert_eq!(blob_names(&rdir), want);
    let snap = rdir.join("snapshots").join(&commit);
    for f in files() {
        let link = std::fs::read_link(snap.join(&f.path)).unwrap();
        let ups = "../".repeat(f.path.matches('/').count());
        assert_eq!(
            link,
            PathBuf::from(format!("{ups}../../blobs/{}", f.blob_name()))
        );
        assert_eq!(std::fs::read(snap.join(&f.path)).unwrap(), f.bytes);
    }
    assert_eq!(
        std::fs::read_to_string(rdir.join("refs/main")).unwrap(),
        commit
    );
    assert!(env.path().join("hf/hub/CACHEDIR.TAG").is_file());
    let tree: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(rdir.join(format!("trees/{commit}.json"))).unwrap(),
    )
    .unwrap();
    assert_eq!(
        tree["files"]["model.safetensors"]["lfs_sha256"],
        FakeFile::lfs("x", weights()).sha256().as_str()
    );

    // The offline audit finds the cache clean and lists the files.
    let audit = modelvet::hub::audit_cache(&env.path().join("hf/hub")).unwrap();
    assert!(audit.findings.is_empty(), "{:?}", audit.findings);
    assert_eq!(audit.repos[0].snapshots[0].files.len(), 4);
    assert!(audit.repos[0].snapshots[0].files.iter().all(|f| f.verified));

    // The tree API was paginated; the token went to the Hub and never to the CDN.
    let log = server.log();
    assert!(
        log.iter().filter(|r| r.path.contains("/tree/")).count() >= 2,
        "{log:?}"
    );
    let cdn: Vec<_> = log.iter().filter(|r| r.server == "cdn").collect();
    assert!(!cdn.is_empty(), "the LFS file was not redirected: {log:?}");
    assert!(
        cdn.iter().all(|r| r.authorization.is_none()),
        "token sent to the CDN: {cdn:?}"
    );
    assert!(
        log.iter()
            .filter(|r| r.server == "hub")
            .all(|r| r.authorization.as_deref() == Some(&format!("Bearer {TOKEN}"))),
        "{log:?}"
    );

    // Fetching again re-verifies what is cached and downloads nothing.
    server.clear_log();
    let again = fetch_json(&env, &server, &[("HF_TOKEN", TOKEN)], &["-v"], 0);
    assert_eq!(status_of(&again, "model.safetensors"), "cached");
    assert_eq!(again["bytes_downloaded"], 0);
    assert!(
        server.log().iter().all(|r| r.server == "hub"),
        "{:?}",
        server.log()
    );
    let (_, _, err) = run(
        &env,
        &server,
        &[("HF_TOKEN", TOKEN)],
        &["-vv", "fetch", "hf:acme/tiny"],
    );
    assert!(!err.contains(TOKEN), "token in the log: {err}");
}

#[test]
fn human_output_and_include_glob() {
    let env = Env::new();
    let (server, commit) = tiny_hub();
    let (code, out, err) = run(
        &env,
        &server,
        &[],
        &["fetch", "hf:acme/tiny@main", "--include", "*.json"],
    );
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(
        out.contains("config.json") && out.contains(&commit),
        "{out}"
    );
    assert!(!out.contains("model.safetensors"), "{out}");
    let names = blob_names(&repo_dir(&env));
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(!names.contains(&FakeFile::lfs("x", weights()).sha256()));
}

#[test]
fn a_few_500s_are_retried() {
    let env = Env::new();
    let (server, _) = tiny_hub();
    server.fault("/api/models/acme/tiny/revision", Fault::Status(500), 1);
    server.fault("/blobs/", Fault::Status(503), 2);
    let report = fetch_json(&env, &server, &[], &[], 0);
    assert_eq!(status_of(&report, "model.safetensors"), "downloaded");
}

#[test]
fn persistent_500s_give_a_clear_error_and_no_cache() {
    let env = Env::new();
    let (server, _) = tiny_hub();
    server.fault("/api/models", Fault::Status(500), 100);
    let (code, out, err) = run(&env, &server, &[], &["fetch", "hf:acme/tiny"]);
    assert_eq!(code, 2, "{out}\n{err}");
    assert!(
        err.contains("after 3 attempts") && err.contains("HTTP 500"),
        "{err}"
    );
    assert!(!repo_dir(&env).exists());
}

#[test]
fn timeouts_are_retried_then_reported() {
    let env = Env::new();
    let (server, _) = tiny_hub();
    server.fault("/blobs/", Fault::Stall, 100);
    let (code, out, err) = run(&env, &server, &[], &["fetch", "hf:acme/tiny"]);
    assert_eq!(code, 2, "{out}\n{err}");
    assert!(
        err.contains("timed out") && err.contains("3 attempts"),
        "{err}"
    );
    let weights_blob = FakeFile::lfs("x", weights()).sha256();
    assert!(!blob_names(&repo_dir(&env)).contains(&weights_blob));
}

#[test]
fn a_truncated_body_is_resumed_with_a_range_request() {
    let env = Env::new();
    let (server, _) = tiny_hub();
    server.fault("/blobs/", Fault::Truncate, 1);
    let report = fetch_json(&env, &server, &[], &[], 0);
    assert_eq!(status_of(&report, "model.safetensors"), "downloaded");
    let ranged: Vec<_> = server
        .log()
        .into_iter()
        .filter(|r| r.server == "cdn" && r.range.is_some())
        .collect();
    assert_eq!(ranged.len(), 1, "{ranged:?}");
    assert_eq!(ranged[0].range.as_deref(), Some("bytes=150000-"));
    let snap = report["snapshot_dir"].as_str().unwrap();
    assert_eq!(
        std::fs::read(Path::new(snap).join("model.safetensors")).unwrap(),
        weights()
    );
}

#[test]
fn a_body_that_stays_truncated_leaves_no_blob() {
    let env = Env::new();
    let (server, commit) = tiny_hub();
    server.fault("/blobs/", Fault::Truncate, 100);
    let (code, out, err) = run(&env, &server, &[], &["fetch", "hf:acme/tiny"]);
    assert_eq!(code, 2, "{out}\n{err}");
    assert!(err.contains("3 attempts"), "{err}");
    let sha = FakeFile::lfs("x", weights()).sha256();
    assert!(!blob_names(&repo_dir(&env)).contains(&sha));
    assert!(
        !repo_dir(&env)
            .join("snapshots")
            .join(&commit)
            .join("model.safetensors")
            .exists()
    );
}

#[test]
fn wrong_bytes_are_never_left_in_place() {
    let env = Env::new();
    let (server, commit) = tiny_hub();
    // Once: the Hub's digest check is what stops it, not a retry that happens to succeed.
    server.fault("/blobs/", Fault::WrongBytes, 1);
    let report = fetch_json(&env, &server, &[], &[], 1);
    assert_eq!(status_of(&report, "model.safetensors"), "mismatch");
    assert_eq!(status_of(&report, "config.json"), "downloaded");
    let names = blob_names(&repo_dir(&env));
    let sha = FakeFile::lfs("x", weights()).sha256();
    assert!(names.iter().all(|n| !n.starts_with(&sha)), "{names:?}");
    let link = repo_dir(&env)
        .join("snapshots")
        .join(&commit)
        .join("model.safetensors");
    assert!(std::fs::symlink_metadata(link).is_err());
    // A later clean fetch completes the model.
    let report = fetch_json(&env, &server, &[], &[], 0);
    assert_eq!(status_of(&report, "model.safetensors"), "downloaded");
    assert_eq!(status_of(&report, "config.json"), "cached");
}

#[test]
fn a_previous_incomplete_download_is_resumed() {
    let env = Env::new();
    let (server, _) = tiny_hub();
    let rdir = repo_dir(&env);
    std::fs::create_dir_all(rdir.join("blobs")).unwrap();
    let sha = FakeFile::lfs("x", weights()).sha256();
    std::fs::write(
        rdir.join(format!("blobs/{sha}.incomplete")),
        &weights()[..100_000],
    )
    .unwrap();
    let report = fetch_json(&env, &server, &[], &[], 0);
    assert_eq!(status_of(&report, "model.safetensors"), "resumed");
    assert!(
        server
            .log()
            .iter()
            .any(|r| r.range.as_deref() == Some("bytes=100000-"))
    );
    assert_eq!(
        std::fs::read(rdir.join("blobs").join(&sha)).unwrap(),
        weights()
    );
    assert!(!rdir.join(format!("blobs/{sha}.incomplete")).exists());

    // A `.incomplete` holding every byte (killed before the rename) is verified without a request.
    let env = Env::new();
    let rdir = repo_dir(&env);
    std::fs::create_dir_all(rdir.join("blobs")).unwrap();
    std::fs::write(rdir.join(format!("blobs/{sha}.incomplete")), weights()).unwrap();
    server.clear_log();
    let report = fetch_json(&env, &server, &[], &[], 0);
    assert_eq!(status_of(&report, "model.safetensors"), "resumed");
    assert!(
        server.log().iter().all(|r| r.server == "hub"),
        "{:?}",
        server.log()
    );

    // A stale `.incomplete` with wrong bytes: the resumed result mismatches, so it starts over.
    let env = Env::new();
    let rdir = repo_dir(&env);
    std::fs::create_dir_all(rdir.join("blobs")).unwrap();
    std::fs::write(
        rdir.join(format!("blobs/{sha}.incomplete")),
        vec![0u8; 1000],
    )
    .unwrap();
    let report = fetch_json(&env, &server, &[], &[], 0);
    assert_eq!(status_of(&report, "model.safetensors"), "downloaded");
    assert_eq!(
        std::fs::read(rdir.join("blobs").join(&sha)).unwrap(),
        weights()
    );
}

#[test]
fn gated_repos_say_how_to_get_access() {
    let env = Env::new();
    let server = HubServer::start();
    let mut repo = FakeRepo::new("acme/gated");
    repo.gated = Some("manual".into());
    repo.required_token = Some("hf_good".into());
    repo.commit("main", files());
    server.add_repo(repo);
    let (code, _, err) = run(&env, &server, &[], &["fetch", "hf:acme/gated"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("401") && err.contains("accept its terms") && err.contains("HF_TOKEN"),
        "{err}"
    );
    assert!(err.contains(&format!("{}/acme/gated", server.url)), "{err}");
    let (code, _, err) = run(
        &env,
        &server,
        &[("HF_TOKEN", "hf_bad")],
        &["fetch", "hf:acme/gated"],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("403") && err.contains("no access"), "{err}");
    assert!(!err.contains("hf_bad"), "token in the message: {err}");
    assert!(
        !env.path()
            .join("hf/hub/models--acme--gated/snapshots")
            .exists()
    );
    let (code, out, err) = run(
        &env,
        &server,
        &[("HF_TOKEN", "hf_good")],
        &["fetch", "hf:acme/gated"],
    );
    assert_eq!(code, 0, "{out}\n{err}");
}

#[test]
fn missing_repos_and_revisions_are_errors() {
    let env = Env::new();
    let (server, commit) = tiny_hub();
    let (code, _, err) = run(&env, &server, &[], &["fetch", "hf:acme/nope"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("`acme/nope` not found") && err.contains("private"),
        "{err}"
    );
    let (code, _, err) = run(
        &env,
        &server,
        &[("HF_TOKEN", TOKEN)],
        &["fetch", "hf:acme/nope"],
    );
    assert_eq!(code, 2);
    assert!(err.contains("`acme/nope` not found"), "{err}");
    assert!(
        server
            .log()
            .iter()
            .any(|r| r.path.contains("acme/nope") && r.authorization.is_some())
    );
    let gone = "0123456789abcdef0123456789abcdef01234567";
    let (code, _, err) = run(
        &env,
        &server,
        &[],
        &["fetch", &format!("hf:acme/tiny@{gone}")],
    );
    assert_eq!(code, 2);
    assert!(err.contains("no longer exists"), "{err}");
    // A pinned commit that the Hub later dropped (history squashed).
    server.edit_repo("acme/tiny", |r| {
        r.commits.remove(&commit);
        r.refs.clear();
    });
    let (code, _, err) = run(
        &env,
        &server,
        &[],
        &["fetch", &format!("hf:acme/tiny@{commit}")],
    );
    assert_eq!(code, 2);
    assert!(err.contains(&commit) && err.contains("not found"), "{err}");
    assert!(!repo_dir(&env).exists());
    let (code, _, err) = run(
        &env,
        &server,
        &[("HF_ENDPOINT", "not a url")],
        &["fetch", "hf:acme/tiny"],
    );
    assert_eq!(code, 2);
    assert!(
        err.contains("`HF_ENDPOINT` value `not a url` is not a URL"),
        "{err}"
    );
    let (code, _, err) = run(
        &env,
        &server,
        &[],
        &["fetch", "hf:acme/tiny", "--include", "a[b"],
    );
    assert_eq!(code, 2);
    assert!(err.contains("invalid `--include` glob"), "{err}");
    let (code, _, err) = run(&env, &server, &[], &["fetch", "hf:acme/../x"]);
    assert_eq!(code, 2);
    assert!(err.contains("not a Hub repo id"), "{err}");
}

#[test]
fn unsafe_file_names_are_refused() {
    for bad in [
        "../evil.txt",
        "/abs.txt",
        "dir\\evil.txt",
        "a/../../evil.txt",
    ] {
        let env = Env::new();
        let server = HubServer::start();
        let mut repo = FakeRepo::new("acme/tiny");
        let mut fs = files();
        fs.push(FakeFile::git(bad, "gotcha"));
        repo.commit("main", fs);
        server.add_repo(repo);
        let (code, _, err) = run(&env, &server, &[], &["fetch", "hf:acme/tiny"]);
        assert_eq!(code, 2, "{bad}: {err}");
        assert!(err.contains("refused file name"), "{bad}: {err}");
        assert!(!repo_dir(&env).exists(), "{bad}");
        assert!(!env.path().join("hf/evil.txt").exists() && !env.path().join("evil.txt").exists());
    }
}

#[test]
fn weak_etags_are_understood() {
    let env = Env::new();
    let (server, _) = tiny_hub();
    server.weak_etags(true);
    let report = fetch_json(&env, &server, &[], &[], 0);
    assert_eq!(status_of(&report, "model.safetensors"), "downloaded");
    assert_eq!(status_of(&report, "README.md"), "downloaded");
}

#[test]
fn offline_never_touches_the_network() {
    let env = Env::new();
    let (server, commit) = tiny_hub();
    fetch_json(&env, &server, &[], &[], 0);
    server.clear_log();
    let report = fetch_json(&env, &server, &[], &["--offline"], 0);
    assert_eq!(report["commit"], commit.as_str());
    assert_eq!(status_of(&report, "model.safetensors"), "cached");
    // Tamper with a cached blob: offline fetch reports it and exits 1.
    let sha = FakeFile::lfs("x", weights()).sha256();
    std::fs::write(repo_dir(&env).join("blobs").join(&sha), b"tampered").unwrap();
    let report = fetch_json(&env, &server, &[], &["--offline"], 1);
    assert_eq!(status_of(&report, "model.safetensors"), "mismatch");

    let empty = Env::new();
    let (code, _, err) = run(
        &empty,
        &server,
        &[],
        &["--offline", "fetch", "hf:acme/tiny"],
    );
    assert_eq!(code, 2);
    assert!(err.contains("--offline"), "{err}");
    let (code, _, err) = run(
        &empty,
        &server,
        &[("HF_HUB_OFFLINE", "1")],
        &["fetch", "hf:acme/tiny"],
    );
    assert_eq!(code, 2);
    assert!(err.contains("--offline"), "{err}");
    assert!(
        server.log().is_empty(),
        "offline runs reached the Hub: {:?}",
        server.log()
    );

    // Online again, the tampered blob is replaced by verified bytes.
    let report = fetch_json(&env, &server, &[], &[], 0);
    assert_eq!(status_of(&report, "model.safetensors"), "downloaded");
}

#[test]
fn library_resolution_pins_the_commit_and_reads_metadata() {
    let (server, commit) = tiny_hub();
    let dir = tempfile::tempdir().unwrap();
    let client = modelvet::hub::HubClient::new(
        server.url.parse().unwrap(),
        None,
        dir.path().join("hub"),
        false,
        std::time::Duration::from_secs(2),
    )
    .unwrap();
    let snap = client.resolve_repo("acme/tiny", Some("main")).unwrap();
    assert_eq!(snap.commit, commit);
    assert_eq!(snap.requested_revision, "main");
    assert_eq!(snap.card_data.as_ref().unwrap()["base_model"], "acme/base");
    let readme = snap.small_files.iter().find(|(p, _)| p == "README.md");
    assert!(
        readme.is_some_and(
            |(_, b)| b.starts_with(b"---\nlicense: apache-2.0\nbase_model: acme/base\n---")
        ),
        "the README is read with the small files"
    );
    assert_eq!(snap.tags, vec!["license:apache-2.0".to_string()]);
    assert_eq!(
        snap.last_modified.as_deref(),
        Some("2026-01-02T03:04:05.000Z")
    );
    assert_eq!(snap.gated, None);
    let w = snap
        .files
        .iter()
        .find(|f| f.path == "model.safetensors")
        .unwrap();
    assert!(w.lfs);
    assert_eq!(w.size, 300_000);
    assert_eq!(
        w.sha256.as_deref(),
        Some(FakeFile::lfs("x", weights()).sha256().as_str())
    );
    let small: Vec<&str> = snap.small_files.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(small, vec!["README.md", "config.json"]);
    // Resolution downloads no weights.
    assert!(server.log().iter().all(|r| r.server == "hub"));
    assert!(!dir.path().join("hub").exists());
}

/// Every entry under `dir` (relative), with a link's target or a file's bytes.
fn tree_of(dir: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for e in walkdir::WalkDir::new(dir).sort_by_file_name().min_depth(1) {
        let e = e.unwrap();
        let rel = e
            .path()
            .strip_prefix(dir)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        if rel.starts_with(".locks") || rel.starts_with("CACHEDIR") || rel.contains("/trees") {
            continue;
        }
        let what = if e.path_is_symlink() {
            format!("-> {}", std::fs::read_link(e.path()).unwrap().display())
        } else if e.file_type().is_file() {
            format!(
                "{} bytes, sha256 {}",
                e.metadata().unwrap().len(),
                modelvet::hashing::sha256_hex(&std::fs::read(e.path()).unwrap())
            )
        } else {
            "dir".to_string()
        };
        out.push((rel, what));
    }
    out
}

#[test]
fn the_cache_is_the_one_hf_hub_writes_and_reads() {
    let (server, _) = tiny_hub();
    let env = Env::new();
    fetch_json(&env, &server, &[], &[], 0);
    let ours = env.path().join("hf/hub");

    // hf-hub 1.0 fills its own cache from the same test Hub.
    let theirs = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let client = hf_hub::HFClient::builder()
        .endpoint(server.url.clone())
        .cache_dir(theirs.path())
        .build()
        .unwrap();
    let repo = client.model("acme", "tiny");
    for f in files() {
        rt.block_on(repo.download_file().filename(f.path.clone()).send())
            .unwrap_or_else(|e| panic!("hf-hub download of {}: {e}", f.path));
    }
    assert_eq!(tree_of(&ours), tree_of(theirs.path()));

    // And hf-hub reads what modelvet wrote, without the network.
    let offline = hf_hub::HFClient::builder()
        .endpoint("http://127.0.0.1:9")
        .cache_dir(&ours)
        .build()
        .unwrap();
    let path = rt
        .block_on(
            offline
                .model("acme", "tiny")
                .download_file()
                .filename("model.safetensors")
                .local_files_only(true)
                .send(),
        )
        .unwrap();
    assert_eq!(std::fs::read(path).unwrap(), weights());
}

fn client_for(server: &HubServer, cache: &Path) -> modelvet::hub::HubClient {
    modelvet::hub::HubClient::new(
        server.url.parse().unwrap(),
        None,
        cache.to_path_buf(),
        false,
        std::time::Duration::from_secs(2),
    )
    .unwrap()
}

#[test]
fn a_catalogued_hub_model_is_fetched_by_name_at_its_pinned_commit() {
    let env = Env::new();
    let (server, commit) = tiny_hub();
    let client = client_for(&server, &env.path().join("hf/hub"));
    let ingested = modelvet::ingest::ingest_hub(&client, "acme/tiny", None, None).unwrap();
    assert_eq!(ingested.revision, commit);
    assert_eq!(ingested.source.revision.as_deref(), Some(commit.as_str()));
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let cat = modelvet::catalogue::Catalogue::open(&env.db_url)
            .await
            .unwrap();
        cat.insert(&ingested).await.unwrap();
    });
    // `main` moves on; the catalogue's pin does not.
    server.edit_repo("acme/tiny", |r| {
        let mut fs = files();
        fs.push(FakeFile::git("NEW.md", "new"));
        r.commit("main", fs);
    });
    let (code, out, err) = run(
        &env,
        &server,
        &[],
        &["fetch", "acme/tiny", "--format", "json"],
    );
    assert_eq!(code, 0, "{out}\n{err}");
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["commit"], commit.as_str());
    assert_eq!(report["files"].as_array().unwrap().len(), 4);

    // The Hub rewrote the pinned commit's content: refused, nothing changes.
    server.edit_repo("acme/tiny", |r| {
        let files = r.commits.get_mut(&commit).unwrap();
        files.retain(|f| f.path != "config.json");
        files.push(FakeFile::git("config.json", "{\"model_type\": \"evil\"}\n"));
    });
    let (code, _, err) = run(&env, &server, &[], &["fetch", "acme/tiny"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("differs from the catalogue"), "{err}");

    let (code, _, err) = run(&env, &server, &[], &["fetch", "nope"]);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn cached_repos_become_catalogue_revisions() {
    let env = Env::new();
    let (server, commit) = tiny_hub();
    fetch_json(&env, &server, &[], &[], 0);
    let hub = env.path().join("hf/hub");
    // An orphan blob in the repo: reported with the repo.
    std::fs::write(
        hub.join("models--acme--tiny/blobs")
            .join(modelvet::hashing::sha256_hex(b"x")),
        b"x",
    )
    .unwrap();
    let (audit, ingested) = modelvet::ingest::ingest_cache(&hub).unwrap();
    assert_eq!(audit.repos.len(), 1);
    assert_eq!(ingested.len(), 1);
    let ing = &ingested[0];
    assert_eq!(ing.name, "acme/tiny");
    assert_eq!(ing.revision, commit);
    assert_eq!(ing.source.location, "hf:acme/tiny");
    assert_eq!(ing.files.len(), 4);
    for f in files() {
        let r = ing.files.iter().find(|r| r.path == f.path).unwrap();
        assert_eq!(r.sha256.as_deref(), Some(f.sha256().as_str()), "{}", f.path);
        assert_eq!(r.size, f.bytes.len() as u64);
        assert_eq!(
            r.git_oid.as_deref(),
            Some(f.git_oid().as_str()),
            "{}",
            f.path
        );
    }
    assert_eq!(ing.base_models[0].name, "acme/base");
    assert!(
        ing.findings
            .iter()
            .any(|f| f.code == "hf-cache-orphan-blob"),
        "{:?}",
        ing.findings
    );
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let cat = modelvet::catalogue::Catalogue::open(&env.db_url)
            .await
            .unwrap();
        cat.insert(ing).await.unwrap();
    });
}

#[test]
fn a_renamed_repo_is_followed_on_the_hub_with_the_token() {
    let env = Env::new();
    let (server, commit) = tiny_hub();
    server.alias("acme/old-name", "acme/tiny");
    let (code, out, err) = run(
        &env,
        &server,
        &[("HF_TOKEN", TOKEN)],
        &["fetch", "hf:acme/old-name", "--format", "json"],
    );
    assert_eq!(code, 0, "{out}\n{err}");
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["commit"], commit.as_str());
    let log = server.log();
    assert!(
        log.iter()
            .any(|r| r.path.starts_with("/api/models/acme/old-name"))
    );
    assert!(
        log.iter()
            .filter(|r| r.server == "hub" && r.path.contains("acme/tiny"))
            .all(|r| r.authorization.is_some()),
        "{log:?}"
    );
    assert!(
        log.iter()
            .filter(|r| r.server == "cdn")
            .all(|r| r.authorization.is_none())
    );
}

/// A measurement, not a check (no threshold): `cargo test --test cli hub::measure -- --ignored
/// --nocapture` prints how long fetching and re-verifying a 256 MiB LFS file takes.
#[test]
#[ignore = "benchmark; run explicitly"]
fn measure_fetch_throughput() {
    let env = Env::new();
    let server = HubServer::start();
    let mut repo = FakeRepo::new("acme/big");
    let big: Vec<u8> = (0..256u32 << 20)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    let file = FakeFile::lfs("model.safetensors", big);
    let _ = file.git_oid(); // digests computed before timing
    let big_sha = file.sha256();
    repo.commit("main", vec![file]);
    server.add_repo(repo);
    let t = std::time::Instant::now();
    let (code, out, err) = run(
        &env,
        &server,
        &[("HF_HUB_DOWNLOAD_TIMEOUT", "120")],
        &["fetch", "hf:acme/big"],
    );
    let fetch = t.elapsed();
    assert_eq!(code, 0, "{out}{err}");
    let t = std::time::Instant::now();
    let (code, _, _) = run(&env, &server, &[], &["fetch", "hf:acme/big"]);
    assert_eq!(code, 0);
    eprintln!(
        "MEASURE fetch 256 MiB: {:?}; re-verify cached: {:?}",
        fetch,
        t.elapsed()
    );
    // The test server alone: a raw GET of the CDN URL into a sink.
    use std::io::{Read, Write};
    let addr = server.cdn_url.trim_start_matches("http://").to_string();
    let t = std::time::Instant::now();
    let mut s = std::net::TcpStream::connect(&addr).unwrap();
    write!(s, "GET /blobs/{big_sha} HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    let mut buf = vec![0u8; 1 << 20];
    let mut n = 0usize;
    loop {
        let k = s.read(&mut buf).unwrap();
        if k == 0 {
            break;
        }
        n += k;
    }
    eprintln!(
        "MEASURE raw read of the CDN answer ({n} bytes): {:?}",
        t.elapsed()
    );
}

#[test]
fn add_hf_records_the_commit_without_weights_then_verify_and_audit_use_the_cache() {
    let (server, commit) = tiny_hub();
    let env = Env::new();
    let (code, out, err) = run(&env, &server, &[], &["add", "hf:acme/tiny@main"]);
    assert_eq!(code, 0, "{out}{err}");
    let id = crate::support::last_line(&out).to_string();
    assert_eq!(
        id,
        format!("acme/tiny@{commit}"),
        "the revision is the commit, never the branch"
    );
    assert!(
        blob_names(&repo_dir(&env)).is_empty(),
        "add downloads no weights"
    );
    let (_, show, _) = run(&env, &server, &[], &["show", &id, "--format", "json"]);
    let show: serde_json::Value = serde_json::from_str(&show).unwrap();
    assert_eq!(show["source"]["kind"], "hub");
    assert_eq!(show["source"]["revision"], commit.as_str());
    let weights_rec = show["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == "model.safetensors")
        .unwrap();
    assert_eq!(
        weights_rec["sha256"].as_str().unwrap(),
        FakeFile::lfs("x", weights()).sha256()
    );
    assert_eq!(show["license"]["effective"], "Apache-2.0");

    // Nothing local yet: verify says how to get the bytes.
    let (code, _, err) = run(&env, &server, &[], &["verify", &id]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("fetch"), "{err}");
    let (code, out, err) = run(&env, &server, &[], &["fetch", "acme/tiny"]);
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, err) = run(&env, &server, &[], &["verify", &id, "--format", "json"]);
    assert_eq!(code, 0, "{out}{err}");

    // A blob changed behind the cache's back fails verification (the snapshot link leads to it).
    let blob = repo_dir(&env)
        .join("blobs")
        .join(FakeFile::lfs("x", weights()).blob_name());
    std::fs::write(&blob, b"tampered").unwrap();
    let (code, out, _) = run(&env, &server, &[], &["verify", &id, "--format", "json"]);
    assert_eq!(code, 1, "{out}");
    let (code, out, err) = run(&env, &server, &[], &["audit", &id, "--format", "json"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("verify-failed"), "{out}");

    // The offline cache audit reports the damaged blob and records the cached repo.
    let (code, out, err) = run(
        &env,
        &server,
        &[],
        &["add", "--hf-cache", "--format", "json"],
    );
    assert_eq!(code, 1, "{out}{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(!v["findings"].as_array().unwrap().is_empty(), "{v}");
    assert_eq!(v["models"].as_array().unwrap().len(), 1, "{v}");
    let (code, _, err) = run(&env, &server, &[], &["add", "--hf-cache", "/no/such/cache"]);
    assert_eq!(code, 2, "{err}");
    let (code, _, err) = run(&env, &server, &[], &["add", "hf:acme/missing"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.starts_with("error: "), "{err}");
}

#[test]
fn audit_fetches_a_hub_model_when_a_check_needs_its_bytes() {
    let (server, _commit) = tiny_hub();
    let env = Env::new();
    std::fs::write(
        env.work().join("policy.yaml"),
        "version: 1\nlicenses:\n  allow: [Apache-2.0]\nchecks:\n  verify: true\n",
    )
    .unwrap();
    let (code, out, err) = run(
        &env,
        &server,
        &[],
        &[
            "audit",
            "hf:acme/tiny",
            "--policy",
            "policy.yaml",
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        !blob_names(&repo_dir(&env)).is_empty(),
        "the weights were fetched for verification"
    );
    // Offline, with nothing cached, verification is reported as not run.
    let env2 = Env::new();
    std::fs::write(
        env2.work().join("policy.yaml"),
        "version: 1\nchecks:\n  verify: true\n",
    )
    .unwrap();
    let (code, out, err) = run(&env2, &server, &[], &["add", "hf:acme/tiny"]);
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, err) = run(
        &env2,
        &server,
        &[],
        &["--offline", "audit", "acme/tiny", "--policy", "policy.yaml"],
    );
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("verify-not-run"), "{out}");
}
