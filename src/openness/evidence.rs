//! Components from evidence: which of the 17 MOF components a local folder or Hub repo supplies,
//! judged from its files and model card, plus what a `modelvet.yaml` sidecar declares.
//!
//! Files in the release inherit the release's license (as in the MOT); things the card only
//! points to (a paper on arXiv, datasets on the Hub) keep no license unless the sidecar gives
//! one, since the model's license does not license them. A component nothing shows is
//! `unknown`, not `not_included`: it may be published elsewhere.

use super::components::{COMPONENTS, ContentType, ids};
use super::sidecar::Sidecar;
use super::{source, status};
use crate::record::{ComponentRecord, FileRecord};
use serde_json::Value;

/// Where a component was seen: in the release's own files, or only referenced by the card.
#[derive(Debug, Clone)]
enum Seen {
    InRelease(String),
    Referenced(String),
}

const CODE_EXT: [&str; 6] = [".py", ".ipynb", ".sh", ".rs", ".cpp", ".js"];
const WEIGHT_FORMATS: [&str; 5] = ["safetensors", "gguf", "pytorch", "onnx", "keras"];

fn basename(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

fn is_intermediate(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    let mut dirs: Vec<&str> = lower.split('/').collect();
    dirs.pop();
    dirs.iter().any(|d| {
        d.starts_with("checkpoint")
            || d.starts_with("ckpt")
            || d.contains("intermediate")
            || (d.starts_with("step")
                && d[4..]
                    .trim_start_matches(['-', '_'])
                    .chars()
                    .all(|c| c.is_ascii_digit())
                && d.len() > 4)
            || (d.starts_with("global_step"))
    })
}

/// Which code component a code file most likely is, from its name.
fn code_kind(path: &str) -> Option<u32> {
    let lower = path.to_ascii_lowercase();
    let base = basename(&lower);
    if !CODE_EXT.iter().any(|e| base.ends_with(e)) {
        return None;
    }
    // Words are matched at the start of a name token (`run_eval.py`, `evaluate.py`), so that
    // `retrieval.py` is not evaluation code nor `constrain.py` training code.
    let tokens: Vec<&str> = lower
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|t| !t.is_empty())
        .collect();
    let has = |words: &[&str]| {
        words.iter().any(|w| {
            if w.contains('_') {
                lower.contains(w)
            } else {
                tokens.iter().any(|t| t.starts_with(w))
            }
        })
    };
    if base.starts_with("modeling_") || base.starts_with("configuration_") || base == "model.py" {
        return Some(ids::MODEL_ARCHITECTURE);
    }
    if has(&[
        "preprocess",
        "prepare_data",
        "data_prep",
        "tokenize_data",
        "dedup",
        "clean_data",
        "filter_data",
    ]) {
        return Some(ids::DATA_PREPROCESSING_CODE);
    }
    if has(&["eval", "benchmark"]) {
        return Some(ids::EVALUATION_CODE);
    }
    if has(&["train", "finetune", "fine_tune", "pretrain", "sft", "dpo"]) {
        return Some(ids::TRAINING_CODE);
    }
    if has(&[
        "infer", "generat", "predict", "run", "demo", "handler", "pipeline", "example", "chat",
        "serve", "app",
    ]) {
        return Some(ids::INFERENCE_CODE);
    }
    None
}

/// Every string in a JSON value, with the key it sits under (lowercase).
fn strings<'a>(v: &'a Value, key: &str, out: &mut Vec<(String, &'a str)>) {
    match v {
        Value::String(s) => out.push((key.to_ascii_lowercase(), s)),
        Value::Array(a) => a.iter().for_each(|x| strings(x, key, out)),
        Value::Object(m) => m.iter().for_each(|(k, x)| strings(x, k, out)),
        _ => {}
    }
}

