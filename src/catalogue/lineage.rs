//! The lineage rows (migration 4): every tensor's digest per revision, and the lookups by digest
//! that find the same weights elsewhere in the catalogue. Storage only: what a match means (the
//! same weights under another license) is the use-case layer's.

use super::{Catalogue, Result, RevisionRef};
use crate::ids::{ModelName, Revision, Sha256};
use crate::record::FileTensors;
use sqlx::{AssertSqlSafe, Row};

/// Tensor rows per INSERT statement (7 parameters each; well under every backend's limit).
const ROWS_PER_INSERT: usize = 100;
/// The most matches one lookup returns: a digest that half the catalogue shares says little more
/// about the other half.
const MAX_MATCHES: i64 = 200;

/// A tensor digest that more revisions than this hold (a constant tensor, zeros say) tells
/// nothing about lineage: it is left out of the tally, which keeps the lookup bounded.
pub const COMMON_DIGEST: i64 = 1000;

/// The condition that `t.sha256` is not a [`COMMON_DIGEST`] (an index scan of at most that many
/// rows and one more).
const NOT_COMMON: &str =
    "(SELECT COUNT(*) FROM (SELECT 1 FROM tensors c WHERE c.sha256 = t.sha256 LIMIT $3) x) <= $4";

/// The formats whose files are weights: a byte-identical one of these is the same weights.
pub const WEIGHT_FORMATS: &[&str] = &["safetensors", "gguf", "pytorch", "pickle", "onnx", "keras"];

/// A weights file of a revision that another revision also holds, byte for byte.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileMatch {
    pub path: String,
    pub sha256: Sha256,
    pub other: RevisionRef,
    pub other_path: String,
    pub other_added_at: String,
}

/// Another revision holding some of a revision's tensors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TensorMatch {
    pub other: RevisionRef,
    pub other_added_at: String,
    /// How many of this revision's tensors the other also holds (by digest).
    pub shared: i64,
    /// How many tensors the other revision has.
    pub other_total: i64,
}

