//! The JSON API under `/api/v1/`. Documents are the command line's: `GET models/{name}` is
//! `show --format json`, the report route is `report --format …`. Errors are
//! `{"error": {"code", "message"}}`.

use super::AppState;
use super::auth::{Caller, require};
use super::error::ApiError;
use super::paths::{ModelPath, check_name, model_path};
use crate::catalogue::{EventQuery, ListQuery, RevisionRef, Sort};
use crate::record::Role;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use std::sync::Arc;
use std::sync::atomic::Ordering;

type Shared = State<Arc<AppState>>;
type ApiResult = Result<Response, ApiError>;

/// The API's routes.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/api/v1/healthz", get(healthz))
        .route("/api/v1/metrics", get(metrics))
        .route("/api/v1/models", get(list_models).post(add_model))
        .route(
            "/api/v1/models/{*rest}",
            get(get_model).post(post_model).delete(delete_model),
        )
        .route("/api/v1/approvals", get(approvals))
        .route("/api/v1/events", get(events))
}

/// Parses a JSON body into `T`: 413 when too large, 422 with serde's message when malformed.
pub fn json_body<T: serde::de::DeserializeOwned>(
    body: Result<Bytes, BytesRejection>,
) -> Result<T, ApiError> {
    let bytes = body.map_err(|r| {
        let code = if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
            "too-large"
        } else {
            "bad-body"
        };
        ApiError::new(r.status(), code, r.body_text())
    })?;
    serde_json::from_slice(&bytes)
        .map_err(|e| ApiError::unprocessable(format!("the request body is not valid here: {e}")))
}

fn query<T>(q: Result<Query<T>, QueryRejection>) -> Result<T, ApiError> {
    q.map(|Query(v)| v)
        .map_err(|r| ApiError::bad_request(r.body_text()))
}

async fn healthz(State(state): Shared) -> ApiResult {
    let models = state.catalogue.model_count().await?;
    Ok(Json(serde_json::json!({"status": "ok", "models": models})).into_response())
}

async fn metrics(State(state): Shared, headers: HeaderMap) -> ApiResult {
    require(&state, &headers, Role::Reader).await?;
    let m = &state.metrics;
    let mut out = String::new();
    out.push_str("# HELP modelvet_http_requests_total Requests answered, by status class.\n");
    out.push_str("# TYPE modelvet_http_requests_total counter\n");
    for (i, class) in ["1xx", "2xx", "3xx", "4xx", "5xx"].iter().enumerate() {
        out.push_str(&format!(
            "modelvet_http_requests_total{{class=\"{class}\"}} {}\n",
            m.requests[i + 1].load(Ordering::Relaxed)
        ));
    }
    out.push_str("# HELP modelvet_http_requests_in_flight Requests being handled now.\n");
    out.push_str("# TYPE modelvet_http_requests_in_flight gauge\n");
    out.push_str(&format!(
        "modelvet_http_requests_in_flight {}\n",
        m.in_flight.load(Ordering::Relaxed)
    ));
    out.push_str("# HELP modelvet_http_request_duration_seconds_sum Time spent answering.\n");
    out.push_str("# TYPE modelvet_http_request_duration_seconds_sum counter\n");
    out.push_str(&format!(
        "modelvet_http_request_duration_seconds_sum {:.6}\n",
        m.duration_micros.load(Ordering::Relaxed) as f64 / 1e6
    ));
    out.push_str("# HELP modelvet_catalogue_models Models in the catalogue.\n");
    out.push_str("# TYPE modelvet_catalogue_models gauge\n");
    out.push_str(&format!(
        "modelvet_catalogue_models {}\n",
        state.catalogue.model_count().await?
    ));
    out.push_str("# HELP modelvet_uptime_seconds Seconds since the server started.\n");
    out.push_str("# TYPE modelvet_uptime_seconds gauge\n");
    out.push_str(&format!(
        "modelvet_uptime_seconds {}\n",
        state.started.elapsed().as_secs()
    ));
    Ok((
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        out,
    )
        .into_response())
}

/// The catalogue page's query, as the API and the page both take it.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    pub q: Option<String>,
    pub license: Option<String>,
    pub verdict: Option<String>,
    pub openness: Option<String>,
    pub approved: Option<String>,
    pub sort: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

