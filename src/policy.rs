//! Adoption policy: the policy file (DESIGN.md, "Policy file"), the built-in default, and the
//! evaluation of a model's record against it. Modelled on cargo-deny: an allow-list of license ids
//! evaluated over SPDX expressions, per-model exceptions, and `clarify` entries pinned to a file hash.

use crate::finding::{Finding, Severity};
use crate::record::ModelRecord;
use serde::{Deserialize, Serialize};

crate::finding_codes! {
    /// Finding codes of the policy evaluation.
    pub enum PolicyCode {
        LicenseNotAllowed = "license-not-allowed", High, "the effective license expression is not satisfied by the policy's allow-list";
        LicenseUnknown = "license-unknown", High, "the model's license could not be determined (NOASSERTION), so no allow-list can pass it";
        LicenseClarified = "license-clarified", Info, "the policy's `clarify` entry set the license, pinned to the hashes of the named files";
        LicenseClarifyStale = "license-clarify-stale", High, "a `clarify` entry names a file whose recorded hash differs from the pinned one; it was not applied";
        OpennessBelowMinimum = "openness-below-minimum", High, "the model's openness class is below the policy's minimum";
        MofClassBelowMinimum = "mof-class-below-minimum", High, "the model's MOF class does not reach the policy's required class";
        OpennessUnknown = "openness-unknown", High, "the policy requires an openness level but the model has not been classified";
        VerifyFailed = "verify-failed", Critical, "the policy requires verified bytes and verification failed";
        VerifyNotRun = "verify-not-run", High, "the policy requires verified bytes but the bytes could not be verified";
        ScanThresholdExceeded = "scan-threshold-exceeded", High, "the model has findings at or above the policy's scan severity";
        SmokeFailed = "smoke-failed", High, "the policy requires a passing smoke test and the weights did not load and run";
        SmokeNotRun = "smoke-not-run", High, "the policy requires a passing smoke test and none was run (or the architecture is unsupported)";
        ApprovalMissing = "approval-missing", High, "the policy requires an approval for a criterion and the revision has none (an approval binds a revision, not a name)";
        ApprovalExpired = "approval-expired", High, "the revision's approval for a required criterion has passed its expiry date";
        ApprovalRevoked = "approval-revoked", High, "the revision's approval for a required criterion was revoked";
        SignatureMissing = "signature-missing", High, "the policy requires a model signature and the revision's files hold no `model.sig`";
        SignatureNotTrusted = "signature-not-trusted", High, "the policy requires a signature from its listed keys or identities, and no valid signature by one of them covers the files";
        SignatureNotChecked = "signature-not-checked", High, "the policy asks about signatures but the revision's bytes are not here to check (fetch it or give its folder)";
    }
}

/// Errors reading a policy file.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    #[error("cannot read policy `{path}`")]
    Read {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("invalid policy `{path}`: {message}")]
    Invalid { path: String, message: String },
}

/// A policy file.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    pub version: u32,
    #[serde(default)]
    pub licenses: Option<Licenses>,
    #[serde(default)]
    pub profile: Option<Profile>,
    #[serde(default)]
    pub openness: Option<OpennessRequirement>,
    #[serde(default)]
    pub checks: Option<Checks>,
    #[serde(default)]
    pub approvals: Option<Approvals>,
    #[serde(default)]
    pub signatures: Option<Signatures>,
    /// The SHA-256 of the text this policy was parsed from (set by [`Policy::parse`]).
    #[serde(skip)]
    pub sha256: Option<String>,
}

/// `signatures:`: OpenSSF model signing. `keys` are PEM public keys (paths relative to the policy
/// file's folder) or `sha256:` fingerprints of their SubjectPublicKeyInfo; `identities` are
/// keyless Sigstore signers, checked offline against `trust_root` (a Sigstore
/// `trusted_root.json`, also relative to the policy file).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Signatures {
    #[serde(default)]
    pub require: bool,
    #[serde(default)]
    pub keys: Vec<String>,
    #[serde(default)]
    pub identities: Vec<SignerIdentity>,
    #[serde(default)]
    pub trust_root: Option<String>,
}

/// A keyless signer: the certificate's SAN and the OIDC issuer that vouched for it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SignerIdentity {
    pub identity: String,
    pub issuer: String,
}

