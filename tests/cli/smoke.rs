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
        let rss = v["smoke"]["peak_rss_bytes"].as_u64().unwrap();
        let est = v["smoke"]["details"]["memory_estimate_bytes"]
            .as_u64()
            .unwrap();
        assert!(
            rss <= est,
            "peak RSS {rss} above the guard's estimate {est}"
        );
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

// Crafted configs and GGUF headers (issue 13): every one is a finding (exit 1) or an error
// (exit 2), never a panic, an abort or memory past the guard's estimate, and nothing panics
// onto stderr.

/// Runs `smoke --format json` on `target`; asserts the exit code and a quiet stderr.
fn crafted(env: &Env, target: &Path, code: i32) -> Value {
    crafted_with(env, target, code, &[])
}

fn crafted_with(env: &Env, target: &Path, code: i32, vars: &[(&str, &str)]) -> Value {
    let mut cmd = env.cmd();
    for (k, v) in vars {
        cmd.env(k, v);
    }
    let out = cmd
        .args(["smoke", target.to_str().unwrap(), "--format", "json"])
        .args(["--max-new-tokens", "2"])
        .output()
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert_eq!(
        out.status.code(),
        Some(code),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(
        !stderr.contains("panicked") && !stderr.contains("memory allocation"),
        "{stderr}"
    );
    if code == 2 {
        assert!(stderr.starts_with("error: "), "{stderr}");
        return Value::Null;
    }
    let v: Value = serde_json::from_str(&stdout).unwrap();
    // Whatever ran stayed inside what the guard allowed for (and far from a runaway).
    let rss = v["smoke"]["peak_rss_bytes"].as_u64().unwrap();
    assert!(rss < 1 << 30, "peak RSS {rss}: {v}");
    if let Some(est) = v["smoke"]["details"]["memory_estimate_bytes"].as_u64() {
        assert!(
            rss <= est,
            "peak RSS {rss} above the guard's estimate {est}: {v}"
        );
    }
    v
}

/// A tiny model folder of `arch` whose config.json is edited by `edit`.
fn crafted_config(env: &Env, name: &str, arch: TinyArch, edit: impl FnOnce(&mut Value)) -> PathBuf {
    let dir = tiny_model(env, name, arch);
    let mut cfg = tiny::config(arch);
    edit(&mut cfg);
    std::fs::write(dir.join("config.json"), cfg.to_string()).unwrap();
    dir
}

/// A tiny llama GGUF with the u32 metadata `key` set to `value` (added if absent).
fn crafted_gguf(env: &Env, name: &str, key: &str, value: u32) -> PathBuf {
    use candle_core::quantized::gguf_file::Value as Md;
    let p = env.work().join(name);
    tiny::write_gguf_with(
        &p,
        "llama",
        GgmlDType::Q8_0,
        |_| true,
        |md| {
            md.retain(|(k, _)| k != key);
            md.push((key.to_string(), Md::U32(value)));
        },
    )
    .unwrap();
    p
}

fn finding_with<'a>(v: &'a Value, code: &str) -> &'a Value {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == code)
        .unwrap_or_else(|| panic!("no {code} finding: {v}"))
}

#[test]
fn gguf_alignment_zero_is_unreadable_not_a_divide_by_zero() {
    let env = Env::new();
    let p = crafted_gguf(&env, "align0.gguf", "general.alignment", 0);
    let v = crafted(&env, &p, 1);
    assert_eq!(codes(&v), ["smoke-weights-unreadable"], "{v}");
    let msg = finding_with(&v, "smoke-weights-unreadable")["message"]
        .as_str()
        .unwrap();
    assert!(msg.contains("`general.alignment` is 0"), "{msg}");
    // A non-power-of-two alignment is refused the same way; a proper one passes.
    let p = crafted_gguf(&env, "align24.gguf", "general.alignment", 24);
    assert_eq!(codes(&crafted(&env, &p, 1)), ["smoke-weights-unreadable"]);
    let p = crafted_gguf(&env, "align32.gguf", "general.alignment", 32);
    assert_eq!(crafted(&env, &p, 0)["smoke"]["status"], "passed");
}

#[test]
fn gguf_block_count_beyond_the_blocks_present_is_a_mismatch_not_a_loop_bound() {
    let env = Env::new();
    for blocks in [3u32, 1 << 30, u32::MAX] {
        let p = crafted_gguf(
            &env,
            &format!("b{blocks}.gguf"),
            "llama.block_count",
            blocks,
        );
        let v = crafted(&env, &p, 1);
        let msg = finding_with(&v, "smoke-config-mismatch")["message"]
            .as_str()
            .unwrap();
        assert!(
            msg.contains(&format!("`llama.block_count` is {blocks}")) && msg.contains("2 blocks"),
            "{msg}"
        );
    }
}

#[test]
fn gguf_rope_dimension_wider_than_a_head_is_a_mismatch() {
    let env = Env::new();
    for dim in [65_536u32, 17, 1 << 31] {
        let p = crafted_gguf(
            &env,
            &format!("r{dim}.gguf"),
            "llama.rope.dimension_count",
            dim,
        );
        let v = crafted(&env, &p, 1);
        let msg = finding_with(&v, "smoke-config-mismatch")["message"]
            .as_str()
            .unwrap();
        assert!(msg.contains("head width 16"), "{msg}");
    }
}

