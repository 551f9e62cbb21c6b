//! The team registry (`modelvet serve`): a web catalogue and a JSON API over the same use-case
//! layer as the command line, so a page and a command can never disagree.
//!
//! - `api`: the JSON API under `/api/v1/` (DESIGN.md, "The registry server").
//! - `ui`: server-rendered HTML pages and forms (no JavaScript needed).
//! - `auth`: tokens, sessions, roles and CSRF.
//! - `mirror`: the Hugging Face Hub's API and `resolve` URLs, for vetted revisions only.
//!
//! Limits: request bodies are capped (413), handlers and slow request bodies time out (408),
//! request headers must arrive within a few seconds, and past a concurrency limit the server
//! answers 503 instead of queueing without bound. SIGTERM stops accepting and drains the requests
//! in flight.

mod api;
mod auth;
mod error;
mod mirror;
mod paths;
mod ui;

use crate::catalogue::Catalogue;
use crate::policy::Policy;
use axum::Router;
use axum::error_handling::HandleErrorLayer;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

pub use error::ApiError;

/// How the server runs.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Let requests without a token read (never write).
    pub public_read: bool,
    /// The policy audits run under: a parsed file and its name, or the built-in default.
    pub policy: Policy,
    pub policy_name: String,
    /// The longest a request may take, end to end.
    pub request_timeout: Duration,
    /// The longest a client may take to send its request headers, and then its body.
    pub read_timeout: Duration,
    /// The largest request body accepted.
    pub body_limit: usize,
    /// Requests handled at once; more get 503.
    pub concurrency: usize,
    /// Mark the session cookie `Secure` (behind a TLS proxy).
    pub secure_cookies: bool,
    /// Never touch the network (no Hub access for adds and audits).
    pub offline: bool,
    /// The Hub mirror's blob store (none: the mirror answers metadata but serves no bytes).
    pub blobs: Option<crate::blobs::BlobStore>,
    /// Where the mirror pulls missing blobs of vetted revisions from (`--upstream`).
    pub upstream: Option<crate::vet::mirror::Upstream>,
    /// Entries per page of a Hub tree listing (the Hub's own is 1,000).
    pub tree_page_size: usize,
}

impl ServerConfig {
    /// Defaults for everything but the policy.
    pub fn new(policy: Policy, policy_name: String) -> ServerConfig {
        ServerConfig {
            public_read: false,
            policy,
            policy_name,
            request_timeout: Duration::from_secs(600),
            read_timeout: Duration::from_secs(10),
            body_limit: 64 * 1024,
            concurrency: 256,
            secure_cookies: false,
            offline: false,
            blobs: None,
            upstream: None,
            tree_page_size: 1000,
        }
    }
}

/// Request counters for `/api/v1/metrics`.
#[derive(Debug, Default)]
pub struct Metrics {
    requests: [AtomicU64; 6],
    in_flight: AtomicU64,
    duration_micros: AtomicU64,
}

impl Metrics {
    fn record(&self, status: StatusCode, took: Duration) {
        let class = (status.as_u16() / 100) as usize;
        self.requests[class.min(5)].fetch_add(1, Ordering::Relaxed);
        self.duration_micros
            .fetch_add(took.as_micros() as u64, Ordering::Relaxed);
    }
}

/// A cached value: the change mark it was computed at, when (or when a caller set out to compute
/// it again), and the value.
struct CacheEntry<T> {
    mark: i64,
    at: std::time::Instant,
    value: Arc<T>,
}

/// Answers computed from the catalogue, kept while nothing was written since (the catalogue's
/// change mark, which every write moves, also when another server sharing the database wrote) and
/// for at most a few seconds (a record also follows files on disk, such as a folder's
/// `modelvet.yaml`, and the catalogue page's summaries are written just after their event).
///
/// One computation per key at a time. When an entry has gone stale at the same change mark, the
/// first caller computes it again while the others keep getting the old value. When there is no
/// entry at this mark (a key never asked for, or the catalogue changed), the first caller computes
/// it and the others wait for its answer: 64 clients asking for a new page at once make one
/// database round, not 64.
pub struct Cache<T> {
    entries: std::sync::Mutex<std::collections::HashMap<String, CacheEntry<T>>>,
    /// Per key, held by the caller computing an entry that is missing at its mark.
    gates: std::sync::Mutex<std::collections::HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    ttl: Duration,
}

