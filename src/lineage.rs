//! Lineage: which weights a model shares with others in the catalogue. The SHA-256 of every
//! tensor's raw bytes is computed while `add` hashes the file ([`TensorDigester`], fed by the
//! same read); matching identical files and shared tensors across the catalogue is done on the
//! stored digests (the catalogue indexes them), and [`LineageCode`] names what that finds.

use crate::ids::Sha256 as Sha256Digest;
use crate::record::TensorDigest;
use crate::scan::TensorSpan;
use sha2::{Digest, Sha256};

crate::finding_codes! {
    /// Finding codes of lineage across the catalogue.
    pub enum LineageCode {
        WeightsIdenticalLicenseDiffers = "weights-identical-license-differs", High, "the same weights (byte-identical weights files, or every tensor) are recorded under another effective license than the one they were first recorded with, or than their declared base model's: a re-upload that launders a license";
    }
}

/// Digests each tensor's byte range as the file's bytes stream past, in order.
pub struct TensorDigester {
    /// Sorted by start; `next` is the first not yet started.
    spans: Vec<TensorSpan>,
    next: usize,
    /// Started, not finished: (index into `spans`, running hash).
    active: Vec<(usize, Sha256)>,
    done: Vec<Option<Sha256Digest>>,
    pos: u64,
}

impl TensorDigester {
    /// For the tensors of one file (byte ranges in the file, as the header gives them). A range
    /// that overlaps the one before it (a malformed file, which the scan reports) is not
    /// digested: every byte is hashed at most once, whatever the header claims.
    pub fn new(mut spans: Vec<TensorSpan>) -> TensorDigester {
        spans.sort_by_key(|s| (s.begin, s.end));
        let mut end = 0;
        spans.retain(|s| {
            let keep = s.begin >= end;
            if keep {
                end = s.end;
            }
            keep
        });
        let n = spans.len();
        TensorDigester {
            spans,
            next: 0,
            active: Vec::new(),
            done: vec![None; n],
            pos: 0,
        }
    }

    /// The next bytes of the file (from offset 0, in order).
    pub fn feed(&mut self, bytes: &[u8]) {
        let start = self.pos;
        let end = start + bytes.len() as u64;
        self.pos = end;
        while self.next < self.spans.len() && self.spans[self.next].begin <= end {
            self.active.push((self.next, Sha256::new()));
            self.next += 1;
        }
        let spans = &self.spans;
        let done = &mut self.done;
        self.active.retain_mut(|(i, h)| {
            let s = &spans[*i];
            let from = s.begin.max(start);
            let to = s.end.min(end);
            if to > from {
                h.update(&bytes[(from - start) as usize..(to - start) as usize]);
            }
            if s.end <= end {
                done[*i] = Some(Sha256Digest::from_bytes(&std::mem::take(h).finalize()));
                false
            } else {
                true
            }
        });
    }

    /// The digests of every tensor whose bytes all went past, in file order.
    pub fn finish(self) -> Vec<TensorDigest> {
        self.spans
            .into_iter()
            .zip(self.done)
            .filter_map(|(s, d)| {
                Some(TensorDigest {
                    name: s.name,
                    dtype: s.dtype,
                    shape: s.shape,
                    sha256: d?,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(name: &str, begin: u64, end: u64) -> TensorSpan {
        TensorSpan {
            name: name.into(),
            dtype: "U8".into(),
            shape: vec![end - begin],
            begin,
            end,
        }
    }

    #[test]
    fn digests_ranges_across_chunk_boundaries() {
        let data: Vec<u8> = (0..1000u32).map(|i| (i % 251) as u8).collect();
        let spans = vec![
            span("b", 300, 999),
            span("a", 10, 300),
            span("empty", 999, 999),
            span("overlap", 250, 320),
        ];
        for chunk in [1usize, 7, 64, 1000] {
            let mut d = TensorDigester::new(spans.clone());
            for c in data.chunks(chunk) {
                d.feed(c);
            }
            let out = d.finish();
            let by = |n: &str| out.iter().find(|t| t.name == n).unwrap().sha256.clone();
            // `overlap` starts inside `a`: not digested (each byte is hashed once at most).
            assert_eq!(out.len(), 3, "chunk {chunk}");
            assert!(!out.iter().any(|t| t.name == "overlap"));
            assert_eq!(by("a"), crate::hashing::sha256(&data[10..300]));
            assert_eq!(by("b"), crate::hashing::sha256(&data[300..999]));
            assert_eq!(by("empty"), crate::hashing::sha256(b""));
        }
    }

    #[test]
    fn a_tensor_past_the_end_has_no_digest() {
        let mut d = TensorDigester::new(vec![span("a", 0, 4), span("cut", 4, 20)]);
        d.feed(&[1, 2, 3, 4, 5]);
        let out = d.finish();
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].name, "a");
    }
}
