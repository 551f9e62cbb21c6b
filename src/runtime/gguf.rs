//! GGUF models: header parsing (candle's bounds-checked reader), data bounds, the tensors the
//! architecture's metadata implies, a sample scan of float tensors, and quantized generation.

use super::decoder::{Decoder, Prompt, Tok, generate};
use super::{Details, RunResult, RuntimeCode, RuntimeError, SmokeOptions};
use crate::finding::{Finding, Severity};
use crate::record::SmokeSection;
use candle_core::Device;
use candle_core::quantized::GgmlDType;
use candle_core::quantized::gguf_file::{Content, TensorInfo, Value};
use candle_core::quantized::tokenizer::TokenizerFromGguf;
use candle_transformers::models::{quantized_llama, quantized_qwen2};
use std::collections::BTreeSet;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;
use std::time::Instant;

/// Architectures (`general.architecture`) the runtime can run from GGUF. Mistral GGUFs declare `llama`.
const SUPPORTED: [&str; 2] = ["llama", "qwen2"];

fn md_u64(ct: &Content, key: &str) -> Option<u64> {
    match ct.metadata.get(key)? {
        Value::U8(v) => Some(u64::from(*v)),
        Value::U16(v) => Some(u64::from(*v)),
        Value::U32(v) => Some(u64::from(*v)),
        Value::U64(v) => Some(*v),
        Value::I32(v) => u64::try_from(*v).ok(),
        Value::I64(v) => u64::try_from(*v).ok(),
        _ => None,
    }
}

fn dtype_name(t: GgmlDType) -> String {
    format!("{t:?}")
}

/// The sizes a llama/qwen2 GGUF's metadata declares, once they agree with its tensors.
#[derive(Debug, Clone)]
struct Hparams {
    embd: usize,
    blocks: usize,
    heads: usize,
    kv_heads: usize,
    ffn: usize,
    head_dim: usize,
    vocab: usize,
    /// Mixture-of-experts width (`llama.expert_count`); 0 or 1 is a dense model.
    experts: usize,
    /// Width of the RoPE tables (`llama.rope.dimension_count`; qwen2 uses the head width).
    rope_dim: usize,
    /// Positions candle builds RoPE tables for: 4096 for llama, the context length for qwen2.
    rope_positions: usize,
}

fn first_dim(ct: &Content, name: &str) -> Option<usize> {
    ct.tensor_infos
        .get(name)
        .and_then(|t| t.shape.dims().first().copied())
}

/// The block indices present: `N` of every `blk.N.…` tensor.
fn blocks_present(ct: &Content) -> BTreeSet<usize> {
    ct.tensor_infos
        .keys()
        .filter_map(|n| n.strip_prefix("blk.")?.split('.').next()?.parse().ok())
        .collect()
}

