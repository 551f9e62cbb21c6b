//! `report`: every format from models added and audited through the real binary; CycloneDX and SPDX
//! checked against the official schemas; the HTML rendered by headless Chromium.

use crate::support::{Env, last_line, require_assets, schema, tiny_safetensors, write_model};
use serde_json::Value;
use std::path::{Path, PathBuf};

const EPOCH: &str = "1767323045"; // 2026-01-02T03:04:05Z

fn tiny_bert() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/tiny-bert")
}

fn add(env: &Env, path: &Path) -> String {
    last_line(&env.ok(&["add", path.to_str().unwrap()])).to_string()
}

/// Audits with the default policy; the verdict may pass or fail, but it must be recorded.
fn audit(env: &Env, id: &str) {
    let (code, out, err) = env.run(&["audit", id]);
    assert!(
        code == 0 || code == 1,
        "audit {id} exited {code}\n{out}\n{err}"
    );
}

/// `report` with a fixed time; returns (code, stdout, stderr).
fn report(env: &Env, args: &[&str]) -> (i32, String, String) {
    let out = env
        .cmd()
        .env("SOURCE_DATE_EPOCH", EPOCH)
        .arg("report")
        .args(args)
        .output()
        .expect("run modelvet");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn report_ok(env: &Env, args: &[&str]) -> String {
    let (code, out, err) = report(env, args);
    assert_eq!(code, 0, "report {args:?} exited {code}\n{out}\n{err}");
    out
}

/// A model whose card names a base model and datasets, with a pipeline tag.
fn write_rich_model(dir: &Path) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(
        dir.join("README.md"),
        "---\nlicense: mit\nbase_model: acme/base-model\ndatasets: [acme/chats, wikipedia]\npipeline_tag: text-generation\nlibrary_name: transformers\nmodel_name: rich\n---\n# Rich <b>model</b>\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("config.json"),
        r#"{"architectures":["LlamaForCausalLM"],"model_type":"llama","hidden_size":2,"max_position_embeddings":128}"#,
    )
    .unwrap();
    std::fs::write(dir.join("model.safetensors"), tiny_safetensors(3)).unwrap();
    dir.to_path_buf()
}

/// Three models of different kinds, each audited.
fn catalogue(env: &Env) -> Vec<String> {
    let a = add(env, &tiny_bert());
    let b = add(env, &write_model(&env.work().join("tiny-model")));
    let c = add(env, &write_rich_model(&env.work().join("rich-model")));
    for id in [&a, &b, &c] {
        audit(env, id);
    }
    vec![a, b, c]
}

#[test]
fn json_is_the_record_plus_runs_and_gap_list() {
    let env = Env::new();
    let ids = catalogue(&env);
    let show = env.json(&["show", &ids[0], "--format", "json"], 0);
    let out = report_ok(&env, &[&ids[0], "--format", "json"]);
    let doc: Value = serde_json::from_str(&out).unwrap();
    for key in [
        "schema",
        "id",
        "name",
        "revision",
        "revisions",
        "source",
        "files",
        "license",
        "findings",
    ] {
        assert_eq!(
            doc[key], show[key],
            "`{key}` differs from `show --format json`"
        );
    }
    assert_eq!(doc["report"]["schema"], 1);
    assert_eq!(doc["report"]["generated_at"], "2026-01-02T03:04:05Z");
    assert!(
        doc["report"]["serial"]
            .as_str()
            .unwrap()
            .starts_with("urn:uuid:")
    );
    assert!(
        doc["audit"]["verdict"]["pass"].is_boolean(),
        "{}",
        doc["audit"]
    );
    assert_eq!(doc["audit"]["verdict"]["id"], Value::String(ids[0].clone()));
    assert_eq!(doc["verify"]["status"], "passed", "{}", doc["verify"]);
    assert_eq!(doc["verify"]["files"]["model.safetensors"], "ok");
    let annex: Vec<&str> = doc["eu_ai_act"]["annex_xii"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["item"].as_str().unwrap())
        .collect();
    assert!(
        annex.contains(&"1(h)") && annex.contains(&"2(b)"),
        "{annex:?}"
    );
    assert!(
        doc["eu_ai_act"]["exemption"]["conditions"]
            .as_array()
            .unwrap()
            .len()
            >= 5
    );
}

