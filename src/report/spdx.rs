//! SPDX 3.0.1 JSON-LD with the AI and Dataset profiles: the model as an `ai_AIPackage`, its files as
//! `software_File` with SHA-256, datasets as `dataset_DatasetPackage`, the effective license as a
//! `simplelicensing_LicenseExpression`, tied together by relationships.
//!
//! The AI package's fields that the SPDX model requires but the published JSON schema does not check
//! (`releaseTime`, `suppliedBy`, `software_downloadLocation`, `software_packageVersion`,
//! `software_primaryPurpose`) are always written here; a unit test holds us to it.

use super::{ReportDocument, eu_ai_act, hub_repo};
use crate::record::ModelRecord;
use serde_json::{Value, json};

const CONTEXT: &str = "https://spdx.org/rdf/3.0.1/spdx-context.jsonld";
const CREATION: &str = "_:creationinfo";
/// The SPDX individual that stands for "no assertion" where an element is required.
const NO_ASSERTION: &str = "https://spdx.org/rdf/3.0.1/terms/Core/NoAssertionElement";

/// The SPDX document for a report document: the creation info, the model package and the
/// elements it relates to (files, datasets, base models, licenses), in that order.
pub fn document(doc: &ReportDocument) -> Value {
    let mut g = Graph::new(doc.report.serial.trim_start_matches("urn:uuid:"));
    creation_info(&mut g, doc);
    let model = model_package(&mut g, doc);
    file_elements(&mut g, doc, &model);
    dataset_elements(&mut g, &doc.record, &model);
    base_model_elements(&mut g, &doc.record, &model);
    license_elements(&mut g, &doc.record, &model);
    signature_elements(&mut g, &doc.record, &model);
    g.finish(&doc.record, model)
}

/// The `@graph` as it is built: nodes in document order, the ids that the document lists as its
/// elements, and the relationships, which come after every other node.
struct Graph {
    /// `urn:modelvet:<uuid>:`, the prefix of every id.
    base: String,
    nodes: Vec<Value>,
    elements: Vec<String>,
    relationships: Vec<Value>,
}

impl Graph {
    fn new(uuid: &str) -> Graph {
        Graph {
            base: format!("urn:modelvet:{uuid}:"),
            nodes: Vec::new(),
            elements: Vec::new(),
            relationships: Vec::new(),
        }
    }

    /// The id of a local name.
    fn id(&self, local: &str) -> String {
        format!("{}{local}", self.base)
    }

    /// A node that the document does not list as an element (creation info, agents).
    fn node(&mut self, node: Value) {
        self.nodes.push(node);
    }

    /// A node that the document lists as an element.
    fn element(&mut self, id: &str, node: Value) {
        self.nodes.push(node);
        self.elements.push(id.to_string());
    }

    /// A relationship from `from` to each of `to`, numbered in the order they are made; none
    /// when `to` is empty.
    fn relate(&mut self, from: &str, kind: &str, to: Vec<String>) {
        if to.is_empty() {
            return;
        }
        let id = self.id(&format!("relationship-{}", self.relationships.len() + 1));
        self.relationships.push(json!({
            "type": "Relationship",
            "spdxId": id,
            "creationInfo": CREATION,
            "from": from,
            "relationshipType": kind,
            "to": to,
        }));
    }

    /// The document: the data license, the relationships, and the `SpdxDocument` rooted at
    /// `model` that lists every element.
    fn finish(mut self, r: &ModelRecord, model: String) -> Value {
        let data_license = self.id("license-data");
        self.node(license_expression(&data_license, "CC0-1.0"));
        self.elements.extend(
            self.relationships
                .iter()
                .filter_map(|rel| rel["spdxId"].as_str().map(str::to_string)),
        );
        self.nodes.append(&mut self.relationships);
        let document = json!({
            "type": "SpdxDocument",
            "spdxId": self.id("document"),
            "creationInfo": CREATION,
            "name": format!("modelvet report for {}", r.id),
            "dataLicense": data_license,
            "profileConformance": ["core", "software", "simpleLicensing", "ai", "dataset"],
            "rootElement": [model],
            "element": self.elements,
        });
        self.nodes.push(document);
        json!({ "@context": CONTEXT, "@graph": self.nodes })
    }
}

/// Who made the document and with what: the creation info, modelvet as agent and as tool.
fn creation_info(g: &mut Graph, doc: &ReportDocument) {
    let agent = g.id("modelvet");
    let tool = g.id("tool");
    g.node(json!({
        "type": "CreationInfo",
        "@id": CREATION,
        "specVersion": "3.0.1",
        "created": doc.report.generated_at,
        "createdBy": [agent],
        "createdUsing": [tool],
    }));
    g.node(json!({
        "type": "SoftwareAgent",
        "spdxId": agent,
        "creationInfo": CREATION,
        "name": "modelvet",
    }));
    g.node(json!({
        "type": "Tool",
        "spdxId": tool,
        "creationInfo": CREATION,
        "name": format!("modelvet {}", doc.report.modelvet_version),
    }));
}

