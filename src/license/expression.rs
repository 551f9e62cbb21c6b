//! Normalising what people write for a license (SPDX expressions, Hub tags, free-text names, URLs)
//! into one SPDX expression, and evaluating expressions (OSI approval, open terms, allow-lists).

use super::kb::kb;
use super::{LICENSE_AMBIGUOUS, LICENSE_UNRESOLVED, LicenseError, NOASSERTION};
use crate::finding::Finding;
use serde::Serialize;

/// How an input was recognised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum How {
    /// An SPDX id or expression (ids matched case-insensitively).
    Spdx,
    /// A Hugging Face `license:` id.
    HubTag,
    /// A name or alias from the knowledge base (`license_name` values, full names).
    Name,
    /// A license URL the knowledge base knows.
    Url,
    /// A loose name the SPDX list maps (`Apache 2.0`).
    ImpreciseName,
    /// A placeholder that names no license (`other`, `unknown`, a family such as `openrail`).
    Placeholder,
    /// Not recognised.
    Unknown,
    /// Looks like an expression but does not parse.
    Invalid,
}

/// The normalised form of one input.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Normalized {
    /// The input as given.
    pub input: String,
    /// An SPDX expression (LicenseRef-… for non-SPDX terms) or `NOASSERTION`.
    pub expression: String,
    pub how: How,
    /// Explanations for the user (why NOASSERTION, which reading was chosen).
    pub notes: Vec<String>,
    /// Findings to record with a model (ambiguity, unresolved).
    pub findings: Vec<Finding>,
}

impl Normalized {
    /// Whether the input named a license.
    pub fn is_known(&self) -> bool {
        self.expression != NOASSERTION
    }

    /// The error for inputs that do not parse as an expression.
    pub fn error(&self) -> Option<LicenseError> {
        (self.how == How::Invalid).then(|| LicenseError::InvalidExpression {
            expression: self.input.clone(),
            reason: self.notes.first().cloned().unwrap_or_default(),
        })
    }
}

/// Hub ids of license families or placeholders: they name no single license.
const PLACEHOLDERS: &[(&str, &str)] = &[
    (
        "other",
        "the Hub id `other` names no license; `license_name`, `license_link` or a LICENSE file must say which",
    ),
    ("unknown", "the Hub id `unknown` names no license"),
    ("noassertion", "NOASSERTION names no license"),
    ("none", "`none` names no license"),
    (
        "openrail",
        "`openrail` is a family (BigScience, CreativeML, BigCode, OpenRAIL++ differ); the LICENSE text decides",
    ),
    (
        "bsd",
        "`bsd` is a family (2-clause, 3-clause, clear…); the LICENSE text decides",
    ),
    (
        "cc",
        "`cc` is the Creative Commons family (CC0 to BY-NC-ND); the LICENSE text decides",
    ),
    (
        "gfdl",
        "`gfdl` is the GNU FDL family; the version is not said",
    ),
    (
        "gpl",
        "`gpl` is the GNU GPL family; the version is not said",
    ),
    (
        "lgpl",
        "`lgpl` is the GNU LGPL family; the version is not said",
    ),
];

/// Hub ids of GNU licenses, which do not say "only" or "or later".
const GNU_HUB: &[(&str, &str)] = &[
    ("gpl-2.0", "GPL-2.0-only"),
    ("gpl-3.0", "GPL-3.0-only"),
    ("lgpl-2.1", "LGPL-2.1-only"),
    ("lgpl-3.0", "LGPL-3.0-only"),
    ("agpl-3.0", "AGPL-3.0-only"),
];

/// One recognised token.
struct Term {
    id: String,
    how: How,
    note: Option<String>,
    finding: Option<Finding>,
}

