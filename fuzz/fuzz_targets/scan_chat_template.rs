//! Chat templates: the minijinja parse and constant folding of the scanner.
#![no_main]

#[path = "common.rs"]
mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| common::scan_as("chat_template.jinja", data));
