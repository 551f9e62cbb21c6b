//! Scanning model files for code-execution risk and structural damage.
//!
//! A file's type is decided from its bytes (extensions are only a hint for text files and for
//! picking the most specific message when the bytes match nothing). Pickles are disassembled,
//! never loaded; safetensors and GGUF headers are validated without reading payloads; chat
//! templates are searched, never rendered. Anything the scanner cannot read is a `not-scanned`
//! finding, never silence.

mod archive;
mod gguf;
mod keras;
mod nested;
mod onnx;
mod pickle;
mod safetensors;
mod sarif;
mod savedmodel;
mod template;
mod torchscript;

pub use sarif::to_sarif;

use crate::finding::{Finding, Severity};
use crate::format::{self, FileFormat};
use serde::Serialize;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

crate::finding_codes! {
    /// Every finding code the scanner emits.
    pub enum ScanCode {
        NotScanned = "not-scanned", High, "a file (or archive member) could not be read or parsed, so it was not scanned; it is not known to be safe";
        PickleGlobalDangerous = "pickle-global-dangerous", Critical, "a pickle imports a known-dangerous callable or module (os, subprocess, eval, exec, runpy, importlib, marshal, …)";
        PickleGlobalNotAllowed = "pickle-global-not-allowed", High, "a pickle imports a global outside the weights-only allow-list";
        PickleGlobalUnresolved = "pickle-global-unresolved", Critical, "a pickle imports a global whose module or name cannot be resolved statically";
        PickleGlobalMutated = "pickle-global-mutated", Critical, "a pickle rewrites attributes of an imported class or function (BUILD on a global)";
        PickleMemoUndefined = "pickle-memo-undefined", Medium, "a pickle reads a memo entry that was never stored (the unpickler would fail there)";
        PickleMalformed = "pickle-malformed", Medium, "a pickle stream breaks before its end; findings before the break are kept";
        PickleTrailingData = "pickle-trailing-data", Low, "bytes after the last pickle in a stream are not a pickle";
        PickleExpansionBomb = "pickle-expansion-bomb", High, "a pickle re-uses memo entries or DUPs far beyond what data needs (expansion bomb)";
        PickleResourceLimit = "pickle-resource-limit", High, "a pickle exceeded the scanner's stack or memo limits; the rest was not scanned";
        NpyPickleData = "npy-pickle-data", High, "a .npy file holds a pickle although its header declares a plain dtype";
        ArchiveNameMismatch = "archive-name-mismatch", High, "a zip member's local header names a different file than the central directory";
        ArchiveDuplicateMember = "archive-duplicate-member", High, "a zip holds two members of the same name; readers disagree on which one wins";
        ArchiveHeaderTampered = "archive-header-tampered", Medium, "a zip member has a wrong CRC or a flag bit set that torch ignores and strict readers refuse";
        ArchiveExpansionLimit = "archive-expansion-limit", High, "a zip member inflates beyond its declared size or the scanner's limit";
        SafetensorsHeaderTooSmall = "safetensors-header-too-small", High, "a safetensors file is shorter than its 8-byte header length";
        SafetensorsHeaderTooLarge = "safetensors-header-too-large", High, "a safetensors header length exceeds the 100 MB limit";
        SafetensorsHeaderLengthInvalid = "safetensors-header-length-invalid", High, "a safetensors header length runs past the end of the file";
        SafetensorsHeaderNotUtf8 = "safetensors-header-not-utf8", High, "a safetensors header is not UTF-8";
        SafetensorsHeaderNotJson = "safetensors-header-not-json", High, "a safetensors header is not JSON";
        SafetensorsHeaderNotObject = "safetensors-header-not-object", High, "a safetensors header is JSON but not an object";
        SafetensorsHeaderLeadingWhitespace = "safetensors-header-leading-whitespace", Low, "a safetensors header does not begin with `{` (parsers disagree on it)";
        SafetensorsDuplicateKey = "safetensors-duplicate-key", High, "a safetensors header lists a key twice (parsers disagree on which wins)";
        SafetensorsMetadataNotString = "safetensors-metadata-not-string", High, "a safetensors `__metadata__` is not an object of strings (loaders refuse it)";
        SafetensorsMetadataDuplicateKey = "safetensors-metadata-duplicate-key", High, "a safetensors `__metadata__` lists a key twice";
        SafetensorsTensorInvalid = "safetensors-tensor-invalid", High, "a safetensors tensor entry lacks dtype, shape or two data offsets";
        SafetensorsDtypeUnknown = "safetensors-dtype-unknown", High, "a safetensors tensor has a dtype the format does not define, such as a lower-case one (loaders refuse it)";
        SafetensorsShapeOverflow = "safetensors-shape-overflow", High, "a safetensors tensor shape's size overflows";
        SafetensorsMisaligned = "safetensors-misaligned", High, "a safetensors tensor does not fill whole bytes";
        SafetensorsSizeMismatch = "safetensors-size-mismatch", High, "a safetensors tensor's byte span differs from shape × dtype";
        SafetensorsOffsetReversed = "safetensors-offset-reversed", High, "a safetensors tensor ends before it begins";
        SafetensorsOffsetGap = "safetensors-offset-gap", High, "safetensors tensors leave unused bytes between them (or the first does not start at 0)";
        SafetensorsOffsetOverlap = "safetensors-offset-overlap", High, "safetensors tensors overlap";
        SafetensorsOffsetOutOfBounds = "safetensors-offset-out-of-bounds", High, "safetensors tensors reach past the end of the file";
        SafetensorsTrailingBytes = "safetensors-trailing-bytes", Medium, "bytes follow the last safetensors tensor (hidden content, polyglot)";
        SafetensorsIndexInvalid = "safetensors-index-invalid", Medium, "a safetensors index is not JSON or has no `weight_map`";
        SafetensorsIndexMissingShard = "safetensors-index-missing-shard", High, "a safetensors index names a shard that does not exist";
        SafetensorsIndexDuplicateTensor = "safetensors-index-duplicate-tensor", High, "a tensor is stored in two safetensors shards";
        SafetensorsIndexTensorMissing = "safetensors-index-tensor-missing", High, "a safetensors index maps a tensor to a shard that does not hold it";
        SafetensorsIndexTotalSize = "safetensors-index-total-size", Low, "a safetensors index's `total_size` differs from the shards' tensor bytes";
        GgufBadMagic = "gguf-bad-magic", High, "a file meant as GGUF does not start with `GGUF`";
        GgufBigEndian = "gguf-big-endian", Medium, "a GGUF file is big-endian; its header was not checked further";
        GgufVersionUnsupported = "gguf-version-unsupported", High, "a GGUF version other than 2 or 3";
        GgufCountTooLarge = "gguf-count-too-large", High, "GGUF tensor or metadata counts exceed what the file can hold";
        GgufTruncated = "gguf-truncated", High, "a GGUF header value (string, array) runs past the end of the file";
        GgufKeyNotUtf8 = "gguf-key-not-utf8", High, "a GGUF metadata key is not UTF-8 (loaders refuse it)";
        GgufKeyEmpty = "gguf-key-empty", Medium, "a GGUF metadata key is empty";
        GgufKeyDuplicate = "gguf-key-duplicate", High, "a GGUF metadata key appears twice";
        GgufValueTypeInvalid = "gguf-value-type-invalid", High, "a GGUF metadata value has an undefined type";
        GgufArrayNested = "gguf-array-nested", Low, "a GGUF metadata array holds arrays (the spec allows it, ggml refuses it)";
        GgufBoolInvalid = "gguf-bool-invalid", Medium, "a GGUF bool holds a byte other than 0 or 1";
        GgufAlignmentInvalid = "gguf-alignment-invalid", High, "`general.alignment` is not a UINT32 non-zero power of two";
        GgufTensorNameTooLong = "gguf-tensor-name-too-long", Low, "a GGUF tensor name is longer than ggml's 63 bytes";
        GgufTensorNameDuplicate = "gguf-tensor-name-duplicate", High, "a GGUF tensor name appears twice";
        GgufTensorDimsInvalid = "gguf-tensor-dims-invalid", High, "a GGUF tensor has more than 4 dimensions or a negative one";
        GgufTensorSizeOverflow = "gguf-tensor-size-overflow", High, "a GGUF tensor's element count overflows";
        GgufTensorTypeInvalid = "gguf-tensor-type-invalid", High, "a GGUF tensor has an undefined or removed ggml type";
        GgufTensorShapeBlock = "gguf-tensor-shape-block", High, "a GGUF tensor's first dimension is not a multiple of its type's block size";
        GgufTensorOffsetMisaligned = "gguf-tensor-offset-misaligned", High, "a GGUF tensor offset is not a multiple of the alignment";
        GgufTensorOffsetGap = "gguf-tensor-offset-gap", High, "GGUF tensor offsets are out of order or leave gaps";
        GgufTensorOutOfBounds = "gguf-tensor-out-of-bounds", High, "GGUF tensor data reaches past the end of the file";
        TemplateInjection = "template-injection", High, "a chat template reaches Python internals (underscore attributes, also when built at render time) or pulls in other files";
        TemplateUnparsed = "template-unparsed", Medium, "a chat template does not parse as Jinja, so it was not checked";
        KerasLambdaLayer = "keras-lambda-layer", High, "a Keras model has a Lambda layer, which runs stored Python code";
        KerasModuleNotKeras = "keras-module-not-keras", High, "a Keras config names a module outside Keras or a bare function";
        KerasUnsafeDeserialization = "keras-unsafe-deserialization", Critical, "a Keras config switches safe mode off";
        OnnxExternalDataOutside = "onnx-external-data-outside", High, "an ONNX external-data path leaves the model folder";
        OnnxCustomOperator = "onnx-custom-operator", High, "an ONNX node (in the graph, a subgraph or a model-local function) uses an operator from a custom domain, which needs a native custom-op library, or calls into Python";
        KerasMarshalledFunction = "keras-marshalled-function", High, "a Keras config holds a marshalled Python function (`__lambda__`) outside a Lambda layer, e.g. as an activation or initializer";
        KerasVocabularyFile = "keras-vocabulary-file", High, "a Keras lookup layer reads its vocabulary from a file path when loaded (CVE-2025-12058)";
        KerasExternalSavedmodel = "keras-external-savedmodel", High, "a Keras `TFSMLayer` loads an external SavedModel when loaded (CVE-2026-1462)";
        KerasConfigInvalid = "keras-config-invalid", High, "a `.keras` archive's `config.json` is not JSON (Keras refuses it)";
        SavedmodelPythonOp = "savedmodel-python-op", Critical, "a TensorFlow SavedModel graph uses an op that runs Python code (PyFunc, EagerPyFunc, …)";
        SavedmodelFileOp = "savedmodel-file-op", High, "a TensorFlow SavedModel graph uses an op that reads, lists or writes files (ReadFile, WriteFile, MatchingFiles, …)";
        TorchscriptDangerousCall = "torchscript-dangerous-call", High, "a TorchScript archive's code calls file I/O, process or library-loading functions";
        ArchivePrependedData = "archive-prepended-data", Medium, "bytes precede a zip archive's first member (Python's zipfile still opens it)";
        ScanSymlinkSkipped = "scan-symlink-skipped", Low, "a symlink inside a scanned folder points outside it and was not followed";
    }
}

