//! Acceptance cases built from public facts: MOT entries (written here, not copied) whose class
//! and progress the MOT algorithm gives (shared/reference/openness.md §2.7), and the OSI's
//! validation list for OSAID 1.0 (§1.4).

use super::mot;
use super::*;
use crate::record::{ComponentRecord, OpennessSection};

/// License facts for tests: SPDX flags for exact ids, a few known open-content and restricted terms.
pub(crate) struct TestFacts;

const OPEN_CONTENT: &[&str] = &[
    "CC-BY-4.0",
    "CC-BY-SA-4.0",
    "CC0-1.0",
    "ODC-By-1.0",
    "CDLA-Permissive-2.0",
    "OpenMDW-1.0",
];
const RESTRICTED: &[&str] = &[
    "LicenseRef-Llama-2-Community-License",
    "LicenseRef-Llama-3.1-Community-License",
    "LicenseRef-Gemma-Terms-of-Use",
    "BigScience-BLOOM-RAIL-1.0",
    "CC-BY-NC-4.0",
];

impl LicenseFacts for TestFacts {
    fn osi_approved(&self, expr: &str) -> Option<bool> {
        if RESTRICTED.contains(&expr) {
            return Some(false);
        }
        let mut all = true;
        for part in expr.split(" AND ") {
            let id = licenses::exact_spdx(part.trim())?;
            all &= id.is_osi_approved();
        }
        Some(all)
    }
    fn open_terms(&self, expr: &str) -> Option<bool> {
        if RESTRICTED.contains(&expr) {
            Some(false)
        } else if OPEN_CONTENT.contains(&expr) {
            Some(true)
        } else {
            self.osi_approved(expr).filter(|&b| b)
        }
    }
}

/// Writes a MOT entry: `defaults` are (content type or `distribution`, license); each component
/// is (exact name, license) where `-` means no `license` key (inherit).
pub(crate) fn mot_yaml(name: &str, defaults: &[(&str, &str)], comps: &[(&str, &str)]) -> String {
    let mut y = format!(
        "framework:\n  name: 'Model Openness Framework'\n  version: '1.0'\n  date: '2024-12-15'\nrelease:\n  name: '{name}'\n  version: ''\n"
    );
    if defaults.is_empty() {
        y.push_str("  license: {}\n");
    } else {
        y.push_str("  license:\n");
        for (k, l) in defaults {
            y.push_str(&format!("    {k}:\n      name: '{l}'\n      path: ''\n"));
        }
    }
    y.push_str("  components:\n");
    for (c, l) in comps {
        y.push_str(&format!("    - name: '{c}'\n      description: ''\n"));
        if *l != "-" {
            y.push_str(&format!("      license: '{l}'\n"));
        }
    }
    y
}

const ARCH: &str = "Model architecture";
const PARAMS: &str = "Model parameters (Final)";
const TR: &str = "Technical report";
const ER: &str = "Evaluation results";
const MC: &str = "Model card";
const DC: &str = "Data card";
const SAMPLES: &str = "Sample model outputs";
const TRAIN: &str = "Training code";
const INFER: &str = "Inference code";
const EVCODE: &str = "Evaluation code";
const EVDATA: &str = "Evaluation data";
const LIBS: &str = "Supporting libraries and tools";
const DS: &str = "Datasets";
const PREP: &str = "Data preprocessing code";
const CKPT: &str = "Model parameters (Intermediate)";
const RP: &str = "Research paper";
const META: &str = "Model metadata";

fn all_with(license: &str, except: &[&str]) -> Vec<(&'static str, String)> {
    [
        ARCH, PARAMS, TR, ER, MC, DC, TRAIN, INFER, EVCODE, EVDATA, DS, PREP, CKPT, RP,
    ]
    .into_iter()
    .filter(|c| !except.contains(c))
    .map(|c| (c, license.to_string()))
    .collect()
}

fn owned<'a>(v: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    v.iter().map(|(c, l)| (*c, l.as_str())).collect()
}