/// Normalises an SPDX expression, Hub tag, free-text name or license URL.
pub fn normalize(arg: &str) -> Normalized {
    let input = arg.trim();
    let out = |expression: String, how, notes, findings| Normalized {
        input: arg.to_string(),
        expression,
        how,
        notes,
        findings,
    };
    if input.is_empty() {
        return out(
            NOASSERTION.into(),
            How::Invalid,
            vec!["empty license expression".into()],
            vec![],
        );
    }
    // Whole input first: names contain spaces ("Apache 2.0", "MIT License").
    if let Some(t) = term(input) {
        return from_terms(arg, vec![t], None);
    }
    // `MIT/Apache-2.0` (crates.io style) means OR.
    if input.contains('/') && !input.contains("://") && !has_operators(input) {
        let alt = normalize(&input.replace('/', " OR "));
        if !matches!(alt.how, How::Invalid | How::Unknown) {
            return Normalized {
                input: arg.to_string(),
                ..alt
            };
        }
    }
    if has_operators(input) {
        let tokens = tokenize(input);
        let mut terms = Vec::new();
        let mut rebuilt = Vec::new();
        for tok in &tokens {
            match tok.to_ascii_uppercase().as_str() {
                "AND" | "OR" | "WITH" | "(" | ")" => rebuilt.push(tok.to_ascii_uppercase()),
                _ if rebuilt.last().is_some_and(|p| p == "WITH") => rebuilt.push(tok.clone()),
                _ => match term(tok) {
                    Some(t) => {
                        rebuilt.push(t.id.clone());
                        terms.push(t);
                    }
                    None => {
                        return out(
                            NOASSERTION.into(),
                            How::Invalid,
                            vec![format!("`{tok}` is not a known license id, Hub id or name")],
                            vec![],
                        );
                    }
                },
            }
        }
        let text = rebuilt.join(" ").replace("( ", "(").replace(" )", ")");
        return from_terms(arg, terms, Some(text));
    }
    out(
        NOASSERTION.into(),
        How::Unknown,
        vec![format!(
            "`{input}` is not an SPDX id, a Hub license id or a license name this knowledge base knows"
        )],
        vec![
            Finding::new(
                &LICENSE_UNRESOLVED,
                format!("unknown license `{input}`; effective license is NOASSERTION"),
            )
            .with_evidence(input),
        ],
    )
}

/// Combines recognised terms into the result; `expr` is the rebuilt expression when there were operators.
fn from_terms(input: &str, terms: Vec<Term>, expr: Option<String>) -> Normalized {
    let mut notes: Vec<String> = terms.iter().filter_map(|t| t.note.clone()).collect();
    let findings: Vec<Finding> = terms.iter().filter_map(|t| t.finding.clone()).collect();
    let placeholder = terms.iter().any(|t| t.id == NOASSERTION);
    let how = if terms.len() == 1 {
        terms[0].how
    } else if placeholder {
        How::Placeholder
    } else {
        How::Spdx
    };
    let expression = if placeholder {
        NOASSERTION.to_string()
    } else {
        expr.unwrap_or_else(|| terms[0].id.clone())
    };
    if !placeholder && let Err(e) = spdx::Expression::parse(&expression) {
        notes.insert(0, e.to_string());
        return Normalized {
            input: input.to_string(),
            expression: NOASSERTION.into(),
            how: How::Invalid,
            notes,
            findings: vec![],
        };
    }
    Normalized {
        input: input.to_string(),
        expression,
        how,
        notes,
        findings,
    }
}

fn has_operators(s: &str) -> bool {
    s.contains('(')
        || s.contains(')')
        || s.split_whitespace().any(|w| {
            let w = w.to_ascii_uppercase();
            w == "AND" || w == "OR" || w == "WITH"
        })
}

fn tokenize(s: &str) -> Vec<String> {
    s.replace('(', " ( ")
        .replace(')', " ) ")
        .split_whitespace()
        .map(str::to_string)
        .collect()
}

