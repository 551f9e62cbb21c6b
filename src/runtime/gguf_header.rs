//! A bounded walk over a GGUF header's metadata, before candle's reader sees the file: candle
//! divides by `general.alignment` without checking it (a zero is a divide-by-zero panic). Every
//! length is checked against the bytes left in the file, so a crafted header costs no memory.

use std::io::{Read, Seek, SeekFrom};

/// Nesting depth of arrays we follow (candle stops at a similar depth).
const MAX_DEPTH: u32 = 8;

/// Checks the header values candle trusts; `Err` is a message for `smoke-weights-unreadable`.
/// A header this walk cannot follow is left to candle's reader, which reports it.
pub(crate) fn check<R: Read + Seek>(r: &mut R, file_len: u64) -> Result<(), String> {
    // A walk that fails (truncated, unknown type) found nothing: candle's reader reports it.
    let found = find_alignment(r, file_len).unwrap_or_default();
    r.seek(SeekFrom::Start(0))
        .map_err(|e| format!("cannot read: {e}"))?;
    match found {
        Some(a) if a == 0 || !a.is_power_of_two() => Err(format!(
            "`general.alignment` is {a}, not a non-zero power of two"
        )),
        _ => Ok(()),
    }
}

struct Walk<'a, R> {
    r: &'a mut R,
    left: u64,
    /// GGUF v1 writes lengths and counts as u32, later versions as u64.
    wide: bool,
}