impl Signatures {
    fn validate(&self) -> Result<(), String> {
        for k in &self.keys {
            if let Some(hex) = k.strip_prefix("sha256:") {
                if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return Err(format!(
                        "signatures.keys: `{k}` is not `sha256:` and 64 hex digits"
                    ));
                }
            } else if k.trim().is_empty() {
                return Err("signatures.keys: an entry is empty".into());
            }
        }
        if !self.identities.is_empty() && self.trust_root.is_none() {
            return Err("signatures.identities needs signatures.trust_root (a Sigstore trusted_root.json) to check them offline".into());
        }
        Ok(())
    }

    /// Whether any signer is named (else `require` asks only for an intact signature).
    pub fn names_signers(&self) -> bool {
        !self.keys.is_empty() || !self.identities.is_empty()
    }
}

/// The signature check's result for the audited revision.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SignatureFact {
    /// Whether the revision's files hold a `model.sig`.
    pub present: bool,
    /// The signer, when a signature by one of the policy's keys or identities verified (or, when
    /// the policy names none, the signer an intact signature names).
    pub trusted_signer: Option<String>,
    /// Problems the check found (files the signature does not match, a broken signature).
    pub findings: Vec<Finding>,
    /// Why no listed signer was accepted.
    pub note: Option<String>,
}

/// `approvals:`: the named criteria, which of them an audit requires, and whose published
/// decisions are trusted for which criteria.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Approvals {
    #[serde(default)]
    pub criteria: std::collections::BTreeMap<String, Criterion>,
    #[serde(default)]
    pub require: Vec<String>,
    #[serde(default)]
    pub imports: Vec<ApprovalImport>,
}

/// A criterion: a description, or a description and the criteria that imply it.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(untagged)]
pub enum Criterion {
    Described(String),
    Full(CriterionSpec),
}

/// The long form of a criterion.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CriterionSpec {
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub implied_by: Vec<String>,
}

impl Criterion {
    /// The criteria that imply this one directly.
    pub fn implied_by(&self) -> &[String] {
        match self {
            Criterion::Described(_) => &[],
            Criterion::Full(spec) => &spec.implied_by,
        }
    }
}

/// Another catalogue's published decisions (`approvals --export`), trusted for some criteria.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ApprovalImport {
    pub name: String,
    /// An `http(s)://` URL (the registry's `/api/v1/approvals`) or a file path.
    pub url: String,
    pub criteria: Vec<String>,
    /// The environment variable that holds a reader token for `url` (sent as `Authorization:
    /// Bearer …`). The token itself never goes in the policy, which is often committed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_env: Option<String>,
}

impl Approvals {
    /// `criterion` and every criterion that implies it, directly or through others.
    pub fn satisfying(&self, criterion: &str) -> Vec<String> {
        let mut out = vec![criterion.to_string()];
        let mut i = 0;
        while i < out.len() {
            // Implication is declared on the implied side: `research: {implied_by: [production]}`.
            if let Some(c) = self.criteria.get(&out[i]) {
                for by in c.implied_by() {
                    if !out.contains(by) {
                        out.push(by.clone());
                    }
                }
            }
            i += 1;
        }
        out
    }

    fn validate(&self) -> Result<(), String> {
        let known = |c: &str, what: &str| {
            if self.criteria.contains_key(c) {
                Ok(())
            } else {
                Err(format!(
                    "approvals.{what}: `{c}` is not one of approvals.criteria ({})",
                    self.criteria.keys().cloned().collect::<Vec<_>>().join(", ")
                ))
            }
        };
        for (name, c) in &self.criteria {
            if !is_criterion_name(name) {
                return Err(format!(
                    "approvals.criteria: `{name}` is not a criterion name (letters, digits, `-` and `_`)"
                ));
            }
            for by in c.implied_by() {
                known(by, "criteria.implied_by")?;
            }
        }
        for r in &self.require {
            known(r, "require")?;
        }
        for i in &self.imports {
            for c in &i.criteria {
                known(c, "imports.criteria")?;
            }
            if let Some(var) = &i.token_env
                && (var.is_empty()
                    || !var
                        .bytes()
                        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_'))
            {
                return Err(format!(
                    "imports.token_env `{var}` of `{}` is not an environment variable name (A-Z, 0-9, _)",
                    i.name
                ));
            }
        }
        Ok(())
    }
}

/// Whether `name` can name a criterion: ASCII letters, digits, `-` and `_`, 1 to 64 of them.
pub fn is_criterion_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// `licenses:`: the allow-list, per-model exceptions and clarifications.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Licenses {
    #[serde(default)]
    pub allow: Vec<String>,
    #[serde(default)]
    pub exceptions: Vec<Exception>,
    #[serde(default)]
    pub clarify: Vec<Clarify>,
}

