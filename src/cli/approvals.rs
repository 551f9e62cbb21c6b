//! `modelvet approvals`: list decisions, or publish them for other catalogues to import.

use super::{Ctx, Format, Outcome};
use clap::Args;

/// Arguments of `approvals`.
#[derive(Debug, Args)]
pub struct ApprovalsArgs {
    /// Only this model's decisions (a NAME).
    pub model: Option<String>,
    /// Write the export document (JSON) another catalogue's policy imports.
    #[arg(long, conflicts_with = "model")]
    pub export: bool,
}

/// Runs `approvals`.
pub fn run(ctx: &Ctx, args: ApprovalsArgs) -> anyhow::Result<Outcome> {
    let catalogue = ctx.catalogue()?;
    if args.export {
        ctx.require_format(&[Format::Human, Format::Json])?;
        let export = ctx.block_on(crate::vet::registry::export(&catalogue))?;
        super::print_json(&export)?;
        return Ok(Outcome::Ok);
    }
    let format = ctx.require_format(&[Format::Human, Format::Json])?;
    let name = match &args.model {
        Some(spec) => Some(ctx.block_on(catalogue.resolve(spec))?.name),
        None => None,
    };
    let rows = ctx.block_on(catalogue.approvals(name.as_deref()))?;
    if format == Format::Json {
        super::print_json(&rows)?;
        return Ok(Outcome::Ok);
    }
    if rows.is_empty() {
        eprintln!(
            "no approvals recorded; record one with `modelvet approve NAME@REV --criteria C`"
        );
        return Ok(Outcome::Ok);
    }
    let today = crate::catalogue::today();
    let mut out = String::new();
    for r in &rows {
        let state = if r.revoked_at.is_some() {
            format!(
                "revoked by {} at {}",
                r.revoked_by.as_deref().unwrap_or("?"),
                r.revoked_at.as_deref().unwrap_or("?")
            )
        } else if crate::catalogue::approval_expired(r.expires_on.as_deref(), &today) {
            format!("expired {}", r.expires_on.as_deref().unwrap_or("?"))
        } else if !r.current {
            "replaced".to_string()
        } else {
            match &r.expires_on {
                Some(d) => format!("live until {d}"),
                None => "live".to_string(),
            }
        };
        let note = r
            .note
            .as_deref()
            .map(|n| format!(" \"{n}\""))
            .unwrap_or_default();
        out.push_str(&format!(
            "{}@{}  {}  {}  by {} at {}{note}\n",
            r.model, r.revision, r.criterion, state, r.approved_by, r.approved_at
        ));
    }
    super::print(&out)?;
    Ok(Outcome::Ok)
}
