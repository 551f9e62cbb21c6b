//! Typed ids: a model's name and revision, the `NAME@REV` id they make, file digests and the
//! license expression modelvet writes; and [`string_enum!`](crate::string_enum) for the record's
//! closed sets of names. Each serializes as the plain string the record has always
//! used; the digests are checked when they are parsed, so a value of these types is well formed.
//!
//! Conversion happens at the edges (command-line arguments, database rows, JSON, the Hub's
//! listings); inside, functions take and return these types.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// A closed set of names, serialized as the strings the record and the catalogue have always
/// used: `as_str`, `parse`, `ALL`, `Display` and comparison with `&str`, written once.
#[macro_export]
macro_rules! string_enum {
    ($(#[$meta:meta])* pub enum $name:ident { $($(#[doc = $doc:literal])* $variant:ident = $s:literal,)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, ::serde::Serialize, ::serde::Deserialize)]
        pub enum $name {
            $($(#[doc = $doc])* #[serde(rename = $s)] $variant,)*
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)*];

            /// The name used in JSON and the catalogue.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $s,)* }
            }

            /// Parses the name.
            pub fn parse(s: &str) -> Option<$name> {
                $name::ALL.iter().copied().find(|v| v.as_str() == s)
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.as_str() == *other
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

/// The trait impls every string-backed id shares: display, `as_str` (and `Deref` to `str`),
/// comparison with strings, and serialization as the bare string.
macro_rules! string_id {
    ($name:ident) => {
        impl $name {
            /// The id as written.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// The owned string.
            pub fn into_string(self) -> String {
                self.0
            }
        }

        // `pad`, so that widths and alignment (`{:<20}`) apply as they do to strings.
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.pad(&self.0)
            }
        }

        // Read-only access to the text: a value can only be made through the constructors.
        impl std::ops::Deref for $name {
            type Target = str;

            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl PartialEq<String> for $name {
            fn eq(&self, other: &String) -> bool {
                self.0 == *other
            }
        }

        impl From<$name> for String {
            fn from(v: $name) -> String {
                v.0
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }
    };
}

/// A free-form id: any string is one (names come from users, cards and folders).
macro_rules! free_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
        pub struct $name(String);

        impl $name {
            /// Wraps a string as written.
            pub fn new(s: impl Into<String>) -> $name {
                $name(s.into())
            }
        }

        string_id!($name);

        impl From<String> for $name {
            fn from(s: String) -> $name {
                $name(s)
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> $name {
                $name(s.to_string())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<$name, D::Error> {
                String::deserialize(d).map($name)
            }
        }
    };
}

free_id! {
    /// A model's name in the catalogue: `owner/name` for a Hub model, or what `--name`, the card
    /// or the folder gave.
    ModelName
}

free_id! {
    /// A revision of a model: the Hub commit, or for local sources the first 12 hex digits of the
    /// manifest's SHA-256.
    Revision
}

free_id! {
    /// An SPDX license expression as modelvet writes it: SPDX ids, `LicenseRef-…` for terms SPDX
    /// does not list, joined with `AND`/`OR`/`WITH`, or `NOASSERTION`.
    LicenseExpr
}

/// A name someone gave that would make `NAME@REV` ambiguous or unreadable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid model name `{0}`: it must be non-empty, without `@`, spaces or control characters"
)]
pub struct ModelNameError(pub String);

impl ModelName {
    /// A name as a person gives it (`add --name`, a request): checked, since it becomes the
    /// `NAME` of `NAME@REV`. Names found in cards, folders or the catalogue go through [`new`].
    ///
    /// [`new`]: ModelName::new
    pub fn given(name: &str) -> Result<ModelName, ModelNameError> {
        if name.is_empty()
            || name.contains('@')
            || name.chars().any(|c| c.is_control() || c.is_whitespace())
        {
            return Err(ModelNameError(name.to_string()));
        }
        Ok(ModelName::new(name))
    }
}

impl LicenseExpr {
    /// The expression of a license nobody can name.
    pub const NOASSERTION: &'static str = "NOASSERTION";

    /// `NOASSERTION`.
    pub fn noassertion() -> LicenseExpr {
        LicenseExpr::new(LicenseExpr::NOASSERTION)
    }

    /// The expression, trimmed, unless it is empty or `NOASSERTION`: the license it asserts.
    pub fn asserted(&self) -> Option<&str> {
        Some(self.0.trim()).filter(|e| !e.is_empty() && *e != LicenseExpr::NOASSERTION)
    }
}

/// A hex digest that did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{value}` is not a {kind}: expected {len} hex digits")]
pub struct DigestError {
    /// What was expected (`SHA-256`, `git object id`).
    pub kind: &'static str,
    /// How many hex digits that is.
    pub len: usize,
    /// The text, shortened when long.
    pub value: String,
}

/// A fixed-length hex digest, kept in lowercase.
macro_rules! hex_digest {
    ($(#[$meta:meta])* $name:ident, $len:literal, $kind:literal) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(String);

        impl $name {
            /// Hex digits in the digest.
            pub const LEN: usize = $len;

            /// Whether `s` is such a digest in hex (either case).
            pub fn is_valid(s: &str) -> bool {
                s.len() == $len && s.bytes().all(|b| b.is_ascii_hexdigit())
            }

            /// Parses hex digits of either case; the digest keeps them in lowercase.
            pub fn parse(s: &str) -> Result<$name, DigestError> {
                $name::try_from(s.to_string())
            }

            /// The digest of raw bytes (as a hasher returns them).
            pub fn from_bytes(bytes: &[u8]) -> $name {
                debug_assert_eq!(bytes.len() * 2, $len);
                $name(hex::encode(bytes))
            }
        }

        string_id!($name);

        impl FromStr for $name {
            type Err = DigestError;

            fn from_str(s: &str) -> Result<$name, DigestError> {
                $name::parse(s)
            }
        }

        impl TryFrom<String> for $name {
            type Error = DigestError;

            fn try_from(mut s: String) -> Result<$name, DigestError> {
                if $name::is_valid(&s) {
                    s.make_ascii_lowercase();
                    Ok($name(s))
                } else {
                    Err(DigestError {
                        kind: $kind,
                        len: $len,
                        value: s.chars().take(2 * $len).collect(),
                    })
                }
            }
        }

        impl TryFrom<&str> for $name {
            type Error = DigestError;

            fn try_from(s: &str) -> Result<$name, DigestError> {
                $name::parse(s)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<$name, D::Error> {
                $name::try_from(String::deserialize(d)?).map_err(serde::de::Error::custom)
            }
        }
    };
}

hex_digest! {
    /// A SHA-256 digest: 64 hex digits, lowercase.
    Sha256, 64, "SHA-256"
}

hex_digest! {
    /// A git object id (SHA-1): 40 hex digits, lowercase. A blob id as the Hub lists regular
    /// files, or a commit.
    GitOid, 40, "git object id"
}

/// A model revision's id: its name and revision, written `NAME@REV`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ModelId {
    pub name: ModelName,
    pub revision: Revision,
}

impl ModelId {
    /// The id of `name` at `revision`.
    pub fn new(name: ModelName, revision: Revision) -> ModelId {
        ModelId { name, revision }
    }
}

impl fmt::Display for ModelId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if f.width().is_some() {
            f.pad(&format!("{}@{}", self.name, self.revision))
        } else {
            write!(f, "{}@{}", self.name, self.revision)
        }
    }
}

impl PartialEq<&str> for ModelId {
    /// Whether `other` is this id written `NAME@REV`.
    fn eq(&self, other: &&str) -> bool {
        other.rsplit_once('@') == Some((self.name.as_str(), self.revision.as_str()))
    }
}

/// Text that is not `NAME@REV`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a model id (expected NAME@REVISION)")]
pub struct ModelIdError(pub String);

impl FromStr for ModelId {
    type Err = ModelIdError;

    /// Splits at the last `@`: names may contain one, revisions do not.
    fn from_str(s: &str) -> Result<ModelId, ModelIdError> {
        match s.rsplit_once('@') {
            Some((name, rev)) if !name.is_empty() && !rev.is_empty() => {
                Ok(ModelId::new(name.into(), rev.into()))
            }
            _ => Err(ModelIdError(s.to_string())),
        }
    }
}

impl Serialize for ModelId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ModelId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<ModelId, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_are_checked_and_lowercased() {
        let upper = "AB".repeat(32);
        let d = Sha256::parse(&upper).unwrap();
        assert_eq!(d.as_str(), "ab".repeat(32));
        assert_eq!(Sha256::try_from(upper).unwrap(), d);
        assert!(Sha256::parse(&"a".repeat(63)).is_err());
        assert!(Sha256::parse(&"g".repeat(64)).is_err());
        assert!(GitOid::parse(&"a".repeat(64)).is_err());
        let e = GitOid::parse("xyz").unwrap_err();
        assert_eq!(
            e.to_string(),
            "`xyz` is not a git object id: expected 40 hex digits"
        );
        assert_eq!(GitOid::from_bytes(&[0xab; 20]).as_str(), "ab".repeat(20));
    }

    #[test]
    fn serde_is_the_bare_string() {
        let d = Sha256::parse(&"0".repeat(64)).unwrap();
        let json = serde_json::to_string(&d).unwrap();
        assert_eq!(json, format!("\"{}\"", "0".repeat(64)));
        assert_eq!(serde_json::from_str::<Sha256>(&json).unwrap(), d);
        assert!(serde_json::from_str::<Sha256>("\"beef\"").is_err());
        let id: ModelId = "org/m@abc123".parse().unwrap();
        assert_eq!(id.name, "org/m");
        assert_eq!(id.revision, "abc123");
        assert_eq!(serde_json::to_string(&id).unwrap(), "\"org/m@abc123\"");
        assert_eq!(
            serde_json::from_str::<ModelId>("\"a@b@c\"").unwrap(),
            ModelId::new("a@b".into(), "c".into())
        );
        assert!("no-revision".parse::<ModelId>().is_err());
        assert!("@rev".parse::<ModelId>().is_err());
        let name = ModelName::new("x/y");
        assert_eq!(serde_json::to_string(&name).unwrap(), "\"x/y\"");
        assert_eq!(format!("[{name:<5}]"), "[x/y  ]");
        assert_eq!(format!("[{id:>14}]"), "[  org/m@abc123]");
    }

    #[test]
    fn given_names_are_checked() {
        assert_eq!(ModelName::given("acme/m-1").unwrap(), "acme/m-1");
        for bad in ["", "a@b", "a b", "a\tb", "a\u{7}"] {
            assert!(ModelName::given(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn license_expressions_assert_a_license_or_not() {
        assert_eq!(LicenseExpr::noassertion().asserted(), None);
        assert_eq!(LicenseExpr::new("  ").asserted(), None);
        assert_eq!(LicenseExpr::new(" MIT ").asserted(), Some("MIT"));
    }
}
