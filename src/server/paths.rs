//! Route parameters, checked before anything looks them up. A NAME with a slash (`owner/name`)
//! is two path segments; no segment may be empty, `.` or `..` (also when percent-encoded: axum
//! decodes before we see it), hold a backslash or a control character, or start a path.

use super::error::ApiError;

/// What a `/api/v1/models/…` path names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelPath {
    /// `NAME`: the model at its newest revision.
    Model(String),
    /// `NAME/revisions/REV[/ACTION]`.
    Revision {
        name: String,
        rev: String,
        action: Option<String>,
    },
}

/// Checks one path segment.
pub fn check_segment(seg: &str) -> Result<(), ApiError> {
    if seg.is_empty() || seg == "." || seg == ".." {
        return Err(ApiError::bad_request(format!(
            "`{seg}` is not allowed as a path segment"
        )));
    }
    if seg.len() > 256 || seg.chars().any(|c| c == '\\' || c.is_control()) {
        return Err(ApiError::bad_request(
            "a path segment is too long or holds a backslash or a control character",
        ));
    }
    Ok(())
}

/// Checks a model name given in a route (`owner/name` or `name`).
pub fn check_name(name: &str) -> Result<(), ApiError> {
    if name.starts_with('/') {
        return Err(ApiError::bad_request(
            "a model name cannot be an absolute path",
        ));
    }
    name.split('/').try_for_each(check_segment)
}

/// Parses the part after `/api/v1/models/`.
pub fn model_path(rest: &str) -> Result<ModelPath, ApiError> {
    if rest.starts_with('/') {
        return Err(ApiError::bad_request(
            "a model name cannot be an absolute path",
        ));
    }
    let segs: Vec<&str> = rest.split('/').collect();
    for s in &segs {
        check_segment(s)?;
    }
    match segs.iter().skip(1).position(|s| *s == "revisions") {
        None => Ok(ModelPath::Model(segs.join("/"))),
        Some(i) => {
            let i = i + 1;
            let name = segs[..i].join("/");
            let rev = segs
                .get(i + 1)
                .ok_or_else(|| ApiError::not_found("name a revision: …/revisions/REV"))?;
            let action = match &segs[i + 2..] {
                [] => None,
                [one] => Some(one.to_string()),
                _ => return Err(ApiError::not_found("no such route")),
            };
            Ok(ModelPath::Revision {
                name,
                rev: rev.to_string(),
                action,
            })
        }
    }
}

/// Splits a page route's `NAME[@REV]`.
pub fn name_at_rev(rest: &str) -> Result<(String, Option<String>), ApiError> {
    let (name, rev) = match rest.rsplit_once('@') {
        Some((n, r)) if !n.is_empty() => (n, Some(r)),
        _ => (rest, None),
    };
    check_name(name)?;
    if let Some(r) = rev {
        check_segment(r)?;
    }
    Ok((name.to_string(), rev.map(str::to_string)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_paths() {
        assert_eq!(
            model_path("acme/x").unwrap(),
            ModelPath::Model("acme/x".into())
        );
        assert_eq!(
            model_path("acme/x/revisions/abc/report").unwrap(),
            ModelPath::Revision {
                name: "acme/x".into(),
                rev: "abc".into(),
                action: Some("report".into())
            }
        );
        assert_eq!(
            model_path("revisions").unwrap(),
            ModelPath::Model("revisions".into())
        );
        for bad in [
            "../etc",
            "acme/..",
            "/etc/passwd",
            "a//b",
            "a/./b",
            "a\\b",
            "a/revisions/..",
        ] {
            assert!(model_path(bad).is_err(), "{bad}");
        }
        assert!(name_at_rev("../x@1").is_err());
        assert_eq!(
            name_at_rev("acme/x@abc").unwrap(),
            ("acme/x".into(), Some("abc".into()))
        );
    }
}