#[test]
fn markdown_report_of_an_audited_model() {
    let env = Env::new();
    let ids = catalogue(&env);
    let md = report_ok(&env, &[&ids[0], "--format", "markdown"]);
    assert!(
        md.starts_with(&format!("# Compliance report: {}", ids[0])),
        "{md}"
    );
    for section in [
        "## Verdict",
        "## Identity and provenance",
        "## Files",
        "## License",
        "### Terms and obligations",
        "## Openness (OSAID 1.0 and MOF)",
        "## Findings",
        "## Smoke test",
        "### Open-source exemption (Art. 53(2))",
        "### Annex XI",
        "### Annex XII",
    ] {
        assert!(md.contains(section), "missing {section}:\n{md}");
    }
    assert!(md.contains("under policy `built-in default`"), "{md}");
    assert!(
        md.contains("| ok |"),
        "file table shows verification:\n{md}"
    );
    assert!(md.contains("not legal advice"));
    // `--format human` (the default) is markdown.
    assert_eq!(report_ok(&env, &[&ids[0]]), md);
    // Deterministic: same record, same time, same bytes.
    assert_eq!(report_ok(&env, &[&ids[0], "--format", "markdown"]), md);

    // The base-model chain and an unaudited model.
    let md = report_ok(&env, &["tiny", "--format", "markdown"]);
    assert!(
        md.contains("`acme/base` (unknown)") || md.contains("`acme/base` ("),
        "{md}"
    );
    let fresh = add(&env, &{
        let d = env.work().join("fresh");
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join("model.safetensors"), tiny_safetensors(9)).unwrap();
        d
    });
    let md = report_ok(&env, &[&fresh]);
    assert!(md.contains("No audit recorded"), "{md}");
    assert!(md.contains("have not been verified"), "{md}");
}

