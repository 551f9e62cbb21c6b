//! Verification: re-hash a revision's files against the digests recorded for them (or a
//! manifest's), and list what is missing, changed, unreadable or extra.

use crate::finding::Finding;
use crate::hashing::{
    FileDigest, Progress, default_threads, git_blob_id_file, hash_files, is_lfs_pointer_file,
};
use crate::ids::{GitOid, Sha256};
use std::io;
use std::path::Path;

crate::finding_codes! {
    /// Finding codes of verification.
    pub enum VerifyCode {
        HashMismatch = "hash-mismatch", Critical, "a file's bytes do not match the recorded digest";
        FileMissing = "file-missing", High, "a recorded file is not present";
        FileUnreadable = "file-unreadable", High, "a recorded file cannot be read (permissions, I/O error, or it changed while being hashed)";
        FileExtra = "file-extra", Info, "a file is present that the record or manifest does not list";
        LfsPointerInPlace = "lfs-pointer-in-place", High, "a Git LFS pointer file sits where the content should be (the weights were never downloaded)";
    }
}

/// What verification expects of one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expected {
    pub path: String,
    pub size: Option<u64>,
    /// Where absent, `git_oid` is checked instead.
    pub sha256: Option<Sha256>,
    /// Git blob id (sha1 of `blob <size>\0` + content), as the Hub lists for regular files.
    pub git_oid: Option<GitOid>,
}

/// The verdict on one file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case", tag = "status")]
pub enum FileStatus {
    Ok,
    Mismatch { expected: String, actual: String },
    Missing,
    Extra,
    Unreadable { error: String },
    LfsPointer,
}

/// One line of a verification report.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FileCheck {
    pub path: String,
    #[serde(flatten)]
    pub status: FileStatus,
}

/// Re-hashes `expected` files under `root` and lists files present but not expected.
/// `list_extra` is false for single-file models, whose folder holds other things.
pub fn verify_tree(
    root: &Path,
    expected: &[Expected],
    list_extra: bool,
    progress: &dyn Progress,
) -> Vec<FileCheck> {
    let mut checks: Vec<Option<FileCheck>> = vec![None; expected.len()];
    let mut to_hash = Vec::new();
    let mut to_hash_idx = Vec::new();
    for (i, e) in expected.iter().enumerate() {
        let p = root.join(&e.path);
        match std::fs::metadata(&p) {
            Ok(m) if m.is_file() => {
                to_hash.push(p);
                to_hash_idx.push(i);
            }
            Ok(_) => {
                checks[i] = Some(FileCheck {
                    path: e.path.clone(),
                    status: FileStatus::Missing,
                })
            }
            Err(err) if err.kind() == io::ErrorKind::NotFound => {
                checks[i] = Some(FileCheck {
                    path: e.path.clone(),
                    status: FileStatus::Missing,
                })
            }
            Err(err) => {
                checks[i] = Some(FileCheck {
                    path: e.path.clone(),
                    status: FileStatus::Unreadable {
                        error: err.to_string(),
                    },
                })
            }
        }
    }
    let results = hash_files(&to_hash, default_threads(), progress);
    for ((i, path), res) in to_hash_idx.into_iter().zip(&to_hash).zip(results) {
        let e = &expected[i];
        let status = match res {
            Err(err) => FileStatus::Unreadable {
                error: crate::error_chain(&err),
            },
            Ok(d) => judge(e, path, &d),
        };
        checks[i] = Some(FileCheck {
            path: e.path.clone(),
            status,
        });
    }
    let mut out: Vec<FileCheck> = checks
        .into_iter()
        .map(|c| c.expect("every file judged"))
        .collect();
    if list_extra {
        let known: std::collections::HashSet<&str> =
            expected.iter().map(|e| e.path.as_str()).collect();
        if let Ok((walked, _)) = crate::ingest::walk(root) {
            for w in walked {
                if !known.contains(w.rel.as_str()) {
                    out.push(FileCheck {
                        path: w.rel,
                        status: FileStatus::Extra,
                    });
                }
            }
        }
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}

fn judge(e: &Expected, path: &Path, d: &FileDigest) -> FileStatus {
    if let Some(want) = &e.sha256 {
        if d.sha256 == *want {
            return FileStatus::Ok;
        }
        if d.size < 1024 && is_lfs_pointer_file(path) {
            return FileStatus::LfsPointer;
        }
        return FileStatus::Mismatch {
            expected: want.to_string(),
            actual: d.sha256.to_string(),
        };
    }
    if let Some(want) = &e.git_oid {
        return match git_blob_id_file(path) {
            Ok(actual) if actual == *want => FileStatus::Ok,
            Ok(actual) => FileStatus::Mismatch {
                expected: want.to_string(),
                actual: actual.into_string(),
            },
            Err(err) => FileStatus::Unreadable {
                error: err.to_string(),
            },
        };
    }
    match e.size {
        Some(s) if s != d.size => FileStatus::Mismatch {
            expected: format!("{s} bytes"),
            actual: format!("{} bytes", d.size),
        },
        _ => FileStatus::Ok,
    }
}

/// Turns failed checks into findings (extras only as info).
pub fn findings_of(checks: &[FileCheck]) -> Vec<Finding> {
    checks
        .iter()
        .filter_map(|c| {
            let f = match &c.status {
                FileStatus::Ok => return None,
                FileStatus::Mismatch { expected, actual } => Finding::new(
                    &VerifyCode::HashMismatch,
                    format!("`{}` does not match its recorded digest", c.path),
                )
                .with_evidence(format!("expected {expected}, found {actual}")),
                FileStatus::Missing => {
                    Finding::new(&VerifyCode::FileMissing, format!("`{}` is missing", c.path))
                }
                FileStatus::Unreadable { error } => Finding::new(
                    &VerifyCode::FileUnreadable,
                    format!("`{}` cannot be read", c.path),
                )
                .with_evidence(error.clone()),
                FileStatus::Extra => Finding::new(
                    &VerifyCode::FileExtra,
                    format!("`{}` is not in the record", c.path),
                ),
                FileStatus::LfsPointer => Finding::new(
                    &VerifyCode::LfsPointerInPlace,
                    format!("`{}` is a Git LFS pointer, not the content", c.path),
                ),
            };
            Some(f.at(c.path.clone()))
        })
        .collect()
}
