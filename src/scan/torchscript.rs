//! TorchScript archives (`torch.jit.save`, which `torch.load` hands to `torch.jit.load`): the
//! archive's code is a program, so its calls are read — file I/O, process and library loading —
//! while its compiled `__torch__` classes are not judged as pickle imports.

use super::ScanCode;
use super::archive::{self, Entry, Source};
use crate::finding::Finding;

/// Most bytes of TorchScript code read from one archive.
const MAX_CODE: u64 = 64 << 20;

/// Whether the member names are those of a TorchScript archive.
pub(crate) fn is_archive<'a>(mut names: impl Iterator<Item = &'a str>) -> bool {
    names.any(|n| {
        n.ends_with("/constants.pkl") || n.contains("/code/__torch__/") || n == "constants.pkl"
    })
}

/// Calls (as dotted names) that reach files, processes or native libraries.
const DANGEROUS: &[&str] = &[
    "torch.from_file",
    "torch.ops.aten.from_file",
    "torch.storage.from_file",
    "torch.UntypedStorage.from_file",
    "torch.save",
    "torch.load",
    "torch.ops.aten.save",
    "torch.ops.aten._save",
    "torch.jit.load",
    "torch.jit.save",
    "torch.ops.load_library",
    "torch.classes.load_library",
    "torch._C",
    "torch.ops.aten.system",
    "ops.prim.Print",
    "open",
    "os",
    "sys",
    "subprocess",
    "builtins",
    "eval",
    "exec",
    "compile",
    "__import__",
    "getattr",
];

/// Dotted names called in Python-like `code`, with strings and comments left out.
fn calls(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    let b = code.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'#' {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if c == b'"' || c == b'\'' {
            let q = c;
            i += 1;
            while i < b.len() && b[i] != q {
                if b[i] == b'\\' {
                    i += 1;
                }
                i += 1;
            }
            i += 1;
        } else if c.is_ascii_alphabetic() || c == b'_' {
            let start = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'.') {
                i += 1;
            }
            let preceded_by_dot = start > 0 && b[start - 1] == b'.';
            let mut j = i;
            while j < b.len() && b[j] == b' ' {
                j += 1;
            }
            if !preceded_by_dot && b.get(j) == Some(&b'(') {
                out.push(code[start..i].trim_end_matches('.').to_string());
            }
        } else {
            i += 1;
        }
    }
    out
}

/// The dangerous calls in `code`.
pub(crate) fn dangerous_calls(code: &str) -> Vec<String> {
    let mut hits: Vec<String> = calls(code)
        .into_iter()
        .filter(|c| {
            DANGEROUS
                .iter()
                .any(|d| c == d || c.strip_prefix(d).is_some_and(|rest| rest.starts_with('.')))
        })
        .collect();
    hits.sort();
    hits.dedup();
    hits
}

/// Reads the archive's `code/` members and reports dangerous calls in them.
pub(crate) fn check_archive(
    src: &mut dyn Source,
    entries: &[Entry],
    rel: &str,
    member: Option<&str>,
) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut budget = MAX_CODE;
    for e in entries {
        let is_code = e.name.contains("/code/") || e.name.starts_with("code/");
        if !is_code || !e.name.ends_with(".py") || e.size > budget {
            continue;
        }
        let Ok(data) = archive::read_member(src, e, e.size.max(1), false) else {
            continue;
        };
        budget -= data.len() as u64;
        let text = String::from_utf8_lossy(&data);
        let hits = dangerous_calls(&text);
        if hits.is_empty() {
            continue;
        }
        let name = match member {
            Some(m) => format!("{m}/{}", e.name),
            None => e.name.clone(),
        };
        out.push(
            Finding::new(
                &ScanCode::TorchscriptDangerousCall,
                format!(
                    "the TorchScript code calls {}, which reach files, processes or native libraries when the model runs",
                    hits.iter().map(|h| format!("`{h}`")).collect::<Vec<_>>().join(", ")
                ),
            )
            .at(rel)
            .with_evidence(format!("member `{name}`")),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn calls_outside_strings() {
        let code = "def forward(self, x):\n    # torch.save(x)\n    s = \"open(1)\"\n    y = torch.from_file(\"/etc/passwd\", False, 10)\n    return torch.add(x, self.open(y))\n";
        assert_eq!(super::dangerous_calls(code), vec!["torch.from_file"]);
    }
}
