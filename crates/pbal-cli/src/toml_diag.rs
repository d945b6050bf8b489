//! TOML errors that name the file, the line and the key.

use std::path::Path;

use anyhow::anyhow;

/// The 1-based line of byte `offset` in `text`.
pub(crate) fn line_at(text: &str, offset: usize) -> usize {
    text.get(..offset).unwrap_or(text).matches('\n').count() + 1
}

/// `FILE:LINE: message`, with the key named where toml's message leaves it out (a duplicate
/// key points at the key's text, which is the name).
pub(crate) fn parse_error(path: &Path, text: &str, error: &toml::de::Error) -> anyhow::Error {
    error_at(path, text, error.span(), error.message())
}

/// [`parse_error`] from its parts: the error's byte range in `text` and toml's message.
pub(crate) fn error_at(
    path: &Path,
    text: &str,
    span: Option<std::ops::Range<usize>>,
    message: &str,
) -> anyhow::Error {
    let name = path.display();
    let Some(span) = span else {
        return anyhow!("{name}: {}", message.trim());
    };
    let line = line_at(text, span.start);
    let message = message.trim();
    let spanned = text.get(span.clone()).unwrap_or_default().trim();
    if message.starts_with("duplicate key") && !spanned.is_empty() {
        let key = spanned.trim_matches(['[', ']', '"', '\'']);
        let first = first_definition(text, key, span.start);
        let hint = first.map_or(String::new(), |l| format!(" (first set on line {l})"));
        return anyhow!("{name}:{line}: duplicate key `{key}`{hint}: each key may appear once");
    }
    anyhow!("{name}:{line}: {message}")
}

/// The line where `key` is first set before `before` (a best-effort text search).
fn first_definition(text: &str, key: &str, before: usize) -> Option<usize> {
    let head = text.get(..before)?;
    let mut offset = 0;
    for line in head.split_inclusive('\n') {
        let trimmed = line.trim_start().trim_start_matches('[');
        let name = trimmed
            .split(['=', ']'])
            .next()
            .unwrap_or_default()
            .trim()
            .trim_matches(['"', '\'']);
        if name == key {
            return Some(line_at(text, offset));
        }
        offset += line.len();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(text: &str) -> String {
        let error = toml::from_str::<toml::Table>(text).unwrap_err();
        parse_error(Path::new("t.toml"), text, &error).to_string()
    }

    #[test]
    fn a_duplicate_key_is_named() {
        assert_eq!(
            message("VTI = 60\nBND = 20\nVTI = 20\n"),
            "t.toml:3: duplicate key `VTI` (first set on line 1): each key may appear once"
        );
        assert_eq!(
            message("[VXUS]\nweight = 0\n[VXUS]\nweight = 1\n"),
            "t.toml:3: duplicate key `VXUS` (first set on line 1): each key may appear once"
        );
    }

    #[test]
    fn other_errors_keep_the_line() {
        assert!(message("a = 1\nb = \n").starts_with("t.toml:2: "));
    }
}
