//! The registry's use cases: API tokens (create, check), approvals (decide, withdraw, publish,
//! import) and what an audit needs to know about them. The command line and the server both
//! call these; the catalogue only stores the rows.

use super::{Vet, VetError, blocking};
use crate::catalogue::{
    ApprovalRow, Catalogue, CatalogueError, NewApproval, RevisionRef, TokenRow, approval_expired,
    today,
};
use crate::policy::{ApprovalFact, ApprovalImport, ApprovalState, Approvals, Policy};
use crate::record::Role;
use subtle::ConstantTimeEq;

/// Every token starts with this, so that a leaked one is easy to recognise (and to scan for).
pub const TOKEN_PREFIX: &str = "mvt_";

/// Errors of the registry's use cases that are the caller's input, not the catalogue's state.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error("`{0}` is not a date (expected YYYY-MM-DD)")]
    BadDate(String),
    #[error("the date {0} has already passed")]
    PastDate(String),
    #[error("`{0}` is not a name for a criterion or token (letters, digits, `-` and `_`)")]
    BadName(String),
    #[error(
        "an approval binds a revision: name it as `{name}@REV` (the newest revision is `{newest}`)"
    )]
    RevisionNotNamed { name: String, newest: String },
    #[error("`{criterion}` is not a criterion of the policy (it names: {known})")]
    UnknownCriterion { criterion: String, known: String },
    #[error("cannot read the approvals of import `{name}` from `{url}`: {message}")]
    Import {
        name: String,
        url: String,
        message: String,
    },
    #[error("cannot draw a random token from the operating system: {0}")]
    Random(String),
}

/// The caller behind a request, once its token checked out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub name: String,
    pub role: Role,
}

/// Why a presented token was refused. The server answers each with the same 401, so that a
/// caller learns nothing about other people's tokens; the reason is for its log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    Malformed,
    Unknown,
    Expired,
    Revoked,
}

/// A token just created: the secret, shown once, and its stored row.
#[derive(Debug, Clone)]
pub struct NewToken {
    pub secret: String,
    pub row: TokenRow,
}

/// Checks a `YYYY-MM-DD` date that must not have passed.
pub fn parse_expiry(date: &str) -> Result<String, RegistryError> {
    let parsed = chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d")
        .map_err(|_| RegistryError::BadDate(date.to_string()))?;
    let normal = parsed.to_string();
    if normal != date {
        return Err(RegistryError::BadDate(date.to_string()));
    }
    if approval_expired(Some(&normal), &today()) {
        return Err(RegistryError::PastDate(normal));
    }
    Ok(normal)
}

fn token_digest(secret: &str) -> String {
    crate::hashing::sha256_hex(secret.as_bytes())
}

/// Creates a token: 32 random bytes from the operating system, of which only the SHA-256 is kept.
pub async fn create_token(
    catalogue: &Catalogue,
    name: &str,
    role: Role,
    expires: Option<&str>,
) -> Result<NewToken, VetError> {
    if !crate::policy::is_criterion_name(name) {
        return Err(RegistryError::BadName(name.to_string()).into());
    }
    let expires_on = expires.map(parse_expiry).transpose()?;
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| RegistryError::Random(e.to_string()))?;
    let secret = format!("{TOKEN_PREFIX}{}", hex::encode(bytes));
    let row = catalogue
        .create_token(name, role, &token_digest(&secret), expires_on.as_deref())
        .await?;
    Ok(NewToken { secret, row })
}

/// Checks a presented token: known, not revoked, not expired.
pub async fn authenticate(
    catalogue: &Catalogue,
    presented: &str,
) -> Result<Result<Principal, Refusal>, CatalogueError> {
    let Some(hex_part) = presented.strip_prefix(TOKEN_PREFIX) else {
        return Ok(Err(Refusal::Malformed));
    };
    if hex_part.len() != 64 || !hex_part.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(Err(Refusal::Malformed));
    }
    let digest = token_digest(presented);
    let Some((row, stored)) = catalogue.token_by_digest(&digest).await? else {
        return Ok(Err(Refusal::Unknown));
    };
    // The lookup is by digest; compare the digests again without an early exit anyway, so that
    // no path through here depends on how many leading characters matched.
    if !bool::from(stored.as_bytes().ct_eq(digest.as_bytes())) {
        return Ok(Err(Refusal::Unknown));
    }
    if row.revoked_at.is_some() {
        return Ok(Err(Refusal::Revoked));
    }
    if approval_expired(row.expires_on.as_deref(), &today()) {
        return Ok(Err(Refusal::Expired));
    }
    Ok(Ok(Principal {
        name: row.name,
        role: row.role,
    }))
}

/// Resolves `NAME@REV` for a decision: the revision must be named, never implied by a name.
pub async fn decided_revision(catalogue: &Catalogue, spec: &str) -> Result<RevisionRef, VetError> {
    let rev = catalogue.resolve(spec).await?;
    if !spec.contains('@') {
        return Err(RegistryError::RevisionNotNamed {
            name: rev.name.to_string(),
            newest: rev.revision.to_string(),
        }
        .into());
    }
    Ok(rev)
}

/// Checks a criterion's name, and that the policy defines it when a policy is given.
pub fn check_criterion(criterion: &str, policy: Option<&Policy>) -> Result<(), RegistryError> {
    if !crate::policy::is_criterion_name(criterion) {
        return Err(RegistryError::BadName(criterion.to_string()));
    }
    if let Some(a) = policy.and_then(|p| p.approvals.as_ref())
        && !a.criteria.contains_key(criterion)
    {
        return Err(RegistryError::UnknownCriterion {
            criterion: criterion.to_string(),
            known: a.criteria.keys().cloned().collect::<Vec<_>>().join(", "),
        });
    }
    Ok(())
}

