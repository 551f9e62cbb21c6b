//! Compliance reports rendered from the model record (Markdown, HTML, JSON, CycloneDX, SPDX 3).
//!
//! One document, [`ReportDocument`] (the record plus the latest verify and audit runs and the EU AI
//! Act gap list), is built from the catalogue; every format is rendered from it, so all formats say
//! the same thing. Rendering is deterministic: the time is a parameter and the serial number is
//! derived from the content.

mod cyclonedx;
pub mod eu_ai_act;
pub mod intoto;
mod spdx;
pub mod summary;

use crate::catalogue::Run;
use crate::policy::Verdict;
use crate::record::ModelRecord;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

pub use eu_ai_act::EuAiAct;

/// Version of the report document (the record's own `schema` number is kept; this versions `report`).
pub const REPORT_SCHEMA: u32 = 1;

/// Errors while building or rendering a report.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("cannot render the `{template}` template")]
    Template {
        template: &'static str,
        #[source]
        source: minijinja::Error,
    },
    #[error("cannot serialise the report as JSON")]
    Json(#[from] serde_json::Error),
    #[error(
        "`{0}` has never been audited; run `modelvet audit` first (an in-toto statement states a verdict)"
    )]
    NotAudited(String),
    #[error("`--all` writes markdown, html or json, not `{0}`")]
    InventoryFormat(&'static str),
}

/// The formats a report can be written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportFormat {
    Markdown,
    Html,
    Json,
    Cyclonedx,
    Spdx,
    /// The audit verdict as an in-toto Statement (SLSA VSA v1).
    Intoto,
}

impl ReportFormat {
    /// The spelling used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            ReportFormat::Markdown => "markdown",
            ReportFormat::Html => "html",
            ReportFormat::Json => "json",
            ReportFormat::Cyclonedx => "cyclonedx",
            ReportFormat::Spdx => "spdx",
            ReportFormat::Intoto => "intoto",
        }
    }
}

/// The report document: the record's keys at the top level, plus what reports need.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReportDocument {
    #[serde(flatten)]
    pub record: ModelRecord,
    pub report: ReportMeta,
    /// The newest `verify` run, if the bytes were ever verified.
    pub verify: Option<VerifyRun>,
    /// The newest `audit` run, if the model was ever audited.
    pub audit: Option<AuditRun>,
    pub eu_ai_act: EuAiAct,
    /// What a reviewer reads first.
    pub summary: summary::Summary,
    /// The openness reasons, grouped by component.
    pub reason_groups: Vec<summary::ReasonGroup>,
}

/// Who wrote the report, when, and its serial number.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ReportMeta {
    pub schema: u32,
    /// UTC, `YYYY-MM-DDTHH:MM:SSZ`.
    pub generated_at: String,
    pub modelvet_version: String,
    /// `urn:uuid:…`, derived from the content and the time (same inputs, same serial).
    pub serial: String,
}

/// The newest verification of the bytes, with each file's status.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct VerifyRun {
    /// `passed` or `failed`.
    pub status: String,
    pub at: String,
    /// Where the bytes were read.
    pub root: Option<String>,
    /// Path → `ok`, `mismatch`, `missing`, `extra`, `unreadable` or `lfs_pointer`.
    pub files: BTreeMap<String, String>,
}

/// The newest audit and its verdict.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AuditRun {
    /// `passed` or `failed`.
    pub status: String,
    pub at: String,
    pub verdict: Option<Verdict>,
}

