//! `modelvet smoke`: tiny random models of every supported architecture, each bad-input path, and
//! the two real models from `scripts/test`.

use crate::support::{Env, require_assets};
use candle_core::quantized::GgmlDType;
use candle_core::{DType, Device, Tensor};
use modelvet::runtime::tiny::{self, TinyArch};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn smoke_json(env: &Env, target: &Path, code: i32) -> Value {
    env.json(
        &[
            "smoke",
            target.to_str().unwrap(),
            "--format",
            "json",
            "--max-new-tokens",
            "4",
        ],
        code,
    )
}

fn codes(v: &Value) -> Vec<String> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect()
}

fn tiny_model(env: &Env, name: &str, arch: TinyArch) -> PathBuf {
    let dir = env.work().join(name);
    tiny::write_model(&dir, arch).unwrap();
    dir
}

/// A llama folder written from `edit`ed tensors.
fn edited_llama(
    env: &Env,
    name: &str,
    edit: impl FnOnce(&mut std::collections::BTreeMap<String, Tensor>),
) -> PathBuf {
    let dir = env.work().join(name);
    std::fs::create_dir_all(&dir).unwrap();
    let cfg = tiny::config(TinyArch::Llama);
    let mut ts = tiny::tensors(TinyArch::Llama, &cfg).unwrap();
    edit(&mut ts);
    std::fs::write(dir.join("config.json"), cfg.to_string()).unwrap();
    tiny::write_safetensors(&dir.join("model.safetensors"), &ts).unwrap();
    dir
}

#[test]
fn every_supported_safetensors_architecture_runs() {
    let env = Env::new();
    for arch in TinyArch::ALL {
        let dir = tiny_model(&env, arch.name(), arch);
        let v = smoke_json(&env, &dir, 0);
        let s = &v["smoke"];
        assert_eq!(s["status"], "passed", "{arch:?}: {v}");
        assert_eq!(s["architecture"], arch.name());
        assert!(s["parameters"].as_u64().unwrap() > 10_000);
        assert!(s["fingerprint"].as_str().unwrap().starts_with("sha256:"));
        assert!(s["load_ms"].as_f64().is_some() && s["forward_ms"].as_f64().is_some());
        assert!(s["peak_rss_bytes"].as_u64().unwrap() > 0);
        if arch != TinyArch::Bert {
            assert_eq!(
                s["details"]["generated_token_ids"]
                    .as_array()
                    .unwrap()
                    .len(),
                4,
                "{v}"
            );
            assert!(s["tokens_per_second"].as_f64().unwrap() > 0.0);
        }
    }
}

#[test]
fn quantized_gguf_llama_and_qwen2_generate() {
    let env = Env::new();
    for (arch, q) in [("llama", GgmlDType::Q4_0), ("qwen2", GgmlDType::Q8_0)] {
        let p = env.work().join(format!("{arch}.gguf"));
        tiny::write_gguf(&p, arch, q).unwrap();
        let v = smoke_json(&env, &p, 0);
        assert_eq!(v["smoke"]["status"], "passed", "{v}");
        assert_eq!(v["smoke"]["architecture"], arch);
        let dtypes = v["smoke"]["details"]["dtypes"].as_array().unwrap();
        assert!(dtypes.len() >= 3, "mixed quant types are normal: {v}");
        assert!(codes(&v).is_empty(), "{v}");
        let d = &v["smoke"]["details"];
        if arch == "llama" {
            // The sentencepiece vocabulary in the metadata tokenizes the fixed prompt.
            assert_eq!(d["input"], "The capital of France is", "{v}");
            assert!(d["output_text"].is_string(), "{v}");
        } else {
            assert!(
                d["notes"].to_string().contains("fixed prompt token ids"),
                "{v}"
            );
        }
    }
}

