//! GGUF models: header parsing (candle's bounds-checked reader), data bounds, the tensors the
//! architecture's metadata implies, a sample scan of float tensors, and quantized generation.

use super::decoder::{Decoder, Prompt, Tok, generate};
use super::{Details, RunResult, RuntimeError, SmokeOptions, code};
use crate::finding::Finding;
use crate::record::SmokeSection;
use candle_core::Device;
use candle_core::quantized::GgmlDType;
use candle_core::quantized::gguf_file::{Content, Value};
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

/// The tensors (name, shape as candle reports it, required) that a llama/qwen2 GGUF must hold.
fn expected(ct: &Content, arch: &str) -> Result<Vec<(String, Vec<usize>, bool)>, String> {
    let get = |k: &str| {
        md_u64(ct, &format!("{arch}.{k}"))
            .map(|v| v as usize)
            .ok_or_else(|| format!("GGUF metadata lacks `{arch}.{k}`"))
    };
    let embd = get("embedding_length")?;
    let blocks = get("block_count")?;
    let heads = get("attention.head_count")?;
    let kv_heads = get("attention.head_count_kv").unwrap_or(heads);
    let ffn = get("feed_forward_length")?;
    if heads == 0 || embd % heads != 0 {
        return Err(format!(
            "`{arch}.embedding_length` {embd} is not a multiple of `{arch}.attention.head_count` {heads}"
        ));
    }
    let head_dim = embd / heads;
    let kv = kv_heads * head_dim;
    let vocab = match ct.metadata.get("tokenizer.ggml.tokens") {
        Some(Value::Array(a)) => a.len(),
        _ => ct
            .tensor_infos
            .get("token_embd.weight")
            .map(|t| t.shape.dims()[0])
            .unwrap_or(0),
    };
    let mut out = vec![
        ("token_embd.weight".to_string(), vec![vocab, embd], true),
        ("output_norm.weight".to_string(), vec![embd], true),
        ("output.weight".to_string(), vec![vocab, embd], false),
    ];
    for i in 0..blocks {
        let p = format!("blk.{i}");
        out.push((format!("{p}.attn_norm.weight"), vec![embd], true));
        out.push((format!("{p}.ffn_norm.weight"), vec![embd], true));
        out.push((format!("{p}.attn_q.weight"), vec![embd, embd], true));
        out.push((format!("{p}.attn_k.weight"), vec![kv, embd], true));
        out.push((format!("{p}.attn_v.weight"), vec![kv, embd], true));
        out.push((format!("{p}.attn_output.weight"), vec![embd, embd], true));
        out.push((format!("{p}.ffn_gate.weight"), vec![ffn, embd], true));
        out.push((format!("{p}.ffn_up.weight"), vec![ffn, embd], true));
        out.push((format!("{p}.ffn_down.weight"), vec![embd, ffn], true));
        if arch == "qwen2" {
            out.push((format!("{p}.attn_q.bias"), vec![embd], true));
            out.push((format!("{p}.attn_k.bias"), vec![kv], true));
            out.push((format!("{p}.attn_v.bias"), vec![kv], true));
        }
    }
    Ok(out)
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
    let ct = match Content::read(&mut file) {
        Ok(ct) => ct,
        Err(e) => {
            let msg = e.to_string();
            let msg = match msg.strip_prefix("unknown dtype for tensor ") {
                Some(id) => format!(
                    "a tensor has GGUF type id {id}, which is unknown (or not supported by candle)"
                ),
                None => format!("cannot parse the GGUF header: {msg}"),
            };
            findings.push(Finding::new(code("smoke-weights-unreadable"), msg).at(at));
            return Ok(None);
        }
    };
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
            .map(|t| t.shape.elem_count() as u64)
            .sum(),
    );

    // Data bounds: every tensor's bytes must lie inside the file.
    let mut broken = false;
    let mut names: Vec<&String> = ct.tensor_infos.keys().collect();
    names.sort();
    for name in &names {
        let t = &ct.tensor_infos[*name];
        let elems = t.shape.elem_count();
        let block = t.ggml_dtype.block_size();
        if !elems.is_multiple_of(block) {
            broken = true;
            findings.push(
                Finding::new(
                    code("smoke-weights-unreadable"),
                    format!(
                        "tensor `{name}`: {elems} elements do not fill whole {:?} blocks of {block}",
                        t.ggml_dtype
                    ),
                )
                .at(at.clone()),
            );
            continue;
        }
        let bytes = (elems / block * t.ggml_dtype.type_size()) as u64;
        let end = ct
            .tensor_data_offset
            .saturating_add(t.offset)
            .saturating_add(bytes);
        if end > file_len {
            broken = true;
            findings.push(
                Finding::new(
                    code("smoke-weights-unreadable"),
                    format!(
                        "tensor `{name}` ends at byte {end}, past the end of the file ({file_len} bytes; truncated?)"
                    ),
                )
                .at(at.clone()),
            );
        } else if matches!(
            t.ggml_dtype,
            GgmlDType::F32 | GgmlDType::F16 | GgmlDType::BF16
        ) {
            scan_tensor(
                &mut file,
                &ct,
                name,
                t,
                bytes,
                opts.scan_samples,
                &at,
                findings,
            )
            .map_err(io)?;
        }
    }

    if !SUPPORTED.contains(&arch.as_str()) {
        findings.push(
            Finding::new(
                code("smoke-unsupported-architecture"),
                format!("unsupported architecture {arch}: structural checks only, no forward pass"),
            )
            .at(at),
        );
        return Ok(None);
    }
    match expected(&ct, &arch) {
        Err(msg) => {
            broken = true;
            findings.push(Finding::new(code("smoke-config-invalid"), msg).at(at.clone()));
        }
        Ok(exp) => {
            let mut known = BTreeSet::new();
            for (name, shape, required) in exp {
                known.insert(name.clone());
                match ct.tensor_infos.get(&name) {
                    None if required => {
                        broken = true;
                        findings.push(
                            Finding::new(
                                code("smoke-tensor-missing"),
                                format!("tensor `{name}` (shape {shape:?}) is required but absent"),
                            )
                            .at(at.clone())
                            .with_evidence(name.clone()),
                        );
                    }
                    None => {}
                    Some(t) if t.shape.dims() != shape.as_slice() => {
                        broken = true;
                        findings.push(
                            Finding::new(
                                code("smoke-tensor-shape-mismatch"),
                                format!(
                                    "tensor `{name}` has shape {:?}; the metadata implies {shape:?}",
                                    t.shape.dims()
                                ),
                            )
                            .at(at.clone())
                            .with_evidence(name.clone()),
                        );
                    }
                    Some(_) => {}
                }
            }
            let extra: Vec<&str> = names
                .iter()
                .filter(|n| !known.contains(n.as_str()))
                .map(|s| s.as_str())
                .collect();
            if !extra.is_empty() {
                findings.push(
                    Finding::new(
                        code("smoke-tensor-unexpected"),
                        format!("{} tensor(s) the architecture does not read", extra.len()),
                    )
                    .at(at.clone())
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
    }
    if broken
        || findings
            .iter()
            .any(|f| f.severity >= crate::finding::Severity::High)
    {
        details
            .notes
            .push("forward pass skipped: the weights failed structural checks".into());
        return Ok(None);
    }

    // The quantized weights stay quantized; the token embeddings are dequantized to F32.
    let embd_f32 = ct
        .tensor_infos
        .get("token_embd.weight")
        .map(|t| t.shape.elem_count() as u64 * 4)
        .unwrap_or(0);
    super::check_memory(path, file_len + embd_f32 + (64 << 20), opts)?;

    let tokenizer = match super::spm::Spm::from_gguf(&ct) {
        Some(spm) => {
            details.notes.push(
                "sentencepiece vocabulary from GGUF metadata (modelvet's SPM tokenizer)".into(),
            );
            Some(Tok::Spm(spm))
        }
        None => match tokenizers::Tokenizer::from_gguf(&ct) {
            Ok(t) => Some(Tok::Hf(Box::new(t))),
            Err(e) => {
                details
                    .notes
                    .push(format!("tokenizer from GGUF metadata not usable: {e}"));
                None
            }
        },
    };
    let vocab = ct
        .tensor_infos
        .get("token_embd.weight")
        .map(|t| t.shape.dims()[0])
        .unwrap_or(0);
    let eos = md_u64(&ct, "tokenizer.ggml.eos_token_id").map(|v| v as u32);
    let mut prompt = Prompt::new(tokenizer, vocab, eos, details);
    if let Some(bos) = md_u64(&ct, "tokenizer.ggml.bos_token_id")
        && matches!(prompt.tokenizer, Some(Tok::Hf(_)))
        && matches!(
            ct.metadata.get("tokenizer.ggml.add_bos_token"),
            Some(Value::Bool(true))
        )
        && prompt.ids.first() != Some(&(bos as u32))
    {
        prompt.ids.insert(0, bos as u32);
    }
    // The vocabulary (tens of thousands of strings) is no longer needed: free it before loading.
    let mut ct = ct;
    ct.metadata.retain(|k, _| !k.starts_with("tokenizer."));
    let dev = Device::Cpu;
    file.seek(SeekFrom::Start(0)).map_err(io)?;
    let mut reader = std::io::BufReader::new(file);
    let load_failed = |e: String| {
        Finding::new(
            code("smoke-load-failed"),
            format!("candle cannot build the {arch} model: {e}"),
        )
        .at(at.clone())
    };
    let built = if arch == "qwen2" {
        super::guarded(|| quantized_qwen2::ModelWeights::from_gguf(ct, &mut reader, &dev))
            .map(|m| Decoder::QQwen2(Box::new(m)))
    } else {
        super::guarded(|| quantized_llama::ModelWeights::from_gguf(ct, &mut reader, &dev))
            .map(|m| Decoder::QLlama(Box::new(m)))
    };
    let dec = match built {
        Ok(d) => d,
        Err(e) => {
            findings.push(load_failed(e));
            return Ok(None);
        }
    };
    let load_ms = start.elapsed().as_secs_f64() * 1000.0;
    match generate(&arch, dec, prompt, opts, load_ms, details) {
        Ok(r) => Ok(Some(r)),
        Err(f) => {
            findings.push(f.at(at));
            Ok(None)
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn scan_tensor(
    file: &mut std::fs::File,
    ct: &Content,
    name: &str,
    t: &candle_core::quantized::gguf_file::TensorInfo,
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
                code("smoke-tensor-not-finite"),
                format!("tensor `{name}`: {bad} of {seen} sampled values are NaN or infinite"),
            )
            .at(at)
            .with_evidence(name),
        );
    } else if seen > 0 && zero == seen && t.shape.rank() >= 2 {
        findings.push(
            Finding::new(
                code("smoke-tensor-all-zero"),
                format!("tensor `{name}`: all {seen} sampled values are zero"),
            )
            .at(at)
            .with_evidence(name),
        );
    }
    Ok(())
}
