//! Upstream drift (`outdated`) against the test Hub, scripted to change between two calls; and
//! `fetch` writing `refs/<branch>` so that the real huggingface_hub and transformers find the
//! snapshot offline.

use crate::hub_server::{FakeFile, FakeRepo, HubServer};
use crate::support::{Env, require_assets, write_model};

const APACHE: &str = "Apache License\nVersion 2.0, January 2004\nhttp://www.apache.org/licenses/\n";

fn files(license: &str) -> Vec<FakeFile> {
    vec![
        FakeFile::git(
            "README.md",
            format!("---\nlicense: {license}\n---\n# Tiny\n"),
        ),
        FakeFile::git("LICENSE", APACHE),
        FakeFile::git("config.json", "{\"model_type\": \"bert\"}\n"),
        FakeFile::lfs("model.safetensors", crate::support::tiny_safetensors(3)),
    ]
}

/// A Hub serving `acme/tiny`, added to the catalogue from `main`; returns the pinned commit.
fn hub_with_tiny(env: &Env) -> (HubServer, String) {
    let server = HubServer::start();
    let mut repo = FakeRepo::new("acme/tiny");
    repo.card_data = serde_json::json!({"license": "apache-2.0"});
    let commit = repo.commit("main", files("apache-2.0"));
    server.add_repo(repo);
    let (code, out, err) = run(env, &server, &["add", "hf:acme/tiny"]);
    assert_eq!(code, 0, "{out}\n{err}");
    (server, commit)
}

fn run(env: &Env, server: &HubServer, args: &[&str]) -> (i32, String, String) {
    let out = env
        .cmd()
        .env("HF_ENDPOINT", &server.url)
        .env("HF_HUB_DOWNLOAD_TIMEOUT", "1")
        .args(args)
        .output()
        .expect("run modelvet");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `outdated --format json`: the exit code and the finding codes of the one model.
fn outdated(env: &Env, server: &HubServer) -> (i32, serde_json::Value, Vec<String>) {
    let (code, out, err) = run(env, server, &["outdated", "--format", "json"]);
    let doc: serde_json::Value =
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}\n{err}"));
    let model = doc["models"][0].clone();
    let codes = model["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect();
    (code, model, codes)
}

both_backends!(a_current_model_then_a_moved_branch, |env| {
    let (server, commit) = hub_with_tiny(env);
    let (code, model, codes) = outdated(env, &server);
    assert_eq!(code, 0, "{model}");
    assert!(codes.is_empty(), "{codes:?}");
    assert_eq!(model["status"], "current");
    assert_eq!(model["ref"], "main");
    assert_eq!(model["head"], commit.as_str());

    // main moves: a file added, one removed, the weights changed, the card says MIT now and the
    // LICENSE text is another.
    server.edit_repo("acme/tiny", |r| {
        let mut fs = files("mit");
        fs.retain(|f| {
            f.path != "config.json" && f.path != "LICENSE" && f.path != "model.safetensors"
        });
        fs.push(FakeFile::git(
            "LICENSE",
            "MIT License\n\nPermission is hereby granted…\n",
        ));
        fs.push(FakeFile::lfs(
            "model.safetensors",
            crate::support::tiny_safetensors(9),
        ));
        fs.push(FakeFile::git("NEW.md", "new"));
        r.card_data = serde_json::json!({"license": "mit"});
        r.commit("main", fs);
    });
    let (code, model, codes) = outdated(env, &server);
    assert_eq!(code, 1, "{model}");
    for c in [
        "upstream-ref-moved",
        "upstream-files-changed",
        "upstream-license-changed",
        "upstream-license-text-changed",
    ] {
        assert!(codes.iter().any(|x| x == c), "{c} missing: {codes:?}");
    }
    assert!(
        !codes.iter().any(|x| x == "pinned-commit-gone"),
        "{codes:?}"
    );
    assert_eq!(model["files"]["added"], serde_json::json!(["NEW.md"]));
    assert_eq!(
        model["files"]["removed"],
        serde_json::json!(["config.json"])
    );
    assert_eq!(
        model["files"]["changed"],
        serde_json::json!(["LICENSE", "README.md", "model.safetensors"])
    );
    assert_ne!(model["head"], commit.as_str());

    // Each observation is recorded with its time; show and the reports list them.
    let record = env.json(&["show", "acme/tiny", "--format", "json"], 0);
    let seen = record["upstream"].as_array().unwrap();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0]["status"], "drift");
    assert_eq!(seen[1]["status"], "current");
    assert!(seen[0]["observed_at"].as_str().unwrap().len() >= 19);
    let shown = env.ok(&["show", "acme/tiny"]);
    assert!(shown.contains("upstream:   drift"), "{shown}");
    let md = env.ok(&["report", "acme/tiny", "--format", "markdown"]);
    assert!(md.contains("upstream-license-changed"), "{md}");

    // Human output.
    let (code, out, _) = run(env, &server, &["outdated", "acme/tiny"]);
    assert_eq!(code, 1);
    assert!(out.starts_with("drift"), "{out}");
    assert!(out.contains("upstream-ref-moved"), "{out}");
});