/// Recognises a single license (no operators).
fn term(raw: &str) -> Option<Term> {
    let s = raw.trim();
    // Hub tags come as `license:apache-2.0`.
    if let Some(rest) = s.strip_prefix("license:")
        && !rest.is_empty()
    {
        return term(rest);
    }
    let lower = s.to_ascii_lowercase();
    let plain = |id: &str, how| Term {
        id: id.to_string(),
        how,
        note: None,
        finding: None,
    };
    if let Some((_, why)) = PLACEHOLDERS.iter().find(|(k, _)| *k == lower) {
        return Some(Term {
            id: NOASSERTION.into(),
            how: How::Placeholder,
            note: Some(why.to_string()),
            finding: Some(
                Finding::new(&LICENSE_UNRESOLVED, why.to_string()).with_evidence(s.to_string()),
            ),
        });
    }
    if let Some((hub, id)) = GNU_HUB
        .iter()
        .find(|(k, _)| *k == lower || k.to_ascii_uppercase() == s)
    {
        let note = format!(
            "`{hub}` does not say \"only\" or \"or later\"; read as `{id}` (the narrower grant)"
        );
        return Some(Term {
            id: id.to_string(),
            how: How::HubTag,
            note: Some(note.clone()),
            finding: Some(Finding::new(&LICENSE_AMBIGUOUS, note).with_evidence(s.to_string())),
        });
    }
    if let Some(t) = kb().get(s) {
        let how = if t.id.starts_with("LicenseRef-") {
            How::Name
        } else {
            How::Spdx
        };
        // A Hub id spelled like the SPDX id (`apache-2.0`) is still a Hub tag.
        let how = if t.id != s && t.aliases.hf_ids.iter().any(|h| h == s) {
            How::HubTag
        } else {
            how
        };
        return Some(plain(&t.id, how));
    }
    if let Some(id) = spdx_id_ci(s) {
        return Some(plain(id, How::Spdx));
    }
    if let Some(rest) = s.strip_prefix("LicenseRef-")
        && !rest.is_empty()
        && rest
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
    {
        return Some(Term {
            id: s.to_string(),
            how: How::Spdx,
            note: Some(format!(
                "`{s}` is not in the knowledge base: its terms are unknown"
            )),
            finding: None,
        });
    }
    if let Some(t) = kb().by_alias(s) {
        let how = if t.aliases.hf_ids.iter().any(|h| h.eq_ignore_ascii_case(s)) {
            How::HubTag
        } else {
            How::Name
        };
        return Some(plain(&t.id, how));
    }
    if s.contains("://")
        && let Some(t) = kb().by_url(s)
    {
        return Some(plain(&t.id, How::Url));
    }
    // "Apache 2.0 License", "The MIT License": drop the article and the word "license".
    let trimmed = strip_words(s);
    if trimmed != s && !trimmed.is_empty() {
        if let Some(t) = kb().by_alias(&trimmed).or_else(|| kb().get(&trimmed)) {
            return Some(plain(&t.id, How::Name));
        }
        if let Some(id) = spdx_id_ci(&trimmed) {
            return Some(plain(id, How::Name));
        }
    }
    if let Some((id, len)) = spdx::imprecise_license_id(s) {
        let rest = strip_words(&s[len..]);
        if rest.chars().all(|c| !c.is_alphanumeric()) {
            return Some(Term {
                id: id.name.to_string(),
                how: How::ImpreciseName,
                note: Some(format!("`{s}` read as `{}`", id.name)),
                finding: None,
            });
        }
    }
    None
}

fn strip_words(s: &str) -> String {
    let mut words: Vec<&str> = s.split_whitespace().collect();
    if words.first().is_some_and(|w| w.eq_ignore_ascii_case("the")) {
        words.remove(0);
    }
    while words.last().is_some_and(|w| {
        ["license", "licence", "agreement", "terms"]
            .iter()
            .any(|k| {
                w.trim_matches(|c: char| !c.is_alphanumeric())
                    .eq_ignore_ascii_case(k)
            })
    }) {
        words.pop();
    }
    words.join(" ").trim_end_matches(',').to_string()
}

/// An SPDX license id matched case-insensitively, preferring non-deprecated spellings.
fn spdx_id_ci(s: &str) -> Option<&'static str> {
    if let Some(id) = spdx::license_id(s)
        && id.name == s
    {
        return Some(id.name);
    }
    let mut hit: Option<&'static spdx::License> = None;
    for l in spdx::identifiers::LICENSES {
        if l.name.eq_ignore_ascii_case(s) {
            let deprecated = l.flags & spdx::flags::IS_DEPRECATED != 0;
            if hit.is_none() || !deprecated {
                hit = Some(l);
            }
        }
    }
    let l = hit?;
    if l.flags & spdx::flags::IS_DEPRECATED != 0 && l.flags & spdx::flags::IS_GNU != 0 {
        // Bare `GPL-3.0` is deprecated because it hides only/or-later; handled by GNU_HUB.
        return None;
    }
    Some(l.name)
}

/// Parses a normalised expression; `None` for NOASSERTION or anything unparsable.
pub(crate) fn parse(expr: &str) -> Option<spdx::Expression> {
    let expr = expr.trim();
    if expr.is_empty() || expr.eq_ignore_ascii_case(NOASSERTION) {
        return None;
    }
    spdx::Expression::parse(expr).ok()
}

