//! Why an openness requirement was not met: the codes of [`Reason`](crate::record::Reason)s,
//! listed in `docs/findings.md` beside the finding codes. Reasons explain a class; they are not
//! findings and carry no severity.

macro_rules! reason_codes {
    ($($variant:ident = $id:literal, $summary:literal;)*) => {
        /// The code of an openness reason.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ReasonCode {
            $(#[doc = $summary] $variant,)*
        }

        impl ReasonCode {
            /// Every reason code, in declaration order.
            pub const ALL: &'static [ReasonCode] = &[$(ReasonCode::$variant,)*];

            /// The stable kebab-case id.
            pub const fn id(self) -> &'static str {
                match self { $(ReasonCode::$variant => $id,)* }
            }

            /// The one-line summary in `docs/findings.md`.
            pub const fn summary(self) -> &'static str {
                match self { $(ReasonCode::$variant => $summary,)* }
            }
        }
    };
}

reason_codes! {
    OsaidComponentMissing = "osaid-component-missing", "a component OSAID 1.0 requires is not supplied";
    OsaidLicenseMissing = "osaid-license-missing", "a component OSAID 1.0 requires is supplied without a license";
    OsaidLicenseNotOpen = "osaid-license-not-open", "a component's license is not OSI-approved (code) or not OSD-conformant (weights, data)";
    OsaidLicenseNotRecognised = "osaid-license-not-recognised", "a component's license is not recognised, so it cannot count as open";
    OsaidDataInformationMissing = "osaid-data-information-missing", "neither the datasets nor a data card with a research paper or technical report are available under open terms";
    MofComponentMissing = "mof-component-missing", "a component a MOF class requires is not supplied";
    MofComponentUnlicensed = "mof-component-unlicensed", "a component a MOF class requires is supplied without a license";
    MofLicenseNotOpen = "mof-license-not-open", "a component's license is not one the MOF accepts as open";
    MofLicenseNotTypeAppropriate = "mof-license-not-type-appropriate", "a component's license is open but not one the MOF lists for its content type";
    MofStrictComponentMissing = "mof-strict-component-missing", "as `mof-component-missing`, in the strict evaluation";
    MofStrictComponentUnlicensed = "mof-strict-component-unlicensed", "as `mof-component-unlicensed`, in the strict evaluation (no inheriting the distribution license)";
    MofStrictLicenseNotOpen = "mof-strict-license-not-open", "as `mof-license-not-open`, in the strict evaluation";
    MofStrictLicenseNotTypeAppropriate = "mof-strict-license-not-type-appropriate", "as `mof-license-not-type-appropriate`, in the strict evaluation, where it counts";
}

/// What is wrong with one component for a MOF class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MofProblem {
    ComponentMissing,
    ComponentUnlicensed,
    LicenseNotOpen,
    LicenseNotTypeAppropriate,
}

impl ReasonCode {
    /// The code of a MOF problem in the MOT's evaluation or the strict one.
    pub fn mof(problem: MofProblem, strict: bool) -> ReasonCode {
        use MofProblem::*;
        match (problem, strict) {
            (ComponentMissing, false) => ReasonCode::MofComponentMissing,
            (ComponentUnlicensed, false) => ReasonCode::MofComponentUnlicensed,
            (LicenseNotOpen, false) => ReasonCode::MofLicenseNotOpen,
            (LicenseNotTypeAppropriate, false) => ReasonCode::MofLicenseNotTypeAppropriate,
            (ComponentMissing, true) => ReasonCode::MofStrictComponentMissing,
            (ComponentUnlicensed, true) => ReasonCode::MofStrictComponentUnlicensed,
            (LicenseNotOpen, true) => ReasonCode::MofStrictLicenseNotOpen,
            (LicenseNotTypeAppropriate, true) => ReasonCode::MofStrictLicenseNotTypeAppropriate,
        }
    }
}
