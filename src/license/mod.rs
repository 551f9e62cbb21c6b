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

/// The expression used when nothing can be said about a license.
pub const NOASSERTION: &str = crate::ids::LicenseExpr::NOASSERTION;

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

crate::finding_codes! {
    /// Finding codes of license identification and resolution.
    pub enum LicenseCode {
        Conflict = "license-conflict", Medium, "license claims disagree (card, tags, LICENSE text, weights metadata), or a model grants what its base model forbids";
        Unresolved = "license-unresolved", Medium, "no effective license could be determined (NOASSERTION): `other` without a name, a family tag, an unknown name or an unidentified text";
        Ambiguous = "license-ambiguous", Low, "a Hub license id does not say which variant applies (`gpl-3.0`: only or or-later); the narrower reading was used";
        TextPartial = "license-text-partial", Low, "a license text carries a known title but not the version or date line that pins its version";
        TextUnidentified = "license-text-unidentified", Low, "a LICENSE file's text matched no known license";
        TextNotice = "license-text-notice", Low, "a LICENSE file names a license (a license notice such as \"released under the MIT License\") but does not carry its text; identified with a lower confidence";
        BaseUnknown = "license-base-unknown", Medium, "a base model's license is unknown, so the terms it passes on are missing";
        CommercialNotGranted = "license-commercial-not-granted", High, "the policy profile needs commercial use, which the license does not grant";
        ThresholdExceeded = "license-threshold-exceeded", High, "the profile's monthly active users or revenue cross a license threshold (separate license needed, license ends, or a display duty)";
        TerritoryExcluded = "license-territory-excluded", High, "the license does not grant rights in one of the profile's territories";
        TermsUnknown = "license-terms-unknown", Medium, "the license's terms are not in the knowledge base or not established, so a profile question cannot be answered";
        NamingRule = "license-naming-rule", Medium, "a derivative model's name does not begin with the prefix its base license requires (\"Llama…\")";
    }
}

/// License claims disagree, or own and base terms cannot both hold.
pub const LICENSE_CONFLICT: LicenseCode = LicenseCode::Conflict;
/// No license could be determined.
pub const LICENSE_UNRESOLVED: LicenseCode = LicenseCode::Unresolved;
/// A Hub id that does not say which version or variant applies.
pub const LICENSE_AMBIGUOUS: LicenseCode = LicenseCode::Ambiguous;
/// A LICENSE text matched only partly (title without its version line).
pub const LICENSE_TEXT_PARTIAL: LicenseCode = LicenseCode::TextPartial;
/// A LICENSE file no rule identified.
pub const LICENSE_TEXT_UNIDENTIFIED: LicenseCode = LicenseCode::TextUnidentified;
/// A LICENSE file that only names its license.
pub const LICENSE_TEXT_NOTICE: LicenseCode = LicenseCode::TextNotice;
/// The base model's license is not known, so inherited terms are missing.
pub const LICENSE_BASE_UNKNOWN: LicenseCode = LicenseCode::BaseUnknown;
/// The adopter's profile needs commercial use the license does not grant.
pub const LICENSE_COMMERCIAL_NOT_GRANTED: LicenseCode = LicenseCode::CommercialNotGranted;
/// The adopter's size crosses a license threshold.
pub const LICENSE_THRESHOLD_EXCEEDED: LicenseCode = LicenseCode::ThresholdExceeded;
/// The adopter's territory is excluded.
pub const LICENSE_TERRITORY_EXCLUDED: LicenseCode = LicenseCode::TerritoryExcluded;
/// The terms needed to answer a profile question are unknown.
pub const LICENSE_TERMS_UNKNOWN: LicenseCode = LicenseCode::TermsUnknown;
/// A derivative's name breaks the base license's naming rule.
pub const LICENSE_NAMING_RULE: LicenseCode = LicenseCode::NamingRule;

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
