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
        let e = self.r.license.effective.asserted()?;
        Some(format!("effective license `{e}`"))
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

/// What the record holds for one documentation item, before the item is numbered and titled:
/// Annex XI and Annex XII ask for several of the same facts under other numbers.
#[derive(Debug, Clone)]
struct Found {
    /// `present`, `partial` or `missing`.
    status: &'static str,
    evidence: String,
}

impl Found {
    fn new(status: &'static str, evidence: impl Into<String>) -> Found {
        Found {
            status,
            evidence: evidence.into(),
        }
    }

    /// `present` with the evidence found, else `missing` with why.
    fn or_missing(found: Option<String>, missing: &str) -> Found {
        match found {
            Some(e) => Found::new("present", e),
            None => Found::new("missing", missing),
        }
    }

    /// The item numbered `id` of an annex, with this evidence.
    fn item(&self, id: &str, title: &str) -> GapItem {
        GapItem {
            item: id.into(),
            title: title.into(),
            status: self.status.into(),
            evidence: self.evidence.clone(),
        }
    }
}

const NOT_RECORDED: &str = "not in the machine-readable record (check the model card's text)";

/// The evidence for every item of the two annexes, each found once.
struct Evidence {
    tasks: Found,
    use_policy: Found,
    distribution: Found,
    architecture: Found,
    modality: Found,
    license: Found,
    integration: Found,
    data: Found,
    compute: Found,
    energy: Found,
    hardware: Found,
    software: Found,
    input_size: Found,
}

impl Evidence {
    fn gather(f: &Facts) -> Evidence {
        let (dist_status, dist) = f.distribution();
        let modality = modality(f);
        Evidence {
            tasks: Found::or_missing(f.task(), "the model card declares no `pipeline_tag`"),
            use_policy: Found::or_missing(
                f.use_policy(),
                "no acceptable-use policy among the license terms",
            ),
            distribution: Found::new(dist_status, dist),
            architecture: architecture(f),
            input_size: input_size(f, &modality),
            modality,
            license: Found::or_missing(f.license(), "no effective license (NOASSERTION)"),
            integration: integration(f),
            data: training_data(f),
            compute: compute(f),
            energy: energy(f),
            hardware: match f.card("library_name").and_then(Value::as_str) {
                Some(l) => Found::new("partial", format!("model card `library_name: {l}`")),
                None => Found::new("missing", NOT_RECORDED),
            },
            software: Found::or_missing(
                f.software(),
                "no `library_name` and no `transformers_version`",
            ),
        }
    }
}

/// Architecture and parameter count: `config.json` and the smoke test.
fn architecture(f: &Facts) -> Found {
    match (f.architecture(), f.parameters()) {
        (Some(a), Some(p)) => Found::new("present", format!("{a}; {p}")),
        (Some(a), None) => Found::new(
            "partial",
            format!("{a}; parameter count not recorded (run `modelvet smoke`)"),
        ),
        (None, Some(p)) => Found::new("partial", format!("{p}; architecture not recorded")),
        (None, None) => Found::new("missing", "no config.json architecture and no smoke test"),
    }
}

/// Modality: the declared task, else what a tokenizer implies.
fn modality(f: &Facts) -> Found {
    let tokenizer = f.has_file(|p, fmt| fmt == "tokenizer" || p.ends_with("tokenizer.json"));
    match (f.task(), tokenizer) {
        (Some(t), _) => Found::new("present", t),
        (None, Some(p)) => Found::new(
            "partial",
            format!("text input implied by `{p}`; task not declared"),
        ),
        (None, None) => Found::new("missing", "no `pipeline_tag` and no tokenizer"),
    }
}

/// Technical means for integration: the declared library, else a `config.json`.
fn integration(f: &Facts) -> Found {
    match (f.software(), f.has_file(|p, _| p == "config.json")) {
        (Some(s), _) => Found::new("present", s),
        (None, Some(p)) => Found::new("partial", format!("`{p}` present; no library declared")),
        (None, None) => Found::new("missing", "no config.json and no `library_name`"),
    }
}

/// Training data: the card's `datasets`, which say nothing of type, provenance or curation.
fn training_data(f: &Facts) -> Found {
    let ds = f.datasets();
    if ds.is_empty() {
        Found::new("missing", "the model card names no `datasets`")
    } else {
        Found::new(
            "partial",
            format!(
                "model card `datasets`: {} (type, provenance and curation not recorded)",
                ds.join(", ")
            ),
        )
    }
}