/// Extra allowed ids for one model (`NAME` = every revision, or `NAME@REV`).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Exception {
    pub model: String,
    pub allow: Vec<String>,
}

/// "This model's license is EXPRESSION", valid while the named files keep their hashes.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Clarify {
    pub model: String,
    pub expression: String,
    pub files: Vec<PinnedFile>,
}

/// A file and the SHA-256 it must have.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PinnedFile {
    pub path: String,
    pub sha256: String,
}

/// Who is adopting: checked against license thresholds and territory terms.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    #[serde(default)]
    pub commercial: Option<bool>,
    #[serde(default)]
    pub monthly_active_users: Option<u64>,
    #[serde(default)]
    pub annual_revenue_usd: Option<u64>,
    #[serde(default)]
    pub territories: Vec<String>,
}

/// The least openness a model must have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Minimum {
    Any,
    OpenWeight,
    OpenSource,
}

/// `openness:`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct OpennessRequirement {
    #[serde(default)]
    pub minimum: Option<Minimum>,
    /// 3 accepts classes 3, 2 and 1 (1 is the highest); class 0 fails.
    #[serde(default)]
    pub mof_class: Option<u8>,
}

/// The scan threshold: a severity, or `off`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ScanLevel {
    Off,
    Low,
    Medium,
    High,
    Critical,
}

impl ScanLevel {
    /// The severity at or above which findings fail, if any.
    pub fn severity(self) -> Option<Severity> {
        match self {
            ScanLevel::Off => None,
            ScanLevel::Low => Some(Severity::Low),
            ScanLevel::Medium => Some(Severity::Medium),
            ScanLevel::High => Some(Severity::High),
            ScanLevel::Critical => Some(Severity::Critical),
        }
    }
}

/// `checks:`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Checks {
    #[serde(default)]
    pub verify: Option<bool>,
    #[serde(default)]
    pub scan: Option<ScanLevel>,
    #[serde(default)]
    pub smoke: Option<bool>,
}

impl Policy {
    /// Parses a policy; errors name the file and, where the YAML parser knows it, the line.
    pub fn parse(text: &str, origin: &str) -> Result<Policy, PolicyError> {
        let invalid = |message: String| PolicyError::Invalid {
            path: origin.to_string(),
            message,
        };
        let mut policy: Policy = serde_saphyr::from_str(text).map_err(|e| {
            // The parser's message carries the line, column and a snippet; name the file in it.
            invalid(
                e.to_string()
                    .trim_start_matches("error: ")
                    .replace("<input>", origin),
            )
        })?;
        policy.sha256 = Some(crate::hashing::sha256_hex(text.as_bytes()));
        if policy.version != 1 {
            return Err(invalid(format!(
                "version {} is not supported (this modelvet reads version 1)",
                policy.version
            )));
        }
        if let Some(o) = &policy.openness
            && let Some(c) = o.mof_class
            && !(1..=3).contains(&c)
        {
            return Err(invalid(format!(
                "openness.mof_class must be 1, 2 or 3, not {c}"
            )));
        }
        if let Some(p) = &policy.profile {
            for t in &p.territories {
                let ok = t == "EU" || (t.len() == 2 && t.bytes().all(|b| b.is_ascii_uppercase()));
                if !ok {
                    return Err(invalid(format!(
                        "profile.territories: `{t}` is not an ISO 3166-1 alpha-2 code (or EU)"
                    )));
                }
            }
        }
        if let Some(a) = &policy.approvals {
            a.validate().map_err(invalid)?;
        }
        if let Some(s) = &policy.signatures {
            s.validate().map_err(invalid)?;
        }
        if let Some(l) = &policy.licenses {
            for id in l
                .allow
                .iter()
                .chain(l.exceptions.iter().flat_map(|e| e.allow.iter()))
            {
                if spdx::Expression::parse(id).is_err() {
                    return Err(invalid(format!(
                        "licenses: `{id}` is not an SPDX license id or LicenseRef-…"
                    )));
                }
            }
            for c in &l.clarify {
                if spdx::Expression::parse(&c.expression).is_err() {
                    return Err(invalid(format!(
                        "licenses.clarify: `{}` is not an SPDX expression",
                        c.expression
                    )));
                }
                if c.files.is_empty() {
                    return Err(invalid(format!(
                        "licenses.clarify for `{}` pins no files; a clarification must be tied to file hashes",
                        c.model
                    )));
                }
                for f in &c.files {
                    if !crate::ids::Sha256::is_valid(&f.sha256) {
                        return Err(invalid(format!(
                            "licenses.clarify: `{}` is not a SHA-256",
                            f.sha256
                        )));
                    }
                }
            }
        }
        Ok(policy)
    }

