//! What `pbal gateway trust` shows about a certificate: subject, issuer and validity, read
//! from the DER with a small reader (only these fields are needed, so no X.509 crate). Bad
//! input gives `None` fields, never a panic.

use std::fmt::Write as _;

use jiff::Timestamp;

/// SHA-256 fingerprint of the certificate IBKR ships with every Client Portal gateway
/// (`root/vertx.jks`), as IBKR's download serves it.
pub const IBKR_SHIPPED_FINGERPRINT: &str = "13:DA:F8:9A:07:12:B9:62:C3:EC:AA:5E:DE:34:41:00:AE:E0:D3:B5:DE:C5:A7:9A:BD:76:02:A8:12:ED:A3:BE";

/// The parts of a certificate a person checks before trusting it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CertificateSummary {
    /// Subject, RFC 4514 order (`CN=…, OU=…, O=…`).
    pub subject: Option<String>,
    /// Issuer, same form.
    pub issuer: Option<String>,
    /// Start of validity.
    pub not_before: Option<Timestamp>,
    /// End of validity.
    pub not_after: Option<Timestamp>,
}

impl CertificateSummary {
    /// Reads `der`; fields it cannot read stay `None`.
    #[must_use]
    pub fn from_der(der: &[u8]) -> Self {
        read(der).unwrap_or_default()
    }

    /// Self-signed: the subject is the issuer.
    #[must_use]
    pub fn is_self_signed(&self) -> bool {
        self.subject.is_some() && self.subject == self.issuer
    }

    /// Expired at `now`.
    #[must_use]
    pub fn is_expired_at(&self, now: Timestamp) -> bool {
        self.not_after.is_some_and(|end| end < now)
    }
}

/// One DER element: tag and contents.
struct Element<'a> {
    tag: u8,
    contents: &'a [u8],
}

/// Splits the first element off `input`; `None` on anything malformed.
fn next(input: &[u8]) -> Option<(Element<'_>, &[u8])> {
    let (&tag, rest) = input.split_first()?;
    // High tag numbers never occur in the fields read here.
    if tag & 0x1f == 0x1f {
        return None;
    }
    let (&first, rest) = rest.split_first()?;
    let (length, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let bytes = usize::from(first & 0x7f);
        // 0x80 is the indefinite form, not allowed in DER; more than 4 bytes is absurd here.
        if bytes == 0 || bytes > 4 || rest.len() < bytes {
            return None;
        }
        let (len_bytes, rest) = rest.split_at(bytes);
        let length = len_bytes
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
        (length, rest)
    };
    if rest.len() < length {
        return None;
    }
    let (contents, rest) = rest.split_at(length);
    Some((Element { tag, contents }, rest))
}

/// The element with `tag`, or `None`.
fn expect(input: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
    let (element, rest) = next(input)?;
    (element.tag == tag).then_some((element.contents, rest))
}

const SEQUENCE: u8 = 0x30;
const SET: u8 = 0x31;
const OID: u8 = 0x06;

fn read(der: &[u8]) -> Option<CertificateSummary> {
    let (certificate, _) = expect(der, SEQUENCE)?;
    let (tbs, _) = expect(certificate, SEQUENCE)?;
    let mut rest = tbs;
    // [0] EXPLICIT version, optional.
    if let Some((element, after)) = next(rest)
        && element.tag == 0xa0
    {
        rest = after;
    }
    let (_serial, rest) = expect(rest, 0x02)?;
    let (_algorithm, rest) = expect(rest, SEQUENCE)?;
    let (issuer, rest) = expect(rest, SEQUENCE)?;
    let (validity, rest) = expect(rest, SEQUENCE)?;
    let (subject, _) = expect(rest, SEQUENCE)?;
    let (not_before, after) = next(validity)?;
    let (not_after, _) = next(after)?;
    Some(CertificateSummary {
        subject: name(subject),
        issuer: name(issuer),
        not_before: time(&not_before),
        not_after: time(&not_after),
    })
}