impl<T> std::fmt::Debug for Cache<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cache").field("ttl", &self.ttl).finish()
    }
}

/// What the cache has for a key at a mark.
enum Lookup<T> {
    Hit(Arc<T>),
    /// Stale at this mark, and this caller is to compute it again.
    Refresh,
    Missing,
}

impl<T> Cache<T> {
    const MAX_ENTRIES: usize = 10_000;

    pub fn new(ttl: Duration) -> Cache<T> {
        Cache {
            entries: Default::default(),
            gates: Default::default(),
            ttl,
        }
    }

    fn lookup(&self, key: &str, mark: i64) -> Lookup<T> {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        match entries.get_mut(key) {
            Some(e) if e.mark == mark => {
                if e.at.elapsed() < self.ttl {
                    Lookup::Hit(e.value.clone())
                } else {
                    // The others keep the old value for one more TTL while this caller computes;
                    // should it fail or be cancelled, a caller after that tries again.
                    e.at = std::time::Instant::now();
                    Lookup::Refresh
                }
            }
            _ => Lookup::Missing,
        }
    }

    /// The entry at this mark, fresh or not (after waiting for the caller that computed it).
    fn at_mark(&self, key: &str, mark: i64) -> Option<Arc<T>> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries
            .get(key)
            .filter(|e| e.mark == mark)
            .map(|e| e.value.clone())
    }

    fn put(&self, key: &str, mark: i64, value: Arc<T>) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= Self::MAX_ENTRIES {
            entries.clear();
        }
        let at = std::time::Instant::now();
        let entry = CacheEntry { mark, at, value };
        entries.insert(key.to_string(), entry);
    }

    /// The value under `key` at change mark `mark`, computed by `compute` when the cache has none
    /// to give (see the type's comment for who computes and who waits). Errors are not kept.
    pub async fn get_or_compute<E, Fut>(
        &self,
        key: String,
        mark: i64,
        compute: impl FnOnce() -> Fut,
    ) -> Result<Arc<T>, E>
    where
        Fut: std::future::Future<Output = Result<T, E>>,
    {
        match self.lookup(&key, mark) {
            Lookup::Hit(v) => return Ok(v),
            Lookup::Refresh => {
                let v = Arc::new(compute().await?);
                self.put(&key, mark, v.clone());
                return Ok(v);
            }
            Lookup::Missing => {}
        }
        let gate = {
            let mut gates = self.gates.lock().unwrap_or_else(|e| e.into_inner());
            gates.entry(key.clone()).or_default().clone()
        };
        let result = {
            let _turn = gate.lock().await;
            match self.at_mark(&key, mark) {
                Some(v) => Ok(v),
                None => compute().await.map(|v| {
                    let v = Arc::new(v);
                    self.put(&key, mark, v.clone());
                    v
                }),
            }
        };
        // The gate goes when no other caller holds it (the map's and this one's are the two left).
        let mut gates = self.gates.lock().unwrap_or_else(|e| e.into_inner());
        if gates.get(&key).is_some_and(|g| Arc::strong_count(g) <= 2) {
            gates.remove(&key);
        }
        result
    }
}

/// What every handler shares.
pub struct AppState {
    pub catalogue: Catalogue,
    pub config: ServerConfig,
    pub metrics: Metrics,
    pub started: std::time::Instant,
    /// Serialized model documents, by route.
    pub records: Cache<axum::body::Bytes>,
    /// Catalogue pages, by query.
    pub pages: Cache<crate::catalogue::ListPage>,
    /// Catalogue pages as drawn, by query and caller.
    pub drawn: Cache<axum::body::Bytes>,
    /// The mirror's answer to "which revision of REPO does REV mean, and may it be served", by
    /// repo and revision (a client's snapshot asks it twice per file).
    pub mirror: Cache<Result<crate::vet::mirror::Served, crate::vet::mirror::Refused>>,
}

