//! Keyless Sigstore bundles, checked offline against a trusted root (`trusted_root.json`):
//! the Fulcio chain at the log's integrated time, the Rekor entry's body against the envelope,
//! its signed entry timestamp (SET), and its inclusion proof up to a Rekor-signed checkpoint.
//!
//! Not checked (README, "Who published these bytes"): the certificate's embedded SCTs (CT log),
//! RFC 3161 timestamps, and anything that needs the network (consistency of the checkpoint with
//! the live log, or that the trusted root is current).

use super::bundle::{Bundle, TlogEntry, b64, unb64};
use super::keys::{Hash, PublicKey};
use super::x509::Cert;
use serde::Deserialize;
use sha2::Digest as _;

/// The parts of a Sigstore `trusted_root.json` used here.
#[derive(Debug, Clone)]
pub struct TrustedRoot {
    logs: Vec<Log>,
    cas: Vec<Ca>,
}

#[derive(Debug, Clone)]
struct Log {
    key_id: Vec<u8>,
    key: PublicKey,
    start: Option<i64>,
    end: Option<i64>,
}

#[derive(Debug, Clone)]
struct Ca {
    chain: Vec<Cert>,
    start: Option<i64>,
    end: Option<i64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawRoot {
    #[serde(default)]
    tlogs: Vec<RawLog>,
    #[serde(default)]
    certificate_authorities: Vec<RawCa>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawLog {
    public_key: RawKey,
    log_id: super::bundle::LogId,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawKey {
    raw_bytes: String,
    valid_for: Option<RawValid>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawCa {
    cert_chain: super::bundle::CertChain,
    valid_for: Option<RawValid>,
}

#[derive(Deserialize)]
struct RawValid {
    start: Option<String>,
    end: Option<String>,
}

fn unix(ts: &Option<String>) -> Result<Option<i64>, String> {
    ts.as_deref()
        .map(|s| {
            chrono::DateTime::parse_from_rfc3339(s)
                .map(|d| d.timestamp())
                .map_err(|e| format!("bad time `{s}`: {e}"))
        })
        .transpose()
}

fn within(t: i64, start: Option<i64>, end: Option<i64>) -> bool {
    start.is_none_or(|s| s <= t) && end.is_none_or(|e| t <= e)
}

impl TrustedRoot {
    /// Parses `trusted_root.json`.
    pub fn parse(text: &str) -> Result<TrustedRoot, String> {
        let raw: RawRoot =
            serde_json::from_str(text).map_err(|e| format!("not a Sigstore trusted root: {e}"))?;
        let mut logs = Vec::new();
        for l in raw.tlogs {
            let der = unb64(&l.public_key.raw_bytes).ok_or("a log key is not base64")?;
            // Logs with keys of other kinds are skipped, not fatal.
            let Ok(key) = PublicKey::from_spki_der(&der) else {
                continue;
            };
            let (start, end) = match &l.public_key.valid_for {
                Some(v) => (unix(&v.start)?, unix(&v.end)?),
                None => (None, None),
            };
            logs.push(Log {
                key_id: unb64(&l.log_id.key_id).ok_or("a log id is not base64")?,
                key,
                start,
                end,
            });
        }
        let mut cas = Vec::new();
        for c in raw.certificate_authorities {
            let chain = c
                .cert_chain
                .certificates
                .iter()
                .map(|r| {
                    unb64(&r.raw_bytes)
                        .ok_or_else(|| "a CA certificate is not base64".to_string())
                        .and_then(|d| Cert::from_der(&d))
                })
                .collect::<Result<Vec<_>, _>>()?;
            let (start, end) = match &c.valid_for {
                Some(v) => (unix(&v.start)?, unix(&v.end)?),
                None => (None, None),
            };
            cas.push(Ca { chain, start, end });
        }
        if cas.is_empty() || logs.is_empty() {
            return Err("the trusted root lists no certificate authority or no log".into());
        }
        Ok(TrustedRoot { logs, cas })
    }
}

/// What a keyless bundle proved: the leaf certificate and when Rekor logged it.
#[derive(Debug)]
pub struct Proven {
    pub leaf: Cert,
    pub integrated_time: i64,
    pub log_index: i64,
}

/// Why a keyless bundle failed: its own evidence is broken, or it is sound but not anchored in
/// the trusted root.
#[derive(Debug)]
pub enum Failure {
    Invalid(String),
    Untrusted(String),
}

/// Checks everything about a keyless bundle that can be checked offline, except the DSSE
/// signature itself (the caller checks it with the returned leaf's key).
pub fn check(bundle: &Bundle, root: &TrustedRoot) -> Result<Proven, Failure> {
    use Failure::*;
    let certs = bundle.certificates().map_err(Invalid)?;
    let Some(leaf_der) = certs.first() else {
        return Err(Invalid("the bundle carries no certificate".into()));
    };
    let leaf = Cert::from_der(leaf_der).map_err(Invalid)?;
    let [entry] = bundle.verification_material.tlog_entries.as_slice() else {
        return Err(Invalid(
            "a keyless bundle needs exactly one transparency-log entry".into(),
        ));
    };
    let time: i64 = entry
        .integrated_time
        .parse()
        .map_err(|_| Invalid("the log entry's integrated time is not a number".into()))?;
    let log_index: i64 = entry
        .log_index
        .parse()
        .map_err(|_| Invalid("the log entry's index is not a number".into()))?;
    let body = unb64(&entry.canonicalized_body)
        .ok_or_else(|| Invalid("the log entry's body is not base64".into()))?;
    check_body(bundle, &body, leaf_der).map_err(Invalid)?;

    let key_id =
        unb64(&entry.log_id.key_id).ok_or_else(|| Invalid("the log id is not base64".into()))?;
    let Some(log) = root
        .logs
        .iter()
        .find(|l| l.key_id == key_id && within(time, l.start, l.end))
    else {
        return Err(Untrusted(
            "the entry's transparency log is not in the trusted root (or not at that time)".into(),
        ));
    };
    check_set(entry, &body, time, log_index, log)?;
    check_inclusion(entry, &body, log)?;

    // Fulcio: the leaf chains to a CA of the trusted root that was valid at the integrated time.
    let at = u64::try_from(time).map_err(|_| Invalid("negative integrated time".into()))?;
    let mut why = String::from("no certificate authority in the trusted root");
    for ca in root.cas.iter().filter(|c| within(time, c.start, c.end)) {
        let Some((anchor, intermediates)) = ca.chain.split_last() else {
            continue;
        };
        match super::x509::chain_to_roots(&leaf, intermediates, std::slice::from_ref(anchor), at) {
            Ok(_) => {
                return Ok(Proven {
                    leaf,
                    integrated_time: time,
                    log_index,
                });
            }
            Err(e) => why = e,
        }
    }
    Err(Untrusted(format!("{why} (Fulcio)")))
}

/// The `dsse` entry must describe this envelope: its payload hash, its signature, its certificate.
fn check_body(bundle: &Bundle, body: &[u8], leaf_der: &[u8]) -> Result<(), String> {
    let v: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| format!("the log entry's body: {e}"))?;
    if v["kind"] != "dsse" {
        return Err(format!(
            "log entries of kind {} are not supported",
            v["kind"]
        ));
    }
    let payload = bundle.payload()?;
    let want = hex::encode(sha2::Sha256::digest(&payload));
    if v["spec"]["payloadHash"]["value"].as_str() != Some(want.as_str()) {
        return Err("the log entry is for another payload".into());
    }
    let sigs = v["spec"]["signatures"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let sig = &bundle.dsse_envelope.signatures[0].sig;
    let ok = sigs.iter().any(|s| {
        s["signature"].as_str() == Some(sig.as_str())
            && s["verifier"]
                .as_str()
                .and_then(unb64)
                .and_then(|pem| String::from_utf8(pem).ok())
                .and_then(|pem| super::keys::pem_block(&pem, "CERTIFICATE"))
                .is_some_and(|der| der == leaf_der)
    });
    if !ok {
        return Err("the log entry records another signature or certificate".into());
    }
    Ok(())
}

/// The SET: the log's signature over the canonical JSON of body, time, log id and index.
fn check_set(
    entry: &TlogEntry,
    _body: &[u8],
    time: i64,
    index: i64,
    log: &Log,
) -> Result<(), Failure> {
    let Some(promise) = &entry.inclusion_promise else {
        return Err(Failure::Invalid(
            "the log entry has no signed entry timestamp (inclusion promise)".into(),
        ));
    };
    let sig = unb64(&promise.signed_entry_timestamp)
        .ok_or_else(|| Failure::Invalid("the signed entry timestamp is not base64".into()))?;
    // RFC 8785 canonical form: keys sorted, no spaces; every value here is ASCII without escapes.
    let canonical = format!(
        "{{\"body\":\"{}\",\"integratedTime\":{},\"logID\":\"{}\",\"logIndex\":{}}}",
        entry.canonicalized_body,
        time,
        hex::encode(&log.key_id),
        index
    );
    if !entry
        .canonicalized_body
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"+/=".contains(&b))
        || !log
            .key
            .verify_with(Hash::Sha256, canonical.as_bytes(), &sig)
    {
        return Err(Failure::Invalid(
            "the log's signed entry timestamp does not verify".into(),
        ));
    }
    Ok(())
}

/// RFC 6962 inclusion proof from the entry's leaf to the root hash, and the checkpoint (a signed
/// note from the same log) that commits to that root and tree size.
fn check_inclusion(entry: &TlogEntry, body: &[u8], log: &Log) -> Result<(), Failure> {
    use Failure::Invalid;
    let Some(proof) = &entry.inclusion_proof else {
        // The SET alone is Rekor's promise; sigstore clients accept it without a proof.
        return Ok(());
    };
    let index: u64 = proof
        .log_index
        .parse()
        .map_err(|_| Invalid("bad inclusion proof index".into()))?;
    let size: u64 = proof
        .tree_size
        .parse()
        .map_err(|_| Invalid("bad inclusion proof tree size".into()))?;
    let root = unb64(&proof.root_hash).ok_or_else(|| Invalid("bad inclusion proof root".into()))?;
    let hashes = proof
        .hashes
        .iter()
        .map(|h| unb64(h).filter(|h| h.len() == 32))
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| Invalid("bad inclusion proof hash".into()))?;
    let mut leaf = vec![0u8];
    leaf.extend_from_slice(body);
    let leaf = sha2::Sha256::digest(&leaf).to_vec();
    if merkle_root(index, size, leaf, &hashes).as_deref() != Some(root.as_slice()) {
        return Err(Invalid(
            "the inclusion proof does not lead to its root hash".into(),
        ));
    }
    let Some(cp) = &proof.checkpoint else {
        return Err(Invalid("the inclusion proof has no checkpoint".into()));
    };
    // A signed note: "<origin>\n<size>\n<root b64>\n[extra…]\n" + "\n" + "— <name> <b64(hint‖sig)>\n"…
    let Some((text, sigs)) = cp.envelope.split_once("\n\n") else {
        return Err(Invalid("the checkpoint is not a signed note".into()));
    };
    let text = format!("{text}\n");
    let lines: Vec<&str> = text.lines().collect();
    if lines.len() < 3 || lines[1] != proof.tree_size || lines[2] != b64(&root) {
        return Err(Invalid(
            "the checkpoint commits to another tree than the inclusion proof".into(),
        ));
    }
    let signed = sigs.lines().any(|l| {
        let Some(rest) = l.strip_prefix("\u{2014} ") else {
            return false;
        };
        let Some(sig) = rest.rsplit(' ').next().and_then(unb64) else {
            return false;
        };
        sig.len() > 4
            && sig[..4] == log.key_id[..4.min(log.key_id.len())]
            && log
                .key
                .verify_with(Hash::Sha256, text.as_bytes(), &sig[4..])
    });
    if !signed {
        return Err(Invalid("the checkpoint is not signed by the log".into()));
    }
    Ok(())
}

fn node(left: &[u8], right: &[u8]) -> Vec<u8> {
    let mut h = sha2::Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().to_vec()
}

/// The root an RFC 6962/9162 inclusion proof implies (RFC 9162 §2.1.3.2).
fn merkle_root(index: u64, size: u64, leaf: Vec<u8>, proof: &[Vec<u8>]) -> Option<Vec<u8>> {
    if index >= size {
        return None;
    }
    let (mut fn_, mut sn) = (index, size - 1);
    let mut r = leaf;
    for p in proof {
        if sn == 0 {
            return None;
        }
        if fn_ & 1 == 1 || fn_ == sn {
            r = node(p, &r);
            if fn_ & 1 == 0 {
                while fn_ & 1 == 0 && fn_ != 0 {
                    fn_ >>= 1;
                    sn >>= 1;
                }
            }
        } else {
            r = node(&r, p);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    (sn == 0).then_some(r)
}

#[cfg(test)]
pub(super) fn merkle_root_for_test(
    i: u64,
    n: u64,
    leaf: Vec<u8>,
    p: &[Vec<u8>],
) -> Option<Vec<u8>> {
    merkle_root(i, n, leaf, p)
}
