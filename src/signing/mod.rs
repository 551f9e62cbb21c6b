//! OpenSSF model signing: read, check and write `model.sig`, a Sigstore bundle whose DSSE envelope
//! carries an in-toto Statement of the model's files and their SHA-256 (the format of PyPI
//! `model-signing`). The cryptography is RustCrypto's (p256, p384, ed25519-dalek, rsa, x509-cert).
//!
//! Checking a signature answers two questions: is the envelope signed by someone we trust (a
//! given key, a certificate chain to a given root, or a Sigstore identity), and are the bytes
//! here exactly the bytes the statement lists (no file changed, missing or added)?

pub mod bundle;
pub mod keys;
pub mod sigstore;
pub mod x509;

use crate::finding::Finding;
use crate::hashing::{Progress, default_threads, hash_files};
use crate::ids::Sha256;
use crate::verify::{Expected, FileCheck, FileStatus};
use bundle::{Bundle, SignedFile};
use keys::{PublicKey, SigningKey};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use x509::Cert;

crate::finding_codes! {
    /// Finding codes of model signatures.
    pub enum SignatureCode {
        Invalid = "signature-invalid", Critical, "the model signature is malformed, or its envelope signature does not verify (the statement was edited or the bundle is broken)";
        DigestMismatch = "signature-digest-mismatch", Critical, "a signed file's bytes do not match the SHA-256 the signature lists";
        FileMissing = "signature-file-missing", High, "a file the signature lists is not present (or cannot be read)";
        FileUnsigned = "signature-file-unsigned", High, "a file is present that the signature does not cover (and is not ignored)";
        WrongKey = "signature-wrong-key", High, "the signature is intact but was made with another key than the one given";
        UntrustedSigner = "signature-untrusted-signer", High, "the signature is intact but its signer is not trusted: the certificate chain does not lead to the given root, or the identity or issuer is not the expected one";
    }
}

pub use crate::record::Signer;

impl Signer {
    fn of_key(key: &PublicKey) -> Signer {
        Signer {
            kind: "key".into(),
            fingerprint: Some(key.fingerprint()),
            key_hint: None,
            algorithm: Some(key.algorithm().into()),
            subject: None,
            san: Vec::new(),
            certificate_issuer: None,
            oidc_issuer: None,
        }
    }

    fn of_cert(kind: &str, cert: &Cert) -> Signer {
        Signer {
            kind: kind.into(),
            fingerprint: Some(cert.fingerprint()),
            key_hint: None,
            algorithm: cert.public_key().ok().map(|k| k.algorithm().into()),
            subject: Some(cert.subject()),
            san: cert.sans(),
            certificate_issuer: Some(cert.issuer()),
            oidc_issuer: cert.oidc_issuer(),
        }
    }
}

/// What the signer must be.
#[derive(Debug)]
pub enum Trust {
    /// Signed with this key.
    Key(PublicKey),
    /// Signed with a certificate that chains to one of `roots`; with `identity`, the leaf's
    /// subject common name or a SAN must be it.
    Chain {
        roots: Vec<Cert>,
        identity: Option<String>,
    },
    /// Keyless: a Fulcio certificate logged in Rekor, checked offline against a trusted root;
    /// with `identity`/`issuer`, the SAN and OIDC issuer must be them.
    Sigstore {
        root: Box<sigstore::TrustedRoot>,
        identity: Option<String>,
        issuer: Option<String>,
    },
}

/// The result of checking a signature against the bytes under a root.
#[derive(Debug, Clone, Serialize)]
pub struct Verification {
    /// The signer, when the envelope signature verified.
    pub signer: Option<Signer>,
    /// The statement's predicate type.
    pub predicate_type: Option<String>,
    /// The statement's model name (v1.0).
    pub model_name: Option<String>,
    /// Each signed file's check, and files present but unsigned (`extra`).
    pub files: Vec<FileCheck>,
    /// Every problem, with a `signature-*` code.
    pub findings: Vec<Finding>,
    /// Rekor's integrated time (unix seconds) and log index, for keyless bundles.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub logged: Option<(i64, i64)>,
}

impl Verification {
    fn failed(code: SignatureCode, message: String) -> Verification {
        Verification {
            signer: None,
            predicate_type: None,
            model_name: None,
            files: Vec::new(),
            findings: vec![Finding::new(&code, message).at("model.sig")],
            logged: None,
        }
    }

