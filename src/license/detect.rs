//! Identifying license texts (LICENSE files).
//!
//! Model licenses are near-duplicates of each other (Llama 3.1, 3.2 and 4 score ~0.98 against one
//! another by bigram similarity), so they are identified by distinguishing lines from the knowledge
//! base: a title line, and the version or date line that pins the version, searched within the
//! part of the text the title starts. SPDX texts are matched with the `spdx` crate's askalono-style
//! store, on the whole text and, for composite files, on the best-matching range of lines.
//!
//! Files in vendors' repositories wrap the text: a byte-order mark, Markdown or HTML around it, the
//! title on a copyright line, an editor's preamble. [`clean_text`] removes the wrapping first. A
//! file that only names its license ("released under the MIT License") is a license notice,
//! reported with a lower confidence, as ScanCode does.

use super::expression::{How, and_all, normalize};
use super::kb::{EntryKind, kb};
use super::{
    LICENSE_AMBIGUOUS, LICENSE_TEXT_NOTICE, LICENSE_TEXT_PARTIAL, LICENSE_TEXT_UNIDENTIFIED,
    LicenseError, NOASSERTION,
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
    /// A license notice: the text names a license ("licensed under the MIT License",
    /// `SPDX-License-Identifier: MIT`) without carrying it.
    Notice,
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
    let cleaned = clean_text(text);
    let text = cleaned.as_str();
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
    if !found.iter().any(|d| d.kind == EntryKind::License) {
        let notices: Vec<Detected> = by_notice(&lines)
            .into_iter()
            .filter(|n| !found.iter().any(|d| d.id == n.id))
            .collect();
        found.extend(notices);
    }
    found.sort_by_key(|d| d.line);
    found
}

/// Most words a text may have for a notice in it to count: a longer text that no rule identified
/// is a license of its own (a variant that mentions the one it derives from), not a notice. The
/// Apache-2.0 header notice is about 90 words.
const NOTICE_MAX_WORDS: usize = 150;

/// Whether a normalised first line is the title of a license of its own ("ACME MODEL LICENSE"),
/// which makes the text that license rather than a notice about another.
fn is_own_title(line: &str) -> bool {
    let t = trim_wrapping(line);
    let words = t.split_whitespace().count();
    // A sentence ("… is released under the MIT License.") is not a title.
    let sentence = line.trim_end().ends_with('.') || NOTICE_VERBS.iter().any(|v| t.contains(v));
    !sentence
        && (2..=10).contains(&words)
        && ["license", "licence", "agreement", "terms of use", "terms"]
            .iter()
            .any(|e| t.ends_with(e))
        && named_license(t).is_none()
}

/// Removes what wraps a license text in files as vendors ship them, keeping its lines: a
/// byte-order mark and zero-width characters, HTML tags and entities, Markdown code fences and
/// link targets, and an editor's bracketed preamble line before the text
/// ("[For the original copy, see URL]").
pub fn clean_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut preamble = true;
    for line in strip_html(text).lines() {
        let line = strip_md_links(line);
        let t = line.trim();
        // ```text / ~~~: a fence carries no text.
        let fence = t.starts_with("```") || t.starts_with("~~~");
        // Before anything else: a bracketed or parenthesised note is the editor's, not the text's.
        let note = preamble
            && ((t.starts_with('[') && t.ends_with(']'))
                || (t.starts_with('(') && t.ends_with(')')))
            && is_editors_note(t);
        if !fence && !note {
            out.push_str(&line);
        }
        out.push('\n');
        if !fence && !note && !t.is_empty() && t.chars().any(char::is_alphanumeric) {
            preamble = false;
        }
    }
    out
}

/// Whether a bracketed line reads as an editor's note about where the text came from, not as
/// a bracketed title.
fn is_editors_note(line: &str) -> bool {
    let l = line.to_lowercase();
    [
        "://",
        "original",
        "copied",
        "copy of",
        "source",
        "see ",
        "retrieved",
        "taken from",
    ]
    .iter()
    .any(|k| l.contains(k))
}

