//! safetensors header validation: reads the 8-byte length and the JSON header, never the payload.

use super::ScanCode;
use crate::finding::Finding;
use serde::de::{Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::Read;
use std::path::Path;

/// The reference implementation's header limit.
pub(crate) const MAX_HEADER: u64 = 100_000_000;

/// Bit width of every dtype the format knows (0.8).
fn dtype_bits(d: &str) -> Option<u64> {
    Some(match d {
        "BOOL" | "U8" | "I8" | "F8_E5M2" | "F8_E4M3" | "F8_E8M0" | "F8_E4M3FNUZ"
        | "F8_E5M2FNUZ" => 8,
        "F4" => 4,
        "F6_E2M3" | "F6_E3M2" => 6,
        "I16" | "U16" | "F16" | "BF16" => 16,
        "I32" | "U32" | "F32" => 32,
        "F64" | "I64" | "U64" | "C64" => 64,
        _ => return None,
    })
}

/// A header value as read: the `__metadata__` object keeps its entries in order with duplicates
/// (serde_json's map would drop them); every other value is an ordinary JSON value.
enum Item {
    Value(Value),
    Metadata(Meta),
}

/// What `__metadata__` holds.
enum Meta {
    Object(Vec<(String, Value)>),
    /// Not an object (a string, a list, a number…), which loaders refuse.
    Other(&'static str),
}

impl<'de> serde::Deserialize<'de> for Meta {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Meta;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Meta, A::Error> {
                let mut v = Vec::new();
                while let Some(e) = m.next_entry::<String, Value>()? {
                    v.push(e);
                }
                Ok(Meta::Object(v))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut s: A) -> Result<Meta, A::Error> {
                while s.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Meta::Other("a list"))
            }
            fn visit_str<E>(self, _: &str) -> Result<Meta, E> {
                Ok(Meta::Other("a string"))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Meta, E> {
                Ok(Meta::Other("a boolean"))
            }
            fn visit_i64<E>(self, _: i64) -> Result<Meta, E> {
                Ok(Meta::Other("a number"))
            }
            fn visit_u64<E>(self, _: u64) -> Result<Meta, E> {
                Ok(Meta::Other("a number"))
            }
            fn visit_f64<E>(self, _: f64) -> Result<Meta, E> {
                Ok(Meta::Other("a number"))
            }
            fn visit_unit<E>(self) -> Result<Meta, E> {
                Ok(Meta::Other("null"))
            }
        }
        d.deserialize_any(V)
    }
}

/// The header's top-level entries in file order, duplicates kept.
struct Entries(Vec<(String, Item)>);

impl<'de> serde::Deserialize<'de> for Entries {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Entries;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Entries, A::Error> {
                let mut v = Vec::new();
                while let Some(k) = m.next_key::<String>()? {
                    let item = if k == "__metadata__" {
                        Item::Metadata(m.next_value()?)
                    } else {
                        Item::Value(m.next_value()?)
                    };
                    v.push((k, item));
                }
                Ok(Entries(v))
            }
        }
        d.deserialize_map(V)
    }
}

/// One tensor's byte range, for the layout walk.
struct Span {
    name: String,
    dtype: String,
    shape: Vec<u64>,
    begin: u64,
    end: u64,
}

/// The outcome of reading a header: findings, and the tensors (name → byte length) if it parsed.
pub(crate) struct Header {
    pub findings: Vec<Finding>,
    pub tensors: Option<BTreeMap<String, u64>>,
    /// Every tensor's bytes in the file (absolute offsets), those inside it.
    pub spans: Option<Vec<super::TensorSpan>>,
}

/// Findings of one file, all about `rel`.
struct Out<'a> {
    rel: &'a str,
    findings: Vec<Finding>,
}

impl Out<'_> {
    fn f(&mut self, c: ScanCode, msg: String) {
        self.findings.push(Finding::new(&c, msg).at(self.rel));
    }
}

/// Validates the safetensors file at `path` (`size` bytes).
pub(crate) fn check(path: &Path, size: u64, rel: &str) -> Header {
    match File::open(path) {
        Ok(mut file) => check_from(&mut file, size, rel),
        Err(e) => {
            let mut out = Out {
                rel,
                findings: Vec::new(),
            };
            out.f(ScanCode::NotScanned, format!("cannot open the file: {e}"));
            Header {
                findings: out.findings,
                tensors: None,
                spans: None,
            }
        }
    }
}

