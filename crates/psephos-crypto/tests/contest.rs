//! One question of a ballot (docs/spec.md §5.5): encryption, verification alone and in a
//! batch, and every way a proof could be moved somewhere it does not belong.

use psephos_crypto::batch::BatchVerifier;
use psephos_crypto::contest::{
    ContestBinding, ContestError, ContestLimits, EncryptedContest, BALLOT_ID_LEN,
};
use psephos_crypto::dlog::DiscreteLog;
use psephos_crypto::elgamal::CiphertextSum;
use psephos_crypto::error::ProofError;
use psephos_crypto::group::{mul_g, Element, FixedBase, ScalarValue, G};
use psephos_crypto::nonce::BallotSeed;
use psephos_crypto::Scalar;
use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;

const ELECTION: [u8; 32] = [0xe1; 32];
const SELECT_ONE: ContestLimits = ContestLimits {
    options: 3,
    min_selections: 1,
    max_selections: 1,
};

struct Voter {
    credential: [u8; 32],
    ballot_id: [u8; BALLOT_ID_LEN],
    question: u32,
    election: [u8; 32],
}

impl Voter {
    fn new(rng: &mut ChaCha20Rng) -> Voter {
        let mut credential = [0u8; 32];
        let mut ballot_id = [0u8; BALLOT_ID_LEN];
        rng.fill_bytes(&mut credential);
        rng.fill_bytes(&mut ballot_id);
        Voter {
            credential,
            ballot_id,
            question: 0,
            election: ELECTION,
        }
    }

    fn binding(&self) -> ContestBinding<'_> {
        ContestBinding {
            election_hash: &self.election,
            credential: &self.credential,
            ballot_id: &self.ballot_id,
            question: self.question,
        }
    }
}

struct Setup {
    secret: Scalar,
    key: FixedBase,
    rng: ChaCha20Rng,
}

fn setup(seed: u64) -> Setup {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let secret = Scalar::random(&mut rng);
    let key = FixedBase::new(Element::from_point(mul_g(&secret)));
    Setup { secret, key, rng }
}

/// Verifies with `verify` and with `queue` + a fresh batch, and checks that they agree.
fn check(
    contest: &EncryptedContest,
    key: &Element,
    binding: &ContestBinding<'_>,
    limits: &ContestLimits,
) -> Result<(), ContestError> {
    let single = contest.verify(key, binding, limits);
    let mut batch = BatchVerifier::new();
    let base = batch.shared_base(*key.point());
    let batched = contest
        .queue(key, base, binding, limits, &mut batch)
        .and_then(|()| {
            if batch.verify() {
                Ok(())
            } else {
                Err(ContestError::BatchFailed)
            }
        });
    assert_eq!(
        single.is_ok(),
        batched.is_ok(),
        "verify ({single:?}) and queue ({batched:?}) disagree"
    );
    single
}

fn decrypt(s: &Setup, contest: &EncryptedContest) -> Vec<u64> {
    let dlog = DiscreteLog::new(10);
    contest
        .selections
        .iter()
        .map(|sel| {
            let m = sel.ciphertext.b.point() - sel.ciphertext.a.point() * s.secret;
            dlog.solve(&m).unwrap()
        })
        .collect()
}

#[test]
fn select_one_encrypts_verifies_and_decrypts() {
    let mut s = setup(1);
    for choice in 0..3 {
        let voter = Voter::new(&mut s.rng);
        let mut choices = vec![0; 3];
        choices[choice] = 1;
        let seed = BallotSeed::random(&mut s.rng);
        let contest =
            EncryptedContest::encrypt(&s.key, &voter.binding(), &SELECT_ONE, &choices, &seed)
                .unwrap();
        assert_eq!(contest.selections.len(), 3);
        assert_eq!(contest.sum_proof.branches.len(), 1);
        for sel in &contest.selections {
            assert_eq!(sel.proof.branches.len(), 2);
        }
        assert_eq!(
            check(&contest, s.key.element(), &voter.binding(), &SELECT_ONE),
            Ok(())
        );
        assert_eq!(decrypt(&s, &contest), choices);
        // The homomorphic sum of the options encrypts 1.
        let sum = CiphertextSum::of(&contest.ciphertexts());
        assert_eq!(sum.b - sum.a * s.secret, G);
    }
}

