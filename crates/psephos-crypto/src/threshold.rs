//! Threshold decryption (ElectionGuard 2.1 §3.6.2–3.6.4; docs/spec.md §6.2): each trustee `ℓ`
//! publishes `M_ℓ = z_ℓ·A` with a Chaum–Pedersen proof that `log_G K_ℓ = log_A M_ℓ`; any `t` of them
//! combine by Lagrange interpolation at 0, `M = Σ_{ℓ∈S} λ_ℓ·M_ℓ` with
//! `λ_ℓ = Π_{k∈S, k≠ℓ} k / (k − ℓ)`, so that `M = s·A` for the never-assembled joint secret
//! `s`, and `m·G = B − M`.
//!
//! Binding of a decryption proof: `LE32(trustee) ‖ LE32(question) ‖ LE32(option)`.

use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::VartimeMultiscalarMul;
use rand_core::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};

use crate::batch::BatchVerifier;
use crate::dkg::KeyShare;
use crate::dlog::DiscreteLog;
use crate::elgamal::Ciphertext;
use crate::error::CeremonyError;
use crate::group::Element;
use crate::proofs::dleq::{DleqProof, DleqStatement};
use crate::transcript::{Domain, ProofContext};

/// Binding of a decryption proof.
pub fn decryption_binding(trustee: u32, question: u32, option: u32) -> [u8; 12] {
    let mut b = [0u8; 12];
    b[..4].copy_from_slice(&trustee.to_le_bytes());
    b[4..8].copy_from_slice(&question.to_le_bytes());
    b[8..].copy_from_slice(&option.to_le_bytes());
    b
}

/// Trustee `ℓ`'s partial decryption `M_ℓ = z_ℓ·A` of one ciphertext, with its proof.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecryptionShare {
    /// The trustee ℓ.
    pub trustee: u32,
    /// M_ℓ.
    pub share: Element,
    /// Proof that log_G K_ℓ = log_A M_ℓ.
    pub proof: DleqProof,
}

impl DecryptionShare {
    /// Computes the partial decryption of `ciphertext` (question `q`, option `o`) under H_E.
    pub fn compute<R: RngCore + CryptoRng>(
        key_share: &KeyShare,
        election_hash: &[u8; 32],
        question: u32,
        option: u32,
        ciphertext: &Ciphertext,
        rng: &mut R,
    ) -> Self {
        let share = Element::from_point(ciphertext.a.point() * key_share.secret());
        let vk = key_share.verification_key();
        let binding = decryption_binding(key_share.index(), question, option);
        let ctx = ProofContext {
            election_hash,
            binding: &binding,
        };
        let st = DleqStatement {
            base: &ciphertext.a,
            x_g: &vk,
            x_h: &share,
        };
        let proof = DleqProof::prove(Domain::DecryptionProof, &ctx, key_share.secret(), &st, rng);
        DecryptionShare {
            trustee: key_share.index(),
            share,
            proof,
        }
    }

    /// Verifies against the trustee's verification key `K_ℓ`.
    pub fn verify(
        &self,
        verification_key: &Element,
        election_hash: &[u8; 32],
        question: u32,
        option: u32,
        ciphertext: &Ciphertext,
    ) -> Result<(), CeremonyError> {
        let binding = decryption_binding(self.trustee, question, option);
        let ctx = ProofContext {
            election_hash,
            binding: &binding,
        };
        let st = DleqStatement {
            base: &ciphertext.a,
            x_g: verification_key,
            x_h: &self.share,
        };
        self.proof
            .verify(Domain::DecryptionProof, &ctx, &st)
            .map_err(|_| CeremonyError::BadDecryptionProof(self.trustee))
    }

    /// Queues the proof's equations into a batch.
    pub fn queue(
        &self,
        verification_key: &Element,
        election_hash: &[u8; 32],
        question: u32,
        option: u32,
        ciphertext: &Ciphertext,
        batch: &mut BatchVerifier,
    ) {
        let binding = decryption_binding(self.trustee, question, option);
        let ctx = ProofContext {
            election_hash,
            binding: &binding,
        };
        let st = DleqStatement {
            base: &ciphertext.a,
            x_g: verification_key,
            x_h: &self.share,
        };
        self.proof.queue(Domain::DecryptionProof, &ctx, &st, batch);
    }
}

/// The Lagrange coefficient at 0 of trustee `i` within the set `indices`.
pub fn lagrange_at_zero(indices: &[u32], i: u32) -> Result<Scalar, CeremonyError> {
    let mut num = Scalar::ONE;
    let mut den = Scalar::ONE;
    for &k in indices {
        if k == i {
            continue;
        }
        if k == 0 {
            return Err(CeremonyError::BadTrusteeIndex(k));
        }
        num *= Scalar::from(k);
        den *= Scalar::from(k) - Scalar::from(i);
    }
    Ok(num * den.invert())
}

/// Combines verified partial decryptions of `t` or more distinct trustees into `M = s·A`.
pub fn combine(
    shares: &[&DecryptionShare],
    threshold: u32,
    n: u32,
) -> Result<RistrettoPoint, CeremonyError> {
    if shares.len() < threshold as usize {
        return Err(CeremonyError::NotEnoughShares {
            needed: threshold as usize,
            have: shares.len(),
        });
    }
    let mut indices: Vec<u32> = shares.iter().map(|s| s.trustee).collect();
    indices.sort_unstable();
    for w in indices.windows(2) {
        if w[0] == w[1] {
            return Err(CeremonyError::BadTrusteeIndex(w[0]));
        }
    }
    if let Some(&bad) = indices.iter().find(|&&i| i == 0 || i > n) {
        return Err(CeremonyError::BadTrusteeIndex(bad));
    }
    let lambdas = shares
        .iter()
        .map(|s| lagrange_at_zero(&indices, s.trustee))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(RistrettoPoint::vartime_multiscalar_mul(
        lambdas,
        shares.iter().map(|s| *s.share.point()),
    ))
}

/// Decrypts `ciphertext` from combined shares: `m·G = B − M`, then the discrete log.
pub fn decrypt(
    ciphertext: &Ciphertext,
    shares: &[&DecryptionShare],
    threshold: u32,
    n: u32,
    dlog: &DiscreteLog,
) -> Result<u64, CeremonyError> {
    let m = combine(shares, threshold, n)?;
    let target = ciphertext.b.point() - m;
    dlog.solve(&target)
        .ok_or(CeremonyError::DiscreteLogOutOfRange(dlog.bound()))
}
