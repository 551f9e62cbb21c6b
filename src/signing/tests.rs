//! The reference implementation's test vectors (../shared/reference/model-signing).

use super::*;
use crate::hashing::NoProgress;

fn reference() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/reference/model-signing")
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(reference().join(rel)).expect("reference file")
}

fn key_trust() -> Trust {
    Trust::Key(PublicKey::from_pem(&read("keys/signing-key-pub.pem")).unwrap())
}

fn chain_trust() -> Trust {
    Trust::Chain {
        roots: Cert::from_pem_chain(&read("keys/ca-cert.pem")).unwrap(),
        identity: None,
    }
}

fn check(case: &str, root: &Path, trust: &Trust) -> Verification {
    let sig = std::fs::read(reference().join(case).join("model.sig")).unwrap();
    verify(
        root,
        &sig,
        trust,
        &["model.sig".into(), "ignore-me".into()],
        &NoProgress,
    )
}

fn codes(v: &Verification) -> Vec<String> {
    v.findings.iter().map(|f| f.code.clone()).collect()
}

#[test]
fn every_key_and_certificate_case_verifies() {
    for case in ["v0.3.1-elliptic-key", "v1.0.0-elliptic-key"] {
        let v = check(case, &reference().join(case), &key_trust());
        assert!(v.ok(), "{case}: {:?}", v.findings);
        assert_eq!(v.signer.unwrap().kind, "key");
        // The reference signs these as the single file `signme-1`.
        let v = check(case, &reference().join(case).join("signme-1"), &key_trust());
        assert!(v.ok(), "{case} as a file: {:?}", v.findings);
    }
    for case in [
        "v0.2.0-certificate",
        "v0.3.1-certificate",
        "v1.0.0-certificate",
    ] {
        let v = check(case, &reference().join(case), &chain_trust());
        assert!(v.ok(), "{case}: {:?}", v.findings);
        assert_eq!(v.files.len(), 2, "{case}");
        assert_eq!(
            v.signer.unwrap().subject.as_deref(),
            Some("CN=intermediate-ca")
        );
    }
}

#[test]
fn sigstore_cases_verify_offline() {
    let root =
        sigstore::TrustedRoot::parse(&read("sigstore-public-good.trusted_root.json")).unwrap();
    let trust = Trust::Sigstore {
        root: Box::new(root),
        identity: Some("stefanb@us.ibm.com".into()),
        issuer: Some("https://sigstore.verify.ibm.com/oauth2".into()),
    };
    for case in ["v0.3.1-sigstore", "v1.0.0-sigstore"] {
        let v = check(case, &reference().join(case), &trust);
        assert!(v.ok(), "{case}: {:?}", v.findings);
        assert!(v.logged.is_some());
    }
}

#[test]
fn key_fingerprint_is_the_spki_sha256() {
    let k = PublicKey::from_pem(&read("keys/signing-key-pub.pem")).unwrap();
    assert_eq!(
        k.fingerprint(),
        "sha256:c1e49d63327f85c7e2971aefd30b5a0d1c6b9b5e1a892e7f5fba995adace816d"
    );
    let sk = SigningKey::from_pem(&read("keys/signing-key.pem")).unwrap();
    assert_eq!(sk.public().fingerprint(), k.fingerprint());
}

#[test]
fn sign_then_verify_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.bin"), b"hello").unwrap();
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    std::fs::write(dir.path().join("sub/b.txt"), b"world").unwrap();
    let sk = SigningKey::from_pem(&read("keys/signing-key.pem")).unwrap();
    let (sig, files) = sign(dir.path(), &sk, &["model.sig".into()], &NoProgress).unwrap();
    assert_eq!(files.len(), 2);
    let trust = Trust::Key(sk.public());
    let v = verify(dir.path(), &sig, &trust, &["model.sig".into()], &NoProgress);
    assert!(v.ok(), "{:?}", v.findings);
    std::fs::write(dir.path().join("sub/b.txt"), b"World").unwrap();
    let v = verify(dir.path(), &sig, &trust, &["model.sig".into()], &NoProgress);
    assert_eq!(codes(&v), ["signature-digest-mismatch"]);
    assert!(inspect(&sig).unwrap().signer.is_some());
}

#[test]
fn merkle_proof_of_a_small_tree() {
    // Not the reference's data: a three-leaf tree computed with sha2 by hand.
    use sha2::Digest as _;
    let leaf = |b: &[u8]| {
        let mut v = vec![0u8];
        v.extend_from_slice(b);
        sha2::Sha256::digest(&v).to_vec()
    };
    let node = |l: &[u8], r: &[u8]| {
        let mut v = vec![1u8];
        v.extend_from_slice(l);
        v.extend_from_slice(r);
        sha2::Sha256::digest(&v).to_vec()
    };
    let (a, b, c) = (leaf(b"a"), leaf(b"b"), leaf(b"c"));
    let root = node(&node(&a, &b), &c);
    assert_eq!(
        sigstore::merkle_root_for_test(2, 3, c.clone(), &[node(&a, &b)]),
        Some(root.clone())
    );
    assert_eq!(
        sigstore::merkle_root_for_test(0, 3, a.clone(), &[b.clone(), c.clone()]),
        Some(root.clone())
    );
    assert_ne!(sigstore::merkle_root_for_test(1, 3, a, &[b, c]), Some(root));
}

#[test]
fn p256_and_ed25519_keys_sign_and_verify() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("w.bin"), b"weights").unwrap();
    let p256 = SigningKey::P256(p256::SecretKey::from_slice(&[7u8; 32]).unwrap().into());
    let ed = SigningKey::Ed25519(Box::new(ed25519_dalek::SigningKey::from_bytes(&[9u8; 32])));
    for key in [p256, ed] {
        let (sig, _) = sign(dir.path(), &key, &["model.sig".into()], &NoProgress).unwrap();
        let public = PublicKey::from_pem(&key.public().to_pem()).unwrap();
        let v = verify(
            dir.path(),
            &sig,
            &Trust::Key(public),
            &["model.sig".into()],
            &NoProgress,
        );
        assert!(v.ok(), "{key:?}: {:?}", v.findings);
        // Another key of the same kind: the hint names the signer's.
        let other = PublicKey::from_pem(&read("keys/signing-key-pub.pem")).unwrap();
        let v = verify(
            dir.path(),
            &sig,
            &Trust::Key(other),
            &["model.sig".into()],
            &NoProgress,
        );
        assert_eq!(codes(&v), ["signature-wrong-key"]);
    }
}
