//! CycloneDX 1.6 ML-BOM: the model as a `machine-learning-model` component with its model card, its
//! files as nested `file` components with SHA-256, datasets as `data` components, base models as
//! pedigree ancestors.
//!
//! Built as JSON values rather than with a CycloneDX model crate: the Rust crates lag the 1.6 ML
//! fields (modelCard, pedigree of models), and the official schema checks our output in the tests.

use super::{ReportDocument, eu_ai_act, hub_repo};
use crate::record::ModelRecord;
use serde_json::{Map, Value, json};

/// The BOM for a report document.
pub fn bom(doc: &ReportDocument) -> Value {
    let r = &doc.record;
    let model_ref = format!("model:{}", r.id);
    let datasets = eu_ai_act::datasets(r);
    let dataset_ref = |name: &str| format!("dataset:{name}");

    let mut files = Vec::new();
    for f in &r.files {
        let mut c = Map::new();
        c.insert("type".into(), json!("file"));
        c.insert("bom-ref".into(), json!(format!("file:{}", f.path)));
        c.insert("name".into(), json!(f.path));
        if let Some(h) = &f.sha256 {
            c.insert(
                "hashes".into(),
                json!([{ "alg": "SHA-256", "content": h.to_ascii_lowercase() }]),
            );
        }
        let mut props = vec![
            prop("modelvet:size", f.size.to_string()),
            prop("modelvet:format", f.format.to_string()),
        ];
        if let Some(oid) = &f.git_oid {
            props.push(prop("modelvet:git_oid", oid.to_string()));
        }
        if let Some(v) = doc.verify.as_ref().and_then(|v| v.files.get(&f.path)) {
            props.push(prop("modelvet:verification", v.clone()));
        }
        c.insert("properties".into(), Value::Array(props));
        files.push(Value::Object(c));
    }

    let mut model = Map::new();
    model.insert("type".into(), json!("machine-learning-model"));
    model.insert("bom-ref".into(), json!(model_ref));
    match hub_repo(r) {
        Some(repo) => {
            let (owner, name) = repo.split_once('/').unwrap_or(("", repo.as_str()));
            model.insert("group".into(), json!(owner));
            model.insert("name".into(), json!(name));
            let version = r.source.revision.as_deref().unwrap_or(&r.revision);
            model.insert("version".into(), json!(version));
            model.insert("purl".into(), json!(purl(&repo, Some(version))));
            model.insert(
                "externalReferences".into(),
                json!([{ "type": "distribution", "url": format!("https://huggingface.co/{repo}") }]),
            );
        }
        None => {
            model.insert("name".into(), json!(r.name));
            model.insert("version".into(), json!(r.revision));
        }
    }
    if let Some(l) = licenses(&r.license.effective) {
        model.insert("licenses".into(), l);
    }
    model.insert("modelCard".into(), model_card(r, &datasets, &dataset_ref));
    if !r.base_models.is_empty() {
        let ancestors: Vec<Value> = r.base_models.iter().map(|b| ancestor(r, b)).collect();
        model.insert("pedigree".into(), json!({ "ancestors": ancestors }));
    }
    model.insert("properties".into(), Value::Array(model_properties(doc)));
    model.insert("components".into(), Value::Array(files));

    let mut components = vec![Value::Object(model)];
    for d in &datasets {
        let mut c = json!({
            "type": "data",
            "bom-ref": dataset_ref(d),
            "name": d,
            "data": [{ "type": "dataset", "name": d }],
        });
        if let Some(p) = d
            .contains('/')
            .then(|| format!("https://huggingface.co/datasets/{d}"))
        {
            c["externalReferences"] = json!([{ "type": "distribution", "url": p }]);
        }
        components.push(c);
    }
    let mut dependencies = vec![json!({
        "ref": model_ref,
        "dependsOn": datasets.iter().map(|d| dataset_ref(d)).collect::<Vec<_>>(),
    })];
    for d in &datasets {
        dependencies.push(json!({ "ref": dataset_ref(d) }));
    }

    json!({
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "serialNumber": doc.report.serial,
        "version": 1,
        "metadata": {
            "timestamp": doc.report.generated_at,
            "tools": { "components": [{
                "type": "application",
                "name": "modelvet",
                "version": doc.report.modelvet_version,
            }]},
            "properties": [prop("modelvet:record_id", r.id.to_string())],
        },
        "components": components,
        "dependencies": dependencies,
    })
}

fn prop(name: &str, value: String) -> Value {
    json!({ "name": name, "value": value })
}

/// `pkg:huggingface/OWNER/NAME@commit`, the commit lowercased as the purl type asks.
pub(crate) fn purl(repo: &str, version: Option<&str>) -> String {
    let enc = |s: &str| -> String {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'.' | b'-' | b'_' | b'~' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect()
    };
    let path: Vec<String> = repo.split('/').map(enc).collect();
    match version {
        Some(v) => format!(
            "pkg:huggingface/{}@{}",
            path.join("/"),
            enc(&v.to_ascii_lowercase())
        ),
        None => format!("pkg:huggingface/{}", path.join("/")),
    }
}