/// Evidence text for a position in a stream, inside an archive member or not.
pub(crate) fn loc(member: Option<&str>, offset: usize) -> String {
    match member {
        Some(m) => format!("member `{m}`, offset {offset}"),
        None => format!("offset {offset}"),
    }
}

/// Errors that stop a scan (anything about the files themselves is a finding instead).
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    #[error("`{0}` does not exist")]
    NotFound(PathBuf),
    #[error("cannot list `{path}`")]
    Walk {
        path: PathBuf,
        #[source]
        source: walkdir::Error,
    },
}

/// One file the scan looked at.
#[derive(Debug, Clone, Serialize)]
pub struct ScannedFile {
    /// As given on the command line for files; relative to the folder (with `/`) for folder members.
    pub path: String,
    pub size: u64,
    /// What the bytes say it is (`safetensors`, `pickle`, …).
    pub format: String,
}

/// The result of scanning some paths.
#[derive(Debug, Clone, Serialize)]
pub struct ScanReport {
    pub files: Vec<ScannedFile>,
    pub findings: Vec<Finding>,
}

impl ScanReport {
    /// The most severe finding, if any.
    pub fn worst(&self) -> Option<Severity> {
        self.findings.iter().map(|f| f.severity).max()
    }
}

/// Scans files and folders (recursively; `.git` is skipped). A path that does not exist is an error.
pub fn scan_paths(paths: &[PathBuf]) -> Result<ScanReport, ScanError> {
    let mut report = ScanReport {
        files: Vec::new(),
        findings: Vec::new(),
    };
    for p in paths {
        if std::fs::symlink_metadata(p).is_err() {
            return Err(ScanError::NotFound(p.clone()));
        }
    }
    for p in paths {
        if p.is_dir() {
            let root = p.canonicalize().unwrap_or_else(|_| p.clone());
            let walker = walkdir::WalkDir::new(p)
                .sort_by_file_name()
                .into_iter()
                .filter_entry(|e| e.depth() == 0 || e.file_name() != ".git");
            for entry in walker {
                let entry = entry.map_err(|source| ScanError::Walk {
                    path: p.clone(),
                    source,
                })?;
                let rel = entry
                    .path()
                    .strip_prefix(p)
                    .unwrap_or(entry.path())
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy())
                    .collect::<Vec<_>>()
                    .join("/");
                let ft = entry.file_type();
                if ft.is_symlink() {
                    let inside = entry
                        .path()
                        .canonicalize()
                        .is_ok_and(|t| t.starts_with(&root) && t.is_file());
                    if !inside {
                        report.findings.push(
                            Finding::new(
                                &ScanCode::ScanSymlinkSkipped,
                                "the symlink points outside the folder (or nowhere); not followed",
                            )
                            .at(&rel),
                        );
                        continue;
                    }
                } else if !ft.is_file() {
                    continue;
                }
                scan_one(entry.path(), &rel, &mut report);
            }
        } else {
            scan_one(p, &p.to_string_lossy(), &mut report);
        }
    }
    Ok(report)
}