/// Inserts a revision's tensor digests, inside the transaction that records the revision.
pub(super) async fn insert_tensors(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    key: i64,
    files: &[FileTensors],
) -> Result<()> {
    let rows: Vec<(&str, usize, &crate::record::TensorDigest)> = files
        .iter()
        .flat_map(|f| {
            f.tensors
                .iter()
                .enumerate()
                .map(move |(i, t)| (f.path.as_str(), i, t))
        })
        .collect();
    for batch in rows.chunks(ROWS_PER_INSERT) {
        let values: Vec<String> = (0..batch.len())
            .map(|i| {
                let p = i * 7;
                format!(
                    "(${}, ${}, ${}, ${}, ${}, ${}, ${})",
                    p + 1,
                    p + 2,
                    p + 3,
                    p + 4,
                    p + 5,
                    p + 6,
                    p + 7
                )
            })
            .collect();
        let sql = format!(
            "INSERT INTO tensors (revision_id, path, position, name, dtype, shape, sha256) VALUES {}",
            values.join(", ")
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for (path, i, t) in batch {
            let shape = serde_json::to_string(&t.shape).expect("a list of numbers");
            q = q
                .bind(key)
                .bind(path.to_string())
                .bind(*i as i64)
                .bind(t.name.clone())
                .bind(t.dtype.clone())
                .bind(shape)
                .bind(t.sha256.as_str().to_string());
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}

/// A stored digest, parsed (a corrupt one is the catalogue's error, about `path` of `rev`).
fn digest(rev: &RevisionRef, path: &str, text: &str) -> Result<Sha256> {
    Sha256::parse(text).map_err(|source| super::CatalogueError::CorruptDigest {
        id: rev.id(),
        path: path.to_string(),
        source,
    })
}

fn rev_of(key: i64, name: String, revision: String) -> RevisionRef {
    RevisionRef {
        key,
        name: ModelName::new(name),
        revision: Revision::new(revision),
    }
}

impl Catalogue {
    /// The tensor digests recorded for a revision, by file, in file order.
    pub async fn tensors(&self, rev: &RevisionRef) -> Result<Vec<FileTensors>> {
        let rows = sqlx::query(
            "SELECT path, name, dtype, shape, sha256 FROM tensors WHERE revision_id = $1
             ORDER BY path, position",
        )
        .bind(rev.key)
        .fetch_all(&self.pool)
        .await?;
        let mut out: Vec<FileTensors> = Vec::new();
        for r in rows {
            let path: String = r.get(0);
            let shape: String = r.get(3);
            let sha: String = r.get(4);
            let t = crate::record::TensorDigest {
                name: r.get(1),
                dtype: r.get(2),
                shape: serde_json::from_str(&shape).unwrap_or_default(),
                sha256: digest(rev, &path, &sha)?,
            };
            match out.last_mut() {
                Some(f) if f.path == path => f.tensors.push(t),
                _ => out.push(FileTensors {
                    path,
                    tensors: vec![t],
                }),
            }
        }
        Ok(out)
    }

    /// How many tensor digests a revision has recorded.
    pub async fn tensor_count(&self, rev: &RevisionRef) -> Result<i64> {
        Ok(
            sqlx::query_scalar("SELECT COUNT(*) FROM tensors WHERE revision_id = $1")
                .bind(rev.key)
                .fetch_one(&self.pool)
                .await?,
        )
    }

    /// Weights files of `rev` that other revisions hold byte for byte (looked up by digest),
    /// oldest other revision first.
    pub async fn identical_files(&self, rev: &RevisionRef) -> Result<Vec<FileMatch>> {
        let formats: Vec<String> = WEIGHT_FORMATS.iter().map(|f| format!("'{f}'")).collect();
        let sql = format!(
            "SELECT f.path, f.sha256, r.id, m.name, r.revision, o.path, r.added_at
             FROM files f
             JOIN files o ON o.sha256 = f.sha256 AND o.revision_id <> f.revision_id
             JOIN revisions r ON r.id = o.revision_id
             JOIN models m ON m.id = r.model_id
             WHERE f.revision_id = $1 AND f.sha256 IS NOT NULL AND f.size > 0
               AND f.format IN ({})
             ORDER BY r.id, f.path, o.path LIMIT $2",
            formats.join(", ")
        );
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(rev.key)
            .bind(MAX_MATCHES)
            .fetch_all(&self.pool)
            .await?;
        rows.into_iter()
            .map(|r| {
                let path: String = r.get(0);
                let sha: String = r.get(1);
                Ok(FileMatch {
                    sha256: digest(rev, &path, &sha)?,
                    path,
                    other: rev_of(r.get(2), r.get(3), r.get(4)),
                    other_path: r.get(5),
                    other_added_at: r.get(6),
                })
            })
            .collect()
    }

    /// Other revisions holding tensors of `rev` (by digest), those sharing most first.
    pub async fn shared_tensors(&self, rev: &RevisionRef) -> Result<Vec<TensorMatch>> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT s.revision_id, m.name, r.revision, r.added_at, s.shared,
                    (SELECT COUNT(*) FROM tensors c WHERE c.revision_id = s.revision_id)
             FROM (SELECT o.revision_id AS revision_id, COUNT(DISTINCT t.sha256) AS shared
                   FROM tensors t
                   JOIN tensors o ON o.sha256 = t.sha256 AND o.revision_id <> t.revision_id
                   WHERE t.revision_id = $1 AND {NOT_COMMON}
                   GROUP BY o.revision_id) s
             JOIN revisions r ON r.id = s.revision_id
             JOIN models m ON m.id = r.model_id
             ORDER BY s.shared DESC, r.id LIMIT $2"
        )))
        .bind(rev.key)
        .bind(MAX_MATCHES)
        .bind(COMMON_DIGEST + 1)
        .bind(COMMON_DIGEST)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| TensorMatch {
                other: rev_of(r.get(0), r.get(1), r.get(2)),
                other_added_at: r.get(3),
                shared: r.get(4),
                other_total: r.get(5),
            })
            .collect())
    }

    /// How many distinct tensor digests a revision has, and how many of them are
    /// [`COMMON_DIGEST`]s.
    pub async fn distinct_tensor_digests(&self, rev: &RevisionRef) -> Result<(i64, i64)> {
        let all: i64 =
            sqlx::query_scalar("SELECT COUNT(DISTINCT sha256) FROM tensors WHERE revision_id = $1")
                .bind(rev.key)
                .fetch_one(&self.pool)
                .await?;
        let rare: i64 = sqlx::query_scalar(AssertSqlSafe(format!(
            "SELECT COUNT(DISTINCT t.sha256) FROM tensors t WHERE t.revision_id = $1 AND {}",
            NOT_COMMON.replace("$3", "$2").replace("$4", "$3")
        )))
        .bind(rev.key)
        .bind(COMMON_DIGEST + 1)
        .bind(COMMON_DIGEST)
        .fetch_one(&self.pool)
        .await?;
        Ok((all, all - rare))
    }
}