/// The MOT cases: (name, yaml, expected class, C3, C2, C1 percent).
fn mot_cases() -> Vec<(&'static str, String, u8, f64, f64, f64)> {
    let apache = [("distribution", "Apache-2.0")];
    let mut v = Vec::new();
    // 1 Pythia-6.9B: distribution Apache-2.0 inherited widely; the paper stands in for the report.
    v.push((
        "Pythia-6.9B",
        mot_yaml(
            "Pythia-6.9B",
            &apache,
            &[
                (ARCH, "-"),
                (PARAMS, "-"),
                (ER, "-"),
                (MC, "-"),
                (DC, "-"),
                (TRAIN, "MIT"),
                (INFER, "-"),
                (EVCODE, "MIT"),
                (EVDATA, "-"),
                (LIBS, "-"),
                (DS, "-"),
                (PREP, "MIT"),
                (CKPT, "-"),
                (RP, "CC-BY-SA-4.0"),
            ],
        ),
        1,
        100.0,
        100.0,
        100.0,
    ));
    // 2 OLMo-7B: everything Apache-2.0 by distribution, paper CC-BY-4.0.
    let mut olmo: Vec<(&str, &str)> = [
        ARCH, PARAMS, TR, ER, MC, DC, TRAIN, INFER, EVCODE, EVDATA, DS, PREP, CKPT,
    ]
    .iter()
    .map(|c| (*c, "-"))
    .collect();
    olmo.push((RP, "CC-BY-4.0"));
    v.push((
        "OLMo-7B",
        mot_yaml("OLMo-7B", &apache, &olmo),
        1,
        100.0,
        100.0,
        100.0,
    ));
    // 3 Amber: every component Apache-2.0 except Datasets MIT.
    let mut amber = all_with("Apache-2.0", &[DS]);
    amber.push((DS, "MIT".into()));
    v.push((
        "Amber",
        mot_yaml("Amber", &[], &owned(&amber)),
        1,
        100.0,
        100.0,
        100.0,
    ));
    // 4 Aquila-VL-2B: no global license; data under CDLA/CC-BY.
    v.push((
        "Aquila-VL-2B",
        mot_yaml(
            "Aquila-VL-2B",
            &[],
            &[
                (ARCH, "Apache-2.0"),
                (PARAMS, "Apache-2.0"),
                (TR, "CC-BY-4.0"),
                (ER, "CC-BY-4.0"),
                (MC, "CC-BY-4.0"),
                (DC, "CC-BY-4.0"),
                (TRAIN, "Apache-2.0"),
                (INFER, "Apache-2.0"),
                (EVCODE, "Apache-2.0"),
                (EVDATA, "CDLA-Permissive-2.0"),
                (DS, "CC-BY-4.0"),
                (PREP, "Apache-2.0"),
                (CKPT, "CDLA-Permissive-2.0"),
                (RP, "CC-BY-4.0"),
            ],
        ),
        1,
        100.0,
        100.0,
        100.0,
    ));
    // 5 Polyglot-Ko: intermediate checkpoints missing → 13/14.
    let mut pk = all_with("Apache-2.0", &[CKPT, RP]);
    pk.push((RP, "CC-BY-SA-4.0".into()));
    v.push((
        "Polyglot-Ko",
        mot_yaml("Polyglot-Ko", &[], &owned(&pk)),
        2,
        100.0,
        100.0,
        13.0 / 14.0 * 100.0,
    ));
    // 6 GPT-NeoX-20B: evaluation data not listed → C2 9/10.
    let mut neox = all_with("Apache-2.0", &[EVDATA, RP]);
    neox.push((RP, "CC-BY-4.0".into()));
    v.push((
        "GPT-NeoX-20B",
        mot_yaml("GPT-NeoX-20B", &[], &owned(&neox)),
        3,
        100.0,
        90.0,
        0.0,
    ));
    // 7 Granite-3B-Code-Instruct: no training, inference or evaluation code.
    v.push((
        "Granite-3B-Code-Instruct",
        mot_yaml(
            "Granite-3B-Code-Instruct",
            &[],
            &[
                (ARCH, "Apache-2.0"),
                (PARAMS, "Apache-2.0"),
                (ER, "Apache-2.0"),
                (MC, "Apache-2.0"),
                (DC, "Apache-2.0"),
                (TR, "Apache-2.0"),
                (CKPT, "Apache-2.0"),
                (DS, "MIT"),
                (RP, "CC-BY-4.0"),
            ],
        ),
        3,
        100.0,
        60.0,
        0.0,
    ));
    // 8 Granite-4.0-Micro: only the six Class III components.
    v.push((
        "Granite-4.0-Micro",
        mot_yaml(
            "Granite-4.0-Micro",
            &apache,
            &[
                (ARCH, "-"),
                (PARAMS, "-"),
                (MC, "-"),
                (DC, "-"),
                (TR, "-"),
                (ER, "-"),
            ],
        ),
        3,
        100.0,
        60.0,
        0.0,
    ));
    // 9 DeepSeek-R1: paper under the arXiv license (not open), data card missing.
    v.push((
        "DeepSeek-R1",
        mot_yaml(
            "DeepSeek-R1",
            &[("distribution", "MIT")],
            &[
                (ARCH, "-"),
                (PARAMS, "-"),
                (TR, "-"),
                (ER, "-"),
                (MC, "-"),
                (INFER, "-"),
                (RP, "arXiv.org perpetual non-exclusive license 1.0"),
            ],
        ),
        0,
        500.0 / 6.0,
        0.0,
        0.0,
    ));
    // 10 gpt-oss-20b: data card missing.
    v.push((
        "gpt-oss-20b",
        mot_yaml(
            "gpt-oss-20b",
            &[],
            &[
                (ARCH, "Apache-2.0"),
                (PARAMS, "Apache-2.0"),
                (INFER, "Apache-2.0"),
                (ER, "Apache-2.0"),
                (MC, "CC-BY-4.0"),
                (TR, "CC-BY-4.0"),
            ],
        ),
        0,
        500.0 / 6.0,
        0.0,
        0.0,
    ));
    // 11 Mixtral-8x7B: report unlicensed, paper stands in; data card missing.
    v.push((
        "Mixtral-8x7B-v0.1",
        mixtral_yaml(),
        0,
        500.0 / 6.0,
        0.0,
        0.0,
    ));
    // 12 Grok-1: card and paper unlicensed; results and data card missing.
    v.push(("Grok-1", grok_yaml(), 0, 200.0 / 6.0, 0.0, 0.0));
    // 13 Llama-3.1-8B-Instruct: custom license everywhere.
    v.push((
        "Llama-3.1-8B-Instruct",
        mot_yaml(
            "Llama-3.1-8B-Instruct",
            &[("distribution", "Llama 3.1 Community License Agreement")],
            &[
                (ARCH, "-"),
                (PARAMS, "-"),
                (MC, "-"),
                (DC, "-"),
                (INFER, "-"),
                (LIBS, "-"),
                (META, "-"),
                (RP, "arXiv.org perpetual, non-exclusive license 1.0"),
                (TR, "unlicensed"),
                (EVDATA, "unlicensed"),
            ],
        ),
        0,
        0.0,
        0.0,
        0.0,
    ));
    // 14 BLOOM: RAIL everywhere except the documents.
    v.push((
        "BLOOM",
        mot_yaml(
            "BLOOM",
            &[("distribution", "BigScience-BLOOM-RAIL-1.0")],
            &[
                (ARCH, "-"),
                (PARAMS, "-"),
                (ER, "-"),
                (MC, "-"),
                (DC, "-"),
                (TRAIN, "-"),
                (INFER, "-"),
                (DS, "-"),
                (CKPT, "-"),
                (TR, "CC-BY-4.0"),
                (RP, "CC-BY-4.0"),
            ],
        ),
        0,
        100.0 / 6.0,
        0.0,
        0.0,
    ));
    // 15 Falcon-180B: the TII license (written with a stray leading space) is never open.
    v.push((
        "Falcon-180B",
        mot_yaml(
            "Falcon-180B",
            &[],
            &[
                (ARCH, " Falcon-180B TII License"),
                (PARAMS, " Falcon-180B TII License"),
                (MC, " Falcon-180B TII License"),
                (INFER, " Falcon-180B TII License"),
                (DS, "ODC-By-1.0"),
                (RP, "arXiv.org perpetual, non-exclusive license 1.0"),
                (ER, "arXiv.org perpetual, non-exclusive license 1.0"),
            ],
        ),
        0,
        0.0,
        0.0,
        0.0,
    ));
    // 16 Phi-2: parameters not listed.
    v.push(("Phi-2", phi2_yaml(), 0, 100.0 / 6.0, 0.0, 0.0));
    // 17 gemma-2-9b-it: Gemma Terms of Use; the CC-BY paper stands in for the report.
    let g = "Gemma Terms of Use";
    v.push((
        "gemma-2-9b-it",
        mot_yaml(
            "gemma-2-9b-it",
            &[],
            &[
                (ARCH, g),
                (PARAMS, g),
                (INFER, g),
                (LIBS, g),
                (SAMPLES, g),
                (RP, "CC-BY-4.0"),
            ],
        ),
        0,
        100.0 / 6.0,
        0.0,
        0.0,
    ));
    // 18 Galactica: code default Apache-2.0, parameters CC-BY-NC-4.0.
    v.push((
        "Galactica",
        mot_yaml(
            "Galactica",
            &[("code", "Apache-2.0")],
            &[(ARCH, "-"), (PARAMS, "CC-BY-NC-4.0")],
        ),
        0,
        100.0 / 6.0,
        0.0,
        0.0,
    ));
    // 19 Stable-Diffusion: "OpenRAIL" is not an SPDX id.
    v.push((
        "Stable-Diffusion",
        mot_yaml(
            "Stable-Diffusion",
            &[],
            &[(ARCH, "OpenRAIL"), (PARAMS, "OpenRAIL")],
        ),
        0,
        0.0,
        0.0,
        0.0,
    ));
    // 20 CrystalCoder (MOT listing): code and weights Apache-2.0, every document unlicensed.
    v.push((
        "CrystalCoder",
        crystalcoder_mot_yaml(),
        0,
        200.0 / 6.0,
        0.0,
        0.0,
    ));
    v
}

