//! `modelvet license`: normalise expressions, Hub ids and names, identify LICENSE files, and print
//! the terms from the knowledge base.

use super::{Ctx, Format, Outcome};
use crate::finding::Finding;
use crate::license::detect::{self, Detected};
use crate::license::kb::{Commercial, Derivatives, LicenseTerms, OutputTraining, Verification};
use crate::license::{self, How, NOASSERTION, Obligation};
use clap::Args;
use serde::Serialize;
use std::fmt::Write as _;
use std::path::Path;

/// Arguments of `license`.
#[derive(Debug, Args)]
pub struct LicenseArgs {
    /// SPDX expressions, Hub tags, free-text names or LICENSE files.
    #[arg(required = true)]
    pub args: Vec<String>,
}

/// What one argument came to.
#[derive(Debug, Serialize)]
struct Report {
    input: String,
    /// `expression` (an expression, Hub id, name or URL) or `file`.
    input_kind: &'static str,
    expression: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    how: Option<How>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    detected: Vec<Detected>,
    notes: Vec<String>,
    findings: Vec<Finding>,
    osi_approved: Option<bool>,
    open_terms: Option<bool>,
    licenses: Vec<LicenseTerms>,
    /// License ids in the expression that the knowledge base does not describe.
    unknown_terms: Vec<String>,
    obligations: Vec<Obligation>,
}

/// Runs `license`.
pub fn run(ctx: &Ctx, args: LicenseArgs) -> anyhow::Result<Outcome> {
    let format = ctx.require_format(&[Format::Human, Format::Json])?;
    let reports = args
        .args
        .iter()
        .map(|a| examine(a))
        .collect::<anyhow::Result<Vec<_>>>()?;
    match format {
        Format::Json => super::print_json(&reports)?,
        _ => {
            let text: Vec<String> = reports.iter().map(human).collect();
            super::print(&text.join("\n"))?;
        }
    }
    Ok(Outcome::Ok)
}

fn looks_like_path(arg: &str) -> bool {
    if arg.contains("://") || arg.contains(char::is_whitespace) {
        return false;
    }
    let name = arg
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or(arg)
        .to_ascii_lowercase();
    arg.contains('/')
        || arg.contains('\\')
        || name.starts_with("license")
        || name.starts_with("copying")
        || name.ends_with(".md")
        || name.ends_with(".txt")
}

fn examine(arg: &str) -> anyhow::Result<Report> {
    let path = Path::new(arg);
    if path.exists() {
        if path.is_dir() {
            anyhow::bail!("`{arg}` is a directory; give the LICENSE file inside it");
        }
        let text = detect::read_text(path)?;
        let detected = license::identify_text(&text);
        let expression = detect::expression_of(&detected);
        let findings = detect::text_findings(arg, &detected);
        let mut notes = Vec::new();
        if detected.is_empty() {
            notes.push(format!(
                "`{arg}` matches no SPDX license text and no known model license title"
            ));
        }
        return Ok(finish(
            arg, "file", expression, None, detected, notes, findings,
        ));
    }
    let n = license::normalize(arg);
    if let Some(e) = n.error() {
        return Err(e.into());
    }
    if n.how == How::Unknown && looks_like_path(arg) {
        anyhow::bail!("`{arg}`: no such file, and not a license id or name");
    }
    Ok(finish(
        arg,
        "expression",
        n.expression,
        Some(n.how),
        vec![],
        n.notes,
        n.findings,
    ))
}

fn finish(
    input: &str,
    input_kind: &'static str,
    expression: String,
    how: Option<How>,
    detected: Vec<Detected>,
    mut notes: Vec<String>,
    findings: Vec<Finding>,
) -> Report {
    let ids = license::ids_in(&expression);
    let licenses: Vec<LicenseTerms> = ids
        .iter()
        .filter_map(|i| license::kb().get(i).cloned())
        .collect();
    let unknown_terms: Vec<String> = ids
        .iter()
        .filter(|i| license::kb().get(i).is_none())
        .cloned()
        .collect();
    for u in &unknown_terms {
        let note = format!(
            "`{u}` is valid SPDX but not in the knowledge base: its terms are not described"
        );
        if !notes.contains(&note) {
            notes.push(note);
        }
    }
    if expression == NOASSERTION && notes.is_empty() {
        notes.push("nothing identifies a license: NOASSERTION".into());
    }
    Report {
        input: input.to_string(),
        input_kind,
        osi_approved: license::osi_approved(&expression),
        open_terms: license::open_terms(&expression),
        obligations: license::obligations(&expression),
        expression,
        how,
        detected,
        notes,
        findings,
        licenses,
        unknown_terms,
    }
}

fn yes_no(v: Option<bool>) -> &'static str {
    match v {
        Some(true) => "yes",
        Some(false) => "no",
        None => "unknown",
    }
}

fn how_name(h: How) -> &'static str {
    match h {
        How::Spdx => "SPDX expression",
        How::HubTag => "Hugging Face license id",
        How::Name => "license name",
        How::Url => "license URL",
        How::ImpreciseName => "loose license name",
        How::Placeholder => "placeholder",
        How::Unknown => "unknown",
        How::Invalid => "invalid",
    }
}