impl Hparams {
    /// Reads and checks the metadata against the tensors, before any of it reaches candle, which
    /// divides by the head counts, loops over (and reserves for) the blocks and the experts, and
    /// sizes RoPE tables by the rope width. `Err` holds the findings.
    fn read(ct: &Content, arch: &str) -> Result<Hparams, Vec<Finding>> {
        let invalid = |msg: String| Finding::new(&RuntimeCode::SmokeConfigInvalid, msg);
        let mismatch = |msg: String| Finding::new(&RuntimeCode::SmokeConfigMismatch, msg);
        let key = |k: &str| format!("{arch}.{k}");
        let get = |k: &str| {
            md_u64(ct, &key(k))
                .map(|v| usize::try_from(v).unwrap_or(usize::MAX))
                .ok_or_else(|| vec![invalid(format!("GGUF metadata lacks `{}`", key(k)))])
        };
        let embd = get("embedding_length")?;
        let blocks = get("block_count")?;
        let heads = get("attention.head_count")?;
        let kv_heads = get("attention.head_count_kv").unwrap_or(heads);
        let ffn = get("feed_forward_length")?;
        let rope_dim = if arch == "llama" {
            Some(get("rope.dimension_count")?)
        } else {
            None
        };
        let context = if arch == "qwen2" {
            Some(get("context_length")?)
        } else {
            None
        };
        let experts = md_u64(ct, &key("expert_count")).unwrap_or(0) as usize;
        let experts_used = md_u64(ct, &key("expert_used_count")).unwrap_or(0) as usize;

        let mut found = Vec::new();
        for (k, v) in [
            ("embedding_length", Some(embd)),
            ("block_count", Some(blocks)),
            ("attention.head_count", Some(heads)),
            ("attention.head_count_kv", Some(kv_heads)),
            ("feed_forward_length", Some(ffn)),
            ("rope.dimension_count", rope_dim),
            ("context_length", context),
        ] {
            if v == Some(0) {
                found.push(invalid(format!("`{}` is 0", key(k))));
            }
        }
        if !found.is_empty() {
            return Err(found);
        }
        if !embd.is_multiple_of(heads) {
            found.push(invalid(format!(
                "`{arch}.embedding_length` {embd} is not a multiple of `{arch}.attention.head_count` {heads}"
            )));
        }
        if !heads.is_multiple_of(kv_heads) {
            found.push(invalid(format!(
                "`{arch}.attention.head_count` {heads} is not a multiple of `{arch}.attention.head_count_kv` {kv_heads}"
            )));
        }
        let head_dim = embd / heads;
        if let Some(r) = rope_dim
            && (r > head_dim || !r.is_multiple_of(2))
        {
            found.push(mismatch(format!(
                "`{arch}.rope.dimension_count` is {r}; RoPE rotates at most the head width {head_dim}, in pairs"
            )));
        }

        // The embeddings pin the width and the vocabulary.
        let vocab = match ct.metadata.get("tokenizer.ggml.tokens") {
            Some(Value::Array(a)) => a.len(),
            _ => first_dim(ct, "token_embd.weight").unwrap_or(0),
        };
        if let Some(t) = ct.tensor_infos.get("token_embd.weight")
            && t.shape.dims().get(1).is_some_and(|d| *d != embd)
        {
            found.push(mismatch(format!(
                "`{arch}.embedding_length` is {embd}, but `token_embd.weight` has shape {:?}",
                t.shape.dims()
            )));
        }

        // A block count is compared with the blocks present, never used as a loop bound first.
        let present = blocks_present(ct);
        let held = present.last().map_or(0, |b| b + 1);
        if blocks > held {
            found.push(mismatch(format!(
                "`{arch}.block_count` is {blocks}, but the file holds tensors for {} blocks (`blk.N.…`)",
                if present.is_empty() { "no".to_string() } else { held.to_string() }
            )));
        }
        if experts > 1 {
            let held = (0..=experts)
                .take_while(|i| {
                    ct.tensor_infos
                        .contains_key(&format!("blk.0.ffn_gate.{i}.weight"))
                })
                .count();
            if held != experts {
                found.push(mismatch(format!(
                    "`{arch}.expert_count` is {experts}, but block 0 holds {held} experts"
                )));
            }
            if experts_used == 0 || experts_used > experts {
                found.push(invalid(format!(
                    "`{arch}.expert_used_count` is {experts_used}; it must be between 1 and `{arch}.expert_count` {experts}"
                )));
            }
        }
        if !found.is_empty() {
            return Err(found);
        }
        Ok(Hparams {
            embd,
            blocks,
            heads,
            kv_heads,
            ffn,
            head_dim,
            vocab,
            experts,
            rope_dim: rope_dim.unwrap_or(head_dim),
            rope_positions: context.unwrap_or(quantized_llama::MAX_SEQ_LEN),
        })
    }

