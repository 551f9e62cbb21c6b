//! Containers inside containers: compressed streams (gzip, zlib, bzip2, xz, lzma, lz4, zstd), tar
//! and zip archives, each member decided by its bytes and scanned again, within depth and size
//! limits. A container that cannot be opened is `not-scanned`, never clean.

use super::archive::{self, Entry, Source};
use super::{ScanCode, keras, npy, onnx, pickle, savedmodel, template, torchscript};
use crate::finding::Finding;
use std::io::{Cursor, Read};

/// Containers nested deeper than this are not opened.
pub(crate) const MAX_DEPTH: u32 = 8;
/// Most bytes one top-level file may expand to, over all its nested members together.
pub(crate) const MAX_TOTAL: u64 = 2 << 30;
/// Most bytes of one member (or one decompressed stream) held in memory.
pub(crate) const MAX_MEMBER: u64 = 1 << 30;
/// How much of a zip or tar member is read first to decide whether to read it whole.
const PROBE: u64 = 64 << 10;

/// The state shared by one top-level file's scan: its name, the nesting depth, the bytes left.
pub(crate) struct Nest<'a> {
    pub rel: &'a str,
    pub depth: u32,
    pub budget: u64,
}

impl<'a> Nest<'a> {
    /// A fresh budget for the top-level file `rel`.
    pub fn new(rel: &'a str) -> Nest<'a> {
        Nest {
            rel,
            depth: 0,
            budget: MAX_TOTAL,
        }
    }

    fn f(&self, c: ScanCode, msg: impl Into<String>, member: Option<&str>) -> Finding {
        let f = Finding::new(&c, msg).at(self.rel);
        match member {
            Some(m) => f.with_evidence(format!("member `{m}`")),
            None => f,
        }
    }

    /// Runs `scan` one level deeper, or reports that the nesting is too deep.
    fn deeper(
        &mut self,
        member: Option<&str>,
        scan: impl FnOnce(&mut Nest<'a>) -> Vec<Finding>,
    ) -> Vec<Finding> {
        if self.depth >= MAX_DEPTH {
            return vec![self.f(
                ScanCode::NotScanned,
                format!(
                    "containers nest deeper than {MAX_DEPTH} levels; the inner ones were not opened"
                ),
                member,
            )];
        }
        self.depth += 1;
        let out = scan(self);
        self.depth -= 1;
        out
    }
}

/// A compression format, recognised by its magic bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Packing {
    Gzip,
    Zlib,
    Bzip2,
    Xz,
    /// The legacy `.lzma` ("alone") container, which has no magic: its header is validated.
    Lzma,
    Lz4,
    Zstd,
}

impl Packing {
    fn name(self) -> &'static str {
        match self {
            Packing::Gzip => "gzip",
            Packing::Zlib => "zlib",
            Packing::Bzip2 => "bzip2",
            Packing::Xz => "xz",
            Packing::Lzma => "lzma",
            Packing::Lz4 => "lz4",
            Packing::Zstd => "zstd",
        }
    }
}

/// The compression format `head` starts with, if any.
pub(crate) fn packing(head: &[u8]) -> Option<Packing> {
    if head.starts_with(b"\x1f\x8b") {
        Some(Packing::Gzip)
    } else if head.len() > 1
        && head[0] == 0x78
        && [0x01, 0x5e, 0x9c, 0xda].contains(&head[1])
        && u16::from_be_bytes([head[0], head[1]]).is_multiple_of(31)
    {
        Some(Packing::Zlib)
    } else if head.starts_with(b"BZh") && head.get(3).is_some_and(|b| (b'1'..=b'9').contains(b)) {
        Some(Packing::Bzip2)
    } else if head.starts_with(b"\xfd7zXZ\x00") {
        Some(Packing::Xz)
    } else if head.starts_with(b"\x04\x22\x4d\x18") {
        Some(Packing::Lz4)
    } else if head.starts_with(b"\x28\xb5\x2f\xfd") {
        Some(Packing::Zstd)
    } else if lzma_alone(head) {
        Some(Packing::Lzma)
    } else {
        None
    }
}

