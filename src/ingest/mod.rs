//! Ingest: turn a source (local folder, single weights file, Hub repo, MOF entry) into a new
//! revision ready for the catalogue: files with digests and formats, card and config, license
//! claims, components, base models and findings.

use crate::finding::Finding;
use crate::format::{self, FileFormat};
pub mod card;
mod hub;
mod mof;
mod tap;

pub use card::parse_card_yaml;
pub use hub::{ingest_cache, ingest_cached, ingest_hub, ingest_snapshot};
pub use mof::ingest_mof;

use crate::hashing::{self, HashError};
use crate::ids::{ModelName, Revision};
use crate::manifest::Manifest;
use crate::record::{BaseModelRef, ComponentRecord, FileRecord, FileTensors, SourceInfo};
use crate::scan;
use std::path::{Path, PathBuf};

crate::finding_codes! {
    /// Finding codes of this module.
    pub enum IngestCode {
        SymlinkOutsideModel = "symlink-outside-model", High, "a symlink points outside the model folder; it was not followed";
        SymlinkBroken = "symlink-broken", Medium, "a symlink is dangling or part of a loop; it was not followed";
        SymlinkDirectorySkipped = "symlink-directory-skipped", Info, "a symlink to a folder inside the model was not followed (its files are recorded under their real path)";
        SpecialFileSkipped = "special-file-skipped", Low, "a FIFO, socket or device node in the model folder was not read";
        PathNotUtf8 = "path-not-utf8", Medium, "a file name is not valid UTF-8; it is recorded lossily";
        ModelCardInvalid = "model-card-invalid", Medium, "the model card's YAML front matter does not parse";
        ModelCardTooLarge = "model-card-too-large", Medium, "the model card or its front matter exceeds the size limit; it was not parsed";
        ModelCardMissing = "model-card-missing", Low, "the model has no README.md model card";
        ConfigInvalid = "config-invalid", Medium, "config.json is not valid JSON or exceeds the size limit";
    }
}

/// The largest README read for its front matter; a card is prose, not data.
pub const MAX_CARD_BYTES: u64 = 4 << 20;
/// The largest YAML front matter parsed.
pub const MAX_FRONT_MATTER_BYTES: usize = 256 << 10;
/// The largest config.json parsed.
pub const MAX_CONFIG_BYTES: u64 = 16 << 20;

pub use crate::license::{ClaimKind, LicenseClaim};

/// A revision assembled from a source, not yet stored.
#[derive(Debug, Clone)]
pub struct Ingested {
    /// The model name (from `--name`, the Hub id, the card's `model_name`, or the folder name).
    pub name: ModelName,
    /// The revision id: the Hub commit, or the first 12 hex digits of the manifest's SHA-256.
    pub revision: Revision,
    pub source: SourceInfo,
    pub files: Vec<FileRecord>,
    /// Raw model-card front matter text, kept verbatim for provenance.
    pub card_raw: Option<String>,
    /// The parsed card front matter.
    pub card: Option<serde_json::Value>,
    pub config: Option<serde_json::Value>,
    /// Source-specific metadata (Hub model info, MOF release fields).
    pub metadata: Option<serde_json::Value>,
    pub base_models: Vec<BaseModelRef>,
    pub license_claims: Vec<LicenseClaim>,
    pub components: Vec<ComponentRecord>,
    pub findings: Vec<Finding>,
    /// The tensor digests of each safetensors and GGUF file whose bytes were read.
    pub tensors: Vec<FileTensors>,
}

/// Errors that stop an ingest; nothing is recorded.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("`{0}` does not exist")]
    NotFound(PathBuf),
    #[error("cannot read `{path}`")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("`{0}` contains no files")]
    Empty(PathBuf),
    #[error(
        "`{0}` is not a model folder, a .safetensors or .gguf weights file, or a MOF model YAML"
    )]
    NotAModel(PathBuf),
    #[error(transparent)]
    Hash(#[from] HashError),
    #[error(transparent)]
    Hub(#[from] crate::hub::HubError),
    #[error("cannot walk `{path}`")]
    Walk {
        path: PathBuf,
        #[source]
        source: walkdir::Error,
    },
}

/// What a local source is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LocalKind {
    /// A model folder.
    Folder,
    /// A single weights file (`.safetensors`, `.gguf`), a model of one file.
    WeightsFile,
    /// A Model Openness Tool YAML entry.
    MofYaml,
}