    /// The tensors (name, shape as candle reports it, required) the model must hold.
    fn expected(&self, arch: &str) -> Vec<(String, Vec<usize>, bool)> {
        let (embd, ffn, vocab) = (self.embd, self.ffn, self.vocab);
        let kv = self.kv_heads.saturating_mul(self.head_dim);
        let mut out = vec![
            ("token_embd.weight".to_string(), vec![vocab, embd], true),
            ("output_norm.weight".to_string(), vec![embd], true),
            ("output.weight".to_string(), vec![vocab, embd], false),
        ];
        for i in 0..self.blocks {
            let p = format!("blk.{i}");
            out.push((format!("{p}.attn_norm.weight"), vec![embd], true));
            out.push((format!("{p}.ffn_norm.weight"), vec![embd], true));
            out.push((format!("{p}.attn_q.weight"), vec![embd, embd], true));
            out.push((format!("{p}.attn_k.weight"), vec![kv, embd], true));
            out.push((format!("{p}.attn_v.weight"), vec![kv, embd], true));
            out.push((format!("{p}.attn_output.weight"), vec![embd, embd], true));
            if self.experts > 1 {
                let e = self.experts;
                out.push((format!("{p}.ffn_gate_inp.weight"), vec![e, embd], true));
                for x in 0..e {
                    out.push((format!("{p}.ffn_gate.{x}.weight"), vec![ffn, embd], true));
                    out.push((format!("{p}.ffn_up.{x}.weight"), vec![ffn, embd], true));
                    out.push((format!("{p}.ffn_down.{x}.weight"), vec![embd, ffn], true));
                }
            } else {
                out.push((format!("{p}.ffn_gate.weight"), vec![ffn, embd], true));
                out.push((format!("{p}.ffn_up.weight"), vec![ffn, embd], true));
                out.push((format!("{p}.ffn_down.weight"), vec![embd, ffn], true));
            }
            if arch == "qwen2" {
                out.push((format!("{p}.attn_q.bias"), vec![embd], true));
                out.push((format!("{p}.attn_k.bias"), vec![kv], true));
                out.push((format!("{p}.attn_v.bias"), vec![kv], true));
            }
        }
        out
    }

    /// What loading needs: the file's bytes (quantized weights stay quantized), float tensors and
    /// the token embeddings dequantized to F32, the RoPE tables, KV cache, masks and logits.
    fn memory_needed(&self, ct: &Content, file_len: u64, opts: &SmokeOptions) -> u64 {
        let f32_copies: u64 = ct
            .tensor_infos
            .iter()
            .filter(|(n, t)| {
                n.as_str() == "token_embd.weight"
                    || matches!(
                        t.ggml_dtype,
                        GgmlDType::F32 | GgmlDType::F16 | GgmlDType::BF16
                    )
            })
            .map(|(_, t)| elem_count(t).unwrap_or(0).saturating_mul(4))
            .fold(0u64, u64::saturating_add);
        let positions = super::sizes::PROMPT_TOKENS + opts.max_new_tokens as u64;
        let extra = super::sizes::rope_bytes(self.rope_positions as u64, self.rope_dim as u64)
            .saturating_add(super::sizes::decoder_bytes(
                self.blocks as u64,
                self.kv_heads.saturating_mul(self.head_dim) as u64,
                self.heads as u64,
                self.vocab as u64,
                positions,
            ));
        // The working memory of the quantized kernels and of the process itself: a tiny qwen2
        // GGUF peaks near 76 MB however small its weights.
        file_len
            .saturating_add(f32_copies)
            .saturating_add(extra)
            .saturating_add(128 << 20)
    }
}

/// Elements of a GGUF tensor, `None` when the declared dimensions overflow.
fn elem_count(t: &TensorInfo) -> Option<u64> {
    t.shape
        .dims()
        .iter()
        .try_fold(1u64, |a, &d| a.checked_mul(d as u64))
}

fn has_failure(findings: &[Finding]) -> bool {
    findings.iter().any(|f| f.severity >= Severity::High)
}