    /// Reads and parses a policy file.
    pub fn load(path: &std::path::Path) -> Result<Policy, PolicyError> {
        let text = std::fs::read_to_string(path).map_err(|source| PolicyError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Policy::parse(&text, &path.display().to_string())
    }

    /// The built-in policy used without `--policy`: OSI-approved licenses only, no profile,
    /// any openness, bytes verified and no scan findings at high or above, no smoke test.
    pub fn default_with(osi_approved: Vec<String>) -> Policy {
        Policy {
            version: 1,
            licenses: Some(Licenses {
                allow: osi_approved,
                ..Default::default()
            }),
            profile: None,
            openness: Some(OpennessRequirement {
                minimum: Some(Minimum::Any),
                mof_class: None,
            }),
            checks: Some(Checks {
                verify: Some(true),
                scan: Some(ScanLevel::High),
                smoke: Some(false),
            }),
            approvals: None,
            signatures: None,
            sha256: None,
        }
    }

    fn checks(&self) -> Checks {
        self.checks.clone().unwrap_or_default()
    }

    /// Whether the policy asks for a smoke test.
    pub fn wants_smoke(&self) -> bool {
        self.checks().smoke == Some(true)
    }

    /// Whether the policy asks for verified bytes.
    pub fn wants_verify(&self) -> bool {
        self.checks().verify == Some(true)
    }

    /// The scan threshold, if the policy asks for a scan.
    pub fn scan_threshold(&self) -> Option<Severity> {
        self.checks().scan.and_then(ScanLevel::severity)
    }
}

/// Whether a policy `model:` entry (`NAME` or `NAME@REV`, REV a prefix) names this record.
pub fn names_model(entry: &str, record: &ModelRecord) -> bool {
    match entry.split_once('@') {
        Some((name, rev)) => {
            record.name == name && !rev.is_empty() && record.revision.starts_with(rev)
        }
        None => record.name == entry,
    }
}

/// Whether `expression` passes `allow` (cargo-deny semantics: an OR passes if any alternative is
/// allowed, an AND only if every part is). `None` when the expression does not parse.
pub fn expression_allowed(expression: &str, allow: &[String]) -> Option<bool> {
    let expr = spdx::Expression::parse(expression).ok()?;
    Some(expr.evaluate(|req| {
        let id = req.license.to_string();
        allow.iter().any(|a| a.eq_ignore_ascii_case(&id))
    }))
}

/// What the checks that ran found, beside the record.
#[derive(Debug, Clone, Default)]
pub struct CheckResults {
    /// `Some(true)` verified, `Some(false)` failed, `None` not run / not possible (with why).
    pub verified: Option<bool>,
    pub verify_note: Option<String>,
    /// The decisions about this revision: the catalogue's own current ones, then those of the
    /// imports the policy trusts (already filtered to the criteria each is trusted for).
    pub approvals: Vec<ApprovalFact>,
    /// The signature check, when the policy has a `signatures` section; `None` when the bytes
    /// were not here to check.
    pub signature: Option<SignatureFact>,
}

/// One decision about the audited revision, as the approval check sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApprovalFact {
    pub criterion: String,
    pub state: ApprovalState,
    /// Who decided, and where the decision comes from (`this catalogue` or an import's name).
    pub by: String,
    pub source: String,
}

/// Whether a decision holds today.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApprovalState {
    Live,
    Expired,
    Revoked,
}

/// The verdict on one model.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Verdict {
    pub id: crate::ids::ModelId,
    pub pass: bool,
    /// The policy the verdict was reached under: a file path, or `built-in default`.
    pub policy: String,
    /// The license expression evaluated (after a `clarify`, if one applied).
    pub license: crate::ids::LicenseExpr,
    /// The SHA-256 of the policy file's bytes (none for the built-in default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy_sha256: Option<String>,
    pub findings: Vec<Finding>,
    /// The duties adoption brings under that license (attribution, notices, naming, use policy…).
    #[serde(default)]
    pub obligations: Vec<serde_json::Value>,
}

