//! Classifies Flex Web Service response bodies: `FlexStatementResponse` replies and statements.

use quick_xml::Reader;
use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::Event;

/// Root element of SendRequest replies and of GetStatement error/progress replies.
const REPLY_ROOT: &[u8] = b"FlexStatementResponse";
/// Root element of an XML statement.
const STATEMENT_ROOT: &[u8] = b"FlexQueryResponse";
const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// A parsed `FlexStatementResponse`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Reply {
    /// `<Status>Success</Status>` with a reference code (SendRequest).
    Success {
        reference_code: String,
        /// `<Url>`, where to call GetStatement; absent in some replies.
        url: Option<String>,
    },
    /// `<Status>Fail</Status>` or `Warn` with an error code.
    Problem { code: u16, message: String },
}

/// What a GetStatement body turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum StatementBody {
    /// A complete statement (XML or delimited text).
    Statement,
    /// A `FlexStatementResponse` instead of the statement.
    Reply(Reply),
}

/// Why a body was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum BodyError {
    /// Not something the service sends.
    Malformed(String),
    /// A statement that stops before its end.
    Truncated(String),
}

/// Parses a SendRequest body, which must be a `FlexStatementResponse`.
pub(super) fn parse_reply(body: &[u8]) -> Result<Reply, BodyError> {
    match root_name(body)? {
        Some(root) if root == REPLY_ROOT => reply_fields(body),
        Some(root) => Err(BodyError::Malformed(format!(
            "expected <FlexStatementResponse>, found <{}>",
            String::from_utf8_lossy(&root)
        ))),
        None => Err(BodyError::Malformed(
            "expected <FlexStatementResponse>, found no XML".to_owned(),
        )),
    }
}

/// Classifies a GetStatement body: a reply, a complete XML statement or a delimited text one.
pub(super) fn classify_statement(body: &[u8]) -> Result<StatementBody, BodyError> {
    match root_name(body)? {
        Some(root) if root == REPLY_ROOT => reply_fields(body).map(StatementBody::Reply),
        Some(root) if root == STATEMENT_ROOT => {
            check_xml_complete(body)?;
            Ok(StatementBody::Statement)
        }
        Some(root) => Err(BodyError::Malformed(format!(
            "expected a <FlexQueryResponse> statement, found <{}>",
            String::from_utf8_lossy(&root)
        ))),
        None => {
            check_delimited_text(body)?;
            Ok(StatementBody::Statement)
        }
    }
}

fn strip_bom(body: &[u8]) -> &[u8] {
    body.strip_prefix(UTF8_BOM).unwrap_or(body)
}

/// The root element's name if the body looks like XML (starts with `<` after BOM/blanks).
fn root_name(body: &[u8]) -> Result<Option<Vec<u8>>, BodyError> {
    let body = strip_bom(body);
    let Some(first) = body.iter().find(|b| !b.is_ascii_whitespace()) else {
        return Err(BodyError::Malformed("the body is empty".to_owned()));
    };
    if *first != b'<' {
        return Ok(None);
    }
    let mut reader = Reader::from_reader(body);
    loop {
        match reader.read_event() {
            Ok(Event::Start(e) | Event::Empty(e)) => return Ok(Some(e.name().as_ref().to_vec())),
            Ok(Event::Eof) => {
                return Err(BodyError::Malformed(
                    "the XML has no root element".to_owned(),
                ));
            }
            Ok(_) => {}
            Err(e) => {
                return Err(BodyError::Malformed(format!(
                    "invalid XML before the root element at byte {}: {e}",
                    reader.error_position()
                )));
            }
        }
    }
}

