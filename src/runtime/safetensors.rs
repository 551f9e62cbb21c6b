//! Safetensors models: header validation, sharding, the sampled value scan, and a `VarBuilder`
//! backend that records what the architecture asked for, so that a missing or mis-shaped tensor is
//! a finding (all of them, not just the first) rather than a candle error or a panic.

use super::{Details, RunResult, RuntimeCode, RuntimeError, SmokeOptions};
use crate::finding::Finding;
use crate::record::SmokeSection;
use candle_core::{DType, Device, Shape, Tensor};
use candle_nn::var_builder::SimpleBackend;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Headers larger than this are not plausible (the spec caps them at 100 MB).
const MAX_HEADER: u64 = 100_000_000;

/// One tensor as its file's header declares it.
#[derive(Debug, Clone)]
pub(crate) struct TensorInfo {
    pub dtype: String,
    pub shape: Vec<usize>,
    pub bytes: u64,
    /// Index of the file in the list of mapped files.
    pub file: usize,
    /// Absolute byte offset of the data in its file.
    pub start: u64,
}

/// Bytes per element of a safetensors dtype.
fn dtype_size(dtype: &str) -> Option<u64> {
    Some(match dtype {
        "F64" | "I64" | "U64" => 8,
        "F32" | "I32" | "U32" => 4,
        "F16" | "BF16" | "I16" | "U16" => 2,
        "I8" | "U8" | "BOOL" | "F8_E4M3" | "F8_E5M2" => 1,
        _ => return None,
    })
}

pub(crate) fn is_float(dtype: &str) -> bool {
    matches!(
        dtype,
        "F64" | "F32" | "F16" | "BF16" | "F8_E4M3" | "F8_E5M2"
    )
}

/// Reads and validates a safetensors header; `Err` is a message for `smoke-weights-unreadable`.
pub(crate) fn read_header(path: &Path) -> Result<BTreeMap<String, TensorInfo>, String> {
    let mut f = std::fs::File::open(path).map_err(|e| format!("cannot open: {e}"))?;
    let len = f.metadata().map_err(|e| format!("cannot stat: {e}"))?.len();
    if len < 8 {
        return Err(format!(
            "file is {len} bytes, too short for the 8-byte header length (truncated?)"
        ));
    }
    let mut n = [0u8; 8];
    f.read_exact(&mut n)
        .map_err(|e| format!("cannot read: {e}"))?;
    let n = u64::from_le_bytes(n);
    if n > len - 8 {
        return Err(format!(
            "header claims {n} bytes but only {} bytes follow the length field (truncated or corrupt)",
            len - 8
        ));
    }
    if n > MAX_HEADER {
        return Err(format!(
            "header length {n} exceeds the format's limit of {MAX_HEADER} bytes"
        ));
    }
    let mut buf = vec![0u8; n as usize];
    f.read_exact(&mut buf)
        .map_err(|e| format!("cannot read header: {e}"))?;
    let json: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(&buf).map_err(|e| format!("header is not a JSON object: {e}"))?;
    let data_len = len - 8 - n;
    let mut out = BTreeMap::new();
    for (name, v) in json {
        if name == "__metadata__" {
            continue;
        }
        let dtype = v["dtype"]
            .as_str()
            .ok_or_else(|| format!("tensor `{name}` has no dtype"))?
            .to_string();
        let shape: Vec<usize> = v["shape"]
            .as_array()
            .and_then(|a| {
                a.iter()
                    .map(|d| d.as_u64().map(|d| d as usize))
                    .collect::<Option<_>>()
            })
            .ok_or_else(|| format!("tensor `{name}` has no valid shape"))?;
        let offs = v["data_offsets"]
            .as_array()
            .filter(|a| a.len() == 2)
            .and_then(|a| Some((a[0].as_u64()?, a[1].as_u64()?)))
            .ok_or_else(|| format!("tensor `{name}` has no valid data_offsets"))?;
        let size = dtype_size(&dtype)
            .ok_or_else(|| format!("tensor `{name}` has unknown dtype `{dtype}`"))?;
        let numel = shape
            .iter()
            .try_fold(1u64, |a, &d| a.checked_mul(d as u64))
            .ok_or_else(|| format!("tensor `{name}` shape {shape:?} overflows"))?;
        let want = numel.saturating_mul(size);
        if offs.1 < offs.0 || offs.1 - offs.0 != want {
            return Err(format!(
                "tensor `{name}`: shape {shape:?} of {dtype} needs {want} bytes, but data_offsets span {:?}",
                offs
            ));
        }
        if offs.1 > data_len {
            return Err(format!(
                "tensor `{name}` ends at data byte {}, but the file holds only {data_len} data bytes (truncated?)",
                offs.1
            ));
        }
        out.insert(
            name,
            TensorInfo {
                dtype,
                shape,
                bytes: want,
                file: 0,
                start: 8 + n + offs.0,
            },
        );
    }
    Ok(out)
}

