//! The registry's rows: API tokens, approvals and the append-only event log.
//!
//! Like the rest of the catalogue this stores and loads rows; deciding what a token may do or
//! whether an approval satisfies a policy is the use-case layer's. Every write here records its
//! event in the same transaction as the change.

use super::{Catalogue, CatalogueError, Result, RevisionRef, now};
use crate::record::Role;
use sqlx::any::AnyRow;
use sqlx::{AssertSqlSafe, Row};

/// A stored API token (never its secret: only the SHA-256 of it is kept).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TokenRow {
    pub name: String,
    pub role: Role,
    pub created_at: String,
    pub created_by: String,
    /// The last day (UTC, `YYYY-MM-DD`) on which the token is accepted.
    pub expires_on: Option<String>,
    pub revoked_at: Option<String>,
}

/// One recorded decision: a revision meets a criterion.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ApprovalRow {
    pub model: String,
    pub revision: String,
    pub criterion: String,
    pub approved_by: String,
    pub approved_at: String,
    pub note: Option<String>,
    /// The last day (UTC, `YYYY-MM-DD`) on which the approval holds.
    pub expires_on: Option<String>,
    pub revoked_at: Option<String>,
    pub revoked_by: Option<String>,
    pub revoke_note: Option<String>,
    /// False for a decision that a newer one for the same revision and criterion replaced.
    pub current: bool,
}

/// One entry of the event log.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct EventRow {
    pub id: i64,
    pub at: String,
    pub actor: String,
    /// `add`, `verify`, `smoke`, `classify`, `audit`, `approve`, `revoke`, `remove`,
    /// `token-create`, `token-revoke`.
    pub action: String,
    pub model: Option<String>,
    pub revision: Option<String>,
    /// What changed, as the action describes it.
    pub detail: serde_json::Value,
}

/// Which events to load: newest first, optionally of one model, older than an id (paging).
#[derive(Debug, Clone, Default)]
pub struct EventQuery {
    pub model: Option<String>,
    pub before: Option<i64>,
    pub limit: i64,
}

/// A new approval, as the caller asks for it.
#[derive(Debug, Clone)]
pub struct NewApproval<'a> {
    pub criterion: &'a str,
    pub note: Option<&'a str>,
    pub expires_on: Option<&'a str>,
}

/// Today's date in UTC, as `YYYY-MM-DD` (what `expires_on` is compared with).
pub fn today() -> String {
    chrono::Utc::now().date_naive().to_string()
}

/// Whether a last-valid day has passed.
pub fn expired(expires_on: Option<&str>, today: &str) -> bool {
    expires_on.is_some_and(|d| d < today)
}

/// Appends an event inside the transaction of the change it describes.
pub(super) async fn log_event(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    actor: &str,
    action: &str,
    rev: Option<(&str, &str)>,
    detail: serde_json::Value,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO events (at, actor, action, model, revision, detail) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(now())
    .bind(actor)
    .bind(action)
    .bind(rev.map(|r| r.0.to_string()))
    .bind(rev.map(|r| r.1.to_string()))
    .bind(detail.to_string())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}

fn token_from_row(r: &AnyRow) -> Result<TokenRow> {
    let role: String = r.get(1);
    Ok(TokenRow {
        name: r.get(0),
        role: Role::parse(&role).ok_or_else(|| CatalogueError::UnknownValue {
            what: "token role",
            value: role.clone(),
        })?,
        created_at: r.get(2),
        created_by: r.get(3),
        expires_on: r.get(4),
        revoked_at: r.get(5),
    })
}

const APPROVAL_COLUMNS: &str =
    "m.name, r.revision, a.criterion, a.approved_by, a.approved_at, a.note,
     a.expires_on, a.revoked_at, a.revoked_by, a.revoke_note, a.current
     FROM approvals a JOIN revisions r ON r.id = a.revision_id JOIN models m ON m.id = r.model_id";

fn approval_from_row(r: &AnyRow) -> ApprovalRow {
    let current: i64 = r.get(10);
    ApprovalRow {
        model: r.get(0),
        revision: r.get(1),
        criterion: r.get(2),
        approved_by: r.get(3),
        approved_at: r.get(4),
        note: r.get(5),
        expires_on: r.get(6),
        revoked_at: r.get(7),
        revoked_by: r.get(8),
        revoke_note: r.get(9),
        current: current != 0,
    }
}