#[test]
fn many_contests_in_one_batch() {
    let mut s = setup(2);
    let voters: Vec<Voter> = (0..5).map(|_| Voter::new(&mut s.rng)).collect();
    let contests: Vec<EncryptedContest> = voters
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let mut choices = vec![0; 3];
            choices[i % 3] = 1;
            let seed = BallotSeed::random(&mut s.rng);
            EncryptedContest::encrypt(&s.key, &v.binding(), &SELECT_ONE, &choices, &seed).unwrap()
        })
        .collect();
    let key = *s.key.element();
    let mut batch = BatchVerifier::new();
    for (c, v) in contests.iter().zip(&voters) {
        let base = batch.shared_base(*key.point());
        c.queue(&key, base, &v.binding(), &SELECT_ONE, &mut batch)
            .unwrap();
    }
    // One shared term for K, however many contests.
    assert_eq!(batch.len(), 1 + 1 + 5 * 20);
    assert!(batch.verify());
}

/// The proofs are bound to ballot id, credential, question and election: any change fails.
#[test]
fn moved_proofs_fail() {
    let mut s = setup(3);
    let voter = Voter::new(&mut s.rng);
    let seed = BallotSeed::random(&mut s.rng);
    let contest =
        EncryptedContest::encrypt(&s.key, &voter.binding(), &SELECT_ONE, &[1, 0, 0], &seed)
            .unwrap();
    let key = s.key.element();
    assert_eq!(check(&contest, key, &voter.binding(), &SELECT_ONE), Ok(()));

    let mismatch = Err(ContestError::SelectionProof {
        option: 0,
        error: ProofError::ChallengeMismatch,
    });
    let mut other = Voter { ..voter };
    other.ballot_id[0] ^= 1;
    assert_eq!(
        check(&contest, key, &other.binding(), &SELECT_ONE),
        mismatch
    );
    let mut other = Voter { ..voter };
    other.credential[31] ^= 0x80;
    assert_eq!(
        check(&contest, key, &other.binding(), &SELECT_ONE),
        mismatch
    );
    let other = Voter {
        question: 1,
        ..voter
    };
    assert_eq!(
        check(&contest, key, &other.binding(), &SELECT_ONE),
        mismatch
    );
    let other = Voter {
        election: [0xe2; 32],
        ..voter
    };
    assert_eq!(
        check(&contest, key, &other.binding(), &SELECT_ONE),
        mismatch
    );
    // Another key.
    let other_key = Element::from_point(key.point() + G);
    assert!(check(&contest, &other_key, &voter.binding(), &SELECT_ONE).is_err());
}

/// Swapping two options' selections (ciphertext and proof together) fails: each selection
/// proof is bound to its option index, and the sum proof to the order of the ciphertexts.
#[test]
fn swapped_selections_fail() {
    let mut s = setup(4);
    let voter = Voter::new(&mut s.rng);
    let seed = BallotSeed::random(&mut s.rng);
    let contest =
        EncryptedContest::encrypt(&s.key, &voter.binding(), &SELECT_ONE, &[1, 0, 0], &seed)
            .unwrap();
    let key = s.key.element();
    let mut swapped = contest.clone();
    swapped.selections.swap(0, 1);
    assert_eq!(
        check(&swapped, key, &voter.binding(), &SELECT_ONE),
        Err(ContestError::SelectionProof {
            option: 0,
            error: ProofError::ChallengeMismatch
        })
    );
    // Swapping only the proofs, or only the ciphertexts, fails too.
    let mut proofs_swapped = contest.clone();
    let p0 = proofs_swapped.selections[0].proof.clone();
    proofs_swapped.selections[0].proof = proofs_swapped.selections[2].proof.clone();
    proofs_swapped.selections[2].proof = p0;
    assert!(check(&proofs_swapped, key, &voter.binding(), &SELECT_ONE).is_err());
    let mut cts_swapped = contest.clone();
    let c0 = cts_swapped.selections[0].ciphertext;
    cts_swapped.selections[0].ciphertext = cts_swapped.selections[2].ciphertext;
    cts_swapped.selections[2].ciphertext = c0;
    assert!(check(&cts_swapped, key, &voter.binding(), &SELECT_ONE).is_err());
}

