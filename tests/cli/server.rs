//! The registry server (issue 14): the real binary serving on 127.0.0.1 (a free port each), on
//! SQLite and PostgreSQL. Roles, refusals that change nothing, approvals with a policy that
//! requires them, imports of another catalogue's export, the event log, sessions and CSRF, limits.

use crate::support::{Env, last_line, write_model};
use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A running `modelvet serve`, killed when dropped.
pub struct Server {
    child: Child,
    pub url: String,
    pub addr: String,
    stderr: Arc<Mutex<String>>,
}

impl Server {
    pub fn start(env: &Env, args: &[&str], vars: &[(&str, &str)]) -> Server {
        let mut cmd = env.std_cmd(env.bin());
        cmd.args(["serve", "--bind", "127.0.0.1:0"])
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        for (k, v) in vars {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("start modelvet serve");
        let stderr = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let pipe = child.stderr.take().unwrap();
        let log = stderr.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                if let Some(addr) = line.strip_prefix("modelvet serve: listening on http://") {
                    let _ = tx.send(addr.to_string());
                }
                let mut l = log.lock().unwrap();
                l.push_str(&line);
                l.push('\n');
            }
        });
        let addr = rx
            .recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|_| panic!("server did not start: {}", stderr.lock().unwrap()));
        Server {
            child,
            url: format!("http://{addr}"),
            addr,
            stderr,
        }
    }

    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits for the process to exit (after a signal), with its exit code.
    pub fn wait(&mut self, within: Duration) -> Option<i32> {
        let start = Instant::now();
        while start.elapsed() < within {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Some(status.code().unwrap_or(-1));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }

    /// One request; the status and the body.
    pub fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&str>,
    ) -> (u16, String) {
        let client = reqwest::blocking::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(120))
            .build()
            .unwrap();
        let mut req = client.request(method.parse().unwrap(), format!("{}{path}", self.url));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req
                .header("content-type", "application/json")
                .body(b.to_string());
        }
        let resp = req.send().expect("request");
        let status = resp.status().as_u16();
        (status, resp.text().unwrap_or_default())
    }

    pub fn json(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&str>,
    ) -> (u16, Value) {
        let (status, text) = self.call(method, path, token, body);
        let v = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{status} {path}: not JSON ({e}): {text}"));
        (status, v)
    }

    /// Bytes sent as they are (for paths a client library would normalise), with the answer.
    pub fn raw(&self, request: &str) -> String {
        let mut s = TcpStream::connect(&self.addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        s.write_all(request.as_bytes()).unwrap();
        let mut out = String::new();
        let _ = s.read_to_string(&mut out);
        out
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn token(env: &Env, name: &str, role: &str) -> String {
    let out = env.ok(&["token", "create", name, "--role", role]);
    last_line(&out).trim().to_string()
}

/// A model in the catalogue: its name and revision.
fn add_fixture(env: &Env) -> (String, String) {
    let dir = write_model(&env.work());
    let id = last_line(&env.ok(&["add", dir.to_str().unwrap()])).to_string();
    let (name, rev) = id.rsplit_once('@').unwrap();
    (name.to_string(), rev.to_string())
}

fn approval_count(env: &Env) -> usize {
    env.json(&["approvals", "--format", "json"], 0)
        .as_array()
        .unwrap()
        .len()
}

both_backends!(api_reads_and_refusals_change_nothing, |env| {
    let (name, rev) = add_fixture(env);
    let reader = token(env, "rita", "reader");
    let auditor = token(env, "aud", "auditor");
    let server = Server::start(env, &["--body-limit", "4096"], &[]);

    // healthz needs no token; everything else does.
    let (s, v) = server.json("GET", "/api/v1/healthz", None, None);
    assert_eq!((s, v["models"].as_i64()), (200, Some(1)));
    let (s, v) = server.json("GET", "/api/v1/models", None, None);
    assert_eq!(s, 401, "{v}");
    assert_eq!(v["error"]["code"], "unauthorized");

    // The model document is `show --format json`.
    let (s, doc) = server.json(
        "GET",
        &format!("/api/v1/models/{name}"),
        Some(&reader),
        None,
    );
    assert_eq!(s, 200);
    let shown = env.json(&["show", &name, "--format", "json"], 0);
    assert_eq!(doc, shown);
    let (s, doc2) = server.json(
        "GET",
        &format!("/api/v1/models/{name}/revisions/{}", &rev[..6]),
        Some(&reader),
        None,
    );
    assert_eq!((s, &doc2["revision"]), (200, &shown["revision"]));
    let (s, list) = server.json("GET", "/api/v1/models?q=tiny", Some(&reader), None);
    assert_eq!(s, 200);
    assert_eq!(list["total"], 1, "{list}");
    assert_eq!(list["models"][0]["license"], shown["license"]["effective"]);

    // Reports in every format.
    for (format, needle) in [
        ("json", "\"schema\""),
        ("markdown", "# "),
        ("html", "<html"),
        ("cyclonedx", "CycloneDX"),
        ("spdx", "spdx"),
    ] {
        let (s, body) = server.call(
            "GET",
            &format!("/api/v1/models/{name}/revisions/{rev}/report?format={format}"),
            Some(&reader),
            None,
        );
        assert_eq!(s, 200, "{format}: {body}");
        assert!(
            body.contains(needle),
            "{format}: {}",
            &body[..body.len().min(300)]
        );
    }

    // Refusals: each is a 4xx with a JSON error, and nothing is recorded.
    let approve = format!("/api/v1/models/{name}/revisions/{rev}/approvals");
    let body = r#"{"criterion": "production"}"#;
    for (tok, want) in [
        (None, 401),
        (Some(reader.as_str()), 403),
        (Some("mvt_00"), 401),
    ] {
        let (s, v) = server.json("POST", &approve, tok, Some(body));
        assert_eq!(s, want, "{v}");
        assert!(v["error"]["message"].is_string());
    }
    let (s, v) = server.json("POST", &approve, Some(&auditor), Some("{\"criterion\": "));
    assert_eq!(s, 422, "{v}");
    assert!(
        v["error"]["message"].as_str().unwrap().contains("EOF"),
        "{v}"
    );
    let (s, v) = server.json(
        "POST",
        &approve,
        Some(&auditor),
        Some(r#"{"criterion": "x", "surprise": 1}"#),
    );
    assert_eq!(s, 422, "{v}");
    let big = format!(
        r#"{{"criterion": "production", "note": "{}"}}"#,
        "x".repeat(10_000)
    );
    let (s, v) = server.json("POST", &approve, Some(&auditor), Some(&big));
    assert_eq!(s, 413, "{v}");
    let (s, _) = server.json(
        "DELETE",
        &format!("/api/v1/models/{name}"),
        Some(&auditor),
        None,
    );
    assert_eq!(s, 403, "an auditor cannot remove");
    assert_eq!(approval_count(env), 0);
    assert_eq!(
        env.json(&["list", "--format", "json"], 0)
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // The served document follows the catalogue at once (its cache is keyed by the change mark).
    let other = env.work().join("other");
    std::fs::create_dir_all(&other).unwrap();
    std::fs::write(
        other.join("model.safetensors"),
        crate::support::tiny_safetensors(9),
    )
    .unwrap();
    env.ok(&["add", other.to_str().unwrap(), "--name", &name]);
    let (_, doc3) = server.json(
        "GET",
        &format!("/api/v1/models/{name}"),
        Some(&reader),
        None,
    );
    assert_ne!(
        doc3["revision"], doc["revision"],
        "a new revision is served at once"
    );
    env.ok(&[
        "remove",
        &format!("{name}@{}", doc3["revision"].as_str().unwrap()),
    ]);
    let (_, doc4) = server.json(
        "GET",
        &format!("/api/v1/models/{name}"),
        Some(&reader),
        None,
    );
    assert_eq!(doc4["revision"], doc["revision"]);

    // Unknown models are 404; traversal in any form is 400.
    let (s, _) = server.json("GET", "/api/v1/models/acme/nothing", Some(&reader), None);
    assert_eq!(s, 404);
    // Sent as raw bytes: client libraries (WHATWG URL parsing) turn `%2e%2e` into `..` and drop it.
    for path in [
        "/api/v1/models/%2e%2e/etc".to_string(),
        "/api/v1/models/a/%2E%2E".to_string(),
        "/api/v1/models/%2Fetc%2Fpasswd".to_string(),
        "/models/%2e%2e".to_string(),
        "/diff/%2e%2e?from=a&to=b".to_string(),
        format!("/api/v1/models/{name}/revisions/%2e%2e/report"),
    ] {
        let raw = server.raw(&format!(
            "GET {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {reader}\r\nConnection: close\r\n\r\n"
        ));
        assert!(raw.starts_with("HTTP/1.1 400"), "{path}: {raw}");
    }
    let raw = server.raw(&format!(
        "GET /api/v1/models/../../etc/passwd HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {reader}\r\nConnection: close\r\n\r\n"
    ));
    assert!(raw.starts_with("HTTP/1.1 400"), "{raw}");

    // A revoked or expired token stops working at once.
    env.ok(&["token", "revoke", "rita"]);
    let (s, _) = server.json("GET", "/api/v1/models", Some(&reader), None);
    assert_eq!(s, 401);

    // Metrics are Prometheus text.
    let (s, m) = server.call("GET", "/api/v1/metrics", Some(&auditor), None);
    assert_eq!(s, 200);
    assert!(
        m.contains("modelvet_http_requests_total{class=\"4xx\"}")
            && m.contains("modelvet_catalogue_models 1"),
        "{m}"
    );
    // The token never reaches the log.
    assert!(
        !server.stderr().contains(&auditor[4..]),
        "{}",
        server.stderr()
    );
});

both_backends!(approvals_through_the_api_with_events, |env| {
    let (name, rev) = add_fixture(env);
    let auditor = token(env, "aud", "auditor");
    let reader = token(env, "rita", "reader");
    let server = Server::start(env, &[], &[]);
    let path = format!("/api/v1/models/{name}/revisions/{rev}/approvals");
    let (s, row) = server.json(
        "POST",
        &path,
        Some(&auditor),
        Some(r#"{"criterion": "production", "note": "<script>alert(1)</script>", "expires": "2999-12-31"}"#),
    );
    assert_eq!(s, 201, "{row}");
    assert_eq!(
        (row["approved_by"].as_str(), row["expires_on"].as_str()),
        (Some("aud"), Some("2999-12-31"))
    );
    // Again while live: 409, nothing changes.
    let (s, _) = server.json(
        "POST",
        &path,
        Some(&auditor),
        Some(r#"{"criterion": "production"}"#),
    );
    assert_eq!(s, 409);
    let (s, v) = server.json(
        "POST",
        &path,
        Some(&auditor),
        Some(r#"{"criterion": "x", "expires": "2001-01-01"}"#),
    );
    assert_eq!(s, 422, "{v}");
    assert_eq!(approval_count(env), 1);

    let (s, export) = server.json("GET", "/api/v1/approvals", Some(&reader), None);
    assert_eq!(s, 200);
    assert_eq!(export["kind"], "modelvet-approvals");
    assert_eq!(export["approvals"][0]["revision"], rev.as_str());

    let (s, _) = server.json(
        "DELETE",
        &format!("{path}?criterion=production&note=wrong"),
        Some(&auditor),
        None,
    );
    assert_eq!(s, 200);
    let (s, _) = server.json(
        "DELETE",
        &format!("{path}?criterion=production"),
        Some(&auditor),
        None,
    );
    assert_eq!(s, 404, "nothing live to revoke");

    let (s, ev) = server.json(
        "GET",
        &format!("/api/v1/events?model={name}"),
        Some(&reader),
        None,
    );
    assert_eq!(s, 200);
    let actions: Vec<(&str, &str)> = ev["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["action"].as_str().unwrap(), e["actor"].as_str().unwrap()))
        .collect();
    assert_eq!(actions[0], ("revoke", "aud"), "{ev}");
    assert_eq!(actions[1], ("approve", "aud"), "{ev}");
    assert_eq!(actions.last().unwrap().0, "add", "{ev}");
});

both_backends!(concurrent_approvals_one_wins, |env| {
    let (name, rev) = add_fixture(env);
    let auditor = token(env, "aud", "auditor");
    let server = Arc::new(Server::start(env, &[], &[]));
    let path = format!("/api/v1/models/{name}/revisions/{rev}/approvals");
    let handles: Vec<_> = (0..8)
        .map(|_| {
            let server = server.clone();
            let path = path.clone();
            let auditor = auditor.clone();
            std::thread::spawn(move || {
                server
                    .call(
                        "POST",
                        &path,
                        Some(&auditor),
                        Some(r#"{"criterion": "production"}"#),
                    )
                    .0
            })
        })
        .collect();
    let mut codes: Vec<u16> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    codes.sort();
    assert_eq!(codes, vec![201, 409, 409, 409, 409, 409, 409, 409]);
    assert_eq!(approval_count(env), 1);
});

both_backends!(audit_requires_live_approvals_and_imports, |env| {
    let (name, rev) = add_fixture(env);
    let id = format!("{name}@{rev}");
    let policy = env.work().join("policy.yaml");
    std::fs::write(
        &policy,
        "version: 1\napprovals:\n  criteria:\n    production: \"legal and security\"\n    research: { description: internal, implied_by: [production] }\n  require: [research]\n",
    )
    .unwrap();
    let audit = |env: &Env| {
        let (code, out, err) = env.run(&[
            "audit",
            &name,
            "--policy",
            policy.to_str().unwrap(),
            "--format",
            "json",
        ]);
        assert!(code == 0 || code == 1, "{err}");
        let v: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["pass"] == true, code == 0);
        v
    };
    let codes = |v: &Value| -> Vec<String> {
        v["verdicts"][0]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["code"].as_str().unwrap().to_string())
            .collect()
    };
    let v = audit(env);
    assert_eq!(v["pass"], false);
    assert!(codes(&v).contains(&"approval-missing".to_string()), "{v}");
    // A name is not a revision.
    let (code, _, err) = env.run(&["approve", &name, "--criteria", "production"]);
    assert_eq!(code, 2);
    assert!(err.contains("binds a revision"), "{err}");
    let (code, _, err) = env.run(&[
        "approve",
        &id,
        "--criteria",
        "nonsense",
        "--policy",
        policy.to_str().unwrap(),
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("not a criterion of the policy"), "{err}");
    // production implies research.
    env.ok(&[
        "--by",
        "legal@acme",
        "approve",
        &id,
        "--criteria",
        "production",
        "--note",
        "ok",
    ]);
    let v = audit(env);
    assert_eq!(v["pass"], true, "{v}");
    env.ok(&["revoke", &id, "--criteria", "production"]);
    let v = audit(env);
    assert!(codes(&v).contains(&"approval-revoked".to_string()), "{v}");

    // Another catalogue's decisions, trusted for research only.
    let other = Env::new();
    let dir = write_model(&other.work());
    other.ok(&["add", dir.to_str().unwrap()]);
    other.ok(&["approve", &id, "--criteria", "research"]);
    other.ok(&["approve", &id, "--criteria", "production"]);
    let export = other.ok(&["approvals", "--export"]);
    let export_file = env.work().join("platform.json");
    std::fs::write(&export_file, &export).unwrap();
    let import_from = |criteria: &str, url: &str| {
        std::fs::write(
            &policy,
            format!(
                "version: 1\napprovals:\n  criteria:\n    production: p\n    research: {{ description: r, implied_by: [production] }}\n  require: [{criteria}]\n  imports:\n    - {{ name: platform, url: \"{url}\", criteria: [research] }}\n",
            ),
        )
        .unwrap();
    };
    let import = |criteria: &str| import_from(criteria, &export_file.display().to_string());
    import("research");
    let v = audit(env);
    assert_eq!(v["pass"], true, "{v}");
    // The same decisions straight from the other team's registry.
    let registry = Server::start(&other, &["--public-read"], &[]);
    import_from("research", &format!("{}/api/v1/approvals", registry.url));
    let v = audit(env);
    assert_eq!(v["pass"], true, "{v}");
    drop(registry);
    // A registry that needs a token: the policy names the variable that holds a reader's.
    let private = Server::start(&other, &[], &[]);
    let importer = token(&other, "importer", "reader");
    std::fs::write(
        &policy,
        format!(
            "version: 1\napprovals:\n  criteria:\n    research: r\n  require: [research]\n  imports:\n    - {{ name: platform, url: \"{}/api/v1/approvals\", criteria: [research], token_env: PLATFORM_TOKEN }}\n",
            private.url
        ),
    )
    .unwrap();
    let audit_args = [
        "audit",
        &name,
        "--policy",
        policy.to_str().unwrap(),
        "--format",
        "json",
    ];
    let (code, _, err) = env.run(&audit_args);
    assert_eq!(code, 2, "a token_env that is not set is an error: {err}");
    assert!(err.contains("PLATFORM_TOKEN"), "{err}");
    let out = env
        .cmd()
        .env("PLATFORM_TOKEN", &importer)
        .args(audit_args)
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["pass"], true, "{v}");
    let out = env
        .cmd()
        .env("PLATFORM_TOKEN", "mvt_wrong")
        .args(audit_args)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("401"));
    assert!(
        !private.stderr().contains(&importer),
        "the token never appears in the server's log"
    );
    drop(private);
    // The import is not trusted for production.
    import("production");
    let v = audit(env);
    assert_eq!(v["pass"], false, "{v}");
    assert!(codes(&v).contains(&"approval-revoked".to_string()), "{v}");
    // An expired approval: the import's decision expires.
    let mut doc: Value = serde_json::from_str(&export).unwrap();
    for a in doc["approvals"].as_array_mut().unwrap() {
        a["expires_on"] = "2001-01-01".into();
    }
    std::fs::write(&export_file, doc.to_string()).unwrap();
    import("research");
    let v = audit(env);
    let f = &v["verdicts"][0]["findings"][0];
    assert_eq!(
        f["code"], "approval-revoked",
        "the local revocation is the strongest reason: {v}"
    );
    let evidence = f["evidence"].as_str().unwrap();
    assert!(
        evidence.contains("research by") && evidence.contains("(platform): expired"),
        "{v}"
    );
    // A broken import is an error, not a pass.
    std::fs::write(&export_file, "{}").unwrap();
    let (code, _, err) = env.run(&["audit", &name, "--policy", policy.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("import `platform`"), "{err}");
});

/// `application/x-www-form-urlencoded` text of some fields.
fn form_body(fields: &[(&str, &str)]) -> String {
    let enc = |v: &str| {
        v.bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect::<String>()
    };
    fields
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Logs in through the form; the cookie jar's header and the CSRF token of the pages.
fn login(server: &Server, token: &str) -> (String, String) {
    let client = reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let resp = client
        .post(format!("{}/login", server.url))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form_body(&[("token", token)]))
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 303);
    let set = resp
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Strict"),
        "{set}"
    );
    assert!(!set.contains(token), "the token is not the cookie");
    let cookie = set.split(';').next().unwrap().to_string();
    let page = client
        .get(format!("{}/", server.url))
        .header("cookie", &cookie)
        .send()
        .unwrap()
        .text()
        .unwrap();
    let csrf = page
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("a csrf field")
        .to_string();
    (cookie, csrf)
}

fn post_form(server: &Server, cookie: &str, path: &str, fields: &[(&str, &str)]) -> (u16, String) {
    let client = reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let resp = client
        .post(format!("{}{path}", server.url))
        .header("cookie", cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form_body(fields))
        .send()
        .unwrap();
    let status = resp.status().as_u16();
    let location = resp
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, location)
}

both_backends!(forms_need_a_session_and_its_csrf_token, |env| {
    let (name, rev) = add_fixture(env);
    let auditor = token(env, "aud", "auditor");
    let reader = token(env, "rita", "reader");
    let server = Server::start(env, &[], &[]);
    let (cookie, csrf) = login(&server, &auditor);
    // Without the CSRF token, with a wrong one, and with a reader's session: refused.
    let base = [
        ("model", name.as_str()),
        ("revision", rev.as_str()),
        ("criterion", "production"),
    ];
    let (s, _) = post_form(&server, &cookie, "/ui/approve", &base);
    assert_eq!(s, 403);
    let mut wrong = base.to_vec();
    wrong.push(("csrf", "0000"));
    let (s, _) = post_form(&server, &cookie, "/ui/approve", &wrong);
    assert_eq!(s, 403);
    let (reader_cookie, reader_csrf) = login(&server, &reader);
    let mut as_reader = base.to_vec();
    as_reader.push(("csrf", reader_csrf.as_str()));
    let (s, _) = post_form(&server, &reader_cookie, "/ui/approve", &as_reader);
    assert_eq!(s, 403);
    // A bearer token is not a session: forms refuse it too.
    let resp = reqwest::blocking::Client::new()
        .post(format!("{}/ui/approve", server.url))
        .bearer_auth(&auditor)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form_body(&base))
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 403);
    assert_eq!(approval_count(env), 0);

    let mut good = base.to_vec();
    good.push(("csrf", csrf.as_str()));
    let (s, location) = post_form(&server, &cookie, "/ui/approve", &good);
    assert_eq!(s, 303);
    assert!(
        location.starts_with(&format!("/models/{name}@{rev}")),
        "{location}"
    );
    assert_eq!(approval_count(env), 1);
    let client = reqwest::blocking::Client::new();
    let page = client
        .get(format!("{}{location}", server.url))
        .header("cookie", &cookie)
        .send()
        .unwrap();
    assert_eq!(page.status().as_u16(), 200);
    assert!(
        page.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("default-src 'none'")
    );
    let page = page.text().unwrap();
    assert!(page.contains("approved for production"), "{page}");
    assert!(
        page.contains("<td>aud</td>"),
        "the event and the approval name the actor"
    );

    // Logging out ends the session on the server, not only in the browser.
    let (s, _) = post_form(&server, &cookie, "/logout", &[("csrf", csrf.as_str())]);
    assert_eq!(s, 303);
    let (s, _) = post_form(&server, &cookie, "/ui/revoke", &good);
    assert_eq!(s, 401);
    assert_eq!(approval_count(env), 1);
});

#[test]
fn public_read_and_hostile_text_is_escaped() {
    let env = Env::new();
    let dir = env.work().join("evil");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("model.safetensors"),
        crate::support::tiny_safetensors(1),
    )
    .unwrap();
    std::fs::write(
        dir.join("README.md"),
        "---\nlicense: mit\nmodel_name: \"<img src=x onerror=alert(1)>\"\n---\n# <script>alert(2)</script>\n",
    )
    .unwrap();
    std::fs::write(dir.join("<img src=y onerror=alert(3)>.json"), "{}").unwrap();
    env.ok(&["add", dir.to_str().unwrap(), "--name", "acme/evil<script>"]);
    let server = Server::start(&env, &["--public-read"], &[]);
    let (s, page) = server.call("GET", "/", None, None);
    assert_eq!(s, 200);
    assert!(page.contains("evil&lt;script&gt;</a>"), "{page}");
    let (s, page) = server.call("GET", "/models/acme/evil%3Cscript%3E", None, None);
    assert_eq!(s, 200, "{page}");
    assert!(
        !page.contains("<script>") && !page.contains("<img src=x"),
        "unescaped markup"
    );
    assert!(
        page.contains("onerror=alert(3)&gt;.json"),
        "the file name is shown, escaped"
    );
    // Public read never means public write.
    let (s, _) = server.json(
        "POST",
        "/api/v1/models",
        None,
        Some(r#"{"source": "hf:a/b"}"#),
    );
    assert_eq!(s, 401);
}

#[test]
fn slow_clients_time_out() {
    let env = Env::new();
    let reader = token(&env, "rita", "reader");
    let server = Server::start(&env, &["--read-timeout", "1"], &[]);
    // Headers that never finish: the server hangs up.
    let mut s = TcpStream::connect(&server.addr).unwrap();
    s.write_all(b"GET /api/v1/healthz HTTP/1.1\r\nHost: x\r\n")
        .unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let start = Instant::now();
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf);
    assert!(
        start.elapsed() < Duration::from_secs(15),
        "the connection stayed open"
    );
    // A body that never arrives: 408.
    let mut s = TcpStream::connect(&server.addr).unwrap();
    s.write_all(
        format!("POST /api/v1/models HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {reader}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{").as_bytes(),
    )
    .unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    assert!(
        out.starts_with("HTTP/1.1 408") || out.starts_with("HTTP/1.1 403"),
        "{out}"
    );
}

type Pending = std::thread::JoinHandle<reqwest::Result<u16>>;

/// A server with `POST /api/v1/models` of `hf:acme/slow` in flight: the test Hub stalls on the card.
fn add_in_flight(
    env: &Env,
    hub: &crate::hub_server::HubServer,
    token: &str,
    vars: &[(&str, &str)],
) -> (Server, Pending) {
    hub.fault("README.md", crate::hub_server::Fault::Stall, 1);
    let server = Server::start(env, &[], vars);
    let url = server.url.clone();
    let token = token.to_string();
    let pending = std::thread::spawn(move || {
        reqwest::blocking::Client::new()
            .post(format!("{url}/api/v1/models"))
            .bearer_auth(token)
            .json(&serde_json::json!({"source": "hf:acme/slow"}))
            .send()
            .map(|r| r.status().as_u16())
    });
    std::thread::sleep(Duration::from_millis(1500));
    (server, pending)
}

fn signal(server: &Server, sig: &str) {
    let status = std::process::Command::new("kill")
        .args([sig, &server.pid().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn sigterm_drains_and_kill_leaves_no_partial_model() {
    use crate::hub_server::{FakeFile, FakeRepo, HubServer};
    let env = Env::new();
    let auditor = token(&env, "aud", "auditor");
    let hub = HubServer::start();
    let mut repo = FakeRepo::new("acme/slow");
    repo.commit(
        "main",
        vec![
            FakeFile::git("README.md", "---\nlicense: mit\n---\n"),
            FakeFile::git("config.json", "{}"),
        ],
    );
    hub.add_repo(repo);
    let vars = [
        ("HF_ENDPOINT", hub.url.as_str()),
        ("HF_HUB_DOWNLOAD_TIMEOUT", "10"),
    ];

    // kill -9 while the add is in flight: nothing is recorded.
    let (server, pending) = add_in_flight(&env, &hub, &auditor, &vars);
    signal(&server, "-9");
    assert!(
        pending.join().unwrap().is_err(),
        "the connection died with the server"
    );
    drop(server);
    assert_eq!(
        env.json(&["list", "--format", "json"], 0)
            .as_array()
            .unwrap()
            .len(),
        0
    );

    // SIGTERM while a request runs: it is answered, then the server exits 0.
    let (mut server, pending) = add_in_flight(&env, &hub, &auditor, &vars);
    signal(&server, "-TERM");
    let status = pending
        .join()
        .unwrap()
        .expect("the request in flight was answered");
    assert!((200..500).contains(&status), "{status}");
    assert_eq!(
        server.wait(Duration::from_secs(40)),
        Some(0),
        "{}",
        server.stderr()
    );
}

both_backends!(intoto_statement_is_a_slsa_vsa, |env| {
    let (name, _rev) = add_fixture(env);
    let (code, _, err) = env.run(&["report", &name, "--format", "intoto"]);
    assert_eq!(code, 2);
    assert!(err.contains("never been audited"), "{err}");
    let policy = env.work().join("policy.yaml");
    std::fs::write(&policy, "version: 1\nchecks:\n  verify: true\n").unwrap();
    env.run(&["audit", &name, "--policy", policy.to_str().unwrap()]);
    let st = env.json(&["report", &name, "--format", "intoto"], 0);
    // in-toto Statement v1: _type, subject (name + digest), predicateType, predicate.
    assert_eq!(st["_type"], "https://in-toto.io/Statement/v1");
    assert_eq!(
        st["predicateType"],
        "https://slsa.dev/verification_summary/v1"
    );
    let record = env.json(&["show", &name, "--format", "json"], 0);
    let subjects = st["subject"].as_array().unwrap();
    assert_eq!(subjects.len(), record["files"].as_array().unwrap().len());
    for (s, f) in subjects.iter().zip(record["files"].as_array().unwrap()) {
        assert_eq!(s["name"], f["path"]);
        assert_eq!(s["digest"]["sha256"], f["sha256"]);
    }
    // SLSA VSA v1: verifier.id, timeVerified, resourceUri, policy, verificationResult,
    // verifiedLevels (custom levels must not start with SLSA_).
    let p = &st["predicate"];
    assert!(
        p["verifier"]["id"]
            .as_str()
            .unwrap()
            .starts_with("https://")
    );
    assert!(p["verifier"]["version"]["modelvet"].is_string());
    assert!(chrono::DateTime::parse_from_rfc3339(p["timeVerified"].as_str().unwrap()).is_ok());
    assert!(p["resourceUri"].as_str().unwrap().contains(&name));
    assert!(
        p["policy"]["uri"]
            .as_str()
            .unwrap()
            .ends_with("policy.yaml")
    );
    let text = std::fs::read(&policy).unwrap();
    assert_eq!(
        p["policy"]["digest"]["sha256"].as_str().unwrap(),
        modelvet::hashing::sha256_hex(&text)
    );
    assert_eq!(p["verificationResult"], "PASSED");
    let levels = p["verifiedLevels"].as_array().unwrap();
    assert!(
        !levels.is_empty()
            && levels
                .iter()
                .all(|l| !l.as_str().unwrap().starts_with("SLSA_"))
    );
    // A failing audit states FAILED and claims no level.
    std::fs::write(&policy, "version: 1\nlicenses:\n  allow: [GPL-3.0-only]\n").unwrap();
    env.run(&["audit", &name, "--policy", policy.to_str().unwrap()]);
    let st = env.json(&["report", &name, "--format", "intoto"], 0);
    assert_eq!(st["predicate"]["verificationResult"], "FAILED");
    assert_eq!(st["predicate"]["verifiedLevels"], serde_json::json!([]));
});

both_backends!(post_models_adds_and_audits_a_hub_model, |env| {
    use crate::hub_server::{FakeFile, FakeRepo, HubServer};
    let hub = HubServer::start();
    let mut repo = FakeRepo::new("acme/tiny");
    repo.card_data = serde_json::json!({"license": "mit"});
    let commit = repo.commit(
        "main",
        vec![
            FakeFile::git("README.md", "---\nlicense: mit\n---\n# Tiny\n"),
            FakeFile::git("config.json", "{\"model_type\": \"bert\"}\n"),
            FakeFile::lfs("model.safetensors", crate::support::tiny_safetensors(7)),
        ],
    );
    hub.add_repo(repo);
    let auditor = token(env, "aud", "auditor");
    let server = Server::start(env, &[], &[("HF_ENDPOINT", hub.url.as_str())]);
    let body = r#"{"source": "hf:acme/tiny"}"#;
    let (s, out) = server.json("POST", "/api/v1/models", Some(&auditor), Some(body));
    assert_eq!(s, 201, "{out}");
    assert_eq!(out["id"], format!("acme/tiny@{commit}"));
    assert_eq!(out["verdict"]["pass"], true, "{out}");
    // Again: nothing new, 200.
    let (s, out) = server.json("POST", "/api/v1/models", Some(&auditor), Some(body));
    assert_eq!((s, &out["new"]), (200, &Value::Bool(false)), "{out}");
    // A path is never read from the server's disk.
    let (s, v) = server.json(
        "POST",
        "/api/v1/models",
        Some(&auditor),
        Some(r#"{"source": "/etc"}"#),
    );
    assert_eq!(s, 422, "{v}");
    // The catalogue page lists it with its license and verdict; the events name the token.
    let (_, page) = server.json(
        "GET",
        "/api/v1/models?license=MIT&verdict=passed",
        Some(&auditor),
        None,
    );
    assert_eq!(page["total"], 1, "{page}");
    assert_eq!(page["models"][0]["verdict"], "passed");
    let (_, ev) = server.json(
        "GET",
        "/api/v1/events?model=acme/tiny",
        Some(&auditor),
        None,
    );
    let actions: Vec<&str> = ev["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert!(
        actions.contains(&"add") && actions.contains(&"audit") && actions.contains(&"verify"),
        "{ev}"
    );
    assert!(
        ev["events"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["actor"] == "aud"),
        "{ev}"
    );
});

#[test]
fn intoto_statement_in_a_signed_dsse_envelope() {
    let env = Env::new();
    let (name, _) = add_fixture(&env);
    env.run(&["audit", &name]);
    let keys = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/reference/model-signing/keys");
    let key = keys.join("signing-key.pem");
    let key = key.to_str().unwrap();
    let out = env.ok(&["report", &name, "--format", "intoto", "--sign-key", key]);
    let envelope: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(envelope["payloadType"], "application/vnd.in-toto+json");
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    let payload = b64.decode(envelope["payload"].as_str().unwrap()).unwrap();
    let statement: Value = serde_json::from_slice(&payload).unwrap();
    assert_eq!(
        statement["predicateType"],
        "https://slsa.dev/verification_summary/v1"
    );
    // Only in-toto statements are signed; a key that is not one is an error.
    let (code, _, err) = env.run(&["report", &name, "--format", "json", "--sign-key", key]);
    assert_eq!(code, 2, "{err}");
    let (code, _, err) = env.run(&[
        "report",
        &name,
        "--format",
        "intoto",
        "--sign-key",
        "Cargo.toml",
    ]);
    assert_eq!(code, 2, "{err}");
    // Checked by another implementation: Python's `cryptography` (in the model-signing venv),
    // over DSSE's pre-authentication encoding, with the public key.
    let Some(assets) = crate::support::require_assets("intoto_statement_in_a_signed_dsse_envelope")
    else {
        return;
    };
    let check = r#"
import base64, json, sys
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
env = json.load(open(sys.argv[1]))
body = base64.b64decode(env["payload"])
t = env["payloadType"].encode()
pae = b"DSSEv1 %d %s %d %s" % (len(t), t, len(body), body)
key = serialization.load_pem_public_key(open(sys.argv[2], "rb").read())
sig = base64.b64decode(env["signatures"][0]["sig"])
alg = ec.ECDSA(hashes.SHA384() if key.curve.key_size == 384 else hashes.SHA256())
key.verify(sig, pae, alg)
try:
    key.verify(sig, pae + b" ", alg)
    sys.exit("an edited payload verified")
except Exception:
    print("verified")
"#;
    let file = env.work().join("envelope.json");
    std::fs::write(&file, &out).unwrap();
    let py = env
        .std_cmd(assets.join("model-signing-venv/bin/python"))
        .args(["-c", check])
        .arg(&file)
        .arg(keys.join("signing-key-pub.pem"))
        .output()
        .unwrap();
    assert!(
        py.status.success() && String::from_utf8_lossy(&py.stdout).contains("verified"),
        "{}",
        String::from_utf8_lossy(&py.stderr)
    );
}
