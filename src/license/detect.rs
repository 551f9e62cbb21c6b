//! Identifying license texts (LICENSE files).
//!
//! Model licenses are near-duplicates of each other (Llama 3.1, 3.2 and 4 score ~0.98 against one
//! another by bigram similarity), so they are identified by distinguishing lines from the knowledge
//! base: a title line, and the version or date line that pins the version, searched within the
//! part of the text the title starts. SPDX texts are matched with the `spdx` crate's askalono-style
//! store, on the whole text and, for composite files, on the best-matching range of lines.

use super::expression::and_all;
use super::kb::{EntryKind, kb};
use super::{
    LICENSE_AMBIGUOUS, LICENSE_TEXT_PARTIAL, LICENSE_TEXT_UNIDENTIFIED, LicenseError, NOASSERTION,
};
use crate::finding::Finding;
use serde::Serialize;
use std::sync::OnceLock;

/// Largest LICENSE text identified; anything bigger is not a license.
pub const MAX_TEXT_BYTES: u64 = 1024 * 1024;

/// How a license was recognised in a text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DetectionMethod {
    /// Title line and version/date line (or a title where the entry has no version line).
    DistinguishingLines,
    /// Title line only, without the version line that pins the version.
    TitleOnly,
    /// The SPDX license text, by similarity with the spdx crate's store.
    SpdxText,
}

/// One license identified in a text.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Detected {
    /// SPDX id or `LicenseRef-…`.
    pub id: String,
    /// 0–1.
    pub confidence: f64,
    pub method: DetectionMethod,
    /// License proper, use policy or addendum.
    pub kind: EntryKind,
    /// First line (1-based) of the part of the text it was found in (for SPDX ranges, counted in
    /// the spdx crate's normalised lines, which may merge blank lines: approximate).
    pub line: usize,
    /// The lines that identified it.
    pub evidence: Vec<String>,
}

/// Identifies the licenses in a text, in the order they appear.
pub fn identify_text(text: &str) -> Vec<Detected> {
    let lines: Vec<String> = text.lines().map(norm_line).collect();
    let mut found = by_lines(&lines);
    found.sort_by_key(|d| d.line);
    let first_license = found
        .iter()
        .filter(|d| d.kind == EntryKind::License)
        .map(|d| d.line - 1)
        .min();
    let spdx_hits = match first_license {
        // A model license covers the text from its title on; only a preamble can hold more.
        Some(start) => {
            let pre: Vec<&str> = text.lines().take(start).collect();
            if pre
                .iter()
                .map(|l| l.split_whitespace().count())
                .sum::<usize>()
                >= 60
            {
                by_spdx(&pre.join("\n"), 0)
            } else {
                vec![]
            }
        }
        None => by_spdx(text, found.len()),
    };
    found.extend(spdx_hits);
    found.sort_by_key(|d| d.line);
    found
}

/// The expression a set of detections stands for: licenses and addenda AND-ed; a use policy
/// is left out when a license that incorporates it was also found.
pub fn expression_of(detected: &[Detected]) -> String {
    let parts: Vec<String> = detected
        .iter()
        .filter(|d| {
            let Some(t) = kb().get(&d.id) else {
                return true;
            };
            !(t.kind == EntryKind::UsePolicy
                && t.part_of
                    .iter()
                    .any(|p| detected.iter().any(|o| &o.id == p)))
        })
        .map(|d| d.id.clone())
        .collect();
    if parts.is_empty() {
        NOASSERTION.to_string()
    } else {
        and_all(&parts)
    }
}

/// What a LICENSE file was identified as.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TextIdentification {
    /// The expression the text stands for (NOASSERTION when nothing matched).
    pub expression: String,
    pub detected: Vec<Detected>,
    /// `license-text-unidentified`, `license-text-partial`, `license-ambiguous`, at `shown`.
    pub findings: Vec<Finding>,
}

/// Reads and identifies a LICENSE file; `shown` names it in findings (`LICENSE`, relative to the
/// model root). Errors for files that are not license texts (empty, binary, over 1 MiB).
pub fn identify_file(
    path: &std::path::Path,
    shown: &str,
) -> Result<TextIdentification, LicenseError> {
    let text = read_text(path)?;
    let detected = identify_text(&text);
    Ok(TextIdentification {
        expression: expression_of(&detected),
        findings: text_findings(shown, &detected),
        detected,
    })
}

