//! License knowledge base and resolution (being built; see issue 3).

/// SPDX ids of the OSI-approved licenses models commonly ship under.
pub fn osi_approved_ids() -> Vec<String> {
    [
        "Apache-2.0",
        "MIT",
        "BSD-2-Clause",
        "BSD-3-Clause",
        "ISC",
        "MPL-2.0",
        "GPL-2.0-only",
        "GPL-3.0-only",
        "LGPL-2.1-only",
        "LGPL-3.0-only",
        "AGPL-3.0-only",
        "Unlicense",
        "0BSD",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}
