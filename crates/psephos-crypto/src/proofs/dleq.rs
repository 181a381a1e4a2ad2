//! Chaum–Pedersen proof of equality of discrete logarithms (Chaum & Pedersen, "Wallet databases
//! with observers", Crypto 1992; ElectionGuard 2.1 §3.6.3–3.6.5 for partial decryptions;
//! docs/spec.md §5.2.2).
//!
//! Statement: `X = x·G` and `Y = x·H` for a second base `H`. Prover: `u` random, `a = u·G`,
//! `b = u·H`, `c = H(…, H, X, Y, a, b)`, `z = u + c·x`. Verifier: `z·G = a + c·X` and
//! `z·H = b + c·Y`.
//!
//! Transcript after the common prefix: `base` ← H, `X` ← X, `Y` ← Y, `a` ← a, `b` ← b.

use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::VartimeMultiscalarMul;
use merlin::Transcript;
use rand_core::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};

use crate::batch::BatchVerifier;
use crate::error::ProofError;
use crate::group::{mul_g, Element, ScalarValue};
use crate::transcript::{Domain, ProofContext, TranscriptExt};

/// The public statement `X = x·G ∧ Y = x·H`.
#[derive(Clone, Copy, Debug)]
pub struct DleqStatement<'a> {
    /// The second base H.
    pub base: &'a Element,
    /// X = x·G.
    pub x_g: &'a Element,
    /// Y = x·H.
    pub x_h: &'a Element,
}

/// A Chaum–Pedersen proof: commitments `a`, `b` and response `z`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DleqProof {
    /// a = u·G.
    pub a: Element,
    /// b = u·H.
    pub b: Element,
    /// z = u + c·x.
    pub response: ScalarValue,
}

fn challenge(
    domain: Domain,
    ctx: &ProofContext<'_>,
    st: &DleqStatement<'_>,
    a: &Element,
    b: &Element,
) -> Scalar {
    let mut t = Transcript::start(domain, ctx);
    t.append_element(b"base", st.base);
    t.append_element(b"X", st.x_g);
    t.append_element(b"Y", st.x_h);
    t.append_element(b"a", a);
    t.append_element(b"b", b);
    t.challenge()
}

impl DleqProof {
    /// Proves that `st.x_g = secret·G` and `st.x_h = secret·H`.
    pub fn prove<R: RngCore + CryptoRng>(
        domain: Domain,
        ctx: &ProofContext<'_>,
        secret: &Scalar,
        st: &DleqStatement<'_>,
        rng: &mut R,
    ) -> Self {
        let u = Scalar::random(rng);
        let a = Element::from_point(mul_g(&u));
        let b = Element::from_point(st.base.point() * u);
        let c = challenge(domain, ctx, st, &a, &b);
        DleqProof {
            a,
            b,
            response: ScalarValue(u + c * secret),
        }
    }

    /// Verifies the proof.
    pub fn verify(
        &self,
        domain: Domain,
        ctx: &ProofContext<'_>,
        st: &DleqStatement<'_>,
    ) -> Result<(), ProofError> {
        let c = challenge(domain, ctx, st, &self.a, &self.b);
        let z = self.response.0;
        let first = RistrettoPoint::vartime_double_scalar_mul_basepoint(&-c, st.x_g.point(), &z);
        let second =
            RistrettoPoint::vartime_multiscalar_mul([z, -c], [*st.base.point(), *st.x_h.point()]);
        if first == *self.a.point() && second == *self.b.point() {
            Ok(())
        } else {
            Err(ProofError::EquationFailed)
        }
    }

