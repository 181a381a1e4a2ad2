//! The places where docs/spec.md is exact and the verifier must be as strict (issue 11, items
//! 5 and 6): the line form of `board.jsonl`, the exact bytes of `manifest.json`, `result.json`
//! and `roll.jsonl`, the manifest rules, the timestamp form, the roll order and size, when
//! "at least t decryptions" applies, the turnout of an empty roll, and a `result.json` without
//! a `result` entry. Each test tampers with an honest record (re-hashed and re-signed where
//! the log changes) and names the check that must fail, or builds an edge case that must pass.

mod support;

use psephos_record::entry::{HexKey, OpenEntry, RollEntry};
use psephos_record::hash;
use psephos_record::{Entry, Manifest, Phase};
use psephos_verify::report::Status;
use psephos_verify::testkit::{self, Files, Record, Spec};
use psephos_verify::{verify_dir, InputError, Options, Report};
use support::{small, temp_dir, verify_files, verify_record};

fn fails_only(report: &Report, number: u8, message_part: &str) {
    assert_eq!(report.failed_checks(), vec![number], "{:#?}", report.checks);
    let messages: Vec<&str> = report
        .check(number)
        .unwrap()
        .failures
        .iter()
        .map(|f| f.message.as_str())
        .collect();
    assert!(
        messages.iter().any(|m| m.contains(message_part)),
        "check {number} should say {message_part:?}: {messages:?}"
    );
}

fn unreadable_board(files: &Files, tag: &str, line: u64) -> InputError {
    let e = verify_files(files, tag).unwrap_err();
    assert_eq!(
        (e.file.as_str(), e.line),
        ("board.jsonl", Some(line)),
        "{e}"
    );
    e
}

// ------------------------------------------------------------- item 6.2: board.jsonl lines

#[test]
fn board_lines_must_be_in_the_exact_form() {
    let r = small();
    let honest = r.files();
    assert!(verify_files(&honest, "lines-honest").unwrap().passed());
    let lines: Vec<&str> = honest.board.lines().collect();
    // Line 4 (seq 3), re-framed in ways JSON readers accept; the hash still matches the entry
    // text, so only the frame is wrong.
    let line = lines[3];
    let (head, entry) = line.split_once(",\"entry\":").unwrap();
    let entry = entry.strip_suffix('}').unwrap();
    let prev = &head[head.find("\"prev\":\"").unwrap() + 8..][..64];
    let hash = &head[head.find("\"hash\":\"").unwrap() + 8..][..64];
    let variants = [
        format!("{{\"seq\": 3,\"prev\":\"{prev}\",\"hash\":\"{hash}\",\"entry\":{entry}}}"),
        format!("{{\"seq\":3, \"prev\":\"{prev}\",\"hash\":\"{hash}\",\"entry\":{entry}}}"),
        format!("{{\"seq\":3,\"prev\":\"{prev}\",\"hash\":\"{hash}\",\"entry\":{entry} }}"),
        format!("{{\"prev\":\"{prev}\",\"seq\":3,\"hash\":\"{hash}\",\"entry\":{entry}}}"),
        format!("{{\"entry\":{entry},\"seq\":3,\"prev\":\"{prev}\",\"hash\":\"{hash}\"}}"),
        format!("{{\"\\u0073eq\":3,\"prev\":\"{prev}\",\"hash\":\"{hash}\",\"entry\":{entry}}}"),
        format!("{{\"seq\":3,\"prev\":\"{prev}\",\"hash\":\"{hash}\",\"entry\":{entry}}}\r"),
        format!("{{\"seq\":03,\"prev\":\"{prev}\",\"hash\":\"{hash}\",\"entry\":{entry}}}"),
    ];
    assert_eq!(
        variants[0].replacen(": 3", ":3", 1),
        line,
        "the variants differ from the honest line only by their frame"
    );
    for (k, variant) in variants.iter().enumerate() {
        let mut files = honest.clone();
        let mut edited = lines.clone();
        edited[3] = variant;
        files.board = edited.join("\n") + "\n";
        let e = unreadable_board(&files, &format!("line-{k}"), 4);
        assert!(e.message.contains("bad line"), "{variant}: {e}");
    }

    // CRLF line ends throughout.
    let mut files = honest.clone();
    files.board = lines.join("\r\n") + "\r\n";
    unreadable_board(&files, "crlf", 1);

    // The last line without its line feed.
    let mut files = honest.clone();
    files.board.pop();
    unreadable_board(&files, "no-final-lf", lines.len() as u64);
}

