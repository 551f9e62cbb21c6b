//! The sizes a `config.json` declares, checked against the tensors present before any of them
//! reaches candle, and the memory candle allocates beside the weights.
//!
//! candle trusts its config: a layer count is a loop bound and a `Vec::with_capacity`, a head count
//! a divisor, `max_position_embeddings` the length of the RoPE tables. So every number is checked
//! first: nonzero, divisible where the architecture divides, equal to the tensor dimensions it
//! names, and a layer count must have layers behind it. What remains unchecked (the context
//! length) is counted by the memory guard.

use super::RuntimeCode;
use super::safetensors::{Arch, TensorInfo};
use crate::finding::Finding;
use std::collections::{BTreeSet, HashMap};

/// Tokens of the prompt the smoke test feeds at most (the fixed prompts are far shorter).
pub(crate) const PROMPT_TOKENS: u64 = 64;

/// Bytes candle allocates for RoPE tables over `positions` positions of a `dim`-wide head: the
/// position ramp (u32 and f32), the angle matrix, its sine and cosine, and one more copy where a
/// model concatenates or converts them.
pub(crate) fn rope_bytes(positions: u64, dim: u64) -> u64 {
    let half = (dim / 2).max(1);
    positions
        .saturating_mul(16)
        .saturating_add(positions.saturating_mul(half).saturating_mul(4 * 4))
}

/// Working memory of a decoder over `positions` tokens: the KV cache (keys and values per layer,
/// with the copy `cat` makes while it grows), attention scores and masks, and the F32 logits.
pub(crate) fn decoder_bytes(
    layers: u64,
    kv_dim: u64,
    heads: u64,
    vocab: u64,
    positions: u64,
) -> u64 {
    let kv = layers
        .saturating_mul(2 * 2 * 4)
        .saturating_mul(kv_dim)
        .saturating_mul(positions);
    let scores = heads
        .saturating_mul(positions)
        .saturating_mul(positions)
        .saturating_mul(4 * 3);
    let logits = vocab.saturating_mul(positions).saturating_mul(4 * 2);
    kv.saturating_add(scores).saturating_add(logits)
}

/// A config's sizes, once they agree with the tensors.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Checked {
    /// Bytes candle allocates beside the weights (RoPE tables, KV cache, masks, logits).
    pub extra_bytes: u64,
}

fn invalid(msg: String) -> Finding {
    Finding::new(&RuntimeCode::SmokeConfigInvalid, msg).at("config.json")
}

fn mismatch(msg: String) -> Finding {
    Finding::new(&RuntimeCode::SmokeConfigMismatch, msg).at("config.json")
}

/// How one architecture names what the checks need.
struct Layout {
    /// Suffix of the token-embedding tensor name ([vocab, hidden]).
    embeddings: &'static str,
    /// The segment before a layer's index (`layers.` in `model.layers.3.…`).
    layer: &'static str,
    /// Whether RoPE tables are built from `max_position_embeddings` (not BERT's learned table).
    rope: bool,
}

fn layout(arch: &Arch) -> Option<Layout> {
    Some(match arch {
        Arch::Bert => Layout {
            embeddings: "embeddings.word_embeddings.weight",
            layer: "encoder.layer.",
            rope: false,
        },
        Arch::Llama | Arch::Mistral | Arch::Qwen2 | Arch::Qwen3 | Arch::Gemma | Arch::Phi3 => {
            Layout {
                embeddings: "model.embed_tokens.weight",
                layer: "model.layers.",
                rope: true,
            }
        }
        Arch::Unsupported(_) => return None,
    })
}

/// The layer indices present: `N` of every tensor named `…{segment}N.…`.
fn layers_present(names: &BTreeSet<&str>, segment: &str) -> BTreeSet<u64> {
    names
        .iter()
        .filter_map(|n| {
            let at = n.find(segment)?;
            let rest = &n[at + segment.len()..];
            let digits = rest.split('.').next()?;
            digits.parse::<u64>().ok()
        })
        .collect()
}

/// Reads an optional size: `Ok(None)` when absent or null, an error when present but not a
/// non-negative integer (candle's own parse says so too, but we check zero ourselves).
fn size(config: &serde_json::Value, key: &str) -> Result<Option<u64>, Finding> {
    match config.get(key) {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(v) => v
            .as_u64()
            .map(Some)
            .ok_or_else(|| invalid(format!("`{key}` is {v}, not a non-negative integer"))),
    }
}