/// Whether `head` is a plausible `.lzma` header: properties, a dictionary size of 2^n or
/// 2^n + 2^(n-1) from 4 KiB, and an uncompressed size that is unknown or below 1 TiB.
fn lzma_alone(head: &[u8]) -> bool {
    if head.len() < 13 || head[0] >= 225 {
        return false;
    }
    let dict = u32::from_le_bytes(head[1..5].try_into().expect("4 bytes"));
    let size = u64::from_le_bytes(head[5..13].try_into().expect("8 bytes"));
    let dict_ok = dict >= 4096
        && (dict.is_power_of_two()
            || (dict - (1 << (31 - dict.leading_zeros()))).is_power_of_two());
    dict_ok && (size == u64::MAX || size < 1 << 40)
}

/// Why a stream could not be fully unpacked.
pub(crate) enum Unpack {
    /// It expands beyond the cap.
    TooLarge,
    /// It breaks; the bytes before the break are kept.
    Broken(String, Vec<u8>),
}

/// Decompresses `input` as `p`, holding at most `cap` bytes of output.
pub(crate) fn unpack(p: Packing, input: impl Read, cap: u64) -> Result<Vec<u8>, Unpack> {
    let mut out = Vec::new();
    let limit = cap.saturating_add(1);
    let res = match p {
        Packing::Gzip => flate2::read::MultiGzDecoder::new(input)
            .take(limit)
            .read_to_end(&mut out),
        Packing::Zlib => flate2::read::ZlibDecoder::new(input)
            .take(limit)
            .read_to_end(&mut out),
        Packing::Bzip2 => bzip2::read::MultiBzDecoder::new(input)
            .take(limit)
            .read_to_end(&mut out),
        Packing::Xz => liblzma::read::XzDecoder::new_multi_decoder(input)
            .take(limit)
            .read_to_end(&mut out),
        Packing::Lzma => match liblzma::stream::Stream::new_lzma_decoder(u64::MAX) {
            Ok(stream) => liblzma::read::XzDecoder::new_stream(input, stream)
                .take(limit)
                .read_to_end(&mut out),
            Err(e) => Err(std::io::Error::other(e)),
        },
        Packing::Lz4 => lz4_flex::frame::FrameDecoder::new(input)
            .take(limit)
            .read_to_end(&mut out),
        Packing::Zstd => match zstd::stream::read::Decoder::new(input) {
            Ok(d) => d.take(limit).read_to_end(&mut out),
            Err(e) => Err(e),
        },
    };
    if out.len() as u64 > cap {
        return Err(Unpack::TooLarge);
    }
    match res {
        Ok(_) => Ok(out),
        Err(e) => Err(Unpack::Broken(e.to_string(), out)),
    }
}

/// Scans a compressed stream (`data`, or read from `input`) as whatever it unpacks to.
pub(crate) fn compressed(
    p: Packing,
    input: impl Read,
    name: &str,
    member: Option<&str>,
    n: &mut Nest,
) -> Vec<Finding> {
    let cap = n.budget.min(MAX_MEMBER);
    let (data, mut out) = match unpack(p, input, cap) {
        Ok(d) => (d, Vec::new()),
        Err(Unpack::TooLarge) => {
            return vec![n.f(
                ScanCode::ArchiveExpansionLimit,
                format!(
                    "the {} stream expands beyond the scanner's {cap}-byte limit; not scanned",
                    p.name()
                ),
                member,
            )];
        }
        Err(Unpack::Broken(why, partial)) => {
            let f = n.f(
                ScanCode::NotScanned,
                format!(
                    "the {} stream breaks ({why}); only the bytes before the break were scanned",
                    p.name()
                ),
                member,
            );
            (partial, vec![f])
        }
    };
    n.budget = n.budget.saturating_sub(data.len() as u64);
    let inner = name
        .rsplit_once('.')
        .filter(|(_, ext)| {
            matches!(
                *ext,
                "gz" | "gzip" | "z" | "bz2" | "xz" | "lzma" | "lz4" | "zst" | "zstd" | "tgz"
            )
        })
        .map_or(name, |(stem, _)| stem);
    out.extend(n.deeper(member, |n| blob(&data, inner, member, n)));
    out
}