/// Findings about a text's identification (`path` is where the text came from).
pub fn text_findings(path: &str, detected: &[Detected]) -> Vec<Finding> {
    let mut out = Vec::new();
    if detected.is_empty() {
        out.push(
            Finding::new(
                &LICENSE_TEXT_UNIDENTIFIED,
                format!("`{path}` matches no known license text"),
            )
            .at(path),
        );
    }
    for d in detected.iter().filter(|d| {
        d.method == DetectionMethod::SpdxText && spdx::license_id(&d.id).is_some_and(|l| l.is_gnu())
    }) {
        out.push(
            Finding::new(
                &LICENSE_AMBIGUOUS,
                format!(
                    "`{path}` is the {0} text, which is the same for \"only\" and \"or later\"; read as `{0}`",
                    d.id
                ),
            )
            .at(path),
        );
    }
    for d in detected
        .iter()
        .filter(|d| d.method == DetectionMethod::TitleOnly)
    {
        out.push(
            Finding::new(
                &LICENSE_TEXT_PARTIAL,
                format!(
                    "`{path}` carries the title of `{}` but not its version or date line; the version is not certain",
                    d.id
                ),
            )
            .at(path)
            .with_evidence(d.evidence.join(" | ")),
        );
    }
    out
}

/// Reads a LICENSE file for identification: at most [`MAX_TEXT_BYTES`], UTF-8 text, not empty.
pub fn read_text(path: &std::path::Path) -> Result<String, LicenseError> {
    let shown = path.display().to_string();
    let not_text = |reason: String| LicenseError::NotText {
        path: shown.clone(),
        reason,
    };
    let meta = std::fs::metadata(path).map_err(|e| not_text(format!("cannot read it: {e}")))?;
    if !meta.is_file() {
        return Err(not_text("not a regular file".into()));
    }
    if meta.len() > MAX_TEXT_BYTES {
        return Err(not_text(format!(
            "it is {} bytes; a license text is at most {MAX_TEXT_BYTES} bytes",
            meta.len()
        )));
    }
    let bytes = std::fs::read(path).map_err(|e| not_text(format!("cannot read it: {e}")))?;
    if bytes.contains(&0) {
        return Err(not_text("it is binary (contains NUL bytes)".into()));
    }
    let text = String::from_utf8(bytes).map_err(|e| {
        not_text(format!(
            "it is not UTF-8 (at byte {})",
            e.utf8_error().valid_up_to()
        ))
    })?;
    if text.trim().is_empty() {
        return Err(not_text("it is empty".into()));
    }
    Ok(text)
}