/// Decides what kind of local source `path` is, without hashing anything.
pub fn classify_local(path: &Path) -> Result<LocalKind, IngestError> {
    let meta = std::fs::metadata(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => IngestError::NotFound(path.to_path_buf()),
        _ => IngestError::Io {
            path: path.to_path_buf(),
            source: e,
        },
    })?;
    if meta.is_dir() {
        return Ok(LocalKind::Folder);
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let fmt = format::detect(path, &name, meta.len()).map_err(|source| IngestError::Io {
        path: path.into(),
        source,
    })?;
    match fmt {
        FileFormat::Safetensors | FileFormat::Gguf => Ok(LocalKind::WeightsFile),
        _ if name.ends_with(".yml") || name.ends_with(".yaml") => Ok(LocalKind::MofYaml),
        _ => Err(IngestError::NotAModel(path.to_path_buf())),
    }
}

/// Options for a local ingest.
pub struct LocalOptions<'a> {
    /// `--name`, overriding the card's `model_name` and the folder name.
    pub name: Option<ModelName>,
    /// Told the total up front, then the number of bytes hashed.
    pub progress: &'a dyn hashing::Progress,
    /// Hash and scan every file (`add`), or only describe the model — files, card, config,
    /// license texts — without reading the weights (`classify PATH`). A description has no
    /// digests and an empty revision.
    pub read_weights: bool,
}

/// A source as the command line names it: what `add`, `classify` and `smoke` take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A model folder.
    Folder(PathBuf),
    /// A single `.safetensors` or `.gguf` weights file: a model of one file.
    WeightsFile(PathBuf),
    /// A Model Openness Tool model entry (YAML): a model described, not its bytes.
    Mof(PathBuf),
    /// `hf:OWNER/NAME[@REV]`.
    Hub {
        repo: String,
        revision: Option<String>,
    },
}

impl Source {
    /// What `spec` names: `hf:…`, else an existing path (a folder, a weights file or a MOF
    /// YAML). A path that does not exist or is none of these is an error.
    pub fn parse(spec: &str) -> Result<Source, IngestError> {
        if let Some(hub) = spec.strip_prefix("hf:") {
            let (repo, revision) = crate::hub::parse_repo_spec(hub)?;
            return Ok(Source::Hub { repo, revision });
        }
        let path = PathBuf::from(spec);
        Ok(match classify_local(&path)? {
            LocalKind::Folder => Source::Folder(path),
            LocalKind::WeightsFile => Source::WeightsFile(path),
            LocalKind::MofYaml => Source::Mof(path),
        })
    }
}

/// One file found in a folder walk: where to read it, and its recorded relative path.
#[derive(Debug, Clone)]
pub struct WalkedFile {
    pub real: PathBuf,
    pub rel: String,
    pub size: u64,
}

