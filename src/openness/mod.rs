//! Openness: the 17 Model Openness Framework components of a model, Model Openness Tool (MOT)
//! model entries, the OSI Open Source AI Definition 1.0 verdict and the MOF class — each failed
//! requirement with a reason that names the component, the predicate and the license or the
//! missing evidence.
//!
//! License *judgement* (is this expression OSI-approved, are these terms free of use
//! restrictions) is asked of a [`LicenseFacts`]; the MOT-compatible MOF evaluation instead uses
//! the MOT's own fixed lists ([`licenses`]), because it must reproduce the MOT's figures exactly.

pub mod classify;
pub mod components;
pub mod evidence;
pub mod facts;
pub mod licenses;
pub mod mot;
pub mod reasons;
pub mod sidecar;

#[cfg(test)]
mod acceptance;

pub use classify::{classify, evaluate_mof};
pub use components::{COMPONENTS, Component, ContentType};
pub use evidence::{card_license, components_from_evidence};
pub use facts::{KbFacts, SpdxFacts};
pub use reasons::ReasonCode;
pub use sidecar::{Sidecar, parse_sidecar, read_sidecar, sidecar_for_record};

/// License facts the OSAID verdict needs, supplied by the license module (or a test double).
pub trait LicenseFacts {
    /// Some(true) when every required part of the SPDX expression is OSI-approved; None when unknown/NOASSERTION.
    fn osi_approved(&self, expr: &str) -> Option<bool>;
    /// Some(true) when the terms are OSD-conformant with no use restrictions (weights_terms = open).
    fn open_terms(&self, expr: &str) -> Option<bool>;
}

/// Errors of this module: files the user wrote (the `modelvet.yaml` sidecar) that cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum OpennessError {
    /// The sidecar is not valid YAML or does not match its schema.
    #[error("`{path}` line {line}: {message}")]
    Sidecar {
        path: String,
        line: u32,
        message: String,
    },
    /// The sidecar exists but cannot be read.
    #[error("cannot read `{path}`")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

/// The openness section for a catalogue record. MOF imports keep the `stored` components they
/// were recorded with; local and Hub models get theirs from the recorded files and card, the
/// folder's `sidecar` and the record's effective license. The section's `components` are the
/// ones to store with the revision.
pub fn section_for_record(
    record: &crate::record::ModelRecord,
    stored: Vec<crate::record::ComponentRecord>,
    sidecar: Option<&Sidecar>,
    facts: &dyn LicenseFacts,
    strict: bool,
) -> crate::record::OpennessSection {
    // Until a license resolution is recorded, the card's own `license:` tag stands in.
    let fallback;
    let effective = match Some(record.license.effective.trim())
        .filter(|l| !l.is_empty() && *l != "NOASSERTION")
    {
        Some(l) => Some(l),
        None => {
            fallback = card_license(record.card.as_ref());
            fallback.as_deref()
        }
    };
    let components = if record.source.kind == crate::record::SourceKind::Mof && !stored.is_empty() {
        stored
    } else {
        components_from_evidence(&record.files, record.card.as_ref(), sidecar, effective)
    };
    let weights = effective.map(str::to_string).unwrap_or_else(|| {
        components
            .iter()
            .find(|c| c.id == components::ids::PARAMETERS_FINAL)
            .and_then(|c| c.license.clone())
            .unwrap_or_default()
    });
    classify(&components, &weights, facts, strict)
}

/// Component status values, as spelled in the record (`components[].status`).
pub mod status {
    use crate::record::ComponentStatus;
    /// The component is supplied.
    pub const INCLUDED: ComponentStatus = ComponentStatus::Included;
    /// The component is known not to be supplied.
    pub const NOT_INCLUDED: ComponentStatus = ComponentStatus::NotIncluded;
    /// Nothing says whether it is supplied.
    pub const UNKNOWN: ComponentStatus = ComponentStatus::Unknown;
}

/// `license_source` values: `explicit`, or the release default it was inherited from.
pub mod source {
    /// The component states its own license.
    pub const EXPLICIT: &str = "explicit";
    /// Inherited from the release's distribution license (applies to everything).
    pub const DISTRIBUTION: &str = "distribution";
}

/// Formats a serde-saphyr error as `line N: message` pieces for our error enums.
pub(crate) fn yaml_error_parts(err: &serde_saphyr::Error) -> (u32, String) {
    let line = err.location().map(|l| l.line()).unwrap_or(0) as u32;
    let text = err.without_snippet().to_string();
    // The plain text reads "error: line L column C: message"; we print the line ourselves.
    let text = text.trim().trim_start_matches("error: ");
    let message = match text.strip_prefix("line ").and_then(|t| t.split_once(": ")) {
        Some((_, m)) => m,
        None => text,
    };
    let message = match message.rfind(" at line ") {
        Some(i) => &message[..i],
        None => message,
    };
    (line, message.trim().to_string())
}
