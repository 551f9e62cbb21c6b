//! OpenSSF model signatures: the reference implementation's test vectors
//! (../shared/reference/model-signing), tampered copies of them, and interop with PyPI
//! `model-signing` both ways.

use crate::support::{Env, last_line, require_assets, write_model};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use std::path::{Path, PathBuf};

fn reference() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/reference/model-signing")
}

fn r(rel: &str) -> String {
    reference().join(rel).display().to_string()
}

/// A writable copy of a reference case.
fn copy_case(env: &Env, case: &str) -> PathBuf {
    let dest = env.work().join(case);
    std::fs::create_dir_all(&dest).unwrap();
    for e in std::fs::read_dir(reference().join(case)).unwrap() {
        let e = e.unwrap();
        std::fs::write(dest.join(e.file_name()), std::fs::read(e.path()).unwrap()).unwrap();
    }
    dest
}

fn key_args() -> Vec<String> {
    vec!["--key".into(), r("keys/signing-key-pub.pem")]
}

fn chain_args() -> Vec<String> {
    vec!["--certificate-chain".into(), r("keys/ca-cert.pem")]
}

fn sigstore_args() -> Vec<String> {
    [
        "--sigstore",
        "--trust-root",
        &r("sigstore-public-good.trusted_root.json"),
        "--identity",
        "stefanb@us.ibm.com",
        "--issuer",
        "https://sigstore.verify.ibm.com/oauth2",
    ]
    .map(String::from)
    .to_vec()
}

/// `verify --signature --path DIR TRUST… --format json`: (exit code, finding codes, document).
fn check(env: &Env, dir: &Path, trust: &[String]) -> (i32, Vec<String>, serde_json::Value) {
    let dir = dir.display().to_string();
    let mut args = vec!["--format", "json", "verify", "--signature", "--path", &dir];
    args.extend(trust.iter().map(String::as_str));
    let (code, out, err) = env.run(&args);
    let doc: serde_json::Value = serde_json::from_str(&out)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {out}\nstderr: {err}"));
    let codes = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect();
    (code, codes, doc)
}

/// Asserts that checking `dir` exits 1 with exactly the finding `want`.
fn assert_fails(env: &Env, dir: &Path, trust: &[String], want: &str) {
    let (code, codes, doc) = check(env, dir, trust);
    assert_eq!(code, 1, "{doc:#}");
    assert_eq!(codes, [want], "{doc:#}");
    assert_eq!(doc["ok"], false);
}

#[test]
fn signature_reference_cases_verify() {
    let env = Env::new();
    let cases: [(&str, Vec<String>); 7] = [
        ("v0.3.1-elliptic-key", key_args()),
        ("v1.0.0-elliptic-key", key_args()),
        ("v0.2.0-certificate", chain_args()),
        ("v0.3.1-certificate", chain_args()),
        ("v1.0.0-certificate", chain_args()),
        ("v0.3.1-sigstore", sigstore_args()),
        ("v1.0.0-sigstore", sigstore_args()),
    ];
    for (case, trust) in cases {
        let (code, codes, doc) = check(&env, &reference().join(case), &trust);
        assert_eq!((code, codes.len()), (0, 0), "{case}: {doc:#}");
        assert_eq!(doc["ok"], true);
        assert!(
            doc["signer"]["fingerprint"]
                .as_str()
                .unwrap()
                .starts_with("sha256:")
        );
    }
    // The keyless signer is its identity and issuer.
    let (_, _, doc) = check(&env, &reference().join("v1.0.0-sigstore"), &sigstore_args());
    assert_eq!(doc["signer"]["san"][0], "stefanb@us.ibm.com");
    assert_eq!(
        doc["signer"]["oidc_issuer"],
        "https://sigstore.verify.ibm.com/oauth2"
    );
    // The reference signed the elliptic-key cases as the single file `signme-1`.
    let file = reference().join("v1.0.0-elliptic-key/signme-1");
    let (code, _, _) = check(&env, &file, &key_args());
    assert_eq!(code, 0);
    // The human output names the signer.
    let out = env.ok(&[
        "verify",
        "--signature",
        "--path",
        &r("v1.0.0-certificate"),
        "--certificate-chain",
        &r("keys/ca-cert.pem"),
        "--identity",
        "intermediate-ca",
    ]);
    assert!(out.contains("verified: 2 signed file(s)"), "{out}");
}

