use super::*;
use crate::finding::{Finding, Severity};
use crate::record::*;
use serde_json::json;

const T: &str = "2026-01-02T03:04:05Z";

/// A SHA-256 of one repeated byte, `pair` in hex.
fn sha(pair: &str) -> crate::ids::Sha256 {
    crate::ids::Sha256::parse(&pair.repeat(32)).unwrap()
}

fn record() -> ModelRecord {
    ModelRecord {
        schema: 1,
        id: "tiny@abc123def456".parse().unwrap(),
        name: "tiny".into(),
        revision: "abc123def456".into(),
        revisions: vec![RevisionSummary {
            revision: "abc123def456".into(),
            added_at: "2026-01-01T00:00:00.000Z".into(),
        }],
        source: SourceInfo {
            kind: crate::record::SourceKind::Local,
            location: "/models/tiny".into(),
            revision: None,
        },
        files: vec![
            FileRecord {
                path: "model.safetensors".into(),
                size: 96,
                sha256: Some(sha("ab")),
                git_oid: None,
                format: "safetensors".into(),
            },
            FileRecord {
                path: "README.md".into(),
                size: 10,
                sha256: Some(sha("cd")),
                git_oid: None,
                format: "readme".into(),
            },
        ],
        license: LicenseSection {
            effective: "Apache-2.0".into(),
            ..Default::default()
        },
        openness: None,
        findings: vec![],
        smoke: None,
        card: Some(json!({"license": "apache-2.0"})),
        config: Some(json!({"architectures": ["BertModel"], "max_position_embeddings": 512})),
        base_models: vec![],
        signature: None,
        lineage: None,
        upstream: Vec::new(),
    }
}

fn hub_record() -> ModelRecord {
    let mut r = record();
    r.name = "Acme/Tiny-Chat".into();
    r.revision = "0123456789ABCDEF0123456789abcdef01234567".into();
    r.id = crate::ids::ModelId::new(r.name.clone(), r.revision.clone());
    r.source = SourceInfo {
        kind: crate::record::SourceKind::Hub,
        location: "hf:Acme/Tiny-Chat".into(),
        revision: Some(r.revision.clone()),
    };
    r.license.effective = "MIT AND LicenseRef-Llama-3.1-Community".into();
    r.base_models = vec![BaseModelRef {
        name: "meta-llama/Llama-3.1-8B".into(),
        relation: crate::record::Relation::Finetune,
    }];
    r.license.base_chain = vec![BaseLicense {
        name: "meta-llama/Llama-3.1-8B".into(),
        relation: crate::record::Relation::Finetune,
        effective: "LicenseRef-Llama-3.1-Community".into(),
        recorded: true,
    }];
    r.card = Some(json!({"datasets": ["acme/chats"], "pipeline_tag": "text-generation"}));
    r.openness = Some(OpennessSection {
        class: crate::record::OpennessClass::OpenWeight,
        weights_terms: crate::record::WeightsTerms::Restricted,
        mof: MofResult {
            class: crate::record::MofClass(0),
            progress: MofProgress {
                class_iii: 40.0,
                class_ii: 10.0,
                class_i: 0.0,
            },
        },
        mof_strict: MofResult {
            class: crate::record::MofClass(0),
            progress: MofProgress {
                class_iii: 40.0,
                class_ii: 10.0,
                class_i: 0.0,
            },
        },
        components: vec![],
        reasons: vec![Reason {
            code: "weights-terms-restricted".into(),
            component: Some("Model parameters (Final)".into()),
            message: "the Llama license restricts use".into(),
            evidence: None,
        }],
    });
    r
}

#[test]
fn templates_parse() {
    let env = environment();
    for (name, _) in TEMPLATES {
        env.get_template(name).unwrap();
    }
}

#[test]
fn markdown_says_what_is_absent() {
    let doc = build_document(record(), None, None, T);
    let md = render(&doc, ReportFormat::Markdown).unwrap();
    assert!(
        md.contains("# Compliance report: tiny@abc123def456"),
        "{md}"
    );
    assert!(md.contains("Not classified"), "{md}");
    assert!(md.contains("No smoke test run"), "{md}");
    assert!(md.contains("No audit recorded"), "{md}");
    assert!(md.contains("not verified"), "{md}");
    assert!(md.contains(&"ab".repeat(32)), "{md}");
    assert!(md.contains("not legal advice"), "{md}");
}

