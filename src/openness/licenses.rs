//! The Model Openness Tool's license judgement, reproduced exactly.
//!
//! These lists are MOT facts, not our opinion (shared/reference/openness.md §2.3): the MOT's
//! `LicenseHandler::isOpenSourceLicense` accepts a license string when it is, *as an exact SPDX
//! id*, OSI-approved or FSF-libre (its `licenses.json`, SPDX list d8abdb0 of 2024-05-21), or in
//! its `OPEN_DATA_LICENSES` or `OPEN_LICENSES`. Type-appropriateness comes from its
//! `mof-licenses.json` (`ContentType`), imported last-write-wins.
//!
//! We read the OSI/FSF flags from the `spdx` crate's list, which is newer than the MOT's pinned
//! one: ids added to SPDX since 2024-05 with either flag count here and would not in the MOT.

use super::components::ContentType;

/// The MOT's `OPEN_DATA_LICENSES` (31 ids, exact).
pub const OPEN_DATA_LICENSES: [&str; 31] = [
    "CC0-1.0",
    "CC-BY-1.0",
    "CC-BY-2.0",
    "CC-BY-2.5",
    "CC-BY-2.5-AU",
    "CC-BY-3.0",
    "CC-BY-3.0-AT",
    "CC-BY-3.0-AU",
    "CC-BY-3.0-DE",
    "CC-BY-3.0-IGO",
    "CC-BY-3.0-NL",
    "CC-BY-3.0-US",
    "CC-BY-4.0",
    "CC-BY-SA-1.0",
    "CC-BY-SA-2.0",
    "CC-BY-SA-2.0-UK",
    "CC-BY-SA-2.1-JP",
    "CC-BY-SA-2.5",
    "CC-BY-SA-3.0",
    "CC-BY-SA-3.0-AT",
    "CC-BY-SA-4.0",
    "CDLA-Permissive-1.0",
    "CDLA-Permissive-2.0",
    "CDLA-Sharing-1.0",
    "ODC-PDDL-1.0",
    "ODC-By-1.0",
    "ODbL-1.0",
    "GFDL-1.3",
    "OGL-Canada-2.0",
    "OGL-UK-2.0",
    "OGL-UK-3.0",
];

/// The MOT's `OPEN_LICENSES`: licenses it accepts for every content type.
pub const OPEN_LICENSES: [&str; 1] = ["OpenMDW-1.0"];

/// `mof-licenses.json`, `ContentType: code` (after the last-write-wins import).
const CODE_OK: &[&str] = &[
    "0BSD",
    "AFL-1.1",
    "AFL-1.2",
    "AFL-2.0",
    "AFL-2.1",
    "AFL-3.0",
    "Apache-1.0",
    "Apache-1.1",
    "Apache-2.0",
    "ECL-1.0",
    "ECL-2.0",
    "ISC",
    "MIT",
    "MIT-0",
    "MulanPSL-1.0",
    "MulanPSL-2.0",
    "NCSA",
    "UPL-1.0",
    "OpenMDW-1.0",
];

/// `ContentType: data`. CC-PDDC and CC0-1.0 are listed for data too but the import leaves them
/// `document`-only (the MOT's quirk, kept: it only changes a warning).
const DATA_OK: &[&str] = &[
    "CDLA-Permissive-1.0",
    "CDLA-Permissive-2.0",
    "C-UDA-1.0",
    "PDDL-1.0",
    "OpenMDW-1.0",
];

/// `ContentType: document`.
const DOCUMENT_OK: &[&str] = &[
    "Apache-2.0",
    "CC-BY-4.0",
    "CC-BY-SA-3.0",
    "CC-BY-SA-4.0",
    "FreeBSD-DOC",
    "CC-PDDC",
    "CC0-1.0",
    "OpenMDW-1.0",
];

/// The MOT's string for an included component without a license.
pub const UNLICENSED: &str = "unlicensed";

/// Whether the MOT counts `license` as open: exact SPDX id, OSI or FSF, or one of its lists.
pub fn mot_is_open(license: &str) -> bool {
    if OPEN_DATA_LICENSES.contains(&license) || OPEN_LICENSES.contains(&license) {
        return true;
    }
    exact_spdx(license).is_some_and(|id| id.is_osi_approved() || id.is_fsf_free_libre())
}

/// Whether the MOT calls `license` type-appropriate for `content_type` (a warning when not).
pub fn mot_type_ok(license: &str, content_type: ContentType) -> bool {
    let list = match content_type {
        ContentType::Code => CODE_OK,
        ContentType::Data => DATA_OK,
        ContentType::Document => DOCUMENT_OK,
    };
    list.contains(&license)
}

/// The SPDX license with exactly this id (the `spdx` crate trims a trailing `+`; the MOT does not).
pub fn exact_spdx(license: &str) -> Option<spdx::LicenseId> {
    spdx::license_id(license).filter(|id| id.name == license)
}

