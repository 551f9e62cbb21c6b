//! Model Openness Tool model entries: the YAML the MOT keeps one of per model (`models/*.yml`,
//! schema in shared/reference/openness.md §2.4), read into typed structs with every problem
//! pointing at its line, turned into our component records, and written back.

use super::components::{self, COMPONENTS, ContentType};
use super::licenses::UNLICENSED;
use super::{source, status};
use crate::record::ComponentRecord;
use serde::{Deserialize, Deserializer};
use serde_saphyr::Spanned;
use std::collections::HashMap;

/// The only framework name the MOT accepts.
pub const FRAMEWORK_NAME: &str = "Model Openness Framework";
/// The framework version and date every MOT entry pins.
pub const FRAMEWORK_VERSION: &str = "1.0";
/// See [`FRAMEWORK_VERSION`].
pub const FRAMEWORK_DATE: &str = "2024-12-15";

/// Why a MOT model entry could not be read; `line` is 1-based (0 when unknown).
#[derive(Debug, thiserror::Error)]
pub enum MotError {
    /// Not YAML, or a value of the wrong type, or an unknown key.
    #[error("line {line}: {message}")]
    Syntax { line: u32, message: String },
    /// A required key is absent or empty.
    #[error("line {line}: {what} is missing")]
    Missing { line: u32, what: &'static str },
    /// `framework.name` is not the Model Openness Framework.
    #[error("line {line}: framework `{found}` is not supported (expected `{FRAMEWORK_NAME}`)")]
    Framework { line: u32, found: String },
    /// A component name that is not one of the 17 MOF names.
    #[error("line {line}: unknown component `{name}`{hint}")]
    UnknownComponent {
        line: u32,
        name: String,
        hint: String,
    },
    /// The same component listed twice.
    #[error("line {line}: component `{name}` is listed twice (first at line {first})")]
    DuplicateComponent { line: u32, name: String, first: u32 },
}

impl MotError {
    /// The 1-based line the error points at (0 when unknown).
    pub fn line(&self) -> u32 {
        match self {
            MotError::Syntax { line, .. }
            | MotError::Missing { line, .. }
            | MotError::Framework { line, .. }
            | MotError::UnknownComponent { line, .. }
            | MotError::DuplicateComponent { line, .. } => *line,
        }
    }
}

/// A release license default: `{name, path}`, either possibly null or empty.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LicenseDefault {
    /// The license as written (the MOT expects an SPDX id).
    #[serde(default, deserialize_with = "scalar_opt")]
    pub name: Option<String>,
    /// Where the license text is.
    #[serde(default, deserialize_with = "scalar_opt")]
    pub path: Option<String>,
}

impl LicenseDefault {
    pub fn name(&self) -> Option<&str> {
        self.name
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
    }
}

/// `release.license`: the defaults components inherit (type-specific first, then distribution).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReleaseLicenses {
    /// Applies to every component without a license of its own or of its type.
    #[serde(default)]
    pub distribution: Option<LicenseDefault>,
    /// Default for code components.
    #[serde(default)]
    pub code: Option<LicenseDefault>,
    /// Default for data components (weights included).
    #[serde(default)]
    pub data: Option<LicenseDefault>,
    /// Default for documents.
    #[serde(default)]
    pub document: Option<LicenseDefault>,
}

impl ReleaseLicenses {
    fn of_type(&self, t: ContentType) -> Option<&LicenseDefault> {
        match t {
            ContentType::Code => self.code.as_ref(),
            ContentType::Data => self.data.as_ref(),
            ContentType::Document => self.document.as_ref(),
        }
    }

    /// The license a component of type `t` without its own inherits, and which default it came from.
    pub fn inherited(&self, t: ContentType) -> Option<(&str, &'static str, Option<&str>)> {
        if let Some(d) = self.of_type(t)
            && let Some(name) = d.name()
        {
            return Some((name, t.as_str(), d.path.as_deref()));
        }
        let d = self.distribution.as_ref()?;
        Some((d.name()?, source::DISTRIBUTION, d.path.as_deref()))
    }
}

