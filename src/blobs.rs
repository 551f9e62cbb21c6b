//! The Hub mirror's blob store: content-addressed bytes that have been verified against the digest
//! they are stored under, in a folder (one machine) or an S3-compatible bucket (several servers
//! sharing one), the latter through the `object_store` crate.
//!
//! Keys are `sha256/<64 hex>` (LFS files and every file of a local model) or `git-sha1/<40 hex>`
//! (regular Hub files, known only by their git blob id). [`BlobStore::put_verified`] hashes the
//! bytes as they stream in and makes them visible only when the digest and the size match: a
//! folder store writes a temporary file and renames it; a bucket store uploads in parts and
//! completes the upload only then (an aborted multipart upload is never an object). A byte that
//! fails verification is never kept.

use crate::ids::{GitOid, Sha256};
use bytes::Bytes;
use futures_util::stream::{BoxStream, StreamExt};
use object_store::{ObjectStore, ObjectStoreExt};
use sha1::Digest as _;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};

/// How a blob is named: by the digest of its bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum BlobKey {
    Sha256(Sha256),
    GitOid(GitOid),
}

impl BlobKey {
    /// `sha256/<hex>` or `git-sha1/<hex>`: the key's path in the store.
    pub fn path(&self) -> String {
        match self {
            BlobKey::Sha256(d) => format!("sha256/{}", d.as_str()),
            BlobKey::GitOid(d) => format!("git-sha1/{}", d.as_str()),
        }
    }

    /// The digest as the Hub's clients see it (an ETag).
    pub fn digest(&self) -> &str {
        match self {
            BlobKey::Sha256(d) => d.as_str(),
            BlobKey::GitOid(d) => d.as_str(),
        }
    }
}

/// What went wrong with the store.
#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    #[error("`{spec}` is not a blob store: {why}")]
    BadSpec { spec: String, why: String },
    #[error("blob store I/O on `{}`", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("object store")]
    Object(#[from] object_store::Error),
    /// The bytes did not hash to the digest (or size) they were to be stored under; nothing was kept.
    #[error(
        "the bytes for {key} hash to {actual} ({actual_size} bytes), not to their name ({expected_size} bytes); nothing was stored"
    )]
    Mismatch {
        key: String,
        actual: String,
        actual_size: u64,
        expected_size: u64,
    },
    /// The source of the bytes failed while they streamed in; nothing was stored.
    #[error("reading the bytes for {key} failed")]
    Source {
        key: String,
        #[source]
        source: std::io::Error,
    },
    /// A range that does not lie inside the blob.
    #[error("range {start}..{end} is outside a blob of {size} bytes")]
    Range { start: u64, end: u64, size: u64 },
}

/// A stream of a blob's bytes.
pub type BlobStream = BoxStream<'static, Result<Bytes, std::io::Error>>;

/// A folder or a bucket of verified blobs.
#[derive(Debug, Clone)]
pub struct BlobStore {
    inner: Inner,
    spec: String,
}

#[derive(Debug, Clone)]
enum Inner {
    Dir(PathBuf),
    Object {
        store: Arc<dyn ObjectStore>,
        prefix: object_store::path::Path,
    },
}

/// Reads of a folder store go in chunks this big (fewer system calls and wake-ups per byte).
const READ_CHUNK: usize = 1 << 20;

/// Large reads of a folder store are sent from memory maps of this size, one at a time.
const MAP_WINDOW: usize = 8 << 20;

/// One mapped window of a blob, handed to the HTTP layer as the bytes of a chunk.
struct Window(memmap2::Mmap);

