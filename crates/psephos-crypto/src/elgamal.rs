//! Exponential ElGamal on Ristretto255 (ElectionGuard 2.1 §3.3, in additive notation).
//!
//! `Enc(m; r) = (A, B) = (r·G, m·G + r·K)` under the joint key `K`. Ciphertexts add:
//! `Enc(m₁; r₁) + Enc(m₂; r₂) = Enc(m₁ + m₂; r₁ + r₂)`, which is how the tally is formed
//! without decrypting any ballot. Decryption recovers `m·G = B − s·A` and then `m` by a
//! bounded discrete-log search ([`crate::dlog`]).

use core::ops::Add;

use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::Identity;
use serde::{Deserialize, Serialize};

use crate::group::{mul_g, Element, FixedBase};

/// An ElGamal ciphertext `(A, B) = (r·G, m·G + r·K)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ciphertext {
    /// A = r·G.
    pub a: Element,
    /// B = m·G + r·K.
    pub b: Element,
}

impl Ciphertext {
    /// Encrypts `m` under `key` with randomness `r`. Constant time in `m` and `r`.
    pub fn encrypt(key: &FixedBase, m: u64, r: &Scalar) -> Self {
        let a = mul_g(r);
        let b = mul_g(&Scalar::from(m)) + key.mul(r);
        Ciphertext {
            a: Element::from_point(a),
            b: Element::from_point(b),
        }
    }
}

/// A sum of ciphertexts kept as uncompressed points while it is being accumulated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CiphertextSum {
    /// Σ A.
    pub a: RistrettoPoint,
    /// Σ B.
    pub b: RistrettoPoint,
}

impl Default for CiphertextSum {
    fn default() -> Self {
        CiphertextSum {
            a: RistrettoPoint::identity(),
            b: RistrettoPoint::identity(),
        }
    }
}

impl Add<&Ciphertext> for CiphertextSum {
    type Output = CiphertextSum;
    fn add(self, rhs: &Ciphertext) -> CiphertextSum {
        CiphertextSum {
            a: self.a + rhs.a.point(),
            b: self.b + rhs.b.point(),
        }
    }
}

impl Add<CiphertextSum> for CiphertextSum {
    type Output = CiphertextSum;
    fn add(self, rhs: CiphertextSum) -> CiphertextSum {
        CiphertextSum {
            a: self.a + rhs.a,
            b: self.b + rhs.b,
        }
    }
}

impl CiphertextSum {
    /// The homomorphic sum of `ciphertexts`.
    pub fn of<'a>(ciphertexts: impl IntoIterator<Item = &'a Ciphertext>) -> Self {
        ciphertexts
            .into_iter()
            .fold(CiphertextSum::default(), |acc, c| acc + c)
    }

    /// The published tally of this sum: the sum plus the trivial encryption `(G, K)` of 0 with
    /// randomness 1, i.e. `Enc(m; Σr + 1)`. It decrypts to the same `m`, and unlike the bare sum
    /// it is the identity only with negligible probability, even when no ballot was counted, so
    /// it passes the strict decoding rule (docs/spec.md §7.8).
    pub fn to_tally(&self, key: &Element) -> Ciphertext {
        Ciphertext {
            a: Element::from_point(self.a + crate::group::G),
            b: Element::from_point(self.b + key.point()),
        }
    }

    /// The sum as elements (encodings computed here). The identity is possible for an empty
    /// sum, so these elements are not subject to the decoding rule.
    pub fn to_elements(&self) -> (Element, Element) {
        (Element::from_point(self.a), Element::from_point(self.b))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::rand_core::SeedableRng;
    use rand_chacha::ChaCha20Rng;

    #[test]
    fn encrypt_add_decrypt() {
        let mut rng = ChaCha20Rng::seed_from_u64(5);
        let s = Scalar::random(&mut rng);
        let key = FixedBase::new(Element::from_point(mul_g(&s)));
        let cts: Vec<Ciphertext> = (0..5u64)
            .map(|m| Ciphertext::encrypt(&key, m, &Scalar::random(&mut rng)))
            .collect();
        let sum = CiphertextSum::of(&cts);
        assert_eq!(sum.b - s * sum.a, mul_g(&Scalar::from(10u64)));
    }
}
