//! The license knowledge base: `licenses/*.yaml`, one file per license, embedded at compile time.
//!
//! Each file is parsed into [`LicenseTerms`] with unknown keys rejected; the list of files below is
//! kept in step with the folder by a test.

use super::LicenseError;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::OnceLock;

/// Declares the embedded files: `(file stem, contents)`.
macro_rules! entries {
    ($($id:literal),* $(,)?) => {
        &[$(($id, include_str!(concat!("../../licenses/", $id, ".yaml")))),*]
    };
}

/// Every file of `licenses/`, by id (= file stem).
pub(crate) const FILES: &[(&str, &str)] = entries![
    // SPDX licenses models and data sets ship under.
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
    "GPL-2.0-or-later",
    "GPL-3.0-only",
    "GPL-3.0-or-later",
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
    // Model-specific licenses (not on the SPDX list).
    "LicenseRef-Apple-AMLR",
    "LicenseRef-Baichuan-2-Community",
    "LicenseRef-BigCode-OpenRAIL-M-1.0",
    "LicenseRef-BigScience-BLOOM-RAIL-1.0",
    "LicenseRef-BigScience-OpenRAIL-M",
    "LicenseRef-ChatGLM3-6B",
    "LicenseRef-Cohere-C4AI-AUP",
    "LicenseRef-CreativeML-OpenRAIL-M",
    "LicenseRef-CreativeML-OpenRAIL-PP-M",
    "LicenseRef-Databricks-Open-Model",
    "LicenseRef-DeepSeek-License-1.0",
    "LicenseRef-EXAONE-AI-Model-1.1-NC",
    "LicenseRef-FLUX-1-dev-NC",
    "LicenseRef-Gemma-Terms-of-Use",
    "LicenseRef-Grok-2-Community",
    "LicenseRef-Jamba-Open-Model",
    "LicenseRef-LLaMA-1-Research",
    "LicenseRef-Llama-2-AUP",
    "LicenseRef-Llama-2-Community",
    "LicenseRef-Llama-3-AUP",
    "LicenseRef-Llama-3-Community",
    "LicenseRef-Llama-3.1-AUP",
    "LicenseRef-Llama-3.1-Community",
    "LicenseRef-Llama-3.2-AUP",
    "LicenseRef-Llama-3.2-Community",
    "LicenseRef-Llama-3.3-AUP",
    "LicenseRef-Llama-3.3-Community",
    "LicenseRef-Llama-4-AUP",
    "LicenseRef-Llama-4-Community",
    "LicenseRef-Microsoft-Research-License",
    "LicenseRef-Mistral-MNPL-0.1",
    "LicenseRef-Mistral-MRL-0.1",
    "LicenseRef-Moonshot-Modified-MIT",
    "LicenseRef-NVIDIA-Open-Model",
    "LicenseRef-OpenMDW-1.1",
    "LicenseRef-Qwen-2024",
    "LicenseRef-Qwen-Research-2024",
    "LicenseRef-Stability-AI-Community-2024",
    "LicenseRef-Stability-AI-NC-Research-Community",
    "LicenseRef-TII-Falcon-180B-1.0",
    "LicenseRef-TII-Falcon-2-11B-1.0",
    "LicenseRef-TII-Falcon-2.0",
    "LicenseRef-Tencent-Hunyuan-Community",
    "LicenseRef-Tencent-Hunyuan-DiT-2024-05-14",
    "LicenseRef-Tencent-Hunyuan3D-2.1-Community",
    "LicenseRef-Tongyi-Qianwen-2023",
    "LicenseRef-Tongyi-Qianwen-Research-2023",
    "LicenseRef-Yi-1.0",
    "LicenseRef-Yi-Community-2.1",
];

/// How well an entry's facts have been checked against the canonical text (the reference's marks).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verification {
    /// Read in the license text (✔).
    Verified,
    /// From secondary sources (◐).
    SecondHand,
    /// Not checked (?).
    Unchecked,
}

/// Whether an entry is a license proper or a document that rides along with one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    #[default]
    License,
    /// An acceptable-use policy, usually incorporated by reference into a license.
    UsePolicy,
    /// Extra terms appended to another license (e.g. an acceptable-use addendum to CC-BY-NC-4.0).
    Addendum,
}