/// Evaluates a record against the policy. Findings at or above `High` (and every policy finding
/// except informational ones) fail the verdict.
pub fn evaluate(
    policy: &Policy,
    policy_name: &str,
    record: &ModelRecord,
    checks: &CheckResults,
) -> Verdict {
    let mut out = Vec::new();
    let mut license = record.license.effective.clone();
    if let Some(l) = &policy.licenses {
        license = check_licenses(l, record, &mut out);
    }

    if let Some(p) = &policy.profile {
        out.extend(crate::license::check_profile_expr(&license, &p.into()));
    }
    // Provenance that no license allow-list can clear: the same weights recorded under another
    // license than they first were (or than their base's). Part of every verdict.
    out.extend(record.findings.iter().filter(|f| is_lineage(f)).cloned());

    if let Some(o) = &policy.openness {
        check_openness(o, record, &mut out);
    }

    if policy.wants_verify() {
        check_verified(checks, &mut out);
    }
    if let Some(threshold) = policy.scan_threshold() {
        check_scan(threshold, record, &mut out);
    }
    if policy.wants_smoke() {
        check_smoke(record, &mut out);
    }
    if let Some(a) = &policy.approvals {
        check_approvals(a, &checks.approvals, &mut out);
    }
    if let Some(s) = &policy.signatures {
        check_signatures(s, checks.signature.as_ref(), &mut out);
    }

    let pass = !out.iter().any(|f| f.severity > Severity::Info);
    let obligations = crate::license::obligations(&license)
        .iter()
        .filter_map(|o| serde_json::to_value(o).ok())
        .collect();
    Verdict {
        id: record.id.clone(),
        pass,
        policy: policy_name.to_string(),
        license,
        policy_sha256: policy.sha256.clone(),
        findings: out,
        obligations,
    }
}

/// The `signatures` section: with `require`, a `model.sig` must be present and (when keys or
/// identities are listed) verify against one of them; the files it does not match are findings.
fn check_signatures(s: &Signatures, fact: Option<&SignatureFact>, out: &mut Vec<Finding>) {
    if !s.require && !s.names_signers() {
        return;
    }
    let Some(fact) = fact else {
        out.push(Finding::new(
            &PolicyCode::SignatureNotChecked,
            "the policy asks for a model signature, but the revision's bytes are not here to check",
        ));
        return;
    };
    if !fact.present {
        if s.require {
            out.push(Finding::new(
                &PolicyCode::SignatureMissing,
                "the policy requires a model signature and there is no model.sig",
            ));
        }
        return;
    }
    out.extend(fact.findings.iter().cloned());
    if fact.trusted_signer.is_none() {
        let why = fact
            .note
            .as_deref()
            .unwrap_or("no listed key or identity signed it");
        let f = Finding::new(
            &PolicyCode::SignatureNotTrusted,
            format!("model.sig is not signed by a key or identity the policy lists: {why}"),
        )
        .at("model.sig");
        out.push(if s.require {
            f
        } else {
            f.with_severity(Severity::Medium)
        });
    }
}

/// Whether a finding code is one of the approval checks (judged as of an audit; the mirror judges
/// them again as of a request).
pub fn is_approval_code(code: &str) -> bool {
    matches!(
        PolicyCode::from_id(code),
        Some(
            PolicyCode::ApprovalMissing | PolicyCode::ApprovalExpired | PolicyCode::ApprovalRevoked
        )
    )
}

/// The findings of the `approvals` section for these facts: none when every required criterion
/// has a live approval.
pub fn approval_findings(a: &Approvals, facts: &[ApprovalFact]) -> Vec<Finding> {
    let mut out = Vec::new();
    check_approvals(a, facts, &mut out);
    out
}

/// The `approvals` section: each required criterion needs a live decision for it, or for a
/// criterion that implies it. Without one, the finding says why: revoked, expired or missing.
fn check_approvals(a: &Approvals, facts: &[ApprovalFact], out: &mut Vec<Finding>) {
    for required in &a.require {
        let accepted = a.satisfying(required);
        let relevant: Vec<&ApprovalFact> = facts
            .iter()
            .filter(|f| accepted.contains(&f.criterion))
            .collect();
        if relevant.iter().any(|f| f.state == ApprovalState::Live) {
            continue;
        }
        let accepted_list = accepted.join(", ");
        let state_name = |s: ApprovalState| match s {
            ApprovalState::Live => "live",
            ApprovalState::Expired => "expired",
            ApprovalState::Revoked => "revoked",
        };
        let with_state = |state| relevant.iter().any(|f| f.state == state);
        let (revoked, expired) = (
            with_state(ApprovalState::Revoked),
            with_state(ApprovalState::Expired),
        );
        // Every decision considered, so that a reviewer sees all of them, not only the one named.
        let considered: Vec<String> = relevant
            .iter()
            .map(|f| {
                format!(
                    "{} by {} ({}): {}",
                    f.criterion,
                    f.by,
                    f.source,
                    state_name(f.state)
                )
            })
            .collect();
        out.push(if revoked {
            Finding::new(
                &PolicyCode::ApprovalRevoked,
                format!("the approval for `{required}` was revoked"),
            )
            .with_evidence(considered.join("; "))
        } else if expired {
            Finding::new(
                &PolicyCode::ApprovalExpired,
                format!("the approval for `{required}` has expired"),
            )
            .with_evidence(considered.join("; "))
        } else {
            Finding::new(
                &PolicyCode::ApprovalMissing,
                format!("this revision has no approval for `{required}`"),
            )
            .with_evidence(format!("accepted criteria: {accepted_list}"))
        });
    }
}

