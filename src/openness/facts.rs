//! [`LicenseFacts`] implementations: [`KbFacts`] asks the license knowledge base (`licenses/`)
//! first and falls back to [`SpdxFacts`], the SPDX list's flags plus the open-content and
//! restricted-terms names below, for ids the knowledge base does not describe.

use super::LicenseFacts;
use super::licenses::OPEN_DATA_LICENSES;
use spdx::{Expression, LicenseItem, LicenseReq, ParseMode};

/// License facts from SPDX flags plus open-content and restricted-terms name lists.
#[derive(Debug, Default, Clone, Copy)]
pub struct SpdxFacts;

/// Words in a `LicenseRef-…` (or SPDX id) that mark terms with use restrictions.
const RESTRICTED_MARKERS: [&str; 10] = [
    "llama",
    "gemma",
    "rail",
    "falcon",
    "deepseek",
    "proprietary",
    "-nc",
    "-nd",
    "nvidia-open-model",
    "qwen",
];

fn judge(req: &LicenseReq, osi_only: bool) -> Option<bool> {
    match &req.license {
        LicenseItem::Spdx { id, .. } => {
            if id.is_osi_approved() {
                return Some(true);
            }
            if osi_only {
                return Some(false);
            }
            let lower = id.name.to_ascii_lowercase();
            if RESTRICTED_MARKERS.iter().any(|m| lower.contains(m)) {
                Some(false)
            } else if OPEN_DATA_LICENSES.contains(&id.name)
                || ["OpenMDW-1.0", "PDDL-1.0", "CC-PDDC", "C-UDA-1.0"].contains(&id.name)
                || id.is_fsf_free_libre()
            {
                Some(true)
            } else {
                None
            }
        }
        LicenseItem::Other(r) => {
            if osi_only {
                return Some(false);
            }
            let lower = r.lic_ref.to_ascii_lowercase();
            RESTRICTED_MARKERS
                .iter()
                .any(|m| lower.contains(m))
                .then_some(false)
        }
    }
}

/// Three-valued evaluation: true if it passes with unknowns failing, false if it fails even
/// with unknowns passing, unknown otherwise.
fn evaluate(expr: &str, osi_only: bool) -> Option<bool> {
    let expr = expr.trim();
    if expr.is_empty() || expr == "NOASSERTION" || expr == "NONE" {
        return None;
    }
    let Ok(parsed) = Expression::parse_mode(expr, ParseMode::STRICT) else {
        // An id newer than our SPDX list (e.g. `BigScience-BLOOM-RAIL-1.0`) still shows its kind;
        // free text stays unknown ("not recognised").
        let lower = expr.to_ascii_lowercase();
        let one_id = !expr.contains(char::is_whitespace);
        return (one_id && RESTRICTED_MARKERS.iter().any(|m| lower.contains(m))).then_some(false);
    };
    if parsed.evaluate(|r| judge(r, osi_only) == Some(true)) {
        Some(true)
    } else if !parsed.evaluate(|r| judge(r, osi_only) != Some(false)) {
        Some(false)
    } else {
        None
    }
}

impl LicenseFacts for SpdxFacts {
    fn osi_approved(&self, expr: &str) -> Option<bool> {
        evaluate(expr, true)
    }
    fn open_terms(&self, expr: &str) -> Option<bool> {
        evaluate(expr, false)
    }
}

/// License facts from the knowledge base (`crate::license`), with [`SpdxFacts`] for what it does
/// not know (e.g. `CC-BY-2.5`, which the MOT's open-data list names).
#[derive(Debug, Default, Clone, Copy)]
pub struct KbFacts;

impl LicenseFacts for KbFacts {
    fn osi_approved(&self, expr: &str) -> Option<bool> {
        crate::license::osi_approved(expr).or_else(|| SpdxFacts.osi_approved(expr))
    }
    fn open_terms(&self, expr: &str) -> Option<bool> {
        crate::license::open_terms(expr).or_else(|| SpdxFacts.open_terms(expr))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spdx_flags_and_lists() {
        let f = SpdxFacts;
        assert_eq!(f.osi_approved("Apache-2.0"), Some(true));
        assert_eq!(f.osi_approved("MIT AND Apache-2.0"), Some(true));
        assert_eq!(f.osi_approved("CC-BY-4.0"), Some(false));
        assert_eq!(
            f.osi_approved("LicenseRef-Llama-2-Community-License"),
            Some(false)
        );
        assert_eq!(f.osi_approved("Apache 2.0"), None);
        assert_eq!(f.osi_approved("NOASSERTION"), None);
        assert_eq!(f.open_terms("CC-BY-4.0"), Some(true));
        assert_eq!(f.open_terms("CC-BY-NC-4.0"), Some(false));
        assert_eq!(
            f.open_terms("LicenseRef-Llama-3.1-Community-License"),
            Some(false)
        );
        assert_eq!(
            f.open_terms("MIT AND LicenseRef-Llama-3.1-Community-License"),
            Some(false)
        );
        assert_eq!(f.open_terms("LicenseRef-Acme-Terms"), None);
        assert_eq!(f.open_terms("MIT OR LicenseRef-Acme-Terms"), Some(true));
        assert_eq!(f.open_terms("BigScience-BLOOM-RAIL-1.0"), Some(false));
    }

    #[test]
    fn knowledge_base_first() {
        let f = KbFacts;
        assert_eq!(f.open_terms("LicenseRef-Llama-3.1-Community"), Some(false));
        assert_eq!(
            f.osi_approved("LicenseRef-Llama-3.1-Community"),
            Some(false)
        );
        assert_eq!(f.open_terms("Apache-2.0"), Some(true));
        assert_eq!(f.open_terms("CC-BY-4.0"), Some(true));
        assert_eq!(f.open_terms("CC-BY-NC-4.0"), Some(false));
        assert_eq!(
            f.open_terms("CC-BY-2.5"),
            Some(true),
            "from the SPDX fallback"
        );
        assert_eq!(
            f.osi_approved("Apache 2.0"),
            None,
            "free text is not recognised"
        );
        assert_eq!(f.open_terms("NOASSERTION"), None);
    }
}
