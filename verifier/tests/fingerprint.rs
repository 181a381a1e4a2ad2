//! The election fingerprint in the report, and the web bundle hash as an input of H_E
//! (docs/spec.md §7.2): an `open` entry whose bundle hash is not bound into H_E fails check 1.

mod support;

use psephos_record::entry::HexKey;
use psephos_record::{hash, Entry, Phase};
use psephos_verify::testkit::{self, Spec};
use support::{small, verify_record};

#[test]
fn the_report_carries_the_fingerprint_of_h_e() {
    let r = small();
    let report = verify_record(&r, "fingerprint").unwrap();
    assert!(report.passed(), "{:?}", report.failed_checks());
    assert_eq!(
        report.election_fingerprint,
        Some(hash::election_fingerprint(&r.election_hash))
    );
    assert_eq!(report.web_bundle_hash, None);
}

#[test]
fn a_web_bundle_hash_outside_h_e_fails_check_1_and_inside_it_verifies() {
    // Open, no ballots: nothing else depends on H_E, so H_E can be recomputed below.
    let mut r = testkit::generate(&Spec {
        stop: Phase::Open,
        ballots: 0,
        revotes: 0,
        challenged: 0,
        ..Spec::small()
    });
    let i = r.find("open").unwrap();
    let Entry::Open(mut open) = r.entry(i) else {
        panic!("not an open entry")
    };
    let bundle = [7u8; 32];
    // The board claims a bundle but H_E does not commit to it.
    open.web_bundle_hash = Some(HexKey(bundle));
    r.set_entry(i, &Entry::Open(open.clone()));
    let report = verify_record(&r, "bundle-unbound").unwrap();
    assert_eq!(report.failed_checks(), vec![1]);

    // H_E with the bundle hash as an input: verifies, and the fingerprint follows H_E.
    let prefix = r.chain()[i - 1];
    open.election_hash = hash::election_hash(
        &r.base_hash,
        &prefix,
        open.joint_key.as_bytes(),
        Some(&bundle),
    );
    r.set_entry(i, &Entry::Open(open.clone()));
    let report = verify_record(&r, "bundle-bound").unwrap();
    assert!(report.passed(), "{:?}", report.failed_checks());
    assert_eq!(report.web_bundle_hash, Some(hex::encode(bundle)));
    assert_eq!(
        report.election_fingerprint,
        Some(hash::election_fingerprint(&open.election_hash))
    );
    assert_ne!(
        report.election_fingerprint,
        Some(hash::election_fingerprint(&r.election_hash))
    );
}