fn list_evidence(label: &str, items: &[String]) -> String {
    let mut shown: Vec<&str> = items.iter().map(String::as_str).take(3).collect();
    let more = items.len().saturating_sub(3);
    let extra = if more > 0 {
        format!(" and {more} more")
    } else {
        String::new()
    };
    shown.dedup();
    if label.is_empty() {
        format!("{}{extra}", shown.join(", "))
    } else {
        format!("{label}{}{extra}", shown.join(", "))
    }
}

fn card_field<'a>(card: &'a Value, key: &str) -> Option<&'a Value> {
    card.as_object()?
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v)
}

fn value_strings(v: &Value) -> Vec<String> {
    let mut out = Vec::new();
    strings(v, "", &mut out);
    // Cards say `datasets: [none]` when there are none to name.
    const PLACEHOLDERS: [&str; 6] = ["none", "n/a", "na", "-", "null", "unknown"];
    out.into_iter()
        .map(|(_, s)| s.trim().to_string())
        .filter(|s| !s.is_empty() && !PLACEHOLDERS.contains(&s.to_ascii_lowercase().as_str()))
        .collect()
}

/// What the files and card show, per component id.
fn observe(files: &[FileRecord], card: Option<&Value>) -> Vec<(u32, Seen)> {
    let mut found: Vec<(u32, Vec<String>, bool)> = Vec::new();
    let mut add = |id: u32, what: String, in_release: bool| {
        if let Some(e) = found
            .iter_mut()
            .find(|(i, _, r)| *i == id && *r == in_release)
        {
            if !e.1.contains(&what) {
                e.1.push(what);
            }
        } else {
            found.push((id, vec![what], in_release));
        }
    };
    let mut has_readme = false;
    for f in files {
        let lower = f.path.to_ascii_lowercase();
        let base = basename(&lower);
        let stem = base.split('.').next().unwrap_or(base);
        if WEIGHT_FORMATS.contains(&f.format.as_str()) {
            let id = if is_intermediate(&f.path) {
                ids::PARAMETERS_INTERMEDIATE
            } else {
                ids::PARAMETERS_FINAL
            };
            add(id, f.path.clone(), true);
            continue;
        }
        if let Some(id) = code_kind(&f.path) {
            add(id, f.path.clone(), true);
            continue;
        }
        match base {
            "config.json" | "params.json" => {
                add(ids::MODEL_ARCHITECTURE, f.path.clone(), true);
                add(ids::MODEL_METADATA, f.path.clone(), true);
                continue;
            }
            "generation_config.json"
            | "trainer_state.json"
            | "training_args.bin"
            | "training_args.json" => {
                add(ids::MODEL_METADATA, f.path.clone(), true);
                continue;
            }
            "requirements.txt" | "pyproject.toml" | "setup.py" | "environment.yml"
            | "environment.yaml" => {
                add(ids::SUPPORTING_LIBRARIES, f.path.clone(), true);
                continue;
            }
            _ => {}
        }
        if stem.starts_with("optimizer") || stem.starts_with("scheduler") {
            add(ids::MODEL_METADATA, f.path.clone(), true);
        } else if f.format == "readme" && !lower.contains('/') {
            has_readme = true;
            add(ids::MODEL_CARD, f.path.clone(), true);
        } else if [
            "data_card",
            "datacard",
            "datasheet",
            "dataset_card",
            "data-card",
        ]
        .iter()
        .any(|w| stem.contains(w))
        {
            add(ids::DATA_CARD, f.path.clone(), true);
        } else if [
            "technical_report",
            "tech_report",
            "technical-report",
            "tech-report",
        ]
        .iter()
        .any(|w| stem.contains(w))
        {
            add(ids::TECHNICAL_REPORT, f.path.clone(), true);
        } else if base.ends_with(".pdf") && (stem.contains("paper") || stem.starts_with("arxiv")) {
            add(ids::RESEARCH_PAPER, f.path.clone(), true);
        } else if stem.starts_with("eval_results")
            || stem.starts_with("evaluation_results")
            || stem == "results"
        {
            add(ids::EVALUATION_RESULTS, f.path.clone(), true);
        } else if lower.starts_with("samples/")
            || lower.starts_with("sample_outputs/")
            || stem.starts_with("sample_output")
        {
            add(ids::SAMPLE_OUTPUTS, f.path.clone(), true);
        }
    }
    if let Some(card) = card.filter(|c| c.is_object()) {
        if !has_readme {
            add(ids::MODEL_CARD, "model card".into(), true);
        }
        if let Some(ds) = card_field(card, "datasets") {
            let names = value_strings(ds);
            if !names.is_empty() {
                add(
                    ids::DATASETS,
                    list_evidence("card datasets: ", &names),
                    false,
                );
            }
        }
        if let Some(mi) = card_field(card, "model-index") {
            let mut eval_sets = Vec::new();
            let mut has_results = false;
            for model in mi.as_array().into_iter().flatten() {
                for r in model
                    .get("results")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    has_results |= r
                        .get("metrics")
                        .is_some_and(|m| m.as_array().is_some_and(|a| !a.is_empty()));
                    if let Some(d) = r.get("dataset") {
                        let n = d
                            .get("name")
                            .or_else(|| d.get("type"))
                            .and_then(Value::as_str);
                        if let Some(n) = n {
                            eval_sets.push(n.to_string());
                        }
                    }
                }
            }
            if has_results {
                add(
                    ids::EVALUATION_RESULTS,
                    "card model-index results".into(),
                    true,
                );
            }
            if !eval_sets.is_empty() {
                eval_sets.dedup();
                add(
                    ids::EVALUATION_DATA,
                    list_evidence("card model-index datasets: ", &eval_sets),
                    false,
                );
            }
        }
        if card_field(card, "widget").is_some_and(|w| w.as_array().is_some_and(|a| !a.is_empty())) {
            add(ids::SAMPLE_OUTPUTS, "card widget".into(), true);
        }
        let mut all = Vec::new();
        strings(card, "", &mut all);
        for (key, s) in all {
            let s = s.trim();
            let is_report_key =
                ["technical_report", "tech_report", "report"].contains(&key.as_str());
            if let Some(id) = s.strip_prefix("arxiv:").filter(|_| key == "tags") {
                add(
                    ids::RESEARCH_PAPER,
                    format!("https://arxiv.org/abs/{id}"),
                    false,
                );
            } else if is_report_key && !s.is_empty() {
                add(ids::TECHNICAL_REPORT, s.to_string(), false);
            } else if s.contains("arxiv.org/abs/")
                || s.contains("arxiv.org/pdf/")
                || s.contains("doi.org/")
                || (["paper", "papers", "arxiv", "doi"].contains(&key.as_str()) && !s.is_empty())
            {
                add(ids::RESEARCH_PAPER, s.to_string(), false);
            }
        }
    }
    found
        .into_iter()
        .map(|(id, items, in_release)| {
            let e = list_evidence("", &items);
            (
                id,
                if in_release {
                    Seen::InRelease(e)
                } else {
                    Seen::Referenced(e)
                },
            )
        })
        .collect()
}