/// Walks a model folder: regular files and symlinks to files inside it, sorted by relative path,
/// with findings for everything skipped. `.git` and huggingface_hub's `.cache` are not model content.
pub fn walk(root: &Path) -> Result<(Vec<WalkedFile>, Vec<Finding>), IngestError> {
    let canon_root = std::fs::canonicalize(root).map_err(|source| IngestError::Io {
        path: root.into(),
        source,
    })?;
    // A folder inside a Hugging Face cache snapshot links every file to `../../blobs/<etag>`; those
    // links are the cache's own layout, so the repo folder is the boundary instead.
    let boundary = hf_snapshot_repo(&canon_root).unwrap_or_else(|| canon_root.clone());
    let mut files = Vec::new();
    let mut findings = Vec::new();
    let walker = walkdir::WalkDir::new(root)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| {
            !(e.depth() == 1
                && e.file_type().is_dir()
                && (e.file_name() == ".git" || e.file_name() == ".cache"))
        });
    for entry in walker {
        let entry = entry.map_err(|source| IngestError::Walk {
            path: root.to_path_buf(),
            source,
        })?;
        if entry.depth() == 0 {
            continue;
        }
        let rel_path = entry
            .path()
            .strip_prefix(root)
            .expect("walk stays under root");
        let rel = rel_string(rel_path);
        if rel.lossy {
            findings.push(
                Finding::new(
                    &IngestCode::PathNotUtf8,
                    format!("file name `{}` is not valid UTF-8", rel.text),
                )
                .at(rel.text.clone()),
            );
        }
        let ft = entry.file_type();
        if ft.is_dir() {
            continue;
        }
        if ft.is_symlink() {
            match std::fs::canonicalize(entry.path()) {
                Err(e) => findings.push(
                    Finding::new(
                        &IngestCode::SymlinkBroken,
                        format!("symlink `{}` cannot be resolved: {e}", rel.text),
                    )
                    .at(rel.text.clone()),
                ),
                Ok(target) if !target.starts_with(&boundary) => findings.push(
                    Finding::new(
                        &IngestCode::SymlinkOutsideModel,
                        format!("symlink `{}` points outside the model folder", rel.text),
                    )
                    .at(rel.text.clone())
                    .with_evidence(target.display().to_string()),
                ),
                Ok(target) => {
                    let meta = std::fs::metadata(&target).map_err(|source| IngestError::Io {
                        path: target.clone(),
                        source,
                    })?;
                    if meta.is_dir() {
                        findings.push(
                            Finding::new(
                                &IngestCode::SymlinkDirectorySkipped,
                                format!("symlink `{}` to a folder was not followed", rel.text),
                            )
                            .at(rel.text.clone()),
                        );
                    } else if meta.is_file() {
                        files.push(WalkedFile {
                            real: target,
                            rel: rel.text,
                            size: meta.len(),
                        });
                    } else {
                        findings.push(special(&rel.text));
                    }
                }
            }
            continue;
        }
        if !ft.is_file() {
            findings.push(special(&rel.text));
            continue;
        }
        let meta = entry.metadata().map_err(|source| IngestError::Walk {
            path: entry.path().into(),
            source,
        })?;
        files.push(WalkedFile {
            real: entry.path().to_path_buf(),
            rel: rel.text,
            size: meta.len(),
        });
    }
    files.sort_by(|a, b| a.rel.cmp(&b.rel));
    Ok((files, findings))
}

fn special(rel: &str) -> Finding {
    Finding::new(
        &IngestCode::SpecialFileSkipped,
        format!("`{rel}` is not a regular file; it was not read"),
    )
    .at(rel.to_string())
}

/// `…/models--owner--name/snapshots/<commit>` → `…/models--owner--name`.
fn hf_snapshot_repo(dir: &Path) -> Option<PathBuf> {
    let mut cur = dir;
    while let Some(parent) = cur.parent() {
        if parent.file_name().is_some_and(|n| n == "snapshots") {
            let repo = parent.parent()?;
            let name = repo.file_name()?.to_string_lossy();
            if name.starts_with("models--")
                || name.starts_with("datasets--")
                || name.starts_with("spaces--")
            {
                return Some(repo.to_path_buf());
            }
            return None;
        }
        cur = parent;
    }
    None
}

struct RelName {
    text: String,
    lossy: bool,
}

fn rel_string(rel: &Path) -> RelName {
    let mut lossy = false;
    let parts: Vec<String> = rel
        .components()
        .map(|c| {
            let s = c.as_os_str();
            match s.to_str() {
                Some(t) => t.to_string(),
                None => {
                    lossy = true;
                    s.to_string_lossy().into_owned()
                }
            }
        })
        .collect();
    RelName {
        text: parts.join("/"),
        lossy,
    }
}

