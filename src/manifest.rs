//! Manifests: the portable list of files and digests that `export` writes and `verify --manifest`
//! reads, and publishers' `sha256sum`/`SHA256SUMS` files.
//!
//! The YAML form is canonical (sorted paths, fixed key order, JSON-quoted strings), so the same
//! files always give the same bytes; a local revision id is the first 12 hex digits of its SHA-256.

use crate::hashing;
use crate::ids::{Revision, Sha256};
use crate::record::FileRecord;
use serde::Deserialize;
use std::fmt::Write;

/// One file in a manifest.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestFile {
    pub path: String,
    /// Unknown in `sha256sum` files.
    #[serde(default)]
    pub size: Option<u64>,
    /// Checked (and lowercased) as it is read.
    pub sha256: Sha256,
}

/// A list of files and their SHA-256 digests.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub version: u32,
    pub algorithm: String,
    pub files: Vec<ManifestFile>,
}

/// Errors reading a manifest.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("manifest YAML is invalid: {0}")]
    Yaml(String),
    #[error("manifest version {0} is not supported (this modelvet reads version 1)")]
    Version(u32),
    #[error("manifest algorithm `{0}` is not supported (expected sha256)")]
    Algorithm(String),
    #[error("line {line}: {message}")]
    Line { line: usize, message: String },
    #[error("`{0}` is listed twice")]
    Duplicate(String),
    #[error("path `{0}` is not a relative path inside the model folder")]
    BadPath(String),
    #[error("the manifest lists no files")]
    Empty,
}

impl Manifest {
    /// The manifest of recorded files (those with a SHA-256), sorted by path.
    pub fn from_files(files: &[FileRecord]) -> Manifest {
        let mut files: Vec<ManifestFile> = files
            .iter()
            .filter_map(|f| {
                f.sha256.as_ref().map(|s| ManifestFile {
                    path: f.path.clone(),
                    size: Some(f.size),
                    sha256: s.clone(),
                })
            })
            .collect();
        files.sort_by(|a, b| a.path.cmp(&b.path));
        Manifest {
            version: 1,
            algorithm: "sha256".into(),
            files,
        }
    }

    /// The canonical YAML text.
    pub fn to_yaml(&self) -> String {
        let mut out = String::with_capacity(64 + self.files.len() * 120);
        out.push_str("version: 1\nalgorithm: sha256\nfiles:\n");
        for f in &self.files {
            // A JSON string is a valid YAML double-quoted scalar, and quoting keeps odd names safe.
            let path = serde_json::to_string(&f.path).expect("strings serialise");
            let _ = writeln!(out, "  - path: {path}");
            if let Some(size) = f.size {
                let _ = writeln!(out, "    size: {size}");
            }
            let _ = writeln!(out, "    sha256: \"{}\"", f.sha256);
        }
        out
    }

    /// The local revision id: the first 12 hex digits of the canonical YAML's SHA-256.
    pub fn revision_id(&self) -> Revision {
        Revision::new(&hashing::sha256(self.to_yaml().as_bytes()).as_str()[..12])
    }

    /// Reads our YAML manifest or `sha256sum` lines (`<hex>  <path>` or `<hex> *<path>`).
    pub fn parse(text: &str) -> Result<Manifest, ManifestError> {
        let first = text
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty() && !l.starts_with('#'))
            .unwrap_or("");
        let looks_like_sums = first.len() > 66
            && Sha256::is_valid(first.trim_start_matches('\\').get(..64).unwrap_or(""));
        let m = if looks_like_sums {
            parse_sums(text)?
        } else {
            parse_yaml(text)?
        };
        let mut seen = std::collections::HashSet::new();
        for f in &m.files {
            if !seen.insert(f.path.as_str()) {
                return Err(ManifestError::Duplicate(f.path.clone()));
            }
            if !is_safe_relative(&f.path) {
                return Err(ManifestError::BadPath(f.path.clone()));
            }
        }
        if m.files.is_empty() {
            return Err(ManifestError::Empty);
        }
        Ok(m)
    }
}

/// Reads the YAML form; each digest is checked as it is read.
fn parse_yaml(text: &str) -> Result<Manifest, ManifestError> {
    let m: Manifest =
        serde_saphyr::from_str(text).map_err(|e| ManifestError::Yaml(e.to_string()))?;
    if m.version != 1 {
        return Err(ManifestError::Version(m.version));
    }
    if m.algorithm != "sha256" {
        return Err(ManifestError::Algorithm(m.algorithm));
    }
    Ok(m)
}

