//! EU AI Act (Regulation (EU) 2024/1689) gap list for general-purpose AI models: which Annex XI and
//! Annex XII items the record holds evidence for, and the Art. 53(2) open-source exemption conditions.
//! Facts about the record, not legal advice: an item marked present means the record holds something
//! that speaks to it, not that the documentation is sufficient.

use crate::record::ModelRecord;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The gap list.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct EuAiAct {
    pub note: String,
    /// Annex XI (technical documentation for the AI Office, Art. 53(1)(a)), section 1.
    pub annex_xi: Vec<GapItem>,
    /// Annex XII (information for downstream providers, Art. 53(1)(b)).
    pub annex_xii: Vec<GapItem>,
    /// Art. 53(1)(c) and (d): apply to every provider, open source or not.
    pub always_apply: Vec<GapItem>,
    pub exemption: Exemption,
}

/// One documentation item and whether the record holds evidence for it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct GapItem {
    /// The item's number in the annex, e.g. `1(d)`.
    pub item: String,
    pub title: String,
    /// `present`, `partial` or `missing`.
    pub status: String,
    /// Where the evidence is, or why it is missing.
    pub evidence: String,
}

/// The Art. 53(2) exemption from 53(1)(a) and (b) for free and open-source models.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Exemption {
    /// `conditions_met`, `not_met` or `undetermined`.
    pub status: String,
    pub summary: String,
    pub conditions: Vec<Condition>,
}

/// One exemption condition.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Condition {
    pub id: String,
    pub title: String,
    /// `met`, `not_met` or `unknown`.
    pub status: String,
    pub evidence: String,
}

/// What the record says, gathered once.
struct Facts<'a> {
    r: &'a ModelRecord,
}

impl<'a> Facts<'a> {
    fn card(&self, key: &str) -> Option<&'a Value> {
        self.r
            .card
            .as_ref()
            .and_then(|c| c.get(key))
            .filter(|v| !v.is_null())
    }

    fn config(&self, key: &str) -> Option<&'a Value> {
        self.r
            .config
            .as_ref()
            .and_then(|c| c.get(key))
            .filter(|v| !v.is_null())
    }

    fn has_file(&self, pred: impl Fn(&str, &str) -> bool) -> Option<&'a str> {
        self.r
            .files
            .iter()
            .find(|f| pred(&f.path, f.format.as_str()))
            .map(|f| f.path.as_str())
    }

    fn card_file(&self) -> Option<&'a str> {
        self.has_file(|p, _| p.eq_ignore_ascii_case("README.md"))
    }

    fn task(&self) -> Option<String> {
        self.card("pipeline_tag")
            .and_then(Value::as_str)
            .map(|t| format!("model card `pipeline_tag: {t}`"))
    }

    fn use_policy(&self) -> Option<String> {
        let kinds: Vec<String> = self
            .r
            .license
            .obligations
            .iter()
            .filter(|o| o.get("kind").and_then(Value::as_str) == Some("use_policy"))
            .filter_map(|o| o.get("license").and_then(Value::as_str).map(str::to_string))
            .collect();
        if !kinds.is_empty() {
            return Some(format!("use policy of {}", kinds.join(", ")));
        }
        None
    }

    fn distribution(&self) -> (&'static str, String) {
        match super::hub_repo(self.r) {
            Some(repo) => (
                "partial",
                format!(
                    "distributed on the Hugging Face Hub as `{repo}`{}; release date not recorded",
                    self.r
                        .source
                        .revision
                        .as_deref()
                        .map(|c| format!(" at commit `{c}`"))
                        .unwrap_or_default()
                ),
            ),
            None => (
                "missing",
                format!(
                    "recorded from a {} source; release date and distribution channel not recorded",
                    self.r.source.kind
                ),
            ),
        }
    }

    fn architecture(&self) -> Option<String> {
        if let Some(a) = self
            .config("architectures")
            .and_then(|a| a.get(0))
            .and_then(Value::as_str)
        {
            return Some(format!("config.json `architectures`: {a}"));
        }
        if let Some(t) = self.config("model_type").and_then(Value::as_str) {
            return Some(format!("config.json `model_type`: {t}"));
        }
        self.r
            .smoke
            .as_ref()
            .and_then(|s| s.architecture.as_deref())
            .map(|a| format!("smoke test: {a}"))
    }

    fn parameters(&self) -> Option<String> {
        self.r
            .smoke
            .as_ref()
            .and_then(|s| s.parameters)
            .map(|p| format!("{} parameters (smoke test)", two_significant(p)))
    }

    fn max_input(&self) -> Option<String> {
        for key in [
            "max_position_embeddings",
            "n_positions",
            "max_sequence_length",
            "seq_length",
        ] {
            if let Some(v) = self.config(key).and_then(Value::as_u64) {
                return Some(format!("config.json `{key}`: {v}"));
            }
        }
        None
    }

    fn software(&self) -> Option<String> {
        let mut parts = Vec::new();
        if let Some(l) = self.card("library_name").and_then(Value::as_str) {
            parts.push(format!("model card `library_name: {l}`"));
        }
        if let Some(v) = self.config("transformers_version").and_then(Value::as_str) {
            parts.push(format!("config.json `transformers_version: {v}`"));
        }
        (!parts.is_empty()).then(|| parts.join("; "))
    }

    fn datasets(&self) -> Vec<String> {
        datasets(self.r)
    }

    fn license(&self) -> Option<String> {
        let e = self.r.license.effective.trim();
        (!e.is_empty() && e != "NOASSERTION").then(|| format!("effective license `{e}`"))
    }
}

