//! `modelvet classify` (issue 4): MOT entries, model folders with a sidecar, catalogue models,
//! and the bad-input cases, through the real binary.

use crate::support::{Env, last_line, tiny_safetensors, write_model};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// A MOT model entry with `components` as (exact name, license or `-` to inherit).
fn mot_entry(name: &str, distribution: Option<&str>, components: &[(&str, &str)]) -> String {
    let mut y = format!(
        "framework:\n  name: 'Model Openness Framework'\n  version: '1.0'\n  date: '2024-12-15'\nrelease:\n  name: '{name}'\n  version: ''\n  producer: Example\n"
    );
    match distribution {
        Some(l) => y.push_str(&format!(
            "  license:\n    distribution:\n      name: '{l}'\n      path: ''\n"
        )),
        None => y.push_str("  license: {}\n"),
    }
    y.push_str("  components:\n");
    for (c, l) in components {
        y.push_str(&format!("    - name: '{c}'\n      description: ''\n"));
        if *l != "-" {
            y.push_str(&format!("      license: '{l}'\n"));
        }
    }
    y
}

fn write(env: &Env, name: &str, text: &str) -> PathBuf {
    let p = env.work().join(name);
    std::fs::write(&p, text).unwrap();
    p
}

const CLASS_III: [(&str, &str); 6] = [
    ("Model architecture", "-"),
    ("Model parameters (Final)", "-"),
    ("Technical report", "-"),
    ("Evaluation results", "-"),
    ("Model card", "-"),
    ("Data card", "-"),
];

fn classify_json(env: &Env, target: &Path, extra: &[&str]) -> Value {
    let mut args = vec!["classify", target.to_str().unwrap(), "--format", "json"];
    args.extend_from_slice(extra);
    env.json(&args, 0)
}

#[test]
fn mot_entry_class_iii_reproduces_the_mot_figures() {
    let env = Env::new();
    let p = write(
        &env,
        "granite.yml",
        &mot_entry("Granite-4.0-Micro", Some("Apache-2.0"), &CLASS_III),
    );
    let v = classify_json(&env, &p, &[]);
    let o = &v["openness"];
    assert_eq!(o["mof"]["class"], 3);
    assert_eq!(o["mof"]["progress"]["class_iii"], 100.0);
    assert_eq!(o["mof"]["progress"]["class_ii"], 60.0);
    assert_eq!(o["mof"]["progress"]["class_i"], 0.0);
    assert_eq!(o["class"], "open-weight");
    assert_eq!(o["weights_terms"], "open");
    let comps = o["components"].as_array().unwrap();
    assert_eq!(comps.len(), 17);
    let arch = comps.iter().find(|c| c["id"] == 9).unwrap();
    assert_eq!(arch["license"], "Apache-2.0");
    assert_eq!(arch["license_source"], "distribution");
    let training = comps.iter().find(|c| c["id"] == 7).unwrap();
    assert_eq!(training["status"], "not_included");
    let reasons = o["reasons"].as_array().unwrap();
    assert!(reasons.iter().any(|r| r["code"] == "mof-component-missing"
        && r["component"] == "Training code"
        && r["message"].as_str().unwrap().contains("Class II")));
    assert!(
        reasons
            .iter()
            .any(|r| r["code"] == "osaid-component-missing" && r["component"] == "Training code")
    );
}

