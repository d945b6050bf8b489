//! Today's date in the system's time zone.

use jiff::civil::Date;

/// Today in the system's time zone, as `jiff::ZonedDateTime::now().date()` gives it.
///
/// Without `TZ`, jiff names the zone `/etc/localtime` links to and looks the name up in its
/// database, which lists every zone's file first: some 40 directories read, a millisecond of
/// a plan. The zone's rules are the file the link leads to, so that file is read directly;
/// anything else (`TZ` set, no such file, another system) goes through jiff.
pub(crate) fn today() -> Date {
    #[cfg(unix)]
    if std::env::var_os("TZ").is_none()
        && let Ok(data) = std::fs::read("/etc/localtime")
        && let Ok(tz) = jiff::tz::TimeZone::tzif("localtime", &data)
    {
        return jiff::Timestamp::now().to_zoned_datetime(tz).date();
    }
    jiff::ZonedDateTime::now().date()
}

#[cfg(test)]
mod tests {
    #[test]
    fn today_is_jiffs_today() {
        let before = jiff::ZonedDateTime::now().date();
        let today = super::today();
        let after = jiff::ZonedDateTime::now().date();
        assert!(
            today == before || today == after,
            "{today} {before} {after}"
        );
    }
}
