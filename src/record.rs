//! The model record: the stable, versioned JSON document that `show --format json` prints and that
//! reports are rendered from. Key names and meanings are fixed by DESIGN.md; add keys, never rename.

use crate::finding::Finding;
use crate::ids::{GitOid, LicenseExpr, ModelId, ModelName, Revision, Sha256};
use serde::{Deserialize, Serialize};

crate::string_enum! {
    /// How a model derives from a base model its card names.
    pub enum Relation {
        Finetune = "finetune",
        Adapter = "adapter",
        Quantized = "quantized",
        Merge = "merge",
        /// The card names a base without saying how it derives from it.
        Unknown = "unknown",
    }
}

crate::string_enum! {
    /// The OSAID 1.0 verdict.
    pub enum OpennessClass {
        OpenSource = "open-source",
        OpenWeight = "open-weight",
        Closed = "closed",
    }
}

crate::string_enum! {
    /// Whether the weights' terms are open (OSD-conformant, no use restrictions).
    pub enum WeightsTerms {
        Open = "open",
        /// Use restrictions: field of use, acceptable-use policy, user thresholds, non-commercial.
        Restricted = "restricted",
        /// No license, or one that is not recognised.
        Unknown = "unknown",
    }
}

crate::string_enum! {
    /// Whether a MOF component is supplied with the model.
    pub enum ComponentStatus {
        Included = "included",
        NotIncluded = "not_included",
        Unknown = "unknown",
    }
}

crate::string_enum! {
    /// The result of a smoke test.
    pub enum SmokeStatus {
        Passed = "passed",
        /// The weights are broken: they did not load or run.
        Failed = "failed",
        /// The bundled runtime cannot run this architecture; only structural checks ran.
        Unsupported = "unsupported",
    }
}

/// Version of the record document; bump only on incompatible changes.
pub const RECORD_SCHEMA: u32 = 1;

/// Everything the catalogue knows about one model revision.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ModelRecord {
    pub schema: u32,
    /// `NAME@REVISION`.
    pub id: ModelId,
    pub name: ModelName,
    pub revision: Revision,
    /// Every revision of this model, oldest first.
    pub revisions: Vec<RevisionSummary>,
    pub source: SourceInfo,
    pub files: Vec<FileRecord>,
    pub license: LicenseSection,
    pub openness: Option<OpennessSection>,
    pub findings: Vec<Finding>,
    pub smoke: Option<SmokeSection>,
    /// The model card's YAML front matter as parsed (JSON form), if there was one.
    #[serde(default)]
    pub card: Option<serde_json::Value>,
    /// `config.json` as recorded, if there was one.
    #[serde(default)]
    pub config: Option<serde_json::Value>,
    /// Base models named by the card, as written (`base_model`), with their relation.
    #[serde(default)]
    pub base_models: Vec<BaseModelRef>,
    /// The OpenSSF model signature (`model.sig`) found when the revision was added.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<SignatureSection>,
    /// The same weights elsewhere in the catalogue: identical files and shared tensors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lineage: Option<LineageSection>,
    /// What `outdated` saw when it asked the Hub again, newest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub upstream: Vec<UpstreamObservation>,
}

/// Where else in the catalogue this revision's weights are.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineageSection {
    /// How many tensor digests this revision has (safetensors and GGUF files read at `add`).
    pub tensors: u64,
    /// Distinct tensor digests of this revision that more than 1,000 revisions hold (constant
    /// tensors such as zeros): not counted as shared.
    #[serde(default)]
    pub common_tensors: u64,
    /// Weights files that another revision holds byte for byte.
    pub identical_files: Vec<IdenticalFile>,
    /// Other revisions holding some of this revision's tensors, most shared first.
    pub shared_tensors: Vec<SharedTensors>,
}

/// A weights file that another revision holds byte for byte.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdenticalFile {
    pub path: String,
    pub sha256: Sha256,
    /// The other revision, `NAME@REVISION`.
    pub other: ModelId,
    pub other_path: String,
}

impl IdenticalFile {
    /// "model.safetensors is byte-identical to NAME@REV".
    pub fn describe(&self) -> String {
        let also = if self.other_path == self.path {
            String::new()
        } else {
            format!(" (`{}`)", self.other_path)
        };
        format!("`{}` is byte-identical to {}{also}", self.path, self.other)
    }
}

/// Another revision holding some of this revision's tensors (by digest).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SharedTensors {
    pub other: ModelId,
    /// How many of this revision's distinct tensor digests the other holds…
    pub shared: u64,
    /// …of how many (those too common to count left out).
    pub of: u64,
    /// How many tensors the other revision has.
    pub other_tensors: u64,
}