/// Rewrites a bundle's JSON in place.
fn edit_bundle(path: &Path, f: impl FnOnce(&mut serde_json::Value)) {
    let mut v: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    f(&mut v);
    std::fs::write(path, serde_json::to_vec_pretty(&v).unwrap()).unwrap();
}

/// A PEM public key that did not sign anything here: Rekor's, from the trusted root.
fn other_key(env: &Env) -> String {
    let root: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(reference().join("sigstore-public-good.trusted_root.json"))
            .unwrap(),
    )
    .unwrap();
    let der = root["tlogs"][0]["publicKey"]["rawBytes"].as_str().unwrap();
    let path = env.work().join("other.pub.pem");
    std::fs::write(
        &path,
        format!("-----BEGIN PUBLIC KEY-----\n{der}\n-----END PUBLIC KEY-----\n"),
    )
    .unwrap();
    path.display().to_string()
}

#[test]
fn signature_tampered_copies_fail_each_with_its_own_finding() {
    let env = Env::new();
    std::fs::create_dir_all(env.work()).unwrap();
    let fails = |dir: &Path, trust: &[String], want: &str| assert_fails(&env, dir, trust, want);

    // A flipped byte.
    let d = copy_case(&env, "v1.0.0-certificate");
    let mut bytes = std::fs::read(d.join("signme-1")).unwrap();
    bytes[0] ^= 1;
    std::fs::write(d.join("signme-1"), bytes).unwrap();
    fails(&d, &chain_args(), "signature-digest-mismatch");
    std::fs::remove_dir_all(&d).unwrap();

    // A removed file.
    let d = copy_case(&env, "v1.0.0-certificate");
    std::fs::remove_file(d.join("signme-2")).unwrap();
    fails(&d, &chain_args(), "signature-file-missing");
    std::fs::remove_dir_all(&d).unwrap();

    // An added file (and `--ignore-paths` lets one through).
    let d = copy_case(&env, "v1.0.0-certificate");
    std::fs::write(d.join("added.bin"), b"not signed").unwrap();
    fails(&d, &chain_args(), "signature-file-unsigned");
    let mut ignoring = chain_args();
    ignoring.extend(["--ignore-paths".into(), "added.bin".into()]);
    assert_eq!(check(&env, &d, &ignoring).0, 0);
    std::fs::remove_dir_all(&d).unwrap();

    // An edited statement: a digest changed to match edited bytes.
    let d = copy_case(&env, "v1.0.0-certificate");
    std::fs::write(d.join("signme-1"), b"edited\n").unwrap();
    let edited = modelvet::hashing::sha256_hex(b"edited\n");
    edit_bundle(&d.join("model.sig"), |v| {
        let payload = B64
            .decode(v["dsseEnvelope"]["payload"].as_str().unwrap())
            .unwrap();
        let mut st: serde_json::Value = serde_json::from_slice(&payload).unwrap();
        st["predicate"]["resources"][0]["digest"] = edited.clone().into();
        v["dsseEnvelope"]["payload"] = B64.encode(serde_json::to_vec(&st).unwrap()).into();
    });
    fails(&d, &chain_args(), "signature-invalid");
    std::fs::remove_dir_all(&d).unwrap();

    // A wrong key, for the old bundle layout (embedded key) and for a modelvet signature (hint).
    let other = other_key(&env);
    let wrong = vec!["--key".to_string(), other];
    fails(
        &reference().join("v1.0.0-elliptic-key"),
        &wrong,
        "signature-wrong-key",
    );
    let m = write_model(&env.work().join("mine"));
    env.ok(&[
        "sign",
        "--path",
        &m.display().to_string(),
        "--key",
        &r("keys/signing-key.pem"),
    ]);
    assert_eq!(check(&env, &m, &key_args()).0, 0);
    fails(&m, &wrong, "signature-wrong-key");

    // A chain that does not lead to the root: the bundle without its intermediate, and a root
    // that did not issue it.
    let d = copy_case(&env, "v1.0.0-certificate");
    edit_bundle(&d.join("model.sig"), |v| {
        let chain = &mut v["verificationMaterial"]["x509CertificateChain"]["certificates"];
        chain.as_array_mut().unwrap().truncate(1);
    });
    fails(&d, &chain_args(), "signature-untrusted-signer");
    let leaf_as_root = vec!["--certificate-chain".to_string(), r("keys/int-ca-cert.pem")];
    // The intermediate given as the root is a trust anchor: that chain does lead to it.
    assert_eq!(check(&env, &d, &leaf_as_root).0, 0);
    let d2 = copy_case(&env, "v0.3.1-certificate");
    let fulcio = env.work().join("fulcio.pem");
    let root: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(reference().join("sigstore-public-good.trusted_root.json"))
            .unwrap(),
    )
    .unwrap();
    let ca = root["certificateAuthorities"][1]["certChain"]["certificates"][1]["rawBytes"]
        .as_str()
        .unwrap();
    std::fs::write(
        &fulcio,
        format!("-----BEGIN CERTIFICATE-----\n{ca}\n-----END CERTIFICATE-----\n"),
    )
    .unwrap();
    fails(
        &d2,
        &["--certificate-chain".into(), fulcio.display().to_string()],
        "signature-untrusted-signer",
    );
    // The wrong identity.
    let mut who = chain_args();
    who.extend(["--identity".into(), "someone-else".into()]);
    fails(
        &reference().join("v1.0.0-certificate"),
        &who,
        "signature-untrusted-signer",
    );
}