impl AppState {
    /// The state for a catalogue and a configuration.
    pub fn new(catalogue: Catalogue, config: ServerConfig) -> AppState {
        AppState {
            catalogue,
            config,
            metrics: Metrics::default(),
            started: std::time::Instant::now(),
            records: Cache::new(Duration::from_secs(2)),
            pages: Cache::new(Duration::from_secs(2)),
            drawn: Cache::new(Duration::from_secs(2)),
            mirror: Cache::new(Duration::from_secs(2)),
        }
    }

    /// A catalogue page, from the cache when nothing changed.
    pub async fn list_page(
        &self,
        q: &crate::catalogue::ListQuery,
    ) -> Result<Arc<crate::catalogue::ListPage>, crate::catalogue::CatalogueError> {
        let mark = self.catalogue.change_mark().await?;
        self.pages
            .get_or_compute(format!("{q:?}"), mark, || self.catalogue.list_page(q))
            .await
    }
}

async fn count_requests(State(state): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let start = std::time::Instant::now();
    state.metrics.in_flight.fetch_add(1, Ordering::Relaxed);
    let response = next.run(req).await;
    state.metrics.in_flight.fetch_sub(1, Ordering::Relaxed);
    state.metrics.record(response.status(), start.elapsed());
    response
}

async fn security_headers(req: Request, next: Next) -> Response {
    let mut response = next.run(req).await;
    let h = response.headers_mut();
    use axum::http::HeaderValue;
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    h.insert("referrer-policy", HeaderValue::from_static("same-origin"));
    // No script runs on any page: a card or file name that smuggles markup past escaping still
    // cannot execute.
    if !h.contains_key("content-security-policy") {
        h.insert(
            "content-security-policy",
            HeaderValue::from_static(
                "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
            ),
        );
    }
    response
}

/// The whole application: pages, API and their limits.
pub fn router(state: Arc<AppState>) -> Router {
    let limits = tower::ServiceBuilder::new()
        .layer(HandleErrorLayer::new(|e: tower::BoxError| async move {
            if e.is::<tower::load_shed::error::Overloaded>() {
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "overloaded",
                    "too many requests at once; try again",
                )
                .into_response()
            } else {
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string())
                    .into_response()
            }
        }))
        .load_shed()
        .concurrency_limit(state.config.concurrency);
    Router::new()
        .merge(api::routes())
        .merge(ui::routes())
        .merge(mirror::routes())
        .fallback(mirror::fallback)
        .layer(DefaultBodyLimit::max(state.config.body_limit))
        .layer(tower_http::timeout::RequestBodyTimeoutLayer::new(
            state.config.read_timeout,
        ))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            state.config.request_timeout,
        ))
        .layer(axum::middleware::from_fn(security_headers))
        .layer(limits)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            count_requests,
        ))
        .with_state(state)
}

/// Serves `router` on `listener` until `shutdown` resolves, then stops accepting and waits for
/// the requests in flight (up to `drain`).
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    read_timeout: Duration,
    drain: Duration,
    shutdown: impl std::future::Future<Output = ()>,
) {
    use hyper_util::rt::{TokioIo, TokioTimer};
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(read_timeout)
        .max_buf_size(64 * 1024);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let stream = match accepted {
                    Ok((stream, _)) => stream,
                    Err(e) => {
                        // Out of file descriptors and the like: wait rather than spin.
                        tracing::warn!("accept failed: {e}");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let service = hyper_util::service::TowerToHyperService::new(app.clone());
                let connection = builder.serve_connection(TokioIo::new(stream), service);
                let watched = graceful.watch(connection);
                tokio::spawn(async move {
                    if let Err(e) = watched.await {
                        tracing::debug!("connection ended: {e}");
                    }
                });
            }
            () = &mut shutdown => break,
        }
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(drain) => {
            tracing::warn!("requests still running after {drain:?}; stopping anyway");
        }
    }
}

