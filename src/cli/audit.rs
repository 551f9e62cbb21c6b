//! `modelvet audit`: may we adopt this model? Adds it if needed, runs what the policy asks, prints
//! the verdict with every finding and the obligations adoption brings, and records it.

use super::progress::HashBars;
use super::{Ctx, Format, Outcome};
use crate::catalogue::RevisionRef;
use crate::policy::{Policy, Verdict};
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
    let bars = HashBars::new(ctx.progress());
    let store = ctx.blob_store(false)?;
    let mut vet = ctx.vet(&catalogue, &bars);
    vet.blobs = store.as_ref();
    let revs: Vec<RevisionRef> = if args.all {
        let models = ctx.block_on(catalogue.list())?;
        if models.is_empty() {
            anyhow::bail!("the catalogue is empty; nothing to audit");
        }
        models
            .iter()
            .map(|m| ctx.block_on(catalogue.resolve(&m.id.to_string())))
            .collect::<Result<_, _>>()?
    } else {
        args.targets
            .iter()
            .map(|t| ctx.block_on(crate::vet::target(&vet, t)))
            .collect::<Result<_, _>>()?
    };
    let mut verdicts = Vec::new();
    for rev in &revs {
        verdicts.push(ctx.block_on(crate::vet::audit(&vet, rev, &policy, &policy_name))?);
    }
    bars.clear();
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

/// The built-in policy: the OSI-approved licenses of the knowledge base.
fn default_policy() -> Policy {
    Policy::default_with(crate::license::osi_approved_ids())
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