#[test]
fn signature_keyless_evidence_is_checked() {
    let env = Env::new();
    std::fs::create_dir_all(env.work()).unwrap();
    // A forged signed entry timestamp, inclusion proof hash, or integrated time.
    type Edit = fn(&mut serde_json::Value);
    let edits: [(&str, Edit); 3] = [
        ("set", |v| {
            let e = &mut v["verificationMaterial"]["tlogEntries"][0];
            e["inclusionPromise"]["signedEntryTimestamp"] =
                "MEUCIQCo8tC4p7c9XbCqH5n9X4kU2k3Z0y9xXo3Y2KqZc4s6XgIgHk8Y0x7k9X3v6cQ2w1r9p4n5m6l7k8j9h0g1f2e3d4c=".into();
        }),
        ("proof", |v| {
            let e = &mut v["verificationMaterial"]["tlogEntries"][0];
            e["inclusionProof"]["hashes"][0] =
                "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=".into();
        }),
        ("time", |v| {
            let e = &mut v["verificationMaterial"]["tlogEntries"][0];
            e["integratedTime"] = "1746236999".into();
        }),
    ];
    for (what, edit) in edits {
        let d = copy_case(&env, "v1.0.0-sigstore");
        edit_bundle(&d.join("model.sig"), edit);
        let (code, codes, doc) = check(&env, &d, &sigstore_args());
        assert_eq!(
            (code, codes),
            (1, vec!["signature-invalid".to_string()]),
            "{what}: {doc:#}"
        );
        std::fs::remove_dir_all(&d).unwrap();
    }
    // Another identity or issuer than the one asked for.
    let mut args = sigstore_args();
    args[4] = "someone@example.com".into();
    assert_fails(
        &env,
        &reference().join("v1.0.0-sigstore"),
        &args,
        "signature-untrusted-signer",
    );
    let mut args = sigstore_args();
    args[6] = "https://accounts.google.com".into();
    assert_fails(
        &env,
        &reference().join("v1.0.0-sigstore"),
        &args,
        "signature-untrusted-signer",
    );
}