    /// No problem found.
    pub fn ok(&self) -> bool {
        self.findings.is_empty()
    }
}

/// Paths that model signing leaves out of a signature by default: git metadata.
const GIT_PATHS: &[&str] = &[".git", ".gitattributes", ".github", ".gitignore"];

fn skipped(path: &str, skip: &[String]) -> bool {
    let first = path.split('/').next().unwrap_or(path);
    GIT_PATHS.contains(&first)
        || skip.iter().any(|s| {
            let s = s.trim_end_matches('/');
            path == s || path.strip_prefix(s).is_some_and(|r| r.starts_with('/'))
        })
}

/// Checks the signature `bundle` (the bytes of `model.sig`) against `trust` and the bytes under
/// `root` (a model folder, or a single file). `skip` lists paths relative to `root` that are
/// neither signed nor unsigned: the signature file itself and `--ignore-paths`.
pub fn verify(
    root: &Path,
    bundle: &[u8],
    trust: &Trust,
    skip: &[String],
    progress: &dyn Progress,
) -> Verification {
    let b = match Bundle::parse(bundle) {
        Ok(b) => b,
        Err(e) => return Verification::failed(SignatureCode::Invalid, e),
    };
    let (signed, sig) = match (b.signed_bytes(), b.signature()) {
        (Ok(s), Ok(g)) => (s, g),
        (Err(e), _) | (_, Err(e)) => return Verification::failed(SignatureCode::Invalid, e),
    };
    let mut findings = Vec::new();
    let mut logged = None;
    let invalid = "the envelope signature does not verify: the statement or signature was changed";
    let signer = match trust {
        Trust::Key(key) => {
            if !envelope_signed_by(&b, key, &signed, &sig) {
                let other = match (b.public_key_hint(), b.key_hint()) {
                    (Some(h), _)
                        if h.fingerprint() != key.fingerprint()
                            && envelope_signed_by(&b, &h, &signed, &sig) =>
                    {
                        Some(format!("key {}", h.fingerprint()))
                    }
                    (None, Some(hint)) if hint != key.model_signing_hint() => {
                        Some(format!("the key whose PEM has SHA-256 {hint}"))
                    }
                    _ => None,
                };
                return match other {
                    Some(other) => Verification::failed(
                        SignatureCode::WrongKey,
                        format!(
                            "signed with {other}, not the given key {}",
                            key.fingerprint()
                        ),
                    ),
                    None => Verification::failed(SignatureCode::Invalid, invalid.into()),
                };
            }
            Signer::of_key(key)
        }
        Trust::Chain { roots, identity } => {
            let certs = match b.certificates().and_then(|c| {
                c.iter()
                    .map(|d| Cert::from_der(d))
                    .collect::<Result<Vec<_>, _>>()
            }) {
                Ok(c) if !c.is_empty() => c,
                Ok(_) => {
                    return Verification::failed(
                        SignatureCode::Invalid,
                        "the bundle carries no certificate".into(),
                    );
                }
                Err(e) => return Verification::failed(SignatureCode::Invalid, e),
            };
            let leaf = &certs[0];
            if !leaf
                .public_key()
                .is_ok_and(|k| envelope_signed_by(&b, &k, &signed, &sig))
            {
                return Verification::failed(SignatureCode::Invalid, invalid.into());
            }
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0);
            if let Err(e) = x509::chain_to_roots(leaf, &certs[1..], roots, now) {
                findings.push(Finding::new(&SignatureCode::UntrustedSigner, e).at("model.sig"));
            }
            let signer = Signer::of_cert("certificate", leaf);
            if let Some(want) = identity
                && !identity_matches(&signer, want)
            {
                findings.push(
                    Finding::new(
                        &SignatureCode::UntrustedSigner,
                        format!("signed by `{}`, not `{want}`", signer.describe()),
                    )
                    .at("model.sig"),
                );
            }
            signer
        }
        Trust::Sigstore {
            root: tr,
            identity,
            issuer,
        } => {
            let proven = match sigstore::check(&b, tr) {
                Ok(p) => p,
                Err(sigstore::Failure::Invalid(e)) => {
                    return Verification::failed(SignatureCode::Invalid, e);
                }
                Err(sigstore::Failure::Untrusted(e)) => {
                    return Verification::failed(SignatureCode::UntrustedSigner, e);
                }
            };
            if !proven
                .leaf
                .public_key()
                .is_ok_and(|k| envelope_signed_by(&b, &k, &signed, &sig))
            {
                return Verification::failed(SignatureCode::Invalid, invalid.into());
            }
            logged = Some((proven.integrated_time, proven.log_index));
            let signer = Signer::of_cert("sigstore", &proven.leaf);
            if let Some(want) = identity
                && !signer.san.iter().any(|s| s == want)
            {
                findings.push(
                    Finding::new(
                        &SignatureCode::UntrustedSigner,
                        format!("signed by `{}`, not `{want}`", signer.san.join(", ")),
                    )
                    .at("model.sig"),
                );
            }
            if let Some(want) = issuer
                && signer.oidc_issuer.as_deref() != Some(want.as_str())
            {
                findings.push(
                    Finding::new(
                        &SignatureCode::UntrustedSigner,
                        format!(
                            "identity issued by `{}`, not `{want}`",
                            signer.oidc_issuer.as_deref().unwrap_or("(none)")
                        ),
                    )
                    .at("model.sig"),
                );
            }
            signer
        }
    };
    let statement = match b.payload().and_then(|p| bundle::parse_statement(&p)) {
        Ok(s) => s,
        Err(e) => {
            let mut v = Verification::failed(SignatureCode::Invalid, e);
            v.signer = Some(signer);
            return v;
        }
    };
    let files = check_files(root, &statement, skip, progress);
    findings.extend(files_findings(&files));
    Verification {
        signer: Some(signer),
        predicate_type: Some(statement.predicate_type),
        model_name: statement.model_name,
        files,
        findings,
        logged,
    }
}