/// The 17 MOF components a release supplies, from its files, its card's front matter, and the
/// sidecar's declarations (which win). `release_license` is the release's effective license,
/// inherited by the files of the release unless the sidecar sets other defaults.
pub fn components_from_evidence(
    files: &[FileRecord],
    card: Option<&Value>,
    sidecar: Option<&Sidecar>,
    release_license: Option<&str>,
) -> Vec<ComponentRecord> {
    let seen = observe(files, card);
    let release_license = release_license
        .map(str::trim)
        .filter(|l| !l.is_empty() && *l != "NOASSERTION");
    let defaults = sidecar.map(|s| s.license.clone()).unwrap_or_default();
    let inherit = |t: ContentType| -> (Option<String>, Option<String>) {
        let typed = match t {
            ContentType::Code => defaults.code.as_deref(),
            ContentType::Data => defaults.data.as_deref(),
            ContentType::Document => defaults.document.as_deref(),
        };
        if let Some(l) = typed.filter(|l| !l.trim().is_empty()) {
            return (Some(l.to_string()), Some(t.as_str().to_string()));
        }
        match defaults
            .distribution
            .as_deref()
            .filter(|l| !l.trim().is_empty())
            .or(release_license)
        {
            Some(l) => (Some(l.to_string()), Some(source::DISTRIBUTION.to_string())),
            None => (None, None),
        }
    };
    COMPONENTS
        .iter()
        .map(|def| {
            let observed = seen.iter().filter(|(id, _)| *id == def.id).map(|(_, s)| s);
            let mut in_release = None;
            let mut referenced = None;
            for s in observed {
                match s {
                    Seen::InRelease(e) => in_release = Some(e.clone()),
                    Seen::Referenced(e) => referenced = Some(e.clone()),
                }
            }
            let mut rec = ComponentRecord {
                id: def.id,
                name: def.name.to_string(),
                status: status::UNKNOWN,
                license: None,
                license_source: None,
                evidence: None,
            };
            if let Some(d) = sidecar.and_then(|s| s.component(def.id)) {
                if !d.included {
                    rec.status = status::NOT_INCLUDED;
                    rec.evidence = d
                        .evidence
                        .clone()
                        .or(Some("declared in modelvet.yaml".into()));
                    return rec;
                }
                rec.status = status::INCLUDED;
                rec.evidence = d
                    .evidence
                    .clone()
                    .or(in_release.clone())
                    .or(referenced.clone())
                    .or(Some("declared in modelvet.yaml".into()));
                match &d.license {
                    Some(own) => {
                        rec.license = own.clone();
                        rec.license_source = Some(source::EXPLICIT.to_string());
                    }
                    None => (rec.license, rec.license_source) = inherit(def.content_type),
                }
                return rec;
            }
            if let Some(e) = in_release {
                rec.status = status::INCLUDED;
                rec.evidence = Some(e);
                (rec.license, rec.license_source) = inherit(def.content_type);
            } else if let Some(e) = referenced {
                rec.status = status::INCLUDED;
                rec.evidence = Some(e);
            }
            rec
        })
        .collect()
}

