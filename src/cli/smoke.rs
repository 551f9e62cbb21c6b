//! `modelvet smoke`: load the weights with the bundled candle runtime and run a forward pass.

use super::{Ctx, Format, Outcome};
use crate::runtime::{SmokeOptions, SmokeOutcome, memory::human_bytes};
use clap::Args;
use std::fmt::Write as _;
use std::path::Path;

/// Arguments of `smoke`.
#[derive(Debug, Args)]
pub struct SmokeArgs {
    /// A catalogue model or a path to a model folder or weights file.
    pub target: String,
    /// Tokens to generate greedily for decoder models.
    #[arg(long, default_value_t = 16)]
    pub max_new_tokens: usize,
}

/// Runs `smoke`: exit 0 passed or honestly unsupported, 1 broken weights, 2 error.
pub fn run(ctx: &Ctx, args: SmokeArgs) -> anyhow::Result<Outcome> {
    let format = ctx.require_format(&[Format::Human, Format::Json])?;
    let path = Path::new(&args.target);
    if !path.exists() {
        // Catalogue models are resolved to their local folder once the catalogue records one.
        anyhow::bail!(
            "no such file or folder `{}` (smoke takes a model folder or a weights file)",
            args.target
        );
    }
    let opts = SmokeOptions {
        max_new_tokens: args.max_new_tokens,
        ..SmokeOptions::default()
    };
    let outcome = crate::runtime::smoke(path, &opts)?;
    match format {
        Format::Json => super::print_json(&serde_json::json!({
            "target": args.target,
            "smoke": outcome.section,
            "findings": outcome.findings,
        }))?,
        _ => super::print(&human(&args.target, &outcome))?,
    }
    Ok(Outcome::problems_if(outcome.failed()))
}

fn human(target: &str, o: &SmokeOutcome) -> String {
    let s = &o.section;
    let mut out = String::new();
    let arch = s.architecture.as_deref().unwrap_or("unknown");
    let _ = write!(out, "{target}: {} ({arch}", s.status);
    if let Some(p) = s.parameters {
        let _ = write!(out, ", {} parameters", group(p));
    }
    out.push_str(")\n");
    let d = s.details.clone().unwrap_or_default();
    if let Some(dtypes) = d["dtypes"].as_array().filter(|a| !a.is_empty()) {
        let names: Vec<&str> = dtypes.iter().filter_map(|v| v.as_str()).collect();
        let _ = writeln!(out, "  dtypes:      {}", names.join(", "));
    }
    if let (Some(l), Some(f)) = (s.load_ms, s.forward_ms) {
        let _ = writeln!(out, "  load:        {l:.0} ms");
        let _ = writeln!(out, "  forward:     {f:.0} ms");
    }
    if let Some(t) = s.tokens_per_second {
        let _ = writeln!(out, "  generation:  {t:.1} tokens/s");
    }
    if let Some(sim) = d.get("similarity") {
        let _ = writeln!(
            out,
            "  similarity:  paraphrase {}, unrelated {}",
            sim["similar"], sim["unrelated"]
        );
    }
    if let Some(text) = d["output_text"].as_str() {
        let _ = writeln!(out, "  output:      {:?}", text);
    }
    if let Some(p) = s.peak_rss_bytes {
        let _ = writeln!(out, "  peak memory: {}", human_bytes(p));
    }
    if let Some(fp) = &s.fingerprint {
        let _ = writeln!(out, "  fingerprint: {fp}");
    }
    if let Some(notes) = d["notes"].as_array() {
        for n in notes.iter().filter_map(|v| v.as_str()) {
            let _ = writeln!(out, "  note: {n}");
        }
    }
    if !o.findings.is_empty() {
        out.push_str("findings:\n");
        for f in &o.findings {
            let _ = write!(
                out,
                "  {:<8} {}: {}",
                f.severity.as_str(),
                f.code,
                f.message
            );
            if let Some(p) = &f.path {
                let _ = write!(out, " [{p}]");
            }
            out.push('\n');
        }
    }
    out
}

fn group(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}