fn mixtral_yaml() -> String {
    mot_yaml(
        "Mixtral-8x7B-v0.1",
        &[],
        &[
            (ARCH, "Apache-2.0"),
            (PARAMS, "Apache-2.0"),
            (MC, "Apache-2.0"),
            (INFER, "Apache-2.0"),
            (LIBS, "Apache-2.0"),
            (ER, "CC-BY-4.0"),
            (RP, "CC-BY-4.0"),
            (TR, "unlicensed"),
        ],
    )
}

fn grok_yaml() -> String {
    mot_yaml(
        "Grok-1",
        &[],
        &[
            (ARCH, "Apache-2.0"),
            (PARAMS, "Apache-2.0"),
            (INFER, "Apache-2.0"),
            (MC, "unlicensed"),
            (RP, "unlicensed"),
        ],
    )
}

fn phi2_yaml() -> String {
    mot_yaml("Phi-2", &[], &[(ARCH, "MIT"), (RP, "unlicensed")])
}

fn crystalcoder_mot_yaml() -> String {
    mot_yaml(
        "CrystalCoder",
        &[],
        &[
            (ARCH, "Apache-2.0"),
            (PARAMS, "Apache-2.0"),
            (TRAIN, "Apache-2.0"),
            (INFER, "Apache-2.0"),
            (EVCODE, "Apache-2.0"),
            (PREP, "Apache-2.0"),
            (CKPT, "Apache-2.0"),
            (TR, "unlicensed"),
            (MC, "unlicensed"),
            (DC, "unlicensed"),
            (ER, "unlicensed"),
            (RP, "unlicensed"),
        ],
    )
}

