//! The audit verdict as an in-toto Statement v1 whose predicate is a SLSA Verification Summary
//! Attestation v1 (`report --format intoto`): the model's files are the subjects, modelvet is the
//! verifier, the policy is the policy it was judged under.

use super::{ReportDocument, ReportError};
use serde_json::{Value, json};

/// The in-toto Statement type.
pub const STATEMENT_TYPE: &str = "https://in-toto.io/Statement/v1";
/// The SLSA VSA predicate type.
pub const VSA_TYPE: &str = "https://slsa.dev/verification_summary/v1";
/// The verifier's id.
pub const VERIFIER_ID: &str = "https://github.com/modelvet/modelvet";
/// The level modelvet claims when the policy passed (custom levels must not start with `SLSA_`).
pub const PASSED_LEVEL: &str = "MODELVET_POLICY_PASSED";

/// The statement for a report document; the model must have been audited.
pub fn statement(doc: &ReportDocument) -> Result<Value, ReportError> {
    let r = &doc.record;
    let audit = doc
        .audit
        .as_ref()
        .and_then(|a| a.verdict.as_ref().map(|v| (a, v)))
        .ok_or_else(|| ReportError::NotAudited(r.id.to_string()))?;
    let (run, verdict) = audit;
    let subject: Vec<Value> = r
        .files
        .iter()
        .filter_map(|f| {
            let digest = match (&f.sha256, &f.git_oid) {
                (Some(sha), _) => json!({"sha256": sha.as_str()}),
                // A Hub file known only by its git blob id (not downloaded yet).
                (None, Some(oid)) => json!({"gitBlob": oid.as_str()}),
                (None, None) => return None,
            };
            Some(json!({"name": f.path, "digest": digest}))
        })
        .collect();
    let resource_uri = match (&r.source.kind, &r.source.revision) {
        (crate::record::SourceKind::Hub, Some(commit)) => format!(
            "https://huggingface.co/{}/tree/{}",
            r.source.location.trim_start_matches("hf:"),
            commit
        ),
        _ => format!("modelvet:{}", r.id),
    };
    let mut policy = json!({"uri": policy_uri(&verdict.policy)});
    if let Some(d) = &verdict.policy_sha256 {
        policy["digest"] = json!({"sha256": d});
    }
    let levels: Vec<&str> = if verdict.pass {
        vec![PASSED_LEVEL]
    } else {
        vec![]
    };
    Ok(json!({
        "_type": STATEMENT_TYPE,
        "subject": subject,
        "predicateType": VSA_TYPE,
        "predicate": {
            "verifier": {
                "id": VERIFIER_ID,
                "version": {"modelvet": env!("CARGO_PKG_VERSION")},
            },
            "timeVerified": to_rfc3339(&run.at),
            "resourceUri": resource_uri,
            "policy": policy,
            "verificationResult": if verdict.pass { "PASSED" } else { "FAILED" },
            "verifiedLevels": levels,
            "slsaVersion": "1.0",
        },
    }))
}

fn policy_uri(name: &str) -> String {
    if name == "built-in default" {
        "modelvet:policy/built-in-default".to_string()
    } else {
        let path = std::path::Path::new(name);
        let abs = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        format!("file://{}", abs.display())
    }
}

/// The run's time as RFC 3339 with `Z` (stored with milliseconds; kept as stored when it parses).
fn to_rfc3339(at: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(at)
        .map(|t| super::timestamp(t.with_timezone(&chrono::Utc)))
        .unwrap_or_else(|_| at.to_string())
}

/// `statement` (the JSON text of an in-toto Statement) wrapped in a DSSE envelope signed with
/// `key`: the signature is over DSSE's pre-authentication encoding of the payload type and the
/// payload, and `keyid` is the SHA-256 fingerprint of the public key, as `verify --key` prints it.
pub fn dsse_envelope(statement: &str, key: &crate::signing::keys::SigningKey) -> Value {
    use crate::signing::bundle::{PAYLOAD_TYPE, b64, pae};
    let sig = key.sign(&pae(PAYLOAD_TYPE, statement.as_bytes()));
    json!({
        "payloadType": PAYLOAD_TYPE,
        "payload": b64(statement.as_bytes()),
        "signatures": [{"keyid": key.public().fingerprint(), "sig": b64(&sig)}],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_envelope_verifies_with_the_public_key_and_not_after_an_edit() {
        let key = crate::signing::keys::SigningKey::P256(
            p256::SecretKey::from_slice(&[7u8; 32]).unwrap().into(),
        );
        let env = dsse_envelope(r#"{"_type":"x"}"#, &key);
        let payload = crate::signing::bundle::unb64(env["payload"].as_str().unwrap()).unwrap();
        let sig =
            crate::signing::bundle::unb64(env["signatures"][0]["sig"].as_str().unwrap()).unwrap();
        let public = key.public();
        let pae = |p: &[u8]| crate::signing::bundle::pae(crate::signing::bundle::PAYLOAD_TYPE, p);
        assert!(public.verify(&pae(&payload), &sig));
        assert!(!public.verify(&pae(br#"{"_type":"y"}"#), &sig));
        assert_eq!(env["signatures"][0]["keyid"], public.fingerprint());
    }
}