impl AsRef<[u8]> for Window {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

/// `range` of `file` as a stream of mapped windows. Sending a window costs one copy (the
/// kernel's, from the page cache into the socket), as `sendfile` does; reading into a buffer
/// first would add a second, which measured 0.83x nginx on a 1 GiB blob. A window is unmapped
/// once sent, so the resident set stays at a few windows whatever the blob's size.
fn mapped_windows(file: std::fs::File, range: Range<u64>) -> BlobStream {
    let file = Arc::new(file);
    futures_util::stream::unfold(range.start, move |at| {
        let file = file.clone();
        async move {
            if at >= range.end {
                return None;
            }
            let len = (range.end - at).min(MAP_WINDOW as u64) as usize;
            // SAFETY: a stored blob is never written again: it is written under `tmp/`, verified,
            // renamed into place and from then on only read (by digest, so new bytes get a new
            // name). The mapped bytes are not read by this process either: hyper hands the
            // chunk to the socket with a vectored write, so were the file truncated from outside
            // while mapped, the kernel's copy fails (EFAULT, the connection ends) rather than a
            // load in user space faulting.
            #[allow(unsafe_code)]
            let map = unsafe { memmap2::MmapOptions::new().offset(at).len(len).map(&*file) };
            match map {
                Ok(map) => {
                    let _ = map.advise(memmap2::Advice::Sequential);
                    Some((Ok(Bytes::from_owner(Window(map))), at + len as u64))
                }
                Err(e) => Some((Err(e), range.end)),
            }
        }
    })
    .boxed()
}

impl BlobStore {
    /// Opens `s3://bucket[/prefix]` (credentials, region and endpoint from the usual `AWS_*`
    /// variables, e.g. `AWS_ENDPOINT_URL` and `AWS_ALLOW_HTTP=true` for a local server) or a
    /// folder (created when missing).
    pub fn open(spec: &str) -> Result<BlobStore, BlobError> {
        let bad = |why: String| BlobError::BadSpec {
            spec: spec.to_string(),
            why,
        };
        let inner = if let Some(rest) = spec.strip_prefix("s3://") {
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            if bucket.is_empty() {
                return Err(bad("no bucket name".into()));
            }
            let mut builder =
                object_store::aws::AmazonS3Builder::from_env().with_bucket_name(bucket);
            // `from_env` reads AWS_ENDPOINT but not the SDKs' AWS_ENDPOINT_URL.
            if let Ok(endpoint) = std::env::var("AWS_ENDPOINT_URL")
                && !endpoint.is_empty()
            {
                builder = builder.with_endpoint(endpoint);
            }
            let store = builder.build().map_err(|e| bad(e.to_string()))?;
            let prefix = object_store::path::Path::parse(prefix.trim_matches('/'))
                .map_err(|e| bad(e.to_string()))?;
            Inner::Object {
                store: Arc::new(store),
                prefix,
            }
        } else if spec.contains("://") {
            return Err(bad("use a folder or s3://BUCKET/PREFIX".into()));
        } else {
            let dir = PathBuf::from(spec);
            for sub in ["sha256", "git-sha1", "tmp"] {
                std::fs::create_dir_all(dir.join(sub)).map_err(|source| BlobError::Io {
                    path: dir.join(sub),
                    source,
                })?;
            }
            Inner::Dir(dir)
        };
        Ok(BlobStore {
            inner,
            spec: spec.to_string(),
        })
    }

    /// What the store was opened from.
    pub fn spec(&self) -> &str {
        &self.spec
    }

    fn file_path(dir: &Path, key: &BlobKey) -> PathBuf {
        dir.join(key.path())
    }

    fn object_path(prefix: &object_store::path::Path, key: &BlobKey) -> object_store::path::Path {
        key.path()
            .split('/')
            .fold(prefix.clone(), |p, part| p.clone().join(part))
    }

    /// The blob's size, or `None` when the store does not hold it.
    pub async fn size(&self, key: &BlobKey) -> Result<Option<u64>, BlobError> {
        match &self.inner {
            Inner::Dir(dir) => {
                let path = Self::file_path(dir, key);
                match tokio::fs::metadata(&path).await {
                    Ok(m) => Ok(Some(m.len())),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                    Err(source) => Err(BlobError::Io { path, source }),
                }
            }
            Inner::Object { store, prefix } => {
                match store.head(&Self::object_path(prefix, key)).await {
                    Ok(meta) => Ok(Some(meta.size)),
                    Err(object_store::Error::NotFound { .. }) => Ok(None),
                    Err(e) => Err(e.into()),
                }
            }
        }
    }

    /// The bytes of `range` (which must lie inside a blob of `size` bytes) as a stream.
    pub async fn read(
        &self,
        key: &BlobKey,
        range: Range<u64>,
        size: u64,
    ) -> Result<BlobStream, BlobError> {
        if range.start > range.end || range.end > size {
            return Err(BlobError::Range {
                start: range.start,
                end: range.end,
                size,
            });
        }
        match &self.inner {
            Inner::Dir(dir) => {
                let path = Self::file_path(dir, key);
                let io = |source| BlobError::Io {
                    path: path.clone(),
                    source,
                };
                if range.end - range.start >= MAP_WINDOW as u64 {
                    let file = std::fs::File::open(&path).map_err(io)?;
                    return Ok(mapped_windows(file, range));
                }
                let mut file = tokio::fs::File::open(&path).await.map_err(io)?;
                file.seek(std::io::SeekFrom::Start(range.start))
                    .await
                    .map_err(io)?;
                let reader = file.take(range.end - range.start);
                Ok(tokio_util::io::ReaderStream::with_capacity(reader, READ_CHUNK).boxed())
            }
            Inner::Object { store, prefix } => {
                if range.is_empty() {
                    return Ok(futures_util::stream::empty().boxed());
                }
                let opts = object_store::GetOptions {
                    range: Some(object_store::GetRange::Bounded(range)),
                    ..Default::default()
                };
                let got = store
                    .get_opts(&Self::object_path(prefix, key), opts)
                    .await?;
                Ok(got
                    .into_stream()
                    .map(|r| r.map_err(std::io::Error::other))
                    .boxed())
            }
        }
    }

