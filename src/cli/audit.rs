//! `modelvet audit`: may we adopt this model? Adds it if needed, runs what the policy asks, prints
//! the verdict with every finding and the obligations adoption brings, and records it.

use super::progress::HashBars;
use super::{Ctx, Format, Outcome};
use crate::catalogue::{Catalogue, RevisionRef};
use crate::policy::{self, CheckResults, Policy, Verdict};
use clap::Args;
use std::fmt::Write;

/// Arguments of `audit`.
#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Sources (folders, weights files, hf:…) or catalogue models to audit.
    #[arg(required_unless_present = "all")]
    pub targets: Vec<String>,
    /// The policy file [default: the built-in default policy].
    #[arg(long)]
    pub policy: Option<std::path::PathBuf>,
    /// Audit every model in the catalogue (each at its newest revision).
    #[arg(long, conflicts_with = "targets")]
    pub all: bool,
}

#[derive(serde::Serialize)]
struct AuditReport<'a> {
    pass: bool,
    policy: &'a str,
    verdicts: &'a [Verdict],
}

/// Runs `audit`.
pub fn run(ctx: &Ctx, args: AuditArgs) -> anyhow::Result<Outcome> {
    let format = ctx.require_format(&[Format::Human, Format::Json])?;
    let (policy, policy_name) = match &args.policy {
        Some(p) => (Policy::load(p)?, p.display().to_string()),
        None => (default_policy(), "built-in default".to_string()),
    };
    if args.policy.is_none() && format == Format::Human {
        eprintln!(
            "note: no --policy given; using the built-in default (OSI-approved licenses, bytes verified, no scan findings at high or above)"
        );
    }
    let catalogue = ctx.catalogue()?;
    let revs: Vec<RevisionRef> = if args.all {
        let models = ctx.block_on(catalogue.list())?;
        if models.is_empty() {
            anyhow::bail!("the catalogue is empty; nothing to audit");
        }
        models
            .iter()
            .map(|m| ctx.block_on(catalogue.resolve(&m.id)))
            .collect::<Result<_, _>>()?
    } else {
        args.targets
            .iter()
            .map(|t| target(ctx, &catalogue, t))
            .collect::<anyhow::Result<_>>()?
    };
    let mut verdicts = Vec::new();
    for rev in &revs {
        verdicts.push(audit_one(ctx, &catalogue, rev, &policy, &policy_name)?);
    }
    let pass = verdicts.iter().all(|v| v.pass);
    match format {
        Format::Json => super::print_json(&AuditReport {
            pass,
            policy: &policy_name,
            verdicts: &verdicts,
        })?,
        _ => {
            let mut out = String::new();
            for v in &verdicts {
                out.push_str(&render(v));
            }
            super::print(&out)?;
        }
    }
    Ok(Outcome::problems_if(!pass))
}

/// A catalogue model, or a source to add first: an existing path or `hf:…`.
fn target(ctx: &Ctx, catalogue: &Catalogue, t: &str) -> anyhow::Result<RevisionRef> {
    if t.starts_with("hf:") || std::path::Path::new(t).exists() {
        let (_, inserted) = super::add::add_source(ctx, catalogue, t, None)?;
        return Ok(inserted.rev);
    }
    Ok(ctx.block_on(catalogue.resolve(t))?)
}

/// The built-in policy: the OSI-approved licenses of the knowledge base.
fn default_policy() -> Policy {
    Policy::default_with(crate::license::osi_approved_ids())
}

fn audit_one(
    ctx: &Ctx,
    catalogue: &Catalogue,
    rev: &RevisionRef,
    policy: &Policy,
    policy_name: &str,
) -> anyhow::Result<Verdict> {
    let record = ctx.block_on(super::load_record(catalogue, &rev.id()))?;
    let mut checks = CheckResults::default();
    // A Hub model's bytes are fetched (and checked while they stream) when a check needs them.
    if record.source.kind == "hub"
        && (policy.wants_verify() || policy.wants_smoke())
        && super::local_bytes(&record).is_none()
        && !ctx.global.offline
        && let Err(e) = fetch_hub(ctx, &record)
    {
        checks.verify_note = Some(format!(
            "the files could not be fetched from the Hub: {e:#}"
        ));
    }
    if policy.wants_verify() {
        let bars = HashBars::new(ctx.progress());
        match super::verify::verify_record(ctx, catalogue, rev, &record, None, false, &bars) {
            Ok((_, _, failed)) => checks.verified = Some(!failed),
            Err(e) => checks.verify_note = Some(format!("the bytes could not be verified: {e:#}")),
        }
        bars.clear();
    }
    if policy.wants_smoke() {
        let opts = crate::runtime::SmokeOptions::default();
        // A smoke test that cannot run (no local bytes, an error) leaves no result: `smoke-not-run`.
        if let Err(e) = super::smoke::smoke_recorded(ctx, catalogue, rev, &opts) {
            tracing::warn!("smoke test of `{}` did not run: {e:#}", rev.id());
        }
    }
    // Reload: verification and the smoke test recorded their results with the model.
    let record = ctx.block_on(super::load_record(catalogue, &rev.id()))?;
    let verdict = policy::evaluate(policy, policy_name, &record, &checks);
    let status = if verdict.pass { "passed" } else { "failed" };
    ctx.block_on(catalogue.record_run(
        rev,
        "audit",
        status,
        &serde_json::to_value(&verdict)?,
        &[],
    ))?;
    Ok(verdict)
}

/// Downloads a Hub model's recorded commit into the HF cache (the Hub client is blocking, so it
/// runs outside the async runtime).
fn fetch_hub(ctx: &Ctx, record: &crate::record::ModelRecord) -> anyhow::Result<()> {
    let repo = record.source.location.trim_start_matches("hf:");
    let client = crate::hub::HubClient::from_env(ctx.global.offline)?;
    let snapshot = client.resolve_repo(repo, record.source.revision.as_deref())?;
    client.fetch(&snapshot, &[], ctx.progress())?;
    Ok(())
}

/// The verdict for people.
fn render(v: &Verdict) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{}: {} (policy: {})",
        v.id,
        if v.pass { "PASS" } else { "FAIL" },
        v.policy
    );
    let _ = writeln!(s, "  license: {}", v.license);
    for f in &v.findings {
        s.push_str("  ");
        s.push_str(&super::finding_line(f));
    }
    if !v.obligations.is_empty() {
        let _ = writeln!(s, "  obligations:");
        for o in &v.obligations {
            let text = o.get("text").and_then(|t| t.as_str()).unwrap_or_default();
            let kind = o.get("kind").and_then(|t| t.as_str()).unwrap_or_default();
            let _ = writeln!(s, "    - [{kind}] {text}");
        }
    }
    s
}
