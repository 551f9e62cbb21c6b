//! SARIF 2.1.0 rendering of a scan, for code-scanning annotations in CI.

use super::ScanReport;
use crate::finding::Severity;
use serde_json::{Value, json};

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// GitHub code scanning reads this CVSS-like score to rank security results.
fn security_severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.0",
        Severity::Low => "2.0",
        Severity::Info => "0.5",
    }
}

/// A relative URI reference for a `/`-separated path: percent-encodes what a URI may not hold.
fn uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The report as a SARIF 2.1.0 log with one run; rules are the codes that occur.
pub fn to_sarif(report: &ScanReport) -> Value {
    let mut rule_ids: Vec<&str> = report.findings.iter().map(|f| f.code.as_str()).collect();
    rule_ids.sort();
    rule_ids.dedup();
    let rules: Vec<Value> = rule_ids
        .iter()
        .map(|id| {
            // A code the scanner does not own (none today) keeps the finding's own severity.
            let (summary, severity) = match super::ScanCode::from_id(id) {
                Some(c) => (c.summary(), c.severity()),
                None => (
                    "",
                    report
                        .findings
                        .iter()
                        .find(|f| f.code == *id)
                        .map_or(crate::finding::Severity::High, |f| f.severity),
                ),
            };
            json!({
                "id": id,
                "shortDescription": { "text": summary },
                "helpUri": "https://github.com/modelvet/modelvet/blob/main/docs/findings.md",
                "defaultConfiguration": { "level": level(severity) },
                "properties": {
                    "security-severity": security_severity(severity),
                    "tags": ["security"]
                }
            })
        })
        .collect();
    let results: Vec<Value> = report
        .findings
        .iter()
        .map(|f| {
            let mut text = f.message.clone();
            if let Some(e) = &f.evidence {
                text.push_str(&format!(" ({e})"));
            }
            let mut r = json!({
                "ruleId": f.code,
                "ruleIndex": rule_ids.iter().position(|r| *r == f.code).unwrap_or(0),
                "level": level(f.severity),
                "message": { "text": text },
                "properties": { "severity": f.severity.as_str() }
            });
            if let Some(p) = &f.path {
                r["locations"] = json!([{
                    "physicalLocation": { "artifactLocation": { "uri": uri(p) } }
                }]);
            }
            r
        })
        .collect();
    let artifacts: Vec<Value> = report
        .files
        .iter()
        .map(|f| json!({ "location": { "uri": uri(&f.path) }, "length": f.size }))
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "modelvet",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://github.com/modelvet/modelvet",
                "rules": rules
            }},
            "artifacts": artifacts,
            "results": results
        }]
    })
}
