//! The verdicts: the OSAID 1.0 class (open-source / open-weight / closed) with the weights'
//! terms, and the MOF class with per-class progress — MOT-compatible and strict — and a reason
//! for every requirement that is not met.

use super::LicenseFacts;
use super::components::{self, COMPONENTS, Component, ids};
use super::licenses::{exact_spdx, mot_is_open, mot_type_ok, spdx_hint};
use super::reasons::{MofProblem, ReasonCode};
use super::{source, status};
use crate::record::{
    ComponentRecord, MofProgress, MofResult, OpennessClass, OpennessSection, Reason, WeightsTerms,
};

/// Components that strict mode never lets inherit the distribution license: the release's
/// license says nothing reliable about third-party data, a paper or the card's text.
const STRICT_NO_INHERIT: [u32; 4] = [
    ids::DATASETS,
    ids::EVALUATION_DATA,
    ids::RESEARCH_PAPER,
    ids::MODEL_CARD,
];

/// How the MOF evaluation sees one component.
#[derive(Debug, Clone, PartialEq, Eq)]
enum State {
    Included,
    /// Not listed (`not_included`) or nothing known (`unknown`).
    Missing,
    /// Listed without a license (or, in strict mode, with only an inherited one it ignores).
    Unlicensed,
    /// Listed with a license the MOT does not count as open.
    Invalid(String),
    /// Strict only: open, but not appropriate to the component's content type.
    NotTypeAppropriate(String),
}

fn find(components: &[ComponentRecord], id: u32) -> Option<&ComponentRecord> {
    components.iter().find(|c| c.id == id)
}

fn is_included(components: &[ComponentRecord], id: u32) -> bool {
    find(components, id).is_some_and(|c| c.status == status::INCLUDED)
}

/// The license a mode looks at: strict mode drops distribution inheritance where it proves nothing.
fn effective_license(c: &ComponentRecord, strict: bool) -> Option<&str> {
    if strict
        && STRICT_NO_INHERIT.contains(&c.id)
        && c.license_source.as_deref() == Some(source::DISTRIBUTION)
    {
        return None;
    }
    c.license
        .as_deref()
        .map(str::trim)
        .filter(|l| !l.is_empty())
}

fn mof_state(components: &[ComponentRecord], def: &Component, strict: bool) -> State {
    let Some(c) = find(components, def.id).filter(|c| c.status == status::INCLUDED) else {
        return State::Missing;
    };
    match effective_license(c, strict) {
        None => State::Unlicensed,
        Some(l) if !mot_is_open(l) => State::Invalid(l.to_string()),
        Some(l) if strict && !mot_type_ok(l, def.content_type) => {
            State::NotTypeAppropriate(l.to_string())
        }
        Some(_) => State::Included,
    }
}

/// Why a license is not one the MOT counts as open, in words.
fn why_not_open(l: &str) -> String {
    if let Some(hint) = spdx_hint(l) {
        format!(
            "`{l}` is not recognised: the MOT accepts exact SPDX ids only (did you mean `{hint}`?)"
        )
    } else if exact_spdx(l).is_some() {
        format!("`{l}` is neither OSI-approved, FSF-libre nor on the MOT's open-data list")
    } else {
        format!("`{l}` is not recognised: it is not an SPDX id, so the MOT never counts it as open")
    }
}

fn describe_missing(components: &[ComponentRecord], id: u32) -> &'static str {
    match find(components, id).map(|c| c.status) {
        Some(status::UNKNOWN) => "no evidence that it is supplied (status unknown)",
        _ => "not included",
    }
}

fn evidence_of(components: &[ComponentRecord], id: u32) -> Option<String> {
    let c = find(components, id)?;
    let mut parts = Vec::new();
    if let Some(e) = &c.evidence {
        parts.push(e.clone());
    }
    match (c.license.as_deref(), c.license_source.as_deref()) {
        (Some(l), Some(src)) if src != source::EXPLICIT => parts.push(format!(
            "license `{l}` inherited from the release's {src} license"
        )),
        _ => {}
    }
    (!parts.is_empty()).then(|| parts.join("; "))
}

