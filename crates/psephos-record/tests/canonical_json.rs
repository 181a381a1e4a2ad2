//! The canonical JSON of docs/spec.md §7.2, pinned: the rules are written here from the spec
//! alone and compared with what the record's serializer produces, so a change of library or
//! of library version that changes a single byte fails this test.

use psephos_record::entry::{entry_bytes, CloseEntry};
use psephos_record::{Entry, Manifest, Question, RevotePolicy};

/// §7.2 "Strings": `"` and `\` are escaped with a backslash; U+0008, U+0009, U+000A, U+000C,
/// U+000D are written `\b \t \n \f \r`; every other character below U+0020 is written
/// `\u00XX` with two lowercase hex digits; every other character — `/`, U+007F, U+2028,
/// U+2029, all of non-ASCII — is written as itself in UTF-8.
fn spec_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[test]
fn every_character_is_written_as_the_spec_says() {
    let all: String = (0..=0x10FFFFu32).filter_map(char::from_u32).collect();
    assert_eq!(serde_json::to_string(&all).unwrap(), spec_string(&all));
    // And one character at a time, so a failure names the character.
    for c in (0..0x3000u32).filter_map(char::from_u32) {
        let s = c.to_string();
        assert_eq!(
            serde_json::to_string(&s).unwrap(),
            spec_string(&s),
            "U+{:04X}",
            c as u32
        );
    }
}

#[test]
fn a_manifest_encodes_byte_for_byte_as_the_spec_says() {
    let title = "Ünïcode \"q\" \\ / \u{2028}\u{2029} \u{7f}\u{0}\u{8}\t\n\u{c}\r\u{1f}é😀";
    let manifest = Manifest {
        version: 1,
        election_id: "e/1".into(),
        title: title.into(),
        questions: vec![Question {
            title: "Q?".into(),
            options: vec!["a".into(), "<b>&".into()],
            min_selections: 0,
            max_selections: 1,
        }],
        revote_policy: RevotePolicy::Reject,
        opens_at: None,
        closes_at: Some("2026-11-23T18:00:00Z".into()),
        trustees: 3,
        threshold: 2,
        board_key: {
            let mut k = [0x66u8; 32];
            k[0] = 0x58;
            k
        },
        max_tally: u64::MAX,
    };
    manifest.validate().unwrap();
    let expected = String::new()
        + "{\"version\":1,\"election_id\":\"e/1\",\"title\":\""
        + "\u{dc}n\u{ef}code \\\"q\\\" \\\\ / \u{2028}\u{2029} \u{7f}"
        + "\\u0000\\b\\t\\n\\f\\r\\u001f\u{e9}\u{1f600}\","
        + "\"questions\":[{\"title\":\"Q?\",\"options\":[\"a\",\"<b>&\"],"
        + "\"min_selections\":0,\"max_selections\":1}],"
        + "\"revote_policy\":\"reject\",\"opens_at\":null,"
        + "\"closes_at\":\"2026-11-23T18:00:00Z\",\"trustees\":3,\"threshold\":2,"
        + "\"board_key\":\"58"
        + &"66".repeat(31)
        + "\",\"max_tally\":18446744073709551615}";
    assert_eq!(
        String::from_utf8(serde_json::to_vec(&manifest).unwrap()).unwrap(),
        expected
    );
    // Entry 0 wraps exactly these bytes.
    assert_eq!(
        entry_bytes(&Entry::Manifest(manifest)),
        format!("{{\"manifest\":{expected}}}").into_bytes()
    );
    assert_eq!(
        entry_bytes(&Entry::Close(CloseEntry {
            ballots_received: 0
        })),
        b"{\"close\":{\"ballots_received\":0}}"
    );
}
