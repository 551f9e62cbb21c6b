//! The web pages: the catalogue, a model, a diff of two revisions, the event log, and the forms to
//! log in, add, audit, approve and revoke. Server-rendered with minijinja, HTML-escaped
//! everywhere, usable without JavaScript (and none runs: the pages send a CSP without scripts).

use super::AppState;
use super::api::{self, ListParams};
use super::auth::{
    Caller, SESSION_COOKIE, SESSION_HOURS, check_csrf, identify, random_hex, require,
};
use super::error::ApiError;
use super::paths::{check_name, name_at_rev};
use crate::catalogue::EventQuery;
use crate::record::Role;
use axum::Router;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use std::sync::{Arc, OnceLock};

type Shared = State<Arc<AppState>>;
type Page = Result<Response, PageError>;

const TEMPLATES: &[(&str, &str)] = &[
    (
        "layout.html",
        include_str!("../../templates/server/layout.html.j2"),
    ),
    (
        "catalogue.html",
        include_str!("../../templates/server/catalogue.html.j2"),
    ),
    (
        "model.html",
        include_str!("../../templates/server/model.html.j2"),
    ),
    (
        "events.html",
        include_str!("../../templates/server/events.html.j2"),
    ),
    (
        "login.html",
        include_str!("../../templates/server/login.html.j2"),
    ),
    (
        "diff.html",
        include_str!("../../templates/server/diff.html.j2"),
    ),
];

fn env() -> &'static minijinja::Environment<'static> {
    static ENV: OnceLock<minijinja::Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = minijinja::Environment::new();
        // Every page is HTML: escape everything that is not marked safe.
        env.set_auto_escape_callback(|_| minijinja::AutoEscape::Html);
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Chainable);
        for (name, text) in TEMPLATES {
            env.add_template(name, text)
                .expect("embedded page templates parse (checked by a unit test)");
        }
        env.add_filter("mof", |c: u8| crate::record::MofClass(c).label());
        env.add_filter("short", |s: String| -> String {
            if s.len() > 16 && s.is_ascii() {
                format!("{}…", &s[..12])
            } else {
                s
            }
        });
        env
    })
}

/// An error shown as a page (the API's errors are JSON; a person gets HTML).
pub struct PageError(ApiError);

impl From<ApiError> for PageError {
    fn from(e: ApiError) -> PageError {
        PageError(e)
    }
}

impl From<crate::catalogue::CatalogueError> for PageError {
    fn from(e: crate::catalogue::CatalogueError) -> PageError {
        PageError(e.into())
    }
}

impl From<crate::vet::VetError> for PageError {
    fn from(e: crate::vet::VetError) -> PageError {
        PageError(e.into())
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let e = self.0;
        let login = matches!(e.status, StatusCode::UNAUTHORIZED);
        let body = format!(
            "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{status}</title></head><body><h1>{status}</h1><p id=\"error\">{}</p>{}<p><a href=\"/\">catalogue</a></p></body></html>",
            html_escape(&e.message),
            if login {
                "<p><a href=\"/login\">log in</a></p>"
            } else {
                ""
            },
            status = e.status,
        );
        (e.status, Html(body)).into_response()
    }
}

fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            c => out.push(c),
        }
    }
    out
}

fn ser<T: serde::Serialize>(v: T) -> minijinja::Value {
    minijinja::Value::from(minijinja::value::Serde(v))
}

fn render(name: &str, ctx: minijinja::Value) -> Page {
    Ok(Html(render_text(name, ctx)?).into_response())
}

/// A page's HTML.
fn render_text(name: &str, ctx: minijinja::Value) -> Result<String, PageError> {
    let text = env()
        .get_template(name)
        .and_then(|t| t.render(ctx))
        .map_err(|e| {
            tracing::error!("page {name}: {e:#}");
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "the page could not be drawn",
            )
        })?;
    Ok(text)
}