impl<R: Read + Seek> Walk<'_, R> {
    fn take(&mut self, n: u64) -> std::io::Result<()> {
        if n > self.left {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        self.left -= n;
        Ok(())
    }

    fn u32(&mut self) -> std::io::Result<u32> {
        self.take(4)?;
        let mut b = [0u8; 4];
        self.r.read_exact(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }

    fn u64(&mut self) -> std::io::Result<u64> {
        self.take(8)?;
        let mut b = [0u8; 8];
        self.r.read_exact(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }

    fn len(&mut self) -> std::io::Result<u64> {
        if self.wide {
            self.u64()
        } else {
            self.u32().map(u64::from)
        }
    }

    fn skip(&mut self, n: u64) -> std::io::Result<()> {
        self.take(n)?;
        let n =
            i64::try_from(n).map_err(|_| std::io::Error::from(std::io::ErrorKind::InvalidData))?;
        self.r.seek(SeekFrom::Current(n))?;
        Ok(())
    }

    /// Reads a string of at most `keep` bytes (longer ones are skipped and come back empty).
    fn string(&mut self, keep: u64) -> std::io::Result<Vec<u8>> {
        let n = self.len()?;
        if n > keep {
            self.skip(n)?;
            return Ok(Vec::new());
        }
        self.take(n)?;
        let mut b = vec![0u8; n as usize];
        self.r.read_exact(&mut b)?;
        Ok(b)
    }

    /// Reads an integer value of type `t`, or skips a value of any other type.
    fn value(&mut self, t: u32, depth: u32) -> std::io::Result<Option<u64>> {
        let fixed = match t {
            0 | 1 | 7 => 1,
            2 | 3 => 2,
            4..=6 => 4,
            10..=12 => 8,
            _ => 0,
        };
        match t {
            0 | 1 | 7 => {
                self.take(1)?;
                let mut b = [0u8; 1];
                self.r.read_exact(&mut b)?;
                Ok(Some(u64::from(b[0])))
            }
            2 | 3 => {
                self.take(2)?;
                let mut b = [0u8; 2];
                self.r.read_exact(&mut b)?;
                Ok(Some(u64::from(u16::from_le_bytes(b))))
            }
            4 | 5 => self.u32().map(|v| Some(u64::from(v))),
            10 | 11 => self.u64().map(Some),
            6 | 12 => self.skip(fixed).map(|_| None),
            8 => self.string(0).map(|_| None),
            9 if depth < MAX_DEPTH => {
                let inner = self.u32()?;
                let n = self.len()?;
                match inner {
                    0..=7 | 10..=12 => {
                        let size = match inner {
                            0 | 1 | 7 => 1,
                            2 | 3 => 2,
                            4..=6 => 4,
                            _ => 8,
                        };
                        self.skip(n.checked_mul(size).ok_or(std::io::ErrorKind::InvalidData)?)?;
                    }
                    _ => {
                        // Each element takes at least one byte: the count is bounded by the file.
                        if n > self.left {
                            return Err(std::io::ErrorKind::UnexpectedEof.into());
                        }
                        for _ in 0..n {
                            self.value(inner, depth + 1)?;
                        }
                    }
                }
                Ok(None)
            }
            _ => Err(std::io::ErrorKind::InvalidData.into()),
        }
    }
}

/// The value of `general.alignment` when it has a type candle reads (8–32-bit integers).
fn find_alignment<R: Read + Seek>(r: &mut R, file_len: u64) -> std::io::Result<Option<u64>> {
    r.seek(SeekFrom::Start(0))?;
    let mut w = Walk {
        r,
        left: file_len,
        wide: true,
    };
    if w.u32()? != u32::from_le_bytes(*b"GGUF") {
        return Ok(None);
    }
    w.wide = w.u32()? >= 2;
    let _tensors = w.len()?;
    let kvs = w.len()?;
    let mut found = None;
    for _ in 0..kvs {
        let key = w.string(64)?;
        let t = w.u32()?;
        let v = w.value(t, 0)?;
        if key == b"general.alignment" && matches!(t, 0..=5) {
            // Signed values as candle reads them: a negative one means its default.
            found = match (t, v) {
                (1, Some(v)) if v >= 0x80 => None,
                (3, Some(v)) if v >= 0x8000 => None,
                (5, Some(v)) if v >= 0x8000_0000 => None,
                (_, v) => v,
            };
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn header(kvs: &[(&str, u32, &[u8])]) -> Vec<u8> {
        let mut b = b"GGUF".to_vec();
        b.extend(3u32.to_le_bytes());
        b.extend(0u64.to_le_bytes());
        b.extend((kvs.len() as u64).to_le_bytes());
        for (k, t, v) in kvs {
            b.extend((k.len() as u64).to_le_bytes());
            b.extend(k.as_bytes());
            b.extend(t.to_le_bytes());
            b.extend(*v);
        }
        b
    }

    fn run(b: &[u8]) -> Result<(), String> {
        check(&mut Cursor::new(b), b.len() as u64)
    }

    #[test]
    fn zero_and_odd_alignments_are_refused() {
        let arr: Vec<u8> = [8u32.to_le_bytes().to_vec(), 2u64.to_le_bytes().to_vec()]
            .concat()
            .into_iter()
            .chain([1u64.to_le_bytes().to_vec(), b"a".to_vec()].concat())
            .chain([1u64.to_le_bytes().to_vec(), b"b".to_vec()].concat())
            .collect();
        let zero = header(&[
            ("tokenizer.ggml.tokens", 9, &arr),
            ("general.alignment", 4, &0u32.to_le_bytes()),
        ]);
        assert!(run(&zero).unwrap_err().contains("is 0"));
        let odd = header(&[("general.alignment", 2, &24u16.to_le_bytes())]);
        assert!(run(&odd).unwrap_err().contains("is 24"));
        let fine = header(&[("general.alignment", 4, &64u32.to_le_bytes())]);
        assert_eq!(run(&fine), Ok(()));
        // Types candle ignores fall back to its default, as do negative values.
        let ignored = header(&[("general.alignment", 10, &0u64.to_le_bytes())]);
        assert_eq!(run(&ignored), Ok(()));
        let negative = header(&[("general.alignment", 5, &(-1i32).to_le_bytes())]);
        assert_eq!(run(&negative), Ok(()));
    }

    #[test]
    fn lengths_past_the_end_stop_the_walk_without_allocating() {
        let mut huge = b"GGUF".to_vec();
        huge.extend(3u32.to_le_bytes());
        huge.extend(0u64.to_le_bytes());
        huge.extend(u64::MAX.to_le_bytes());
        huge.extend((1u64 << 62).to_le_bytes());
        assert_eq!(run(&huge), Ok(()));
        assert_eq!(run(b"GG"), Ok(()));
    }
}
