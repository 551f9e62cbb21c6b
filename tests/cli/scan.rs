//! `modelvet scan`: the corpus of hand-assembled model files, exit codes, JSON and SARIF.

mod corpus;

use crate::support::{Env, require_assets};
use corpus::Expect;
use std::collections::BTreeMap;

fn findings_by_path(doc: &serde_json::Value) -> BTreeMap<String, Vec<String>> {
    let mut by: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for f in doc["findings"].as_array().expect("findings") {
        by.entry(f["path"].as_str().unwrap_or("").to_string())
            .or_default()
            .push(f["code"].as_str().unwrap().to_string());
    }
    by
}

#[test]
fn corpus_all_caught_and_benign_clean() {
    let env = Env::new();
    let root = env.work().join("corpus");
    corpus::write(&root);
    let doc = env.json(&["scan", "corpus", "--format", "json"], 1);
    let by = findings_by_path(&doc);
    let mut malicious = 0;
    let mut failures = Vec::new();
    for case in corpus::corpus() {
        let got = by.get(&case.path).cloned().unwrap_or_default();
        for e in &case.expect {
            match e {
                Expect::Clean => {
                    if !got.is_empty() {
                        failures.push(format!("{}: expected clean, got {got:?}", case.path));
                    }
                }
                Expect::Code(c) => {
                    if !got.iter().any(|g| g == c) {
                        failures.push(format!("{}: expected `{c}`, got {got:?}", case.path));
                    }
                }
            }
        }
        if case.pickle && !case.expect.contains(&Expect::Clean) {
            malicious += 1;
        }
    }
    // Companion files of clean cases (shards, external data) must be clean too.
    for (path, codes) in &by {
        if (path.starts_with("benign/") || path.starts_with("st-index/ok/")) && !codes.is_empty() {
            failures.push(format!("{path}: benign companion has findings {codes:?}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} corpus failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(malicious >= 30, "only {malicious} malicious pickle cases");
}

#[test]
fn exit_codes_follow_fail_on() {
    let env = Env::new();
    let w = env.work();
    std::fs::write(w.join("ok.pkl"), corpus::state_dict(2, &[("w", &[2])])).unwrap();
    std::fs::write(w.join("odd.pkl"), corpus::call(2, "mypkg", "Thing")).unwrap();
    std::fs::write(w.join("evil.pkl"), corpus::call(2, "os", "system")).unwrap();

    let (code, out, _) = env.run(&["scan", "ok.pkl"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("1 file scanned, no findings"), "{out}");

    let (code, out, _) = env.run(&["scan", "evil.pkl"]);
    assert_eq!(code, 1);
    assert!(
        out.contains("CRITICAL")
            && out.contains("pickle-global-dangerous")
            && out.contains("os.system"),
        "{out}"
    );

    // A high finding fails the default threshold but not `--fail-on critical`.
    assert_eq!(env.run(&["scan", "odd.pkl"]).0, 1);
    assert_eq!(env.run(&["scan", "odd.pkl", "--fail-on", "critical"]).0, 0);
    assert_eq!(env.run(&["scan", "evil.pkl", "--fail-on", "critical"]).0, 1);

    let (code, _, err) = env.run(&["scan", "missing.bin"]);
    assert_eq!(code, 2);
    assert!(
        err.starts_with("error:") && err.contains("missing.bin"),
        "{err}"
    );

    let (code, _, err) = env.run(&["scan", "ok.pkl", "--format", "markdown"]);
    assert_eq!(code, 2, "{err}");
    let (code, _, err) = env.run(&["scan", "ok.pkl", "--fail-on", "severe"]);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn json_document_shape() {
    let env = Env::new();
    std::fs::create_dir_all(env.work().join("m")).unwrap();
    std::fs::write(
        env.work().join("m/evil.pt"),
        corpus::torch_zip(corpus::call(2, "posix", "system")),
    )
    .unwrap();
    std::fs::write(env.work().join("m/model.gguf"), corpus::gguf_ok().build()).unwrap();
    let doc = env.json(&["scan", "m", "--format", "json"], 1);
    let files: Vec<(&str, &str)> = doc["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["path"].as_str().unwrap(), f["format"].as_str().unwrap()))
        .collect();
    assert_eq!(files, [("evil.pt", "zip"), ("model.gguf", "gguf")]);
    let f = &doc["findings"][0];
    assert_eq!(f["code"], "pickle-global-dangerous");
    assert_eq!(f["severity"], "critical");
    assert_eq!(f["path"], "evil.pt");
    assert!(
        f["evidence"].as_str().unwrap().contains("archive/data.pkl"),
        "{f}"
    );
}

#[test]
fn sarif_validates_against_the_schema() {
    let env = Env::new();
    let root = env.work().join("corpus");
    corpus::write(&root);
    let doc = env.json(&["scan", "corpus", "--format", "sarif"], 1);
    let rel = "sarif/sarif-schema-2.1.0.json";
    let beside = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/schemas")
        .join(rel);
    let found = if beside.is_file() {
        Some(beside)
    } else {
        crate::support::schema("sarif schema", rel)
    };
    let Some(schema_path) = found else {
        return;
    };
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&schema_path).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(&doc)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "SARIF invalid:\n{}", errors.join("\n"));
    assert_eq!(doc["version"], "2.1.0");
    let results = doc["runs"][0]["results"].as_array().unwrap();
    assert!(
        results
            .iter()
            .any(|r| r["ruleId"] == "pickle-global-dangerous" && r["level"] == "error")
    );
    let rules = doc["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    for r in results {
        let i = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[i]["id"], r["ruleId"]);
    }
}

#[test]
fn real_models_scan_clean() {
    let Some(assets) = require_assets("scan real models") else {
        return;
    };
    let env = Env::new();
    let minilm = assets.join("all-MiniLM-L6-v2");
    let gguf = assets.join("smollm2/SmolLM2-135M-Instruct.Q4_1.gguf");
    let doc = env.json(
        &[
            "scan",
            minilm.to_str().unwrap(),
            gguf.to_str().unwrap(),
            "--format",
            "json",
        ],
        0,
    );
    assert_eq!(doc["findings"].as_array().unwrap().len(), 0, "{doc}");
    assert!(
        doc["files"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["format"] == "gguf")
    );
    assert!(
        doc["files"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["format"] == "safetensors")
    );
}

/// Not a test of behaviour: writes the corpus where `scripts/bench-scan` asks
/// (`MODELVET_SCAN_CORPUS_OUT`), and does nothing otherwise.
#[test]
fn write_corpus_for_bench() {
    if let Some(dir) = std::env::var_os("MODELVET_SCAN_CORPUS_OUT") {
        let dir = std::path::PathBuf::from(dir);
        corpus::write(&dir);
        let list: Vec<String> = corpus::corpus()
            .iter()
            .filter(|c| c.pickle)
            .map(|c| {
                format!(
                    "{}\t{}",
                    c.path,
                    if c.expect.contains(&Expect::Clean) {
                        "benign"
                    } else {
                        "malicious"
                    }
                )
            })
            .collect();
        std::fs::write(dir.join("PICKLE_CASES.tsv"), list.join("\n") + "\n").unwrap();
        // Every case with its category, for the side-by-side detection table.
        let all: Vec<String> = corpus::corpus()
            .iter()
            .map(|c| {
                // Malicious: the scanner must say something at high or above; cases that only
                // expect lower-severity findings are "suspicious" and left out of the counts.
                let severe = c.expect.iter().any(|e| match e {
                    Expect::Code(id) => modelvet::scan::ScanCode::from_id(id)
                        .is_some_and(|k| k.severity() >= modelvet::finding::Severity::High),
                    Expect::Clean => false,
                });
                let kind = if c.expect.contains(&Expect::Clean) {
                    "benign"
                } else if severe {
                    "malicious"
                } else {
                    "suspicious"
                };
                let parts: Vec<&str> = c.path.split('/').collect();
                let category = match parts[..] {
                    [top, cat, _, ..] if top.starts_with("evasion") => cat,
                    [one] if one.contains('.') => "pickle-misc",
                    [top, ..] => top,
                    [] => "",
                };
                format!("{}\t{kind}\t{category}", c.path)
            })
            .collect();
        std::fs::write(dir.join("CASES.tsv"), all.join("\n") + "\n").unwrap();
        // Realistic-size checkpoints for the throughput run (not part of the detection counts).
        let names: Vec<String> = (0..20_000)
            .map(|i| format!("model.layers.{i}.mlp.weight"))
            .collect();
        let shape: &[u32] = &[64, 64];
        let tensors: Vec<(&str, &[u32])> = names.iter().map(|n| (n.as_str(), shape)).collect();
        let big = dir.join("../bench-large");
        std::fs::create_dir_all(&big).unwrap();
        std::fs::write(
            big.join("state_dict_p2.pkl"),
            corpus::state_dict(2, &tensors),
        )
        .unwrap();
        std::fs::write(
            big.join("state_dict_p4.pkl"),
            corpus::state_dict(4, &tensors),
        )
        .unwrap();
        std::fs::write(
            big.join("pytorch_model.bin"),
            corpus::torch_zip(corpus::state_dict(2, &tensors)),
        )
        .unwrap();
    }
}
