//! The catalogue page's rows: one per model at its newest revision, searched, filtered, sorted
//! and paged in SQL so that a page costs the same at 100,000 models as at 10.
//!
//! The effective license and openness come from the `summaries` table, which the use-case layer
//! rewrites after each change to a revision (only it can compute them). The newest audit verdict
//! and the live approvals are read from their own tables, so they are never stale.

use super::{Catalogue, Result, RevisionRef, now};
use sqlx::{AssertSqlSafe, Row};

/// What only the record can compute, stored for the catalogue page.
#[derive(Debug, Clone, PartialEq)]
pub struct SummaryWrite {
    pub license: String,
    /// The license ids in the expression (for the license filter).
    pub license_ids: Vec<String>,
    pub openness: Option<String>,
    pub mof_class: Option<u8>,
}

/// One row of the catalogue page.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SummaryRow {
    pub id: String,
    pub name: String,
    pub revision: String,
    pub revisions: i64,
    pub added_at: String,
    /// Null until the revision was summarised (the server does that on first view).
    pub license: Option<String>,
    pub openness: Option<String>,
    pub mof_class: Option<i64>,
    /// The newest audit's status (`passed`/`failed`), if audited.
    pub verdict: Option<String>,
    /// The criteria with a live approval of this revision.
    pub approvals: Vec<String>,
    /// Recorded findings by severity: `{"high": 2, …}`.
    pub findings: std::collections::BTreeMap<String, i64>,
    #[serde(skip)]
    pub key: i64,
}

/// How the catalogue page is sorted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    #[default]
    Name,
    NameDesc,
    /// Newest revision first.
    Added,
}

impl Sort {
    /// `name`, `-name` or `added`.
    pub fn parse(s: &str) -> Option<Sort> {
        match s {
            "name" => Some(Sort::Name),
            "-name" => Some(Sort::NameDesc),
            "added" => Some(Sort::Added),
            _ => None,
        }
    }

    /// The spelling in URLs.
    pub fn as_str(self) -> &'static str {
        match self {
            Sort::Name => "name",
            Sort::NameDesc => "-name",
            Sort::Added => "added",
        }
    }
}

/// A search of the catalogue page. Every filter is optional.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    /// A substring of the name.
    pub q: Option<String>,
    /// A license id that the effective expression contains.
    pub license: Option<String>,
    /// `passed`, `failed` or `none` (never audited).
    pub verdict: Option<String>,
    /// An openness class.
    pub openness: Option<String>,
    /// A criterion with a live approval.
    pub approved: Option<String>,
    pub sort: Sort,
    /// From 1.
    pub page: i64,
    pub per_page: i64,
}

/// A page of the catalogue, and how many rows match in all.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ListPage {
    pub models: Vec<SummaryRow>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

