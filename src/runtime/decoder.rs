//! Decoder-only language models (llama, mistral, qwen2; safetensors and quantized GGUF): a fixed
//! prompt, greedy generation of a few tokens, timing and a fingerprint of what came out.

use super::safetensors::{Arch, Log};
use super::{Details, RunResult, RuntimeCode, SmokeOptions, argmax, fingerprint, guarded};
use crate::finding::Finding;
use candle_core::{DType, Device, Tensor};
use candle_transformers::models::{
    gemma, llama, mistral, phi3, quantized_llama, quantized_qwen2, qwen2, qwen3,
};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// The fixed prompt.
pub(crate) const PROMPT: &str = "The capital of France is";

/// Token ids used when no tokenizer is available (documented in the README).
pub(crate) const FIXED_IDS: [u32; 5] = [1, 2, 3, 4, 5];

/// A built decoder, whatever its weights' format.
pub(crate) enum Decoder {
    Llama(Box<llama::Llama>, llama::Cache),
    Mistral(Box<mistral::Model>),
    Qwen2(Box<qwen2::ModelForCausalLM>),
    Qwen3(Box<qwen3::ModelForCausalLM>),
    Gemma(Box<gemma::Model>),
    Phi3(Box<phi3::Model>),
    QLlama(Box<quantized_llama::ModelWeights>),
    QQwen2(Box<quantized_qwen2::ModelWeights>),
}

impl Decoder {
    /// Feeds `ids` at position `pos`; returns the logits of the last position.
    fn step(&mut self, ids: &[u32], pos: usize, dev: &Device) -> candle_core::Result<Vec<f32>> {
        let input = Tensor::new(ids, dev)?.unsqueeze(0)?;
        let logits = match self {
            Decoder::Llama(m, cache) => m.forward(&input, pos, cache)?,
            Decoder::Mistral(m) => m.forward(&input, pos)?,
            Decoder::Qwen2(m) => m.forward(&input, pos)?,
            Decoder::Qwen3(m) => m.forward(&input, pos)?,
            Decoder::Gemma(m) => m.forward(&input, pos)?,
            Decoder::Phi3(m) => m.forward(&input, pos)?,
            Decoder::QLlama(m) => m.forward(&input, pos)?,
            Decoder::QQwen2(m) => m.forward(&input, pos)?,
        };
        let dims = logits.dims().to_vec();
        let vocab = *dims.last().unwrap_or(&0);
        let all = logits
            .to_dtype(DType::F32)?
            .flatten_all()?
            .to_vec1::<f32>()?;
        Ok(all[all.len().saturating_sub(vocab)..].to_vec())
    }
}

/// A tokenizer: Hugging Face's (tokenizer.json, or GPT-2-style BPE from GGUF) or the SPM one.
pub(crate) enum Tok {
    Hf(Box<tokenizers::Tokenizer>),
    Spm(super::spm::Spm),
}

impl Tok {
    fn encode(&self, text: &str) -> Option<Vec<u32>> {
        match self {
            Tok::Hf(t) => t.encode(text, true).ok().map(|e| e.get_ids().to_vec()),
            Tok::Spm(s) => Some(s.encode(text)),
        }
    }

    fn decode(&self, ids: &[u32]) -> Option<String> {
        match self {
            Tok::Hf(t) => t.decode(ids, true).ok(),
            Tok::Spm(s) => Some(s.decode(ids)),
        }
    }
}

/// The ids of the fixed prompt and a description of the input for the record.
pub(crate) struct Prompt {
    pub ids: Vec<u32>,
    pub tokenizer: Option<Tok>,
    pub eos: Option<u32>,
}

impl Prompt {
    /// Encodes [`PROMPT`] with `tokenizer`, or falls back to fixed ids below `vocab`.
    pub(crate) fn new(
        mut tokenizer: Option<Tok>,
        vocab: usize,
        eos: Option<u32>,
        details: &mut Details,
    ) -> Prompt {
        if let Some(Tok::Hf(tok)) = tokenizer.as_mut() {
            tok.with_padding(None);
        }
        if let Some(tok) = &tokenizer
            && let Some(ids) = tok.encode(PROMPT)
            && !ids.is_empty()
            && ids.iter().all(|&i| (i as usize) < vocab)
        {
            details.input = Some(PROMPT.to_string());
            return Prompt {
                ids,
                tokenizer,
                eos,
            };
        }
        let ids: Vec<u32> = FIXED_IDS.iter().map(|i| i % vocab.max(1) as u32).collect();
        details.notes.push(format!(
            "no usable tokenizer: fixed prompt token ids {ids:?} used"
        ));
        details.input = Some(format!("token ids {ids:?}"));
        Prompt {
            ids,
            tokenizer: None,
            eos,
        }
    }
}

