//! Model signatures as use cases: find a revision's bytes and its `model.sig`, check it, or
//! write one.

use super::{Vet, VetError, locate};
use crate::catalogue::RevisionRef;
use crate::signing::keys::SigningKey;
use crate::signing::{self, Trust, Verification};
use std::path::{Path, PathBuf};

/// The default name of a signature beside (or inside) the model.
pub const SIGNATURE_FILE: &str = "model.sig";

/// Where a model's bytes are: `path` if given, else where its revision was added from.
async fn root_of(
    vet: &Vet<'_>,
    rev: Option<&RevisionRef>,
    path: Option<&Path>,
) -> Result<PathBuf, VetError> {
    if let Some(p) = path {
        return std::fs::metadata(p)
            .map(|_| p.to_path_buf())
            .map_err(|source| VetError::Unreadable {
                path: p.to_path_buf(),
                source,
            });
    }
    let rev = rev.expect("a revision or a path");
    let record = super::record_of(vet.catalogue, rev).await?;
    Ok(locate(&record)?.path)
}

/// `model.sig` in a model folder, or beside a single-file model.
pub fn default_signature(root: &Path) -> PathBuf {
    if root.is_dir() {
        root.join(SIGNATURE_FILE)
    } else {
        root.with_file_name(SIGNATURE_FILE)
    }
}

/// `path` relative to the model folder `root`, if it is inside it: an absolute path, one that
/// exists relative to the working folder, or else one meant relative to the model folder.
fn relative_to(root: &Path, path: &Path) -> Option<String> {
    let dir = if root.is_dir() {
        root.to_path_buf()
    } else {
        root.parent().map(Path::to_path_buf).unwrap_or_default()
    };
    let canon_root = dir.canonicalize().ok()?;
    let candidate = if path.is_absolute() || path.exists() {
        path.canonicalize().ok()?
    } else {
        return Some(path.to_string_lossy().replace('\\', "/"));
    };
    candidate
        .strip_prefix(&canon_root)
        .ok()
        .map(|r| r.to_string_lossy().replace('\\', "/"))
}

/// The result of checking a signature: which bytes, which signature, and the verdict.
#[derive(Debug)]
pub struct SignatureCheck {
    pub root: PathBuf,
    pub signature: PathBuf,
    pub verification: Verification,
}

/// Checks the signature of a revision's bytes (or of `path`): `signature` or the model's own
/// `model.sig`, against `trust`. `ignore` are paths left out of the check (`--ignore-paths`).
pub async fn verify_signature(
    vet: &Vet<'_>,
    rev: Option<&RevisionRef>,
    path: Option<&Path>,
    signature: Option<&Path>,
    trust: &Trust,
    ignore: &[PathBuf],
) -> Result<SignatureCheck, VetError> {
    let root = root_of(vet, rev, path).await?;
    let sig_path = signature
        .map(Path::to_path_buf)
        .unwrap_or_else(|| default_signature(&root));
    let bytes = std::fs::read(&sig_path).map_err(|source| VetError::Unreadable {
        path: sig_path.clone(),
        source,
    })?;
    let mut skip: Vec<String> = vec![SIGNATURE_FILE.to_string()];
    skip.extend(relative_to(&root, &sig_path));
    skip.extend(ignore.iter().filter_map(|p| relative_to(&root, p)));
    let verification =
        super::blocking(|| signing::verify(&root, &bytes, trust, &skip, vet.progress));
    Ok(SignatureCheck {
        root,
        signature: sig_path,
        verification,
    })
}

/// What `sign` wrote.
#[derive(Debug)]
pub struct Signed {
    pub root: PathBuf,
    pub signature: PathBuf,
    pub files: Vec<signing::bundle::SignedFile>,
}

/// Signs a revision's bytes (or `path`) with `key` and writes `output` (default: the model's
/// `model.sig`).
pub async fn sign(
    vet: &Vet<'_>,
    rev: Option<&RevisionRef>,
    path: Option<&Path>,
    key: &SigningKey,
    output: Option<&Path>,
    ignore: &[PathBuf],
) -> Result<Signed, VetError> {
    let root = root_of(vet, rev, path).await?;
    let out = output
        .map(Path::to_path_buf)
        .unwrap_or_else(|| default_signature(&root));
    let mut skip: Vec<String> = vec![SIGNATURE_FILE.to_string()];
    skip.extend(relative_to(&root, &out));
    skip.extend(ignore.iter().filter_map(|p| relative_to(&root, p)));
    let (bytes, files) = super::blocking(|| signing::sign(&root, key, &skip, vet.progress))?;
    std::fs::write(&out, bytes).map_err(|source| VetError::Unwritable {
        path: out.clone(),
        source,
    })?;
    Ok(Signed {
        root,
        signature: out,
        files,
    })
}

