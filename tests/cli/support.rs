//! Test environment: every test gets its own temp dir, HOME, HF_HOME, XDG dirs and catalogue, so
//! nothing of the user's is read or touched.

#![allow(dead_code)]

use assert_cmd::Command;

/// Runs a test body once on SQLite and once on PostgreSQL (each in its own database).
macro_rules! both_backends {
    ($name:ident, $body:expr) => {
        mod $name {
            use super::*;
            use $crate::support::{Backend, Env};
            #[test]
            fn sqlite() {
                let f: fn(&Env) = $body;
                f(&Env::with_backend(Backend::Sqlite).unwrap());
            }
            #[test]
            fn postgres() {
                let f: fn(&Env) = $body;
                if let Some(env) = Env::with_backend(Backend::Postgres) {
                    f(&env);
                }
            }
        }
    };
}

use std::path::{Path, PathBuf};

/// An isolated environment for running the binary.
pub struct Env {
    pub dir: tempfile::TempDir,
    pub db_url: String,
    pg_db: Option<String>,
}

/// Which catalogue backend a test runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The PostgreSQL server the suite uses (`MODELVET_TEST_PG`, default the local trust server).
pub fn pg_admin_url() -> String {
    std::env::var("MODELVET_TEST_PG")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_string())
}

/// Whether the PostgreSQL tests must run (CI sets `MODELVET_REQUIRE_PG=1`).
pub fn pg_required() -> bool {
    std::env::var("MODELVET_REQUIRE_PG").is_ok_and(|v| v == "1")
}

