//! Issue 11 item 2: a ballot signed with R' = r·B + T (T of small order) gets one verdict from
//! the verifier whatever the chunk size and thread count: accepted, by the cofactored rule of
//! spec §7.4. (Before, the cofactorless batch accepted it or not depending on its random
//! weight, and the one-by-one fallback refused it: FAILED at one `--chunk`, VERIFIED at
//! another.)

mod support;

use std::process::Command;

use psephos_record::{Ballot, Credential, Entry};
use psephos_verify::checks::DEFAULT_CHUNK;
use psephos_verify::testkit::{self, Record, Spec};
use psephos_verify::{verify_dir, Options};
use support::temp_dir;

fn credential_of(r: &Record, public: &[u8; 32]) -> Credential {
    r.codes
        .iter()
        .map(|c| Credential::from_code(&r.base_hash, c).unwrap())
        .find(|c| &c.public() == public)
        .unwrap()
}

/// Re-signs the ballots at `which` (indexes among the ballot entries) with torsion in R, each
/// with a different small-order point.
fn with_torsion_signatures(r: &mut Record, which: &[usize]) -> usize {
    let ballots = r.find_all("ballot");
    for (n, &k) in which.iter().enumerate() {
        let i = ballots[k];
        let Entry::Ballot(mut b) = r.entry(i) else {
            panic!("not a ballot")
        };
        let hash = b.ballot.hash(&r.election_hash);
        let cred = credential_of(r, &b.ballot.credential);
        b.ballot.signature = cred.sign_with_torsion(&Ballot::signed_message(&hash), 1 + n % 7);
        // The single check accepts it (the old `verify_strict` refused every one).
        assert!(b.ballot.verify_signature(&hash).is_ok());
        r.set_entry(i, &Entry::Ballot(b));
    }
    which.len()
}

/// Runs `psephos-verify --json --chunk N` with 1 and 2 rayon threads (its own process each,
/// so the thread count is the global pool's) and in-process at every chunk size.
fn verdicts(r: &Record, tag: &str, expect_pass: bool) {
    let dir = temp_dir(tag);
    r.write(&dir).unwrap();
    for chunk in [1, 2, 3, DEFAULT_CHUNK] {
        let options = Options {
            chunk,
            require_complete: true,
            ..Default::default()
        };
        let report = verify_dir(&dir, &options).unwrap();
        assert_eq!(
            report.passed(),
            expect_pass,
            "chunk {chunk}: {:#?}",
            report.checks
        );
        if !expect_pass {
            assert_eq!(report.failed_checks(), vec![5], "chunk {chunk}");
        }
        for threads in ["1", "2"] {
            let out = Command::new(env!("CARGO_BIN_EXE_psephos-verify"))
                .arg(&dir)
                .args(["--json", "--chunk", &chunk.to_string()])
                .env("RAYON_NUM_THREADS", threads)
                .output()
                .unwrap();
            let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
            assert_eq!(
                v["passed"], expect_pass,
                "chunk {chunk}, {threads} threads: {v}"
            );
            assert_eq!(out.status.code(), Some(if expect_pass { 0 } else { 1 }));
            let failed: Vec<u64> = v["checks"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|c| c["status"] == "failed")
                .map(|c| c["number"].as_u64().unwrap())
                .collect();
            assert_eq!(failed, if expect_pass { vec![] } else { vec![5] });
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn torsion_signatures_verify_at_every_chunk_size_and_thread_count() {
    let mut r = testkit::generate(&Spec::association(9));
    with_torsion_signatures(&mut r, &[0, 3, 4, 8]);
    verdicts(&r, "torsion", true);
}

/// The same record with one signature broken fails check 5, again at every chunk size.
#[test]
fn a_bad_signature_among_torsion_signatures_fails_at_every_chunk_size() {
    let mut r = testkit::generate(&Spec::association(9));
    with_torsion_signatures(&mut r, &[0, 3, 4, 8]);
    let i = r.find_all("ballot")[5];
    let Entry::Ballot(mut b) = r.entry(i) else {
        panic!("not a ballot")
    };
    b.ballot.signature[40] ^= 1;
    r.set_entry(i, &Entry::Ballot(b));
    verdicts(&r, "torsion-bad", false);
}
