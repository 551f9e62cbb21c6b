//! Catalogue, local ingest, hashing and verification (issue 2), on SQLite and PostgreSQL.

use crate::support::{Env, last_line, write_model};
use serde_json::Value;
use std::path::Path;

fn add(env: &Env, path: &Path) -> String {
    let out = env.ok(&["add", path.to_str().unwrap()]);
    last_line(&out).to_string()
}

both_backends!(add_show_list_remove, |env| {
    let model = write_model(&env.work().join("tiny-model"));
    let out = env.ok(&["add", model.to_str().unwrap()]);
    let id = last_line(&out).to_string();
    let (name, rev) = id.split_once('@').unwrap();
    assert_eq!(name, "tiny", "the card's model_name names the model");
    assert_eq!(rev.len(), 12);

    let show = env.json(&["show", "tiny", "--format", "json"], 0);
    assert_eq!(show["schema"], 1);
    assert_eq!(show["id"], Value::String(id.clone()));
    assert_eq!(show["source"]["kind"], "local");
    let files = show["files"].as_array().unwrap();
    let paths: Vec<&str> = files.iter().map(|f| f["path"].as_str().unwrap()).collect();
    assert_eq!(
        paths,
        [
            "README.md",
            "config.json",
            "model.safetensors",
            "sub/notes.txt",
            "tokenizer.json"
        ]
    );
    let fmt = |p: &str| {
        files.iter().find(|f| f["path"] == p).unwrap()["format"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(fmt("model.safetensors"), "safetensors");
    assert_eq!(fmt("config.json"), "config");
    assert_eq!(fmt("tokenizer.json"), "tokenizer");
    assert_eq!(fmt("README.md"), "readme");
    let weights = files
        .iter()
        .find(|f| f["path"] == "model.safetensors")
        .unwrap();
    assert_eq!(
        weights["sha256"].as_str().unwrap(),
        sha256_of(&model.join("model.safetensors"))
    );
    assert_eq!(show["card"]["license"], "apache-2.0");
    assert_eq!(show["config"]["hidden_size"], 2);
    assert_eq!(show["license"]["declared"][0]["value"], "apache-2.0");
    assert_eq!(show["license"]["declared"][0]["from"], "card:license");

    // Unchanged content: a no-op that says so.
    let again = env.ok(&["add", model.to_str().unwrap()]);
    assert!(again.contains("unchanged"), "{again}");
    assert_eq!(last_line(&again), id);

    // A change makes a new revision; the old one is kept.
    std::fs::write(model.join("sub/notes.txt"), "changed\n").unwrap();
    let id2 = add(env, &model);
    assert_ne!(id2, id);
    let show = env.json(&["show", "tiny", "--format", "json"], 0);
    assert_eq!(show["id"], Value::String(id2.clone()));
    assert_eq!(show["revisions"].as_array().unwrap().len(), 2);
    // A unique prefix of a revision and of a name both resolve.
    let old = env.json(
        &["show", &format!("tin@{}", &rev[..6]), "--format", "json"],
        0,
    );
    assert_eq!(old["id"], Value::String(id.clone()));

    let list = env.json(&["list", "--format", "json"], 0);
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["revisions"], 2);
    let human = env.ok(&["list"]);
    assert!(human.contains(&id2), "{human}");
    let human = env.ok(&["show", "tiny"]);
    assert!(
        human.contains("model.safetensors") && human.contains("apache-2.0"),
        "{human}"
    );

    env.ok(&["remove", &id]);
    let show = env.json(&["show", "tiny", "--format", "json"], 0);
    assert_eq!(show["revisions"].as_array().unwrap().len(), 1);
    let removed = env.json(&["remove", "tiny", "--format", "json"], 0);
    assert_eq!(removed["model_removed"], true);
    let (code, _, err) = env.run(&["show", "tiny"]);
    assert_eq!(code, 2);
    assert!(err.starts_with("error: "), "{err}");
    assert_eq!(
        env.json(&["list", "--format", "json"], 0),
        serde_json::json!([])
    );
});

both_backends!(name_prefix_ambiguity, |env| {
    for n in ["alpha-one", "alpha-two"] {
        let dir = write_model(&env.work().join(n));
        env.ok(&["add", dir.to_str().unwrap(), "--name", n]);
    }
    let (code, _, err) = env.run(&["show", "alpha"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("alpha-one") && err.contains("alpha-two"),
        "{err}"
    );
    env.ok(&["show", "alpha-t"]);
    let (code, _, err) = env.run(&["show", "beta"]);
    assert_eq!(code, 2, "{err}");
});

both_backends!(verify_reports_every_status, |env| {
    let model = write_model(&env.work().join("m"));
    let id = add(env, &model);
    let ok = env.json(&["verify", &id, "--format", "json"], 0);
    assert_eq!(ok["ok"], true);
    std::fs::write(model.join("extra.bin"), b"x").unwrap();
    let extra = env.json(&["verify", &id, "--format", "json"], 0);
    let status = |v: &Value, p: &str| {
        v["files"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["path"] == p)
            .unwrap()["status"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(status(&extra, "extra.bin"), "extra");
    env.json(&["verify", &id, "--strict", "--format", "json"], 1);

    let mut bytes = std::fs::read(model.join("model.safetensors")).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    std::fs::write(model.join("model.safetensors"), &bytes).unwrap();
    std::fs::remove_file(model.join("config.json")).unwrap();
    let bad = env.json(&["verify", &id, "--format", "json"], 1);
    assert_eq!(status(&bad, "model.safetensors"), "mismatch");
    assert_eq!(status(&bad, "config.json"), "missing");
    assert_eq!(status(&bad, "README.md"), "ok");
    let file = bad["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == "model.safetensors")
        .unwrap()
        .clone();
    assert_eq!(
        file["actual"].as_str().unwrap(),
        sha256_of(&model.join("model.safetensors"))
    );
    let human = env.run(&["verify", &id]);
    assert_eq!(human.0, 1);
    assert!(
        human.1.contains("MISMATCH") && human.1.contains("MISSING"),
        "{}",
        human.1
    );
    // The verify run is recorded with its findings.
    let show = env.json(&["show", &id, "--format", "json"], 0);
    let codes: Vec<&str> = show["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert!(
        codes.contains(&"hash-mismatch") && codes.contains(&"file-missing"),
        "{codes:?}"
    );
});

both_backends!(export_and_verify_manifest, |env| {
    let model = write_model(&env.work().join("m"));
    let id = add(env, &model);
    let manifest = env.ok(&["export", &id]);
    assert!(
        manifest.starts_with("version: 1\nalgorithm: sha256\nfiles:\n"),
        "{manifest}"
    );
    let copy = env.work().join("copy");
    copy_dir(&model, &copy);
    std::fs::write(env.work().join("manifest.yaml"), &manifest).unwrap();
    let ok = env.json(
        &[
            "verify",
            "--manifest",
            "manifest.yaml",
            "--path",
            "copy",
            "--format",
            "json",
        ],
        0,
    );
    assert_eq!(ok["ok"], true);
    std::fs::write(copy.join("model.safetensors"), b"tampered").unwrap();
    let bad = env.json(
        &[
            "verify",
            "--manifest",
            "manifest.yaml",
            "--path",
            "copy",
            "--format",
            "json",
        ],
        1,
    );
    assert_eq!(bad["ok"], false);
});

fn sha256_of(path: &Path) -> String {
    let out = std::process::Command::new("sha256sum")
        .arg(path)
        .output()
        .unwrap();
    String::from_utf8(out.stdout)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_string()
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let t = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &t);
        } else {
            std::fs::copy(e.path(), t).unwrap();
        }
    }
}

#[test]
fn hash_is_sha256sum_compatible() {
    let env = Env::new();
    let model = write_model(&env.work().join("m"));
    std::fs::write(model.join("odd\\name"), b"odd").unwrap();
    std::fs::write(model.join("new\nline"), b"nl").unwrap();
    let out = env.ok(&["hash", "m"]);
    assert_eq!(out.lines().count(), 7, "{out}");
    std::fs::write(env.work().join("SUMS"), &out).unwrap();
    let check = std::process::Command::new("sha256sum")
        .args(["-c", "SUMS"])
        .current_dir(env.work())
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stdout)
    );
    // Such lines are accepted as a SHA256SUMS manifest by verify (names with a backslash are
    // refused there: a manifest path must not be able to mean a Windows path).
    let sums = env.ok(&["hash", "m/model.safetensors", "m/sub"]);
    std::fs::write(env.work().join("SHA256SUMS"), sums).unwrap();
    let ok = env.json(
        &[
            "verify",
            "--manifest",
            "SHA256SUMS",
            "--path",
            ".",
            "--format",
            "json",
        ],
        0,
    );
    assert_eq!(ok["ok"], true);
    let (code, _, err) = env.run(&["verify", "--manifest", "SUMS", "--path", "."]);
    assert_eq!(code, 2);
    assert!(err.contains("odd\\name"), "{err}");
    let (code, _, err) = env.run(&["hash", "nope"]);
    assert_eq!(code, 2);
    assert!(err.contains("error: cannot read `nope`"), "{err}");
}