/// Whether `head` is a tar header (POSIX `ustar` magic, or an old-style header whose checksum holds).
pub(crate) fn is_tar(head: &[u8]) -> bool {
    if head.get(257..262) == Some(b"ustar") {
        return true;
    }
    if head.len() < 512 || head[0] == 0 {
        return false;
    }
    let Some(stored) = std::str::from_utf8(&head[148..156])
        .ok()
        .map(|s| s.trim_matches(|c: char| c == '\0' || c == ' '))
        .and_then(|s| u32::from_str_radix(s, 8).ok())
    else {
        return false;
    };
    let sum: u32 = head[..512]
        .iter()
        .enumerate()
        .map(|(i, &b)| {
            if (148..156).contains(&i) {
                32
            } else {
                b as u32
            }
        })
        .sum();
    sum == stored
}

fn join(member: Option<&str>, name: &str) -> String {
    match member {
        Some(m) => format!("{m}/{name}"),
        None => name.to_string(),
    }
}

/// Scans every regular file of a tar archive read from `input`.
pub(crate) fn tar(input: impl Read, member: Option<&str>, n: &mut Nest) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut ar = tar::Archive::new(input);
    let entries = match ar.entries() {
        Ok(e) => e,
        Err(e) => {
            return vec![n.f(
                ScanCode::NotScanned,
                format!("the tar archive cannot be read: {e}"),
                member,
            )];
        }
    };
    for entry in entries {
        let mut entry = match entry {
            Ok(e) => e,
            Err(e) => {
                out.push(n.f(
                    ScanCode::NotScanned,
                    format!("the tar archive breaks ({e}); later members were not scanned"),
                    member,
                ));
                break;
            }
        };
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let name = entry.path().map_or_else(
            |_| String::from_utf8_lossy(&entry.path_bytes()).into_owned(),
            |p| p.to_string_lossy().into_owned(),
        );
        let full = join(member, &name);
        let size = entry.size();
        let mut head = Vec::new();
        if let Err(e) = (&mut entry).take(PROBE).read_to_end(&mut head) {
            out.push(n.f(
                ScanCode::NotScanned,
                format!("member `{name}` cannot be read: {e}"),
                Some(&full),
            ));
            break;
        }
        if !worth_reading(&head, &name) {
            continue;
        }
        if size > n.budget.min(MAX_MEMBER) {
            out.push(n.f(
                ScanCode::ArchiveExpansionLimit,
                format!(
                    "member `{name}` holds {size} bytes, beyond the scanner's limit; not scanned"
                ),
                Some(&full),
            ));
            continue;
        }
        let mut data = head;
        if let Err(e) = entry.read_to_end(&mut data) {
            out.push(n.f(
                ScanCode::NotScanned,
                format!("member `{name}` cannot be read: {e}"),
                Some(&full),
            ));
            break;
        }
        n.budget = n.budget.saturating_sub(data.len() as u64);
        out.extend(n.deeper(Some(&full), |n| blob(&data, &name, Some(&full), n)));
    }
    out
}

/// Whether a member whose first bytes are `head` needs reading whole: anything the scanner can
/// judge (pickles, containers, arrays, configs, templates, graphs, TorchScript code).
fn worth_reading(head: &[u8], name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    let base = lower.rsplit('/').next().unwrap_or(&lower);
    packing(head).is_some()
        || head.starts_with(b"PK\x03\x04")
        || head.starts_with(b"\x93NUMPY")
        || head.starts_with(b"\x89HDF\r\n\x1a\n")
        || is_tar(head)
        || pickle::sniff(head)
        || base.ends_with(".pkl")
        || base.ends_with(".pickle")
        || base.ends_with(".npy")
        || base.ends_with(".jinja")
        || base.ends_with(".json")
        || base.ends_with(".pb")
        || base.ends_with(".onnx")
        || base.ends_with(".keras")
        || base.ends_with(".zip")
        || base.ends_with(".py")
}

