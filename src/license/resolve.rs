//! From claims to one effective license: precedence, conflicts, inheritance from base models,
//! obligations, and checks against an adopter's profile.

use super::expression::{allowed, and_all, ids_in, normalize};
use super::kb::{
    Commercial, Derivatives, LicenseTerms, Metric, NamingTrigger, ThresholdEffect, kb,
};
use super::{
    LICENSE_BASE_UNKNOWN, LICENSE_COMMERCIAL_NOT_GRANTED, LICENSE_CONFLICT, LICENSE_NAMING_RULE,
    LICENSE_TERMS_UNKNOWN, LICENSE_TERRITORY_EXCLUDED, LICENSE_THRESHOLD_EXCEEDED,
    LICENSE_UNRESOLVED, NOASSERTION,
};
use crate::finding::{Finding, Severity};
use serde::{Deserialize, Serialize};

/// A license as some source states it, with where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct LicenseClaim {
    /// `declared` (metadata says so) or `detected` (identified from a text).
    pub kind: ClaimKind,
    /// The value as stated (a Hub tag, a name, an SPDX id or expression).
    pub value: String,
    /// The field or file it came from: `card:license`, `card:license_name`, `card:license_link`,
    /// `tag:license:…`, `file:LICENSE`, `gguf:general.license`…
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

/// A license claim with its source.
pub type Claim = LicenseClaim;

/// How much a claim's source is trusted: the LICENSE text beats `license_name`/`license_link`,
/// which beat the Hub `license` tag, which beats metadata embedded in weight files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    WeightsMetadata,
    Tag,
    NameOrLink,
    Text,
}

impl Tier {
    /// The tier of a claim, from its kind and source (`file:LICENSE`, `card:license_name`…).
    pub fn of(claim: &Claim) -> Tier {
        let from = claim.from.to_ascii_lowercase();
        if claim.kind == ClaimKind::Detected || from.starts_with("file:") {
            Tier::Text
        } else if from.contains("license_name") || from.contains("license_link") {
            Tier::NameOrLink
        } else if from.starts_with("gguf") || from.starts_with("safetensors") {
            Tier::WeightsMetadata
        } else {
            Tier::Tag
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Tier::Text => "the license text",
            Tier::NameOrLink => "the card's license_name/license_link",
            Tier::Tag => "the card's license tag",
            Tier::WeightsMetadata => "the weights' metadata",
        }
    }
}

/// One claim as resolution saw it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResolvedClaim {
    pub value: String,
    pub from: String,
    pub tier: Tier,
    /// The claim's normalised expression (NOASSERTION when it names nothing).
    pub expression: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confidence: Option<f64>,
}

/// The effective license of one model revision, with what led there.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Resolution {
    /// SPDX expression with LicenseRef-… for non-SPDX terms, or NOASSERTION.
    pub effective: String,
    pub claims: Vec<ResolvedClaim>,
    /// `license-conflict` findings.
    pub conflicts: Vec<Finding>,
    /// Other findings (unresolved, ambiguous ids).
    pub findings: Vec<Finding>,
    /// Why the effective expression is what it is, for `show` and reports.
    pub reasons: Vec<String>,
}