/// HTML tags out (block tags become line breaks), the common entities decoded, invisible
/// characters dropped. A `<` that does not open a tag (`a < b`, `<https://…>`) stays.
fn strip_html(text: &str) -> String {
    const BLOCK: &[&str] = &[
        "br",
        "p",
        "div",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "li",
        "ul",
        "ol",
        "tr",
        "pre",
        "table",
        "blockquote",
        "hr",
        "section",
        "article",
        "header",
        "footer",
        "body",
        "html",
    ];
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find('<') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let is_tag = after.starts_with(|c: char| c.is_ascii_alphabetic() || c == '/' || c == '!');
        let end = after.find('>');
        match (is_tag, end) {
            // `<https://…>` is an autolink, not a tag; `<a href="https://…">` is a tag.
            (true, Some(e))
                if e <= 400 && (after[..e].contains(' ') || !after[..e].contains("://")) =>
            {
                let tag = &after[..e];
                let name: String = tag
                    .trim_start_matches(['/', '!'])
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric())
                    .collect::<String>()
                    .to_ascii_lowercase();
                out.push(if BLOCK.contains(&name.as_str()) {
                    '\n'
                } else {
                    ' '
                });
                rest = &after[e + 1..];
            }
            _ => {
                out.push('<');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    let out = out
        .replace("&nbsp;", " ")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&apos;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&");
    out.chars().filter(|c| !is_invisible(*c)).collect()
}

/// A byte-order mark, zero-width spaces and joiners, a word joiner, a soft hyphen.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{FEFF}' | '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{00AD}'
    )
}

