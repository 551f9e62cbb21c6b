//! Policy files and `audit` (issue 8).

use crate::support::{Env, write_model};
use std::path::Path;

fn fixture() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/tiny-bert")
}

#[test]
fn policy_init_writes_a_valid_template_and_never_overwrites() {
    let env = Env::new();
    env.ok(&["policy", "init"]);
    let text = std::fs::read_to_string(env.work().join("modelvet-policy.yaml")).unwrap();
    assert!(
        text.contains("allow:") && text.contains("checks:"),
        "{text}"
    );
    env.ok(&["policy", "check", "modelvet-policy.yaml"]);
    std::fs::write(env.work().join("mine.yaml"), "version: 1\n").unwrap();
    let (code, _, err) = env.run(&["policy", "init", "mine.yaml"]);
    assert_eq!(code, 2);
    assert!(err.contains("never overwritten"), "{err}");
    assert_eq!(
        std::fs::read_to_string(env.work().join("mine.yaml")).unwrap(),
        "version: 1\n"
    );
}

#[test]
fn a_broken_policy_points_at_the_line() {
    let env = Env::new();
    std::fs::write(
        env.work().join("p.yaml"),
        "version: 1\nchecks:\n  verify: true\n  smok: true\n",
    )
    .unwrap();
    let (code, _, err) = env.run(&["audit", fixture().to_str().unwrap(), "--policy", "p.yaml"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("p.yaml") && err.contains("line 4") && err.contains("smok"),
        "{err}"
    );
    assert_eq!(
        env.json(&["list", "--format", "json"], 0),
        serde_json::json!([]),
        "nothing recorded"
    );
    let (code, _, err) = env.run(&["audit", "fixtures", "--policy", "missing.yaml"]);
    assert_eq!(code, 2);
    assert!(err.contains("missing.yaml"), "{err}");
}

#[test]
fn audit_passes_fails_and_records_its_verdict() {
    let env = Env::new();
    let model = write_model(&env.work().join("m"));
    std::fs::write(
        model.join("LICENSE"),
        "Copyright (c) 2026 Someone\nAll rights reserved.\n",
    )
    .unwrap();
    let license_sha = {
        let out = std::process::Command::new("sha256sum")
            .arg(model.join("LICENSE"))
            .output()
            .unwrap();
        String::from_utf8(out.stdout)
            .unwrap()
            .split_whitespace()
            .next()
            .unwrap()
            .to_string()
    };
    let policy = format!(
        "version: 1\nlicenses:\n  allow: [MIT]\n  clarify:\n    - {{ model: tiny, expression: MIT, files: [ {{ path: LICENSE, sha256: \"{license_sha}\" }} ] }}\nchecks:\n  verify: true\n  scan: high\n"
    );
    std::fs::write(env.work().join("policy.yaml"), policy).unwrap();
    let out = env.json(
        &["audit", "m", "--policy", "policy.yaml", "--format", "json"],
        0,
    );
    assert_eq!(out["pass"], true, "{out}");
    assert_eq!(out["verdicts"][0]["license"], "MIT");
    let id = out["verdicts"][0]["id"].as_str().unwrap().to_string();

    // The same model by name, after its bytes changed: verification fails the audit.
    std::fs::write(model.join("config.json"), "{}").unwrap();
    let out = env.json(
        &[
            "audit",
            "tiny",
            "--policy",
            "policy.yaml",
            "--format",
            "json",
        ],
        1,
    );
    let codes: Vec<&str> = out["verdicts"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"verify-failed"), "{codes:?}");
    let human = env.run(&["audit", &id, "--policy", "policy.yaml"]);
    assert_eq!(human.0, 1);
    assert!(
        human.1.contains("FAIL") && human.1.contains("verify-failed"),
        "{}",
        human.1
    );

    // A different LICENSE no longer matches the pinned hash: the clarification lapses.
    std::fs::write(model.join("LICENSE"), "changed\n").unwrap();
    let out = env.json(
        &["audit", "m", "--policy", "policy.yaml", "--format", "json"],
        1,
    );
    let codes: Vec<&str> = out["verdicts"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"license-clarify-stale"), "{codes:?}");
}

