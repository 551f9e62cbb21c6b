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

/// Writes the license corpus `scripts/bench-license` compares with ScanCode into
/// `$MODELVET_LICENSE_CORPUS_OUT` (one file per case and `EXPECTED.tsv`: file, expected
/// expression, kind); without the variable it only checks that the corpus is well formed.
#[test]
fn write_corpus_for_bench() {
    let cases = bench_corpus();
    assert!(cases.len() > 80, "{}", cases.len());
    let Some(dir) = std::env::var_os("MODELVET_LICENSE_CORPUS_OUT") else {
        return;
    };
    let dir = std::path::PathBuf::from(dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut tsv = String::new();
    for (name, text, want, kind) in &cases {
        std::fs::write(dir.join(name), text).unwrap();
        tsv.push_str(&format!("{name}\t{want}\t{kind}\n"));
    }
    std::fs::write(dir.join("EXPECTED.tsv"), tsv).unwrap();
}

/// `(file, text, expected expression, kind)`: SPDX texts as published, the same texts wrapped
/// the ways vendors' repositories wrap them, notices, model-license skeletons (the knowledge
/// base's distinguishing lines around generated clauses) and near misses that must stay
/// NOASSERTION.
fn bench_corpus() -> Vec<(String, String, String, &'static str)> {
    const SPDX: &[&str] = &[
        "AFL-3.0",
        "AGPL-3.0-only",
        "AML",
        "Apache-2.0",
        "Artistic-2.0",
        "BSD-2-Clause",
        "BSD-3-Clause",
        "BSD-3-Clause-Clear",
        "BSL-1.0",
        "C-UDA-1.0",
        "CC-BY-2.0",
        "CC-BY-3.0",
        "CC-BY-4.0",
        "CC-BY-NC-2.0",
        "CC-BY-NC-3.0",
        "CC-BY-NC-4.0",
        "CC-BY-NC-ND-4.0",
        "CC-BY-NC-SA-4.0",
        "CC-BY-ND-4.0",
        "CC-BY-SA-3.0",
        "CC-BY-SA-4.0",
        "CC0-1.0",
        "CDLA-Permissive-1.0",
        "CDLA-Permissive-2.0",
        "CDLA-Sharing-1.0",
        "ECL-2.0",
        "EPL-2.0",
        "EUPL-1.2",
        "GPL-2.0-only",
        "GPL-3.0-only",
        "ISC",
        "LGPL-2.1-only",
        "LGPL-3.0-only",
        "MIT",
        "MPL-2.0",
        "ODC-By-1.0",
        "ODbL-1.0",
        "OpenMDW-1.0",
        "PDDL-1.0",
        "Unlicense",
        "WTFPL",
        "Zlib",
    ];
    let text = |id: &str| spdx::license_id(id).unwrap().text().to_string();
    let mut out = Vec::new();
    for id in SPDX {
        out.push((format!("spdx-{id}"), text(id), id.to_string(), "spdx"));
    }
    for id in [
        "Apache-2.0",
        "MIT",
        "CC-BY-4.0",
        "CC-BY-SA-4.0",
        "CC-BY-NC-4.0",
        "BSD-3-Clause",
    ] {
        let t = text(id);
        let want = id.to_string();
        out.push((
            format!("bom-{id}"),
            format!("\u{FEFF}{t}"),
            want.clone(),
            "wrapped",
        ));
        out.push((
            format!("fence-{id}"),
            format!("# License\n\n```text\n{t}\n```\n"),
            want.clone(),
            "wrapped",
        ));
        out.push((
            format!("html-{id}"),
            format!("<!DOCTYPE html>\n<html><head><title>LICENSE</title></head><body><pre>\n{t}\n</pre></body></html>\n"),
            want.clone(),
            "wrapped",
        ));
        out.push((
            format!("preamble-{id}"),
            format!("[For the original copy, see https://spdx.org/licenses/{id}.html]\n\n{t}"),
            want,
            "wrapped",
        ));
    }
    let mit = text("MIT");
    let mit_body = mit.split_once("\n\n").map(|(_, b)| b).unwrap_or(&mit);
    out.push((
        "copyright-line-MIT".into(),
        format!("MIT License Copyright (c) 2024 Example Labs\n\n{mit_body}"),
        "MIT".into(),
        "wrapped",
    ));
    for (i, (text, want)) in [
        ("This model is licensed under CC BY-SA 4.0.\n", "CC-BY-SA-4.0"),
        ("The weights are released under the MIT License.\n", "MIT"),
        ("SPDX-License-Identifier: Apache-2.0\n", "Apache-2.0"),
        ("Copyright 2024 Example.\n\nLicensed under the Apache License, Version 2.0 (the \"License\");\nyou may not use this file except in compliance with the License.\nYou may obtain a copy of the License at\n\n    http://www.apache.org/licenses/LICENSE-2.0\n", "Apache-2.0"),
        ("This dataset is made available under the Open Data Commons Attribution License.\n", "ODC-By-1.0"),
        ("These weights are distributed under the Creative Commons Attribution-NonCommercial 4.0 International license.\n", "CC-BY-NC-4.0"),
        ("Released under the BSD 3-Clause License.\n", "BSD-3-Clause"),
    ]
    .iter()
    .enumerate()
    {
        out.push((format!("notice-{i}"), text.to_string(), want.to_string(), "notice"));
    }
    let body = llama_like("", "");
    for (id, title, line) in [
        (
            "LicenseRef-Llama-2-Community",
            "LLAMA 2 COMMUNITY LICENSE AGREEMENT",
            "Llama 2 Version Release Date: July 18, 2023",
        ),
        (
            "LicenseRef-Llama-3-Community",
            "META LLAMA 3 COMMUNITY LICENSE AGREEMENT",
            "Meta Llama 3 Version Release Date: April 18, 2024",
        ),
        (
            "LicenseRef-Llama-3.1-Community",
            "LLAMA 3.1 COMMUNITY LICENSE AGREEMENT",
            "Llama 3.1 Version Release Date: July 23, 2024",
        ),
        (
            "LicenseRef-Llama-3.2-Community",
            "LLAMA 3.2 COMMUNITY LICENSE AGREEMENT",
            "Llama 3.2 Version Release Date: September 25, 2024",
        ),
        (
            "LicenseRef-Llama-3.3-Community",
            "LLAMA 3.3 COMMUNITY LICENSE AGREEMENT",
            "Llama 3.3 Version Release Date: December 6, 2024",
        ),
        (
            "LicenseRef-Llama-4-Community",
            "LLAMA 4 COMMUNITY LICENSE AGREEMENT",
            "Llama 4 Version Effective Date: April 5, 2025",
        ),
        (
            "LicenseRef-Gemma-Terms-of-Use",
            "Gemma Terms of Use",
            "Last modified: February 21, 2024",
        ),
        (
            "LicenseRef-DeepSeek-License-1.0",
            "DEEPSEEK LICENSE AGREEMENT",
            "Version 1.0, 23 October 2023",
        ),
        (
            "LicenseRef-TII-Falcon-2-11B-1.0",
            "Falcon 2 11B TII License Version 1.0",
            "May 2024",
        ),
        (
            "LicenseRef-TII-Falcon-2.0",
            "TII Falcon License",
            "December 2024",
        ),
        (
            "LicenseRef-TII-Falcon-180B-1.0",
            "FALCON 180B TII LICENSE VERSION 1.0",
            "September 2023",
        ),
        (
            "LicenseRef-Yi-1.0",
            "Yi Series Models License Agreement",
            "Date of Release: November 1, 2023",
        ),
        (
            "LicenseRef-Tongyi-Qianwen-2023",
            "Tongyi Qianwen LICENSE AGREEMENT",
            "Tongyi Qianwen Release Date: August 3, 2023",
        ),
        ("LicenseRef-ChatGLM3-6B", "The ChatGLM3-6B License", ""),
    ] {
        out.push((
            format!("model-{id}"),
            format!("{title}\n{line}\n{body}"),
            id.to_string(),
            "model",
        ));
        out.push((
            format!("model-wrapped-{id}"),
            format!("\u{FEFF}<h1>{title}</h1>\n\n**{line}**\n{body}"),
            id.to_string(),
            "model",
        ));
    }
    for (i, text) in [
        "This model is not licensed under the MIT License.\n".to_string(),
        "Released under a Creative Commons license.\n".to_string(),
        format!("ACME 3.1 COMMUNITY LICENSE AGREEMENT\nAcme 3.1 Version Release Date: July 23, 2024\n{body}"),
        format!("ACME MODEL LICENSE\nParts of it are licensed under the MIT License.\n{body}"),
        "We trained this model on our own data. Be nice.\n".to_string(),
    ]
    .into_iter()
    .enumerate()
    {
        out.push((format!("nearmiss-{i}"), text, "NOASSERTION".into(), "near-miss"));
    }
    out
}