/// The smoke test of one GGUF file.
pub(crate) fn smoke(
    path: &Path,
    opts: &SmokeOptions,
    section: &mut SmokeSection,
    details: &mut Details,
    findings: &mut Vec<Finding>,
) -> Result<Option<RunResult>, RuntimeError> {
    let at = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let io = |source| RuntimeError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut file = std::fs::File::open(path).map_err(io)?;
    let file_len = file.metadata().map_err(io)?.len();
    let start = Instant::now();
    let ct = match read_header(&mut file, file_len) {
        Ok(ct) => ct,
        Err(msg) => {
            findings.push(Finding::new(&RuntimeCode::SmokeWeightsUnreadable, msg).at(at));
            return Ok(None);
        }
    };
    let arch = describe(&ct, file_len, section, details);
    check_data(&mut file, &ct, file_len, opts, &at, findings).map_err(io)?;
    if !SUPPORTED.contains(&arch.as_str()) {
        findings.push(
            Finding::new(
                &RuntimeCode::SmokeUnsupportedArchitecture,
                format!("unsupported architecture {arch}: structural checks only, no forward pass"),
            )
            .at(at),
        );
        return Ok(None);
    }
    let hp = match Hparams::read(&ct, &arch) {
        Ok(hp) => {
            check_tensors(&ct, &hp, &arch, &at, findings);
            Some(hp)
        }
        Err(found) => {
            findings.extend(found.into_iter().map(|f| f.at(at.clone())));
            None
        }
    };
    let Some(hp) = hp.filter(|_| !has_failure(findings)) else {
        details
            .notes
            .push("forward pass skipped: the weights failed structural checks".into());
        return Ok(None);
    };
    let needed = hp.memory_needed(&ct, file_len, opts);
    details.memory_estimate_bytes = Some(needed);
    super::check_memory(path, needed, opts)?;
    let prompt = prompt(&ct, details);
    file.seek(SeekFrom::Start(0)).map_err(io)?;
    match build(ct, file, &arch) {
        Ok(dec) => {
            let load_ms = start.elapsed().as_secs_f64() * 1000.0;
            match generate(&arch, dec, prompt, opts, load_ms, details) {
                Ok(r) => Ok(Some(r)),
                Err(f) => {
                    findings.push(f.at(at));
                    Ok(None)
                }
            }
        }
        Err(f) => {
            findings.push(f.at(at));
            Ok(None)
        }
    }
}

/// Parses the header with candle's bounds-checked reader, after checking what it trusts;
/// `Err` is a message for `smoke-weights-unreadable`.
fn read_header(file: &mut std::fs::File, file_len: u64) -> Result<Content, String> {
    super::gguf_header::check(file, file_len)?;
    let read = super::guarded(|| Content::read(file));
    read.map_err(|msg| match msg.strip_prefix("unknown dtype for tensor ") {
        Some(id) => {
            format!("a tensor has GGUF type id {id}, which is unknown (or not supported by candle)")
        }
        None => format!("cannot parse the GGUF header: {msg}"),
    })
}

/// Records the architecture, types, tensor count and parameters; returns the architecture.
fn describe(
    ct: &Content,
    file_len: u64,
    section: &mut SmokeSection,
    details: &mut Details,
) -> String {
    let arch = ct
        .metadata
        .get("general.architecture")
        .and_then(|v| v.to_string().ok())
        .cloned()
        .unwrap_or_else(|| "unknown (no general.architecture)".into());
    section.architecture = Some(arch.clone());
    let dtypes: BTreeSet<String> = ct
        .tensor_infos
        .values()
        .map(|t| dtype_name(t.ggml_dtype))
        .collect();
    details.dtypes = dtypes.into_iter().collect();
    details.tensors = ct.tensor_infos.len();
    details.weights_bytes = file_len;
    section.parameters = Some(
        ct.tensor_infos
            .values()
            .map(|t| elem_count(t).unwrap_or(0))
            .fold(0u64, u64::saturating_add),
    );
    arch
}

