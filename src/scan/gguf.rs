//! GGUF header validation: magic, version, metadata, tensor infos and where the data lies.
//! Reads the header only; every length is checked against the bytes left before anything is allocated.

use super::{ScanCode, template};
use crate::finding::Finding;
use std::collections::HashSet;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

/// Longest string value kept in memory (chat templates); longer ones are skipped, not read.
const MAX_KEPT_STRING: u64 = 4 << 20;
/// ggml's limits.
const MAX_DIMS: u32 = 4;
const MAX_NAME: u64 = 63;
const MAX_NESTING: u32 = 4;

/// (block size, bytes per block) of each ggml tensor type; `None` for removed or unknown ids.
fn type_info(t: u32) -> Option<(u64, u64, &'static str)> {
    Some(match t {
        0 => (1, 4, "F32"),
        1 => (1, 2, "F16"),
        2 => (32, 18, "Q4_0"),
        3 => (32, 20, "Q4_1"),
        6 => (32, 22, "Q5_0"),
        7 => (32, 24, "Q5_1"),
        8 => (32, 34, "Q8_0"),
        9 => (32, 36, "Q8_1"),
        10 => (256, 84, "Q2_K"),
        11 => (256, 110, "Q3_K"),
        12 => (256, 144, "Q4_K"),
        13 => (256, 176, "Q5_K"),
        14 => (256, 210, "Q6_K"),
        15 => (256, 292, "Q8_K"),
        16 => (256, 66, "IQ2_XXS"),
        17 => (256, 74, "IQ2_XS"),
        18 => (256, 98, "IQ3_XXS"),
        19 => (256, 50, "IQ1_S"),
        20 => (32, 18, "IQ4_NL"),
        21 => (256, 110, "IQ3_S"),
        22 => (256, 82, "IQ2_S"),
        23 => (256, 136, "IQ4_XS"),
        24 => (1, 1, "I8"),
        25 => (1, 2, "I16"),
        26 => (1, 4, "I32"),
        27 => (1, 8, "I64"),
        28 => (1, 8, "F64"),
        29 => (256, 56, "IQ1_M"),
        30 => (1, 2, "BF16"),
        34 => (256, 54, "TQ1_0"),
        35 => (256, 66, "TQ2_0"),
        39 => (32, 17, "MXFP4"),
        _ => return None,
    })
}

/// Where the header bytes come from: the file, or the first bytes of it already read.
trait Src: Read {
    fn skip(&mut self, n: u64) -> std::io::Result<()>;
}

impl Src for BufReader<File> {
    fn skip(&mut self, n: u64) -> std::io::Result<()> {
        self.seek_relative(n as i64)
    }
}

impl Src for std::io::Cursor<&[u8]> {
    fn skip(&mut self, n: u64) -> std::io::Result<()> {
        self.set_position(self.position().saturating_add(n));
        Ok(())
    }
}

struct R<'s> {
    inner: &'s mut dyn Src,
    pos: u64,
    size: u64,
    /// Set when a string read since it was cleared was not UTF-8.
    not_utf8: bool,
}

/// Why reading stopped.
enum Stop {
    Truncated(String),
    Io(String),
    Broken,
}

impl R<'_> {
    fn left(&self) -> u64 {
        self.size - self.pos.min(self.size)
    }
    fn bytes<const N: usize>(&mut self, what: &str) -> Result<[u8; N], Stop> {
        if self.left() < N as u64 {
            return Err(Stop::Truncated(format!(
                "{what} runs past the end of the file"
            )));
        }
        let mut b = [0u8; N];
        self.inner
            .read_exact(&mut b)
            .map_err(|e| Stop::Io(e.to_string()))?;
        self.pos += N as u64;
        Ok(b)
    }
    fn u32(&mut self, what: &str) -> Result<u32, Stop> {
        Ok(u32::from_le_bytes(self.bytes::<4>(what)?))
    }
    fn u64(&mut self, what: &str) -> Result<u64, Stop> {
        Ok(u64::from_le_bytes(self.bytes::<8>(what)?))
    }
    fn skip(&mut self, n: u64, what: &str) -> Result<(), Stop> {
        if self.left() < n {
            return Err(Stop::Truncated(format!(
                "{what} of {n} bytes runs past the end of the file"
            )));
        }
        self.inner.skip(n).map_err(|e| Stop::Io(e.to_string()))?;
        self.pos += n;
        Ok(())
    }
    /// A string: kept if at most `keep` bytes, else skipped (`None`).
    fn string(&mut self, what: &str, keep: u64) -> Result<Option<String>, Stop> {
        let n = self.u64(what)?;
        if n > self.left() {
            return Err(Stop::Truncated(format!(
                "{what} claims {n} bytes, only {} remain",
                self.left()
            )));
        }
        if n > keep {
            self.skip(n, what)?;
            return Ok(None);
        }
        let mut b = vec![0u8; n as usize];
        self.inner
            .read_exact(&mut b)
            .map_err(|e| Stop::Io(e.to_string()))?;
        self.pos += n;
        Ok(Some(String::from_utf8(b).unwrap_or_else(|e| {
            self.not_utf8 = true;
            String::from_utf8_lossy(e.as_bytes()).into_owned()
        })))
    }
}

