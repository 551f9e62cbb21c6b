//! The bundled candle runtime: structural checks and a real forward pass (smoke test).
//!
//! [`smoke`] opens a model folder or a single weights file (safetensors, sharded safetensors with
//! `model.safetensors.index.json`, GGUF), checks that every tensor the architecture needs is there
//! with the shape the config implies, scans float tensors for NaN/Inf and all-zero data, and, for
//! architectures candle-transformers can build, runs a forward pass on a fixed input. Problems with
//! the weights are findings; only problems with the request (no such path, not enough memory) are
//! errors.

mod bert;
mod decoder;
mod gguf;
mod gguf_header;
pub mod memory;
mod safetensors;
mod sizes;
mod spm;
#[cfg(any(test, feature = "test-fixtures"))]
pub mod tiny;

use crate::finding::{Finding, Severity};
use crate::record::SmokeSection;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

crate::finding_codes! {
    /// Finding codes the runtime emits.
    pub enum RuntimeCode {
        SmokeUnsupportedArchitecture = "smoke-unsupported-architecture", Info, "the bundled runtime cannot build this architecture; only structural checks ran";
        SmokeWeightsUnreadable = "smoke-weights-unreadable", High, "a weights file cannot be parsed (truncated, header past the end of the file, unknown tensor type)";
        SmokeShardMissing = "smoke-shard-missing", High, "`model.safetensors.index.json` names a shard that is not there";
        SmokeConfigInvalid = "smoke-config-invalid", High, "`config.json` (or GGUF metadata) lacks, mistypes or zeroes a field the architecture needs, or gives sizes that do not divide as it requires";
        SmokeConfigMismatch = "smoke-config-mismatch", High, "a size in `config.json` (or GGUF metadata) disagrees with the tensors present: a layer count with no matching layers, a hidden size the embeddings do not have";
        SmokeTensorMissing = "smoke-tensor-missing", High, "a tensor the architecture needs is absent";
        SmokeTensorShapeMismatch = "smoke-tensor-shape-mismatch", High, "a tensor's shape differs from the one the config implies";
        SmokeTensorDtypeMismatch = "smoke-tensor-dtype-mismatch", High, "a weight the architecture reads as floating point is stored as an integer or boolean type";
        SmokeTensorUnexpected = "smoke-tensor-unexpected", Info, "a tensor the architecture does not read (buffers such as `position_ids`, pooler or head weights)";
        SmokeTensorNotFinite = "smoke-tensor-not-finite", High, "sampled values of a float tensor include NaN or infinity";
        SmokeTensorAllZero = "smoke-tensor-all-zero", Medium, "every sampled value of a weight matrix is zero";
        SmokeLoadFailed = "smoke-load-failed", High, "candle could not build the model from the weights";
        SmokeForwardFailed = "smoke-forward-failed", High, "the forward pass failed or produced NaN/infinite outputs";
    }
}

/// Errors that stop a smoke test before it says anything about the weights.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    #[error("cannot read `{path}`")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("no weights found in `{0}` (looked for *.safetensors and *.gguf)")]
    NoWeights(PathBuf),
    #[error("`{0}` is not a safetensors or GGUF file")]
    NotWeights(PathBuf),
    #[error(
        "declined: loading `{path}` needs about {} but only {} of memory is available{}",
        crate::units::human_bytes(*needed), crate::units::human_bytes(*available),
        if *overridden { " (MODELVET_SMOKE_AVAILABLE_MEMORY)" } else { "" }
    )]
    InsufficientMemory {
        path: PathBuf,
        needed: u64,
        available: u64,
        overridden: bool,
    },
    #[error("cannot parse `{path}`")]
    Json {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
}

/// Options of [`smoke`].
#[derive(Debug, Clone)]
pub struct SmokeOptions {
    /// Tokens to generate greedily for decoders.
    pub max_new_tokens: usize,
    /// Memory to assume available, in bytes; `None` reads `MODELVET_SMOKE_AVAILABLE_MEMORY`, then
    /// `MemAvailable` from /proc/meminfo.
    pub available_memory: Option<u64>,
    /// Elements sampled per float tensor for the NaN/Inf and all-zero scan (small tensors are read whole).
    pub scan_samples: usize,
}

impl Default for SmokeOptions {
    fn default() -> Self {
        SmokeOptions {
            max_new_tokens: 16,
            available_memory: None,
            scan_samples: 4096,
        }
    }
}

/// The result of a smoke test: the section recorded with the model, and the findings.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SmokeOutcome {
    pub section: SmokeSection,
    pub findings: Vec<Finding>,
}

impl SmokeOutcome {
    /// Whether the weights are broken (status `failed`): the CLI exits 1.
    pub fn failed(&self) -> bool {
        self.section.status == crate::record::SmokeStatus::Failed
    }
}

