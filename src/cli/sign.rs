//! `modelvet sign`: write an OpenSSF model-signing `model.sig` for a model's bytes.

use super::progress::HashBars;
use super::{Ctx, Format, Outcome};
use crate::signing::keys::SigningKey;
use anyhow::Context;
use clap::Args;
use std::path::PathBuf;

/// Arguments of `sign`.
#[derive(Debug, Args)]
pub struct SignArgs {
    /// The catalogue model to sign (omit with --path).
    #[arg(required_unless_present = "path")]
    pub model: Option<String>,
    /// The private key (PEM: PKCS#8 or SEC1 EC; ECDSA P-256/P-384 or Ed25519).
    #[arg(long, value_name = "PEM")]
    pub key: PathBuf,
    /// Where the bytes are [default: where the model was added from].
    #[arg(long)]
    pub path: Option<PathBuf>,
    /// Where to write the signature [default: `model.sig` in the model folder].
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Paths left out of the signature (relative to the model folder, or existing paths).
    #[arg(long, value_name = "PATH", num_args = 1..)]
    pub ignore_paths: Vec<PathBuf>,
}

#[derive(serde::Serialize)]
struct Report<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    root: String,
    signature: String,
    signer: String,
    files: &'a [crate::signing::bundle::SignedFile],
}

/// Runs `sign`.
pub fn run(ctx: &Ctx, args: SignArgs) -> anyhow::Result<Outcome> {
    let format = ctx.require_format(&[Format::Human, Format::Json])?;
    let text = std::fs::read_to_string(&args.key)
        .with_context(|| format!("cannot read private key `{}`", args.key.display()))?;
    let key = SigningKey::from_pem(&text)
        .with_context(|| format!("invalid private key `{}`", args.key.display()))?;
    let bars = HashBars::new(ctx.progress());
    let catalogue = ctx.catalogue()?;
    let rev = match args.model.as_deref() {
        Some(spec) => Some(ctx.block_on(catalogue.resolve(spec))?),
        None => None,
    };
    let vet = ctx.vet(&catalogue, &bars);
    let signed = ctx.block_on(crate::vet::signature::sign(
        &vet,
        rev.as_ref(),
        args.path.as_deref(),
        &key,
        args.output.as_deref(),
        &args.ignore_paths,
    ));
    bars.clear();
    let signed = signed?;
    let signer = key.public().fingerprint();
    if format == Format::Json {
        super::print_json(&Report {
            id: rev.map(|r| r.id().to_string()),
            root: signed.root.display().to_string(),
            signature: signed.signature.display().to_string(),
            signer,
            files: &signed.files,
        })?;
    } else {
        super::print(&format!(
            "signed {} file(s) of `{}` with key {signer}\nwrote {}\n",
            signed.files.len(),
            signed.root.display(),
            signed.signature.display()
        ))?;
    }
    Ok(Outcome::Ok)
}