/// Lowercases, unifies quotes and dashes, drops Markdown emphasis and collapses whitespace.
fn norm_line(line: &str) -> String {
    let mapped: String = line
        .chars()
        .filter(|c| !matches!(c, '*' | '`' | '_' | '#' | '>'))
        .map(|c| match c {
            '\u{2018}' | '\u{2019}' => '\'',
            '\u{201C}' | '\u{201D}' => '"',
            '\u{2010}'..='\u{2015}' => '-',
            '\u{00A0}' => ' ',
            c => c,
        })
        .collect();
    mapped
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// Whether a normalised line is the title: equal to it, or it followed by a short tail.
fn is_title_line(line: &str, title: &str) -> bool {
    let line = line.trim_matches(|c: char| c == '=' || c == '-' || c == ' ');
    match line.strip_prefix(title) {
        Some(rest) => {
            rest.is_empty()
                || (!rest.starts_with(|c: char| c.is_alphanumeric() || c == '.' || c == '+')
                    && rest.len() <= 40)
        }
        None => false,
    }
}

fn by_lines(lines: &[String]) -> Vec<Detected> {
    // Every title line of every entry, with the line it is on.
    let mut starts: Vec<(usize, &super::LicenseTerms, String)> = Vec::new();
    for t in kb().iter() {
        for title in &t.detection.titles {
            let nt = norm_line(title);
            if let Some(i) = lines.iter().position(|l| is_title_line(l, &nt)) {
                starts.push((i, t, title.clone()));
                break;
            }
        }
    }
    starts.sort_by_key(|(i, t, _)| (*i, t.id.clone()));
    let mut out = Vec::new();
    for (k, (start, t, title)) in starts.iter().enumerate() {
        // The part runs to the next title found on a later line.
        let end = starts[k + 1..]
            .iter()
            .map(|(i, _, _)| *i)
            .find(|i| i > start)
            .unwrap_or(lines.len());
        let part = lines[*start..end].join(" ");
        let version_line = t
            .detection
            .lines
            .iter()
            .find(|v| part.contains(&norm_line(v)));
        let (method, confidence, evidence) = match (t.detection.lines.is_empty(), version_line) {
            (true, _) => (
                DetectionMethod::DistinguishingLines,
                0.9,
                vec![title.clone()],
            ),
            (false, Some(v)) => (
                DetectionMethod::DistinguishingLines,
                0.99,
                vec![title.clone(), v.clone()],
            ),
            (false, None) => (DetectionMethod::TitleOnly, 0.6, vec![title.clone()]),
        };
        out.push(Detected {
            id: t.id.clone(),
            confidence,
            method,
            kind: t.kind,
            line: start + 1,
            evidence,
        });
    }
    // Two entries sharing a title (a family re-issued per version): keep the ones whose version
    // line matched.
    let pinned: Vec<(usize, bool)> = out
        .iter()
        .map(|d| (d.line, d.method != DetectionMethod::TitleOnly))
        .collect();
    out.retain(|d| {
        d.method != DetectionMethod::TitleOnly
            || !pinned.iter().any(|(line, full)| *line == d.line && *full)
    });
    out
}

fn store() -> Option<&'static spdx::detection::Store> {
    static STORE: OnceLock<Option<spdx::detection::Store>> = OnceLock::new();
    STORE
        .get_or_init(|| match spdx::detection::Store::load_inline() {
            Ok(s) => Some(s),
            Err(e) => {
                tracing::warn!("cannot load the SPDX license text store: {e}");
                None
            }
        })
        .as_ref()
}

/// The SPDX id a store entry names (the store uses some deprecated spellings).
fn store_id(name: &str) -> String {
    match spdx::license_id(name) {
        Some(id) if id.is_deprecated() && id.is_gnu() => spdx::gnu_license_id(name, false)
            .map(|g| g.name.to_string())
            .unwrap_or_else(|| name.to_string()),
        Some(id) => id.name.to_string(),
        None => name.to_string(),
    }
}

/// SPDX license texts in `text`; `others` is how many parts the line rules already found.
///
/// Fast path first: licenses whose knowledge-base phrases occur in the text are confirmed against
/// their own SPDX text (a few ms each). Only when that finds nothing is the whole SPDX store
/// (~700 licenses; loading it costs about half a second once per process) consulted.
fn by_spdx(text: &str, others: usize) -> Vec<Detected> {
    let data = spdx::detection::TextData::new(text);
    let fast = by_candidates(text, &data);
    if !fast.is_empty() {
        return fast;
    }
    by_store(&data, others)
}

const ACCEPT: f32 = 0.9;

fn spdx_detected(id: String, score: f32, range: Option<(usize, usize)>) -> Detected {
    let (line, evidence) = match range {
        Some((a, b)) => (
            a + 1,
            format!("SPDX text similarity {score:.3} on lines {}–{b}", a + 1),
        ),
        None => (1, format!("SPDX text similarity {score:.3}")),
    };
    Detected {
        id,
        confidence: f64::from(score),
        method: DetectionMethod::SpdxText,
        kind: EntryKind::License,
        line,
        evidence: vec![evidence],
    }
}

