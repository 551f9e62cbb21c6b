//! The upstream observations (migration 4): what `outdated` saw each time it asked the Hub again
//! about a Hub-pinned revision. Storage only: comparing is the use-case layer's.

use super::{Catalogue, CatalogueError, Result, RevisionRef, now, registry};

/// One stored observation.
#[derive(Debug, Clone, PartialEq)]
pub struct ObservationRow {
    pub observed_at: String,
    pub ref_name: Option<String>,
    pub head: Option<String>,
    /// `current` or `drift`.
    pub status: String,
    pub detail: serde_json::Value,
}

/// How many observations of a revision its record lists.
const RECENT: i64 = 20;

impl Catalogue {
    /// Records one observation of a revision's upstream, with its event (`outdated`), in one
    /// transaction; returns the time it was recorded at.
    pub async fn record_observation(
        &self,
        rev: &RevisionRef,
        ref_name: Option<&str>,
        head: Option<&str>,
        status: &str,
        detail: &serde_json::Value,
    ) -> Result<String> {
        let at = now();
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO upstream_observations (revision_id, observed_at, ref_name, head, status, detail)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(rev.key)
        .bind(&at)
        .bind(ref_name.map(str::to_string))
        .bind(head.map(str::to_string))
        .bind(status)
        .bind(detail.to_string())
        .execute(&mut *tx)
        .await?;
        registry::log_event(
            &mut tx,
            self.actor(),
            "outdated",
            Some((rev.name.as_str(), rev.revision.as_str())),
            serde_json::json!({ "status": status, "ref": ref_name, "head": head }),
        )
        .await?;
        tx.commit().await?;
        Ok(at)
    }

    /// The newest observations of a revision, newest first.
    pub async fn observations(&self, rev: &RevisionRef) -> Result<Vec<ObservationRow>> {
        type Row = (String, Option<String>, Option<String>, String, String);
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT observed_at, ref_name, head, status, detail FROM upstream_observations
             WHERE revision_id = $1 ORDER BY id DESC LIMIT $2",
        )
        .bind(rev.key)
        .bind(RECENT)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|(observed_at, ref_name, head, status, detail)| {
                Ok(ObservationRow {
                    detail: serde_json::from_str(&detail).map_err(|source| {
                        CatalogueError::Corrupt {
                            what: format!("an upstream observation of {}", rev.id()),
                            source,
                        }
                    })?,
                    observed_at,
                    ref_name,
                    head,
                    status,
                })
            })
            .collect()
    }
}