fn like_pattern(s: &str) -> String {
    let mut out = String::from("%");
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

impl Catalogue {
    /// Stores what the catalogue page shows for a revision.
    pub async fn write_summary(&self, rev: &RevisionRef, s: &SummaryWrite) -> Result<()> {
        let ids = format!(" {} ", s.license_ids.join(" "));
        sqlx::query(
            "INSERT INTO summaries (revision_id, license, license_ids, openness, mof_class, computed_at)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (revision_id) DO UPDATE SET license = excluded.license,
               license_ids = excluded.license_ids, openness = excluded.openness,
               mof_class = excluded.mof_class, computed_at = excluded.computed_at",
        )
        .bind(rev.key)
        .bind(&s.license)
        .bind(ids)
        .bind(s.openness.clone())
        .bind(s.mof_class.map(i64::from))
        .bind(now())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// One page of the catalogue: models at their newest revision, filtered and sorted.
    pub async fn list_page(&self, q: &ListQuery) -> Result<ListPage> {
        let per_page = q.per_page.clamp(1, 200);
        let page = q.page.max(1);
        let mut clauses: Vec<String> = Vec::new();
        let mut binds: Vec<String> = Vec::new();
        let bind = |value: String, binds: &mut Vec<String>| {
            binds.push(value);
            format!("${}", binds.len())
        };
        if let Some(text) = q.q.as_deref().filter(|t| !t.is_empty()) {
            let p = bind(like_pattern(text), &mut binds);
            clauses.push(format!("m.name LIKE {p} ESCAPE '\\'"));
        }
        if let Some(id) = q.license.as_deref().filter(|t| !t.is_empty()) {
            let p = bind(like_pattern(&format!(" {id} ")), &mut binds);
            clauses.push(format!("s.license_ids LIKE {p} ESCAPE '\\'"));
        }
        if let Some(o) = q.openness.as_deref().filter(|t| !t.is_empty()) {
            let p = bind(o.to_string(), &mut binds);
            clauses.push(format!("s.openness = {p}"));
        }
        let verdict = "(SELECT u.status FROM runs u WHERE u.revision_id = r.id AND u.kind = 'audit' ORDER BY u.id DESC LIMIT 1)";
        match q.verdict.as_deref().filter(|t| !t.is_empty()) {
            Some("none") => clauses.push(format!("{verdict} IS NULL")),
            Some(v) => {
                let p = bind(v.to_string(), &mut binds);
                clauses.push(format!("{verdict} = {p}"));
            }
            None => {}
        }
        if let Some(c) = q.approved.as_deref().filter(|t| !t.is_empty()) {
            let pc = bind(c.to_string(), &mut binds);
            let pt = bind(super::today(), &mut binds);
            clauses.push(format!(
                "EXISTS (SELECT 1 FROM approvals a WHERE a.revision_id = r.id AND a.criterion = {pc}
                   AND a.current = 1 AND a.revoked_at IS NULL AND (a.expires_on IS NULL OR a.expires_on >= {pt}))"
            ));
        }
        let from = "FROM models m
             JOIN revisions r ON r.id = (SELECT MAX(x.id) FROM revisions x WHERE x.model_id = m.id)
             LEFT JOIN summaries s ON s.revision_id = r.id";
        let filter = if clauses.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", clauses.join(" AND "))
        };
        let order = match q.sort {
            Sort::Name => "m.name",
            Sort::NameDesc => "m.name DESC",
            Sort::Added => "r.id DESC",
        };
        // Only constant SQL and numbers are formatted in; every value from the caller is bound.
        let count_sql = if clauses.is_empty() {
            "SELECT COUNT(*) FROM models m".to_string()
        } else {
            format!("SELECT COUNT(*) {from}{filter}")
        };
        let mut count = sqlx::query_scalar::<_, i64>(AssertSqlSafe(count_sql));
        for b in &binds {
            count = count.bind(b.clone());
        }
        let total = count.fetch_one(&self.pool).await?;
        // First the page's model ids: without filters an index-only walk of the names, so that a
        // deep page costs no more than the first; then the details of those rows only.
        let offset = (page - 1) * per_page;
        let keys_sql = if clauses.is_empty() && q.sort != Sort::Added {
            format!("SELECT m.id FROM models m ORDER BY {order} LIMIT {per_page} OFFSET {offset}")
        } else {
            format!("SELECT m.id {from}{filter} ORDER BY {order} LIMIT {per_page} OFFSET {offset}")
        };
        let mut keys_query = sqlx::query_scalar::<_, i64>(AssertSqlSafe(keys_sql));
        for b in &binds {
            keys_query = keys_query.bind(b.clone());
        }
        let ids = keys_query.fetch_all(&self.pool).await?;
        if ids.is_empty() {
            return Ok(ListPage {
                models: Vec::new(),
                total,
                page,
                per_page,
            });
        }
        let list = ids
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT m.name, r.revision, r.added_at,
                    (SELECT COUNT(*) FROM revisions y WHERE y.model_id = m.id),
                    s.license, s.openness, s.mof_class, {verdict}, r.id, m.id
             {from} WHERE m.id IN ({list})"
        );
        let rows = sqlx::query(AssertSqlSafe(sql))
            .fetch_all(&self.pool)
            .await?;
        let mut rows: Vec<&sqlx::any::AnyRow> = rows.iter().collect();
        rows.sort_by_key(|r| {
            let id: i64 = r.get(9);
            ids.iter().position(|k| *k == id)
        });
        let mut models: Vec<SummaryRow> = rows
            .iter()
            .map(|r| {
                let name: String = r.get(0);
                let revision: String = r.get(1);
                SummaryRow {
                    id: format!("{name}@{revision}"),
                    name,
                    revision,
                    added_at: r.get(2),
                    revisions: r.get(3),
                    license: r.get(4),
                    openness: r.get(5),
                    mof_class: r.get(6),
                    verdict: r.get(7),
                    approvals: Vec::new(),
                    findings: Default::default(),
                    key: r.get(8),
                }
            })
            .collect();
        self.fill_page_details(&mut models).await?;
        Ok(ListPage {
            models,
            total,
            page,
            per_page,
        })
    }

    /// Live approvals and finding counts of a page's rows (one query each for the whole page).
    async fn fill_page_details(&self, rows: &mut [SummaryRow]) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let keys: Vec<String> = rows.iter().map(|r| r.key.to_string()).collect();
        let list = keys.join(", ");
        let approvals = sqlx::query(AssertSqlSafe(format!(
            "SELECT revision_id, criterion FROM approvals
             WHERE revision_id IN ({list}) AND current = 1 AND revoked_at IS NULL
               AND (expires_on IS NULL OR expires_on >= $1) ORDER BY criterion"
        )))
        .bind(super::today())
        .fetch_all(&self.pool)
        .await?;
        let findings = sqlx::query(AssertSqlSafe(format!(
            "SELECT revision_id, severity, COUNT(*) FROM findings WHERE revision_id IN ({list})
             GROUP BY revision_id, severity"
        )))
        .fetch_all(&self.pool)
        .await?;
        for row in rows.iter_mut() {
            for a in approvals.iter().filter(|a| a.get::<i64, _>(0) == row.key) {
                row.approvals.push(a.get(1));
            }
            for f in findings.iter().filter(|f| f.get::<i64, _>(0) == row.key) {
                row.findings.insert(f.get(1), f.get(2));
            }
        }
        Ok(())
    }

    /// Newest revisions that have no summary yet (added before the server ran, or by an older
    /// modelvet), at most `limit`.
    pub async fn unsummarised(&self, limit: i64) -> Result<Vec<RevisionRef>> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT r.id, m.name, r.revision FROM models m
             JOIN revisions r ON r.id = (SELECT MAX(x.id) FROM revisions x WHERE x.model_id = m.id)
             LEFT JOIN summaries s ON s.revision_id = r.id
             WHERE s.revision_id IS NULL LIMIT {}",
            limit.clamp(1, 10_000)
        )))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| RevisionRef {
                key: r.get(0),
                name: r.get::<String, _>(1).into(),
                revision: r.get::<String, _>(2).into(),
            })
            .collect())
    }
}

impl Catalogue {
    /// A number that grows with every write (the newest event's id): what caches compare.
    pub async fn change_mark(&self) -> Result<i64> {
        let mark: Option<i64> = sqlx::query_scalar("SELECT MAX(id) FROM events")
            .fetch_one(&self.pool)
            .await?;
        Ok(mark.unwrap_or(0))
    }

    /// How many models the catalogue holds.
    pub async fn model_count(&self) -> Result<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM models")
            .fetch_one(&self.pool)
            .await?)
    }
}