fn psql(sql: &str) -> Result<(), String> {
    let out = std::process::Command::new("psql")
        .arg(pg_admin_url())
        .args(["-v", "ON_ERROR_STOP=1", "-q", "-c", sql])
        .output()
        .map_err(|e| format!("cannot run psql: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

impl Env {
    /// A fresh environment on SQLite.
    pub fn new() -> Env {
        Env::with_backend(Backend::Sqlite).expect("sqlite env")
    }

    /// A fresh environment on the given backend. `None` for PostgreSQL when no server answers
    /// and the run does not require one (the caller prints that it skipped).
    pub fn with_backend(backend: Backend) -> Option<Env> {
        let dir = tempfile::tempdir().expect("tempdir");
        for sub in ["home", "hf", "data", "cache", "config", "work"] {
            std::fs::create_dir_all(dir.path().join(sub)).unwrap();
        }
        match backend {
            Backend::Sqlite => {
                let db = dir.path().join("catalogue.db");
                Some(Env {
                    db_url: format!("sqlite://{}", db.display()),
                    dir,
                    pg_db: None,
                })
            }
            Backend::Postgres => {
                let name = format!(
                    "modelvet_t_{}_{}",
                    std::process::id(),
                    dir.path()
                        .file_name()
                        .unwrap()
                        .to_string_lossy()
                        .to_lowercase()
                        .replace(['.', '-'], "_")
                );
                match psql(&format!("CREATE DATABASE {name}")) {
                    Ok(()) => {}
                    Err(e) if !pg_required() => {
                        eprintln!("SKIPPED (PostgreSQL): no server at {}: {e}", pg_admin_url());
                        return None;
                    }
                    Err(e) => panic!("PostgreSQL is required (MODELVET_REQUIRE_PG=1) but: {e}"),
                }
                let base = pg_admin_url();
                let root = base
                    .rsplit_once('/')
                    .map(|(r, _)| r.to_string())
                    .unwrap_or(base);
                Some(Env {
                    db_url: format!("{root}/{name}"),
                    dir,
                    pg_db: Some(name),
                })
            }
        }
    }

    /// The temp dir's path.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// A scratch folder for test inputs.
    pub fn work(&self) -> PathBuf {
        self.dir.path().join("work")
    }

    /// The path of the `modelvet` binary under test.
    /// (`MODELVET_BIN` overrides it: the benchmarks run a release build through these tests.)
    pub fn bin(&self) -> PathBuf {
        std::env::var_os("MODELVET_BIN")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_modelvet")))
    }

    /// `program` with this environment (and nothing of the user's), in the work folder.
    pub fn std_cmd(&self, program: impl AsRef<std::ffi::OsStr>) -> std::process::Command {
        let mut cmd = std::process::Command::new(program);
        let p = self.dir.path();
        cmd.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", p.join("home"))
            .env("HF_HOME", p.join("hf"))
            .env("XDG_DATA_HOME", p.join("data"))
            .env("XDG_CACHE_HOME", p.join("cache"))
            .env("XDG_CONFIG_HOME", p.join("config"))
            .env("HF_HUB_DISABLE_IMPLICIT_TOKEN", "1")
            .env("HF_ENDPOINT", "http://127.0.0.1:9")
            .env("MODELVET_DATABASE_URL", &self.db_url)
            .env("NO_COLOR", "1")
            .current_dir(p.join("work"));
        cmd
    }

    /// The binary with this environment (and nothing of the user's).
    pub fn cmd(&self) -> Command {
        Command::from_std(self.std_cmd(self.bin()))
    }

    /// Runs the binary with `args`, returning (exit code, stdout, stderr).
    pub fn run(&self, args: &[&str]) -> (i32, String, String) {
        let out = self.cmd().args(args).output().expect("run modelvet");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// Runs and asserts the exit code, returning stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let (code, out, err) = self.run(args);
        assert_eq!(
            code, 0,
            "modelvet {args:?} exited {code}\nstdout:\n{out}\nstderr:\n{err}"
        );
        out
    }

    /// Runs and parses stdout as JSON, asserting the exit code.
    pub fn json(&self, args: &[&str], expect_code: i32) -> serde_json::Value {
        let (code, out, err) = self.run(args);
        assert_eq!(
            code, expect_code,
            "modelvet {args:?} exited {code}\nstdout:\n{out}\nstderr:\n{err}"
        );
        serde_json::from_str(&out)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{out}\nstderr:\n{err}"))
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        if let Some(name) = &self.pg_db {
            let _ = psql(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
        }
    }
}

/// The real test models fetched by `scripts/test` (`MODELVET_TEST_ASSETS`), if present.
pub fn test_assets() -> Option<PathBuf> {
    let dir = std::env::var_os("MODELVET_TEST_ASSETS").map(PathBuf::from)?;
    dir.is_dir().then_some(dir)
}

/// The real test models, or a loud skip unless the run requires them (`MODELVET_REQUIRE_ASSETS=1`).
pub fn require_assets(test: &str) -> Option<PathBuf> {
    match test_assets() {
        Some(p) => Some(p),
        None if std::env::var("MODELVET_REQUIRE_ASSETS").is_ok_and(|v| v == "1") => {
            panic!("{test}: MODELVET_TEST_ASSETS is required but not set; run scripts/test")
        }
        None => {
            eprintln!("SKIPPED ({test}): real test models absent; run scripts/test to fetch them");
            None
        }
    }
}

/// A program on PATH.
pub fn on_path(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// Headless Chromium (Debian's `chromium`, or another name for it), or a loud skip unless the run
/// requires a browser (`MODELVET_REQUIRE_BROWSER=1`, which `.ci/run` sets).
pub fn require_chromium(test: &str) -> Option<PathBuf> {
    let found = ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find_map(on_path);
    if found.is_none() {
        assert!(
            std::env::var("MODELVET_REQUIRE_BROWSER").as_deref() != Ok("1"),
            "{test}: MODELVET_REQUIRE_BROWSER=1 but no chromium on PATH; install Debian's `chromium`"
        );
        eprintln!("SKIPPED ({test}): no chromium on PATH; install Debian's `chromium` to run it");
    }
    found
}

/// Bytes of a small, valid safetensors file holding one F32 tensor `weight` of shape [2, 2].
pub fn tiny_safetensors(seed: u8) -> Vec<u8> {
    let header = br#"{"weight":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},"__metadata__":{"format":"pt"}}"#;
    let mut header = header.to_vec();
    while !header.len().is_multiple_of(8) {
        header.push(b' ');
    }
    let mut out = (header.len() as u64).to_le_bytes().to_vec();
    out.extend_from_slice(&header);
    for i in 0..4u8 {
        out.extend_from_slice(&f32::from(i.wrapping_add(seed)).to_le_bytes());
    }
    out
}

/// Writes a tiny model folder (card with license and base model, config, weights, tokenizer,
/// a nested file) at `dir` and returns it.
pub fn write_model(dir: &Path) -> PathBuf {
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    std::fs::write(
        dir.join("README.md"),
        "---\nlicense: apache-2.0\nbase_model: acme/base\nmodel_name: tiny\ntags: [test]\n---\n# Tiny\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("config.json"),
        r#"{"architectures":["BertModel"],"hidden_size":2}"#,
    )
    .unwrap();
    std::fs::write(dir.join("model.safetensors"), tiny_safetensors(1)).unwrap();
    std::fs::write(
        dir.join("tokenizer.json"),
        r#"{"version":"1.0","model":{"type":"WordLevel"}}"#,
    )
    .unwrap();
    std::fs::write(dir.join("sub").join("notes.txt"), "notes\n").unwrap();
    dir.to_path_buf()
}

/// The last non-empty line of `text` (where `add` prints the model id).
pub fn last_line(text: &str) -> &str {
    text.lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
}

/// An official JSON schema (`MODELVET_SCHEMAS/<rel>`, set by scripts/test from ../shared/schemas),
/// or a loud skip when absent.
pub fn schema(test: &str, rel: &str) -> Option<PathBuf> {
    let dir = std::env::var_os("MODELVET_SCHEMAS").map(PathBuf::from);
    match dir.map(|d| d.join(rel)).filter(|p| p.is_file()) {
        Some(p) => Some(p),
        None => {
            eprintln!(
                "SKIPPED ({test}): schema {rel} not found; set MODELVET_SCHEMAS or run scripts/test beside ../shared"
            );
            None
        }
    }
}