/// Scans bytes whose type is unknown (a member or an unpacked stream) by what they are.
pub(crate) fn blob(data: &[u8], name: &str, member: Option<&str>, n: &mut Nest) -> Vec<Finding> {
    let lower = name.to_ascii_lowercase();
    let base = lower.rsplit('/').next().unwrap_or(&lower).to_string();
    if let Some(p) = packing(data) {
        return compressed(p, data, name, member, n);
    }
    if data.starts_with(b"PK\x03\x04") || data.starts_with(b"PK\x05\x06") {
        return zip(&mut Cursor::new(data), data.len() as u64, member, n);
    }
    if is_tar(data) {
        return tar(data, member, n);
    }
    if data.starts_with(b"\x93NUMPY") {
        return npy(data, n.rel, member);
    }
    if data.starts_with(b"\x89HDF\r\n\x1a\n") {
        return keras::check_h5_bytes(data, n.rel, member);
    }
    if pickle::sniff(data) {
        return pickle::scan(data, pickle::Kind::Raw, n.rel, member).findings;
    }
    let source = member.map_or_else(|| "the file".to_string(), |m| format!("member `{m}`"));
    if base == "saved_model.pb" {
        return savedmodel::check_bytes(data, n.rel, &source);
    }
    if base.ends_with(".onnx") {
        return onnx::check_bytes(data, n.rel);
    }
    let text = || String::from_utf8_lossy(data);
    if base.ends_with(".jinja") {
        return template::check(&text(), n.rel, &source);
    }
    if base == "config.json" {
        let t = text();
        let mut out = keras::check_config(&t, n.rel, &source);
        out.extend(template::check_json(&t, n.rel));
        return out;
    }
    if base.ends_with(".json") {
        return template::check_json(&text(), n.rel);
    }
    if embedded_zip(data) {
        return zip(&mut Cursor::new(data), data.len() as u64, member, n);
    }
    Vec::new()
}

/// Whether `data` ends with a zip directory though it does not start as one (bytes prepended, as
/// Python's `zipfile` and so Keras accept).
fn embedded_zip(data: &[u8]) -> bool {
    let tail = &data[data.len().saturating_sub(65_557)..];
    memchr::memmem::rfind(tail, b"PK\x05\x06").is_some()
        && archive::entries(&mut Cursor::new(data), data.len() as u64).is_ok_and(|e| !e.is_empty())
}

/// Whether an archive member is tensor storage (`archive/data/0`), whose bytes are not a pickle.
fn is_storage(name: &str) -> bool {
    let mut parts = name.rsplit('/');
    let base = parts.next().unwrap_or("");
    parts.next() == Some("data") && !base.is_empty() && base.bytes().all(|b| b.is_ascii_digit())
}

/// Scans the members of the zip archive in `src` (`len` bytes).
pub(crate) fn zip(
    src: &mut dyn Source,
    len: u64,
    member: Option<&str>,
    n: &mut Nest,
) -> Vec<Finding> {
    let (entries, prepended) = match archive::entries_with_offset(src, len) {
        Ok(e) => e,
        Err(why) => {
            return vec![n.f(
                ScanCode::NotScanned,
                format!("the zip archive cannot be read: {why}"),
                member,
            )];
        }
    };
    let mut out = Vec::new();
    if prepended > 0 {
        out.push(n.f(
            ScanCode::ArchivePrependedData,
            format!("{prepended} bytes precede the zip archive (readers that search for its directory still open it)"),
            member,
        ));
    }
    out.extend(directory_findings(&entries, member, n));
    let ts = torchscript::is_archive(entries.iter().map(|e| e.name.as_str()));
    let has = |x: &str| entries.iter().any(|e| e.name == x);
    let keras = has("config.json") && (has("metadata.json") || has("model.weights.h5"));
    for e in &entries {
        if e.name.ends_with('/') || is_storage(&e.name) {
            continue;
        }
        let full = join(member, &e.name);
        if let Some(data) = read_entry(src, e, &full, n, &mut out) {
            if keras && e.name == "config.json" {
                out.extend(keras::check_archive_config(
                    &data,
                    n.rel,
                    &format!("member `{full}`"),
                ));
                out.extend(template::check_json(&String::from_utf8_lossy(&data), n.rel));
                continue;
            }
            out.extend(entry_findings(e, &data, &full, ts, n));
        }
    }
    if ts {
        out.extend(torchscript::check_archive(src, &entries, n.rel, member));
    }
    out
}

/// Duplicate members and names that differ between the directory and the local headers.
fn directory_findings(entries: &[Entry], member: Option<&str>, n: &Nest) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut names = std::collections::HashSet::new();
    for e in entries {
        let full = join(member, &e.name);
        if !names.insert(e.name.as_str()) {
            out.push(n.f(
                ScanCode::ArchiveDuplicateMember,
                format!("the archive holds `{}` more than once", e.name),
                Some(&full),
            ));
        }
        if e.local_name != e.name {
            out.push(n.f(
                ScanCode::ArchiveNameMismatch,
                format!(
                    "the central directory names `{}` but the local header names `{}`",
                    e.name, e.local_name
                ),
                Some(&full),
            ));
        }
    }
    out
}

