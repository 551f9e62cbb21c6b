//! Unit tests of the runtime on tiny random models written by [`super::tiny`].

use super::tiny::{self, TinyArch};
use super::*;
use std::path::Path;

fn opts() -> SmokeOptions {
    SmokeOptions {
        max_new_tokens: 3,
        ..SmokeOptions::default()
    }
}

fn codes(o: &SmokeOutcome) -> Vec<&str> {
    o.findings.iter().map(|f| f.code.as_str()).collect()
}

#[test]
fn every_tiny_architecture_passes() {
    for arch in TinyArch::ALL {
        let dir = tempfile::tempdir().unwrap();
        tiny::write_model(dir.path(), arch).unwrap();
        let o = smoke(dir.path(), &opts()).unwrap();
        assert_eq!(o.section.status, "passed", "{arch:?}: {:?}", o.findings);
        assert_eq!(o.section.architecture.as_deref(), Some(arch.name()));
        assert!(o.section.fingerprint.is_some(), "{arch:?}");
        assert!(o.section.parameters.unwrap() > 0);
    }
}

#[test]
fn tiny_gguf_architectures_generate() {
    for arch in tiny::GGUF_ARCHES {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("tiny.gguf");
        tiny::write_gguf(&p, arch, candle_core::quantized::GgmlDType::Q8_0).unwrap();
        let o = smoke(&p, &opts()).unwrap();
        assert_eq!(o.section.status, "passed", "{arch}: {:?}", o.findings);
        let d = o.section.details.unwrap();
        assert_eq!(d["generated_token_ids"].as_array().unwrap().len(), 3);
        assert!(
            d["dtypes"].as_array().unwrap().len() >= 2,
            "mixed types: {d}"
        );
    }
}

#[test]
fn sample_scan_sees_nan_and_zero() {
    let mut data = vec![0u8; 4 * 10];
    assert_eq!(safetensors::sample_scan("F32", &data, 4, 4096), (10, 0, 10));
    data[8..12].copy_from_slice(&f32::NAN.to_le_bytes());
    assert_eq!(safetensors::sample_scan("F32", &data, 4, 4096).1, 1);
    let bf = [0x80u8, 0x7f]; // bf16 +inf
    assert_eq!(safetensors::classify("BF16", &bf), (true, false));
    let h = [0x00u8, 0x7c]; // f16 +inf
    assert_eq!(safetensors::classify("F16", &h), (true, false));
}

#[test]
fn memory_override_declines() {
    let dir = tempfile::tempdir().unwrap();
    tiny::write_model(dir.path(), TinyArch::Bert).unwrap();
    let o = SmokeOptions {
        available_memory: Some(1 << 20),
        ..opts()
    };
    let err = smoke(dir.path(), &o).unwrap_err();
    assert!(err.to_string().contains("declined"), "{err}");
}

#[test]
fn missing_and_misshapen_tensors_are_all_reported() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = tiny::config(TinyArch::Llama);
    let mut ts = tiny::tensors(TinyArch::Llama, &cfg).unwrap();
    ts.remove("model.layers.0.mlp.up_proj.weight");
    ts.remove("model.layers.1.mlp.up_proj.weight");
    ts.insert(
        "model.norm.weight".into(),
        candle_core::Tensor::ones(63, candle_core::DType::F32, &candle_core::Device::Cpu).unwrap(),
    );
    std::fs::write(dir.path().join("config.json"), cfg.to_string()).unwrap();
    tiny::write_safetensors(&dir.path().join("model.safetensors"), &ts).unwrap();
    let o = smoke(dir.path(), &opts()).unwrap();
    assert_eq!(o.section.status, "failed");
    let c = codes(&o);
    assert_eq!(
        c.iter().filter(|c| **c == "smoke-tensor-missing").count(),
        2,
        "{c:?}"
    );
    assert!(c.contains(&"smoke-tensor-shape-mismatch"), "{c:?}");
    assert!(o.section.fingerprint.is_none());
}

fn write_llama(
    dir: &Path,
    edit: impl FnOnce(
        &mut serde_json::Value,
        &mut std::collections::BTreeMap<String, candle_core::Tensor>,
    ),
) {
    let mut cfg = tiny::config(TinyArch::Llama);
    let mut ts = tiny::tensors(TinyArch::Llama, &cfg).unwrap();
    edit(&mut cfg, &mut ts);
    std::fs::write(dir.join("config.json"), cfg.to_string()).unwrap();
    tiny::write_safetensors(&dir.join("model.safetensors"), &ts).unwrap();
}

