//! A Keras config (JSON with class_name) as the scanner reads it.
#![no_main]

#[path = "common.rs"]
mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| common::scan_as("config.json", data));