impl ListParams {
    /// The catalogue query these parameters ask for.
    pub fn to_query(&self) -> Result<ListQuery, ApiError> {
        let sort = match self.sort.as_deref().filter(|s| !s.is_empty()) {
            None => Sort::Name,
            Some(s) => Sort::parse(s).ok_or_else(|| {
                ApiError::bad_request(format!("sort `{s}`: use name, -name or added"))
            })?,
        };
        if let Some(v) = self.verdict.as_deref().filter(|v| !v.is_empty())
            && !matches!(v, "passed" | "failed" | "none")
        {
            return Err(ApiError::bad_request(format!(
                "verdict `{v}`: use passed, failed or none"
            )));
        }
        Ok(ListQuery {
            q: self.q.clone(),
            license: self.license.clone(),
            verdict: self.verdict.clone(),
            openness: self.openness.clone(),
            approved: self.approved.clone(),
            sort,
            page: self.page.unwrap_or(1),
            per_page: self.per_page.unwrap_or(50),
        })
    }
}

async fn list_models(
    State(state): Shared,
    headers: HeaderMap,
    params: Result<Query<ListParams>, QueryRejection>,
) -> ApiResult {
    require(&state, &headers, Role::Reader).await?;
    let q = query(params)?.to_query()?;
    Ok(Json(state.list_page(&q).await?.as_ref()).into_response())
}

