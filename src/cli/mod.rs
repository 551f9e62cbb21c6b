//! Command-line interface: argument parsing and one file per subcommand.
//!
//! Data goes to stdout, logs and progress to stderr. Exit codes: 0 ok, 1 problems found, 2 error.

mod add;
mod approvals;
mod approve;
mod audit;
mod classify;
mod export;
mod fetch;
mod hash;
mod license;
mod lineage;
mod list;
mod outdated;
mod policy;
mod progress;
mod remove;
mod report;
mod revoke;
mod scan;
mod serve;
mod show;
mod sign;
mod smoke;
mod token;
mod verify;

use crate::catalogue::Catalogue;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::io::{IsTerminal, Write};
use std::process::ExitCode;

/// Vet open-weight AI models: licenses, openness, provenance, file safety and a real smoke test.
#[derive(Debug, Parser)]
#[command(name = "modelvet", version, about, max_term_width = 100)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command takes.
#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// Catalogue URL: `sqlite://PATH` or `postgres://…` [default: an SQLite file in the XDG data dir]
    #[arg(long, global = true, env = "MODELVET_DATABASE_URL", value_name = "URL")]
    pub db: Option<String>,
    /// Never draw progress bars.
    #[arg(long, global = true)]
    pub no_progress: bool,
    /// Never touch the network.
    #[arg(long, global = true)]
    pub offline: bool,
    /// Output format.
    #[arg(long, global = true, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// The Hub mirror's blob store: a folder or `s3://BUCKET/PREFIX`. `fetch` and `audit` put
    /// verified blobs there; `serve` serves from it [serve's default: `blobs` in the XDG data dir].
    #[arg(long, global = true, env = "MODELVET_BLOBS", value_name = "DIR|s3://…")]
    pub blobs: Option<String>,
    /// Who the event log records as making this command's changes [default: $USER@host].
    #[arg(long, global = true, env = "MODELVET_ACTOR", value_name = "NAME")]
    pub by: Option<String>,
    /// More log output on stderr (-v info, -vv debug).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

/// Every output format any command accepts; each command rejects the ones it does not write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Human,
    Json,
    Manifest,
    Mof,
    Sarif,
    Markdown,
    Html,
    Cyclonedx,
    Spdx,
    Intoto,
}

impl Format {
    /// The spelling used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Format::Human => "human",
            Format::Json => "json",
            Format::Manifest => "manifest",
            Format::Mof => "mof",
            Format::Sarif => "sarif",
            Format::Markdown => "markdown",
            Format::Html => "html",
            Format::Cyclonedx => "cyclonedx",
            Format::Spdx => "spdx",
            Format::Intoto => "intoto",
        }
    }
}

/// The subcommands (DESIGN.md, "Command line contract").
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Record a model: a folder, a weights file, hf:OWNER/NAME[@REV] or a MOF model YAML.
    Add(add::AddArgs),
    /// List the catalogue's models.
    List(list::ListArgs),
    /// Show everything recorded about a model.
    Show(show::ShowArgs),
    /// Delete a model (all revisions) or one revision from the catalogue.
    Remove(remove::RemoveArgs),
    /// Print SHA-256 digests of files (folders recursively), sha256sum-compatible.
    Hash(hash::HashArgs),
    /// Print a model's manifest (default) or its MOF model entry.
    Export(export::ExportArgs),
    /// Re-hash local bytes against the recorded digests or a manifest.
    Verify(verify::VerifyArgs),
    /// Download a Hub model into the Hugging Face cache, verifying every byte.
    Fetch(fetch::FetchArgs),
    /// Identify licenses (SPDX expressions, Hub tags, names, LICENSE files) and print their terms.
    License(license::LicenseArgs),
    /// OSAID 1.0 verdict and MOF class, with reasons.
    Classify(classify::ClassifyArgs),
    /// Scan model files for code-execution risk and structural damage.
    Scan(scan::ScanArgs),
    /// Load the weights with candle and run a forward pass.
    Smoke(smoke::SmokeArgs),
    /// Write or inspect adoption policy files.
    Policy(policy::PolicyArgs),
    /// Check models against a policy and print the verdict.
    Audit(audit::AuditArgs),
    /// Write a compliance report.
    Report(report::ReportArgs),
    /// Record that a revision (NAME@REV) meets a criterion.
    Approve(approve::ApproveArgs),
    /// Withdraw a revision's approval for a criterion.
    Revoke(revoke::RevokeArgs),
    /// List approvals, or export them for another catalogue's policy.
    Approvals(approvals::ApprovalsArgs),
    /// Create, list and revoke API tokens for the registry server.
    Token(token::TokenArgs),
    /// Write an OpenSSF model-signing signature (`model.sig`) for a model's bytes.
    Sign(sign::SignArgs),
    /// Where else in the catalogue a model's weights are: identical files, shared tensors.
    Lineage(lineage::LineageArgs),
    /// Ask the Hub again whether Hub-pinned models moved, changed license or lost their commit.
    Outdated(outdated::OutdatedArgs),
    /// Run the team registry: web catalogue and JSON API.
    Serve(serve::ServeArgs),
}

