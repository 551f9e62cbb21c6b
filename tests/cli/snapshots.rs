//! Snapshot tests of every report format for one fixture model of each kind: open-source (a MOT
//! entry), open-weight with open terms (fixtures/tiny-bert), open-weight restricted (Llama terms),
//! a license conflict, and a failing scan. Reports are rendered at a fixed time
//! (`SOURCE_DATE_EPOCH`); what still varies between runs (temp paths, recording times, serials) is
//! replaced by placeholders before comparing. `UPDATE_SNAPSHOTS=1` rewrites tests/snapshots/.

use crate::support::{Env, last_line, write_model};
use std::path::{Path, PathBuf};

const EPOCH: &str = "1767323045"; // 2026-01-02T03:04:05Z

fn snapshot_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots")
}

/// Replaces what differs between runs: the temp dir, timestamps other than the fixed report
/// time, and UUIDs.
fn filter(env: &Env, text: &str) -> String {
    let tmp = env.path().display().to_string();
    let mut s = text.replace(&tmp, "[TMP]");
    let manifest = env!("CARGO_MANIFEST_DIR");
    s = s.replace(manifest, "[REPO]");
    let mut out = String::with_capacity(s.len());
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        // RFC 3339 times: 2026-11-23T15:50:55.123Z (the fixed 2026-01-02T03:04:05Z stays).
        if i + 20 <= b.len()
            && b[i..i + 4].iter().all(u8::is_ascii_digit)
            && b[i + 4] == b'-'
            && b[i + 10] == b'T'
            && b[i + 13] == b':'
        {
            let mut j = i + 19;
            while j < b.len()
                && (b[j].is_ascii_digit()
                    || b[j] == b'.'
                    || b[j] == b'Z'
                    || b[j] == b'+'
                    || b[j] == b':')
            {
                j += 1;
            }
            let t = &s[i..j];
            if t.starts_with("2026-01-02T03:04:05") {
                out.push_str(t);
            } else {
                out.push_str("[TIME]");
            }
            i = j;
            continue;
        }
        // UUIDs: 8-4-4-4-12 hex.
        if s.get(i..i + 36).is_some_and(is_uuid) {
            out.push_str("[UUID]");
            i += 36;
            continue;
        }
        let c = s[i..].chars().next().unwrap();
        out.push(c);
        i += c.len_utf8();
    }
    out
}

fn is_uuid(t: &str) -> bool {
    t.char_indices().all(|(k, c)| {
        if [8, 13, 18, 23].contains(&k) {
            c == '-'
        } else {
            c.is_ascii_hexdigit()
        }
    })
}

fn check(name: &str, actual: &str) {
    let path = snapshot_dir().join(name);
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::create_dir_all(snapshot_dir()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "missing snapshot {} ({e}); run with UPDATE_SNAPSHOTS=1",
            path.display()
        )
    });
    if expected != actual {
        let line = expected
            .lines()
            .zip(actual.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(0);
        panic!(
            "{name} differs from its snapshot at line {}:\n  expected: {:?}\n  actual:   {:?}\n(run with UPDATE_SNAPSHOTS=1 to accept)",
            line + 1,
            expected.lines().nth(line),
            actual.lines().nth(line)
        );
    }
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
        let id = add_and_audit(&env, source, kind);
        for (format, ext) in [
            ("markdown", "md"),
            ("json", "json"),
            ("cyclonedx", "cdx.json"),
            ("spdx", "spdx.json"),
        ] {
            let text = filter(&env, &report(&env, &id, format));
            check(&format!("{kind}.{ext}"), &text);
        }
    }
}