/// Records that a revision meets a criterion.
pub async fn approve(
    catalogue: &Catalogue,
    rev: &RevisionRef,
    criterion: &str,
    note: Option<&str>,
    expires: Option<&str>,
    policy: Option<&Policy>,
) -> Result<ApprovalRow, VetError> {
    check_criterion(criterion, policy)?;
    let expires_on = expires.map(parse_expiry).transpose()?;
    Ok(catalogue
        .approve(
            rev,
            &NewApproval {
                criterion,
                note,
                expires_on: expires_on.as_deref(),
            },
        )
        .await?)
}

/// The published form of a catalogue's decisions (`approvals --export`, `GET /api/v1/approvals`):
/// every current decision, live, expired or revoked, so that an importer sees withdrawals too.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Export {
    pub schema: u32,
    pub kind: String,
    pub generated_at: String,
    pub approvals: Vec<ExportedApproval>,
}

/// One decision as published.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ExportedApproval {
    pub model: String,
    pub revision: String,
    pub criterion: String,
    pub approved_by: String,
    pub approved_at: String,
    #[serde(default)]
    pub note: Option<String>,
    #[serde(default)]
    pub expires_on: Option<String>,
    #[serde(default)]
    pub revoked_at: Option<String>,
}

/// What `kind` an export document carries.
pub const EXPORT_KIND: &str = "modelvet-approvals";

/// The catalogue's current decisions as an export document.
pub async fn export(catalogue: &Catalogue) -> Result<Export, VetError> {
    let rows = catalogue.approvals(None).await?;
    Ok(Export {
        schema: 1,
        kind: EXPORT_KIND.to_string(),
        generated_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        approvals: rows
            .into_iter()
            .filter(|r| r.current)
            .map(|r| ExportedApproval {
                model: r.model,
                revision: r.revision,
                criterion: r.criterion,
                approved_by: r.approved_by,
                approved_at: r.approved_at,
                note: r.note,
                expires_on: r.expires_on,
                revoked_at: r.revoked_at,
            })
            .collect(),
    })
}

fn state_of(expires_on: Option<&str>, revoked_at: Option<&str>, today: &str) -> ApprovalState {
    if revoked_at.is_some() {
        ApprovalState::Revoked
    } else if approval_expired(expires_on, today) {
        ApprovalState::Expired
    } else {
        ApprovalState::Live
    }
}

/// Reads an import's export document: an `http(s)://` URL (not with `--offline`) or a file.
fn read_import(vet: &Vet<'_>, import: &ApprovalImport) -> Result<Export, RegistryError> {
    let (name, url) = (import.name.as_str(), import.url.as_str());
    let fail = |message: String| RegistryError::Import {
        name: name.to_string(),
        url: url.to_string(),
        message,
    };
    let text = if url.starts_with("http://") || url.starts_with("https://") {
        if vet.offline {
            return Err(fail("--offline forbids the network".into()));
        }
        let token = match &import.token_env {
            Some(var) => match std::env::var(var) {
                Ok(t) if !t.trim().is_empty() => Some(t.trim().to_string()),
                _ => {
                    return Err(fail(format!(
                        "its token_env `{var}` is not set in the environment"
                    )));
                }
            },
            None => None,
        };
        blocking(|| -> Result<String, String> {
            let client = reqwest::blocking::Client::builder()
                .timeout(std::time::Duration::from_secs(30))
                .build()
                .map_err(|e| e.to_string())?;
            let mut request = client.get(url);
            if let Some(t) = &token {
                request = request.bearer_auth(t);
            }
            let response = request.send().map_err(|e| e.to_string())?;
            if !response.status().is_success() {
                return Err(format!("HTTP {}", response.status()));
            }
            response.text().map_err(|e| e.to_string())
        })
        .map_err(fail)?
    } else {
        let path = url.strip_prefix("file://").unwrap_or(url);
        std::fs::read_to_string(path).map_err(|e| fail(e.to_string()))?
    };
    let export: Export = serde_json::from_str(&text).map_err(|e| fail(e.to_string()))?;
    if export.kind != EXPORT_KIND || export.schema != 1 {
        return Err(fail(format!(
            "not a modelvet approvals export (kind `{}`, schema {})",
            export.kind, export.schema
        )));
    }
    Ok(export)
}

/// Everything the approval check of an audit needs to know about `rev`: this catalogue's current
/// decisions, and each import's decisions about the same model and revision, for the criteria the
/// policy trusts that import with.
pub async fn approval_facts(
    vet: &Vet<'_>,
    rev: &RevisionRef,
    approvals: &Approvals,
) -> Result<Vec<ApprovalFact>, VetError> {
    let today = today();
    let mut facts: Vec<ApprovalFact> = vet
        .catalogue
        .approvals_of(rev)
        .await?
        .into_iter()
        .filter(|a| a.current)
        .map(|a| ApprovalFact {
            state: state_of(a.expires_on.as_deref(), a.revoked_at.as_deref(), &today),
            criterion: a.criterion,
            by: a.approved_by,
            source: "this catalogue".into(),
        })
        .collect();
    for import in &approvals.imports {
        let export = read_import(vet, import)?;
        facts.extend(
            export
                .approvals
                .into_iter()
                .filter(|a| {
                    rev.name == a.model
                        && rev.revision == a.revision
                        && import.criteria.contains(&a.criterion)
                })
                .map(|a| ApprovalFact {
                    state: state_of(a.expires_on.as_deref(), a.revoked_at.as_deref(), &today),
                    criterion: a.criterion,
                    by: a.approved_by,
                    source: import.name.clone(),
                }),
        );
    }
    Ok(facts)
}