/// Resolves one effective expression from a model's claims: the highest tier that names a
/// license wins (its claims AND-ed); every claim that disagrees is a `license-conflict`.
pub fn resolve(claims: &[Claim]) -> Resolution {
    let mut resolved = Vec::new();
    let mut findings: Vec<Finding> = Vec::new();
    for c in claims {
        let tier = Tier::of(c);
        let is_link = c.from.to_ascii_lowercase().contains("license_link");
        // A link to a file in the repo (`LICENSE`) says nothing the text claim does not.
        let expression = if is_link && !c.value.contains("://") {
            NOASSERTION.to_string()
        } else {
            let n = normalize(&c.value);
            if !(is_link && n.how == super::How::Unknown) {
                findings.extend(n.findings.into_iter().map(|f| f.at(c.from.clone())));
            }
            n.expression
        };
        resolved.push(ResolvedClaim {
            value: c.value.clone(),
            from: c.from.clone(),
            tier,
            expression,
            confidence: c.confidence,
        });
    }
    let top = resolved
        .iter()
        .filter(|r| r.expression != NOASSERTION)
        .map(|r| r.tier)
        .max();
    let mut reasons = Vec::new();
    let mut conflicts = Vec::new();
    let effective = match top {
        None => {
            findings.retain(|f| f.code != LICENSE_UNRESOLVED.id());
            findings.push(Finding::new(
                &LICENSE_UNRESOLVED,
                if claims.is_empty() {
                    "no license claim at all: no card license, tag, LICENSE file or metadata"
                        .to_string()
                } else {
                    "no claim names a license the knowledge base or SPDX list knows".to_string()
                },
            ));
            reasons.push("no claim names a license: NOASSERTION".into());
            NOASSERTION.to_string()
        }
        Some(top) => {
            // A placeholder (`other`) that a higher claim resolved is not a problem.
            findings.retain(|f| f.code != LICENSE_UNRESOLVED.id());
            let winners: Vec<&ResolvedClaim> = resolved
                .iter()
                .filter(|r| r.tier == top && r.expression != NOASSERTION)
                .collect();
            let effective = and_all(
                &winners
                    .iter()
                    .map(|r| r.expression.clone())
                    .collect::<Vec<_>>(),
            );
            let sources: Vec<String> = winners.iter().map(|r| r.from.clone()).collect();
            reasons.push(format!(
                "{} ({}) decides: {effective}",
                top.describe(),
                dedup(sources.clone()).join(", ")
            ));
            let eff_ids = ids_in(&effective);
            for r in resolved.iter().filter(|r| r.expression != NOASSERTION) {
                let ids = ids_in(&r.expression);
                let agrees = ids.iter().all(|i| eff_ids.contains(i));
                let same_tier_sibling = r.tier == top
                    && (r.tier == Tier::Text
                        || winners
                            .iter()
                            .all(|w| source_family(&w.from) == source_family(&r.from)));
                if r.tier == top && same_tier_sibling {
                    continue;
                }
                if r.tier < top && agrees {
                    continue;
                }
                if r.tier == top {
                    // Same tier, different sources: both are kept (AND) but they disagree.
                    let others: Vec<&&ResolvedClaim> = winners
                        .iter()
                        .filter(|w| ids_in(&w.expression) != ids)
                        .collect();
                    if others.is_empty() {
                        continue;
                    }
                }
                conflicts.push(
                    Finding::new(
                        &LICENSE_CONFLICT,
                        format!(
                            "`{}` says `{}` ({}) but {} says `{effective}`",
                            r.from,
                            r.value,
                            r.expression,
                            top.describe()
                        ),
                    )
                    .at(r.from.clone())
                    .with_evidence(format!(
                        "{}={} vs {}",
                        r.from,
                        r.value,
                        sources.join("+")
                    )),
                );
            }
            if !conflicts.is_empty() {
                reasons.push(format!(
                    "{} claim(s) disagree; {} takes precedence",
                    conflicts.len(),
                    top.describe()
                ));
            }
            effective
        }
    };
    Resolution {
        effective,
        claims: resolved,
        conflicts,
        findings,
        reasons,
    }
}

fn dedup(mut v: Vec<String>) -> Vec<String> {
    v.dedup();
    v
}

/// `card:license` and `tag:license:…` come from one statement (the Hub derives the tag).
fn source_family(from: &str) -> String {
    let f = from.to_ascii_lowercase();
    if f.starts_with("tag:license") || f == "card:license" || f == "card.license" || f == "hub.tag"
    {
        "card-license".into()
    } else if f.contains("license_name") || f.contains("license_link") {
        "card-name-link".into()
    } else {
        f.split([':', '.']).next().unwrap_or("").to_string()
    }
}