fn by_candidates(text: &str, data: &spdx::detection::TextData) -> Vec<Detected> {
    let joined = norm_line(&text.replace(['\n', '\r'], " "));
    let mut scored: Vec<(String, spdx::detection::TextData, f32)> = kb()
        .iter()
        .filter(|t| {
            t.detection
                .phrases
                .iter()
                .any(|p| joined.contains(&norm_line(p)))
        })
        .filter_map(|t| {
            let lic = spdx::detection::TextData::new(spdx::license_id(&t.id)?.text());
            let score = lic.match_score(data);
            Some((t.id.clone(), lic, score))
        })
        .collect();
    scored.sort_by(|a, b| b.2.total_cmp(&a.2));
    if scored.len() == 1
        && let Some((id, _, score)) = scored.first()
        && *score >= ACCEPT
    {
        return vec![spdx_detected(id.clone(), *score, None)];
    }
    // Several candidates or a composite file: the tightest range of lines for each candidate,
    // best first, searched in the lines no earlier candidate took (a dual-licensed file holds two
    // texts; the optimiser alone does not find a text at the end of a longer one).
    let n = data.lines().len();
    let mut out: Vec<Detected> = Vec::new();
    let mut taken: Vec<(usize, usize)> = Vec::new();
    for (id, lic, _) in &scored {
        let mut best: Option<((usize, usize), f32)> = None;
        for gap in gaps(&taken, n) {
            let view = data.with_view(gap.0, gap.1);
            let plain = lic.match_score(&view);
            let (opt, opt_score) = view.optimize_bounds(lic);
            let (range, score) = if opt_score >= ACCEPT {
                (opt.lines_view(), opt_score)
            } else {
                (gap, plain)
            };
            if score >= ACCEPT && best.is_none_or(|(_, b)| score > b) {
                best = Some((range, score));
            }
        }
        if let Some((range, score)) = best {
            taken.push(range);
            let whole = range.0 == 0 && range.1 >= n;
            out.push(spdx_detected(id.clone(), score, (!whole).then_some(range)));
        }
    }
    out
}

/// The ranges of `0..n` not covered by `taken`, at least two lines long.
fn gaps(taken: &[(usize, usize)], n: usize) -> Vec<(usize, usize)> {
    let mut sorted = taken.to_vec();
    sorted.sort();
    let mut out = Vec::new();
    let mut at = 0;
    for (a, b) in sorted {
        if a > at {
            out.push((at, a));
        }
        at = at.max(b);
    }
    if n > at {
        out.push((at, n));
    }
    out.retain(|(a, b)| b - a >= 2);
    out
}