/// A `model.sig` in a local model folder being added: what it claims and the findings about it.
pub fn found_at_add(
    ingested: &crate::ingest::Ingested,
) -> Option<(
    Option<crate::record::SignatureSection>,
    Vec<crate::finding::Finding>,
)> {
    if ingested.source.kind != crate::record::SourceKind::Local {
        return None;
    }
    let root = Path::new(&ingested.source.location);
    if !root.is_dir() {
        return None;
    }
    let bytes = std::fs::read(root.join(SIGNATURE_FILE)).ok()?;
    let recorded: Vec<(String, Option<String>)> = ingested
        .files
        .iter()
        .map(|f| (f.path.clone(), f.sha256.as_ref().map(|s| s.to_string())))
        .collect();
    Some(signing::section_for(&bytes, SIGNATURE_FILE, &recorded))
}

/// Checks a revision's `model.sig` for the policy's `signatures` section: against each listed
/// key and identity until one verifies. `base` is the policy file's folder (relative key and
/// trust-root paths). `None` when the revision's bytes are not here.
pub async fn policy_fact(
    vet: &Vet<'_>,
    rev: &RevisionRef,
    policy: &crate::policy::Signatures,
    base: &Path,
) -> Result<Option<crate::policy::SignatureFact>, VetError> {
    use crate::policy::SignatureFact;
    use crate::signing::keys::PublicKey;
    let record = super::record_of(vet.catalogue, rev).await?;
    let Ok(location) = locate(&record) else {
        return Ok(None);
    };
    let root = location.path;
    let sig_path = default_signature(&root);
    let Ok(bytes) = std::fs::read(&sig_path) else {
        return Ok(Some(SignatureFact::default()));
    };
    let bad = |what: String| VetError::Policy(what);
    let resolve = |p: &str| {
        let p = Path::new(p);
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            base.join(p)
        }
    };
    let mut trusts: Vec<Trust> = Vec::new();
    for k in &policy.keys {
        if let Some(fp) = k.strip_prefix("sha256:") {
            // A fingerprint names a key; only a bundle that carries the key can be checked by it.
            let embedded = crate::signing::bundle::Bundle::parse(&bytes)
                .ok()
                .and_then(|b| b.public_key_hint())
                .filter(|key| key.fingerprint() == format!("sha256:{}", fp.to_ascii_lowercase()));
            trusts.extend(embedded.map(Trust::Key));
            continue;
        }
        let path = resolve(k);
        let text = std::fs::read_to_string(&path).map_err(|source| VetError::Unreadable {
            path: path.clone(),
            source,
        })?;
        let key = PublicKey::from_pem(&text)
            .map_err(|e| bad(format!("signatures.keys: `{}`: {e}", path.display())))?;
        trusts.push(Trust::Key(key));
    }
    if !policy.identities.is_empty() {
        let path = resolve(policy.trust_root.as_deref().unwrap_or_default());
        let text = std::fs::read_to_string(&path).map_err(|source| VetError::Unreadable {
            path: path.clone(),
            source,
        })?;
        let root = crate::signing::sigstore::TrustedRoot::parse(&text)
            .map_err(|e| bad(format!("signatures.trust_root: `{}`: {e}", path.display())))?;
        for id in &policy.identities {
            trusts.push(Trust::Sigstore {
                root: Box::new(root.clone()),
                identity: Some(id.identity.clone()),
                issuer: Some(id.issuer.clone()),
            });
        }
    }
    let mut skip: Vec<String> = vec![SIGNATURE_FILE.to_string()];
    skip.extend(relative_to(&root, &sig_path));
    if !policy.names_signers() {
        // Only "signed at all": the bundle must be intact; the files are compared when added.
        return Ok(Some(match signing::inspect(&bytes) {
            Ok(c) => SignatureFact {
                present: true,
                trusted_signer: Some(c.signer.map(|s| s.describe()).unwrap_or_default()),
                ..SignatureFact::default()
            },
            Err(e) => SignatureFact {
                present: true,
                note: Some(e),
                ..SignatureFact::default()
            },
        }));
    }
    let mut note = None;
    for trust in &trusts {
        let v = super::blocking(|| signing::verify(&root, &bytes, trust, &skip, vet.progress));
        let signer_ok = v.signer.is_some()
            && !v.findings.iter().any(|f| {
                f.code == signing::SignatureCode::UntrustedSigner
                    || f.code == signing::SignatureCode::WrongKey
                    || f.code == signing::SignatureCode::Invalid
            });
        if signer_ok {
            return Ok(Some(SignatureFact {
                present: true,
                trusted_signer: v.signer.map(|s| s.describe()),
                findings: v.findings,
                note: None,
            }));
        }
        if note.is_none() {
            note = v
                .findings
                .first()
                .map(|f| format!("{}: {}", f.code, f.message));
        }
    }
    Ok(Some(SignatureFact {
        present: true,
        trusted_signer: None,
        findings: Vec::new(),
        note: note.or_else(|| Some("no listed key can check this bundle".into())),
    }))
}