/// Formats a time as SPDX and CycloneDX both accept it: UTC with seconds, `Z`.
pub fn timestamp(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Builds the report document from a record and its newest verify and audit runs.
pub fn build_document(
    record: ModelRecord,
    verify: Option<&Run>,
    audit: Option<&Run>,
    generated_at: &str,
) -> ReportDocument {
    let verify = verify.map(verify_run);
    let audit = audit.map(|r| AuditRun {
        status: r.status.clone(),
        at: r.started_at.clone(),
        verdict: serde_json::from_value(r.result.clone()).ok(),
    });
    let eu_ai_act = eu_ai_act::assess(&record);
    let serial = serial_for(&[
        &record.id.to_string(),
        generated_at,
        &serde_json::to_string(&record.files).unwrap_or_default(),
        &record.license.effective,
    ]);
    let summary = summary::summary(&record, audit.as_ref().and_then(|a| a.verdict.as_ref()));
    let reason_groups = summary::reason_groups(&record);
    ReportDocument {
        summary,
        reason_groups,
        record,
        report: ReportMeta {
            schema: REPORT_SCHEMA,
            generated_at: generated_at.to_string(),
            modelvet_version: env!("CARGO_PKG_VERSION").to_string(),
            serial,
        },
        verify,
        audit,
        eu_ai_act,
    }
}

fn verify_run(r: &Run) -> VerifyRun {
    let mut files = BTreeMap::new();
    if let Some(list) = r.result.get("files").and_then(|f| f.as_array()) {
        for f in list {
            if let (Some(p), Some(s)) = (
                f.get("path").and_then(|v| v.as_str()),
                f.get("status").and_then(|v| v.as_str()),
            ) {
                files.insert(p.to_string(), s.to_string());
            }
        }
    }
    VerifyRun {
        status: r.status.clone(),
        at: r.started_at.clone(),
        root: r
            .result
            .get("root")
            .and_then(|v| v.as_str())
            .map(str::to_string),
        files,
    }
}

/// A UUID (version 5 layout, SHA-256 based) derived from `parts`: same inputs, same serial.
pub fn serial_for(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_le_bytes());
        h.update(p.as_bytes());
    }
    let d = h.finalize();
    let mut b = [0u8; 16];
    b.copy_from_slice(&d[..16]);
    b[6] = (b[6] & 0x0f) | 0x50;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "urn:uuid:{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// Renders a report document in `format`.
pub fn render(doc: &ReportDocument, format: ReportFormat) -> Result<String, ReportError> {
    match format {
        ReportFormat::Json => json_text(doc),
        ReportFormat::Markdown => render_template("report.md", doc),
        ReportFormat::Html => render_template("report.html", doc),
        ReportFormat::Cyclonedx => json_text(&cyclonedx::bom(doc)),
        ReportFormat::Spdx => json_text(&spdx::document(doc)),
        ReportFormat::Intoto => json_text(&intoto::statement(doc)?),
    }
}

/// The HTML report's sections without the page around them, for a page that frames them (the
/// registry server's model page).
pub fn html_sections(doc: &ReportDocument) -> Result<String, ReportError> {
    render_template("report_body.html", doc)
}

fn json_text<T: Serialize>(v: &T) -> Result<String, ReportError> {
    let mut s = serde_json::to_string_pretty(v)?;
    s.push('\n');
    Ok(s)
}

/// One model in the catalogue inventory (`report --all`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct InventoryEntry {
    pub id: crate::ids::ModelId,
    pub name: crate::ids::ModelName,
    pub revision: crate::ids::Revision,
    pub source: String,
    pub files: usize,
    pub size: u64,
    pub license: crate::ids::LicenseExpr,
    /// `open-source`, `open-weight`, `closed`, or `None` when not classified.
    pub openness: Option<String>,
    pub mof_class: Option<u8>,
    /// Findings recorded with the model, by severity.
    pub findings: BTreeMap<String, usize>,
    pub smoke: Option<String>,
    pub verify: Option<String>,
    pub audit: Option<AuditRun>,
}

/// The inventory of the whole catalogue.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Inventory {
    pub schema: u32,
    pub report: ReportMeta,
    pub models: Vec<InventoryEntry>,
}

/// One inventory line from a record and its newest verify and audit runs.
pub fn inventory_entry(
    record: &ModelRecord,
    verify: Option<&Run>,
    audit: Option<&Run>,
) -> InventoryEntry {
    let mut findings = BTreeMap::new();
    for f in &record.findings {
        *findings.entry(f.severity.to_string()).or_insert(0) += 1;
    }
    InventoryEntry {
        id: record.id.clone(),
        name: record.name.clone(),
        revision: record.revision.clone(),
        source: source_text(record),
        files: record.files.len(),
        size: record.files.iter().map(|f| f.size).sum(),
        license: record.license.effective.clone(),
        openness: record.openness.as_ref().map(|o| o.class.to_string()),
        mof_class: record.openness.as_ref().map(|o| o.mof.class.0),
        findings,
        smoke: record.smoke.as_ref().map(|s| s.status.to_string()),
        verify: verify.map(|r| r.status.clone()),
        audit: audit.map(|r| AuditRun {
            status: r.status.clone(),
            at: r.started_at.clone(),
            verdict: serde_json::from_value(r.result.clone()).ok(),
        }),
    }
}