// -------------------------------------------- item 6.3: manifest.json and result.json bytes

#[test]
fn manifest_and_result_files_are_exactly_the_entry_bytes() {
    let r = small();
    let mut files = r.files();
    files.manifest.push('\n');
    fails_only(
        &verify_files(&files, "manifest-lf").unwrap(),
        1,
        "manifest.json differs",
    );

    let mut files = r.files();
    files.result = files.result.map(|t| t + "\n");
    fails_only(
        &verify_files(&files, "result-lf").unwrap(),
        10,
        "result.json differs",
    );

    let mut files = r.files();
    files.manifest = format!("\u{feff}{}", files.manifest);
    fails_only(
        &verify_files(&files, "manifest-bom").unwrap(),
        1,
        "manifest.json differs",
    );
}

// ------------------------------------------ items 6.4, 6.7, 6.13: the manifest (check 1)

/// The small record cut to entry 0, with its manifest replaced: only check 1 applies.
fn manifest_only(edit: impl Fn(&mut Manifest)) -> Record {
    let mut r = small();
    r.bodies.truncate(1);
    let Entry::Manifest(mut m) = r.entry(0) else {
        panic!("entry 0 is the manifest")
    };
    edit(&mut m);
    r.set_entry(0, &Entry::Manifest(m));
    r
}

#[test]
fn a_manifest_only_record_with_canonical_times_passes() {
    let r = manifest_only(|m| {
        m.opens_at = Some("2026-11-23T08:00:00Z".into());
        m.closes_at = Some("2028-02-29T18:30:59Z".into());
        m.title = "Générale \"2026\" / \\ \u{2028}".into();
    });
    let report = verify_record(&r, "manifest-ok").unwrap();
    assert!(report.passed(), "{:#?}", report.checks);
    assert_eq!(report.check(1).unwrap().status, Status::Passed);
}

#[test]
fn timestamps_have_one_form() {
    for (k, (opens, closes)) in [
        (Some("yesterday"), None),
        (None, Some("2026-11-23T19:00:00+01:00")),
        (None, Some("2026-11-23T18:00:00.000Z")),
        (None, Some("2026-11-23t18:00:00z")),
        (None, Some("2026-11-23 18:00:00Z")),
        (Some("2026-02-29T00:00:00Z"), None),
        (Some("2026-11-23T18:00:00Z"), Some("2026-11-23T08:00:00Z")),
    ]
    .into_iter()
    .enumerate()
    {
        let r = manifest_only(|m| {
            m.opens_at = opens.map(String::from);
            m.closes_at = closes.map(String::from);
        });
        let report = verify_record(&r, &format!("time-{k}")).unwrap();
        fails_only(&report, 1, "manifest:");
    }
}

#[test]
fn incomplete_manifests_fail_check_1() {
    type Edit<'a> = (&'a str, &'a dyn Fn(&mut Manifest));
    let edits: [Edit; 7] = [
        ("no questions", &|m| m.questions.clear()),
        ("empty title", &|m| m.title.clear()),
        ("blank title", &|m| m.title = " \t".into()),
        ("empty election id", &|m| m.election_id.clear()),
        ("empty question title", &|m| m.questions[0].title.clear()),
        ("empty option name", &|m| m.questions[1].options[0].clear()),
        ("max_tally 0", &|m| m.max_tally = 0),
    ];
    for (what, edit) in edits {
        let r = manifest_only(edit);
        let report = verify_record(&r, "manifest-bad").unwrap();
        assert_eq!(
            report.failed_checks(),
            vec![1],
            "{what}: {:#?}",
            report.checks
        );
    }
}