/// The license ids an expression names, in order, without duplicates (`WITH` additions dropped).
pub fn ids_in(expr: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    if let Some(e) = parse(expr) {
        for r in e.requirements() {
            let id = r.req.license.to_string();
            if !out.contains(&id) {
                out.push(id);
            }
        }
    }
    out
}

/// Evaluates an expression with a per-license answer that may be unknown: AND needs all, OR any.
fn evaluate3(expr: &str, f: impl Fn(&spdx::LicenseReq) -> Option<bool>) -> Option<bool> {
    use spdx::expression::{ExprNode, Operator};
    let e = parse(expr)?;
    let mut stack: Vec<Option<bool>> = Vec::new();
    for node in e.iter() {
        match node {
            ExprNode::Req(r) => stack.push(f(&r.req)),
            ExprNode::Op(op) => {
                let b = stack.pop()?;
                let a = stack.pop()?;
                stack.push(match op {
                    Operator::And => match (a, b) {
                        (Some(false), _) | (_, Some(false)) => Some(false),
                        (Some(true), Some(true)) => Some(true),
                        _ => None,
                    },
                    Operator::Or => match (a, b) {
                        (Some(true), _) | (_, Some(true)) => Some(true),
                        (Some(false), Some(false)) => Some(false),
                        _ => None,
                    },
                });
            }
        }
    }
    stack.pop().flatten()
}

/// Whether the expression is OSI-approved (AND: every part; OR: any alternative); `None` if unknown.
pub fn osi_approved(expr: &str) -> Option<bool> {
    evaluate3(expr, |req| match &req.license {
        spdx::LicenseItem::Spdx { id, .. } => Some(id.is_osi_approved()),
        other => kb().get(&other.to_string()).map(|t| t.osi_approved),
    })
}

/// Whether the terms could meet the Open Source Definition (knowledge base `osd_conformant`, else
/// OSI approval); `None` where the terms are unknown.
pub fn open_terms(expr: &str) -> Option<bool> {
    evaluate3(expr, |req| {
        let id = req.license.to_string();
        if let Some(t) = kb().get(&id) {
            return Some(t.osd_conformant);
        }
        match &req.license {
            spdx::LicenseItem::Spdx { id, .. } if id.is_osi_approved() => Some(true),
            _ => None,
        }
    })
}

/// cargo-deny semantics: an OR passes if any alternative is allowed, an AND only if every part is.
/// `is_allowed` gets each license id (`Apache-2.0`, `LicenseRef-…`); with a `WITH` addition the
/// full `ID WITH EXCEPTION` is tried first. `None` for NOASSERTION or an unparsable expression.
pub fn allowed(expr: &str, is_allowed: &dyn Fn(&str) -> bool) -> Option<bool> {
    let e = parse(expr)?;
    Some(e.evaluate(|req| {
        let id = req.license.to_string();
        match &req.addition {
            Some(add) => is_allowed(&format!("{id} WITH {add}")) || is_allowed(&id),
            None => is_allowed(&id),
        }
    }))
}

