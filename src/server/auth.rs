//! Who is asking: a bearer token (`Authorization: Bearer mvt_…`, also what the Hub clients send
//! as `HF_TOKEN`), or a browser session cookie set by the login form. Roles are checked here; the
//! CSRF token of a session is checked on every form.

use super::AppState;
use super::error::ApiError;
use crate::record::Role;
use crate::vet::registry::{Principal, Refusal, authenticate};
use axum::http::HeaderMap;
use axum::http::header::{AUTHORIZATION, COOKIE};
use subtle::ConstantTimeEq;

/// The browser session's cookie.
pub const SESSION_COOKIE: &str = "modelvet_session";

/// How long a browser session lasts.
pub const SESSION_HOURS: i64 = 12;

/// The caller of a request.
#[derive(Debug, Clone)]
pub struct Caller {
    pub name: String,
    pub role: Role,
    /// Set for a browser session: its cookie's digest and its CSRF token.
    pub session: Option<(String, String)>,
}

impl Caller {
    /// Whether the request carried no credentials (allowed to read with `--public-read`).
    pub fn anonymous(&self) -> bool {
        self.name.is_empty()
    }
}

fn refusal_message(r: Refusal) -> &'static str {
    match r {
        Refusal::Malformed => "the token is not a modelvet token (mvt_…)",
        // One message for unknown, expired and revoked: the log has the reason.
        Refusal::Unknown | Refusal::Expired | Refusal::Revoked => {
            "the token is not valid (unknown, expired or revoked)"
        }
    }
}

/// The session cookie's value, if the request has one.
pub fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| cookie::Cookie::split_parse(v.to_string()))
        .filter_map(Result::ok)
        .find(|c| c.name() == SESSION_COOKIE)
        .map(|c| c.value().to_string())
}

/// Identifies the caller; `None` without credentials. Bad credentials are a 401, never anonymous.
pub async fn identify(state: &AppState, headers: &HeaderMap) -> Result<Option<Caller>, ApiError> {
    if let Some(value) = headers.get(AUTHORIZATION) {
        let text = value
            .to_str()
            .map_err(|_| ApiError::unauthorized("the Authorization header is not text"))?;
        let token = text
            .strip_prefix("Bearer ")
            .or_else(|| text.strip_prefix("bearer "))
            .ok_or_else(|| ApiError::unauthorized("use `Authorization: Bearer mvt_…`"))?
            .trim();
        return match authenticate(&state.catalogue, token).await? {
            Ok(Principal { name, role }) => Ok(Some(Caller {
                name,
                role,
                session: None,
            })),
            Err(refusal) => {
                tracing::info!("refused a bearer token: {refusal:?}");
                Err(ApiError::unauthorized(refusal_message(refusal)))
            }
        };
    }
    let Some(cookie) = session_cookie(headers) else {
        return Ok(None);
    };
    let digest = crate::hashing::sha256_hex(cookie.as_bytes());
    // A stale cookie (logged out, expired) is the same as none: the pages offer the login form.
    let Some(session) = state.catalogue.session(&digest).await? else {
        return Ok(None);
    };
    let Some((row, _)) = state
        .catalogue
        .token_by_digest(&session.token_sha256)
        .await?
    else {
        return Ok(None);
    };
    let today = crate::catalogue::today();
    if row.revoked_at.is_some()
        || crate::catalogue::approval_expired(row.expires_on.as_deref(), &today)
    {
        return Ok(None);
    }
    Ok(Some(Caller {
        name: row.name,
        role: row.role,
        session: Some((digest, session.csrf)),
    }))
}

/// The caller, who must hold at least `needed`. Readers may be anonymous with `--public-read`.
pub async fn require(
    state: &AppState,
    headers: &HeaderMap,
    needed: Role,
) -> Result<Caller, ApiError> {
    match identify(state, headers).await? {
        Some(caller) if caller.role.allows(needed) => Ok(caller),
        Some(caller) => Err(ApiError::forbidden(format!(
            "`{}` has role {}; this needs {}",
            caller.name,
            caller.role.as_str(),
            needed.as_str()
        ))),
        None if needed == Role::Reader && state.config.public_read => Ok(Caller {
            name: String::new(),
            role: Role::Reader,
            session: None,
        }),
        None => Err(ApiError::unauthorized(
            "a token is required: `Authorization: Bearer mvt_…` (create one with `modelvet token create`)",
        )),
    }
}

/// Checks a form's CSRF token against the caller's session (forms need a session).
pub fn check_csrf(caller: &Caller, presented: Option<&str>) -> Result<(), ApiError> {
    let Some((_, expected)) = &caller.session else {
        return Err(ApiError::forbidden(
            "forms need a browser session; log in first",
        ));
    };
    let presented = presented.unwrap_or("");
    if bool::from(presented.as_bytes().ct_eq(expected.as_bytes())) && !presented.is_empty() {
        Ok(())
    } else {
        Err(ApiError::forbidden(
            "the form's CSRF token is missing or wrong; reload the page and try again",
        ))
    }
}

/// A random value for a session cookie or a CSRF token (32 bytes from the OS, hex).
pub fn random_hex() -> Result<String, ApiError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| {
        tracing::error!("no randomness: {e}");
        ApiError::new(
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "cannot draw random bytes",
        )
    })?;
    Ok(hex::encode(bytes))
}
