use ed25519_dalek::Signer;
use psephos_crypto::group::{mul_g, Element, FixedBase};
use psephos_crypto::nonce::BallotSeed;
use psephos_crypto::Scalar;
use psephos_record::ballot::{
    ballot_signing_key, cast_message, credential_commitment, spoil_message, Ballot, BallotError,
    PendingBallot, SpoiledCiphertexts,
};
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

/// The Helios ballot-copying attack: Mallory casts Alice's ballot, proofs included, under her
/// own credential. The proofs are bound to Alice's credential commitment: it fails, with the
/// same ballot id or another, and with any blinding Mallory picks.
#[test]
fn copied_ballot_under_another_credential_fails() {
    let s = setup();
    let thief = Credential::from_code(&[1u8; 32], "ZZZZZ-FGHIJ-KLMNO-PQRST").unwrap();
    for (id_flip, blinding) in [(0u8, None), (1, None), (0, Some([5u8; 32]))] {
        let mut copy = s.ballot.clone();
        copy.ballot_id[0] ^= id_flip;
        copy.credential = thief.public();
        if let Some(b) = blinding {
            copy.blinding = b;
        }
        copy.signature = thief.sign(&Ballot::signed_message(&copy.hash(&s.h_e)));
        // The signature is fine, but the proofs are bound to Alice's commitment.
        assert!(matches!(
            copy.verify(&s.manifest, &s.h_e, s.key.element()),
            Err(BallotError::Contest { .. })
        ));
    }
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
    bad.signature = s.cred.sign(&Ballot::signed_message(&bad.hash(&s.h_e)));
    assert!(matches!(
        bad.verify(&s.manifest, &s.h_e, s.key.element()),
        Err(BallotError::Contest { .. })
    ));
}

/// Encrypts a ballot for `choice` (seed and blinding from `n`), not yet cast or challenged.
fn pending(s: &Setup, id: u8, n: u64, choice: Vec<u64>) -> PendingBallot {
    let mut rng = ChaCha20Rng::seed_from_u64(n);
    let seed = BallotSeed::random(&mut rng);
    let mut blinding = [0u8; 32];
    rand_chacha::rand_core::RngCore::fill_bytes(&mut rng, &mut blinding);
    PendingBallot::encrypt(
        &s.manifest,
        &s.h_e,
        &s.key,
        s.cred.public(),
        [id; 16],
        vec![choice],
        seed,
        blinding,
    )
    .unwrap()
}

#[test]
fn pending_ballot_casts_with_its_own_credential_only() {
    let s = setup();
    let p = pending(&s, 8, 3, vec![0, 1, 0]);
    let code = p.encrypted().tracking_code(&s.h_e);
    let other = Credential::from_code(&[1u8; 32], "ZZZZZ-FGHIJ-KLMNO-PQRST").unwrap();
    assert!(matches!(
        pending(&s, 8, 3, vec![0, 1, 0]).cast(&s.h_e, &other),
        Err(BallotError::CredentialMismatch)
    ));
    let cast = p.cast(&s.h_e, &s.cred).unwrap();
    cast.verify(&s.manifest, &s.h_e, s.key.element()).unwrap();
    assert_eq!(
        cast.tracking_code(&s.h_e),
        code,
        "same code before and after"
    );
}

#[test]
fn challenged_ballot_opens_to_its_choice_only() {
    let s = setup();
    let p = pending(&s, 8, 4, vec![0, 0, 1]);
    let code = p.encrypted().tracking_code(&s.h_e);
    let opened = p.challenge(&s.h_e);
    assert_eq!(
        opened.tracking_code(&s.h_e),
        code,
        "same code before and after"
    );
    opened.verify(&s.manifest, &s.h_e, &s.key).unwrap();
    assert_eq!(
        opened.chosen_options(&s.manifest),
        vec![vec!["Neither".to_string()]]
    );
    let mut lie = opened.clone();
    lie.choices = vec![vec![1, 0, 0]];
    assert_eq!(
        lie.check_opening(&s.manifest, &s.h_e, &s.key),
        Err(BallotError::ChallengeMismatch)
    );
    // The ballot key must be the seed's.
    let mut swapped = opened.clone();
    swapped.ballot_key = ed25519_dalek::SigningKey::from_bytes(&[3u8; 32])
        .verifying_key()
        .to_bytes();
    assert_eq!(
        swapped.check_opening(&s.manifest, &s.h_e, &s.key),
        Err(BallotError::ChallengeMismatch)
    );
    // The contests must be bound to the commitment given.
    let mut moved = opened;
    moved.commitment[0] ^= 1;
    assert_eq!(
        moved.check_opening(&s.manifest, &s.h_e, &s.key),
        Err(BallotError::ChallengeMismatch)
    );
}

