//! The pickle scanner (raw pickle streams).
#![no_main]

#[path = "common.rs"]
mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| common::scan_as("data.pkl", data));
