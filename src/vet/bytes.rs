//! Where a revision's bytes are on this machine: the one answer `verify`, `smoke`, `audit` and the
//! server share.

use crate::ids::{ModelId, ModelName};
use crate::record::{ModelRecord, SourceKind};
use std::path::PathBuf;

/// A revision's bytes on this machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// A model folder, or a single weights file.
    pub path: PathBuf,
}

/// Why a revision's bytes are not here.
#[derive(Debug, thiserror::Error)]
pub enum LocateError {
    /// A local model whose folder or file has gone.
    #[error(
        "`{id}`: the model's source `{location}` is no longer there; say where its bytes are with --path DIR"
    )]
    Gone { id: ModelId, location: String },
    /// A Hub model whose commit is not in the Hugging Face cache.
    #[error(
        "`{id}` has no copy in the Hugging Face cache; fetch it first (`modelvet fetch {name}`) or give --path DIR"
    )]
    NotCached { id: ModelId, name: ModelName },
    /// A source that carries no bytes (a MOF entry describes a model).
    #[error("`{id}` came from a {kind} source; say where its bytes are with --path DIR")]
    NoBytes { id: ModelId, kind: String },
}

/// Finds a revision's bytes: the folder or file a local model was added from, or the Hugging
/// Face cache snapshot of a Hub model's recorded commit (never a branch: a moved `main` holds
/// other bytes).
pub fn locate(record: &ModelRecord) -> Result<Location, LocateError> {
    locate_source(&record.id, &record.name, &record.source)
}

/// [`locate`] from a revision's id and source alone (without assembling its record).
pub fn locate_source(
    id: &ModelId,
    name: &ModelName,
    source: &crate::record::SourceInfo,
) -> Result<Location, LocateError> {
    match source.kind {
        SourceKind::Local => {
            let path = PathBuf::from(&source.location);
            if path.exists() {
                Ok(Location { path })
            } else {
                Err(LocateError::Gone {
                    id: id.clone(),
                    location: source.location.clone(),
                })
            }
        }
        SourceKind::Hub => {
            let not_cached = || LocateError::NotCached {
                id: id.clone(),
                name: name.clone(),
            };
            let repo = source.location.strip_prefix("hf:").ok_or_else(not_cached)?;
            let commit = source.revision.as_deref().ok_or_else(not_cached)?;
            // The hub module owns the cache layout (HF_HUB_CACHE, HF_HOME, XDG defaults).
            let path = crate::hub::cached_snapshot_path(repo, commit);
            if path.is_dir() {
                Ok(Location { path })
            } else {
                Err(not_cached())
            }
        }
        SourceKind::Mof => Err(LocateError::NoBytes {
            id: id.clone(),
            kind: source.kind.to_string(),
        }),
    }
}
