//! One question of a ballot: per option a ciphertext of 0 or 1 with a selection proof, and a proof
//! that the number of selected options is within the question's limits.
//!
//! This is ElectionGuard 2.1 §3.3.1 and §3.3.5–3.3.8 (selection encryption, well-formedness, range
//! proofs, contest limit) on Ristretto255 (docs/spec.md §5.5), with the proofs bound to the voter's
//! credential, the ballot id, the question and the option (docs/spec.md §4.2), so a proof copied to
//! another ballot, question or option fails. The ciphertext randomness and all proof nonces come
//! from the ballot seed ([`crate::nonce`]), so a revealed seed lets anyone re-create the contest
//! byte for byte.

use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::Identity;
use serde::{Deserialize, Serialize};
use subtle::{Choice, ConditionallySelectable};
use thiserror::Error;

use crate::batch::{BaseId, BatchVerifier};
use crate::elgamal::Ciphertext;
use crate::error::ProofError;
use crate::group::{elements_from_halves, g_half, half, mul_g, Element, FixedBase};
use crate::nonce::{labels, BallotSeed};
use crate::proofs::range::{PendingRangeProof, RangeNonces, RangeProof, RangeStatement};
use crate::transcript::{Domain, ProofContext};

/// Length of a ballot id in bytes.
pub const BALLOT_ID_LEN: usize = 16;

/// Everything a contest's proofs are bound to.
#[derive(Clone, Copy, Debug)]
pub struct ContestBinding<'a> {
    /// H_E.
    pub election_hash: &'a [u8; 32],
    /// The voter's Ed25519 credential public key.
    pub credential: &'a [u8; 32],
    /// The ballot id.
    pub ballot_id: &'a [u8; BALLOT_ID_LEN],
    /// Index of the question in the manifest.
    pub question: u32,
}

impl ContestBinding<'_> {
    /// `credential ‖ ballot_id ‖ LE32(question) ‖ LE32(option)` (56 bytes).
    pub fn selection_binding(&self, option: u32) -> [u8; 56] {
        let mut out = [0u8; 56];
        out[..32].copy_from_slice(self.credential);
        out[32..48].copy_from_slice(self.ballot_id);
        out[48..52].copy_from_slice(&self.question.to_le_bytes());
        out[52..56].copy_from_slice(&option.to_le_bytes());
        out
    }

    /// `credential ‖ ballot_id ‖ LE32(question)` (52 bytes).
    pub fn sum_binding(&self) -> [u8; 52] {
        let mut out = [0u8; 52];
        out[..32].copy_from_slice(self.credential);
        out[32..48].copy_from_slice(self.ballot_id);
        out[48..52].copy_from_slice(&self.question.to_le_bytes());
        out
    }

    /// Runs `f` with the context and statement of option `option`'s selection proof
    /// (`ciphertext ∈ 0..=1`).
    fn with_selection<R>(
        &self,
        key: &Element,
        option: usize,
        ciphertext: &Ciphertext,
        f: impl FnOnce(&ProofContext<'_>, &RangeStatement<'_>) -> R,
    ) -> R {
        let bytes = self.selection_binding(option as u32);
        let ctx = ProofContext {
            election_hash: self.election_hash,
            binding: &bytes,
        };
        let st = RangeStatement {
            key,
            ciphertexts: core::slice::from_ref(ciphertext),
            min: 0,
            max: 1,
        };
        f(&ctx, &st)
    }

    /// Runs `f` with the context and statement of the sum proof (`Σ ciphertexts` within the
    /// limits).
    fn with_sum<R>(
        &self,
        key: &Element,
        ciphertexts: &[Ciphertext],
        limits: &ContestLimits,
        f: impl FnOnce(&ProofContext<'_>, &RangeStatement<'_>) -> R,
    ) -> R {
        let bytes = self.sum_binding();
        let ctx = ProofContext {
            election_hash: self.election_hash,
            binding: &bytes,
        };
        let st = RangeStatement {
            key,
            ciphertexts,
            min: limits.min_selections,
            max: limits.max_selections,
        };
        f(&ctx, &st)
    }
}

/// The limits of a question.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ContestLimits {
    /// Number of options.
    pub options: u32,
    /// Fewest options a voter must select.
    pub min_selections: u64,
    /// Most options a voter may select.
    pub max_selections: u64,
}

/// One option's ciphertext and its proof that it encrypts 0 or 1.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EncryptedSelection {
    /// Enc(1) if the option is selected, Enc(0) otherwise.
    pub ciphertext: Ciphertext,
    /// Range proof for 0..=1.
    pub proof: RangeProof,
}

