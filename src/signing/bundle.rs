//! The `model.sig` format: a Sigstore bundle (v0.3 JSON) whose DSSE envelope carries an in-toto
//! Statement listing the model's files and their SHA-256.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde::{Deserialize, Serialize};
use sha2::Digest as _;

/// The bundle media type model signing writes.
pub const MEDIA_TYPE: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";
/// The DSSE payload type of an in-toto Statement.
pub const PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";
/// The predicate of model-signing v1.0 and later.
pub const PREDICATE_V1: &str = "https://model_signing/signature/v1.0";
/// The predicate of model-signing v0.2 (files as subjects).
pub const PREDICATE_V0_2: &str = "https://model_signing/Digests/v0.1";
/// The in-toto Statement type.
pub const STATEMENT_TYPE: &str = "https://in-toto.io/Statement/v1";

/// A Sigstore bundle, the parts model signing uses.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Bundle {
    pub media_type: String,
    pub verification_material: VerificationMaterial,
    pub dsse_envelope: Envelope,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VerificationMaterial {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_key: Option<PublicKeyRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x509_certificate_chain: Option<CertChain>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate: Option<RawBytes>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tlog_entries: Vec<TlogEntry>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp_verification_data: Option<serde_json::Value>,
}

/// `publicKey`: model signing puts the PEM text, base64-encoded, in `rawBytes` (protobuf-specs
/// calls the field a key hint; it is not trusted, only compared).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PublicKeyRef {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw_bytes: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_details: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RawBytes {
    pub raw_bytes: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CertChain {
    pub certificates: Vec<RawBytes>,
}

/// One transparency-log entry (Rekor).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TlogEntry {
    pub log_index: String,
    pub log_id: LogId,
    pub kind_version: Option<serde_json::Value>,
    pub integrated_time: String,
    pub inclusion_promise: Option<InclusionPromise>,
    pub inclusion_proof: Option<InclusionProof>,
    pub canonicalized_body: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LogId {
    pub key_id: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InclusionPromise {
    pub signed_entry_timestamp: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InclusionProof {
    pub log_index: String,
    pub root_hash: String,
    pub tree_size: String,
    #[serde(default)]
    pub hashes: Vec<String>,
    pub checkpoint: Option<Checkpoint>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Checkpoint {
    pub envelope: String,
}

/// A DSSE envelope.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Envelope {
    pub payload: String,
    pub payload_type: String,
    pub signatures: Vec<EnvelopeSignature>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EnvelopeSignature {
    pub sig: String,
    /// The reference writes `null`; kept as it is.
    #[serde(default)]
    pub keyid: Option<String>,
}

/// DSSE's pre-authentication encoding: what the signature covers.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "DSSEv1 {} {} {} ",
        payload_type.len(),
        payload_type,
        payload.len()
    )
    .into_bytes();
    out.extend_from_slice(payload);
    out
}

/// One file the statement lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedFile {
    /// Relative, `/`-separated; `.` means the model is this one file.
    pub path: String,
    pub sha256: String,
}

/// What the statement says, whichever version wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    pub predicate_type: String,
    /// The model name (v1.0: the subject; v0.2: none).
    pub model_name: Option<String>,
    pub files: Vec<SignedFile>,
}

/// Decodes a bundle's parts; every error is a reason the signature is invalid.
impl Bundle {
    pub fn parse(bytes: &[u8]) -> Result<Bundle, String> {
        let b: Bundle =
            serde_json::from_slice(bytes).map_err(|e| format!("not a Sigstore bundle: {e}"))?;
        if !b
            .media_type
            .starts_with("application/vnd.dev.sigstore.bundle")
        {
            return Err(format!("unknown bundle media type `{}`", b.media_type));
        }
        if b.dsse_envelope.payload_type != PAYLOAD_TYPE {
            return Err(format!(
                "DSSE payload type `{}`, expected `{PAYLOAD_TYPE}`",
                b.dsse_envelope.payload_type
            ));
        }
        if b.dsse_envelope.signatures.len() != 1 {
            return Err(format!(
                "{} DSSE signatures, expected exactly one",
                b.dsse_envelope.signatures.len()
            ));
        }
        Ok(b)
    }

    /// The payload bytes.
    pub fn payload(&self) -> Result<Vec<u8>, String> {
        B64.decode(&self.dsse_envelope.payload)
            .map_err(|e| format!("the DSSE payload is not base64: {e}"))
    }