/// A challenge carries no credential and no credential signature, and its commitment is not
/// the commitment of the member's credential under any blinding the challenge reveals.
#[test]
fn challenge_carries_no_credential() {
    let s = setup();
    let opened = pending(&s, 8, 5, vec![0, 1, 0]).challenge(&s.h_e);
    let json = serde_json::to_string(&opened).unwrap();
    assert!(!json.contains("credential"), "{json}");
    assert!(!json.contains(&hex::encode(s.cred.public())));
    // Nothing revealed opens C for the member's credential (ρ is not derived from ξ).
    let seed_bytes: [u8; 32] = hex::decode(opened.seed.to_hex())
        .unwrap()
        .try_into()
        .unwrap();
    for guess in [
        seed_bytes,
        opened.seed.derive(b"psephos/cast-blinding", &[]).to_bytes(),
        [0u8; 32],
    ] {
        assert_ne!(
            credential_commitment(&s.cred.public(), &guess),
            opened.commitment
        );
    }
    // As a cast body it does not even parse (unknown fields, no credential).
    assert!(serde_json::from_str::<Ballot>(&json).is_err());
    // choices are 0/1 integers per option, per question.
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["choices"], serde_json::json!([[0, 1, 0]]));
}

/// The attack of issue 11: the spoiled ballot re-posted as a cast under the voter's
/// credential, with any signature the challenge carries. Every combination fails.
#[test]
fn spoil_signature_never_casts_and_cast_signature_never_spoils() {
    let s = setup();
    let p = pending(&s, 8, 6, vec![1, 0, 0]);
    let hash = p.encrypted().hash(&s.h_e);
    let opened = pending(&s, 8, 6, vec![1, 0, 0]).challenge(&s.h_e);
    assert_eq!(opened.hash(&s.h_e), hash);
    let as_cast = |signature: [u8; 64]| Ballot {
        ballot_id: opened.ballot_id,
        credential: s.cred.public(),
        blinding: [0u8; 32],
        contests: opened.contests.clone(),
        signature,
    };
    // The spoil signature, under the member's credential: refused.
    let forged = as_cast(opened.signature);
    assert_eq!(
        forged.verify_signature(&forged.hash(&s.h_e)),
        Err(BallotError::BadSignature)
    );
    // Even a credential signature over the spoil message (wrong domain): refused.
    let forged = as_cast(s.cred.sign(&spoil_message(&forged.hash(&s.h_e))));
    assert_eq!(
        forged.verify_signature(&forged.hash(&s.h_e)),
        Err(BallotError::BadSignature)
    );
    // And the other way: a ballot-key signature over the cast message is no spoil signature.
    let key = ballot_signing_key(&opened.seed);
    let mut spoil = opened.clone();
    spoil.signature = key.sign(&cast_message(&hash)).to_bytes();
    assert_eq!(
        spoil.verify_signature(&hash),
        Err(BallotError::BadSpoilSignature)
    );
    assert_ne!(cast_message(&hash)[..], spoil_message(&hash)[..]);
    // The real cast signature verifies only as a cast.
    let cast = p.cast(&s.h_e, &s.cred).unwrap();
    cast.verify(&s.manifest, &s.h_e, s.key.element()).unwrap();
    let mut spoil = opened;
    spoil.signature = cast.signature;
    assert_eq!(
        spoil.verify_signature(&hash),
        Err(BallotError::BadSpoilSignature)
    );
}

/// With the revealed seed, anyone can re-prove a challenged ballot's ciphertexts under their
/// own commitment and a new ballot id; casting that is refused, for the whole ballot or for a
/// ballot that shares one ciphertext's randomness.
#[test]
fn spoiled_ciphertexts_are_refused_as_a_cast() {
    let s = setup();
    let opened = pending(&s, 8, 7, vec![1, 0, 0]).challenge(&s.h_e);
    let mut spoiled = SpoiledCiphertexts::new();
    assert!(spoiled.is_empty());
    spoiled.insert(&opened);
    let recast = Ballot::create(
        &s.manifest,
        &s.h_e,
        &s.key,
        &s.cred,
        [9u8; 16],
        &[vec![1, 0, 0]],
        &opened.seed,
    )
    .unwrap();
    recast.verify(&s.manifest, &s.h_e, s.key.element()).unwrap();
    assert_eq!(
        spoiled.check(&recast),
        Err(BallotError::SpoiledBallotCast {
            question: 0,
            option: 0
        })
    );
    // Another choice with the same seed reuses r, so its plaintext is public too.
    let other_choice = Ballot::create(
        &s.manifest,
        &s.h_e,
        &s.key,
        &s.cred,
        [10u8; 16],
        &[vec![0, 1, 0]],
        &opened.seed,
    )
    .unwrap();
    assert!(spoiled.check(&other_choice).is_err());
    // A fresh encryption passes.
    assert_eq!(spoiled.check(&s.ballot), Ok(()));
}