/// `a AND b`, parenthesising OR sub-expressions; NOASSERTION parts and duplicates are dropped.
pub(crate) fn and_all(parts: &[String]) -> String {
    let mut seen: Vec<String> = Vec::new();
    let mut out: Vec<String> = Vec::new();
    for p in parts {
        let p = p.trim();
        if p.is_empty() || p.eq_ignore_ascii_case(NOASSERTION) {
            continue;
        }
        if let Some(e) = parse(p) {
            // Skip a part whose ids are all already present as plain AND-ed ids.
            let single = e.requirements().count() == 1;
            if single && seen.contains(&p.to_string()) {
                continue;
            }
        }
        if seen.iter().any(|s| s == p) {
            continue;
        }
        seen.push(p.to_string());
        let needs_parens = p.split_whitespace().any(|w| w == "OR");
        out.push(
            if needs_parens && !(p.starts_with('(') && p.ends_with(')')) {
                format!("({p})")
            } else {
                p.to_string()
            },
        );
    }
    if out.is_empty() {
        NOASSERTION.to_string()
    } else {
        out.join(" AND ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(s: &str) -> (String, How) {
        let n = normalize(s);
        (n.expression, n.how)
    }

    #[test]
    fn spdx_expressions_hub_tags_and_names() {
        assert_eq!(
            norm("Apache-2.0 OR MIT"),
            ("Apache-2.0 OR MIT".into(), How::Spdx)
        );
        assert_eq!(norm("apache-2.0"), ("Apache-2.0".into(), How::HubTag));
        assert_eq!(
            norm("llama3.1"),
            ("LicenseRef-Llama-3.1-Community".into(), How::HubTag)
        );
        assert_eq!(norm("Apache 2.0"), ("Apache-2.0".into(), How::Name));
        assert_eq!(norm("MIT License").0, "MIT");
        assert_eq!(norm("The MIT License").0, "MIT");
        assert_eq!(norm("Apache License, Version 2.0").0, "Apache-2.0");
        assert_eq!(
            norm("qwen-research"),
            ("LicenseRef-Qwen-Research-2024".into(), How::Name)
        );
        assert_eq!(
            norm("Llama 3.1 Community License Agreement").0,
            "LicenseRef-Llama-3.1-Community"
        );
        assert_eq!(
            norm("https://ai.google.dev/gemma/terms"),
            ("LicenseRef-Gemma-Terms-of-Use".into(), How::Url)
        );
        assert_eq!(norm("openmdw-1.0").0, "OpenMDW-1.0");
        assert_eq!(norm("openmdw-1.1").0, "LicenseRef-OpenMDW-1.1");
        assert_eq!(norm("mit or apache-2.0").0, "MIT OR Apache-2.0");
        assert_eq!(norm("MIT/Apache-2.0").0, "MIT OR Apache-2.0");
        assert_eq!(norm("models/LICENSE").1, How::Unknown);
        assert_eq!(
            norm("apache-2.0 AND (llama3.1 OR gemma)").0,
            "Apache-2.0 AND (LicenseRef-Llama-3.1-Community OR LicenseRef-Gemma-Terms-of-Use)"
        );
        assert_eq!(
            norm("Apache-2.0 WITH LLVM-exception").0,
            "Apache-2.0 WITH LLVM-exception"
        );
        assert_eq!(norm("GPL-3.0-or-later").0, "GPL-3.0-or-later");
        assert_eq!(norm("LicenseRef-Acme-1").0, "LicenseRef-Acme-1");
    }

    #[test]
    fn license_name_values_seen_on_the_hub() {
        // `license_name` values from the reference's crawl of `license: other` models.
        for (name, id) in [
            ("llama3", "LicenseRef-Llama-3-Community"),
            ("llama-3", "LicenseRef-Llama-3-Community"),
            ("llama4", "LicenseRef-Llama-4-Community"),
            ("qwen", "LicenseRef-Qwen-2024"),
            ("qwen-research", "LicenseRef-Qwen-Research-2024"),
            ("tongyi-qianwen", "LicenseRef-Tongyi-Qianwen-2023"),
            (
                "tongyi-qianwen-research",
                "LicenseRef-Tongyi-Qianwen-Research-2023",
            ),
            (
                "tongyi-qianwen-license-agreement",
                "LicenseRef-Tongyi-Qianwen-2023",
            ),
            ("mrl", "LicenseRef-Mistral-MRL-0.1"),
            ("mnpl", "LicenseRef-Mistral-MNPL-0.1"),
            ("deepseek", "LicenseRef-DeepSeek-License-1.0"),
            ("deepseek-license", "LicenseRef-DeepSeek-License-1.0"),
            ("nvidia-open-model-license", "LicenseRef-NVIDIA-Open-Model"),
            (
                "flux-1-dev-non-commercial-license",
                "LicenseRef-FLUX-1-dev-NC",
            ),
            (
                "stabilityai-ai-community",
                "LicenseRef-Stability-AI-Community-2024",
            ),
            (
                "stable-video-diffusion-community",
                "LicenseRef-Stability-AI-Community-2024",
            ),
            (
                "sai-nc-community",
                "LicenseRef-Stability-AI-NC-Research-Community",
            ),
            ("modified-mit", "LicenseRef-Moonshot-Modified-MIT"),
            ("falcon-llm-license", "LicenseRef-TII-Falcon-2.0"),
            ("sdxl-license", "LicenseRef-CreativeML-OpenRAIL-PP-M"),
            (
                "tencent-hunyuan-community",
                "LicenseRef-Tencent-Hunyuan-Community",
            ),
            (
                "microsoft-research-license",
                "LicenseRef-Microsoft-Research-License",
            ),
            ("gemma-terms-of-use", "LicenseRef-Gemma-Terms-of-Use"),
            ("openmdw1.1-license", "LicenseRef-OpenMDW-1.1"),
            ("apache-license-2.0", "Apache-2.0"),
            ("license:llama3.2", "LicenseRef-Llama-3.2-Community"),
            ("grok2-community", "LicenseRef-Grok-2-Community"),
            ("apple-amlr", "LicenseRef-Apple-AMLR"),
        ] {
            assert_eq!(normalize(name).expression, id, "{name}");
        }
        // Distinct texts the knowledge base does not describe stay unknown rather than guessed.
        for name in [
            "nvidia-nemotron-open-model-license",
            "lfm1.0",
            "health-ai-developer-foundations",
        ] {
            assert_eq!(normalize(name).expression, NOASSERTION, "{name}");
        }
    }

    #[test]
    fn placeholders_and_unknowns_are_noassertion_with_a_finding() {
        for tag in ["other", "unknown", "openrail", "bsd", "cc"] {
            let n = normalize(tag);
            assert_eq!(n.expression, NOASSERTION, "{tag}");
            assert_eq!(n.how, How::Placeholder);
            assert_eq!(n.findings[0].code, "license-unresolved");
            assert!(n.error().is_none());
        }
        let n = normalize("acme-secret-license");
        assert_eq!((n.expression.as_str(), n.how), (NOASSERTION, How::Unknown));
        assert!(!n.notes.is_empty() && n.error().is_none());
    }

    #[test]
    fn hub_gpl_is_read_as_only_with_an_ambiguity_finding() {
        let n = normalize("gpl-3.0");
        assert_eq!(n.expression, "GPL-3.0-only");
        assert_eq!(n.findings[0].code, "license-ambiguous");
        assert_eq!(normalize("agpl-3.0").expression, "AGPL-3.0-only");
    }

    #[test]
    fn invalid_expressions_are_errors() {
        for bad in ["MIT AND (", "MIT OR", "MIT AND nosuchthing", "AND", ""] {
            let n = normalize(bad);
            assert_eq!(n.how, How::Invalid, "{bad}: {n:?}");
            assert!(n.error().is_some());
        }
    }

    #[test]
    fn osi_and_open_terms_follow_and_or() {
        assert_eq!(osi_approved("MIT"), Some(true));
        assert_eq!(
            osi_approved("MIT AND LicenseRef-Llama-3.1-Community"),
            Some(false)
        );
        assert_eq!(
            osi_approved("MIT OR LicenseRef-Llama-3.1-Community"),
            Some(true)
        );
        assert_eq!(osi_approved("CC-BY-4.0"), Some(false));
        assert_eq!(osi_approved(NOASSERTION), None);
        assert_eq!(osi_approved("LicenseRef-Acme-1"), None);
        assert_eq!(osi_approved("LicenseRef-Acme-1 OR MIT"), Some(true));
        assert_eq!(osi_approved("LicenseRef-Acme-1 AND MIT"), None);
        assert_eq!(open_terms("CC-BY-4.0"), Some(true));
        assert_eq!(open_terms("CC-BY-NC-4.0"), Some(false));
        assert_eq!(open_terms("OpenMDW-1.0 AND Apache-2.0"), Some(true));
        assert_eq!(
            open_terms("LicenseRef-Gemma-Terms-of-Use OR Apache-2.0"),
            Some(true)
        );
        assert_eq!(open_terms("LicenseRef-Acme-1"), None);
    }

    #[test]
    fn allowed_has_cargo_deny_semantics() {
        let allow = |id: &str| ["Apache-2.0", "MIT"].contains(&id);
        assert_eq!(allowed("MIT OR GPL-3.0-only", &allow), Some(true));
        assert_eq!(allowed("MIT AND GPL-3.0-only", &allow), Some(false));
        assert_eq!(
            allowed("Apache-2.0 AND LicenseRef-Llama-3.1-Community", &allow),
            Some(false)
        );
        assert_eq!(
            allowed("Apache-2.0 WITH LLVM-exception", &allow),
            Some(true)
        );
        assert_eq!(allowed(NOASSERTION, &allow), None);
    }

    #[test]
    fn and_all_dedupes_and_parenthesises() {
        assert_eq!(
            and_all(&[
                "MIT".into(),
                "MIT".into(),
                "Apache-2.0 OR BSD-3-Clause".into()
            ]),
            "MIT AND (Apache-2.0 OR BSD-3-Clause)"
        );
        assert_eq!(and_all(&[NOASSERTION.into()]), NOASSERTION);
    }
}
