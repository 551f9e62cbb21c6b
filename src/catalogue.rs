//! The catalogue: models, revisions, files, license claims, components, findings and runs, in
//! SQLite (the embedded default) or PostgreSQL (for teams), chosen by the URL.
//!
//! One implementation serves both backends through sqlx's `Any` driver with runtime queries (no
//! database at build time); the schema differs only in its DDL, kept as two migration folders with
//! the same version numbers. Every write that belongs together runs in one transaction, so a
//! failed or killed `add` leaves the catalogue as it was.

use crate::finding::{Finding, Severity};
use crate::format::FileFormat;
use crate::ids::{DigestError, GitOid, ModelId, ModelName, Revision, Sha256};
use crate::ingest::{ClaimKind, Ingested, LicenseClaim};
use crate::record::{
    BaseModelRef, ComponentRecord, ComponentStatus, FileRecord, Relation, RevisionSummary,
    SmokeSection, SourceInfo, SourceKind,
};
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::migrate::{MigrateError, Migration, MigrationType, Migrator};
use sqlx::{AnyPool, Executor, Row, SqlSafeStr};
use std::borrow::Cow;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

mod drift;
mod lineage;
mod mirror;
mod registry;
mod signatures;
mod summary;
pub use drift::ObservationRow;
pub use lineage::{FileMatch, TensorMatch, WEIGHT_FORMATS};
pub use mirror::MirrorRevision;
pub use registry::{
    ApprovalRow, EventQuery, EventRow, NewApproval, SessionRow, TokenRow,
    expired as approval_expired, today,
};
pub use summary::{ListPage, ListQuery, Sort, SummaryRow, SummaryWrite};

/// Which database engine a catalogue lives in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Errors opening or using the catalogue.
#[derive(Debug, thiserror::Error)]
pub enum CatalogueError {
    /// A revision row names a source kind this version does not know (a newer writer's).
    #[error(
        "the catalogue records a source of kind `{0}`, which this version of modelvet does not know"
    )]
    UnknownSourceKind(String),
    #[error("`{0}` is not a catalogue URL (expected sqlite://PATH or postgres://…)")]
    BadUrl(String),
    #[error("cannot open the catalogue at `{url}`")]
    Open {
        url: String,
        #[source]
        source: sqlx::Error,
    },
    #[error("cannot create the catalogue folder `{path}`")]
    CreateDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot lock `{path}`")]
    Lock {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "the catalogue at `{url}` was created by a newer modelvet (schema version {version}); upgrade modelvet to use it"
    )]
    TooNew { url: String, version: i64 },
    #[error("cannot migrate the catalogue at `{url}`")]
    Migrate {
        url: String,
        #[source]
        source: MigrateError,
    },
    #[error("catalogue query failed")]
    Query(#[from] sqlx::Error),
    #[error("no model matches `{0}`")]
    NotFound(String),
    #[error("`{spec}` is ambiguous; it matches: {}", candidates.join(", "))]
    Ambiguous {
        spec: String,
        candidates: Vec<String>,
    },
    /// A write that contradicts what is stored (a live token of that name, a live approval).
    #[error("{0}")]
    Conflict(String),
    /// A registry row the operation needs does not exist.
    #[error("{0}")]
    Missing(String),
    /// A stored value this version does not know.
    #[error(
        "the catalogue records a {what} `{value}`, which this version of modelvet does not know"
    )]
    UnknownValue { what: &'static str, value: String },
    #[error("stored data for `{what}` is corrupt")]
    Corrupt {
        what: String,
        #[source]
        source: serde_json::Error,
    },
    /// A stored digest that is not one (the database was edited, or damaged).
    #[error("the stored digest of `{path}` in `{id}` is corrupt")]
    CorruptDigest {
        id: ModelId,
        path: String,
        #[source]
        source: DigestError,
    },
}

type Result<T, E = CatalogueError> = std::result::Result<T, E>;

/// A handle on an open catalogue.
#[derive(Clone)]
pub struct Catalogue {
    pool: AnyPool,
    backend: Backend,
    /// Who the writes made through this handle are by, for the event log.
    actor: Arc<str>,
}

/// A resolved model revision: its row key and its human id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevisionRef {
    pub key: i64,
    pub name: ModelName,
    pub revision: Revision,
}

impl RevisionRef {
    /// `NAME@REVISION`.
    pub fn id(&self) -> ModelId {
        ModelId::new(self.name.clone(), self.revision.clone())
    }
}