/// Helios-style ballot copying: a second voter submits the first voter's encrypted contest,
/// proofs included, under her own credential and ballot id. It must not verify, or she could
/// duplicate another voter's choice without knowing it.
#[test]
fn copied_ballot_fails_under_another_credential() {
    let mut s = setup(5);
    let alice = Voter::new(&mut s.rng);
    let mallory = Voter::new(&mut s.rng);
    let seed = BallotSeed::random(&mut s.rng);
    let alices =
        EncryptedContest::encrypt(&s.key, &alice.binding(), &SELECT_ONE, &[0, 0, 1], &seed)
            .unwrap();
    let key = s.key.element();
    assert_eq!(check(&alices, key, &alice.binding(), &SELECT_ONE), Ok(()));
    let copy: EncryptedContest =
        serde_json::from_str(&serde_json::to_string(&alices).unwrap()).unwrap();
    assert!(check(&copy, key, &mallory.binding(), &SELECT_ONE).is_err());
    // Keeping Alice's ballot id but Mallory's credential fails too.
    let mixed = Voter {
        ballot_id: alice.ballot_id,
        ..mallory
    };
    assert!(check(&copy, key, &mixed.binding(), &SELECT_ONE).is_err());
    // Copying only the ciphertexts and re-using the proofs of Mallory's own ballot fails.
    let seed = BallotSeed::random(&mut s.rng);
    let mut own =
        EncryptedContest::encrypt(&s.key, &mallory.binding(), &SELECT_ONE, &[1, 0, 0], &seed)
            .unwrap();
    for (mine, theirs) in own.selections.iter_mut().zip(&alices.selections) {
        mine.ciphertext = theirs.ciphertext;
    }
    assert!(check(&own, key, &mallory.binding(), &SELECT_ONE).is_err());
}

#[test]
fn invalid_choices_are_rejected_at_encryption() {
    let mut s = setup(6);
    let voter = Voter::new(&mut s.rng);
    let seed = BallotSeed::random(&mut s.rng);
    let enc = |choices: &[u64], limits: &ContestLimits| {
        EncryptedContest::encrypt(&s.key, &voter.binding(), limits, choices, &seed)
    };
    assert_eq!(
        enc(&[1, 0], &SELECT_ONE),
        Err(ContestError::WrongOptionCount {
            expected: 3,
            found: 2
        })
    );
    assert_eq!(
        enc(&[1, 0, 0, 0], &SELECT_ONE),
        Err(ContestError::WrongOptionCount {
            expected: 3,
            found: 4
        })
    );
    assert_eq!(
        enc(&[0, 2, 0], &SELECT_ONE),
        Err(ContestError::InvalidChoice(1))
    );
    assert_eq!(
        enc(&[0, 0, u64::MAX], &SELECT_ONE),
        Err(ContestError::InvalidChoice(2))
    );
    assert_eq!(
        enc(&[1, 1, 0], &SELECT_ONE),
        Err(ContestError::SelectionCount {
            selected: 2,
            min: 1,
            max: 1
        })
    );
    assert_eq!(
        enc(&[0, 0, 0], &SELECT_ONE),
        Err(ContestError::SelectionCount {
            selected: 0,
            min: 1,
            max: 1
        })
    );
    // Limits that cannot be satisfied are refused before anything is encrypted.
    let bad = ContestLimits {
        options: 3,
        min_selections: 2,
        max_selections: 1,
    };
    assert_eq!(
        enc(&[1, 0, 0], &bad),
        Err(ContestError::InvalidLimits {
            min: 2,
            max: 1,
            options: 3
        })
    );
    let bad = ContestLimits {
        options: 3,
        min_selections: 0,
        max_selections: 4,
    };
    assert!(matches!(
        enc(&[1, 0, 0], &bad),
        Err(ContestError::InvalidLimits { .. })
    ));
}