/// One listed component of a MOT entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MotComponent {
    /// The MOF component id.
    pub id: u32,
    /// The entry's description, as written.
    pub description: Option<String>,
    /// `None`: the key is absent (inherit); `Some(None)`: present but empty or `unlicensed`.
    pub license: Option<Option<String>>,
    /// Where the component's license text is.
    pub license_path: Option<String>,
    /// Where the component is.
    pub component_path: Option<String>,
    /// Line of the component's `name` key.
    pub line: u32,
}

/// `framework`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Framework {
    /// Always [`FRAMEWORK_NAME`].
    pub name: String,
    /// The framework version (`1.0`).
    pub version: Option<String>,
    /// The framework date (`2024-12-15`).
    pub date: Option<String>,
}

/// A parsed MOT model entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MotModel {
    /// `framework`.
    pub framework: Framework,
    /// `release.name`.
    pub name: String,
    /// `release.version`, if not empty.
    pub version: Option<String>,
    /// `release.date`, if not empty.
    pub date: Option<String>,
    /// `release.license`: the defaults components inherit.
    pub license: ReleaseLicenses,
    /// Descriptive release fields as written (`type`, `architecture`, `producer`, `repository`…).
    pub fields: Vec<(String, String)>,
    /// The listed components, in file order.
    pub components: Vec<MotComponent>,
}

// --- raw serde shapes, with spans where an error must point at a line ---

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    framework: Option<Spanned<RawFramework>>,
    release: Option<Spanned<RawRelease>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFramework {
    #[serde(default)]
    name: Option<Spanned<String>>,
    #[serde(default, deserialize_with = "scalar_opt")]
    version: Option<String>,
    #[serde(default, deserialize_with = "scalar_opt")]
    date: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRelease {
    #[serde(default)]
    name: Option<Spanned<Option<String>>>,
    #[serde(default, deserialize_with = "scalar_opt")]
    version: Option<String>,
    #[serde(default, deserialize_with = "scalar_opt")]
    date: Option<String>,
    #[serde(default)]
    license: Option<ReleaseLicenses>,
    #[serde(default, rename = "type", deserialize_with = "scalar_opt")]
    type_: Option<String>,
    #[serde(default, deserialize_with = "scalar_opt")]
    architecture: Option<String>,
    #[serde(default, deserialize_with = "scalar_opt")]
    treatment: Option<String>,
    #[serde(default, deserialize_with = "scalar_opt")]
    origin: Option<String>,
    #[serde(default, deserialize_with = "scalar_opt")]
    producer: Option<String>,
    #[serde(default, deserialize_with = "scalar_opt")]
    contact: Option<String>,
    #[serde(default, deserialize_with = "scalar_opt")]
    repository: Option<String>,
    #[serde(default, deserialize_with = "scalar_opt")]
    huggingface: Option<String>,
    #[serde(default)]
    components: Option<Vec<Spanned<RawComponent>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawComponent {
    name: Option<Spanned<String>>,
    #[serde(default, deserialize_with = "scalar_opt")]
    description: Option<String>,
    #[serde(default, deserialize_with = "present")]
    license: Option<Option<String>>,
    #[serde(default, deserialize_with = "scalar_opt")]
    license_path: Option<String>,
    #[serde(default, deserialize_with = "scalar_opt")]
    component_path: Option<String>,
}

/// A scalar (string, number or bool: MOT files write `version: 7` as well as `'7B'`) as a string.
struct Scalar(String);

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Scalar;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

fn scalar_opt<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(Option::<Scalar>::deserialize(d)?.map(|s| s.0))
}

/// Keeps "key present with null" apart from "key absent" (the MOT inherits only when absent).
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Ok(Some(scalar_opt(d)?))
}

