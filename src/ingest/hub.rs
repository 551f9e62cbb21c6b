//! Turning a pinned Hub snapshot (from the Hub or from the local cache) into a revision ready for
//! the catalogue ([`crate::ingest::Ingested`]).

use crate::finding::Finding;
use crate::format::{FileFormat, sniff};
use crate::hub::{CacheAudit, CachedRepo, CachedSnapshot, HubClient, HubError, HubSnapshot};
use crate::ids::{GitOid, ModelName, Sha256};
use crate::ingest::{self, ClaimKind, IngestCode, Ingested, LicenseClaim};
use crate::record::{FileRecord, SourceInfo};
use std::path::Path;

/// Resolves `repo` at `revision` (default `main`) and assembles the revision to record: every
/// file with size, git blob id and (LFS) SHA-256, card, config, license claims from the card and
/// the Hub's `license:` tags, base models. Downloads only small text files, never weights.
pub fn ingest_hub(
    client: &HubClient,
    repo: &str,
    revision: Option<&str>,
    name: Option<ModelName>,
) -> Result<Ingested, HubError> {
    let snapshot = client.resolve_repo(repo, revision)?;
    Ok(ingest_snapshot(&snapshot, client.endpoint(), name))
}

/// The revision to record for an already resolved snapshot.
pub fn ingest_snapshot(
    snapshot: &HubSnapshot,
    endpoint: &str,
    name: Option<ModelName>,
) -> Ingested {
    let mut findings = Vec::new();
    let small = |path: &str| {
        snapshot
            .small_files
            .iter()
            .find(|(p, _)| p == path)
            .map(|(_, b)| b.as_slice())
    };
    let files: Vec<FileRecord> = snapshot
        .files
        .iter()
        .map(|f| {
            let bytes = small(&f.path);
            // The Hub client checked both digests; a cached file may have no git blob id.
            FileRecord {
                path: f.path.clone(),
                size: f.size,
                sha256: f
                    .sha256
                    .as_deref()
                    .and_then(|s| Sha256::parse(s).ok())
                    .or_else(|| bytes.map(crate::hashing::sha256)),
                git_oid: GitOid::parse(&f.git_oid).ok(),
                format: format_of(&f.path, f.size, bytes, f.lfs),
            }
        })
        .collect();
    let has_readme = snapshot
        .files
        .iter()
        .any(|f| f.path.eq_ignore_ascii_case("README.md"));
    let readme = snapshot
        .files
        .iter()
        .find(|f| f.path.eq_ignore_ascii_case("README.md"))
        .and_then(|f| small(&f.path).map(|b| (f.path.as_str(), b)));
    let (card_raw, card) =
        match readme.and_then(|(rel, b)| ingest::card::from_readme(b, rel, &mut findings)) {
            Some((raw, card)) => (Some(raw), Some(card)),
            None => (None, None),
        };
    if !has_readme {
        findings.push(Finding::new(
            &IngestCode::ModelCardMissing,
            "no README.md model card",
        ));
    }
    // The card as its author wrote it wins; the Hub's parsed `cardData` stands in when the README
    // could not be read (it is the same YAML as the Hub understood it).
    let card = card.or_else(|| {
        snapshot
            .card_data
            .clone()
            .filter(|v| v.is_object() && findings.is_empty())
    });
    let config =
        small("config.json").and_then(|b| match serde_json::from_slice::<serde_json::Value>(b) {
            Ok(v) if v.is_object() => Some(v),
            _ => {
                findings.push(
                    Finding::new(
                        &IngestCode::ConfigInvalid,
                        "config.json is not a JSON object",
                    )
                    .at("config.json"),
                );
                None
            }
        });
    let mut license_claims = ingest::card_claims(card.as_ref());
    for tag in &snapshot.tags {
        if let Some(v) = tag.strip_prefix("license:") {
            license_claims.push(LicenseClaim {
                kind: ClaimKind::Declared,
                value: v.to_string(),
                from: format!("tag:{tag}"),
                confidence: None,
            });
        }
    }
    // LICENSE-like texts we hold are identified as for a local folder: one detected claim each.
    for f in files
        .iter()
        .filter(|f| f.format == FileFormat::License.as_str())
    {
        let Some(bytes) = small(&f.path) else {
            continue;
        };
        let text = match std::str::from_utf8(bytes) {
            Ok(t) if !t.contains('\0') => Ok(t),
            _ => Err("it is not UTF-8 text".to_string()),
        };
        license_claims.extend(ingest::license_text_claim(&f.path, text, &mut findings));
    }
    let base_models = ingest::base_models(card.as_ref(), &files);
    let metadata = serde_json::json!({
        "hub": {
            "endpoint": endpoint,
            "repo": snapshot.repo,
            "commit": snapshot.commit,
            "requested_revision": snapshot.requested_revision,
            "tags": snapshot.tags,
            "gated": snapshot.gated,
            "last_modified": snapshot.last_modified,
            "card_data": snapshot.card_data,
        }
    });
    Ingested {
        name: name.unwrap_or_else(|| snapshot.repo.as_str().into()),
        revision: snapshot.commit.as_str().into(),
        source: SourceInfo {
            kind: crate::record::SourceKind::Hub,
            location: format!("hf:{}", snapshot.repo),
            revision: Some(snapshot.commit.as_str().into()),
        },
        files,
        card_raw,
        card,
        config,
        metadata: Some(metadata),
        base_models,
        license_claims,
        components: Vec::new(),
        findings,
        tensors: Vec::new(),
    }
}

