//! Tracking codes as people type them: one normalisation, used by the board's look-up
//! (`GET /api/ballots/{code}`, the board page) and by the verifier (`--tracking-code`).

/// Characters per group of a tracking code (`XXXX-XXXX-XXXX-XXXX`).
pub const GROUP: usize = 4;

/// A typed tracking code in the form [`crate::ballot::tracking_code_of`] writes: spaces and
/// dashes anywhere are dropped, letters upper-cased, and the two digits that base32 never
/// uses but a reader confuses with its letters read as those letters (`0` as `O`, `1` as
/// `I`); the rest is regrouped in fours joined by `-`. Other characters are kept, so a code
/// that is not a tracking code stays one that matches none.
pub fn normalize_tracking_code(typed: &str) -> String {
    let clean: Vec<char> = typed
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| match c.to_ascii_uppercase() {
            '0' => 'O',
            '1' => 'I',
            other => other,
        })
        .collect();
    clean
        .chunks(GROUP)
        .map(|group| group.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_codes_normalise_to_the_written_form() {
        let written = "MZXW-6YTB-OI2A-BCDE";
        for typed in [
            written,
            "mzxw-6ytb-oi2a-bcde",
            "MZXW 6YTB OI2A BCDE",
            " mzxw6ytboi2abcde ",
            "MZXW-6YTB-0I2A-BCDE", // zero for O
            "MZXW-6YTB-O12A-BCDE", // one for I
        ] {
            assert_eq!(normalize_tracking_code(typed), written, "{typed:?}");
        }
        // Another code, or a short one, stays different.
        assert_ne!(normalize_tracking_code("MZXW-6YTB-OI2A-BCDF"), written);
        assert_ne!(normalize_tracking_code("MZXW-6YTB-OI2A"), written);
    }

    #[test]
    fn written_codes_are_fixed_points() {
        let hash = [0xA5u8; 32];
        let code = crate::ballot::tracking_code_of(&hash);
        assert_eq!(normalize_tracking_code(&code), code);
    }
}