impl SharedTensors {
    /// "shares 196 of 199 tensors with NAME@REV".
    pub fn describe(&self) -> String {
        format!(
            "shares {} of {} tensors with {} (which has {})",
            self.shared, self.of, self.other, self.other_tensors
        )
    }
}

/// One look at the Hub by `outdated`: when, which ref and where it pointed, and what drifted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UpstreamObservation {
    pub observed_at: String,
    /// `current` or `drift`.
    pub status: String,
    /// The branch the revision was added from (`main` for `add hf:o/n`), or the pinned commit.
    pub ref_name: Option<String>,
    /// Where the ref points now (none when the repo is gone).
    pub head: Option<String>,
    /// What drifted (empty when current).
    pub findings: Vec<Finding>,
}

/// Who signed a model (OpenSSF model signing): a key, or a certificate with its identity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signer {
    /// `key`, `certificate` or `sigstore`.
    pub kind: String,
    /// `sha256:` of the public key's SubjectPublicKeyInfo DER (key), or of the leaf certificate's
    /// DER; absent for a bundle that names its key only by a hint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<String>,
    /// What model signing ≥ 1.1 writes instead of the key: hex SHA-256 of the key's PEM text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_hint: Option<String>,
    /// The key's algorithm (`PKIX_ECDSA_P256_SHA_256`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub algorithm: Option<String>,
    /// The leaf certificate's subject (RFC 4514).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// The leaf certificate's subject alternative names (e-mail, URI, DNS).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub san: Vec<String>,
    /// The leaf certificate's issuer (RFC 4514).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate_issuer: Option<String>,
    /// The OIDC issuer Fulcio recorded (keyless signatures).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oidc_issuer: Option<String>,
}

impl Signer {
    /// One line for people: the key fingerprint, or the identity and its issuer.
    pub fn describe(&self) -> String {
        let fp = self
            .fingerprint
            .clone()
            .or_else(|| self.key_hint.as_ref().map(|h| format!("PEM sha256 {h}")))
            .unwrap_or_default();
        if self.kind == "key" {
            return format!("key {fp}");
        }
        let who = self
            .san
            .first()
            .cloned()
            .or_else(|| self.subject.clone())
            .unwrap_or_default();
        match &self.oidc_issuer {
            Some(i) => format!("{who} (issuer {i})"),
            None => format!("{who} (certificate {fp})"),
        }
    }
}

/// A `model.sig` as `add` found it: the signer it names and what it covers. `add` checks the
/// bundle is self-consistent and compares its digests with the recorded ones; whether the signer
/// is trusted is for `verify --signature` and the policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignatureSection {
    /// The signature file, relative to the model folder.
    pub path: String,
    /// The statement's predicate type.
    pub predicate_type: String,
    pub signer: Option<Signer>,
    /// How many files the statement lists.
    pub files_signed: usize,
    /// Recorded files whose digest the statement lists.
    pub files_covered: usize,
    /// Recorded files the statement does not list (besides the signature).
    #[serde(default)]
    pub unsigned: Vec<String>,
    /// Files whose recorded digest differs from the signed one.
    #[serde(default)]
    pub mismatched: Vec<String>,
    /// Files the statement lists that were not recorded.
    #[serde(default)]
    pub missing: Vec<String>,
}

/// One revision of a model and when it was recorded.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct RevisionSummary {
    pub revision: Revision,
    pub added_at: String,
}

crate::string_enum! {
    /// What kind of source a revision came from.
    pub enum SourceKind {
        /// A folder or a single weights file on this machine.
        Local = "local",
        /// A Hugging Face Hub repo at a pinned commit (or its copy in the HF cache).
        Hub = "hub",
        /// A Model Openness Tool entry: a model described, not its bytes.
        Mof = "mof",
    }
}

crate::string_enum! {
    /// What an API token may do on the registry server. Each role can do everything the one
    /// before it can.
    pub enum Role {
        /// Read everything.
        Reader = "reader",
        /// Reader, and add, audit, approve and revoke.
        Auditor = "auditor",
        /// Auditor, and manage tokens and remove models.
        Admin = "admin",
    }
}

impl Role {
    /// Whether this role may do what `needed` may.
    pub fn allows(self, needed: Role) -> bool {
        let rank = |r: Role| Role::ALL.iter().position(|x| *x == r).unwrap_or(0);
        rank(self) >= rank(needed)
    }
}

/// Where a revision came from.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SourceInfo {
    pub kind: SourceKind,
    /// A folder or file path, `hf:owner/name`, or a MOF YAML path.
    pub location: String,
    /// The source's own revision (Hub commit), where it has one.
    pub revision: Option<Revision>,
}