/// The `licenses` section: `clarify` entries (pinned to file hashes), then the allow-list with
/// the model's exceptions. Returns the license the rest of the verdict uses.
fn check_licenses(
    l: &Licenses,
    record: &ModelRecord,
    out: &mut Vec<Finding>,
) -> crate::ids::LicenseExpr {
    let mut license = record.license.effective.clone();
    for c in l.clarify.iter().filter(|c| names_model(&c.model, record)) {
        let stale: Vec<String> = c
            .files
            .iter()
            .filter(|pin| {
                !record.files.iter().any(|f| {
                    f.path == pin.path
                        && f.sha256
                            .as_deref()
                            .is_some_and(|h| h.eq_ignore_ascii_case(&pin.sha256))
                })
            })
            .map(|pin| pin.path.clone())
            .collect();
        if stale.is_empty() {
            out.push(Finding::new(
                &PolicyCode::LicenseClarified,
                format!("license clarified as `{}` by the policy", c.expression),
            ));
            license = c.expression.as_str().into();
        } else {
            out.push(
                Finding::new(
                    &PolicyCode::LicenseClarifyStale,
                    format!("the clarification to `{}` does not apply", c.expression),
                )
                .with_evidence(format!("changed or missing: {}", stale.join(", "))),
            );
        }
    }
    let mut allow = l.allow.clone();
    for e in l
        .exceptions
        .iter()
        .filter(|e| names_model(&e.model, record))
    {
        allow.extend(e.allow.iter().cloned());
    }
    if license == "NOASSERTION" || license.is_empty() {
        out.push(Finding::new(
            &PolicyCode::LicenseUnknown,
            "the license could not be determined",
        ));
    } else {
        match expression_allowed(&license, &allow) {
            Some(true) => {}
            Some(false) => out.push(
                Finding::new(
                    &PolicyCode::LicenseNotAllowed,
                    format!("`{license}` is not allowed by the policy"),
                )
                .with_evidence(format!("allowed: {}", allow.join(", "))),
            ),
            None => out.push(Finding::new(
                &PolicyCode::LicenseUnknown,
                format!("`{license}` is not a valid SPDX expression"),
            )),
        }
    }
    license
}

/// The `openness` section: the OSAID minimum and the MOF class.
fn check_openness(o: &OpennessRequirement, record: &ModelRecord, out: &mut Vec<Finding>) {
    use crate::record::OpennessClass;
    let need = o.minimum.unwrap_or(Minimum::Any);
    match &record.openness {
        None if need > Minimum::Any || o.mof_class.is_some() => out.push(Finding::new(
            &PolicyCode::OpennessUnknown,
            "the model has no openness classification",
        )),
        None => {}
        Some(op) => {
            let have = match op.class {
                OpennessClass::OpenSource => Some(Minimum::OpenSource),
                OpennessClass::OpenWeight => Some(Minimum::OpenWeight),
                OpennessClass::Closed => None,
            };
            if need > Minimum::Any && have.is_none_or(|h| h < need) {
                out.push(Finding::new(
                    &PolicyCode::OpennessBelowMinimum,
                    format!(
                        "openness is `{}`; the policy requires at least `{}`",
                        op.class,
                        minimum_name(need)
                    ),
                ));
            }
            if let Some(want) = o.mof_class
                && (op.mof.class.is_none() || op.mof.class.0 > want)
            {
                out.push(Finding::new(
                    &PolicyCode::MofClassBelowMinimum,
                    format!(
                        "MOF {}; the policy requires class {want} or better",
                        op.mof.class.label()
                    ),
                ));
            }
        }
    }
}

