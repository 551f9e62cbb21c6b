//! `modelvet license`: expressions, Hub ids, names and LICENSE files.

use crate::support::Env;

fn one(env: &Env, arg: &str) -> serde_json::Value {
    let v = env.json(&["license", "--format", "json", arg], 0);
    assert_eq!(v.as_array().map(Vec::len), Some(1), "{v}");
    v[0].clone()
}

/// A Llama-style agreement: generated clauses around the distinguishing lines.
fn llama_like(title: &str, date_line: &str) -> String {
    let body: Vec<String> = (1..=30)
        .map(|i| format!("{i}. Generated clause {i} about use, reproduction and distribution."))
        .collect();
    format!("{title}\n{date_line}\n\n{}\n", body.join("\n"))
}

#[test]
fn expressions_hub_ids_and_names_normalise() {
    let env = Env::new();
    let v = one(&env, "Apache-2.0 OR MIT");
    assert_eq!(v["expression"], "Apache-2.0 OR MIT");
    assert_eq!(v["osi_approved"], true);
    assert_eq!(v["licenses"].as_array().unwrap().len(), 2);
    for (arg, want) in [
        ("apache-2.0", "Apache-2.0"),
        ("Apache 2.0", "Apache-2.0"),
        ("MIT License", "MIT"),
        ("llama3.1", "LicenseRef-Llama-3.1-Community"),
        ("qwen-research", "LicenseRef-Qwen-Research-2024"),
        ("mit AND llama3.2", "MIT AND LicenseRef-Llama-3.2-Community"),
    ] {
        assert_eq!(one(&env, arg)["expression"], want, "{arg}");
    }
    let v = one(&env, "llama3.1");
    assert_eq!(v["how"], "hub_tag");
    assert_eq!(v["osi_approved"], false);
    assert_eq!(v["open_terms"], false);
    let t = &v["licenses"][0];
    assert_eq!(t["thresholds"][0]["amount"], 700_000_000u64);
    assert_eq!(t["thresholds"][0]["comparator"], "more_than");
    assert_eq!(t["attribution"]["display"], "Built with Llama");
    assert_eq!(t["derivative_naming"]["prefix"], "Llama");
}

#[test]
fn human_output_shows_expression_and_terms() {
    let env = Env::new();
    let out = env.ok(&["license", "llama3.2"]);
    assert!(out.starts_with("LicenseRef-Llama-3.2-Community\n"), "{out}");
    assert!(out.contains("commercial use: conditional"), "{out}");
    assert!(
        out.contains("more than 700,000,000 monthly active users"),
        "{out}"
    );
    assert!(out.contains("territory excluded: EU"), "{out}");
    assert!(out.contains("Built with Llama"), "{out}");
    let out = env.ok(&["license", "CC-BY-NC-4.0"]);
    assert!(out.contains("commercial use: no"), "{out}");
}

#[test]
fn placeholders_and_unknown_names_are_noassertion_with_a_note() {
    let env = Env::new();
    let v = one(&env, "other");
    assert_eq!(v["expression"], "NOASSERTION");
    assert_eq!(v["findings"][0]["code"], "license-unresolved");
    assert!(v["notes"][0].as_str().unwrap().contains("license_name"));
    assert_eq!(v["osi_approved"], serde_json::Value::Null);
    let out = env.ok(&["license", "acme-secret-model-license"]);
    assert!(
        out.starts_with("NOASSERTION\n") && out.contains("note:"),
        "{out}"
    );
    let v = one(&env, "gpl-3.0");
    assert_eq!(v["expression"], "GPL-3.0-only");
    assert_eq!(v["findings"][0]["code"], "license-ambiguous");
}

