//! A Model Openness Tool entry as a source: a model described, not a folder of bytes.

use super::{ClaimKind, Ingested, LicenseClaim};
use crate::openness::components::ids;
use crate::openness::mot::{MotError, parse};
use crate::openness::status;

/// Builds a catalogue revision from a MOT entry file: its name (`--name`, else `release.name`
/// with spaces and `@` made `-`), the YAML itself as the one recorded file (so the revision is
/// the manifest hash like any local source), the 17 components, the release fields as metadata,
/// and the distribution and weights licenses as declared license claims.
pub fn ingest_mof(
    path: &std::path::Path,
    text: &str,
    name: Option<crate::ids::ModelName>,
) -> Result<Ingested, MotError> {
    let model = parse(text)?;
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "model.yml".into());
    let files = vec![crate::record::FileRecord {
        path: file_name,
        size: text.len() as u64,
        sha256: Some(crate::hashing::sha256(text.as_bytes())),
        git_oid: None,
        format: crate::format::FileFormat::Other,
    }];
    let revision = crate::manifest::Manifest::from_files(&files).revision_id();
    let name = name.unwrap_or_else(|| {
        model
            .name
            .chars()
            .map(|c| {
                if c.is_whitespace() || c == '@' || c.is_control() {
                    '-'
                } else {
                    c
                }
            })
            .collect::<String>()
            .into()
    });
    let components = model.components();
    let mut claims = Vec::new();
    if let Some(d) = model.license.distribution.as_ref().and_then(|d| d.name()) {
        claims.push(LicenseClaim {
            kind: ClaimKind::Declared,
            value: d.to_string(),
            from: "mof:release.license.distribution".into(),
            confidence: None,
        });
    }
    if let Some(w) = components
        .iter()
        .find(|c| c.id == ids::PARAMETERS_FINAL && c.status == status::INCLUDED)
        .and_then(|c| c.license.clone())
        .filter(|w| !claims.iter().any(|c| &c.value == w))
    {
        claims.push(LicenseClaim {
            kind: ClaimKind::Declared,
            value: w,
            from: "mof:components.Model parameters (Final)".into(),
            confidence: None,
        });
    }
    let location = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    Ok(Ingested {
        name,
        revision,
        source: crate::record::SourceInfo {
            kind: crate::record::SourceKind::Mof,
            location: location.display().to_string(),
            revision: None,
        },
        files,
        card_raw: None,
        card: None,
        config: None,
        metadata: Some(model.metadata()),
        base_models: Vec::new(),
        license_claims: claims,
        components,
        findings: Vec::new(),
        tensors: Vec::new(),
    })
}
