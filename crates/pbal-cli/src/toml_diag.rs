//! TOML errors that name the file, the line and the key.

use std::path::Path;

use anyhow::anyhow;

/// The 1-based line of byte `offset` in `text`.
pub(crate) fn line_at(text: &str, offset: usize) -> usize {
    text.get(..offset).unwrap_or(text).matches('\n').count() + 1
}

/// `FILE:LINE: message`, with the key named where toml's message leaves it out (a duplicate
/// key points at the key's text, which is the name; other errors are on the key's line).
/// `example` is a line that sets a key right (`strategy` → `strategy = "full"`).
pub(crate) fn parse_error(
    path: &Path,
    text: &str,
    error: &toml::de::Error,
    example: &dyn Fn(&str) -> String,
) -> anyhow::Error {
    error_at(path, text, error.span(), error.message(), example)
}

/// [`parse_error`] from its parts: the error's byte range in `text` and toml's message.
pub(crate) fn error_at(
    path: &Path,
    text: &str,
    span: Option<std::ops::Range<usize>>,
    message: &str,
    example: &dyn Fn(&str) -> String,
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
    let source_line = line_text(text, span.start);
    match assignment(source_line) {
        Some((key, "")) => {
            anyhow!(
                "{name}:{line}: `{key}` has no value: write {}",
                example(key)
            )
        }
        // toml calls `strategy = full` an invalid boolean (`f`…): the quotes are missing.
        Some((key, value))
            if value.starts_with(|c: char| c.is_ascii_alphabetic())
                && !matches!(value, "true" | "false" | "inf" | "nan") =>
        {
            anyhow!(
                "{name}:{line}: `{key}`: {value} needs quotes (text in TOML is quoted); write e.g. {}",
                example(key)
            )
        }
        Some((key, _)) => anyhow!(
            "{name}:{line}: `{key}`: {message} in `{}`; write e.g. {}",
            source_line.trim(),
            example(key)
        ),
        None if !source_line.trim().is_empty() => {
            anyhow!("{name}:{line}: {message} in `{}`", source_line.trim())
        }
        None => anyhow!("{name}:{line}: {message}"),
    }
}

/// The line of `text` that byte `offset` is on, without its line break.
fn line_text(text: &str, offset: usize) -> &str {
    let offset = offset.min(text.len());
    let start = text
        .get(..offset)
        .and_then(|t| t.rfind('\n'))
        .map_or(0, |i| i + 1);
    let end = text
        .get(offset..)
        .and_then(|t| t.find('\n'))
        .map_or(text.len(), |i| offset + i);
    text.get(start..end)
        .unwrap_or_default()
        .trim_end_matches('\r')
}

/// `key = value` on `line`: the key without quotes and the value without a comment (a best
/// effort on a line TOML could not read; a `#` inside a string ends the value early, which
/// only matters for telling an empty value from a bad one).
fn assignment(line: &str) -> Option<(&str, &str)> {
    let (key, value) = line.split_once('=')?;
    let key = key.trim().trim_matches(['"', '\'']);
    if key.is_empty() || key.starts_with('[') || key.contains(char::is_whitespace) {
        return None;
    }
    let value = value.split('#').next().unwrap_or_default().trim();
    Some((key, value))
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
        parse_error(Path::new("t.toml"), text, &error, &|k| format!("{k} = 1")).to_string()
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
    fn other_errors_name_the_key_and_show_the_line() {
        assert_eq!(
            message("a = 1\nb = \n"),
            "t.toml:2: `b` has no value: write b = 1"
        );
        assert_eq!(
            message("strategy =   # later\n"),
            "t.toml:1: `strategy` has no value: write strategy = 1"
        );
        assert_eq!(message("b ="), "t.toml:1: `b` has no value: write b = 1");
        assert_eq!(
            message("a = 1\n\"b\" = full\n"),
            "t.toml:2: `b`: full needs quotes (text in TOML is quoted); write e.g. b = 1"
        );
        let bad = message("a = 1\n\"b\" = 1.2.3\n");
        assert!(bad.starts_with("t.toml:2: `b`: "), "{bad}");
        assert!(
            bad.ends_with(" in `\"b\" = 1.2.3`; write e.g. b = 1"),
            "{bad}"
        );
        let junk = message("a = 1\nnonsense\n");
        assert!(junk.starts_with("t.toml:2: "), "{junk}");
        assert!(junk.ends_with(" in `nonsense`"), "{junk}");
    }
}