/// Data bounds (every tensor's bytes inside the file, in whole quantization blocks) and the
/// sampled NaN/Inf and all-zero scan of float tensors.
fn check_data(
    file: &mut std::fs::File,
    ct: &Content,
    file_len: u64,
    opts: &SmokeOptions,
    at: &str,
    findings: &mut Vec<Finding>,
) -> std::io::Result<()> {
    let unreadable =
        |msg: String| Finding::new(&RuntimeCode::SmokeWeightsUnreadable, msg).at(at.to_string());
    let mut names: Vec<&String> = ct.tensor_infos.keys().collect();
    names.sort();
    for name in names {
        let t = &ct.tensor_infos[name];
        let block = t.ggml_dtype.block_size() as u64;
        let Some(elems) = elem_count(t) else {
            findings.push(unreadable(format!(
                "tensor `{name}`: dimensions {:?} overflow",
                t.shape.dims()
            )));
            continue;
        };
        if !elems.is_multiple_of(block) {
            findings.push(unreadable(format!(
                "tensor `{name}`: {elems} elements do not fill whole {:?} blocks of {block}",
                t.ggml_dtype
            )));
            continue;
        }
        let bytes = (elems / block).saturating_mul(t.ggml_dtype.type_size() as u64);
        let end = ct
            .tensor_data_offset
            .saturating_add(t.offset)
            .saturating_add(bytes);
        if end > file_len {
            findings.push(unreadable(format!(
                "tensor `{name}` ends at byte {end}, past the end of the file ({file_len} bytes; truncated?)"
            )));
        } else if matches!(
            t.ggml_dtype,
            GgmlDType::F32 | GgmlDType::F16 | GgmlDType::BF16
        ) {
            scan_tensor(file, ct, name, t, bytes, opts.scan_samples, at, findings)?;
        }
    }
    Ok(())
}