impl Catalogue {
    /// Stores a new token under `name` (unique among live tokens) by the SHA-256 of its secret.
    pub async fn create_token(
        &self,
        name: &str,
        role: Role,
        sha256: &str,
        expires_on: Option<&str>,
    ) -> Result<TokenRow> {
        let mut tx = self.begin_write().await?;
        let at = now();
        let inserted = sqlx::query(
            "INSERT INTO tokens (name, role, sha256, created_at, created_by, expires_on) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(name)
        .bind(role.as_str())
        .bind(sha256)
        .bind(&at)
        .bind(self.actor())
        .bind(expires_on.map(str::to_string))
        .execute(&mut *tx)
        .await;
        match inserted {
            Err(e) if is_unique_violation(&e) => {
                return Err(CatalogueError::Conflict(format!(
                    "a live token named `{name}` exists; revoke it first (`modelvet token revoke {name}`)"
                )));
            }
            other => other?,
        };
        log_event(
            &mut tx,
            self.actor(),
            "token-create",
            None,
            serde_json::json!({"name": name, "role": role.as_str(), "expires_on": expires_on}),
        )
        .await?;
        tx.commit().await?;
        Ok(TokenRow {
            name: name.to_string(),
            role,
            created_at: at,
            created_by: self.actor().to_string(),
            expires_on: expires_on.map(str::to_string),
            revoked_at: None,
        })
    }

    /// Every token, live and revoked, oldest first.
    pub async fn tokens(&self) -> Result<Vec<TokenRow>> {
        let rows = sqlx::query(
            "SELECT name, role, created_at, created_by, expires_on, revoked_at FROM tokens ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(token_from_row).collect()
    }

    /// The token whose secret has this SHA-256, live or not.
    pub async fn token_by_digest(&self, sha256: &str) -> Result<Option<(TokenRow, String)>> {
        let row = sqlx::query(
            "SELECT name, role, created_at, created_by, expires_on, revoked_at, sha256 FROM tokens WHERE sha256 = $1",
        )
        .bind(sha256)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| Ok((token_from_row(&r)?, r.get::<String, _>(6))))
            .transpose()
    }

    /// Revokes the live token called `name`.
    pub async fn revoke_token(&self, name: &str) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let done =
            sqlx::query("UPDATE tokens SET revoked_at = $1 WHERE name = $2 AND revoked_at IS NULL")
                .bind(now())
                .bind(name)
                .execute(&mut *tx)
                .await?;
        if done.rows_affected() == 0 {
            return Err(CatalogueError::Missing(format!(
                "no live token is named `{name}`"
            )));
        }
        log_event(
            &mut tx,
            self.actor(),
            "token-revoke",
            None,
            serde_json::json!({"name": name}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records that `rev` meets a criterion. A revision has at most one current decision per
    /// criterion: approving again while one is live is a conflict (two concurrent approvals: one
    /// wins); a revoked or expired one is kept as history and replaced.
    pub async fn approve(&self, rev: &RevisionRef, new: &NewApproval<'_>) -> Result<ApprovalRow> {
        let mut tx = self.begin_write().await?;
        let existing = sqlx::query(
            "SELECT id, approved_by, approved_at, expires_on, revoked_at FROM approvals
             WHERE revision_id = $1 AND criterion = $2 AND current = 1",
        )
        .bind(rev.key)
        .bind(new.criterion)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(row) = existing {
            let expires_on: Option<String> = row.get(3);
            let revoked_at: Option<String> = row.get(4);
            if revoked_at.is_none() && !expired(expires_on.as_deref(), &today()) {
                let by: String = row.get(1);
                let at: String = row.get(2);
                return Err(CatalogueError::Conflict(format!(
                    "`{}` already has a live `{}` approval (by {by} at {at}); revoke it first to decide again",
                    rev.id(),
                    new.criterion
                )));
            }
            let id: i64 = row.get(0);
            sqlx::query("UPDATE approvals SET current = 0 WHERE id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        let at = now();
        let inserted = sqlx::query(
            "INSERT INTO approvals (revision_id, criterion, approved_by, approved_at, note, expires_on)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(rev.key)
        .bind(new.criterion)
        .bind(self.actor())
        .bind(&at)
        .bind(new.note.map(str::to_string))
        .bind(new.expires_on.map(str::to_string))
        .execute(&mut *tx)
        .await;
        match inserted {
            // PostgreSQL: a concurrent approval committed between our SELECT and INSERT.
            Err(e) if is_unique_violation(&e) => {
                return Err(CatalogueError::Conflict(format!(
                    "`{}` was approved for `{}` by someone else just now",
                    rev.id(),
                    new.criterion
                )));
            }
            other => other?,
        };
        log_event(
            &mut tx,
            self.actor(),
            "approve",
            Some((&rev.name, &rev.revision)),
            serde_json::json!({"criterion": new.criterion, "note": new.note, "expires_on": new.expires_on}),
        )
        .await?;
        tx.commit().await?;
        Ok(ApprovalRow {
            model: rev.name.to_string(),
            revision: rev.revision.to_string(),
            criterion: new.criterion.to_string(),
            approved_by: self.actor().to_string(),
            approved_at: at,
            note: new.note.map(str::to_string),
            expires_on: new.expires_on.map(str::to_string),
            revoked_at: None,
            revoked_by: None,
            revoke_note: None,
            current: true,
        })
    }

    /// Withdraws the live approval of `rev` for a criterion.
    pub async fn revoke_approval(
        &self,
        rev: &RevisionRef,
        criterion: &str,
        note: Option<&str>,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(
            "UPDATE approvals SET revoked_at = $1, revoked_by = $2, revoke_note = $3
             WHERE revision_id = $4 AND criterion = $5 AND current = 1 AND revoked_at IS NULL",
        )
        .bind(now())
        .bind(self.actor())
        .bind(note.map(str::to_string))
        .bind(rev.key)
        .bind(criterion)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(CatalogueError::Missing(format!(
                "`{}` has no live `{criterion}` approval to revoke",
                rev.id()
            )));
        }
        log_event(
            &mut tx,
            self.actor(),
            "revoke",
            Some((&rev.name, &rev.revision)),
            serde_json::json!({"criterion": criterion, "note": note}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Every decision about one revision, oldest first.
    pub async fn approvals_of(&self, rev: &RevisionRef) -> Result<Vec<ApprovalRow>> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {APPROVAL_COLUMNS} WHERE a.revision_id = $1 ORDER BY a.id"
        )))
        .bind(rev.key)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(approval_from_row).collect())
    }

    /// Every decision, or every decision about the model called `name`, by model and age.
    pub async fn approvals(&self, name: Option<&str>) -> Result<Vec<ApprovalRow>> {
        let rows = match name {
            Some(name) => {
                sqlx::query(AssertSqlSafe(format!(
                    "SELECT {APPROVAL_COLUMNS} WHERE m.name = $1 ORDER BY m.name, a.id"
                )))
                .bind(name)
                .fetch_all(&self.pool)
                .await?
            }
            None => {
                sqlx::query(AssertSqlSafe(format!(
                    "SELECT {APPROVAL_COLUMNS} ORDER BY m.name, a.id"
                )))
                .fetch_all(&self.pool)
                .await?
            }
        };
        Ok(rows.iter().map(approval_from_row).collect())
    }

    /// Events, newest first.
    pub async fn events(&self, q: &EventQuery) -> Result<Vec<EventRow>> {
        let mut sql =
            String::from("SELECT id, at, actor, action, model, revision, detail FROM events");
        let mut clauses = Vec::new();
        if q.model.is_some() {
            clauses.push(format!("model = ${}", clauses.len() + 1));
        }
        if q.before.is_some() {
            clauses.push(format!("id < ${}", clauses.len() + 1));
        }
        if !clauses.is_empty() {
            sql.push_str(" WHERE ");
            sql.push_str(&clauses.join(" AND "));
        }
        sql.push_str(&format!(
            " ORDER BY id DESC LIMIT {}",
            q.limit.clamp(1, 1000)
        ));
        // Only constant clauses and a clamped number are formatted in; values are bound.
        let mut query = sqlx::query(AssertSqlSafe(sql));
        if let Some(model) = &q.model {
            query = query.bind(model.clone());
        }
        if let Some(before) = q.before {
            query = query.bind(before);
        }
        let rows = query.fetch_all(&self.pool).await?;
        rows.iter()
            .map(|r| {
                let detail: String = r.get(6);
                Ok(EventRow {
                    id: r.get(0),
                    at: r.get(1),
                    actor: r.get(2),
                    action: r.get(3),
                    model: r.get(4),
                    revision: r.get(5),
                    detail: serde_json::from_str(&detail).map_err(|source| {
                        CatalogueError::Corrupt {
                            what: "event".into(),
                            source,
                        }
                    })?,
                })
            })
            .collect()
    }
}

/// A browser session, found by the SHA-256 of its cookie.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    /// The SHA-256 of the token the session logged in with.
    pub token_sha256: String,
    pub csrf: String,
    pub expires_at: String,
}

impl Catalogue {
    /// Stores a new browser session.
    pub async fn create_session(
        &self,
        sha256: &str,
        token_sha256: &str,
        csrf: &str,
        expires_at: &str,
    ) -> Result<()> {
        // Sessions that ended are dropped on the way: nothing else reads them.
        sqlx::query("DELETE FROM sessions WHERE expires_at < $1")
            .bind(now())
            .execute(&self.pool)
            .await?;
        sqlx::query(
            "INSERT INTO sessions (sha256, token_sha256, csrf, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(sha256)
        .bind(token_sha256)
        .bind(csrf)
        .bind(now())
        .bind(expires_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The session whose cookie has this SHA-256, if it has not ended.
    pub async fn session(&self, sha256: &str) -> Result<Option<SessionRow>> {
        let row = sqlx::query(
            "SELECT token_sha256, csrf, expires_at FROM sessions WHERE sha256 = $1 AND expires_at >= $2",
        )
        .bind(sha256)
        .bind(now())
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| SessionRow {
            token_sha256: r.get(0),
            csrf: r.get(1),
            expires_at: r.get(2),
        }))
    }

    /// Ends a session (logout).
    pub async fn end_session(&self, sha256: &str) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE sha256 = $1")
            .bind(sha256)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
