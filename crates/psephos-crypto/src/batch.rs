//! Batch verification of group equations by a random linear combination.
//!
//! Each proof contributes equations of the form `Σ sᵢ·Pᵢ = 0`. The batch multiplies every
//! equation by an independent random 128-bit weight and checks the sum with one vartime
//! multiscalar multiplication (Pippenger for large batches). If any equation fails, the sum is
//! non-zero except with probability about 2⁻¹²⁸ (Bellare–Garay–Rabin, "Fast batch verification
//! for modular exponentiation and digital signatures", Eurocrypt 1998, small-exponent test).
//!
//! The weights come from a BLAKE3 XOF keyed with fresh OS randomness, so a prover cannot know
//! them when building its proofs.

use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{IsIdentity, VartimeMultiscalarMul};
use rand_core::{OsRng, RngCore};

use crate::group::G;

/// Identifies a base shared by many equations (such as the joint key K), whose coefficients
/// are summed so that it costs one multiscalar term in all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BaseId(usize);

/// Accumulates weighted group equations and checks them all at once.
pub struct BatchVerifier {
    weights: blake3::OutputReader,
    g_coefficient: Scalar,
    shared: Vec<(RistrettoPoint, Scalar)>,
    scalars: Vec<Scalar>,
    points: Vec<RistrettoPoint>,
}

impl Default for BatchVerifier {
    fn default() -> Self {
        Self::new()
    }
}

impl BatchVerifier {
    /// A batch with weights from fresh OS randomness.
    pub fn new() -> Self {
        let mut key = [0u8; 32];
        OsRng.fill_bytes(&mut key);
        Self::with_weight_key(key)
    }

    /// A batch whose weights come from `key` (tests only: a prover who knows it can cheat).
    pub fn with_weight_key(key: [u8; 32]) -> Self {
        Self {
            weights: blake3::Hasher::new_keyed(&key)
                .update(b"psephos batch weights")
                .finalize_xof(),
            g_coefficient: Scalar::ZERO,
            shared: Vec::new(),
            scalars: Vec::new(),
            points: Vec::new(),
        }
    }

    /// Reserves room for `terms` variable-base terms.
    pub fn reserve(&mut self, terms: usize) {
        self.scalars.reserve(terms);
        self.points.reserve(terms);
    }

    /// Registers a base shared by many equations.
    pub fn shared_base(&mut self, base: RistrettoPoint) -> BaseId {
        self.shared.push((base, Scalar::ZERO));
        BaseId(self.shared.len() - 1)
    }

    /// A fresh random weight below 2¹²⁸.
    pub fn weight(&mut self) -> Scalar {
        let mut bytes = [0u8; 32];
        self.weights.fill(&mut bytes[..16]);
        Scalar::from_bytes_mod_order(bytes)
    }

    /// Adds `s·G`.
    #[inline]
    pub fn add_g(&mut self, s: Scalar) {
        self.g_coefficient += s;
    }

    /// Adds `s·B` for a shared base `B`.
    #[inline]
    pub fn add_shared(&mut self, base: BaseId, s: Scalar) {
        self.shared[base.0].1 += s;
    }

    /// Adds `s·P` for a variable point `P`.
    #[inline]
    pub fn add(&mut self, s: Scalar, p: RistrettoPoint) {
        self.scalars.push(s);
        self.points.push(p);
    }

    /// Number of multiscalar terms queued.
    pub fn len(&self) -> usize {
        self.points.len() + self.shared.len() + 1
    }

    /// Whether nothing but the G term is queued.
    pub fn is_empty(&self) -> bool {
        self.points.is_empty() && self.shared.is_empty()
    }

    /// Checks that the weighted sum of all queued equations is the identity.
    pub fn verify(self) -> bool {
        let scalars = core::iter::once(self.g_coefficient)
            .chain(self.shared.iter().map(|(_, s)| *s))
            .chain(self.scalars);
        let points = core::iter::once(G)
            .chain(self.shared.iter().map(|(p, _)| *p))
            .chain(self.points);
        RistrettoPoint::vartime_multiscalar_mul(scalars, points).is_identity()
    }
}