/// Extra facts recorded in `SmokeSection::details`.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub(crate) struct Details {
    pub format: String,
    pub dtypes: Vec<String>,
    pub tensors: usize,
    pub weights_bytes: u64,
    /// The memory guard's estimate: weights as loaded plus what candle allocates beside them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory_estimate_bytes: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output_text: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub generated_token_ids: Vec<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub similarity: Option<serde_json::Value>,
    pub notes: Vec<String>,
}

/// What one architecture's run produced.
#[derive(Debug, Default)]
pub(crate) struct RunResult {
    pub load_ms: f64,
    pub forward_ms: f64,
    pub tokens_per_second: Option<f64>,
    pub fingerprint: Option<String>,
}

/// Loads the weights at `path` (a model folder or one weights file), checks their structure and,
/// for supported architectures, runs a forward pass on a fixed input.
pub fn smoke(path: &Path, opts: &SmokeOptions) -> Result<SmokeOutcome, RuntimeError> {
    let meta = std::fs::metadata(path).map_err(|source| RuntimeError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let (dir, weights) = if meta.is_dir() {
        (path.to_path_buf(), find_weights(path)?)
    } else {
        let dir = path.parent().unwrap_or(Path::new(".")).to_path_buf();
        (dir, single_weights(path)?)
    };
    let mut findings = Vec::new();
    let mut details = Details::default();
    let mut section = SmokeSection {
        status: crate::record::SmokeStatus::Passed,
        architecture: None,
        parameters: None,
        fingerprint: None,
        load_ms: None,
        forward_ms: None,
        tokens_per_second: None,
        peak_rss_bytes: None,
        details: None,
    };
    let run = match weights {
        Weights::Gguf(file) => {
            details.format = "gguf".into();
            gguf::smoke(&file, opts, &mut section, &mut details, &mut findings)?
        }
        Weights::Safetensors { files, index } => {
            details.format = "safetensors".into();
            safetensors::smoke(
                &dir,
                &files,
                index.as_deref(),
                opts,
                &mut section,
                &mut details,
                &mut findings,
            )?
        }
    };
    if let Some(run) = run {
        section.load_ms = Some(round2(run.load_ms));
        section.forward_ms = Some(round2(run.forward_ms));
        section.tokens_per_second = run.tokens_per_second.map(round2);
        section.fingerprint = run.fingerprint;
    }
    if findings.iter().any(|f| f.severity >= Severity::High) {
        section.status = crate::record::SmokeStatus::Failed;
    } else if findings
        .iter()
        .any(|f| f.code == "smoke-unsupported-architecture")
    {
        section.status = crate::record::SmokeStatus::Unsupported;
    }
    section.peak_rss_bytes = memory::peak_rss_bytes();
    section.details = serde_json::to_value(&details).ok();
    Ok(SmokeOutcome { section, findings })
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

enum Weights {
    Gguf(PathBuf),
    Safetensors {
        files: Vec<PathBuf>,
        index: Option<PathBuf>,
    },
}

fn single_weights(path: &Path) -> Result<Weights, RuntimeError> {
    let name = path.to_string_lossy().to_ascii_lowercase();
    if name.ends_with(".gguf") {
        Ok(Weights::Gguf(path.to_path_buf()))
    } else if name.ends_with(".safetensors") {
        Ok(Weights::Safetensors {
            files: vec![path.to_path_buf()],
            index: None,
        })
    } else if name.ends_with(".safetensors.index.json") {
        Ok(Weights::Safetensors {
            files: vec![],
            index: Some(path.to_path_buf()),
        })
    } else {
        Err(RuntimeError::NotWeights(path.to_path_buf()))
    }
}

/// Picks the weights of a model folder: an index.json (sharded), else the safetensors files, else
/// one GGUF file (the largest, when a folder carries several quantizations).
fn find_weights(dir: &Path) -> Result<Weights, RuntimeError> {
    let io = |source| RuntimeError::Io {
        path: dir.to_path_buf(),
        source,
    };
    let mut st = Vec::new();
    let mut ggufs = Vec::new();
    let mut index = None;
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let entry = entry.map_err(io)?;
        let p = entry.path();
        if !p.is_file() {
            continue;
        }
        let name = entry.file_name().to_string_lossy().to_ascii_lowercase();
        if name.ends_with(".safetensors.index.json") {
            index = Some(p);
        } else if name.ends_with(".safetensors") {
            st.push(p);
        } else if name.ends_with(".gguf") {
            ggufs.push(p);
        }
    }
    st.sort();
    if index.is_some() {
        return Ok(Weights::Safetensors { files: st, index });
    }
    if !st.is_empty() {
        return Ok(Weights::Safetensors {
            files: st,
            index: None,
        });
    }
    ggufs.sort_by_key(|p| std::cmp::Reverse(p.metadata().map(|m| m.len()).unwrap_or(0)));
    ggufs
        .into_iter()
        .next()
        .map(Weights::Gguf)
        .ok_or_else(|| RuntimeError::NoWeights(dir.to_path_buf()))
}

/// Declines when the estimated need exceeds the available memory.
pub(crate) fn check_memory(
    path: &Path,
    needed: u64,
    opts: &SmokeOptions,
) -> Result<(), RuntimeError> {
    let (available, overridden) = match opts.available_memory {
        Some(v) => (Some(v), true),
        None => match memory::available_override() {
            Some(v) => (Some(v), true),
            None => (memory::mem_available(), false),
        },
    };
    match available {
        Some(available) if needed > available => Err(RuntimeError::InsufficientMemory {
            path: path.to_path_buf(),
            needed,
            available,
            overridden,
        }),
        _ => Ok(()),
    }
}

/// A short, stable digest of rounded output values (and token ids), so two copies of a model can
/// be shown to compute the same function. Rounding to 3 decimals absorbs float noise across CPUs.
pub(crate) fn fingerprint(kind: &str, values: &[f32], tokens: &[u32]) -> String {
    let mut h = Sha256::new();
    h.update(kind.as_bytes());
    for v in values {
        let r = (f64::from(*v) * 1000.0).round() as i64;
        h.update(r.to_le_bytes());
    }
    h.update(b"|");
    for t in tokens {
        h.update(t.to_le_bytes());
    }
    let d = h.finalize();
    format!("sha256:{}", hex::encode(&d[..16]))
}

/// Runs `f`, turning a panic inside candle's model code into an error message. The panic is
/// caught quietly: nothing reaches stderr (see [`QuietPanics`]).
pub(crate) fn guarded<T>(f: impl FnOnce() -> candle_core::Result<T>) -> Result<T, String> {
    let quiet = QuietPanics::enter();
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    drop(quiet);
    match caught {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(e.to_string()),
        Err(p) => Err(p
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
            .map(|m| format!("panic in model code: {m}"))
            .unwrap_or_else(|| "panic in model code".into())),
    }
}

type PanicHook = Box<dyn Fn(&std::panic::PanicHookInfo<'_>) + Sync + Send + 'static>;

/// The hook that was installed before the first guarded region entered, while any is active.
static PREVIOUS_HOOK: std::sync::Mutex<(usize, Option<std::sync::Arc<PanicHook>>)> =
    std::sync::Mutex::new((0, None));

thread_local! {
    /// Guarded regions active on this thread: a panic here is caught, so it is not printed.
    static QUIET_DEPTH: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// While alive, panics on this thread are not printed (they are caught and reported as findings);
/// panics on other threads still reach the previous hook. The panic hook is process-wide, so the
/// first region to enter installs a filtering hook over the previous one, and the last to leave
/// puts the previous one back. Panics in worker threads that candle spawns are printed as before.
struct QuietPanics;

impl QuietPanics {
    fn enter() -> QuietPanics {
        let mut state = PREVIOUS_HOOK.lock().unwrap_or_else(|e| e.into_inner());
        if state.0 == 0 && !std::thread::panicking() {
            let previous = std::sync::Arc::new(std::panic::take_hook());
            let inner = previous.clone();
            std::panic::set_hook(Box::new(move |info| {
                if QUIET_DEPTH.with(|d| d.get()) == 0 {
                    inner(info);
                }
            }));
            state.1 = Some(previous);
        }
        state.0 += 1;
        QUIET_DEPTH.with(|d| d.set(d.get() + 1));
        QuietPanics
    }
}

impl Drop for QuietPanics {
    fn drop(&mut self) {
        QUIET_DEPTH.with(|d| d.set(d.get().saturating_sub(1)));
        let mut state = PREVIOUS_HOOK.lock().unwrap_or_else(|e| e.into_inner());
        state.0 = state.0.saturating_sub(1);
        if state.0 == 0
            && !std::thread::panicking()
            && let Some(previous) = state.1.take()
        {
            // Dropping the filtering hook releases its clone, so the original box comes back out.
            drop(std::panic::take_hook());
            match std::sync::Arc::try_unwrap(previous) {
                Ok(hook) => std::panic::set_hook(hook),
                Err(shared) => std::panic::set_hook(Box::new(move |info| shared(info))),
            }
        }
    }
}

/// Greedy argmax over one row of logits.
pub(crate) fn argmax(row: &[f32]) -> u32 {
    let mut best = 0usize;
    for (i, v) in row.iter().enumerate() {
        if *v > row[best] {
            best = i;
        }
    }
    best as u32
}

#[cfg(test)]
mod tests;
