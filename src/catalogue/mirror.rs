//! What the Hub mirror reads: a model's revisions newest first with their source, and a
//! revision's card. Files come from [`Catalogue::files`].

use super::{Catalogue, Result, RevisionRef, parse_json};
use crate::ids::{ModelName, Revision};
use crate::record::SourceKind;
use sqlx::Row;
use sqlx::any::AnyRow;

/// One revision as the mirror sees it.
#[derive(Debug, Clone)]
pub struct MirrorRevision {
    pub rev: RevisionRef,
    pub added_at: String,
    pub source_kind: SourceKind,
    /// `hf:owner/name`, a path, or a MOF file.
    pub source_location: String,
    /// The Hub commit, for a Hub model.
    pub source_revision: Option<String>,
}

/// The mirror's query for revisions, with `$tail` (a `WHERE` and an order) after it.
macro_rules! mirror_revisions {
    ($tail:literal) => {
        concat!(
            "SELECT r.id, r.revision, r.added_at, r.source_kind, r.source_location, ",
            "r.source_revision, m.name FROM revisions r JOIN models m ON m.id = r.model_id ",
            $tail
        )
    };
}

fn mirror_revision(r: &AnyRow) -> Result<MirrorRevision> {
    let kind: String = r.get(3);
    Ok(MirrorRevision {
        rev: RevisionRef {
            key: r.get(0),
            name: ModelName::new(r.get::<String, _>(6)),
            revision: Revision::new(r.get::<String, _>(1)),
        },
        added_at: r.get(2),
        source_kind: SourceKind::parse(&kind)
            .ok_or(super::CatalogueError::UnknownSourceKind(kind))?,
        source_location: r.get(4),
        source_revision: r.get(5),
    })
}

impl Catalogue {
    /// Every revision of the model called exactly `name`, newest first (empty when none).
    pub async fn revisions_of(&self, name: &str) -> Result<Vec<MirrorRevision>> {
        let rows = sqlx::query(mirror_revisions!("WHERE m.name = $1 ORDER BY r.id DESC"))
            .bind(name)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(mirror_revision).collect()
    }

    /// One revision as the mirror sees it.
    pub async fn mirror_revision(&self, rev: &RevisionRef) -> Result<MirrorRevision> {
        let row = sqlx::query(mirror_revisions!("WHERE r.id = $1"))
            .bind(rev.key)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| super::CatalogueError::NotFound(rev.id().to_string()))?;
        mirror_revision(&row)
    }

    /// The card front matter recorded with a revision, as JSON.
    pub async fn card_data(&self, rev: &RevisionRef) -> Result<Option<serde_json::Value>> {
        let text: Option<String> =
            sqlx::query_scalar("SELECT card_json FROM revisions WHERE id = $1")
                .bind(rev.key)
                .fetch_one(&self.pool)
                .await?;
        parse_json("card", text)
    }
}
