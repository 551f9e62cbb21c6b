//! A tolerant zip reader for PyTorch archives, `.npz`, `.keras` and other zips.
//!
//! Written here rather than using the `zip` crate because a scanner must read what `torch.load`
//! reads, not what a strict reader accepts: torch ignores CRCs and flag bits, so a tampered archive
//! that a strict reader refuses would otherwise pass as "unreadable" while still loading in torch.
//! We also need the local header's name to compare it with the central directory's.

use std::io::{Read, Seek, SeekFrom};

/// What the zip reader reads from: a file, or an archive member held in memory.
pub(crate) trait Source: Read + Seek {}
impl<T: Read + Seek> Source for T {}

/// Most entries and central-directory bytes we accept before calling an archive unreadable.
const MAX_ENTRIES: u64 = 200_000;
const MAX_CD_BYTES: u64 = 64 << 20;

/// One member, as the central directory describes it (plus its local header's name).
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub name: String,
    pub local_name: String,
    pub flags: u16,
    pub method: u16,
    pub crc: u32,
    pub compressed: u64,
    pub size: u64,
    pub data_offset: u64,
}

impl Entry {
    /// Whether the "encrypted" flag bit is set.
    pub fn encrypted(&self) -> bool {
        self.flags & 1 != 0
    }
}

fn u16le(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}
fn u32le(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().expect("4 bytes"))
}
fn u64le(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().expect("8 bytes"))
}

fn read_at(file: &mut dyn Source, at: u64, len: usize) -> std::io::Result<Vec<u8>> {
    file.seek(SeekFrom::Start(at))?;
    let mut buf = vec![0; len];
    file.read_exact(&mut buf)?;
    Ok(buf)
}

/// Lists the members of the zip in `file` (`len` bytes). `Err` says why it cannot be read.
pub(crate) fn entries(file: &mut dyn Source, len: u64) -> Result<Vec<Entry>, String> {
    entries_with_offset(file, len).map(|(e, _)| e)
}

/// Like [`entries`], also returning how many bytes precede the archive (Python's `zipfile` and
/// so Keras accept a zip with bytes prepended; offsets then count from the archive's start).
pub(crate) fn entries_with_offset(
    file: &mut dyn Source,
    len: u64,
) -> Result<(Vec<Entry>, u64), String> {
    let tail_len = len.min(65_557) as usize;
    let tail = read_at(file, len - tail_len as u64, tail_len).map_err(|e| e.to_string())?;
    let eocd = (0..tail_len.saturating_sub(21))
        .rev()
        .find(|&i| tail[i..].starts_with(b"PK\x05\x06"))
        .ok_or("no end-of-central-directory record")?;
    let eocd_abs = len - tail_len as u64 + eocd as u64;
    let mut count = u16le(&tail, eocd + 10) as u64;
    let mut cd_size = u32le(&tail, eocd + 12) as u64;
    let mut cd_off = u32le(&tail, eocd + 16) as u64;
    let zip64 = count == 0xFFFF || cd_size == 0xFFFF_FFFF || cd_off == 0xFFFF_FFFF;
    if zip64 {
        // zip64: the locator sits right before the classic record.
        let loc = eocd_abs.checked_sub(20).ok_or("truncated zip64 locator")?;
        let l = read_at(file, loc, 20).map_err(|e| e.to_string())?;
        if u32le(&l, 0) != 0x0706_4b50 {
            return Err("zip64 locator missing".into());
        }
        let rec_at = u64le(&l, 8);
        if rec_at.checked_add(56).is_none_or(|e| e > len) {
            return Err("zip64 record out of bounds".into());
        }
        let r = read_at(file, rec_at, 56).map_err(|e| e.to_string())?;
        if u32le(&r, 0) != 0x0606_4b50 {
            return Err("zip64 record missing".into());
        }
        count = u64le(&r, 32);
        cd_size = u64le(&r, 40);
        cd_off = u64le(&r, 48);
    }
    if count > MAX_ENTRIES || cd_size > MAX_CD_BYTES {
        return Err(format!(
            "{count} entries / {cd_size} directory bytes exceed the scanner's limits"
        ));
    }
    // Bytes prepended to the archive shift every offset by the same amount.
    // (Not tried for zip64, whose record may carry extensible data of any length.)
    let prepended = if zip64 {
        0
    } else {
        eocd_abs
            .checked_sub(cd_size)
            .and_then(|start| start.checked_sub(cd_off))
            .unwrap_or(0)
    };
    let cd_off = cd_off + prepended;
    if cd_off.checked_add(cd_size).is_none_or(|e| e > len) {
        return Err("central directory out of bounds".into());
    }
    let cd = read_at(file, cd_off, cd_size as usize).map_err(|e| e.to_string())?;
    let mut out = Vec::with_capacity(count as usize);
    let mut p = 0usize;
    for _ in 0..count {
        if p + 46 > cd.len() || u32le(&cd, p) != 0x0201_4b50 {
            return Err("broken central directory entry".into());
        }
        let flags = u16le(&cd, p + 8);
        let method = u16le(&cd, p + 10);
        let crc = u32le(&cd, p + 16);
        let mut compressed = u32le(&cd, p + 20) as u64;
        let mut size = u32le(&cd, p + 24) as u64;
        let nlen = u16le(&cd, p + 28) as usize;
        let xlen = u16le(&cd, p + 30) as usize;
        let clen = u16le(&cd, p + 32) as usize;
        let mut local = u32le(&cd, p + 42) as u64;
        let end = p + 46 + nlen + xlen + clen;
        if end > cd.len() {
            return Err("central directory entry runs past its end".into());
        }
        let name = String::from_utf8_lossy(&cd[p + 46..p + 46 + nlen]).into_owned();
        // zip64 extra field: the 0xFFFFFFFF fields, in order.
        let mut x = p + 46 + nlen;
        let xend = x + xlen;
        while x + 4 <= xend {
            let id = u16le(&cd, x);
            let sz = u16le(&cd, x + 2) as usize;
            let body = x + 4;
            if body + sz > xend {
                break;
            }
            if id == 1 {
                let mut q = body;
                for field in [&mut size, &mut compressed, &mut local] {
                    if *field == 0xFFFF_FFFF && q + 8 <= body + sz {
                        *field = u64le(&cd, q);
                        q += 8;
                    }
                }
            }
            x = body + sz;
        }
        p = end;
        let local = local.saturating_add(prepended);
        if local.checked_add(30).is_none_or(|e| e > len) {
            return Err(format!("member `{name}` has a local header out of bounds"));
        }
        let lh = read_at(file, local, 30).map_err(|e| e.to_string())?;
        if u32le(&lh, 0) != 0x0403_4b50 {
            return Err(format!("member `{name}` has no local header"));
        }
        let lnlen = u16le(&lh, 26) as u64;
        let lxlen = u16le(&lh, 28) as u64;
        let local_name = read_at(file, local + 30, lnlen.min(len - local - 30) as usize)
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .map_err(|e| e.to_string())?;
        let data_offset = local + 30 + lnlen + lxlen;
        if data_offset.checked_add(compressed).is_none_or(|e| e > len) {
            return Err(format!("member `{name}` runs past the end of the archive"));
        }
        out.push(Entry {
            name,
            local_name,
            flags,
            method,
            crc,
            compressed,
            size,
            data_offset,
        });
    }
    Ok((out, prepended))
}