/// May a for-profit team use it in production?
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Commercial {
    Yes,
    No,
    /// Yes, subject to thresholds or other conditions.
    Conditional,
    /// Not established.
    Unknown,
}

/// What the license allows for adaptations (fine-tunes, merges, quantizations).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Derivatives {
    #[default]
    Allowed,
    /// Adaptations may not be shared (CC *-ND).
    NotAllowed,
    /// Adaptations must carry the same license (copyleft, share-alike).
    SameLicense,
}

/// What a threshold counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    MonthlyActiveUsers,
    AnnualRevenueUsd,
    MonthlyRevenueUsd,
}

/// Where the boundary lies: "more than N" lets exactly N pass, "at least N" does not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Comparator {
    MoreThan,
    AtLeast,
}

/// What happens once a threshold is crossed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ThresholdEffect {
    /// A separate license must be requested; the licensor may refuse.
    RequestLicense,
    /// The license ends.
    Terminates,
    /// The model's name must be displayed prominently.
    DisplayName,
}

/// A size limit on the licensee (users, revenue) with its boundary and effect.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Threshold {
    pub metric: Metric,
    pub comparator: Comparator,
    pub amount: u64,
    pub effect: ThresholdEffect,
    /// When it is measured ("on the version release date, preceding calendar month").
    #[serde(default)]
    pub measured: Option<String>,
    /// Whether affiliates count towards it.
    #[serde(default)]
    pub aggregates_affiliates: bool,
}

impl Threshold {
    /// Whether `value` crosses the threshold (respecting the boundary).
    pub fn exceeded_by(&self, value: u64) -> bool {
        match self.comparator {
            Comparator::MoreThan => value > self.amount,
            Comparator::AtLeast => value >= self.amount,
        }
    }
}

/// An acceptable-use policy or inline use restrictions.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UsePolicy {
    /// The policy is part of the license (by reference or as an attachment).
    pub incorporated: bool,
    #[serde(default)]
    pub url: Option<String>,
    /// The licensor may change it after the fact.
    #[serde(default)]
    pub updatable_by_licensor: bool,
    /// Normalised categories of prohibited uses (military, weapons, surveillance…).
    #[serde(default)]
    pub categories: Vec<String>,
}

/// Attribution and notice duties.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Attribution {
    /// A copy of the license must go to recipients.
    #[serde(default)]
    pub copy_of_license: bool,
    /// Copyright and license notices must be kept.
    #[serde(default)]
    pub retain_notices: bool,
    /// Modified files must say so.
    #[serde(default)]
    pub modified_file_notices: bool,
    /// The exact string a "Notice" file must carry.
    #[serde(default)]
    pub notice: Option<String>,
    /// The exact string to display on products ("Built with Llama").
    #[serde(default)]
    pub display: Option<String>,
    /// Where users must register before commercial use.
    #[serde(default)]
    pub registration_url: Option<String>,
}

/// What triggers a naming rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NamingTrigger {
    /// Models built with the licensed materials.
    Materials,
    /// Models built with the materials or with their outputs.
    MaterialsOrOutputs,
}

/// A rule for naming derivative models.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Naming {
    /// The distributed model's name must begin with this.
    pub prefix: String,
    pub trigger: NamingTrigger,
}

/// Limits on using the model's outputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutputTraining {
    #[default]
    None,
    /// Outputs may not be used to improve any other large language model.
    NoImproveOtherLlm,
    /// Outputs may not be used to train other foundation or general-purpose models.
    NoTrainOtherModels,
    /// Allowed, but a display or naming duty follows.
    DisplayIfUsed,
    /// Not established.
    Unknown,
}

/// What the license says about outputs.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Outputs {
    #[serde(default)]
    pub training_restriction: OutputTraining,
    /// Models distilled from outputs count as derivatives and inherit the terms.
    #[serde(default)]
    pub distillation_is_derivative: bool,
}

/// Where the grant does not reach.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Territory {
    /// ISO 3166-1 alpha-2 codes, or `EU`.
    #[serde(default)]
    pub excluded: Vec<String>,
    /// A condition on the exclusion ("multimodal models only").
    #[serde(default)]
    pub scope: Option<String>,
    /// End users of products built on the model are not affected.
    #[serde(default)]
    pub end_user_exempt: bool,
}