fn from_yaml(y: &str) -> Vec<ComponentRecord> {
    mot::parse(y)
        .unwrap_or_else(|e| panic!("{e}\n{y}"))
        .components()
}

fn run(comps: &[ComponentRecord], strict: bool) -> OpennessSection {
    let wl = comps
        .iter()
        .find(|c| c.id == 10)
        .and_then(|c| c.license.clone())
        .unwrap_or_default();
    classify(comps, &wl, &TestFacts, strict)
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

#[test]
fn mot_entries_reproduce_the_mot_class_and_progress() {
    for (name, y, class, p3, p2, p1) in mot_cases() {
        let (r, _) = evaluate_mof(&from_yaml(&y), false);
        assert_eq!(r.class, class, "{name}: {r:?}");
        assert!(
            close(r.progress.class_iii, p3),
            "{name} C3: {r:?} want {p3}"
        );
        assert!(close(r.progress.class_ii, p2), "{name} C2: {r:?} want {p2}");
        assert!(close(r.progress.class_i, p1), "{name} C1: {r:?} want {p1}");
    }
}

#[test]
fn exported_entries_reimport_to_the_same_figures() {
    for (name, y, ..) in mot_cases() {
        let m = mot::parse(&y).unwrap();
        let cs = m.components();
        let back = mot::to_yaml(m.name(), m.version(), &cs);
        let cs2 = from_yaml(&back);
        assert_eq!(cs, cs2, "{name}\n{back}");
        assert_eq!(
            evaluate_mof(&cs, false).0,
            evaluate_mof(&cs2, false).0,
            "{name}"
        );
    }
}

fn reason<'a>(s: &'a OpennessSection, code: &str, component: &str) -> &'a crate::record::Reason {
    s.reasons
        .iter()
        .find(|r| r.code == code && r.component.as_deref() == Some(component))
        .unwrap_or_else(|| panic!("no {code} reason for {component}: {:#?}", s.reasons))
}

#[test]
fn mof_reasons_name_component_predicate_and_license() {
    let s = run(&from_yaml(&mixtral_yaml()), false);
    let r = reason(&s, "mof-component-missing", DC);
    assert!(
        r.message.contains("Data card: not included"),
        "{}",
        r.message
    );
    assert!(
        r.message.contains("Class III (Open Model)"),
        "{}",
        r.message
    );
    // The report is unlicensed but the CC-BY paper stands in: no reason for it in Class III.
    assert!(
        !s.reasons
            .iter()
            .any(|r| r.code.starts_with("mof-") && r.component.as_deref() == Some(TR)),
        "{:#?}",
        s.reasons
    );

    let y = mot_yaml(
        "Typo",
        &[("distribution", "Apache 2.0")],
        &[(ARCH, "-"), (PARAMS, "Llama 2 Community License")],
    );
    let s = run(&from_yaml(&y), false);
    let r = reason(&s, "mof-license-not-open", ARCH);
    assert!(
        r.message.contains("did you mean `Apache-2.0`"),
        "{}",
        r.message
    );
    assert!(
        r.evidence
            .as_deref()
            .unwrap()
            .contains("inherited from the release's distribution license"),
        "{r:?}"
    );
    let r = reason(&s, "mof-license-not-open", PARAMS);
    assert!(
        r.message
            .contains("`Llama 2 Community License` is not recognised"),
        "{}",
        r.message
    );
    let y = mot_yaml("NC", &[], &[(PARAMS, "CC-BY-NC-4.0")]);
    let r = run(&from_yaml(&y), false);
    assert!(
        reason(&r, "mof-license-not-open", PARAMS)
            .message
            .contains("neither OSI-approved")
    );
}

#[test]
fn grok_paper_standing_in_is_named() {
    let s = run(&from_yaml(&grok_yaml()), false);
    let r = reason(&s, "mof-component-unlicensed", TR);
    assert!(
        r.message
            .contains("Technical report (standing in: Research paper)"),
        "{}",
        r.message
    );
}