/// For a license string the MOT rejects, the SPDX id the user probably meant (`Apache 2.0`).
pub fn spdx_hint(license: &str) -> Option<&'static str> {
    if exact_spdx(license).is_some() {
        return None;
    }
    if let Some(id) = spdx::license_id(license) {
        return Some(id.name);
    }
    let squash = |s: &str| {
        s.chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .flat_map(|c| c.to_lowercase())
            .collect::<String>()
    };
    let want = squash(
        license
            .trim_end_matches(" License")
            .trim_end_matches(" license"),
    );
    if want.is_empty() {
        return None;
    }
    // Compare with dashes and dots dropped: "Apache 2.0" → "apache20" = "Apache-2.0".
    for id in OPEN_DATA_LICENSES.iter().chain(CODE_OK).chain(DOCUMENT_OK) {
        if squash(id) == want {
            return exact_spdx(id).map(|l| l.name).or(Some(id));
        }
    }
    let common = [
        "Apache-2.0",
        "MIT",
        "BSD-2-Clause",
        "BSD-3-Clause",
        "GPL-2.0-only",
        "GPL-3.0-only",
        "LGPL-2.1-only",
        "LGPL-3.0-only",
        "AGPL-3.0-only",
        "MPL-2.0",
        "CC-BY-NC-4.0",
        "CC-BY-NC-SA-4.0",
        "CC-BY-ND-4.0",
        "Unlicense",
    ];
    for id in common {
        if squash(id) == want {
            return Some(id);
        }
    }
    match want.as_str() {
        "bsd3" | "bsd3clause" | "newbsd" => Some("BSD-3-Clause"),
        "bsd2" | "bsd2clause" | "simplifiedbsd" => Some("BSD-2-Clause"),
        "mitlicense" | "themitlicense" => Some("MIT"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_by_osi_fsf_or_lists_exact_ids_only() {
        for open in [
            "Apache-2.0",
            "MIT",
            "GPL-3.0-only",
            "CC-BY-4.0",
            "CC0-1.0",
            "CDLA-Permissive-2.0",
            "ODC-By-1.0",
            "OpenMDW-1.0",
            "BSD-3-Clause",
        ] {
            assert!(mot_is_open(open), "{open} should be open");
        }
        for closed in [
            "Apache 2.0",
            "apache-2.0",
            "MIT License",
            "BSD-3",
            "CC BY-SA 4.0",
            "CC-BY-NC-4.0",
            "Llama 2 Community License",
            "Gemma Terms of Use",
            "OpenRAIL",
            "BigScience-BLOOM-RAIL-1.0",
            "Proprietary",
            "unlicensed",
            "",
            "Apache-2.0 OR MIT",
            "MIT+",
        ] {
            assert!(!mot_is_open(closed), "{closed:?} must not be open");
        }
    }

    #[test]
    fn spdx_flags_agree_with_the_mot_test_corpus() {
        // Ids whose openness decides a class figure in the MOT's Test_Data/expected_results.json.
        for (id, open) in [
            ("SMLNJ", true),
            ("IPL-1.0", true),
            ("MIT-0", true),
            ("ECL-1.0", true),
            ("AFL-1.1", true),
            ("NCSA", true),
            ("CC-BY-3.0-NL", true),
            ("CC-BY-SA-3.0-AT", true),
            ("ODbL-1.0", true),
            ("zlib-acknowledgement", false),
            ("Net-SNMP", false),
            ("Soundex", false),
            ("BSD-4.3TAHOE", false),
            ("TORQUE-1.1", false),
            ("CC-BY-NC-2.5", false),
        ] {
            assert_eq!(mot_is_open(id), open, "{id}");
        }
    }

    #[test]
    fn type_lists_follow_the_mot_import() {
        assert!(mot_type_ok("Apache-2.0", ContentType::Code));
        assert!(mot_type_ok("Apache-2.0", ContentType::Document));
        assert!(!mot_type_ok("Apache-2.0", ContentType::Data));
        assert!(mot_type_ok("CDLA-Permissive-2.0", ContentType::Data));
        // Last-write-wins quirk: CC0-1.0 ends up document-only.
        assert!(!mot_type_ok("CC0-1.0", ContentType::Data));
        assert!(mot_type_ok("CC0-1.0", ContentType::Document));
        assert!(mot_type_ok("OpenMDW-1.0", ContentType::Data));
        assert!(!mot_type_ok("GPL-3.0-only", ContentType::Code));
    }

    #[test]
    fn hints_for_near_spdx_spellings() {
        assert_eq!(spdx_hint("Apache 2.0"), Some("Apache-2.0"));
        assert_eq!(spdx_hint("MIT License"), Some("MIT"));
        assert_eq!(spdx_hint("BSD-3"), Some("BSD-3-Clause"));
        assert_eq!(spdx_hint("CC BY-SA 4.0"), Some("CC-BY-SA-4.0"));
        assert_eq!(spdx_hint("Apache-2.0"), None);
        assert_eq!(spdx_hint("Llama 2 Community License"), None);
    }
}
