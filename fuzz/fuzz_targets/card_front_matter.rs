//! Model cards: a README.md's YAML front matter, read by `add` (front-matter extraction, the
//! YAML parser and its budgets, license and base-model claims).
#![no_main]

#[path = "common.rs"]
mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let dir = common::scratch().join("card");
    std::fs::create_dir_all(&dir).expect("card dir");
    std::fs::write(dir.join("README.md"), data).expect("write card");
    let opts = modelvet::ingest::LocalOptions {
        name: None,
        progress: &modelvet::hashing::NoProgress,
        read_weights: true,
    };
    let _ = modelvet::ingest::ingest_local(&dir, &opts);
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = modelvet::ingest::parse_card_yaml(text);
    }
});