/// [`check`] on the first bytes of a `size`-byte file, as the hashing read captured them;
/// `None` when the header goes on past `prefix`.
pub(crate) fn check_prefix(prefix: &[u8], size: u64, rel: &str) -> Option<Header> {
    let complete = prefix.len() as u64 == size;
    if !complete {
        let n = u64::from_le_bytes(prefix.get(..8)?.try_into().expect("8 bytes"));
        // A header too large for the limit or the file is reported from the length alone.
        if n <= MAX_HEADER && n.saturating_add(8) <= size && (prefix.len() as u64) < 8 + n {
            return None;
        }
    }
    Some(check_from(&mut &prefix[..], size, rel))
}

fn check_from(r: &mut dyn Read, size: u64, rel: &str) -> Header {
    let mut out = Out {
        rel,
        findings: Vec::new(),
    };
    let mut spans_out = None;
    let tensors = read_header(r, size, &mut out).and_then(|(text, n)| {
        let entries = parse(&text, &mut out)?;
        let (spans, tensors) = tensor_entries(&entries, &mut out);
        let buffer = size - 8 - n;
        layout(&spans, buffer, &mut out);
        spans_out = Some(
            spans
                .into_iter()
                .filter(|s| s.end <= buffer)
                .map(|s| super::TensorSpan {
                    name: s.name,
                    dtype: s.dtype,
                    shape: s.shape,
                    begin: 8 + n + s.begin,
                    end: 8 + n + s.end,
                })
                .collect(),
        );
        Some(tensors)
    });
    Header {
        findings: out.findings,
        tensors,
        spans: spans_out,
    }
}

/// Reads the length and the header text; `None` (with a finding) if they are unusable.
fn read_header(file: &mut dyn Read, size: u64, out: &mut Out) -> Option<(String, u64)> {
    if size < 8 {
        out.f(
            ScanCode::SafetensorsHeaderTooSmall,
            format!("the file has {size} bytes, fewer than the 8-byte header length"),
        );
        return None;
    }
    let mut len = [0u8; 8];
    if let Err(e) = file.read_exact(&mut len) {
        out.f(
            ScanCode::NotScanned,
            format!("cannot read the header length: {e}"),
        );
        return None;
    }
    let n = u64::from_le_bytes(len);
    if n > MAX_HEADER {
        out.f(
            ScanCode::SafetensorsHeaderTooLarge,
            format!("the header claims {n} bytes, more than the {MAX_HEADER}-byte limit"),
        );
        return None;
    }
    if n.saturating_add(8) > size {
        out.f(
            ScanCode::SafetensorsHeaderLengthInvalid,
            format!("the header claims {n} bytes but the file has only {size}"),
        );
        return None;
    }
    // Bounded by MAX_HEADER and the file size checked above.
    let mut buf = vec![0u8; n as usize];
    if let Err(e) = file.read_exact(&mut buf) {
        out.f(ScanCode::NotScanned, format!("cannot read the header: {e}"));
        return None;
    }
    match String::from_utf8(buf) {
        Ok(text) => Some((text, n)),
        Err(_) => {
            out.f(
                ScanCode::SafetensorsHeaderNotUtf8,
                "the header is not UTF-8".to_string(),
            );
            None
        }
    }
}

/// Parses the header into its entries, reporting what loaders refuse or disagree on.
fn parse(text: &str, out: &mut Out) -> Option<Vec<(String, Item)>> {
    if serde_json::from_str::<IgnoredAny>(text).is_err() {
        out.f(
            ScanCode::SafetensorsHeaderNotJson,
            "the header is not JSON".to_string(),
        );
        return None;
    }
    let Ok(Entries(entries)) = serde_json::from_str::<Entries>(text) else {
        out.f(
            ScanCode::SafetensorsHeaderNotObject,
            "the header is JSON but not an object".to_string(),
        );
        return None;
    };
    if !text.starts_with('{') {
        out.f(
            ScanCode::SafetensorsHeaderLeadingWhitespace,
            "the header does not begin with `{` (readers disagree on such files)".to_string(),
        );
    }
    // Later duplicates win in serde_json's map, as in most readers.
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (i, (k, _)) in entries.iter().enumerate() {
        if seen.insert(k.clone(), i).is_some() {
            out.f(
                ScanCode::SafetensorsDuplicateKey,
                format!("the header lists `{k}` twice; readers disagree on which wins"),
            );
        }
    }
    let last: Vec<(String, Item)> = entries
        .into_iter()
        .enumerate()
        .filter(|(i, (k, _))| seen.get(k.as_str()) == Some(i))
        .map(|(_, e)| e)
        .collect();
    Some(last)
}

