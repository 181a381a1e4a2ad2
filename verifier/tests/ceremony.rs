//! The key-ceremony rules of docs/spec.md §6.3 and the decryption form of §6.2, as the
//! verifier applies them (the same functions as the board): each test tampers with a
//! generated record and expects the check's failure, with a message that names the culprit.

mod support;

use psephos_record::entry::SharesEntry;
use psephos_record::{Entry, Phase};
use psephos_verify::report::Status;
use psephos_verify::testkit::{self, Record, Spec};
use psephos_verify::Report;
use support::{small, verify_record};

fn ceremony_only(complaint: Option<bool>) -> Record {
    testkit::generate(&Spec {
        complaint,
        stop: Phase::Ceremony,
        ..Spec::small()
    })
}

fn messages(report: &Report, number: u8) -> Vec<String> {
    report
        .check(number)
        .unwrap()
        .failures
        .iter()
        .map(|f| f.message.clone())
        .collect()
}

fn shares_of(r: &Record, from: u32) -> (usize, SharesEntry) {
    r.find_all("shares")
        .into_iter()
        .find_map(|i| match r.entry(i) {
            Entry::Shares(s) if s.from == from => Some((i, s)),
            _ => None,
        })
        .unwrap()
}

#[test]
fn complaint_before_the_share_it_disputes_fails_check_2() {
    // Trustee 2 complains about trustee 1's share (a false complaint: the record passes).
    let mut r = ceremony_only(Some(false));
    assert!(verify_record(&r, "order-ok").unwrap().passed());
    // Moved before trustee 1's shares entry: the same evidence, out of order.
    let complaint = r.find("complaint").unwrap();
    let (shares, _) = shares_of(&r, 1);
    let body = r.bodies.remove(complaint);
    r.bodies.insert(shares, body);
    let report = verify_record(&r, "order-early").unwrap();
    assert_eq!(report.failed_checks(), vec![2]);
    let m = messages(&report, 2);
    assert!(
        m.iter().any(|m| m.contains(
            "complaint by trustee 2 against trustee 1 came before the share it disputes"
        )),
        "{m:?}"
    );
}

#[test]
fn share_without_a_valid_ephemeral_proof_blames_its_sender() {
    // The complaint oracle: trustee 3 sends trustee 2 a share whose ephemeral point is the
    // one of trustee 1's share to trustee 2, with that share's proof.
    let mut r = ceremony_only(None);
    let (_, from_1) = shares_of(&r, 1);
    let victim = from_1.shares.iter().find(|s| s.to == 2).unwrap().clone();
    let (i, mut from_3) = shares_of(&r, 3);
    let slot = from_3.shares.iter_mut().find(|s| s.to == 2).unwrap();
    slot.ephemeral = victim.ephemeral;
    slot.ephemeral_proof = victim.ephemeral_proof;
    r.set_entry(i, &Entry::Shares(from_3));
    let report = verify_record(&r, "ephemeral").unwrap();
    assert!(report.failed_checks().contains(&2));
    let m = messages(&report, 2);
    assert!(
        m.iter().any(|m| m.contains(
            "share from trustee 3 to trustee 2 has an invalid proof of its ephemeral key: \
             trustee 3 cheated"
        )),
        "{m:?}"
    );
}

#[test]
fn ceremony_messages_out_of_step_fail_check_2() {
    // Commitments before every trustee's key.
    let mut r = ceremony_only(None);
    let keys = r.find_all("trustee_key");
    let first_commitments = r.find("commitments").unwrap();
    let body = r.bodies.remove(first_commitments);
    r.bodies.insert(*keys.last().unwrap(), body);
    let report = verify_record(&r, "order-commitments").unwrap();
    assert_eq!(report.failed_checks(), vec![2]);
    assert!(messages(&report, 2)[0].contains("before every trustee's trustee_key (2 of 3)"));

    // An acceptance posted twice.
    let mut r = ceremony_only(None);
    let acceptance = r.find("acceptance").unwrap();
    let body = r.bodies[acceptance].clone();
    r.bodies.insert(acceptance + 1, body);
    let report = verify_record(&r, "order-twice").unwrap();
    assert_eq!(report.failed_checks(), vec![2]);
    assert!(messages(&report, 2)[0].contains("already posted its acceptance"));
}

#[test]
fn decryption_share_of_another_trustee_fails_check_9() {
    // Trustee 1's decryption entry carrying trustee 2's (valid) share for one option.
    let mut r = small();
    let decryptions = r.find_all("decryption");
    let (Entry::Decryption(mut d1), Entry::Decryption(d2)) =
        (r.entry(decryptions[0]), r.entry(decryptions[1]))
    else {
        panic!("decryption entries");
    };
    assert_ne!(d1.trustee, d2.trustee);
    d1.questions[0][0] = d2.questions[0][0].clone();
    r.set_entry(decryptions[0], &Entry::Decryption(d1.clone()));
    let report = verify_record(&r, "dec-index").unwrap();
    assert!(report.failed_checks().contains(&9));
    let expected = format!(
        "trustee {}'s decryption holds a share of trustee {} (question 0, option 0)",
        d1.trustee, d2.trustee
    );
    assert!(
        messages(&report, 9).iter().any(|m| m.contains(&expected)),
        "{:?}",
        messages(&report, 9)
    );
    assert_eq!(report.check(2).unwrap().status, Status::Passed);
}