/// A license choice: a bare `LicenseRef-…` as a named license, anything else as an expression.
fn licenses(expr: &str) -> Option<Value> {
    let e = expr.trim();
    if e.is_empty() || e == "NOASSERTION" {
        return None;
    }
    if e.starts_with("LicenseRef-") && !e.contains(' ') {
        return Some(json!([{ "license": { "name": e, "acknowledgement": "concluded" } }]));
    }
    Some(json!([{ "expression": e, "acknowledgement": "concluded" }]))
}

fn model_card(r: &ModelRecord, datasets: &[String], dataset_ref: &dyn Fn(&str) -> String) -> Value {
    let mut params = Map::new();
    let card = r.card.as_ref();
    let config = r.config.as_ref();
    if let Some(t) = card
        .and_then(|c| c.get("pipeline_tag"))
        .and_then(Value::as_str)
    {
        params.insert("task".into(), json!(t));
    }
    if let Some(t) = config
        .and_then(|c| c.get("model_type"))
        .and_then(Value::as_str)
    {
        params.insert("architectureFamily".into(), json!(t));
    }
    let arch = config
        .and_then(|c| c.get("architectures"))
        .and_then(|a| a.get(0))
        .and_then(Value::as_str)
        .or_else(|| r.smoke.as_ref().and_then(|s| s.architecture.as_deref()));
    if let Some(a) = arch {
        params.insert("modelArchitecture".into(), json!(a));
    }
    if !datasets.is_empty() {
        let refs: Vec<Value> = datasets
            .iter()
            .map(|d| json!({ "ref": dataset_ref(d) }))
            .collect();
        params.insert("datasets".into(), Value::Array(refs));
    }
    let mut mc = Map::new();
    mc.insert("modelParameters".into(), Value::Object(params));
    let mut props = Vec::new();
    if let Some(p) = r.smoke.as_ref().and_then(|s| s.parameters) {
        props.push(prop("modelvet:parameter_count", p.to_string()));
    }
    if let Some(o) = &r.openness {
        props.push(prop("modelvet:osaid_class", o.class.to_string()));
        props.push(prop("modelvet:mof_class", o.mof.class.0.to_string()));
    }
    if !props.is_empty() {
        mc.insert("properties".into(), Value::Array(props));
    }
    Value::Object(mc)
}

fn ancestor(r: &ModelRecord, b: &crate::record::BaseModelRef) -> Value {
    let mut c = Map::new();
    c.insert("type".into(), json!("machine-learning-model"));
    c.insert("bom-ref".into(), json!(format!("base:{}", b.name)));
    match b.name.split_once('/') {
        Some((owner, name)) => {
            c.insert("group".into(), json!(owner));
            c.insert("name".into(), json!(name));
            c.insert("purl".into(), json!(purl(&b.name, None)));
        }
        None => {
            c.insert("name".into(), json!(b.name));
        }
    }
    if let Some(l) = r
        .license
        .base_chain
        .iter()
        .find(|l| l.name == b.name)
        .and_then(|l| licenses(&l.effective))
    {
        c.insert("licenses".into(), l);
    }
    c.insert(
        "properties".into(),
        json!([prop("modelvet:relation", b.relation.to_string())]),
    );
    Value::Object(c)
}

fn model_properties(doc: &ReportDocument) -> Vec<Value> {
    let r = &doc.record;
    let mut p = vec![prop("modelvet:source", super::source_text(r))];
    for d in &r.license.declared {
        p.push(prop(
            "modelvet:license_declared",
            format!("{} (from {})", d.value, d.from),
        ));
    }
    if let Some(s) = &r.smoke {
        p.push(prop("modelvet:smoke", s.status.to_string()));
    }
    if let Some(v) = &doc.verify {
        p.push(prop("modelvet:verify", v.status.clone()));
    }
    if let Some(a) = &doc.audit {
        p.push(prop("modelvet:audit", a.status.clone()));
    }
    if let Some(sig) = &r.signature {
        p.push(prop("modelvet:signature", sig.path.clone()));
        if let Some(s) = &sig.signer {
            p.push(prop("modelvet:signature_signer", s.describe()));
            p.push(prop("modelvet:signature_kind", s.kind.clone()));
            if let Some(f) = s.fingerprint.as_ref().or(s.key_hint.as_ref()) {
                p.push(prop("modelvet:signature_fingerprint", f.clone()));
            }
            for san in &s.san {
                p.push(prop("modelvet:signature_identity", san.clone()));
            }
            if let Some(subject) = &s.subject {
                p.push(prop("modelvet:signature_subject", subject.clone()));
            }
            if let Some(i) = &s.oidc_issuer {
                p.push(prop("modelvet:signature_oidc_issuer", i.clone()));
            }
        }
        p.push(prop(
            "modelvet:signature_coverage",
            format!(
                "{} of {} signed files match",
                sig.files_covered, sig.files_signed
            ),
        ));
    }
    p.push(prop("modelvet:findings", r.findings.len().to_string()));
    p
}
