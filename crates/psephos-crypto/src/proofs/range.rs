//! Disjunctive Chaum–Pedersen range proof: a ciphertext (or a sum of ciphertexts) encrypts a value
//! in `min..=max` (Cramer, Damgård, Schoenmakers, "Proofs of partial knowledge and simplified
//! design of witness hiding protocols", Crypto 1994; ElectionGuard 2.1 §3.3.5–3.3.8; docs/spec.md
//! §5.4).
//!
//! Statement: key `K`, ciphertexts `(Aᵢ, Bᵢ)` with sum `(A, B) = (r·G, m·G + r·K)`, and a range
//! `min..=max`. For each value `v = min + j` there is a branch proving that `(A, B − v·G)` is a
//! Diffie–Hellman tuple over `(G, K)`. The real branch (`v = m`) is a Chaum–Pedersen proof with
//! nonce `u`: `aⱼ = u·G`, `bⱼ = u·K`. Every other branch is simulated from a chosen challenge
//! `cⱼ` and response `zⱼ`: `aⱼ = zⱼ·G − cⱼ·A`, `bⱼ = zⱼ·K − cⱼ·(B − v·G)`. The Fiat–Shamir
//! challenge `c` fixes the real branch's challenge `c_m = c − Σ_{j≠m} cⱼ`, and `z_m = u + c_m·r`.
//!
//! Verifier: `Σ cⱼ = c` and, for every branch, `zⱼ·G = aⱼ + cⱼ·A` and
//! `zⱼ·K = bⱼ + cⱼ·(B − v·G)`.
//!
//! Transcript after the common prefix: `K` ← K, `n` ← number of ciphertexts, then `A`, `B` of each
//! ciphertext, `min`, `max`, then `a`, `b` of each branch in order.
//!
//! The prover knows every exponent, so every point comes from the fixed-base tables of G and K:
//! with `sⱼ = zⱼ − cⱼ·r` and `tⱼ = −cⱼ·(m − v)`, a simulated branch is `aⱼ = sⱼ·G`,
//! `bⱼ = sⱼ·K + tⱼ·G`, and the real branch is the same formula with `sⱼ = u`, `tⱼ = 0`. So all
//! branches run the same operations and which one is real does not show in the timing.

use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::Identity;
use merlin::Transcript;
use serde::{Deserialize, Serialize};
use subtle::{Choice, ConditionallySelectable, ConstantTimeEq, ConstantTimeGreater};
use zeroize::Zeroize;

use crate::batch::{BaseId, BatchVerifier};
use crate::elgamal::Ciphertext;
use crate::error::ProofError;
use crate::group::{half, mul_g, Element, FixedBase, ScalarValue};
use crate::transcript::{Domain, ProofContext, TranscriptExt};

/// The largest number of branches (values) one range proof may have.
pub const MAX_BRANCHES: u64 = 1024;

/// One branch of a range proof.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RangeBranch {
    /// aⱼ.
    pub a: Element,
    /// bⱼ.
    pub b: Element,
    /// cⱼ.
    pub challenge: ScalarValue,
    /// zⱼ.
    pub response: ScalarValue,
}

/// A range proof: one branch per value of `min..=max`, in increasing order of value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RangeProof {
    /// The branches.
    pub branches: Vec<RangeBranch>,
}

/// What a range proof proves: the sum of `ciphertexts` under `key` encrypts a value in
/// `min..=max`.
#[derive(Clone, Copy, Debug)]
pub struct RangeStatement<'a> {
    /// The joint key K.
    pub key: &'a Element,
    /// The ciphertexts whose homomorphic sum is the statement's ciphertext.
    pub ciphertexts: &'a [Ciphertext],
    /// Smallest value.
    pub min: u64,
    /// Largest value.
    pub max: u64,
}

impl RangeStatement<'_> {
    fn branch_count(&self) -> Result<usize, ProofError> {
        if self.min > self.max || self.max - self.min >= MAX_BRANCHES {
            return Err(ProofError::InvalidRange {
                min: self.min,
                max: self.max,
            });
        }
        Ok((self.max - self.min + 1) as usize)
    }
}