#[test]
fn output_file_is_written_whole() {
    let env = Env::new();
    let id = add(&env, &tiny_bert());
    let target = env.work().join("out").join("report.html");
    std::fs::create_dir_all(target.parent().unwrap()).unwrap();
    std::fs::write(&target, "old").unwrap();
    let out = report_ok(
        &env,
        &[&id, "--format", "html", "-o", target.to_str().unwrap()],
    );
    assert_eq!(out, "", "nothing on stdout with -o");
    let html = std::fs::read_to_string(&target).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>") && html.trim_end().ends_with("</html>"));
    let leftovers: Vec<_> = std::fs::read_dir(target.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers.len(), 1, "no temporary files left: {leftovers:?}");

    let missing = env.work().join("no-such-dir").join("r.md");
    let (code, _, err) = report(&env, &[&id, "-o", missing.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.starts_with("error: cannot write"), "{err}");
}

#[test]
fn errors_exit_2() {
    let env = Env::new();
    let (code, _, err) = report(&env, &["nope"]);
    assert_eq!(code, 2);
    assert!(err.starts_with("error:"), "{err}");
    let (code, _, err) = report(&env, &[]);
    assert_eq!(code, 2);
    assert!(err.contains("--all"), "{err}");
    add(&env, &tiny_bert());
    let (code, _, err) = report(&env, &["tiny-bert", "--format", "sarif"]);
    assert_eq!(code, 2);
    assert!(err.contains("does not write `--format sarif`"), "{err}");
    let (code, _, err) = report(&env, &["--all", "--format", "cyclonedx"]);
    assert_eq!(code, 2);
    assert!(err.starts_with("error:"), "{err}");
    let (code, _, err) = env.run(&["report", "tiny-bert"]);
    assert_eq!(code, 0, "{err}");
    let out = env
        .cmd()
        .env("SOURCE_DATE_EPOCH", "yesterday")
        .args(["report", "tiny-bert"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("SOURCE_DATE_EPOCH"));
}

#[test]
fn inventory_of_the_catalogue() {
    let env = Env::new();
    let ids = catalogue(&env);
    let inv: Value =
        serde_json::from_str(&report_ok(&env, &["--all", "--format", "json"])).unwrap();
    assert_eq!(inv["schema"], 1);
    let models = inv["models"].as_array().unwrap();
    assert_eq!(models.len(), 3);
    for m in models {
        assert!(ids.contains(&m["id"].as_str().unwrap().to_string()), "{m}");
        assert!(m["audit"]["verdict"]["pass"].is_boolean(), "{m}");
        assert!(m["license"].is_string());
    }
    let md = report_ok(&env, &["--all"]);
    assert!(md.starts_with("# Model inventory"), "{md}");
    for id in &ids {
        assert!(md.contains(id.as_str()), "{id} missing:\n{md}");
    }
    let html = report_ok(&env, &["--all", "--format", "html"]);
    assert!(html.contains("<table>") && html.contains(&ids[0]));
}

/// Validates `instance` against the schema at `path`, with `siblings` of the same folder registered
/// under their `$id`s so that nothing is fetched.
pub(crate) fn validate(path: &Path, siblings: &[&str], instance: &Value) -> Vec<String> {
    let load = |p: &Path| -> Value { serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap() };
    let root = load(path);
    let mut registry = jsonschema::Registry::new();
    for s in siblings {
        let v = load(&path.with_file_name(s));
        let id = v["$id"]
            .as_str()
            .map(str::to_string)
            .unwrap_or_else(|| s.to_string());
        registry = registry.add(id, v).unwrap();
        // CycloneDX refers to its siblings by bare file name, relative to its own $id.
        if let Some(base) = root["$id"].as_str() {
            let rel = format!("{}/{s}", base.rsplit_once('/').unwrap().0);
            let v = load(&path.with_file_name(s));
            registry = registry.add(rel, v).unwrap();
        }
    }
    let registry = registry.prepare().unwrap();
    let validator = jsonschema::options()
        .with_registry(&registry)
        .build(&root)
        .unwrap_or_else(|e| panic!("schema {} does not build: {e}", path.display()));
    validator
        .iter_errors(instance)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect()
}

#[test]
fn cyclonedx_is_valid_against_the_official_schema() {
    let Some(schema_path) = schema(
        "cyclonedx_is_valid_against_the_official_schema",
        "cyclonedx/bom-1.6.schema.json",
    ) else {
        return;
    };
    let env = Env::new();
    let ids = catalogue(&env);
    for id in &ids {
        let bom: Value =
            serde_json::from_str(&report_ok(&env, &[id, "--format", "cyclonedx"])).unwrap();
        assert_eq!(bom["specVersion"], "1.6");
        let model = &bom["components"][0];
        assert_eq!(model["type"], "machine-learning-model");
        assert!(model["modelCard"].is_object());
        for f in model["components"].as_array().unwrap() {
            assert_eq!(f["hashes"][0]["alg"], "SHA-256", "{f}");
        }
        let errors = validate(
            &schema_path,
            &["spdx.schema.json", "jsf-0.82.schema.json"],
            &bom,
        );
        assert!(errors.is_empty(), "{id}: {errors:#?}\n{bom:#}");
    }
    // The rich model: datasets and its base model as a pedigree ancestor.
    let bom: Value =
        serde_json::from_str(&report_ok(&env, &[&ids[2], "--format", "cyclonedx"])).unwrap();
    let model = &bom["components"][0];
    assert_eq!(model["pedigree"]["ancestors"][0]["name"], "base-model");
    assert_eq!(model["pedigree"]["ancestors"][0]["group"], "acme");
    assert_eq!(
        model["modelCard"]["modelParameters"]["modelArchitecture"],
        "LlamaForCausalLM"
    );
    let data: Vec<&str> = bom["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["type"] == "data")
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(data, ["acme/chats", "wikipedia"]);
    // A broken BOM is caught: the validator is really checking.
    let mut broken = bom.clone();
    broken["components"][0]["type"] = Value::String("neural-net".into());
    assert!(
        !validate(
            &schema_path,
            &["spdx.schema.json", "jsf-0.82.schema.json"],
            &broken
        )
        .is_empty()
    );
}

#[test]
fn spdx_is_valid_against_the_official_schema() {
    let Some(schema_path) = schema(
        "spdx_is_valid_against_the_official_schema",
        "spdx-3.0.1/schema.json",
    ) else {
        return;
    };
    let env = Env::new();
    let ids = catalogue(&env);
    for id in &ids {
        let doc: Value = serde_json::from_str(&report_ok(&env, &[id, "--format", "spdx"])).unwrap();
        let errors = validate(&schema_path, &[], &doc);
        assert!(errors.is_empty(), "{id}: {errors:#?}\n{doc:#}");
        let graph = doc["@graph"].as_array().unwrap();
        let ai = graph.iter().filter(|e| e["type"] == "ai_AIPackage").count();
        assert!(ai >= 1);
        let files = graph
            .iter()
            .filter(|e| e["type"] == "software_File")
            .count();
        assert!(files >= 1);
        for f in graph.iter().filter(|e| e["type"] == "software_File") {
            assert_eq!(f["verifiedUsing"][0]["algorithm"], "sha256", "{f}");
        }
    }
    let doc: Value =
        serde_json::from_str(&report_ok(&env, &[&ids[2], "--format", "spdx"])).unwrap();
    let graph = doc["@graph"].as_array().unwrap();
    assert_eq!(
        graph
            .iter()
            .filter(|e| e["type"] == "dataset_DatasetPackage")
            .count(),
        2
    );
    for kind in ["contains", "trainedOn", "descendantOf"] {
        assert!(
            graph.iter().any(|e| e["relationshipType"] == kind),
            "no {kind} relationship"
        );
    }
    let mut broken = doc.clone();
    broken["@graph"][0]["specVersion"] = Value::from(3);
    assert!(!validate(&schema_path, &[], &broken).is_empty());
}

#[test]
fn html_renders_in_headless_chromium() {
    let Some(browser) = crate::support::require_chromium("html_renders_in_headless_chromium")
    else {
        return;
    };
    let env = Env::new();
    let ids = catalogue(&env);
    let target = env.work().join("report.html");
    report_ok(
        &env,
        &[&ids[2], "--format", "html", "-o", target.to_str().unwrap()],
    );
    let profile = env.path().join("chromium-profile");
    let out = std::process::Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", target.display()))
        .env("HOME", env.path().join("home"))
        .output()
        .expect("run chromium");
    let dom = String::from_utf8_lossy(&out.stdout);
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "chromium failed:\n{log}");
    assert!(
        dom.contains(&format!("Compliance report: {}", ids[2])),
        "{dom}\n{log}"
    );
    assert!(dom.contains("EU AI Act"), "{dom}");
    // Card text with markup stays text.
    assert!(!dom.contains("<b>model</b>"));
    let console: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("CONSOLE") || l.contains("Uncaught") || l.contains("Refused to"))
        .collect();
    assert!(
        console.is_empty(),
        "console errors:\n{}",
        console.join("\n")
    );
}

#[test]
fn real_models_report_smoke_license_and_valid_boms() {
    let Some(assets) = require_assets("real_models_report_smoke_license_and_valid_boms") else {
        return;
    };
    let env = Env::new();
    let minilm = add(&env, &assets.join("all-MiniLM-L6-v2"));
    let smol = add(
        &env,
        &assets.join("smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"),
    );
    for id in [&minilm, &smol] {
        let (code, out, err) = env.run(&["smoke", id]);
        assert_eq!(code, 0, "smoke {id}\n{out}\n{err}");
        audit(&env, id);
        let doc: Value = serde_json::from_str(&report_ok(&env, &[id, "--format", "json"])).unwrap();
        assert_eq!(doc["smoke"]["status"], "passed", "{id}: {}", doc["smoke"]);
        assert!(doc["audit"]["verdict"]["pass"].is_boolean());
        let md = report_ok(&env, &[id]);
        assert!(md.contains("## Smoke test\n\n**passed**"), "{md}");
        assert!(
            md.contains("parameters (smoke test)"),
            "parameter count in the gap list:\n{md}"
        );
        if let Some(p) = schema(
            "real_models_report_smoke_license_and_valid_boms",
            "cyclonedx/bom-1.6.schema.json",
        ) {
            let bom: Value =
                serde_json::from_str(&report_ok(&env, &[id, "--format", "cyclonedx"])).unwrap();
            let errors = validate(&p, &["spdx.schema.json", "jsf-0.82.schema.json"], &bom);
            assert!(errors.is_empty(), "{id}: {errors:#?}");
        }
        if let Some(p) = schema(
            "real_models_report_smoke_license_and_valid_boms",
            "spdx-3.0.1/schema.json",
        ) {
            let doc: Value =
                serde_json::from_str(&report_ok(&env, &[id, "--format", "spdx"])).unwrap();
            let errors = validate(&p, &[], &doc);
            assert!(errors.is_empty(), "{id}: {errors:#?}");
        }
    }
    let doc: Value =
        serde_json::from_str(&report_ok(&env, &[&minilm, "--format", "json"])).unwrap();
    assert_eq!(
        doc["license"]["effective"], "Apache-2.0",
        "{}",
        doc["license"]
    );
}
