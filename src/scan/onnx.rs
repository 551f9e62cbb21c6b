//! ONNX models: external-data paths that leave the model folder, and operators from custom
//! domains (which need a native library registered by the loader). Walks the protobuf wire format
//! by hand (graph → initializers, nodes, attributes, subgraphs, model-local functions) and skips
//! tensor payloads unread, so a 2 GB model costs a few seeks; no ONNX crate is needed for the
//! handful of fields read.

use super::ScanCode;
use crate::finding::Finding;
use std::fs::File;
use std::io::{BufReader, Cursor, Read, Seek};
use std::path::{Component, Path};

/// Subgraphs (If/Loop bodies) deeper than this are not followed.
const MAX_DEPTH: u32 = 32;

struct R<T> {
    inner: BufReader<T>,
    pos: u64,
}

impl<T: Read + Seek> R<T> {
    fn byte(&mut self) -> Option<u8> {
        let mut b = [0u8];
        self.inner.read_exact(&mut b).ok()?;
        self.pos += 1;
        Some(b[0])
    }
    fn varint(&mut self) -> Option<u64> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            v |= ((b & 0x7f) as u64) << shift;
            if b & 0x80 == 0 {
                return Some(v);
            }
        }
        None
    }
    fn skip(&mut self, n: u64) -> Option<()> {
        self.inner.seek_relative(i64::try_from(n).ok()?).ok()?;
        self.pos += n;
        Some(())
    }
    fn bytes(&mut self, n: u64) -> Option<Vec<u8>> {
        if n > 1 << 20 {
            return None;
        }
        let mut b = vec![0u8; n as usize];
        self.inner.read_exact(&mut b).ok()?;
        self.pos += n;
        Some(b)
    }
}

/// Which message a span holds.
#[derive(Clone, Copy, PartialEq)]
enum Msg {
    Model,
    Graph,
    Node,
    Attribute,
    Tensor,
    Sparse,
    Entry,
    Function,
}

/// What the walk collects.
#[derive(Default)]
struct Seen {
    /// External-data `location` values.
    locations: Vec<String>,
    /// Every node's (domain, op_type).
    nodes: Vec<(String, String)>,
    /// Every model-local function's (domain, name).
    functions: Vec<(String, String)>,
}

/// Operator domains that ONNX runtimes implement themselves.
const STANDARD_DOMAINS: &[&str] = &[
    "",
    "ai.onnx",
    "ai.onnx.ml",
    "ai.onnx.training",
    "ai.onnx.preview.training",
    "com.microsoft",
    "com.microsoft.nchwc",
    "com.microsoft.experimental",
    "com.ms.internal.nhwc",
];

/// Operators that call back into Python whatever their domain (onnxruntime-training's PythonOp).
const PYTHON_OPS: &[&str] = &["PythonOp", "PythonOpGrad"];

/// Child messages worth descending into: (parent, field number) → child kind.
fn child(parent: Msg, field: u64) -> Option<Msg> {
    use Msg::*;
    Some(match (parent, field) {
        (Model, 7) => Graph,
        (Model, 25) => Function,
        (Function, 7) => Node,
        (Function, 11) => Attribute,
        (Graph, 1) => Node,
        (Graph, 5) => Tensor,
        (Graph, 15) => Sparse,
        (Node, 5) => Attribute,
        (Attribute, 5) | (Attribute, 10) => Tensor,
        (Attribute, 6) | (Attribute, 11) => Graph,
        (Attribute, 22) | (Attribute, 23) => Sparse,
        (Sparse, 1) | (Sparse, 2) => Tensor,
        (Tensor, 13) => Entry,
        _ => return None,
    })
}

/// Whether field `field` of a `kind` message is a string the walk keeps: entry key/value, node
/// op_type/domain, function name/domain.
fn kept(kind: Msg, field: u64) -> bool {
    matches!(
        (kind, field),
        (Msg::Entry, 1 | 2) | (Msg::Node, 4 | 7) | (Msg::Function, 1 | 10)
    )
}

/// Collects external-data locations, node operators and local functions in the message `kind`
/// that ends at `end`.
fn walk<T: Read + Seek>(
    r: &mut R<T>,
    kind: Msg,
    end: u64,
    depth: u32,
    out: &mut Seen,
) -> Option<()> {
    let (mut key, mut value) = (None, None);
    while r.pos < end {
        let tag = r.varint()?;
        let (field, wire) = (tag >> 3, tag & 7);
        match wire {
            0 => {
                r.varint()?;
            }
            1 => r.skip(8)?,
            5 => r.skip(4)?,
            2 => {
                let len = r.varint()?;
                let sub_end = r.pos.checked_add(len).filter(|&e| e <= end)?;
                if kept(kind, field) {
                    let s = String::from_utf8_lossy(&r.bytes(len)?).into_owned();
                    if matches!(field, 1 | 4 | 10) && !(kind == Msg::Function && field == 10) {
                        key = Some(s)
                    } else {
                        value = Some(s)
                    }
                } else if let Some(c) = child(kind, field).filter(|_| depth < MAX_DEPTH) {
                    walk(r, c, sub_end, depth + 1, out)?;
                } else {
                    r.skip(len)?;
                }
                if r.pos != sub_end {
                    return None;
                }
            }
            _ => return None,
        }
    }
    match kind {
        Msg::Entry if key.as_deref() == Some("location") => out.locations.extend(value),
        Msg::Node => out
            .nodes
            .push((value.unwrap_or_default(), key.unwrap_or_default())),
        Msg::Function => out
            .functions
            .push((value.unwrap_or_default(), key.unwrap_or_default())),
        _ => {}
    }
    Some(())
}