/// What `insert` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inserted {
    pub rev: RevisionRef,
    /// False when this exact revision was already recorded (nothing changed).
    pub new: bool,
}

/// One line of `list`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ModelSummary {
    pub id: ModelId,
    pub name: ModelName,
    pub revision: Revision,
    pub revisions: i64,
    pub source: String,
    pub added_at: String,
}

/// A stored run (smoke, scan, verify, audit) of a revision.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Run {
    pub kind: String,
    pub status: String,
    pub started_at: String,
    pub result: serde_json::Value,
}

/// Every stored row of one revision, as [`Catalogue::stored`] loads them.
#[derive(Debug, Clone)]
pub struct StoredRevision {
    pub rev: RevisionRef,
    pub source: SourceInfo,
    /// Every revision of this model, oldest first.
    pub revisions: Vec<RevisionSummary>,
    pub files: Vec<FileRecord>,
    pub base_models: Vec<BaseModelRef>,
    pub claims: Vec<LicenseClaim>,
    /// Recorded findings, most severe first.
    pub findings: Vec<Finding>,
    pub components: Vec<ComponentRecord>,
    /// The newest smoke run's result.
    pub smoke: Option<SmokeSection>,
    pub card: Option<serde_json::Value>,
    pub config: Option<serde_json::Value>,
}

/// What `remove` deleted.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Removed {
    pub name: ModelName,
    /// The revisions removed; all of them when the whole model went.
    pub revisions: Vec<Revision>,
    pub model_removed: bool,
}

fn migrator(backend: Backend) -> Migrator {
    // Each migration exists once per backend, with the same version number and name.
    let steps: [(i64, &str, &str, &str); 4] = [
        (
            1,
            "init",
            include_str!("../migrations/sqlite/0001_init.sql"),
            include_str!("../migrations/postgres/0001_init.sql"),
        ),
        (
            2,
            "registry",
            include_str!("../migrations/sqlite/0002_registry.sql"),
            include_str!("../migrations/postgres/0002_registry.sql"),
        ),
        (
            3,
            "signatures",
            include_str!("../migrations/sqlite/0003_signatures.sql"),
            include_str!("../migrations/postgres/0003_signatures.sql"),
        ),
        (
            4,
            "lineage",
            include_str!("../migrations/sqlite/0004_lineage.sql"),
            include_str!("../migrations/postgres/0004_lineage.sql"),
        ),
    ];
    Migrator::with_migrations(
        steps
            .into_iter()
            .map(|(version, name, sqlite, postgres)| {
                let sql = match backend {
                    Backend::Sqlite => sqlite,
                    Backend::Postgres => postgres,
                };
                Migration::new(
                    version,
                    Cow::Borrowed(name),
                    MigrationType::Simple,
                    sql.into_sql_str(),
                    false,
                )
            })
            .collect(),
    )
}

/// modelvet's data folder: `$XDG_DATA_HOME/modelvet` (or `~/.local/share/modelvet`).
pub fn default_data_dir() -> anyhow::Result<PathBuf> {
    let base = match std::env::var_os("XDG_DATA_HOME").filter(|v| !v.is_empty()) {
        Some(d) => PathBuf::from(d),
        None => match std::env::var_os("HOME").filter(|v| !v.is_empty()) {
            Some(h) => PathBuf::from(h).join(".local").join("share"),
            None => anyhow::bail!(
                "cannot place the default catalogue: neither XDG_DATA_HOME nor HOME is set; use --db"
            ),
        },
    };
    Ok(base.join("modelvet"))
}

/// The default catalogue URL: `catalogue.db` in the data folder ([`default_data_dir`]).
pub fn default_url() -> anyhow::Result<String> {
    Ok(format!(
        "sqlite://{}",
        default_data_dir()?.join("catalogue.db").display()
    ))
}

/// Holds an exclusive lock on `<db>.lock` until dropped.
fn lock_file(db: &std::path::Path) -> Result<std::fs::File> {
    let mut name = db.as_os_str().to_owned();
    name.push(".lock");
    let path = PathBuf::from(name);
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|source| CatalogueError::Lock {
            path: path.clone(),
            source,
        })?;
    file.lock()
        .map_err(|source| CatalogueError::Lock { path, source })?;
    Ok(file)
}