#[test]
fn license_files_are_identified() {
    let env = Env::new();
    let dir = env.work();
    let cases = [
        (
            "LICENSE-31",
            llama_like(
                "LLAMA 3.1 COMMUNITY LICENSE AGREEMENT",
                "Llama 3.1 Version Release Date: July 23, 2024",
            ),
            "LicenseRef-Llama-3.1-Community",
        ),
        (
            "LICENSE-32",
            llama_like(
                "LLAMA 3.2 COMMUNITY LICENSE AGREEMENT",
                "Llama 3.2 Version Release Date: September 25, 2024",
            ),
            "LicenseRef-Llama-3.2-Community",
        ),
        (
            "LICENSE-4",
            llama_like(
                "LLAMA 4 COMMUNITY LICENSE AGREEMENT",
                "Llama 4 Version Effective Date: April 5, 2025",
            ),
            "LicenseRef-Llama-4-Community",
        ),
        (
            "LICENSE-apache",
            spdx::license_id("Apache-2.0").unwrap().text().to_string(),
            "Apache-2.0",
        ),
    ];
    for (name, text, want) in cases {
        std::fs::write(dir.join(name), text).unwrap();
        let v = one(&env, name);
        assert_eq!(v["input_kind"], "file");
        assert_eq!(v["expression"], want, "{name}: {v}");
        assert!(v["detected"][0]["confidence"].as_f64().unwrap() > 0.9);
    }
    // Agreement with its use policy appended: both parts identified.
    let text = format!(
        "{}\nMeta Llama 3 Acceptable Use Policy\n1. Generated policy item.\n",
        llama_like(
            "META LLAMA 3 COMMUNITY LICENSE AGREEMENT",
            "Meta Llama 3 Version Release Date: April 18, 2024"
        )
    );
    std::fs::write(dir.join("LICENSE"), text).unwrap();
    let v = one(&env, "LICENSE");
    let ids: Vec<&str> = v["detected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        ["LicenseRef-Llama-3-Community", "LicenseRef-Llama-3-AUP"]
    );
    // CC-BY-NC-4.0 with an acceptable-use addendum.
    let cc = spdx::license_id("CC-BY-NC-4.0").unwrap().text();
    std::fs::write(
        dir.join("LICENSE-cohere"),
        format!("C4AI Acceptable Use Policy\n1. Generated addendum item.\n\n{cc}"),
    )
    .unwrap();
    let v = one(&env, "LICENSE-cohere");
    let e = v["expression"].as_str().unwrap();
    assert!(
        e.contains("CC-BY-NC-4.0")
            && e.contains("LicenseRef-Cohere-C4AI-AUP")
            && e.contains(" AND "),
        "{v}"
    );
    // A text nothing matches.
    std::fs::write(dir.join("NOTES.txt"), "We wrote this model. Be nice.\n").unwrap();
    let v = one(&env, "NOTES.txt");
    assert_eq!(v["expression"], "NOASSERTION");
    assert_eq!(v["findings"][0]["code"], "license-text-unidentified");
}

