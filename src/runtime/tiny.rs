//! Tiny random models for tests and demos: a config.json plus safetensors for every architecture the
//! runtime builds, and GGUF files for the quantized ones. The tensor names and shapes come from
//! candle-transformers' own loading code (through a `VarMap`), so they are what a real checkpoint
//! of that architecture holds.

use candle_core::quantized::gguf_file::{self, Value};
use candle_core::quantized::{GgmlDType, QTensor};
use candle_core::{DType, Device, Tensor};
use candle_nn::{VarBuilder, VarMap};
use candle_transformers::models::{bert, gemma, llama, mistral, phi3, qwen2, qwen3};
use std::collections::BTreeMap;
use std::path::Path;

/// Architectures with a tiny safetensors writer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TinyArch {
    Bert,
    Llama,
    Mistral,
    Qwen2,
    Qwen3,
    Gemma,
    Phi3,
}

impl TinyArch {
    /// All of them.
    pub const ALL: [TinyArch; 7] = [
        TinyArch::Bert,
        TinyArch::Llama,
        TinyArch::Mistral,
        TinyArch::Qwen2,
        TinyArch::Qwen3,
        TinyArch::Gemma,
        TinyArch::Phi3,
    ];

    /// The name `smoke` reports for it.
    pub fn name(self) -> &'static str {
        match self {
            TinyArch::Bert => "bert",
            TinyArch::Llama => "llama",
            TinyArch::Mistral => "mistral",
            TinyArch::Qwen2 => "qwen2",
            TinyArch::Qwen3 => "qwen3",
            TinyArch::Gemma => "gemma",
            TinyArch::Phi3 => "phi3",
        }
    }
}

/// A tiny config.json for `arch` (hidden 64, 2 layers, vocab 128).
pub fn config(arch: TinyArch) -> serde_json::Value {
    use serde_json::json;
    match arch {
        TinyArch::Bert => json!({
            "architectures": ["BertModel"], "model_type": "bert",
            "vocab_size": 128, "hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4,
            "intermediate_size": 128, "hidden_act": "gelu", "hidden_dropout_prob": 0.1,
            "max_position_embeddings": 64, "type_vocab_size": 2, "initializer_range": 0.02,
            "layer_norm_eps": 1e-12, "pad_token_id": 0
        }),
        TinyArch::Llama => json!({
            "architectures": ["LlamaForCausalLM"], "model_type": "llama",
            "vocab_size": 128, "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2,
            "num_attention_heads": 4, "num_key_value_heads": 2, "rms_norm_eps": 1e-5,
            "max_position_embeddings": 64, "tie_word_embeddings": true, "bos_token_id": 1,
            "eos_token_id": 2
        }),
        TinyArch::Mistral => json!({
            "architectures": ["MistralForCausalLM"], "model_type": "mistral",
            "vocab_size": 128, "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2,
            "num_attention_heads": 4, "num_key_value_heads": 2, "hidden_act": "silu",
            "max_position_embeddings": 64, "rms_norm_eps": 1e-5, "rope_theta": 10000.0,
            "sliding_window": 32
        }),
        TinyArch::Qwen2 => json!({
            "architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2",
            "vocab_size": 128, "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2,
            "num_attention_heads": 4, "num_key_value_heads": 2, "max_position_embeddings": 64,
            "sliding_window": 64, "max_window_layers": 2, "tie_word_embeddings": false,
            "rope_theta": 10000.0, "rms_norm_eps": 1e-6, "use_sliding_window": false,
            "hidden_act": "silu"
        }),
        TinyArch::Qwen3 => json!({
            "architectures": ["Qwen3ForCausalLM"], "model_type": "qwen3",
            "vocab_size": 128, "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2,
            "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 16,
            "attention_bias": false, "max_position_embeddings": 64, "sliding_window": null,
            "max_window_layers": 2, "tie_word_embeddings": true, "rope_theta": 10000.0,
            "rms_norm_eps": 1e-6, "use_sliding_window": false, "hidden_act": "silu"
        }),
        TinyArch::Gemma => json!({
            "architectures": ["GemmaForCausalLM"], "model_type": "gemma",
            "vocab_size": 128, "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2,
            "num_attention_heads": 4, "num_key_value_heads": 1, "head_dim": 16,
            "attention_bias": false, "hidden_act": "gelu_pytorch_tanh", "rms_norm_eps": 1e-6,
            "rope_theta": 10000.0, "max_position_embeddings": 64
        }),
        TinyArch::Phi3 => json!({
            "architectures": ["Phi3ForCausalLM"], "model_type": "phi3",
            "vocab_size": 128, "hidden_act": "silu", "hidden_size": 64, "intermediate_size": 128,
            "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 4,
            "rms_norm_eps": 1e-5, "rope_theta": 10000.0, "bos_token_id": 1, "eos_token_id": 2,
            "max_position_embeddings": 64, "tie_word_embeddings": false
        }),
    }
}