fn backend_of(url: &str) -> Result<Backend> {
    if url.starts_with("sqlite:") {
        Ok(Backend::Sqlite)
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Backend::Postgres)
    } else {
        Err(CatalogueError::BadUrl(url.to_string()))
    }
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn to_json_text(v: &Option<serde_json::Value>) -> Option<String> {
    v.as_ref().map(|v| v.to_string())
}

fn parse_json(what: &str, text: Option<String>) -> Result<Option<serde_json::Value>> {
    text.map(|t| serde_json::from_str(&t))
        .transpose()
        .map_err(|source| CatalogueError::Corrupt {
            what: what.to_string(),
            source,
        })
}

impl Catalogue {
    /// Opens (creating if needed) the catalogue at `url` and brings its schema up to date.
    pub async fn open(url: &str) -> Result<Catalogue> {
        let backend = backend_of(url)?;
        sqlx::any::install_default_drivers();
        let mut connect_url = url.to_string();
        let mut sqlite_path = None;
        if backend == Backend::Sqlite {
            let path = url.trim_start_matches("sqlite:").trim_start_matches("//");
            let path = path.split('?').next().unwrap_or(path);
            if path.is_empty() || path == ":memory:" {
                return Err(CatalogueError::BadUrl(url.to_string()));
            }
            if let Some(parent) = std::path::Path::new(path)
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
            {
                std::fs::create_dir_all(parent).map_err(|source| CatalogueError::CreateDir {
                    path: parent.to_path_buf(),
                    source,
                })?;
            }
            sqlite_path = Some(PathBuf::from(path));
            if !url.contains("mode=") {
                connect_url.push_str(if url.contains('?') {
                    "&mode=rwc"
                } else {
                    "?mode=rwc"
                });
            }
        }
        let pool = AnyPoolOptions::new()
            .max_connections(if backend == Backend::Sqlite { 4 } else { 8 })
            .acquire_timeout(Duration::from_secs(if backend == Backend::Sqlite {
                60
            } else {
                10
            }))
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // WAL lets readers run beside a writer; the busy timeout makes concurrent
                        // `add`s wait for each other instead of failing with SQLITE_BUSY.
                        conn.execute("PRAGMA busy_timeout = 60000").await?;
                        conn.execute("PRAGMA journal_mode = WAL").await?;
                        conn.execute("PRAGMA foreign_keys = ON").await?;
                        conn.execute("PRAGMA synchronous = NORMAL").await?;
                    }
                    Ok(())
                })
            })
            .connect(&connect_url)
            .await
            .map_err(|source| CatalogueError::Open {
                url: url.to_string(),
                source,
            })?;
        let cat = Catalogue {
            pool,
            backend,
            actor: Arc::from("unknown"),
        };
        // sqlx takes no lock while migrating SQLite, so two processes opening a new catalogue at
        // once would both create the tables; an advisory file lock beside the database serialises them.
        let _lock = match &sqlite_path {
            Some(path) => Some(lock_file(path)?),
            None => None,
        };
        cat.migrate(url).await?;
        Ok(cat)
    }

    async fn migrate(&self, url: &str) -> Result<()> {
        let m = migrator(self.backend);
        match m.run(&self.pool).await {
            Ok(()) => Ok(()),
            Err(MigrateError::VersionMissing(version)) => Err(CatalogueError::TooNew {
                url: url.to_string(),
                version,
            }),
            Err(source) => Err(CatalogueError::Migrate {
                url: url.to_string(),
                source,
            }),
        }
    }

    /// Starts a write transaction. On SQLite it takes the write lock up front (`BEGIN IMMEDIATE`):
    /// a deferred transaction that reads and then writes fails with SQLITE_BUSY, without waiting,
    /// when another process committed in between, which is exactly what concurrent `add`s do.
    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>> {
        Ok(match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        })
    }

    /// The same catalogue, with writes recorded in the event log as made by `actor` (a token's
    /// name on the server; `$USER@host` or `--by` on the command line).
    pub fn acting_as(&self, actor: &str) -> Catalogue {
        Catalogue {
            actor: Arc::from(actor),
            ..self.clone()
        }
    }

    /// Who writes through this handle are recorded as made by.
    pub fn actor(&self) -> &str {
        &self.actor
    }

    /// The engine behind this catalogue.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Records an ingested revision in one transaction. Re-adding identical content is a no-op.
    pub async fn insert(&self, ing: &Ingested) -> Result<Inserted> {
        let mut tx = self.begin_write().await?;
        let existing: Option<i64> = sqlx::query_scalar("SELECT id FROM models WHERE name = $1")
            .bind(ing.name.as_str())
            .fetch_optional(&mut *tx)
            .await?;
        let model_id = match existing {
            Some(id) => id,
            None => {
                // Another process may create the same model between our SELECT and INSERT; the
                // unique constraint turns that into a conflict we resolve by reading its id.
                sqlx::query("INSERT INTO models (name, created_at) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING")
                    .bind(ing.name.as_str())
                    .bind(now())
                    .execute(&mut *tx)
                    .await?;
                sqlx::query_scalar("SELECT id FROM models WHERE name = $1")
                    .bind(ing.name.as_str())
                    .fetch_one(&mut *tx)
                    .await?
            }
        };
        let rev_ref = |key| RevisionRef {
            key,
            name: ing.name.clone(),
            revision: ing.revision.clone(),
        };
        let already: Option<i64> =
            sqlx::query_scalar("SELECT id FROM revisions WHERE model_id = $1 AND revision = $2")
                .bind(model_id)
                .bind(ing.revision.as_str())
                .fetch_optional(&mut *tx)
                .await?;
        if let Some(key) = already {
            tx.rollback().await?;
            return Ok(Inserted {
                rev: rev_ref(key),
                new: false,
            });
        }
        let key: Option<i64> = sqlx::query_scalar(
            "INSERT INTO revisions (model_id, revision, source_kind, source_location, source_revision, added_at,
                                    card_raw, card_json, config_json, metadata_json)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
             ON CONFLICT (model_id, revision) DO NOTHING RETURNING id",
        )
        .bind(model_id)
        .bind(ing.revision.as_str())
        .bind(ing.source.kind.as_str())
        .bind(&ing.source.location)
        .bind(ing.source.revision.as_ref().map(Revision::as_str))
        .bind(now())
        .bind(ing.card_raw.clone())
        .bind(to_json_text(&ing.card))
        .bind(to_json_text(&ing.config))
        .bind(to_json_text(&ing.metadata))
        .fetch_optional(&mut *tx)
        .await?;
        // A concurrent `add` of the same content committed first (PostgreSQL waits for it on the
        // unique key, then skips): that is the same no-op as re-adding.
        let Some(key) = key else {
            tx.rollback().await?;
            let key: i64 = sqlx::query_scalar(
                "SELECT id FROM revisions WHERE model_id = $1 AND revision = $2",
            )
            .bind(model_id)
            .bind(ing.revision.as_str())
            .fetch_one(&self.pool)
            .await?;
            return Ok(Inserted {
                rev: rev_ref(key),
                new: false,
            });
        };
        for f in &ing.files {
            sqlx::query(
                "INSERT INTO files (revision_id, path, size, sha256, git_oid, format) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(key)
            .bind(&f.path)
            .bind(f.size as i64)
            .bind(f.sha256.as_ref().map(Sha256::as_str))
            .bind(f.git_oid.as_ref().map(GitOid::as_str))
            .bind(f.format.as_str())
            .execute(&mut *tx)
            .await?;
        }
        for (i, b) in ing.base_models.iter().enumerate() {
            sqlx::query("INSERT INTO base_models (revision_id, position, name, relation) VALUES ($1, $2, $3, $4)")
                .bind(key)
                .bind(i as i64)
                .bind(b.name.as_str())
                .bind(b.relation.as_str())
                .execute(&mut *tx)
                .await?;
        }
        for c in &ing.license_claims {
            insert_claim(&mut tx, key, c).await?;
        }
        for c in &ing.components {
            insert_component(&mut tx, key, c).await?;
        }
        for f in &ing.findings {
            insert_finding(&mut tx, key, "ingest", f).await?;
        }
        lineage::insert_tensors(&mut tx, key, &ing.tensors).await?;
        registry::log_event(
            &mut tx,
            self.actor(),
            "add",
            Some((&ing.name, &ing.revision)),
            serde_json::json!({
                "source": {"kind": ing.source.kind.as_str(), "location": ing.source.location},
                "files": ing.files.len(),
                "findings": ing.findings.len(),
                "tensors": ing.tensors.iter().map(|f| f.tensors.len()).sum::<usize>(),
            }),
        )
        .await?;
        tx.commit().await?;
        Ok(Inserted {
            rev: rev_ref(key),
            new: true,
        })
    }

    /// Resolves MODEL as given on the command line: `NAME`, `NAME@REV` (unique prefix of REV), or a
    /// unique prefix of a NAME. A bare NAME means its newest revision.
    pub async fn resolve(&self, spec: &str) -> Result<RevisionRef> {
        let (name_part, rev_part) = match spec.rsplit_once('@') {
            Some((n, r)) if !n.is_empty() => (n, Some(r)),
            _ => (spec, None),
        };
        let name = self.resolve_name(name_part, spec).await?;
        self.resolve_in(&name, rev_part).await
    }

    /// Resolves a revision of the model called exactly `name`: its newest, or the one whose
    /// revision starts with `rev` (an exact match wins over longer ones).
    pub async fn resolve_in(&self, name: &str, rev_part: Option<&str>) -> Result<RevisionRef> {
        let spec = match rev_part {
            Some(r) => format!("{name}@{r}"),
            None => name.to_string(),
        };
        let name = name.to_string();
        let rows = sqlx::query(
            "SELECT r.id, r.revision FROM revisions r JOIN models m ON m.id = r.model_id
             WHERE m.name = $1 ORDER BY r.id DESC",
        )
        .bind(name.as_str())
        .fetch_all(&self.pool)
        .await?;
        let revs: Vec<(i64, String)> = rows
            .iter()
            .map(|r| (r.get::<i64, _>(0), r.get::<String, _>(1)))
            .collect();
        let pick = match rev_part {
            None => revs.first().cloned(),
            Some(prefix) => {
                let hits: Vec<&(i64, String)> =
                    revs.iter().filter(|(_, r)| r.starts_with(prefix)).collect();
                match hits.as_slice() {
                    [] => None,
                    [one] => Some((*one).clone()),
                    many => {
                        if let Some(exact) = many.iter().find(|(_, r)| r == prefix) {
                            Some((*exact).clone())
                        } else {
                            return Err(CatalogueError::Ambiguous {
                                spec: spec.to_string(),
                                candidates: many
                                    .iter()
                                    .map(|(_, r)| format!("{name}@{r}"))
                                    .collect(),
                            });
                        }
                    }
                }
            }
        };
        let (key, revision) = pick.ok_or_else(|| CatalogueError::NotFound(spec.to_string()))?;
        Ok(RevisionRef {
            key,
            name: name.into(),
            revision: revision.into(),
        })
    }

    /// The one recorded name that `name` is, or is a unique prefix of.
    async fn resolve_name(&self, name: &str, spec: &str) -> Result<ModelName> {
        let exact: Option<String> = sqlx::query_scalar("SELECT name FROM models WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.pool)
            .await?;
        if let Some(n) = exact {
            return Ok(n.into());
        }
        // substr() rather than LIKE: names contain `_`, which LIKE treats as a wildcard.
        let hits: Vec<String> = sqlx::query_scalar(
            "SELECT name FROM models WHERE substr(name, 1, length($1)) = $1 ORDER BY name LIMIT 21",
        )
        .bind(name)
        .fetch_all(&self.pool)
        .await?;
        match hits.len() {
            0 => Err(CatalogueError::NotFound(spec.to_string())),
            1 => Ok(hits.into_iter().next().expect("one").into()),
            _ => Err(CatalogueError::Ambiguous {
                spec: spec.to_string(),
                candidates: hits,
            }),
        }
    }

    /// Whether a model of this exact name is recorded.
    pub async fn has_model(&self, name: &ModelName) -> Result<bool> {
        let n: Option<i64> = sqlx::query_scalar("SELECT id FROM models WHERE name = $1")
            .bind(name.as_str())
            .fetch_optional(&self.pool)
            .await?;
        Ok(n.is_some())
    }

    /// Every model with its newest revision, sorted by name.
    pub async fn list(&self) -> Result<Vec<ModelSummary>> {
        let rows = sqlx::query(
            "SELECT m.name, r.revision, c.n, r.source_kind, r.source_location, r.added_at
             FROM models m
             JOIN (SELECT model_id, MAX(id) AS last, COUNT(*) AS n FROM revisions GROUP BY model_id) c
               ON c.model_id = m.id
             JOIN revisions r ON r.id = c.last
             ORDER BY m.name",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| {
                let name = ModelName::new(r.get::<String, _>(0));
                let revision = Revision::new(r.get::<String, _>(1));
                let kind: String = r.get(3);
                let location: String = r.get(4);
                ModelSummary {
                    id: ModelId::new(name.clone(), revision.clone()),
                    name,
                    revision,
                    revisions: r.get(2),
                    source: if kind == "local" {
                        location
                    } else {
                        format!("{kind}:{location}")
                    },
                    added_at: r.get(5),
                }
            })
            .collect())
    }

    /// Loads every stored row of a revision. Nothing here is computed: license resolution and
    /// openness are the use-case layer's ([`crate::vet::record`]).
    pub async fn stored(&self, rev: &RevisionRef) -> Result<StoredRevision> {
        let row = sqlx::query(
            "SELECT source_kind, source_location, source_revision, card_json, config_json
             FROM revisions WHERE id = $1",
        )
        .bind(rev.key)
        .fetch_one(&self.pool)
        .await?;
        let kind: String = row.get(0);
        let source = SourceInfo {
            kind: SourceKind::parse(&kind)
                .ok_or_else(|| CatalogueError::UnknownSourceKind(kind))?,
            location: row.get(1),
            revision: row.get::<Option<String>, _>(2).map(Revision::from),
        };
        let card = parse_json("card", row.get(3))?;
        let config = parse_json("config", row.get(4))?;
        let revisions = sqlx::query(
            "SELECT r.revision, r.added_at FROM revisions r JOIN models m ON m.id = r.model_id
             WHERE m.name = $1 ORDER BY r.id",
        )
        .bind(rev.name.as_str())
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| RevisionSummary {
            revision: Revision::new(r.get::<String, _>(0)),
            added_at: r.get(1),
        })
        .collect();
        let smoke = match self.latest_run(rev, "smoke").await? {
            Some(run) => Some(serde_json::from_value::<SmokeSection>(run.result).map_err(
                |source| CatalogueError::Corrupt {
                    what: "smoke run".into(),
                    source,
                },
            )?),
            None => None,
        };
        Ok(StoredRevision {
            rev: rev.clone(),
            source,
            revisions,
            files: self.files(rev).await?,
            base_models: self.base_models(rev.key).await?,
            claims: self.license_claims(rev).await?,
            findings: self.findings(rev).await?,
            components: self.components(rev).await?,
            smoke,
            card,
            config,
        })
    }

    /// The source metadata recorded with a revision (for a MOF entry: its release fields).
    pub async fn metadata(&self, rev: &RevisionRef) -> Result<Option<serde_json::Value>> {
        let text: Option<String> =
            sqlx::query_scalar("SELECT metadata_json FROM revisions WHERE id = $1")
                .bind(rev.key)
                .fetch_one(&self.pool)
                .await?;
        parse_json("metadata", text)
    }

    /// The newest revision of the model named exactly `name`, if it is in the catalogue.
    pub async fn resolve_exact(&self, name: &ModelName) -> Result<Option<RevisionRef>> {
        let row = sqlx::query(
            "SELECT r.id, r.revision FROM revisions r JOIN models m ON m.id = r.model_id
             WHERE m.name = $1 ORDER BY r.id DESC LIMIT 1",
        )
        .bind(name.as_str())
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| RevisionRef {
            key: r.get(0),
            name: name.clone(),
            revision: Revision::new(r.get::<String, _>(1)),
        }))
    }

    /// The base models a revision's card names, in the card's order.
    pub async fn base_models(&self, key: i64) -> Result<Vec<BaseModelRef>> {
        Ok(sqlx::query(
            "SELECT name, relation FROM base_models WHERE revision_id = $1 ORDER BY position",
        )
        .bind(key)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| BaseModelRef {
            name: ModelName::new(r.get::<String, _>(0)),
            relation: Relation::parse(&r.get::<String, _>(1)).unwrap_or(Relation::Unknown),
        })
        .collect())
    }

    /// The files of a revision, sorted by path. A stored digest that does not parse is
    /// [`CatalogueError::CorruptDigest`].
    pub async fn files(&self, rev: &RevisionRef) -> Result<Vec<FileRecord>> {
        let rows = sqlx::query(
            "SELECT path, size, sha256, git_oid, format FROM files WHERE revision_id = $1 ORDER BY path",
        )
        .bind(rev.key)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| file_from_row(rev, r)).collect()
    }

    /// The license claims recorded for a revision.
    pub async fn license_claims(&self, rev: &RevisionRef) -> Result<Vec<LicenseClaim>> {
        let rows = sqlx::query("SELECT kind, value, source, confidence FROM license_claims WHERE revision_id = $1 ORDER BY id")
            .bind(rev.key)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows
            .iter()
            .map(|r| LicenseClaim {
                kind: if r.get::<String, _>(0) == "detected" {
                    ClaimKind::Detected
                } else {
                    ClaimKind::Declared
                },
                value: r.get(1),
                from: r.get(2),
                confidence: r.get(3),
            })
            .collect())
    }

    /// The components recorded for a revision, by component id.
    pub async fn components(&self, rev: &RevisionRef) -> Result<Vec<ComponentRecord>> {
        let rows = sqlx::query(
            "SELECT component_id, name, status, license, license_source, evidence
             FROM components WHERE revision_id = $1 ORDER BY component_id",
        )
        .bind(rev.key)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| ComponentRecord {
                id: r.get::<i64, _>(0) as u32,
                name: r.get(1),
                status: ComponentStatus::parse(&r.get::<String, _>(2))
                    .unwrap_or(ComponentStatus::Unknown),
                license: r.get(3),
                license_source: r.get(4),
                evidence: r.get(5),
            })
            .collect())
    }

    /// All findings of a revision, most severe first.
    pub async fn findings(&self, rev: &RevisionRef) -> Result<Vec<Finding>> {
        let rows = sqlx::query(
            "SELECT code, severity, path, message, evidence FROM findings WHERE revision_id = $1 ORDER BY id",
        )
        .bind(rev.key)
        .fetch_all(&self.pool)
        .await?;
        let mut out: Vec<Finding> = rows.iter().map(finding_from_row).collect();
        out.sort_by_key(|f| std::cmp::Reverse(f.severity));
        Ok(out)
    }

    /// Replaces the components recorded for a revision.
    pub async fn replace_components(
        &self,
        rev: &RevisionRef,
        components: &[ComponentRecord],
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM components WHERE revision_id = $1")
            .bind(rev.key)
            .execute(&mut *tx)
            .await?;
        for c in components {
            insert_component(&mut tx, rev.key, c).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Records the result of a run (smoke, scan, verify, audit) together with its findings.
    pub async fn record_run(
        &self,
        rev: &RevisionRef,
        kind: &str,
        status: &str,
        result: &serde_json::Value,
        findings: &[Finding],
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query("INSERT INTO runs (revision_id, kind, status, started_at, result_json) VALUES ($1, $2, $3, $4, $5)")
            .bind(rev.key)
            .bind(kind)
            .bind(status)
            .bind(now())
            .bind(result.to_string())
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM findings WHERE revision_id = $1 AND origin = $2")
            .bind(rev.key)
            .bind(kind)
            .execute(&mut *tx)
            .await?;
        for f in findings {
            insert_finding(&mut tx, rev.key, kind, f).await?;
        }
        registry::log_event(
            &mut tx,
            self.actor(),
            kind,
            Some((&rev.name, &rev.revision)),
            serde_json::json!({"status": status, "findings": findings.len()}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Every run of `kind` for a revision, newest first (at most `limit`).
    pub async fn runs(&self, rev: &RevisionRef, kind: &str, limit: i64) -> Result<Vec<Run>> {
        let rows = sqlx::query(
            "SELECT kind, status, started_at, result_json FROM runs
             WHERE revision_id = $1 AND kind = $2 ORDER BY id DESC LIMIT $3",
        )
        .bind(rev.key)
        .bind(kind)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let text: String = r.get(3);
                Ok(Run {
                    kind: r.get(0),
                    status: r.get(1),
                    started_at: r.get(2),
                    result: serde_json::from_str(&text).map_err(|source| {
                        CatalogueError::Corrupt {
                            what: format!("{kind} run"),
                            source,
                        }
                    })?,
                })
            })
            .collect()
    }

    /// The newest run of `kind` for a revision.
    pub async fn latest_run(&self, rev: &RevisionRef, kind: &str) -> Result<Option<Run>> {
        let row = sqlx::query(
            "SELECT kind, status, started_at, result_json FROM runs
             WHERE revision_id = $1 AND kind = $2 ORDER BY id DESC LIMIT 1",
        )
        .bind(rev.key)
        .bind(kind)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            let text: String = r.get(3);
            Ok(Run {
                kind: r.get(0),
                status: r.get(1),
                started_at: r.get(2),
                result: serde_json::from_str(&text).map_err(|source| CatalogueError::Corrupt {
                    what: format!("{kind} run"),
                    source,
                })?,
            })
        })
        .transpose()
    }

    /// Deletes a whole model (`NAME`) or one revision (`NAME@REV`), in one transaction.
    pub async fn remove(&self, spec: &str) -> Result<Removed> {
        let rev = self.resolve(spec).await?;
        let mut tx = self.begin_write().await?;
        let model_id: i64 = sqlx::query_scalar("SELECT model_id FROM revisions WHERE id = $1")
            .bind(rev.key)
            .fetch_one(&mut *tx)
            .await?;
        let whole = !spec.contains('@');
        let removed = if whole {
            let revs: Vec<String> = sqlx::query_scalar(
                "SELECT revision FROM revisions WHERE model_id = $1 ORDER BY id",
            )
            .bind(model_id)
            .fetch_all(&mut *tx)
            .await?;
            sqlx::query("DELETE FROM models WHERE id = $1")
                .bind(model_id)
                .execute(&mut *tx)
                .await?;
            Removed {
                name: rev.name.clone(),
                revisions: revs.into_iter().map(Revision::from).collect(),
                model_removed: true,
            }
        } else {
            sqlx::query("DELETE FROM revisions WHERE id = $1")
                .bind(rev.key)
                .execute(&mut *tx)
                .await?;
            let left: i64 =
                sqlx::query_scalar("SELECT COUNT(*) FROM revisions WHERE model_id = $1")
                    .bind(model_id)
                    .fetch_one(&mut *tx)
                    .await?;
            if left == 0 {
                sqlx::query("DELETE FROM models WHERE id = $1")
                    .bind(model_id)
                    .execute(&mut *tx)
                    .await?;
            }
            Removed {
                name: rev.name.clone(),
                revisions: vec![rev.revision.clone()],
                model_removed: left == 0,
            }
        };
        registry::log_event(
            &mut tx,
            self.actor(),
            "remove",
            Some((&removed.name, if whole { "" } else { &rev.revision })),
            serde_json::json!({"revisions": removed.revisions, "model_removed": removed.model_removed}),
        )
        .await?;
        tx.commit().await?;
        Ok(removed)
    }
}

