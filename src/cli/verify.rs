//! `modelvet verify`: re-hash local bytes against the catalogue's digests or a manifest.

use super::progress::HashBars;
use super::{Ctx, Format, Outcome};
use crate::hashing::Progress as _;
use crate::manifest::Manifest;
use crate::signing::Trust;
use crate::signing::keys::PublicKey;
use crate::signing::sigstore::TrustedRoot;
use crate::signing::x509::Cert;
use crate::verify::{self, Expected, FileCheck, FileStatus};
use anyhow::Context;
use clap::Args;
use std::path::{Path, PathBuf};

/// Arguments of `verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The catalogue model to verify (omit with --manifest, or with --signature and --path).
    #[arg(required_unless_present_any = ["manifest", "signature"], conflicts_with = "manifest")]
    pub model: Option<String>,
    /// Where the bytes are [default: where the model was added from].
    #[arg(long)]
    pub path: Option<PathBuf>,
    /// A manifest (`modelvet export`) or a `sha256sum`/`SHA256SUMS` file to verify against.
    #[arg(long, requires = "path")]
    pub manifest: Option<PathBuf>,
    /// Files present but not recorded fail the check too.
    #[arg(long)]
    pub strict: bool,
    #[command(flatten)]
    pub signature: SignatureArgs,
}

/// Checking an OpenSSF model signature instead of the recorded digests.
#[derive(Debug, Args)]
pub struct SignatureArgs {
    /// Check the model's OpenSSF model-signing signature: FILE, or `model.sig` in the model folder.
    #[arg(long, num_args = 0..=1, value_name = "FILE", conflicts_with_all = ["manifest", "strict"])]
    #[allow(clippy::option_option)]
    pub signature: Option<Option<PathBuf>>,
    /// The signer's public key (PEM: ECDSA P-256/P-384 or Ed25519).
    #[arg(long, value_name = "PEM", requires = "signature",
          conflicts_with_all = ["certificate_chain", "sigstore"])]
    pub key: Option<PathBuf>,
    /// Trusted root (and intermediate) certificates, PEM; the signing certificate must chain to one.
    #[arg(
        long,
        value_name = "PEM",
        requires = "signature",
        conflicts_with = "sigstore"
    )]
    pub certificate_chain: Option<PathBuf>,
    /// Keyless Sigstore signature, checked offline against --trust-root.
    #[arg(long, requires_all = ["signature", "trust_root"])]
    pub sigstore: bool,
    /// A Sigstore `trusted_root.json` (Fulcio CAs and Rekor keys).
    #[arg(long, value_name = "FILE", requires = "sigstore")]
    pub trust_root: Option<PathBuf>,
    /// The signer's identity: a SAN (e-mail, URI) or the subject's common name.
    #[arg(long, requires = "signature")]
    pub identity: Option<String>,
    /// The OIDC issuer of a keyless signer's identity (--sigstore).
    #[arg(long, alias = "identity-provider", requires = "sigstore")]
    pub issuer: Option<String>,
    /// Paths left out of the signature check (relative to the model folder, or existing paths).
    #[arg(long, value_name = "PATH", num_args = 1.., requires = "signature")]
    pub ignore_paths: Vec<PathBuf>,
}

#[derive(serde::Serialize)]
struct SignatureReport<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    root: String,
    signature: String,
    ok: bool,
    #[serde(flatten)]
    verification: &'a crate::signing::Verification,
}

fn read_text(path: &Path, what: &str) -> anyhow::Result<String> {
    std::fs::read_to_string(path)
        .with_context(|| format!("cannot read {what} `{}`", path.display()))
}

