//! The board's ballot and challenge decoders and checks must reject, never panic, on any input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use psephos_crypto::group::{mul_g, Element, FixedBase};
use psephos_crypto::Scalar;
use psephos_record::manifest::{Manifest, Question, RevotePolicy};
use psephos_record::{Ballot, ChallengedBallot};

fn manifest() -> Manifest {
    Manifest {
        version: 1,
        election_id: "fuzz".into(),
        title: "fuzz".into(),
        questions: vec![Question {
            title: "q".into(),
            options: vec!["a".into(), "b".into(), "c".into()],
            min_selections: 1,
            max_selections: 1,
        }],
        revote_policy: RevotePolicy::LastCounts,
        opens_at: None,
        closes_at: None,
        trustees: 1,
        threshold: 1,
        board_key: [0u8; 32],
        max_tally: 100,
    }
}

fuzz_target!(|data: &[u8]| {
    if let Ok(ballot) = serde_json::from_slice::<Ballot>(data) {
        let key = Element::from_point(mul_g(&Scalar::from(7u64)));
        let _ = ballot.tracking_code(&[1u8; 32]);
        let _ = ballot.verify(&manifest(), &[1u8; 32], &key);
    }
    if let Ok(challenged) = serde_json::from_slice::<ChallengedBallot>(data) {
        let key = FixedBase::new(Element::from_point(mul_g(&Scalar::from(7u64))));
        let _ = challenged.tracking_code(&[1u8; 32]);
        let _ = challenged.verify(&manifest(), &[1u8; 32], &key);
    }
});
