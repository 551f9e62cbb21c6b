//! The use cases: what a front end — the command line today, the registry server next — asks of
//! modelvet, each written once. Assembling a model's record, finding a revision's bytes, and the
//! audit pipeline (add if needed → fetch → verify → smoke → policy → record the verdict) live here
//! and nowhere else, so that a page and a command can never disagree.
//!
//! Functions here are async over the catalogue. The blocking parts (the Hub client, hashing, the
//! candle runtime) run under [`tokio::task::block_in_place`], so callers must be on a
//! multi-threaded tokio runtime, as the command line and axum both are.

mod bytes;
pub mod drift;
mod lineage;
pub mod mirror;
mod pipeline;
mod record;
pub mod registry;
pub mod signature;

pub use bytes::{LocateError, Location, locate};
pub use lineage::{LineageReport, lineage};
pub use pipeline::{
    AddOutcome, VerifyOutcome, add, add_cache, audit, check_fails, classify, fetch, fetch_hub,
    smoke, target, verify,
};
pub use record::{record, record_of, report_document, summarise, summary_of};

use crate::catalogue::{Catalogue, CatalogueError};
use crate::hashing::Progress;

/// What every use case needs from its caller: the catalogue, whether the network may be used,
/// and where hashing progress goes.
pub struct Vet<'a> {
    pub catalogue: &'a Catalogue,
    /// Never touch the network (`--offline`).
    pub offline: bool,
    /// Hashing progress (a no-op for callers that draw none).
    pub progress: &'a dyn Progress,
    /// Whether the Hub client may draw its own download progress on stderr.
    pub download_bars: bool,
    /// Where `fetch` and `audit` put verified blobs for the Hub mirror (`--blobs`), if anywhere.
    pub blobs: Option<&'a crate::blobs::BlobStore>,
}

/// Errors of the use cases: each stops the operation, and nothing half-done is recorded.
#[derive(Debug, thiserror::Error)]
pub enum VetError {
    #[error(transparent)]
    Catalogue(#[from] CatalogueError),
    #[error(transparent)]
    Hub(#[from] crate::hub::HubError),
    #[error(transparent)]
    Openness(#[from] crate::openness::OpennessError),
    #[error(transparent)]
    Locate(#[from] LocateError),
    /// Registry input the caller got wrong (a date, a criterion, an unreachable import).
    #[error(transparent)]
    Registry(#[from] registry::RegistryError),
    /// A source that could not be ingested.
    #[error("cannot add `{spec}`")]
    Add {
        spec: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The smoke test could not run at all (an unreadable file, not broken weights).
    #[error(transparent)]
    Runtime(#[from] crate::runtime::RuntimeError),
    /// The Hub's listing at a pinned commit disagrees with what was recorded.
    #[error(transparent)]
    HubChanged(Box<HubChange>),
    /// A model that cannot be fetched (not from the Hub).
    #[error(
        "`{id}` was not added from the Hub (source: {kind} `{location}`); there is nothing to fetch"
    )]
    NotFromHub {
        id: crate::ids::ModelId,
        kind: String,
        location: String,
    },
    /// A path that cannot be read.
    #[error("cannot read `{}`", path.display())]
    Unreadable {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A single-file `--path` given for a model of several files.
    #[error("`{id}` has {files} files; --path must be a folder")]
    PathNotFolder {
        id: crate::ids::ModelId,
        files: usize,
    },
    /// A use case that must ask the Hub, under `--offline`.
    #[error("{0} asks the Hub; --offline (or HF_HUB_OFFLINE) forbids the network")]
    Offline(&'static str),
    /// A policy whose `signatures` section names keys or roots that cannot be used.
    #[error("invalid policy: {0}")]
    Policy(String),
    /// A model signature that could not be made.
    #[error(transparent)]
    Sign(#[from] crate::signing::SignError),
    /// A file that cannot be written.
    #[error("cannot write `{}`", path.display())]
    Unwritable {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The Hub mirror's blob store failed (or refused bytes that did not verify).
    #[error(transparent)]
    Blob(#[from] crate::blobs::BlobError),
    /// The catalogue's JSON could not be written (cannot happen for our own types).
    #[error("cannot encode a result as JSON")]
    Json(#[from] serde_json::Error),
}

/// A file whose Hub listing at the pinned commit differs from the catalogue's record.
#[derive(Debug, thiserror::Error)]
#[error(
    "`{path}` of `{repo}@{commit}` differs from the catalogue's record (size {hub_size} vs {recorded_size}, git {hub_git} vs {recorded_git}); the Hub's content at this commit changed"
)]
pub struct HubChange {
    pub path: String,
    pub repo: String,
    pub commit: String,
    pub hub_size: u64,
    pub recorded_size: u64,
    pub hub_git: String,
    pub recorded_git: String,
}

/// Runs blocking work (Hub requests, hashing, candle) without stalling the async runtime.
fn blocking<T>(f: impl FnOnce() -> T) -> T {
    tokio::task::block_in_place(f)
}
