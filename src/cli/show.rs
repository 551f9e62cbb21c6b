//! `modelvet show`: everything recorded about a model revision.

use super::{Ctx, Format, Outcome};
use crate::record::ModelRecord;
use clap::Args;
use std::fmt::Write;

/// Arguments of `show`.
#[derive(Debug, Args)]
pub struct ShowArgs {
    /// NAME (newest revision), NAME@REV (a unique prefix of REV), or a unique prefix of a NAME.
    pub model: String,
}

/// Runs `show`.
pub fn run(ctx: &Ctx, args: ShowArgs) -> anyhow::Result<Outcome> {
    let format = ctx.require_format(&[Format::Human, Format::Json])?;
    let catalogue = ctx.catalogue()?;
    let record = ctx.block_on(crate::vet::record(&catalogue, &args.model))?;
    match format {
        Format::Json => super::print_json(&record)?,
        _ => super::print(&render(&record))?,
    }
    Ok(Outcome::Ok)
}

/// The human-readable form of a record.
pub fn render(r: &ModelRecord) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "{}", r.id);
    let src_rev = r
        .source
        .revision
        .as_deref()
        .map(|v| format!(" at {v}"))
        .unwrap_or_default();
    let _ = writeln!(
        s,
        "  source:     {} {}{src_rev}",
        r.source.kind, r.source.location
    );
    if let Some(sig) = &r.signature {
        let signer = sig
            .signer
            .as_ref()
            .map(|s| s.describe())
            .unwrap_or_else(|| "no signer named".into());
        let _ = writeln!(
            s,
            "  signature:  {} by {signer} ({} of {} signed files match)",
            sig.path, sig.files_covered, sig.files_signed
        );
    }
    let revs: Vec<&str> = r.revisions.iter().map(|v| v.revision.as_str()).collect();
    let _ = writeln!(s, "  revisions:  {}", revs.join(", "));
    let total: u64 = r.files.iter().map(|f| f.size).sum();
    let _ = writeln!(
        s,
        "  files:      {} ({})",
        r.files.len(),
        crate::units::human_bytes(total)
    );
    for f in &r.files {
        let digest = f.sha256.as_deref().or(f.git_oid.as_deref()).unwrap_or("-");
        let _ = writeln!(
            s,
            "    {:<12} {:>12}  {}  {}",
            f.format, f.size, digest, f.path
        );
    }
    if !r.base_models.is_empty() {
        let bases: Vec<String> = r
            .base_models
            .iter()
            .map(|b| format!("{} ({})", b.name, b.relation))
            .collect();
        let _ = writeln!(s, "  base:       {}", bases.join(", "));
    }
    let _ = writeln!(s, "  license:    {}", r.license.effective);
    for d in &r.license.declared {
        let _ = writeln!(s, "    declared  {} (from {})", d.value, d.from);
    }
    for d in &r.license.detected {
        let _ = writeln!(
            s,
            "    detected  {} (from {}, confidence {:.2})",
            d.id, d.from, d.confidence
        );
    }
    for b in &r.license.base_chain {
        let _ = writeln!(
            s,
            "    inherits  {} from {} ({})",
            b.effective, b.name, b.relation
        );
    }
    if let Some(o) = &r.openness {
        let _ = writeln!(
            s,
            "  openness:   {} (weights terms {}), MOF {}",
            o.class,
            o.weights_terms,
            o.mof.class.label()
        );
        for reason in &o.reasons {
            let _ = writeln!(s, "    - {}", reason.message);
        }
    }
    if let Some(sm) = &r.smoke {
        let arch = sm.architecture.as_deref().unwrap_or("unknown architecture");
        let _ = writeln!(s, "  smoke:      {} ({arch})", sm.status);
    }
    if let Some(l) = &r.lineage {
        s.push_str(&super::lineage_lines(l));
    }
    if let Some(o) = r.upstream.first() {
        let head = o.head.as_deref().unwrap_or("-");
        let _ = writeln!(
            s,
            "  upstream:   {} at {} ({} now at {head})",
            o.status,
            o.observed_at,
            o.ref_name.as_deref().unwrap_or("pinned commit"),
        );
        for f in &o.findings {
            s.push_str("    ");
            s.push_str(&super::finding_line(f));
        }
    }
    if r.findings.is_empty() {
        let _ = writeln!(s, "  findings:   none");
    } else {
        let _ = writeln!(s, "  findings:   {}", r.findings.len());
        for f in &r.findings {
            s.push_str("    ");
            s.push_str(&super::finding_line(f));
        }
    }
    s
}