    /// The signature bytes.
    pub fn signature(&self) -> Result<Vec<u8>, String> {
        B64.decode(&self.dsse_envelope.signatures[0].sig)
            .map_err(|e| format!("the DSSE signature is not base64: {e}"))
    }

    /// The bytes the signature covers.
    pub fn signed_bytes(&self) -> Result<Vec<u8>, String> {
        Ok(pae(&self.dsse_envelope.payload_type, &self.payload()?))
    }

    /// The certificates the bundle carries, leaf first (DER).
    pub fn certificates(&self) -> Result<Vec<Vec<u8>>, String> {
        let vm = &self.verification_material;
        let raw: Vec<&str> = if let Some(c) = &vm.certificate {
            vec![c.raw_bytes.as_str()]
        } else if let Some(chain) = &vm.x509_certificate_chain {
            chain
                .certificates
                .iter()
                .map(|c| c.raw_bytes.as_str())
                .collect()
        } else {
            Vec::new()
        };
        raw.iter()
            .map(|r| {
                B64.decode(r)
                    .map_err(|e| format!("a certificate is not base64: {e}"))
            })
            .collect()
    }

    /// The key hint (model signing ≥ 1.1: hex SHA-256 of the public key's PEM text), if any.
    pub fn key_hint(&self) -> Option<&str> {
        self.verification_material
            .public_key
            .as_ref()?
            .hint
            .as_deref()
            .filter(|h| !h.is_empty())
    }

    /// The public key the bundle carries (model signing before 1.1: base64 of the PEM text).
    pub fn public_key_hint(&self) -> Option<super::keys::PublicKey> {
        let raw = self
            .verification_material
            .public_key
            .as_ref()?
            .raw_bytes
            .as_ref()?;
        let bytes = B64.decode(raw).ok()?;
        match std::str::from_utf8(&bytes) {
            Ok(text) if text.contains("-----BEGIN") => super::keys::PublicKey::from_pem(text).ok(),
            _ => super::keys::PublicKey::from_spki_der(&bytes).ok(),
        }
    }
}

#[derive(Deserialize)]
struct RawStatement {
    #[serde(rename = "_type")]
    kind: String,
    subject: Vec<RawSubject>,
    #[serde(rename = "predicateType")]
    predicate_type: String,
    #[serde(default)]
    predicate: serde_json::Value,
}

#[derive(Deserialize)]
struct RawSubject {
    name: String,
    digest: std::collections::BTreeMap<String, String>,
}

#[derive(Deserialize)]
struct RawResource {
    name: String,
    digest: String,
    algorithm: String,
}