/// Fixed size of scalar value types; `None` for string, array and unknown types.
fn scalar_size(t: u32) -> Option<u64> {
    match t {
        0 | 1 | 7 => Some(1),
        2 | 3 => Some(2),
        4..=6 => Some(4),
        10..=12 => Some(8),
        _ => None,
    }
}

struct Checker<'a> {
    rel: &'a str,
    findings: Vec<Finding>,
    /// `general.license`, when the metadata carries one.
    license: Option<String>,
    /// Every tensor's bytes in the file, when the tensor infos were read to the end.
    tensors: Option<Vec<super::TensorSpan>>,
}

impl Checker<'_> {
    fn f(&mut self, c: ScanCode, msg: String) {
        self.findings.push(Finding::new(&c, msg).at(self.rel));
    }

    /// Reads (and mostly skips) one value of type `t`; returns a u32 value when it is one (for
    /// `general.alignment`) and a kept string for chat templates.
    fn value(
        &mut self,
        r: &mut R<'_>,
        t: u32,
        key: &str,
        depth: u32,
    ) -> Result<(Option<u64>, Option<String>), Stop> {
        match t {
            7 => {
                let b = r.bytes::<1>("a bool")?[0];
                if b > 1 {
                    self.f(
                        ScanCode::GgufBoolInvalid,
                        format!("`{key}` holds a bool byte {b}, neither 0 nor 1"),
                    );
                }
                Ok((None, None))
            }
            4 => Ok((Some(r.u32("a uint32")? as u64), None)),
            8 => {
                let keep = if key.starts_with("tokenizer.chat_template") {
                    MAX_KEPT_STRING
                } else if key == "general.license" {
                    4096
                } else {
                    0
                };
                let s = r.string(&format!("string `{key}`"), keep)?;
                Ok((None, s))
            }
            9 => {
                let et = r.u32("an array type")?;
                let n = r.u64("an array length")?;
                if depth >= MAX_NESTING {
                    self.f(
                        ScanCode::GgufValueTypeInvalid,
                        format!("`{key}` nests arrays more than {MAX_NESTING} deep"),
                    );
                    return Err(Stop::Broken);
                }
                if et == 9 && depth == 0 {
                    self.f(
                        ScanCode::GgufArrayNested,
                        format!(
                            "`{key}` is an array of arrays (the spec allows it, ggml refuses it)"
                        ),
                    );
                }
                if let Some(sz) = scalar_size(et) {
                    let total = n.checked_mul(sz).ok_or_else(|| {
                        Stop::Truncated(format!("array `{key}` of {n} elements overflows"))
                    })?;
                    if et == 7 {
                        for _ in 0..n {
                            self.value(r, 7, key, depth + 1)?;
                        }
                    } else {
                        r.skip(total, &format!("array `{key}`"))?;
                    }
                } else if et == 8 || et == 9 {
                    // Each element takes at least 8 bytes: refuse counts the file cannot hold.
                    if n > r.left() / 8 {
                        return Err(Stop::Truncated(format!(
                            "array `{key}` claims {n} elements, more than the file can hold"
                        )));
                    }
                    for _ in 0..n {
                        self.value(r, et, key, depth + 1)?;
                    }
                } else {
                    self.f(
                        ScanCode::GgufValueTypeInvalid,
                        format!("array `{key}` has element type {et}, which GGUF does not define"),
                    );
                    return Err(Stop::Broken);
                }
                Ok((None, None))
            }
            t => match scalar_size(t) {
                Some(sz) => {
                    r.skip(sz, "a value")?;
                    Ok((None, None))
                }
                None => {
                    self.f(
                        ScanCode::GgufValueTypeInvalid,
                        format!("`{key}` has value type {t}, which GGUF does not define"),
                    );
                    Err(Stop::Broken)
                }
            },
        }
    }
}

/// Validates the GGUF file at `path` (`size` bytes).
pub(crate) fn check(path: &Path, size: u64, rel: &str) -> Vec<Finding> {
    check_with_license(path, size, rel).0
}

