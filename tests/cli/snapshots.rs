//! Snapshot tests of every report format for one fixture model of each kind: open-source (a MOT
//! entry), open-weight with open terms (fixtures/tiny-bert), open-weight restricted (Llama terms),
//! a license conflict, and a failing scan. Reports are rendered at a fixed time
//! (`SOURCE_DATE_EPOCH`); what still varies between runs (temp paths, recording times, serials) is
//! replaced by insta filters before comparing. `INSTA_UPDATE=always` rewrites tests/snapshots/.

use crate::support::{Env, last_line, write_model};
use std::path::{Path, PathBuf};

const EPOCH: &str = "1767323045"; // 2026-01-02T03:04:05Z

/// Checks `actual` against `tests/snapshots/NAME.snap` with insta, after filtering out what
/// differs between runs: the temp dir and checkout paths, recording times (the fixed report time
/// is kept apart as `[REPORT_TIME]`), and UUIDs. `INSTA_UPDATE=always` (or `cargo insta review`)
/// accepts a change.
fn check(env: &Env, name: &str, actual: &str) {
    let tmp = regex::escape(&env.path().display().to_string());
    let repo = regex::escape(env!("CARGO_MANIFEST_DIR"));
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots"));
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.add_filter(&tmp, "[TMP]");
    settings.add_filter(&repo, "[REPO]");
    settings.add_filter(r"2026-01-02T03:04:05Z", "[REPORT_TIME]");
    settings.add_filter(
        r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?",
        "[TIME]",
    );
    settings.add_filter(
        r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}",
        "[UUID]",
    );
    settings.bind(|| insta::assert_snapshot!(name.to_string(), actual));
}

fn report(env: &Env, id: &str, format: &str) -> String {
    let out = env
        .cmd()
        .env("SOURCE_DATE_EPOCH", EPOCH)
        .args(["report", id, "--format", format])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "report {id} {format}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn add_and_audit(env: &Env, source: &Path, name: &str) -> String {
    let id = last_line(&env.ok(&["add", source.to_str().unwrap(), "--name", name])).to_string();
    let (code, out, err) = env.run(&["audit", &id]);
    assert!(code == 0 || code == 1, "{out}{err}");
    id
}

fn mot_open_source(dir: &Path) -> PathBuf {
    let mut y = String::from(
        "framework:\n  name: 'Model Openness Framework'\n  version: '1.0'\n  date: '2024-12-15'\nrelease:\n  name: 'open-model'\n  version: '1.0'\n  producer: Example\n  license:\n    distribution:\n      name: 'Apache-2.0'\n      path: ''\n  components:\n",
    );
    for c in [
        "Model architecture",
        "Model parameters (Final)",
        "Technical report",
        "Evaluation results",
        "Model card",
        "Data card",
        "Training code",
        "Inference code",
        "Evaluation code",
        "Evaluation data",
        "Datasets",
        "Data preprocessing code",
        "Model parameters (Intermediate)",
    ] {
        y.push_str(&format!("    - name: '{c}'\n      description: ''\n"));
    }
    y.push_str("    - name: 'Research paper'\n      description: ''\n      license: 'CC-BY-4.0'\n");
    let p = dir.join("open-model.yml");
    std::fs::write(&p, y).unwrap();
    p
}

#[test]
fn every_format_for_every_kind_of_model() {
    let env = Env::new();
    let work = env.work();
    let restricted = write_model(&work.join("restricted"));
    std::fs::write(
        restricted.join("README.md"),
        "---\nlicense: llama3.1\n---\n# Restricted\n",
    )
    .unwrap();
    let conflict = write_model(&work.join("conflict"));
    std::fs::write(
        conflict.join("README.md"),
        "---\nlicense: apache-2.0\n---\n# Conflict\n",
    )
    .unwrap();
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/tiny-bert/LICENSE"),
        conflict.join("LICENSE"),
    )
    .unwrap();
    let unsafe_scan = write_model(&work.join("unsafe"));
    std::fs::write(
        unsafe_scan.join("README.md"),
        "---\nlicense: mit\n---\n# Unsafe\n",
    )
    .unwrap();
    std::fs::write(unsafe_scan.join("evil.pkl"), b"\x80\x02cos\nsystem\nq\x00.").unwrap();
    let kinds: [(&str, PathBuf); 5] = [
        ("open-source", mot_open_source(&work)),
        (
            "open-weight-open",
            Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/tiny-bert"),
        ),
        ("open-weight-restricted", restricted),
        ("license-conflict", conflict),
        ("failing-scan", unsafe_scan),
    ];
    for (kind, source) in &kinds {
        // Each kind in a catalogue of its own: the fixtures share their tiny weights, which in
        // one catalogue is (rightly) `weights-identical-license-differs`.
        let own = Env::new();
        let id = add_and_audit(&own, source, kind);
        for (format, ext) in [
            ("markdown", "md"),
            ("json", "json"),
            ("cyclonedx", "cdx.json"),
            ("spdx", "spdx.json"),
        ] {
            check(&env, &format!("{kind}.{ext}"), &report(&own, &id, format));
        }
    }
}
