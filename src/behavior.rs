//! Cache behaviour selection (spec §1.4): path patterns with `*` and `?`,
//! case-sensitive, leading `/` optional, first match in order, default last,
//! matched against the RFC 3986-normalised path while the raw path still
//! goes to the origin.

use std::sync::Arc;

use crate::config::Behavior;

/// Longest path pattern CloudFront accepts.
pub const MAX_PATTERN_LEN: usize = 255;

/// A compiled path pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathPattern {
    /// As written in the config.
    source: String,
    /// With the implied leading `/`.
    normalized: Vec<u8>,
}

/// Why a pattern was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatternError {
    #[error("path pattern is empty")]
    Empty,
    #[error("path pattern is longer than {MAX_PATTERN_LEN} characters")]
    TooLong,
    #[error("path pattern contains '{0}', which CloudFront does not allow (allowed: A-Z a-z 0-9 _ - . * $ / ~ \" ' @ : + &)")]
    BadChar(char),
}

impl PathPattern {
    /// Compile a pattern, checking CloudFront's length and character rules.
    pub fn new(source: &str) -> Result<Self, PatternError> {
        if source.is_empty() {
            return Err(PatternError::Empty);
        }
        if source.len() > MAX_PATTERN_LEN {
            return Err(PatternError::TooLong);
        }
        if let Some(c) = source
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || "_-.*$/~\"'@:+&?".contains(*c)))
        {
            return Err(PatternError::BadChar(c));
        }
        let mut normalized = Vec::with_capacity(source.len() + 1);
        // A leading '/' is implied; '*' at the start already matches it.
        if !source.starts_with('/') && !source.starts_with('*') {
            normalized.push(b'/');
        }
        normalized.extend_from_slice(source.as_bytes());
        Ok(PathPattern {
            source: source.to_owned(),
            normalized,
        })
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// Whether a normalised path (starting with `/`) matches.
    pub fn matches(&self, path: &str) -> bool {
        wildcard_match(&self.normalized, path.as_bytes())
    }
}

/// `*` matches any run of bytes (including `/`), `?` exactly one; case-sensitive.
/// Linear in practice: backtracks only to the last `*` seen.
fn wildcard_match(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some(b'*') => {
                star = Some((p, t));
                p += 1;
            }
            Some(&c) if c == b'?' || c == text[t] => {
                p += 1;
                t += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    p = sp + 1;
                    t = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}

/// Normalise a request path for matching (RFC 3986 §5.2.4 dot-segment
/// removal, and `//` collapsed), as CloudFront does before selecting a
/// behaviour. The result always starts with `/`.
pub fn normalize_path(path: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    let trailing_slash = path.ends_with('/') || path.ends_with("/.") || path.ends_with("/..");
    for seg in path.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                out.pop();
            }
            s => out.push(s),
        }
    }
    let mut s = String::with_capacity(path.len() + 1);
    for seg in &out {
        s.push('/');
        s.push_str(seg);
    }
    if s.is_empty() || (trailing_slash && !out.is_empty()) {
        s.push('/');
    }
    s
}

/// Select the behaviour for a request path: the first pattern that matches
/// the normalised path, else the default behaviour.
pub fn select<'a>(
    behaviors: &'a [Arc<Behavior>],
    default: &'a Arc<Behavior>,
    raw_path: &str,
) -> &'a Arc<Behavior> {
    let normalized;
    let path = if needs_normalizing(raw_path) {
        normalized = normalize_path(raw_path);
        normalized.as_str()
    } else {
        raw_path
    };
    behaviors
        .iter()
        .find(|b| b.path_pattern.as_ref().is_some_and(|p| p.matches(path)))
        .unwrap_or(default)
}

fn needs_normalizing(path: &str) -> bool {
    !path.starts_with('/') || path.contains("//") || path.contains("/.")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn m(p: &str, path: &str) -> bool {
        PathPattern::new(p).unwrap().matches(path)
    }

    #[test]
    fn star_matches_across_slashes() {
        assert!(m("images/*.jpg", "/images/a/b/c.jpg"));
        assert!(m("a*.jpg", "/abra/cadabra/magic.jpg"));
        assert!(m("*", "/anything/at/all"));
    }

    #[test]
    fn question_mark_matches_exactly_one_character() {
        assert!(!m("*.doc?", "/x.doc"));
        assert!(m("*.doc?", "/x.docx"));
    }

    #[test]
    fn patterns_are_case_sensitive() {
        assert!(!m("*.jpg", "/LOGO.JPG"));
    }

    #[test]
    fn leading_slash_is_optional() {
        assert!(m("/*product.jpg", "/a/product.jpg"));
        assert!(m("*product.jpg", "/a/product.jpg"));
        assert!(m("api/*", "/api/x"));
        assert!(m("/api/*", "/api/x"));
        assert!(!m("api/*", "/v1/api/x"));
    }

    #[test]
    fn dot_segments_and_double_slashes_are_normalised() {
        assert_eq!(normalize_path("/a/b/.."), "/a/");
        assert_eq!(normalize_path("//a///b"), "/a/b");
        assert_eq!(normalize_path("/a/./b/../c"), "/a/c");
        assert_eq!(normalize_path("/../../x"), "/x");
        assert_eq!(normalize_path("/"), "/");
        assert_eq!(normalize_path(""), "/");
    }

    #[test]
    fn bad_patterns_are_rejected() {
        assert_eq!(PathPattern::new(""), Err(PatternError::Empty));
        assert_eq!(
            PathPattern::new(&"a".repeat(256)),
            Err(PatternError::TooLong)
        );
        assert_eq!(PathPattern::new("/a b"), Err(PatternError::BadChar(' ')));
        assert_eq!(PathPattern::new("/a%20"), Err(PatternError::BadChar('%')));
    }

    fn naive(p: &[u8], t: &[u8]) -> bool {
        match (p.first(), t.first()) {
            (None, None) => true,
            (Some(b'*'), _) => naive(&p[1..], t) || (!t.is_empty() && naive(p, &t[1..])),
            (Some(b'?'), Some(_)) => naive(&p[1..], &t[1..]),
            (Some(a), Some(b)) if a == b => naive(&p[1..], &t[1..]),
            _ => false,
        }
    }

    proptest! {
        #[test]
        fn wildcard_agrees_with_the_recursive_definition(p in "[ab*?/]{0,8}", t in "[ab/]{0,10}") {
            prop_assert_eq!(wildcard_match(p.as_bytes(), t.as_bytes()), naive(p.as_bytes(), t.as_bytes()));
        }

        #[test]
        fn normalised_paths_have_no_dot_segments(path in "[a./]{0,20}") {
            let n = normalize_path(&path);
            prop_assert!(n.starts_with('/'));
            prop_assert!(!n.contains("//"));
            prop_assert!(!n.split('/').any(|s| s == "." || s == ".."));
        }
    }
}
