//! Schnorr proof of knowledge of a discrete logarithm (Schnorr, J. Cryptology 1991; ElectionGuard
//! 2.1 §3.2.2 uses it for the coefficient commitments).
//!
//! Statement: `X = x·G`. Prover: `u` random, `R = u·G`, `c = H(…, X, R)`, `z = u + c·x`.
//! Verifier: `z·G = R + c·X`.
//!
//! Transcript after the common prefix: `X` ← X, `R` ← R.

use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use merlin::Transcript;
use rand_core::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};

use crate::batch::BatchVerifier;
use crate::error::ProofError;
use crate::group::{mul_g, Element, ScalarValue};
use crate::transcript::{Domain, ProofContext, TranscriptExt};

/// A Schnorr proof: the commitment `R` and the response `z`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SchnorrProof {
    /// R = u·G.
    pub commitment: Element,
    /// z = u + c·x.
    pub response: ScalarValue,
}

fn challenge(
    domain: Domain,
    ctx: &ProofContext<'_>,
    public: &Element,
    commitment: &Element,
) -> Scalar {
    let mut t = Transcript::start(domain, ctx);
    t.append_element(b"X", public);
    t.append_element(b"R", commitment);
    t.challenge()
}

impl SchnorrProof {
    /// Proves knowledge of `secret` with `public = secret·G`.
    pub fn prove<R: RngCore + CryptoRng>(
        domain: Domain,
        ctx: &ProofContext<'_>,
        secret: &Scalar,
        public: &Element,
        rng: &mut R,
    ) -> Self {
        let u = Scalar::random(rng);
        let commitment = Element::from_point(mul_g(&u));
        let c = challenge(domain, ctx, public, &commitment);
        SchnorrProof {
            commitment,
            response: ScalarValue(u + c * secret),
        }
    }

    /// Verifies the proof for `public`.
    pub fn verify(
        &self,
        domain: Domain,
        ctx: &ProofContext<'_>,
        public: &Element,
    ) -> Result<(), ProofError> {
        let c = challenge(domain, ctx, public, &self.commitment);
        // z·G − c·X must equal R.
        let lhs = RistrettoPoint::vartime_double_scalar_mul_basepoint(
            &-c,
            public.point(),
            &self.response.0,
        );
        if lhs == *self.commitment.point() {
            Ok(())
        } else {
            Err(ProofError::EquationFailed)
        }
    }

    /// Queues `R + c·X − z·G = 0` with a random weight (the commitment's coefficient is the
    /// bare 128-bit weight, which Pippenger processes at half cost).
    pub fn queue(
        &self,
        domain: Domain,
        ctx: &ProofContext<'_>,
        public: &Element,
        batch: &mut BatchVerifier,
    ) {
        let c = challenge(domain, ctx, public, &self.commitment);
        let w = batch.weight();
        batch.add_g(-(w * self.response.0));
        batch.add(w, *self.commitment.point());
        batch.add(w * c, *public.point());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::rand_core::SeedableRng;
    use rand_chacha::ChaCha20Rng;

    const H: [u8; 32] = [7u8; 32];

    fn setup() -> (Scalar, Element, SchnorrProof) {
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        let x = Scalar::random(&mut rng);
        let public = Element::from_point(mul_g(&x));
        let ctx = ProofContext {
            election_hash: &H,
            binding: b"trustee 1",
        };
        let proof = SchnorrProof::prove(Domain::CoefficientProof, &ctx, &x, &public, &mut rng);
        (x, public, proof)
    }

    fn ctx() -> ProofContext<'static> {
        ProofContext {
            election_hash: &H,
            binding: b"trustee 1",
        }
    }

    #[test]
    fn valid_proof_verifies_alone_and_in_batch() {
        let (_, public, proof) = setup();
        assert_eq!(
            proof.verify(Domain::CoefficientProof, &ctx(), &public),
            Ok(())
        );
        let mut batch = BatchVerifier::new();
        proof.queue(Domain::CoefficientProof, &ctx(), &public, &mut batch);
        assert!(batch.verify());
    }

    #[test]
    fn wrong_statement_fails() {
        let (_, public, proof) = setup();
        let other = Element::from_point(public.point() + crate::group::G);
        assert!(proof
            .verify(Domain::CoefficientProof, &ctx(), &other)
            .is_err());
        let mut batch = BatchVerifier::new();
        proof.queue(Domain::CoefficientProof, &ctx(), &other, &mut batch);
        assert!(!batch.verify());
    }

    #[test]
    fn wrong_context_domain_or_election_fails() {
        let (_, public, proof) = setup();
        let other = ProofContext {
            election_hash: &H,
            binding: b"trustee 2",
        };
        assert!(proof
            .verify(Domain::CoefficientProof, &other, &public)
            .is_err());
        assert!(proof
            .verify(Domain::TrusteeKeyProof, &ctx(), &public)
            .is_err());
        let h2 = [8u8; 32];
        let other = ProofContext {
            election_hash: &h2,
            binding: b"trustee 1",
        };
        assert!(proof
            .verify(Domain::CoefficientProof, &other, &public)
            .is_err());
    }

    #[test]
    fn tampered_commitment_or_response_fails() {
        let (_, public, proof) = setup();
        let mut bad = proof;
        bad.response = ScalarValue(bad.response.0 + Scalar::ONE);
        assert!(bad
            .verify(Domain::CoefficientProof, &ctx(), &public)
            .is_err());
        let mut bad = proof;
        bad.commitment = Element::from_point(bad.commitment.point() + crate::group::G);
        assert!(bad
            .verify(Domain::CoefficientProof, &ctx(), &public)
            .is_err());
    }

    #[test]
    fn non_canonical_encodings_rejected_on_decode() {
        let (_, _, proof) = setup();
        let json = serde_json::to_value(proof).unwrap();
        let mut bad = json.clone();
        bad["response"] = serde_json::Value::String("ff".repeat(32));
        assert!(serde_json::from_value::<SchnorrProof>(bad).is_err());
        let mut bad = json.clone();
        bad["commitment"] = serde_json::Value::String("00".repeat(32));
        assert!(serde_json::from_value::<SchnorrProof>(bad).is_err());
        let mut bad = json;
        bad["extra"] = serde_json::Value::Bool(true);
        assert!(serde_json::from_value::<SchnorrProof>(bad).is_err());
    }
}