/// The trust the signature arguments name.
fn trust_of(args: &SignatureArgs) -> anyhow::Result<Trust> {
    if let Some(key) = &args.key {
        let k = PublicKey::from_pem(&read_text(key, "public key")?)
            .with_context(|| format!("invalid public key `{}`", key.display()))?;
        return Ok(Trust::Key(k));
    }
    if let Some(chain) = &args.certificate_chain {
        let roots = Cert::from_pem_chain(&read_text(chain, "certificate chain")?)
            .map_err(anyhow::Error::msg)
            .with_context(|| format!("invalid certificate chain `{}`", chain.display()))?;
        return Ok(Trust::Chain {
            roots,
            identity: args.identity.clone(),
        });
    }
    if args.sigstore {
        let path = args
            .trust_root
            .as_ref()
            .expect("clap requires --trust-root");
        let root = TrustedRoot::parse(&read_text(path, "trusted root")?)
            .map_err(anyhow::Error::msg)
            .with_context(|| format!("invalid trusted root `{}`", path.display()))?;
        return Ok(Trust::Sigstore {
            root: Box::new(root),
            identity: args.identity.clone(),
            issuer: args.issuer.clone(),
        });
    }
    anyhow::bail!(
        "--signature needs whom to trust: --key PEM, --certificate-chain PEM, or --sigstore --trust-root FILE"
    )
}

fn run_signature(ctx: &Ctx, args: VerifyArgs, format: Format) -> anyhow::Result<Outcome> {
    let sig = &args.signature;
    let trust = trust_of(sig)?;
    let signature = sig.signature.clone().flatten();
    let bars = HashBars::new(ctx.progress());
    let (id, checked) = if let Some(spec) = args.model.as_deref() {
        let catalogue = ctx.catalogue()?;
        let rev = ctx.block_on(catalogue.resolve(spec))?;
        let vet = ctx.vet(&catalogue, &bars);
        let checked = ctx.block_on(crate::vet::signature::verify_signature(
            &vet,
            Some(&rev),
            args.path.as_deref(),
            signature.as_deref(),
            &trust,
            &sig.ignore_paths,
        ));
        (Some(rev.id().to_string()), checked)
    } else {
        let Some(path) = args.path.as_deref() else {
            anyhow::bail!("verify --signature needs MODEL or --path");
        };
        // A path outside the catalogue: the catalogue is opened only for the use-case context.
        let catalogue = ctx.catalogue()?;
        let vet = ctx.vet(&catalogue, &bars);
        let checked = ctx.block_on(crate::vet::signature::verify_signature(
            &vet,
            None,
            Some(path),
            signature.as_deref(),
            &trust,
            &sig.ignore_paths,
        ));
        (None, checked)
    };
    bars.clear();
    let checked = checked?;
    let v = &checked.verification;
    if format == Format::Json {
        super::print_json(&SignatureReport {
            id,
            root: checked.root.display().to_string(),
            signature: checked.signature.display().to_string(),
            ok: v.ok(),
            verification: v,
        })?;
        return Ok(Outcome::problems_if(!v.ok()));
    }
    let mut out = format!("signature  {}\n", checked.signature.display());
    if let Some(s) = &v.signer {
        out.push_str(&format!("signer     {}\n", s.describe()));
    }
    if let Some((time, index)) = v.logged {
        let when = chrono::DateTime::from_timestamp(time, 0)
            .map(|t| t.to_rfc3339())
            .unwrap_or_default();
        out.push_str(&format!("logged     {when} (Rekor log index {index})\n"));
    }
    for c in &v.files {
        let word = match c.status {
            FileStatus::Ok => "ok",
            FileStatus::Extra => "UNSIGNED",
            FileStatus::Missing => "MISSING",
            FileStatus::Unreadable { .. } => "UNREADABLE",
            FileStatus::Mismatch { .. } | FileStatus::LfsPointer => "MISMATCH",
        };
        out.push_str(&format!("{word:<10} {}\n", c.path));
    }
    for f in &v.findings {
        out.push_str(&super::finding_line(f));
    }
    let signed = v
        .files
        .iter()
        .filter(|c| c.status != FileStatus::Extra)
        .count();
    if v.ok() {
        out.push_str(&format!(
            "verified: {signed} signed file(s), signed by {}\n",
            v.signer.as_ref().map(|s| s.describe()).unwrap_or_default()
        ));
    } else {
        out.push_str(&format!("FAILED: {} problem(s)\n", v.findings.len()));
    }
    super::print(&out)?;
    Ok(Outcome::problems_if(!v.ok()))
}

#[derive(serde::Serialize)]
struct Report<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    root: String,
    ok: bool,
    files: &'a [FileCheck],
}

