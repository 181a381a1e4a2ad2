//! Ballots: per question an encrypted contest, bound to the voter's credential and the ballot
//! id, hashed into a tracking code and signed by the credential (Belenios §4.5 signed ballots,
//! ElectionGuard 2.1 §3.4 confirmation codes).

use psephos_crypto::batch::{BaseId, BatchVerifier};
use psephos_crypto::contest::{ContestBinding, ContestError, EncryptedContest, BALLOT_ID_LEN};
use psephos_crypto::group::{Element, FixedBase};
use psephos_crypto::nonce::BallotSeed;
use psephos_crypto::proofs::RangeProof;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::credential::{base32, verify_signature, Credential};
use crate::hash::{contexts, Hash};
use crate::manifest::Manifest;

/// An encrypted, signed ballot.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ballot {
    /// Random id chosen by the voter's device; a retry re-sends the same id.
    #[serde(with = "crate::hash::hex16")]
    pub ballot_id: [u8; BALLOT_ID_LEN],
    /// The voter's public credential (on the roll).
    #[serde(with = "crate::hash::hex32")]
    pub credential: [u8; 32],
    /// One contest per question of the manifest, in order.
    pub contests: Vec<EncryptedContest>,
    /// Ed25519 signature by the credential over the ballot hash.
    #[serde(with = "crate::hash::hex64")]
    pub signature: [u8; 64],
}

/// Why a ballot is not acceptable.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum BallotError {
    /// Wrong number of contests.
    #[error("the manifest has {expected} questions but the ballot has {found} contests")]
    WrongContestCount {
        /// Questions.
        expected: usize,
        /// Contests.
        found: usize,
    },
    /// A contest is malformed or a proof fails.
    #[error("question {question}: {error}")]
    Contest {
        /// Question index.
        question: u32,
        /// What failed.
        error: ContestError,
    },
    /// The signature does not verify under the credential.
    #[error("the credential's signature does not verify")]
    BadSignature,
    /// The batched equations failed.
    #[error("the ballot's proofs do not verify")]
    BadProofs,
    /// A challenged ballot's revealed seed and choices do not re-create it.
    #[error("the revealed seed and choices do not re-create the ballot")]
    ChallengeMismatch,
}

fn put_range(h: &mut blake3::Hasher, proof: &RangeProof) {
    h.update(&(proof.branches.len() as u32).to_le_bytes());
    for br in &proof.branches {
        h.update(br.a.as_bytes());
        h.update(br.b.as_bytes());
        h.update(&br.challenge.0.to_bytes());
        h.update(&br.response.0.to_bytes());
    }
}

/// Formats the first 10 bytes of a ballot hash as a tracking code `XXXX-XXXX-XXXX-XXXX`.
pub fn tracking_code_of(hash: &Hash) -> String {
    let text = base32(&hash[..10]);
    text.as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join("-")
}

impl Ballot {
    /// The ballot hash: BLAKE3-derive("psephos v1 ballot", H_E ‖ ballot_id ‖ credential ‖
    /// LE32(#contests) ‖ each contest), a contest being LE32(#options) ‖ per option
    /// (A ‖ B ‖ its range proof) ‖ the sum proof, and a range proof LE32(#branches) ‖ per branch
    /// (a ‖ b ‖ c ‖ z). Everything but the signature, which signs this hash.
    pub fn hash(&self, election_hash: &Hash) -> Hash {
        let mut h = blake3::Hasher::new_derive_key(contexts::BALLOT);
        h.update(election_hash);
        h.update(&self.ballot_id);
        h.update(&self.credential);
        h.update(&(self.contests.len() as u32).to_le_bytes());
        for contest in &self.contests {
            h.update(&(contest.selections.len() as u32).to_le_bytes());
            for sel in &contest.selections {
                h.update(sel.ciphertext.a.as_bytes());
                h.update(sel.ciphertext.b.as_bytes());
                put_range(&mut h, &sel.proof);
            }
            put_range(&mut h, &contest.sum_proof);
        }
        *h.finalize().as_bytes()
    }

    /// The voter's tracking code.
    pub fn tracking_code(&self, election_hash: &Hash) -> String {
        tracking_code_of(&self.hash(election_hash))
    }