#[test]
fn strict_mode_refuses_inherited_data_licenses_and_type_mismatches() {
    let pythia = from_yaml(&mot_cases()[0].1);
    let s = run(&pythia, false);
    assert_eq!(s.mof.class, 1);
    // Apache-2.0 is not a data license in the MOF lists, and the Pile inherits the model's license.
    assert_eq!(s.mof_strict.class, 0);
    let r = reason(&s, "mof-strict-license-not-type-appropriate", PARAMS);
    assert!(
        r.message
            .contains("not one the MOF lists for data components"),
        "{}",
        r.message
    );
    let r = reason(&s, "mof-strict-component-unlicensed", DS);
    assert!(
        r.message
            .contains("does not let it inherit the distribution license `Apache-2.0`"),
        "{}",
        r.message
    );
    // Type-appropriate licenses throughout (weights under an open-data license): Class I in both modes.
    let fitting = mot_yaml(
        "fitting",
        &[
            ("code", "Apache-2.0"),
            ("data", "CDLA-Permissive-2.0"),
            ("document", "CC-BY-4.0"),
        ],
        &[
            ARCH, PARAMS, TR, ER, MC, DC, TRAIN, INFER, EVCODE, EVDATA, DS, PREP, CKPT, RP,
        ]
        .map(|c| (c, "-")),
    );
    let s = run(&from_yaml(&fitting), false);
    assert_eq!(
        (s.mof.class.0, s.mof_strict.class.0),
        (1, 1),
        "{:#?}",
        s.reasons
    );
    // ... but the explicit datasets license is still required in strict mode.
    let inherited = mot_yaml(
        "inherited",
        &[
            ("distribution", "CDLA-Permissive-2.0"),
            ("code", "Apache-2.0"),
            ("document", "CC-BY-4.0"),
        ],
        &[
            ARCH, PARAMS, TR, ER, MC, DC, TRAIN, INFER, EVCODE, EVDATA, DS, PREP, CKPT, RP,
        ]
        .map(|c| (c, "-")),
    );
    let s = run(&from_yaml(&inherited), false);
    // Evaluation data (Class II) and Datasets (Class I) inherit: strict stops at Class III.
    assert_eq!(
        (s.mof.class.0, s.mof_strict.class.0),
        (1, 3),
        "{:#?}",
        s.reasons
    );
}

#[test]
fn substitution_reduces_class_i_denominator_only_when_paper_counts() {
    // Report missing, paper open: 13/13. Report open, paper missing: 13/14.
    let no_tr = all_with("Apache-2.0", &[TR]);
    let (r, _) = evaluate_mof(&from_yaml(&mot_yaml("a", &[], &owned(&no_tr))), false);
    assert_eq!((r.class.0, r.progress.class_i), (1, 100.0));
    let no_rp = all_with("Apache-2.0", &[RP]);
    let (r, _) = evaluate_mof(&from_yaml(&mot_yaml("b", &[], &owned(&no_rp))), false);
    assert_eq!(r.class, 2);
    assert!(close(r.progress.class_i, 1300.0 / 14.0));
    // Report invalid, paper unlicensed: the paper stands in and fails too.
    let mut bad = all_with("Apache-2.0", &[TR, RP]);
    bad.push((TR, "Proprietary".into()));
    bad.push((RP, "unlicensed".into()));
    let (r, _) = evaluate_mof(&from_yaml(&mot_yaml("c", &[], &owned(&bad))), false);
    assert_eq!(r.class, 0);
    assert!(close(r.progress.class_iii, 500.0 / 6.0));
}

#[test]
fn unknown_status_counts_as_missing() {
    let mut cs = from_yaml(&mot_cases()[7].1); // Granite-4.0-Micro, Class III
    cs.iter_mut().find(|c| c.id == 14).unwrap().status = crate::record::ComponentStatus::Unknown;
    let s = run(&cs, false);
    assert_eq!(s.mof.class, 0);
    let r = reason(&s, "mof-component-missing", DC);
    assert!(
        r.message.contains("no evidence that it is supplied"),
        "{}",
        r.message
    );
}

// --- OSAID 1.0: the OSI's validation list ---

fn osaid_case(name: &str, defaults: &[(&str, &str)], comps: &[(&str, &str)]) -> OpennessSection {
    run(&from_yaml(&mot_yaml(name, defaults, comps)), false)
}

