//! Manifests: our YAML and sha256sum/SHA256SUMS lines.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = modelvet::manifest::Manifest::parse(text);
    }
});