/// Checks `__metadata__`: an object of strings, each key once (the loaders' own types).
fn metadata(meta: &Meta, out: &mut Out) {
    match meta {
        Meta::Object(m) => {
            let mut keys = std::collections::HashSet::new();
            for (mk, mv) in m {
                if !keys.insert(mk.as_str()) {
                    out.f(
                        ScanCode::SafetensorsMetadataDuplicateKey,
                        format!("`__metadata__` lists `{mk}` twice"),
                    );
                }
                if !mv.is_string() {
                    out.f(
                        ScanCode::SafetensorsMetadataNotString,
                        format!("`__metadata__.{mk}` is not a string"),
                    );
                }
            }
        }
        Meta::Other(what) => out.f(
            ScanCode::SafetensorsMetadataNotString,
            format!("`__metadata__` is {what}, not an object of strings"),
        ),
    }
}

/// Validates each tensor entry; returns the spans for the layout walk and the byte lengths.
fn tensor_entries(entries: &[(String, Item)], out: &mut Out) -> (Vec<Span>, BTreeMap<String, u64>) {
    let mut spans = Vec::new();
    let mut tensors = BTreeMap::new();
    for (k, item) in entries {
        let v = match item {
            Item::Metadata(m) => {
                metadata(m, out);
                continue;
            }
            Item::Value(v) => v,
        };
        if let Some(span) = tensor(k, v, out) {
            tensors.insert(k.to_string(), span.end - span.begin);
            spans.push(span);
        }
    }
    (spans, tensors)
}

/// One tensor entry: its span if its offsets are usable, findings for anything wrong.
fn tensor(k: &str, v: &Value, out: &mut Out) -> Option<Span> {
    let dtype = v.get("dtype").and_then(Value::as_str);
    let shape: Option<Vec<u64>> = v
        .get("shape")
        .and_then(Value::as_array)
        .and_then(|a| a.iter().map(Value::as_u64).collect());
    let offsets: Option<Vec<u64>> = v
        .get("data_offsets")
        .and_then(Value::as_array)
        .and_then(|a| a.iter().map(Value::as_u64).collect());
    let (Some(dtype), Some(shape), Some(offsets)) = (dtype, shape, offsets) else {
        out.f(
            ScanCode::SafetensorsTensorInvalid,
            format!(
                "tensor `{k}` lacks a string `dtype`, an integer `shape` or two integer `data_offsets`"
            ),
        );
        return None;
    };
    let [begin, end] = offsets[..] else {
        out.f(
            ScanCode::SafetensorsTensorInvalid,
            format!("tensor `{k}` has {} `data_offsets`, not 2", offsets.len()),
        );
        return None;
    };
    if end < begin {
        out.f(
            ScanCode::SafetensorsOffsetReversed,
            format!("tensor `{k}` ends at {end}, before it begins at {begin}"),
        );
        return None;
    }
    let span = Span {
        name: k.to_string(),
        dtype: dtype.to_string(),
        shape: shape.clone(),
        begin,
        end,
    };
    let Some(bits) = dtype_bits(dtype) else {
        out.f(
            ScanCode::SafetensorsDtypeUnknown,
            format!(
                "tensor `{k}` has dtype `{dtype}`, which the format does not define (dtypes are upper case); loaders refuse it"
            ),
        );
        return Some(span);
    };
    let nbits = shape
        .iter()
        .try_fold(1u64, |a, &d| a.checked_mul(d))
        .and_then(|e| e.checked_mul(bits));
    let Some(nbits) = nbits else {
        out.f(
            ScanCode::SafetensorsShapeOverflow,
            format!("tensor `{k}` has shape {shape:?}, whose size overflows"),
        );
        return Some(span);
    };
    if nbits % 8 != 0 {
        out.f(
            ScanCode::SafetensorsMisaligned,
            format!("tensor `{k}` ({dtype}, shape {shape:?}) does not fill whole bytes"),
        );
    } else if end - begin != nbits / 8 {
        out.f(
            ScanCode::SafetensorsSizeMismatch,
            format!(
                "tensor `{k}` spans {} bytes but {dtype} × {shape:?} needs {}",
                end - begin,
                nbits / 8
            ),
        );
    }
    Some(span)
}