#[test]
fn wrong_shape_is_rejected_at_verification() {
    let mut s = setup(7);
    let voter = Voter::new(&mut s.rng);
    let seed = BallotSeed::random(&mut s.rng);
    let contest =
        EncryptedContest::encrypt(&s.key, &voter.binding(), &SELECT_ONE, &[0, 1, 0], &seed)
            .unwrap();
    let key = s.key.element();
    let mut short = contest.clone();
    short.selections.pop();
    assert_eq!(
        check(&short, key, &voter.binding(), &SELECT_ONE),
        Err(ContestError::WrongOptionCount {
            expected: 3,
            found: 2
        })
    );
    // Verified against limits it was not made for.
    let two_of_three = ContestLimits {
        max_selections: 2,
        ..SELECT_ONE
    };
    assert_eq!(
        check(&contest, key, &voter.binding(), &two_of_three),
        Err(ContestError::SumProof(ProofError::WrongBranchCount {
            expected: 2,
            found: 1
        }))
    );
    let zero_to_one = ContestLimits {
        min_selections: 0,
        ..two_of_three
    };
    let zero_to_one = ContestLimits {
        max_selections: 1,
        ..zero_to_one
    };
    assert!(check(&contest, key, &voter.binding(), &zero_to_one).is_err());
    // A selection proof with a branch missing.
    let mut pruned = contest.clone();
    pruned.selections[1].proof.branches.pop();
    assert_eq!(
        check(&pruned, key, &voter.binding(), &SELECT_ONE),
        Err(ContestError::SelectionProof {
            option: 1,
            error: ProofError::WrongBranchCount {
                expected: 2,
                found: 1
            }
        })
    );
}

#[test]
fn tampered_proofs_fail() {
    let mut s = setup(8);
    let voter = Voter::new(&mut s.rng);
    let seed = BallotSeed::random(&mut s.rng);
    let contest =
        EncryptedContest::encrypt(&s.key, &voter.binding(), &SELECT_ONE, &[0, 1, 0], &seed)
            .unwrap();
    let key = s.key.element();
    let b = voter.binding();
    for o in 0..3 {
        for j in 0..2 {
            let mut t = contest.clone();
            t.selections[o].proof.branches[j].response =
                ScalarValue(t.selections[o].proof.branches[j].response.0 + Scalar::ONE);
            assert_eq!(
                check(&t, key, &b, &SELECT_ONE),
                Err(ContestError::SelectionProof {
                    option: o as u32,
                    error: ProofError::EquationFailed
                })
            );
            let mut t = contest.clone();
            t.selections[o].proof.branches[j].a =
                Element::from_point(t.selections[o].proof.branches[j].a.point() + G);
            assert!(check(&t, key, &b, &SELECT_ONE).is_err());
        }
        // A ciphertext changed into an encryption of 2 (B + G) breaks its proof and the sum.
        let mut t = contest.clone();
        t.selections[o].ciphertext.b =
            Element::from_point(t.selections[o].ciphertext.b.point() + G);
        assert!(check(&t, key, &b, &SELECT_ONE).is_err());
    }
    let mut t = contest.clone();
    t.sum_proof.branches[0].response =
        ScalarValue(t.sum_proof.branches[0].response.0 + Scalar::ONE);
    assert_eq!(
        check(&t, key, &b, &SELECT_ONE),
        Err(ContestError::SumProof(ProofError::EquationFailed))
    );
    let mut t = contest.clone();
    t.sum_proof.branches[0].b = Element::from_point(t.sum_proof.branches[0].b.point() + G);
    assert_eq!(
        check(&t, key, &b, &SELECT_ONE),
        Err(ContestError::SumProof(ProofError::ChallengeMismatch))
    );
}