/// A derivative (`finetune`, `adapter`, `quantized`) is bound by its own and its base's terms,
/// a `merge` by all parents': the effective expression is `OWN AND BASE…`. Where own grants what
/// a base forbids, a `license-conflict`; a base of unknown license, `license-base-unknown`.
pub fn inherit(own: &str, relation: &str, bases: &[String]) -> (String, Vec<Finding>) {
    let mut findings = Vec::new();
    let mut parts = vec![own.to_string()];
    for b in bases {
        if b.trim().is_empty() || b.trim().eq_ignore_ascii_case(NOASSERTION) {
            findings.push(Finding::new(
                &LICENSE_BASE_UNKNOWN,
                format!("a base model ({relation}) has no known license; its terms are missing from the effective expression"),
            ));
        } else {
            parts.push(b.clone());
        }
    }
    let effective = and_all(&parts);
    let own_terms: Vec<&LicenseTerms> = terms_of(own);
    for b in bases {
        for bt in terms_of(b) {
            if own_terms.iter().any(|t| t.id == bt.id) {
                continue;
            }
            if bt.commercial == Commercial::No
                && let Some(ot) = own_terms.iter().find(|t| t.commercial == Commercial::Yes)
            {
                findings.push(
                    Finding::new(
                        &LICENSE_CONFLICT,
                        format!(
                            "own license `{}` allows commercial use but base license `{}` forbids it; the base's terms bind this {relation}",
                            ot.id, bt.id
                        ),
                    )
                    .with_evidence(format!("own={own} base={b}")),
                );
            }
            if bt.derivatives == Derivatives::NotAllowed {
                findings.push(
                    Finding::new(
                        &LICENSE_CONFLICT,
                        format!("base license `{}` does not allow sharing adaptations, but this model is a {relation} of it", bt.id),
                    )
                    .with_evidence(format!("own={own} base={b}")),
                );
            } else if bt.derivatives == Derivatives::SameLicense && !own_terms.is_empty() {
                findings.push(
                    Finding::new(
                        &LICENSE_CONFLICT,
                        format!(
                            "base license `{}` requires adaptations under the same license, but this {relation} states `{own}`",
                            bt.id
                        ),
                    )
                    .with_evidence(format!("own={own} base={b}")),
                );
            }
        }
    }
    (effective, findings)
}

fn terms_of(expr: &str) -> Vec<&'static LicenseTerms> {
    ids_in(expr).iter().filter_map(|i| kb().get(i)).collect()
}

/// The record's license section for a model named `name`: its claims resolved, then the licenses
/// of the direct base models that are in the catalogue inherited (`chain`: one link per base the
/// card names, each with its effective expression, which already includes that parent's own
/// bases). Returns the section and every finding to record with the model (unresolved, ambiguity,
/// conflicts, base unknown, naming rule). A detected claim without a confidence is not certain: 0.
pub fn section(
    name: &str,
    claims: &[Claim],
    chain: &[crate::record::BaseLicense],
) -> (crate::record::LicenseSection, Vec<Finding>) {
    use crate::record::{DeclaredLicense, DetectedLicense, LicenseConflict, LicenseSection};
    let r = resolve(claims);
    let mut findings: Vec<Finding> = r.findings.clone();
    findings.extend(r.conflicts.iter().cloned());
    let mut effective = r.effective.clone();
    let inherited: Vec<String> = chain
        .iter()
        .filter(|b| b.recorded)
        .map(|b| b.effective.to_string())
        .collect();
    if !inherited.is_empty() {
        let relation = if chain
            .iter()
            .any(|b| b.relation == crate::record::Relation::Merge)
        {
            "merge"
        } else {
            chain[0].relation.as_str()
        };
        let (eff, more) = inherit(&r.effective, relation, &inherited);
        effective = eff;
        findings.extend(more);
        // Some base licenses require derivatives, quantizations included, to carry their name.
        for base in &inherited {
            findings.extend(check_naming(base, name));
        }
    }
    let conflicts = findings
        .iter()
        .filter(|f| f.code == LICENSE_CONFLICT.id())
        .map(|f| LicenseConflict {
            code: f.code.clone(),
            message: f.message.clone(),
            evidence: f.evidence.clone().unwrap_or_default(),
        })
        .collect();
    let mut declared = Vec::new();
    let mut detected = Vec::new();
    for c in claims {
        match c.kind {
            ClaimKind::Declared => declared.push(DeclaredLicense {
                value: c.value.clone(),
                from: c.from.clone(),
            }),
            ClaimKind::Detected => detected.push(DetectedLicense {
                id: c.value.clone(),
                from: c.from.clone(),
                confidence: c.confidence.unwrap_or(0.0),
            }),
        }
    }
    let obligations = obligations(&effective)
        .into_iter()
        .filter_map(|o| serde_json::to_value(o).ok())
        .collect();
    (
        LicenseSection {
            declared,
            detected,
            effective: effective.into(),
            base_chain: chain.to_vec(),
            conflicts,
            obligations,
        },
        findings,
    )
}

/// What kind of duty an obligation is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ObligationKind {
    CopyOfLicense,
    RetainNotices,
    ModifiedFileNotices,
    Notice,
    Display,
    Registration,
    Naming,
    UsePolicy,
    FlowDown,
    Threshold,
    OutputUse,
    Territory,
}

/// One duty the license puts on a user or redistributor.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Obligation {
    pub license: String,
    pub kind: ObligationKind,
    pub text: String,
}