/// The revision to record for one snapshot found by [`crate::hub::audit_cache`] (for
/// `add --hf-cache`): files from the cache (SHA-256 from LFS blob names, computed for the rest),
/// card and config read from the snapshot, and the audit's findings about this repo attached.
pub fn ingest_cached(
    audit: &CacheAudit,
    repo: &CachedRepo,
    snapshot: &CachedSnapshot,
) -> Result<Ingested, HubError> {
    let mut hub = HubSnapshot {
        repo: repo.repo.clone(),
        commit: snapshot.commit.clone(),
        requested_revision: repo
            .refs
            .iter()
            .find(|(_, c)| **c == snapshot.commit)
            .map(|(r, _)| r.clone())
            .unwrap_or_else(|| snapshot.commit.clone()),
        card_data: None,
        tags: Vec::new(),
        gated: None,
        last_modified: None,
        files: Vec::new(),
        small_files: Vec::new(),
    };
    let mut sha_of_copies = Vec::new();
    for f in &snapshot.files {
        let lfs = f.blob.as_deref().is_some_and(Sha256::is_valid);
        hub.files.push(crate::hub::HubFile {
            path: f.path.clone(),
            size: f.size,
            git_oid: f.git_oid.clone().unwrap_or_default(),
            sha256: if lfs { f.sha256.clone() } else { None },
            lfs,
        });
        if !lfs && let Some(sha) = f.sha256.as_deref().and_then(|s| Sha256::parse(s).ok()) {
            sha_of_copies.push((f.path.clone(), sha));
        }
    }
    // The same small files a Hub revision gives ingest, read from the cache instead.
    hub.read_small_files(|f| Ok::<_, HubError>(std::fs::read(snapshot.path.join(&f.path)).ok()))?;
    let mut ingested = ingest_snapshot(&hub, "", None);
    ingested.source.kind = crate::record::SourceKind::Hub;
    ingested.metadata = Some(serde_json::json!({
        "hf_cache": { "path": repo.path, "refs": repo.refs, "commit": snapshot.commit }
    }));
    for file in &mut ingested.files {
        if file.sha256.is_none() {
            if let Some((_, sha)) = sha_of_copies.iter().find(|(p, _)| *p == file.path) {
                file.sha256 = Some(sha.clone());
            } else if let Ok(d) =
                crate::hashing::hash_file(&snapshot.path.join(&file.path), &|_| {})
            {
                file.sha256 = Some(d.sha256);
            }
        }
    }
    // The cached bytes are here: scan them as a local folder's would be.
    for f in &snapshot.files {
        let path = snapshot.path.join(&f.path);
        if path.is_file() {
            ingested
                .findings
                .extend(crate::scan::scan_file(&path, &f.path));
        }
    }
    let folder = repo
        .path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let prefix = format!("{folder}/");
    ingested.findings.extend(
        audit
            .findings
            .iter()
            .filter(|f| f.path.as_deref().is_some_and(|p| p.starts_with(&prefix)))
            .cloned(),
    );
    Ok(ingested)
}

/// Audits the Hub cache at `hub_dir` (for `add --hf-cache [DIR]`; default [`default_cache_dir`])
/// and assembles one revision per cached model snapshot, each carrying the audit's findings about
/// its repo. Dataset and space repos are audited but not returned as revisions.
pub fn ingest_cache(hub_dir: &Path) -> Result<(CacheAudit, Vec<Ingested>), HubError> {
    let audit = crate::hub::audit_cache(hub_dir)?;
    let mut out = Vec::new();
    for repo in audit.repos.iter().filter(|r| r.repo_type == "model") {
        for snap in &repo.snapshots {
            out.push(ingest_cached(&audit, repo, snap)?);
        }
    }
    Ok((audit, out))
}