/// The MOF result of one mode plus the reason for each unmet requirement.
pub fn evaluate_mof(components: &[ComponentRecord], strict: bool) -> (MofResult, Vec<Reason>) {
    let state = |id: u32| mof_state(components, components::by_id(id).expect("known id"), strict);
    let tr_ok = state(ids::TECHNICAL_REPORT) == State::Included;
    let rp_state = state(ids::RESEARCH_PAPER);
    // MOT: a listed research paper stands in for a technical report that does not count.
    let substitute = !tr_ok && is_included(components, ids::RESEARCH_PAPER);
    let layer = |class: u8| -> Vec<u32> {
        components::required_of(class)
            .map(|c| {
                if substitute && c.id == ids::TECHNICAL_REPORT {
                    ids::RESEARCH_PAPER
                } else {
                    c.id
                }
            })
            .collect()
    };
    let l3 = layer(3);
    let l2 = layer(2);
    let l1: Vec<u32> = components::required_of(1).map(|c| c.id).collect();
    let l3_own: Vec<u32> = components::required_of(3).map(|c| c.id).collect();
    let count = |ids: &[u32]| {
        ids.iter()
            .filter(|&&id| state(id) == State::Included)
            .count()
    };
    let n3 = count(&l3);
    let p3 = n3 as f64 / 6.0;
    let p2 = if n3 == 6 {
        (n3 + count(&l2)) as f64 / 10.0
    } else {
        0.0
    };
    let p1 = if p2 >= 1.0 {
        // Class I's own required set still holds both documents; the count runs over all 14.
        let all = count(&l3_own) + count(&l2) + count(&l1);
        let denom = if !tr_ok && rp_state == State::Included {
            13.0
        } else {
            14.0
        };
        (all as f64 / denom).min(1.0)
    } else {
        0.0
    };
    let class = if p1 >= 1.0 {
        1
    } else if p2 >= 1.0 {
        2
    } else if p3 >= 1.0 {
        3
    } else {
        0
    };
    let result = MofResult {
        class: crate::record::MofClass(class),
        progress: MofProgress {
            class_iii: p3 * 100.0,
            class_ii: p2 * 100.0,
            class_i: p1 * 100.0,
        },
    };

    let mut reasons = Vec::new();
    for layer_class in [3u8, 2, 1] {
        if class != 0 && layer_class >= class {
            continue;
        }
        let req = format!(
            "required for MOF {}",
            crate::record::MofClass(layer_class).label()
        );
        for def in components::required_of(layer_class) {
            let mut id = def.id;
            let mut note = String::new();
            if def.id == ids::TECHNICAL_REPORT {
                if tr_ok || (substitute && rp_state == State::Included) {
                    continue;
                }
                if substitute {
                    id = ids::RESEARCH_PAPER;
                    note = "; the listed research paper stands in for the technical report".into();
                } else {
                    note = "; an openly licensed research paper would stand in for it".into();
                }
            }
            let st = state(id);
            let shown = components::by_id(id).expect("known id");
            let (code, what) = match &st {
                State::Included => continue,
                State::Missing => (
                    MofProblem::ComponentMissing,
                    describe_missing(components, id).to_string(),
                ),
                State::Unlicensed => {
                    let inherited = find(components, id)
                        .filter(|c| {
                            strict && c.license_source.as_deref() == Some(source::DISTRIBUTION)
                        })
                        .and_then(|c| c.license.clone());
                    match inherited {
                        Some(l) => (
                            MofProblem::ComponentUnlicensed,
                            format!(
                                "has no license of its own (strict mode does not let it inherit the distribution license `{l}`)"
                            ),
                        ),
                        None => (
                            MofProblem::ComponentUnlicensed,
                            "is included but has no license".to_string(),
                        ),
                    }
                }
                State::Invalid(l) => (
                    MofProblem::LicenseNotOpen,
                    format!("license {}", why_not_open(l)),
                ),
                State::NotTypeAppropriate(l) => (
                    MofProblem::LicenseNotTypeAppropriate,
                    format!(
                        "license `{l}` is open but not one the MOF lists for {} components (the MOT only warns; strict mode requires it)",
                        shown.content_type
                    ),
                ),
            };
            let component = if id != def.id { def.name } else { shown.name };
            let subject = if id != def.id {
                format!("{} (standing in: {})", def.name, shown.name)
            } else {
                shown.name.to_string()
            };
            reasons.push(Reason {
                code: ReasonCode::mof(code, strict).id().to_string(),
                component: Some(component.to_string()),
                message: format!("{subject}: {what}{note}; {req}"),
                evidence: evidence_of(components, id),
            });
        }
    }
    (result, reasons)
}