/// The duties of every license in an expression (attribution and notice strings, naming rules,
/// use policies, flow-down, thresholds), for reports and audits.
pub fn obligations(expr: &str) -> Vec<Obligation> {
    let mut out = Vec::new();
    for t in terms_of(expr) {
        let mut push = |kind, text: String| {
            out.push(Obligation {
                license: t.id.clone(),
                kind,
                text,
            })
        };
        let a = &t.attribution;
        if a.copy_of_license {
            push(
                ObligationKind::CopyOfLicense,
                format!("give recipients a copy of the {}", t.name),
            );
        }
        if a.retain_notices {
            push(
                ObligationKind::RetainNotices,
                "keep copyright and license notices".into(),
            );
        }
        if a.modified_file_notices {
            push(
                ObligationKind::ModifiedFileNotices,
                "mark modified files as changed".into(),
            );
        }
        if let Some(n) = &a.notice {
            push(
                ObligationKind::Notice,
                format!("ship a Notice file with: \"{n}\""),
            );
        }
        if let Some(d) = &a.display {
            push(
                ObligationKind::Display,
                format!("display \"{d}\" on related products or documentation"),
            );
        }
        if let Some(u) = &a.registration_url {
            push(
                ObligationKind::Registration,
                format!("register before commercial use: {u}"),
            );
        }
        if let Some(n) = &t.derivative_naming {
            let trigger = match n.trigger {
                NamingTrigger::Materials => "built with the licensed materials",
                NamingTrigger::MaterialsOrOutputs => "built with the materials or their outputs",
            };
            push(
                ObligationKind::Naming,
                format!(
                    "distributed models {trigger} must have names beginning with \"{}\"",
                    n.prefix
                ),
            );
        }
        if let Some(p) = &t.use_policy
            && p.incorporated
        {
            let mut s = "comply with the use policy".to_string();
            if let Some(u) = &p.url {
                s.push_str(&format!(" ({u})"));
            }
            if p.updatable_by_licensor {
                s.push_str("; the licensor may update it");
            }
            push(ObligationKind::UsePolicy, s);
        }
        if t.flow_down.use_restrictions_enforceable {
            push(
                ObligationKind::FlowDown,
                "pass the use restrictions on as enforceable terms in every downstream agreement"
                    .into(),
            );
        }
        if t.flow_down.same_license {
            push(
                ObligationKind::FlowDown,
                format!("distribute adaptations under the {}", t.name),
            );
        }
        for th in &t.thresholds {
            push(ObligationKind::Threshold, describe_threshold(th));
        }
        match t.outputs.training_restriction {
            super::kb::OutputTraining::NoImproveOtherLlm => push(
                ObligationKind::OutputUse,
                "do not use the model or its outputs to improve any other large language model"
                    .into(),
            ),
            super::kb::OutputTraining::NoTrainOtherModels => push(
                ObligationKind::OutputUse,
                "do not use the model or its outputs to train other foundation models".into(),
            ),
            _ => {}
        }
        if t.outputs.distillation_is_derivative {
            push(
                ObligationKind::OutputUse,
                "models distilled from its outputs are derivatives bound by these terms".into(),
            );
        }
        if !t.territory.excluded.is_empty() {
            let mut s = format!("not licensed in: {}", t.territory.excluded.join(", "));
            if let Some(scope) = &t.territory.scope {
                s.push_str(&format!(" ({scope})"));
            }
            push(ObligationKind::Territory, s);
        }
    }
    out
}

/// "more than 700,000,000 monthly active users: request a license".
pub fn describe_threshold(th: &super::kb::Threshold) -> String {
    let what = match th.metric {
        Metric::MonthlyActiveUsers => "monthly active users",
        Metric::AnnualRevenueUsd => "USD annual revenue",
        Metric::MonthlyRevenueUsd => "USD monthly revenue",
    };
    let cmp = match th.comparator {
        super::kb::Comparator::MoreThan => "more than",
        super::kb::Comparator::AtLeast => "at least",
    };
    let effect = match th.effect {
        ThresholdEffect::RequestLicense => "a separate license must be requested",
        ThresholdEffect::Terminates => "the license ends",
        ThresholdEffect::DisplayName => "the model name must be displayed",
    };
    format!(
        "{cmp} {} {what}: {effect}",
        crate::units::group_digits(th.amount)
    )
}