/// `checks.verify`: the bytes must match the recorded digests.
fn check_verified(checks: &CheckResults, out: &mut Vec<Finding>) {
    match checks.verified {
        Some(true) => {}
        Some(false) => out.push(Finding::new(
            &PolicyCode::VerifyFailed,
            "the bytes do not match the recorded digests",
        )),
        None => out.push(Finding::new(
            &PolicyCode::VerifyNotRun,
            checks
                .verify_note
                .clone()
                .unwrap_or_else(|| "the bytes could not be verified".into()),
        )),
    }
}

/// `checks.scan`: no finding (other than the policy's own) at or above the threshold.
fn check_scan(threshold: Severity, record: &ModelRecord, out: &mut Vec<Finding>) {
    let over: Vec<&Finding> = record
        .findings
        .iter()
        .filter(|f| {
            f.severity >= threshold
                && !PolicyCode::ALL.iter().any(|c| c.id() == f.code)
                && !is_lineage(f)
        })
        .collect();
    if !over.is_empty() {
        let codes: Vec<String> = over.iter().map(|f| f.code.clone()).collect();
        out.push(
            Finding::new(
                &PolicyCode::ScanThresholdExceeded,
                format!("{} finding(s) at or above `{threshold}`", over.len()),
            )
            .with_evidence(codes.join(", ")),
        );
    }
}

/// A lineage finding, which the verdict carries itself (not as a scan finding).
fn is_lineage(f: &Finding) -> bool {
    crate::lineage::LineageCode::from_id(&f.code).is_some()
}

/// `checks.smoke`: the newest smoke test passed.
fn check_smoke(record: &ModelRecord, out: &mut Vec<Finding>) {
    use crate::record::SmokeStatus;
    match record.smoke.as_ref().map(|s| s.status) {
        Some(SmokeStatus::Passed) => {}
        Some(SmokeStatus::Failed) => out.push(Finding::new(
            &PolicyCode::SmokeFailed,
            "the smoke test failed",
        )),
        Some(other) => out.push(Finding::new(
            &PolicyCode::SmokeNotRun,
            format!("the smoke test was {other}"),
        )),
        None => out.push(Finding::new(
            &PolicyCode::SmokeNotRun,
            "no smoke test has been run",
        )),
    }
}

fn minimum_name(m: Minimum) -> &'static str {
    match m {
        Minimum::Any => "any",
        Minimum::OpenWeight => "open-weight",
        Minimum::OpenSource => "open-source",
    }
}

/// The commented policy `policy init` writes.
pub const TEMPLATE: &str = include_str!("../templates/policy.yaml");

