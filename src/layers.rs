//! Test-only: the layering rules of DESIGN.md, checked on the source. A module may import
//! modules of its own layer or below, never above; the top-level modules form no loop; and no
//! subcommand's file under `cli/` imports another's.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Layers from the bottom: base types, domain modules, the use cases, the front ends.
const LAYERS: &[&[&str]] = &[
    &[
        "ids", "record", "finding", "hashing", "format", "units", "manifest",
    ],
    &[
        "ingest",
        "catalogue",
        "license",
        "openness",
        "verify",
        "scan",
        "signing",
        "lineage",
        "runtime",
        "policy",
        "report",
        "hub",
        "blobs",
    ],
    &["vet"],
    // The server is a front end beside the command line; `modelvet serve` (cli) starts it.
    &["server"],
    &["cli"],
];

/// Files under `cli/` that every subcommand may use.
const CLI_SHARED: &[&str] = &["mod", "progress"];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&module))
}

/// The library's source files that ship (not test-only modules), by path under `src/`.
fn shipped_files() -> Vec<(String, String)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut test_only: BTreeSet<PathBuf> = BTreeSet::new();
    let mut files = Vec::new();
    for entry in walkdir::WalkDir::new(&src).sort_by_file_name() {
        let entry = entry.expect("src is readable");
        if entry.path().extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(entry.path()).expect("source is UTF-8");
            // `#[cfg(test)] mod name;` makes `name.rs` (or `name/`) test-only.
            let dir = if entry.file_name() == "mod.rs" || entry.file_name() == "lib.rs" {
                entry.path().parent().unwrap().to_path_buf()
            } else {
                entry.path().with_extension("")
            };
            let lines: Vec<&str> = text.lines().collect();
            for w in lines.windows(2) {
                if w[0].trim() == "#[cfg(test)]"
                    && let Some(name) = w[1]
                        .trim()
                        .strip_prefix("mod ")
                        .and_then(|r| r.strip_suffix(';'))
                {
                    test_only.insert(dir.join(format!("{name}.rs")));
                    test_only.insert(dir.join(name));
                }
            }
            files.push((entry.path().to_path_buf(), text));
        }
    }
    files
        .into_iter()
        .filter(|(p, _)| !test_only.iter().any(|t| p.starts_with(t)))
        .map(|(p, text)| {
            let rel = p
                .strip_prefix(&src)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            // Inline test modules come last in a file; what follows `#[cfg(test)]\nmod tests {`
            // is test code.
            let shipped = match text.find("#[cfg(test)]\nmod tests {") {
                Some(i) => text[..i].to_string(),
                None => text,
            };
            (rel, shipped)
        })
        .collect()
}

/// The crate-level modules a text refers to (`crate::name`, `use crate::{a, b::…}`).
fn imports(text: &str) -> BTreeSet<String> {
    let code: String = text
        .lines()
        .map(|l| l.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n");
    let mut out = BTreeSet::new();
    let mut rest = code.as_str();
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for part in group[..end].split(',') {
                let name: String = part
                    .trim()
                    .chars()
                    .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                    .collect();
                if !name.is_empty() && name != "self" {
                    out.insert(name);
                }
            }
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                .collect();
            if !name.is_empty() && rest[name.len()..].starts_with("::") {
                out.insert(name);
            }
        }
    }
    out
}

fn top_module(rel: &str) -> String {
    rel.split('/')
        .next()
        .unwrap()
        .trim_end_matches(".rs")
        .to_string()
}

#[test]
fn no_module_imports_one_above_it() {
    let mut wrong = Vec::new();
    for (rel, text) in shipped_files() {
        let from = top_module(&rel);
        let Some(from_layer) = layer_of(&from) else {
            continue;
        };
        for to in imports(&text) {
            if to == from {
                continue;
            }
            match layer_of(&to) {
                Some(l) if l > from_layer => wrong.push(format!("{rel} imports {to}")),
                None => wrong.push(format!("{rel} imports {to}, which no layer lists")),
                _ => {}
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "imports against the layers:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn top_level_modules_form_no_loop() {
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (rel, text) in shipped_files() {
        let from = top_module(&rel);
        if layer_of(&from).is_none() {
            continue;
        }
        let deps = graph.entry(from.clone()).or_default();
        deps.extend(imports(&text).into_iter().filter(|t| *t != from));
    }
    // Depth-first search for a back edge.
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = path.iter().position(|p| p == node) {
            let mut cycle = path[i..].to_vec();
            cycle.push(node.to_string());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(c) = visit(next, graph, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    for node in graph.keys() {
        if let Some(cycle) = visit(node, &graph, &mut Vec::new(), &mut done) {
            panic!("import loop: {}", cycle.join(" -> "));
        }
    }
}

#[test]
fn no_subcommand_imports_another() {
    let mut wrong = Vec::new();
    let subcommands: Vec<String> = shipped_files()
        .iter()
        .filter_map(|(rel, _)| {
            rel.strip_prefix("cli/")
                .map(|f| f.trim_end_matches(".rs").to_string())
        })
        .filter(|f| !CLI_SHARED.contains(&f.as_str()))
        .collect();
    for (rel, text) in shipped_files() {
        let Some(file) = rel.strip_prefix("cli/").map(|f| f.trim_end_matches(".rs")) else {
            continue;
        };
        if CLI_SHARED.contains(&file) {
            continue;
        }
        for other in subcommands.iter().filter(|s| s.as_str() != file) {
            if text.contains(&format!("super::{other}::"))
                || text.contains(&format!("crate::cli::{other}::"))
            {
                wrong.push(format!("cli/{file}.rs uses cli/{other}.rs"));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