/// Who is adopting the model: checked against commercial, threshold and territory terms.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// Commercial use is needed.
    #[serde(default)]
    pub commercial: bool,
    #[serde(default)]
    pub monthly_active_users: Option<u64>,
    #[serde(default)]
    pub annual_revenue_usd: Option<u64>,
    /// ISO 3166-1 alpha-2 codes (GB for the UK), or `EU`.
    #[serde(default)]
    pub territories: Vec<String>,
}

/// EU member states (ISO 3166-1 alpha-2).
pub const EU_MEMBERS: &[&str] = &[
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT", "LV",
    "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE",
];

/// Whether `territory` (alpha-2 or `EU`) falls under the excluded entry `excluded`.
fn territory_hit(territory: &str, excluded: &str) -> bool {
    let t = territory.trim().to_ascii_uppercase();
    let t = if t == "UK" { "GB".to_string() } else { t };
    let x = excluded.trim().to_ascii_uppercase();
    t == x || (x == "EU" && EU_MEMBERS.contains(&t.as_str()))
}

/// Checks one license's terms against a profile: commercial use, thresholds (boundary as the
/// license words it), territories.
pub fn check_profile(terms: &LicenseTerms, profile: &Profile) -> Vec<Finding> {
    let mut out = Vec::new();
    let id = &terms.id;
    if profile.commercial {
        match terms.commercial {
            Commercial::No => out.push(
                Finding::new(
                    &LICENSE_COMMERCIAL_NOT_GRANTED,
                    format!("`{id}` does not allow commercial use, which the profile needs"),
                )
                .with_evidence(terms.commercial_note.clone().unwrap_or_default()),
            ),
            Commercial::Unknown => out.push(Finding::new(
                &LICENSE_TERMS_UNKNOWN,
                format!("whether `{id}` allows commercial use is not established"),
            )),
            Commercial::Yes | Commercial::Conditional => {}
        }
    }
    for th in &terms.thresholds {
        let value = match th.metric {
            Metric::MonthlyActiveUsers => profile.monthly_active_users,
            Metric::AnnualRevenueUsd => profile.annual_revenue_usd,
            Metric::MonthlyRevenueUsd => profile.annual_revenue_usd.map(|r| r / 12),
        };
        if let Some(v) = value
            && th.exceeded_by(v)
        {
            let severity = if th.effect == ThresholdEffect::DisplayName {
                Severity::Low
            } else {
                LICENSE_THRESHOLD_EXCEEDED.severity()
            };
            out.push(
                Finding::new(
                    &LICENSE_THRESHOLD_EXCEEDED,
                    format!(
                        "`{id}`: the profile's {} crosses the threshold ({})",
                        crate::units::group_digits(v),
                        describe_threshold(th)
                    ),
                )
                .with_severity(severity)
                .with_evidence(format!("profile value {v}, threshold {}", th.amount)),
            );
        }
    }
    for t in &profile.territories {
        if let Some(x) = terms
            .territory
            .excluded
            .iter()
            .find(|x| territory_hit(t, x))
        {
            let (severity, cond) = match &terms.territory.scope {
                Some(s) => (Severity::Medium, format!(" ({s})")),
                None => (LICENSE_TERRITORY_EXCLUDED.severity(), String::new()),
            };
            out.push(
                Finding::new(
                    &LICENSE_TERRITORY_EXCLUDED,
                    format!("`{id}` grants no rights in {t} (excluded: {x}){cond}"),
                )
                .with_severity(severity)
                .with_evidence(format!("territory {t}")),
            );
        }
    }
    out
}

/// [`check_profile`] over an expression: an OR passes when any alternative passes, an AND needs
/// every part; unknown terms are `license-terms-unknown`.
pub fn check_profile_expr(expr: &str, profile: &Profile) -> Vec<Finding> {
    let ids = ids_in(expr);
    if ids.is_empty() {
        return vec![Finding::new(
            &LICENSE_TERMS_UNKNOWN,
            format!("the license `{expr}` is not known, so the profile cannot be checked"),
        )];
    }
    let per: Vec<(String, Vec<Finding>)> = ids
        .into_iter()
        .map(|id| {
            let f = match kb().get(&id) {
                Some(t) => check_profile(t, profile),
                None => vec![Finding::new(
                    &LICENSE_TERMS_UNKNOWN,
                    format!("`{id}` is not in the knowledge base, so its terms are unknown"),
                )],
            };
            (id, f)
        })
        .collect();
    let ok = |id: &str| per.iter().any(|(i, f)| i == id && f.is_empty());
    if allowed(expr, &ok) == Some(true) {
        return vec![];
    }
    per.into_iter().flat_map(|(_, f)| f).collect()
}