/// A revealed seed re-creates the contest byte for byte (the Benaloh challenge); another seed
/// gives a different contest for the same choices.
#[test]
fn same_seed_gives_identical_json() {
    let mut s = setup(9);
    let voter = Voter::new(&mut s.rng);
    let seed = BallotSeed::random(&mut s.rng);
    let first = EncryptedContest::encrypt(&s.key, &voter.binding(), &SELECT_ONE, &[0, 0, 1], &seed)
        .unwrap();
    let revealed = BallotSeed::from_hex(&seed.to_hex()).unwrap();
    let again =
        EncryptedContest::encrypt(&s.key, &voter.binding(), &SELECT_ONE, &[0, 0, 1], &revealed)
            .unwrap();
    let json = serde_json::to_string(&first).unwrap();
    assert_eq!(json, serde_json::to_string(&again).unwrap());
    // A fresh table for the same key gives the same bytes too.
    let key2 = FixedBase::new(*s.key.element());
    let third =
        EncryptedContest::encrypt(&key2, &voter.binding(), &SELECT_ONE, &[0, 0, 1], &revealed)
            .unwrap();
    assert_eq!(json, serde_json::to_string(&third).unwrap());
    // The wire form parses back to the same value and rejects unknown fields.
    let parsed: EncryptedContest = serde_json::from_str(&json).unwrap();
    assert_eq!(parsed, first);
    let mut value: serde_json::Value = serde_json::from_str(&json).unwrap();
    value["extra"] = serde_json::Value::Bool(true);
    assert!(serde_json::from_value::<EncryptedContest>(value).is_err());
    // A checker who knows the seed and the claimed choices can tell a different choice apart.
    let other =
        EncryptedContest::encrypt(&s.key, &voter.binding(), &SELECT_ONE, &[0, 1, 0], &revealed)
            .unwrap();
    assert_ne!(
        other.selections[1].ciphertext,
        first.selections[1].ciphertext
    );
    assert_eq!(
        other.selections[0].ciphertext,
        first.selections[0].ciphertext
    );
    let fresh = BallotSeed::random(&mut s.rng);
    let different =
        EncryptedContest::encrypt(&s.key, &voter.binding(), &SELECT_ONE, &[0, 0, 1], &fresh)
            .unwrap();
    assert_ne!(json, serde_json::to_string(&different).unwrap());
}

#[test]
fn multi_select_zero_to_two_of_four() {
    let mut s = setup(10);
    let limits = ContestLimits {
        options: 4,
        min_selections: 0,
        max_selections: 2,
    };
    let key = *s.key.element();
    let mut batch = BatchVerifier::new();
    let mut voters = Vec::new();
    let mut contests = Vec::new();
    for bits in 0u64..16 {
        let choices: Vec<u64> = (0..4).map(|o| (bits >> o) & 1).collect();
        let voter = Voter::new(&mut s.rng);
        let seed = BallotSeed::random(&mut s.rng);
        let result = EncryptedContest::encrypt(&s.key, &voter.binding(), &limits, &choices, &seed);
        let selected = bits.count_ones() as u64;
        if selected > 2 {
            assert_eq!(
                result,
                Err(ContestError::SelectionCount {
                    selected,
                    min: 0,
                    max: 2
                })
            );
            continue;
        }
        let contest = result.unwrap();
        assert_eq!(contest.sum_proof.branches.len(), 3);
        assert_eq!(check(&contest, &key, &voter.binding(), &limits), Ok(()));
        assert_eq!(decrypt(&s, &contest), choices);
        let base = batch.shared_base(*key.point());
        contest
            .queue(&key, base, &voter.binding(), &limits, &mut batch)
            .unwrap();
        voters.push(voter);
        contests.push(contest);
    }
    assert_eq!(contests.len(), 11);
    assert!(batch.verify());
    // The proofs do not transfer to a select-one question over the same options.
    let one = ContestLimits {
        options: 4,
        min_selections: 1,
        max_selections: 1,
    };
    assert!(check(&contests[1], &key, &voters[1].binding(), &one).is_err());
}

#[test]
fn other_shapes() {
    let mut s = setup(11);
    let key = *s.key.element();
    for (limits, choices) in [
        (
            ContestLimits {
                options: 1,
                min_selections: 0,
                max_selections: 1,
            },
            vec![1],
        ),
        (
            ContestLimits {
                options: 1,
                min_selections: 1,
                max_selections: 1,
            },
            vec![1],
        ),
        (
            ContestLimits {
                options: 5,
                min_selections: 2,
                max_selections: 4,
            },
            vec![1, 1, 1, 0, 1],
        ),
        (
            ContestLimits {
                options: 5,
                min_selections: 5,
                max_selections: 5,
            },
            vec![1, 1, 1, 1, 1],
        ),
        (
            ContestLimits {
                options: 0,
                min_selections: 0,
                max_selections: 0,
            },
            vec![],
        ),
    ] {
        let voter = Voter::new(&mut s.rng);
        let seed = BallotSeed::random(&mut s.rng);
        let contest =
            EncryptedContest::encrypt(&s.key, &voter.binding(), &limits, &choices, &seed).unwrap();
        assert_eq!(
            check(&contest, &key, &voter.binding(), &limits),
            Ok(()),
            "{limits:?}"
        );
        assert_eq!(decrypt(&s, &contest), choices);
    }
}