/// `[text](url)` → `text`; a bare `[text]` stays.
fn strip_md_links(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(i) = rest.find("](") {
        let (head, tail) = rest.split_at(i);
        match (head.rfind('['), tail[2..].find(')')) {
            (Some(open), Some(close)) => {
                out.push_str(&head[..open]);
                out.push_str(&head[open + 1..]);
                rest = &tail[2 + close + 1..];
            }
            _ => {
                out.push_str(head);
                out.push_str("](");
                rest = &tail[2..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Words that introduce a license by name in a notice.
const NOTICE_VERBS: &[&str] = &[
    "licensed under",
    "licenced under",
    "released under",
    "distributed under",
    "available under",
    "provided under",
    "published under",
    "made available under",
    "offered under",
    "governed by",
    "subject to",
    "covered by",
];

/// License notices in a text's normalised lines: a name after "licensed under" and the like, an
/// `SPDX-License-Identifier:` or `License:` line, or a file that is nothing but a license name.
fn by_notice(lines: &[String]) -> Vec<Detected> {
    let words: usize = lines.iter().map(|l| l.split_whitespace().count()).sum();
    if words == 0 || words > NOTICE_MAX_WORDS {
        return vec![];
    }
    if lines
        .iter()
        .find(|l| l.chars().any(char::is_alphanumeric))
        .is_some_and(|l| is_own_title(l))
    {
        return vec![];
    }
    let mut out: Vec<Detected> = Vec::new();
    let mut push = |id: String, line: usize, confidence: f64, evidence: String| {
        if !out.iter().any(|d| d.id == id) {
            let kind = kb().get(&id).map(|t| t.kind).unwrap_or_default();
            out.push(Detected {
                id,
                confidence,
                method: DetectionMethod::Notice,
                kind,
                line,
                evidence: vec![evidence],
            });
        }
    };
    let non_blank: Vec<(usize, &String)> = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.chars().any(char::is_alphanumeric))
        .collect();
    // A file holding only a name ("MIT License", "CC BY-SA 4.0").
    if let [(i, only)] = non_blank.as_slice()
        && only.len() <= 80
        && let Some(id) = named_license(only.trim_matches(|c: char| !c.is_alphanumeric()))
    {
        push(id, i + 1, 0.7, format!("the file names `{only}`"));
        return out;
    }
    for (i, line) in &non_blank {
        for key in ["spdx-license-identifier:", "license:", "licence:"] {
            if let Some(rest) = line.trim_start_matches(['-', ' ']).strip_prefix(key) {
                let value = rest.trim().trim_end_matches('.');
                let spdx_line = key.starts_with("spdx");
                let n = normalize(value);
                if n.is_known()
                    && matches!(
                        n.how,
                        How::Spdx | How::HubTag | How::Name | How::ImpreciseName | How::Url
                    )
                {
                    for id in super::ids_in(&n.expression) {
                        push(
                            id,
                            i + 1,
                            if spdx_line { 0.8 } else { 0.7 },
                            line.to_string(),
                        );
                    }
                }
            }
        }
    }
    // Sentences may run over lines: search the joined text, then map back to a line.
    let mut starts = Vec::with_capacity(lines.len());
    let mut joined = String::new();
    for l in lines {
        starts.push(joined.len());
        joined.push_str(l);
        joined.push(' ');
    }
    let joined = joined.replace(", version", " version");
    for verb in NOTICE_VERBS {
        let mut from = 0;
        while let Some(at) = joined[from..].find(verb) {
            let at = from + at;
            from = at + verb.len();
            if !joined[..at].is_empty() && joined[..at].ends_with(|c: char| c.is_alphanumeric()) {
                continue;
            }
            let before: Vec<&str> = joined[..at].split_whitespace().rev().take(4).collect();
            if before.iter().any(|w| {
                matches!(
                    w.trim_matches(|c: char| !c.is_alphanumeric() && c != '\''),
                    "not"
                        | "never"
                        | "no"
                        | "formerly"
                        | "previously"
                        | "originally"
                        | "longer"
                        | "isn't"
                        | "aren't"
                        | "wasn't"
                )
            }) {
                continue;
            }
            let Some(id) = named_after(&joined[from..]) else {
                continue;
            };
            let line = starts.partition_point(|&s| s <= at);
            let sentence: String = joined[at..].chars().take(120).collect();
            push(
                id,
                line.max(1),
                0.7,
                format!("{verb} … ({})", sentence.trim()),
            );
        }
    }
    out
}

/// The single license named at the start of `rest` (after "licensed under"), longest name first.
fn named_after(rest: &str) -> Option<String> {
    let mut phrase = rest.trim_start();
    for lead in [
        "the terms and conditions of",
        "the terms of",
        "the",
        "a",
        "an",
    ] {
        if let Some(p) = phrase.strip_prefix(lead)
            && p.starts_with(' ')
        {
            phrase = p.trim_start();
            break;
        }
    }
    // The name ends at a clause boundary; a dot inside a version ("4.0") or a URL does not end it.
    let mut end = phrase.len();
    for (i, c) in phrase.char_indices() {
        let next = phrase[i + c.len_utf8()..].chars().next();
        let stop = match c {
            ';' | '(' | ')' | '[' | ']' | ',' | '"' | '!' | '?' => true,
            '.' | ':' => next.is_none_or(char::is_whitespace),
            _ => false,
        };
        if stop {
            end = i;
            break;
        }
    }
    let words: Vec<&str> = phrase[..end].split_whitespace().take(12).collect();
    (1..=words.len())
        .rev()
        .find_map(|n| named_license(&words[..n].join(" ")))
}

/// The one license `name` names (an SPDX id, Hub id, knowledge-base name or URL), if any.
fn named_license(name: &str) -> Option<String> {
    let name = name.trim();
    // A bare "license" or "agreement" names nothing; neither does a lone version number.
    if name.is_empty() || !name.chars().any(|c| c.is_ascii_alphabetic()) {
        return None;
    }
    let n = normalize(name);
    let single = !n.expression.contains(' ');
    (n.is_known()
        && single
        && matches!(
            n.how,
            How::Spdx | How::HubTag | How::Name | How::ImpreciseName | How::Url
        ))
    .then_some(n.expression)
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
        .filter(|d| d.method == DetectionMethod::Notice)
    {
        out.push(
            Finding::new(
                &LICENSE_TEXT_NOTICE,
                format!(
                    "`{path}` names `{}` (a license notice) but does not carry its text",
                    d.id
                ),
            )
            .at(path)
            .with_evidence(d.evidence.join(" | ")),
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

/// Whether a normalised line carries the title: the title alone, or followed by a short tail, a
/// version line or a copyright notice; or, on a copyright line, the title after the notice
/// ("Copyright 2024 TII. Falcon 2 11B TII License Version 1.0").
fn is_title_line(line: &str, title: &str, versions: &[String]) -> bool {
    let line = trim_wrapping(line);
    let title = trim_wrapping(title);
    if title.is_empty() {
        return false;
    }
    let tail_ok = |rest: &str| {
        let r = rest.trim_start_matches([' ', ',', '.', ':', '-', '|', '"', '\'', ')', ']']);
        rest.is_empty()
            || (!rest.starts_with(|c: char| c.is_alphanumeric() || c == '.' || c == '+')
                && (rest.len() <= 40
                    || has_copyright(&r[..r.len().min(12)])
                    || versions
                        .iter()
                        .any(|v| !v.is_empty() && r.starts_with(v.as_str()))))
    };
    if let Some(rest) = line.strip_prefix(title)
        && tail_ok(rest)
    {
        return true;
    }
    if !has_copyright(line) {
        return false;
    }
    line.match_indices(title).any(|(at, _)| {
        let head = &line[..at];
        !head.ends_with(|c: char| c.is_alphanumeric())
            && has_copyright(head)
            && tail_ok(&line[at + title.len()..])
    })
}

/// A normalised line with the quotes, brackets and rules that wrap a title trimmed off.
fn trim_wrapping(line: &str) -> &str {
    line.trim_start_matches(|c: char| {
        c.is_whitespace()
            || matches!(
                c,
                '"' | '\'' | '[' | '(' | '{' | '=' | '-' | '\u{2022}' | '\u{00B7}' | ':' | '|'
            )
    })
    .trim_end_matches(|c: char| {
        c.is_whitespace()
            || matches!(
                c,
                '"' | '\'' | ']' | ')' | '}' | '=' | '-' | '.' | ':' | ',' | '|'
            )
    })
}

/// Whether a normalised line holds a copyright notice.
fn has_copyright(line: &str) -> bool {
    line.contains("copyright") || line.contains('\u{00A9}') || line.contains("(c)")
}

fn by_lines(lines: &[String]) -> Vec<Detected> {
    // Every title line of every entry, with the line it is on.
    let mut starts: Vec<(usize, &super::LicenseTerms, String)> = Vec::new();
    for t in kb().iter() {
        let versions: Vec<String> = t.detection.lines.iter().map(|v| norm_line(v)).collect();
        for title in &t.detection.titles {
            let nt = norm_line(title);
            if let Some(i) = lines.iter().position(|l| is_title_line(l, &nt, &versions)) {
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
    // Entries sharing a title (a family re-issued per version or per product): the ones whose
    // version line matched win; else an entry that needs no version line (the family's general
    // text) wins over entries whose version line is missing.
    let rank = |d: &Detected| match (d.method, d.evidence.len()) {
        (DetectionMethod::DistinguishingLines, n) if n > 1 => 2,
        (DetectionMethod::DistinguishingLines, _) => 1,
        _ => 0,
    };
    let best: Vec<(usize, u8)> = out.iter().map(|d| (d.line, rank(d))).collect();
    out.retain(|d| {
        let r = rank(d);
        !best.iter().any(|(line, b)| *line == d.line && *b > r)
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

    fn one_id(text: &str) -> Option<(String, DetectionMethod)> {
        let d = identify_text(text);
        assert!(d.len() <= 1, "{d:?}");
        d.into_iter().next().map(|d| (d.id, d.method))
    }

    fn pinned(id: &str) -> Option<(String, DetectionMethod)> {
        Some((id.to_string(), DetectionMethod::DistinguishingLines))
    }

    fn llama31() -> String {
        llama_text(
            "LLAMA 3.1 COMMUNITY LICENSE AGREEMENT",
            "Llama 3.1 Version Release Date: July 23, 2024",
        )
    }

    #[test]
    fn a_byte_order_mark_before_the_title_is_ignored() {
        let want = pinned("LicenseRef-Llama-3.1-Community");
        assert_eq!(one_id(&format!("\u{FEFF}{}", llama31())), want);
        // Zero-width characters inside the title too.
        let zw = llama31().replacen("LLAMA 3.1", "LLAMA\u{200B} 3.1", 1);
        assert_eq!(one_id(&zw), want);
        let mit = spdx::license_id("MIT").unwrap().text();
        let d = identify_text(&format!("\u{FEFF}{mit}"));
        assert_eq!(d[0].id, "MIT");
        assert_eq!(d[0].method, DetectionMethod::SpdxText);
    }

    #[test]
    fn markdown_and_html_wrapping_is_removed() {
        let want = pinned("LicenseRef-Llama-3.1-Community");
        let body = llama_body();
        let cases = [
            format!(
                "# LLAMA 3.1 COMMUNITY LICENSE AGREEMENT\n\n**Llama 3.1 Version Release Date: July 23, 2024**\n\n{body}"
            ),
            format!(
                "```\nLLAMA 3.1 COMMUNITY LICENSE AGREEMENT\nLlama 3.1 Version Release Date: July 23, 2024\n{body}\n```\n"
            ),
            format!(
                "```text\n\"LLAMA 3.1 COMMUNITY LICENSE AGREEMENT\nLlama 3.1 Version Release Date: July 23, 2024\n{body}\n```"
            ),
            format!(
                "<html><body><h1 align=\"center\">LLAMA 3.1 COMMUNITY LICENSE AGREEMENT</h1><p>Llama 3.1 Version Release Date: July&nbsp;23, 2024</p><p>{body}</p></body></html>"
            ),
            format!(
                "> \"LLAMA 3.1 COMMUNITY LICENSE AGREEMENT\"\n> Llama 3.1 Version Release Date: July 23, 2024\n\n{body}"
            ),
            format!(
                "''LLAMA 3.1 COMMUNITY LICENSE AGREEMENT''\nLlama 3.1 Version Release Date: July 23, 2024\n{body}"
            ),
            format!(
                "## [LLAMA 3.1 COMMUNITY LICENSE AGREEMENT](https://www.llama.com/llama3_1/license/)\nLlama 3.1 Version Release Date: July 23, 2024\n{body}"
            ),
            format!(
                "=====\nLLAMA 3.1 COMMUNITY LICENSE AGREEMENT\n=====\nLlama 3.1 Version Release Date: July 23, 2024<br/>\n{body}"
            ),
        ];
        for (i, text) in cases.iter().enumerate() {
            assert_eq!(one_id(text), want, "case {i}: {text:.120}");
        }
        // SPDX texts in a fence or an HTML page.
        let apache = spdx::license_id("Apache-2.0").unwrap().text();
        for text in [
            format!("```\n{apache}\n```\n"),
            format!(
                "<!DOCTYPE html>\n<html><head><title>License</title></head><body><pre>\n{apache}\n</pre></body></html>"
            ),
        ] {
            let d = identify_text(&text);
            assert_eq!(d.len(), 1, "{d:?}");
            assert_eq!(d[0].id, "Apache-2.0");
        }
    }

    #[test]
    fn html_cleaning_keeps_what_is_not_a_tag() {
        let c = clean_text("a < b and <https://example.com> stay; <b>bold</b> goes\n");
        assert_eq!(c, "a < b and <https://example.com> stay;  bold  goes\n");
        assert_eq!(
            clean_text("see [the terms](https://x.y/z) here\n"),
            "see the terms here\n"
        );
    }

    #[test]
    fn a_title_on_a_copyright_line_is_found() {
        let body = llama_body();
        for text in [
            format!(
                "Copyright (c) Meta Platforms, Inc. All Rights Reserved. LLAMA 3.1 COMMUNITY LICENSE AGREEMENT\nLlama 3.1 Version Release Date: July 23, 2024\n{body}"
            ),
            format!(
                "LLAMA 3.1 COMMUNITY LICENSE AGREEMENT Copyright © Meta Platforms, Inc. All Rights Reserved. Some more words here.\nLlama 3.1 Version Release Date: July 23, 2024\n{body}"
            ),
            format!(
                "LLAMA 3.1 COMMUNITY LICENSE AGREEMENT Llama 3.1 Version Release Date: July 23, 2024\n{body}"
            ),
        ] {
            assert_eq!(
                one_id(&text),
                pinned("LicenseRef-Llama-3.1-Community"),
                "{text:.100}"
            );
        }
        let falcon = format!(
            "Copyright 2024 Technology Innovation Institute. Falcon 2 11B TII License Version 1.0\nMay 2024\n{body}"
        );
        assert_eq!(one_id(&falcon), pinned("LicenseRef-TII-Falcon-2-11B-1.0"));
        // MIT with its title and copyright on one line.
        let mit = spdx::license_id("MIT").unwrap().text();
        let one_line = format!(
            "MIT License Copyright (c) 2024 Example Labs\n\n{}",
            mit.split_once("\n\n").map(|(_, rest)| rest).unwrap_or(mit)
        );
        assert_eq!(identify_text(&one_line)[0].id, "MIT");
    }

    #[test]
    fn a_title_inside_prose_is_not_a_title() {
        // A sentence that mentions a title on a line without a copyright notice is not one.
        let text = format!(
            "This model is a fine-tune; the LLAMA 3.1 COMMUNITY LICENSE AGREEMENT applies to the base weights only and is reproduced elsewhere.\n{}",
            llama_body()
        );
        assert_eq!(one_id(&text), None);
    }

    #[test]
    fn an_editors_preamble_is_skipped() {
        let apache = spdx::license_id("Apache-2.0").unwrap().text();
        let cc = spdx::license_id("CC-BY-SA-4.0").unwrap().text();
        for (text, want) in [
            (
                format!(
                    "[For the original copy, see https://www.apache.org/licenses/LICENSE-2.0.txt]\n\n{apache}"
                ),
                "Apache-2.0",
            ),
            (
                format!(
                    "(Copied from https://creativecommons.org/licenses/by-sa/4.0/legalcode.txt on 2024-05-01)\n{cc}"
                ),
                "CC-BY-SA-4.0",
            ),
            (
                format!(
                    "[For the original copy, see https://www.llama.com/llama3_1/license/]\n{}",
                    llama31()
                ),
                "LicenseRef-Llama-3.1-Community",
            ),
        ] {
            let d = identify_text(&text);
            assert_eq!(
                d.iter().map(|d| d.id.as_str()).collect::<Vec<_>>(),
                [want],
                "{d:?}"
            );
        }
        // Only before the text: a bracketed line later on stays; so does a bracketed title.
        assert!(clean_text("Title\n[kept, see https://x.y]\n").contains("[kept"));
        let bracketed = format!(
            "[LLAMA 3.1 COMMUNITY LICENSE AGREEMENT]\n{}",
            llama31().split_once('\n').unwrap().1
        );
        assert_eq!(one_id(&bracketed), pinned("LicenseRef-Llama-3.1-Community"));
    }

    #[test]
    fn falcon_texts_are_told_apart() {
        let body = llama_body();
        let f2 =
            format!("Falcon 2 11B TII License Version 1.0\nMay 2024\nFalconLLM.tii.ae\n{body}");
        assert_eq!(one_id(&f2), pinned("LicenseRef-TII-Falcon-2-11B-1.0"));
        let f3 = format!("TII Falcon License\nDecember 2024\nFalconLLM.tii.ae\n{body}");
        assert_eq!(one_id(&f3), pinned("LicenseRef-TII-Falcon-2.0"));
        let f180 = format!(
            "FALCON 180B TII LICENSE VERSION 1.0\nSeptember 2023\nfalconllm.tii.ae\n{body}"
        );
        assert_eq!(one_id(&f180), pinned("LicenseRef-TII-Falcon-180B-1.0"));
        // The 11B title with another date is not pinned: the version stays uncertain.
        let odd = format!("Falcon 2 11B TII License Version 1.0\nJanuary 2026\n{body}");
        assert_eq!(
            one_id(&odd),
            Some((
                "LicenseRef-TII-Falcon-2-11B-1.0".into(),
                DetectionMethod::TitleOnly
            ))
        );
    }

    #[test]
    fn a_title_reissued_per_product_is_pinned_by_its_date_line() {
        let body = llama_body();
        let dit = format!(
            "TENCENT HUNYUAN COMMUNITY LICENSE AGREEMENT\nTencent Hunyuan Release Date: 2024/5/14\n{body}"
        );
        assert_eq!(
            one_id(&dit),
            pinned("LicenseRef-Tencent-Hunyuan-DiT-2024-05-14")
        );
        // Another product's text under the same title: the family's general entry, not DiT's.
        let video = format!(
            "TENCENT HUNYUAN COMMUNITY LICENSE AGREEMENT\nTencent HunyuanVideo Release Date: December 3, 2024\n{body}"
        );
        assert_eq!(
            one_id(&video),
            pinned("LicenseRef-Tencent-Hunyuan-Community")
        );
    }

    #[test]
    fn license_notices_are_detected_with_lower_confidence() {
        for (text, want) in [
            (
                "This model is licensed under CC BY-SA 4.0.\n",
                "CC-BY-SA-4.0",
            ),
            ("The weights are released under the MIT License.\n", "MIT"),
            (
                "Copyright 2024 Example.\nLicensed under the Apache License, Version 2.0 (the \"License\");\nyou may not use this file except in compliance with the License.\n",
                "Apache-2.0",
            ),
            ("SPDX-License-Identifier: BSD-3-Clause\n", "BSD-3-Clause"),
            (
                "This model is distributed under the terms of the\nCreative Commons Attribution 4.0 International license.\n",
                "CC-BY-4.0",
            ),
            (
                "Use of these weights is governed by the Llama 3.1 Community License.\n",
                "LicenseRef-Llama-3.1-Community",
            ),
            ("CC BY-NC 4.0\n", "CC-BY-NC-4.0"),
            (
                "# License\n\nReleased under the [Apache 2.0](https://www.apache.org/licenses/LICENSE-2.0) license.\n",
                "Apache-2.0",
            ),
        ] {
            let d = identify_text(text);
            assert_eq!(d.len(), 1, "{text}: {d:?}");
            assert_eq!(d[0].id, want, "{text}");
            assert_eq!(d[0].method, DetectionMethod::Notice, "{text}");
            assert!(d[0].confidence < 0.9, "{text}");
            let f = text_findings("LICENSE", &d);
            assert_eq!(f.len(), 1);
            assert_eq!(f[0].code, "license-text-notice");
        }
    }

    #[test]
    fn near_miss_notices_stay_unidentified() {
        for text in [
            "This model is not licensed under the MIT License.\n",
            "Formerly released under the Apache License 2.0; see the new terms.\n",
            "Licensed under the License.\n",
            "Released under our own terms, which you must accept.\n",
            "Released under a Creative Commons license.\n",
            "This work is licensed under the GPL.\n",
            "Distributed under terms similar to MIT.\n",
            "We trained this model on our own data and release it for everyone.\n",
        ] {
            let d = identify_text(text);
            assert!(d.is_empty(), "{text}: {d:?}");
        }
        // A license of its own (by its title) that names another is not a notice.
        let own = "ACME MODEL LICENSE\nPortions are licensed under the MIT License.\n";
        assert!(identify_text(own).is_empty(), "{:?}", identify_text(own));
        // A long text that nothing identified is a license of its own, even if it names another.
        let long = format!(
            "ACME MODEL LICENSE\nThis agreement is derived from, but is not, the Llama 3.1 Community License. Portions are licensed under the MIT License.\n{}",
            llama_body()
        );
        assert!(
            identify_text(&long).is_empty(),
            "{:?}",
            identify_text(&long)
        );
    }

    #[test]
    fn near_miss_model_texts_stay_noassertion() {
        let body = llama_body();
        for text in [
            // Another vendor's agreement with a Llama-like body.
            format!(
                "ACME 3.1 COMMUNITY LICENSE AGREEMENT\nAcme 3.1 Version Release Date: July 23, 2024\n{body}"
            ),
            // A title with words run on: a different document.
            format!("LLAMA 3.1 COMMUNITY LICENSE AGREEMENTS REGISTRY\n{body}"),
            // Hunyuan re-issues its agreement per product; an unknown product is not the base text.
            format!("TENCENT HUNYUAN IMAGE 9.0 COMMUNITY LICENSE AGREEMENT\n{body}"),
        ] {
            assert_eq!(one_id(&text), None, "{text:.80}");
        }
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
