//! `modelvet scan`: code-execution risk and structural damage in model files.

use super::{Ctx, Format, Outcome};
use crate::finding::Severity;
use clap::Args;
use std::fmt::Write;

/// Arguments of `scan`.
#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Files or folders to scan.
    #[arg(required = true)]
    pub paths: Vec<std::path::PathBuf>,
    /// Exit 1 when a finding is at or above this severity.
    #[arg(long, default_value = "high")]
    pub fail_on: crate::finding::Severity,
}

/// Runs `scan`.
pub fn run(ctx: &Ctx, args: ScanArgs) -> anyhow::Result<Outcome> {
    let format = ctx.require_format(&[Format::Human, Format::Json, Format::Sarif])?;
    let report = crate::scan::scan_paths(&args.paths)?;
    match format {
        Format::Json => super::print_json(&report)?,
        Format::Sarif => super::print_json(&crate::scan::to_sarif(&report))?,
        _ => super::print(&human(&report))?,
    }
    Ok(Outcome::problems_if(
        report.worst().is_some_and(|w| w >= args.fail_on),
    ))
}

fn human(report: &crate::scan::ScanReport) -> String {
    let mut out = String::new();
    for f in &report.findings {
        let _ = write!(
            out,
            "{:<8} {}  {}: {}",
            f.severity.as_str().to_uppercase(),
            f.code,
            f.path.as_deref().unwrap_or("-"),
            f.message
        );
        if let Some(e) = &f.evidence {
            let _ = write!(out, " ({e})");
        }
        out.push('\n');
    }
    let counts: Vec<String> = Severity::ALL
        .iter()
        .rev()
        .filter_map(|s| {
            let n = report.findings.iter().filter(|f| f.severity == *s).count();
            (n > 0).then(|| format!("{n} {s}"))
        })
        .collect();
    let files = report.files.len();
    let _ = writeln!(
        out,
        "{files} file{} scanned, {}",
        if files == 1 { "" } else { "s" },
        if counts.is_empty() {
            "no findings".to_string()
        } else {
            format!("findings: {}", counts.join(", "))
        }
    );
    out
}