    /// Encrypts `choices` (per question, a 0/1 per option), proves and signs.
    pub fn create(
        manifest: &Manifest,
        election_hash: &Hash,
        key: &FixedBase,
        credential: &Credential,
        ballot_id: [u8; BALLOT_ID_LEN],
        choices: &[Vec<u64>],
        seed: &BallotSeed,
    ) -> Result<Ballot, BallotError> {
        if choices.len() != manifest.questions.len() {
            return Err(BallotError::WrongContestCount {
                expected: manifest.questions.len(),
                found: choices.len(),
            });
        }
        let public = credential.public();
        let contests = manifest
            .questions
            .iter()
            .zip(choices)
            .enumerate()
            .map(|(q, (question, choice))| {
                let binding = ContestBinding {
                    election_hash,
                    credential: &public,
                    ballot_id: &ballot_id,
                    question: q as u32,
                };
                EncryptedContest::encrypt(key, &binding, &question.limits(), choice, seed).map_err(
                    |error| BallotError::Contest {
                        question: q as u32,
                        error,
                    },
                )
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mut ballot = Ballot {
            ballot_id,
            credential: public,
            contests,
            signature: [0u8; 64],
        };
        ballot.signature = credential.sign(&ballot.hash(election_hash));
        Ok(ballot)
    }

    /// Checks the credential's signature over `hash` (= `self.hash(H_E)`).
    pub fn verify_signature(&self, hash: &Hash) -> Result<(), BallotError> {
        if verify_signature(&self.credential, hash, &self.signature) {
            Ok(())
        } else {
            Err(BallotError::BadSignature)
        }
    }

    fn check_shape(&self, manifest: &Manifest) -> Result<(), BallotError> {
        if self.contests.len() != manifest.questions.len() {
            return Err(BallotError::WrongContestCount {
                expected: manifest.questions.len(),
                found: self.contests.len(),
            });
        }
        Ok(())
    }

    /// Queues every proof of the ballot into `batch` (challenges are checked now).
    pub fn queue_proofs(
        &self,
        manifest: &Manifest,
        election_hash: &Hash,
        key: &Element,
        key_base: BaseId,
        batch: &mut BatchVerifier,
    ) -> Result<(), BallotError> {
        self.check_shape(manifest)?;
        for (q, (contest, question)) in self.contests.iter().zip(&manifest.questions).enumerate() {
            let binding = ContestBinding {
                election_hash,
                credential: &self.credential,
                ballot_id: &self.ballot_id,
                question: q as u32,
            };
            contest
                .queue(key, key_base, &binding, &question.limits(), batch)
                .map_err(|error| BallotError::Contest {
                    question: q as u32,
                    error,
                })?;
        }
        Ok(())
    }

    /// Verifies every proof separately, naming the first that fails.
    pub fn verify_proofs(
        &self,
        manifest: &Manifest,
        election_hash: &Hash,
        key: &Element,
    ) -> Result<(), BallotError> {
        self.check_shape(manifest)?;
        for (q, (contest, question)) in self.contests.iter().zip(&manifest.questions).enumerate() {
            let binding = ContestBinding {
                election_hash,
                credential: &self.credential,
                ballot_id: &self.ballot_id,
                question: q as u32,
            };
            contest
                .verify(key, &binding, &question.limits())
                .map_err(|error| BallotError::Contest {
                    question: q as u32,
                    error,
                })?;
        }
        Ok(())
    }

    /// Everything a board checks about a ballot's content: signature and proofs (the roll,
    /// phase and revote policy are the caller's).
    pub fn verify(
        &self,
        manifest: &Manifest,
        election_hash: &Hash,
        key: &Element,
    ) -> Result<Hash, BallotError> {
        let hash = self.hash(election_hash);
        self.verify_signature(&hash)?;
        let mut batch = BatchVerifier::new();
        let key_base = batch.shared_base(*key.point());
        self.queue_proofs(manifest, election_hash, key, key_base, &mut batch)?;
        if batch.verify() {
            Ok(hash)
        } else {
            // Locate the failing proof for a precise error.
            self.verify_proofs(manifest, election_hash, key)?;
            Err(BallotError::BadProofs)
        }
    }
}

/// A ballot the voter challenged (Benaloh, "Simple verifiable elections", EVT 2006): its seed
/// and choices are revealed so anyone can re-create it; it is never counted.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChallengedBallot {
    /// The ballot as it was shown to the voter (signed).
    pub ballot: Ballot,
    /// The revealed seed ξ.
    pub seed: BallotSeed,
    /// The revealed choices, per question a 0/1 per option.
    pub choices: Vec<Vec<u64>>,
}

impl ChallengedBallot {
    /// Re-creates the contests from the seed and choices and compares them with the ballot.
    pub fn check_opening(
        &self,
        manifest: &Manifest,
        election_hash: &Hash,
        key: &FixedBase,
    ) -> Result<(), BallotError> {
        if self.choices.len() != manifest.questions.len()
            || self.ballot.contests.len() != manifest.questions.len()
        {
            return Err(BallotError::ChallengeMismatch);
        }
        for (q, (question, choice)) in manifest.questions.iter().zip(&self.choices).enumerate() {
            let binding = ContestBinding {
                election_hash,
                credential: &self.ballot.credential,
                ballot_id: &self.ballot.ballot_id,
                question: q as u32,
            };
            let again =
                EncryptedContest::encrypt(key, &binding, &question.limits(), choice, &self.seed)
                    .map_err(|_| BallotError::ChallengeMismatch)?;
            if again != self.ballot.contests[q] {
                return Err(BallotError::ChallengeMismatch);
            }
        }
        Ok(())
    }

    /// The option names the ballot encrypted, per question.
    pub fn chosen_options(&self, manifest: &Manifest) -> Vec<Vec<String>> {
        manifest
            .questions
            .iter()
            .zip(&self.choices)
            .map(|(q, c)| {
                q.options
                    .iter()
                    .zip(c)
                    .filter(|(_, &v)| v == 1)
                    .map(|(name, _)| name.clone())
                    .collect()
            })
            .collect()
    }
}