#[test]
fn signature_errors_exit_2() {
    let env = Env::new();
    std::fs::create_dir_all(env.work()).unwrap();
    let m = write_model(&env.work().join("m"));
    let m = m.display().to_string();
    // No model.sig, no trust named, a key that is not a key.
    for args in [
        vec![
            "verify",
            "--signature",
            "--path",
            &m,
            "--key",
            &r("keys/signing-key-pub.pem"),
        ],
        vec!["verify", "--signature", "--path", &m],
        vec![
            "verify",
            "--signature",
            "--path",
            &m,
            "--key",
            &r("keys/ca-cert.pem"),
        ],
        vec![
            "sign",
            "--path",
            &m,
            "--key",
            &r("keys/signing-key-pub.pem"),
        ],
    ] {
        let (code, _, err) = env.run(&args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.starts_with("error: "), "{err}");
    }
    // A model.sig that is not a bundle is a finding about the model.
    std::fs::write(Path::new(&m).join("model.sig"), "{not json").unwrap();
    assert_fails(&env, Path::new(&m), &key_args(), "signature-invalid");
}

#[test]
fn signature_sign_and_verify_a_catalogue_model() {
    let env = Env::new();
    let m = write_model(&env.work().join("tiny"));
    let id = last_line(&env.ok(&["add", &m.display().to_string()])).to_string();
    let out = env.ok(&["sign", &id, "--key", &r("keys/signing-key.pem")]);
    assert!(out.contains("signed 5 file(s)"), "{out}");
    assert!(m.join("model.sig").is_file());
    let out = env.ok(&[
        "verify",
        &id,
        "--signature",
        "--key",
        &r("keys/signing-key-pub.pem"),
    ]);
    assert!(out.contains("verified: 5 signed file(s)"), "{out}");
    // The ordinary verify of recorded digests is unchanged, and model.sig is an extra file.
    let (code, _, _) = env.run(&["verify", &id]);
    assert_eq!(code, 0);

    // Added again with its model.sig, the revision records the signer and the coverage.
    let signed = last_line(&env.ok(&["add", &m.display().to_string()])).to_string();
    assert_ne!(signed, id);
    let doc = env.json(&["--format", "json", "show", &signed], 0);
    let sig = &doc["signature"];
    assert_eq!(sig["path"], "model.sig");
    assert_eq!(sig["files_signed"], 5);
    assert_eq!(sig["files_covered"], 5);
    assert_eq!(sig["signer"]["kind"], "key");
    // Written by modelvet, the bundle names its key only by model signing's hint.
    let hint = sig["signer"]["key_hint"].as_str().unwrap().to_string();
    assert_eq!(hint.len(), 64);
    assert!(
        env.ok(&["show", &signed])
            .contains("signature:  model.sig by key")
    );
    let md = env.ok(&["report", &signed, "--format", "markdown"]);
    assert!(md.contains("| signature |") && md.contains(&hint), "{md}");
    let html = env.ok(&["report", &signed, "--format", "html"]);
    assert!(html.contains("<th>signature</th>") && html.contains(&hint));
    let bom: serde_json::Value =
        serde_json::from_str(&env.ok(&["report", &signed, "--format", "cyclonedx"])).unwrap();
    let props = bom["components"][0]["properties"].as_array().unwrap();
    assert!(
        props
            .iter()
            .any(|p| p["name"] == "modelvet:signature_fingerprint" && p["value"] == hint.as_str())
    );
    let spdx: serde_json::Value =
        serde_json::from_str(&env.ok(&["report", &signed, "--format", "spdx"])).unwrap();
    let note = spdx["@graph"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["type"] == "Annotation")
        .expect("a signature annotation");
    assert!(note["statement"].as_str().unwrap().contains(&hint));
    if let Some(schema) = crate::support::schema("signature reports", "spdx-3.0.1/schema.json") {
        let errors = crate::report::validate(&schema, &[], &spdx);
        assert!(errors.is_empty(), "{errors:#?}");
    }
    if let Some(schema) =
        crate::support::schema("signature reports", "cyclonedx/bom-1.6.schema.json")
    {
        let errors =
            crate::report::validate(&schema, &["spdx.schema.json", "jsf-0.82.schema.json"], &bom);
        assert!(errors.is_empty(), "{errors:#?}");
    }

    // A certificate-signed copy names its subject; a changed file is a finding at add.
    let c = env.work().join("cert");
    std::fs::create_dir_all(&c).unwrap();
    for f in ["signme-1", "signme-2", "model.sig"] {
        std::fs::write(
            c.join(f),
            std::fs::read(reference().join("v1.0.0-certificate").join(f)).unwrap(),
        )
        .unwrap();
    }
    std::fs::write(c.join("signme-2"), b"changed").unwrap();
    let cid = last_line(&env.ok(&["add", &c.display().to_string()])).to_string();
    let doc = env.json(&["--format", "json", "show", &cid], 0);
    assert_eq!(doc["signature"]["signer"]["subject"], "CN=intermediate-ca");
    assert_eq!(doc["signature"]["mismatched"][0], "signme-2");
    assert!(
        doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["code"] == "signature-digest-mismatch")
    );
}