#[test]
fn a_logged_manifest_not_in_canonical_json_fails() {
    // `\/` and `\u0020` decode to the same manifest, but are not its canonical text (§7.2.1).
    for (k, (from, to)) in [
        ("General assembly", "General\\u0020assembly"),
        ("\"version\":1", "\"version\":1.0e0"),
        ("\"title\":\"General", "\"title\":\"\\/General"),
    ]
    .into_iter()
    .enumerate()
    {
        let mut r = small();
        r.bodies.truncate(1);
        assert!(r.bodies[0].contains(from));
        r.bodies[0] = r.bodies[0].replacen(from, to, 1);
        match verify_record(&r, &format!("noncanonical-{k}")) {
            Ok(report) => fails_only(&report, 1, "canonical"),
            // A number that is not an integer does not even decode as a manifest.
            Err(e) => assert!(to.contains("1.0e0"), "{to}: {e}"),
        }
    }
}

// ------------------------------------------------ items 5 and 6.5: roll order and size

/// A record that stops after the roll, with its roll entries replaced by `entries`.
fn with_roll_entries(spec: Spec, entries: Vec<Vec<[u8; 32]>>) -> Record {
    let mut r = testkit::generate(&Spec {
        stop: Phase::Ceremony,
        ..spec
    });
    let first = r.find("roll").unwrap();
    r.bodies.retain(|b| !b.starts_with("{\"roll\":"));
    for (k, credentials) in entries.into_iter().enumerate() {
        let entry = Entry::Roll(RollEntry {
            credentials: credentials.into_iter().map(HexKey).collect(),
        });
        r.bodies.insert(first + k, String::new());
        r.set_entry(first + k, &entry);
    }
    r
}

fn sorted_roll(r: &Record) -> Vec<[u8; 32]> {
    let mut roll: Vec<[u8; 32]> = r
        .find_all("roll")
        .into_iter()
        .flat_map(|i| match r.entry(i) {
            Entry::Roll(e) => e.credentials.into_iter().map(|c| c.0).collect::<Vec<_>>(),
            _ => unreachable!(),
        })
        .collect();
    roll.sort_unstable();
    roll
}

#[test]
fn an_unsorted_roll_entry_fails_check_3() {
    let honest = testkit::generate(&Spec {
        stop: Phase::Ceremony,
        ..Spec::small()
    });
    let roll = sorted_roll(&honest);
    let mut reversed = roll.clone();
    reversed.reverse();
    let r = with_roll_entries(Spec::small(), vec![reversed]);
    fails_only(
        &verify_record(&r, "roll-unsorted").unwrap(),
        3,
        "not greater than the one before it",
    );
}

#[test]
fn later_roll_entries_may_hold_smaller_credentials_but_roll_jsonl_is_sorted() {
    let honest = testkit::generate(&Spec {
        stop: Phase::Ceremony,
        ..Spec::small()
    });
    let roll = sorted_roll(&honest);
    // Two entries, each sorted, the second holding the smaller credentials: valid.
    let r = with_roll_entries(Spec::small(), vec![roll[3..].to_vec(), roll[..3].to_vec()]);
    let files = r.files();
    let report = verify_files(&files, "roll-two-entries").unwrap();
    assert!(report.passed(), "{:#?}", report.checks);
    // roll.jsonl in log order (the entries concatenated) is not the roll in roll order.
    let mut log_order = files.clone();
    log_order.roll = roll[3..]
        .iter()
        .chain(&roll[..3])
        .map(|c| format!("{{\"credential\":\"{}\"}}\n", hex::encode(c)))
        .collect();
    fails_only(
        &verify_files(&log_order, "roll-log-order").unwrap(),
        3,
        "roll order",
    );
    // Same credentials, same order, other bytes: CRLF, a space.
    for (k, text) in [
        files.roll.replace('\n', "\r\n"),
        files.roll.replace("{\"credential\":", "{\"credential\": "),
    ]
    .into_iter()
    .enumerate()
    {
        let mut other = files.clone();
        other.roll = text;
        fails_only(
            &verify_files(&other, &format!("roll-bytes-{k}")).unwrap(),
            3,
            "roll order",
        );
    }
}