/// A license judgement for OSAID: the license is fine, fails, or cannot be judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Judgement {
    Yes,
    No,
    Unknown,
}

fn judge_terms(facts: &dyn LicenseFacts, l: &str) -> Judgement {
    match (facts.open_terms(l), facts.osi_approved(l)) {
        (Some(true), _) | (_, Some(true)) => Judgement::Yes,
        (Some(false), _) => Judgement::No,
        _ => Judgement::Unknown,
    }
}

fn judge_code(facts: &dyn LicenseFacts, l: &str) -> Judgement {
    match facts.osi_approved(l) {
        Some(true) => Judgement::Yes,
        Some(false) => Judgement::No,
        None => Judgement::Unknown,
    }
}

/// What is wrong with one component for an OSAID predicate, or `None` when it passes.
fn osaid_problem(
    components: &[ComponentRecord],
    id: u32,
    strict: bool,
    judge: &dyn Fn(&str) -> Judgement,
    not_ok: &str,
) -> Option<(ReasonCode, String)> {
    let Some(c) = find(components, id).filter(|c| c.status == status::INCLUDED) else {
        return Some((
            ReasonCode::OsaidComponentMissing,
            describe_missing(components, id).to_string(),
        ));
    };
    let Some(l) = effective_license(c, strict) else {
        let msg = match (strict, c.license.as_deref()) {
            (true, Some(l)) if c.license_source.as_deref() == Some(source::DISTRIBUTION) => {
                format!(
                    "has no license of its own (strict mode does not let it inherit the distribution license `{l}`)"
                )
            }
            _ => "is included but has no license".to_string(),
        };
        return Some((ReasonCode::OsaidLicenseMissing, msg));
    };
    match judge(l) {
        Judgement::Yes => None,
        Judgement::No => Some((
            ReasonCode::OsaidLicenseNotOpen,
            format!("license `{l}` {not_ok}"),
        )),
        Judgement::Unknown => Some((
            ReasonCode::OsaidLicenseNotRecognised,
            format!("license `{l}` is not recognised, so it cannot count as open"),
        )),
    }
}

/// Code the OSAID requires: "the complete source code used to train and run the system".
const OSAID_CODE: [u32; 4] = [
    ids::MODEL_ARCHITECTURE,
    ids::TRAINING_CODE,
    ids::INFERENCE_CODE,
    ids::DATA_PREPROCESSING_CODE,
];
/// Code the OSAID names "if used": checked only when supplied.
const OSAID_CODE_IF_USED: [u32; 2] = [ids::EVALUATION_CODE, ids::SUPPORTING_LIBRARIES];