/// Runs `verify`.
pub fn run(ctx: &Ctx, args: VerifyArgs) -> anyhow::Result<Outcome> {
    let format = ctx.require_format(&[Format::Human, Format::Json])?;
    if args.signature.signature.is_some() {
        return run_signature(ctx, args, format);
    }
    let bars = HashBars::new(ctx.progress());
    if let Some(manifest_path) = &args.manifest {
        let text = std::fs::read_to_string(manifest_path)
            .with_context(|| format!("cannot read manifest `{}`", manifest_path.display()))?;
        let manifest = Manifest::parse(&text)
            .with_context(|| format!("invalid manifest `{}`", manifest_path.display()))?;
        let root = args
            .path
            .clone()
            .expect("clap requires --path with --manifest");
        require_dir(&root)?;
        let expected: Vec<Expected> = manifest
            .files
            .iter()
            .map(|f| Expected {
                path: f.path.clone(),
                size: f.size,
                sha256: Some(f.sha256.clone()),
                git_oid: None,
            })
            .collect();
        bars.set_total(expected.iter().filter_map(|e| e.size).sum(), expected.len());
        let mut checks = verify::verify_tree(&root, &expected, true, &bars);
        bars.clear();
        // The manifest does not list itself.
        if let Ok(rel) = manifest_path
            .canonicalize()
            .and_then(|m| Ok((m, root.canonicalize()?)))
            && let Ok(inside) = rel.0.strip_prefix(&rel.1)
        {
            let inside = inside.to_string_lossy().replace('\\', "/");
            checks.retain(|c| !(c.path == inside && c.status == FileStatus::Extra));
        }
        return finish(format, None, &root, &checks, args.strict);
    }

    let spec = args
        .model
        .as_deref()
        .expect("clap requires MODEL without --manifest");
    let catalogue = ctx.catalogue()?;
    let rev = ctx.block_on(catalogue.resolve(spec))?;
    let vet = ctx.vet(&catalogue, &bars);
    let verified = ctx.block_on(crate::vet::verify(
        &vet,
        &rev,
        args.path.as_deref(),
        args.strict,
    ));
    bars.clear();
    let verified = verified?;
    finish(
        format,
        Some(rev.id().to_string()),
        &verified.root,
        &verified.checks,
        args.strict,
    )
}

fn require_dir(root: &Path) -> anyhow::Result<()> {
    let meta =
        std::fs::metadata(root).with_context(|| format!("cannot read `{}`", root.display()))?;
    if !meta.is_dir() {
        anyhow::bail!("`{}` is not a folder", root.display());
    }
    Ok(())
}

fn finish(
    format: Format,
    id: Option<String>,
    root: &Path,
    checks: &[FileCheck],
    strict: bool,
) -> anyhow::Result<Outcome> {
    let failed = checks
        .iter()
        .any(|c| crate::vet::check_fails(&c.status, strict));
    if format == Format::Json {
        super::print_json(&Report {
            id,
            root: root.display().to_string(),
            ok: !failed,
            files: checks,
        })?;
        return Ok(Outcome::problems_if(failed));
    }
    let mut out = String::new();
    let mut counts = std::collections::BTreeMap::<&str, usize>::new();
    for c in checks {
        let (word, detail) = match &c.status {
            FileStatus::Ok => ("ok", String::new()),
            FileStatus::Mismatch { expected, actual } => (
                "MISMATCH",
                format!(" (expected {expected}, found {actual})"),
            ),
            FileStatus::Missing => ("MISSING", String::new()),
            FileStatus::Extra => ("extra", " (not recorded)".to_string()),
            FileStatus::Unreadable { error } => ("UNREADABLE", format!(" ({error})")),
            FileStatus::LfsPointer => (
                "LFS-POINTER",
                " (a Git LFS pointer, not the content)".to_string(),
            ),
        };
        *counts.entry(word).or_default() += 1;
        out.push_str(&format!("{word:<11} {}{detail}\n", c.path));
    }
    let summary: Vec<String> = counts
        .iter()
        .map(|(w, n)| format!("{n} {}", w.to_lowercase()))
        .collect();
    out.push_str(&format!(
        "{}: {}\n",
        if failed { "FAILED" } else { "verified" },
        summary.join(", ")
    ));
    super::print(&out)?;
    Ok(Outcome::problems_if(failed))
}