/// Checks `config`'s sizes for `arch` against `header`; `Err` holds the findings that stop the
/// build. `positions` is how many positions the smoke test feeds.
pub(crate) fn check(
    arch: &Arch,
    config: &serde_json::Value,
    header: &HashMap<String, TensorInfo>,
    positions: u64,
) -> Result<Checked, Vec<Finding>> {
    let Some(layout) = layout(arch) else {
        return Ok(Checked::default());
    };
    let names: BTreeSet<&str> = header.keys().map(String::as_str).collect();
    let mut findings = Vec::new();
    let mut get = |key: &str| match size(config, key) {
        Ok(v) => v,
        Err(f) => {
            findings.push(f);
            None
        }
    };
    let hidden = get("hidden_size");
    let heads = get("num_attention_heads");
    let kv_heads = get("num_key_value_heads");
    let layers = get("num_hidden_layers");
    let vocab = get("vocab_size");
    let intermediate = get("intermediate_size");
    let head_dim = get("head_dim");
    let max_positions = get("max_position_embeddings");
    let type_vocab = get("type_vocab_size");
    let named = [
        ("hidden_size", hidden),
        ("num_attention_heads", heads),
        ("num_key_value_heads", kv_heads),
        ("num_hidden_layers", layers),
        ("vocab_size", vocab),
        ("intermediate_size", intermediate),
        ("head_dim", head_dim),
        ("max_position_embeddings", max_positions),
        ("type_vocab_size", type_vocab),
    ];
    for (key, v) in named {
        if v == Some(0) {
            findings.push(invalid(format!(
                "`{key}` is 0; the {} architecture needs a positive value",
                arch.name()
            )));
        }
    }
    if !findings.is_empty() {
        return Err(findings);
    }
    // Divisors: candle divides the hidden size by the head count, and the head count by the
    // key/value head count (grouped-query attention).
    if let (Some(h), Some(n)) = (hidden, heads)
        && head_dim.is_none()
        && h % n != 0
    {
        findings.push(invalid(format!(
            "`hidden_size` {h} is not a multiple of `num_attention_heads` {n}"
        )));
    }
    if let (Some(n), Some(kv)) = (heads, kv_heads)
        && n % kv != 0
    {
        findings.push(invalid(format!(
            "`num_attention_heads` {n} is not a multiple of `num_key_value_heads` {kv}"
        )));
    }

    // The embeddings pin the hidden and vocabulary sizes; without them nothing bounds either.
    let embeddings = header
        .iter()
        .filter(|(n, _)| n.ends_with(layout.embeddings))
        .min_by_key(|(n, _)| n.len());
    match embeddings {
        None => findings.push(
            Finding::new(
                &RuntimeCode::SmokeTensorMissing,
                format!(
                    "no token-embedding tensor (`…{}`): the config's sizes cannot be checked, so the model is not built",
                    layout.embeddings
                ),
            )
            .with_evidence(layout.embeddings),
        ),
        Some((name, t)) => {
            let want = [("vocab_size", vocab), ("hidden_size", hidden)];
            if t.shape.len() != 2 {
                findings.push(mismatch(format!(
                    "`{name}` has shape {:?}, not [vocab_size, hidden_size]",
                    t.shape
                )));
            } else {
                for (i, (key, v)) in want.iter().enumerate() {
                    if let Some(v) = v
                        && *v != t.shape[i] as u64
                    {
                        findings.push(mismatch(format!(
                            "`{key}` is {v}, but `{name}` has shape {:?}",
                            t.shape
                        )));
                    }
                }
            }
        }
    }

    // A layer count is compared with the layers present, never used as a loop bound first.
    let present = layers_present(&names, layout.layer);
    if let Some(n) = layers {
        let held = present.last().map_or(0, |l| l + 1);
        if n > held {
            let shown = if present.is_empty() {
                "none".to_string()
            } else {
                format!("{} (indices up to {})", present.len(), held - 1)
            };
            findings.push(mismatch(format!(
                "`num_hidden_layers` is {n}, but the weights hold {shown} layers (`{}N.…`)",
                layout.layer
            )));
        }
    }

    // Every other size names some tensor dimension: none can exceed the largest one present.
    let largest = header
        .values()
        .flat_map(|t| t.shape.iter().copied())
        .max()
        .unwrap_or(0) as u64;
    for (key, v) in [
        ("num_attention_heads", heads),
        ("num_key_value_heads", kv_heads),
        ("intermediate_size", intermediate),
        ("head_dim", head_dim),
    ] {
        if let Some(v) = v
            && v > largest
        {
            findings.push(mismatch(format!(
                "`{key}` is {v}, larger than any tensor dimension in the weights (at most {largest})"
            )));
        }
    }
    if !layout.rope
        && let Some(p) = max_positions
    {
        let held = header
            .iter()
            .find(|(n, _)| n.ends_with("embeddings.position_embeddings.weight"))
            .and_then(|(_, t)| t.shape.first().copied());
        if let Some(held) = held
            && p != held as u64
        {
            findings.push(mismatch(format!(
                "`max_position_embeddings` is {p}, but the position embeddings hold {held} positions"
            )));
        }
    }
    if !findings.is_empty() {
        return Err(findings);
    }

    let extra_bytes = if layout.rope {
        let h = hidden.unwrap_or(0);
        let n = heads.unwrap_or(1).max(1);
        let dim = head_dim.unwrap_or(h / n);
        let kv_dim = kv_heads.unwrap_or(n).saturating_mul(dim);
        // candle builds the tables for the declared context, whatever the prompt's length.
        let table = max_positions.unwrap_or(4096).max(positions);
        rope_bytes(table, dim).saturating_add(decoder_bytes(
            layers.unwrap_or(0),
            kv_dim,
            n,
            vocab.unwrap_or(0),
            positions,
        ))
    } else {
        let n = heads.unwrap_or(1);
        let h = hidden.unwrap_or(0);
        // Attention scores per layer and head, and activations of the intermediate width.
        n.saturating_mul(positions)
            .saturating_mul(positions)
            .saturating_mul(4 * 3)
            .saturating_add(
                intermediate
                    .unwrap_or(0)
                    .saturating_add(h)
                    .saturating_mul(positions)
                    .saturating_mul(4 * 4),
            )
    };
    Ok(Checked { extra_bytes })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(shape: &[usize]) -> TensorInfo {
        TensorInfo {
            dtype: "F32".into(),
            shape: shape.to_vec(),
            bytes: 0,
            file: 0,
            start: 0,
        }
    }

    fn llama_header() -> HashMap<String, TensorInfo> {
        let mut h = HashMap::new();
        h.insert("model.embed_tokens.weight".into(), info(&[128, 64]));
        for l in 0..2 {
            h.insert(
                format!("model.layers.{l}.mlp.up_proj.weight"),
                info(&[128, 64]),
            );
        }
        h
    }

    fn cfg(edit: impl FnOnce(&mut serde_json::Value)) -> serde_json::Value {
        let mut c = serde_json::json!({
            "hidden_size": 64, "num_attention_heads": 4, "num_key_value_heads": 2,
            "num_hidden_layers": 2, "vocab_size": 128, "intermediate_size": 128,
            "max_position_embeddings": 64
        });
        edit(&mut c);
        c
    }

    fn codes(r: Result<Checked, Vec<Finding>>) -> Vec<String> {
        r.err()
            .unwrap_or_default()
            .into_iter()
            .map(|f| f.code)
            .collect()
    }

    #[test]
    fn consistent_config_passes_and_counts_rope() {
        let c = check(&Arch::Llama, &cfg(|_| {}), &llama_header(), 80).unwrap();
        assert!(c.extra_bytes >= rope_bytes(80, 16));
        let big = cfg(|c| c["max_position_embeddings"] = (1u64 << 24).into());
        let c = check(&Arch::Llama, &big, &llama_header(), 80).unwrap();
        assert!(c.extra_bytes > 1 << 31, "{}", c.extra_bytes);
    }

    #[test]
    fn zero_divisors_and_overlong_counts_are_findings() {
        let h = llama_header();
        let zero = cfg(|c| c["num_attention_heads"] = 0.into());
        assert_eq!(
            codes(check(&Arch::Llama, &zero, &h, 80)),
            ["smoke-config-invalid"]
        );
        let odd = cfg(|c| c["num_attention_heads"] = 5.into());
        assert!(codes(check(&Arch::Llama, &odd, &h, 80)).contains(&"smoke-config-invalid".into()));
        let layers = cfg(|c| c["num_hidden_layers"] = (1u64 << 31).into());
        assert_eq!(
            codes(check(&Arch::Llama, &layers, &h, 80)),
            ["smoke-config-mismatch"]
        );
        let hidden = cfg(|c| c["hidden_size"] = (1u64 << 63).into());
        assert!(
            codes(check(&Arch::Llama, &hidden, &h, 80)).contains(&"smoke-config-mismatch".into())
        );
        let negative = cfg(|c| c["hidden_size"] = (-1).into());
        assert_eq!(
            codes(check(&Arch::Llama, &negative, &h, 80)),
            ["smoke-config-invalid"]
        );
        let no_embeddings: HashMap<String, TensorInfo> = HashMap::new();
        assert!(
            codes(check(&Arch::Llama, &cfg(|_| {}), &no_embeddings, 80))
                .contains(&"smoke-tensor-missing".into())
        );
    }
}