/// The revision a route names: the newest of NAME, or NAME@REV (a unique prefix of REV).
pub async fn revision(
    state: &AppState,
    name: &str,
    rev: Option<&str>,
) -> Result<RevisionRef, ApiError> {
    check_name(name)?;
    match rev {
        None => state
            .catalogue
            .resolve_exact(&crate::ids::ModelName::new(name))
            .await?
            .ok_or_else(|| ApiError::not_found(format!("no model is named `{name}`"))),
        Some(r) => {
            if state
                .catalogue
                .resolve_exact(&crate::ids::ModelName::new(name))
                .await?
                .is_none()
            {
                return Err(ApiError::not_found(format!("no model is named `{name}`")));
            }
            Ok(state.catalogue.resolve_in(name, Some(r)).await?)
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReportParams {
    format: Option<String>,
}

async fn get_model(
    State(state): Shared,
    headers: HeaderMap,
    Path(rest): Path<String>,
    params: Result<Query<ReportParams>, QueryRejection>,
) -> ApiResult {
    require(&state, &headers, Role::Reader).await?;
    match model_path(&rest)? {
        ModelPath::Model(name) => record_json(&state, &name, None).await,
        ModelPath::Revision { name, rev, action } => match action.as_deref() {
            None => record_json(&state, &name, Some(&rev)).await,
            Some(action) => {
                let rev = revision(&state, &name, Some(&rev)).await?;
                match action {
                    "report" => report(&state, &rev, query(params)?.format.as_deref()).await,
                    "approvals" => {
                        Ok(Json(state.catalogue.approvals_of(&rev).await?).into_response())
                    }
                    other => Err(ApiError::not_found(format!(
                        "no route `{other}` under a revision"
                    ))),
                }
            }
        },
    }
}

/// The `show` document of NAME (newest) or NAME@REV, from the cache when nothing changed.
async fn record_json(state: &AppState, name: &str, rev: Option<&str>) -> ApiResult {
    check_name(name)?;
    let mark = state.catalogue.change_mark().await?;
    let key = format!("{name}\u{0}{}", rev.unwrap_or(""));
    let body = state
        .records
        .get_or_compute(key, mark, || async {
            let rev = revision(state, name, rev).await?;
            let record = crate::vet::record_of(&state.catalogue, &rev).await?;
            let body = serde_json::to_vec(&record).map_err(|e| {
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string())
            })?;
            Ok::<_, ApiError>(Bytes::from(body))
        })
        .await?;
    Ok((
        [(header::CONTENT_TYPE, "application/json")],
        Bytes::clone(&body),
    )
        .into_response())
}

/// A report in one of the command line's formats, with a content type to match.
pub async fn report(state: &AppState, rev: &RevisionRef, format: Option<&str>) -> ApiResult {
    use crate::report::ReportFormat;
    let (format, content_type) = match format.unwrap_or("json") {
        "json" => (ReportFormat::Json, "application/json"),
        "markdown" => (ReportFormat::Markdown, "text/markdown; charset=utf-8"),
        "html" => (ReportFormat::Html, "text/html; charset=utf-8"),
        "cyclonedx" => (ReportFormat::Cyclonedx, "application/vnd.cyclonedx+json"),
        "spdx" => (ReportFormat::Spdx, "application/spdx+json"),
        "intoto" => (ReportFormat::Intoto, "application/vnd.in-toto+json"),
        other => {
            return Err(ApiError::bad_request(format!(
                "format `{other}`: use json, markdown, html, cyclonedx, spdx or intoto"
            )));
        }
    };
    let generated_at = crate::report::timestamp(chrono::Utc::now());
    let doc = crate::vet::report_document(&state.catalogue, rev, &generated_at).await?;
    let text = crate::report::render(&doc, format).map_err(|e| match e {
        crate::report::ReportError::NotAudited(_) => {
            ApiError::new(StatusCode::CONFLICT, "not-audited", e.to_string())
        }
        e => {
            tracing::error!("report failed: {}", super::error::chain(&e));
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "the report could not be written",
            )
        }
    })?;
    let file = format!(
        "attachment; filename=\"{}.{}\"",
        rev.id().to_string().replace(['/', '@', '"'], "_"),
        match format {
            ReportFormat::Markdown => "md",
            ReportFormat::Html => "html",
            _ => "json",
        }
    );
    let mut response = ([(header::CONTENT_TYPE, content_type)], text).into_response();
    if let Ok(v) = axum::http::HeaderValue::from_str(&file) {
        response
            .headers_mut()
            .insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(response)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AddBody {
    source: String,
}

/// The use-case context for a request: the catalogue handle writing as its caller, the server's
/// `--offline`, and no progress drawing.
pub(super) fn vet_for<'a>(
    state: &'a AppState,
    catalogue: &'a crate::catalogue::Catalogue,
) -> crate::vet::Vet<'a> {
    crate::vet::Vet {
        catalogue,
        offline: state.config.offline,
        progress: &crate::hashing::NoProgress,
        download_bars: false,
        blobs: state.config.blobs.as_ref(),
    }
}

/// Adds a Hub model and audits it under the server's policy. Only `hf:` sources: a path would
/// read the server's own disk.
pub async fn add_and_audit(
    state: &AppState,
    caller: &Caller,
    source: &str,
) -> Result<serde_json::Value, ApiError> {
    if !source.starts_with("hf:") {
        return Err(ApiError::unprocessable(
            "the server adds Hub models only: `hf:OWNER/NAME[@REV]`",
        ));
    }
    let catalogue = state.catalogue.acting_as(&caller.name);
    let vet = vet_for(state, &catalogue);
    let added = crate::vet::add(&vet, source, None).await?;
    let rev = added.inserted.rev;
    let verdict =
        crate::vet::audit(&vet, &rev, &state.config.policy, &state.config.policy_name).await?;
    Ok(serde_json::json!({
        "id": rev.id().to_string(),
        "new": added.inserted.new,
        "verdict": verdict,
    }))
}

async fn add_model(
    State(state): Shared,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult {
    let caller = require(&state, &headers, Role::Auditor).await?;
    let body: AddBody = json_body(body)?;
    let out = add_and_audit(&state, &caller, &body.source).await?;
    let status = if out["new"] == true {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(out)).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ApproveBody {
    criterion: String,
    #[serde(default)]
    note: Option<String>,
    #[serde(default)]
    expires: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RevokeParams {
    criterion: Option<String>,
    note: Option<String>,
}

/// Audits a revision under the server's policy, as `caller`.
pub async fn audit(
    state: &AppState,
    caller: &Caller,
    rev: &RevisionRef,
) -> Result<crate::policy::Verdict, ApiError> {
    let catalogue = state.catalogue.acting_as(&caller.name);
    let vet = vet_for(state, &catalogue);
    Ok(crate::vet::audit(&vet, rev, &state.config.policy, &state.config.policy_name).await?)
}

/// Approves a revision, as `caller`, checking the criterion against the server's policy.
pub async fn approve(
    state: &AppState,
    caller: &Caller,
    rev: &RevisionRef,
    criterion: &str,
    note: Option<&str>,
    expires: Option<&str>,
) -> Result<crate::catalogue::ApprovalRow, ApiError> {
    let catalogue = state.catalogue.acting_as(&caller.name);
    let policy = state
        .config
        .policy
        .approvals
        .as_ref()
        .map(|_| &state.config.policy);
    Ok(crate::vet::registry::approve(&catalogue, rev, criterion, note, expires, policy).await?)
}

async fn post_model(
    State(state): Shared,
    headers: HeaderMap,
    Path(rest): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult {
    let caller = require(&state, &headers, Role::Auditor).await?;
    let ModelPath::Revision { name, rev, action } = model_path(&rest)? else {
        return Err(ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method",
            "POST to …/revisions/REV/audit or …/approvals",
        ));
    };
    match action.as_deref() {
        Some("audit") => {
            let rev = revision(&state, &name, Some(&rev)).await?;
            Ok(Json(audit(&state, &caller, &rev).await?).into_response())
        }
        Some("approvals") => {
            let body: ApproveBody = json_body(body)?;
            let rev = revision(&state, &name, Some(&rev)).await?;
            let row = approve(
                &state,
                &caller,
                &rev,
                &body.criterion,
                body.note.as_deref(),
                body.expires.as_deref(),
            )
            .await?;
            Ok((StatusCode::CREATED, Json(row)).into_response())
        }
        _ => Err(ApiError::not_found(
            "POST to …/revisions/REV/audit or …/approvals",
        )),
    }
}

async fn delete_model(
    State(state): Shared,
    headers: HeaderMap,
    Path(rest): Path<String>,
    params: Result<Query<RevokeParams>, QueryRejection>,
) -> ApiResult {
    let path = model_path(&rest)?;
    let params = query(params)?;
    match path {
        ModelPath::Revision {
            name,
            rev,
            action: Some(a),
        } if a == "approvals" => {
            let caller = require(&state, &headers, Role::Auditor).await?;
            let criterion = params
                .criterion
                .ok_or_else(|| ApiError::bad_request("name the criterion: ?criterion=C"))?;
            let rev = revision(&state, &name, Some(&rev)).await?;
            state
                .catalogue
                .acting_as(&caller.name)
                .revoke_approval(&rev, &criterion, params.note.as_deref())
                .await?;
            Ok(
                Json(serde_json::json!({"revoked": rev.id().to_string(), "criterion": criterion}))
                    .into_response(),
            )
        }
        ModelPath::Model(name) => {
            let caller = require(&state, &headers, Role::Admin).await?;
            revision(&state, &name, None).await?;
            let removed = state
                .catalogue
                .acting_as(&caller.name)
                .remove(&name)
                .await?;
            Ok(Json(removed).into_response())
        }
        ModelPath::Revision {
            name,
            rev,
            action: None,
        } => {
            let caller = require(&state, &headers, Role::Admin).await?;
            let rev = revision(&state, &name, Some(&rev)).await?;
            let removed = state
                .catalogue
                .acting_as(&caller.name)
                .remove(&rev.id().to_string())
                .await?;
            Ok(Json(removed).into_response())
        }
        _ => Err(ApiError::not_found("no such route")),
    }
}

async fn approvals(State(state): Shared, headers: HeaderMap) -> ApiResult {
    require(&state, &headers, Role::Reader).await?;
    Ok(Json(crate::vet::registry::export(&state.catalogue).await?).into_response())
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct EventParams {
    model: Option<String>,
    before: Option<i64>,
    limit: Option<i64>,
}

async fn events(
    State(state): Shared,
    headers: HeaderMap,
    params: Result<Query<EventParams>, QueryRejection>,
) -> ApiResult {
    require(&state, &headers, Role::Reader).await?;
    let p = query(params)?;
    let rows = state
        .catalogue
        .events(&EventQuery {
            model: p.model,
            before: p.before,
            limit: p.limit.unwrap_or(100),
        })
        .await?;
    Ok(Json(serde_json::json!({"events": rows})).into_response())
}
