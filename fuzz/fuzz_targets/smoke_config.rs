//! The smoke test of a safetensors model with a fuzzed `config.json` over fixed tiny weights
//! (the first byte picks BERT or llama weights): every size in the config is checked against the
//! tensors before candle sees it.
#![no_main]

#[path = "common.rs"]
mod common;

use modelvet::runtime::tiny::{self, TinyArch};
use std::path::PathBuf;
use std::sync::OnceLock;

fn model(arch: TinyArch) -> PathBuf {
    let dir = common::scratch().join(arch.name());
    if !dir.join("model.safetensors").is_file() {
        tiny::write_model(&dir, arch).expect("tiny model");
    }
    dir
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    static DIRS: OnceLock<[PathBuf; 2]> = OnceLock::new();
    let dirs = DIRS.get_or_init(|| [model(TinyArch::Bert), model(TinyArch::Llama)]);
    let Some((pick, config)) = data.split_first() else {
        return;
    };
    let dir = &dirs[usize::from(pick & 1)];
    std::fs::write(dir.join("config.json"), config).expect("write config");
    let _ = modelvet::runtime::smoke(dir, &common::smoke_options());
});