/// Classifies a model from its components: OSAID 1.0 class and weights terms (judged by
/// `facts`), MOF class and progress (MOT-compatible and strict), and the reasons. `strict` also
/// makes the OSAID data-information check ignore distribution licenses inherited by data,
/// papers and the card.
pub fn classify(
    components: &[ComponentRecord],
    weights_license: &str,
    facts: &dyn LicenseFacts,
    strict: bool,
) -> OpennessSection {
    let weights = find(components, ids::PARAMETERS_FINAL).filter(|c| c.status == status::INCLUDED);
    let wl = weights_license.trim();
    let wl = if wl.is_empty() || wl == "NOASSERTION" {
        weights.and_then(|c| c.license.clone())
    } else {
        Some(wl.to_string())
    };
    let weights_terms = match (weights, wl.as_deref()) {
        (None, _) | (_, None) => WeightsTerms::Unknown,
        (Some(_), Some(l)) => match judge_terms(facts, l) {
            Judgement::Yes => WeightsTerms::Open,
            Judgement::No => WeightsTerms::Restricted,
            Judgement::Unknown => WeightsTerms::Unknown,
        },
    };
    let mut log = ReasonLog {
        components,
        reasons: Vec::new(),
    };
    let params_ok = osaid_parameters(&mut log, weights.is_some(), wl.as_deref(), weights_terms);
    let code_ok = osaid_code(&mut log, facts);
    let data_ok = osaid_data(&mut log, facts, strict);
    let mut reasons = log.reasons;

    let class = if weights.is_none() {
        OpennessClass::Closed
    } else if params_ok && code_ok && data_ok {
        OpennessClass::OpenSource
    } else {
        OpennessClass::OpenWeight
    };
    let (mof, mof_reasons) = evaluate_mof(components, false);
    let (mof_strict, strict_reasons) = evaluate_mof(components, true);
    reasons.extend(mof_reasons.iter().cloned());
    // Strict reasons only where strict mode fails something the MOT-compatible mode passed.
    for r in strict_reasons {
        if !mof_reasons.iter().any(|m| m.component == r.component) {
            reasons.push(r);
        }
    }
    let components = COMPONENTS
        .iter()
        .map(|def| {
            find(components, def.id)
                .cloned()
                .unwrap_or_else(|| ComponentRecord {
                    id: def.id,
                    name: def.name.to_string(),
                    status: status::UNKNOWN,
                    license: None,
                    license_source: None,
                    evidence: None,
                })
        })
        .collect();
    OpennessSection {
        class,
        weights_terms,
        mof,
        mof_strict,
        components,
        reasons,
    }
}

/// The reasons of one classification, each tied to a component of `components`.
struct ReasonLog<'a> {
    components: &'a [ComponentRecord],
    reasons: Vec<Reason>,
}

impl ReasonLog<'_> {
    fn name(&self, id: u32) -> &'static str {
        components::by_id(id).expect("known id").name
    }

    fn push(&mut self, code: ReasonCode, id: Option<u32>, message: String) {
        self.reasons.push(Reason {
            code: code.id().to_string(),
            component: id.map(|i| self.name(i).to_string()),
            message,
            evidence: id.and_then(|i| evidence_of(self.components, i)),
        });
    }
}

/// OSAID 1.0 Parameters: the weights available, under OSD-conformant terms without use
/// restrictions.
fn osaid_parameters(
    log: &mut ReasonLog<'_>,
    available: bool,
    wl: Option<&str>,
    weights_terms: WeightsTerms,
) -> bool {
    // Parameters: available, under OSD-conformant terms without use restrictions.
    let mut params_ok = available;
    if !available {
        log.push(
            ReasonCode::OsaidComponentMissing,
            Some(ids::PARAMETERS_FINAL),
            format!(
                "{}: {} — the weights are not available, so the model is closed (OSAID 1.0 Parameters)",
                log.name(ids::PARAMETERS_FINAL),
                describe_missing(log.components, ids::PARAMETERS_FINAL)
            ),
        );
    } else {
        match (wl, weights_terms) {
            (_, WeightsTerms::Open) => {}
            (None, _) => {
                params_ok = false;
                log.push(
                    ReasonCode::OsaidLicenseMissing,
                    Some(ids::PARAMETERS_FINAL),
                    format!(
                        "{}: the weights have no license, so their terms cannot be checked (OSAID 1.0 Parameters need OSI-approved terms)",
                        log.name(ids::PARAMETERS_FINAL)
                    ),
                );
            }
            (Some(l), WeightsTerms::Restricted) => {
                params_ok = false;
                log.push(
                    ReasonCode::OsaidLicenseNotOpen,
                    Some(ids::PARAMETERS_FINAL),
                    format!(
                        "{}: terms `{l}` restrict use (field of use, acceptable-use policy, user threshold or similar), so they are not OSD-conformant (OSAID 1.0 Parameters)",
                        log.name(ids::PARAMETERS_FINAL)
                    ),
                );
            }
            (Some(l), _) => {
                params_ok = false;
                log.push(
                    ReasonCode::OsaidLicenseNotRecognised,
                    Some(ids::PARAMETERS_FINAL),
                    format!(
                        "{}: license `{l}` is not recognised, so the weights' terms cannot count as open (OSAID 1.0 Parameters)",
                        log.name(ids::PARAMETERS_FINAL)
                    ),
                );
            }
        }
    }

    params_ok
}

