//! Audit findings: facts about a model, recorded with it, never errors.
//!
//! Every finding has a stable kebab-case code, declared once in its module's code enum
//! ([`finding_codes!`](crate::finding_codes)); `docs/findings.md` lists them all and a test-only
//! module (`finding_docs`) keeps the two in step.

use serde::{Deserialize, Serialize};
use std::fmt;

/// How bad a finding is, ordered from `Info` (lowest) to `Critical`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    /// All severities, lowest first.
    pub const ALL: [Severity; 5] = [
        Severity::Info,
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];

    /// The lowercase name used in JSON, policies and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Severity::ALL
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| {
                format!("unknown severity `{s}` (expected info, low, medium, high or critical)")
            })
    }
}

/// A finding code: its stable id, default severity and a one-line summary for the docs table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Code {
    pub id: &'static str,
    pub severity: Severity,
    pub summary: &'static str,
}

/// One fact about a model worth telling the user, with where it was seen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub code: String,
    pub severity: Severity,
    /// The file (relative to the model root, `/`-separated) or other location it is about.
    pub path: Option<String>,
    pub message: String,
    /// Supporting detail: an offset, a pickle global, a digest, an API field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<String>,
}

/// Anything that names a finding code: a [`Code`], or a variant of a module's code enum
/// (declared with [`finding_codes!`](crate::finding_codes)).
pub trait AsCode {
    /// The code as data.
    fn as_code(&self) -> Code;
}

impl AsCode for Code {
    fn as_code(&self) -> Code {
        *self
    }
}

/// Declares a module's finding codes as an enum, so the compiler checks every use. Each variant
/// names its stable kebab-case id, default severity and the summary `docs/findings.md` shows:
///
/// ```ignore
/// finding_codes! {
///     /// Finding codes of verification.
///     pub enum VerifyCode {
///         HashMismatch = "hash-mismatch", Critical, "a file's bytes do not match the recorded digest";
///     }
/// }
/// ```
#[macro_export]
macro_rules! finding_codes {
    ($(#[$meta:meta])* $vis:vis enum $name:ident {
        $($variant:ident = $id:literal, $sev:ident, $summary:literal;)*
    }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        $vis enum $name {
            $(#[doc = $summary] $variant,)*
        }

        impl $name {
            /// Every code, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)*];

            /// The stable kebab-case id.
            pub const fn id(self) -> &'static str {
                match self { $($name::$variant => $id,)* }
            }

            /// The default severity.
            pub const fn severity(self) -> $crate::finding::Severity {
                match self { $($name::$variant => $crate::finding::Severity::$sev,)* }
            }

            /// The one-line summary in `docs/findings.md`.
            pub const fn summary(self) -> &'static str {
                match self { $($name::$variant => $summary,)* }
            }

            /// The code with this id, if it is one of these.
            pub fn from_id(id: &str) -> Option<$name> {
                $name::ALL.iter().copied().find(|c| c.id() == id)
            }

            /// The code as data.
            pub const fn code(self) -> $crate::finding::Code {
                $crate::finding::Code { id: self.id(), severity: self.severity(), summary: self.summary() }
            }
        }

        impl $crate::finding::AsCode for $name {
            fn as_code(&self) -> $crate::finding::Code {
                self.code()
            }
        }

        impl PartialEq<$name> for String {
            fn eq(&self, other: &$name) -> bool {
                self == other.id()
            }
        }
    };
}

impl Finding {
    /// A finding of `code` at its default severity.
    pub fn new(code: &impl AsCode, message: impl Into<String>) -> Self {
        let code = code.as_code();
        Finding {
            code: code.id.to_string(),
            severity: code.severity,
            path: None,
            message: message.into(),
            evidence: None,
        }
    }

    /// Sets the location the finding is about.
    pub fn at(mut self, path: impl Into<String>) -> Self {
        self.path = Some(path.into());
        self
    }

    /// Attaches supporting evidence.
    pub fn with_evidence(mut self, evidence: impl Into<String>) -> Self {
        self.evidence = Some(evidence.into());
        self
    }

    /// Overrides the default severity (for codes whose weight depends on context).
    pub fn with_severity(mut self, severity: Severity) -> Self {
        self.severity = severity;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severity_order_and_parse() {
        assert!(Severity::Critical > Severity::High && Severity::Info < Severity::Low);
        assert_eq!("medium".parse::<Severity>().unwrap(), Severity::Medium);
        assert!("severe".parse::<Severity>().is_err());
    }
}