#[test]
fn osi_validated_models_pass() {
    let apache = [("distribution", "Apache-2.0")];
    let pythia = run(&from_yaml(&mot_cases()[0].1), false);
    let olmo = run(&from_yaml(&mot_cases()[1].1), false);
    let amber = run(&from_yaml(&mot_cases()[2].1), false);
    // CrystalCoder as LLM360 releases it: code, weights, checkpoints and the pretraining data.
    let crystal = osaid_case(
        "CrystalCoder",
        &apache,
        &[
            (ARCH, "-"),
            (PARAMS, "-"),
            (TRAIN, "-"),
            (INFER, "-"),
            (EVCODE, "-"),
            (PREP, "-"),
            (CKPT, "-"),
            (DS, "-"),
            (DC, "-"),
        ],
    );
    // T5: the t5 repository (Apache-2.0), C4 under ODC-By, the JMLR paper under CC-BY.
    let t5 = osaid_case(
        "T5",
        &[("code", "Apache-2.0")],
        &[
            (ARCH, "-"),
            (PARAMS, "Apache-2.0"),
            (TRAIN, "-"),
            (INFER, "-"),
            (PREP, "-"),
            (EVCODE, "-"),
            (DS, "ODC-By-1.0"),
            (RP, "CC-BY-4.0"),
        ],
    );
    for (name, s) in [
        ("Pythia", pythia),
        ("OLMo", olmo),
        ("Amber", amber),
        ("CrystalCoder", crystal),
        ("T5", t5),
    ] {
        let osaid: Vec<_> = s
            .reasons
            .iter()
            .filter(|r| r.code.starts_with("osaid-"))
            .collect();
        assert_eq!(s.class, "open-source", "{name}: {osaid:#?}");
        assert_eq!(s.weights_terms, "open", "{name}");
        assert!(osaid.is_empty(), "{name}: {osaid:#?}");
    }
}

#[test]
fn llama2_fails_on_terms_and_missing_components() {
    let l = "LicenseRef-Llama-2-Community-License";
    let s = osaid_case(
        "Llama-2-7b",
        &[("distribution", l)],
        &[
            (ARCH, "-"),
            (PARAMS, "-"),
            (INFER, "-"),
            (MC, "-"),
            (RP, "arXiv.org perpetual non-exclusive license 1.0"),
        ],
    );
    assert_eq!(
        (s.class.as_str(), s.weights_terms.as_str()),
        ("open-weight", "restricted")
    );
    let r = reason(&s, "osaid-license-not-open", PARAMS);
    assert!(
        r.message.contains(&format!("terms `{l}` restrict use")),
        "{}",
        r.message
    );
    assert!(
        reason(&s, "osaid-license-not-open", ARCH)
            .message
            .contains("is not OSI-approved")
    );
    reason(&s, "osaid-component-missing", TRAIN);
    reason(&s, "osaid-component-missing", PREP);
    let r = reason(&s, "osaid-data-information-missing", DS);
    assert!(
        r.message.contains("Datasets: not included"),
        "{}",
        r.message
    );
    assert!(r.message.contains("is not recognised"), "{}", r.message);
}

#[test]
fn grok_phi2_mixtral_fail_for_missing_code_and_data() {
    let grok = run(&from_yaml(&grok_yaml()), false);
    // Phi-2 as Microsoft released it on the Hub: MIT weights, architecture and inference code.
    let phi2 = osaid_case(
        "Phi-2",
        &[("distribution", "MIT")],
        &[(ARCH, "-"), (PARAMS, "-"), (INFER, "-"), (MC, "-")],
    );
    let mixtral = run(&from_yaml(&mixtral_yaml()), false);
    for (name, s) in [("Grok-1", grok), ("Phi-2", phi2), ("Mixtral", mixtral)] {
        assert_eq!(s.class, "open-weight", "{name}");
        assert_eq!(s.weights_terms, "open", "{name}");
        assert!(
            !s.reasons.iter().any(|r| r.code == "osaid-license-not-open"),
            "{name}: legal terms are fine: {:#?}",
            s.reasons
        );
        reason(&s, "osaid-component-missing", TRAIN);
        reason(&s, "osaid-data-information-missing", DS);
    }
}

#[test]
fn free_text_licenses_are_not_recognised_not_open() {
    let s = osaid_case(
        "Typo",
        &[("distribution", "Apache 2.0")],
        &[(ARCH, "-"), (PARAMS, "-")],
    );
    assert_eq!(
        (s.class.as_str(), s.weights_terms.as_str()),
        ("open-weight", "unknown")
    );
    let r = reason(&s, "osaid-license-not-recognised", PARAMS);
    assert!(
        r.message.contains("`Apache 2.0` is not recognised"),
        "{}",
        r.message
    );
}

// --- local folders: evidence only ---

fn file(path: &str, format: &str) -> crate::record::FileRecord {
    crate::record::FileRecord {
        path: path.into(),
        size: 1,
        sha256: None,
        git_oid: None,
        format: format.into(),
    }
}

#[test]
fn llama_licensed_folder_is_open_weight_restricted() {
    let files = [
        file("model.safetensors", "safetensors"),
        file("config.json", "config"),
        file("README.md", "readme"),
        file("LICENSE", "license"),
    ];
    let cs = components_from_evidence(
        &files,
        None,
        None,
        Some("LicenseRef-Llama-3.1-Community-License"),
    );
    let s = classify(
        &cs,
        "LicenseRef-Llama-3.1-Community-License",
        &TestFacts,
        false,
    );
    assert_eq!(
        (s.class.as_str(), s.weights_terms.as_str()),
        ("open-weight", "restricted")
    );
    assert_eq!(s.mof.class, 0);
}

