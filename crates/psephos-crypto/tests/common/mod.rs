//! Helpers shared by the integration tests: a complete key ceremony run honestly.
#![allow(dead_code)]

use psephos_crypto::dkg::{
    joint_key, verification_key, CoefficientCommitments, EncryptedShare, KeyShare, Polynomial,
    TrusteePublicKey, TrusteeSecretKey,
};
use psephos_crypto::group::Element;
use psephos_crypto::Scalar;
use rand_chacha::ChaCha20Rng;

/// H_B of the test ceremonies.
pub const BASE_HASH: [u8; 32] = [0xb0; 32];
/// H_E of the test elections.
pub const ELECTION_HASH: [u8; 32] = [0xe1; 32];

/// Everything a t-of-n ceremony produced, public and secret.
pub struct Ceremony {
    pub t: u32,
    pub n: u32,
    pub transport_secrets: Vec<TrusteeSecretKey>,
    pub transport_keys: Vec<TrusteePublicKey>,
    pub polynomials: Vec<Polynomial>,
    pub commitments: Vec<CoefficientCommitments>,
    /// `sealed[i][l]`: the share from trustee i+1 to trustee l+1 (None on the diagonal).
    pub sealed: Vec<Vec<Option<EncryptedShare>>>,
    pub key_shares: Vec<KeyShare>,
    pub joint_key: Element,
    pub verification_keys: Vec<Element>,
}

impl Ceremony {
    /// Runs the ceremony with every check a trustee makes, panicking on any failure.
    pub fn run(t: u32, n: u32, rng: &mut ChaCha20Rng) -> Ceremony {
        psephos_crypto::dkg::check_threshold(t, n).unwrap();
        let transport_secrets: Vec<TrusteeSecretKey> =
            (1..=n).map(|_| TrusteeSecretKey::random(rng)).collect();
        let transport_keys: Vec<TrusteePublicKey> = transport_secrets
            .iter()
            .zip(1..=n)
            .map(|(d, i)| d.public_key(i, &BASE_HASH, rng))
            .collect();
        for k in &transport_keys {
            k.verify(&BASE_HASH).unwrap();
        }
        let polynomials: Vec<Polynomial> = (1..=n).map(|_| Polynomial::random(t, rng)).collect();
        let commitments: Vec<CoefficientCommitments> = polynomials
            .iter()
            .zip(1..=n)
            .map(|(p, i)| p.commit(i, &BASE_HASH, rng))
            .collect();
        for c in &commitments {
            c.verify(t, &BASE_HASH).unwrap();
        }
        let mut sealed = Vec::new();
        for (i, p) in (1..=n).zip(&polynomials) {
            let row = (1..=n)
                .map(|l| {
                    (i != l).then(|| {
                        EncryptedShare::seal(
                            &BASE_HASH,
                            i,
                            l,
                            &transport_keys[(l - 1) as usize].key,
                            &p.evaluate(l),
                            rng,
                        )
                    })
                })
                .collect::<Vec<_>>();
            sealed.push(row);
        }
        let key_shares: Vec<KeyShare> = (1..=n)
            .map(|l| {
                let received: Vec<Scalar> = (1..=n)
                    .map(|i| match &sealed[(i - 1) as usize][(l - 1) as usize] {
                        None => polynomials[(i - 1) as usize].evaluate(l),
                        Some(share) => share
                            .open_and_check(
                                &BASE_HASH,
                                &transport_secrets[(l - 1) as usize],
                                &commitments[(i - 1) as usize],
                            )
                            .unwrap(),
                    })
                    .collect();
                KeyShare::from_received(l, &received)
            })
            .collect();
        let joint = joint_key(&commitments);
        let verification_keys: Vec<Element> =
            (1..=n).map(|l| verification_key(&commitments, l)).collect();
        Ceremony {
            t,
            n,
            transport_secrets,
            transport_keys,
            polynomials,
            commitments,
            sealed,
            key_shares,
            joint_key: joint,
            verification_keys,
        }
    }

    /// The joint secret Σᵢ Pᵢ(0), which no party ever holds (tests only).
    pub fn joint_secret(&self) -> Scalar {
        self.polynomials.iter().map(|p| p.evaluate(0)).sum()
    }
}

/// Every subset of `1..=n` with `k` elements, in lexicographic order.
pub fn subsets(n: u32, k: usize) -> Vec<Vec<u32>> {
    fn go(start: u32, n: u32, k: usize, acc: &mut Vec<u32>, out: &mut Vec<Vec<u32>>) {
        if acc.len() == k {
            out.push(acc.clone());
            return;
        }
        for i in start..=n {
            acc.push(i);
            go(i + 1, n, k, acc, out);
            acc.pop();
        }
    }
    let mut out = Vec::new();
    go(1, n, k, &mut Vec::new(), &mut out);
    out
}
