//! The `modelvet.yaml` sidecar: what a model's publisher or user declares about components that
//! the files cannot show (training code on GitHub, a paper, the datasets and their licenses).
//!
//! ```yaml
//! license:                 # optional release defaults, inherited as in the MOT
//!   distribution: Apache-2.0
//!   code: MIT
//! components:
//!   - name: Training code  # one of the 17 MOF names, exactly
//!     license: Apache-2.0  # or `unlicensed`; omitted = inherit
//!     evidence: https://github.com/example/train
//!   - name: Datasets
//!     included: false      # known not to be released
//! ```

use super::OpennessError;
use super::components;
use super::licenses::UNLICENSED;
use serde::{Deserialize, Deserializer};
use serde_saphyr::Spanned;
use std::collections::HashMap;

/// The file name looked for in a model folder.
pub const FILE_NAME: &str = "modelvet.yaml";

/// Release defaults a sidecar declares (each an SPDX expression or license name).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SidecarLicenses {
    /// Applies to everything without a license of its own or of its type.
    #[serde(default)]
    pub distribution: Option<String>,
    /// Default for code components.
    #[serde(default)]
    pub code: Option<String>,
    /// Default for data components (weights included).
    #[serde(default)]
    pub data: Option<String>,
    /// Default for documents.
    #[serde(default)]
    pub document: Option<String>,
}

/// One declared component.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SidecarComponent {
    /// MOF component id.
    pub id: u32,
    /// Whether it is supplied (default true).
    pub included: bool,
    /// `None`: inherit; `Some(None)`: explicitly unlicensed.
    pub license: Option<Option<String>>,
    /// Where it is (path or URL).
    pub evidence: Option<String>,
    /// Line of the entry's `name`.
    pub line: u32,
}

/// A parsed `modelvet.yaml`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sidecar {
    /// Release license defaults.
    pub license: SidecarLicenses,
    /// Declared components, in file order.
    pub components: Vec<SidecarComponent>,
}

impl Sidecar {
    /// The declaration for component `id`, if any.
    pub fn component(&self, id: u32) -> Option<&SidecarComponent> {
        self.components.iter().find(|c| c.id == id)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    #[serde(default)]
    version: Option<Spanned<u32>>,
    #[serde(default)]
    license: Option<SidecarLicenses>,
    #[serde(default)]
    components: Vec<Spanned<RawComponent>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawComponent {
    name: Option<Spanned<String>>,
    #[serde(default)]
    included: Option<bool>,
    #[serde(default, deserialize_with = "present")]
    license: Option<Option<String>>,
    #[serde(default)]
    evidence: Option<String>,
}

fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Ok(Some(Option::<String>::deserialize(d)?))
}

/// Parses a `modelvet.yaml`; unknown keys and component names are errors that point at the line.
pub fn parse_sidecar(text: &str) -> Result<Sidecar, OpennessError> {
    let raw: Raw = serde_saphyr::from_str(text).map_err(|e| {
        let (line, message) = super::yaml_error_parts(&e);
        OpennessError::Sidecar {
            path: FILE_NAME.into(),
            line,
            message,
        }
    })?;
    if let Some(v) = &raw.version
        && v.value != 1
    {
        return Err(OpennessError::Sidecar {
            path: FILE_NAME.into(),
            line: v.referenced.line() as u32,
            message: format!("unsupported `version: {}` (expected 1)", v.value),
        });
    }
    let mut seen: HashMap<u32, u32> = HashMap::new();
    let mut out = Vec::new();
    for item in raw.components {
        let item_line = item.referenced.line() as u32;
        let c = item.value;
        let Some(name) = c.name else {
            return Err(OpennessError::Sidecar {
                path: FILE_NAME.into(),
                line: item_line,
                message: "component `name` is missing".into(),
            });
        };
        let line = name.referenced.line() as u32;
        let Some(def) = components::by_name(&name.value) else {
            let hint = components::suggest(&name.value)
                .map(|s| format!(" (did you mean `{}`?)", s.name))
                .unwrap_or_default();
            return Err(OpennessError::Sidecar {
                path: FILE_NAME.into(),
                line,
                message: format!("unknown component `{}`{hint}", name.value),
            });
        };
        if let Some(first) = seen.insert(def.id, line) {
            return Err(OpennessError::Sidecar {
                path: FILE_NAME.into(),
                line,
                message: format!(
                    "component `{}` is declared twice (first at line {first})",
                    def.name
                ),
            });
        }
        let license = c.license.map(|l| {
            l.map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty() && s != UNLICENSED)
        });
        out.push(SidecarComponent {
            id: def.id,
            included: c.included.unwrap_or(true),
            license,
            evidence: c.evidence.filter(|e| !e.trim().is_empty()),
            line,
        });
    }
    Ok(Sidecar {
        license: raw.license.unwrap_or_default(),
        components: out,
    })
}

