//! Batch verification of many contests (docs/spec.md §5.6) and `verify_all`, which finds the
//! first failing item of a failed batch.
//!
//! Run with and without `--features rayon`: the results must be the same.

use psephos_crypto::batch::{verify_all, BatchVerifier, DEFAULT_CHUNK};
use psephos_crypto::contest::{ContestBinding, ContestError, ContestLimits, EncryptedContest};
use psephos_crypto::error::ProofError;
use psephos_crypto::group::{mul_g, Element, FixedBase, ScalarValue, G};
use psephos_crypto::nonce::BallotSeed;
use psephos_crypto::Scalar;
use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;

const ELECTION: [u8; 32] = [0xe1; 32];
const LIMITS: ContestLimits = ContestLimits {
    options: 3,
    min_selections: 1,
    max_selections: 1,
};

#[derive(Clone)]
struct Ballot {
    credential: [u8; 32],
    ballot_id: [u8; 16],
    contest: EncryptedContest,
}

impl Ballot {
    fn binding(&self) -> ContestBinding<'_> {
        ContestBinding {
            election_hash: &ELECTION,
            credential: &self.credential,
            ballot_id: &self.ballot_id,
            question: 0,
        }
    }
}

fn ballots(n: usize, seed: u64) -> (Element, Vec<Ballot>) {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let key = FixedBase::new(Element::from_point(mul_g(&Scalar::random(&mut rng))));
    let ballots = (0..n)
        .map(|i| {
            let mut credential = [0u8; 32];
            let mut ballot_id = [0u8; 16];
            rng.fill_bytes(&mut credential);
            rng.fill_bytes(&mut ballot_id);
            let mut choices = [0u64; 3];
            choices[i % 3] = 1;
            let binding = ContestBinding {
                election_hash: &ELECTION,
                credential: &credential,
                ballot_id: &ballot_id,
                question: 0,
            };
            let contest = EncryptedContest::encrypt(
                &key,
                &binding,
                &LIMITS,
                &choices,
                &BallotSeed::random(&mut rng),
            )
            .unwrap();
            Ballot {
                credential,
                ballot_id,
                contest,
            }
        })
        .collect();
    (*key.element(), ballots)
}

/// All contests in one batch, as a verifier without `verify_all` would do it.
fn one_batch(key: &Element, ballots: &[Ballot]) -> Result<bool, ContestError> {
    let mut batch = BatchVerifier::new();
    let base = batch.shared_base(*key.point());
    for b in ballots {
        b.contest
            .queue(key, base, &b.binding(), &LIMITS, &mut batch)?;
    }
    Ok(batch.verify())
}

fn verify_ballots(
    key: &Element,
    ballots: &[Ballot],
    chunk: usize,
) -> Result<(), (usize, ContestError)> {
    verify_all(
        ballots,
        chunk,
        |b, batch| {
            let base = batch.shared_base(*key.point());
            b.contest.queue(key, base, &b.binding(), &LIMITS, batch)
        },
        |b| b.contest.verify(key, &b.binding(), &LIMITS),
        || ContestError::BatchFailed,
    )
}

/// Breaks an equation of a selection proof but keeps its challenges consistent: only the
/// group equations (the batch) can catch it.
fn break_equation(b: &mut Ballot, option: usize) {
    let r = &mut b.contest.selections[option].proof.branches[1].response;
    *r = ScalarValue(r.0 + Scalar::ONE);
}

/// Breaks the Fiat–Shamir challenge: caught while queueing, before any group arithmetic.
fn break_challenge(b: &mut Ballot) {
    let a = &mut b.contest.sum_proof.branches[0].a;
    *a = Element::from_point(a.point() + G);
}

#[test]
fn two_hundred_contests() {
    let (key, mut all) = ballots(200, 1);
    assert_eq!(one_batch(&key, &all), Ok(true));
    assert_eq!(verify_ballots(&key, &all, DEFAULT_CHUNK), Ok(()));

    // One tampered proof (equation) among 200 makes the whole batch fail.
    let mut tampered = all.clone();
    break_equation(&mut tampered[137], 2);
    assert_eq!(one_batch(&key, &tampered), Ok(false));
    assert_eq!(
        verify_ballots(&key, &tampered, DEFAULT_CHUNK),
        Err((
            137,
            ContestError::SelectionProof {
                option: 2,
                error: ProofError::EquationFailed
            }
        ))
    );

    // A tampered challenge is found while queueing.
    break_challenge(&mut all[5]);
    assert_eq!(
        one_batch(&key, &all),
        Err(ContestError::SumProof(ProofError::ChallengeMismatch))
    );
    assert_eq!(
        verify_ballots(&key, &all, DEFAULT_CHUNK),
        Err((5, ContestError::SumProof(ProofError::ChallengeMismatch)))
    );
}