fn by_store(data: &spdx::detection::TextData, others: usize) -> Vec<Detected> {
    let Some(store) = store() else {
        return vec![];
    };
    let whole = store.analyze(data);
    if whole.score >= ACCEPT {
        return vec![spdx_detected(store_id(whole.name), whole.score, None)];
    }
    // A composite file (license + addendum) scores lower as a whole: look for a contained text.
    if whole.score < 0.5 && others == 0 {
        return vec![];
    }
    let scanner = spdx::detection::scan::Scanner::new(store)
        .confidence_threshold(ACCEPT)
        .optimize(true)
        .max_passes(4);
    let scan = scanner.scan(data);
    scan.containing
        .iter()
        .filter(|c| c.score >= ACCEPT)
        .map(|c| spdx_detected(store_id(c.license.name), c.score, Some(c.line_range)))
        .collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Generated filler standing in for the shared body of the Llama agreements.
    pub(crate) fn llama_body() -> String {
        (1..=40)
            .map(|i| {
                format!(
                    "{i}. Clause {i}: the licensee may use, reproduce and distribute the materials subject to this section {i}."
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    pub(crate) fn llama_text(title: &str, date_line: &str) -> String {
        format!("{title}\n{date_line}\n\n{}\n", llama_body())
    }

    fn ids(text: &str) -> Vec<(String, DetectionMethod)> {
        identify_text(text)
            .into_iter()
            .map(|d| (d.id, d.method))
            .collect()
    }

    #[test]
    fn llama_versions_differ_by_their_distinguishing_lines() {
        let cases = [
            (
                "LLAMA 3.1 COMMUNITY LICENSE AGREEMENT",
                "Llama 3.1 Version Release Date: July 23, 2024",
                "LicenseRef-Llama-3.1-Community",
            ),
            (
                "LLAMA 3.2 COMMUNITY LICENSE AGREEMENT",
                "Llama 3.2 Version Release Date: September 25, 2024",
                "LicenseRef-Llama-3.2-Community",
            ),
            (
                "**LLAMA 4 COMMUNITY LICENSE AGREEMENT**",
                "Llama 4 Version Effective Date: April 5, 2025",
                "LicenseRef-Llama-4-Community",
            ),
            (
                "META LLAMA 3 COMMUNITY LICENSE AGREEMENT",
                "Meta Llama 3 Version Release Date: April 18, 2024",
                "LicenseRef-Llama-3-Community",
            ),
        ];
        for (title, date, id) in cases {
            let got = ids(&llama_text(title, date));
            assert_eq!(
                got,
                vec![(id.to_string(), DetectionMethod::DistinguishingLines)],
                "{title}"
            );
        }
    }

    #[test]
    fn a_title_without_its_version_line_is_title_only() {
        // 3.1's title with 3.2's date line: neither is pinned.
        let text = llama_text(
            "LLAMA 3.1 COMMUNITY LICENSE AGREEMENT",
            "Llama 3.2 Version Release Date: September 25, 2024",
        );
        let d = identify_text(&text);
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!(d[0].id, "LicenseRef-Llama-3.1-Community");
        assert_eq!(d[0].method, DetectionMethod::TitleOnly);
        assert!(d[0].confidence < 0.9);
        assert_eq!(text_findings("LICENSE", &d)[0].code, "license-text-partial");
    }

    #[test]
    fn similar_body_without_a_title_is_not_identified() {
        let text = format!(
            "Some Community License\nLlama 3.1 Version Release Date: July 23, 2024\n{}",
            llama_body()
        );
        assert!(identify_text(&text).is_empty());
        assert_eq!(
            text_findings("LICENSE", &[])[0].code,
            "license-text-unidentified"
        );
    }

    #[test]
    fn license_with_appended_use_policy_is_both() {
        let text = format!(
            "{}\n\nMeta Llama 3 Acceptable Use Policy\nMeta is committed to safe use.\n1. Do not break the law.\n",
            llama_text(
                "META LLAMA 3 COMMUNITY LICENSE AGREEMENT",
                "Meta Llama 3 Version Release Date: April 18, 2024"
            )
        );
        let d = identify_text(&text);
        let got: Vec<&str> = d.iter().map(|d| d.id.as_str()).collect();
        assert_eq!(
            got,
            ["LicenseRef-Llama-3-Community", "LicenseRef-Llama-3-AUP"]
        );
        assert_eq!(d[1].kind, EntryKind::UsePolicy);
        // The policy is part of the agreement, so the expression names the agreement.
        assert_eq!(expression_of(&d), "LicenseRef-Llama-3-Community");
    }

    #[test]
    fn spdx_texts_are_identified_by_the_spdx_store() {
        let apache = spdx::license_id("Apache-2.0").unwrap().text();
        let d = identify_text(apache);
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!(d[0].id, "Apache-2.0");
        assert_eq!(d[0].method, DetectionMethod::SpdxText);
        assert!(d[0].confidence > 0.95);
        let mit = spdx::license_id("MIT").unwrap().text();
        assert_eq!(identify_text(mit)[0].id, "MIT");
    }

    #[test]
    fn every_spdx_entry_with_phrases_identifies_its_own_text_quickly() {
        for t in kb().iter().filter(|t| !t.detection.phrases.is_empty()) {
            let text = spdx::license_id(&t.id).unwrap().text();
            let data = spdx::detection::TextData::new(text);
            // The fast path alone must find it (no store load).
            let d = by_candidates(text, &data);
            assert_eq!(
                d.iter().map(|d| d.id.as_str()).collect::<Vec<_>>(),
                [t.id.as_str()],
                "{}",
                t.id
            );
        }
    }

    #[test]
    fn gpl_text_is_read_as_only_with_an_ambiguity_finding() {
        let gpl = spdx::license_id("GPL-3.0-only").unwrap().text();
        let d = identify_text(gpl);
        assert_eq!(d[0].id, "GPL-3.0-only");
        let f = text_findings("COPYING", &d);
        assert_eq!(f[0].code, "license-ambiguous");
    }

    #[test]
    fn dual_license_file_yields_both() {
        let mit = spdx::license_id("MIT").unwrap().text();
        let apache = spdx::license_id("Apache-2.0").unwrap().text();
        let d = identify_text(&format!("{apache}\n\n----\n\n{mit}"));
        let mut ids: Vec<&str> = d.iter().map(|d| d.id.as_str()).collect();
        ids.sort();
        assert_eq!(ids, ["Apache-2.0", "MIT"], "{d:?}");
    }

    #[test]
    fn cc_by_nc_plus_acceptable_use_addendum_is_both() {
        let cc = spdx::license_id("CC-BY-NC-4.0").unwrap().text();
        let text = format!(
            "C4AI Acceptable Use Policy\nThese terms are added to the license below.\n1. No harassment.\n2. No malware.\n\n{cc}"
        );
        let d = identify_text(&text);
        let got: Vec<&str> = d.iter().map(|d| d.id.as_str()).collect();
        assert!(got.contains(&"LicenseRef-Cohere-C4AI-AUP"), "{d:?}");
        assert!(got.contains(&"CC-BY-NC-4.0"), "{d:?}");
        let expr = expression_of(&d);
        assert!(
            expr == "LicenseRef-Cohere-C4AI-AUP AND CC-BY-NC-4.0"
                || expr == "CC-BY-NC-4.0 AND LicenseRef-Cohere-C4AI-AUP",
            "{expr}"
        );
    }

    #[test]
    fn qwen_research_and_tongyi_are_told_apart() {
        let q = "Qwen RESEARCH LICENSE AGREEMENT\nQwen RESEARCH LICENSE AGREEMENT Release Date: September 19, 2024\nbody\n";
        assert_eq!(ids(q)[0].0, "LicenseRef-Qwen-Research-2024");
        let t =
            "Tongyi Qianwen LICENSE AGREEMENT\nTongyi Qianwen Release Date: August 3, 2023\nbody\n";
        assert_eq!(
            ids(t),
            vec![(
                "LicenseRef-Tongyi-Qianwen-2023".to_string(),
                DetectionMethod::DistinguishingLines
            )]
        );
    }

    #[test]
    fn identify_file_gives_expression_and_findings() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("LICENSE");
        std::fs::write(
            &p,
            llama_text(
                "LLAMA 3.3 COMMUNITY LICENSE AGREEMENT",
                "Llama 3.3 Version Release Date: December 6, 2024",
            ),
        )
        .unwrap();
        let r = identify_file(&p, "LICENSE").unwrap();
        assert_eq!(r.expression, "LicenseRef-Llama-3.3-Community");
        assert!(r.findings.is_empty());
        std::fs::write(&p, "All rights reserved by us.\n").unwrap();
        let r = identify_file(&p, "LICENSE").unwrap();
        assert_eq!(r.expression, NOASSERTION);
        assert_eq!(r.findings[0].code, "license-text-unidentified");
        assert_eq!(r.findings[0].path.as_deref(), Some("LICENSE"));
    }

    #[test]
    fn bad_files_are_clear_errors() {
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("LICENSE");
        std::fs::write(&empty, "  \n").unwrap();
        assert!(read_text(&empty).unwrap_err().to_string().contains("empty"));
        let bin = dir.path().join("bin");
        std::fs::write(&bin, b"ab\0cd").unwrap();
        assert!(read_text(&bin).unwrap_err().to_string().contains("binary"));
        let big = dir.path().join("big");
        let f = std::fs::File::create(&big).unwrap();
        f.set_len(50 * 1024 * 1024).unwrap();
        let e = read_text(&big).unwrap_err().to_string();
        assert!(e.contains("at most") && e.contains("big"), "{e}");
    }
}

#[cfg(test)]
mod bench {
    use super::*;
    use std::time::Instant;

    /// Not a timed test: prints where identification spends its time (`--ignored --nocapture`).
    #[test]
    #[ignore]
    fn identification_timings() {
        let apache = spdx::license_id("Apache-2.0").unwrap().text();
        let cc = spdx::license_id("CC-BY-NC-4.0").unwrap().text();
        let composite = format!("C4AI Acceptable Use Policy\n1. Item.\n\n{cc}");
        let llama = tests::llama_text(
            "LLAMA 3.1 COMMUNITY LICENSE AGREEMENT",
            "Llama 3.1 Version Release Date: July 23, 2024",
        );
        let prose =
            "We trained this model on our own data and release it for everyone.\n".repeat(40);
        for (name, text) in [
            ("apache", apache.to_string()),
            ("composite", composite),
            ("llama", llama),
            ("unidentified", prose),
        ] {
            let t = Instant::now();
            let d = identify_text(&text);
            eprintln!(
                "{name}: {:?} -> {:?}",
                t.elapsed(),
                d.iter().map(|d| &d.id).collect::<Vec<_>>()
            );
        }
    }
}