    /// Stores the bytes of `source` under `key` if they hash to it and are `size` bytes long;
    /// otherwise keeps nothing and returns [`BlobError::Mismatch`]. A blob already held is kept
    /// (blobs are immutable), and the source is not read.
    pub async fn put_verified(
        &self,
        key: &BlobKey,
        size: u64,
        mut source: BlobStream,
    ) -> Result<(), BlobError> {
        if self.size(key).await? == Some(size) {
            return Ok(());
        }
        let mut check = Verifier::new(key, size);
        let failed = |source| BlobError::Source {
            key: key.path(),
            source,
        };
        match &self.inner {
            Inner::Dir(dir) => {
                // Unique per process and per put: two requests may fill the same blob at once.
                static PUTS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
                let n = PUTS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let tmp = dir.join("tmp").join(format!(
                    "{}.{}.{n}.partial",
                    key.digest(),
                    std::process::id()
                ));
                let io = |source| BlobError::Io {
                    path: tmp.clone(),
                    source,
                };
                let result = async {
                    let mut out = tokio::fs::File::create(&tmp).await.map_err(io)?;
                    while let Some(chunk) = source.next().await {
                        let chunk = chunk.map_err(failed)?;
                        check.update(&chunk);
                        if check.seen > size {
                            break;
                        }
                        out.write_all(&chunk).await.map_err(io)?;
                    }
                    out.sync_all().await.map_err(io)?;
                    check.finish()?;
                    let dest = Self::file_path(dir, key);
                    tokio::fs::rename(&tmp, &dest)
                        .await
                        .map_err(|source| BlobError::Io { path: dest, source })
                }
                .await;
                if result.is_err() {
                    let _ = tokio::fs::remove_file(&tmp).await;
                }
                result
            }
            Inner::Object { store, prefix } => {
                let upload = store.put_multipart(&Self::object_path(prefix, key)).await?;
                let mut writer = object_store::WriteMultipart::new(upload);
                let streamed = async {
                    while let Some(chunk) = source.next().await {
                        let chunk = chunk.map_err(failed)?;
                        check.update(&chunk);
                        if check.seen > size {
                            break;
                        }
                        writer.wait_for_capacity(4).await?;
                        writer.put(chunk);
                    }
                    check.finish()
                }
                .await;
                match streamed {
                    Ok(()) => {
                        writer.finish().await?;
                        Ok(())
                    }
                    Err(e) => {
                        // Never completed, so never visible; abort frees the parts.
                        let _ = writer.abort().await;
                        Err(e)
                    }
                }
            }
        }
    }

    /// [`BlobStore::put_verified`] from a file on disk.
    pub async fn put_file_verified(
        &self,
        key: &BlobKey,
        size: u64,
        path: &Path,
    ) -> Result<(), BlobError> {
        let file = tokio::fs::File::open(path)
            .await
            .map_err(|source| BlobError::Io {
                path: path.to_path_buf(),
                source,
            })?;
        let stream = tokio_util::io::ReaderStream::with_capacity(file, READ_CHUNK).boxed();
        self.put_verified(key, size, stream).await
    }
}

/// Hashes bytes as they stream past and checks them against a key and a size at the end.
struct Verifier<'a> {
    key: &'a BlobKey,
    size: u64,
    seen: u64,
    hasher: Hasher,
}

enum Hasher {
    Sha256(sha2::Sha256),
    Git(sha1::Sha1),
}