/// Why a member's bytes could not be read.
#[derive(Debug)]
pub(crate) enum MemberError {
    /// It inflates beyond `cap` bytes (or beyond what it declared).
    TooLarge,
    Unsupported(u16),
    Io(String),
}

/// Reads up to `cap` bytes of a member's content, inflating it if needed; `prefix_only` stops at
/// `cap` without calling that an error.
pub(crate) fn read_member(
    file: &mut dyn Source,
    e: &Entry,
    cap: u64,
    prefix_only: bool,
) -> Result<Vec<u8>, MemberError> {
    let io = |err: std::io::Error| MemberError::Io(err.to_string());
    file.seek(SeekFrom::Start(e.data_offset)).map_err(io)?;
    let raw = (&mut *file).take(e.compressed);
    let mut out = Vec::new();
    let limit = cap.saturating_add(1);
    match e.method {
        0 => {
            raw.take(limit).read_to_end(&mut out).map_err(io)?;
        }
        8 => {
            let mut dec = flate2::read::DeflateDecoder::new(raw).take(limit);
            if let Err(err) = dec.read_to_end(&mut out)
                && !prefix_only
            {
                return Err(io(err));
            }
        }
        12 | 14 | 93 => {
            // bzip2, LZMA and zstd members: Python's zipfile (so numpy's `.npz` loader) reads
            // the first two, Python 3.14's the third.
            let res = match e.method {
                12 => bzip2::read::BzDecoder::new(raw)
                    .take(limit)
                    .read_to_end(&mut out),
                14 => lzma_member(raw, limit, &mut out),
                _ => zstd::stream::read::Decoder::new(raw)
                    .and_then(|d| d.take(limit).read_to_end(&mut out)),
            };
            // An LZMA member may end without an end marker: complete output is what counts.
            if let Err(err) = res
                && !prefix_only
                && out.len() as u64 != e.size
            {
                return Err(io(err));
            }
        }
        m => return Err(MemberError::Unsupported(m)),
    }
    if out.len() as u64 > cap {
        if prefix_only {
            out.truncate(cap as usize);
        } else {
            return Err(MemberError::TooLarge);
        }
    }
    Ok(out)
}

/// Inflates a zip LZMA member: a 4-byte version/size header and 5 property bytes, then raw LZMA,
/// read here as a `.lzma` stream of unknown length.
fn lzma_member(mut raw: impl Read, limit: u64, out: &mut Vec<u8>) -> std::io::Result<usize> {
    let mut head = [0u8; 9];
    raw.read_exact(&mut head)?;
    let mut alone = head[4..9].to_vec();
    alone.extend(u64::MAX.to_le_bytes());
    let stream =
        liblzma::stream::Stream::new_lzma_decoder(u64::MAX).map_err(std::io::Error::other)?;
    liblzma::read::XzDecoder::new_stream(std::io::Cursor::new(alone).chain(raw), stream)
        .take(limit)
        .read_to_end(out)
}

/// CRC-32 of `data`, to compare with the directory's.
pub(crate) fn crc32(data: &[u8]) -> u32 {
    let mut c = flate2::Crc::new();
    c.update(data);
    c.sum()
}