/// Energy: the card's `co2_eq_emissions` speaks of CO₂ only.
fn energy(f: &Facts) -> Found {
    match f.card("co2_eq_emissions") {
        Some(_) => Found::new("partial", "model card `co2_eq_emissions` (CO₂, not energy)"),
        None => Found::new("missing", NOT_RECORDED),
    }
}

/// Training compute: the hardware or training type `co2_eq_emissions` names.
fn compute(f: &Facts) -> Found {
    let co2 = f.card("co2_eq_emissions");
    match co2.and_then(|c| c.get("hardware_used").or(c.get("training_type"))) {
        Some(v) => Found::new("partial", format!("model card `co2_eq_emissions`: {v}")),
        None => Found::new("missing", NOT_RECORDED),
    }
}

/// Modality, format and maximum input size: the modality found, with the context window.
fn input_size(f: &Facts, modality: &Found) -> Found {
    match (f.max_input(), modality.status) {
        (Some(m), "missing") => Found::new("partial", m),
        (Some(m), _) => Found::new("present", format!("{}; {m}", modality.evidence)),
        (None, "missing") => Found::new("missing", "no modality and no maximum input size"),
        (None, _) => Found::new(
            "partial",
            format!("{}; maximum input size not recorded", modality.evidence),
        ),
    }
}

/// Annex XI section 1 and 2: the technical documentation for the AI Office.
fn annex_xi(e: &Evidence) -> Vec<GapItem> {
    vec![
        e.tasks.item(
            "1(a)",
            "Intended tasks and the AI systems it can be integrated in",
        ),
        e.use_policy.item("1(b)", "Acceptable use policies"),
        e.distribution
            .item("1(c)", "Date of release and methods of distribution"),
        e.architecture
            .item("1(d)", "Architecture and number of parameters"),
        e.modality
            .item("1(e)", "Modality and format of inputs and outputs"),
        e.license.item("1(f)", "The license"),
        e.integration
            .item("2(a)", "Technical means for integration"),
        Found::new("missing", NOT_RECORDED)
            .item("2(b)", "Design specifications and training process"),
        e.data.item("2(c)", "Training, testing and validation data"),
        e.compute
            .item("2(d)", "Computational resources used to train"),
        e.energy
            .item("2(e)", "Known or estimated energy consumption"),
    ]
}

/// Annex XII: the information for downstream providers.
fn annex_xii(e: &Evidence) -> Vec<GapItem> {
    vec![
        e.tasks.item(
            "1(a)",
            "Tasks and types of AI systems it can be integrated in",
        ),
        e.use_policy.item("1(b)", "Acceptable use policies"),
        e.distribution
            .item("1(c)", "Date of release and methods of distribution"),
        e.hardware.item(
            "1(d)",
            "Interaction with hardware or software that is not part of the model",
        ),
        e.software.item("1(e)", "Versions of relevant software"),
        e.architecture
            .item("1(f)", "Architecture and number of parameters"),
        e.modality
            .item("1(g)", "Modality and format of inputs and outputs"),
        e.license.item("1(h)", "The license"),
        e.integration
            .item("2(a)", "Technical means for integration"),
        e.input_size.item(
            "2(b)",
            "Modality, format and maximum input size (context window)",
        ),
        e.data.item(
            "2(c)",
            "Training, testing and validation data: type, provenance, curation",
        ),
    ]
}

/// Art. 53(1)(c) and (d), which no record can show.
fn always_apply() -> Vec<GapItem> {
    let missing = Found::new("missing", NOT_RECORDED);
    vec![
        missing.item(
            "53(1)(c)",
            "Policy to comply with Union copyright law (TDM opt-outs)",
        ),
        missing.item(
            "53(1)(d)",
            "Public summary of training content (AI Office template)",
        ),
    ]
}

/// Assesses the record.
pub fn assess(r: &ModelRecord) -> EuAiAct {
    let f = Facts { r };
    let evidence = Evidence::gather(&f);
    EuAiAct {
        note: "Facts found in the record, not legal advice. The obligations fall on the model's provider; \
               Annex XI section 2 applies only to models with systemic risk."
            .into(),
        annex_xi: annex_xi(&evidence),
        annex_xii: annex_xii(&evidence),
        always_apply: always_apply(),
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