/// What a command found: everything fine, or problems worth a non-zero exit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    Problems,
}

impl Outcome {
    /// 0 for ok, 1 for problems.
    pub fn exit_code(self) -> ExitCode {
        match self {
            Outcome::Ok => ExitCode::SUCCESS,
            Outcome::Problems => ExitCode::from(1),
        }
    }

    /// `Problems` if `bad`, else `Ok`.
    pub fn problems_if(bad: bool) -> Outcome {
        if bad { Outcome::Problems } else { Outcome::Ok }
    }
}

/// Shared state handed to every subcommand.
pub struct Ctx {
    pub global: GlobalArgs,
    runtime: tokio::runtime::Runtime,
}

impl Ctx {
    /// Runs a future on the command's runtime.
    pub fn block_on<F: std::future::Future>(&self, fut: F) -> F::Output {
        self.runtime.block_on(fut)
    }

    /// Opens the catalogue named by `--db`/`MODELVET_DATABASE_URL`, or the default SQLite file.
    pub fn catalogue(&self) -> anyhow::Result<Catalogue> {
        let url = match &self.global.db {
            Some(url) => url.clone(),
            None => crate::catalogue::default_url()?,
        };
        let catalogue = self.block_on(Catalogue::open(&url))?;
        Ok(catalogue.acting_as(&self.actor()))
    }

    /// The blob store named by `--blobs`/`MODELVET_BLOBS`; with `or_default`, the `blobs` folder
    /// in the data folder when none is named.
    pub fn blob_store(&self, or_default: bool) -> anyhow::Result<Option<crate::blobs::BlobStore>> {
        let spec = match &self.global.blobs {
            Some(s) if !s.is_empty() => s.clone(),
            _ if or_default => crate::catalogue::default_data_dir()?
                .join("blobs")
                .display()
                .to_string(),
            _ => return Ok(None),
        };
        Ok(Some(crate::blobs::BlobStore::open(&spec)?))
    }

    /// Who this command's changes are by: `--by`, else `$USER@host`.
    pub fn actor(&self) -> String {
        if let Some(by) = self.global.by.as_deref().filter(|b| !b.trim().is_empty()) {
            return by.trim().to_string();
        }
        let user = std::env::var("USER")
            .or_else(|_| std::env::var("LOGNAME"))
            .unwrap_or_else(|_| "unknown".into());
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .ok()
            .or_else(|| std::env::var("HOSTNAME").ok())
            .map(|h| h.trim().to_string())
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "localhost".into());
        format!("{user}@{host}")
    }

    /// The use-case layer's context for this command: the catalogue, `--offline`, and where
    /// hashing progress is drawn.
    pub fn vet<'a>(
        &self,
        catalogue: &'a Catalogue,
        progress: &'a dyn crate::hashing::Progress,
    ) -> crate::vet::Vet<'a> {
        crate::vet::Vet {
            catalogue,
            offline: self.global.offline,
            progress,
            download_bars: self.progress(),
            blobs: None,
        }
    }

    /// Whether progress bars should be drawn.
    pub fn progress(&self) -> bool {
        !self.global.no_progress && std::io::stderr().is_terminal()
    }

    /// Fails unless the command writes `--format` in one of `allowed`.
    pub fn require_format(&self, allowed: &[Format]) -> anyhow::Result<Format> {
        let f = self.global.format;
        if allowed.contains(&f) {
            Ok(f)
        } else {
            let names: Vec<&str> = allowed.iter().map(|f| f.name()).collect();
            anyhow::bail!(
                "this command does not write `--format {}` (it writes: {})",
                f.name(),
                names.join(", ")
            )
        }
    }
}