fn scan_one(path: &Path, rel: &str, report: &mut ScanReport) {
    let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let (kind, findings) = scan_file_kind(path, rel, None);
    report.files.push(ScannedFile {
        path: rel.to_string(),
        size,
        format: kind.to_string(),
    });
    report.findings.extend(findings);
}

/// Scans one file; `rel` is the name findings carry. Never fails: an unreadable file is a
/// `not-scanned` finding.
pub fn scan_file(path: &Path, rel: &str) -> Vec<Finding> {
    scan_file_kind(path, rel, None).1
}

/// [`scan_file`] from the first bytes of the file (`captured`, all of them or a prefix) that a
/// read which already went through it kept, as [`capture_for`] asked: pickles are disassembled
/// and weights headers checked from those bytes, not read again. What `captured` does not cover
/// (archives, which the scan seeks in; a pickle stream past the prefix) is read from `path`.
pub fn scan_file_captured(path: &Path, rel: &str, captured: &[u8]) -> Vec<Finding> {
    scan_file_kind(path, rel, Some(captured)).1
}

/// One tensor's raw bytes in a weights file (absolute offsets, `begin..end`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TensorSpan {
    pub name: String,
    /// As the format names it (`F32`, `BF16`, `Q4_1`, …).
    pub dtype: String,
    pub shape: Vec<u64>,
    pub begin: u64,
    pub end: u64,
}