/// OSAID 1.0 Code: the code used to train and run the system under OSI-approved licenses.
fn osaid_code(log: &mut ReasonLog<'_>, facts: &dyn LicenseFacts) -> bool {
    let mut code_ok = true;
    let code_judge = |l: &str| judge_code(facts, l);
    for id in OSAID_CODE.into_iter().chain(OSAID_CODE_IF_USED) {
        let optional = OSAID_CODE_IF_USED.contains(&id);
        if optional && !is_included(log.components, id) {
            continue;
        }
        if let Some((code, what)) = osaid_problem(
            log.components,
            id,
            false,
            &code_judge,
            "is not OSI-approved",
        ) {
            code_ok = false;
            let element = if id == ids::MODEL_ARCHITECTURE {
                "OSAID 1.0 Code requires the model architecture under an OSI-approved license"
            } else {
                "OSAID 1.0 Code requires the complete code used to train and run the system under OSI-approved licenses"
            };
            log.push(
                code,
                Some(id),
                format!("{}: {what} — {element}", log.name(id)),
            );
        }
    }

    code_ok
}

/// OSAID 1.0 Data Information: the datasets under open terms, or a data card together with a
/// research paper or technical report under open terms that describe them.
fn osaid_data(log: &mut ReasonLog<'_>, facts: &dyn LicenseFacts, strict: bool) -> bool {
    let terms_judge = |l: &str| judge_terms(facts, l);
    let ds = osaid_problem(
        log.components,
        ids::DATASETS,
        strict,
        &terms_judge,
        "is not OSI-approved or open terms",
    );
    let card = osaid_problem(
        log.components,
        ids::DATA_CARD,
        strict,
        &terms_judge,
        "is not OSI-approved or open terms",
    );
    let rp = osaid_problem(
        log.components,
        ids::RESEARCH_PAPER,
        strict,
        &terms_judge,
        "is not OSI-approved or open terms",
    );
    let tr = osaid_problem(
        log.components,
        ids::TECHNICAL_REPORT,
        strict,
        &terms_judge,
        "is not OSI-approved or open terms",
    );
    let data_ok = ds.is_none() || (card.is_none() && (rp.is_none() || tr.is_none()));
    if !data_ok {
        let mut parts = vec![format!(
            "Datasets: {}",
            ds.as_ref().map(|p| p.1.as_str()).unwrap_or("ok")
        )];
        parts.push(format!(
            "Data card: {}",
            card.as_ref().map(|p| p.1.as_str()).unwrap_or("ok")
        ));
        if rp.is_some() && tr.is_some() {
            parts.push(format!(
                "Research paper: {}; Technical report: {}",
                rp.as_ref().map(|p| p.1.as_str()).unwrap_or("ok"),
                tr.as_ref().map(|p| p.1.as_str()).unwrap_or("ok")
            ));
        }
        log.push(
            ReasonCode::OsaidDataInformationMissing,
            Some(ids::DATASETS),
            format!(
                "Data information: neither the datasets nor a data card with a research paper or technical report are available under open terms — {} (OSAID 1.0 Data Information)",
                parts.join("; ")
            ),
        );
    }

    data_ok
}