fn challenge(
    domain: Domain,
    ctx: &ProofContext<'_>,
    st: &RangeStatement<'_>,
    commitments: impl Iterator<Item = (Element, Element)>,
) -> Scalar {
    let mut t = Transcript::start(domain, ctx);
    t.append_element(b"K", st.key);
    t.append_int(b"n", st.ciphertexts.len() as u64);
    for ct in st.ciphertexts {
        t.append_element(b"A", &ct.a);
        t.append_element(b"B", &ct.b);
    }
    t.append_int(b"min", st.min);
    t.append_int(b"max", st.max);
    for (a, b) in commitments {
        t.append_element(b"a", &a);
        t.append_element(b"b", &b);
    }
    t.challenge()
}

/// The nonces of one range proof, derived by the caller (see [`crate::nonce`]).
pub(crate) struct RangeNonces {
    /// Real-branch nonce u.
    pub u: Scalar,
    /// Simulated challenge for each branch (the real branch's is ignored).
    pub sim_challenges: Vec<Scalar>,
    /// Simulated response for each branch (the real branch's is ignored).
    pub sim_responses: Vec<Scalar>,
}

impl Drop for RangeNonces {
    fn drop(&mut self) {
        self.u.zeroize();
        self.sim_challenges.zeroize();
        self.sim_responses.zeroize();
    }
}

/// A range proof between its commitment and its challenge.
pub(crate) struct PendingRangeProof {
    nonces: RangeNonces,
    real: Vec<Choice>,
    r: Scalar,
}

impl Drop for PendingRangeProof {
    fn drop(&mut self) {
        self.r.zeroize();
    }
}

impl PendingRangeProof {
    /// Computes the halves `aⱼ/2`, `bⱼ/2` of every branch commitment (for batch encoding),
    /// appended to `halves` as a₀, b₀, a₁, b₁, …
    ///
    /// Cost: `2n` fixed-base multiplications for the `sⱼ` terms and `n − 1` for the `tⱼ·G`
    /// terms, since the real branch's `t` is zero (see [`offsets`]).
    pub(crate) fn commit(
        key: &FixedBase,
        m: u64,
        r: &Scalar,
        min: u64,
        max: u64,
        nonces: RangeNonces,
        halves: &mut Vec<RistrettoPoint>,
    ) -> Self {
        let h = half();
        let m_scalar = Scalar::from(m);
        let n = (max - min + 1) as usize;
        let mut real = Vec::with_capacity(n);
        let mut s_halves = Vec::with_capacity(n);
        let mut t_halves = Vec::with_capacity(n);
        for (j, v) in (min..=max).enumerate() {
            let is_real = v.ct_eq(&m);
            let c = nonces.sim_challenges[j];
            let s =
                Scalar::conditional_select(&(nonces.sim_responses[j] - c * r), &nonces.u, is_real);
            // tⱼ = −cⱼ·(m − v) is zero on the real branch by construction.
            let t = -(c * (m_scalar - Scalar::from(v)));
            s_halves.push(s * h);
            t_halves.push(t * h);
            real.push(is_real);
        }
        let t_points = offsets(&t_halves, m, min, max);
        for (s_half, t_point) in s_halves.iter().zip(&t_points) {
            halves.push(mul_g(s_half));
            halves.push(key.mul(s_half) + t_point);
        }
        s_halves.zeroize();
        t_halves.zeroize();
        PendingRangeProof {
            nonces,
            real,
            r: *r,
        }
    }

    /// Completes the proof given the encoded commitments (pairs a, b) and the statement.
    pub(crate) fn finish(
        self,
        domain: Domain,
        ctx: &ProofContext<'_>,
        st: &RangeStatement<'_>,
        commitments: &[Element],
    ) -> RangeProof {
        let pairs = commitments.chunks_exact(2).map(|p| (p[0], p[1]));
        let c = challenge(domain, ctx, st, pairs);
        let simulated_sum = self
            .real
            .iter()
            .zip(&self.nonces.sim_challenges)
            .fold(Scalar::ZERO, |acc, (is_real, cj)| {
                acc + Scalar::conditional_select(cj, &Scalar::ZERO, *is_real)
            });
        let c_real = c - simulated_sum;
        let z_real = self.nonces.u + c_real * self.r;
        let branches = commitments
            .chunks_exact(2)
            .enumerate()
            .map(|(j, pair)| {
                let is_real = self.real[j];
                RangeBranch {
                    a: pair[0],
                    b: pair[1],
                    challenge: ScalarValue(Scalar::conditional_select(
                        &self.nonces.sim_challenges[j],
                        &c_real,
                        is_real,
                    )),
                    response: ScalarValue(Scalar::conditional_select(
                        &self.nonces.sim_responses[j],
                        &z_real,
                        is_real,
                    )),
                }
            })
            .collect();
        RangeProof { branches }
    }
}