/// A safetensors or GGUF header as checked: its findings, the tensors' byte ranges (when the
/// header was read to the end), and GGUF's `general.license`.
#[derive(Debug, Clone)]
pub struct WeightsHeader {
    pub findings: Vec<Finding>,
    pub tensors: Option<Vec<TensorSpan>>,
    pub license: Option<String>,
}

/// What of a file's bytes the scan needs kept as they stream past, decided from its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Capture {
    /// Nothing: the scan reads what it needs itself (archives, text, anything else).
    Nothing,
    /// A weights header: keep the first bytes until [`weights_header`] has what it needs, at
    /// most this many.
    Header(u64),
    /// The first bytes, at most this many (pickles: the disassembler reads the whole stream).
    Prefix(u64),
}

/// Leading bytes that decide what [`capture_for`] says (fewer only when the file is shorter).
pub const CAPTURE_HEAD: usize = HEAD as usize;
/// The largest GGUF header kept while reading (a tokenizer's vocabulary lives in it).
const MAX_GGUF_HEADER: u64 = 64 << 20;

/// What to keep of a `size`-byte file whose first bytes are `head` (at least [`CAPTURE_HEAD`]
/// of them, or the whole file), following the same decisions as the scan itself.
pub fn capture_for(rel: &str, head: &[u8], size: u64) -> Capture {
    let name = rel.rsplit('/').next().unwrap_or(rel).to_ascii_lowercase();
    if container(head).is_some()
        || nested::packing(head).is_some()
        || nested::is_tar(head)
        || head.starts_with(b"PK\x03\x04")
        || head.starts_with(b"PK\x05\x06")
    {
        return Capture::Nothing;
    }
    if head.starts_with(b"\x93NUMPY") {
        return Capture::Prefix(MAX_PICKLE_BYTES + 1);
    }
    match format::sniff(
        &name,
        &head[..head.len().min(format::SNIFF_LEN)],
        size,
        None,
    ) {
        FileFormat::Safetensors => Capture::Header(8 + safetensors::MAX_HEADER),
        FileFormat::Gguf => Capture::Header(MAX_GGUF_HEADER),
        FileFormat::Pytorch => Capture::Prefix(PICKLE_PREFIX),
        FileFormat::Pickle => Capture::Prefix(MAX_PICKLE_BYTES + 1),
        _ => Capture::Nothing,
    }
}