/// The dataset names the card lists (`datasets`), as written; placeholders such as `none` are no
/// dataset.
pub fn datasets(r: &ModelRecord) -> Vec<String> {
    let names: Vec<&str> = match r.card.as_ref().and_then(|c| c.get("datasets")) {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    names
        .into_iter()
        .map(str::trim)
        .filter(|n| {
            !n.is_empty() && !["none", "n/a", "na", "-"].contains(&n.to_ascii_lowercase().as_str())
        })
        .map(str::to_string)
        .collect()
}

/// `7.3×10^10`-style count with two significant figures (the Model Documentation Form's precision).
pub fn two_significant(n: u64) -> String {
    if n < 100 {
        return n.to_string();
    }
    let exp = (n as f64).log10().floor() as i32;
    let mant = n as f64 / 10f64.powi(exp);
    format!("{mant:.1}×10^{exp}")
}

fn item(id: &str, title: &str, found: Option<String>, missing: &str) -> GapItem {
    match found {
        Some(e) => GapItem {
            item: id.into(),
            title: title.into(),
            status: "present".into(),
            evidence: e,
        },
        None => GapItem {
            item: id.into(),
            title: title.into(),
            status: "missing".into(),
            evidence: missing.into(),
        },
    }
}

fn item_status(id: &str, title: &str, status: &str, evidence: String) -> GapItem {
    GapItem {
        item: id.into(),
        title: title.into(),
        status: status.into(),
        evidence,
    }
}

const NOT_RECORDED: &str = "not in the machine-readable record (check the model card's text)";

/// Assesses the record.
pub fn assess(r: &ModelRecord) -> EuAiAct {
    let f = Facts { r };
    let (dist_status, dist) = f.distribution();
    let arch_params = match (f.architecture(), f.parameters()) {
        (Some(a), Some(p)) => item_status("", "", "present", format!("{a}; {p}")),
        (Some(a), None) => item_status(
            "",
            "",
            "partial",
            format!("{a}; parameter count not recorded (run `modelvet smoke`)"),
        ),
        (None, Some(p)) => {
            item_status("", "", "partial", format!("{p}; architecture not recorded"))
        }
        (None, None) => item_status(
            "",
            "",
            "missing",
            "no config.json architecture and no smoke test".into(),
        ),
    };
    let tokenizer = f.has_file(|p, fmt| fmt == "tokenizer" || p.ends_with("tokenizer.json"));
    let modality = match (f.task(), tokenizer) {
        (Some(t), _) => item_status("", "", "present", t),
        (None, Some(p)) => item_status(
            "",
            "",
            "partial",
            format!("text input implied by `{p}`; task not declared"),
        ),
        (None, None) => item_status(
            "",
            "",
            "missing",
            "no `pipeline_tag` and no tokenizer".into(),
        ),
    };
    let integration = match (f.software(), f.has_file(|p, _| p == "config.json")) {
        (Some(s), _) => item_status("", "", "present", s),
        (None, Some(p)) => item_status(
            "",
            "",
            "partial",
            format!("`{p}` present; no library declared"),
        ),
        (None, None) => item_status(
            "",
            "",
            "missing",
            "no config.json and no `library_name`".into(),
        ),
    };
    let ds = f.datasets();
    let data = if ds.is_empty() {
        item_status(
            "",
            "",
            "missing",
            "the model card names no `datasets`".into(),
        )
    } else {
        item_status(
            "",
            "",
            "partial",
            format!(
                "model card `datasets`: {} (type, provenance and curation not recorded)",
                ds.join(", ")
            ),
        )
    };
    let co2 = f.card("co2_eq_emissions");
    let energy = match co2 {
        Some(_) => item_status(
            "",
            "",
            "partial",
            "model card `co2_eq_emissions` (CO₂, not energy)".into(),
        ),
        None => item_status("", "", "missing", NOT_RECORDED.into()),
    };
    let compute = match co2.and_then(|c| c.get("hardware_used").or(c.get("training_type"))) {
        Some(v) => item_status(
            "",
            "",
            "partial",
            format!("model card `co2_eq_emissions`: {v}"),
        ),
        None => item_status("", "", "missing", NOT_RECORDED.into()),
    };
    let named = |mut g: GapItem, id: &str, title: &str| {
        g.item = id.into();
        g.title = title.into();
        g
    };
    let license = item("", "", f.license(), "no effective license (NOASSERTION)");
    let aup = item(
        "",
        "",
        f.use_policy(),
        "no acceptable-use policy among the license terms",
    );
    let tasks = item(
        "",
        "",
        f.task(),
        "the model card declares no `pipeline_tag`",
    );
    let dist_item = item_status("", "", dist_status, dist);

    let annex_xi = vec![
        named(
            tasks.clone(),
            "1(a)",
            "Intended tasks and the AI systems it can be integrated in",
        ),
        named(aup.clone(), "1(b)", "Acceptable use policies"),
        named(
            dist_item.clone(),
            "1(c)",
            "Date of release and methods of distribution",
        ),
        named(
            arch_params.clone(),
            "1(d)",
            "Architecture and number of parameters",
        ),
        named(
            modality.clone(),
            "1(e)",
            "Modality and format of inputs and outputs",
        ),
        named(license.clone(), "1(f)", "The license"),
        named(
            integration.clone(),
            "2(a)",
            "Technical means for integration",
        ),
        named(
            item_status("", "", "missing", NOT_RECORDED.into()),
            "2(b)",
            "Design specifications and training process",
        ),
        named(
            data.clone(),
            "2(c)",
            "Training, testing and validation data",
        ),
        named(compute, "2(d)", "Computational resources used to train"),
        named(energy, "2(e)", "Known or estimated energy consumption"),
    ];
    let input_size = match (f.max_input(), modality.status.as_str()) {
        (Some(m), "missing") => item_status("", "", "partial", m),
        (Some(m), _) => item_status("", "", "present", format!("{}; {m}", modality.evidence)),
        (None, "missing") => item_status(
            "",
            "",
            "missing",
            "no modality and no maximum input size".into(),
        ),
        (None, _) => item_status(
            "",
            "",
            "partial",
            format!("{}; maximum input size not recorded", modality.evidence),
        ),
    };
    let annex_xii = vec![
        named(
            tasks,
            "1(a)",
            "Tasks and types of AI systems it can be integrated in",
        ),
        named(aup, "1(b)", "Acceptable use policies"),
        named(
            dist_item,
            "1(c)",
            "Date of release and methods of distribution",
        ),
        named(
            match f.card("library_name").and_then(Value::as_str) {
                Some(l) => {
                    item_status("", "", "partial", format!("model card `library_name: {l}`"))
                }
                None => item_status("", "", "missing", NOT_RECORDED.into()),
            },
            "1(d)",
            "Interaction with hardware or software that is not part of the model",
        ),
        named(
            item(
                "",
                "",
                f.software(),
                "no `library_name` and no `transformers_version`",
            ),
            "1(e)",
            "Versions of relevant software",
        ),
        named(arch_params, "1(f)", "Architecture and number of parameters"),
        named(
            modality,
            "1(g)",
            "Modality and format of inputs and outputs",
        ),
        named(license, "1(h)", "The license"),
        named(integration, "2(a)", "Technical means for integration"),
        named(
            input_size,
            "2(b)",
            "Modality, format and maximum input size (context window)",
        ),
        named(
            data,
            "2(c)",
            "Training, testing and validation data: type, provenance, curation",
        ),
    ];
    let always_apply = vec![
        item_status(
            "53(1)(c)",
            "Policy to comply with Union copyright law (TDM opt-outs)",
            "missing",
            NOT_RECORDED.into(),
        ),
        item_status(
            "53(1)(d)",
            "Public summary of training content (AI Office template)",
            "missing",
            NOT_RECORDED.into(),
        ),
    ];
    EuAiAct {
        note: "Facts found in the record, not legal advice. The obligations fall on the model's provider; \
               Annex XI section 2 applies only to models with systemic risk."
            .into(),
        annex_xi,
        annex_xii,
        always_apply,
        exemption: exemption(&f),
    }
}

fn cond(id: &str, title: &str, status: &str, evidence: String) -> Condition {
    Condition {
        id: id.into(),
        title: title.into(),
        status: status.into(),
        evidence,
    }
}

fn exemption(f: &Facts) -> Exemption {
    let r = f.r;
    let license = match r.openness.as_ref().map(|o| o.weights_terms.as_str()) {
        Some("open") => cond(
            "open_license",
            "Free and open-source license allowing access, use, modification and distribution",
            "met",
            format!("weights terms classified open (`{}`)", r.license.effective),
        ),
        Some("restricted") => cond(
            "open_license",
            "Free and open-source license allowing access, use, modification and distribution",
            "not_met",
            format!(
                "weights terms classified restricted (`{}`)",
                r.license.effective
            ),
        ),
        _ => {
            let osi = crate::policy::expression_allowed(
                &r.license.effective,
                &crate::license::osi_approved_ids(),
            );
            match osi {
                Some(true) => cond(
                    "open_license",
                    "Free and open-source license allowing access, use, modification and distribution",
                    "met",
                    format!("`{}` is OSI-approved", r.license.effective),
                ),
                _ => cond(
                    "open_license",
                    "Free and open-source license allowing access, use, modification and distribution",
                    "unknown",
                    format!(
                        "`{}` is not classified (run `modelvet classify`)",
                        r.license.effective
                    ),
                ),
            }
        }
    };
    let weights = match super::hub_repo(r) {
        Some(repo) => cond(
            "weights_public",
            "Parameters, including the weights, publicly available",
            "met",
            format!("published on the Hugging Face Hub as `{repo}` (gating not checked)"),
        ),
        None => cond(
            "weights_public",
            "Parameters, including the weights, publicly available",
            "unknown",
            format!(
                "recorded from a {} source; publication not recorded",
                r.source.kind
            ),
        ),
    };
    let arch = match f.has_file(|p, fmt| p == "config.json" || fmt == "gguf") {
        Some(p) => cond(
            "architecture_public",
            "Information on the model architecture publicly available",
            "met",
            format!("`{p}` ships with the weights"),
        ),
        None => cond(
            "architecture_public",
            "Information on the model architecture publicly available",
            "not_met",
            "no config.json or GGUF metadata among the files".into(),
        ),
    };
    let usage = match f.card_file() {
        Some(p) => cond(
            "usage_public",
            "Information on model usage publicly available",
            "met",
            format!("model card `{p}` ships with the weights"),
        ),
        None => cond(
            "usage_public",
            "Information on model usage publicly available",
            "not_met",
            "no model card (README.md) among the files".into(),
        ),
    };
    let systemic = cond(
        "no_systemic_risk",
        "Not a GPAI model with systemic risk (training compute ≤ 10^25 FLOP, not designated)",
        "unknown",
        match f.parameters() {
            Some(p) => format!("training compute not recorded; {p}"),
            None => "training compute not recorded".into(),
        },
    );
    let monetised = cond(
        "not_monetised",
        "Not provided against a price or otherwise monetised (recital 103)",
        "unknown",
        "not determinable from the files".into(),
    );
    let conditions = vec![license, weights, arch, usage, systemic, monetised];
    let status = if conditions.iter().any(|c| c.status == "not_met") {
        "not_met"
    } else if conditions.iter().all(|c| c.status == "met") {
        "conditions_met"
    } else {
        "undetermined"
    };
    let summary = match status {
        "not_met" => {
            "At least one condition of the Art. 53(2) exemption is not met: Annex XI and XII documentation is expected from the provider."
        }
        "conditions_met" => {
            "Every condition of the Art. 53(2) exemption is met: Annex XI and XII documentation is not required (53(1)(c) and (d) still apply)."
        }
        _ => {
            "The Art. 53(2) exemption cannot be confirmed from the record: some conditions are unknown. 53(1)(c) and (d) apply in any case."
        }
    };
    Exemption {
        status: status.into(),
        summary: summary.into(),
        conditions,
    }
}
