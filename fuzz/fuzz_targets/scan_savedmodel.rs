//! The TensorFlow SavedModel scanner (`saved_model.pb`: the protobuf graph and its function
//! library, judged op by op).
#![no_main]

#[path = "common.rs"]
mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| common::scan_as("saved_model.pb", data));
