//! The catalogue: models, revisions, files, license claims, components, findings and runs, in
//! SQLite (default) or PostgreSQL.

/// The catalogue handle.
pub struct Catalogue {}

/// Errors opening or using the catalogue.
#[derive(Debug, thiserror::Error)]
pub enum CatalogueError {
    #[error("catalogue not implemented")]
    Todo,
}

impl Catalogue {
    /// Opens (creating if needed) the catalogue at `url` and runs migrations.
    pub async fn open(_url: &str) -> Result<Catalogue, CatalogueError> {
        Err(CatalogueError::Todo)
    }
}

/// The default catalogue URL: an SQLite file in the XDG data directory.
pub fn default_url() -> anyhow::Result<String> {
    anyhow::bail!("todo")
}