#[test]
fn the_roll_hash_is_over_the_roll_in_roll_order() {
    // An election that opens with a roll in two entries, the second holding the smaller
    // credentials; the open entry is recomputed for the new log prefix.
    let spec = Spec {
        ballots: 0,
        revotes: 0,
        challenged: 0,
        stop: Phase::Open,
        ..Spec::small()
    };
    let honest = testkit::generate(&spec);
    let roll = sorted_roll(&honest);
    let open_at = honest.find("open").unwrap();
    let Entry::Open(open) = honest.entry(open_at) else {
        panic!()
    };
    let rebuild = |roll_hash: hash::Hash| {
        let mut r = with_roll_entries(
            Spec {
                stop: Phase::Ceremony,
                ..spec.clone()
            },
            vec![roll[3..].to_vec(), roll[..3].to_vec()],
        );
        let prefix = *r.chain().last().unwrap();
        let election_hash = hash::election_hash(
            &r.current_base_hash(),
            &prefix,
            open.joint_key.as_bytes(),
            open.web_bundle_hash.as_ref().map(|h| &h.0),
        );
        r.bodies.push(String::new());
        let last = r.bodies.len() - 1;
        r.set_entry(
            last,
            &Entry::Open(OpenEntry {
                election_hash,
                roll_hash,
                ..open.clone()
            }),
        );
        r
    };
    let r = rebuild(hash::roll_hash(roll.iter()));
    let report = verify_record(&r, "roll-hash-sorted").unwrap();
    assert!(report.passed(), "{:#?}", report.checks);
    let log_order: Vec<[u8; 32]> = roll[3..].iter().chain(&roll[..3]).copied().collect();
    let r = rebuild(hash::roll_hash(log_order.iter()));
    fails_only(
        &verify_record(&r, "roll-hash-log-order").unwrap(),
        3,
        "roll_hash",
    );
}

#[test]
fn a_roll_entry_of_more_than_10000_credentials_fails_check_3() {
    let spec = Spec {
        voters: 10_001,
        ballots: 0,
        revotes: 0,
        challenged: 0,
        ..Spec::small()
    };
    let honest = testkit::generate(&Spec {
        stop: Phase::Ceremony,
        ..spec.clone()
    });
    // The generator cuts the roll at 10,000: an entry of exactly 10,000 is valid.
    assert_eq!(honest.find_all("roll").len(), 2);
    let report = verify_record(&honest, "roll-10000").unwrap();
    assert!(report.passed(), "{:#?}", report.checks);
    let r = with_roll_entries(spec, vec![sorted_roll(&honest)]);
    fails_only(
        &verify_record(&r, "roll-10001").unwrap(),
        3,
        "at most 10000",
    );
    let empty = with_roll_entries(Spec::small(), vec![vec![]]);
    fails_only(
        &verify_record(&empty, "roll-empty-entry").unwrap(),
        3,
        "no credentials",
    );
}

// ----------------------------------------- item 6.10: when "at least t decryptions" applies

#[test]
fn fewer_than_t_decryptions_without_a_result_is_not_a_failure() {
    let mut r = small();
    let result = r.find("result").unwrap();
    r.bodies.remove(result);
    let decryptions = r.find_all("decryption");
    r.bodies.remove(decryptions[1]);
    let report = verify_record(&r, "one-decryption").unwrap();
    assert!(report.passed(), "{:#?}", report.checks);
    let c9 = report.check(9).unwrap();
    assert_eq!(
        c9.status,
        Status::Passed,
        "the decryption present is checked"
    );
    assert!(c9.items > 0);
    assert_eq!(report.check(10).unwrap().status, Status::Skipped);

    // The one decryption present is still checked.
    let Entry::Decryption(mut d) = r.entry(decryptions[0]) else {
        panic!()
    };
    d.questions[0][0].proof.response.0 += psephos_crypto::Scalar::ONE;
    r.set_entry(decryptions[0], &Entry::Decryption(d));
    fails_only(
        &verify_record(&r, "one-bad-decryption").unwrap(),
        9,
        "does not verify",
    );
}

// ----------------------------------------------------- item 6.11: turnout of an empty roll

