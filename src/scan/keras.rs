//! Keras models: `Lambda` layers (marshalled Python code) and configs that name non-Keras
//! modules or switch safe mode off.

use super::code;
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

fn walk(v: &Value, rel: &str, source: &str, out: &mut Vec<Finding>) {
    match v {
        Value::Object(m) => {
            if m.get("class_name").and_then(Value::as_str) == Some("Lambda") {
                let name = m
                    .get("config")
                    .and_then(|c| c.get("name"))
                    .and_then(Value::as_str)
                    .unwrap_or("?");
                out.push(
                    Finding::new(
                        code("keras-lambda-layer"),
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
                        code("keras-module-not-keras"),
                        format!("{source} names module `{module}`, outside Keras"),
                    )
                    .at(rel),
                );
            }
            if m.get("registered_name").and_then(Value::as_str) == Some("function") {
                out.push(
                    Finding::new(
                        code("keras-module-not-keras"),
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
                code("keras-unsafe-deserialization"),
                format!(
                    "{source} calls `enable_unsafe_deserialization`, switching Keras safe mode off"
                ),
            )
            .at(rel),
        ),
        _ => {}
    }
}

/// Looks through an HDF5 file's bytes for a Lambda layer in its embedded model config (no HDF5
/// reader: the config is stored as a JSON string attribute, so its bytes are visible).
pub(crate) fn check_h5(path: &Path, rel: &str) -> Vec<Finding> {
    let mut out = Vec::new();
    let Ok(mut file) = File::open(path) else {
        return vec![Finding::new(code("not-scanned"), "cannot open the file").at(rel)];
    };
    let finder = memchr::memmem::Finder::new(b"\"Lambda\"");
    let unsafe_finder = memchr::memmem::Finder::new(b"enable_unsafe_deserialization");
    let mut buf = vec![0u8; 1 << 20];
    let mut carry: Vec<u8> = Vec::new();
    loop {
        let n = match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) => {
                out.push(
                    Finding::new(code("not-scanned"), format!("cannot read the file: {e}")).at(rel),
                );
                break;
            }
        };
        carry.extend_from_slice(&buf[..n]);
        for i in finder.find_iter(&carry) {
            let before = &carry[i.saturating_sub(24)..i];
            if memchr::memmem::find(before, b"class_name").is_some() {
                out.push(
                    Finding::new(
                        code("keras-lambda-layer"),
                        "the HDF5 model config has a Lambda layer, which runs stored Python code when loaded",
                    )
                    .at(rel),
                );
                return out;
            }
        }
        if unsafe_finder.find(&carry).is_some() {
            out.push(
                Finding::new(
                    code("keras-unsafe-deserialization"),
                    "the HDF5 model config calls `enable_unsafe_deserialization`",
                )
                .at(rel),
            );
            return out;
        }
        let keep = carry.len().min(64);
        carry.drain(..carry.len() - keep);
    }
    out
}