/// The model as an `ai_AIPackage` (after its supplier, for a Hub model); returns its id.
fn model_package(g: &mut Graph, doc: &ReportDocument) -> String {
    let r = &doc.record;
    let model = g.id("model");
    let repo = hub_repo(r);
    let supplier = match &repo {
        Some(repo) => {
            let owner = repo.split('/').next().unwrap_or(repo);
            let org = g.id("supplier");
            g.node(json!({
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
    let types = model_types(r);
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
    let hyper = hyperparameters(r);
    if !hyper.is_empty() {
        pkg["ai_hyperparameter"] = Value::Array(hyper);
    }
    g.element(&model, pkg);
    model
}

/// `ai_typeOfModel`: the architecture (config, else the smoke test) and the config's
/// `model_type`.
fn model_types(r: &ModelRecord) -> Vec<String> {
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
    types
}

/// `ai_hyperparameter`: the smoke test's parameter count and the config's sizes.
fn hyperparameters(r: &ModelRecord) -> Vec<Value> {
    let config = r.config.as_ref();
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
    hyper
}

/// Each file as a `software_File` with its SHA-256 and verification result; the model contains
/// them.
fn file_elements(g: &mut Graph, doc: &ReportDocument, model: &str) {
    let mut ids = Vec::new();
    for (i, f) in doc.record.files.iter().enumerate() {
        let fid = g.id(&format!("file-{}", i + 1));
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
                "hashValue": h,
            }]);
        }
        if let Some(v) = doc.verify.as_ref().and_then(|v| v.files.get(&f.path)) {
            file["comment"] = json!(format!("verification: {v}"));
        }
        g.element(&fid, file);
        ids.push(fid);
    }
    g.relate(model, "contains", ids);
}

/// Each dataset the card names as a `dataset_DatasetPackage`; the model was trained on them.
fn dataset_elements(g: &mut Graph, r: &ModelRecord, model: &str) {
    let mut ids = Vec::new();
    for (i, d) in eu_ai_act::datasets(r).iter().enumerate() {
        let did = g.id(&format!("dataset-{}", i + 1));
        let download = if d.contains("://") {
            d.clone()
        } else {
            format!("https://huggingface.co/datasets/{d}")
        };
        g.element(
            &did,
            json!({
                "type": "dataset_DatasetPackage",
                "spdxId": did,
                "creationInfo": CREATION,
                "name": d,
                "software_primaryPurpose": "data",
                "software_downloadLocation": download,
                "originatedBy": [NO_ASSERTION],
                "dataset_datasetType": ["noAssertion"],
            }),
        );
        ids.push(did);
    }
    g.relate(model, "trainedOn", ids);
}

/// Each base model the card names as an `ai_AIPackage`; the model descends from them.
fn base_model_elements(g: &mut Graph, r: &ModelRecord, model: &str) {
    let mut ids = Vec::new();
    for (i, b) in r.base_models.iter().enumerate() {
        let bid = g.id(&format!("base-{}", i + 1));
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
        g.element(&bid, base);
        ids.push(bid);
    }
    g.relate(model, "descendantOf", ids);
}

/// The concluded licenses, where known: the model's effective expression, and each recorded
/// base model's.
fn license_elements(g: &mut Graph, r: &ModelRecord, model: &str) {
    if let Some(effective) = r.license.effective.asserted() {
        let lid = g.id("license-concluded");
        g.element(&lid, license_expression(&lid, effective));
        g.relate(model, "hasConcludedLicense", vec![lid]);
    }
    for (i, b) in r.license.base_chain.iter().enumerate() {
        let Some(pos) = r.base_models.iter().position(|m| m.name == b.name) else {
            continue;
        };
        let Some(e) = b.effective.asserted() else {
            continue;
        };
        let lid = g.id(&format!("license-base-{}", i + 1));
        g.element(&lid, license_expression(&lid, e));
        let base = g.id(&format!("base-{}", pos + 1));
        g.relate(&base, "hasConcludedLicense", vec![lid]);
    }
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

/// The OpenSSF model signature `add` found: an annotation on the model naming the signer.
fn signature_elements(g: &mut Graph, r: &ModelRecord, model: &str) {
    let Some(sig) = &r.signature else {
        return;
    };
    let signer = sig
        .signer
        .as_ref()
        .map(|s| s.describe())
        .unwrap_or_else(|| "no signer named".into());
    let id = g.id("signature");
    g.element(&id, json!({
        "type": "Annotation",
        "spdxId": id,
        "creationInfo": CREATION,
        "annotationType": "other",
        "subject": model,
        "statement": format!(
            "OpenSSF model signature {}: signed by {signer}; {} of {} signed files match the recorded digests (the signer is not checked against a trusted key here)",
            sig.path, sig.files_covered, sig.files_signed
        ),
    }));
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