    /// Queues both equations with independent random weights.
    pub fn queue(
        &self,
        domain: Domain,
        ctx: &ProofContext<'_>,
        st: &DleqStatement<'_>,
        batch: &mut BatchVerifier,
    ) {
        let c = challenge(domain, ctx, st, &self.a, &self.b);
        let z = self.response.0;
        let (w1, w2) = (batch.weight(), batch.weight());
        // w1·(a + c·X − z·G) + w2·(b + c·Y − z·H) = 0; the commitments get the bare 128-bit
        // weights (half cost in Pippenger).
        batch.add_g(-(w1 * z));
        batch.add(w1, *self.a.point());
        batch.add(w1 * c, *st.x_g.point());
        batch.add(-(w2 * z), *st.base.point());
        batch.add(w2, *self.b.point());
        batch.add(w2 * c, *st.x_h.point());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::group::G;
    use rand_chacha::rand_core::SeedableRng;
    use rand_chacha::ChaCha20Rng;

    const H: [u8; 32] = [3u8; 32];
    fn ctx() -> ProofContext<'static> {
        ProofContext {
            election_hash: &H,
            binding: b"trustee 1 q 0 o 2",
        }
    }

    struct Case {
        base: Element,
        x_g: Element,
        x_h: Element,
        proof: DleqProof,
    }

    fn case() -> Case {
        let mut rng = ChaCha20Rng::seed_from_u64(9);
        let x = Scalar::random(&mut rng);
        let base = Element::from_point(mul_g(&Scalar::random(&mut rng)));
        let x_g = Element::from_point(mul_g(&x));
        let x_h = Element::from_point(base.point() * x);
        let st = DleqStatement {
            base: &base,
            x_g: &x_g,
            x_h: &x_h,
        };
        let proof = DleqProof::prove(Domain::DecryptionProof, &ctx(), &x, &st, &mut rng);
        Case {
            base,
            x_g,
            x_h,
            proof,
        }
    }

    fn check(
        c: &Case,
        base: &Element,
        x_g: &Element,
        x_h: &Element,
        proof: &DleqProof,
        cx: &ProofContext<'_>,
    ) -> bool {
        let st = DleqStatement { base, x_g, x_h };
        let single = proof.verify(Domain::DecryptionProof, cx, &st).is_ok();
        let mut batch = BatchVerifier::new();
        proof.queue(Domain::DecryptionProof, cx, &st, &mut batch);
        assert_eq!(
            single,
            batch.verify(),
            "batch and single verification disagree"
        );
        let _ = c;
        single
    }

    #[test]
    fn valid_proof_verifies() {
        let c = case();
        assert!(check(&c, &c.base, &c.x_g, &c.x_h, &c.proof, &ctx()));
    }

    #[test]
    fn wrong_statement_fails() {
        let c = case();
        let bumped = |e: &Element| Element::from_point(e.point() + G);
        assert!(!check(
            &c,
            &bumped(&c.base),
            &c.x_g,
            &c.x_h,
            &c.proof,
            &ctx()
        ));
        assert!(!check(
            &c,
            &c.base,
            &bumped(&c.x_g),
            &c.x_h,
            &c.proof,
            &ctx()
        ));
        assert!(!check(
            &c,
            &c.base,
            &c.x_g,
            &bumped(&c.x_h),
            &c.proof,
            &ctx()
        ));
    }

    #[test]
    fn wrong_context_fails() {
        let c = case();
        let other = ProofContext {
            election_hash: &H,
            binding: b"trustee 2 q 0 o 2",
        };
        assert!(!check(&c, &c.base, &c.x_g, &c.x_h, &c.proof, &other));
        let st = DleqStatement {
            base: &c.base,
            x_g: &c.x_g,
            x_h: &c.x_h,
        };
        assert!(c.proof.verify(Domain::KeyRevealProof, &ctx(), &st).is_err());
    }

    #[test]
    fn tampered_proof_fails() {
        let c = case();
        let mut p = c.proof;
        p.a = Element::from_point(p.a.point() + G);
        assert!(!check(&c, &c.base, &c.x_g, &c.x_h, &p, &ctx()));
        let mut p = c.proof;
        p.b = Element::from_point(p.b.point() + G);
        assert!(!check(&c, &c.base, &c.x_g, &c.x_h, &p, &ctx()));
        let mut p = c.proof;
        p.response = ScalarValue(p.response.0 + Scalar::ONE);
        assert!(!check(&c, &c.base, &c.x_g, &c.x_h, &p, &ctx()));
    }
}
