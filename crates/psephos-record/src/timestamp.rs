//! The one timestamp form of the record (docs/spec.md §7.6): `YYYY-MM-DDTHH:MM:SSZ`.
//!
//! RFC 3339 allows many spellings of one instant (a lowercase `t` or `z`, a space for `T`,
//! fractional seconds, numeric offsets). The manifest's bytes are hashed into H_B and read
//! by every party, so exactly one spelling is allowed: UTC, uppercase `T` and `Z`, no
//! fraction, no leap second, a real Gregorian date.

/// Seconds since the Unix epoch of a timestamp in the canonical form `YYYY-MM-DDTHH:MM:SSZ`
/// (exactly 20 ASCII characters); `None` for anything else, including other RFC 3339 forms
/// and dates that do not exist (`2026-02-30T00:00:00Z`).
pub fn parse_timestamp(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    if b.len() != 20
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
        || b[19] != b'Z'
    {
        return None;
    }
    let num = |from: usize, to: usize| -> Option<i64> {
        b[from..to].iter().try_fold(0i64, |acc, &c| {
            c.is_ascii_digit().then(|| acc * 10 + i64::from(c - b'0'))
        })
    };
    let (y, mo, d) = (num(0, 4)?, num(5, 7)?, num(8, 10)?);
    let (h, mi, s) = (num(11, 13)?, num(14, 16)?, num(17, 19)?);
    if !(1..=12).contains(&mo) || d < 1 || d > days_in_month(y, mo) {
        return None;
    }
    if h > 23 || mi > 59 || s > 59 {
        return None;
    }
    // Days from civil (H. Hinnant), proleptic Gregorian calendar.
    let y2 = if mo <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let mp = (mo + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + h * 3600 + mi * 60 + s)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_form_only() {
        assert_eq!(parse_timestamp("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_timestamp("2000-03-01T00:00:00Z"), Some(951_868_800));
        assert_eq!(parse_timestamp("2024-02-29T23:59:59Z"), Some(1_709_251_199));
        assert_eq!(parse_timestamp("1969-12-31T23:59:59Z"), Some(-1));
        for bad in [
            "yesterday",
            "",
            "2026-11-23",
            "2026-11-23T18:00:00",
            "2026-11-23t18:00:00Z",
            "2026-11-23T18:00:00z",
            "2026-11-23 18:00:00Z",
            "2026-11-23T18:00:00.5Z",
            "2026-11-23T18:00:00+00:00",
            "2026-11-23T19:00:00+01:00",
            "2026-11-23T18:00Z",
            " 2026-11-23T18:00:00Z",
            "2026-11-23T18:00:00Z ",
            "2026-13-01T00:00:00Z",
            "2026-00-01T00:00:00Z",
            "2026-02-29T00:00:00Z",
            "1900-02-29T00:00:00Z",
            "2026-04-31T00:00:00Z",
            "2026-11-00T00:00:00Z",
            "2026-11-23T24:00:00Z",
            "2026-11-23T18:60:00Z",
            "2026-11-23T18:00:60Z",
            "+026-11-23T18:00:00Z",
            "2026-1-023T18:00:00Z",
            "２０２６-11-23T18:00:00Z",
        ] {
            assert_eq!(parse_timestamp(bad), None, "{bad:?}");
        }
    }
}