fn parse_sums(text: &str) -> Result<Manifest, ManifestError> {
    let mut files = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim_end_matches('\r');
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let bad = |message: &str| ManifestError::Line {
            line: i + 1,
            message: message.to_string(),
        };
        // sha256sum escapes names with `\` or newline and marks such lines with a leading `\`.
        let (escaped, line) = match line.strip_prefix('\\') {
            Some(rest) => (true, rest),
            None => (false, line),
        };
        let (hex, rest) = line
            .split_at_checked(64)
            .ok_or_else(|| bad("expected `<sha256>  <path>`"))?;
        let sha256 = Sha256::parse(hex).map_err(|_| bad("expected 64 hex digits at the start"))?;
        let path = rest
            .strip_prefix("  ")
            .or_else(|| rest.strip_prefix(" *"))
            .ok_or_else(|| bad("expected two spaces (or ` *`) between digest and path"))?;
        let path = if escaped {
            unescape(path)
        } else {
            path.to_string()
        };
        let path = path.strip_prefix("./").map(str::to_string).unwrap_or(path);
        files.push(ManifestFile {
            path,
            size: None,
            sha256,
        });
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(Manifest {
        version: 1,
        algorithm: "sha256".into(),
        files,
    })
}

fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') => out.push('\n'),
                Some('r') => out.push('\r'),
                Some(o) => out.push(o),
                None => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Formats one `sha256sum`-compatible line, escaping names as coreutils does.
pub fn sha256sum_line(sha256: &Sha256, name: &str) -> String {
    if name.contains(['\\', '\n', '\r']) {
        let esc = name
            .replace('\\', "\\\\")
            .replace('\n', "\\n")
            .replace('\r', "\\r");
        format!("\\{sha256}  {esc}\n")
    } else {
        format!("{sha256}  {name}\n")
    }
}

/// Whether a manifest path stays inside the folder it is relative to.
pub fn is_safe_relative(path: &str) -> bool {
    !path.is_empty()
        && !path.starts_with('/')
        && !path.contains('\\')
        && !path.contains('\0')
        && path
            .split('/')
            .all(|c| !c.is_empty() && c != ".." && c != ".")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(path: &str, data: &[u8]) -> FileRecord {
        FileRecord {
            path: path.into(),
            size: data.len() as u64,
            sha256: Some(hashing::sha256(data)),
            git_oid: None,
            format: "other".into(),
        }
    }

    #[test]
    fn yaml_round_trip_and_stable_revision() {
        let m = Manifest::from_files(&[rec("b.bin", b"b"), rec("a \"odd\".txt", b"a")]);
        assert_eq!(m.files[0].path, "a \"odd\".txt");
        let text = m.to_yaml();
        assert_eq!(Manifest::parse(&text).unwrap(), m);
        assert_eq!(m.revision_id().len(), 12);
        let again = Manifest::from_files(&[rec("a \"odd\".txt", b"a"), rec("b.bin", b"b")]);
        assert_eq!(again.revision_id(), m.revision_id());
        let changed = Manifest::from_files(&[rec("a \"odd\".txt", b"A"), rec("b.bin", b"b")]);
        assert_ne!(changed.revision_id(), m.revision_id());
    }

    #[test]
    fn sha256sum_lines() {
        let h = hashing::sha256(b"x");
        let text = format!(
            "{h}  ./model.safetensors\n{h} *sub/b.bin\n{}",
            sha256sum_line(&h, "we\nird")
        );
        let m = Manifest::parse(&text).unwrap();
        let paths: Vec<&str> = m.files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(paths, ["model.safetensors", "sub/b.bin", "we\nird"]);
    }

    #[test]
    fn rejects_bad_manifests() {
        let h = hashing::sha256_hex(b"x");
        assert!(matches!(
            Manifest::parse(&format!("{h}  ../etc/passwd\n")),
            Err(ManifestError::BadPath(_))
        ));
        assert!(matches!(
            Manifest::parse(&format!("{h}  a\n{h}  a\n")),
            Err(ManifestError::Duplicate(_))
        ));
        assert!(matches!(
            Manifest::parse(&format!("{h}  a\nnot a line\n")),
            Err(ManifestError::Line { line: 2, .. })
        ));
        assert!(matches!(
            Manifest::parse("version: 2\nalgorithm: sha256\nfiles: []\n"),
            Err(ManifestError::Version(2))
        ));
        assert!(matches!(
            Manifest::parse("version: 1\nalgorithm: md5\nfiles: []\n"),
            Err(ManifestError::Algorithm(_))
        ));
        assert!(matches!(
            Manifest::parse("version: 1\nalgorithm: sha256\nfiles: []\nextra: 1\n"),
            Err(ManifestError::Yaml(_))
        ));
        let yaml = |sha: &str| {
            format!("version: 1\nalgorithm: sha256\nfiles:\n  - path: a\n    sha256: \"{sha}\"\n")
        };
        assert!(matches!(
            Manifest::parse(&yaml("beef")),
            Err(ManifestError::Yaml(_))
        ));
        let upper = Manifest::parse(&yaml(&h.to_ascii_uppercase())).unwrap();
        assert_eq!(upper.files[0].sha256, h);
    }
}