/// Duties passed on to recipients of the model and its derivatives.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlowDown {
    /// Use restrictions must be included as enforceable provisions in downstream agreements.
    #[serde(default)]
    pub use_restrictions_enforceable: bool,
    /// Derivatives must be distributed under the same license.
    #[serde(default)]
    pub same_license: bool,
}

/// Powers the licensor keeps over users.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LicensorControls {
    /// May restrict usage remotely or otherwise.
    #[serde(default)]
    pub remote_restriction: bool,
    /// Users must make reasonable efforts to use the latest version.
    #[serde(default)]
    pub must_use_latest: bool,
    /// Bypassing safety guardrails terminates the license.
    #[serde(default)]
    pub guardrail_bypass_terminates: bool,
    /// Offering the model as a hosted service needs a separate license.
    #[serde(default)]
    pub hosting_requires_separate_license: bool,
}

/// Other names a license goes by.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Aliases {
    /// Hugging Face `license:` ids.
    #[serde(default)]
    pub hf_ids: Vec<String>,
    /// Free names seen in `license_name` and elsewhere.
    #[serde(default)]
    pub names: Vec<String>,
    /// ScanCode license keys.
    #[serde(default)]
    pub scancode: Vec<String>,
}

/// Distinguishing lines that identify the text (model-specific licenses only).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Detection {
    /// Title lines: one must appear.
    #[serde(default)]
    pub titles: Vec<String>,
    /// Version or date lines: where listed, one must appear beside the title for a full match.
    #[serde(default)]
    pub lines: Vec<String>,
    /// SPDX licenses only: phrases that make the license a candidate, which its SPDX text must
    /// then confirm by similarity (a fast path before the full SPDX store).
    #[serde(default)]
    pub phrases: Vec<String>,
}

/// One knowledge-base entry: a license and its structured terms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LicenseTerms {
    /// SPDX id, or `LicenseRef-…` for licenses not on the SPDX list.
    pub id: String,
    pub name: String,
    /// Canonical URL of the text.
    pub url: String,
    #[serde(default)]
    pub other_urls: Vec<String>,
    #[serde(default)]
    pub version: Option<String>,
    /// Release, effective or last-modified date of this version.
    #[serde(default)]
    pub date: Option<String>,
    #[serde(default)]
    pub steward: Option<String>,
    /// permissive, copyleft, cc, cc-nc, data, llama-community, openrail, research-only…
    pub family: String,
    #[serde(default)]
    pub kind: EntryKind,
    /// For use policies and addenda: the licenses that incorporate this document.
    #[serde(default)]
    pub part_of: Vec<String>,
    pub verification: Verification,
    #[serde(default)]
    pub aliases: Aliases,
    #[serde(default)]
    pub detection: Detection,
    pub commercial: Commercial,
    #[serde(default)]
    pub commercial_note: Option<String>,
    #[serde(default)]
    pub derivatives: Derivatives,
    #[serde(default)]
    pub thresholds: Vec<Threshold>,
    #[serde(default)]
    pub use_policy: Option<UsePolicy>,
    #[serde(default)]
    pub attribution: Attribution,
    #[serde(default)]
    pub derivative_naming: Option<Naming>,
    #[serde(default)]
    pub outputs: Outputs,
    #[serde(default)]
    pub territory: Territory,
    #[serde(default)]
    pub flow_down: FlowDown,
    #[serde(default)]
    pub licensor_controls: LicensorControls,
    #[serde(default)]
    pub patent_grant: Option<bool>,
    /// On the OSI's list of approved licenses (agrees with the SPDX list's flag).
    pub osi_approved: bool,
    /// Whether the terms could meet the Open Source Definition.
    pub osd_conformant: bool,
    /// Why (OSD clauses failed, OSI statements).
    #[serde(default)]
    pub osd_reasons: Vec<String>,
    #[serde(default)]
    pub governing_law: Option<String>,
    #[serde(default)]
    pub notes: Option<String>,
}

/// The parsed knowledge base with its lookup indexes.
#[derive(Debug)]
pub struct KnowledgeBase {
    entries: Vec<LicenseTerms>,
    by_id: HashMap<String, usize>,
    by_alias: HashMap<String, usize>,
}

