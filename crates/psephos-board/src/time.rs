//! The manifest's `closes_at`, in the record's one timestamp form.

/// Seconds since the Unix epoch of a manifest timestamp, which has exactly one form,
/// `YYYY-MM-DDTHH:MM:SSZ` (docs/spec.md §7.6; the same parser as `Manifest::validate`);
/// `None` if it is not one.
pub fn parse_rfc3339(text: &str) -> Option<i64> {
    psephos_record::timestamp::parse_timestamp(text)
}

/// Whether `closes_at` has passed (an unparsable time never passes; the manifest check at
/// init rejects those).
pub fn has_passed(closes_at: Option<&str>) -> bool {
    let Some(t) = closes_at.and_then(parse_rfc3339) else {
        return false;
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    now >= t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_rfc3339("2000-03-01T00:00:00Z"), Some(951_868_800));
        assert_eq!(parse_rfc3339("2000-03-01T01:00:00.25+01:00"), None);
        assert_eq!(parse_rfc3339("yesterday"), None);
        assert_eq!(parse_rfc3339("2000-03-01"), None);
        assert_eq!(parse_rfc3339("2000-13-01T00:00:00Z"), None);
        assert!(has_passed(Some("2001-01-01T00:00:00Z")));
        assert!(!has_passed(Some("2999-01-01T00:00:00Z")));
        assert!(!has_passed(None));
    }
}