fn base_context(caller: &Option<Caller>) -> (minijinja::Value, minijinja::Value, bool) {
    let who = caller.as_ref().filter(|c| !c.anonymous()).map(|c| {
        minijinja::context! { name => c.name.clone(), role => c.role.as_str() }
    });
    let csrf = caller
        .as_ref()
        .and_then(|c| c.session.as_ref().map(|s| s.1.clone()))
        .unwrap_or_default();
    let can_write = caller
        .as_ref()
        .is_some_and(|c| c.session.is_some() && c.role.allows(Role::Auditor));
    (
        who.unwrap_or_default(),
        minijinja::Value::from(csrf),
        can_write,
    )
}

/// The caller of a page: must be able to read.
async fn reader(state: &AppState, headers: &HeaderMap) -> Result<Option<Caller>, PageError> {
    let caller = require(state, headers, Role::Reader).await?;
    Ok(Some(caller))
}

/// The page routes.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/", get(catalogue))
        // Browsers ask for it on every page; no icon, but no 404 in their console either.
        .route("/favicon.ico", get(|| async { StatusCode::NO_CONTENT }))
        .route("/models/{*rest}", get(model))
        .route("/diff/{*rest}", get(diff))
        .route("/events", get(events))
        .route("/login", get(login_form).post(login))
        .route("/logout", post(logout))
        .route("/ui/add", post(add))
        .route("/ui/audit", post(audit))
        .route("/ui/approve", post(approve))
        .route("/ui/revoke", post(revoke))
}

fn page_url(p: &ListParams, page: i64) -> String {
    let mut parts = vec![format!("page={page}")];
    let mut push = |k: &str, v: &Option<String>| {
        if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
            let enc: String = url_encode(v);
            parts.push(format!("{k}={enc}"));
        }
    };
    push("q", &p.q);
    push("license", &p.license);
    push("verdict", &p.verdict);
    push("openness", &p.openness);
    push("approved", &p.approved);
    push("sort", &p.sort);
    format!("/?{}", parts.join("&"))
}

fn url_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

async fn catalogue(
    State(state): Shared,
    headers: HeaderMap,
    params: Result<Query<ListParams>, QueryRejection>,
) -> Page {
    let caller = reader(&state, &headers).await?;
    let Query(params) = params.map_err(|r| ApiError::bad_request(r.body_text()))?;
    let query = params.to_query()?;
    let (who, csrf, can_write) = base_context(&caller);
    // The drawn page, per query and per caller (the header names the caller and the forms carry
    // the session's CSRF token), kept while nothing changed like the page data it is drawn from.
    let mark = state.catalogue.change_mark().await?;
    let key = format!("{query:?}\n{who:?}\n{csrf:?}");
    let html = state
        .drawn
        .get_or_compute(key, mark, || async {
            let page = state.list_page(&query).await?;
            let page = page.as_ref();
            let pages = ((page.total + page.per_page - 1) / page.per_page).max(1);
            let html = render_text(
                "catalogue.html",
                minijinja::context! {
                    css => include_str!("../../templates/report.css"),
                    caller => who, csrf => csrf, can_write => can_write,
                    params => minijinja::context! {
                        q => params.q.clone(), license => params.license.clone(), verdict => params.verdict.clone().unwrap_or_default(),
                        openness => params.openness.clone().unwrap_or_default(), approved => params.approved.clone(),
                        sort => params.sort.clone().unwrap_or_else(|| "name".into()),
                    },
                    page => ser(page),
                    pages => pages,
                    prev_url => (page.page > 1).then(|| page_url(&params, page.page - 1)),
                    next_url => (page.page < pages).then(|| page_url(&params, page.page + 1)),
                },
            )?;
            Ok::<_, PageError>(axum::body::Bytes::from(html))
        })
        .await?;
    // Bytes: a hit shares the drawn page, it does not copy it.
    Ok(Html(html.as_ref().clone()).into_response())
}