#[test]
fn bad_input_is_an_error_with_exit_2() {
    let env = Env::new();
    let dir = env.work();
    std::fs::write(dir.join("EMPTY"), "").unwrap();
    std::fs::write(dir.join("BIN"), b"\x7fELF\0\0\x01").unwrap();
    std::fs::File::create(dir.join("HUGE"))
        .unwrap()
        .set_len(50 * 1024 * 1024)
        .unwrap();
    for (args, needle) in [
        (vec!["license", "MIT AND ("], "invalid license expression"),
        (vec!["license", "MIT OR nosuchlicense"], "nosuchlicense"),
        (vec!["license", "EMPTY"], "empty"),
        (vec!["license", "BIN"], "binary"),
        (vec!["license", "HUGE"], "at most"),
        (vec!["license", "missing/LICENSE"], "no such file"),
        (vec!["license", "."], "directory"),
        (
            vec!["license", "--format", "sarif", "MIT"],
            "does not write",
        ),
    ] {
        let (code, out, err) = env.run(&args);
        assert_eq!(code, 2, "{args:?}: {out}{err}");
        assert!(err.starts_with("error:"), "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}

/// Identifies one file through the binary: its expression and the detections' methods.
fn file_result(env: &Env, name: &str, text: &str) -> serde_json::Value {
    std::fs::write(env.work().join(name), text).unwrap();
    let v = one(env, name);
    assert_eq!(v["input_kind"], "file", "{v}");
    v
}

#[test]
fn wrapped_license_files_from_vendors_are_identified() {
    let env = Env::new();
    let llama = llama_like(
        "LLAMA 3.1 COMMUNITY LICENSE AGREEMENT",
        "Llama 3.1 Version Release Date: July 23, 2024",
    );
    let (title, rest) = llama.split_once('\n').unwrap();
    let apache = spdx::license_id("Apache-2.0").unwrap().text();
    let cases = [
        (
            "BOM",
            format!("\u{FEFF}{llama}"),
            "LicenseRef-Llama-3.1-Community",
        ),
        ("BOM-apache", format!("\u{FEFF}{apache}"), "Apache-2.0"),
        (
            "md-heading",
            format!("# {title}\n\n**{rest}"),
            "LicenseRef-Llama-3.1-Community",
        ),
        (
            "md-fence",
            format!("```text\n{llama}```\n"),
            "LicenseRef-Llama-3.1-Community",
        ),
        (
            "html",
            format!(
                "<html><body><h2 style=\"x\">{title}</h2>\n<p>{}</p></body></html>",
                rest.replace('\n', "<br>")
            ),
            "LicenseRef-Llama-3.1-Community",
        ),
        (
            "quotes",
            format!("\"{title}\"\n{rest}"),
            "LicenseRef-Llama-3.1-Community",
        ),
        (
            "copyright-line",
            format!("Copyright (c) Meta Platforms, Inc. All Rights Reserved. {title}\n{rest}"),
            "LicenseRef-Llama-3.1-Community",
        ),
        (
            "preamble",
            format!(
                "[For the original copy, see https://www.apache.org/licenses/LICENSE-2.0]\n\n{apache}"
            ),
            "Apache-2.0",
        ),
        (
            "falcon-2-11b",
            format!(
                "Copyright 2024 TII. Falcon 2 11B TII License Version 1.0\nMay 2024\nFalconLLM.tii.ae\n{rest}"
            ),
            "LicenseRef-TII-Falcon-2-11B-1.0",
        ),
        (
            "falcon-3",
            format!("TII Falcon License\nDecember 2024\nFalconLLM.tii.ae\n{rest}"),
            "LicenseRef-TII-Falcon-2.0",
        ),
        (
            "yi",
            format!(
                "    Yi Series Models License Agreement\n    Version: 1.0\n    Date of Release: November 1, 2023\n{rest}"
            ),
            "LicenseRef-Yi-1.0",
        ),
        (
            "chatglm3",
            format!("The ChatGLM3-6B License\n\n{rest}"),
            "LicenseRef-ChatGLM3-6B",
        ),
    ];
    for (name, text, want) in cases {
        let v = file_result(&env, name, &text);
        assert_eq!(v["expression"], want, "{name}: {v}");
        assert!(
            v["detected"][0]["confidence"].as_f64().unwrap() >= 0.9,
            "{name}: {v}"
        );
        assert_ne!(v["detected"][0]["method"], "notice", "{name}: {v}");
    }
}

#[test]
fn license_notices_are_reported_with_lower_confidence() {
    let env = Env::new();
    for (name, text, want) in [
        (
            "N1",
            "This model is licensed under CC BY-SA 4.0.\n",
            "CC-BY-SA-4.0",
        ),
        (
            "N2",
            "\u{FEFF}The weights are released under the MIT License.\n",
            "MIT",
        ),
        ("N3", "SPDX-License-Identifier: Apache-2.0\n", "Apache-2.0"),
        (
            "N4",
            "<p>Use of these weights is governed by the <a href=\"https://www.llama.com/llama3_1/license/\">Llama 3.1 Community License</a>.</p>\n",
            "LicenseRef-Llama-3.1-Community",
        ),
    ] {
        let v = file_result(&env, name, text);
        assert_eq!(v["expression"], want, "{name}: {v}");
        let d = &v["detected"][0];
        assert_eq!(d["method"], "notice", "{name}: {v}");
        assert!(d["confidence"].as_f64().unwrap() < 0.9, "{v}");
        assert_eq!(v["findings"][0]["code"], "license-text-notice", "{v}");
    }
    let out = env.ok(&["license", "N1"]);
    assert!(out.starts_with("CC-BY-SA-4.0\n"), "{out}");
    assert!(out.contains("license notice"), "{out}");
}

#[test]
fn near_miss_texts_stay_noassertion() {
    let env = Env::new();
    let rest = llama_like("X", "Y");
    for (name, text) in [
        (
            "M1",
            "This model is not licensed under the MIT License.\n".to_string(),
        ),
        (
            "M2",
            "Released under a Creative Commons license.\n".to_string(),
        ),
        ("M3", "Licensed under the License.\n".to_string()),
        (
            "M4",
            format!(
                "ACME 3.1 COMMUNITY LICENSE AGREEMENT\nAcme 3.1 Version Release Date: July 23, 2024\n{rest}"
            ),
        ),
        (
            "M5",
            format!(
                "The LLAMA 3.1 COMMUNITY LICENSE AGREEMENT applies to the base model only and is not reproduced here.\n{rest}"
            ),
        ),
        (
            "M6",
            format!(
                "ACME MODEL LICENSE\nDerived from, but not the same as, terms licensed under the MIT License.\n{rest}"
            ),
        ),
    ] {
        let v = file_result(&env, name, &text);
        assert_eq!(v["expression"], "NOASSERTION", "{name}: {v}");
        assert_eq!(v["findings"][0]["code"], "license-text-unidentified", "{v}");
    }
    // A known title whose date line is another version's: the title only, never another id.
    let v = file_result(
        &env,
        "M7",
        &format!("Falcon 2 11B TII License Version 1.0\nDecember 2024\n{rest}"),
    );
    assert_eq!(v["expression"], "LicenseRef-TII-Falcon-2-11B-1.0", "{v}");
    assert_eq!(v["detected"][0]["method"], "title_only", "{v}");
    assert_eq!(v["findings"][0]["code"], "license-text-partial", "{v}");
}
