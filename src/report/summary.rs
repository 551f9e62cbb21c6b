//! What a reviewer reads first: the verdict, the effective license with its key obligations, the
//! openness class and the findings that matter; and the openness reasons grouped by component, so
//! that a component missing for both OSAID and MOF is one entry naming both, not two lines.

use crate::finding::{Finding, Severity};
use crate::record::ModelRecord;
use serde::{Deserialize, Serialize};

/// How many obligations the summary names (the full list follows in the report).
const KEY_OBLIGATIONS: usize = 4;

/// The report's opening section.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Summary {
    /// `pass`, `fail` or `not audited`.
    pub verdict: String,
    pub policy: Option<String>,
    pub license: String,
    pub key_obligations: Vec<String>,
    /// Further obligations not named in the summary.
    pub more_obligations: usize,
    pub openness: Option<String>,
    pub mof: Option<String>,
    /// Findings at medium or above (the audit's when there was one, else the record's).
    pub findings: Vec<Finding>,
    /// Findings below medium, counted only.
    pub minor_findings: usize,
}

/// The openness reasons about one component.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ReasonGroup {
    /// The component's name, or `General` for reasons about no single component.
    pub component: String,
    pub items: Vec<ReasonItem>,
}

/// One fact about a component, with every framework requirement it bears on.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ReasonItem {
    pub fact: String,
    /// What needs it: `OSAID 1.0 Code requires …`, `MOF Class II (Open Tooling Model)`.
    pub needed_by: Vec<String>,
    pub evidence: Option<String>,
    pub codes: Vec<String>,
}

/// The summary of a record, given its newest audit verdict.
pub fn summary(record: &ModelRecord, verdict: Option<&crate::policy::Verdict>) -> Summary {
    let license = verdict
        .map(|v| v.license.to_string())
        .unwrap_or_else(|| record.license.effective.to_string());
    let obligations = crate::license::obligations(&license);
    let findings = verdict.map(|v| &v.findings).unwrap_or(&record.findings);
    let (serious, minor): (Vec<&Finding>, Vec<&Finding>) = findings
        .iter()
        .partition(|f| f.severity >= Severity::Medium);
    let mut serious: Vec<Finding> = serious.into_iter().cloned().collect();
    serious.sort_by_key(|f| std::cmp::Reverse(f.severity));
    Summary {
        verdict: match verdict {
            Some(v) if v.pass => "pass".into(),
            Some(_) => "fail".into(),
            None => "not audited".into(),
        },
        policy: verdict.map(|v| v.policy.clone()),
        license,
        key_obligations: obligations
            .iter()
            .take(KEY_OBLIGATIONS)
            .map(|o| o.text.clone())
            .collect(),
        more_obligations: obligations.len().saturating_sub(KEY_OBLIGATIONS),
        openness: record
            .openness
            .as_ref()
            .map(|o| o.class.as_str().to_string()),
        mof: record
            .openness
            .as_ref()
            .map(|o| o.mof.class.label().to_string()),
        findings: serious,
        minor_findings: minor.len(),
    }
}

/// Splits a reason message into the fact about the component and what requires it. The
/// openness module writes both framework's messages as `FACT — REQUIREMENT` (OSAID) or
/// `FACT; required for …` (MOF).
fn split(message: &str) -> (String, Option<String>) {
    if let Some((fact, need)) = message.split_once(" — ")
        && need.starts_with("OSAID")
    {
        return (fact.to_string(), Some(need.to_string()));
    }
    if let Some(i) = message.find("; required for ") {
        let need = &message[i + "; required for ".len()..];
        return (message[..i].to_string(), Some(need.to_string()));
    }
    (message.to_string(), None)
}

/// The record's openness reasons, grouped by component in the order they first appear, with the
/// same fact about a component stated once.
pub fn reason_groups(record: &ModelRecord) -> Vec<ReasonGroup> {
    let Some(openness) = &record.openness else {
        return Vec::new();
    };
    let mut groups: Vec<ReasonGroup> = Vec::new();
    for r in &openness.reasons {
        let component = r.component.clone().unwrap_or_else(|| "General".into());
        let mut message = r.message.as_str();
        // Messages often restate the component: "Training code: no evidence …".
        if let Some(rest) = message.strip_prefix(component.as_str()) {
            message = rest.trim_start_matches(':').trim_start();
        }
        let (fact, need) = split(message);
        let gi = match groups.iter().position(|g| g.component == component) {
            Some(i) => i,
            None => {
                groups.push(ReasonGroup {
                    component: component.clone(),
                    items: Vec::new(),
                });
                groups.len() - 1
            }
        };
        let items = &mut groups[gi].items;
        match items
            .iter_mut()
            .find(|i| i.fact == fact && i.evidence == r.evidence)
        {
            Some(item) => {
                if let Some(n) = need
                    && !item.needed_by.contains(&n)
                {
                    item.needed_by.push(n);
                }
                if !item.codes.contains(&r.code) {
                    item.codes.push(r.code.clone());
                }
            }
            None => items.push(ReasonItem {
                fact,
                needed_by: need.into_iter().collect(),
                evidence: r.evidence.clone(),
                codes: vec![r.code.clone()],
            }),
        }
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_fact_two_frameworks() {
        assert_eq!(
            split("no evidence (status unknown) — OSAID 1.0 Code requires it"),
            (
                "no evidence (status unknown)".to_string(),
                Some("OSAID 1.0 Code requires it".to_string())
            )
        );
        assert_eq!(
            split("no evidence (status unknown); required for MOF Class II (Open Tooling Model)"),
            (
                "no evidence (status unknown)".to_string(),
                Some("MOF Class II (Open Tooling Model)".to_string())
            )
        );
        // A dash that explains rather than names a requirement stays in the fact.
        assert_eq!(split("a — b").1, None);
        assert_eq!(split("plain"), ("plain".to_string(), None));
    }
}