/// Nodes whose operator is neither standard nor a model-local function: the runtime must load a
/// custom-op library (native code) to run them, or they call back into Python.
fn custom_ops(seen: &Seen, rel: &str) -> Vec<Finding> {
    let mut custom: Vec<&(String, String)> = seen
        .nodes
        .iter()
        .filter(|(domain, op)| {
            PYTHON_OPS.contains(&op.as_str())
                || (!STANDARD_DOMAINS.contains(&domain.as_str())
                    && !seen.functions.iter().any(|(d, n)| d == domain && n == op))
        })
        .collect();
    custom.sort();
    custom.dedup();
    custom
        .into_iter()
        .map(|(domain, op)| {
            Finding::new(
                &ScanCode::OnnxCustomOperator,
                format!("the graph uses operator `{op}` from domain `{domain}`, which no ONNX runtime implements itself: it needs a custom-op library or calls into Python"),
            )
            .at(rel)
        })
        .collect()
}

/// Checks an ONNX model held in memory (an archive member); external data is judged by its text.
pub(crate) fn check_bytes(data: &[u8], rel: &str) -> Vec<Finding> {
    let mut r = R {
        inner: BufReader::new(Cursor::new(data)),
        pos: 0,
    };
    let mut seen = Seen::default();
    if walk(&mut r, Msg::Model, data.len() as u64, 0, &mut seen).is_none() {
        return vec![
            Finding::new(
                &ScanCode::NotScanned,
                "the ONNX protobuf could not be parsed",
            )
            .at(rel),
        ];
    }
    let mut out = custom_ops(&seen, rel);
    for loc in seen.locations.iter().filter(|l| escapes(l)) {
        out.push(
            Finding::new(
                &ScanCode::OnnxExternalDataOutside,
                format!("external tensor data at `{loc}` lies outside the model folder"),
            )
            .at(rel),
        );
    }
    out
}

/// Whether `location` (relative to the model's folder) stays inside it, judging by its text.
fn escapes(location: &str) -> bool {
    let p = Path::new(location);
    if p.is_absolute() || location.starts_with('\\') || location.get(1..2) == Some(":") {
        return true;
    }
    let mut depth = 0i32;
    for c in location.split(['/', '\\']) {
        match c {
            "" | "." => {}
            ".." => {
                depth -= 1;
                if depth < 0 {
                    return true;
                }
            }
            _ => depth += 1,
        }
    }
    p.components().any(|c| matches!(c, Component::Prefix(_)))
}

/// Checks the ONNX model at `path` (`size` bytes).
pub(crate) fn check(path: &Path, size: u64, rel: &str) -> Vec<Finding> {
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) => {
            return vec![
                Finding::new(&ScanCode::NotScanned, format!("cannot open the file: {e}")).at(rel),
            ];
        }
    };
    let mut r = R {
        inner: BufReader::with_capacity(1 << 16, file),
        pos: 0,
    };
    let mut seen = Seen::default();
    if walk(&mut r, Msg::Model, size, 0, &mut seen).is_none() {
        return vec![
            Finding::new(
                &ScanCode::NotScanned,
                "the ONNX protobuf could not be parsed",
            )
            .at(rel),
        ];
    }
    let dir = path.parent().unwrap_or(Path::new("."));
    let root = dir.canonicalize().ok();
    let mut out = custom_ops(&seen, rel);
    let mut locations = std::mem::take(&mut seen.locations);
    locations.sort();
    locations.dedup();
    for loc in locations {
        let by_text = escapes(&loc);
        // A path that looks inside may still leave through a symlink.
        let by_link = !by_text
            && match (dir.join(&loc).canonicalize(), &root) {
                (Ok(real), Some(root)) => !real.starts_with(root),
                _ => false,
            };
        if by_text || by_link {
            let how = if by_link { " through a symlink" } else { "" };
            out.push(
                Finding::new(
                    &ScanCode::OnnxExternalDataOutside,
                    format!("external tensor data at `{loc}` lies outside the model folder{how}"),
                )
                .at(rel),
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn escapes() {
        for bad in [
            "../secret",
            "sub/../../secret",
            "/etc/passwd",
            "C:\\x",
            "..\\x",
        ] {
            assert!(super::escapes(bad), "{bad}");
        }
        for ok in ["weights.bin", "sub/../w.bin", "./a/b"] {
            assert!(!super::escapes(ok), "{ok}");
        }
    }
}
