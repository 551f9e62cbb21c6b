//! Lineage across the catalogue, as a use case: where else this revision's weights are recorded
//! (identical files, shared tensors, both looked up by digest), and whether the same weights are
//! recorded under another license than they first were, or than their declared base's.

use super::VetError;
use super::record::effective_license;
use crate::catalogue::{Catalogue, RevisionRef, WEIGHT_FORMATS};
use crate::finding::Finding;
use crate::ids::{LicenseExpr, ModelName};
use crate::lineage::LineageCode;
use crate::record::{FileRecord, IdenticalFile, LineageSection, SharedTensors};
use std::collections::{BTreeMap, BTreeSet};

/// What [`lineage_of`] found: the section, and `weights-identical-license-differs` findings.
pub(super) struct Lineage {
    pub section: LineageSection,
    pub findings: Vec<Finding>,
}

/// The lineage of `rev` (whose files are `files`, effective license `own`, declared bases
/// `bases`).
pub(super) async fn lineage_of(
    catalogue: &Catalogue,
    rev: &RevisionRef,
    files: &[FileRecord],
    own: &LicenseExpr,
    bases: &[ModelName],
) -> Result<Lineage, VetError> {
    let identical = catalogue.identical_files(rev).await?;
    let shared = catalogue.shared_tensors(rev).await?;
    let (all, common) = catalogue.distinct_tensor_digests(rev).await?;
    // Digests too common to say anything (constant tensors) are not counted on either side.
    let distinct = (all - common) as u64;
    let section = LineageSection {
        tensors: catalogue.tensor_count(rev).await? as u64,
        common_tensors: common as u64,
        identical_files: identical
            .iter()
            .map(|m| IdenticalFile {
                path: m.path.clone(),
                sha256: m.sha256.clone(),
                other: m.other.id(),
                other_path: m.other_path.clone(),
            })
            .collect(),
        shared_tensors: shared
            .iter()
            .map(|m| SharedTensors {
                other: m.other.id(),
                shared: m.shared as u64,
                of: distinct,
                other_tensors: m.other_total as u64,
            })
            .collect(),
    };

    // The same weights: every weights file of this revision is in the other byte for byte, or
    // every one of its tensors is.
    let weights: BTreeSet<&str> = files
        .iter()
        .filter(|f| f.size > 0 && WEIGHT_FORMATS.contains(&f.format.as_str()))
        .map(|f| f.path.as_str())
        .collect();
    let mut held: BTreeMap<i64, (RevisionRef, BTreeSet<&str>)> = BTreeMap::new();
    for m in &identical {
        held.entry(m.other.key)
            .or_insert_with(|| (m.other.clone(), BTreeSet::new()))
            .1
            .insert(m.path.as_str());
    }
    let mut same: BTreeMap<i64, RevisionRef> = BTreeMap::new();
    for (key, (other, paths)) in held {
        if !weights.is_empty() && paths == weights {
            same.insert(key, other);
        }
    }
    for m in &shared {
        if distinct > 0 && m.shared as u64 == distinct {
            same.insert(m.other.key, m.other.clone());
        }
    }

    let mut findings = Vec::new();
    let mut reported = BTreeSet::new();
    let mut differs = |other: &RevisionRef, theirs: &LicenseExpr, why: &str| {
        if !reported.insert(other.key) {
            return;
        }
        findings.push(
            Finding::new(
                &LineageCode::WeightsIdenticalLicenseDiffers,
                format!(
                    "the weights are those of {} ({why}, under `{theirs}`), but here they are recorded under `{own}`",
                    other.id()
                ),
            )
            .with_evidence(other.id().to_string()),
        );
    };
    // The first recording of these weights: the oldest revision holding them, recorded before
    // this one, that is not derived from this one (a copy that names this model as its base and
    // was recorded first does not make the original the re-upload).
    for first in same.values().filter(|o| o.key < rev.key) {
        let derived = catalogue
            .base_models(first.key)
            .await?
            .iter()
            .any(|b| b.name == rev.name);
        if derived {
            continue;
        }
        let theirs = effective_license(catalogue, first).await?;
        if !same_terms(&theirs, own) {
            differs(first, &theirs, "first recorded");
        }
        break;
    }
    for base in bases {
        if let Some(other) = same.values().find(|o| o.name == *base) {
            let theirs = effective_license(catalogue, other).await?;
            if !same_terms(&theirs, own) {
                differs(other, &theirs, "the declared base model");
            }
        }
    }
    Ok(Lineage { section, findings })
}

/// Whether two effective expressions state the same terms (the same SPDX requirements).
fn same_terms(a: &LicenseExpr, b: &LicenseExpr) -> bool {
    let ids = |e: &LicenseExpr| -> Option<BTreeSet<String>> {
        let parsed = spdx::Expression::parse_mode(e.as_str(), spdx::ParseMode::LAX).ok()?;
        Some(parsed.requirements().map(|r| r.req.to_string()).collect())
    };
    match (ids(a), ids(b)) {
        (Some(x), Some(y)) => x == y,
        _ => a.as_str().trim() == b.as_str().trim(),
    }
}

/// What `lineage MODEL` prints: the section and the license findings, for one revision.
#[derive(Debug, Clone, serde::Serialize)]
pub struct LineageReport {
    pub id: crate::ids::ModelId,
    /// The revision's effective license, which the matches are compared with.
    pub license: LicenseExpr,
    #[serde(flatten)]
    pub lineage: LineageSection,
    pub findings: Vec<Finding>,
}

/// The lineage of `spec` (NAME, NAME@REV or a unique prefix).
pub async fn lineage(catalogue: &Catalogue, spec: &str) -> Result<LineageReport, VetError> {
    let rev = catalogue.resolve(spec).await?;
    let files = catalogue.files(&rev).await?;
    let bases: Vec<ModelName> = catalogue
        .base_models(rev.key)
        .await?
        .into_iter()
        .map(|b| b.name)
        .collect();
    let license = effective_license(catalogue, &rev).await?;
    let found = lineage_of(catalogue, &rev, &files, &license, &bases).await?;
    Ok(LineageReport {
        id: rev.id(),
        license,
        lineage: found.section,
        findings: found.findings,
    })
}