async fn model(
    State(state): Shared,
    headers: HeaderMap,
    Path(rest): Path<String>,
    flash: Result<Query<FlashParam>, QueryRejection>,
) -> Page {
    let caller = reader(&state, &headers).await?;
    let flash = flash.ok().and_then(|Query(f)| f.flash);
    let (name, rev) = name_at_rev(&rest)?;
    let rev = api::revision(&state, &name, rev.as_deref()).await?;
    let generated_at = crate::report::timestamp(chrono::Utc::now());
    let doc = crate::vet::report_document(&state.catalogue, &rev, &generated_at).await?;
    let report_html = crate::report::html_sections(&doc).map_err(|e| {
        tracing::error!("report: {}", super::error::chain(&e));
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the report could not be drawn",
        )
    })?;
    let record = &doc.record;
    let approvals = state.catalogue.approvals_of(&rev).await?;
    let today = crate::catalogue::today();
    let live: Vec<_> = approvals
        .iter()
        .filter(|a| {
            a.current
                && a.revoked_at.is_none()
                && !crate::catalogue::approval_expired(a.expires_on.as_deref(), &today)
        })
        .cloned()
        .collect();
    let audits = state.catalogue.runs(&rev, "audit", 20).await?;
    // The summary is the reports' own (report::summary): the same findings and key obligations.
    let audit = doc.audit.as_ref().and_then(|a| a.verdict.as_ref());
    let events = state
        .catalogue
        .events(&EventQuery {
            model: Some(rev.name.to_string()),
            before: None,
            limit: 50,
        })
        .await?;
    let criteria: Vec<String> = state
        .config
        .policy
        .approvals
        .as_ref()
        .map(|a| a.criteria.keys().cloned().collect())
        .unwrap_or_default();
    let (who, csrf, can_write) = base_context(&caller);
    render(
        "model.html",
        minijinja::context! {
            css => include_str!("../../templates/report.css"),
            caller => who, csrf => csrf, can_write => can_write,
            flash => flash,
            r => ser(record),
            audit => ser(audit),
            audit_at => doc.audit.as_ref().map(|a| a.at.clone()),
            audits => ser(&audits),
            serious => ser(&doc.summary.findings),
            obligations => ser(&doc.summary.key_obligations),
            approvals => ser(&approvals),
            live => ser(&live),
            events => ser(&events),
            criteria => criteria,
            report_html => report_html,
        },
    )
}

/// Redirects after a form to a page that shows `message` (escaped like everything else).
fn redirect_with(to: &str, message: &str) -> Response {
    Redirect::to(&format!("{to}?flash={}", url_encode(message))).into_response()
}