/// PyPI `model-signing`'s CLI from the test cache (`scripts/test` installs it).
fn model_signing() -> Option<PathBuf> {
    let assets = require_assets("signature interop")?;
    let bin = assets.join("model-signing-venv/bin/model_signing");
    if bin.is_file() {
        return Some(bin);
    }
    if std::env::var("MODELVET_REQUIRE_ASSETS").is_ok_and(|v| v == "1") {
        panic!(
            "{} is missing; run scripts/test to install PyPI model-signing",
            bin.display()
        );
    }
    eprintln!("SKIPPED (signature interop): model-signing is not installed; run scripts/test");
    None
}

#[test]
fn signature_interop_with_the_reference_implementation() {
    let Some(ms) = model_signing() else {
        return;
    };
    let env = Env::new();
    let run_ms = |args: &[&str]| {
        let out = env
            .std_cmd(&ms)
            .args(args)
            .output()
            .expect("run model_signing");
        (
            out.status.success(),
            format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        )
    };
    // modelvet signs, the reference verifies (a folder with a subfolder).
    let m = write_model(&env.work().join("ours"));
    let ms_path = m.display().to_string();
    env.ok(&[
        "sign",
        "--path",
        &ms_path,
        "--key",
        &r("keys/signing-key.pem"),
    ]);
    let sig = m.join("model.sig").display().to_string();
    let verify_ours = || {
        run_ms(&[
            "verify",
            "key",
            "--signature",
            &sig,
            "--public_key",
            &r("keys/signing-key-pub.pem"),
            &ms_path,
        ])
    };
    let (ok, out) = verify_ours();
    assert!(ok && out.contains("Verification succeeded"), "{out}");
    assert!(!out.contains("WARNING"), "{out}");
    // And rejects it once a byte changes.
    std::fs::write(m.join("sub/notes.txt"), "changed\n").unwrap();
    let (ok, out) = verify_ours();
    assert!(!ok, "{out}");

    // The reference signs with a key and with a certificate; modelvet verifies both.
    let theirs = write_model(&env.work().join("theirs"));
    let t = theirs.display().to_string();
    let key_sig = env.work().join("key.sig").display().to_string();
    let (ok, out) = run_ms(&[
        "sign",
        "key",
        "--signature",
        &key_sig,
        "--private_key",
        &r("keys/signing-key.pem"),
        &t,
    ]);
    assert!(ok, "{out}");
    let out = env.ok(&[
        "verify",
        "--signature",
        &key_sig,
        "--path",
        &t,
        "--key",
        &r("keys/signing-key-pub.pem"),
    ]);
    assert!(out.contains("verified: 5 signed file(s)"), "{out}");
    let cert_sig = theirs.join("model.sig").display().to_string();
    let (ok, out) = run_ms(&[
        "sign",
        "certificate",
        "--signature",
        &cert_sig,
        "--private_key",
        &r("keys/signing-key.pem"),
        "--signing_certificate",
        &r("keys/signing-key-cert.pem"),
        "--certificate_chain",
        &r("keys/int-ca-cert.pem"),
        &t,
    ]);
    assert!(ok, "{out}");
    let out = env.ok(&[
        "verify",
        "--signature",
        "--path",
        &t,
        "--certificate-chain",
        &r("keys/ca-cert.pem"),
    ]);
    assert!(out.contains("verified: 5 signed file(s)"), "{out}");
    // A file the reference did not sign is caught.
    std::fs::write(theirs.join("extra.txt"), "x").unwrap();
    assert_fails(&env, &theirs, &chain_args(), "signature-file-unsigned");
}