#[test]
fn two_copies_have_the_same_fingerprint_and_human_output_says_passed() {
    let env = Env::new();
    let a = tiny_model(&env, "a", TinyArch::Qwen2);
    let b = env.work().join("b");
    std::fs::create_dir_all(&b).unwrap();
    for f in ["config.json", "model.safetensors"] {
        std::fs::copy(a.join(f), b.join(f)).unwrap();
    }
    let fa = smoke_json(&env, &a, 0)["smoke"]["fingerprint"].clone();
    let fb = smoke_json(&env, &b, 0)["smoke"]["fingerprint"].clone();
    assert_eq!(fa, fb);
    let other = tiny_model(&env, "c", TinyArch::Qwen2);
    assert_ne!(smoke_json(&env, &other, 0)["smoke"]["fingerprint"], fa);
    let out = env.ok(&["smoke", a.to_str().unwrap()]);
    assert!(out.contains("passed (qwen2"), "{out}");
    assert!(out.contains("fingerprint: sha256:"), "{out}");
}

#[test]
fn truncated_safetensors_is_broken() {
    let env = Env::new();
    let dir = tiny_model(&env, "m", TinyArch::Bert);
    let p = dir.join("model.safetensors");
    let len = std::fs::metadata(&p).unwrap().len();
    let f = std::fs::OpenOptions::new().write(true).open(&p).unwrap();
    f.set_len(len / 2).unwrap();
    let v = smoke_json(&env, &dir, 1);
    assert_eq!(v["smoke"]["status"], "failed");
    let f = &v["findings"][0];
    assert_eq!(f["code"], "smoke-weights-unreadable");
    assert!(f["message"].as_str().unwrap().contains("truncated"), "{v}");
    assert_eq!(f["path"], "model.safetensors");
}

#[test]
fn header_claiming_more_bytes_than_the_file_is_broken() {
    let env = Env::new();
    let dir = tiny_model(&env, "m", TinyArch::Llama);
    let p = dir.join("model.safetensors");
    let mut bytes = std::fs::read(&p).unwrap();
    bytes[..8].copy_from_slice(&(1u64 << 40).to_le_bytes());
    std::fs::write(&p, bytes).unwrap();
    let v = smoke_json(&env, &dir, 1);
    assert_eq!(codes(&v), ["smoke-weights-unreadable"]);
    assert!(
        v["findings"][0]["message"]
            .as_str()
            .unwrap()
            .contains("header claims 1099511627776 bytes"),
        "{v}"
    );
}

#[test]
fn wrong_shape_tensor_is_broken() {
    let env = Env::new();
    let dir = edited_llama(&env, "m", |ts| {
        ts.insert(
            "model.layers.1.self_attn.k_proj.weight".into(),
            Tensor::ones((64, 64), DType::F32, &Device::Cpu).unwrap(),
        );
    });
    let v = smoke_json(&env, &dir, 1);
    assert_eq!(codes(&v), ["smoke-tensor-shape-mismatch"], "{v}");
    let msg = v["findings"][0]["message"].as_str().unwrap();
    assert!(
        msg.contains("[64, 64]") && msg.contains("[32, 64]"),
        "{msg}"
    );
    assert!(v["smoke"]["fingerprint"].is_null());
}

#[test]
fn missing_tensor_is_broken_never_a_panic() {
    // candle's llama loader unwraps inside; the smoke test must report, not crash.
    let env = Env::new();
    let dir = edited_llama(&env, "m", |ts| {
        ts.remove("model.layers.0.self_attn.q_proj.weight");
    });
    let v = smoke_json(&env, &dir, 1);
    assert_eq!(codes(&v), ["smoke-tensor-missing"], "{v}");
    assert!(
        v["findings"][0]["message"]
            .as_str()
            .unwrap()
            .contains("model.layers.0.self_attn.q_proj.weight")
    );
}

#[test]
fn nan_in_weights_is_broken() {
    let env = Env::new();
    let dir = edited_llama(&env, "m", |ts| {
        let t = Tensor::full(f32::NAN, 64, &Device::Cpu).unwrap();
        ts.insert("model.norm.weight".into(), t);
    });
    let v = smoke_json(&env, &dir, 1);
    assert!(
        codes(&v).contains(&"smoke-tensor-not-finite".to_string()),
        "{v}"
    );
}