/// The header checks of [`check`], plus the `general.license` metadata value if there is one
/// (the bounded reader here is safe on hostile files, unlike a general GGUF loader).
pub fn check_with_license(path: &Path, size: u64, rel: &str) -> (Vec<Finding>, Option<String>) {
    match File::open(path) {
        Ok(file) => {
            let mut src = BufReader::with_capacity(1 << 16, file);
            let h = check_src(&mut src, size, rel, false).expect("a file never runs short");
            (h.findings, h.license)
        }
        Err(e) => {
            let f = Finding::new(&ScanCode::NotScanned, format!("cannot open the file: {e}"));
            (vec![f.at(rel)], None)
        }
    }
}

/// The header checks on the first bytes of a `size`-byte file, as the hashing read captured
/// them; `None` when the header goes on past `prefix`.
pub(crate) fn check_prefix(prefix: &[u8], size: u64, rel: &str) -> Option<super::WeightsHeader> {
    let mut src = std::io::Cursor::new(prefix);
    check_src(&mut src, size, rel, prefix.len() as u64 != size)
}

fn check_src(src: &mut dyn Src, size: u64, rel: &str, short: bool) -> Option<super::WeightsHeader> {
    let mut c = Checker {
        rel,
        findings: Vec::new(),
        license: None,
        tensors: None,
    };
    let mut r = R {
        inner: src,
        pos: 0,
        size,
        not_utf8: false,
    };
    let walked = walk(&mut c, &mut r);
    // A prefix that ran out is no verdict on the file: read more of it first.
    if short && matches!(walked, Err(Stop::Io(_))) {
        return None;
    }
    match walked {
        Ok(()) | Err(Stop::Broken) => {}
        Err(Stop::Truncated(msg)) => c.f(ScanCode::GgufTruncated, msg),
        Err(Stop::Io(msg)) => c.f(ScanCode::NotScanned, format!("cannot read the file: {msg}")),
    }
    Some(super::WeightsHeader {
        findings: c.findings,
        tensors: c.tensors,
        license: c.license,
    })
}