/// `tⱼ·G` for every branch `j` (the caller passes `tⱼ/2` and gets `tⱼ·G/2`), where the real
/// branch's `t` is zero.
///
/// When `m` is in range there are `n − 1` simulated branches, so only `n − 1` products are
/// computed: slot `k` holds the `k`-th simulated branch (branch `k` before the real one,
/// branch `k + 1` from it on), and the products are then moved back to their branches, with
/// the identity on the real one. Every selection is constant time in the real index, so the
/// saving does not show which branch is real. When `m` is out of range (a prover asked to
/// prove something false, never an honest ballot) every branch is simulated and all `n`
/// products are computed.
fn offsets(t: &[Scalar], m: u64, min: u64, max: u64) -> Vec<RistrettoPoint> {
    if m < min || m > max {
        return t.iter().map(mul_g).collect();
    }
    let real = m - min;
    let n = t.len();
    let slots: Vec<RistrettoPoint> = t
        .windows(2)
        .enumerate()
        .map(|(k, pair)| {
            let from_next = !real.ct_gt(&(k as u64));
            mul_g(&Scalar::conditional_select(&pair[0], &pair[1], from_next))
        })
        .collect();
    (0..n)
        .map(|j| {
            let mut p = slots
                .get(j)
                .copied()
                .unwrap_or_else(RistrettoPoint::identity);
            if let Some(previous) = j.checked_sub(1).and_then(|i| slots.get(i)) {
                p.conditional_assign(previous, (j as u64).ct_gt(&real));
            }
            p.conditional_assign(&RistrettoPoint::identity(), (j as u64).ct_eq(&real));
            p
        })
        .collect()
}

/// Coefficients that the caller must apply to the statement's `ΣA` and `ΣB`.
///
/// Returned rather than applied so that a contest can merge the terms of each option's own
/// proof with those of the sum proof into one multiscalar term per point.
#[derive(Clone, Copy, Debug)]
pub(crate) struct SumTerms {
    pub a: Scalar,
    pub b: Scalar,
}

impl RangeProof {
    /// Checks the challenge and queues every branch's equations, except the terms in `A`, `B`,
    /// which are returned.
    pub(crate) fn queue_terms(
        &self,
        domain: Domain,
        ctx: &ProofContext<'_>,
        st: &RangeStatement<'_>,
        key_base: BaseId,
        batch: &mut BatchVerifier,
    ) -> Result<SumTerms, ProofError> {
        let expected = st.branch_count()?;
        if self.branches.len() != expected {
            return Err(ProofError::WrongBranchCount {
                expected,
                found: self.branches.len(),
            });
        }
        let c = challenge(domain, ctx, st, self.branches.iter().map(|br| (br.a, br.b)));
        let total: Scalar = self.branches.iter().map(|br| br.challenge.0).sum();
        if total != c {
            return Err(ProofError::ChallengeMismatch);
        }
        let mut terms = SumTerms {
            a: Scalar::ZERO,
            b: Scalar::ZERO,
        };
        for (br, v) in self.branches.iter().zip(st.min..=st.max) {
            let (w1, w2) = (batch.weight(), batch.weight());
            let (cj, zj) = (br.challenge.0, br.response.0);
            // w1·(aⱼ + cⱼ·A − zⱼ·G) + w2·(bⱼ + cⱼ·B − cⱼ·v·G − zⱼ·K) = 0. The commitments get
            // the bare 128-bit weights, so Pippenger skips their upper digits (see
            // `BatchVerifier`).
            let (w1_cj, w2_cj) = (w1 * cj, w2 * cj);
            // v is 0 or 1 in every 0/1 proof and in a select-one sum proof: no multiplication.
            let w2_cj_v = match v {
                0 => Scalar::ZERO,
                1 => w2_cj,
                _ => w2_cj * Scalar::from(v),
            };
            batch.add_g(-(w1 * zj + w2_cj_v));
            batch.add_shared(key_base, -(w2 * zj));
            batch.add(w1, *br.a.point());
            batch.add(w2, *br.b.point());
            terms.a += w1_cj;
            terms.b += w2_cj;
        }
        Ok(terms)
    }