impl KnowledgeBase {
    /// Parses `(file stem, YAML)` pairs; a broken entry is an error naming the file and line.
    pub fn parse(files: &[(&str, &str)]) -> Result<KnowledgeBase, LicenseError> {
        let mut entries = Vec::with_capacity(files.len());
        for (stem, text) in files {
            let file = format!("licenses/{stem}.yaml");
            let terms: LicenseTerms =
                serde_saphyr::from_str(text).map_err(|e| LicenseError::KnowledgeBase {
                    file: file.clone(),
                    message: e.to_string(),
                })?;
            if terms.id != *stem {
                return Err(LicenseError::KnowledgeBase {
                    file,
                    message: format!("id `{}` does not match the file name", terms.id),
                });
            }
            entries.push(terms);
        }
        let mut by_id = HashMap::new();
        let mut by_alias = HashMap::new();
        for (i, t) in entries.iter().enumerate() {
            if by_id.insert(t.id.to_ascii_lowercase(), i).is_some() {
                return Err(LicenseError::KnowledgeBase {
                    file: format!("licenses/{}.yaml", t.id),
                    message: format!("duplicate id `{}`", t.id),
                });
            }
        }
        for (i, t) in entries.iter().enumerate() {
            let names = t
                .aliases
                .hf_ids
                .iter()
                .chain(&t.aliases.names)
                .map(|s| alias_key(s))
                .chain(std::iter::once(alias_key(&t.name)));
            for key in names {
                if let Some(prev) = by_alias.insert(key.clone(), i)
                    && prev != i
                {
                    return Err(LicenseError::KnowledgeBase {
                        file: format!("licenses/{}.yaml", t.id),
                        message: format!(
                            "alias `{key}` is also an alias of `{}`",
                            entries[prev].id
                        ),
                    });
                }
            }
        }
        Ok(KnowledgeBase {
            entries,
            by_id,
            by_alias,
        })
    }

    /// The entry with this id (SPDX ids and LicenseRefs case-insensitively).
    pub fn get(&self, id: &str) -> Option<&LicenseTerms> {
        self.by_id
            .get(&id.to_ascii_lowercase())
            .map(|&i| &self.entries[i])
    }

    /// The entry a Hub id, `license_name` or full name refers to.
    pub fn by_alias(&self, name: &str) -> Option<&LicenseTerms> {
        self.by_alias
            .get(&alias_key(name))
            .map(|&i| &self.entries[i])
    }

    /// The entry whose canonical or other URL is `url` (scheme and trailing slash ignored).
    pub fn by_url(&self, url: &str) -> Option<&LicenseTerms> {
        let key = url_key(url);
        if key.is_empty() {
            return None;
        }
        self.entries.iter().find(|t| {
            std::iter::once(&t.url)
                .chain(&t.other_urls)
                .any(|u| url_key(u) == key)
        })
    }

    /// All entries, in file-name order.
    pub fn iter(&self) -> impl Iterator<Item = &LicenseTerms> {
        self.entries.iter()
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// Aliases compare case-insensitively, ignoring spaces, `-`, `_` and a trailing "license".
pub(crate) fn alias_key(s: &str) -> String {
    s.to_lowercase()
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '_' | ',' | '"' | '\''))
        .collect()
}

fn url_key(u: &str) -> String {
    let u = u.trim();
    let u = u
        .strip_prefix("https://")
        .or_else(|| u.strip_prefix("http://"))
        .unwrap_or(u);
    let u = u.strip_prefix("www.").unwrap_or(u);
    u.trim_end_matches('/').to_lowercase()
}