/// Reads a member whole if its first bytes or its name say the scanner can judge it.
fn read_entry(
    src: &mut dyn Source,
    e: &Entry,
    full: &str,
    n: &mut Nest,
    out: &mut Vec<Finding>,
) -> Option<Vec<u8>> {
    let named = |x: &str| {
        let l = x.to_ascii_lowercase();
        l.ends_with(".pkl") || l.ends_with(".pickle") || l.ends_with(".npy")
    };
    let named_pickle = named(&e.name) || named(&e.local_name);
    if ![0, 8, 12, 14, 93].contains(&e.method) {
        out.push(n.f(
            ScanCode::NotScanned,
            format!(
                "member `{}` uses compression method {}, which modelvet cannot read",
                e.name, e.method
            ),
            Some(full),
        ));
        return None;
    }
    if !named_pickle {
        let head = archive::read_member(src, e, PROBE, true).ok()?;
        if !worth_reading(&head, &e.name) {
            return None;
        }
    }
    let cap = n.budget.min(MAX_MEMBER);
    if e.size > cap {
        out.push(n.f(
            ScanCode::ArchiveExpansionLimit,
            format!(
                "member `{}` declares {} bytes, beyond the scanner's limit; not scanned",
                e.name, e.size
            ),
            Some(full),
        ));
        return None;
    }
    match archive::read_member(src, e, e.size.clamp(1, cap), false) {
        Ok(d) => {
            n.budget = n.budget.saturating_sub(d.len() as u64);
            Some(d)
        }
        Err(archive::MemberError::TooLarge) => {
            out.push(n.f(
                ScanCode::ArchiveExpansionLimit,
                format!(
                    "member `{}` inflates beyond its declared {} bytes; not scanned",
                    e.name, e.size
                ),
                Some(full),
            ));
            None
        }
        Err(archive::MemberError::Unsupported(m)) => {
            out.push(n.f(
                ScanCode::NotScanned,
                format!("member `{}` uses compression method {m}", e.name),
                Some(full),
            ));
            None
        }
        Err(archive::MemberError::Io(why)) => {
            out.push(n.f(
                ScanCode::NotScanned,
                format!("member `{}` cannot be read: {why}", e.name),
                Some(full),
            ));
            None
        }
    }
}

/// Header tampering and the content findings of one member's bytes.
fn entry_findings(e: &Entry, data: &[u8], full: &str, ts: bool, n: &mut Nest) -> Vec<Finding> {
    let mut out = Vec::new();
    if data.is_empty() {
        return out;
    }
    let plain = pickle::sniff(data) || data.starts_with(b"\x93NUMPY") || data.starts_with(b"{");
    if e.encrypted() {
        if !plain {
            out.push(n.f(
                ScanCode::NotScanned,
                format!("member `{}` is encrypted", e.name),
                Some(full),
            ));
            return out;
        }
        out.push(n.f(
            ScanCode::ArchiveHeaderTampered,
            format!(
                "member `{}` is flagged encrypted but is plain (torch ignores the flag)",
                e.name
            ),
            Some(full),
        ));
    } else if archive::crc32(data) != e.crc {
        out.push(n.f(
            ScanCode::ArchiveHeaderTampered,
            format!(
                "member `{}` does not match its CRC-32 (torch ignores CRCs)",
                e.name
            ),
            Some(full),
        ));
    }
    let lower = e.name.to_ascii_lowercase();
    if ts && lower.ends_with(".py") {
        // TorchScript code is judged as code, by `torchscript::check_archive`.
        return out;
    }
    if ts && (lower.ends_with(".pkl") || pickle::sniff(data)) && packing(data).is_none() {
        out.extend(pickle::scan_torchscript(data, n.rel, Some(full)).findings);
        return out;
    }
    let named_pickle = [&e.name, &e.local_name].iter().any(|x| {
        let l = x.to_ascii_lowercase();
        l.ends_with(".pkl") || l.ends_with(".pickle")
    });
    if named_pickle && !pickle::sniff(data) && packing(data).is_none() && !data.starts_with(b"PK") {
        out.extend(pickle::scan(data, pickle::Kind::Raw, n.rel, Some(full)).findings);
        return out;
    }
    out.extend(n.deeper(Some(full), |n| blob(data, &e.name, Some(full), n)));
    out
}