    /// Queues the whole proof into `batch`; `key_base` must be `st.key` registered as a shared
    /// base of the same batch.
    pub fn queue(
        &self,
        domain: Domain,
        ctx: &ProofContext<'_>,
        st: &RangeStatement<'_>,
        key_base: BaseId,
        batch: &mut BatchVerifier,
    ) -> Result<(), ProofError> {
        let terms = self.queue_terms(domain, ctx, st, key_base, batch)?;
        for ct in st.ciphertexts {
            batch.add(terms.a, *ct.a.point());
            batch.add(terms.b, *ct.b.point());
        }
        Ok(())
    }

    /// Verifies this proof on its own.
    pub fn verify(
        &self,
        domain: Domain,
        ctx: &ProofContext<'_>,
        st: &RangeStatement<'_>,
    ) -> Result<(), ProofError> {
        let mut batch = BatchVerifier::new();
        let key_base = batch.shared_base(*st.key.point());
        self.queue(domain, ctx, st, key_base, &mut batch)?;
        if batch.verify() {
            Ok(())
        } else {
            Err(ProofError::EquationFailed)
        }
    }
}

impl RangeProof {
    /// Proves that `ciphertext = Enc(m; r)` has `m ∈ min..=max`, with nonces from `rng`.
    ///
    /// Ballots use [`crate::contest`], which derives the nonces from the ballot seed instead.
    #[allow(clippy::too_many_arguments)]
    pub fn prove<R: rand_core::RngCore + rand_core::CryptoRng>(
        domain: Domain,
        ctx: &ProofContext<'_>,
        key: &FixedBase,
        ciphertext: &Ciphertext,
        m: u64,
        r: &Scalar,
        min: u64,
        max: u64,
        rng: &mut R,
    ) -> Result<RangeProof, ProofError> {
        let cts = core::slice::from_ref(ciphertext);
        let st = RangeStatement {
            key: key.element(),
            ciphertexts: cts,
            min,
            max,
        };
        let n = st.branch_count()?;
        let nonces = RangeNonces {
            u: Scalar::random(rng),
            sim_challenges: (0..n).map(|_| Scalar::random(rng)).collect(),
            sim_responses: (0..n).map(|_| Scalar::random(rng)).collect(),
        };
        let mut halves = Vec::with_capacity(2 * n);
        let pending = PendingRangeProof::commit(key, m, r, min, max, nonces, &mut halves);
        let commitments = crate::group::elements_from_halves(&halves);
        Ok(pending.finish(domain, ctx, &st, &commitments))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::group::G;
    use rand_chacha::rand_core::SeedableRng;
    use rand_chacha::ChaCha20Rng;

    const H: [u8; 32] = [1u8; 32];
    fn ctx() -> ProofContext<'static> {
        ProofContext {
            election_hash: &H,
            binding: b"ballot 1 option 0",
        }
    }

    struct Case {
        key: FixedBase,
        ct: Ciphertext,
        proof: RangeProof,
        min: u64,
        max: u64,
    }

    fn case(m: u64, min: u64, max: u64) -> Case {
        let mut rng = ChaCha20Rng::seed_from_u64(m * 1000 + max);
        let key = FixedBase::new(Element::from_point(mul_g(&Scalar::random(&mut rng))));
        let r = Scalar::random(&mut rng);
        let ct = Ciphertext::encrypt(&key, m, &r);
        let proof = RangeProof::prove(
            Domain::SelectionProof,
            &ctx(),
            &key,
            &ct,
            m,
            &r,
            min,
            max,
            &mut rng,
        )
        .unwrap();
        Case {
            key,
            ct,
            proof,
            min,
            max,
        }
    }

    fn verify(
        c: &Case,
        ct: &Ciphertext,
        proof: &RangeProof,
        cx: &ProofContext<'_>,
    ) -> Result<(), ProofError> {
        let st = RangeStatement {
            key: c.key.element(),
            ciphertexts: core::slice::from_ref(ct),
            min: c.min,
            max: c.max,
        };
        proof.verify(Domain::SelectionProof, cx, &st)
    }

    #[test]
    fn every_value_in_range_proves() {
        for (min, max) in [(0, 1), (0, 3), (2, 5), (1, 1)] {
            for m in min..=max {
                let c = case(m, min, max);
                assert_eq!(
                    verify(&c, &c.ct, &c.proof, &ctx()),
                    Ok(()),
                    "m={m} in {min}..={max}"
                );
            }
        }
    }

    #[test]
    fn value_outside_range_fails() {
        for (m, min, max) in [(2, 0, 1), (0, 1, 3), (6, 2, 5)] {
            let c = case(m, min, max);
            assert!(
                verify(&c, &c.ct, &c.proof, &ctx()).is_err(),
                "m={m} must not prove {min}..={max}"
            );
        }
    }