/// The embedded knowledge base (parsed once).
pub fn kb() -> &'static KnowledgeBase {
    static KB: OnceLock<KnowledgeBase> = OnceLock::new();
    // The embedded files are checked by `tests::every_file_loads`; a failure here is a build defect.
    KB.get_or_init(|| KnowledgeBase::parse(FILES).expect("embedded licenses/*.yaml are valid"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn every_file_loads_and_ids_match_file_names() {
        let kb = KnowledgeBase::parse(FILES).unwrap_or_else(|e| panic!("{e}"));
        assert!(kb.len() >= 40, "only {} entries", kb.len());
        for t in kb.iter() {
            assert!(
                t.url.starts_with("https://") || t.url.starts_with("http://"),
                "{}: url `{}` is not a URL",
                t.id,
                t.url
            );
            assert!(!t.name.trim().is_empty(), "{}: empty name", t.id);
            if !t.osd_conformant {
                assert!(
                    !t.osd_reasons.is_empty(),
                    "{}: osd_conformant false without reasons",
                    t.id
                );
            }
        }
    }

    #[test]
    fn folder_and_embedded_list_agree() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/licenses");
        let on_disk: HashSet<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        let listed: HashSet<String> = FILES.iter().map(|(id, _)| format!("{id}.yaml")).collect();
        assert_eq!(on_disk, listed, "licenses/ and kb::FILES differ");
    }

    #[test]
    fn spdx_ids_are_real_and_osi_flags_agree_with_the_spdx_list() {
        for t in kb().iter() {
            if let Some(rest) = t.id.strip_prefix("LicenseRef-") {
                assert!(
                    rest.chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.'),
                    "{}: not a valid LicenseRef",
                    t.id
                );
                assert!(
                    !t.osi_approved,
                    "{}: a LicenseRef cannot be OSI-approved",
                    t.id
                );
                assert!(
                    spdx::license_id(rest).is_none(),
                    "{}: is on the SPDX list as `{rest}`; use the SPDX id",
                    t.id
                );
            } else {
                let id =
                    spdx::license_id(&t.id).unwrap_or_else(|| panic!("{}: not an SPDX id", t.id));
                assert!(!id.is_deprecated(), "{}: deprecated SPDX id", t.id);
                assert_eq!(id.name, t.id, "SPDX id spelling");
                assert_eq!(
                    id.is_osi_approved(),
                    t.osi_approved,
                    "{}: osi_approved disagrees with the SPDX list",
                    t.id
                );
                if t.osi_approved {
                    assert!(
                        t.osd_conformant,
                        "{}: OSI-approved implies OSD-conformant",
                        t.id
                    );
                }
            }
            for p in &t.part_of {
                assert!(kb().get(p).is_some(), "{}: part_of `{p}` unknown", t.id);
            }
            if t.kind == EntryKind::License {
                assert!(
                    t.part_of.is_empty(),
                    "{}: a license is part of nothing",
                    t.id
                );
            }
        }
    }

    #[test]
    fn hf_ids_from_the_reference_resolve() {
        for (hf, id) in [
            ("llama3.1", "LicenseRef-Llama-3.1-Community"),
            ("llama4", "LicenseRef-Llama-4-Community"),
            ("gemma", "LicenseRef-Gemma-Terms-of-Use"),
            ("qwen-research", "LicenseRef-Qwen-Research-2024"),
            ("creativeml-openrail-m", "LicenseRef-CreativeML-OpenRAIL-M"),
            ("apple-ascl", "AML"),
            ("odbl", "ODbL-1.0"),
        ] {
            assert_eq!(kb().by_alias(hf).map(|t| t.id.as_str()), Some(id), "{hf}");
        }
        assert_eq!(kb().get("apache-2.0").unwrap().id, "Apache-2.0");
    }

    #[test]
    fn unknown_keys_and_wrong_types_are_errors_naming_the_file_and_line() {
        let good = FILES.iter().find(|(id, _)| *id == "MIT").unwrap().1;
        let bad = format!("{good}colour: blue\n");
        let err = KnowledgeBase::parse(&[("MIT", &bad)])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("licenses/MIT.yaml") && err.contains("colour"),
            "{err}"
        );
        assert!(err.contains("line"), "error should give the line: {err}");
        let bad = good.replace("osi_approved: true", "osi_approved: maybe");
        let err = KnowledgeBase::parse(&[("MIT", &bad)])
            .unwrap_err()
            .to_string();
        assert!(err.contains("licenses/MIT.yaml"), "{err}");
        let err = KnowledgeBase::parse(&[("ISC", good)])
            .unwrap_err()
            .to_string();
        assert!(err.contains("does not match the file name"), "{err}");
    }

    #[test]
    fn threshold_boundaries() {
        let t = Threshold {
            metric: Metric::MonthlyActiveUsers,
            comparator: Comparator::MoreThan,
            amount: 700_000_000,
            effect: ThresholdEffect::RequestLicense,
            measured: None,
            aggregates_affiliates: true,
        };
        assert!(!t.exceeded_by(700_000_000));
        assert!(t.exceeded_by(700_000_001));
        let t = Threshold {
            comparator: Comparator::AtLeast,
            ..t
        };
        assert!(t.exceeded_by(700_000_000));
        assert!(!t.exceeded_by(699_999_999));
    }
}
