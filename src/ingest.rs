//! Ingest: turn a source (local folder, single weights file, Hub repo, MOF entry) into a new
//! revision ready for the catalogue: files with digests and formats, card and config, license
//! claims, components, base models and findings.

use crate::finding::{Code, Finding, Severity};
use crate::record::{BaseModelRef, ComponentRecord, FileRecord, SourceInfo};

/// Finding codes of this module.
pub const CODES: &[Code] = &[];

/// A license as some source states it, with where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct LicenseClaim {
    /// `declared` (metadata says so) or `detected` (identified from a text).
    pub kind: ClaimKind,
    /// The value as stated (a Hub tag, a name, an SPDX id or expression).
    pub value: String,
    /// The field or file it came from: `card.license`, `card.license_name`, `hub.tag`, `LICENSE`, `gguf:general.license`…
    pub from: String,
    /// For detected claims, the identifier's confidence (0–1).
    pub confidence: Option<f64>,
}

/// Whether a license claim was declared in metadata or detected from a text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaimKind {
    Declared,
    Detected,
}

/// A revision assembled from a source, not yet stored.
#[derive(Debug, Clone)]
pub struct Ingested {
    /// The model name (from `--name`, the Hub id, the card's `model_name`, or the folder name).
    pub name: String,
    /// The revision id: the Hub commit, or the first 12 hex digits of the manifest's SHA-256.
    pub revision: String,
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
}

#[allow(dead_code)]
const _: Severity = Severity::Info;
