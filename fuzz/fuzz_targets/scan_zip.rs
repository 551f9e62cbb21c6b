//! Zip archives (torch zips, nested members) as the scanner opens them.
#![no_main]

#[path = "common.rs"]
mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| common::scan_as("archive.zip", data));