fn is_hex64(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

/// Parses the statement in a (verified) payload: model-signing v1.0 (`files` serialization, SHA-256)
/// or v0.2 (files as subjects).
pub fn parse_statement(payload: &[u8]) -> Result<Statement, String> {
    let raw: RawStatement = serde_json::from_slice(payload)
        .map_err(|e| format!("the payload is not an in-toto Statement: {e}"))?;
    if raw.kind != STATEMENT_TYPE {
        return Err(format!(
            "statement type `{}`, expected `{STATEMENT_TYPE}`",
            raw.kind
        ));
    }
    let files = match raw.predicate_type.as_str() {
        PREDICATE_V1 => {
            let ser = &raw.predicate["serialization"];
            let method = ser["method"].as_str().unwrap_or("");
            if method != "files" {
                return Err(format!(
                    "serialization method `{method}` is not supported (only `files`)"
                ));
            }
            let hash = ser["hash_type"].as_str().unwrap_or("");
            if hash != "sha256" {
                return Err(format!(
                    "hash type `{hash}` is not supported (only `sha256`)"
                ));
            }
            let resources: Vec<RawResource> =
                serde_json::from_value(raw.predicate["resources"].clone())
                    .map_err(|e| format!("the statement's resources are malformed: {e}"))?;
            let mut files = Vec::new();
            for r in resources {
                if r.algorithm != "sha256" || !is_hex64(&r.digest) {
                    return Err(format!("resource `{}` has no SHA-256 digest", r.name));
                }
                files.push(SignedFile {
                    path: r.name,
                    sha256: r.digest,
                });
            }
            files.sort_by(|a, b| a.path.cmp(&b.path));
            // The subject digest is SHA-256 over the resource digests in name order.
            let [subject] = raw.subject.as_slice() else {
                return Err("the statement must have exactly one subject".into());
            };
            let mut h = sha2::Sha256::new();
            for f in &files {
                h.update(hex::decode(&f.sha256).unwrap_or_default());
            }
            if subject.digest.get("sha256").map(String::as_str)
                != Some(hex::encode(h.finalize()).as_str())
            {
                return Err("the subject digest does not match the listed files".into());
            }
            return Ok(Statement {
                predicate_type: raw.predicate_type,
                model_name: Some(subject.name.clone()),
                files: check_paths(files)?,
            });
        }
        PREDICATE_V0_2 => {
            let mut files = Vec::new();
            for s in &raw.subject {
                let Some(d) = s.digest.get("sha256").filter(|d| is_hex64(d)) else {
                    return Err(format!("subject `{}` has no SHA-256 digest", s.name));
                };
                files.push(SignedFile {
                    path: s.name.clone(),
                    sha256: d.clone(),
                });
            }
            files.sort_by(|a, b| a.path.cmp(&b.path));
            files
        }
        other => return Err(format!("unknown predicate type `{other}`")),
    };
    Ok(Statement {
        predicate_type: raw.predicate_type,
        model_name: None,
        files: check_paths(files)?,
    })
}

/// Refuses paths that leave the model folder.
fn check_paths(files: Vec<SignedFile>) -> Result<Vec<SignedFile>, String> {
    for f in &files {
        let bad = f.path.is_empty()
            || f.path.starts_with('/')
            || f.path.contains('\\')
            || (f.path != "."
                && f.path
                    .split('/')
                    .any(|c| c.is_empty() || c == "." || c == ".."));
        if bad {
            return Err(format!("the statement lists an unsafe path `{}`", f.path));
        }
    }
    if files.windows(2).any(|w| w[0].path == w[1].path) {
        return Err("the statement lists a file twice".into());
    }
    Ok(files)
}

/// The v1.0 statement for `files` of `model_name`, as the reference writes it.
pub fn statement_v1(model_name: &str, files: &[SignedFile]) -> serde_json::Value {
    let mut h = sha2::Sha256::new();
    for f in files {
        h.update(hex::decode(&f.sha256).unwrap_or_default());
    }
    serde_json::json!({
        "_type": STATEMENT_TYPE,
        "subject": [ { "name": model_name, "digest": { "sha256": hex::encode(h.finalize()) } } ],
        "predicateType": PREDICATE_V1,
        "predicate": {
            "serialization": { "method": "files", "hash_type": "sha256", "allow_symlinks": false },
            "resources": files.iter().map(|f| serde_json::json!({
                "name": f.path, "digest": f.sha256, "algorithm": "sha256"
            })).collect::<Vec<_>>(),
        },
    })
}

/// Base64 (standard, padded), as the bundle uses.
pub fn b64(bytes: &[u8]) -> String {
    B64.encode(bytes)
}

/// Decodes standard base64.
pub fn unb64(s: &str) -> Option<Vec<u8>> {
    B64.decode(s).ok()
}

/// What model-signing v0.2 actually signed (a bug the reference still accepts when verifying):
/// `DSSEV1 <len> <type> <len> ` followed by Python's `repr()` of the payload bytes, with ECDSA
/// over SHA-256 whatever the curve. Accepted only for the v0.2 predicate.
pub fn pae_v0_2_compat(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let quote = if payload.contains(&b'\'') && !payload.contains(&b'"') {
        b'"'
    } else {
        b'\''
    };
    let mut out = format!(
        "DSSEV1 {} {} {} b",
        payload_type.len(),
        payload_type,
        payload.len()
    )
    .into_bytes();
    out.push(quote);
    for &c in payload {
        match c {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\t' => out.extend_from_slice(b"\\t"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            c if c == quote => {
                out.push(b'\\');
                out.push(c);
            }
            0x20..=0x7e => out.push(c),
            c => out.extend_from_slice(format!("\\x{c:02x}").as_bytes()),
        }
    }
    out.push(quote);
    out
}

/// Whether a payload (not yet trusted) claims the v0.2 predicate.
pub fn claims_v0_2(payload: &[u8]) -> bool {
    serde_json::from_slice::<serde_json::Value>(payload)
        .is_ok_and(|v| v["predicateType"] == PREDICATE_V0_2)
}