fn file_from_row(rev: &RevisionRef, r: &AnyRow) -> Result<FileRecord> {
    let path: String = r.get(0);
    let corrupt = |source| CatalogueError::CorruptDigest {
        id: rev.id(),
        path: path.clone(),
        source,
    };
    let sha256 = r.get::<Option<String>, _>(2).map(Sha256::try_from);
    let git_oid = r.get::<Option<String>, _>(3).map(GitOid::try_from);
    Ok(FileRecord {
        sha256: sha256.transpose().map_err(corrupt)?,
        git_oid: git_oid.transpose().map_err(corrupt)?,
        size: r.get::<i64, _>(1) as u64,
        format: FileFormat::from_stored(&r.get::<String, _>(4)),
        path,
    })
}

fn finding_from_row(r: &AnyRow) -> Finding {
    let severity: String = r.get(1);
    Finding {
        code: r.get(0),
        // An unknown severity can only come from a newer writer; treat it as the most severe.
        severity: severity.parse().unwrap_or(Severity::Critical),
        path: r.get(2),
        message: r.get(3),
        evidence: r.get(4),
    }
}

async fn insert_claim(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    key: i64,
    c: &LicenseClaim,
) -> Result<()> {
    sqlx::query("INSERT INTO license_claims (revision_id, kind, value, source, confidence) VALUES ($1, $2, $3, $4, $5)")
        .bind(key)
        .bind(match c.kind {
            ClaimKind::Declared => "declared",
            ClaimKind::Detected => "detected",
        })
        .bind(&c.value)
        .bind(&c.from)
        .bind(c.confidence)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

async fn insert_component(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    key: i64,
    c: &ComponentRecord,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO components (revision_id, component_id, name, status, license, license_source, evidence)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(key)
    .bind(c.id as i64)
    .bind(&c.name)
    .bind(c.status.as_str())
    .bind(c.license.clone())
    .bind(c.license_source.clone())
    .bind(c.evidence.clone())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn insert_finding(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    key: i64,
    origin: &str,
    f: &Finding,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO findings (revision_id, origin, code, severity, path, message, evidence)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(key)
    .bind(origin)
    .bind(&f.code)
    .bind(f.severity.as_str())
    .bind(f.path.clone())
    .bind(&f.message)
    .bind(f.evidence.clone())
    .execute(&mut **tx)
    .await?;
    Ok(())
}