/// A Hub file's format: sniffed from its bytes when we hold them, else from its name (weights
/// formats by extension are a claim here; `scan`/`verify` re-sniff the fetched bytes).
fn format_of(path: &str, size: u64, bytes: Option<&[u8]>, lfs: bool) -> FileFormat {
    if let Some(b) = bytes {
        return sniff(path, &b[..b.len().min(4096)], size, None);
    }
    let lower = path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
    let ext = lower.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
    match ext {
        "safetensors" => FileFormat::Safetensors,
        "gguf" => FileFormat::Gguf,
        "bin" | "pt" | "pth" | "ckpt" if lfs => FileFormat::Pytorch,
        "pkl" | "pickle" | "joblib" | "dill" => FileFormat::Pickle,
        "onnx" => FileFormat::Onnx,
        "h5" | "keras" => FileFormat::Keras,
        "json" => sniff(path, b"{", size, None),
        _ => sniff(path, b"", size, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hub::HubFile;

    #[test]
    fn snapshot_to_ingested() {
        let readme = b"---\nlicense: apache-2.0\nbase_model: acme/base\n---\n# x\n".to_vec();
        let snap = HubSnapshot {
            repo: "acme/tiny".into(),
            commit: "c".repeat(40),
            requested_revision: "main".into(),
            card_data: Some(serde_json::json!({"license": "apache-2.0"})),
            tags: vec!["license:apache-2.0".into(), "region:us".into()],
            gated: None,
            last_modified: None,
            files: vec![
                HubFile {
                    path: "README.md".into(),
                    size: readme.len() as u64,
                    git_oid: crate::hashing::git_blob_id(&readme).into_string(),
                    sha256: None,
                    lfs: false,
                },
                HubFile {
                    path: "model.safetensors".into(),
                    size: 10,
                    git_oid: "a".repeat(40),
                    sha256: Some("b".repeat(64)),
                    lfs: true,
                },
            ],
            small_files: vec![("README.md".into(), readme.clone())],
        };
        let mut snap = snap;
        let mit = "MIT License\n\nCopyright (c) 2026 Acme\n\nPermission is hereby granted, free of charge, to any person obtaining a copy\nof this software and associated documentation files (the \"Software\"), to deal\nin the Software without restriction, including without limitation the rights\nto use, copy, modify, merge, publish, distribute, sublicense, and/or sell\ncopies of the Software, and to permit persons to whom the Software is\nfurnished to do so, subject to the following conditions:\n\nThe above copyright notice and this permission notice shall be included in all\ncopies or substantial portions of the Software.\n\nTHE SOFTWARE IS PROVIDED \"AS IS\", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR\nIMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,\nFITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE\nAUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER\nLIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,\nOUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE\nSOFTWARE.\n";
        snap.files.insert(
            0,
            HubFile {
                path: "LICENSE".into(),
                size: mit.len() as u64,
                git_oid: crate::hashing::git_blob_id(mit.as_bytes()).into_string(),
                sha256: None,
                lfs: false,
            },
        );
        snap.small_files
            .push(("LICENSE".into(), mit.as_bytes().to_vec()));
        let i = ingest_snapshot(&snap, "https://huggingface.co", None);
        assert_eq!(i.files[0].format, "license");
        let i = {
            let mut i = i;
            i.files.remove(0);
            i
        };
        assert_eq!(i.name, "acme/tiny");
        assert_eq!(i.revision, "c".repeat(40));
        assert_eq!(i.source.kind, "hub");
        assert_eq!(i.source.location, "hf:acme/tiny");
        assert_eq!(i.files[0].format, "readme");
        assert_eq!(
            i.files[0].sha256.as_deref(),
            Some(crate::hashing::sha256_hex(&readme).as_str())
        );
        assert_eq!(i.files[1].format, "safetensors");
        assert_eq!(i.files[1].sha256.as_deref(), Some("b".repeat(64).as_str()));
        assert_eq!(i.base_models[0].name, "acme/base");
        let froms: Vec<&str> = i.license_claims.iter().map(|c| c.from.as_str()).collect();
        assert_eq!(
            froms,
            vec!["card:license", "tag:license:apache-2.0", "file:LICENSE"]
        );
        let detected = i.license_claims.last().unwrap();
        assert_eq!(detected.value, "MIT");
        assert_eq!(detected.kind, ClaimKind::Detected);
        assert!(i.findings.is_empty(), "{:?}", i.findings);
    }
}