    #[test]
    fn wrong_statement_fails() {
        let c = case(1, 0, 1);
        let mut ct = c.ct;
        ct.b = Element::from_point(ct.b.point() + G);
        assert!(verify(&c, &ct, &c.proof, &ctx()).is_err());
        let mut ct = c.ct;
        ct.a = Element::from_point(ct.a.point() + G);
        assert!(verify(&c, &ct, &c.proof, &ctx()).is_err());
        // A different range.
        let st = RangeStatement {
            key: c.key.element(),
            ciphertexts: core::slice::from_ref(&c.ct),
            min: 1,
            max: 2,
        };
        assert!(c.proof.verify(Domain::SelectionProof, &ctx(), &st).is_err());
        // A different key.
        let other = Element::from_point(c.key.element().point() + G);
        let st = RangeStatement {
            key: &other,
            ciphertexts: core::slice::from_ref(&c.ct),
            min: 0,
            max: 1,
        };
        assert!(c.proof.verify(Domain::SelectionProof, &ctx(), &st).is_err());
    }

    #[test]
    fn wrong_context_or_domain_fails() {
        let c = case(0, 0, 1);
        let other = ProofContext {
            election_hash: &H,
            binding: b"ballot 1 option 1",
        };
        assert_eq!(
            verify(&c, &c.ct, &c.proof, &other),
            Err(ProofError::ChallengeMismatch)
        );
        let h2 = [2u8; 32];
        let other = ProofContext {
            election_hash: &h2,
            binding: b"ballot 1 option 0",
        };
        assert_eq!(
            verify(&c, &c.ct, &c.proof, &other),
            Err(ProofError::ChallengeMismatch)
        );
        let st = RangeStatement {
            key: c.key.element(),
            ciphertexts: core::slice::from_ref(&c.ct),
            min: 0,
            max: 1,
        };
        assert!(c.proof.verify(Domain::SumProof, &ctx(), &st).is_err());
    }

    #[test]
    fn tampered_branches_fail() {
        let c = case(1, 0, 1);
        for j in 0..2 {
            let mut p = c.proof.clone();
            p.branches[j].a = Element::from_point(p.branches[j].a.point() + G);
            assert!(verify(&c, &c.ct, &p, &ctx()).is_err());
            let mut p = c.proof.clone();
            p.branches[j].b = Element::from_point(p.branches[j].b.point() + G);
            assert!(verify(&c, &c.ct, &p, &ctx()).is_err());
            let mut p = c.proof.clone();
            p.branches[j].response = ScalarValue(p.branches[j].response.0 + Scalar::ONE);
            assert_eq!(
                verify(&c, &c.ct, &p, &ctx()),
                Err(ProofError::EquationFailed)
            );
            // Moving challenge weight between branches keeps the sum but breaks an equation.
            let mut p = c.proof.clone();
            p.branches[0].challenge = ScalarValue(p.branches[0].challenge.0 + Scalar::ONE);
            p.branches[1].challenge = ScalarValue(p.branches[1].challenge.0 - Scalar::ONE);
            assert_eq!(
                verify(&c, &c.ct, &p, &ctx()),
                Err(ProofError::EquationFailed)
            );
        }
        let mut p = c.proof.clone();
        p.branches.swap(0, 1);
        assert!(verify(&c, &c.ct, &p, &ctx()).is_err());
        let mut p = c.proof.clone();
        p.branches.pop();
        assert_eq!(
            verify(&c, &c.ct, &p, &ctx()),
            Err(ProofError::WrongBranchCount {
                expected: 2,
                found: 1
            })
        );
    }

    #[test]
    fn invalid_range_is_an_error_not_a_panic() {
        let c = case(0, 0, 1);
        let st = RangeStatement {
            key: c.key.element(),
            ciphertexts: core::slice::from_ref(&c.ct),
            min: 3,
            max: 1,
        };
        assert_eq!(
            c.proof.verify(Domain::SelectionProof, &ctx(), &st),
            Err(ProofError::InvalidRange { min: 3, max: 1 })
        );
        let st = RangeStatement {
            key: c.key.element(),
            ciphertexts: core::slice::from_ref(&c.ct),
            min: 0,
            max: u64::MAX,
        };
        assert!(c.proof.verify(Domain::SelectionProof, &ctx(), &st).is_err());
    }
}
