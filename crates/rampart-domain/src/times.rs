//! Times as the engine stores them: fixed-width RFC 3339 text in UTC with microseconds, so stored
//! times sort as text and hash identically after a round trip; and calendar arithmetic on them.

use time::format_description::well_known::Rfc3339;
use time::{Date, Month, OffsetDateTime, UtcOffset};

use crate::Invalid;

pub fn format(t: OffsetDateTime) -> String {
    let t = t.to_offset(UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.microsecond()
    )
}

/// Reads an RFC 3339 time (any offset), or a plain date meaning its midnight UTC.
pub fn parse(field: &str, s: &str) -> Result<OffsetDateTime, Invalid> {
    let s = s.trim();
    if let Ok(t) = OffsetDateTime::parse(s, &Rfc3339) {
        return Ok(t);
    }
    let date = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(s, &date)
        .map(|d| d.midnight().assume_utc())
        .map_err(|_| {
            Invalid::new(
                field,
                format!("'{s}' is not a time (RFC 3339, e.g. 2026-03-01T09:00:00Z, or a date 2026-03-01)"),
            )
        })
}

/// Reads and re-renders a time in the stored form.
pub fn normalise(field: &str, s: &str) -> Result<String, Invalid> {
    parse(field, s).map(format)
}

/// `t` plus whole calendar months; the day is clamped to the end of a shorter month
/// (31 January + 1 month = 28/29 February), as people count review and retention periods.
pub fn add_months(t: OffsetDateTime, months: u32) -> OffsetDateTime {
    let total = t.year() as i64 * 12 + (u8::from(t.month()) as i64 - 1) + months as i64;
    let year = (total.div_euclid(12)) as i32;
    let month = Month::try_from((total.rem_euclid(12) + 1) as u8).expect("1..=12");
    let last = time::util::days_in_month(month, year);
    let day = t.day().min(last);
    let date = Date::from_calendar_date(year, month, day).expect("a clamped day is valid");
    date.with_time(t.time()).assume_offset(t.offset())
}

/// [`add_months`] on stored text; None if the text is not a time (never the case for stored times).
pub fn add_months_text(t: &str, months: u32) -> Option<String> {
    parse("time", t).ok().map(|t| format(add_months(t, months)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_clamp_to_the_end_of_shorter_months() {
        let t = parse("t", "2027-01-31T10:00:00Z").unwrap();
        assert_eq!(format(add_months(t, 1)), "2027-02-28T10:00:00.000000Z");
        let t = parse("t", "2028-01-31").unwrap();
        assert_eq!(format(add_months(t, 1)), "2028-02-29T00:00:00.000000Z");
        assert_eq!(format(add_months(t, 36)), "2031-01-31T00:00:00.000000Z");
        assert_eq!(format(add_months(t, 11)), "2028-12-31T00:00:00.000000Z");
    }

    #[test]
    fn stored_form_sorts_as_text() {
        let a = normalise("t", "2026-03-01T09:00:00+02:00").unwrap();
        assert_eq!(a, "2026-03-01T07:00:00.000000Z");
        assert!(normalise("t", "yesterday").is_err());
    }
}