/// Whether `key` signed the envelope: DSSE PAE with the key's hash, or for v0.2 statements the
/// encoding model-signing v0.2 used (see [`bundle::pae_v0_2_compat`]).
fn envelope_signed_by(b: &Bundle, key: &PublicKey, signed: &[u8], sig: &[u8]) -> bool {
    if key.verify(signed, sig) {
        return true;
    }
    let Ok(payload) = b.payload() else {
        return false;
    };
    bundle::claims_v0_2(&payload)
        && !matches!(key, PublicKey::Ed25519(_))
        && key.verify_with(
            keys::Hash::Sha256,
            &bundle::pae_v0_2_compat(&b.dsse_envelope.payload_type, &payload),
            sig,
        )
}

fn identity_matches(signer: &Signer, want: &str) -> bool {
    signer.san.iter().any(|s| s == want)
        || signer.subject.as_deref() == Some(want)
        || signer
            .subject
            .as_deref()
            .is_some_and(|s| s.split(',').any(|p| p.trim() == format!("CN={want}")))
}

/// Re-hashes the statement's files under `root` and lists unsigned files.
fn check_files(
    root: &Path,
    statement: &bundle::Statement,
    skip: &[String],
    progress: &dyn Progress,
) -> Vec<FileCheck> {
    let expected = |path: String, f: &SignedFile| Expected {
        path,
        size: None,
        sha256: Sha256::parse(&f.sha256).ok(),
        git_oid: None,
    };
    let single = statement.files.len() == 1 && statement.files[0].path == ".";
    if root.is_file() || single {
        // A model of one file: `.` is the file itself (or, for a folder, the subject's name).
        let (dir, name) = if root.is_file() {
            let dir = root.parent().map(Path::to_path_buf).unwrap_or_default();
            let name = root.file_name().map(|n| n.to_string_lossy().into_owned());
            (dir, name.unwrap_or_default())
        } else {
            (
                root.to_path_buf(),
                statement.model_name.clone().unwrap_or_default(),
            )
        };
        let Some(f) = statement
            .files
            .iter()
            .find(|f| f.path == "." || f.path == name)
        else {
            return vec![FileCheck {
                path: name,
                status: FileStatus::Extra,
            }];
        };
        if !single && statement.files.len() > 1 {
            // A folder's signature checked against one of its files: the others are missing.
            let mut out: Vec<FileCheck> = statement
                .files
                .iter()
                .filter(|g| g.path != name)
                .map(|g| FileCheck {
                    path: g.path.clone(),
                    status: FileStatus::Missing,
                })
                .collect();
            out.extend(crate::verify::verify_tree(
                &dir,
                &[expected(name, f)],
                false,
                progress,
            ));
            return out;
        }
        let mut checks = crate::verify::verify_tree(
            &dir,
            &[expected(name.clone(), f)],
            !root.is_file(),
            progress,
        );
        checks.retain(|c| c.status != FileStatus::Extra || !skipped(&c.path, skip));
        return checks;
    }
    let want: Vec<Expected> = statement
        .files
        .iter()
        .map(|f| expected(f.path.clone(), f))
        .collect();
    let mut checks = crate::verify::verify_tree(root, &want, true, progress);
    checks.retain(|c| c.status != FileStatus::Extra || !skipped(&c.path, skip));
    checks
}