/// Compares the tensors present with those the metadata implies: missing and mis-shaped ones
/// fail, extra ones are noted.
fn check_tensors(ct: &Content, hp: &Hparams, arch: &str, at: &str, findings: &mut Vec<Finding>) {
    let mut known = BTreeSet::new();
    for (name, shape, required) in hp.expected(arch) {
        match ct.tensor_infos.get(&name) {
            None if required => findings.push(
                Finding::new(
                    &RuntimeCode::SmokeTensorMissing,
                    format!("tensor `{name}` (shape {shape:?}) is required but absent"),
                )
                .at(at)
                .with_evidence(name.clone()),
            ),
            Some(t) if t.shape.dims() != shape.as_slice() => findings.push(
                Finding::new(
                    &RuntimeCode::SmokeTensorShapeMismatch,
                    format!(
                        "tensor `{name}` has shape {:?}; the metadata implies {shape:?}",
                        t.shape.dims()
                    ),
                )
                .at(at)
                .with_evidence(name.clone()),
            ),
            _ => {}
        }
        known.insert(name);
    }
    let mut extra: Vec<&str> = ct
        .tensor_infos
        .keys()
        .filter(|n| !known.contains(*n))
        .map(String::as_str)
        .collect();
    extra.sort_unstable();
    if !extra.is_empty() {
        findings.push(
            Finding::new(
                &RuntimeCode::SmokeTensorUnexpected,
                format!("{} tensor(s) the architecture does not read", extra.len()),
            )
            .at(at)
            .with_evidence(
                extra
                    .iter()
                    .take(20)
                    .copied()
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
        );
    }
}

/// The fixed prompt, tokenized with the vocabulary in the metadata where one is usable.
fn prompt(ct: &Content, details: &mut Details) -> Prompt {
    let tokenizer = match super::spm::Spm::from_gguf(ct) {
        Some(spm) => {
            details.notes.push(
                "sentencepiece vocabulary from GGUF metadata (modelvet's SPM tokenizer)".into(),
            );
            Some(Tok::Spm(spm))
        }
        None => match super::guarded(|| {
            tokenizers::Tokenizer::from_gguf(ct).map_err(|e| candle_core::Error::Msg(e.to_string()))
        }) {
            Ok(t) => Some(Tok::Hf(Box::new(t))),
            Err(e) => {
                details
                    .notes
                    .push(format!("tokenizer from GGUF metadata not usable: {e}"));
                None
            }
        },
    };
    let vocab = first_dim(ct, "token_embd.weight").unwrap_or(0);
    let eos = md_u64(ct, "tokenizer.ggml.eos_token_id").map(|v| v as u32);
    let mut prompt = Prompt::new(tokenizer, vocab, eos, details);
    if let Some(bos) = md_u64(ct, "tokenizer.ggml.bos_token_id")
        && matches!(prompt.tokenizer, Some(Tok::Hf(_)))
        && matches!(
            ct.metadata.get("tokenizer.ggml.add_bos_token"),
            Some(Value::Bool(true))
        )
        && prompt.ids.first() != Some(&(bos as u32))
    {
        prompt.ids.insert(0, bos as u32);
    }
    prompt
}

/// Builds the quantized model (the weights stay quantized) under the panic guard.
fn build(mut ct: Content, file: std::fs::File, arch: &str) -> Result<Decoder, Finding> {
    // The vocabulary (tens of thousands of strings) is no longer needed: free it before loading.
    ct.metadata.retain(|k, _| !k.starts_with("tokenizer."));
    let dev = Device::Cpu;
    let mut reader = std::io::BufReader::new(file);
    let built = if arch == "qwen2" {
        super::guarded(|| quantized_qwen2::ModelWeights::from_gguf(ct, &mut reader, &dev))
            .map(|m| Decoder::QQwen2(Box::new(m)))
    } else {
        super::guarded(|| quantized_llama::ModelWeights::from_gguf(ct, &mut reader, &dev))
            .map(|m| Decoder::QLlama(Box::new(m)))
    };
    built.map_err(|e| {
        Finding::new(
            &RuntimeCode::SmokeLoadFailed,
            format!("candle cannot build the {arch} model: {e}"),
        )
    })
}

#[allow(clippy::too_many_arguments)]
fn scan_tensor(
    file: &mut std::fs::File,
    ct: &Content,
    name: &str,
    t: &TensorInfo,
    bytes: u64,
    samples: usize,
    at: &str,
    findings: &mut Vec<Finding>,
) -> std::io::Result<()> {
    // Float tensors in quantized GGUFs are norms and biases, small enough to read whole (capped).
    let take = bytes.min(4 << 20);
    file.seek(SeekFrom::Start(ct.tensor_data_offset + t.offset))?;
    let mut buf = vec![0u8; take as usize];
    file.read_exact(&mut buf)?;
    let (dtype, size) = match t.ggml_dtype {
        GgmlDType::F32 => ("F32", 4),
        GgmlDType::F16 => ("F16", 2),
        _ => ("BF16", 2),
    };
    let (seen, bad, zero) = super::safetensors::sample_scan(dtype, &buf, size, samples);
    if bad > 0 {
        findings.push(
            Finding::new(
                &RuntimeCode::SmokeTensorNotFinite,
                format!("tensor `{name}`: {bad} of {seen} sampled values are NaN or infinite"),
            )
            .at(at)
            .with_evidence(name),
        );
    } else if seen > 0 && zero == seen && t.shape.rank() >= 2 {
        findings.push(
            Finding::new(
                &RuntimeCode::SmokeTensorAllZero,
                format!("tensor `{name}`: all {seen} sampled values are zero"),
            )
            .at(at)
            .with_evidence(name),
        );
    }
    Ok(())
}
