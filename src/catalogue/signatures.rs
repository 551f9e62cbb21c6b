//! The signature rows: the `model.sig` `add` found for a revision (migration 3). Storage only:
//! checking a signature is the signing module's, deciding what it means the policy's.

use super::{Catalogue, CatalogueError, Result, RevisionRef, now};
use crate::record::SignatureSection;
use sqlx::Row;

impl Catalogue {
    /// Records (or replaces) the signature found for a revision.
    pub async fn save_signature(
        &self,
        rev: &RevisionRef,
        section: &SignatureSection,
    ) -> Result<()> {
        let json = serde_json::to_string(section).map_err(|source| CatalogueError::Corrupt {
            what: format!("the signature of {}", rev.id()),
            source,
        })?;
        let signer = section.signer.as_ref();
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM signatures WHERE revision_id = $1")
            .bind(rev.key)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO signatures (revision_id, path, signer_kind, fingerprint, section, recorded_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(rev.key)
        .bind(&section.path)
        .bind(signer.map(|s| s.kind.clone()))
        .bind(signer.and_then(|s| s.fingerprint.clone().or_else(|| s.key_hint.clone())))
        .bind(json)
        .bind(now())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The signature recorded for a revision, if any.
    pub async fn signature(&self, rev: &RevisionRef) -> Result<Option<SignatureSection>> {
        let row = sqlx::query("SELECT section FROM signatures WHERE revision_id = $1")
            .bind(rev.key)
            .fetch_optional(&self.pool)
            .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let text: String = row.try_get("section")?;
        serde_json::from_str(&text)
            .map(Some)
            .map_err(|source| CatalogueError::Corrupt {
                what: format!("the signature of {}", rev.id()),
                source,
            })
    }
}