fn files_findings(files: &[FileCheck]) -> Vec<Finding> {
    files
        .iter()
        .filter_map(|c| {
            let (code, msg) = match &c.status {
                FileStatus::Ok => return None,
                FileStatus::Mismatch { expected, actual } => (
                    SignatureCode::DigestMismatch,
                    format!("signed as {expected}, found {actual}"),
                ),
                FileStatus::LfsPointer => (
                    SignatureCode::DigestMismatch,
                    "a Git LFS pointer sits where the signed content should be".to_string(),
                ),
                FileStatus::Missing => (
                    SignatureCode::FileMissing,
                    "the signature lists this file, but it is not present".to_string(),
                ),
                FileStatus::Unreadable { error } => (
                    SignatureCode::FileMissing,
                    format!("the signature lists this file, but it cannot be read: {error}"),
                ),
                FileStatus::Extra => (
                    SignatureCode::FileUnsigned,
                    "present, but the signature does not cover it".to_string(),
                ),
            };
            Some(Finding::new(&code, msg).at(c.path.clone()))
        })
        .collect()
}

/// What a `model.sig` claims, without checking who signed it: for `add` to record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claimed {
    /// The signer the bundle names (its embedded key or leaf certificate), unverified.
    pub signer: Option<Signer>,
    pub predicate_type: String,
    /// The files the statement lists.
    pub files: Vec<SignedFile>,
}

/// Reads a `model.sig` for what it claims. The envelope signature is checked against the key or
/// certificate the bundle itself carries (self-consistency, not trust).
pub fn inspect(bundle: &[u8]) -> Result<Claimed, String> {
    let b = Bundle::parse(bundle)?;
    let payload = b.payload()?;
    let signed = b.signed_bytes()?;
    let sig = b.signature()?;
    let statement = bundle::parse_statement(&payload)?;
    let signer = if let Some(k) = b.public_key_hint() {
        if !envelope_signed_by(&b, &k, &signed, &sig) {
            return Err("the envelope signature does not verify with the bundle's key".into());
        }
        Some(Signer::of_key(&k))
    } else if let Some(hint) = b.key_hint() {
        // Only the key's hint: the signature cannot be checked without the key.
        Some(Signer {
            kind: "key".into(),
            fingerprint: None,
            key_hint: Some(hint.to_string()),
            algorithm: None,
            subject: None,
            san: Vec::new(),
            certificate_issuer: None,
            oidc_issuer: None,
        })
    } else {
        let certs = b.certificates()?;
        match certs.first().map(|d| Cert::from_der(d)).transpose()? {
            Some(leaf) => {
                if !leaf
                    .public_key()
                    .is_ok_and(|k| envelope_signed_by(&b, &k, &signed, &sig))
                {
                    return Err(
                        "the envelope signature does not verify with the bundle's certificate"
                            .into(),
                    );
                }
                let kind = if b.verification_material.tlog_entries.is_empty() {
                    "certificate"
                } else {
                    "sigstore"
                };
                Some(Signer::of_cert(kind, &leaf))
            }
            None => None,
        }
    };
    Ok(Claimed {
        signer,
        predicate_type: statement.predicate_type,
        files: statement.files,
    })
}

