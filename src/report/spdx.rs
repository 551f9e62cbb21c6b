//! SPDX 3.0.1 JSON-LD with the AI and Dataset profiles: the model as an `ai_AIPackage`, its files as
//! `software_File` with SHA-256, datasets as `dataset_DatasetPackage`, the effective license as a
//! `simplelicensing_LicenseExpression`, tied together by relationships.
//!
//! The AI package's fields that the SPDX model requires but the published JSON schema does not check
//! (`releaseTime`, `suppliedBy`, `software_downloadLocation`, `software_packageVersion`,
//! `software_primaryPurpose`) are always written here; a unit test holds us to it.

use super::{ReportDocument, eu_ai_act, hub_repo};
use serde_json::{Value, json};

const CONTEXT: &str = "https://spdx.org/rdf/3.0.1/spdx-context.jsonld";
const CREATION: &str = "_:creationinfo";
/// The SPDX individual that stands for "no assertion" where an element is required.
const NO_ASSERTION: &str = "https://spdx.org/rdf/3.0.1/terms/Core/NoAssertionElement";

/// The SPDX document for a report document.
pub fn document(doc: &ReportDocument) -> Value {
    let r = &doc.record;
    let uuid = doc.report.serial.trim_start_matches("urn:uuid:");
    let base = format!("urn:modelvet:{uuid}:");
    let id = |local: &str| format!("{base}{local}");
    let mut graph = Vec::new();
    let mut elements = Vec::new();
    let mut rel_n = 0usize;
    let mut relationships = Vec::new();
    let mut relate = |from: &str, kind: &str, to: Vec<String>| {
        if to.is_empty() {
            return;
        }
        rel_n += 1;
        relationships.push(json!({
            "type": "Relationship",
            "spdxId": format!("{base}relationship-{rel_n}"),
            "creationInfo": CREATION,
            "from": from,
            "relationshipType": kind,
            "to": to,
        }));
    };

    let agent = id("modelvet");
    let tool = id("tool");
    graph.push(json!({
        "type": "CreationInfo",
        "@id": CREATION,
        "specVersion": "3.0.1",
        "created": doc.report.generated_at,
        "createdBy": [agent],
        "createdUsing": [tool],
    }));
    graph.push(json!({
        "type": "SoftwareAgent",
        "spdxId": agent,
        "creationInfo": CREATION,
        "name": "modelvet",
    }));
    graph.push(json!({
        "type": "Tool",
        "spdxId": tool,
        "creationInfo": CREATION,
        "name": format!("modelvet {}", doc.report.modelvet_version),
    }));

    // The model.
    let model = id("model");
    let repo = hub_repo(r);
    let supplier = match &repo {
        Some(repo) => {
            let owner = repo.split('/').next().unwrap_or(repo);
            let org = id("supplier");
            graph.push(json!({
                "type": "Organization",
                "spdxId": org,
                "creationInfo": CREATION,
                "name": owner,
            }));
            org
        }
        None => NO_ASSERTION.to_string(),
    };
    let version = r.source.revision.as_deref().unwrap_or(&r.revision);
    let download = match &repo {
        Some(repo) => format!("https://huggingface.co/{repo}/tree/{version}"),
        None => file_uri(&r.source.location),
    };
    let recorded = r
        .revisions
        .iter()
        .find(|v| v.revision == r.revision)
        .map(|v| seconds(&v.added_at))
        .unwrap_or_else(|| doc.report.generated_at.clone());
    let mut pkg = json!({
        "type": "ai_AIPackage",
        "spdxId": model,
        "creationInfo": CREATION,
        "name": r.name,
        "software_packageVersion": version,
        "software_downloadLocation": download,
        "software_primaryPurpose": "model",
        "releaseTime": recorded,
        "suppliedBy": supplier,
        "ai_autonomyType": "noAssertion",
        "comment": format!(
            "releaseTime is when modelvet recorded revision {} (the publisher's release time is not recorded). Source: {}.",
            r.revision,
            super::source_text(r)
        ),
    });
    if let Some(repo) = &repo {
        pkg["software_packageUrl"] = json!(super::cyclonedx::purl(repo, Some(version)));
    }
    let config = r.config.as_ref();
    let mut types = Vec::new();
    if let Some(a) = config
        .and_then(|c| c.get("architectures"))
        .and_then(|a| a.get(0))
        .and_then(Value::as_str)
        .or_else(|| r.smoke.as_ref().and_then(|s| s.architecture.as_deref()))
    {
        types.push(a.to_string());
    }
    if let Some(t) = config
        .and_then(|c| c.get("model_type"))
        .and_then(Value::as_str)
    {
        types.push(t.to_string());
    }
    if !types.is_empty() {
        pkg["ai_typeOfModel"] = json!(types);
    }
    if let Some(t) = r
        .card
        .as_ref()
        .and_then(|c| c.get("pipeline_tag"))
        .and_then(Value::as_str)
    {
        pkg["ai_domain"] = json!([t]);
    }
    let mut hyper = Vec::new();
    if let Some(p) = r.smoke.as_ref().and_then(|s| s.parameters) {
        hyper.push(
            json!({ "type": "DictionaryEntry", "key": "parameterCount", "value": p.to_string() }),
        );
    }
    for key in [
        "hidden_size",
        "num_hidden_layers",
        "num_attention_heads",
        "vocab_size",
        "max_position_embeddings",
    ] {
        if let Some(v) = config.and_then(|c| c.get(key)).filter(|v| v.is_number()) {
            hyper.push(json!({ "type": "DictionaryEntry", "key": key, "value": v.to_string() }));
        }
    }
    if !hyper.is_empty() {
        pkg["ai_hyperparameter"] = Value::Array(hyper);
    }
    graph.push(pkg);
    elements.push(model.clone());

    // Files.
    let mut file_ids = Vec::new();
    for (i, f) in r.files.iter().enumerate() {
        let fid = id(&format!("file-{}", i + 1));
        let mut file = json!({
            "type": "software_File",
            "spdxId": fid,
            "creationInfo": CREATION,
            "name": f.path,
            "software_primaryPurpose": purpose(f.format.as_str()),
        });
        if let Some(h) = &f.sha256 {
            file["verifiedUsing"] = json!([{
                "type": "Hash",
                "algorithm": "sha256",
                "hashValue": h.to_ascii_lowercase(),
            }]);
        }
        if let Some(v) = doc.verify.as_ref().and_then(|v| v.files.get(&f.path)) {
            file["comment"] = json!(format!("verification: {v}"));
        }
        graph.push(file);
        elements.push(fid.clone());
        file_ids.push(fid);
    }
    relate(&model, "contains", file_ids);

    // Datasets.
    let mut ds_ids = Vec::new();
    for (i, d) in eu_ai_act::datasets(r).iter().enumerate() {
        let did = id(&format!("dataset-{}", i + 1));
        let download = if d.contains("://") {
            d.clone()
        } else {
            format!("https://huggingface.co/datasets/{d}")
        };
        graph.push(json!({
            "type": "dataset_DatasetPackage",
            "spdxId": did,
            "creationInfo": CREATION,
            "name": d,
            "software_primaryPurpose": "data",
            "software_downloadLocation": download,
            "originatedBy": [NO_ASSERTION],
            "dataset_datasetType": ["noAssertion"],
        }));
        elements.push(did.clone());
        ds_ids.push(did);
    }
    relate(&model, "trainedOn", ds_ids);

    // Base models.
    let mut base_ids = Vec::new();
    for (i, b) in r.base_models.iter().enumerate() {
        let bid = id(&format!("base-{}", i + 1));
        let mut base = json!({
            "type": "ai_AIPackage",
            "spdxId": bid,
            "creationInfo": CREATION,
            "name": b.name,
            "software_primaryPurpose": "model",
            "comment": format!("base model ({})", b.relation),
        });
        if b.name.contains('/') {
            base["software_downloadLocation"] = json!(format!("https://huggingface.co/{}", b.name));
            base["software_packageUrl"] = json!(super::cyclonedx::purl(&b.name, None));
        }
        graph.push(base);
        elements.push(bid.clone());
        base_ids.push(bid);
    }
    relate(&model, "descendantOf", base_ids);

    // Licenses.
    let effective = r.license.effective.trim();
    if !effective.is_empty() && effective != "NOASSERTION" {
        let lid = id("license-concluded");
        graph.push(license_expression(&lid, effective));
        elements.push(lid.clone());
        relate(&model, "hasConcludedLicense", vec![lid]);
    }
    for (i, b) in r.license.base_chain.iter().enumerate() {
        let e = b.effective.trim();
        let Some(pos) = r.base_models.iter().position(|m| m.name == b.name) else {
            continue;
        };
        if e.is_empty() || e == "NOASSERTION" {
            continue;
        }
        let lid = id(&format!("license-base-{}", i + 1));
        graph.push(license_expression(&lid, e));
        elements.push(lid.clone());
        relate(
            &id(&format!("base-{}", pos + 1)),
            "hasConcludedLicense",
            vec![lid],
        );
    }
    let data_license = id("license-data");
    graph.push(license_expression(&data_license, "CC0-1.0"));

    elements.extend(
        relationships
            .iter()
            .filter_map(|r| r["spdxId"].as_str().map(str::to_string)),
    );
    graph.extend(relationships);
    graph.push(json!({
        "type": "SpdxDocument",
        "spdxId": id("document"),
        "creationInfo": CREATION,
        "name": format!("modelvet report for {}", r.id),
        "dataLicense": data_license,
        "profileConformance": ["core", "software", "simpleLicensing", "ai", "dataset"],
        "rootElement": [model],
        "element": elements,
    }));
    json!({ "@context": CONTEXT, "@graph": graph })
}

