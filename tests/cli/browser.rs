//! The registry in a real browser (issue 14): headless Debian `chromium`, driven by playwright-core
//! (installed by scripts/test under the assets cache), does what a person would — opens the
//! catalogue, filters by license, opens a model, logs in with a token, approves through the form,
//! sees the approval and the event — and checks the DOM, that no injected element exists and that
//! the console has no errors. Screenshots go to `MODELVET_SCREENSHOTS` (docs/ holds the committed
//! ones) or a temp dir.

use crate::server::Server;
use crate::support::{Env, last_line, write_model};
use serde_json::Value;
use std::path::PathBuf;

#[test]
fn a_person_walks_through_the_registry() {
    let test = "a_person_walks_through_the_registry";
    let Some(chromium) = crate::support::require_chromium(test) else {
        return;
    };
    let Some(node) = crate::support::on_path("node") else {
        assert!(
            std::env::var("MODELVET_REQUIRE_BROWSER").as_deref() != Ok("1"),
            "{test}: MODELVET_REQUIRE_BROWSER=1 but no `node` on PATH"
        );
        eprintln!("SKIPPED ({test}): no `node` on PATH");
        return;
    };
    let modules = crate::support::test_assets().map(|a| a.join("node/node_modules"));
    let Some(modules) = modules.filter(|m| m.join("playwright-core").is_dir()) else {
        assert!(
            std::env::var("MODELVET_REQUIRE_ASSETS").as_deref() != Ok("1"),
            "playwright-core is missing from the assets cache; run scripts/test"
        );
        eprintln!(
            "SKIPPED (a_person_walks_through_the_registry): no playwright-core; run scripts/test"
        );
        return;
    };
    let env = Env::new();
    // Two licenses to filter between, and a model whose card and file names carry markup.
    let apache = write_model(&env.work());
    env.ok(&["add", apache.to_str().unwrap()]);
    let mit = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/tiny-bert");
    env.ok(&["add", mit.to_str().unwrap()]);
    let evil = env.work().join("evil");
    std::fs::create_dir_all(&evil).unwrap();
    std::fs::write(
        evil.join("model.safetensors"),
        crate::support::tiny_safetensors(3),
    )
    .unwrap();
    std::fs::write(
        evil.join("README.md"),
        "---\nlicense: mit\nmodel_name: \"<script>window.__pwned=1</script>\"\n---\n<img src=x onerror=\"window.__pwned=1\">\n",
    )
    .unwrap();
    std::fs::write(evil.join("<img src=x onerror=window.__pwned=1>.json"), "{}").unwrap();
    env.ok(&["add", evil.to_str().unwrap(), "--name", "acme/evil"]);
    let token = last_line(&env.ok(&["token", "create", "walker", "--role", "auditor"])).to_string();

    let server = Server::start(&env, &["--public-read"], &[]);
    let shots = std::env::var_os("MODELVET_SCREENSHOTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| env.path().join("shots"));
    std::fs::create_dir_all(&shots).unwrap();
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/browser/walk.cjs");
    let out = env
        .std_cmd(node)
        .arg(script)
        .args([&server.url, &token, "tiny-bert", shots.to_str().unwrap()])
        .env("NODE_PATH", &modules)
        .env("CHROMIUM", chromium)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the walk failed:\n{stderr}\nserver:\n{}",
        server.stderr()
    );
    let seen: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(seen["catalogue_rows"], 3, "{seen}");
    let licenses: Vec<&str> = seen["filtered_licenses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(
        !licenses.is_empty() && licenses.iter().all(|l| l.contains("MIT")),
        "{seen}"
    );
    assert!(
        seen["model_heading"]
            .as_str()
            .unwrap()
            .starts_with("tiny-bert"),
        "{seen}"
    );
    assert!(
        seen["summary"].as_str().unwrap().contains("License: MIT"),
        "{seen}"
    );
    assert_eq!(
        seen["forms_before_login"], 0,
        "no forms for an anonymous reader"
    );
    assert!(
        seen["logged_in_as"]
            .as_str()
            .unwrap()
            .contains("walker (auditor)"),
        "{seen}"
    );
    assert!(
        seen["flash"]
            .as_str()
            .unwrap()
            .contains("approved for production"),
        "{seen}"
    );
    let approvals = seen["approvals"].as_str().unwrap();
    assert!(
        approvals.contains("production")
            && approvals.contains("walker")
            && approvals.contains("walked through"),
        "{seen}"
    );
    assert!(
        seen["events"].as_str().unwrap().contains("approve"),
        "{seen}"
    );
    for page in ["catalogue_injected", "model_injected"] {
        assert_eq!(seen[page]["scripts"], 0, "{page}: {seen}");
        assert_eq!(seen[page]["images"], 0, "{page}: {seen}");
        assert_eq!(seen[page]["pwned"], false, "{page}: {seen}");
    }
    assert_eq!(seen["console_errors"], serde_json::json!([]), "{seen}");
    assert!(shots.join("catalogue.png").is_file() && shots.join("model.png").is_file());
}
