//! Benchmarks of the operations whose cost decides how fast a browser encrypts and a verifier
//! checks an election (docs/spec.md §5).
//!
//! Run with `cargo bench -p psephos-crypto --features rayon`. Without the feature the
//! two-core batch is skipped. Sample sizes are small so that the whole run takes about two
//! minutes on a two-core machine.

use std::time::Duration;

use criterion::{black_box, criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use curve25519_dalek::traits::VartimeMultiscalarMul;
use psephos_crypto::batch::{verify_all, BatchVerifier, DEFAULT_CHUNK};
use psephos_crypto::contest::{ContestBinding, ContestError, ContestLimits, EncryptedContest};
use psephos_crypto::group::{mul_g, Element, FixedBase};
use psephos_crypto::nonce::BallotSeed;
use psephos_crypto::{RistrettoPoint, Scalar};
use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;

const ELECTION: [u8; 32] = [0x45; 32];
const LIMITS: ContestLimits = ContestLimits {
    options: 3,
    min_selections: 1,
    max_selections: 1,
};

/// One voter's ballot: the credential and ballot id its proofs are bound to, and the contest.
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

fn key(rng: &mut ChaCha20Rng) -> FixedBase {
    FixedBase::new(Element::from_point(mul_g(&Scalar::random(rng))))
}

fn ballot(key: &FixedBase, i: u64, rng: &mut ChaCha20Rng) -> Ballot {
    let mut credential = [0u8; 32];
    let mut ballot_id = [0u8; 16];
    rng.fill_bytes(&mut credential);
    rng.fill_bytes(&mut ballot_id);
    let mut choices = [0u64; 3];
    choices[(i % 3) as usize] = 1;
    let seed = BallotSeed::random(rng);
    let binding = ContestBinding {
        election_hash: &ELECTION,
        credential: &credential,
        ballot_id: &ballot_id,
        question: 0,
    };
    let contest = EncryptedContest::encrypt(key, &binding, &LIMITS, &choices, &seed)
        .unwrap_or_else(|e| panic!("encrypt: {e}"));
    Ballot {
        credential,
        ballot_id,
        contest,
    }
}

fn encryption(c: &mut Criterion) {
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let key = key(&mut rng);
    let credential = [7u8; 32];
    let ballot_id = [9u8; 16];
    let binding = ContestBinding {
        election_hash: &ELECTION,
        credential: &credential,
        ballot_id: &ballot_id,
        question: 0,
    };
    let mut g = c.benchmark_group("contest");
    g.sample_size(50).measurement_time(Duration::from_secs(4));
    g.bench_function("encrypt 3-option select-one (with proofs)", |b| {
        b.iter_batched(
            || BallotSeed::random(&mut rng),
            |seed| EncryptedContest::encrypt(&key, &binding, &LIMITS, &[0, 1, 0], &seed),
            BatchSize::SmallInput,
        )
    });
    let mut rng = ChaCha20Rng::seed_from_u64(2);
    let one = ballot(&key, 0, &mut rng);
    let k = *key.element();
    g.bench_function("verify one contest (verify)", |b| {
        b.iter(|| black_box(&one.contest).verify(&k, &one.binding(), &LIMITS))
    });
    g.bench_function("verify one contest (queue + batch)", |b| {
        b.iter(|| {
            let mut batch = BatchVerifier::new();
            let base = batch.shared_base(*k.point());
            black_box(&one.contest)
                .queue(&k, base, &one.binding(), &LIMITS, &mut batch)
                .map(|()| batch.verify())
        })
    });
    g.finish();
}

fn verify_ballots(key: &Element, ballots: &[Ballot]) -> Result<(), (usize, ContestError)> {
    verify_all(
        ballots,
        DEFAULT_CHUNK,
        |b, batch| {
            let base = batch.shared_base(*key.point());
            b.contest.queue(key, base, &b.binding(), &LIMITS, batch)
        },
        |b| b.contest.verify(key, &b.binding(), &LIMITS),
        || ContestError::BatchFailed,
    )
}

fn batched(c: &mut Criterion) {
    const N: usize = 10_000;
    let mut rng = ChaCha20Rng::seed_from_u64(3);
    let key = key(&mut rng);
    let ballots: Vec<Ballot> = (0..N as u64).map(|i| ballot(&key, i, &mut rng)).collect();
    let k = *key.element();
    assert_eq!(verify_ballots(&k, &ballots).map_err(|(i, _)| i), Ok(()));

    let mut g = c.benchmark_group("batch");
    g.sample_size(10)
        .measurement_time(Duration::from_secs(12))
        .warm_up_time(Duration::from_secs(1))
        .throughput(Throughput::Elements(N as u64));
    #[cfg(feature = "rayon")]
    {
        for threads in [1usize, 2] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap_or_else(|e| panic!("thread pool: {e}"));
            g.bench_function(
                format!("verify 10k contests, chunks of {DEFAULT_CHUNK}, {threads} thread(s)"),
                |b| b.iter(|| pool.install(|| verify_ballots(&k, black_box(&ballots)))),
            );
        }
    }
    #[cfg(not(feature = "rayon"))]
    g.bench_function(
        format!("verify 10k contests, chunks of {DEFAULT_CHUNK}, 1 thread"),
        |b| b.iter(|| verify_ballots(&k, black_box(&ballots))),
    );
    g.finish();
}

fn primitives(c: &mut Criterion) {
    let mut rng = ChaCha20Rng::seed_from_u64(4);
    let x = Scalar::random(&mut rng);
    let key = key(&mut rng);
    let encoded = mul_g(&x).compress().to_bytes();
    let scalars: Vec<Scalar> = (0..1000).map(|_| Scalar::random(&mut rng)).collect();
    let points: Vec<RistrettoPoint> = (0..1000)
        .map(|_| mul_g(&Scalar::random(&mut rng)))
        .collect();
    let mut g = c.benchmark_group("primitive");
    g.sample_size(50).measurement_time(Duration::from_secs(2));
    g.bench_function("fixed-base mult x·G", |b| b.iter(|| mul_g(black_box(&x))));
    g.bench_function("fixed-base mult x·K (FixedBase)", |b| {
        b.iter(|| key.mul(black_box(&x)))
    });
    g.bench_function("decompress (Element::decode)", |b| {
        b.iter(|| Element::decode(black_box(&encoded)))
    });
    let encodings: Vec<[u8; 32]> = points.iter().map(|p| p.compress().to_bytes()).collect();
    g.bench_function("decompress 1000 one by one (Element::decode)", |b| {
        b.iter(|| {
            black_box(&encodings)
                .iter()
                .map(Element::decode)
                .collect::<Vec<_>>()
        })
    });
    g.bench_function("decompress 1000 batched (Element::decode_batch)", |b| {
        b.iter(|| Element::decode_batch(black_box(&encodings)))
    });
    g.bench_function("compress", |b| {
        let p = mul_g(&x);
        b.iter(|| black_box(&p).compress())
    });
    g.bench_function("vartime MSM, 1000 terms", |b| {
        b.iter(|| RistrettoPoint::vartime_multiscalar_mul(black_box(&scalars), &points))
    });
    g.finish();
}

criterion_group!(benches, encryption, primitives, batched);
criterion_main!(benches);