/// Sets up `tracing` on stderr; `RUST_LOG` overrides `-v`.
pub fn init_logging(cli: &Cli) {
    let level = match cli.global.verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(format!("modelvet={level}")));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .without_time()
        .try_init();
}

/// Runs the parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<Outcome> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let ctx = Ctx {
        global: cli.global,
        runtime,
    };
    match cli.command {
        Command::Add(a) => add::run(&ctx, a),
        Command::List(a) => list::run(&ctx, a),
        Command::Show(a) => show::run(&ctx, a),
        Command::Remove(a) => remove::run(&ctx, a),
        Command::Hash(a) => hash::run(&ctx, a),
        Command::Export(a) => export::run(&ctx, a),
        Command::Verify(a) => verify::run(&ctx, a),
        Command::Fetch(a) => fetch::run(&ctx, a),
        Command::License(a) => license::run(&ctx, a),
        Command::Classify(a) => classify::run(&ctx, a),
        Command::Scan(a) => scan::run(&ctx, a),
        Command::Smoke(a) => smoke::run(&ctx, a),
        Command::Policy(a) => policy::run(&ctx, a),
        Command::Audit(a) => audit::run(&ctx, a),
        Command::Report(a) => report::run(&ctx, a),
        Command::Approve(a) => approve::run(&ctx, a),
        Command::Revoke(a) => revoke::run(&ctx, a),
        Command::Approvals(a) => approvals::run(&ctx, a),
        Command::Token(a) => token::run(&ctx, a),
        Command::Sign(a) => sign::run(&ctx, a),
        Command::Lineage(a) => lineage::run(&ctx, a),
        Command::Outdated(a) => outdated::run(&ctx, a),
        Command::Serve(a) => serve::run(&ctx, a),
    }
}

/// Prints `error: …` with its causes and returns exit code 2; a broken pipe exits 0 quietly.
pub fn report_error(err: &anyhow::Error) -> ExitCode {
    if err.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    }) {
        return ExitCode::SUCCESS;
    }
    let mut stderr = std::io::stderr().lock();
    let _ = writeln!(stderr, "error: {err}");
    for cause in err.chain().skip(1) {
        let _ = writeln!(stderr, "  Caused by: {cause}");
    }
    ExitCode::from(2)
}

/// One finding as a line for people: `severity code path: message [evidence]`.
pub fn finding_line(f: &crate::finding::Finding) -> String {
    let path = f
        .path
        .as_deref()
        .map(|p| format!(" {p}"))
        .unwrap_or_default();
    let evidence = f
        .evidence
        .as_deref()
        .map(|e| format!(" [{e}]"))
        .unwrap_or_default();
    format!(
        "{:<8} {}{path}: {}{evidence}\n",
        f.severity, f.code, f.message
    )
}

/// The lineage lines of `show` and `lineage`: identical files, then shared tensors.
pub fn lineage_lines(l: &crate::record::LineageSection) -> String {
    let common = match l.common_tensors {
        0 => String::new(),
        n => format!(" ({n} too common to count)"),
    };
    let mut lines = vec![format!(
        "  lineage:    {} tensor digests{common}",
        l.tensors
    )];
    if l.identical_files.is_empty() && l.shared_tensors.is_empty() {
        lines.push("    no other revision holds these weights".to_string());
    }
    lines.extend(
        l.identical_files
            .iter()
            .map(|f| format!("    {}", f.describe())),
    );
    lines.extend(
        l.shared_tensors
            .iter()
            .map(|t| format!("    {}", t.describe())),
    );
    lines.iter().map(|l| format!("{l}\n")).collect()
}

/// Writes `text` to stdout; a closed pipe surfaces as a `BrokenPipe` error that exits 0.
pub fn print(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(())
}

/// Writes a value as pretty JSON followed by a newline.
pub fn print_json<T: serde::Serialize>(value: &T) -> anyhow::Result<()> {
    let mut text = serde_json::to_string_pretty(value)?;
    text.push('\n');
    print(&text)
}
