//! The model card: the one reader of a README's YAML front matter, for local folders, Hub
//! revisions and cache snapshots alike. Problems with the card are findings, never errors.

use super::{IngestCode, IngestError, MAX_CARD_BYTES, MAX_FRONT_MATTER_BYTES, json_kind};
use crate::finding::Finding;
use std::io::Read;
use std::path::Path;

/// Reads a README's YAML front matter within the size limits; problems become findings. Returns
/// the front matter as written and as parsed.
pub fn read(
    path: &Path,
    rel: &str,
    findings: &mut Vec<Finding>,
) -> Result<Option<(String, serde_json::Value)>, IngestError> {
    let mut buf = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_CARD_BYTES + 1).read_to_end(&mut buf))
        .map_err(|source| IngestError::Io {
            path: path.into(),
            source,
        })?;
    Ok(from_readme(&buf, rel, findings))
}

/// The front matter of README bytes (of which at most `MAX_CARD_BYTES` are read), as written and
/// as parsed; problems become findings about `rel`.
pub fn from_readme(
    bytes: &[u8],
    rel: &str,
    findings: &mut Vec<Finding>,
) -> Option<(String, serde_json::Value)> {
    let oversized = bytes.len() as u64 > MAX_CARD_BYTES;
    let bytes = &bytes[..bytes.len().min(MAX_CARD_BYTES as usize)];
    let text = String::from_utf8_lossy(bytes);
    let Some(front) = front_matter(&text) else {
        if oversized {
            findings.push(
                Finding::new(
                    &IngestCode::ModelCardTooLarge,
                    format!("README.md is larger than {MAX_CARD_BYTES} bytes"),
                )
                .at(rel.to_string()),
            );
        }
        return None;
    };
    let front = match front {
        Ok(f) => f,
        Err(FrontMatterError::Unterminated) => {
            let (code, msg) = if oversized {
                (
                    IngestCode::ModelCardTooLarge,
                    format!(
                        "the front matter does not end within the first {MAX_CARD_BYTES} bytes"
                    ),
                )
            } else {
                (
                    IngestCode::ModelCardInvalid,
                    "the YAML front matter has no closing `---` line".to_string(),
                )
            };
            findings.push(Finding::new(&code, msg).at(rel.to_string()));
            return None;
        }
    };
    if front.len() > MAX_FRONT_MATTER_BYTES {
        findings.push(
            Finding::new(
                &IngestCode::ModelCardTooLarge,
                format!(
                    "the YAML front matter is {} bytes (limit {MAX_FRONT_MATTER_BYTES})",
                    front.len()
                ),
            )
            .at(rel.to_string()),
        );
        return None;
    }
    match parse_card_yaml(front) {
        Ok(v) => Some((front.to_string(), v)),
        Err(msg) => {
            findings.push(
                Finding::new(
                    &IngestCode::ModelCardInvalid,
                    format!("the YAML front matter does not parse: {msg}"),
                )
                .at(rel.to_string()),
            );
            None
        }
    }
}

/// Why a README's front matter could not be cut out.
#[derive(Debug, PartialEq, Eq)]
pub enum FrontMatterError {
    /// A `---` line opens it, and nothing closes it.
    Unterminated,
}

/// The YAML between a leading `---` line and the next `---` (or `...`) line.
pub fn front_matter(text: &str) -> Option<Result<&str, FrontMatterError>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let first_end = text.find('\n')?;
    if text[..first_end].trim_end() != "---" {
        return None;
    }
    let body = &text[first_end + 1..];
    let mut offset = 0;
    for line in body.split_inclusive('\n') {
        let t = line.trim_end();
        if t == "---" || t == "..." {
            return Some(Ok(&body[..offset]));
        }
        offset += line.len();
    }
    Some(Err(FrontMatterError::Unterminated))
}

/// Parses card YAML into JSON with YAML 1.2 booleans (`no` stays a string) and the parser's
/// budgets against alias bombs and deep nesting. Duplicate keys are an error: an ambiguous
/// `license:` must not be silently resolved.
pub fn parse_card_yaml(text: &str) -> Result<serde_json::Value, String> {
    if text.trim().is_empty() {
        return Ok(serde_json::Value::Object(Default::default()));
    }
    let opts = serde_saphyr::options! { strict_booleans: true };
    let v: serde_json::Value =
        serde_saphyr::from_str_with_options(text, opts).map_err(|e| first_line(&e.to_string()))?;
    match v {
        serde_json::Value::Object(_) => Ok(v),
        serde_json::Value::Null => Ok(serde_json::Value::Object(Default::default())),
        other => Err(format!(
            "expected a mapping at the top, found {}",
            json_kind(&other)
        )),
    }
}

fn first_line(s: &str) -> String {
    let mut out: String = s.lines().take(3).collect::<Vec<_>>().join(" ");
    if out.len() > 400 {
        out.truncate(400);
        out.push('…');
    }
    out
}
