//! Errors as the API answers them: `{"error": {"code", "message"}}` with a 4xx or 5xx status.

use crate::catalogue::CatalogueError;
use crate::vet::VetError;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// An error answer.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
        }
    }

    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "bad-request", message)
    }

    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not-found", message)
    }

    pub fn unauthorized(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }

    pub fn forbidden(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    pub fn unprocessable(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid-body", message)
    }
}

pub use crate::error_chain as chain;

impl From<CatalogueError> for ApiError {
    fn from(e: CatalogueError) -> ApiError {
        match &e {
            CatalogueError::NotFound(_) | CatalogueError::Missing(_) => {
                ApiError::not_found(e.to_string())
            }
            CatalogueError::Ambiguous { .. } => {
                ApiError::new(StatusCode::BAD_REQUEST, "ambiguous", e.to_string())
            }
            CatalogueError::Conflict(_) => {
                ApiError::new(StatusCode::CONFLICT, "conflict", e.to_string())
            }
            _ => {
                tracing::error!("catalogue error: {}", chain(&e));
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "the catalogue could not answer; see the server's log",
                )
            }
        }
    }
}

impl From<VetError> for ApiError {
    fn from(e: VetError) -> ApiError {
        match e {
            VetError::Catalogue(c) => c.into(),
            VetError::Registry(r) => ApiError::unprocessable(r.to_string()),
            VetError::Add { .. } | VetError::Hub(_) | VetError::HubChanged(_) => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "cannot-add", chain(&e))
            }
            VetError::Locate(_) | VetError::NotFromHub { .. } => {
                ApiError::new(StatusCode::CONFLICT, "no-bytes", chain(&e))
            }
            other => {
                tracing::error!("request failed: {}", chain(&other));
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "the request failed; see the server's log",
                )
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({"error": {"code": self.code, "message": self.message}});
        (self.status, axum::Json(body)).into_response()
    }
}