#[test]
fn markdown_shows_what_is_present() {
    let mut r = hub_record();
    r.smoke = Some(SmokeSection {
        status: crate::record::SmokeStatus::Passed,
        architecture: Some("llama".into()),
        parameters: Some(134_515_008),
        fingerprint: None,
        load_ms: Some(12.5),
        forward_ms: None,
        tokens_per_second: None,
        peak_rss_bytes: None,
        details: None,
    });
    r.license.obligations = vec![
        json!({"license": "LicenseRef-Llama-3.1-Community", "kind": "naming", "text": "prefix the name with Llama"}),
        json!("a bare string obligation"),
    ];
    r.findings = vec![Finding {
        code: "pickle-global-not-allowed".into(),
        severity: Severity::High,
        path: Some("x.bin".into()),
        message: "calls os.system | bad".into(),
        evidence: None,
    }];
    let verdict = json!({"id": r.id, "pass": false, "policy": "p.yaml", "license": r.license.effective, "findings": []});
    let audit = Run {
        kind: "audit".into(),
        status: "failed".into(),
        started_at: "2026-01-01T01:00:00.000Z".into(),
        result: verdict,
    };
    let doc = build_document(r, None, Some(&audit), T);
    let md = render(&doc, ReportFormat::Markdown).unwrap();
    assert!(md.contains("**FAIL** under policy `p.yaml`"), "{md}");
    assert!(md.contains("OSAID verdict: **open-weight**"), "{md}");
    assert!(md.contains("prefix the name with Llama"), "{md}");
    assert!(md.contains("a bare string obligation"), "{md}");
    assert!(
        md.contains("calls os.system \\| bad"),
        "pipes escaped: {md}"
    );
    assert!(md.contains("**passed**, architecture llama"), "{md}");
    assert!(md.contains("weights terms classified restricted"), "{md}");
    assert!(
        md.contains("- **Model parameters (Final)**\n  - the Llama license restricts use"),
        "{md}"
    );
}

#[test]
fn html_escapes_record_content() {
    let mut r = record();
    r.files[0].path = "<script>alert(1)</script>.safetensors".into();
    let doc = build_document(r, None, None, T);
    let html = render(&doc, ReportFormat::Html).unwrap();
    assert!(!html.contains("<script>"), "{html}");
    assert!(html.contains("&lt;script&gt;"));
    assert!(html.starts_with("<!DOCTYPE html>"), "{html}");
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "no external resources"
    );
}

#[test]
fn rendering_is_deterministic() {
    let a = build_document(record(), None, None, T);
    let b = build_document(record(), None, None, T);
    for f in [
        ReportFormat::Json,
        ReportFormat::Markdown,
        ReportFormat::Html,
        ReportFormat::Cyclonedx,
        ReportFormat::Spdx,
    ] {
        assert_eq!(render(&a, f).unwrap(), render(&b, f).unwrap(), "{f:?}");
    }
    let c = build_document(record(), None, None, "2026-01-02T03:04:06Z");
    assert_ne!(a.report.serial, c.report.serial);
}

#[test]
fn json_keeps_record_keys_and_adds_report() {
    let doc = build_document(record(), None, None, T);
    let v: serde_json::Value =
        serde_json::from_str(&render(&doc, ReportFormat::Json).unwrap()).unwrap();
    assert_eq!(v["schema"], 1);
    assert_eq!(v["id"], "tiny@abc123def456");
    assert_eq!(v["report"]["schema"], 1);
    assert_eq!(v["report"]["generated_at"], T);
    assert!(v["eu_ai_act"]["annex_xi"].as_array().unwrap().len() >= 6);
    let back: ReportDocument = serde_json::from_value(v).unwrap();
    assert_eq!(back.record.id, "tiny@abc123def456");
}

#[test]
fn serial_is_a_uuid() {
    let s = serial_for(&["a"]);
    let re = s.strip_prefix("urn:uuid:").unwrap();
    let parts: Vec<&str> = re.split('-').collect();
    assert_eq!(
        parts.iter().map(|p| p.len()).collect::<Vec<_>>(),
        [8, 4, 4, 4, 12]
    );
    assert!(parts[2].starts_with('5'));
    assert!(matches!(parts[3].as_bytes()[0], b'8' | b'9' | b'a' | b'b'));
}