both_backends!(serve_checks_upstream_on_a_schedule, |env| {
    let (hub, _) = hub_with_tiny(env);
    let token = crate::server::token(env, "reader", "reader");
    let vars = [
        ("HF_ENDPOINT", hub.url.as_str()),
        ("HF_HUB_DOWNLOAD_TIMEOUT", "1"),
    ];
    let server = crate::server::Server::start(env, &["--check-upstream", "1s"], &vars);
    // The first check runs at start: current.
    let seen = |want: usize| {
        let start = std::time::Instant::now();
        loop {
            let record = env.json(&["show", "acme/tiny", "--format", "json"], 0);
            let seen = record["upstream"].as_array().cloned().unwrap_or_default();
            if seen.len() >= want {
                return seen;
            }
            assert!(
                start.elapsed() < std::time::Duration::from_secs(30),
                "{} observations, not {want}: {}",
                seen.len(),
                server.stderr()
            );
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    };
    let first = seen(1);
    assert_eq!(first.last().unwrap()["status"], "current", "{first:?}");
    // The Hub moves main; a later check sees it, and the model page shows it.
    hub.edit_repo("acme/tiny", |r| {
        let mut fs = files("apache-2.0");
        fs.push(FakeFile::git("NEW.md", "new"));
        r.commit("main", fs);
    });
    let drifted = loop {
        let all = seen(first.len() + 1);
        if all[0]["status"] == "drift" {
            break all;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    };
    assert!(drifted[0]["observed_at"].as_str().unwrap().len() >= 19);
    let (status, page) = server.call("GET", "/models/acme/tiny", Some(&token), None);
    assert_eq!(status, 200);
    assert!(page.contains("upstream-ref-moved"), "{page}");
    // Recorded as the scheduled check in the event log, and said in the server's log.
    let (_, events) = server.json("GET", "/api/v1/events", Some(&token), None);
    assert!(
        events.to_string().contains("serve --check-upstream"),
        "{events}"
    );
    assert!(
        server.stderr().contains("drifted: acme/tiny"),
        "{}",
        server.stderr()
    );
});

#[test]
fn serve_refuses_a_bad_interval() {
    let env = Env::new();
    for bad in ["0s", "6", "6 hours", "soon"] {
        let (code, _, err) = env.run(&["serve", "--bind", "127.0.0.1:0", "--check-upstream", bad]);
        assert_eq!(code, 2, "{bad}: {err}");
        assert!(err.contains("error:"), "{err}");
    }
    let (code, _, err) = env.run(&[
        "--offline",
        "serve",
        "--bind",
        "127.0.0.1:0",
        "--check-upstream",
        "1h",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("contradict"), "{err}");
}

#[test]
fn a_force_push_that_drops_the_pinned_commit() {
    let env = Env::new();
    let (server, commit) = hub_with_tiny(&env);
    // History squashed: main is one new commit, the pinned one is gone.
    server.edit_repo("acme/tiny", |r| {
        r.commits.remove(&commit);
        let mut fs = files("apache-2.0");
        fs.push(FakeFile::git("SQUASHED.md", "history rewritten"));
        r.commit("main", fs);
    });
    let (code, _, codes) = outdated(&env, &server);
    assert_eq!(code, 1);
    assert!(codes.iter().any(|c| c == "pinned-commit-gone"), "{codes:?}");
    assert!(codes.iter().any(|c| c == "upstream-ref-moved"), "{codes:?}");
}

#[test]
fn gating_turned_on() {
    let env = Env::new();
    let (server, _) = hub_with_tiny(&env);
    server.edit_repo("acme/tiny", |r| r.gated = Some("manual".into()));
    let (code, model, codes) = outdated(&env, &server);
    assert_eq!(code, 1, "{model}");
    assert_eq!(codes, ["upstream-gated"]);
}

#[test]
fn a_deleted_branch() {
    let env = Env::new();
    let (server, _) = hub_with_tiny(&env);
    server.edit_repo("acme/tiny", |r| {
        r.refs.remove("main");
    });
    let (code, _, codes) = outdated(&env, &server);
    assert_eq!(code, 1);
    // The commit itself still resolves.
    assert_eq!(codes, ["upstream-ref-gone"]);
}

#[test]
fn a_repo_gone_renamed_or_disabled() {
    let env = Env::new();
    let (server, _) = hub_with_tiny(&env);
    server.rename("acme/tiny", "acme/tiny-v2");
    let (code, model, codes) = outdated(&env, &server);
    assert_eq!(code, 1, "{model}");
    assert_eq!(codes, ["upstream-repo-renamed"]);
    assert!(
        model["findings"][0]["message"]
            .as_str()
            .unwrap()
            .contains("acme/tiny-v2")
    );

    server.edit_repo("acme/tiny-v2", |r| r.disabled = true);
    let (code, _, codes) = outdated(&env, &server);
    assert_eq!(code, 1);
    assert_eq!(codes, ["upstream-repo-disabled"]);

    server.remove_repo("acme/tiny-v2");
    let (code, model, codes) = outdated(&env, &server);
    assert_eq!(code, 1);
    assert_eq!(codes, ["upstream-repo-gone"]);
    assert!(model["head"].is_null());
}

#[test]
fn bad_input_and_an_unreachable_hub_are_errors() {
    let env = Env::new();
    let (server, _) = hub_with_tiny(&env);
    let local = write_model(&env.work().join("local"));
    env.ok(&["add", local.to_str().unwrap(), "--name", "local"]);
    // Every Hub model by default; local models are not asked about.
    let (code, out, err) = run(&env, &server, &["outdated", "--format", "json"]);
    assert_eq!(code, 0, "{out}\n{err}");
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["models"].as_array().unwrap().len(), 1);
    for args in [
        &["outdated", "local"][..],
        &["outdated", "nope"],
        &["outdated", "acme/tiny", "--offline"],
    ] {
        let (code, out, err) = run(&env, &server, args);
        assert_eq!(code, 2, "{args:?}: {out}\n{err}");
        assert!(err.starts_with("error: "), "{err}");
    }
    // The Hub unreachable (the environment's default endpoint has no server).
    let (code, _, err) = env.run(&["outdated"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.starts_with("error: "), "{err}");
}

#[test]
fn fetch_writes_the_branch_ref_that_huggingface_hub_and_transformers_read() {
    let env = Env::new();
    let Some(assets) = require_assets("fetch refs") else {
        return;
    };
    let python = assets.join("hub-clients-venv/bin/python");
    if !python.is_file() {
        panic!("{} is missing; run scripts/test", python.display());
    }
    let (server, commit) = hub_with_tiny(&env);
    // main moves on after `add`: the ref names the pinned (vetted) commit.
    server.edit_repo("acme/tiny", |r| {
        r.commit("main", files("mit"));
    });
    let (code, out, err) = run(&env, &server, &["fetch", "acme/tiny"]);
    assert_eq!(code, 0, "{out}\n{err}");
    let repo = env.path().join("hf/hub/models--acme--tiny");
    assert_eq!(
        std::fs::read_to_string(repo.join("refs/main")).unwrap(),
        commit
    );
    let script = "import sys\n\
from huggingface_hub import snapshot_download\n\
from transformers import AutoConfig\n\
print(snapshot_download('acme/tiny', local_files_only=True))\n\
print(AutoConfig.from_pretrained('acme/tiny', local_files_only=True).model_type)\n";
    let out = env
        .std_cmd(&python)
        .env("HF_HUB_OFFLINE", "1")
        .env("TRANSFORMERS_OFFLINE", "1")
        .args(["-c", script])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    let mut lines = stdout.lines();
    let snapshot = lines.next().unwrap();
    assert!(
        snapshot.ends_with(&format!("models--acme--tiny/snapshots/{commit}")),
        "{stdout}"
    );
    assert_eq!(lines.next(), Some("bert"), "{stdout}\n{stderr}");
}