impl From<&Profile> for crate::license::Profile {
    fn from(p: &Profile) -> Self {
        crate::license::Profile {
            commercial: p.commercial.unwrap_or(false),
            monthly_active_users: p.monthly_active_users,
            annual_revenue_usd: p.annual_revenue_usd,
            territories: p.territories.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{FileRecord, LicenseSection, SourceInfo};

    fn record(license: &str) -> ModelRecord {
        ModelRecord {
            schema: 1,
            id: "acme/m@abcdef123456".parse().unwrap(),
            name: "acme/m".into(),
            revision: "abcdef123456".into(),
            revisions: vec![],
            source: SourceInfo {
                kind: crate::record::SourceKind::Local,
                location: "/m".into(),
                revision: None,
            },
            files: vec![FileRecord {
                path: "LICENSE".into(),
                size: 3,
                sha256: Some(crate::ids::Sha256::parse(&"a".repeat(64)).unwrap()),
                git_oid: None,
                format: "license".into(),
            }],
            license: LicenseSection {
                effective: license.into(),
                ..Default::default()
            },
            openness: None,
            findings: vec![],
            smoke: None,
            card: None,
            config: None,
            base_models: vec![],
            signature: None,
            lineage: None,
            upstream: Vec::new(),
        }
    }

    fn only_licenses(allow: &[&str]) -> Policy {
        Policy {
            version: 1,
            licenses: Some(Licenses {
                allow: allow.iter().map(|s| s.to_string()).collect(),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn the_template_parses_and_means_what_it_says() {
        let p = Policy::parse(TEMPLATE, "template").unwrap();
        assert!(
            p.licenses
                .as_ref()
                .unwrap()
                .allow
                .contains(&"Apache-2.0".to_string())
        );
        assert!(p.wants_verify());
        assert_eq!(p.scan_threshold(), Some(Severity::High));
    }

    #[test]
    fn and_or_semantics() {
        let allow = vec!["MIT".to_string(), "Apache-2.0".to_string()];
        assert_eq!(
            expression_allowed("MIT OR GPL-3.0-only", &allow),
            Some(true)
        );
        assert_eq!(
            expression_allowed("MIT AND GPL-3.0-only", &allow),
            Some(false)
        );
        assert_eq!(expression_allowed("MIT AND Apache-2.0", &allow), Some(true));
        assert_eq!(
            expression_allowed("LicenseRef-Llama-3.1", &allow),
            Some(false)
        );
        assert_eq!(expression_allowed("not ( an expression", &allow), None);
    }

    #[test]
    fn license_verdicts() {
        let p = only_licenses(&["Apache-2.0"]);
        assert!(evaluate(&p, "p", &record("Apache-2.0"), &CheckResults::default()).pass);
        let v = evaluate(&p, "p", &record("CC-BY-NC-4.0"), &CheckResults::default());
        assert!(!v.pass);
        assert_eq!(v.findings[0].code, "license-not-allowed");
        let v = evaluate(&p, "p", &record("NOASSERTION"), &CheckResults::default());
        assert_eq!(v.findings[0].code, "license-unknown");
    }

    #[test]
    fn exceptions_apply_to_their_model_only() {
        let mut p = only_licenses(&["Apache-2.0"]);
        p.licenses.as_mut().unwrap().exceptions = vec![Exception {
            model: "acme/m@abc".into(),
            allow: vec!["CC-BY-NC-4.0".into()],
        }];
        assert!(evaluate(&p, "p", &record("CC-BY-NC-4.0"), &CheckResults::default()).pass);
        p.licenses.as_mut().unwrap().exceptions[0].model = "acme/other".into();
        assert!(!evaluate(&p, "p", &record("CC-BY-NC-4.0"), &CheckResults::default()).pass);
    }

    #[test]
    fn clarify_is_pinned_to_file_hashes() {
        let mut p = only_licenses(&["MIT"]);
        p.licenses.as_mut().unwrap().clarify = vec![Clarify {
            model: "acme/m".into(),
            expression: "MIT".into(),
            files: vec![PinnedFile {
                path: "LICENSE".into(),
                sha256: "a".repeat(64),
            }],
        }];
        let v = evaluate(&p, "p", &record("NOASSERTION"), &CheckResults::default());
        assert!(v.pass, "{v:?}");
        assert_eq!(v.license, "MIT");
        p.licenses.as_mut().unwrap().clarify[0].files[0].sha256 = "b".repeat(64);
        let v = evaluate(&p, "p", &record("NOASSERTION"), &CheckResults::default());
        assert!(!v.pass);
        assert!(v.findings.iter().any(|f| f.code == "license-clarify-stale"));
    }

    #[test]
    fn checks_and_openness() {
        let p = Policy {
            version: 1,
            openness: Some(OpennessRequirement {
                minimum: Some(Minimum::OpenSource),
                mof_class: Some(2),
            }),
            checks: Some(Checks {
                verify: Some(true),
                scan: Some(ScanLevel::Medium),
                smoke: Some(true),
            }),
            ..Default::default()
        };
        let mut r = record("MIT");
        r.findings.push(Finding::new(
            &crate::ingest::IngestCode::SymlinkOutsideModel,
            "link out",
        ));
        let v = evaluate(
            &p,
            "p",
            &r,
            &CheckResults {
                verified: Some(false),
                ..Default::default()
            },
        );
        let codes: Vec<&str> = v.findings.iter().map(|f| f.code.as_str()).collect();
        assert_eq!(
            codes,
            [
                "openness-unknown",
                "verify-failed",
                "scan-threshold-exceeded",
                "smoke-not-run"
            ]
        );
    }

    #[test]
    fn bad_policies_are_refused_with_a_location() {
        let e = Policy::parse(
            "version: 1\nlicenses:\n  allow: [MIT]\n  alow: [x]\n",
            "p.yaml",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("alow") && e.contains("line 4"), "{e}");
        let e = Policy::parse("version: 2\n", "p.yaml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("version 2"), "{e}");
        let e = Policy::parse("version: 1\nprofile:\n  territories: [Europe]\n", "p.yaml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("Europe"), "{e}");
        let e = Policy::parse("version: 1\nchecks:\n  scan: severe\n", "p.yaml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("severe"), "{e}");
        let e = Policy::parse("version: 1\nopenness:\n  mof_class: 4\n", "p.yaml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("mof_class"), "{e}");
    }
}