#[test]
fn bad_sources_are_errors_and_record_nothing() {
    let env = Env::new();
    std::fs::create_dir_all(env.work().join("empty")).unwrap();
    std::fs::write(env.work().join("notes.txt"), "hello").unwrap();
    for (args, needle) in [
        (vec!["add", "missing-folder"], "does not exist"),
        (vec!["add", "empty"], "contains no files"),
        (vec!["add", "notes.txt"], "is not a model folder"),
        (vec!["add", "hf:"], "error:"),
    ] {
        let (code, out, err) = env.run(&args);
        assert_eq!(code, 2, "{args:?}: {out}{err}");
        assert!(
            err.starts_with("error: ") && err.contains(needle),
            "{args:?}: {err}"
        );
        assert!(!err.contains("panicked"), "{err}");
    }
    assert_eq!(
        env.json(&["list", "--format", "json"], 0),
        serde_json::json!([])
    );
}

#[test]
fn symlinks_and_odd_names_are_findings() {
    use std::os::unix::ffi::OsStrExt;
    let env = Env::new();
    let model = write_model(&env.work().join("m"));
    std::fs::write(env.work().join("secret.txt"), "outside").unwrap();
    std::os::unix::fs::symlink("../secret.txt", model.join("leak.txt")).unwrap();
    std::os::unix::fs::symlink("loop-b", model.join("loop-a")).unwrap();
    std::os::unix::fs::symlink("loop-a", model.join("loop-b")).unwrap();
    std::os::unix::fs::symlink("model.safetensors", model.join("alias.safetensors")).unwrap();
    let odd = std::ffi::OsStr::from_bytes(b"bad-\xff-name.bin");
    std::fs::write(model.join(odd), b"odd").unwrap();
    let out = env.json(&["add", "m", "--format", "json"], 0);
    let codes: Vec<&str> = out["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"symlink-outside-model"), "{codes:?}");
    assert!(codes.contains(&"symlink-broken"), "{codes:?}");
    assert!(codes.contains(&"path-not-utf8"), "{codes:?}");
    let show = env.json(
        &["show", out["id"].as_str().unwrap(), "--format", "json"],
        0,
    );
    let paths: Vec<&str> = show["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert!(
        !paths.contains(&"leak.txt"),
        "the outside file is not recorded: {paths:?}"
    );
    assert!(
        paths.contains(&"alias.safetensors"),
        "a link inside the folder is recorded: {paths:?}"
    );
    assert!(
        paths
            .iter()
            .any(|p| p.starts_with("bad-") && p.contains('\u{fffd}')),
        "{paths:?}"
    );
}

#[test]
fn broken_cards_are_findings() {
    let env = Env::new();
    let cases: [(&str, String, &str); 3] = [
        (
            "invalid",
            "---\nlicense: [unclosed\n---\n".to_string(),
            "model-card-invalid",
        ),
        (
            "huge",
            format!("---\nx: \"{}\"\n---\n", "a".repeat(300 << 10)),
            "model-card-too-large",
        ),
        (
            "bomb",
            {
                let mut y = String::from(
                    "---\na: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
                );
                for (p, c) in ["a", "b", "c", "d", "e", "f", "g", "h"]
                    .iter()
                    .zip(["b", "c", "d", "e", "f", "g", "h", "i"])
                {
                    y.push_str(&format!(
                        "{c}: &{c} [*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p}]\n"
                    ));
                }
                y.push_str("---\n");
                y
            },
            "model-card-invalid",
        ),
    ];
    for (name, card, code) in cases {
        let dir = write_model(&env.work().join(name));
        std::fs::write(dir.join("README.md"), card).unwrap();
        let out = env.json(&["add", name, "--format", "json"], 0);
        let codes: Vec<&str> = out["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["code"].as_str().unwrap())
            .collect();
        assert!(codes.contains(&code), "{name}: {codes:?}");
    }
}

#[test]
fn unreadable_file_is_an_error() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let env = Env::new();
    let model = write_model(&env.work().join("m"));
    let secret = model.join("secret.bin");
    std::fs::write(&secret, b"secret").unwrap();
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o000)).unwrap();
    // Root reads anything: run as `nobody` then, with the temp tree opened up for it.
    let root = std::fs::metadata("/proc/self").unwrap().uid() == 0;
    let mut cmd = if root {
        for e in walkdir::WalkDir::new(env.path()) {
            let e = e.unwrap();
            if e.file_type().is_dir() {
                std::fs::set_permissions(e.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
            } else if e.path() != secret && e.file_type().is_file() {
                std::fs::set_permissions(e.path(), std::fs::Permissions::from_mode(0o666)).unwrap();
            }
        }
        let mut c = env.std_cmd("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(env.bin());
        c
    } else {
        env.std_cmd(env.bin())
    };
    let out = cmd.args(["add", "m"]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("secret.bin") && err.contains("ermission denied"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn catalogue_urls_that_cannot_work_are_errors() {
    let env = Env::new();
    let model = write_model(&env.work().join("m"));
    for (url, needle) in [
        ("mysql://localhost/x", "mysql://localhost/x"),
        ("not a url", "not a url"),
        ("sqlite://", "sqlite://"),
        ("postgres://postgres@127.0.0.1:1/nothing", "127.0.0.1:1"),
    ] {
        let (code, out, err) = env.run(&["--db", url, "add", model.to_str().unwrap()]);
        assert_eq!(code, 2, "{url}: {out}{err}");
        assert!(
            err.starts_with("error: ") && err.contains(needle),
            "{url}: {err}"
        );
    }
    // A catalogue path under a file cannot be created.
    std::fs::write(env.work().join("file"), "x").unwrap();
    let (code, _, err) = env.run(&["--db", "sqlite://file/catalogue.db", "list"]);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn a_name_that_breaks_name_at_rev_is_refused() {
    let env = Env::new();
    let model = write_model(&env.work().join("m"));
    for bad in ["a b", "a@b", ""] {
        let (code, _, err) = env.run(&["add", model.to_str().unwrap(), "--name", bad]);
        assert_eq!(code, 2, "{bad:?}: {err}");
        assert!(err.contains("invalid model name"), "{err}");
    }
}

/// Runs one SQL statement on the environment's SQLite catalogue, behind modelvet's back.
fn sqlite_exec(env: &Env, sql: &str) {
    let status = std::process::Command::new("python3")
        .args([
            "-c",
            "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute(sys.argv[2]); c.commit()",
        ])
        .arg(env.path().join("catalogue.db"))
        .arg(sql)
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn a_newer_schema_is_refused() {
    let env = Env::new();
    let model = write_model(&env.work().join("m"));
    add(&env, &model);
    sqlite_exec(
        &env,
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) VALUES (999, 'future', 1, x'00', 0)",
    );
    let (code, _, err) = env.run(&["list"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("newer"), "{err}");
}

#[test]
fn a_corrupt_stored_digest_is_an_error_not_a_panic() {
    let env = Env::new();
    let model = write_model(&env.work().join("m"));
    add(&env, &model);
    sqlite_exec(
        &env,
        "UPDATE files SET sha256 = 'not-a-digest' WHERE path = 'config.json'",
    );
    let (code, _, err) = env.run(&["show", "tiny"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("the stored digest of `config.json`") && err.contains("is corrupt"),
        "{err}"
    );
}

#[test]
fn concurrent_adds_all_succeed() {
    let env = Env::new();
    let mut dirs = Vec::new();
    for i in 0..4 {
        let d = write_model(&env.work().join(format!("m{i}")));
        std::fs::write(d.join("sub/notes.txt"), format!("model {i}\n")).unwrap();
        dirs.push(d);
    }
    // Four different models at once, then one new model added by four processes at once.
    let same = write_model(&env.work().join("same"));
    let rounds: [Vec<(&Path, String)>; 2] = [
        dirs.iter()
            .enumerate()
            .map(|(i, d)| (d.as_path(), format!("model-{i}")))
            .collect(),
        (0..4)
            .map(|_| (same.as_path(), "same".to_string()))
            .collect(),
    ];
    for round in rounds {
        let children: Vec<_> = round
            .iter()
            .map(|(d, name)| {
                env.std_cmd(env.bin())
                    .args(["--no-progress", "add", d.to_str().unwrap(), "--name", name])
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for c in children {
            let out = c.wait_with_output().unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
    let list = env.json(&["list", "--format", "json"], 0);
    assert_eq!(list.as_array().unwrap().len(), 5, "{list}");
    assert!(
        list.as_array().unwrap().iter().all(|m| m["revisions"] == 1),
        "{list}"
    );
}

#[test]
fn a_killed_add_leaves_the_catalogue_as_it_was() {
    let env = Env::new();
    let first = write_model(&env.work().join("first"));
    let first_id = add(&env, &first);
    // Many small files and one large sparse one, so the process is killed at varied points:
    // while walking, while hashing, while writing.
    let big = write_model(&env.work().join("big"));
    for i in 0..2000 {
        std::fs::write(big.join("sub").join(format!("f{i:04}.txt")), format!("{i}")).unwrap();
    }
    std::fs::File::create(big.join("zeros.bin"))
        .unwrap()
        .set_len(600 << 20)
        .unwrap();
    for delay_ms in [5u64, 40, 120, 250, 400] {
        let mut child = env
            .std_cmd(env.bin())
            .args(["--no-progress", "add", "big", "--name", "big"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        let _ = child.kill();
        let _ = child.wait();
        let list = env.json(&["list", "--format", "json"], 0);
        let models = list.as_array().unwrap();
        assert!(
            models.iter().any(|m| m["id"] == first_id.as_str()),
            "{list}"
        );
        // Either nothing of `big` is there, or all of it.
        if let Some(m) = models.iter().find(|m| m["name"] == "big") {
            let show = env.json(&["show", m["id"].as_str().unwrap(), "--format", "json"], 0);
            assert_eq!(
                show["files"].as_array().unwrap().len(),
                2006,
                "a partial entry after a kill at {delay_ms} ms"
            );
        }
    }
    let show = env.json(&["show", &first_id, "--format", "json"], 0);
    assert_eq!(show["files"].as_array().unwrap().len(), 5);
}

#[test]
fn the_committed_fixture_adds_and_verifies() {
    let env = Env::new();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/tiny-bert");
    let out = env.json(&["add", fixture.to_str().unwrap(), "--format", "json"], 0);
    assert_eq!(out["name"], "tiny-bert");
    assert_eq!(
        out["findings"],
        serde_json::json!([]),
        "the demo model is clean"
    );
    let show = env.json(&["show", "tiny-bert", "--format", "json"], 0);
    let formats: Vec<&str> = show["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["format"].as_str().unwrap())
        .collect();
    assert_eq!(
        formats,
        [
            "license",
            "readme",
            "config",
            "safetensors",
            "tokenizer",
            "tokenizer"
        ]
    );
    env.json(&["verify", "tiny-bert", "--format", "json"], 0);
}

#[test]
fn a_single_weights_file_is_a_model() {
    let env = Env::new();
    std::fs::write(
        env.work().join("solo.safetensors"),
        crate::support::tiny_safetensors(3),
    )
    .unwrap();
    std::fs::write(env.work().join("unrelated.txt"), "not part of the model").unwrap();
    let id = add(&env, &env.work().join("solo.safetensors"));
    assert!(id.starts_with("solo@"), "{id}");
    let show = env.json(&["show", &id, "--format", "json"], 0);
    assert_eq!(show["files"].as_array().unwrap().len(), 1);
    assert_eq!(show["files"][0]["path"], "solo.safetensors");
    // Neighbours of a single-file model are not "extra".
    env.json(&["verify", &id, "--strict", "--format", "json"], 0);
    // A renamed copy can be checked with --path FILE.
    std::fs::copy(
        env.work().join("solo.safetensors"),
        env.work().join("copy.safetensors"),
    )
    .unwrap();
    env.json(
        &[
            "verify",
            &id,
            "--path",
            "copy.safetensors",
            "--format",
            "json",
        ],
        0,
    );
    std::fs::write(env.work().join("solo.safetensors"), b"changed").unwrap();
    env.json(&["verify", &id, "--format", "json"], 1);
}

both_backends!(a_fine_tune_inherits_its_base_license, |env| {
    let base = write_model(&env.work().join("base"));
    std::fs::write(
        base.join("README.md"),
        "---\nlicense: llama3.1\n---\n# Base\n",
    )
    .unwrap();
    env.ok(&["add", base.to_str().unwrap(), "--name", "acme/base"]);
    // `write_model`'s card says apache-2.0 with `base_model: acme/base`.
    let tune = write_model(&env.work().join("tune"));
    let id = add(env, &tune);
    let show = env.json(&["show", &id, "--format", "json"], 0);
    let effective = show["license"]["effective"].as_str().unwrap();
    assert!(
        effective.contains("Apache-2.0") && effective.contains("Llama-3.1"),
        "{effective}"
    );
    assert_eq!(show["license"]["base_chain"][0]["name"], "acme/base");
    assert!(
        show["license"]["base_chain"][0]["effective"]
            .as_str()
            .unwrap()
            .contains("Llama-3.1")
    );
    assert!(
        !show["license"]["obligations"]
            .as_array()
            .unwrap()
            .is_empty(),
        "Llama terms bring duties"
    );
    let human = env.ok(&["show", &id]);
    assert!(human.contains("inherits"), "{human}");
});

#[test]
fn add_records_scan_findings_and_audit_fails_on_them() {
    let env = Env::new();
    let model = write_model(&env.work().join("m"));
    // A raw pickle (protocol 2) whose one global is `os.system`: PROTO 2, GLOBAL, STOP.
    std::fs::write(model.join("evil.pkl"), b"\x80\x02cos\nsystem\nq\x00.").unwrap();
    let out = env.json(&["add", "m", "--format", "json"], 0);
    let findings = out["findings"].as_array().unwrap();
    assert!(
        findings
            .iter()
            .any(|f| f["severity"] == "critical" && f["path"] == "evil.pkl"),
        "{findings:?}"
    );
    let show = env.json(
        &["show", out["id"].as_str().unwrap(), "--format", "json"],
        0,
    );
    assert!(
        show["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["path"] == "evil.pkl")
    );
    let (code, stdout, err) = env.run(&["audit", out["id"].as_str().unwrap()]);
    assert_eq!(code, 1, "{stdout}{err}");
    assert!(stdout.contains("scan-threshold-exceeded"), "{stdout}");
}