/// One question of an encrypted ballot.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EncryptedContest {
    /// One entry per option, in manifest order.
    pub selections: Vec<EncryptedSelection>,
    /// Range proof that the sum of the selections is in min..=max selections.
    pub sum_proof: RangeProof,
}

/// Why a contest cannot be encrypted or does not verify.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Error)]
pub enum ContestError {
    /// The number of selections differs from the number of options.
    #[error("question has {expected} options but the ballot has {found}")]
    WrongOptionCount {
        /// Options in the manifest.
        expected: usize,
        /// Selections on the ballot.
        found: usize,
    },
    /// A choice other than 0 or 1 (encryption only).
    #[error("option {0} has a choice other than 0 or 1")]
    InvalidChoice(u32),
    /// Too few or too many options selected (encryption only).
    #[error("{selected} options selected, the question allows {min}..={max}")]
    SelectionCount {
        /// Options selected.
        selected: u64,
        /// Minimum.
        min: u64,
        /// Maximum.
        max: u64,
    },
    /// The limits themselves are invalid.
    #[error("invalid limits: min {min}, max {max}, options {options}")]
    InvalidLimits {
        /// Minimum.
        min: u64,
        /// Maximum.
        max: u64,
        /// Options.
        options: u32,
    },
    /// An option's selection proof failed.
    #[error("selection proof of option {option} is invalid: {error}")]
    SelectionProof {
        /// The option.
        option: u32,
        /// What failed.
        error: ProofError,
    },
    /// The sum proof failed.
    #[error("sum proof is invalid: {0}")]
    SumProof(ProofError),
    /// The batched equations failed (call [`EncryptedContest::verify`] to locate the proof).
    #[error("batched verification equations failed")]
    BatchFailed,
}

impl ContestLimits {
    /// Checks the limits and that a contest has one entry per option.
    fn check_options(&self, found: usize) -> Result<(), ContestError> {
        self.check()?;
        if found != self.options as usize {
            return Err(ContestError::WrongOptionCount {
                expected: self.options as usize,
                found,
            });
        }
        Ok(())
    }

    fn check(&self) -> Result<(), ContestError> {
        if self.min_selections > self.max_selections
            || self.max_selections > u64::from(self.options)
        {
            return Err(ContestError::InvalidLimits {
                min: self.min_selections,
                max: self.max_selections,
                options: self.options,
            });
        }
        Ok(())
    }
}

fn selection_nonces(seed: &BallotSeed, q: u64, o: u64) -> RangeNonces {
    RangeNonces {
        u: seed.derive(labels::SELECTION_U, &[q, o]),
        sim_challenges: (0..2)
            .map(|j| seed.derive(labels::SELECTION_C, &[q, o, j]))
            .collect(),
        sim_responses: (0..2)
            .map(|j| seed.derive(labels::SELECTION_Z, &[q, o, j]))
            .collect(),
    }
}

fn sum_nonces(seed: &BallotSeed, q: u64, branches: u64) -> RangeNonces {
    RangeNonces {
        u: seed.derive(labels::SUM_U, &[q]),
        sim_challenges: (0..branches)
            .map(|j| seed.derive(labels::SUM_C, &[q, j]))
            .collect(),
        sim_responses: (0..branches)
            .map(|j| seed.derive(labels::SUM_Z, &[q, j]))
            .collect(),
    }
}