/// Prefill plus greedy generation of `opts.max_new_tokens`, stopping early at EOS.
pub(crate) fn generate(
    arch: &str,
    mut dec: Decoder,
    prompt: Prompt,
    opts: &SmokeOptions,
    load_ms: f64,
    details: &mut Details,
) -> Result<RunResult, Finding> {
    let dev = Device::Cpu;
    let failed = |e: String| {
        Finding::new(
            &RuntimeCode::SmokeForwardFailed,
            format!("the forward pass failed: {e}"),
        )
    };
    let t = Instant::now();
    let first = guarded(|| dec.step(&prompt.ids, 0, &dev)).map_err(failed)?;
    let forward_ms = t.elapsed().as_secs_f64() * 1000.0;
    if first.iter().any(|v| !v.is_finite()) {
        return Err(Finding::new(
            &RuntimeCode::SmokeForwardFailed,
            "the forward pass produced NaN or infinite logits",
        ));
    }
    let mut generated = vec![argmax(&first)];
    let mut pos = prompt.ids.len();
    let t = Instant::now();
    while generated.len() < opts.max_new_tokens.max(1) {
        let last = *generated.last().expect("one token");
        if Some(last) == prompt.eos {
            break;
        }
        let logits = guarded(|| dec.step(&[last], pos, &dev)).map_err(failed)?;
        if logits.iter().any(|v| !v.is_finite()) {
            return Err(Finding::new(
                &RuntimeCode::SmokeForwardFailed,
                format!(
                    "generation produced NaN or infinite logits at token {}",
                    generated.len()
                ),
            ));
        }
        pos += 1;
        generated.push(argmax(&logits));
    }
    let decode_s = t.elapsed().as_secs_f64();
    let tps = if generated.len() > 1 && decode_s > 0.0 {
        Some((generated.len() - 1) as f64 / decode_s)
    } else {
        None
    };
    if let Some(tok) = &prompt.tokenizer {
        details.output_text = tok.decode(&generated);
    }
    details.generated_token_ids = generated.clone();
    // The top logits of the prefill, rounded coarsely: quantized kernels differ in the last bits.
    let mut top: Vec<f32> = first.clone();
    top.sort_by(|a, b| b.total_cmp(a));
    top.truncate(5);
    let top: Vec<f32> = top.iter().map(|v| (v * 10.0).round() / 10.0).collect();
    let mut tokens = prompt.ids.clone();
    tokens.push(u32::MAX);
    tokens.extend(&generated);
    Ok(RunResult {
        load_ms,
        forward_ms,
        tokens_per_second: tps,
        fingerprint: Some(fingerprint(&format!("{arch}-greedy"), &top, &tokens)),
    })
}

fn config_err(arch: &str, e: serde_json::Error) -> Finding {
    Finding::new(
        &RuntimeCode::SmokeConfigInvalid,
        format!("config.json is not a {arch} config candle can read: {e}"),
    )
    .at("config.json")
}

/// Builds a safetensors decoder and generates.
#[allow(clippy::too_many_arguments)]
pub(crate) fn run_safetensors(
    dir: &Path,
    arch: &Arch,
    config: &serde_json::Value,
    vb: candle_nn::VarBuilder,
    opts: &SmokeOptions,
    details: &mut Details,
    log: &Arc<Mutex<Log>>,
    start: Instant,
) -> Result<Option<RunResult>, Finding> {
    let dev = Device::Cpu;
    let load_failed = |e: String| {
        Finding::new(
            &RuntimeCode::SmokeLoadFailed,
            format!("candle cannot build the {} model: {e}", arch.name()),
        )
    };
    let vocab = config["vocab_size"].as_u64().unwrap_or(0) as usize;
    let eos = config["eos_token_id"]
        .as_u64()
        .or_else(|| config["eos_token_id"][0].as_u64())
        .map(|v| v as u32);
    let dec = match arch {
        Arch::Llama => {
            let c: llama::LlamaConfig =
                serde_json::from_value(config.clone()).map_err(|e| config_err("llama", e))?;
            let c = c.into_config(false);
            let m = guarded(|| llama::Llama::load(vb, &c)).map_err(load_failed)?;
            if log.lock().map(|l| l.has_problems()).unwrap_or(true) {
                return Ok(None);
            }
            // The cache holds the RoPE tables for the whole context: built only once the weights
            // are known to fit the config (the memory guard counted them).
            let cache =
                guarded(|| llama::Cache::new(true, DType::F32, &c, &dev)).map_err(load_failed)?;
            Decoder::Llama(Box::new(m), cache)
        }
        Arch::Mistral => {
            let c: mistral::Config =
                serde_json::from_value(config.clone()).map_err(|e| config_err("mistral", e))?;
            Decoder::Mistral(Box::new(
                guarded(|| mistral::Model::new(&c, vb)).map_err(load_failed)?,
            ))
        }
        Arch::Qwen2 => {
            let c: qwen2::Config =
                serde_json::from_value(config.clone()).map_err(|e| config_err("qwen2", e))?;
            Decoder::Qwen2(Box::new(
                guarded(|| qwen2::ModelForCausalLM::new(&c, vb)).map_err(load_failed)?,
            ))
        }
        Arch::Qwen3 => {
            let c: qwen3::Config =
                serde_json::from_value(config.clone()).map_err(|e| config_err("qwen3", e))?;
            Decoder::Qwen3(Box::new(
                guarded(|| qwen3::ModelForCausalLM::new(&c, vb)).map_err(load_failed)?,
            ))
        }
        Arch::Gemma => {
            let c: gemma::Config =
                serde_json::from_value(config.clone()).map_err(|e| config_err("gemma", e))?;
            Decoder::Gemma(Box::new(
                guarded(|| gemma::Model::new(false, &c, vb)).map_err(load_failed)?,
            ))
        }
        Arch::Phi3 => {
            let c: phi3::Config =
                serde_json::from_value(config.clone()).map_err(|e| config_err("phi3", e))?;
            Decoder::Phi3(Box::new(
                guarded(|| phi3::Model::new(&c, vb)).map_err(load_failed)?,
            ))
        }
        _ => return Ok(None),
    };
    let load_ms = start.elapsed().as_secs_f64() * 1000.0;
    if log.lock().map(|l| l.has_problems()).unwrap_or(true) {
        return Ok(None);
    }
    let tokenizer = tokenizers::Tokenizer::from_file(dir.join("tokenizer.json"))
        .ok()
        .map(|t| Tok::Hf(Box::new(t)));
    let prompt = Prompt::new(tokenizer, vocab, eos, details);
    generate(&arch.name(), dec, prompt, opts, load_ms, details).map(Some)
}