/// Ingests a local model folder or single weights file: walks, sniffs, hashes (in parallel), and
/// reads the card and config. Unreadable files stop the ingest; nothing partial is returned.
pub fn ingest_local(path: &Path, opts: &LocalOptions<'_>) -> Result<Ingested, IngestError> {
    let kind = classify_local(path)?;
    let (walked, mut findings) = match kind {
        LocalKind::Folder => walk(path)?,
        LocalKind::WeightsFile => {
            let meta = std::fs::metadata(path).map_err(|source| IngestError::Io {
                path: path.into(),
                source,
            })?;
            let rel = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            (
                vec![WalkedFile {
                    real: path.to_path_buf(),
                    rel,
                    size: meta.len(),
                }],
                Vec::new(),
            )
        }
        LocalKind::MofYaml => return Err(IngestError::NotAModel(path.to_path_buf())),
    };
    if walked.is_empty() {
        return Err(IngestError::Empty(path.to_path_buf()));
    }
    let mut gguf_licenses = Vec::new();
    let mut tensors = Vec::new();
    let files = if opts.read_weights {
        let read = hash_and_scan(&walked, opts.progress, &mut findings)?;
        gguf_licenses = read.gguf_licenses;
        tensors = read.tensors;
        read.files
    } else {
        describe(&walked)?
    };

    let readme = walked
        .iter()
        .find(|f| f.rel.eq_ignore_ascii_case("README.md"));
    let card = match readme {
        Some(f) => card::read(&f.real, &f.rel, &mut findings)?,
        None => {
            if kind == LocalKind::Folder {
                findings.push(Finding::new(
                    &IngestCode::ModelCardMissing,
                    "no README.md model card",
                ));
            }
            None
        }
    };
    let mut text_claims = Vec::new();
    for (w, f) in walked.iter().zip(&files) {
        if f.format == FileFormat::License.as_str() {
            text_claims.extend(license_file_claim(&w.real, &w.rel, &mut findings));
        }
        // Read with the header when the bytes were hashed; else from the header alone.
        let gguf_license = || match gguf_licenses.iter().find(|(p, _)| *p == w.rel) {
            Some((_, l)) => Some(l.clone()),
            None if !opts.read_weights => crate::scan::gguf_license(&w.real),
            None => None,
        };
        if f.format == FileFormat::Gguf.as_str()
            && let Some(value) = gguf_license()
        {
            text_claims.push(LicenseClaim {
                kind: ClaimKind::Declared,
                value,
                from: format!("gguf:{}:general.license", w.rel),
                confidence: None,
            });
        }
    }
    let config = match walked.iter().find(|f| f.rel == "config.json") {
        Some(f) => read_config(&f.real, &mut findings)?,
        None => None,
    };
    let (card_raw, card) = card.unzip();
    let mut license_claims = card_claims(card.as_ref());
    license_claims.extend(text_claims);
    let base_models = base_models(card.as_ref(), &files);
    let name = opts
        .name
        .clone()
        .or_else(|| card_str(card.as_ref(), "model_name").map(ModelName::from))
        .unwrap_or_else(|| default_name(path, &kind).into());
    let revision = if opts.read_weights {
        Manifest::from_files(&files).revision_id()
    } else {
        Revision::default()
    };
    let location = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    Ok(Ingested {
        name,
        revision,
        source: SourceInfo {
            kind: crate::record::SourceKind::Local,
            location: location.display().to_string(),
            revision: None,
        },
        files,
        card_raw,
        card,
        config,
        metadata: None,
        base_models,
        license_claims,
        components: Vec::new(),
        findings,
        tensors,
    })
}

/// What one read of every file of a revision gave.
struct Read {
    files: Vec<FileRecord>,
    tensors: Vec<FileTensors>,
    /// GGUF `general.license` values, by relative path.
    gguf_licenses: Vec<(String, String)>,
}

