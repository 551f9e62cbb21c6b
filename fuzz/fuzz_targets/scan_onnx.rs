//! The ONNX protobuf scanner.
#![no_main]

#[path = "common.rs"]
mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| common::scan_as("model.onnx", data));