fn walk(c: &mut Checker, r: &mut R<'_>) -> Result<(), Stop> {
    let magic = r.bytes::<4>("the magic")?;
    if &magic != b"GGUF" {
        c.f(
            ScanCode::GgufBadMagic,
            format!("the file starts with {magic:02x?}, not `GGUF`"),
        );
        return Err(Stop::Broken);
    }
    let version = r.u32("the version")?;
    if version != 2 && version != 3 {
        let swapped = version.swap_bytes();
        if swapped == 2 || swapped == 3 {
            c.f(
                ScanCode::GgufBigEndian,
                format!(
                    "the file is big-endian GGUF v{swapped}; its header was not checked further"
                ),
            );
        } else {
            c.f(
                ScanCode::GgufVersionUnsupported,
                format!("GGUF version {version} (readers accept 2 and 3)"),
            );
        }
        return Err(Stop::Broken);
    }
    let n_tensors = r.u64("the tensor count")?;
    let n_kv = r.u64("the metadata count")?;
    // A key-value pair takes at least 8+4+1 bytes, a tensor info at least 8+4+4+8.
    if n_kv > r.left() / 13 || n_tensors > r.left() / 24 {
        c.f(
            ScanCode::GgufCountTooLarge,
            format!("the header claims {n_tensors} tensors and {n_kv} metadata entries, more than the file can hold"),
        );
        return Err(Stop::Broken);
    }
    let mut keys = HashSet::new();
    let mut alignment = 32u64;
    for _ in 0..n_kv {
        r.not_utf8 = false;
        let key = r
            .string("a metadata key", 65_536)?
            .ok_or_else(|| Stop::Truncated("a metadata key longer than 64 KiB".into()))?;
        if r.not_utf8 {
            c.f(
                ScanCode::GgufKeyNotUtf8,
                format!("metadata key `{key}` is not UTF-8 (llama.cpp and candle refuse it)"),
            );
        }
        if key.is_empty() {
            c.f(ScanCode::GgufKeyEmpty, "a metadata key is empty".into());
        }
        if !keys.insert(key.clone()) {
            c.f(
                ScanCode::GgufKeyDuplicate,
                format!("metadata key `{key}` appears twice"),
            );
        }
        let t = r.u32("a value type")?;
        let (num, text) = c.value(r, t, &key, 0)?;
        if key == "general.alignment" {
            match (t, num) {
                (4, Some(a)) if a != 0 && a.is_power_of_two() => alignment = a,
                (4, Some(a)) => c.f(
                    ScanCode::GgufAlignmentInvalid,
                    format!("`general.alignment` is {a}, not a non-zero power of two"),
                ),
                _ => c.f(
                    ScanCode::GgufAlignmentInvalid,
                    format!("`general.alignment` has value type {t}, not UINT32"),
                ),
            }
        }
        if key == "general.license" {
            c.license = text;
        } else if let Some(t) = text {
            c.findings.extend(template::check(
                &t,
                c.rel,
                &format!("GGUF metadata `{key}`"),
            ));
        }
    }
    let mut names = HashSet::new();
    let mut infos = Vec::new();
    for i in 0..n_tensors {
        let name = r
            .string("a tensor name", 65_536)?
            .ok_or_else(|| Stop::Truncated("a tensor name longer than 64 KiB".into()))?;
        if name.len() as u64 > MAX_NAME {
            c.f(
                ScanCode::GgufTensorNameTooLong,
                format!(
                    "tensor name `{name}` has {} bytes; ggml accepts at most {MAX_NAME}",
                    name.len()
                ),
            );
        }
        if !names.insert(name.clone()) {
            c.f(
                ScanCode::GgufTensorNameDuplicate,
                format!("tensor `{name}` appears twice"),
            );
        }
        let n_dims = r.u32("a dimension count")?;
        if n_dims > MAX_DIMS {
            c.f(
                ScanCode::GgufTensorDimsInvalid,
                format!("tensor `{name}` (#{i}) has {n_dims} dimensions; ggml supports at most {MAX_DIMS}"),
            );
            if n_dims > 64 {
                return Err(Stop::Broken);
            }
        }
        let mut dims = Vec::with_capacity(n_dims as usize);
        for _ in 0..n_dims {
            dims.push(r.u64("a dimension")?);
        }
        let ty = r.u32("a tensor type")?;
        let offset = r.u64("a tensor offset")?;
        let mut bytes = None;
        if let Some(d) = dims.iter().find(|&&d| d > i64::MAX as u64) {
            c.f(
                ScanCode::GgufTensorDimsInvalid,
                format!("tensor `{name}` has a negative dimension ({})", *d as i64),
            );
        } else if let Some(n) = dims
            .iter()
            .try_fold(1u64, |a, &d| a.checked_mul(d))
            .filter(|&n| n <= i64::MAX as u64)
        {
            match type_info(ty) {
                None => c.f(
                    ScanCode::GgufTensorTypeInvalid,
                    format!(
                        "tensor `{name}` has type {ty}, which ggml does not define (or removed)"
                    ),
                ),
                Some((block, bpb, tname)) => {
                    let ne0 = dims.first().copied().unwrap_or(1);
                    if ne0 % block != 0 {
                        c.f(
                            ScanCode::GgufTensorShapeBlock,
                            format!("tensor `{name}` has {ne0} columns, not a multiple of {tname}'s block of {block}"),
                        );
                    } else {
                        bytes = (n / block).checked_mul(bpb);
                    }
                }
            }
        } else {
            c.f(
                ScanCode::GgufTensorSizeOverflow,
                format!("tensor `{name}` has dimensions {dims:?}, whose element count overflows"),
            );
        }
        if offset % alignment != 0 {
            c.f(
                ScanCode::GgufTensorOffsetMisaligned,
                format!("tensor `{name}` starts at offset {offset}, not a multiple of the alignment {alignment}"),
            );
        }
        let dtype = type_info(ty).map(|t| t.2).unwrap_or("unknown");
        infos.push((name, offset, bytes, dtype, dims));
    }
    let data_start = r.pos.div_ceil(alignment).saturating_mul(alignment);
    let mut spans = Vec::new();
    let mut expected = 0u64;
    for (name, offset, bytes, dtype, dims) in &infos {
        if *offset != expected {
            c.f(
                ScanCode::GgufTensorOffsetGap,
                format!("tensor `{name}` starts at offset {offset}; laid out in order it would start at {expected}"),
            );
        }
        let Some(bytes) = bytes else { break };
        let end = data_start.saturating_add(*offset).saturating_add(*bytes);
        if end > r.size {
            c.f(
                ScanCode::GgufTensorOutOfBounds,
                format!(
                    "tensor `{name}` ends at byte {end}, past the end of the {}-byte file",
                    r.size
                ),
            );
        }
        if end <= r.size {
            spans.push(super::TensorSpan {
                name: name.clone(),
                dtype: dtype.to_string(),
                shape: dims.clone(),
                begin: end - bytes,
                end,
            });
        }
        expected = offset
            .saturating_add(*bytes)
            .div_ceil(alignment)
            .saturating_mul(alignment);
    }
    c.tensors = Some(spans);
    Ok(())
}