/// Identifies a LICENSE-like file: one detected claim for the whole text (a license plus an
/// appended use policy is one claim, `A AND B`), and findings where it is unidentified or partial.
/// Hashes every walked file (in parallel) and scans it: the files of a revision to record. Each
/// file is read once: the read that hashes it also digests its tensors and keeps what the scan
/// needs ([`tap::FileTap`]).
fn hash_and_scan(
    walked: &[WalkedFile],
    progress: &dyn hashing::Progress,
    findings: &mut Vec<Finding>,
) -> Result<Read, IngestError> {
    let total: u64 = walked.iter().map(|f| f.size).sum();
    progress.set_total(total, walked.len());
    let reals: Vec<PathBuf> = walked.iter().map(|f| f.real.clone()).collect();
    let taps = walked
        .iter()
        .map(|w| tap::FileTap::new(&w.rel, w.size))
        .collect();
    let digests = hashing::hash_files_tapped(&reals, hashing::default_threads(), progress, taps);
    let mut out = Read {
        files: Vec::with_capacity(walked.len()),
        tensors: Vec::new(),
        gguf_licenses: Vec::new(),
    };
    for (w, d) in walked.iter().zip(digests) {
        let (d, tap) = d?;
        // Structural damage and code-execution risk, from the file's own bytes (headers only
        // for safetensors/GGUF; pickles are disassembled, never loaded).
        let tapped = tap.finish(&w.real);
        // The format from the bytes already read; a zip's member names are read from its end.
        let fmt = if tapped.head.len() as u64 == d.size.min(scan::CAPTURE_HEAD as u64)
            && !tapped.head.starts_with(b"PK")
        {
            let head = &tapped.head[..tapped.head.len().min(format::SNIFF_LEN)];
            format::sniff(&w.rel, head, d.size, None)
        } else {
            format::detect(&w.real, &w.rel, d.size).map_err(|source| IngestError::Io {
                path: w.real.clone(),
                source,
            })?
        };
        findings.extend(tapped.findings);
        if !tapped.tensors.is_empty() {
            out.tensors.push(FileTensors {
                path: w.rel.clone(),
                tensors: tapped.tensors,
            });
        }
        if let Some(l) = tapped.license.filter(|l| !l.trim().is_empty()) {
            out.gguf_licenses.push((w.rel.clone(), l));
        }
        out.files.push(FileRecord {
            path: w.rel.clone(),
            size: d.size,
            sha256: Some(d.sha256),
            git_oid: None,
            format: fmt,
        });
    }
    Ok(out)
}

/// The walked files with their formats (sniffed from the first bytes), not hashed.
fn describe(walked: &[WalkedFile]) -> Result<Vec<FileRecord>, IngestError> {
    walked
        .iter()
        .map(|w| {
            let format =
                format::detect(&w.real, &w.rel, w.size).map_err(|source| IngestError::Io {
                    path: w.real.clone(),
                    source,
                })?;
            Ok(FileRecord {
                path: w.rel.clone(),
                size: w.size,
                sha256: None,
                git_oid: None,
                format,
            })
        })
        .collect()
}

/// A LICENSE-like text becomes one detected claim: the one place that turns a text (or the
/// reason it could not be read as one) into a claim and its findings, for every source.
pub fn license_text_claim(
    rel: &str,
    text: Result<&str, String>,
    findings: &mut Vec<Finding>,
) -> Option<LicenseClaim> {
    use crate::license::detect;
    let text = match text {
        Ok(t) => t,
        Err(why) => {
            findings.push(
                Finding::new(
                    &crate::license::LICENSE_TEXT_UNIDENTIFIED,
                    format!("`{rel}` was not identified"),
                )
                .at(rel)
                .with_evidence(why),
            );
            return None;
        }
    };
    let detected = crate::license::identify_text(text);
    findings.extend(detect::text_findings(rel, &detected));
    if detected.is_empty() {
        return None;
    }
    let confidence = detected.iter().map(|d| d.confidence).fold(1.0, f64::min);
    Some(LicenseClaim {
        kind: ClaimKind::Detected,
        value: detect::expression_of(&detected),
        from: format!("file:{rel}"),
        confidence: Some(confidence),
    })
}