fn human(r: &Report) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "{}", r.expression);
    let from = match r.how {
        Some(h) => how_name(h).to_string(),
        None => "license file".to_string(),
    };
    let _ = writeln!(s, "  input: {} ({from})", r.input);
    for d in &r.detected {
        let _ = writeln!(
            s,
            "  identified: {} (confidence {:.2}, line {}, {}: {})",
            d.id,
            d.confidence,
            d.line,
            match d.method {
                detect::DetectionMethod::DistinguishingLines => "distinguishing lines",
                detect::DetectionMethod::TitleOnly => "title only",
                detect::DetectionMethod::SpdxText => "SPDX text",
                detect::DetectionMethod::Notice => "license notice",
            },
            d.evidence.join(" / ")
        );
    }
    if r.expression != NOASSERTION {
        let _ = writeln!(
            s,
            "  OSI-approved: {}   open terms (OSD): {}",
            yes_no(r.osi_approved),
            yes_no(r.open_terms)
        );
    }
    for n in r
        .notes
        .iter()
        .filter(|n| !r.findings.iter().any(|f| &f.message == *n))
    {
        let _ = writeln!(s, "  note: {n}");
    }
    for f in &r.findings {
        let _ = writeln!(s, "  {} [{}]: {}", f.code, f.severity, f.message);
    }
    for t in &r.licenses {
        s.push('\n');
        s.push_str(&terms_summary(t));
    }
    if !r.obligations.is_empty() {
        let _ = writeln!(s, "\n  obligations:");
        for o in &r.obligations {
            let _ = writeln!(s, "    - [{}] {}", o.license, o.text);
        }
    }
    s
}

fn terms_summary(t: &LicenseTerms) -> String {
    let mut s = String::new();
    let mark = match t.verification {
        Verification::Verified => "verified against the text",
        Verification::SecondHand => "second-hand, not yet verified",
        Verification::Unchecked => "unchecked",
    };
    let _ = writeln!(s, "  {} — {}", t.id, t.name);
    let _ = writeln!(s, "    url: {}", t.url);
    let mut facts = vec![format!("family {}", t.family)];
    if let Some(d) = &t.date {
        facts.push(format!("dated {d}"));
    }
    facts.push(mark.to_string());
    let _ = writeln!(s, "    {}", facts.join(" · "));
    let commercial = match t.commercial {
        Commercial::Yes => "yes",
        Commercial::No => "no",
        Commercial::Conditional => "conditional",
        Commercial::Unknown => "unknown",
    };
    let _ = write!(s, "    commercial use: {commercial}");
    match &t.commercial_note {
        Some(n) => {
            let _ = writeln!(s, " ({n})");
        }
        None => s.push('\n'),
    }
    for th in &t.thresholds {
        let _ = writeln!(
            s,
            "    threshold: {}",
            license::resolve::describe_threshold(th)
        );
    }
    match t.derivatives {
        Derivatives::Allowed => {}
        Derivatives::NotAllowed => {
            let _ = writeln!(s, "    derivatives: may not be shared");
        }
        Derivatives::SameLicense => {
            let _ = writeln!(s, "    derivatives: under the same license");
        }
    }
    if let Some(p) = &t.use_policy {
        let mut line = format!(
            "    use policy: {}",
            if p.incorporated {
                "incorporated"
            } else {
                "legal compliance only"
            }
        );
        if !p.categories.is_empty() {
            line.push_str(&format!(" ({})", p.categories.join(", ")));
        }
        let _ = writeln!(s, "{line}");
    }
    let out = match t.outputs.training_restriction {
        OutputTraining::None => None,
        OutputTraining::NoImproveOtherLlm => Some("may not improve other LLMs"),
        OutputTraining::NoTrainOtherModels => Some("may not train other foundation models"),
        OutputTraining::DisplayIfUsed => Some("allowed; naming/display duty follows"),
        OutputTraining::Unknown => Some("unknown"),
    };
    if let Some(o) = out {
        let _ = writeln!(s, "    outputs for training: {o}");
    }
    if !t.territory.excluded.is_empty() {
        let _ = writeln!(
            s,
            "    territory excluded: {}{}",
            t.territory.excluded.join(", "),
            t.territory
                .scope
                .as_ref()
                .map(|sc| format!(" ({sc})"))
                .unwrap_or_default()
        );
    }
    let c = &t.licensor_controls;
    let controls: Vec<&str> = [
        (c.remote_restriction, "may restrict use remotely"),
        (c.must_use_latest, "must use the latest version"),
        (
            c.guardrail_bypass_terminates,
            "bypassing guardrails terminates",
        ),
        (
            c.hosting_requires_separate_license,
            "hosting needs a separate license",
        ),
    ]
    .into_iter()
    .filter_map(|(on, what)| on.then_some(what))
    .collect();
    if !controls.is_empty() {
        let _ = writeln!(s, "    licensor controls: {}", controls.join("; "));
    }
    let _ = writeln!(
        s,
        "    OSI-approved: {}   OSD-conformant: {}",
        if t.osi_approved { "yes" } else { "no" },
        if t.osd_conformant { "yes" } else { "no" }
    );
    for r in &t.osd_reasons {
        let _ = writeln!(s, "      - {r}");
    }
    s
}