#[test]
fn an_empty_roll_has_turnout_0_00() {
    let r = testkit::generate(&Spec {
        voters: 0,
        ballots: 0,
        revotes: 0,
        challenged: 0,
        ..Spec::small()
    });
    let report = verify_record(&r, "empty-roll").unwrap();
    assert!(report.passed(), "{:#?}", report.checks);
    let result = r.find("result").unwrap();
    let Entry::Result(res) = r.entry(result) else {
        panic!()
    };
    assert_eq!(
        (
            res.turnout.eligible,
            res.turnout.voted,
            res.turnout.percentage.as_str()
        ),
        (0, 0, "0.00")
    );
    assert_eq!(r.files().roll, "");
    let mut r = r;
    let honest_body = r.bodies[result].clone();
    for wrong in ["0", "NaN", "", "100.00", "0.0"] {
        let mut res = res.clone();
        res.turnout.percentage = wrong.to_string();
        r.set_entry(result, &Entry::Result(res));
        fails_only(
            &verify_record(&r, "empty-roll-turnout").unwrap(),
            10,
            "turnout",
        );
        r.bodies[result] = honest_body.clone();
    }
}

// ------------------------------------------ item 6.16: result.json without a result entry

#[test]
fn a_result_json_without_a_result_entry_fails_check_10() {
    let mut r = small();
    let result_json = r.files().result.unwrap();
    let result = r.find("result").unwrap();
    r.bodies.remove(result);
    let mut files = r.files();
    assert!(files.result.is_none());
    files.result = Some(result_json);
    fails_only(
        &verify_files(&files, "result-without-entry").unwrap(),
        10,
        "no result entry",
    );
    // And the other way round: a result entry without result.json.
    let r = small();
    let mut files = r.files();
    files.result = None;
    let dir = temp_dir("entry-without-result");
    files.write(&dir).unwrap();
    let report = verify_dir(&dir, &Options::default()).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    fails_only(&report, 10, "result.json is missing");
}

// ------------------------------ §7.2.1: entry texts other than the manifest are decoded only

#[test]
fn entry_texts_are_decoded_strictly_but_not_re_encoded() {
    let honest = small();
    let close = honest.find("close").unwrap();
    let tally = honest.find("tally").unwrap();
    let Entry::Close(c) = honest.entry(close) else {
        panic!()
    };
    let n = c.ballots_received;
    let Entry::Tally(t) = honest.entry(tally) else {
        panic!()
    };
    let questions = serde_json::to_string(&t.questions).unwrap();

    // Accepted: whitespace between tokens, another key order (the entry hash binds the text).
    let mut r = small();
    r.bodies[close] = format!("{{ \"close\" : {{ \"ballots_received\" : {n} }} }}");
    r.bodies[tally] = format!(
        "{{\"tally\":{{\"questions\":{questions},\"counted\":{}}}}}",
        t.counted
    );
    let report = verify_record(&r, "entry-text-lenient").unwrap();
    assert!(report.passed(), "{:#?}", report.checks);

    // Refused: a repeated key, a number with a fraction, exponent or sign, an unknown key.
    for (k, text) in [
        format!("{{\"close\":{{\"ballots_received\":{n},\"ballots_received\":{n}}}}}"),
        format!("{{\"close\":{{\"ballots_received\":{n}.0}}}}"),
        format!("{{\"close\":{{\"ballots_received\":{n}e0}}}}"),
        format!("{{\"close\":{{\"ballots_received\":+{n}}}}}"),
        format!("{{\"close\":{{\"ballots_received\":{n},\"x\":0}}}}"),
        format!(
            "{{\"close\":{{\"ballots_received\":{n}}},\"close\":{{\"ballots_received\":{n}}}}}"
        ),
    ]
    .into_iter()
    .enumerate()
    {
        let mut r = small();
        r.bodies[close] = text.clone();
        let e = verify_record(&r, &format!("entry-text-{k}")).unwrap_err();
        assert_eq!(
            (e.file.as_str(), e.line),
            ("board.jsonl", Some(close as u64 + 1)),
            "{text}: {e}"
        );
    }
    // `-0` is refused too (a record without ballots, where the close says 0).
    let mut r = testkit::generate(&Spec {
        ballots: 0,
        revotes: 0,
        challenged: 0,
        ..Spec::small()
    });
    let close = r.find("close").unwrap();
    assert_eq!(r.bodies[close], "{\"close\":{\"ballots_received\":0}}");
    r.bodies[close] = "{\"close\":{\"ballots_received\":-0}}".into();
    assert!(verify_record(&r, "entry-text-minus-zero").is_err());
}
