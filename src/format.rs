//! File formats, decided from a file's leading bytes (and, for text files, its name).

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

crate::string_enum! {
    /// The kinds of file a model folder holds, as spelled in the record's `files[].format`.
    pub enum FileFormat {
        Safetensors = "safetensors",
        Gguf = "gguf",
        /// PyTorch zip archive (`torch.save` since 1.6) or the legacy pickle-based format.
        Pytorch = "pytorch",
        /// A raw pickle stream (protocol 2+), including joblib dumps.
        Pickle = "pickle",
        Onnx = "onnx",
        /// Keras v3 `.keras` zip or an HDF5 (`.h5`) file.
        Keras = "keras",
        Config = "config",
        Tokenizer = "tokenizer",
        License = "license",
        Readme = "readme",
        Other = "other",
    }
}

impl FileFormat {
    /// Parses the lowercase name; a name this version does not know (written by a newer one)
    /// reads as `Other`.
    pub fn from_stored(s: &str) -> FileFormat {
        FileFormat::parse(s).unwrap_or(FileFormat::Other)
    }

    /// Whether the format carries weights (tensors) a runtime could load.
    pub fn is_weights(self) -> bool {
        matches!(
            self,
            FileFormat::Safetensors
                | FileFormat::Gguf
                | FileFormat::Pytorch
                | FileFormat::Onnx
                | FileFormat::Keras
        )
    }
}

/// How many leading bytes [`sniff`] wants.
pub const SNIFF_LEN: usize = 64;

/// The legacy `torch.save` format starts with a protocol-2 pickle of this magic number.
const TORCH_LEGACY_MAGIC: [u8; 12] = [
    0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8,
];

/// Decides a file's format from its first bytes (`head`, up to [`SNIFF_LEN`]), its total size and
/// its name. Weight formats are recognised only by their bytes, never by their extension; the
/// name decides only among text files and for zip archives whose members we do not list here.
pub fn sniff(name: &str, head: &[u8], size: u64, zip_members: Option<&[String]>) -> FileFormat {
    if head.starts_with(b"GGUF") {
        return FileFormat::Gguf;
    }
    if head.len() >= 9 {
        let n = u64::from_le_bytes(head[..8].try_into().expect("8 bytes"));
        if n >= 2 && n.saturating_add(8) <= size && head[8] == b'{' {
            return FileFormat::Safetensors;
        }
    }
    if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        if let Some(members) = zip_members {
            if members
                .iter()
                .any(|m| m.ends_with("data.pkl") || m == "data.pkl")
            {
                return FileFormat::Pytorch;
            }
            if members
                .iter()
                .any(|m| m == "config.json" || m == "metadata.json")
                && members
                    .iter()
                    .any(|m| m.ends_with(".h5") || m.ends_with(".weights.h5"))
            {
                return FileFormat::Keras;
            }
        }
        return FileFormat::Other;
    }
    if head.starts_with(b"\x89HDF\r\n\x1a\n") {
        return FileFormat::Keras;
    }
    if head.starts_with(&TORCH_LEGACY_MAGIC) {
        return FileFormat::Pytorch;
    }
    if head.len() >= 2 && head[0] == 0x80 && (2..=5).contains(&head[1]) {
        return FileFormat::Pickle;
    }
    let lower = name.rsplit('/').next().unwrap_or(name).to_ascii_lowercase();
    // ONNX is a protobuf without a magic number: field 1 (ir_version, varint) comes first.
    if lower.ends_with(".onnx") && head.first() == Some(&0x08) {
        return FileFormat::Onnx;
    }
    by_name(&lower, head)
}

fn by_name(lower: &str, head: &[u8]) -> FileFormat {
    let stem = lower.split('.').next().unwrap_or(lower);
    if matches!(
        stem,
        "license" | "licence" | "copying" | "notice" | "use_policy" | "acceptable_use_policy"
    ) || lower.starts_with("license-")
        || lower.starts_with("license_")
        || lower.starts_with("licence-")
    {
        return FileFormat::License;
    }
    if stem == "readme" || lower == "model_card.md" || lower == "modelcard.md" {
        return FileFormat::Readme;
    }
    const TOKENIZER: &[&str] = &[
        "tokenizer.json",
        "tokenizer_config.json",
        "special_tokens_map.json",
        "added_tokens.json",
        "vocab.json",
        "vocab.txt",
        "merges.txt",
        "tokenizer.model",
        "spiece.model",
        "sentencepiece.bpe.model",
    ];
    if TOKENIZER.contains(&lower) {
        return FileFormat::Tokenizer;
    }
    let first = head.iter().find(|b| !b.is_ascii_whitespace());
    if lower.ends_with(".json") && first == Some(&b'{') {
        return FileFormat::Config;
    }
    FileFormat::Other
}