#[test]
fn audit_all_and_the_default_policy() {
    let env = Env::new();
    let (code, _, err) = env.run(&["audit", "--all"]);
    assert_eq!(code, 2);
    assert!(err.contains("empty"), "{err}");
    env.ok(&["add", fixture().to_str().unwrap()]);
    let (code, out, err) = env.run(&["audit", "--all"]);
    assert!(code == 0 || code == 1, "{err}");
    assert!(err.contains("built-in default"), "{err}");
    assert!(out.contains("tiny-bert@"), "{out}");
    let (code, _, err) = env.run(&["audit", "no-such-model"]);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn the_profile_is_checked_against_license_thresholds_and_obligations_are_listed() {
    let env = Env::new();
    let model = write_model(&env.work().join("llama-tune"));
    std::fs::write(
        model.join("README.md"),
        "---\nlicense: llama3.1\nmodel_name: Llama-tune\n---\n",
    )
    .unwrap();
    let policy = "version: 1\nlicenses:\n  allow: [LicenseRef-Llama-3.1]\nprofile:\n  commercial: true\n  monthly_active_users: 900000000\n  territories: [US]\nchecks:\n  verify: true\n";
    std::fs::write(env.work().join("policy.yaml"), policy).unwrap();
    let (code, out, err) = env.run(&[
        "audit",
        "llama-tune",
        "--policy",
        "policy.yaml",
        "--format",
        "json",
    ]);
    let v: serde_json::Value =
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}{err}"));
    let effective = v["verdicts"][0]["license"].as_str().unwrap().to_string();
    assert!(effective.contains("Llama-3.1"), "{v}");
    let codes: Vec<&str> = v["verdicts"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert!(
        codes.contains(&"license-threshold-exceeded"),
        "700M MAU threshold: {codes:?}"
    );
    assert_eq!(code, 1);
    assert!(
        !v["verdicts"][0]["obligations"]
            .as_array()
            .unwrap()
            .is_empty(),
        "{v}"
    );
}

#[test]
fn a_policy_that_asks_for_a_smoke_test_runs_and_records_it() {
    let env = Env::new();
    env.ok(&["add", fixture().to_str().unwrap()]);
    let policy = "version: 1\nlicenses:\n  allow: [MIT]\nchecks:\n  verify: true\n  smoke: true\n";
    std::fs::write(env.work().join("policy.yaml"), policy).unwrap();
    let out = env.json(
        &[
            "audit",
            "tiny-bert",
            "--policy",
            "policy.yaml",
            "--format",
            "json",
        ],
        0,
    );
    assert_eq!(out["pass"], true, "{out}");
    let show = env.json(&["show", "tiny-bert", "--format", "json"], 0);
    assert_eq!(show["smoke"]["status"], "passed");
    assert_eq!(show["smoke"]["architecture"], "bert");
    // `smoke MODEL` records too; a model that is not in the catalogue is an error.
    let smoke = env.json(&["smoke", "tiny-bert", "--format", "json"], 0);
    assert_eq!(
        smoke["smoke"]["fingerprint"], show["smoke"]["fingerprint"],
        "same weights, same function"
    );
    let (code, _, err) = env.run(&["smoke", "no-such-model"]);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn the_real_test_models_get_the_right_verdicts() {
    let Some(assets) =
        crate::support::require_assets("the_real_test_models_get_the_right_verdicts")
    else {
        return;
    };
    let env = Env::new();
    let sample = "version: 1\nlicenses:\n  allow: [Apache-2.0, MIT]\nprofile:\n  commercial: true\n  territories: [EU, US]\nopenness:\n  minimum: open-weight\nchecks:\n  verify: true\n  scan: high\n  smoke: true\n";
    std::fs::write(env.work().join("sample.yaml"), sample).unwrap();
    let strict = sample.replace("minimum: open-weight", "minimum: open-source");
    std::fs::write(env.work().join("strict.yaml"), strict).unwrap();
    let minilm = assets.join("all-MiniLM-L6-v2");
    let smol = assets.join("smollm2/SmolLM2-135M-Instruct.Q4_1.gguf");
    for model in [&minilm, &smol] {
        let out = env.json(
            &[
                "audit",
                model.to_str().unwrap(),
                "--policy",
                "sample.yaml",
                "--format",
                "json",
            ],
            0,
        );
        let v = &out["verdicts"][0];
        assert_eq!(v["pass"], true, "{v}");
        assert_eq!(v["license"], "Apache-2.0", "{v}");
        let show = env.json(&["show", v["id"].as_str().unwrap(), "--format", "json"], 0);
        assert_eq!(show["smoke"]["status"], "passed", "{}", show["smoke"]);
        assert_eq!(
            show["openness"]["class"], "open-weight",
            "{}",
            show["openness"]
        );
        // Neither publishes its training code and data under open terms: not open-source AI.
        let out = env.json(
            &[
                "audit",
                v["id"].as_str().unwrap(),
                "--policy",
                "strict.yaml",
                "--format",
                "json",
            ],
            1,
        );
        let codes: Vec<&str> = out["verdicts"][0]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["code"].as_str().unwrap())
            .collect();
        assert!(codes.contains(&"openness-below-minimum"), "{codes:?}");
    }
}