/// [`license_text_claim`] for a file on disk.
pub fn license_file_claim(
    real: &Path,
    rel: &str,
    findings: &mut Vec<Finding>,
) -> Option<LicenseClaim> {
    let text = crate::license::detect::read_text(real).map_err(|e| e.to_string());
    license_text_claim(rel, text.as_deref().map_err(Clone::clone), findings)
}

/// The license claims a model card's front matter makes: `license` (a string or a list),
/// `license_name` and `license_link`, each kept as written.
pub fn card_claims(card: Option<&serde_json::Value>) -> Vec<LicenseClaim> {
    let mut out = Vec::new();
    let Some(card) = card else { return out };
    for key in ["license", "license_name", "license_link"] {
        let values: Vec<&str> = match card.get(key) {
            Some(serde_json::Value::String(v)) => vec![v.as_str()],
            Some(serde_json::Value::Array(vs)) => vs.iter().filter_map(|v| v.as_str()).collect(),
            _ => Vec::new(),
        };
        for v in values.into_iter().map(str::trim).filter(|v| !v.is_empty()) {
            out.push(LicenseClaim {
                kind: ClaimKind::Declared,
                value: v.to_string(),
                from: format!("card:{key}"),
                confidence: None,
            });
        }
    }
    out
}

fn default_name(path: &Path, kind: &LocalKind) -> String {
    // Canonicalise first so that `.` or `../x/` still name the folder itself.
    let canon = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let base = match kind {
        LocalKind::WeightsFile => canon.file_stem(),
        _ => canon.file_name(),
    };
    base.map(|b| b.to_string_lossy().into_owned())
        .unwrap_or_else(|| "model".to_string())
}

/// The root folder of a local source (the folder itself, or a weights file's parent).
pub fn local_root(location: &Path) -> PathBuf {
    if location.is_dir() {
        location.to_path_buf()
    } else {
        location.parent().map(Path::to_path_buf).unwrap_or_default()
    }
}

fn card_str(card: Option<&serde_json::Value>, key: &str) -> Option<String> {
    card?
        .get(key)?
        .as_str()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

pub(crate) fn json_kind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "a list",
        serde_json::Value::Object(_) => "a mapping",
    }
}

fn read_config(
    path: &Path,
    findings: &mut Vec<Finding>,
) -> Result<Option<serde_json::Value>, IngestError> {
    let size = std::fs::metadata(path)
        .map_err(|source| IngestError::Io {
            path: path.into(),
            source,
        })?
        .len();
    if size > MAX_CONFIG_BYTES {
        findings.push(
            Finding::new(
                &IngestCode::ConfigInvalid,
                format!("config.json is {size} bytes (limit {MAX_CONFIG_BYTES}); not parsed"),
            )
            .at("config.json"),
        );
        return Ok(None);
    }
    let bytes = std::fs::read(path).map_err(|source| IngestError::Io {
        path: path.into(),
        source,
    })?;
    match serde_json::from_slice::<serde_json::Value>(&bytes) {
        Ok(v @ serde_json::Value::Object(_)) => Ok(Some(v)),
        Ok(other) => {
            findings.push(
                Finding::new(
                    &IngestCode::ConfigInvalid,
                    format!("config.json holds {}, not an object", json_kind(&other)),
                )
                .at("config.json"),
            );
            Ok(None)
        }
        Err(e) => {
            findings.push(
                Finding::new(
                    &IngestCode::ConfigInvalid,
                    format!("config.json does not parse: {e}"),
                )
                .at("config.json"),
            );
            Ok(None)
        }
    }
}