/// The header of a safetensors or GGUF file from its first bytes; `None` while `prefix` is too
/// short to decide (or the bytes are neither format).
pub fn weights_header(rel: &str, prefix: &[u8], size: u64) -> Option<WeightsHeader> {
    if prefix.starts_with(b"GGUF") {
        return gguf::check_prefix(prefix, size, rel);
    }
    let h = safetensors::check_prefix(prefix, size, rel)?;
    Some(WeightsHeader {
        findings: h.findings,
        tensors: h.spans,
        license: None,
    })
}

/// Most bytes of a pickle stream held in memory (raw files, archive members, decompressed data).
const MAX_PICKLE_BYTES: u64 = 1 << 30;
/// Leading bytes read first: legacy torch files hold their pickles at the start, then raw storages.
const PICKLE_PREFIX: u64 = 64 << 20;
/// How much of a file is read to decide its type.
const HEAD: u64 = 512;

fn not_scanned(rel: &str, why: impl Into<String>) -> Vec<Finding> {
    vec![Finding::new(&ScanCode::NotScanned, why).at(rel)]
}

fn scan_file_kind(path: &Path, rel: &str, captured: Option<&[u8]>) -> (&'static str, Vec<Finding>) {
    let size = match std::fs::metadata(path) {
        Ok(m) => m.len(),
        Err(e) => {
            return (
                "unreadable",
                not_scanned(rel, format!("cannot read the file: {e}")),
            );
        }
    };
    let captured = captured.filter(|c| c.len() as u64 >= size.min(HEAD));
    let whole = captured.filter(|c| c.len() as u64 == size);
    let mut head = Vec::with_capacity(HEAD as usize);
    if let Some(c) = captured {
        head.extend_from_slice(&c[..c.len().min(HEAD as usize)]);
    } else if let Err(e) = File::open(path).and_then(|f| f.take(HEAD).read_to_end(&mut head)) {
        return (
            "unreadable",
            not_scanned(rel, format!("cannot read the file: {e}")),
        );
    }
    let name = rel.rsplit('/').next().unwrap_or(rel).to_ascii_lowercase();
    if let Some(what) = container(&head) {
        return (
            "container",
            not_scanned(
                rel,
                format!(
                    "a {what} container, which modelvet cannot open; its contents were not scanned"
                ),
            ),
        );
    }
    if head.starts_with(b"\x93NUMPY") {
        if let Some(data) = whole.filter(|d| d.len() as u64 <= MAX_PICKLE_BYTES) {
            return ("npy", npy(data, rel, None));
        }
        let data = match read_capped(path, MAX_PICKLE_BYTES) {
            Ok(d) => d,
            Err(f) => return ("npy", not_scanned(rel, f)),
        };
        return ("npy", npy(&data, rel, None));
    }
    if let Some(p) = nested::packing(&head) {
        return match File::open(path) {
            Ok(f) => (
                "compressed",
                nested::compressed(p, f, &name, None, &mut nested::Nest::new(rel)),
            ),
            Err(e) => (
                "compressed",
                not_scanned(rel, format!("cannot open the file: {e}")),
            ),
        };
    }
    if nested::is_tar(&head) {
        return match File::open(path) {
            Ok(f) => ("tar", nested::tar(f, None, &mut nested::Nest::new(rel))),
            Err(e) => (
                "tar",
                not_scanned(rel, format!("cannot open the file: {e}")),
            ),
        };
    }
    if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        return match File::open(path) {
            Ok(mut f) => (
                "zip",
                nested::zip(&mut f, size, None, &mut nested::Nest::new(rel)),
            ),
            Err(e) => (
                "zip",
                not_scanned(rel, format!("cannot open the file: {e}")),
            ),
        };
    }
    match format::sniff(
        &name,
        &head[..head.len().min(format::SNIFF_LEN)],
        size,
        None,
    ) {
        FileFormat::Safetensors => (
            "safetensors",
            match captured.and_then(|c| safetensors::check_prefix(c, size, rel)) {
                Some(h) => h.findings,
                None => safetensors::check(path, size, rel).findings,
            },
        ),
        FileFormat::Gguf => (
            "gguf",
            match captured.and_then(|c| gguf::check_prefix(c, size, rel)) {
                Some(h) => h.findings,
                None => gguf::check(path, size, rel),
            },
        ),
        FileFormat::Pytorch => (
            "pytorch",
            pickle_file(path, size, rel, pickle::Kind::LegacyTorch, captured),
        ),
        FileFormat::Pickle => (
            "pickle",
            pickle_file(path, size, rel, pickle::Kind::Raw, captured),
        ),
        FileFormat::Keras => ("keras", keras::check_h5(path, rel)),
        FileFormat::Onnx => ("onnx", onnx::check(path, size, rel)),
        f => {
            let kind = f.as_str();
            (kind, by_name(path, size, rel, &name))
        }
    }
}

