use psephos_crypto::group::{mul_g, Element, FixedBase};
use psephos_crypto::nonce::BallotSeed;
use psephos_crypto::Scalar;
use psephos_record::ballot::{Ballot, BallotError, ChallengedBallot};
use psephos_record::credential::Credential;
use psephos_record::manifest::{Manifest, Question, RevotePolicy};
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;

fn manifest() -> Manifest {
    Manifest {
        version: 1,
        election_id: "test".into(),
        title: "Nomination".into(),
        questions: vec![Question {
            title: "Whom should we nominate?".into(),
            options: vec![
                "Owen Smith".into(),
                "Jeremy Corbyn".into(),
                "Neither".into(),
            ],
            min_selections: 1,
            max_selections: 1,
        }],
        revote_policy: RevotePolicy::LastCounts,
        opens_at: None,
        closes_at: None,
        trustees: 3,
        threshold: 2,
        board_key: ed25519_dalek::SigningKey::from_bytes(&[5u8; 32])
            .verifying_key()
            .to_bytes(),
        max_tally: 10_000_000,
    }
}

struct Setup {
    manifest: Manifest,
    h_e: [u8; 32],
    key: FixedBase,
    cred: Credential,
    ballot: Ballot,
}

fn setup() -> Setup {
    let mut rng = ChaCha20Rng::seed_from_u64(3);
    let manifest = manifest();
    manifest.validate().unwrap();
    let h_e = [42u8; 32];
    let key = FixedBase::new(Element::from_point(mul_g(&Scalar::random(&mut rng))));
    let cred = Credential::from_code(&[1u8; 32], "ABCDE-FGHIJ-KLMNO-PQRST").unwrap();
    let seed = BallotSeed::random(&mut rng);
    let ballot = Ballot::create(
        &manifest,
        &h_e,
        &key,
        &cred,
        [7u8; 16],
        &[vec![0, 1, 0]],
        &seed,
    )
    .unwrap();
    Setup {
        manifest,
        h_e,
        key,
        cred,
        ballot,
    }
}

#[test]
fn ballot_verifies_and_round_trips_through_json() {
    let s = setup();
    s.ballot
        .verify(&s.manifest, &s.h_e, s.key.element())
        .unwrap();
    let json = serde_json::to_string(&s.ballot).unwrap();
    let back: Ballot = serde_json::from_str(&json).unwrap();
    assert_eq!(back, s.ballot);
    assert_eq!(back.tracking_code(&s.h_e).len(), 19);
}

#[test]
fn ballot_under_another_election_hash_fails() {
    let s = setup();
    assert!(s
        .ballot
        .verify(&s.manifest, &[43u8; 32], s.key.element())
        .is_err());
}

#[test]
fn copied_ballot_under_another_credential_fails() {
    let s = setup();
    let thief = Credential::from_code(&[1u8; 32], "ZZZZZ-FGHIJ-KLMNO-PQRST").unwrap();
    let mut copy = s.ballot.clone();
    copy.credential = thief.public();
    copy.signature = thief.sign(&copy.hash(&s.h_e));
    // Signature is fine, but the proofs are bound to the original credential.
    assert!(matches!(
        copy.verify(&s.manifest, &s.h_e, s.key.element()),
        Err(BallotError::Contest { .. })
    ));
}

#[test]
fn tampered_signature_or_id_fails() {
    let s = setup();
    let mut bad = s.ballot.clone();
    bad.signature[3] ^= 1;
    assert_eq!(
        bad.verify(&s.manifest, &s.h_e, s.key.element()),
        Err(BallotError::BadSignature)
    );
    let mut bad = s.ballot.clone();
    bad.ballot_id[0] ^= 1;
    assert_eq!(
        bad.verify(&s.manifest, &s.h_e, s.key.element()),
        Err(BallotError::BadSignature)
    );
    // Re-signed with a new id: the proofs still name the old id.
    bad.signature = s.cred.sign(&bad.hash(&s.h_e));
    assert!(matches!(
        bad.verify(&s.manifest, &s.h_e, s.key.element()),
        Err(BallotError::Contest { .. })
    ));
}

#[test]
fn challenged_ballot_opens_to_its_choice_only() {
    let mut rng = ChaCha20Rng::seed_from_u64(4);
    let s = setup();
    let seed = BallotSeed::random(&mut rng);
    let ballot = Ballot::create(
        &s.manifest,
        &s.h_e,
        &s.key,
        &s.cred,
        [8u8; 16],
        &[vec![0, 0, 1]],
        &seed,
    )
    .unwrap();
    let opened = ChallengedBallot {
        ballot: ballot.clone(),
        seed: seed.clone(),
        choices: vec![vec![0, 0, 1]],
    };
    opened.check_opening(&s.manifest, &s.h_e, &s.key).unwrap();
    assert_eq!(
        opened.chosen_options(&s.manifest),
        vec![vec!["Neither".to_string()]]
    );
    let lie = ChallengedBallot {
        ballot,
        seed,
        choices: vec![vec![1, 0, 0]],
    };
    assert_eq!(
        lie.check_opening(&s.manifest, &s.h_e, &s.key),
        Err(BallotError::ChallengeMismatch)
    );
}
