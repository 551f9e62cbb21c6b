//! What `add` does with a file's bytes while hashing them: one read feeds the file's SHA-256
//! (the hashing loop), every tensor's SHA-256 (safetensors, GGUF) and the scan.

use crate::finding::Finding;
use crate::hashing::Tap;
use crate::lineage::TensorDigester;
use crate::record::TensorDigest;
use crate::scan::{self, CAPTURE_HEAD, Capture, WeightsHeader};
use std::path::Path;

/// The tap of one file: keeps the bytes the scan and the tensor digests need as they go past.
pub(super) struct FileTap {
    rel: String,
    size: u64,
    /// The file's first bytes, as far as the current state keeps them.
    kept: Vec<u8>,
    seen: u64,
    state: State,
    /// The first bytes, for the format sniff.
    head: Vec<u8>,
}

enum State {
    /// Too few bytes yet to tell what the file is.
    Deciding,
    /// Keeping a weights header (at most this many bytes) until it can be read.
    Header(u64),
    /// Header read: digesting the tensors as their bytes pass.
    Digesting(Box<(TensorDigester, WeightsHeader)>),
    /// Keeping the first bytes, at most this many (pickles).
    Prefix(u64),
    /// The scan reads what it needs itself.
    Nothing,
}

/// What a file's tap gathered.
pub(super) struct Tapped {
    pub findings: Vec<Finding>,
    pub tensors: Vec<TensorDigest>,
    /// GGUF `general.license`.
    pub license: Option<String>,
    /// The file's first bytes (up to [`CAPTURE_HEAD`]).
    pub head: Vec<u8>,
}

impl FileTap {
    pub(super) fn new(rel: &str, size: u64) -> FileTap {
        FileTap {
            rel: rel.to_string(),
            size,
            kept: Vec::new(),
            seen: 0,
            state: State::Deciding,
            head: Vec::new(),
        }
    }

    fn try_header(&mut self, limit: u64) {
        if let Some(h) = scan::weights_header(&self.rel, &self.kept, self.size) {
            let mut d = TensorDigester::new(h.tensors.clone().unwrap_or_default());
            d.feed(&self.kept);
            self.kept = Vec::new();
            self.state = State::Digesting(Box::new((d, h)));
        } else if self.kept.len() as u64 >= limit || self.seen == self.size {
            // A header larger than we keep: the scan reads it itself; no tensor digests.
            self.kept = Vec::new();
            self.state = State::Nothing;
        } else {
            self.state = State::Header(limit);
        }
    }

    /// The findings of the scan (from the kept bytes; read from `path` only where they do not
    /// suffice) and the tensor digests.
    pub(super) fn finish(self, path: &Path) -> Tapped {
        match self.state {
            State::Digesting(b) => {
                let (d, h) = *b;
                Tapped {
                    findings: h.findings,
                    tensors: d.finish(),
                    license: h.license,
                    head: self.head,
                }
            }
            State::Prefix(_) => Tapped {
                findings: scan::scan_file_captured(path, &self.rel, &self.kept),
                tensors: Vec::new(),
                license: None,
                head: self.head,
            },
            State::Deciding | State::Header(_) | State::Nothing => Tapped {
                findings: scan::scan_file(path, &self.rel),
                tensors: Vec::new(),
                license: None,
                head: self.head,
            },
        }
    }
}

impl Tap for FileTap {
    fn chunk(&mut self, bytes: &[u8]) {
        self.seen += bytes.len() as u64;
        match &mut self.state {
            State::Digesting(b) => b.0.feed(bytes),
            State::Nothing => {}
            State::Prefix(limit) => {
                let room = (*limit).saturating_sub(self.kept.len() as u64) as usize;
                self.kept.extend_from_slice(&bytes[..bytes.len().min(room)]);
            }
            State::Header(limit) => {
                let limit = *limit;
                self.kept.extend_from_slice(bytes);
                self.try_header(limit);
            }
            State::Deciding => {
                self.kept.extend_from_slice(bytes);
                if self.kept.len() < CAPTURE_HEAD && self.seen < self.size {
                    return;
                }
                self.head = self.kept[..self.kept.len().min(CAPTURE_HEAD)].to_vec();
                match scan::capture_for(&self.rel, &self.kept, self.size) {
                    Capture::Nothing => {
                        self.kept = Vec::new();
                        self.state = State::Nothing;
                    }
                    Capture::Prefix(limit) => {
                        self.kept.truncate(limit as usize);
                        self.state = State::Prefix(limit);
                    }
                    Capture::Header(limit) => self.try_header(limit),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds `bytes` to a tap in `chunk`-sized pieces, as the hashing loop does.
    fn tapped(path: &Path, rel: &str, bytes: &[u8], chunk: usize) -> Tapped {
        let mut tap = FileTap::new(rel, bytes.len() as u64);
        for c in bytes.chunks(chunk.max(1)) {
            tap.chunk(c);
        }
        tap.finish(path)
    }

    fn safetensors(tensors: &[(&str, &[u8])]) -> Vec<u8> {
        let mut header = serde_json::Map::new();
        let mut at = 0;
        for (name, data) in tensors {
            header.insert(
                name.to_string(),
                serde_json::json!({"dtype": "U8", "shape": [data.len()], "data_offsets": [at, at + data.len()]}),
            );
            at += data.len();
        }
        let mut h = serde_json::Value::Object(header).to_string().into_bytes();
        while !h.len().is_multiple_of(8) {
            h.push(b' ');
        }
        let mut out = (h.len() as u64).to_le_bytes().to_vec();
        out.extend(h);
        for (_, data) in tensors {
            out.extend_from_slice(data);
        }
        out
    }

    #[test]
    fn what_the_read_gives_equals_what_reading_again_gives() {
        let dir = tempfile::tempdir().unwrap();
        let a: Vec<u8> = (0..5000u32).map(|i| (i % 7) as u8).collect();
        let b: Vec<u8> = (0..3000u32).map(|i| (i % 13) as u8).collect();
        let cases: Vec<(&str, Vec<u8>)> = vec![
            ("model.safetensors", safetensors(&[("a", &a), ("b", &b)])),
            ("evil.pkl", b"\x80\x02cos\nsystem\nq\x00.".to_vec()),
            (
                "broken.safetensors",
                b"\xff\xff\xff\xff\xff\xff\xff\xff{}".to_vec(),
            ),
            ("notes.txt", b"hello".to_vec()),
            ("empty.bin", Vec::new()),
        ];
        for (rel, bytes) in &cases {
            let path = dir.path().join(rel);
            std::fs::write(&path, bytes).unwrap();
            let again = crate::scan::scan_file(&path, rel);
            for chunk in [1, 100, 1 << 20] {
                let t = tapped(&path, rel, bytes, chunk);
                assert_eq!(t.findings, again, "{rel}, chunks of {chunk}");
                if *rel == "model.safetensors" {
                    assert_eq!(t.tensors.len(), 2);
                    assert_eq!(t.tensors[0].sha256, crate::hashing::sha256(&a));
                    assert_eq!(t.tensors[1].sha256, crate::hashing::sha256(&b));
                    assert_eq!(t.tensors[1].shape, vec![3000]);
                } else {
                    assert!(t.tensors.is_empty(), "{rel}");
                }
            }
        }
    }
}