/// The inventory document for `entries`.
pub fn inventory(entries: Vec<InventoryEntry>, generated_at: &str) -> Inventory {
    let ids: Vec<String> = entries.iter().map(|e| e.id.to_string()).collect();
    let mut parts = vec![generated_at];
    parts.extend(ids.iter().map(String::as_str));
    Inventory {
        schema: REPORT_SCHEMA,
        report: ReportMeta {
            schema: REPORT_SCHEMA,
            generated_at: generated_at.to_string(),
            modelvet_version: env!("CARGO_PKG_VERSION").to_string(),
            serial: serial_for(&parts),
        },
        models: entries,
    }
}

/// Renders the inventory as markdown, html or json.
pub fn render_inventory(inv: &Inventory, format: ReportFormat) -> Result<String, ReportError> {
    match format {
        ReportFormat::Json => json_text(inv),
        ReportFormat::Markdown => render_template("inventory.md", inv),
        ReportFormat::Html => render_template("inventory.html", inv),
        other => Err(ReportError::InventoryFormat(other.name())),
    }
}

/// `local PATH`, `hf:owner/name@commit`, or `mof PATH`, as people read it.
fn source_text(r: &ModelRecord) -> String {
    let s = &r.source;
    let rev = s
        .revision
        .as_deref()
        .map(|v| format!("@{v}"))
        .unwrap_or_default();
    match s.kind.as_str() {
        "local" => s.location.clone(),
        "hub" if s.location.starts_with("hf:") => format!("{}{rev}", s.location),
        kind => format!("{kind}:{}{rev}", s.location),
    }
}

/// The Hub repository (`owner/name`) a record came from, if it came from the Hub.
pub(crate) fn hub_repo(r: &ModelRecord) -> Option<String> {
    if r.source.kind != crate::record::SourceKind::Hub {
        return None;
    }
    let loc = r.source.location.trim_start_matches("hf:");
    let repo = loc.split('@').next().unwrap_or(loc);
    repo.contains('/').then(|| repo.to_string())
}

const TEMPLATES: &[(&str, &str)] = &[
    ("report.md", include_str!("../templates/report.md.j2")),
    ("report.html", include_str!("../templates/report.html.j2")),
    ("inventory.md", include_str!("../templates/inventory.md.j2")),
    (
        "inventory.html",
        include_str!("../templates/inventory.html.j2"),
    ),
    ("style.css", include_str!("../templates/report.css")),
    (
        "report_body.html",
        include_str!("../templates/report_body.html.j2"),
    ),
];

fn environment() -> minijinja::Environment<'static> {
    let mut env = minijinja::Environment::new();
    // Names carry no `.j2`: decide escaping here rather than rely on suffix rules.
    env.set_auto_escape_callback(|name| {
        if name.ends_with(".html") {
            minijinja::AutoEscape::Html
        } else {
            minijinja::AutoEscape::None
        }
    });
    env.set_syntax(
        minijinja::syntax::SyntaxConfig::builder()
            .trim_blocks(true)
            .lstrip_blocks(true)
            .build()
            .expect("the default delimiters are valid"),
    );
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Chainable);
    for (name, text) in TEMPLATES {
        env.add_template(name, text)
            .expect("embedded templates parse (checked by a unit test)");
    }
    env.add_filter("md", md_cell);
    env.add_filter("bytes", crate::units::human_bytes);
    env.add_filter("mof", mof_name);
    env.add_filter("short", |s: String| -> String {
        if s.len() > 16 && s.is_ascii() {
            format!("{}…", &s[..12])
        } else {
            s
        }
    });
    env
}

fn render_template<T: Serialize>(name: &'static str, ctx: &T) -> Result<String, ReportError> {
    let env = environment();
    let tmpl = env
        .get_template(name)
        .map_err(|source| ReportError::Template {
            template: name,
            source,
        })?;
    let mut out = tmpl
        .render(minijinja::context! {
            doc => minijinja::Value::from(minijinja::value::Serde(ctx)),
            css => include_str!("../templates/report.css"),
        })
        .map_err(|source| ReportError::Template {
            template: name,
            source,
        })?;
    if !out.ends_with('\n') {
        out.push('\n');
    }
    Ok(out)
}

/// Makes text safe inside a Markdown table cell: one line, pipes escaped.
fn md_cell(v: minijinja::Value) -> String {
    let s = if v.is_none() || v.is_undefined() {
        String::new()
    } else {
        v.to_string()
    };
    s.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace(['\r', '\n'], " ")
}

fn mof_name(class: u8) -> &'static str {
    crate::record::MofClass(class).label()
}

#[cfg(test)]
mod tests;
