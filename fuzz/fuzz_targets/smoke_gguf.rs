//! The smoke test of a GGUF file: the header pre-check, candle's reader, the metadata checked
//! against the tensors, the memory guard, and (for inputs that pass) the quantized forward pass.
//! A panic, an abort or memory past libFuzzer's limit is a finding.
#![no_main]

#[path = "common.rs"]
mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let p = common::write("model.gguf", data);
    let _ = modelvet::runtime::smoke(&p, &common::smoke_options());
});
