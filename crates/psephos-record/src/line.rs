//! The exact form of a `board.jsonl` line (docs/spec.md §7.3):
//!
//! ```text
//! {"seq":N,"prev":"<64 hex>","hash":"<64 hex>","entry":E}
//! ```
//!
//! byte for byte: these four keys in this order, no whitespace, no escapes in the key names,
//! `N` in decimal without leading zeros, the hashes in lowercase hex, and `E` the entry's
//! text (a JSON object). [`crate::entry::format_line`] writes this form and [`parse_line`]
//! accepts nothing else, so that every implementation hashes and reads the same bytes.

use thiserror::Error;

use crate::hash::Hash;

/// A line of `board.jsonl` split into its four fields (the entry still as text).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Line<'a> {
    /// Sequence number.
    pub seq: u64,
    /// The previous entry's hash.
    pub prev: Hash,
    /// This entry's chained hash.
    pub hash: Hash,
    /// The entry's exact text.
    pub entry: &'a str,
}

/// Why a line is not in the exact form.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Error)]
pub enum LineFormError {
    /// A fixed part of the form (a key, a quote, a comma, the braces) is not where it must be.
    #[error("not of the form {{\"seq\":N,\"prev\":\"<hex>\",\"hash\":\"<hex>\",\"entry\":{{…}}}} (expected {expected} at byte {at})")]
    Expected {
        /// What was expected.
        expected: &'static str,
        /// Byte offset in the line.
        at: usize,
    },
    /// `seq` is not a decimal u64 without leading zeros.
    #[error("seq is not a decimal number without leading zeros that fits 64 bits")]
    Seq,
    /// `prev` or `hash` is not 64 lowercase hex characters.
    #[error("{0} is not 64 lowercase hex characters")]
    Hex(&'static str),
}

/// Splits one line (without its line feed) of `board.jsonl`, accepting only the exact form.
pub fn parse_line(text: &str) -> Result<Line<'_>, LineFormError> {
    let mut rest = text;
    let mut at = 0usize;
    literal(&mut rest, &mut at, "{\"seq\":")?;
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let number = &rest[..digits];
    if digits == 0 || (digits > 1 && number.starts_with('0')) {
        return Err(LineFormError::Seq);
    }
    let seq: u64 = number.parse().map_err(|_| LineFormError::Seq)?;
    rest = &rest[digits..];
    at += digits;
    literal(&mut rest, &mut at, ",\"prev\":\"")?;
    let prev = hex_hash(&mut rest, &mut at, "prev")?;
    literal(&mut rest, &mut at, "\",\"hash\":\"")?;
    let hash = hex_hash(&mut rest, &mut at, "hash")?;
    literal(&mut rest, &mut at, "\",\"entry\":")?;
    // The entry is an object and the line ends right after it: `{…}}`.
    let entry = rest
        .strip_suffix('}')
        .filter(|e| e.len() >= 2 && e.starts_with('{') && e.ends_with('}'))
        .ok_or(LineFormError::Expected {
            expected: "{…}}",
            at,
        })?;
    Ok(Line {
        seq,
        prev,
        hash,
        entry,
    })
}

fn literal(rest: &mut &str, at: &mut usize, expected: &'static str) -> Result<(), LineFormError> {
    match rest.strip_prefix(expected) {
        Some(r) => {
            *rest = r;
            *at += expected.len();
            Ok(())
        }
        None => Err(LineFormError::Expected { expected, at: *at }),
    }
}

fn hex_hash(rest: &mut &str, at: &mut usize, what: &'static str) -> Result<Hash, LineFormError> {
    let text = rest.get(..64).ok_or(LineFormError::Hex(what))?;
    let hash = psephos_crypto::group::lower_hex(text).ok_or(LineFormError::Hex(what))?;
    *rest = &rest[64..];
    *at += 64;
    Ok(hash)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entry::format_line;

    #[test]
    fn only_the_exact_form() {
        let body = br#"{"close":{"ballots_received":4}}"#;
        let line = format_line(12, &[0xab; 32], &[0xcd; 32], body);
        let parsed = parse_line(&line).unwrap();
        assert_eq!(
            (
                parsed.seq,
                parsed.prev,
                parsed.hash,
                parsed.entry.as_bytes()
            ),
            (12, [0xab; 32], [0xcd; 32], &body[..])
        );
        let zero = format_line(0, &[0u8; 32], &[2u8; 32], body);
        assert_eq!(parse_line(&zero).unwrap().seq, 0);

        let h1 = "ab".repeat(32);
        let h2 = "cd".repeat(32);
        let e = r#"{"close":{"ballots_received":4}}"#;
        for bad in [
            format!("{line}\r"),
            format!("{line} "),
            format!(" {line}"),
            format!("\u{feff}{line}"),
            line.replacen(":12,", ": 12,", 1),
            line.replacen(":12,", ":012,", 1),
            line.replacen(":12,", ":12.0,", 1),
            line.replacen(":12,", ":1e1,", 1),
            line.replacen(":12,", ":-12,", 1),
            line.replacen("\"seq\"", "\"\\u0073eq\"", 1),
            line.replacen(&h1, &h1.to_uppercase(), 1),
            line.replacen(&h1, &format!("0x{}", &h1[2..]), 1),
            line.replacen(&h2, &h2[..62], 1),
            line.replacen("\"entry\":{", "\"entry\": {", 1),
            format!(r#"{{"prev":"{h1}","seq":12,"hash":"{h2}","entry":{e}}}"#),
            format!(r#"{{"seq":12,"prev":"{h1}","hash":"{h2}","entry":{e},"x":1}}"#),
            format!(r#"{{"seq":12,"prev":"{h1}","hash":"{h2}","entry":{e} }}"#),
            format!(r#"{{"seq":12,"prev":"{h1}","hash":"{h2}","entry":[{e}]}}"#),
            format!(r#"{{"seq":18446744073709551616,"prev":"{h1}","hash":"{h2}","entry":{e}}}"#),
        ] {
            assert!(parse_line(&bad).is_err(), "{bad}");
        }
    }
}