/// A Name as `CN=…, OU=…, O=…` (RFC 4514 lists the last RDN first).
fn name(mut rdns: &[u8]) -> Option<String> {
    let mut parts = Vec::new();
    while !rdns.is_empty() {
        let (mut set, rest) = expect(rdns, SET)?;
        rdns = rest;
        while !set.is_empty() {
            let (attribute, rest) = expect(set, SEQUENCE)?;
            set = rest;
            let (oid, value) = expect(attribute, OID)?;
            let (value, _) = next(value)?;
            let label = match oid {
                [0x55, 0x04, 0x03] => "CN".to_owned(),
                [0x55, 0x04, 0x06] => "C".to_owned(),
                [0x55, 0x04, 0x07] => "L".to_owned(),
                [0x55, 0x04, 0x08] => "ST".to_owned(),
                [0x55, 0x04, 0x0a] => "O".to_owned(),
                [0x55, 0x04, 0x0b] => "OU".to_owned(),
                other => other.iter().fold(String::new(), |mut hex, b| {
                    let _ = write!(hex, "{b:02x}");
                    hex
                }),
            };
            parts.push(format!(
                "{label}={}",
                String::from_utf8_lossy(value.contents)
            ));
        }
    }
    parts.reverse();
    (!parts.is_empty()).then(|| parts.join(", "))
}

/// UTCTime (`YYMMDDHHMMSSZ`) or GeneralizedTime (`YYYYMMDDHHMMSSZ`).
fn time(element: &Element<'_>) -> Option<Timestamp> {
    let text = std::str::from_utf8(element.contents).ok()?;
    let text = text.strip_suffix('Z')?;
    let (year, rest) = match element.tag {
        0x17 if text.len() == 12 => {
            let yy: i16 = text.get(..2)?.parse().ok()?;
            // RFC 5280: 50-99 are 19xx, 00-49 are 20xx.
            (if yy >= 50 { 1900 + yy } else { 2000 + yy }, &text[2..])
        }
        0x18 if text.len() == 14 => (text.get(..4)?.parse().ok()?, &text[4..]),
        _ => return None,
    };
    let field = |at: usize| -> Option<i8> { rest.get(at..at + 2)?.parse().ok() };
    let civil = jiff::civil::DateTime::new(
        year,
        field(0)?,
        field(2)?,
        field(4)?,
        field(6)?,
        field(8)?,
        0,
    )
    .ok()?;
    civil
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .ok()
        .map(|z| z.timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_an_rcgen_certificate() {
        let mut params = rcgen::CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
        params.distinguished_name = rcgen::DistinguishedName::new();
        params
            .distinguished_name
            .push(rcgen::DnType::OrganizationName, "Interactive Brokers");
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "Client Portal Web API");
        params.not_before = rcgen::date_time_ymd(2019, 2, 10);
        params.not_after = rcgen::date_time_ymd(2019, 5, 11);
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = params.self_signed(&key).unwrap();
        let summary = CertificateSummary::from_der(cert.der());
        assert_eq!(
            summary.subject.as_deref(),
            Some("CN=Client Portal Web API, O=Interactive Brokers")
        );
        assert!(summary.is_self_signed());
        assert_eq!(
            summary.not_before.map(|t| t.to_string()).as_deref(),
            Some("2019-02-10T00:00:00Z")
        );
        assert_eq!(
            summary.not_after.map(|t| t.to_string()).as_deref(),
            Some("2019-05-11T00:00:00Z")
        );
        assert!(summary.is_expired_at(Timestamp::now()));
    }

    #[test]
    fn garbage_gives_empty_fields() {
        assert_eq!(
            CertificateSummary::from_der(b""),
            CertificateSummary::default()
        );
        assert_eq!(
            CertificateSummary::from_der(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff]),
            CertificateSummary::default()
        );
    }

    proptest::proptest! {
        /// Whatever bytes a server presents, reading them never panics.
        #[test]
        fn never_panics(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..200)) {
            let _ = CertificateSummary::from_der(&bytes);
            let mut wrapped = vec![0x30, 0x81, u8::try_from(bytes.len().min(255)).unwrap_or(0)];
            wrapped.extend(&bytes);
            let _ = CertificateSummary::from_der(&wrapped);
        }
    }
}
