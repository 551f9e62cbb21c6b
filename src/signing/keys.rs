//! Public and private keys: parsing PEM/DER and checking signatures, all through RustCrypto.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use p256::ecdsa::signature::hazmat::PrehashVerifier as _;
use p256::ecdsa::signature::{Signer as _, Verifier as _};
use sha2::Digest as _;
use spki::{DecodePublicKey as _, EncodePublicKey as _};

/// A digest named by a signature algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hash {
    Sha256,
    Sha384,
    Sha512,
}

impl Hash {
    fn digest(self, msg: &[u8]) -> Vec<u8> {
        match self {
            Hash::Sha256 => sha2::Sha256::digest(msg).to_vec(),
            Hash::Sha384 => sha2::Sha384::digest(msg).to_vec(),
            Hash::Sha512 => sha2::Sha512::digest(msg).to_vec(),
        }
    }
}

/// A public key that can check a signature.
#[derive(Clone)]
pub enum PublicKey {
    P256(p256::ecdsa::VerifyingKey),
    P384(p384::ecdsa::VerifyingKey),
    Ed25519(ed25519_dalek::VerifyingKey),
    /// Only to check certificate signatures (the reference's test CA is RSA).
    Rsa(Box<rsa::PublicKey>),
}

impl std::fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PublicKey({}, {})", self.algorithm(), self.fingerprint())
    }
}

/// Why a key could not be read.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct KeyError(pub String);

/// The first PEM block of `label` in `text` (files often carry a human-readable preamble).
pub fn pem_block(text: &str, label: &str) -> Option<Vec<u8>> {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let start = text.find(&begin)? + begin.len();
    let stop = start + text[start..].find(&end)?;
    let body: String = text[start..stop]
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    B64.decode(body).ok()
}

/// Every PEM block of `label` in `text`, in order.
pub fn pem_blocks(text: &str, label: &str) -> Vec<Vec<u8>> {
    let begin = format!("-----BEGIN {label}-----");
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find(&begin) {
        match pem_block(&rest[i..], label) {
            Some(der) => out.push(der),
            None => break,
        }
        rest = &rest[i + begin.len()..];
    }
    out
}

impl PublicKey {
    /// A key from its SubjectPublicKeyInfo DER.
    pub fn from_spki_der(der: &[u8]) -> Result<PublicKey, KeyError> {
        if let Ok(k) = p256::ecdsa::VerifyingKey::from_public_key_der(der) {
            return Ok(PublicKey::P256(k));
        }
        if let Ok(k) = p384::ecdsa::VerifyingKey::from_public_key_der(der) {
            return Ok(PublicKey::P384(k));
        }
        if let Ok(k) = ed25519_dalek::VerifyingKey::from_public_key_der(der) {
            return Ok(PublicKey::Ed25519(k));
        }
        if let Ok(k) = rsa::PublicKey::from_public_key_der(der) {
            return Ok(PublicKey::Rsa(Box::new(k)));
        }
        Err(KeyError(
            "not an ECDSA P-256/P-384, Ed25519 or RSA public key".into(),
        ))
    }

    /// A key from a PEM `PUBLIC KEY` block (text around it is ignored).
    pub fn from_pem(text: &str) -> Result<PublicKey, KeyError> {
        let der = pem_block(text, "PUBLIC KEY")
            .ok_or_else(|| KeyError("no `PUBLIC KEY` PEM block".into()))?;
        PublicKey::from_spki_der(&der)
    }

    /// The SubjectPublicKeyInfo DER.
    pub fn spki_der(&self) -> Vec<u8> {
        let doc = match self {
            PublicKey::P256(k) => k.to_public_key_der(),
            PublicKey::P384(k) => k.to_public_key_der(),
            PublicKey::Ed25519(k) => k.to_public_key_der(),
            PublicKey::Rsa(k) => k.to_public_key_der(),
        };
        doc.map(|d| d.as_bytes().to_vec()).unwrap_or_default()
    }

    /// The PEM text of the key.
    pub fn to_pem(&self) -> String {
        let b64 = B64.encode(self.spki_der());
        let mut out = String::from("-----BEGIN PUBLIC KEY-----\n");
        for chunk in b64.as_bytes().chunks(64) {
            out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
            out.push('\n');
        }
        out.push_str("-----END PUBLIC KEY-----\n");
        out
    }

    /// `sha256:` and the hex SHA-256 of the SubjectPublicKeyInfo DER.
    pub fn fingerprint(&self) -> String {
        format!(
            "sha256:{}",
            hex::encode(sha2::Sha256::digest(self.spki_der()))
        )
    }

    /// The hint model signing (≥ 1.1) writes for the key: hex SHA-256 of its PEM text.
    pub fn model_signing_hint(&self) -> String {
        hex::encode(sha2::Sha256::digest(self.to_pem().as_bytes()))
    }