impl<'a> Verifier<'a> {
    fn new(key: &'a BlobKey, size: u64) -> Verifier<'a> {
        let hasher = match key {
            BlobKey::Sha256(_) => Hasher::Sha256(sha2::Sha256::new()),
            BlobKey::GitOid(_) => {
                // A git blob id covers a header that states the size; bytes of another size
                // give another id, so a wrong size can never verify.
                let mut h = sha1::Sha1::new();
                h.update(format!("blob {size}\0").as_bytes());
                Hasher::Git(h)
            }
        };
        Verifier {
            key,
            size,
            seen: 0,
            hasher,
        }
    }

    fn update(&mut self, bytes: &[u8]) {
        self.seen += bytes.len() as u64;
        match &mut self.hasher {
            Hasher::Sha256(h) => h.update(bytes),
            Hasher::Git(h) => h.update(bytes),
        }
    }

    fn finish(self) -> Result<(), BlobError> {
        let actual = match self.hasher {
            Hasher::Sha256(h) => hex::encode(h.finalize()),
            Hasher::Git(h) => hex::encode(h.finalize()),
        };
        if self.seen == self.size && actual == self.key.digest() {
            Ok(())
        } else {
            Err(BlobError::Mismatch {
                key: self.key.path(),
                actual,
                actual_size: self.seen,
                expected_size: self.size,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stream_of(parts: Vec<&'static [u8]>) -> BlobStream {
        futures_util::stream::iter(parts.into_iter().map(|p| Ok(Bytes::from_static(p)))).boxed()
    }

    async fn read_all(store: &BlobStore, key: &BlobKey, range: Range<u64>, size: u64) -> Vec<u8> {
        let mut s = store.read(key, range, size).await.unwrap();
        let mut out = Vec::new();
        while let Some(c) = s.next().await {
            out.extend_from_slice(&c.unwrap());
        }
        out
    }

    #[tokio::test]
    async fn a_folder_store_keeps_only_verified_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let store = BlobStore::open(dir.path().to_str().unwrap()).unwrap();
        let body = b"hello, blob";
        let key = BlobKey::Sha256(crate::hashing::sha256(body));
        store
            .put_verified(&key, 11, stream_of(vec![b"hello, ", b"blob"]))
            .await
            .unwrap();
        assert_eq!(store.size(&key).await.unwrap(), Some(11));
        assert_eq!(read_all(&store, &key, 0..11, 11).await, body);
        assert_eq!(read_all(&store, &key, 7..11, 11).await, b"blob");
        assert!(matches!(
            store.read(&key, 5..12, 11).await,
            Err(BlobError::Range { .. })
        ));

        // Tampered bytes under another key: refused, and nothing is left behind.
        let other = BlobKey::Sha256(crate::hashing::sha256(b"the real bytes"));
        let err = store
            .put_verified(&other, 14, stream_of(vec![b"the fake bytes"]))
            .await
            .unwrap_err();
        assert!(matches!(err, BlobError::Mismatch { .. }), "{err}");
        assert_eq!(store.size(&other).await.unwrap(), None);
        assert_eq!(
            std::fs::read_dir(dir.path().join("tmp")).unwrap().count(),
            0
        );

        // Too many bytes for the size: refused even before the digest.
        let err = store
            .put_verified(&other, 3, stream_of(vec![b"the real bytes"]))
            .await
            .unwrap_err();
        assert!(matches!(err, BlobError::Mismatch { .. }));
    }

    #[tokio::test]
    async fn git_keys_verify_the_git_blob_id() {
        let dir = tempfile::tempdir().unwrap();
        let store = BlobStore::open(dir.path().to_str().unwrap()).unwrap();
        let body = b"{\"model_type\": \"bert\"}\n";
        let key = BlobKey::GitOid(crate::hashing::git_blob_id(body));
        store
            .put_verified(&key, body.len() as u64, stream_of(vec![body]))
            .await
            .unwrap();
        assert_eq!(
            read_all(&store, &key, 0..body.len() as u64, body.len() as u64).await,
            body
        );
        let err = store
            .put_verified(
                &BlobKey::GitOid(crate::hashing::git_blob_id(b"x")),
                1,
                stream_of(vec![b"y"]),
            )
            .await
            .unwrap_err();
        assert!(matches!(err, BlobError::Mismatch { .. }));
    }

    #[tokio::test]
    async fn large_reads_come_from_mapped_windows_and_match() {
        let dir = tempfile::tempdir().unwrap();
        let store = BlobStore::open(dir.path().to_str().unwrap()).unwrap();
        let body: Vec<u8> = (0..(MAP_WINDOW * 2 + 12_345))
            .map(|i| (i * 7 % 251) as u8)
            .collect();
        let key = BlobKey::Sha256(crate::hashing::sha256(&body));
        let size = body.len() as u64;
        let stream = futures_util::stream::iter(vec![Ok(Bytes::from(body.clone()))]).boxed();
        store.put_verified(&key, size, stream).await.unwrap();
        assert!(read_all(&store, &key, 0..size, size).await == body);
        let (a, b) = (1_000u64, size - 77);
        assert!(read_all(&store, &key, a..b, size).await == body[a as usize..b as usize]);
    }

    #[test]
    fn specs_that_are_not_stores_are_refused() {
        for spec in ["s3://", "http://example.com/x", "gs://bucket"] {
            assert!(BlobStore::open(spec).is_err(), "{spec}");
        }
    }
}