#[test]
fn integer_weight_is_a_dtype_mismatch() {
    let dir = tempfile::tempdir().unwrap();
    write_llama(dir.path(), |_, ts| {
        let t = candle_core::Tensor::zeros(64, candle_core::DType::I64, &candle_core::Device::Cpu);
        ts.insert("model.norm.weight".into(), t.unwrap());
    });
    let o = smoke(dir.path(), &opts()).unwrap();
    assert_eq!(codes(&o), ["smoke-tensor-dtype-mismatch"]);
    assert_eq!(o.section.status, "failed");
}

#[test]
fn bf16_weights_run_and_are_recorded() {
    let dir = tempfile::tempdir().unwrap();
    write_llama(dir.path(), |_, ts| {
        for t in ts.values_mut() {
            *t = t.to_dtype(candle_core::DType::BF16).unwrap();
        }
    });
    let o = smoke(dir.path(), &opts()).unwrap();
    assert_eq!(o.section.status, "passed", "{:?}", o.findings);
    assert_eq!(
        o.section.details.unwrap()["dtypes"],
        serde_json::json!(["BF16"])
    );
}

#[test]
fn zero_matrix_is_suspicious_but_not_broken() {
    let dir = tempfile::tempdir().unwrap();
    write_llama(dir.path(), |_, ts| {
        let name = "model.layers.0.mlp.down_proj.weight";
        let z = ts[name].zeros_like().unwrap();
        ts.insert(name.into(), z);
    });
    let o = smoke(dir.path(), &opts()).unwrap();
    assert_eq!(codes(&o), ["smoke-tensor-all-zero"]);
    assert_eq!(o.section.status, "passed");
}

#[test]
fn config_missing_a_field_is_invalid() {
    let dir = tempfile::tempdir().unwrap();
    write_llama(dir.path(), |cfg, _| {
        cfg.as_object_mut().unwrap().remove("hidden_size");
    });
    let o = smoke(dir.path(), &opts()).unwrap();
    assert_eq!(codes(&o), ["smoke-config-invalid"]);
    assert!(
        o.findings[0].message.contains("hidden_size"),
        "{:?}",
        o.findings
    );
}

#[test]
fn gguf_missing_tensor_and_tied_output_are_told_apart() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("m.gguf");
    // No `output.weight`: tied to the embeddings, normal.
    tiny::write_gguf_filtered(&p, "qwen2", candle_core::quantized::GgmlDType::Q4_0, |n| {
        n != "output.weight"
    })
    .unwrap();
    let o = smoke(&p, &opts()).unwrap();
    assert_eq!(o.section.status, "passed", "{:?}", o.findings);
    tiny::write_gguf_filtered(&p, "qwen2", candle_core::quantized::GgmlDType::Q4_0, |n| {
        n != "blk.1.attn_k.bias"
    })
    .unwrap();
    let o = smoke(&p, &opts()).unwrap();
    assert_eq!(codes(&o), ["smoke-tensor-missing"]);
    assert_eq!(o.section.status, "failed");
}

#[test]
fn folder_without_config_is_unsupported_and_structure_checked() {
    let dir = tempfile::tempdir().unwrap();
    tiny::write_model(dir.path(), TinyArch::Bert).unwrap();
    std::fs::remove_file(dir.path().join("config.json")).unwrap();
    let o = smoke(dir.path(), &opts()).unwrap();
    assert_eq!(o.section.status, "unsupported");
    assert_eq!(
        o.section.architecture.as_deref(),
        Some("unknown (no config.json)")
    );
    assert!(o.section.parameters.unwrap() > 0);
}

#[test]
fn caught_panics_print_nothing_and_the_previous_hook_comes_back() {
    const CHILD: &str = "MODELVET_QUIET_PANIC_CHILD";
    if std::env::var_os(CHILD).is_some() {
        let r: Result<(), String> = guarded(|| panic!("boom inside the guard"));
        assert_eq!(r.unwrap_err(), "panic in model code: boom inside the guard");
        // Outside the guard the default hook prints again.
        let _ = std::thread::spawn(|| panic!("after the guard")).join();
        return;
    }
    // The hook is process-wide: look at a child's stderr, not this test binary's.
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "runtime::tests::caught_panics_print_nothing_and_the_previous_hook_comes_back",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD, "1")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(!err.contains("boom inside the guard"), "{err}");
    assert!(err.contains("after the guard"), "{err}");
}