#[test]
fn verify_all_reports_the_first_failure_whatever_the_chunking() {
    let (key, mut all) = ballots(90, 2);
    for chunk in [0, 1, 7, 30, 89, 90, 1000] {
        assert_eq!(verify_ballots(&key, &all, chunk), Ok(()), "chunk {chunk}");
    }
    // Failures at 64 (equation) and 70 (challenge): 64 comes first, in any chunking, even when
    // both fall in one chunk and the later one is the one found while queueing.
    break_equation(&mut all[64], 0);
    break_challenge(&mut all[70]);
    for chunk in [1, 7, 30, 64, 65, 89, 90, 1000] {
        assert_eq!(
            verify_ballots(&key, &all, chunk),
            Err((
                64,
                ContestError::SelectionProof {
                    option: 0,
                    error: ProofError::EquationFailed
                }
            )),
            "chunk {chunk}"
        );
    }
    // A challenge failure before an equation failure.
    break_challenge(&mut all[3]);
    for chunk in [1, 7, 1000] {
        assert_eq!(
            verify_ballots(&key, &all, chunk),
            Err((3, ContestError::SumProof(ProofError::ChallengeMismatch))),
            "chunk {chunk}"
        );
    }
    // The very first and the very last item.
    let (key, mut all) = ballots(12, 3);
    break_equation(&mut all[11], 1);
    assert_eq!(verify_ballots(&key, &all, 5).map_err(|e| e.0), Err(11));
    break_equation(&mut all[0], 1);
    assert_eq!(verify_ballots(&key, &all, 5).map_err(|e| e.0), Err(0));
}

#[test]
fn verify_all_on_nothing_is_ok() {
    let (key, _) = ballots(0, 4);
    assert_eq!(verify_ballots(&key, &[], DEFAULT_CHUNK), Ok(()));
}

/// If the batch and the one-by-one check disagree, `verify_all` reports it rather than
/// accepting: here `queue` adds an equation that never holds while `single` accepts.
#[test]
fn disagreement_between_batch_and_single_is_reported() {
    let items: Vec<u32> = (0..25).collect();
    let result = verify_all(
        &items,
        10,
        |&i, batch: &mut BatchVerifier| {
            if i == 17 {
                batch.add_g(Scalar::ONE);
            }
            Ok::<(), &str>(())
        },
        |_| Ok(()),
        || "batch failed",
    );
    assert_eq!(result, Err((10, "batch failed")));
}

#[test]
fn shared_base_is_registered_once() {
    let mut batch = BatchVerifier::new();
    let k = mul_g(&Scalar::from(5u64));
    let first = batch.shared_base(k);
    assert_eq!(batch.shared_base(k), first);
    let other = batch.shared_base(G);
    assert_ne!(other, first);
    assert_eq!(batch.len(), 3);
    // 2·K − 10·G = 0, with the K coefficient split over the two registrations.
    batch.add_shared(first, Scalar::ONE);
    batch.add_shared(first, Scalar::ONE);
    batch.add_g(-Scalar::from(10u64));
    assert!(batch.verify());
}

#[test]
fn batch_of_generic_equations() {
    // Σ over many random equations x·G − X = 0, one of them off by G.
    let mut rng = ChaCha20Rng::seed_from_u64(5);
    let xs: Vec<Scalar> = (0..50).map(|_| Scalar::random(&mut rng)).collect();
    let points: Vec<_> = xs.iter().map(mul_g).collect();
    let run = |bad: Option<usize>| {
        let mut batch = BatchVerifier::with_weight_key([9; 32]);
        for (i, (x, p)) in xs.iter().zip(&points).enumerate() {
            let w = batch.weight();
            let p = if Some(i) == bad { p + G } else { *p };
            batch.add_g(w * x);
            batch.add(-w, p);
        }
        batch.verify()
    };
    assert!(run(None));
    assert!(!run(Some(0)));
    assert!(!run(Some(49)));
}

#[test]
fn weights_are_128_bit_and_fresh() {
    let mut a = BatchVerifier::new();
    let mut b = BatchVerifier::new();
    let wa: Vec<Scalar> = (0..8).map(|_| a.weight()).collect();
    let wb: Vec<Scalar> = (0..8).map(|_| b.weight()).collect();
    assert_ne!(wa, wb);
    for w in wa.iter().chain(&wb) {
        assert!(w.to_bytes()[16..].iter().all(|&byte| byte == 0));
    }
    let mut c = BatchVerifier::with_weight_key([1; 32]);
    let mut d = BatchVerifier::with_weight_key([1; 32]);
    assert_eq!(c.weight(), d.weight());
}