/// Reads up to [`SNIFF_LEN`] leading bytes of `path`.
pub fn read_head(path: &Path) -> io::Result<Vec<u8>> {
    let mut buf = Vec::with_capacity(SNIFF_LEN);
    File::open(path)?
        .take(SNIFF_LEN as u64)
        .read_to_end(&mut buf)?;
    Ok(buf)
}

/// Lists the member names of a zip archive (central directory only); `None` if it is not one.
pub fn zip_members(path: &Path) -> Option<Vec<String>> {
    let file = File::open(path).ok()?;
    let archive = zip::ZipArchive::new(io::BufReader::new(file)).ok()?;
    Some(
        archive
            .file_names()
            .filter_map(|n| n.ok().map(|n| n.into_owned()))
            .collect(),
    )
}

/// Sniffs a file on disk.
pub fn detect(path: &Path, rel_name: &str, size: u64) -> io::Result<FileFormat> {
    let head = read_head(path)?;
    let members = if head.starts_with(b"PK") {
        zip_members(path)
    } else {
        None
    };
    Ok(sniff(rel_name, &head, size, members.as_deref()))
}

impl From<&str> for FileFormat {
    /// The format of a stored name; an unknown one is `Other` (see [`FileFormat::from_stored`]).
    fn from(s: &str) -> FileFormat {
        FileFormat::from_stored(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn st_head(n: u64) -> Vec<u8> {
        let mut h = n.to_le_bytes().to_vec();
        h.extend_from_slice(b"{\"a\":{}}");
        h
    }

    #[test]
    fn weights_by_bytes_not_extension() {
        assert_eq!(
            sniff("model.bin", &st_head(8), 100, None),
            FileFormat::Safetensors
        );
        assert_eq!(
            sniff("model.safetensors", b"not really", 10, None),
            FileFormat::Other
        );
        assert_eq!(
            sniff("x.bin", b"GGUF\x03\x00\x00\x00", 8, None),
            FileFormat::Gguf
        );
        assert_eq!(
            sniff("x.gguf", b"\x80\x04\x95", 3, None),
            FileFormat::Pickle
        );
        assert_eq!(
            sniff("pytorch_model.bin", &TORCH_LEGACY_MAGIC, 99, None),
            FileFormat::Pytorch
        );
    }

    #[test]
    fn safetensors_header_must_fit() {
        assert_eq!(
            sniff("m.safetensors", &st_head(1 << 40), 100, None),
            FileFormat::Other
        );
    }

    #[test]
    fn zip_members_decide() {
        let torch = vec!["archive/data.pkl".to_string(), "archive/data/0".to_string()];
        assert_eq!(
            sniff("a.bin", b"PK\x03\x04", 10, Some(&torch)),
            FileFormat::Pytorch
        );
        let keras = vec![
            "metadata.json".to_string(),
            "config.json".to_string(),
            "model.weights.h5".to_string(),
        ];
        assert_eq!(
            sniff("m.keras", b"PK\x03\x04", 10, Some(&keras)),
            FileFormat::Keras
        );
    }

    #[test]
    fn text_files_by_name() {
        assert_eq!(sniff("LICENSE", b"Apache", 6, None), FileFormat::License);
        assert_eq!(sniff("LICENSE.md", b"MIT", 3, None), FileFormat::License);
        assert_eq!(sniff("README.md", b"---", 3, None), FileFormat::Readme);
        assert_eq!(
            sniff("tokenizer.json", b"{", 1, None),
            FileFormat::Tokenizer
        );
        assert_eq!(sniff("config.json", b" {", 2, None), FileFormat::Config);
        assert_eq!(
            sniff("sub/generation_config.json", b"{", 1, None),
            FileFormat::Config
        );
        assert_eq!(sniff("notes.txt", b"hi", 2, None), FileFormat::Other);
    }
}