/// Fills in the catalogue page's summary of every newest revision that has none (models added
/// before this version, or by the command line of an older one). Runs in the background.
pub async fn summarise_missing(catalogue: Catalogue) {
    let mut failed = std::collections::HashSet::new();
    loop {
        let todo = match catalogue.unsummarised(500 + failed.len() as i64).await {
            Ok(t) => t,
            Err(e) => {
                tracing::warn!("cannot list unsummarised revisions: {}", error::chain(&e));
                return;
            }
        };
        let todo: Vec<_> = todo
            .into_iter()
            .filter(|r| !failed.contains(&r.key))
            .collect();
        if todo.is_empty() {
            return;
        }
        for rev in &todo {
            if let Err(e) = crate::vet::summarise(&catalogue, rev).await {
                tracing::warn!("cannot summarise `{}`: {}", rev.id(), error::chain(&e));
                failed.insert(rev.key);
            }
        }
    }
}

/// Runs `outdated` over every Hub model now and then every `every` (`serve --check-upstream`),
/// recording each observation as the scheduled check; the model pages and `show` list them.
pub async fn check_upstream(state: Arc<AppState>, every: Duration) {
    let catalogue = state.catalogue.acting_as("serve --check-upstream");
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let vet = api::vet_for(&state, &catalogue);
        match crate::vet::drift::outdated(&vet, &[]).await {
            Ok(reports) => {
                let drifted: Vec<String> = reports
                    .iter()
                    .filter(|r| r.drifted())
                    .map(|r| r.id.to_string())
                    .collect();
                if drifted.is_empty() {
                    tracing::info!("upstream check: {} Hub models, all current", reports.len());
                } else {
                    tracing::warn!(
                        "upstream check: {} of {} Hub models drifted: {}",
                        drifted.len(),
                        reports.len(),
                        drifted.join(", ")
                    );
                }
            }
            Err(e) => tracing::warn!("upstream check failed: {}", error::chain(&e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Cache;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    /// 64 callers at once for a key the cache has never seen: one computes, the rest wait for it.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn a_missing_entry_is_computed_once_for_all_who_ask() {
        let cache = Arc::new(Cache::<usize>::new(Duration::from_secs(60)));
        let runs = Arc::new(AtomicUsize::new(0));
        let ask = |mark: i64| {
            let (cache, runs) = (cache.clone(), runs.clone());
            tokio::spawn(async move {
                cache
                    .get_or_compute("k".into(), mark, || async {
                        let n = runs.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        Ok::<_, ()>(n)
                    })
                    .await
            })
        };
        let answers: Vec<_> = (0..64).map(|_| ask(1)).collect();
        for a in answers {
            assert_eq!(*a.await.unwrap().unwrap(), 0);
        }
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        // The catalogue changed: computed again, once.
        let answers: Vec<_> = (0..64).map(|_| ask(2)).collect();
        for a in answers {
            assert_eq!(*a.await.unwrap().unwrap(), 1);
        }
        assert_eq!(runs.load(Ordering::SeqCst), 2);
        assert!(cache.gates.lock().unwrap().is_empty(), "gates are dropped");
    }

    /// A stale entry: the first caller recomputes it, the others get the old value meanwhile; a
    /// failed computation is not kept.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_stale_entry_is_refreshed_by_one_and_errors_are_not_kept() {
        // A refresh shorter than the TTL, as in the server (2 s against tens of milliseconds).
        let cache = Arc::new(Cache::<&str>::new(Duration::from_millis(300)));
        let v = cache
            .get_or_compute("k".into(), 1, || async { Ok::<_, ()>("old") })
            .await;
        assert_eq!(*v.unwrap(), "old");
        tokio::time::sleep(Duration::from_millis(350)).await;
        let refresher = {
            let cache = cache.clone();
            tokio::spawn(async move {
                cache
                    .get_or_compute("k".into(), 1, || async {
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        Ok::<_, ()>("new")
                    })
                    .await
            })
        };
        tokio::time::sleep(Duration::from_millis(20)).await;
        let meanwhile = cache
            .get_or_compute("k".into(), 1, || async { Ok::<_, ()>("a second refresh") })
            .await;
        assert_eq!(*meanwhile.unwrap(), "old");
        assert_eq!(*refresher.await.unwrap().unwrap(), "new");
        let failed = cache
            .get_or_compute("e".into(), 1, || async { Err::<&str, _>("no") })
            .await;
        assert_eq!(failed, Err("no"));
        let then = cache
            .get_or_compute("e".into(), 1, || async { Ok::<_, &str>("yes") })
            .await;
        assert_eq!(*then.unwrap(), "yes");
    }
}