/// The naming rules of the licenses in `base_expr` checked against a derivative's name
/// (`owner/` is ignored).
pub fn check_naming(base_expr: &str, model_name: &str) -> Vec<Finding> {
    let short = model_name.rsplit('/').next().unwrap_or(model_name);
    terms_of(base_expr)
        .into_iter()
        .filter_map(|t| {
            let n = t.derivative_naming.as_ref()?;
            let ok = short
                .to_lowercase()
                .starts_with(&n.prefix.to_lowercase().replace(' ', ""))
                || short.to_lowercase().starts_with(&n.prefix.to_lowercase())
                || short
                    .to_lowercase()
                    .starts_with(&n.prefix.to_lowercase().replace(' ', "-"));
            (!ok).then(|| {
                Finding::new(
                    &LICENSE_NAMING_RULE,
                    format!(
                        "`{}` requires distributed derivatives to be named beginning with \"{}\"; `{short}` does not",
                        t.id, n.prefix
                    ),
                )
                .with_evidence(model_name.to_string())
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn declared(value: &str, from: &str) -> Claim {
        Claim {
            kind: ClaimKind::Declared,
            value: value.into(),
            from: from.into(),
            confidence: None,
        }
    }

    fn detected(value: &str, from: &str) -> Claim {
        Claim {
            kind: ClaimKind::Detected,
            value: value.into(),
            from: from.into(),
            confidence: Some(0.99),
        }
    }

    #[test]
    fn text_beats_tag_and_the_disagreement_is_a_conflict() {
        let r = resolve(&[
            declared("apache-2.0", "card:license"),
            declared("apache-2.0", "tag:license:apache-2.0"),
            detected("LicenseRef-Llama-3.1-Community", "file:LICENSE"),
        ]);
        assert_eq!(r.effective, "LicenseRef-Llama-3.1-Community");
        assert_eq!(r.conflicts.len(), 2, "{:?}", r.conflicts);
        assert!(r.conflicts.iter().all(|f| f.code == "license-conflict"));
        assert!(r.conflicts[0].message.contains("apache-2.0"));
    }

    #[test]
    fn other_with_license_name_resolves_without_findings() {
        let r = resolve(&[
            declared("other", "card:license"),
            declared("qwen-research", "card:license_name"),
            declared("LICENSE", "card:license_link"),
        ]);
        assert_eq!(r.effective, "LicenseRef-Qwen-Research-2024");
        assert!(r.conflicts.is_empty() && r.findings.is_empty(), "{r:?}");
    }

    #[test]
    fn other_without_a_name_is_noassertion_with_a_finding() {
        let r = resolve(&[declared("other", "card:license")]);
        assert_eq!(r.effective, NOASSERTION);
        assert_eq!(r.findings.len(), 1);
        assert_eq!(r.findings[0].code, "license-unresolved");
        let r = resolve(&[]);
        assert_eq!(r.effective, NOASSERTION);
        assert_eq!(r.findings[0].code, "license-unresolved");
    }

    #[test]
    fn list_valued_license_is_anded_without_conflict() {
        let r = resolve(&[
            declared("apache-2.0", "card:license"),
            declared("llama3.1", "card:license"),
        ]);
        assert_eq!(r.effective, "Apache-2.0 AND LicenseRef-Llama-3.1-Community");
        assert!(r.conflicts.is_empty());
    }

    #[test]
    fn gguf_metadata_disagreeing_with_the_card_is_a_conflict() {
        let r = resolve(&[
            declared("mit", "card:license"),
            declared("microsoft-research-license", "gguf:general.license"),
        ]);
        assert_eq!(r.effective, "MIT");
        assert_eq!(r.conflicts.len(), 1);
        assert_eq!(r.conflicts[0].path.as_deref(), Some("gguf:general.license"));
        // Agreement is not a conflict.
        let r = resolve(&[
            declared("apache-2.0", "card:license"),
            declared("Apache-2.0", "gguf:general.license"),
        ]);
        assert!(r.conflicts.is_empty());
    }

    #[test]
    fn hub_gpl_gives_an_ambiguity_warning() {
        let r = resolve(&[declared("gpl-3.0", "card:license")]);
        assert_eq!(r.effective, "GPL-3.0-only");
        assert_eq!(r.findings[0].code, "license-ambiguous");
    }

    #[test]
    fn composite_text_claims_are_anded() {
        let r = resolve(&[
            declared("cc-by-nc-4.0", "card:license"),
            detected("CC-BY-NC-4.0", "file:LICENSE"),
            detected("LicenseRef-Cohere-C4AI-AUP", "file:LICENSE"),
        ]);
        assert_eq!(r.effective, "CC-BY-NC-4.0 AND LicenseRef-Cohere-C4AI-AUP");
        assert!(r.conflicts.is_empty(), "{:?}", r.conflicts);
    }

    #[test]
    fn inheritance_ands_own_and_base_and_flags_what_cannot_hold() {
        // DeepSeek-R1-Distill-Llama: MIT card, Llama 3.1 base.
        let (eff, f) = inherit(
            "MIT",
            "finetune",
            &["LicenseRef-Llama-3.1-Community".into()],
        );
        assert_eq!(eff, "MIT AND LicenseRef-Llama-3.1-Community");
        assert!(f.is_empty(), "{f:?}");
        // Own says commercial, base is non-commercial.
        let (eff, f) = inherit("Apache-2.0", "adapter", &["CC-BY-NC-4.0".into()]);
        assert_eq!(eff, "Apache-2.0 AND CC-BY-NC-4.0");
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].code, "license-conflict");
        // Merge: AND of all parents.
        let (eff, _) = inherit(
            "Apache-2.0",
            "merge",
            &["LicenseRef-Llama-3-Community".into(), "Apache-2.0".into()],
        );
        assert_eq!(eff, "Apache-2.0 AND LicenseRef-Llama-3-Community");
        // Two levels deep: the grandparent's terms come through the parent's effective expression.
        let (parent, _) = inherit(
            "MIT",
            "finetune",
            &["LicenseRef-Llama-3.1-Community".into()],
        );
        let (child, _) = inherit("NOASSERTION", "quantized", &[parent]);
        assert_eq!(child, "MIT AND LicenseRef-Llama-3.1-Community");
        let (_, f) = inherit("MIT", "finetune", &[NOASSERTION.into()]);
        assert_eq!(f[0].code, "license-base-unknown");
        let (_, f) = inherit("MIT", "finetune", &["CC-BY-ND-4.0".into()]);
        assert_eq!(f[0].code, "license-conflict");
    }

    #[test]
    fn obligations_carry_the_exact_strings() {
        let o = obligations("MIT AND LicenseRef-Llama-3.1-Community");
        let texts: Vec<&str> = o.iter().map(|o| o.text.as_str()).collect();
        assert!(
            texts.iter().any(|t| t.contains("Built with Llama")),
            "{texts:?}"
        );
        assert!(texts.iter().any(|t| t.contains(
            "Llama 3.1 is licensed under the Llama 3.1 Community License, Copyright © Meta Platforms, Inc. All Rights Reserved."
        )));
        assert!(o.iter().any(|o| o.kind == ObligationKind::Naming));
        assert!(o.iter().any(|o| o.license == "MIT"));
        assert!(obligations(NOASSERTION).is_empty());
    }

    #[test]
    fn thresholds_at_the_boundary() {
        let llama = kb().get("LicenseRef-Llama-3.1-Community").unwrap();
        let at = Profile {
            commercial: true,
            monthly_active_users: Some(700_000_000),
            ..Profile::default()
        };
        assert!(check_profile(llama, &at).is_empty());
        let over = Profile {
            monthly_active_users: Some(700_000_001),
            ..at.clone()
        };
        let f = check_profile(llama, &over);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].code, "license-threshold-exceeded");
        let stability = kb().get("LicenseRef-Stability-AI-Community-2024").unwrap();
        let p = |rev| Profile {
            commercial: true,
            annual_revenue_usd: Some(rev),
            ..Profile::default()
        };
        assert!(check_profile(stability, &p(1_000_000)).is_empty());
        assert_eq!(check_profile(stability, &p(1_000_001)).len(), 1);
    }

    #[test]
    fn commercial_and_territory_checks() {
        let p = Profile {
            commercial: true,
            territories: vec!["DE".into(), "US".into()],
            ..Profile::default()
        };
        let f = check_profile(kb().get("CC-BY-NC-4.0").unwrap(), &p);
        assert_eq!(f[0].code, "license-commercial-not-granted");
        let f = check_profile(kb().get("LicenseRef-Llama-3.2-Community").unwrap(), &p);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].code, "license-territory-excluded");
        assert_eq!(
            f[0].severity,
            Severity::Medium,
            "scoped to multimodal models"
        );
        assert!(check_profile(kb().get("LicenseRef-Llama-3.1-Community").unwrap(), &p).is_empty());
        let uk = Profile {
            territories: vec!["GB".into()],
            ..Profile::default()
        };
        let f = check_profile(
            kb().get("LicenseRef-Tencent-Hunyuan-Community").unwrap(),
            &uk,
        );
        assert_eq!(f[0].code, "license-territory-excluded");
    }

    #[test]
    fn profile_over_expressions_follows_and_or() {
        let p = Profile {
            commercial: true,
            ..Profile::default()
        };
        assert!(check_profile_expr("CC-BY-NC-4.0 OR MIT", &p).is_empty());
        assert_eq!(check_profile_expr("CC-BY-NC-4.0 AND MIT", &p).len(), 1);
        assert_eq!(
            check_profile_expr(NOASSERTION, &p)[0].code,
            "license-terms-unknown"
        );
    }

    #[test]
    fn section_resolves_inherits_and_lists_conflicts() {
        use crate::record::BaseLicense;
        // Tag says apache-2.0, the LICENSE is Llama 3.1, and the base is Llama 3.1.
        let claims = [
            declared("apache-2.0", "card:license"),
            detected("LicenseRef-Llama-3.1-Community", "file:LICENSE"),
        ];
        let bases = [BaseLicense {
            name: "meta-llama/Llama-3.1-8B".into(),
            relation: crate::record::Relation::Finetune,
            effective: "LicenseRef-Llama-3.1-Community".into(),
            recorded: true,
        }];
        let (s, f) = section("acme/Acme-8B", &claims, &bases);
        assert_eq!(s.effective, "LicenseRef-Llama-3.1-Community");
        assert_eq!(s.declared.len(), 1);
        assert_eq!(s.detected[0].confidence, 0.99);
        assert_eq!(s.conflicts.len(), 1);
        assert!(f.iter().any(|f| f.code == "license-naming-rule"));
        assert!(!s.obligations.is_empty());
        assert_eq!(s.base_chain.len(), 1);
        // DeepSeek-R1-Distill-Qwen style: MIT over an Apache base.
        let bases = [BaseLicense {
            name: "Qwen/Qwen2.5-Math-7B".into(),
            relation: crate::record::Relation::Finetune,
            effective: "Apache-2.0".into(),
            recorded: true,
        }];
        let (s, f) = section(
            "x/R1-Distill-Qwen-7B",
            &[declared("mit", "card:license")],
            &bases,
        );
        assert_eq!(s.effective, "MIT AND Apache-2.0");
        assert!(f.is_empty(), "{f:?}");
    }

    #[test]
    fn section_checks_naming_for_quantizations_and_doubts_unscored_detections() {
        use crate::record::BaseLicense;
        // A quantization is a derivative too: Llama's naming duty binds it.
        let bases = [BaseLicense {
            name: "meta-llama/Llama-3.1-8B".into(),
            relation: crate::record::Relation::Quantized,
            effective: "LicenseRef-Llama-3.1-Community".into(),
            recorded: true,
        }];
        let (_, f) = section("acme/Acme-8B-GGUF", &[], &bases);
        assert!(f.iter().any(|f| f.code == "license-naming-rule"), "{f:?}");
        // A base that is not in the catalogue contributes no terms and no naming duty.
        let unknown = [BaseLicense {
            recorded: false,
            ..bases[0].clone()
        }];
        let (s, f) = section(
            "acme/Acme-8B-GGUF",
            &[declared("mit", "card:license")],
            &unknown,
        );
        assert_eq!(s.effective, "MIT");
        assert!(f.is_empty(), "{f:?}");
        // A detected claim without a confidence is not treated as certain.
        let unscored = Claim {
            confidence: None,
            ..detected("MIT", "file:LICENSE")
        };
        let (s, _) = section("acme/x", &[unscored], &[]);
        assert_eq!(s.detected[0].confidence, 0.0);
    }

    #[test]
    fn naming_rule() {
        let base = "LicenseRef-Llama-3.1-Community";
        assert!(check_naming(base, "acme/Llama-3.1-Acme-8B").is_empty());
        assert_eq!(
            check_naming(base, "deepseek-ai/DeepSeek-R1-Distill-Llama-8B")[0].code,
            "license-naming-rule"
        );
        assert!(check_naming("LicenseRef-Llama-3-Community", "x/Llama-3-Foo").is_empty());
        assert!(check_naming("Apache-2.0", "x/anything").is_empty());
    }
}