/// Random tensors for `config` of `arch`, named as candle-transformers loads them.
pub fn tensors(
    arch: TinyArch,
    config: &serde_json::Value,
) -> candle_core::Result<BTreeMap<String, Tensor>> {
    let dev = Device::Cpu;
    let vm = VarMap::new();
    let vb = VarBuilder::from_varmap(&vm, DType::F32, &dev);
    let bad = |e: serde_json::Error| candle_core::Error::Msg(format!("tiny config: {e}"));
    match arch {
        TinyArch::Bert => {
            let c: bert::Config = serde_json::from_value(config.clone()).map_err(bad)?;
            bert::BertModel::load(vb, &c)?;
        }
        TinyArch::Llama => {
            let c: llama::LlamaConfig = serde_json::from_value(config.clone()).map_err(bad)?;
            llama::Llama::load(vb, &c.into_config(false))?;
        }
        TinyArch::Mistral => {
            let c: mistral::Config = serde_json::from_value(config.clone()).map_err(bad)?;
            mistral::Model::new(&c, vb)?;
        }
        TinyArch::Qwen2 => {
            let c: qwen2::Config = serde_json::from_value(config.clone()).map_err(bad)?;
            qwen2::ModelForCausalLM::new(&c, vb)?;
        }
        TinyArch::Qwen3 => {
            let c: qwen3::Config = serde_json::from_value(config.clone()).map_err(bad)?;
            qwen3::ModelForCausalLM::new(&c, vb)?;
        }
        TinyArch::Gemma => {
            let c: gemma::Config = serde_json::from_value(config.clone()).map_err(bad)?;
            gemma::Model::new(false, &c, vb)?;
        }
        TinyArch::Phi3 => {
            let c: phi3::Config = serde_json::from_value(config.clone()).map_err(bad)?;
            phi3::Model::new(&c, vb)?;
        }
    }
    let data = vm.data().lock().expect("varmap lock");
    let mut out = BTreeMap::new();
    for (name, var) in data.iter() {
        // Norm weights start at one and biases at zero; nudge biases so no tensor is all zero.
        let t = var.as_tensor().clone();
        let t = if name.ends_with(".bias") {
            (t + 0.01)?
        } else {
            t
        };
        out.insert(name.clone(), t);
    }
    Ok(out)
}

/// Writes `tensors` as one safetensors file.
pub fn write_safetensors(
    path: &Path,
    tensors: &BTreeMap<String, Tensor>,
) -> candle_core::Result<()> {
    let map: std::collections::HashMap<String, Tensor> = tensors
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    candle_core::safetensors::save(&map, path)
}

/// Writes a complete tiny model folder: `config.json` and `model.safetensors`.
pub fn write_model(dir: &Path, arch: TinyArch) -> candle_core::Result<()> {
    std::fs::create_dir_all(dir)?;
    let cfg = config(arch);
    let ts = tensors(arch, &cfg)?;
    std::fs::write(
        dir.join("config.json"),
        serde_json::to_vec_pretty(&cfg).expect("json"),
    )?;
    write_safetensors(&dir.join("model.safetensors"), &ts)
}

