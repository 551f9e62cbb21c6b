//! Keras models: `Lambda` layers and other marshalled Python code, configs that name non-Keras
//! modules or switch safe mode off, lookup vocabularies read from local files and layers that load
//! an external SavedModel. HDF5 files are not parsed as HDF5: the model config is a JSON string
//! attribute, so every JSON object in the bytes that looks like a config is parsed and walked.

use super::ScanCode;
use crate::finding::Finding;
use serde_json::Value;
use std::fs::File;
use std::io::Read;
use std::path::Path;

/// Checks a Keras `config.json` (a `.keras` member, or standalone) in `rel`.
pub(crate) fn check_config(text: &str, rel: &str, source: &str) -> Vec<Finding> {
    let mut out = Vec::new();
    if let Ok(doc) = serde_json::from_str::<Value>(text) {
        walk(&doc, rel, source, &mut out);
    }
    out.dedup_by(|a, b| a.code == b.code && a.message == b.message);
    out
}

/// Checks the `config.json` of a `.keras` archive, which Keras refuses unless it is JSON.
pub(crate) fn check_archive_config(data: &[u8], rel: &str, source: &str) -> Vec<Finding> {
    match std::str::from_utf8(data)
        .map_err(|e| e.to_string())
        .and_then(|t| serde_json::from_str::<Value>(t).map_err(|e| e.to_string()))
    {
        Ok(doc) => {
            let mut out = Vec::new();
            walk(&doc, rel, source, &mut out);
            out.dedup_by(|a, b| a.code == b.code && a.message == b.message);
            out
        }
        Err(e) => vec![
            Finding::new(
                &ScanCode::KerasConfigInvalid,
                format!("{source} is not JSON ({e}); Keras refuses to load it"),
            )
            .at(rel),
        ],
    }
}

/// Layers whose `vocabulary` may be a path that Keras reads when the model loads
/// (CVE-2025-12058).
const LOOKUP_LAYERS: &[&str] = &[
    "StringLookup",
    "IntegerLookup",
    "IndexLookup",
    "TextVectorization",
];

fn layer_name(m: &serde_json::Map<String, Value>) -> &str {
    m.get("config")
        .and_then(|c| c.get("name"))
        .and_then(Value::as_str)
        .unwrap_or("?")
}

/// Findings about one config object (not its children).
fn object(m: &serde_json::Map<String, Value>, rel: &str, source: &str, out: &mut Vec<Finding>) {
    let class = m.get("class_name").and_then(Value::as_str).unwrap_or("");
    let cfg = m.get("config");
    let f = |c: ScanCode, msg: String| Finding::new(&c, msg).at(rel);
    if class == "__lambda__" || m.get("function_type").and_then(Value::as_str) == Some("lambda") {
        out.push(f(
            ScanCode::KerasMarshalledFunction,
            format!(
                "{source} holds a marshalled Python function (`__lambda__`), which runs when loaded"
            ),
        ));
    }
    if LOOKUP_LAYERS.contains(&class)
        && let Some(Value::String(path)) = cfg.and_then(|c| c.get("vocabulary"))
    {
        out.push(f(
            ScanCode::KerasVocabularyFile,
            format!(
                "{source}: layer `{}` ({class}) reads its vocabulary from `{path}` when loaded (CVE-2025-12058)",
                layer_name(m)
            ),
        ));
    }
    if class == "TFSMLayer" {
        let path = cfg
            .and_then(|c| c.get("filepath"))
            .and_then(Value::as_str)
            .unwrap_or("?");
        out.push(f(
            ScanCode::KerasExternalSavedmodel,
            format!(
                "{source}: layer `{}` (TFSMLayer) loads the external SavedModel `{path}`, whose graph runs unchecked (CVE-2026-1462)",
                layer_name(m)
            ),
        ));
    }
}

