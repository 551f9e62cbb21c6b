//! SHA-256 of files: streaming, constant memory, pipelined reads, files in parallel.
//!
//! A large file is hashed by two threads: one reads the next chunk while the other hashes the
//! previous one, so the copy out of the page cache overlaps the compression function and a single
//! file gets close to one core's SHA-NI rate. Several files are spread over the available cores.

use crate::finding::{Code, Severity};
use sha2::{Digest, Sha256};
use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;

/// Finding codes of this module.
pub const CODES: &[Code] = &[Code {
    id: "file-changed-while-hashing",
    severity: Severity::High,
    summary: "a file's size changed while it was being hashed; its digest describes no stable content",
}];

/// Bytes per read; 4 MiB keeps syscalls rare and memory flat (at most 3 chunks in flight per file).
const CHUNK: usize = 4 << 20;
/// Files smaller than this are hashed inline; the reader thread costs more than it saves.
const PIPELINE_MIN: u64 = 32 << 20;

/// Errors from hashing a file.
#[derive(Debug, thiserror::Error)]
pub enum HashError {
    #[error("cannot read `{path}`")]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("`{path}` changed size while being hashed ({before} bytes before, {after} after)")]
    Changed {
        path: PathBuf,
        before: u64,
        after: u64,
    },
}

/// A file's digest and the number of bytes hashed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileDigest {
    pub sha256: String,
    pub size: u64,
}

/// Lowercase hex of a SHA-256 digest.
pub fn to_hex(bytes: &[u8]) -> String {
    hex::encode(bytes)
}

/// SHA-256 of a byte slice, lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    to_hex(&Sha256::digest(bytes))
}

/// Whether `s` looks like a SHA-256 in hex (64 hex digits, any case).
pub fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Hashes one file, calling `progress(bytes)` as bytes are consumed.
pub fn hash_file(path: &Path, progress: &(dyn Fn(u64) + Sync)) -> Result<FileDigest, HashError> {
    let io_err = |source| HashError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = File::open(path).map_err(io_err)?;
    let before = file.metadata().map_err(io_err)?.len();
    let (hasher, read) = if before >= PIPELINE_MIN {
        hash_pipelined(file, progress).map_err(io_err)?
    } else {
        hash_inline(file, progress).map_err(io_err)?
    };
    let after = std::fs::metadata(path).map_err(io_err)?.len();
    if read != before || after != before {
        return Err(HashError::Changed {
            path: path.to_path_buf(),
            before,
            after: after.max(read),
        });
    }
    Ok(FileDigest {
        sha256: to_hex(&hasher.finalize()),
        size: read,
    })
}

fn hash_inline(mut file: File, progress: &(dyn Fn(u64) + Sync)) -> io::Result<(Sha256, u64)> {
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; CHUNK.min(1 << 20)];
    let mut total = 0u64;
    loop {
        let n = match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        hasher.update(&buf[..n]);
        total += n as u64;
        progress(n as u64);
    }
    Ok((hasher, total))
}

/// Reads on a scoped thread into recycled buffers while this thread hashes.
fn hash_pipelined(mut file: File, progress: &(dyn Fn(u64) + Sync)) -> io::Result<(Sha256, u64)> {
    let (full_tx, full_rx) = mpsc::sync_channel::<io::Result<(Vec<u8>, usize)>>(2);
    let (empty_tx, empty_rx) = mpsc::channel::<Vec<u8>>();
    for _ in 0..3 {
        empty_tx.send(vec![0u8; CHUNK]).expect("receiver alive");
    }
    std::thread::scope(|s| {
        s.spawn(move || {
            while let Ok(mut buf) = empty_rx.recv() {
                let mut filled = 0;
                let res = loop {
                    if filled == buf.len() {
                        break Ok(());
                    }
                    match file.read(&mut buf[filled..]) {
                        Ok(0) => break Ok(()),
                        Ok(n) => filled += n,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) => break Err(e),
                    }
                };
                let done = filled < buf.len();
                let msg = res.map(|()| (buf, filled));
                let failed = msg.is_err();
                if full_tx.send(msg).is_err() || done || failed {
                    return;
                }
            }
        });
        let mut hasher = Sha256::new();
        let mut total = 0u64;
        while let Ok(msg) = full_rx.recv() {
            let (buf, n) = msg?;
            hasher.update(&buf[..n]);
            total += n as u64;
            progress(n as u64);
            if n < buf.len() {
                break;
            }
            // The reader may already have finished; a closed channel is fine.
            let _ = empty_tx.send(buf);
        }
        drop(empty_tx);
        Ok((hasher, total))
    })
}

/// Hashes many files on up to `threads` workers; results come back in input order.
pub fn hash_files(
    paths: &[PathBuf],
    threads: usize,
    progress: &(dyn Fn(u64) + Sync),
) -> Vec<Result<FileDigest, HashError>> {
    let next = AtomicUsize::new(0);
    let threads = threads.clamp(1, paths.len().max(1));
    let slots: Vec<std::sync::Mutex<Option<Result<FileDigest, HashError>>>> = (0..paths.len())
        .map(|_| std::sync::Mutex::new(None))
        .collect();
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(path) = paths.get(i) else { break };
                    let r = hash_file(path, progress);
                    *slots[i].lock().expect("no panics while holding") = Some(r);
                }
            });
        }
    });
    slots
        .into_iter()
        .map(|slot| {
            slot.into_inner()
                .expect("no panics while holding")
                .expect("every index was hashed")
        })
        .collect()
}

/// How many hashing workers to use: one per available core.
pub fn default_threads() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn known_digests() {
        assert_eq!(
            sha256_hex(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn pipelined_matches_inline() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big");
        let mut f = File::create(&path).unwrap();
        // Not a multiple of the chunk size, so the last chunk is partial.
        let block: Vec<u8> = (0..1_000_003u32).map(|i| (i * 31 % 251) as u8).collect();
        for _ in 0..40 {
            f.write_all(&block).unwrap();
        }
        drop(f);
        let d = hash_file(&path, &|_| {}).unwrap();
        let (h, n) = hash_inline(File::open(&path).unwrap(), &|_| {}).unwrap();
        assert_eq!(n, 40 * 1_000_003);
        assert_eq!(d.size, n);
        assert_eq!(d.sha256, to_hex(&h.finalize()));
    }

    #[test]
    fn many_files_keep_order() {
        let dir = tempfile::tempdir().unwrap();
        let paths: Vec<PathBuf> = (0..9)
            .map(|i| {
                let p = dir.path().join(format!("f{i}"));
                std::fs::write(&p, format!("file {i}")).unwrap();
                p
            })
            .collect();
        let res = hash_files(&paths, 3, &|_| {});
        for (i, r) in res.iter().enumerate() {
            assert_eq!(
                r.as_ref().unwrap().sha256,
                sha256_hex(format!("file {i}").as_bytes())
            );
        }
        let missing = hash_files(&[dir.path().join("nope")], 2, &|_| {});
        assert!(matches!(missing[0], Err(HashError::Io { .. })));
    }
}