fn line_of<T>(s: &Spanned<T>) -> u32 {
    s.referenced.line() as u32
}

/// Parses a MOT model entry.
pub fn parse(text: &str) -> Result<MotModel, MotError> {
    let raw: RawFile = serde_saphyr::from_str(text).map_err(|e| {
        let (line, message) = super::yaml_error_parts(&e);
        MotError::Syntax { line, message }
    })?;
    let framework = raw.framework.ok_or(MotError::Missing {
        line: 1,
        what: "`framework`",
    })?;
    let fw_line = line_of(&framework);
    let fw = framework.value;
    let fw_name = fw.name.ok_or(MotError::Missing {
        line: fw_line,
        what: "`framework.name`",
    })?;
    if fw_name.value != FRAMEWORK_NAME {
        return Err(MotError::Framework {
            line: line_of(&fw_name),
            found: fw_name.value,
        });
    }
    let release = raw.release.ok_or(MotError::Missing {
        line: 1,
        what: "`release`",
    })?;
    let rel_line = line_of(&release);
    let rel = release.value;
    let name = match rel.name {
        Some(n) => match n.value.as_deref().map(str::trim) {
            Some(s) if !s.is_empty() => s.to_string(),
            _ => {
                return Err(MotError::Missing {
                    line: line_of(&n),
                    what: "`release.name`",
                });
            }
        },
        None => {
            return Err(MotError::Missing {
                line: rel_line,
                what: "`release.name`",
            });
        }
    };
    let mut seen: HashMap<u32, u32> = HashMap::new();
    let mut comps = Vec::new();
    for item in rel.components.unwrap_or_default() {
        let item_line = line_of(&item);
        let c = item.value;
        let Some(cname) = c.name else {
            return Err(MotError::Missing {
                line: item_line,
                what: "component `name`",
            });
        };
        let line = line_of(&cname);
        let Some(def) = components::by_name(&cname.value) else {
            let hint = components::suggest(&cname.value)
                .map(|s| format!(" (did you mean `{}`?)", s.name))
                .unwrap_or_else(|| {
                    " (the 17 MOF component names must be written exactly)".to_string()
                });
            return Err(MotError::UnknownComponent {
                line,
                name: cname.value,
                hint,
            });
        };
        if let Some(first) = seen.insert(def.id, line) {
            return Err(MotError::DuplicateComponent {
                line,
                name: def.name.to_string(),
                first,
            });
        }
        comps.push(MotComponent {
            id: def.id,
            description: c.description,
            license: c.license,
            license_path: c.license_path.filter(|s| !s.trim().is_empty()),
            component_path: c.component_path.filter(|s| !s.trim().is_empty()),
            line,
        });
    }
    let mut fields = Vec::new();
    for (k, v) in [
        ("type", rel.type_),
        ("architecture", rel.architecture),
        ("treatment", rel.treatment),
        ("origin", rel.origin),
        ("producer", rel.producer),
        ("contact", rel.contact),
        ("repository", rel.repository),
        ("huggingface", rel.huggingface),
    ] {
        if let Some(v) = v.filter(|v| !v.is_empty()) {
            fields.push((k.to_string(), v));
        }
    }
    Ok(MotModel {
        framework: Framework {
            name: fw_name.value,
            version: fw.version,
            date: fw.date,
        },
        name,
        version: rel.version.filter(|v| !v.is_empty()),
        date: rel.date.filter(|v| !v.is_empty()),
        license: rel.license.unwrap_or_default(),
        fields,
        components: comps,
    })
}

impl MotModel {
    /// `release.name`: the model's name in the MOT.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// `release.version`, if set.
    pub fn version(&self) -> Option<&str> {
        self.version.as_deref()
    }