/// Tensors must tile the data buffer exactly: no gaps, no overlaps, nothing past or after it.
fn layout(spans: &[Span], buffer: u64, out: &mut Out) {
    let mut spans: Vec<&Span> = spans.iter().collect();
    spans.sort_by_key(|s| (s.begin, s.end));
    let mut expected = 0u64;
    let mut prev: Option<&str> = None;
    for s in spans {
        if s.begin > expected {
            let msg = match prev {
                Some(p) => format!(
                    "{} unused bytes between `{p}` and `{}`",
                    s.begin - expected,
                    s.name
                ),
                None => format!("the first tensor `{}` starts at {}, not 0", s.name, s.begin),
            };
            out.f(ScanCode::SafetensorsOffsetGap, msg);
        } else if s.begin < expected {
            out.f(
                ScanCode::SafetensorsOffsetOverlap,
                format!(
                    "tensor `{}` starts at {} inside `{}`, which ends at {expected}",
                    s.name,
                    s.begin,
                    prev.unwrap_or("?")
                ),
            );
        }
        expected = expected.max(s.end);
        prev = Some(&s.name);
    }
    if expected > buffer {
        out.f(
            ScanCode::SafetensorsOffsetOutOfBounds,
            format!("tensors reach byte {expected} of a {buffer}-byte data buffer"),
        );
    } else if expected < buffer {
        out.f(
            ScanCode::SafetensorsTrailingBytes,
            format!(
                "{} bytes follow the last tensor (hidden content or a polyglot file)",
                buffer - expected
            ),
        );
    }
}

/// Checks a `model.safetensors.index.json` against the shards beside it.
pub(crate) fn check_index(path: &Path, rel: &str, text: &str) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut f = |c: ScanCode, msg: String| out.push(Finding::new(&c, msg).at(rel));
    let Ok(doc) = serde_json::from_str::<Value>(text) else {
        f(
            ScanCode::SafetensorsIndexInvalid,
            "the index is not JSON".into(),
        );
        return out;
    };
    let Some(map) = doc.get("weight_map").and_then(Value::as_object) else {
        f(
            ScanCode::SafetensorsIndexInvalid,
            "the index has no `weight_map` object".into(),
        );
        return out;
    };
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut shards: BTreeMap<&str, Option<BTreeMap<String, u64>>> = BTreeMap::new();
    for shard in map.values().filter_map(Value::as_str) {
        if shards.contains_key(shard) {
            continue;
        }
        let unsafe_name =
            shard.starts_with('/') || shard.contains('\\') || shard.split('/').any(|c| c == "..");
        let p = dir.join(shard);
        let tensors = if unsafe_name {
            f(
                ScanCode::SafetensorsIndexMissingShard,
                format!("shard `{shard}` is not a plain relative path"),
            );
            None
        } else {
            match std::fs::metadata(&p) {
                Ok(m) if m.is_file() => check(&p, m.len(), shard).tensors,
                _ => {
                    f(
                        ScanCode::SafetensorsIndexMissingShard,
                        format!("shard `{shard}` named by the index does not exist"),
                    );
                    None
                }
            }
        };
        shards.insert(shard, tensors);
    }
    let mut holders: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    let mut total = 0u64;
    for (shard, tensors) in &shards {
        for (t, bytes) in tensors.iter().flatten() {
            holders.entry(t).or_default().push(shard);
            total = total.saturating_add(*bytes);
        }
    }
    for (t, hs) in &holders {
        if hs.len() > 1 {
            f(
                ScanCode::SafetensorsIndexDuplicateTensor,
                format!(
                    "tensor `{t}` is stored in {} shards: {}",
                    hs.len(),
                    hs.join(", ")
                ),
            );
        }
    }
    for (t, shard) in map {
        let Some(shard) = shard.as_str() else {
            continue;
        };
        if let Some(Some(tensors)) = shards.get(shard)
            && !tensors.contains_key(t)
        {
            f(
                ScanCode::SafetensorsIndexTensorMissing,
                format!("the index maps `{t}` to `{shard}`, which does not hold it"),
            );
        }
    }
    let all_read = shards.values().all(Option::is_some);
    if let Some(declared) = doc.pointer("/metadata/total_size").and_then(Value::as_u64)
        && all_read
        && declared != total
    {
        f(
            ScanCode::SafetensorsIndexTotalSize,
            format!(
                "the index declares `total_size` {declared}, the shards hold {total} tensor bytes"
            ),
        );
    }
    out
}
