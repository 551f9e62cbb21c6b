//! The audit policy file.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = modelvet::policy::Policy::parse(text, "policy.yaml");
    }
});