/// GGUF architectures with a tiny writer.
pub const GGUF_ARCHES: [&str; 2] = ["llama", "qwen2"];

/// Writes a tiny quantized GGUF (`llama` or `qwen2`; hidden 64, 2 blocks, vocab 64): matrices in
/// `quant` (Q8_0 or Q4_0, mixed with one F16 matrix), norms and biases in F32; `llama` carries a
/// small sentencepiece vocabulary, `qwen2` no tokenizer metadata (fixed prompt ids).
pub fn write_gguf(path: &Path, arch: &str, quant: GgmlDType) -> candle_core::Result<()> {
    write_gguf_filtered(path, arch, quant, |_| true)
}

/// [`write_gguf`], keeping only the tensors for which `keep(name)` holds.
pub fn write_gguf_filtered(
    path: &Path,
    arch: &str,
    quant: GgmlDType,
    keep: impl Fn(&str) -> bool,
) -> candle_core::Result<()> {
    write_gguf_with(path, arch, quant, keep, |_| {})
}

/// [`write_gguf_filtered`], with the metadata (key, value) list edited by `edit` before writing
/// (for tests that craft headers: a zero alignment, a huge block count).
pub fn write_gguf_with(
    path: &Path,
    arch: &str,
    quant: GgmlDType,
    keep: impl Fn(&str) -> bool,
    edit: impl FnOnce(&mut Vec<(String, Value)>),
) -> candle_core::Result<()> {
    let dev = Device::Cpu;
    let (embd, ffn, heads, kv_heads, blocks, vocab) =
        (64usize, 128usize, 4usize, 2usize, 2usize, 64usize);
    let kv = kv_heads * (embd / heads);
    let mut ts: Vec<(String, QTensor)> = Vec::new();
    let mat = |rows: usize, cols: usize, q: GgmlDType| -> candle_core::Result<QTensor> {
        let t = (Tensor::randn(0f32, 0.1, (rows, cols), &dev)?).to_dtype(DType::F32)?;
        QTensor::quantize(&t, q)
    };
    let vec1 = |n: usize, v: f32| -> candle_core::Result<QTensor> {
        let t = (Tensor::ones(n, DType::F32, &dev)? * f64::from(v))?;
        QTensor::quantize(&t, GgmlDType::F32)
    };
    ts.push(("token_embd.weight".into(), mat(vocab, embd, quant)?));
    ts.push(("output_norm.weight".into(), vec1(embd, 1.0)?));
    ts.push(("output.weight".into(), mat(vocab, embd, GgmlDType::F16)?));
    for i in 0..blocks {
        let p = format!("blk.{i}");
        ts.push((format!("{p}.attn_norm.weight"), vec1(embd, 1.0)?));
        ts.push((format!("{p}.ffn_norm.weight"), vec1(embd, 1.0)?));
        ts.push((format!("{p}.attn_q.weight"), mat(embd, embd, quant)?));
        ts.push((format!("{p}.attn_k.weight"), mat(kv, embd, quant)?));
        ts.push((format!("{p}.attn_v.weight"), mat(kv, embd, quant)?));
        ts.push((format!("{p}.attn_output.weight"), mat(embd, embd, quant)?));
        ts.push((format!("{p}.ffn_gate.weight"), mat(ffn, embd, quant)?));
        ts.push((format!("{p}.ffn_up.weight"), mat(ffn, embd, quant)?));
        ts.push((format!("{p}.ffn_down.weight"), mat(embd, ffn, quant)?));
        if arch == "qwen2" {
            ts.push((format!("{p}.attn_q.bias"), vec1(embd, 0.01)?));
            ts.push((format!("{p}.attn_k.bias"), vec1(kv, 0.01)?));
            ts.push((format!("{p}.attn_v.bias"), vec1(kv, 0.01)?));
        }
    }
    let k = |s: &str| format!("{arch}.{s}");
    let md: Vec<(String, Value)> = vec![
        ("general.architecture".into(), Value::String(arch.into())),
        ("general.name".into(), Value::String(format!("tiny-{arch}"))),
        (k("block_count"), Value::U32(blocks as u32)),
        (k("embedding_length"), Value::U32(embd as u32)),
        (k("feed_forward_length"), Value::U32(ffn as u32)),
        (k("context_length"), Value::U32(64)),
        (k("attention.head_count"), Value::U32(heads as u32)),
        (k("attention.head_count_kv"), Value::U32(kv_heads as u32)),
        (k("rope.dimension_count"), Value::U32((embd / heads) as u32)),
        (k("attention.layer_norm_rms_epsilon"), Value::F32(1e-5)),
        (k("rope.freq_base"), Value::F32(10000.0)),
        // Outside the vocabulary: random weights must never stop generation early by chance
        // (tests count the generated tokens).
        (
            "tokenizer.ggml.eos_token_id".into(),
            Value::U32(vocab as u32),
        ),
    ];
    let mut md = md;
    if arch == "llama" {
        // A sentencepiece-style vocabulary (as llama 2 / mistral GGUFs carry): specials, `▁`,
        // letters, a few merges, then byte tokens up to the vocabulary size.
        let mut toks: Vec<String> = ["<unk>", "<s>", "</s>", "\u{2581}"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        toks.extend(
            "abcdefghijklmnopqrstuvwxyzTF"
                .chars()
                .map(|c| c.to_string()),
        );
        toks.extend(
            ["\u{2581}T", "he", "\u{2581}The", "\u{2581}is"]
                .iter()
                .map(|s| s.to_string()),
        );
        let mut b = 0u8;
        while toks.len() < vocab {
            toks.push(format!("<0x{b:02X}>"));
            b += 1;
        }
        let scores: Vec<Value> = (0..toks.len()).map(|i| Value::F32(-(i as f32))).collect();
        let types: Vec<Value> = (0..toks.len())
            .map(|i| {
                Value::I32(if i < 3 {
                    3
                } else if toks[i].starts_with("<0x") {
                    6
                } else {
                    1
                })
            })
            .collect();
        md.push(("tokenizer.ggml.model".into(), Value::String("llama".into())));
        md.push((
            "tokenizer.ggml.tokens".into(),
            Value::Array(toks.into_iter().map(Value::String).collect()),
        ));
        md.push(("tokenizer.ggml.scores".into(), Value::Array(scores)));
        md.push(("tokenizer.ggml.token_type".into(), Value::Array(types)));
        md.push(("tokenizer.ggml.bos_token_id".into(), Value::U32(1)));
    }
    edit(&mut md);
    let md_ref: Vec<(&str, &Value)> = md.iter().map(|(k, v)| (k.as_str(), v)).collect();
    let ts_ref: Vec<(&str, &QTensor)> = ts
        .iter()
        .filter(|(k, _)| keep(k))
        .map(|(k, v)| (k.as_str(), v))
        .collect();
    let mut f = std::fs::File::create(path)?;
    gguf_file::write(&mut f, &md_ref, &ts_ref)
}

/// Byte offset of the 4-byte type id of tensor `name` in a GGUF v2/v3 file written by
/// [`write_gguf`] (for tests that corrupt it).
pub fn gguf_tensor_type_offset(bytes: &[u8], name: &str) -> Option<usize> {
    let mut needle = (name.len() as u64).to_le_bytes().to_vec();
    needle.extend_from_slice(name.as_bytes());
    let at = bytes
        .windows(needle.len())
        .position(|w| w == needle.as_slice())?;
    let dims_at = at + needle.len();
    let n_dims = u32::from_le_bytes(bytes.get(dims_at..dims_at + 4)?.try_into().ok()?) as usize;
    Some(dims_at + 4 + 8 * n_dims)
}