impl EncryptedContest {
    /// Encrypts `choices` (one 0/1 per option) and proves it well formed.
    ///
    /// All points of the contest are encoded in one batch (one field inversion in all).
    pub fn encrypt(
        key: &FixedBase,
        binding: &ContestBinding<'_>,
        limits: &ContestLimits,
        choices: &[u64],
        seed: &BallotSeed,
    ) -> Result<EncryptedContest, ContestError> {
        limits.check_options(choices.len())?;
        if let Some(o) = choices.iter().position(|&c| c > 1) {
            return Err(ContestError::InvalidChoice(o as u32));
        }
        let selected: u64 = choices.iter().sum();
        if selected < limits.min_selections || selected > limits.max_selections {
            return Err(ContestError::SelectionCount {
                selected,
                min: limits.min_selections,
                max: limits.max_selections,
            });
        }
        let q = u64::from(binding.question);
        let h = half();
        let g_half = g_half();
        let sum_branches = limits.max_selections - limits.min_selections + 1;
        let mut halves = Vec::with_capacity(choices.len() * 6 + 2 * sum_branches as usize);
        let mut pending = Vec::with_capacity(choices.len());
        let mut r_total = Scalar::ZERO;
        for (o, &m) in choices.iter().enumerate() {
            let r = seed.derive(labels::ENCRYPTION, &[q, o as u64]);
            let r_half = r * h;
            halves.push(mul_g(&r_half));
            // m ∈ {0, 1} (checked above): m·G/2 is a constant-time choice between the
            // identity and G/2, which saves a fixed-base multiplication per option.
            let m_g_half = RistrettoPoint::conditional_select(
                &RistrettoPoint::identity(),
                &g_half,
                Choice::from((m & 1) as u8),
            );
            halves.push(m_g_half + key.mul(&r_half));
            let nonces = selection_nonces(seed, q, o as u64);
            pending.push(PendingRangeProof::commit(
                key,
                m,
                &r,
                0,
                1,
                nonces,
                &mut halves,
            ));
            r_total += r;
        }
        let sum_nonces = sum_nonces(seed, q, sum_branches);
        let sum_pending = PendingRangeProof::commit(
            key,
            selected,
            &r_total,
            limits.min_selections,
            limits.max_selections,
            sum_nonces,
            &mut halves,
        );
        let elements = elements_from_halves(&halves);

        let ciphertexts: Vec<Ciphertext> = elements
            .chunks_exact(6)
            .take(choices.len())
            .map(|e| Ciphertext { a: e[0], b: e[1] })
            .collect();
        let selections = pending
            .into_iter()
            .enumerate()
            .map(|(o, p)| {
                let commitments = &elements[o * 6 + 2..o * 6 + 6];
                let proof = binding.with_selection(key.element(), o, &ciphertexts[o], |ctx, st| {
                    p.finish(Domain::SelectionProof, ctx, st, commitments)
                });
                EncryptedSelection {
                    ciphertext: ciphertexts[o],
                    proof,
                }
            })
            .collect();
        let sum_proof = binding.with_sum(key.element(), &ciphertexts, limits, |ctx, st| {
            sum_pending.finish(Domain::SumProof, ctx, st, &elements[choices.len() * 6..])
        });
        Ok(EncryptedContest {
            selections,
            sum_proof,
        })
    }

    /// The option ciphertexts in order.
    pub fn ciphertexts(&self) -> Vec<Ciphertext> {
        self.selections.iter().map(|s| s.ciphertext).collect()
    }

    /// Checks the Fiat–Shamir challenges and queues all group equations of this contest into
    /// `batch` (about 20 multiscalar terms for three options). `key_base` is the joint key
    /// registered as a shared base of `batch`.
    pub fn queue(
        &self,
        key: &Element,
        key_base: BaseId,
        binding: &ContestBinding<'_>,
        limits: &ContestLimits,
        batch: &mut BatchVerifier,
    ) -> Result<(), ContestError> {
        limits.check_options(self.selections.len())?;
        // Per option: A, B and two branches of two commitments; then the sum proof's branches.
        let sum_branches = (limits.max_selections - limits.min_selections + 1)
            .min(crate::proofs::range::MAX_BRANCHES) as usize;
        batch.reserve(6 * self.selections.len() + 2 * sum_branches);
        let ciphertexts = self.ciphertexts();
        let sum_terms = binding
            .with_sum(key, &ciphertexts, limits, |ctx, st| {
                self.sum_proof
                    .queue_terms(Domain::SumProof, ctx, st, key_base, batch)
            })
            .map_err(ContestError::SumProof)?;
        for (o, sel) in self.selections.iter().enumerate() {
            let terms = binding
                .with_selection(key, o, &sel.ciphertext, |ctx, st| {
                    sel.proof
                        .queue_terms(Domain::SelectionProof, ctx, st, key_base, batch)
                })
                .map_err(|error| ContestError::SelectionProof {
                    option: o as u32,
                    error,
                })?;
            batch.add(terms.a + sum_terms.a, *sel.ciphertext.a.point());
            batch.add(terms.b + sum_terms.b, *sel.ciphertext.b.point());
        }
        Ok(())
    }

    /// Verifies every proof of the contest separately and names the first that fails.
    pub fn verify(
        &self,
        key: &Element,
        binding: &ContestBinding<'_>,
        limits: &ContestLimits,
    ) -> Result<(), ContestError> {
        limits.check_options(self.selections.len())?;
        for (o, sel) in self.selections.iter().enumerate() {
            binding
                .with_selection(key, o, &sel.ciphertext, |ctx, st| {
                    sel.proof.verify(Domain::SelectionProof, ctx, st)
                })
                .map_err(|error| ContestError::SelectionProof {
                    option: o as u32,
                    error,
                })?;
        }
        binding
            .with_sum(key, &self.ciphertexts(), limits, |ctx, st| {
                self.sum_proof.verify(Domain::SumProof, ctx, st)
            })
            .map_err(ContestError::SumProof)
    }
}