#[test]
fn mot_entry_class_i_and_unclassified_in_human_output() {
    let env = Env::new();
    let all: Vec<(&str, &str)> = [
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
    ]
    .into_iter()
    .map(|c| (c, "-"))
    .chain([("Research paper", "CC-BY-4.0")])
    .collect();
    let p = write(
        &env,
        "olmo.yml",
        &mot_entry("OLMo-7B", Some("Apache-2.0"), &all),
    );
    let out = env.ok(&["classify", p.to_str().unwrap()]);
    assert!(
        out.contains("class:         open-source (weights terms: open)"),
        "{out}"
    );
    assert!(out.contains("MOF:           Class I (Open Science Model) (Class III 100%, Class II 100%, Class I 100%)"), "{out}");
    // Strict mode: Apache-2.0 is not a data license in the MOF's lists.
    assert!(
        out.contains("MOF (strict):  none (Class III not met)"),
        "{out}"
    );
    let out = env.ok(&["classify", p.to_str().unwrap(), "--strict"]);
    assert!(
        out.lines().nth(2).unwrap().starts_with("  MOF (strict):"),
        "{out}"
    );

    let llama = write(
        &env,
        "llama.yml",
        &mot_entry("Llama-2-7b", Some("Llama 2 Community License"), &CLASS_III),
    );
    let v = classify_json(&env, &llama, &[]);
    assert_eq!(v["openness"]["mof"]["class"], 0);
    assert_eq!(v["openness"]["weights_terms"], "unknown");
    let reasons = v["openness"]["reasons"].as_array().unwrap();
    let r = reasons
        .iter()
        .find(|r| {
            r["code"] == "mof-license-not-open" && r["component"] == "Model parameters (Final)"
        })
        .unwrap();
    assert!(
        r["message"]
            .as_str()
            .unwrap()
            .contains("`Llama 2 Community License` is not recognised"),
        "{r}"
    );
    let r = reasons
        .iter()
        .find(|r| {
            r["code"] == "osaid-license-not-recognised"
                && r["component"] == "Model parameters (Final)"
        })
        .unwrap();
    assert!(
        r["message"].as_str().unwrap().contains("not recognised"),
        "{r}"
    );
}

fn bad(env: &Env, name: &str, text: &str, want: &[&str]) {
    let p = write(env, name, text);
    let (code, out, err) = env.run(&["classify", p.to_str().unwrap()]);
    assert_eq!(code, 2, "stdout:\n{out}\nstderr:\n{err}");
    assert!(out.is_empty(), "{out}");
    assert!(err.starts_with("error: "), "{err}");
    assert!(err.contains(name), "the error names the file: {err}");
    for w in want {
        assert!(err.contains(w), "missing {w:?} in: {err}");
    }
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn bad_mot_entries_are_errors_with_file_and_line() {
    let env = Env::new();
    let good = mot_entry("M", Some("Apache-2.0"), &CLASS_III);
    bad(
        &env,
        "unknown.yml",
        &good.replace("'Data card'", "'Datacard'"),
        &[
            "line 24",
            "unknown component `Datacard`",
            "did you mean `Data card`",
        ],
    );
    bad(
        &env,
        "dup.yml",
        &format!("{good}    - name: 'Model card'\n      description: ''\n"),
        &["line 26", "listed twice (first at line 22)"],
    );
    bad(
        &env,
        "noname.yml",
        &good.replace("  name: 'M'\n", ""),
        &["line 6", "`release.name` is missing"],
    );
    bad(
        &env,
        "framework.yml",
        &good.replace("'Model Openness Framework'", "'Open Source AI Definition'"),
        &[
            "line 2",
            "framework `Open Source AI Definition` is not supported",
        ],
    );
    bad(
        &env,
        "types.yml",
        &good.replace("  components:\n", "  components: yes\n  extra:\n"),
        &["line 13"],
    );
    bad(
        &env,
        "unknownkey.yml",
        &good.replace("  producer: Example\n", "  producr: Example\n"),
        &["line 8", "unknown field `producr`"],
    );
}

fn folder(env: &Env, name: &str) -> PathBuf {
    write_model(&env.work().join(name))
}

#[test]
fn folder_apache_weights_only_is_open_weight_open() {
    let env = Env::new();
    let dir = folder(&env, "tiny");
    let v = classify_json(&env, &dir, &[]);
    let o = &v["openness"];
    assert_eq!(o["class"], "open-weight");
    assert_eq!(o["weights_terms"], "open");
    let comps = o["components"].as_array().unwrap();
    let w = comps.iter().find(|c| c["id"] == 10).unwrap();
    assert_eq!(w["status"], "included");
    assert_eq!(w["evidence"], "model.safetensors");
    assert_eq!(w["license"], "Apache-2.0");
    let t = comps.iter().find(|c| c["id"] == 7).unwrap();
    assert_eq!(t["status"], "unknown");
}

#[test]
fn folder_with_llama_license_is_restricted() {
    let env = Env::new();
    let dir = folder(&env, "llamaish");
    std::fs::write(
        dir.join("README.md"),
        "---\nlicense: llama2\n---\n# A fine-tune\n",
    )
    .unwrap();
    let v = classify_json(&env, &dir, &[]);
    assert_eq!(v["openness"]["class"], "open-weight");
    assert_eq!(v["openness"]["weights_terms"], "restricted");
    let reasons = v["openness"]["reasons"].as_array().unwrap();
    assert!(
        reasons.iter().any(|r| r["code"] == "osaid-license-not-open"
            && r["component"] == "Model parameters (Final)"),
        "{reasons:#?}"
    );
}

#[test]
fn folder_without_weights_is_closed() {
    let env = Env::new();
    let dir = env.work().join("docs-only");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("README.md"),
        "---\nlicense: mit\n---\n# Only a card\n",
    )
    .unwrap();
    std::fs::write(dir.join("inference.py"), "print('hi')\n").unwrap();
    let v = classify_json(&env, &dir, &[]);
    assert_eq!(v["openness"]["class"], "closed");
    assert_eq!(v["openness"]["weights_terms"], "unknown");
}