/// Names of archive formats we recognise but cannot open.
fn container(head: &[u8]) -> Option<&'static str> {
    if head.starts_with(b"7z\xbc\xaf\x27\x1c") {
        Some("7z")
    } else if head.starts_with(b"Rar!\x1a\x07") {
        Some("RAR")
    } else {
        None
    }
}

/// Files whose bytes matched no binary format: text formats by name, and for names that promise a
/// weights format, the most specific structural message.
fn by_name(path: &Path, size: u64, rel: &str, name: &str) -> Vec<Finding> {
    if name.ends_with(".safetensors") {
        let f = safetensors::check(path, size, rel).findings;
        if !f.is_empty() {
            return f;
        }
    }
    if name.ends_with(".gguf") {
        return gguf::check(path, size, rel);
    }
    if name.ends_with(".onnx") {
        return onnx::check(path, size, rel);
    }
    // Names that `torch.load`, `pickle.load` or joblib would be pointed at.
    const PICKLE_NAMES: &[&str] = &[
        ".pkl", ".pickle", ".pt", ".pth", ".ckpt", ".joblib", ".dill", ".p",
    ];
    let pickle_name = PICKLE_NAMES.iter().any(|e| name.ends_with(e));
    if name == "saved_model.pb" {
        return match read_capped(path, MAX_PICKLE_BYTES) {
            Ok(d) => savedmodel::check_bytes(&d, rel, "the SavedModel"),
            Err(e) => not_scanned(rel, e),
        };
    }
    // Anything that parses as a pickle is one, whatever it is called (protocol 0/1 streams have
    // no header, and the unpickler accepts any opcode first).
    if size > 1 && sniff_prefix(path).is_some_and(|p| pickle::sniff(&p)) {
        return pickle_file(path, size, rel, pickle::Kind::Raw, None);
    }
    if name.ends_with(".jinja") || name.ends_with(".json") {
        let text = match read_text(path, 64 << 20) {
            Ok(t) => t,
            Err(e) => return not_scanned(rel, e),
        };
        if name.ends_with(".jinja") {
            return template::check(&text, rel, "the template file");
        }
        if name.ends_with(".safetensors.index.json") {
            return safetensors::check_index(path, rel, &text);
        }
        let mut out = template::check_json(&text, rel);
        if text.contains("\"class_name\"") {
            out.extend(keras::check_config(&text, rel, "the Keras config"));
        }
        return out;
    }
    // Bytes prepended to a zip (a `.keras` file, say) do not stop Python's zipfile from opening it.
    if size > 22 {
        let mut nest = nested::Nest::new(rel);
        if let Ok(mut f) = File::open(path)
            && archive::entries(&mut f, size).is_ok_and(|e| !e.is_empty())
        {
            return nested::zip(&mut f, size, None, &mut nest);
        }
    }
    if pickle_name && size > 0 {
        return not_scanned(
            rel,
            "the name promises a pickle-based format but the bytes match none modelvet reads",
        );
    }
    Vec::new()
}