#[test]
fn unknown_architecture_is_unsupported_but_still_checked() {
    let env = Env::new();
    let dir = tiny_model(&env, "m", TinyArch::Bert);
    std::fs::write(
        dir.join("config.json"),
        r#"{"architectures": ["FrobnicatorForCausalLM"], "model_type": "frobnicator"}"#,
    )
    .unwrap();
    let v = smoke_json(&env, &dir, 0);
    assert_eq!(v["smoke"]["status"], "unsupported");
    assert_eq!(codes(&v), ["smoke-unsupported-architecture"]);
    let out = env.ok(&["smoke", dir.to_str().unwrap()]);
    assert!(
        out.contains("unsupported architecture frobnicator (FrobnicatorForCausalLM)"),
        "{out}"
    );

    // Structural checks still run, and they decide the exit code.
    let p = dir.join("model.safetensors");
    let len = std::fs::metadata(&p).unwrap().len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&p)
        .unwrap()
        .set_len(len - 100)
        .unwrap();
    let v = smoke_json(&env, &dir, 1);
    assert!(
        codes(&v).contains(&"smoke-weights-unreadable".to_string()),
        "{v}"
    );
}

#[test]
fn gguf_with_unknown_tensor_type_is_broken() {
    let env = Env::new();
    let p = env.work().join("m.gguf");
    tiny::write_gguf(&p, "llama", GgmlDType::Q8_0).unwrap();
    let mut bytes = std::fs::read(&p).unwrap();
    let at = tiny::gguf_tensor_type_offset(&bytes, "blk.1.ffn_up.weight").unwrap();
    bytes[at..at + 4].copy_from_slice(&999u32.to_le_bytes());
    std::fs::write(&p, bytes).unwrap();
    let v = smoke_json(&env, &p, 1);
    assert_eq!(codes(&v), ["smoke-weights-unreadable"]);
    assert!(
        v["findings"][0]["message"]
            .as_str()
            .unwrap()
            .contains("type id 999"),
        "{v}"
    );
}

#[test]
fn truncated_gguf_is_broken() {
    let env = Env::new();
    let p = env.work().join("m.gguf");
    tiny::write_gguf(&p, "qwen2", GgmlDType::Q8_0).unwrap();
    let len = std::fs::metadata(&p).unwrap().len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&p)
        .unwrap()
        .set_len(len - 4096)
        .unwrap();
    let v = smoke_json(&env, &p, 1);
    assert!(
        codes(&v).iter().all(|c| c == "smoke-weights-unreadable"),
        "{v}"
    );
    assert!(
        v["findings"][0]["message"]
            .as_str()
            .unwrap()
            .contains("past the end of the file"),
        "{v}"
    );
}

#[test]
fn index_naming_a_missing_shard_is_broken() {
    let env = Env::new();
    let dir = tiny_model(&env, "m", TinyArch::Mistral);
    std::fs::rename(
        dir.join("model.safetensors"),
        dir.join("model-00001-of-00002.safetensors"),
    )
    .unwrap();
    std::fs::write(
        dir.join("model.safetensors.index.json"),
        r#"{"metadata": {}, "weight_map": {
            "model.embed_tokens.weight": "model-00001-of-00002.safetensors",
            "lm_head.weight": "model-00002-of-00002.safetensors"}}"#,
    )
    .unwrap();
    let v = smoke_json(&env, &dir, 1);
    assert_eq!(codes(&v), ["smoke-shard-missing"], "{v}");
    assert!(
        v["findings"][0]["message"]
            .as_str()
            .unwrap()
            .contains("model-00002-of-00002.safetensors")
    );
}