/// The release license a card's `license:` declares, as an SPDX id or `LicenseRef-…`: a stopgap
/// for when no license resolution is recorded (effective `NOASSERTION`). Hub tags are matched to
/// SPDX ids ignoring case; the Hub's custom-terms tags become `LicenseRef-…`.
pub fn card_license(card: Option<&serde_json::Value>) -> Option<String> {
    let card = card?;
    let tag = match card.get("license")? {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Array(a) => a.first()?.as_str()?.to_string(),
        _ => return None,
    };
    let tag = if tag.trim().eq_ignore_ascii_case("other") {
        card.get("license_name")?.as_str()?.to_string()
    } else {
        tag
    };
    let n = crate::license::normalize(&tag);
    n.is_known().then_some(n.expression)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::openness::sidecar::parse_sidecar;
    use serde_json::json;

    fn file(path: &str, format: &str) -> FileRecord {
        FileRecord {
            path: path.into(),
            size: 1,
            sha256: None,
            git_oid: None,
            format: format.into(),
        }
    }

    fn get(cs: &[ComponentRecord], id: u32) -> &ComponentRecord {
        cs.iter().find(|c| c.id == id).unwrap()
    }

    #[test]
    fn folder_files_become_components_inheriting_the_release_license() {
        let files = [
            file("model.safetensors", "safetensors"),
            file("config.json", "config"),
            file("README.md", "readme"),
            file("tokenizer.json", "tokenizer"),
            file("LICENSE", "license"),
            file("scripts/train.py", "other"),
            file("inference.py", "other"),
            file("checkpoints/step1000/model.safetensors", "safetensors"),
            file("eval/run_eval.py", "other"),
            file("data/preprocess.py", "other"),
            file("DATA_CARD.md", "other"),
        ];
        let cs = components_from_evidence(&files, None, None, Some("Apache-2.0"));
        assert_eq!(cs.len(), 17);
        let w = get(&cs, ids::PARAMETERS_FINAL);
        assert_eq!(w.status, "included");
        assert_eq!(w.evidence.as_deref(), Some("model.safetensors"));
        assert_eq!(w.license.as_deref(), Some("Apache-2.0"));
        assert_eq!(w.license_source.as_deref(), Some("distribution"));
        assert_eq!(
            get(&cs, ids::PARAMETERS_INTERMEDIATE).evidence.as_deref(),
            Some("checkpoints/step1000/model.safetensors")
        );
        assert_eq!(
            get(&cs, ids::MODEL_ARCHITECTURE).evidence.as_deref(),
            Some("config.json")
        );
        assert_eq!(
            get(&cs, ids::TRAINING_CODE).evidence.as_deref(),
            Some("scripts/train.py")
        );
        assert_eq!(
            get(&cs, ids::INFERENCE_CODE).evidence.as_deref(),
            Some("inference.py")
        );
        assert_eq!(
            get(&cs, ids::EVALUATION_CODE).evidence.as_deref(),
            Some("eval/run_eval.py")
        );
        assert_eq!(
            get(&cs, ids::DATA_PREPROCESSING_CODE).evidence.as_deref(),
            Some("data/preprocess.py")
        );
        assert_eq!(
            get(&cs, ids::MODEL_CARD).evidence.as_deref(),
            Some("README.md")
        );
        assert_eq!(
            get(&cs, ids::DATA_CARD).evidence.as_deref(),
            Some("DATA_CARD.md")
        );
        // Nothing shows a paper or datasets: unknown, not "not included".
        assert_eq!(get(&cs, ids::RESEARCH_PAPER).status, "unknown");
        assert_eq!(get(&cs, ids::DATASETS).status, "unknown");
    }

    #[test]
    fn card_references_have_no_inherited_license() {
        let card = json!({
            "license": "apache-2.0",
            "datasets": ["allenai/c4", "EleutherAI/pile"],
            "tags": ["text-generation", "arxiv:2304.01373"],
            "model-index": [{"name": "m", "results": [{"task": {"type": "text-generation"},
                "dataset": {"name": "HellaSwag", "type": "hellaswag"}, "metrics": [{"type": "acc", "value": 0.5}]}]}],
            "widget": [{"text": "Hello"}]
        });
        let cs = components_from_evidence(
            &[file("README.md", "readme")],
            Some(&card),
            None,
            Some("Apache-2.0"),
        );
        let ds = get(&cs, ids::DATASETS);
        assert_eq!(ds.status, "included");
        assert_eq!(
            ds.evidence.as_deref(),
            Some("card datasets: allenai/c4, EleutherAI/pile")
        );
        assert_eq!(ds.license, None);
        let rp = get(&cs, ids::RESEARCH_PAPER);
        assert_eq!(
            rp.evidence.as_deref(),
            Some("https://arxiv.org/abs/2304.01373")
        );
        assert_eq!(rp.license, None);
        let er = get(&cs, ids::EVALUATION_RESULTS);
        assert_eq!(er.status, "included");
        assert_eq!(er.license.as_deref(), Some("Apache-2.0"));
        assert_eq!(
            get(&cs, ids::EVALUATION_DATA).evidence.as_deref(),
            Some("card model-index datasets: HellaSwag")
        );
        assert_eq!(get(&cs, ids::SAMPLE_OUTPUTS).status, "included");
        assert_eq!(get(&cs, ids::PARAMETERS_FINAL).status, "unknown");
    }

    #[test]
    fn sidecar_declarations_win() {
        let sc = parse_sidecar(
            "license:\n  code: MIT\ncomponents:\n  - name: Training code\n    evidence: https://github.com/x/train\n  - name: Datasets\n    license: ODC-By-1.0\n  - name: Research paper\n    included: false\n",
        )
        .unwrap();
        let card = json!({"datasets": ["allenai/c4"], "tags": ["arxiv:1910.10683"]});
        let files = [
            file("model.safetensors", "safetensors"),
            file("inference.py", "other"),
        ];
        let cs = components_from_evidence(&files, Some(&card), Some(&sc), Some("Apache-2.0"));
        let tc = get(&cs, ids::TRAINING_CODE);
        assert_eq!(
            (
                tc.status.as_str(),
                tc.license.as_deref(),
                tc.license_source.as_deref()
            ),
            ("included", Some("MIT"), Some("code"))
        );
        assert_eq!(tc.evidence.as_deref(), Some("https://github.com/x/train"));
        assert_eq!(
            get(&cs, ids::INFERENCE_CODE).license.as_deref(),
            Some("MIT")
        );
        let ds = get(&cs, ids::DATASETS);
        assert_eq!(
            (ds.license.as_deref(), ds.license_source.as_deref()),
            (Some("ODC-By-1.0"), Some("explicit"))
        );
        assert_eq!(ds.evidence.as_deref(), Some("card datasets: allenai/c4"));
        assert_eq!(get(&cs, ids::RESEARCH_PAPER).status, "not_included");
        assert_eq!(
            get(&cs, ids::PARAMETERS_FINAL).license.as_deref(),
            Some("Apache-2.0")
        );
    }

    #[test]
    fn code_files_are_judged_by_name_tokens() {
        assert_eq!(code_kind("scripts/run_eval.py"), Some(ids::EVALUATION_CODE));
        assert_eq!(code_kind("retrieval.py"), None);
        assert_eq!(code_kind("constrain.py"), None);
        assert_eq!(code_kind("train/launch.sh"), Some(ids::TRAINING_CODE));
        assert_eq!(code_kind("pretrain.py"), Some(ids::TRAINING_CODE));
        assert_eq!(
            code_kind("data/prepare_data.py"),
            Some(ids::DATA_PREPROCESSING_CODE)
        );
        assert_eq!(
            code_kind("modeling_llama.py"),
            Some(ids::MODEL_ARCHITECTURE)
        );
        assert_eq!(code_kind("app.py"), Some(ids::INFERENCE_CODE));
        assert_eq!(code_kind("generate.ipynb"), Some(ids::INFERENCE_CODE));
        assert_eq!(code_kind("train.json"), None, "not code");
    }

    #[test]
    fn card_license_tags_become_spdx_or_license_refs() {
        assert_eq!(
            card_license(Some(&json!({"license": "apache-2.0"}))).as_deref(),
            Some("Apache-2.0")
        );
        assert_eq!(
            card_license(Some(&json!({"license": ["mit"]}))).as_deref(),
            Some("MIT")
        );
        assert_eq!(
            card_license(Some(&json!({"license": "llama3.1"}))).as_deref(),
            Some("LicenseRef-Llama-3.1-Community")
        );
        let other = json!({"license": "other", "license_name": "an unheard-of license"});
        assert_eq!(
            card_license(Some(&other)),
            None,
            "unknown names stay unknown"
        );
        assert_eq!(card_license(Some(&json!({"tags": []}))), None);
    }

    #[test]
    fn placeholder_dataset_names_are_not_datasets() {
        let card = json!({"datasets": ["none"]});
        let cs = components_from_evidence(&[], Some(&card), None, None);
        assert_eq!(get(&cs, ids::DATASETS).status, "unknown");
    }

    #[test]
    fn no_license_known_means_none_inherited() {
        let cs =
            components_from_evidence(&[file("m.gguf", "gguf")], None, None, Some("NOASSERTION"));
        let w = get(&cs, ids::PARAMETERS_FINAL);
        assert_eq!(
            (w.license.as_deref(), w.license_source.as_deref()),
            (None, None)
        );
    }
}