#[derive(Debug, Default, Deserialize)]
struct FlashParam {
    flash: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DiffParams {
    from: String,
    to: String,
}

#[derive(Debug, serde::Serialize)]
struct Change {
    what: String,
    before: String,
    after: String,
}

async fn diff(
    State(state): Shared,
    headers: HeaderMap,
    Path(name): Path<String>,
    params: Result<Query<DiffParams>, QueryRejection>,
) -> Page {
    let caller = reader(&state, &headers).await?;
    check_name(&name)?;
    let Query(p) = params.map_err(|r| ApiError::bad_request(r.body_text()))?;
    let a = api::revision(&state, &name, Some(&p.from)).await?;
    let b = api::revision(&state, &name, Some(&p.to)).await?;
    let ra = crate::vet::record_of(&state.catalogue, &a).await?;
    let rb = crate::vet::record_of(&state.catalogue, &b).await?;
    let mut changes = Vec::new();
    let mut push = |what: String, before: String, after: String| {
        if before != after {
            changes.push(Change {
                what,
                before,
                after,
            });
        }
    };
    push(
        "license".into(),
        ra.license.effective.to_string(),
        rb.license.effective.to_string(),
    );
    let class = |r: &crate::record::ModelRecord| {
        r.openness
            .as_ref()
            .map(|o| format!("{} · MOF {}", o.class, o.mof.class.label()))
            .unwrap_or_default()
    };
    push("openness".into(), class(&ra), class(&rb));
    let verdict = |run: Option<crate::catalogue::Run>| {
        run.map(|r| r.status)
            .unwrap_or_else(|| "not audited".into())
    };
    push(
        "verdict".into(),
        verdict(state.catalogue.latest_run(&a, "audit").await?),
        verdict(state.catalogue.latest_run(&b, "audit").await?),
    );
    let digest = |f: &crate::record::FileRecord| {
        f.sha256
            .as_ref()
            .map(|d| d.to_string())
            .or_else(|| f.git_oid.as_ref().map(|d| d.to_string()))
            .unwrap_or_default()
    };
    for fa in &ra.files {
        match rb.files.iter().find(|fb| fb.path == fa.path) {
            None => push(format!("file {}", fa.path), digest(fa), "(removed)".into()),
            Some(fb) => push(format!("file {}", fa.path), digest(fa), digest(fb)),
        }
    }
    for fb in rb
        .files
        .iter()
        .filter(|fb| !ra.files.iter().any(|fa| fa.path == fb.path))
    {
        push(format!("file {}", fb.path), "(added)".into(), digest(fb));
    }
    let (who, csrf, _) = base_context(&caller);
    render(
        "diff.html",
        minijinja::context! {
            css => include_str!("../../templates/report.css"),
            caller => who, csrf => csrf,
            name => name, from => a.revision.to_string(), to => b.revision.to_string(),
            changes => ser(&changes),
        },
    )
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct EventPageParams {
    before: Option<i64>,
}

async fn events(
    State(state): Shared,
    headers: HeaderMap,
    params: Result<Query<EventPageParams>, QueryRejection>,
) -> Page {
    let caller = reader(&state, &headers).await?;
    let Query(p) = params.map_err(|r| ApiError::bad_request(r.body_text()))?;
    let rows = state
        .catalogue
        .events(&EventQuery {
            model: None,
            before: p.before,
            limit: 100,
        })
        .await?;
    let older = (rows.len() == 100)
        .then(|| rows.last().map(|e| e.id))
        .flatten();
    let (who, csrf, _) = base_context(&caller);
    render(
        "events.html",
        minijinja::context! {
            css => include_str!("../../templates/report.css"),
            caller => who, csrf => csrf,
            events => ser(&rows),
            older => older,
        },
    )
}

async fn login_form(State(state): Shared, headers: HeaderMap) -> Page {
    let caller = identify(&state, &headers).await.unwrap_or(None);
    let (who, csrf, _) = base_context(&caller);
    render(
        "login.html",
        minijinja::context! { css => include_str!("../../templates/report.css"), caller => who, csrf => csrf },
    )
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LoginForm {
    token: String,
}

/// Exchanges a pasted token for a session cookie. The token itself never goes into the cookie.
async fn login(State(state): Shared, form: Result<Form<LoginForm>, FormRejection>) -> Page {
    let form = form_body(form)?;
    let token = form.token.trim();
    match crate::vet::registry::authenticate(&state.catalogue, token).await? {
        Ok(_) => {}
        Err(refusal) => {
            tracing::info!("refused a login: {refusal:?}");
            return Err(ApiError::unauthorized(
                "the token is not valid (unknown, expired or revoked)",
            )
            .into());
        }
    }
    let secret = random_hex()?;
    let csrf = random_hex()?;
    let expires = chrono::Utc::now() + chrono::Duration::hours(SESSION_HOURS);
    state
        .catalogue
        .create_session(
            &crate::hashing::sha256_hex(secret.as_bytes()),
            &crate::hashing::sha256_hex(token.as_bytes()),
            &csrf,
            &expires.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        )
        .await?;
    let secure = if state.config.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    let cookie = format!(
        "{SESSION_COOKIE}={secret}; Path=/; Max-Age={}; HttpOnly; SameSite=Strict{secure}",
        SESSION_HOURS * 3600
    );
    let mut r = Redirect::to("/").into_response();
    r.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&cookie).map_err(|_| ApiError::bad_request("bad cookie"))?,
    );
    Ok(r)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CsrfOnly {
    csrf: Option<String>,
}

async fn logout(
    State(state): Shared,
    headers: HeaderMap,
    form: Result<Form<CsrfOnly>, FormRejection>,
) -> Page {
    let form = form_body(form)?;
    if let Some(caller) = identify(&state, &headers).await? {
        check_csrf(&caller, form.csrf.as_deref())?;
        if let Some((digest, _)) = &caller.session {
            state.catalogue.end_session(digest).await?;
        }
    }
    let mut r = Redirect::to("/").into_response();
    r.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("modelvet_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict"),
    );
    Ok(r)
}

/// A form's fields, or 422 with the parser's message.
fn form_body<T>(form: Result<Form<T>, FormRejection>) -> Result<T, ApiError> {
    form.map(|Form(f)| f)
        .map_err(|r| ApiError::unprocessable(r.body_text()))
}

/// The caller of a form: an auditor with a session whose CSRF token the form carries.
async fn form_caller(
    state: &AppState,
    headers: &HeaderMap,
    csrf: Option<&str>,
) -> Result<Caller, PageError> {
    let caller = require(state, headers, Role::Auditor).await?;
    check_csrf(&caller, csrf)?;
    Ok(caller)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AddForm {
    csrf: Option<String>,
    source: String,
}

async fn add(
    State(state): Shared,
    headers: HeaderMap,
    form: Result<Form<AddForm>, FormRejection>,
) -> Page {
    let form = form_body(form)?;
    let caller = form_caller(&state, &headers, form.csrf.as_deref()).await?;
    let out = api::add_and_audit(&state, &caller, form.source.trim()).await?;
    let id = out["id"].as_str().unwrap_or_default().to_string();
    let name = id
        .rsplit_once('@')
        .map(|(n, _)| n.to_string())
        .unwrap_or_default();
    Ok(redirect_with(
        &format!("/models/{id}"),
        &format!(
            "added {name}; audit {}",
            if out["verdict"]["pass"] == true {
                "passed"
            } else {
                "failed"
            }
        ),
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RevisionForm {
    csrf: Option<String>,
    model: String,
    revision: String,
    #[serde(default)]
    criterion: Option<String>,
    #[serde(default)]
    note: Option<String>,
    #[serde(default)]
    expires: Option<String>,
}

async fn audit(
    State(state): Shared,
    headers: HeaderMap,
    form: Result<Form<RevisionForm>, FormRejection>,
) -> Page {
    let form = form_body(form)?;
    let caller = form_caller(&state, &headers, form.csrf.as_deref()).await?;
    let rev = api::revision(&state, &form.model, Some(&form.revision)).await?;
    let verdict = api::audit(&state, &caller, &rev).await?;
    Ok(redirect_with(
        &format!("/models/{}", rev.id()),
        &format!("audit {}", if verdict.pass { "passed" } else { "failed" }),
    ))
}

/// What an approve or revoke form decides about: its caller, the revision and the criterion.
async fn decision(
    state: &AppState,
    headers: &HeaderMap,
    form: &RevisionForm,
) -> Result<(Caller, crate::catalogue::RevisionRef, String), PageError> {
    let caller = form_caller(state, headers, form.csrf.as_deref()).await?;
    let criterion =
        non_empty(&form.criterion).ok_or_else(|| ApiError::unprocessable("name a criterion"))?;
    let rev = api::revision(state, &form.model, Some(&form.revision)).await?;
    Ok((caller, rev, criterion.to_string()))
}

fn non_empty(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

async fn approve(
    State(state): Shared,
    headers: HeaderMap,
    form: Result<Form<RevisionForm>, FormRejection>,
) -> Page {
    let form = form_body(form)?;
    let (caller, rev, criterion) = decision(&state, &headers, &form).await?;
    let criterion = criterion.as_str();
    api::approve(
        &state,
        &caller,
        &rev,
        criterion,
        non_empty(&form.note),
        non_empty(&form.expires),
    )
    .await?;
    Ok(redirect_with(
        &format!("/models/{}", rev.id()),
        &format!("approved for {criterion}"),
    ))
}

async fn revoke(
    State(state): Shared,
    headers: HeaderMap,
    form: Result<Form<RevisionForm>, FormRejection>,
) -> Page {
    let form = form_body(form)?;
    let (caller, rev, criterion) = decision(&state, &headers, &form).await?;
    let criterion = criterion.as_str();
    state
        .catalogue
        .acting_as(&caller.name)
        .revoke_approval(&rev, criterion, non_empty(&form.note))
        .await?;
    Ok(redirect_with(
        &format!("/models/{}", rev.id()),
        &format!("revoked {criterion}"),
    ))
}

#[cfg(test)]
mod tests {
    #[test]
    fn page_templates_parse() {
        for (name, _) in super::TEMPLATES {
            super::env().get_template(name).unwrap();
        }
    }
}