#[test]
fn weights_larger_than_memory_are_declined_with_the_size_needed() {
    let env = Env::new();
    let dir = tiny_model(&env, "m", TinyArch::Llama);
    let out = env
        .cmd()
        .env("MODELVET_SMOKE_AVAILABLE_MEMORY", "1M")
        .args(["smoke", dir.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("declined") && err.contains("needs about 64.") && err.contains("1.0 MiB"),
        "{err}"
    );
}

#[test]
fn missing_path_and_wrong_format_are_errors() {
    let env = Env::new();
    let (code, _, err) = env.run(&["smoke", "no/such/model"]);
    assert_eq!(code, 2);
    assert!(
        err.starts_with("error: no such file or folder `no/such/model`"),
        "{err}"
    );
    let dir = tiny_model(&env, "m", TinyArch::Bert);
    let (code, _, err) = env.run(&["smoke", dir.to_str().unwrap(), "--format", "sarif"]);
    assert_eq!(code, 2, "{err}");
    let (code, _, err) = env.run(&["smoke", dir.join("config.json").to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(
        err.contains("is not a model folder, a .safetensors or .gguf weights file"),
        "{err}"
    );
}

#[test]
fn real_minilm_embeds_paraphrases_close_and_unrelated_far() {
    let Some(assets) = require_assets("smoke MiniLM") else {
        return;
    };
    let env = Env::new();
    let v = smoke_json(&env, &assets.join("all-MiniLM-L6-v2"), 0);
    let s = &v["smoke"];
    assert_eq!(s["status"], "passed", "{v}");
    assert_eq!(s["architecture"], "bert");
    assert_eq!(s["parameters"], 22_713_216);
    let sim = &s["details"]["similarity"];
    // sentence-transformers gives 0.755 and about 0.0 for these pairs.
    assert!(sim["similar"].as_f64().unwrap() > 0.7, "{sim}");
    assert!(sim["unrelated"].as_f64().unwrap() < 0.2, "{sim}");
    // position_ids and the pooler are normal extras, never failures.
    assert_eq!(codes(&v), ["smoke-tensor-unexpected"]);
}

#[test]
fn real_smollm2_gguf_generates_tokens() {
    let Some(assets) = require_assets("smoke SmolLM2") else {
        return;
    };
    let env = Env::new();
    let v = smoke_json(
        &env,
        &assets.join("smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"),
        0,
    );
    let s = &v["smoke"];
    assert_eq!(s["status"], "passed", "{v}");
    assert_eq!(s["architecture"], "llama");
    assert_eq!(
        s["details"]["generated_token_ids"]
            .as_array()
            .unwrap()
            .len(),
        4
    );
    let text = s["details"]["output_text"].as_str().unwrap();
    assert!(
        text.contains("Paris"),
        "greedy continuation of the fixed prompt: {text:?}"
    );
    assert!(s["tokens_per_second"].as_f64().unwrap() > 0.0);
}

#[test]
fn catalogue_model_is_smoked_and_recorded_for_show() {
    let env = Env::new();
    // Folder names differ from the model names: a path that exists is smoked as a path.
    let dir = tiny_model(&env, "m1", TinyArch::Llama);
    env.ok(&["add", dir.to_str().unwrap(), "--name", "tiny-llama"]);
    let v = env.json(
        &[
            "smoke",
            "tiny-llama",
            "--format",
            "json",
            "--max-new-tokens",
            "2",
        ],
        0,
    );
    assert!(v["id"].as_str().unwrap().starts_with("tiny-llama@"), "{v}");
    assert_eq!(v["smoke"]["status"], "passed");
    let shown = env.json(&["show", "tiny-llama", "--format", "json"], 0);
    assert_eq!(shown["smoke"]["status"], "passed", "{shown}");
    assert_eq!(shown["smoke"]["architecture"], "llama");
    assert_eq!(shown["smoke"]["fingerprint"], v["smoke"]["fingerprint"]);

    // A broken copy: recorded as failed, with its findings, and exit 1.
    let bad = edited_llama(&env, "m2", |ts| {
        ts.remove("model.norm.weight");
    });
    env.ok(&["add", bad.to_str().unwrap(), "--name", "bad-llama"]);
    let (code, out, _) = env.run(&["smoke", "bad-llama"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("bad-llama@") && out.contains("failed"),
        "{out}"
    );
    let shown = env.json(&["show", "bad-llama", "--format", "json"], 0);
    assert_eq!(shown["smoke"]["status"], "failed");
    assert!(
        shown["findings"]
            .to_string()
            .contains("smoke-tensor-missing"),
        "{shown}"
    );
}