#[test]
fn apache_weights_only_is_open_weight_open() {
    let files = [
        file("model.safetensors", "safetensors"),
        file("config.json", "config"),
    ];
    let cs = components_from_evidence(&files, None, None, Some("Apache-2.0"));
    let s = classify(&cs, "Apache-2.0", &TestFacts, false);
    assert_eq!(
        (s.class.as_str(), s.weights_terms.as_str()),
        ("open-weight", "open")
    );
    let r = reason(&s, "osaid-component-missing", TRAIN);
    assert!(
        r.message.contains("no evidence that it is supplied"),
        "{}",
        r.message
    );
    assert_eq!(s.components.len(), 17);
}

#[test]
fn no_weights_is_closed() {
    let files = [file("README.md", "readme"), file("inference.py", "other")];
    let cs = components_from_evidence(&files, None, None, Some("MIT"));
    let s = classify(&cs, "MIT", &TestFacts, false);
    assert_eq!(
        (s.class.as_str(), s.weights_terms.as_str()),
        ("closed", "unknown")
    );
    let r = reason(&s, "osaid-component-missing", PARAMS);
    assert!(
        r.message.contains("the weights are not available"),
        "{}",
        r.message
    );
}

#[test]
fn sidecar_completes_a_folder_to_open_source() {
    let sc = parse_sidecar(
        "components:\n  - name: Training code\n    evidence: https://github.com/x/train\n  - name: Data preprocessing code\n    evidence: https://github.com/x/data\n  - name: Inference code\n    evidence: https://github.com/x/infer\n  - name: Datasets\n    license: ODC-By-1.0\n    evidence: https://huggingface.co/datasets/allenai/c4\n",
    )
    .unwrap();
    let files = [
        file("model.safetensors", "safetensors"),
        file("config.json", "config"),
        file("README.md", "readme"),
    ];
    let cs = components_from_evidence(&files, None, Some(&sc), Some("Apache-2.0"));
    let s = classify(&cs, "Apache-2.0", &TestFacts, false);
    assert_eq!(s.class, "open-source", "{:#?}", s.reasons);
    // Strict: the datasets have an explicit license, so the verdict stands.
    assert_eq!(
        classify(&cs, "Apache-2.0", &TestFacts, true).class,
        "open-source"
    );
}

#[test]
fn strict_osaid_ignores_inherited_dataset_licenses() {
    // Pythia without its data card: only the Pile (inheriting Apache-2.0) carries data information.
    let y = mot_cases()[0]
        .1
        .replace("    - name: 'Data card'\n      description: ''\n", "");
    let pythia = from_yaml(&y);
    assert_eq!(run(&pythia, false).class, "open-source");
    let s = run(&pythia, true);
    assert_eq!(s.class, "open-weight");
    let r = reason(&s, "osaid-data-information-missing", DS);
    assert!(
        r.message.contains("does not let it inherit"),
        "{}",
        r.message
    );
}

// --- single rules ---

#[test]
fn optional_components_never_count() {
    let base = [(ARCH, "-"), (PARAMS, "-"), (TR, "-"), (ER, "-"), (MC, "-")];
    let (r, _) = evaluate_mof(
        &from_yaml(&mot_yaml("a", &[("distribution", "MIT")], &base)),
        false,
    );
    let mut more = base.to_vec();
    more.extend([(SAMPLES, "-"), (LIBS, "-"), (META, "-")]);
    let (r2, _) = evaluate_mof(
        &from_yaml(&mot_yaml("b", &[("distribution", "MIT")], &more)),
        false,
    );
    assert_eq!(r, r2);
    assert!(close(r.progress.class_iii, 500.0 / 6.0));
}

#[test]
fn lower_class_progress_waits_for_the_higher_class() {
    // Everything of Class II and I present, one Class III document missing: C2 and C1 stay 0.
    let comps = all_with("Apache-2.0", &[ER]);
    let (r, reasons) = evaluate_mof(&from_yaml(&mot_yaml("a", &[], &owned(&comps))), false);
    assert_eq!(
        (r.class.0, r.progress.class_ii, r.progress.class_i),
        (0, 0.0, 0.0)
    );
    assert_eq!(reasons.len(), 1, "{reasons:#?}");
    assert_eq!(reasons[0].component.as_deref(), Some(ER));
}

#[test]
fn osaid_checks_optional_code_only_when_supplied() {
    let mut comps: Vec<(&str, &str)> = [ARCH, PARAMS, TRAIN, INFER, PREP, DS]
        .iter()
        .map(|c| (*c, "-"))
        .collect();
    let s = osaid_case("a", &[("distribution", "Apache-2.0")], &comps);
    assert_eq!(s.class, "open-source", "{:#?}", s.reasons);
    comps.push((EVCODE, "LicenseRef-Acme-Eval"));
    let s = osaid_case("b", &[("distribution", "Apache-2.0")], &comps);
    assert_eq!(s.class, "open-weight");
    let r = reason(&s, "osaid-license-not-recognised", EVCODE);
    assert!(
        r.message
            .contains("`LicenseRef-Acme-Eval` is not recognised"),
        "{}",
        r.message
    );
    comps.pop();
    comps.push((LIBS, "CC-BY-NC-4.0"));
    let s = osaid_case("c", &[("distribution", "Apache-2.0")], &comps);
    assert!(
        reason(&s, "osaid-license-not-open", LIBS)
            .message
            .contains("is not OSI-approved")
    );
}