/// Reads `<Status>`, `<ErrorCode>`, `<ErrorMessage>`, `<ReferenceCode>` and `<Url>`.
fn reply_fields(body: &[u8]) -> Result<Reply, BodyError> {
    let mut reader = Reader::from_reader(strip_bom(body));
    let mut depth = 0usize;
    let mut field: Option<Vec<u8>> = None;
    let mut text = String::new();
    let (mut status, mut code, mut message, mut reference, mut url) =
        (None, None, None, None, None);
    loop {
        let event = reader.read_event().map_err(|e| {
            BodyError::Malformed(format!(
                "invalid FlexStatementResponse XML at byte {}: {e}",
                reader.error_position()
            ))
        })?;
        match event {
            Event::Start(e) => {
                depth += 1;
                if depth == 2 {
                    field = Some(e.name().as_ref().to_vec());
                    text.clear();
                }
            }
            Event::End(_) => {
                if depth == 2
                    && let Some(name) = field.take()
                {
                    let value = Some(text.trim().to_owned());
                    match name.as_slice() {
                        b"Status" => status = value,
                        b"ErrorCode" => code = value,
                        b"ErrorMessage" => message = value,
                        b"ReferenceCode" => reference = value,
                        b"Url" => url = value,
                        _ => {}
                    }
                }
                depth = depth.saturating_sub(1);
            }
            Event::Text(t) if depth == 2 => text.push_str(&t.decode().map_err(malformed)?),
            Event::CData(t) if depth == 2 => text.push_str(&t.decode().map_err(malformed)?),
            Event::GeneralRef(r) if depth == 2 => {
                let name = r.decode().map_err(malformed)?;
                if let Some(ch) = r.resolve_char_ref().map_err(malformed)? {
                    text.push(ch);
                } else if let Some(s) = resolve_predefined_entity(&name) {
                    text.push_str(s);
                } else {
                    return Err(BodyError::Malformed(format!("unknown entity &{name};")));
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if depth != 0 {
        return Err(BodyError::Malformed(
            "the FlexStatementResponse is cut off".to_owned(),
        ));
    }
    let status = status.unwrap_or_default();
    if let Some(code_text) = code {
        let code = code_text.parse::<u16>().map_err(|_| {
            BodyError::Malformed(format!("<ErrorCode> {code_text:?} is not a number"))
        })?;
        return Ok(Reply::Problem {
            code,
            message: message.unwrap_or_default(),
        });
    }
    if !status.eq_ignore_ascii_case("Success") {
        return Err(BodyError::Malformed(format!(
            "<Status> is {status:?} but there is no <ErrorCode>"
        )));
    }
    let reference_code = reference.unwrap_or_default();
    if reference_code.is_empty() || !reference_code.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(BodyError::Malformed(format!(
            "<ReferenceCode> {reference_code:?} is missing or not alphanumeric"
        )));
    }
    Ok(Reply::Success {
        reference_code,
        url: url.filter(|u| !u.is_empty()),
    })
}

fn malformed(e: impl std::fmt::Display) -> BodyError {
    BodyError::Malformed(format!("invalid FlexStatementResponse XML: {e}"))
}

/// Checks that an XML statement is well nested and closes its root element.
fn check_xml_complete(body: &[u8]) -> Result<(), BodyError> {
    let mut reader = Reader::from_reader(strip_bom(body));
    let mut depth = 0usize;
    let mut closed_root = false;
    loop {
        match reader.read_event() {
            Ok(Event::Start(_)) => depth += 1,
            Ok(Event::End(_)) => {
                depth = depth.saturating_sub(1);
                closed_root |= depth == 0;
            }
            Ok(Event::Empty(_)) => closed_root |= depth == 0,
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(e) => {
                return Err(BodyError::Truncated(format!(
                    "invalid XML at byte {}: {e}",
                    reader.error_position()
                )));
            }
        }
    }
    if depth != 0 || !closed_root {
        return Err(BodyError::Truncated(
            "the closing </FlexQueryResponse> is missing".to_owned(),
        ));
    }
    Ok(())
}

/// Checks a CSV/TEXT statement: UTF-8, a delimited first row, and the `EOF` trailer when the
/// query writes `BOF` header records.
fn check_delimited_text(body: &[u8]) -> Result<(), BodyError> {
    let text = std::str::from_utf8(strip_bom(body)).map_err(|e| {
        BodyError::Malformed(format!(
            "the body is neither XML nor UTF-8 text (invalid byte at {})",
            e.valid_up_to()
        ))
    })?;
    if text.contains('\0') {
        return Err(BodyError::Malformed(
            "the body contains NUL bytes".to_owned(),
        ));
    }
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    let first = lines.next().unwrap_or_default();
    if !first.contains([',', '|', '\t', ';']) {
        return Err(BodyError::Malformed(
            "the body is neither XML nor a delimited (CSV/TEXT) statement".to_owned(),
        ));
    }
    let is_record = |line: &str, tag: &str| {
        line.trim_start_matches('"').starts_with(tag)
            && line
                .trim_start_matches('"')
                .get(tag.len()..)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with(['"', ',', '|', '\t', ';']))
    };
    if is_record(first, "BOF") && !lines.next_back().is_some_and(|l| is_record(l, "EOF")) {
        return Err(BodyError::Truncated(
            "the statement starts with a BOF record but has no EOF trailer".to_owned(),
        ));
    }
    Ok(())
}

/// The start of a body for error messages: lossy UTF-8, control characters escaped by
/// `{:?}` later, at most `max_chars` characters, with `secret` redacted.
pub(super) fn excerpt(body: &[u8], max_chars: usize, secret: &str) -> String {
    // Take a generous prefix so a secret straddling the cut is still redacted.
    let prefix = &body[..body.len().min(max_chars * 4 + secret.len())];
    let mut text = String::from_utf8_lossy(prefix).into_owned();
    if !secret.is_empty() {
        text = text.replace(secret, "***");
    }
    let mut out: String = text.chars().take(max_chars).collect();
    if out.len() < text.len() || prefix.len() < body.len() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn malformed(r: Result<impl std::fmt::Debug, BodyError>) -> String {
        match r {
            Err(BodyError::Malformed(m)) => m,
            other => panic!("expected Malformed, got {other:?}"),
        }
    }

    #[test]
    fn send_request_success() {
        let body = br#"<FlexStatementResponse timestamp="28 August, 2012 10:37 AM EDT">
<Status>Success</Status><ReferenceCode>1234567890</ReferenceCode>
<Url>https://gdcdyn.interactivebrokers.com/AccountManagement/FlexWebService/GetStatement</Url></FlexStatementResponse>"#;
        assert_eq!(
            parse_reply(body).unwrap(),
            Reply::Success {
                reference_code: "1234567890".to_owned(),
                url: Some(
                    "https://gdcdyn.interactivebrokers.com/AccountManagement/FlexWebService/GetStatement"
                        .to_owned()
                ),
            }
        );
    }

    #[test]
    fn warn_with_single_quoted_timestamp_and_entities() {
        let body = b"\xEF\xBB\xBF<?xml version=\"1.0\"?>\n<FlexStatementResponse timestamp='01 October, 2021 10:38 AM EDT'><Status>Warn</Status><ErrorCode>1019</ErrorCode>\n<ErrorMessage>Statement generation in progress. Please &amp; try &#65;gain.</ErrorMessage></FlexStatementResponse>";
        assert_eq!(
            parse_reply(body).unwrap(),
            Reply::Problem {
                code: 1019,
                message: "Statement generation in progress. Please & try Again.".to_owned()
            }
        );
    }

    #[test]
    fn reply_problems() {
        assert!(malformed(parse_reply(b"")).contains("empty"));
        assert!(malformed(parse_reply(b"<html><body>503</body></html>")).contains("<html>"));
        assert!(malformed(parse_reply(b"Service unavailable")).contains("no XML"));
        assert!(
            malformed(parse_reply(
                b"<FlexStatementResponse><Status>Success</Status><ReferenceCode>12"
            ))
            .contains("cut off")
        );
        assert!(
            malformed(parse_reply(
                b"<FlexStatementResponse><Status>Fail</Status></FlexStatementResponse>"
            ))
            .contains("no <ErrorCode>")
        );
        assert!(
            malformed(parse_reply(
                b"<FlexStatementResponse><Status>Fail</Status><ErrorCode>x</ErrorCode></FlexStatementResponse>"
            ))
            .contains("not a number")
        );
        assert!(
            malformed(parse_reply(
                b"<FlexStatementResponse><Status>Success</Status><ReferenceCode>1 2</ReferenceCode></FlexStatementResponse>"
            ))
            .contains("<ReferenceCode>")
        );
    }

    #[test]
    fn statements_classified() {
        let xml = b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<FlexQueryResponse queryName=\"q\" type=\"AF\"><FlexStatements count=\"1\"><FlexStatement accountId=\"U1\"><OpenPositions/></FlexStatement></FlexStatements></FlexQueryResponse>\n";
        assert_eq!(classify_statement(xml).unwrap(), StatementBody::Statement);
        let csv = b"\"ClientAccountID\",\"Symbol\",\"Quantity\"\n\"U1\",\"AAPL\",\"10\"\n";
        assert_eq!(classify_statement(csv).unwrap(), StatementBody::Statement);
        let bof = b"\"BOF\",\"U1\",\"q\"\n\"HEADER\",\"POST\"\n\"EOF\",\"U1\"\n";
        assert_eq!(classify_statement(bof).unwrap(), StatementBody::Statement);
        let pending = b"<FlexStatementResponse><Status>Fail</Status><ErrorCode>1019</ErrorCode><ErrorMessage>in progress</ErrorMessage></FlexStatementResponse>";
        assert!(matches!(
            classify_statement(pending).unwrap(),
            StatementBody::Reply(Reply::Problem { code: 1019, .. })
        ));
    }

    #[test]
    fn truncated_statements() {
        for body in [
            &b"<FlexQueryResponse><FlexStatements><FlexStatement>"[..],
            b"<FlexQueryResponse><FlexStatements count=\"1\"><OpenPosition symbol=\"AB",
            b"\"BOF\",\"U1\"\n\"HEADER\",\"POST\"\n\"DATA\",\"POST\"\n",
        ] {
            assert!(
                matches!(classify_statement(body), Err(BodyError::Truncated(_))),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
    }

    #[test]
    fn garbage_statements() {
        assert!(malformed(classify_statement(b"  \n")).contains("empty"));
        assert!(malformed(classify_statement(b"<!DOCTYPE html><html></html>")).contains("<html>"));
        assert!(malformed(classify_statement(b"Internal error")).contains("neither XML"));
        assert!(malformed(classify_statement(b"\xff\xfe,\x00")).contains("UTF-8"));
        assert!(malformed(classify_statement(b"a,b\0")).contains("NUL"));
    }

    #[test]
    fn excerpt_redacts_and_shortens() {
        let body = b"token=12345678901234567890 and more text here";
        let ex = excerpt(body, 20, "12345678901234567890");
        assert_eq!(ex, "token=*** and more t…");
        assert_eq!(excerpt(b"short", 20, "x"), "short");
        assert_eq!(excerpt(b"\xff\xfeab", 20, "x"), "\u{fffd}\u{fffd}ab");
    }
}