    /// All 17 components: listed ones `included` with their license resolved as the MOT does
    /// (own `license` key, else the release default for its content type, else the distribution
    /// license), unlisted ones `not_included`.
    pub fn components(&self) -> Vec<ComponentRecord> {
        COMPONENTS
            .iter()
            .map(|def| {
                let Some(c) = self.components.iter().find(|c| c.id == def.id) else {
                    return ComponentRecord {
                        id: def.id,
                        name: def.name.to_string(),
                        status: status::NOT_INCLUDED,
                        license: None,
                        license_source: None,
                        evidence: None,
                    };
                };
                let (license, license_source) = match &c.license {
                    Some(own) => {
                        let v = own
                            .as_deref()
                            .map(str::trim)
                            .filter(|s| !s.is_empty() && *s != UNLICENSED);
                        (v.map(str::to_string), Some(source::EXPLICIT.to_string()))
                    }
                    None => match self.license.inherited(def.content_type) {
                        Some((l, src, _)) => (Some(l.to_string()), Some(src.to_string())),
                        None => (None, None),
                    },
                };
                ComponentRecord {
                    id: def.id,
                    name: def.name.to_string(),
                    status: status::INCLUDED,
                    license,
                    license_source,
                    evidence: c.component_path.clone().or_else(|| c.license_path.clone()),
                }
            })
            .collect()
    }

    /// The release fields as JSON (for the catalogue's source metadata).
    pub fn metadata(&self) -> serde_json::Value {
        let mut m = serde_json::Map::new();
        m.insert("name".into(), self.name.clone().into());
        if let Some(v) = &self.version {
            m.insert("version".into(), v.clone().into());
        }
        if let Some(v) = &self.date {
            m.insert("date".into(), v.clone().into());
        }
        for (k, v) in &self.fields {
            m.insert(k.clone(), v.clone().into());
        }
        let mut lic = serde_json::Map::new();
        for (k, d) in [
            ("distribution", &self.license.distribution),
            ("code", &self.license.code),
            ("data", &self.license.data),
            ("document", &self.license.document),
        ] {
            if let Some(d) = d {
                lic.insert(
                    k.into(),
                    serde_json::json!({"name": d.name, "path": d.path}),
                );
            }
        }
        m.insert("license".into(), lic.into());
        serde_json::Value::Object(m)
    }
}

/// A YAML double-quoted scalar (JSON string syntax is valid YAML).
fn q(s: &str) -> String {
    serde_json::to_string(s).expect("strings serialize")
}