#[test]
fn data_information_by_data_card_and_paper() {
    let code: Vec<(&str, &str)> = [ARCH, PARAMS, TRAIN, INFER, PREP]
        .iter()
        .map(|c| (*c, "-"))
        .collect();
    let mut with_docs = code.clone();
    with_docs.extend([(DC, "CC-BY-4.0"), (RP, "CC-BY-4.0")]);
    assert_eq!(
        osaid_case("a", &[("distribution", "MIT")], &with_docs).class,
        "open-source"
    );
    // A data card alone does not describe the data well enough.
    let mut card_only = code.clone();
    card_only.push((DC, "CC-BY-4.0"));
    let s = osaid_case("b", &[("distribution", "MIT")], &card_only);
    assert_eq!(s.class, "open-weight");
    reason(&s, "osaid-data-information-missing", DS);
    // Datasets under non-commercial terms do not count.
    let mut nc = code.clone();
    nc.push((DS, "CC-BY-NC-4.0"));
    let s = osaid_case("c", &[("distribution", "MIT")], &nc);
    let r = reason(&s, "osaid-data-information-missing", DS);
    assert!(
        r.message
            .contains("license `CC-BY-NC-4.0` is not OSI-approved or open terms"),
        "{}",
        r.message
    );
}

#[test]
fn weights_license_argument_wins_over_the_component_unless_unknown() {
    let cs = from_yaml(&mot_yaml(
        "a",
        &[("distribution", "Apache-2.0")],
        &[(ARCH, "-"), (PARAMS, "-")],
    ));
    let s = classify(
        &cs,
        "LicenseRef-Llama-3.1-Community-License",
        &TestFacts,
        false,
    );
    assert_eq!(s.weights_terms, "restricted");
    let s = classify(&cs, "NOASSERTION", &TestFacts, false);
    assert_eq!(
        s.weights_terms, "open",
        "falls back to the component's license"
    );
    let s = classify(&cs, "", &TestFacts, false);
    assert_eq!(s.weights_terms, "open");
}

#[test]
fn weights_without_any_license_are_unknown_terms() {
    let cs = from_yaml(&mot_yaml("a", &[], &[(ARCH, "MIT"), (PARAMS, "-")]));
    let s = classify(&cs, "", &TestFacts, false);
    assert_eq!(
        (s.class.as_str(), s.weights_terms.as_str()),
        ("open-weight", "unknown")
    );
    let r = reason(&s, "osaid-license-missing", PARAMS);
    assert!(
        r.message.contains("the weights have no license"),
        "{}",
        r.message
    );
    reason(&s, "mof-component-unlicensed", PARAMS);
}

// --- a MOT entry through the catalogue, as `add model.yml` will record it ---

#[test]
fn mot_entry_recorded_in_the_catalogue_keeps_its_figures() {
    let dir = tempfile::tempdir().unwrap();
    let yaml = mixtral_yaml();
    let path = dir.path().join("Mixtral-8x7B-v0.1.yml");
    std::fs::write(&path, &yaml).unwrap();
    let ing = crate::ingest::ingest_mof(&path, &yaml, None).unwrap();
    let url = format!("sqlite://{}", dir.path().join("c.db").display());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (record, stored) = rt.block_on(async {
        let cat = crate::catalogue::Catalogue::open(&url).await.unwrap();
        let ins = cat.insert(&ing).await.unwrap();
        let rev = cat.resolve("Mixtral-8x7B-v0.1").await.unwrap();
        assert_eq!(rev.id(), ins.rev.id());
        (
            crate::vet::record_of(&cat, &rev).await.unwrap(),
            cat.components(&rev).await.unwrap(),
        )
    });
    assert_eq!(record.source.kind, "mof");
    let mut recorded = ing.components.clone();
    recorded.sort_by_key(|c| c.id);
    assert_eq!(stored, recorded, "the catalogue returns them by id");
    let s = section_for_record(&record, stored.clone(), None, &KbFacts, false);
    assert_eq!(s.mof.class, 0);
    assert!(close(s.mof.progress.class_iii, 500.0 / 6.0));
    assert_eq!(
        (s.class.as_str(), s.weights_terms.as_str()),
        ("open-weight", "open")
    );
    // Export writes an entry that imports to the same components.
    let back = mot::to_yaml(&record.name, None, &stored);
    let mut again = from_yaml(&back);
    again.sort_by_key(|c| c.id);
    assert_eq!(again, stored, "{back}");
}
