//! Test-only: every finding code any module can emit, checked against `docs/findings.md`. It
//! lives at the crate root, above every module, so that no module imports the others' tables.

use crate::finding::Code;
use std::collections::HashSet;

/// Every code any module can emit. Each module declares its own enum with `finding_codes!`; add
/// yours here.
fn all_codes() -> Vec<Code> {
    let mut all: Vec<Code> = Vec::new();
    all.extend(crate::ingest::IngestCode::ALL.iter().map(|c| c.code()));
    all.extend(crate::verify::VerifyCode::ALL.iter().map(|c| c.code()));
    all.extend(crate::policy::PolicyCode::ALL.iter().map(|c| c.code()));
    all.extend(crate::hub::HubCode::ALL.iter().map(|c| c.code()));
    all.extend(crate::scan::ScanCode::ALL.iter().map(|c| c.code()));
    all.extend(crate::runtime::RuntimeCode::ALL.iter().map(|c| c.code()));
    all.extend(crate::license::LicenseCode::ALL.iter().map(|c| c.code()));
    all.extend(crate::signing::SignatureCode::ALL.iter().map(|c| c.code()));
    all.extend(crate::lineage::LineageCode::ALL.iter().map(|c| c.code()));
    all.extend(crate::vet::drift::DriftCode::ALL.iter().map(|c| c.code()));
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_kebab_case() {
        let mut seen = HashSet::new();
        for code in all_codes() {
            assert!(seen.insert(code.id), "duplicate finding code {}", code.id);
            assert!(
                code.id
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                    && !code.id.starts_with('-')
                    && !code.id.ends_with('-'),
                "finding code {} is not kebab-case",
                code.id
            );
        }
    }

    /// The codes a section of `docs/findings.md` lists (rows that start with a backticked code).
    fn codes_in(section: &str) -> HashSet<&str> {
        section
            .lines()
            .filter_map(|l| l.strip_prefix("| `"))
            .filter_map(|l| l.split('`').next())
            .collect()
    }

    #[test]
    fn every_code_is_documented() {
        let doc = include_str!("../docs/findings.md");
        let (findings, reasons) = doc
            .split_once("## Openness reasons")
            .expect("docs/findings.md has an openness reasons section");
        let documented = codes_in(findings);
        for code in all_codes() {
            assert!(
                documented.contains(code.id),
                "finding code `{}` is missing from docs/findings.md",
                code.id
            );
        }
        for id in &documented {
            assert!(
                all_codes().iter().any(|c| c.id == *id),
                "docs/findings.md lists `{id}`, which no module declares"
            );
        }
        let reason_ids: HashSet<&str> = crate::openness::ReasonCode::ALL
            .iter()
            .map(|r| r.id())
            .collect();
        assert_eq!(
            codes_in(reasons),
            reason_ids,
            "the openness reasons in docs/findings.md and openness::ReasonCode differ"
        );
    }
}