fn license_expression(spdx_id: &str, expr: &str) -> Value {
    json!({
        "type": "simplelicensing_LicenseExpression",
        "spdxId": spdx_id,
        "creationInfo": CREATION,
        "simplelicensing_licenseExpression": expr,
    })
}

/// What a file is for, in SPDX's words.
fn purpose(format: &str) -> &'static str {
    match format {
        "safetensors" | "gguf" | "pytorch" | "pickle" | "onnx" | "keras" => "model",
        "config" | "tokenizer" => "configuration",
        "readme" | "license" => "documentation",
        _ => "other",
    }
}

/// A `file://` URI for a local path (percent-encoding what a URI cannot hold).
fn file_uri(path: &str) -> String {
    let mut out = String::from("file://");
    if !path.starts_with('/') {
        out.push('/');
    }
    for b in path.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'/' | b'.' | b'-' | b'_' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// A catalogue time (RFC 3339, any precision) as `YYYY-MM-DDTHH:MM:SSZ`.
fn seconds(t: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(t)
        .map(|d| super::timestamp(d.with_timezone(&chrono::Utc)))
        .unwrap_or_else(|_| t.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_uri_encodes_spaces() {
        assert_eq!(file_uri("/a b/c"), "file:///a%20b/c");
        assert_eq!(file_uri("rel/x"), "file:///rel/x");
    }

    #[test]
    fn seconds_drops_fraction() {
        assert_eq!(seconds("2026-01-02T03:04:05.678Z"), "2026-01-02T03:04:05Z");
    }
}