fn walk(v: &Value, rel: &str, source: &str, out: &mut Vec<Finding>) {
    match v {
        Value::Object(m) => {
            object(m, rel, source, out);
            if m.get("class_name").and_then(Value::as_str) == Some("Lambda") {
                let name = m
                    .get("config")
                    .and_then(|c| c.get("name"))
                    .and_then(Value::as_str)
                    .unwrap_or("?");
                out.push(
                    Finding::new(
                        &ScanCode::KerasLambdaLayer,
                        format!("{source} has a Lambda layer `{name}`, which runs stored Python code when loaded"),
                    )
                    .at(rel),
                );
            }
            if let Some(module) = m.get("module").and_then(Value::as_str)
                && !(module == "keras"
                    || module.starts_with("keras.")
                    || module.starts_with("keras_"))
            {
                out.push(
                    Finding::new(
                        &ScanCode::KerasModuleNotKeras,
                        format!("{source} names module `{module}`, outside Keras"),
                    )
                    .at(rel),
                );
            }
            if m.get("registered_name").and_then(Value::as_str) == Some("function") {
                out.push(
                    Finding::new(
                        &ScanCode::KerasModuleNotKeras,
                        format!(
                            "{source} deserialises a bare function (`registered_name: function`)"
                        ),
                    )
                    .at(rel),
                );
            }
            for x in m.values() {
                walk(x, rel, source, out);
            }
        }
        Value::Array(a) => a.iter().for_each(|x| walk(x, rel, source, out)),
        Value::String(s) if s.contains("enable_unsafe_deserialization") => out.push(
            Finding::new(
                &ScanCode::KerasUnsafeDeserialization,
                format!(
                    "{source} calls `enable_unsafe_deserialization`, switching Keras safe mode off"
                ),
            )
            .at(rel),
        ),
        _ => {}
    }
}

/// Checks a legacy HDF5 Keras file at `path`: reads it (bounded) and checks its model config.
pub(crate) fn check_h5(path: &Path, rel: &str) -> Vec<Finding> {
    let mut data = Vec::new();
    let res = File::open(path).and_then(|f| f.take(MAX_H5).read_to_end(&mut data));
    if let Err(e) = res {
        return vec![
            Finding::new(&ScanCode::NotScanned, format!("cannot read the file: {e}")).at(rel),
        ];
    }
    let mut out = check_h5_bytes(&data, rel, None);
    if data.len() as u64 == MAX_H5 {
        out.push(
            Finding::new(
                &ScanCode::NotScanned,
                format!("only the first {MAX_H5} bytes of the HDF5 file were searched for a model config"),
            )
            .at(rel),
        );
    }
    out
}

/// Most bytes of an HDF5 file searched for its model config.
const MAX_H5: u64 = 1 << 30;

/// Finds the JSON model configs stored as string attributes in HDF5 bytes and checks each. A
/// config is any JSON object with a `class_name` or `config` key, whatever its whitespace and
/// escapes; bytes are never searched for layer names.
pub(crate) fn check_h5_bytes(data: &[u8], rel: &str, member: Option<&str>) -> Vec<Finding> {
    let source = match member {
        Some(m) => format!("the HDF5 model config in member `{m}`"),
        None => "the HDF5 model config".to_string(),
    };
    let mut out = Vec::new();
    let mut i = 0usize;
    while let Some(at) = memchr::memchr(b'{', &data[i..]) {
        let start = i + at;
        i = start + 1;
        let rest = &data[start + 1..];
        let next = rest.iter().position(|b| !b.is_ascii_whitespace());
        if next.and_then(|n| rest.get(n)) != Some(&b'"') {
            continue;
        }
        let mut stream = serde_json::Deserializer::from_slice(&data[start..]).into_iter::<Value>();
        if let Some(Ok(Value::Object(m))) = stream.next()
            && (m.contains_key("class_name") || m.contains_key("config"))
        {
            walk(&Value::Object(m), rel, &source, &mut out);
            i = start + stream.byte_offset().max(1);
        }
    }
    out.dedup_by(|a, b| a.code == b.code && a.message == b.message);
    out
}