/// Reads `dir/modelvet.yaml` if there is one; errors name the file's full path and line.
pub fn read_sidecar(dir: &std::path::Path) -> Result<Option<Sidecar>, OpennessError> {
    let path = dir.join(FILE_NAME);
    if !path.is_file() {
        return Ok(None);
    }
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(&path).map_err(|source| OpennessError::Io {
        path: shown.clone(),
        source,
    })?;
    match parse_sidecar(&text) {
        Ok(s) => Ok(Some(s)),
        Err(OpennessError::Sidecar { line, message, .. }) => Err(OpennessError::Sidecar {
            path: shown,
            line,
            message,
        }),
        Err(e) => Err(e),
    }
}

/// The sidecar of a catalogue record: the folder's `modelvet.yaml` for a local model folder that
/// is still there; none for single weights files, Hub and MOF models.
pub fn sidecar_for_record(
    record: &crate::record::ModelRecord,
) -> Result<Option<Sidecar>, OpennessError> {
    if record.source.kind != crate::record::SourceKind::Local {
        return Ok(None);
    }
    // A single weights file is a model of one file: the folder it sits in is not its release.
    let root = std::path::Path::new(&record.source.location);
    if root.is_dir() {
        read_sidecar(root)
    } else {
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "\
version: 1
license:
  distribution: Apache-2.0
  code: MIT
components:
  - name: Training code
    evidence: https://github.com/example/train
  - name: Datasets
    included: false
  - name: Research paper
    license: CC-BY-4.0
  - name: Data card
    license: unlicensed
";

    #[test]
    fn parses_declarations() {
        let s = parse_sidecar(TEXT).unwrap();
        assert_eq!(s.license.distribution.as_deref(), Some("Apache-2.0"));
        assert_eq!(s.license.code.as_deref(), Some("MIT"));
        let tc = s.component(7).unwrap();
        assert!(tc.included);
        assert_eq!(tc.license, None);
        assert_eq!(tc.line, 6);
        assert!(!s.component(15).unwrap().included);
        assert_eq!(
            s.component(21).unwrap().license,
            Some(Some("CC-BY-4.0".into()))
        );
        assert_eq!(s.component(14).unwrap().license, Some(None));
    }

    #[test]
    fn unknown_keys_and_names_point_at_the_line() {
        let e =
            parse_sidecar(&TEXT.replace("    included: false", "    include: false")).unwrap_err();
        let OpennessError::Sidecar { line, message, .. } = e else {
            panic!("{e}")
        };
        assert_eq!(line, 9, "{message}");
        assert!(message.contains("include"), "{message}");

        let e = parse_sidecar(&TEXT.replace("- name: Datasets", "- name: datasets")).unwrap_err();
        let OpennessError::Sidecar { line, message, .. } = e else {
            panic!("{e}")
        };
        assert_eq!(line, 8);
        assert!(message.contains("did you mean `Datasets`"), "{message}");

        let e = parse_sidecar(&format!("{TEXT}  - name: Training code\n")).unwrap_err();
        let OpennessError::Sidecar { line, message, .. } = e else {
            panic!("{e}")
        };
        assert_eq!(line, 14);
        assert!(message.contains("first at line 6"), "{message}");

        let e = parse_sidecar("version: 2\n").unwrap_err();
        assert!(e.to_string().contains("line 1"), "{e}");
        let e =
            parse_sidecar("components:\n  - name: Datasets\n    included: maybe\n").unwrap_err();
        let OpennessError::Sidecar { line, .. } = e else {
            panic!("{e}")
        };
        assert_eq!(line, 3);
    }
}