/// The first bytes of a file, enough for the pickle sniffer to decide.
fn sniff_prefix(path: &Path) -> Option<Vec<u8>> {
    let mut b = Vec::new();
    File::open(path)
        .and_then(|f| f.take(64 << 10).read_to_end(&mut b))
        .ok()?;
    Some(b)
}

fn read_text(path: &Path, cap: u64) -> Result<String, String> {
    let mut b = Vec::new();
    File::open(path)
        .and_then(|f| f.take(cap).read_to_end(&mut b))
        .map_err(|e| format!("cannot read the file: {e}"))?;
    Ok(String::from_utf8_lossy(&b).into_owned())
}

fn read_capped(path: &Path, cap: u64) -> Result<Vec<u8>, String> {
    let mut b = Vec::new();
    File::open(path)
        .and_then(|f| f.take(cap + 1).read_to_end(&mut b))
        .map_err(|e| format!("cannot read the file: {e}"))?;
    if b.len() as u64 > cap {
        return Err(format!(
            "the file is larger than the scanner's {cap}-byte limit for pickled data"
        ));
    }
    Ok(b)
}

/// Disassembles a pickle file: from `captured` where it holds at least the prefix the scan
/// starts with (or the whole stream), else read from `path`.
fn pickle_file(
    path: &Path,
    size: u64,
    rel: &str,
    kind: pickle::Kind,
    captured: Option<&[u8]>,
) -> Vec<Finding> {
    let first = size.min(PICKLE_PREFIX);
    let mut read = Vec::new();
    let data: &[u8] = match captured.filter(|c| c.len() as u64 >= first) {
        // The whole capture when it is the whole stream (up to the scanner's limit), so that a
        // stream longer than the prefix is not read a second time.
        Some(c) if c.len() as u64 == size && size <= MAX_PICKLE_BYTES => c,
        Some(c) => &c[..first as usize],
        None => {
            if let Err(e) = File::open(path).and_then(|f| f.take(first).read_to_end(&mut read)) {
                return not_scanned(rel, format!("cannot read the file: {e}"));
            }
            &read
        }
    };
    let mut r = pickle::scan(data, kind, rel, None);
    let ran_out = r.findings.iter().any(|f| {
        f.code == ScanCode::PickleMalformed
            && (f.message.contains("past the end") || f.message.contains("before STOP"))
    });
    if ran_out && size > data.len() as u64 {
        // The stream goes on past the prefix: read it all (bounded) and scan again.
        match read_capped(path, MAX_PICKLE_BYTES) {
            Ok(all) => r = pickle::scan(&all, kind, rel, None),
            Err(e) => r
                .findings
                .push(Finding::new(&ScanCode::NotScanned, e).at(rel)),
        }
    }
    r.findings
}