/// What `add` records about a `model.sig` at `path` (relative to the model folder): the signer it
/// names and how its digests compare with the `recorded` files (path, SHA-256), with a finding for
/// each file that differs, is missing or is unsigned, or `signature-invalid` for a broken bundle.
pub fn section_for(
    bundle: &[u8],
    path: &str,
    recorded: &[(String, Option<String>)],
) -> (Option<crate::record::SignatureSection>, Vec<Finding>) {
    let claimed = match inspect(bundle) {
        Ok(c) => c,
        Err(e) => {
            return (
                None,
                vec![Finding::new(&SignatureCode::Invalid, e).at(path)],
            );
        }
    };
    let mut findings = Vec::new();
    let mut section = crate::record::SignatureSection {
        path: path.to_string(),
        predicate_type: claimed.predicate_type,
        signer: claimed.signer,
        files_signed: claimed.files.len(),
        files_covered: 0,
        unsigned: Vec::new(),
        mismatched: Vec::new(),
        missing: Vec::new(),
    };
    let signed: std::collections::BTreeMap<&str, &str> = claimed
        .files
        .iter()
        .map(|f| (f.path.as_str(), f.sha256.as_str()))
        .collect();
    let skip = [path.to_string()];
    for (file, sha) in recorded {
        match signed.get(file.as_str()) {
            Some(want) if sha.as_deref() == Some(*want) => section.files_covered += 1,
            Some(want) => {
                findings.push(
                    Finding::new(
                        &SignatureCode::DigestMismatch,
                        format!(
                            "signed as {want}, recorded as {}",
                            sha.as_deref().unwrap_or("(no SHA-256)")
                        ),
                    )
                    .at(file.clone()),
                );
                section.mismatched.push(file.clone());
            }
            None if skipped(file, &skip) => {}
            None => {
                findings.push(
                    Finding::new(
                        &SignatureCode::FileUnsigned,
                        format!("{path} does not cover this file"),
                    )
                    .at(file.clone()),
                );
                section.unsigned.push(file.clone());
            }
        }
    }
    for f in &claimed.files {
        if !recorded.iter().any(|(p, _)| *p == f.path) {
            findings.push(
                Finding::new(
                    &SignatureCode::FileMissing,
                    format!("{path} lists this file, but it was not recorded"),
                )
                .at(f.path.clone()),
            );
            section.missing.push(f.path.clone());
        }
    }
    (Some(section), findings)
}

/// Why `sign` could not write a signature.
#[derive(Debug, thiserror::Error)]
pub enum SignError {
    #[error("cannot read `{}`", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot hash the model's files")]
    Hash(#[source] crate::hashing::HashError),
    #[error("cannot list the model's files")]
    Walk(#[source] crate::ingest::IngestError),
    #[error("`{0}` has no files to sign")]
    Empty(String),
}

/// Signs the files under `root` (a folder, or one file) with `key`, as `model_signing sign key`
/// does: every file but `skip` and git metadata, SHA-256 each. Returns the `model.sig` bytes and
/// the files it covers.
pub fn sign(
    root: &Path,
    key: &SigningKey,
    skip: &[String],
    progress: &dyn Progress,
) -> Result<(Vec<u8>, Vec<SignedFile>), SignError> {
    let meta = std::fs::metadata(root).map_err(|source| SignError::Io {
        path: root.to_path_buf(),
        source,
    })?;
    let name = root
        .canonicalize()
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "model".into());
    let (paths, rels): (Vec<PathBuf>, Vec<String>) = if meta.is_file() {
        (vec![root.to_path_buf()], vec![".".to_string()])
    } else {
        let (walked, _) = crate::ingest::walk(root).map_err(SignError::Walk)?;
        walked
            .into_iter()
            .filter(|w| !skipped(&w.rel, skip))
            .map(|w| (w.real, w.rel))
            .unzip()
    };
    if paths.is_empty() {
        return Err(SignError::Empty(root.display().to_string()));
    }
    let mut files = Vec::new();
    for (rel, d) in rels
        .into_iter()
        .zip(hash_files(&paths, default_threads(), progress))
    {
        files.push(SignedFile {
            path: rel,
            sha256: d.map_err(SignError::Hash)?.sha256.into_string(),
        });
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    let statement = bundle::statement_v1(&name, &files);
    let payload = serde_json::to_vec(&statement).unwrap_or_default();
    let sig = key.sign(&bundle::pae(bundle::PAYLOAD_TYPE, &payload));
    let public = key.public();
    let doc = serde_json::json!({
        "mediaType": bundle::MEDIA_TYPE,
        "verificationMaterial": {
            "publicKey": { "hint": public.model_signing_hint() },
            "tlogEntries": [],
        },
        "dsseEnvelope": {
            "payload": bundle::b64(&payload),
            "payloadType": bundle::PAYLOAD_TYPE,
            "signatures": [ { "sig": bundle::b64(&sig), "keyid": "" } ],
        },
    });
    let mut out = serde_json::to_vec_pretty(&doc).unwrap_or_default();
    out.push(b'\n');
    Ok((out, files))
}

#[cfg(test)]
mod tests;
