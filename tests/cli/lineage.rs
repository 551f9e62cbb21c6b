//! Lineage across the catalogue: tensor digests recorded at `add`, identical files and shared
//! tensors found by digest, and `weights-identical-license-differs`.

use crate::support::{Env, last_line, require_assets, tiny_safetensors, write_model};
use std::path::{Path, PathBuf};

/// Copies a model folder (plain files, one level of subfolders).
fn copy_dir(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.unwrap();
        let rel = entry.path().strip_prefix(from).unwrap();
        let dest = to.join(rel);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&dest).unwrap();
        } else {
            std::fs::copy(entry.path(), &dest).unwrap();
        }
    }
}

/// Rewrites the card's `license:` line (and optionally adds `base_model:`).
fn relicense(dir: &Path, license: &str, base: Option<&str>) {
    let card = std::fs::read_to_string(dir.join("README.md")).unwrap();
    let mut out = String::new();
    for line in card.lines() {
        if line.starts_with("license:") {
            out.push_str(&format!("license: {license}\n"));
            if let Some(b) = base {
                out.push_str(&format!("base_model: {b}\n"));
            }
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    std::fs::write(dir.join("README.md"), out).unwrap();
}

fn minilm(test: &str) -> Option<PathBuf> {
    Some(require_assets(test)?.join("all-MiniLM-L6-v2"))
}

both_backends!(a_real_model_copied_under_another_name_and_license, |env| {
    let Some(original) = minilm("lineage copy") else {
        return;
    };
    let id = last_line(&env.ok(&["add", original.to_str().unwrap()])).to_string();
    let copy = env.work().join("copy");
    copy_dir(&original, &copy);
    relicense(&copy, "mit", None);
    let copy_id =
        last_line(&env.ok(&["add", copy.to_str().unwrap(), "--name", "evil/copy"])).to_string();

    let theirs = env.json(&["lineage", &id, "--format", "json"], 0);
    let total = theirs["tensors"].as_u64().unwrap();
    assert!(total > 100, "{theirs}");
    assert!(
        theirs["findings"].as_array().unwrap().is_empty(),
        "{theirs}"
    );

    let ours = env.json(&["lineage", "evil/copy", "--format", "json"], 1);
    assert_eq!(ours["license"], "MIT");
    let same = &ours["identical_files"][0];
    assert_eq!(same["path"], "model.safetensors");
    assert_eq!(same["other"], id.as_str());
    assert_eq!(ours["shared_tensors"][0]["shared"], total);
    assert_eq!(ours["shared_tensors"][0]["of"], total);
    let f = &ours["findings"][0];
    assert_eq!(f["code"], "weights-identical-license-differs");
    assert_eq!(f["severity"], "high");
    assert!(f["message"].as_str().unwrap().contains("Apache-2.0"), "{f}");

    let (code, out, _) = env.run(&["lineage", "evil/copy"]);
    assert_eq!(code, 1);
    assert!(
        out.contains(&format!("`model.safetensors` is byte-identical to {id}")),
        "{out}"
    );
    assert!(
        out.contains(&format!("shares {total} of {total} tensors with {id}")),
        "{out}"
    );

    // show, the JSON record and the reports carry the matches and the finding.
    let record = env.json(&["show", &copy_id, "--format", "json"], 0);
    assert_eq!(
        record["lineage"]["identical_files"][0]["other"],
        id.as_str()
    );
    assert!(
        record["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["code"] == "weights-identical-license-differs")
    );
    let shown = env.ok(&["show", &copy_id]);
    assert!(shown.contains("is byte-identical to"), "{shown}");
    let md = env.ok(&["report", &copy_id, "--format", "markdown"]);
    assert!(md.contains("### Lineage"), "{md}");
    assert!(md.contains("weights-identical-license-differs"), "{md}");
    let html = env.ok(&["report", &copy_id, "--format", "html"]);
    assert!(html.contains("is byte-identical to"), "{html}");

    // audit decides on it like other provenance findings: the verdict fails and says why.
    let (code, out, err) = env.run(&["audit", &copy_id, "--format", "json"]);
    assert_eq!(code, 1, "{out}\n{err}");
    let verdict: serde_json::Value = serde_json::from_str(&out).unwrap();
    let text = verdict.to_string();
    assert!(text.contains("weights-identical-license-differs"), "{text}");
});

#[test]
fn a_gguf_and_a_safetensors_share_nothing() {
    let env = Env::new();
    let Some(assets) = require_assets("lineage gguf") else {
        return;
    };
    env.ok(&["add", assets.join("all-MiniLM-L6-v2").to_str().unwrap()]);
    let gguf = assets.join("smollm2/SmolLM2-135M-Instruct.Q4_1.gguf");
    let id = last_line(&env.ok(&["add", gguf.to_str().unwrap()])).to_string();
    let l = env.json(&["lineage", &id, "--format", "json"], 0);
    // SmolLM2-135M has 272 tensors (30 layers × 9, embeddings, final norm).
    assert_eq!(l["tensors"], 272, "{l}");
    assert!(l["identical_files"].as_array().unwrap().is_empty(), "{l}");
    assert!(l["shared_tensors"].as_array().unwrap().is_empty(), "{l}");
    let out = env.ok(&["lineage", &id]);
    assert!(
        out.contains("no other revision holds these weights"),
        "{out}"
    );
}

/// The tensors of a safetensors file: name → (begin, end) absolute byte offsets.
fn tensor_ranges(bytes: &[u8]) -> Vec<(String, usize, usize)> {
    let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let header: serde_json::Value = serde_json::from_slice(&bytes[8..8 + n]).unwrap();
    let mut out: Vec<(String, usize, usize)> = header
        .as_object()
        .unwrap()
        .iter()
        .filter(|(k, _)| *k != "__metadata__")
        .map(|(k, v)| {
            let o = v["data_offsets"].as_array().unwrap();
            (
                k.clone(),
                8 + n + o[0].as_u64().unwrap() as usize,
                8 + n + o[1].as_u64().unwrap() as usize,
            )
        })
        .collect();
    out.sort_by_key(|t| t.1);
    out
}

#[test]
fn a_fine_tune_shares_the_tensors_it_kept() {
    let env = Env::new();
    let Some(original) = minilm("lineage fine-tune") else {
        return;
    };
    let id = last_line(&env.ok(&["add", original.to_str().unwrap()])).to_string();
    let tuned = env.work().join("tuned");
    copy_dir(&original, &tuned);
    relicense(&tuned, "apache-2.0", Some("all-MiniLM-L6-v2"));
    // "Fine-tune" three tensors: change one byte of each (the rest stay byte-identical).
    let path = tuned.join("model.safetensors");
    let mut bytes = std::fs::read(&path).unwrap();
    let ranges = tensor_ranges(&bytes);
    let changed: Vec<&(String, usize, usize)> = ranges
        .iter()
        .filter(|(name, b, e)| e > b && name.contains("attention.self.query.weight"))
        .take(3)
        .collect();
    assert_eq!(changed.len(), 3);
    for (_, begin, _) in &changed {
        bytes[*begin] ^= 0x01;
    }
    std::fs::write(&path, &bytes).unwrap();
    env.ok(&["add", tuned.to_str().unwrap(), "--name", "acme/tuned"]);

    let l = env.json(&["lineage", "acme/tuned", "--format", "json"], 0);
    let total = ranges.len() as u64;
    assert_eq!(l["tensors"], total);
    assert!(l["identical_files"].as_array().unwrap().is_empty(), "{l}");
    assert_eq!(l["shared_tensors"][0]["other"], id.as_str());
    assert_eq!(l["shared_tensors"][0]["shared"], total - 3, "{l}");
    assert_eq!(l["shared_tensors"][0]["of"], total);
    // Not the same weights: no license finding, whatever the licenses.
    assert!(l["findings"].as_array().unwrap().is_empty(), "{l}");
    let out = env.ok(&["lineage", "acme/tuned"]);
    assert!(
        out.contains(&format!(
            "shares {} of {total} tensors with {id}",
            total - 3
        )),
        "{out}"
    );
}

#[test]
fn a_copy_recorded_before_its_base_is_the_one_flagged() {
    let env = Env::new();
    // The copy (MIT, naming `acme/base` as its base) is recorded first, then the base itself.
    let copy = write_model(&env.work().join("copy"));
    std::fs::write(
        copy.join("README.md"),
        "---\nlicense: mit\nbase_model: acme/base\n---\n# Copy\n",
    )
    .unwrap();
    let base = env.work().join("base");
    std::fs::create_dir_all(&base).unwrap();
    std::fs::write(
        base.join("README.md"),
        "---\nlicense: llama3.1\n---\n# Base\n",
    )
    .unwrap();
    std::fs::write(base.join("model.safetensors"), tiny_safetensors(1)).unwrap();
    env.ok(&["add", copy.to_str().unwrap(), "--name", "acme/copy"]);
    env.ok(&["add", base.to_str().unwrap(), "--name", "acme/base"]);
    let flagged = env.json(&["lineage", "acme/copy", "--format", "json"], 1);
    let msg = flagged["findings"][0]["message"].as_str().unwrap();
    assert!(msg.contains("declared base model"), "{msg}");
    // The base is not the re-upload of the copy that names it.
    let base = env.json(&["lineage", "acme/base", "--format", "json"], 0);
    assert!(base["findings"].as_array().unwrap().is_empty(), "{base}");
    assert_eq!(
        base["identical_files"][0]["other"]
            .as_str()
            .unwrap()
            .split('@')
            .next(),
        Some("acme/copy")
    );
}