/// Writes a MOT model entry for `components`. Inherited licenses become release defaults again
/// (so a parsed entry round-trips); `unknown` components are left out, as the MOT has no such state.
pub fn to_yaml(name: &str, version: Option<&str>, components: &[ComponentRecord]) -> String {
    // Rebuild the release defaults from the inherited licenses.
    let mut defaults: Vec<(&str, String)> = Vec::new();
    for key in ["distribution", "code", "data", "document"] {
        if let Some(l) = components.iter().find_map(|c| {
            (c.status == status::INCLUDED && c.license_source.as_deref() == Some(key))
                .then(|| c.license.clone())
                .flatten()
        }) {
            defaults.push((key, l));
        }
    }
    let resolve = |t: ContentType| -> Option<(&str, &str)> {
        let get = |k: &str| {
            defaults
                .iter()
                .find(|(d, _)| *d == k)
                .map(|(_, l)| l.as_str())
        };
        get(t.as_str())
            .map(|l| (l, t.as_str()))
            .or_else(|| get("distribution").map(|l| (l, "distribution")))
    };
    let mut out = String::new();
    out.push_str("framework:\n");
    out.push_str(&format!("  name: {}\n", q(FRAMEWORK_NAME)));
    out.push_str(&format!("  version: {}\n", q(FRAMEWORK_VERSION)));
    out.push_str(&format!("  date: {}\n", q(FRAMEWORK_DATE)));
    out.push_str("release:\n");
    out.push_str(&format!("  name: {}\n", q(name)));
    out.push_str(&format!("  version: {}\n", q(version.unwrap_or(""))));
    if defaults.is_empty() {
        out.push_str("  license: {}\n");
    } else {
        out.push_str("  license:\n");
        for (k, l) in &defaults {
            out.push_str(&format!("    {k}:\n      name: {}\n", q(l)));
        }
    }
    out.push_str("  components:\n");
    for def in COMPONENTS.iter() {
        let Some(c) = components
            .iter()
            .find(|c| c.id == def.id && c.status == status::INCLUDED)
        else {
            continue;
        };
        out.push_str(&format!("    - name: {}\n", q(def.name)));
        out.push_str(&format!("      description: {}\n", q(def.description)));
        let inherited = resolve(def.content_type);
        let consistent = match (&c.license, c.license_source.as_deref(), inherited) {
            (Some(l), Some(src), Some((il, isrc))) => {
                src != source::EXPLICIT && l == il && src == isrc
            }
            (None, None, None) => true,
            _ => false,
        };
        if !consistent {
            let l = c.license.as_deref().unwrap_or(UNLICENSED);
            out.push_str(&format!("      license: {}\n", q(l)));
        }
        if let Some(e) = &c.evidence {
            out.push_str(&format!("      component_path: {}\n", q(e)));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "\
framework:
  name: 'Model Openness Framework'
  version: '1.0'
  date: '2024-12-15'
release:
  name: Demo-7B
  version: 7
  date: '2024-06-13'
  type: language
  producer: Example
  license:
    distribution:
      name: Apache-2.0
      path: https://example.org/LICENSE
    document:
      name: CC-BY-4.0
      path:
  components:
    - name: 'Model architecture'
      description: arch
    - name: 'Model parameters (Final)'
      component_path: https://example.org/weights
    - name: 'Research paper'
      license: unlicensed
    - name: 'Datasets'
      license: MIT
    - name: 'Data card'
      license:
";

    #[test]
    fn parses_and_inherits_like_the_mot() {
        let m = parse(SAMPLE).unwrap();
        assert_eq!(m.name(), "Demo-7B");
        assert_eq!(m.version(), Some("7"));
        let cs = m.components();
        assert_eq!(cs.len(), 17);
        let get = |id: u32| cs.iter().find(|c| c.id == id).unwrap();
        assert_eq!(get(9).license.as_deref(), Some("Apache-2.0"));
        assert_eq!(get(9).license_source.as_deref(), Some("distribution"));
        assert_eq!(
            get(10).evidence.as_deref(),
            Some("https://example.org/weights")
        );
        // Explicit `unlicensed` does not inherit the document default.
        assert_eq!(get(21).license, None);
        assert_eq!(get(21).license_source.as_deref(), Some("explicit"));
        // An empty `license:` key is explicit too (the MOT stores '' and never inherits).
        assert_eq!(get(14).license, None);
        assert_eq!(get(14).license_source.as_deref(), Some("explicit"));
        assert_eq!(get(15).license.as_deref(), Some("MIT"));
        assert_eq!(get(15).license_source.as_deref(), Some("explicit"));
        assert_eq!(get(11).status, "not_included");
        assert_eq!(get(13).status, "not_included");
    }

    #[test]
    fn type_default_wins_over_distribution() {
        let y = SAMPLE.replace(
            "    - name: 'Datasets'\n      license: MIT\n",
            "    - name: 'Model card'\n",
        );
        let m = parse(&y).unwrap();
        let mc = m.components().into_iter().find(|c| c.id == 13).unwrap();
        assert_eq!(mc.license.as_deref(), Some("CC-BY-4.0"));
        assert_eq!(mc.license_source.as_deref(), Some("document"));
    }

    #[test]
    fn round_trips_through_to_yaml() {
        let m = parse(SAMPLE).unwrap();
        let cs = m.components();
        let y = to_yaml(m.name(), m.version(), &cs);
        let back = parse(&y).unwrap_or_else(|e| panic!("{e}\n{y}"));
        assert_eq!(back.name(), "Demo-7B");
        assert_eq!(back.version(), Some("7"));
        let cs2 = back.components();
        assert_eq!(cs, cs2, "\n{y}");
    }

    #[test]
    fn unknown_component_points_at_its_line_with_a_hint() {
        let y = SAMPLE.replace("'Datasets'", "'datasets'");
        let e = parse(&y).unwrap_err();
        assert_eq!(e.line(), 25, "{e}");
        assert!(e.to_string().contains("did you mean `Datasets`"), "{e}");
        let y = SAMPLE.replace("'Datasets'", "'Weights'");
        let e = parse(&y).unwrap_err();
        assert!(matches!(e, MotError::UnknownComponent { .. }), "{e}");
    }

    #[test]
    fn duplicate_component_names_both_lines() {
        let y = format!("{SAMPLE}    - name: 'Model architecture'\n");
        let e = parse(&y).unwrap_err();
        assert_eq!(e.line(), 29, "{e}");
        assert!(e.to_string().contains("first at line 19"), "{e}");
    }

    #[test]
    fn ingested_revision_records_components_and_claims() {
        let ing =
            crate::ingest::ingest_mof(std::path::Path::new("/nonexistent/demo.yml"), SAMPLE, None)
                .unwrap();
        assert_eq!(ing.name, "Demo-7B");
        assert_eq!(ing.source.kind, "mof");
        assert_eq!(ing.revision.len(), 12);
        assert_eq!(ing.files.len(), 1);
        assert_eq!(ing.components.len(), 17);
        let claims: Vec<(&str, &str)> = ing
            .license_claims
            .iter()
            .map(|c| (c.value.as_str(), c.from.as_str()))
            .collect();
        assert_eq!(
            claims,
            vec![("Apache-2.0", "mof:release.license.distribution")]
        );
        assert_eq!(ing.metadata.unwrap()["producer"], "Example");
        let spaced = SAMPLE.replace("name: Demo-7B", "name: 'Demo 7B@x'");
        assert_eq!(
            crate::ingest::ingest_mof(std::path::Path::new("d.yml"), &spaced, None)
                .unwrap()
                .name,
            "Demo-7B-x"
        );
    }

    #[test]
    fn missing_or_empty_release_name() {
        let e = parse(&SAMPLE.replace("  name: Demo-7B\n", "")).unwrap_err();
        assert!(
            matches!(
                e,
                MotError::Missing {
                    what: "`release.name`",
                    ..
                }
            ),
            "{e}"
        );
        assert_eq!(e.line(), 6);
        let e = parse(&SAMPLE.replace("name: Demo-7B", "name: ''")).unwrap_err();
        assert!(e.to_string().contains("`release.name` is missing"), "{e}");
        assert_eq!(e.line(), 6);
    }

    #[test]
    fn other_framework_is_rejected() {
        let e = parse(&SAMPLE.replace("'Model Openness Framework'", "'OSAID'")).unwrap_err();
        assert!(matches!(e, MotError::Framework { line: 2, .. }), "{e}");
    }

    #[test]
    fn wrong_types_and_unknown_keys_point_at_lines() {
        let e = parse(&SAMPLE.replace("  components:\n", "  components: 5\n  x:\n")).unwrap_err();
        assert!(matches!(e, MotError::Syntax { .. }), "{e}");
        assert!(e.line() > 0, "{e}");
        let e = parse(&SAMPLE.replace("      description: arch\n", "      descripton: arch\n"))
            .unwrap_err();
        assert!(matches!(e, MotError::Syntax { line: 20, .. }), "{e}");
        let e =
            parse(&SAMPLE.replace("    - name: 'Datasets'\n", "    - name: [a, b]\n")).unwrap_err();
        assert!(matches!(e, MotError::Syntax { .. }), "{e}");
        assert!(parse("release: [").is_err());
    }
}