#[test]
fn gguf_zero_and_indivisible_head_counts_are_invalid() {
    let env = Env::new();
    for (key, value) in [
        ("llama.attention.head_count", 0u32),
        ("llama.attention.head_count_kv", 0),
        ("llama.attention.head_count_kv", 3),
        ("llama.embedding_length", 0),
        ("llama.embedding_length", 1 << 31),
        ("llama.feed_forward_length", u32::MAX),
        ("llama.expert_count", 1 << 30),
    ] {
        let p = crafted_gguf(&env, "h.gguf", key, value);
        let v = crafted(&env, &p, 1);
        assert_eq!(v["smoke"]["status"], "failed", "{key}={value}: {v}");
        assert!(v["smoke"]["fingerprint"].is_null());
    }
}

#[test]
fn bert_zero_heads_is_invalid_and_nothing_panics_on_stderr() {
    let env = Env::new();
    let dir = crafted_config(&env, "b", TinyArch::Bert, |c| {
        c["num_attention_heads"] = 0.into()
    });
    let v = crafted(&env, &dir, 1);
    assert_eq!(codes(&v), ["smoke-config-invalid"], "{v}");
    let dir = crafted_config(&env, "b3", TinyArch::Bert, |c| {
        c["num_attention_heads"] = 3.into()
    });
    assert_eq!(codes(&crafted(&env, &dir, 1)), ["smoke-config-invalid"]);
}

#[test]
fn bert_layer_count_beyond_the_layers_present_is_a_mismatch() {
    let env = Env::new();
    for layers in [3u64, 1 << 31, 1 << 63] {
        let dir = crafted_config(&env, &format!("b{layers}"), TinyArch::Bert, |c| {
            c["num_hidden_layers"] = layers.into()
        });
        let v = crafted(&env, &dir, 1);
        let msg = finding_with(&v, "smoke-config-mismatch")["message"]
            .as_str()
            .unwrap();
        assert!(
            msg.contains(&format!("`num_hidden_layers` is {layers}")),
            "{msg}"
        );
        assert!(msg.contains("hold 2 (indices up to 1) layers"), "{msg}");
    }
    // A size the tensors contradict never reaches candle either.
    let dir = crafted_config(&env, "pos", TinyArch::Bert, |c| {
        c["max_position_embeddings"] = (1u64 << 40).into()
    });
    assert_eq!(codes(&crafted(&env, &dir, 1)), ["smoke-config-mismatch"]);
}

#[test]
fn llama_zero_heads_and_huge_sizes_never_reach_candles_cache() {
    let env = Env::new();
    let cases: [(&str, Value, &str); 7] = [
        ("num_attention_heads", 0.into(), "smoke-config-invalid"),
        ("num_key_value_heads", 0.into(), "smoke-config-invalid"),
        ("hidden_size", (1u64 << 31).into(), "smoke-config-mismatch"),
        ("hidden_size", (1u64 << 63).into(), "smoke-config-mismatch"),
        (
            "num_hidden_layers",
            (1u64 << 31).into(),
            "smoke-config-mismatch",
        ),
        (
            "num_hidden_layers",
            (1u64 << 63).into(),
            "smoke-config-mismatch",
        ),
        ("vocab_size", (1u64 << 40).into(), "smoke-config-mismatch"),
    ];
    for (i, (key, value, code)) in cases.into_iter().enumerate() {
        let dir = crafted_config(&env, &format!("l{i}"), TinyArch::Llama, |c| {
            c[key] = value.clone()
        });
        let v = crafted(&env, &dir, 1);
        assert!(codes(&v).iter().all(|c| c == code), "{key}={value}: {v}");
        let msg = finding_with(&v, code)["message"].as_str().unwrap();
        assert!(msg.contains(key), "{msg}");
    }
}

#[test]
fn llama_context_length_is_counted_by_the_memory_guard() {
    let env = Env::new();
    // 2^31 positions of RoPE tables: hundreds of GB, declined on any machine.
    let dir = crafted_config(&env, "p31", TinyArch::Llama, |c| {
        c["max_position_embeddings"] = (1u64 << 31).into()
    });
    crafted(&env, &dir, 2);
    let (_, _, err) = env.run(&["smoke", dir.to_str().unwrap()]);
    assert!(err.contains("declined") && err.contains("GiB"), "{err}");
    // 2^24 positions: about 2.3 GB of tables, declined below that, whatever the weights weigh.
    let dir = crafted_config(&env, "p24", TinyArch::Llama, |c| {
        c["max_position_embeddings"] = (1u64 << 24).into()
    });
    crafted_with(&env, &dir, 2, &[("MODELVET_SMOKE_AVAILABLE_MEMORY", "1G")]);
    // 2^20 positions runs, and stays inside the estimate (`crafted` checks peak RSS against it).
    let dir = crafted_config(&env, "p20", TinyArch::Llama, |c| {
        c["max_position_embeddings"] = (1u64 << 20).into()
    });
    let v = crafted(&env, &dir, 0);
    assert_eq!(v["smoke"]["status"], "passed", "{v}");
    let est = v["smoke"]["details"]["memory_estimate_bytes"]
        .as_u64()
        .unwrap();
    assert!(est > 100 << 20, "the tables are counted: {est}");
}