/// A `.npy` array (`member` when inside an `.npz`): object arrays hold a pickle; a plain dtype
/// whose data is a pickle anyway is a lie worth reporting.
fn npy(data: &[u8], rel: &str, member: Option<&str>) -> Vec<Finding> {
    let bad = || vec![Finding::new(&ScanCode::NotScanned, "the .npy header is malformed").at(rel)];
    if data.len() < 10 {
        return bad();
    }
    let (hlen, start) = match data[6] {
        1 => (u16::from_le_bytes([data[8], data[9]]) as usize, 10usize),
        2 | 3 if data.len() >= 12 => (
            u32::from_le_bytes(data[8..12].try_into().expect("4")) as usize,
            12,
        ),
        _ => return bad(),
    };
    let Some(header) = data.get(start..start.saturating_add(hlen)) else {
        return bad();
    };
    let header = String::from_utf8_lossy(header);
    let body = &data[start + hlen..];
    let object = object_dtype(&header);
    let is_pickle = pickle::sniff(body);
    let mut out = Vec::new();
    if is_pickle && !object {
        out.push(
            Finding::new(
                &ScanCode::NpyPickleData,
                format!(
                    "the header declares a plain dtype ({}) but the data is a pickle",
                    header.trim()
                ),
            )
            .at(rel)
            .with_evidence(loc(member, start + hlen)),
        );
    }
    if object || is_pickle {
        let r = pickle::scan(body, pickle::Kind::Raw, rel, member);
        out.extend(r.findings);
    }
    out
}

/// Whether a `.npy` header's dtype holds Python objects anywhere: a string literal such as `'O'`,
/// `'|O'` or `'O8'` in the header (a plain, structured or sub-array dtype, any spacing or quotes).
fn object_dtype(header: &str) -> bool {
    let mut rest = header;
    while let Some(i) = rest.find(['\'', '"']) {
        let q = rest.as_bytes()[i] as char;
        let Some(j) = rest[i + 1..].find(q) else {
            break;
        };
        let lit = &rest[i + 1..i + 1 + j];
        let t = lit.trim_start_matches(['|', '<', '>', '=']);
        if t == "object"
            || t.strip_prefix('O')
                .is_some_and(|d| d.chars().all(|c| c.is_ascii_digit()))
        {
            return true;
        }
        rest = &rest[i + 2 + j..];
    }
    false
}

/// The `general.license` value of a GGUF file's metadata, read with the scanner's bounded parser.
pub fn gguf_license(path: &Path) -> Option<String> {
    let size = std::fs::metadata(path).ok()?.len();
    gguf::check_with_license(path, size, "")
        .1
        .filter(|l| !l.trim().is_empty())
}

#[cfg(test)]
mod tests;
