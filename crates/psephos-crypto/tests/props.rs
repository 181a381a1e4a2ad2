//! Property tests: homomorphic encryption round trips and threshold decryption for random
//! parameters.

mod common;

use common::{Ceremony, ELECTION_HASH};
use proptest::prelude::*;
use psephos_crypto::dlog::DiscreteLog;
use psephos_crypto::elgamal::{Ciphertext, CiphertextSum};
use psephos_crypto::error::CeremonyError;
use psephos_crypto::group::{mul_g, Element, FixedBase};
use psephos_crypto::threshold::{combine, decrypt, DecryptionShare};
use psephos_crypto::Scalar;
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;

/// A subset of `1..=n` with `k` members, chosen by shuffling with `seed`.
fn pick(n: u32, k: usize, seed: u64) -> Vec<u32> {
    let mut all: Vec<u32> = (1..=n).collect();
    let mut state = seed;
    for i in (1..all.len()).rev() {
        // A small LCG is enough to choose a subset.
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let j = (state >> 33) as usize % (i + 1);
        all.swap(i, j);
    }
    all.truncate(k);
    all
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Σ Enc(mᵢ) decrypts to Σ mᵢ.
    #[test]
    fn encrypt_add_decrypt(messages in proptest::collection::vec(0u64..1000, 0..12), seed: u64) {
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let s = Scalar::random(&mut rng);
        let key = FixedBase::new(Element::from_point(mul_g(&s)));
        let cts: Vec<Ciphertext> = messages
            .iter()
            .map(|&m| Ciphertext::encrypt(&key, m, &Scalar::random(&mut rng)))
            .collect();
        for (ct, &m) in cts.iter().zip(&messages) {
            prop_assert_eq!(ct.b.point() - ct.a.point() * s, mul_g(&Scalar::from(m)));
        }
        let sum = CiphertextSum::of(&cts);
        let dlog = DiscreteLog::new(12_000);
        prop_assert_eq!(dlog.solve(&(sum.b - sum.a * s)), Some(messages.iter().sum::<u64>()));
        // Sums of sums are sums.
        let (left, right) = cts.split_at(cts.len() / 2);
        prop_assert_eq!(CiphertextSum::of(left) + CiphertextSum::of(right), sum);
        // Wire round trip of a ciphertext.
        if let Some(ct) = cts.first() {
            let back: Ciphertext = serde_json::from_str(&serde_json::to_string(ct).unwrap()).unwrap();
            prop_assert_eq!(&back, ct);
        }
    }

    /// Any t of n trustees decrypt; t − 1 of them, combined as if the threshold were t − 1,
    /// give a wrong point; and `decrypt` refuses them.
    #[test]
    fn any_t_of_n_decrypt(
        (n, t) in (1u32..=5).prop_flat_map(|n| (Just(n), 1..=n)),
        extra in 0usize..5,
        m in 0u64..500,
        subset_seed: u64,
        seed: u64,
    ) {
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let c = Ceremony::run(t, n, &mut rng);
        let key = FixedBase::new(c.joint_key);
        let ct = Ciphertext::encrypt(&key, m, &Scalar::random(&mut rng));
        let shares: Vec<DecryptionShare> = c
            .key_shares
            .iter()
            .map(|k| DecryptionShare::compute(k, &ELECTION_HASH, 0, 0, &ct, &mut rng))
            .collect();
        for (s, vk) in shares.iter().zip(&c.verification_keys) {
            prop_assert!(s.verify(vk, &ELECTION_HASH, 0, 0, &ct).is_ok());
        }
        let dlog = DiscreteLog::new(500);
        let k = (t as usize + extra).min(n as usize);
        let set = pick(n, k, subset_seed);
        let chosen: Vec<&DecryptionShare> = set.iter().map(|&l| &shares[(l - 1) as usize]).collect();
        prop_assert_eq!(decrypt(&ct, &chosen, t, n, &dlog), Ok(m));

        if t > 1 {
            let fewer = &chosen[..t as usize - 1];
            prop_assert_eq!(
                decrypt(&ct, fewer, t, n, &dlog),
                Err(CeremonyError::NotEnoughShares { needed: t as usize, have: t as usize - 1 })
            );
            let wrong = combine(fewer, t - 1, n).unwrap();
            prop_assert_ne!(wrong, ct.a.point() * c.joint_secret());
            prop_assert_ne!(ct.b.point() - wrong, mul_g(&Scalar::from(m)));
        }
    }
}