#[test]
fn sidecar_declarations_make_a_folder_open_source() {
    let env = Env::new();
    let dir = folder(&env, "declared");
    std::fs::write(
        dir.join("modelvet.yaml"),
        "components:\n  - name: Training code\n    evidence: https://github.com/example/train\n  - name: Inference code\n    evidence: https://github.com/example/infer\n  - name: Data preprocessing code\n    evidence: https://github.com/example/data\n  - name: Datasets\n    license: ODC-By-1.0\n    evidence: https://huggingface.co/datasets/allenai/c4\n",
    )
    .unwrap();
    let v = classify_json(&env, &dir, &[]);
    assert_eq!(
        v["openness"]["class"], "open-source",
        "{:#}",
        v["openness"]["reasons"]
    );
    let comps = v["openness"]["components"].as_array().unwrap();
    let ds = comps.iter().find(|c| c["id"] == 15).unwrap();
    assert_eq!(ds["license_source"], "explicit");
    assert_eq!(ds["evidence"], "https://huggingface.co/datasets/allenai/c4");
}

#[test]
fn broken_sidecar_is_an_error_with_file_and_line() {
    let env = Env::new();
    let dir = folder(&env, "broken");
    std::fs::write(
        dir.join("modelvet.yaml"),
        "components:\n  - name: Datasets\n    licence: MIT\n",
    )
    .unwrap();
    let (code, _, err) = env.run(&["classify", dir.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("modelvet.yaml` line 3"), "{err}");
    assert!(err.contains("unknown field `licence`"), "{err}");
    std::fs::write(
        dir.join("modelvet.yaml"),
        "components:\n  - name: Weights\n",
    )
    .unwrap();
    let (code, _, err) = env.run(&["classify", dir.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("line 2: unknown component `Weights`"), "{err}");
}

#[test]
fn single_weights_file_and_catalogue_model() {
    let env = Env::new();
    let file = env.work().join("lonely.safetensors");
    std::fs::write(&file, tiny_safetensors(3)).unwrap();
    let v = classify_json(&env, &file, &[]);
    assert_eq!(v["openness"]["class"], "open-weight");
    assert_eq!(
        v["openness"]["weights_terms"], "unknown",
        "no license anywhere"
    );

    let dir = folder(&env, "recorded");
    let id = last_line(&env.ok(&["add", dir.to_str().unwrap()])).to_string();
    let v = env.json(&["classify", "tiny", "--format", "json"], 0);
    assert_eq!(v["id"], id.as_str());
    assert_eq!(v["openness"]["class"], "open-weight");
    assert_eq!(v["openness"]["components"].as_array().unwrap().len(), 17);
}

#[test]
fn unknown_model_and_unsupported_format_are_errors() {
    let env = Env::new();
    let (code, _, err) = env.run(&["classify", "no-such-model"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.starts_with("error: "), "{err}");
    let p = write(&env, "m.yml", &mot_entry("M", None, &CLASS_III));
    let (code, _, err) = env.run(&["classify", p.to_str().unwrap(), "--format", "mof"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--format mof"), "{err}");
}

#[test]
fn real_model_all_minilm_is_open_weight_with_named_datasets() {
    let Some(assets) = crate::support::require_assets("classify all-MiniLM-L6-v2") else {
        return;
    };
    let env = Env::new();
    let v = classify_json(&env, &assets.join("all-MiniLM-L6-v2"), &[]);
    let o = &v["openness"];
    assert_eq!(o["class"], "open-weight");
    assert_eq!(o["weights_terms"], "open", "the card says apache-2.0");
    let comps = o["components"].as_array().unwrap();
    let ds = comps.iter().find(|c| c["id"] == 15).unwrap();
    assert_eq!(ds["status"], "included");
    assert!(ds["evidence"].as_str().unwrap().contains("s2orc"), "{ds}");
    assert_eq!(
        ds["license"],
        Value::Null,
        "the model's license does not license its datasets"
    );
    let reasons = o["reasons"].as_array().unwrap();
    let r = reasons
        .iter()
        .find(|r| r["code"] == "osaid-data-information-missing")
        .unwrap();
    assert!(
        r["message"]
            .as_str()
            .unwrap()
            .contains("Datasets: is included but has no license"),
        "{r}"
    );
}

#[test]
fn catalogue_model_reads_the_folders_sidecar_and_strict_flag() {
    let env = Env::new();
    let dir = folder(&env, "withsidecar");
    env.ok(&["add", dir.to_str().unwrap()]);
    std::fs::write(
        dir.join("modelvet.yaml"),
        "components:\n  - name: Training code\n    license: MIT\n    evidence: https://github.com/example/train\n",
    )
    .unwrap();
    let v = env.json(&["classify", "tiny", "--format", "json", "--strict"], 0);
    assert_eq!(v["strict"], true);
    let comps = v["openness"]["components"].as_array().unwrap();
    let t = comps.iter().find(|c| c["id"] == 7).unwrap();
    assert_eq!(t["status"], "included");
    assert_eq!(t["license"], "MIT");
    assert_eq!(t["evidence"], "https://github.com/example/train");
    std::fs::write(dir.join("modelvet.yaml"), "components: [\n").unwrap();
    let (code, _, err) = env.run(&["classify", "tiny"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("modelvet.yaml` line"), "{err}");
}

#[test]
fn show_and_audit_see_the_openness_section() {
    let env = Env::new();
    let dir = folder(&env, "shown");
    env.ok(&["add", dir.to_str().unwrap()]);
    let v = env.json(&["show", "tiny", "--format", "json"], 0);
    let o = &v["openness"];
    assert_eq!(o["class"], "open-weight");
    assert_eq!(o["weights_terms"], "open");
    assert_eq!(o["mof"]["class"], 0);
    assert!(o["mof"]["progress"]["class_iii"].as_f64().unwrap() > 0.0);
    assert_eq!(o["components"].as_array().unwrap().len(), 17);
    assert!(!o["reasons"].as_array().unwrap().is_empty());
    assert_eq!(v["license"]["effective"], "Apache-2.0");
}

#[test]
fn a_mot_entry_is_added_shown_and_exported_back() {
    let env = Env::new();
    let p = write(
        &env,
        "granite.yml",
        &mot_entry("Granite-4.0-Micro", Some("Apache-2.0"), &CLASS_III),
    );
    let out = env.ok(&["add", p.to_str().unwrap()]);
    let id = last_line(&out).to_string();
    let show = env.json(&["show", &id, "--format", "json"], 0);
    assert_eq!(show["source"]["kind"], "mof");
    assert_eq!(show["openness"]["mof"]["class"], 3);
    let human = env.ok(&["show", &id]);
    assert!(human.contains("MOF Class III (Open Model)"), "{human}");
    let exported = env.ok(&["export", &id, "--format", "mof"]);
    assert!(
        exported.contains("Granite-4.0-Micro") && exported.contains("Model card"),
        "{exported}"
    );
    let again = write(&env, "again.yml", &exported);
    let v = classify_json(&env, &again, &[]);
    assert_eq!(
        v["openness"]["mof"], show["openness"]["mof"],
        "the export re-imports to the same class"
    );
    // A broken entry is an error and records nothing.
    let bad = write(&env, "bad.yml", "framework: {}\nrelease: {}\n");
    let (code, _, err) = env.run(&["add", bad.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("bad.yml"), "{err}");
    assert_eq!(
        env.json(&["list", "--format", "json"], 0)
            .as_array()
            .unwrap()
            .len(),
        1
    );
}