/// Base models named by the card (`base_model`: a string or a list), with their relation from
/// `base_model_relation`, else inferred: several parents are a merge, an adapter config marks an
/// adapter, GGUF-only weights a quantization, anything else a fine-tune.
pub fn base_models(card: Option<&serde_json::Value>, files: &[FileRecord]) -> Vec<BaseModelRef> {
    let Some(card) = card else { return Vec::new() };
    let names: Vec<String> = match card.get("base_model") {
        Some(serde_json::Value::String(s)) => vec![s.clone()],
        Some(serde_json::Value::Array(a)) => a
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    };
    let names: Vec<String> = names
        .into_iter()
        .map(|n| n.trim().to_string())
        .filter(|n| !n.is_empty())
        .collect();
    use crate::record::Relation;
    let explicit = card_str(Some(card), "base_model_relation")
        .and_then(|r| Relation::parse(&r.to_ascii_lowercase()))
        .filter(|r| *r != Relation::Unknown);
    let has = |p: &dyn Fn(&FileRecord) -> bool| files.iter().any(p);
    let relation = explicit.unwrap_or_else(|| {
        if names.len() > 1 {
            Relation::Merge
        } else if has(&|f| f.path.ends_with("adapter_config.json")) {
            Relation::Adapter
        } else if has(&|f| f.format == "gguf")
            && !has(&|f| f.format == "safetensors" || f.format == "pytorch")
        {
            Relation::Quantized
        } else {
            Relation::Finetune
        }
    });
    names
        .into_iter()
        .map(|name| BaseModelRef {
            name: name.into(),
            relation,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::card::{FrontMatterError, front_matter};
    use super::*;

    #[test]
    fn front_matter_extraction() {
        assert!(front_matter("# Title\n---\n").is_none());
        let t = "---\nlicense: mit\n---\n# Model\n";
        assert_eq!(front_matter(t).unwrap().ok(), Some("license: mit\n"));
        assert!(matches!(
            front_matter("---\nlicense: mit\n"),
            Some(Err(FrontMatterError::Unterminated))
        ));
        assert_eq!(
            front_matter("\u{feff}---\r\na: 1\r\n---\r\n").unwrap().ok(),
            Some("a: 1\r\n")
        );
    }

    #[test]
    fn card_yaml_is_strict_and_bounded() {
        let v = parse_card_yaml("language: [en, no]\nlicense: apache-2.0\n").unwrap();
        assert_eq!(v["language"][1], "no");
        assert!(
            parse_card_yaml("license: mit\nlicense: apache-2.0\n").is_err(),
            "duplicate keys are ambiguous"
        );
        let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x]\n");
        let mut prev = 'a';
        for c in 'b'..='j' {
            bomb.push_str(&format!("{c}: &{c} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"));
            prev = c;
        }
        assert!(
            parse_card_yaml(&bomb).is_err(),
            "alias bomb must hit the budget"
        );
        assert!(parse_card_yaml("- a\n- b\n").is_err());
        assert!(parse_card_yaml("key: [unclosed\n").is_err());
    }

    #[test]
    fn base_model_relations() {
        let f = |p: &str, fmt: &str| FileRecord {
            path: p.into(),
            size: 1,
            sha256: None,
            git_oid: None,
            format: fmt.into(),
        };
        let card = serde_json::json!({"base_model": "meta-llama/Llama-3.1-8B"});
        let b = base_models(Some(&card), &[f("model.safetensors", "safetensors")]);
        assert_eq!(b[0].relation, "finetune");
        assert_eq!(
            base_models(Some(&card), &[f("m.gguf", "gguf")])[0].relation,
            "quantized"
        );
        assert_eq!(
            base_models(Some(&card), &[f("adapter_config.json", "config")])[0].relation,
            "adapter"
        );
        let merge = serde_json::json!({"base_model": ["a/b", "c/d"]});
        assert!(
            base_models(Some(&merge), &[])
                .iter()
                .all(|b| b.relation == "merge")
        );
        let explicit = serde_json::json!({"base_model": "a/b", "base_model_relation": "adapter"});
        assert_eq!(base_models(Some(&explicit), &[])[0].relation, "adapter");
    }

    #[test]
    fn snapshot_boundary() {
        let p = Path::new("/c/hub/models--a--b/snapshots/0123/sub");
        assert_eq!(
            hf_snapshot_repo(p),
            Some(PathBuf::from("/c/hub/models--a--b"))
        );
        assert_eq!(hf_snapshot_repo(Path::new("/x/y/z")), None);
    }
}