    /// The algorithm, as Sigstore's `keyDetails` names it.
    pub fn algorithm(&self) -> &'static str {
        match self {
            PublicKey::P256(_) => "PKIX_ECDSA_P256_SHA_256",
            PublicKey::P384(_) => "PKIX_ECDSA_P384_SHA_384",
            PublicKey::Ed25519(_) => "PKIX_ED25519",
            PublicKey::Rsa(_) => "PKIX_RSA",
        }
    }

    /// Checks `sig` over `msg` with the key's own hash (SHA-256 for P-256, SHA-384 for P-384),
    /// as DSSE signers of model signing use. ECDSA signatures are DER.
    pub fn verify(&self, msg: &[u8], sig: &[u8]) -> bool {
        match self {
            PublicKey::P256(k) => {
                p256::ecdsa::Signature::from_der(sig).is_ok_and(|s| k.verify(msg, &s).is_ok())
            }
            PublicKey::P384(k) => {
                p384::ecdsa::Signature::from_der(sig).is_ok_and(|s| k.verify(msg, &s).is_ok())
            }
            PublicKey::Ed25519(k) => ed25519_dalek::Signature::from_slice(sig)
                .is_ok_and(|s| k.verify_strict(msg, &s).is_ok()),
            PublicKey::Rsa(_) => self.verify_with(Hash::Sha256, msg, sig),
        }
    }

    /// Checks `sig` over `msg` hashed with `hash` (a certificate's or log's signature algorithm).
    pub fn verify_with(&self, hash: Hash, msg: &[u8], sig: &[u8]) -> bool {
        match self {
            PublicKey::P256(k) => p256::ecdsa::Signature::from_der(sig)
                .is_ok_and(|s| k.verify_prehash(&hash.digest(msg), &s).is_ok()),
            PublicKey::P384(k) => p384::ecdsa::Signature::from_der(sig)
                .is_ok_and(|s| k.verify_prehash(&hash.digest(msg), &s).is_ok()),
            PublicKey::Ed25519(_) => self.verify(msg, sig),
            PublicKey::Rsa(k) => {
                let Ok(s) = rsa::pkcs1v15::Signature::try_from(sig) else {
                    return false;
                };
                let k = k.as_ref().clone();
                match hash {
                    Hash::Sha256 => rsa::pkcs1v15::VerifyingKey::<sha2::Sha256>::new(k)
                        .verify(msg, &s)
                        .is_ok(),
                    Hash::Sha384 => rsa::pkcs1v15::VerifyingKey::<sha2::Sha384>::new(k)
                        .verify(msg, &s)
                        .is_ok(),
                    Hash::Sha512 => rsa::pkcs1v15::VerifyingKey::<sha2::Sha512>::new(k)
                        .verify(msg, &s)
                        .is_ok(),
                }
            }
        }
    }
}

/// A private key that `sign` uses.
pub enum SigningKey {
    P256(p256::ecdsa::SigningKey),
    P384(p384::ecdsa::SigningKey),
    Ed25519(Box<ed25519_dalek::SigningKey>),
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SigningKey({})", self.public().algorithm())
    }
}

impl SigningKey {
    /// A private key from PEM: PKCS#8 `PRIVATE KEY` (P-256, P-384, Ed25519) or SEC1
    /// `EC PRIVATE KEY` (P-256, P-384), as `openssl` and the reference's test keys write them.
    pub fn from_pem(text: &str) -> Result<SigningKey, KeyError> {
        use p256::pkcs8::DecodePrivateKey as _;
        if let Some(der) = pem_block(text, "PRIVATE KEY") {
            if let Ok(k) = p256::SecretKey::from_pkcs8_der(&der) {
                return Ok(SigningKey::P256(k.into()));
            }
            if let Ok(k) = p384::SecretKey::from_pkcs8_der(&der) {
                return Ok(SigningKey::P384(k.into()));
            }
            if let Ok(k) = ed25519_dalek::SigningKey::from_pkcs8_der(&der) {
                return Ok(SigningKey::Ed25519(Box::new(k)));
            }
            return Err(KeyError(
                "the PKCS#8 key is not ECDSA P-256/P-384 or Ed25519".into(),
            ));
        }
        if let Some(der) = pem_block(text, "EC PRIVATE KEY") {
            if let Ok(k) = p256::SecretKey::from_sec1_der(&der) {
                return Ok(SigningKey::P256(k.into()));
            }
            if let Ok(k) = p384::SecretKey::from_sec1_der(&der) {
                return Ok(SigningKey::P384(k.into()));
            }
            return Err(KeyError("the EC key is not on P-256 or P-384".into()));
        }
        if pem_block(text, "ENCRYPTED PRIVATE KEY").is_some() {
            return Err(KeyError(
                "encrypted private keys are not supported; decrypt it first".into(),
            ));
        }
        Err(KeyError(
            "no `PRIVATE KEY` or `EC PRIVATE KEY` PEM block".into(),
        ))
    }

    /// The matching public key.
    pub fn public(&self) -> PublicKey {
        match self {
            SigningKey::P256(k) => PublicKey::P256(*k.verifying_key()),
            SigningKey::P384(k) => PublicKey::P384(*k.verifying_key()),
            SigningKey::Ed25519(k) => PublicKey::Ed25519(k.verifying_key()),
        }
    }

    /// Signs `msg` (ECDSA: deterministic, RFC 6979, DER-encoded; hash by curve).
    pub fn sign(&self, msg: &[u8]) -> Vec<u8> {
        match self {
            SigningKey::P256(k) => {
                let s: p256::ecdsa::Signature = k.sign(msg);
                s.to_der().as_bytes().to_vec()
            }
            SigningKey::P384(k) => {
                let s: p384::ecdsa::Signature = k.sign(msg);
                s.to_der().as_bytes().to_vec()
            }
            SigningKey::Ed25519(k) => k.sign(msg).to_bytes().to_vec(),
        }
    }
}
