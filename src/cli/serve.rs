//! `modelvet serve`: the team registry (web catalogue and JSON API) over this catalogue.

use super::{Ctx, Outcome};
use crate::policy::Policy;
use crate::server::{AppState, ServerConfig};
use clap::Args;
use std::sync::Arc;
use std::time::Duration;

/// Arguments of `serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on (port 0 picks a free one; the address is printed).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub bind: String,
    /// Let requests without a token read the catalogue (writes always need one).
    #[arg(long)]
    pub public_read: bool,
    /// The policy that audits run under [default: the built-in default policy].
    #[arg(long)]
    pub policy: Option<std::path::PathBuf>,
    /// Mark the session cookie Secure (set this behind a TLS proxy).
    #[arg(long)]
    pub secure_cookies: bool,
    /// The longest a request may take, in seconds.
    #[arg(long, default_value_t = 600)]
    pub request_timeout: u64,
    /// The longest a client may take to send its headers, then its body, in seconds.
    #[arg(long, default_value_t = 10)]
    pub read_timeout: u64,
    /// The largest request body, in bytes.
    #[arg(long, default_value_t = 64 * 1024)]
    pub body_limit: usize,
    /// Requests handled at once; more are answered 503.
    #[arg(long, default_value_t = 256)]
    pub concurrency: usize,
    /// A Hub to pull missing blobs of vetted revisions from (verified while they stream in, then
    /// stored, then served), e.g. https://huggingface.co. Its token is `MODELVET_UPSTREAM_TOKEN`.
    #[arg(long, value_name = "URL")]
    pub upstream: Option<String>,
    /// Check every Hub model against the Hub now and then at this interval (`outdated`), e.g.
    /// `6h`, `30m`, `90s`; the observations show on the model pages.
    #[arg(long, value_name = "INTERVAL", value_parser = parse_interval)]
    pub check_upstream: Option<Duration>,
    /// Entries per page of a Hub tree listing.
    #[arg(long, default_value_t = 1000, hide = true)]
    pub tree_page_size: usize,
}

/// Runs `serve` until SIGTERM or Ctrl-C.
pub fn run(ctx: &Ctx, args: ServeArgs) -> anyhow::Result<Outcome> {
    let (policy, policy_name) = match &args.policy {
        Some(p) => (Policy::load(p)?, p.display().to_string()),
        None => (
            Policy::default_with(crate::license::osi_approved_ids()),
            "built-in default".to_string(),
        ),
    };
    let catalogue = ctx.catalogue()?;
    let mut config = ServerConfig::new(policy, policy_name);
    config.public_read = args.public_read;
    config.secure_cookies = args.secure_cookies;
    config.request_timeout = Duration::from_secs(args.request_timeout.max(1));
    config.read_timeout = Duration::from_secs(args.read_timeout.max(1));
    config.body_limit = args.body_limit;
    config.concurrency = args.concurrency.max(1);
    config.offline = ctx.global.offline;
    config.blobs = ctx.blob_store(true)?;
    config.tree_page_size = args.tree_page_size.max(1);
    if let Some(url) = &args.upstream {
        if ctx.global.offline {
            anyhow::bail!("--upstream and --offline contradict each other");
        }
        reqwest::Url::parse(url).map_err(|e| anyhow::anyhow!("--upstream `{url}`: {e}"))?;
        config.upstream = Some(crate::vet::mirror::Upstream {
            endpoint: url.clone(),
            token: std::env::var("MODELVET_UPSTREAM_TOKEN")
                .ok()
                .filter(|t| !t.is_empty()),
            client: reqwest::Client::builder()
                .connect_timeout(Duration::from_secs(10))
                .build()?,
        });
    }
    if args.check_upstream.is_some() && ctx.global.offline {
        anyhow::bail!("--check-upstream and --offline contradict each other");
    }
    let read_timeout = config.read_timeout;
    ctx.block_on(async move {
        let listener = tokio::net::TcpListener::bind(&args.bind)
            .await
            .map_err(|e| anyhow::anyhow!("cannot listen on `{}`: {e}", args.bind))?;
        let addr = listener.local_addr()?;
        let state = Arc::new(AppState::new(catalogue.clone(), config));
        tokio::spawn(crate::server::summarise_missing(catalogue));
        if let Some(every) = args.check_upstream {
            tokio::spawn(crate::server::check_upstream(state.clone(), every));
        }
        let app = crate::server::router(state);
        eprintln!("modelvet serve: listening on http://{addr}");
        crate::server::serve(
            listener,
            app,
            read_timeout,
            Duration::from_secs(30),
            shutdown_signal(),
        )
        .await;
        eprintln!("modelvet serve: stopped");
        Ok::<_, anyhow::Error>(())
    })?;
    Ok(Outcome::Ok)
}

/// An interval: a whole number with a unit, `s`, `m`, `h` or `d` (`6h`, `30m`).
fn parse_interval(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (n, unit) = text.split_at(split);
    let n: u64 = n
        .parse()
        .map_err(|_| format!("`{text}` is not an interval such as 6h, 30m or 90s"))?;
    let secs = match unit {
        "s" => Some(n),
        "m" => n.checked_mul(60),
        "h" => n.checked_mul(3600),
        "d" => n.checked_mul(86_400),
        _ => return Err(format!("`{text}`: the unit is s, m, h or d (6h, 30m, 90s)")),
    };
    match secs {
        Some(0) => Err("the interval must be longer than 0".to_string()),
        // Beyond a year is a typo, and tokio's timer would overflow long before u64 seconds do.
        Some(s) if s <= 366 * 86_400 => Ok(Duration::from_secs(s)),
        _ => Err(format!("`{text}` is longer than a year")),
    }
}

/// Resolves on SIGTERM or Ctrl-C.
async fn shutdown_signal() {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = term => {}
    }
}

#[cfg(test)]
mod tests {
    use super::parse_interval;
    use std::time::Duration;

    #[test]
    fn intervals() {
        assert_eq!(parse_interval("6h"), Ok(Duration::from_secs(21_600)));
        assert_eq!(parse_interval("30m"), Ok(Duration::from_secs(1_800)));
        assert_eq!(parse_interval("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_interval("1d"), Ok(Duration::from_secs(86_400)));
        for bad in [
            "",
            "6",
            "h",
            "0s",
            "-1h",
            "1.5h",
            "6 h",
            "6hours",
            "400d",
            "99999999999999999999s",
        ] {
            assert!(parse_interval(bad).is_err(), "{bad}");
        }
    }
}
