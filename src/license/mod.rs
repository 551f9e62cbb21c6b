//! License knowledge base (`licenses/`), expression normalisation, text identification and
//! resolution of a model's effective license from its claims.
//!
//! - [`kb`]: the embedded `licenses/*.yaml` and their structured terms.
//! - [`expression`]: [`normalize`] SPDX expressions, Hub tags and names; three-valued
//!   [`osi_approved`]/[`open_terms`]; cargo-deny style [`allowed`].
//! - [`detect`]: [`identify_text`] of LICENSE files (SPDX texts via the `spdx` crate, model
//!   licenses by distinguishing lines).
//! - [`resolve`]: [`resolve`] claims, [`inherit`] from base models, [`obligations`], [`check_profile`].

pub mod detect;
pub mod expression;
pub mod kb;
pub mod resolve;

pub use detect::{Detected, DetectionMethod, TextIdentification, identify_file, identify_text};
pub use expression::{How, Normalized, allowed, ids_in, normalize, open_terms, osi_approved};
pub use kb::{KnowledgeBase, LicenseTerms, kb};
pub use resolve::{
    Claim, ClaimKind, LicenseClaim, Obligation, ObligationKind, Profile, Resolution, check_naming,
    check_profile, check_profile_expr, inherit, obligations, resolve, section,
};

use crate::finding::{Code, Severity};

/// The expression used when nothing can be said about a license.
pub const NOASSERTION: &str = "NOASSERTION";

/// Errors of the license module.
#[derive(Debug, thiserror::Error)]
pub enum LicenseError {
    /// A `licenses/*.yaml` entry is broken (a build defect for the embedded base).
    #[error("invalid license entry `{file}`: {message}")]
    KnowledgeBase { file: String, message: String },
    /// Not a valid SPDX expression.
    #[error("invalid license expression `{expression}`: {reason}")]
    InvalidExpression { expression: String, reason: String },
    /// A LICENSE file that is not text.
    #[error("`{path}` is not a license text: {reason}")]
    NotText { path: String, reason: String },
}

/// Finding code: license claims disagree, or own and base terms cannot both hold.
pub const LICENSE_CONFLICT: Code = Code {
    id: "license-conflict",
    severity: Severity::Medium,
    summary: "license claims disagree (card, tags, LICENSE text, weights metadata), or a model grants what its base model forbids",
};
/// Finding code: no license could be determined.
pub const LICENSE_UNRESOLVED: Code = Code {
    id: "license-unresolved",
    severity: Severity::Medium,
    summary: "no effective license could be determined (NOASSERTION): `other` without a name, a family tag, an unknown name or an unidentified text",
};
/// Finding code: a Hub id that does not say which version or variant applies.
pub const LICENSE_AMBIGUOUS: Code = Code {
    id: "license-ambiguous",
    severity: Severity::Low,
    summary: "a Hub license id does not say which variant applies (`gpl-3.0`: only or or-later); the narrower reading was used",
};
/// Finding code: a LICENSE text matched only partly (title without its version line).
pub const LICENSE_TEXT_PARTIAL: Code = Code {
    id: "license-text-partial",
    severity: Severity::Low,
    summary: "a license text carries a known title but not the version or date line that pins its version",
};
/// Finding code: a LICENSE file no rule identified.
pub const LICENSE_TEXT_UNIDENTIFIED: Code = Code {
    id: "license-text-unidentified",
    severity: Severity::Low,
    summary: "a LICENSE file's text matched no known license",
};
/// Finding code: a LICENSE file that only names its license.
pub const LICENSE_TEXT_NOTICE: Code = Code {
    id: "license-text-notice",
    severity: Severity::Low,
    summary: "a LICENSE file names a license (a license notice such as \"released under the MIT License\") but does not carry its text; identified with a lower confidence",
};
/// Finding code: the base model's license is not known, so inherited terms are missing.
pub const LICENSE_BASE_UNKNOWN: Code = Code {
    id: "license-base-unknown",
    severity: Severity::Medium,
    summary: "a base model's license is unknown, so the terms it passes on are missing",
};
/// Finding code: the adopter's profile needs commercial use the license does not grant.
pub const LICENSE_COMMERCIAL_NOT_GRANTED: Code = Code {
    id: "license-commercial-not-granted",
    severity: Severity::High,
    summary: "the policy profile needs commercial use, which the license does not grant",
};
/// Finding code: the adopter's size crosses a license threshold.
pub const LICENSE_THRESHOLD_EXCEEDED: Code = Code {
    id: "license-threshold-exceeded",
    severity: Severity::High,
    summary: "the profile's monthly active users or revenue cross a license threshold (separate license needed, license ends, or a display duty)",
};
/// Finding code: the adopter's territory is excluded.
pub const LICENSE_TERRITORY_EXCLUDED: Code = Code {
    id: "license-territory-excluded",
    severity: Severity::High,
    summary: "the license does not grant rights in one of the profile's territories",
};
/// Finding code: the terms needed to answer a profile question are unknown.
pub const LICENSE_TERMS_UNKNOWN: Code = Code {
    id: "license-terms-unknown",
    severity: Severity::Medium,
    summary: "the license's terms are not in the knowledge base or not established, so a profile question cannot be answered",
};
/// Finding code: a derivative's name breaks the base license's naming rule.
pub const LICENSE_NAMING_RULE: Code = Code {
    id: "license-naming-rule",
    severity: Severity::Medium,
    summary: "a derivative model's name does not begin with the prefix its base license requires (\"Llama…\")",
};

/// Finding codes of this module.
pub const CODES: &[Code] = &[
    LICENSE_CONFLICT,
    LICENSE_UNRESOLVED,
    LICENSE_AMBIGUOUS,
    LICENSE_TEXT_PARTIAL,
    LICENSE_TEXT_UNIDENTIFIED,
    LICENSE_TEXT_NOTICE,
    LICENSE_BASE_UNKNOWN,
    LICENSE_COMMERCIAL_NOT_GRANTED,
    LICENSE_THRESHOLD_EXCEEDED,
    LICENSE_TERRITORY_EXCLUDED,
    LICENSE_TERMS_UNKNOWN,
    LICENSE_NAMING_RULE,
];

/// The ids of every OSI-approved license on the SPDX list (non-deprecated), sorted: the default
/// policy's allow-list. The knowledge base's OSI flags agree with the list (a test checks).
pub fn osi_approved_ids() -> Vec<String> {
    let mut ids: Vec<String> = spdx::identifiers::LICENSES
        .iter()
        .filter(|l| {
            l.flags & spdx::flags::IS_OSI_APPROVED != 0 && l.flags & spdx::flags::IS_DEPRECATED == 0
        })
        .map(|l| l.name.to_string())
        .collect();
    ids.sort();
    ids
}

#[cfg(test)]
mod tests {
    #[test]
    fn osi_ids_cover_the_knowledge_base() {
        let ids = super::osi_approved_ids();
        assert!(ids.len() > 100, "{}", ids.len());
        for t in super::kb().iter().filter(|t| t.osi_approved) {
            assert!(ids.contains(&t.id), "{}", t.id);
        }
        assert!(!ids.iter().any(|i| i == "CC-BY-4.0" || i == "GPL-3.0"));
    }
}
