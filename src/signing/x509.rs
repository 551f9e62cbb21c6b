//! X.509 certificates: parsing (x509-cert), chain building to trusted roots, and the identity a
//! leaf certificate names (subject, SAN, the Fulcio OIDC-issuer extension).

use super::keys::{Hash, PublicKey};
use der::{Decode as _, Encode as _};
use sha2::Digest as _;
use x509_cert::Certificate;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{BasicConstraints, SubjectAltName};

/// A parsed certificate with its DER.
#[derive(Debug, Clone)]
pub struct Cert {
    pub der: Vec<u8>,
    pub cert: Certificate,
}

impl Cert {
    /// Parses DER.
    pub fn from_der(der: &[u8]) -> Result<Cert, String> {
        let cert =
            Certificate::from_der(der).map_err(|e| format!("not an X.509 certificate: {e}"))?;
        Ok(Cert {
            der: der.to_vec(),
            cert,
        })
    }

    /// Every `CERTIFICATE` block of a PEM file.
    pub fn from_pem_chain(text: &str) -> Result<Vec<Cert>, String> {
        let blocks = super::keys::pem_blocks(text, "CERTIFICATE");
        if blocks.is_empty() {
            return Err("no `CERTIFICATE` PEM block".into());
        }
        blocks.iter().map(|d| Cert::from_der(d)).collect()
    }

    /// The subject's public key.
    pub fn public_key(&self) -> Result<PublicKey, String> {
        let spki = self
            .cert
            .tbs_certificate()
            .subject_public_key_info()
            .to_der()
            .map_err(|e| e.to_string())?;
        PublicKey::from_spki_der(&spki).map_err(|e| e.to_string())
    }

    /// The subject as an RFC 4514 string (`CN=…,O=…`).
    pub fn subject(&self) -> String {
        self.cert.tbs_certificate().subject().to_string()
    }

    /// The issuer as an RFC 4514 string.
    pub fn issuer(&self) -> String {
        self.cert.tbs_certificate().issuer().to_string()
    }

    /// `sha256:` and the hex SHA-256 of the certificate's DER.
    pub fn fingerprint(&self) -> String {
        format!("sha256:{}", hex::encode(sha2::Sha256::digest(&self.der)))
    }

    /// Subject alternative names: e-mail addresses, URIs, DNS names.
    pub fn sans(&self) -> Vec<String> {
        let Ok(Some((_, san))) = self
            .cert
            .tbs_certificate()
            .get_extension::<SubjectAltName>()
        else {
            return Vec::new();
        };
        san.0
            .iter()
            .filter_map(|n| match n {
                GeneralName::Rfc822Name(s) => Some(s.to_string()),
                GeneralName::UniformResourceIdentifier(s) => Some(s.to_string()),
                GeneralName::DnsName(s) => Some(s.to_string()),
                _ => None,
            })
            .collect()
    }

    /// The OIDC issuer Fulcio records: extension 1.3.6.1.4.1.57264.1.8 (a DER UTF8String), or the
    /// older 1.3.6.1.4.1.57264.1.1 (the raw string).
    pub fn oidc_issuer(&self) -> Option<String> {
        let exts = self.cert.tbs_certificate().extensions()?;
        let find = |oid: &str| {
            exts.iter()
                .find(|e| e.extn_id.to_string() == oid)
                .map(|e| e.extn_value.as_bytes().to_vec())
        };
        if let Some(v) = find("1.3.6.1.4.1.57264.1.8")
            && let Ok(s) = der::asn1::Utf8StringRef::from_der(&v)
        {
            return Some(s.as_str().to_string());
        }
        find("1.3.6.1.4.1.57264.1.1").and_then(|v| String::from_utf8(v).ok())
    }

    /// Whether the certificate may sign others (basicConstraints cA).
    fn is_ca(&self) -> bool {
        matches!(
            self.cert
                .tbs_certificate()
                .get_extension::<BasicConstraints>(),
            Ok(Some((_, BasicConstraints { ca: true, .. })))
        )
    }

    /// Whether `unix` seconds fall in the validity period.
    pub fn valid_at(&self, unix: u64) -> bool {
        let v = self.cert.tbs_certificate().validity();
        let from = v.not_before.to_unix_duration().as_secs();
        let to = v.not_after.to_unix_duration().as_secs();
        from <= unix && unix <= to
    }

    /// Whether `issuer`'s key signed this certificate.
    pub fn signed_by(&self, issuer: &Cert) -> bool {
        if self.cert.tbs_certificate().issuer() != issuer.cert.tbs_certificate().subject() {
            return false;
        }
        let Ok(key) = issuer.public_key() else {
            return false;
        };
        let Ok(tbs) = self.cert.tbs_certificate().to_der() else {
            return false;
        };
        let Some(sig) = self.cert.signature().as_bytes() else {
            return false;
        };
        let hash = match self.cert.signature_algorithm().oid.to_string().as_str() {
            "1.2.840.10045.4.3.2" | "1.2.840.113549.1.1.11" => Hash::Sha256,
            "1.2.840.10045.4.3.3" | "1.2.840.113549.1.1.12" => Hash::Sha384,
            "1.2.840.10045.4.3.4" | "1.2.840.113549.1.1.13" => Hash::Sha512,
            "1.3.101.112" => return matches!(key, PublicKey::Ed25519(_)) && key.verify(&tbs, sig),
            _ => return false,
        };
        if matches!(key, PublicKey::Ed25519(_)) {
            return false;
        }
        key.verify_with(hash, &tbs, sig)
    }
}

/// Builds a path from `leaf` through `intermediates` to one of `roots`, each link signed by the
/// next and every issuer a CA, all valid at `at` (unix seconds). A root is trusted as given (a
/// trust anchor); a certificate equal to a root ends the path there. Returns the path's length,
/// or why none exists.
pub fn chain_to_roots(
    leaf: &Cert,
    intermediates: &[Cert],
    roots: &[Cert],
    at: u64,
) -> Result<usize, String> {
    if !leaf.valid_at(at) {
        return Err(format!(
            "the signing certificate `{}` is not valid at the time of signing",
            leaf.subject()
        ));
    }
    let mut current = leaf.clone();
    let mut used = vec![false; intermediates.len()];
    for depth in 1..=(intermediates.len() + 1) {
        if let Some(_root) = roots
            .iter()
            .find(|r| r.der == current.der || (current.signed_by(r) && r.is_ca()))
        {
            return Ok(depth);
        }
        let next = intermediates
            .iter()
            .enumerate()
            .find(|(i, c)| !used[*i] && c.is_ca() && c.valid_at(at) && current.signed_by(c));
        match next {
            Some((i, c)) => {
                used[i] = true;
                current = c.clone();
            }
            None => break,
        }
    }
    Err(format!(
        "the certificate chain from `{}` does not lead to a trusted root",
        leaf.subject()
    ))
}