/// One file of a model revision.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct FileRecord {
    pub path: String,
    pub size: u64,
    /// SHA-256 in lowercase hex; `None` where only a git blob id is known (non-LFS Hub files).
    pub sha256: Option<Sha256>,
    /// Git blob id (sha1) as the Hub reports it.
    pub git_oid: Option<GitOid>,
    pub format: crate::format::FileFormat,
}

/// The SHA-256 of one tensor's raw bytes in a safetensors or GGUF file, computed at `add` in the
/// read that hashes the file.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct TensorDigest {
    pub name: String,
    /// As the format names it (`F32`, `BF16`, `Q4_1`, …).
    pub dtype: String,
    pub shape: Vec<u64>,
    pub sha256: Sha256,
}

/// The tensor digests of one weights file of a revision.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct FileTensors {
    pub path: String,
    pub tensors: Vec<TensorDigest>,
}

/// A base model named by the card (`base_model`), with the relation when the card or tags say it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct BaseModelRef {
    pub name: ModelName,
    pub relation: Relation,
}

/// License facts and their resolution.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct LicenseSection {
    pub declared: Vec<DeclaredLicense>,
    pub detected: Vec<DetectedLicense>,
    /// SPDX expression with `LicenseRef-…` for non-SPDX terms, or `NOASSERTION`.
    pub effective: LicenseExpr,
    pub base_chain: Vec<BaseLicense>,
    pub conflicts: Vec<LicenseConflict>,
    pub obligations: Vec<serde_json::Value>,
}

/// A license as some metadata states it (`from` names the field or file).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct DeclaredLicense {
    pub value: String,
    pub from: String,
}

/// A license identified from a text, with the identifier's confidence (0–1).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct DetectedLicense {
    pub id: String,
    pub from: String,
    pub confidence: f64,
}

/// One link of the base-model chain and the license it contributes.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct BaseLicense {
    pub name: ModelName,
    pub relation: Relation,
    pub effective: LicenseExpr,
    /// Whether the base is in the catalogue: only then are its terms inherited.
    #[serde(skip)]
    pub recorded: bool,
}

/// Two license facts that cannot both hold.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct LicenseConflict {
    pub code: String,
    pub message: String,
    pub evidence: String,
}

/// OSAID verdict and MOF class.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OpennessSection {
    pub class: OpennessClass,
    pub weights_terms: WeightsTerms,
    pub mof: MofResult,
    pub mof_strict: MofResult,
    pub components: Vec<ComponentRecord>,
    pub reasons: Vec<Reason>,
}

/// A Model Openness Framework class: 1 (the highest), 2, 3, or 0 when not even Class III is met.
/// Serialized as the bare number; [`MofClass::label`] is its one spelling for people.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct MofClass(pub u8);

impl MofClass {
    /// No class: Class III's requirements are not all met.
    pub const NONE: MofClass = MofClass(0);

    /// The class as people read it, the same in every output.
    pub fn label(self) -> &'static str {
        match self.0 {
            1 => "Class I (Open Science Model)",
            2 => "Class II (Open Tooling Model)",
            3 => "Class III (Open Model)",
            _ => "none (Class III not met)",
        }
    }

    /// Whether no class is met.
    pub fn is_none(self) -> bool {
        !(1..=3).contains(&self.0)
    }
}

impl PartialEq<u8> for MofClass {
    fn eq(&self, other: &u8) -> bool {
        self.0 == *other
    }
}

impl std::fmt::Display for MofClass {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

/// A MOF class with per-class completion in percent.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct MofResult {
    pub class: MofClass,
    pub progress: MofProgress,
}

/// Percent (0–100) of each class's requirements met.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct MofProgress {
    pub class_iii: f64,
    pub class_ii: f64,
    pub class_i: f64,
}

/// One MOF component as supplied (or not) with a model.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ComponentRecord {
    pub id: u32,
    pub name: String,
    pub status: ComponentStatus,
    pub license: Option<String>,
    /// `explicit`, or the release default it was inherited from.
    pub license_source: Option<String>,
    pub evidence: Option<String>,
}

/// Why a requirement was not met.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Reason {
    pub code: String,
    pub component: Option<String>,
    pub message: String,
    pub evidence: Option<String>,
}

/// The last smoke-test result.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SmokeSection {
    pub status: SmokeStatus,
    pub architecture: Option<String>,
    pub parameters: Option<u64>,
    pub fingerprint: Option<String>,
    pub load_ms: Option<f64>,
    pub forward_ms: Option<f64>,
    pub tokens_per_second: Option<f64>,
    pub peak_rss_bytes: Option<u64>,
    /// Anything else the runtime recorded (dtypes, messages).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<serde_json::Value>,
}
