//! A model's record, assembled in one place: the stored rows, the license resolved with its
//! base models' terms, and openness classified. `show`, `report`, `audit`, `classify` and the
//! server all read a model through here.

use super::VetError;
use crate::catalogue::{Catalogue, RevisionRef};
use crate::ids::LicenseExpr;
use crate::record::{BaseLicense, BaseModelRef, ModelRecord, RECORD_SCHEMA};
use std::future::Future;
use std::pin::Pin;

/// How deep base models are followed; deeper links (and cycles) contribute nothing.
const MAX_BASE_DEPTH: usize = 8;

/// The record of `spec` (NAME, NAME@REV or a unique prefix), with everything computed on read.
pub async fn record(catalogue: &Catalogue, spec: &str) -> Result<ModelRecord, VetError> {
    let rev = catalogue.resolve(spec).await?;
    record_of(catalogue, &rev).await
}

/// The record of a resolved revision, with everything computed on read.
pub async fn record_of(catalogue: &Catalogue, rev: &RevisionRef) -> Result<ModelRecord, VetError> {
    assemble(catalogue, rev, false).await
}

/// Assembles a record: the only place that does. `strict` selects the strict MOF evaluation as
/// the headline class (`classify --strict`).
pub(super) async fn assemble(
    catalogue: &Catalogue,
    rev: &RevisionRef,
    strict: bool,
) -> Result<ModelRecord, VetError> {
    let stored = catalogue.stored(rev).await?;
    let chain = base_chain(catalogue, rev.key, &stored.base_models, 0).await?;
    let (license, license_findings) = crate::license::section(&rev.name, &stored.claims, &chain);
    let mut findings = stored.findings;
    findings.extend(license_findings);
    let bases: Vec<_> = stored.base_models.iter().map(|b| b.name.clone()).collect();
    let lineage =
        super::lineage::lineage_of(catalogue, rev, &stored.files, &license.effective, &bases)
            .await?;
    findings.extend(lineage.findings);
    let has_lineage = lineage.section.tensors > 0
        || !lineage.section.identical_files.is_empty()
        || !lineage.section.shared_tensors.is_empty();
    let mut record = ModelRecord {
        schema: RECORD_SCHEMA,
        id: rev.id(),
        name: rev.name.clone(),
        revision: rev.revision.clone(),
        revisions: stored.revisions,
        source: stored.source,
        files: stored.files,
        license,
        openness: None,
        findings,
        smoke: stored.smoke,
        card: stored.card,
        config: stored.config,
        base_models: stored.base_models,
        signature: catalogue.signature(rev).await?,
        lineage: has_lineage.then_some(lineage.section),
        upstream: super::drift::observations(catalogue, rev).await?,
    };
    // Openness is computed on read, so it follows the folder's modelvet.yaml and license changes.
    let sidecar = crate::openness::sidecar_for_record(&record)?;
    record.openness = Some(crate::openness::section_for_record(
        &record,
        stored.components,
        sidecar.as_ref(),
        &crate::openness::KbFacts,
        strict,
    ));
    Ok(record)
}

/// The effective license of another revision: its own claims with its bases' terms (the same
/// resolution as its record's, without the rest of the record).
pub(super) async fn effective_license(
    catalogue: &Catalogue,
    rev: &RevisionRef,
) -> Result<LicenseExpr, VetError> {
    let claims = catalogue.license_claims(rev).await?;
    let bases = catalogue.base_models(rev.key).await?;
    let chain = base_chain(catalogue, rev.key, &bases, 0).await?;
    Ok(crate::license::section(&rev.name, &claims, &chain)
        .0
        .effective)
}

type ChainFuture<'a> =
    Pin<Box<dyn Future<Output = Result<Vec<BaseLicense>, VetError>> + Send + 'a>>;

/// One link per base model the card names, each with its effective license: the base's own
/// claims resolved and its own bases inherited (recursively). A base not in the catalogue, or the
/// revision itself, is a link of unknown license that contributes no terms.
fn base_chain<'a>(
    catalogue: &'a Catalogue,
    key: i64,
    bases: &'a [BaseModelRef],
    depth: usize,
) -> ChainFuture<'a> {
    Box::pin(async move {
        let mut chain = Vec::new();
        if depth >= MAX_BASE_DEPTH {
            return Ok(chain);
        }
        for b in bases {
            let mut link = BaseLicense {
                name: b.name.clone(),
                relation: b.relation,
                effective: LicenseExpr::noassertion(),
                recorded: false,
            };
            if let Some(base_rev) = catalogue.resolve_exact(&b.name).await?
                && base_rev.key != key
            {
                let claims = catalogue.license_claims(&base_rev).await?;
                let its_bases = catalogue.base_models(base_rev.key).await?;
                let its_chain = base_chain(catalogue, base_rev.key, &its_bases, depth + 1).await?;
                link.effective = crate::license::section(&b.name, &claims, &its_chain)
                    .0
                    .effective;
                link.recorded = true;
            }
            chain.push(link);
        }
        Ok(chain)
    })
}

/// Rewrites what the catalogue page shows for a revision (its effective license and openness),
/// from its record. Called after every change to a revision; the server also fills in revisions
/// that have none.
pub async fn summarise(catalogue: &Catalogue, rev: &RevisionRef) -> Result<(), VetError> {
    let record = record_of(catalogue, rev).await?;
    catalogue.write_summary(rev, &summary_of(&record)).await?;
    Ok(())
}

/// What the catalogue page stores of a record.
pub fn summary_of(record: &ModelRecord) -> crate::catalogue::SummaryWrite {
    let mut ids: Vec<String> =
        spdx::Expression::parse_mode(&record.license.effective, spdx::ParseMode::LAX)
            .map(|e| {
                e.requirements()
                    .map(|r| r.req.license.to_string())
                    .collect()
            })
            .unwrap_or_default();
    ids.sort();
    ids.dedup();
    crate::catalogue::SummaryWrite {
        license: record.license.effective.to_string(),
        license_ids: ids,
        openness: record
            .openness
            .as_ref()
            .map(|o| o.class.as_str().to_string()),
        mof_class: record.openness.as_ref().map(|o| o.mof.class.0),
    }
}

/// The document every report format is rendered from: the record with its newest verify and
/// audit runs.
pub async fn report_document(
    catalogue: &Catalogue,
    rev: &RevisionRef,
    generated_at: &str,
) -> Result<crate::report::ReportDocument, VetError> {
    let record = record_of(catalogue, rev).await?;
    let verify = catalogue.latest_run(rev, "verify").await?;
    let audit = catalogue.latest_run(rev, "audit").await?;
    Ok(crate::report::build_document(
        record,
        verify.as_ref(),
        audit.as_ref(),
        generated_at,
    ))
}