#[test]
fn signature_policy_section_in_audit() {
    let env = Env::new();
    let m = write_model(&env.work().join("pol"));
    let pol = env.work().join("policy");
    std::fs::create_dir_all(pol.join("keys")).unwrap();
    std::fs::copy(
        reference().join("keys/signing-key-pub.pem"),
        pol.join("keys/pub.pem"),
    )
    .unwrap();
    std::fs::copy(
        reference().join("sigstore-public-good.trusted_root.json"),
        pol.join("root.json"),
    )
    .unwrap();
    let write = |name: &str, body: &str| {
        let p = pol.join(name);
        std::fs::write(&p, format!("version: 1\nsignatures:\n{body}")).unwrap();
        p.display().to_string()
    };
    let by_key = write("key.yaml", "  require: true\n  keys: [ keys/pub.pem ]\n");
    let other = write(
        "other.yaml",
        "  require: true\n  identities: [ { identity: \"release@example.com\", issuer: \"https://accounts.google.com\" } ]\n  trust_root: root.json\n",
    );
    let id = last_line(&env.ok(&["add", &m.display().to_string()])).to_string();
    let audit = |policy: &str| {
        let (code, out, err) = env.run(&["--format", "json", "audit", &id, "--policy", policy]);
        let v: serde_json::Value =
            serde_json::from_str(&out).unwrap_or_else(|_| panic!("{out}{err}"));
        let codes: Vec<String> = v["verdicts"][0]["findings"]
            .as_array()
            .or_else(|| v["findings"].as_array())
            .cloned()
            .unwrap_or_default()
            .iter()
            .map(|f| f["code"].as_str().unwrap().to_string())
            .collect();
        (code, codes, v)
    };
    // Unsigned: required, so it fails.
    let (code, codes, v) = audit(&by_key);
    assert_eq!(code, 1, "{v:#}");
    assert!(codes.contains(&"signature-missing".to_string()), "{v:#}");
    // Signed by the listed key: passes.
    env.ok(&["sign", &id, "--key", &r("keys/signing-key.pem")]);
    let (code, codes, v) = audit(&by_key);
    assert_eq!(code, 0, "{codes:?} {v:#}");
    // Signed, but not by the identity the policy lists.
    let (code, codes, v) = audit(&other);
    assert_eq!(code, 1, "{v:#}");
    assert!(
        codes.contains(&"signature-not-trusted".to_string()),
        "{v:#}"
    );
    // A changed file under a listed key's signature fails too.
    std::fs::write(m.join("sub/notes.txt"), "changed\n").unwrap();
    let (code, codes, v) = audit(&by_key);
    assert_eq!(code, 1, "{v:#}");
    assert!(
        codes.contains(&"signature-digest-mismatch".to_string()),
        "{v:#}"
    );
    // Identities without a trust root are a broken policy.
    let broken = write(
        "broken.yaml",
        "  identities: [ { identity: a, issuer: b } ]\n",
    );
    let (code, _, err) = env.run(&["audit", &id, "--policy", &broken]);
    assert_eq!(code, 2, "{err}");
}