#[test]
fn cyclonedx_hub_model_has_purl_pedigree_and_datasets() {
    let doc = build_document(hub_record(), None, None, T);
    let bom = cyclonedx::bom(&doc);
    let model = &bom["components"][0];
    assert_eq!(model["type"], "machine-learning-model");
    assert_eq!(
        model["purl"],
        "pkg:huggingface/Acme/Tiny-Chat@0123456789abcdef0123456789abcdef01234567"
    );
    assert_eq!(
        model["licenses"][0]["expression"],
        "MIT AND LicenseRef-Llama-3.1-Community"
    );
    let anc = &model["pedigree"]["ancestors"][0];
    assert_eq!(anc["name"], "Llama-3.1-8B");
    assert_eq!(
        anc["licenses"][0]["license"]["name"],
        "LicenseRef-Llama-3.1-Community"
    );
    assert_eq!(
        model["modelCard"]["modelParameters"]["datasets"][0]["ref"],
        "dataset:acme/chats"
    );
    assert_eq!(bom["components"][1]["type"], "data");
    let file = &model["components"][0];
    assert_eq!(file["hashes"][0]["alg"], "SHA-256");
}

#[test]
fn spdx_ai_package_has_the_model_required_fields() {
    for r in [record(), hub_record()] {
        let doc = build_document(r, None, None, T);
        let d = spdx::document(&doc);
        let graph = d["@graph"].as_array().unwrap();
        let root = graph
            .iter()
            .find(|e| e["spdxId"].as_str().is_some_and(|s| s.ends_with(":model")))
            .unwrap();
        assert_eq!(root["type"], "ai_AIPackage");
        for key in [
            "releaseTime",
            "suppliedBy",
            "software_downloadLocation",
            "software_packageVersion",
            "software_primaryPurpose",
        ] {
            assert!(root.get(key).is_some(), "{key} missing in {root}");
        }
        assert!(
            graph
                .iter()
                .any(|e| e["relationshipType"] == "hasConcludedLicense")
        );
    }
}

#[test]
fn eu_exemption_follows_terms() {
    let restricted = eu_ai_act::assess(&hub_record());
    assert_eq!(restricted.exemption.status, "not_met");
    let bare = eu_ai_act::assess(&record());
    assert_eq!(
        bare.exemption.status, "not_met",
        "no config.json: architecture not public"
    );
    let mut with_config = record();
    with_config.files.push(FileRecord {
        path: "config.json".into(),
        size: 2,
        sha256: Some(sha("ef")),
        git_oid: None,
        format: "config".into(),
    });
    let open = eu_ai_act::assess(&with_config);
    // Usage, architecture and license facts are there, but compute and monetisation are unknown.
    assert_eq!(open.exemption.status, "undetermined");
    let lic = open.annex_xi.iter().find(|i| i.item == "1(f)").unwrap();
    assert_eq!(lic.status, "present");
    let mut none = record();
    none.license.effective = "NOASSERTION".into();
    let a = eu_ai_act::assess(&none);
    assert_eq!(
        a.annex_xi.iter().find(|i| i.item == "1(f)").unwrap().status,
        "missing"
    );
}

#[test]
fn placeholder_datasets_are_no_datasets() {
    let mut r = record();
    r.card = Some(json!({"datasets": ["none"]}));
    assert!(eu_ai_act::datasets(&r).is_empty());
    let a = eu_ai_act::assess(&r);
    let data = a.annex_xi.iter().find(|i| i.item == "2(c)").unwrap();
    assert_eq!(data.status, "missing");
    r.card = Some(json!({"datasets": "acme/set"}));
    assert_eq!(eu_ai_act::datasets(&r), ["acme/set"]);
}

#[test]
fn two_significant_figures() {
    assert_eq!(eu_ai_act::two_significant(134_515_008), "1.3×10^8");
    assert_eq!(eu_ai_act::two_significant(42), "42");
}

#[test]
fn inventory_rejects_bom_formats() {
    let inv = inventory(vec![inventory_entry(&record(), None, None)], T);
    assert!(matches!(
        render_inventory(&inv, ReportFormat::Spdx),
        Err(ReportError::InventoryFormat("spdx"))
    ));
    let md = render_inventory(&inv, ReportFormat::Markdown).unwrap();
    assert!(
        md.contains("not classified") && md.contains("not audited"),
        "{md}"
    );
}
