//! BERT-family encoders (safetensors): build with candle-transformers, embed fixed sentences with
//! mean pooling, and report their cosine similarities.

use super::safetensors::Log;
use super::{Details, RunResult, RuntimeCode, SmokeOptions, fingerprint, guarded};
use crate::finding::Finding;
use candle_core::{DType, Device, Tensor};
use candle_transformers::models::bert::{BertModel, Config};
use std::collections::BTreeSet;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// The fixed input: two paraphrases and one unrelated sentence.
pub(crate) const SENTENCES: [&str; 3] = [
    "A man is eating food.",
    "A man is eating a piece of bread.",
    "The license requires attribution in every copy.",
];

/// Token ids used when the model ships no tokenizer.json (BERT-uncased ids of "[CLS] hello world [SEP]").
const FIXED_IDS: [u32; 4] = [101, 7592, 2088, 102];

#[allow(clippy::too_many_arguments)]
pub(crate) fn run(
    dir: &Path,
    config: &serde_json::Value,
    vb: candle_nn::VarBuilder,
    names: &BTreeSet<String>,
    _opts: &SmokeOptions,
    details: &mut Details,
    log: &Arc<Mutex<Log>>,
    start: Instant,
) -> Result<Option<RunResult>, Finding> {
    let cfg: Config = serde_json::from_value(config.clone()).map_err(|e| {
        Finding::new(
            &RuntimeCode::SmokeConfigInvalid,
            format!("config.json is not a BERT config candle can read: {e}"),
        )
        .at("config.json")
    })?;
    // candle's own prefix fallback retries on error; our backend never errors, so pick it here.
    let model_type = cfg.model_type.clone().unwrap_or_else(|| "bert".into());
    let prefix = ["bert".to_string(), model_type]
        .into_iter()
        .find(|p| names.contains(&format!("{p}.embeddings.word_embeddings.weight")));
    let vb = match &prefix {
        Some(p) => vb.pp(p),
        None => vb,
    };
    let model = guarded(|| BertModel::load(vb, &cfg)).map_err(|e| {
        Finding::new(
            &RuntimeCode::SmokeLoadFailed,
            format!("candle cannot build the BERT model: {e}"),
        )
    })?;
    let load_ms = start.elapsed().as_secs_f64() * 1000.0;
    if log.lock().map(|l| l.has_problems()).unwrap_or(true) {
        return Ok(None);
    }

    let dev = Device::Cpu;
    let tokenizer_path = dir.join("tokenizer.json");
    let inputs: Vec<Vec<u32>> = match tokenizers::Tokenizer::from_file(&tokenizer_path) {
        Ok(mut tok) => {
            // Sentence-transformers tokenizers pad to a fixed length; pads would dilute the mean.
            tok.with_padding(None);
            details.input = Some(SENTENCES.join(" | "));
            SENTENCES
                .iter()
                .map(|s| tok.encode(*s, true).map(|e| e.get_ids().to_vec()))
                .collect::<Result<_, _>>()
                .map_err(|e| {
                    Finding::new(
                        &RuntimeCode::SmokeForwardFailed,
                        format!("tokenizer.json cannot encode the fixed input: {e}"),
                    )
                    .at("tokenizer.json")
                })?
        }
        Err(e) => {
            if tokenizer_path.exists() {
                details.notes.push(format!(
                    "tokenizer.json unreadable ({e}); fixed token ids used"
                ));
            } else {
                details
                    .notes
                    .push("no tokenizer.json: fixed token ids used".into());
            }
            let ids: Vec<u32> = FIXED_IDS
                .iter()
                .map(|i| i % cfg.vocab_size.max(1) as u32)
                .collect();
            details.input = Some(format!("token ids {ids:?}"));
            vec![ids]
        }
    };

    let t = Instant::now();
    let embeddings = guarded(|| {
        inputs
            .iter()
            .map(|ids| embed(&model, ids, &dev))
            .collect::<candle_core::Result<Vec<Vec<f32>>>>()
    })
    .map_err(|e| {
        Finding::new(
            &RuntimeCode::SmokeForwardFailed,
            format!("the forward pass failed: {e}"),
        )
    })?;
    let forward_ms = t.elapsed().as_secs_f64() * 1000.0;
    if embeddings.iter().flatten().any(|v| !v.is_finite()) {
        return Err(Finding::new(
            &RuntimeCode::SmokeForwardFailed,
            "the forward pass produced NaN or infinite outputs",
        ));
    }
    if embeddings.len() == 3 {
        details.similarity = Some(serde_json::json!({
            "similar": round4(cosine(&embeddings[0], &embeddings[1])),
            "unrelated": round4(cosine(&embeddings[0], &embeddings[2])),
        }));
    }
    let flat: Vec<f32> = embeddings.into_iter().flatten().collect();
    Ok(Some(RunResult {
        load_ms,
        forward_ms,
        tokens_per_second: None,
        fingerprint: Some(fingerprint("bert-mean-pooled", &flat, &[])),
    }))
}

/// Mean-pooled, L2-normalised sentence embedding (sentence-transformers' recipe for MiniLM).
fn embed(model: &BertModel, ids: &[u32], dev: &Device) -> candle_core::Result<Vec<f32>> {
    let input = Tensor::new(ids, dev)?.unsqueeze(0)?;
    let types = input.zeros_like()?;
    let out = model.forward(&input, &types, None)?; // [1, seq, hidden]
    let pooled = out.mean(1)?.squeeze(0)?.to_dtype(DType::F32)?;
    let norm = pooled.sqr()?.sum_all()?.sqrt()?;
    pooled.broadcast_div(&norm)?.to_vec1::<f32>()
}

fn cosine(a: &[f32], b: &[f32]) -> f64 {
    let dot: f64 = a
        .iter()
        .zip(b)
        .map(|(x, y)| f64::from(*x) * f64::from(*y))
        .sum();
    let na: f64 = a.iter().map(|x| f64::from(*x).powi(2)).sum::<f64>().sqrt();
    let nb: f64 = b.iter().map(|x| f64::from(*x).powi(2)).sum::<f64>().sqrt();
    if na == 0.0 || nb == 0.0 {
        0.0
    } else {
        dot / (na * nb)
    }
}

fn round4(v: f64) -> f64 {
    (v * 10_000.0).round() / 10_000.0
}