fn rel(dir: &Path, p: &Path) -> String {
    p.strip_prefix(dir)
        .unwrap_or(p)
        .to_string_lossy()
        .replace('\\', "/")
}

/// The smoke test of a safetensors model (one file, several, or sharded with an index).
pub(crate) fn smoke(
    dir: &Path,
    files: &[PathBuf],
    index: Option<&Path>,
    opts: &SmokeOptions,
    section: &mut SmokeSection,
    details: &mut Details,
    findings: &mut Vec<Finding>,
) -> Result<Option<RunResult>, RuntimeError> {
    let mut files: Vec<PathBuf> = files.to_vec();
    let mut broken = false;
    if let Some(index) = index {
        let text = std::fs::read(index).map_err(|source| RuntimeError::Io {
            path: index.to_path_buf(),
            source,
        })?;
        let v: serde_json::Value =
            serde_json::from_slice(&text).map_err(|source| RuntimeError::Json {
                path: index.to_path_buf(),
                source,
            })?;
        let base = index.parent().unwrap_or(dir);
        let shards: BTreeSet<String> = v["weight_map"]
            .as_object()
            .map(|m| {
                m.values()
                    .filter_map(|s| s.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        files = Vec::new();
        for s in shards {
            let p = base.join(&s);
            if p.is_file() {
                files.push(p);
            } else {
                broken = true;
                findings.push(
                    Finding::new(
                        &RuntimeCode::SmokeShardMissing,
                        format!("the index names shard `{s}`, which is not there"),
                    )
                    .at(rel(dir, index)),
                );
            }
        }
    }

    // Headers first: a file that does not parse is never mapped.
    let mut header: HashMap<String, TensorInfo> = HashMap::new();
    let mut readable = Vec::new();
    for f in &files {
        match read_header(f) {
            Ok(h) => {
                let idx = readable.len();
                header.extend(h.into_iter().map(|(k, mut t)| {
                    t.file = idx;
                    (k, t)
                }));
                readable.push(f.clone());
            }
            Err(msg) => {
                broken = true;
                findings
                    .push(Finding::new(&RuntimeCode::SmokeWeightsUnreadable, msg).at(rel(dir, f)));
            }
        }
    }
    let mut dtypes: BTreeSet<String> = header.values().map(|t| t.dtype.clone()).collect();
    details.dtypes = std::mem::take(&mut dtypes).into_iter().collect();
    details.tensors = header.len();
    details.weights_bytes = header.values().map(|t| t.bytes).sum();
    section.parameters = Some(
        header
            .values()
            .filter(|t| is_float(&t.dtype))
            .map(|t| t.shape.iter().product::<usize>() as u64)
            .sum(),
    );

    let config = read_config(dir)?;
    let arch = Arch::detect(config.as_ref());
    section.architecture = Some(arch.name());

    if readable.is_empty() {
        return Ok(None);
    }
    let st = Mapped::open(&readable).map_err(|(path, source)| RuntimeError::Io { path, source })?;
    scan_values(&st, &header, opts.scan_samples, findings);

    if let Arch::Unsupported(name) = &arch {
        findings.push(Finding::new(
            &RuntimeCode::SmokeUnsupportedArchitecture,
            format!("unsupported architecture {name}: structural checks only, no forward pass"),
        ));
        return Ok(None);
    }
    if broken {
        details
            .notes
            .push("forward pass skipped: some weights are unreadable or missing".into());
        return Ok(None);
    }
    let config = config.unwrap_or_default();
    let positions = super::sizes::PROMPT_TOKENS + opts.max_new_tokens as u64;
    let sizes = match super::sizes::check(&arch, &config, &header, positions) {
        Ok(sizes) => sizes,
        Err(found) => {
            findings.extend(found);
            details
                .notes
                .push("model not built: config.json disagrees with the weights".into());
            return Ok(None);
        }
    };
    // Loaded as F32 on the CPU: every float weight at 4 bytes, what candle allocates beside the
    // weights, and working memory.
    let needed: u64 = header
        .values()
        .map(|t| {
            if is_float(&t.dtype) {
                t.shape.iter().product::<usize>() as u64 * 4
            } else {
                t.bytes
            }
        })
        .sum::<u64>()
        .saturating_add(sizes.extra_bytes)
        .saturating_add(64 << 20);
    details.memory_estimate_bytes = Some(needed);
    super::check_memory(dir, needed, opts)?;

    let names: BTreeSet<String> = header.keys().cloned().collect();
    let log = Arc::new(Mutex::new(Log::default()));
    let backend = Checked {
        st,
        header: header.clone(),
        log: log.clone(),
    };
    let dev = Device::Cpu;
    let vb = candle_nn::VarBuilder::from_backend(Box::new(backend), DType::F32, dev.clone());
    let start = Instant::now();
    let outcome = match &arch {
        Arch::Bert => super::bert::run(dir, &config, vb, &names, opts, details, &log, start),
        Arch::Llama | Arch::Mistral | Arch::Qwen2 | Arch::Qwen3 | Arch::Gemma | Arch::Phi3 => {
            super::decoder::run_safetensors(dir, &arch, &config, vb, opts, details, &log, start)
        }
        Arch::Unsupported(_) => unreachable!("handled above"),
    };
    let log = log.lock().map(|l| l.clone()).unwrap_or_default();
    log_findings(&log, &names, findings);
    match outcome {
        Ok(run) => Ok(run),
        Err(f) => {
            findings.push(f);
            Ok(None)
        }
    }
}

/// The architectures the runtime can build from safetensors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Arch {
    Bert,
    Llama,
    Mistral,
    Qwen2,
    Qwen3,
    Gemma,
    Phi3,
    Unsupported(String),
}

impl Arch {
    fn detect(config: Option<&serde_json::Value>) -> Arch {
        let Some(c) = config else {
            return Arch::Unsupported("unknown (no config.json)".into());
        };
        let model_type = c["model_type"].as_str().unwrap_or("").to_ascii_lowercase();
        let first = c["architectures"][0].as_str().unwrap_or("").to_string();
        match model_type.as_str() {
            "bert" => return Arch::Bert,
            "llama" => return Arch::Llama,
            "mistral" => return Arch::Mistral,
            "qwen2" => return Arch::Qwen2,
            "qwen3" => return Arch::Qwen3,
            "gemma" => return Arch::Gemma,
            "phi3" => return Arch::Phi3,
            _ => {}
        }
        if model_type.is_empty() {
            if first.starts_with("Bert") {
                return Arch::Bert;
            }
            if first.starts_with("Llama") {
                return Arch::Llama;
            }
            if first.starts_with("Mistral") {
                return Arch::Mistral;
            }
            if first.starts_with("Qwen2") && !first.starts_with("Qwen2Moe") {
                return Arch::Qwen2;
            }
        }
        let name = match (model_type.is_empty(), first.is_empty()) {
            (true, true) => "unknown (config.json names none)".to_string(),
            (false, true) => model_type,
            (true, false) => first,
            (false, false) => format!("{model_type} ({first})"),
        };
        Arch::Unsupported(name)
    }

    pub(crate) fn name(&self) -> String {
        match self {
            Arch::Bert => "bert".into(),
            Arch::Llama => "llama".into(),
            Arch::Mistral => "mistral".into(),
            Arch::Qwen2 => "qwen2".into(),
            Arch::Qwen3 => "qwen3".into(),
            Arch::Gemma => "gemma".into(),
            Arch::Phi3 => "phi3".into(),
            Arch::Unsupported(n) => n.clone(),
        }
    }
}

fn read_config(dir: &Path) -> Result<Option<serde_json::Value>, RuntimeError> {
    let p = dir.join("config.json");
    match std::fs::read(&p) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|source| RuntimeError::Json { path: p, source }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(RuntimeError::Io { path: p, source }),
    }
}

/// What the architecture asked the backend for, and what did not fit.
#[derive(Debug, Default, Clone)]
pub(crate) struct Log {
    pub requested: BTreeSet<String>,
    pub missing: Vec<(String, Vec<usize>)>,
    pub mismatched: Vec<(String, Vec<usize>, Vec<usize>)>,
    pub bad_dtype: Vec<(String, String)>,
}

impl Log {
    pub(crate) fn has_problems(&self) -> bool {
        !self.missing.is_empty() || !self.mismatched.is_empty() || !self.bad_dtype.is_empty()
    }
}

/// A `VarBuilder` backend over the mapped files that never fails on a missing or mis-shaped
/// tensor: it logs it and hands back a zero-stride placeholder, so the model's whole loading code
/// runs (some candle models `unwrap()` inside it) and every problem is reported at once.
struct Checked {
    st: Mapped,
    header: HashMap<String, TensorInfo>,
    log: Arc<Mutex<Log>>,
}

fn placeholder(s: &Shape, dtype: DType, dev: &Device) -> candle_core::Result<Tensor> {
    Tensor::zeros((), dtype, dev)?.broadcast_as(s.clone())
}

impl SimpleBackend for Checked {
    fn get(
        &self,
        s: Shape,
        name: &str,
        _h: candle_nn::Init,
        dtype: DType,
        dev: &Device,
    ) -> candle_core::Result<Tensor> {
        let mut log = self.log.lock().expect("log lock");
        log.requested.insert(name.to_string());
        match self.header.get(name) {
            None => {
                log.missing.push((name.to_string(), s.dims().to_vec()));
                placeholder(&s, dtype, dev)
            }
            Some(t) if t.shape != s.dims() => {
                log.mismatched
                    .push((name.to_string(), s.dims().to_vec(), t.shape.clone()));
                placeholder(&s, dtype, dev)
            }
            Some(t) if !is_float(&t.dtype) => {
                log.bad_dtype.push((name.to_string(), t.dtype.clone()));
                placeholder(&s, dtype, dev)
            }
            Some(t) => {
                let t = t.clone();
                drop(log);
                self.st.load(&t, dev)?.to_dtype(dtype)
            }
        }
    }

    fn get_unchecked(&self, name: &str, dtype: DType, dev: &Device) -> candle_core::Result<Tensor> {
        self.log
            .lock()
            .expect("log lock")
            .requested
            .insert(name.to_string());
        let t = self
            .header
            .get(name)
            .ok_or_else(|| candle_core::Error::Msg(format!("tensor `{name}` is absent")))?;
        self.st.load(t, dev)?.to_dtype(dtype)
    }

    fn contains_tensor(&self, name: &str) -> bool {
        self.header.contains_key(name)
    }
}

const LIST_LIMIT: usize = 20;

fn log_findings(log: &Log, names: &BTreeSet<String>, findings: &mut Vec<Finding>) {
    for (name, want) in log.missing.iter().take(LIST_LIMIT) {
        findings.push(
            Finding::new(
                &RuntimeCode::SmokeTensorMissing,
                format!("tensor `{name}` (shape {want:?}) is required but absent"),
            )
            .with_evidence(name.clone()),
        );
    }
    if log.missing.len() > LIST_LIMIT {
        findings.push(Finding::new(
            &RuntimeCode::SmokeTensorMissing,
            format!(
                "{} more required tensors are absent",
                log.missing.len() - LIST_LIMIT
            ),
        ));
    }
    for (name, want, got) in log.mismatched.iter().take(LIST_LIMIT) {
        findings.push(
            Finding::new(
                &RuntimeCode::SmokeTensorShapeMismatch,
                format!("tensor `{name}` has shape {got:?}; the config implies {want:?}"),
            )
            .with_evidence(name.clone()),
        );
    }
    if log.mismatched.len() > LIST_LIMIT {
        findings.push(Finding::new(
            &RuntimeCode::SmokeTensorShapeMismatch,
            format!(
                "{} more tensors have the wrong shape",
                log.mismatched.len() - LIST_LIMIT
            ),
        ));
    }
    for (name, dtype) in &log.bad_dtype {
        findings.push(
            Finding::new(
                &RuntimeCode::SmokeTensorDtypeMismatch,
                format!("tensor `{name}` is stored as {dtype}; the architecture reads it as floating point"),
            )
            .with_evidence(name.clone()),
        );
    }
    if !log.requested.is_empty() {
        let unexpected: Vec<&String> = names
            .iter()
            .filter(|n| !log.requested.contains(*n))
            .collect();
        if !unexpected.is_empty() {
            let shown: Vec<&str> = unexpected
                .iter()
                .take(LIST_LIMIT)
                .map(|s| s.as_str())
                .collect();
            findings.push(
                Finding::new(
                    &RuntimeCode::SmokeTensorUnexpected,
                    format!(
                        "{} tensor(s) the architecture does not read (normal for buffers, pooler or head weights)",
                        unexpected.len()
                    ),
                )
                .with_evidence(shown.join(", ")),
            );
        }
    }
}

/// Classifies one float element from its raw little-endian bytes: (not finite, zero).
pub(crate) fn classify(dtype: &str, b: &[u8]) -> (bool, bool) {
    match dtype {
        "F32" => {
            let v = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
            ((v >> 23) & 0xff == 0xff, v & 0x7fff_ffff == 0)
        }
        "F16" => {
            let v = u16::from_le_bytes([b[0], b[1]]);
            ((v >> 10) & 0x1f == 0x1f, v & 0x7fff == 0)
        }
        "BF16" => {
            let v = u16::from_le_bytes([b[0], b[1]]);
            ((v >> 7) & 0xff == 0xff, v & 0x7fff == 0)
        }
        "F64" => {
            let v = u64::from_le_bytes(b[..8].try_into().expect("8 bytes"));
            ((v >> 52) & 0x7ff == 0x7ff, v & 0x7fff_ffff_ffff_ffff == 0)
        }
        _ => (false, false),
    }
}

/// Scans `data` (elements of `size` bytes) at up to `samples` evenly spaced positions (all of them
/// when the tensor is small): (elements looked at, not finite, zero).
pub(crate) fn sample_scan(
    dtype: &str,
    data: &[u8],
    size: usize,
    samples: usize,
) -> (usize, usize, usize) {
    let n = data.len() / size;
    if n == 0 {
        return (0, 0, 0);
    }
    let step = if n <= samples.max(16_384) {
        1
    } else {
        n.div_ceil(samples.max(1))
    };
    let (mut seen, mut bad, mut zero) = (0, 0, 0);
    let mut i = 0;
    while i < n {
        let (b, z) = classify(dtype, &data[i * size..(i + 1) * size]);
        seen += 1;
        bad += b as usize;
        zero += z as usize;
        i += step;
    }
    // Always look at the last element too: truncation-by-zero-fill shows up at the end.
    if !(n - 1).is_multiple_of(step) {
        let (b, z) = classify(dtype, &data[(n - 1) * size..n * size]);
        seen += 1;
        bad += b as usize;
        zero += z as usize;
    }
    (seen, bad, zero)
}

fn scan_values(
    st: &Mapped,
    header: &HashMap<String, TensorInfo>,
    samples: usize,
    findings: &mut Vec<Finding>,
) {
    let mut names: Vec<&String> = header.keys().collect();
    names.sort();
    for name in names {
        let t = &header[name];
        let Some(size) = dtype_size(&t.dtype) else {
            continue;
        };
        if !matches!(t.dtype.as_str(), "F32" | "F16" | "BF16" | "F64") {
            continue;
        }
        let (seen, bad, zero) = sample_scan(&t.dtype, st.bytes(t), size as usize, samples);
        st.release(t);
        if bad > 0 {
            findings.push(
                Finding::new(
                    &RuntimeCode::SmokeTensorNotFinite,
                    format!("tensor `{name}`: {bad} of {seen} sampled values are NaN or infinite"),
                )
                .with_evidence(name.clone()),
            );
        } else if seen > 0 && zero == seen && t.shape.len() >= 2 {
            // Biases and norms may legitimately be zero; a zero weight matrix computes nothing.
            findings.push(
                Finding::new(
                    &RuntimeCode::SmokeTensorAllZero,
                    format!(
                        "tensor `{name}` {:?}: all {seen} sampled values are zero",
                        t.shape
                    ),
                )
                .with_evidence(name.clone()),
            );
        }
    }
}

/// The weights files, mapped read-only. Each tensor's pages are released right after they are
/// copied into a candle tensor (or scanned), so a model's peak memory is about its F32 size rather
/// than that plus the whole mapped file.
struct Mapped {
    maps: Vec<memmap2::Mmap>,
}

impl Mapped {
    fn open(files: &[PathBuf]) -> Result<Mapped, (PathBuf, std::io::Error)> {
        let mut maps = Vec::new();
        for f in files {
            let file = std::fs::File::open(f).map_err(|e| (f.clone(), e))?;
            // SAFETY: mapped read-only; every access goes through `bytes`, whose ranges were
            // checked against the file length when the header was read. A concurrent writer
            // truncating the file could still fault the process (SIGBUS): the accepted risk of
            // mmap, as in candle's own loaders.
            #[allow(unsafe_code)]
            let map = unsafe { memmap2::Mmap::map(&file) }.map_err(|e| (f.clone(), e))?;
            maps.push(map);
        }
        Ok(Mapped { maps })
    }

    fn bytes(&self, t: &TensorInfo) -> &[u8] {
        let start = t.start as usize;
        &self.maps[t.file][start..start + t.bytes as usize]
    }

    fn load(&self, t: &TensorInfo, dev: &Device) -> candle_core::Result<Tensor> {
        let dtype = match t.dtype.as_str() {
            "F64" => DType::F64,
            "F32" => DType::F32,
            "F16" => DType::F16,
            "BF16" => DType::BF16,
            "I64" => DType::I64,
            "I32" => DType::I32,
            "I16" => DType::I16,
            "U32" => DType::U32,
            "U8" => DType::U8,
            "F8_E4M3" => DType::F8E4M3,
            other => candle_core::bail!("dtype `{other}` cannot be loaded"),
        };
        let out = Tensor::from_raw_buffer(self.bytes(t), dtype, &t.shape, dev);
        self.release(t);
        out
    }

    /// Drops the mapped pages of `t` from this process's resident set (they stay in the page cache).
    fn release(&self, t: &TensorInfo) {
        // SAFETY: MADV_DONTNEED on a read-only, file-backed mapping only discards this process's
        // page-table entries; a later read faults the same file bytes back in, so no reference into
        // the mapping ever observes different data (unless the file is modified concurrently, the
        // same caveat as for the mapping itself).
        #[allow(unsafe_code)]
        let _ = unsafe {
            self.maps[t.file].unchecked_advise_range(
                memmap2::UncheckedAdvice::DontNeed,
                t.start as usize,
                t.bytes as usize,
            )
        };
    }
}
