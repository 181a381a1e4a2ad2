//! Ballots (docs/spec.md §7.4).
//!
//! A voter's device first **encrypts**: per question an encrypted contest whose proofs are bound
//! to H_E, the ballot id and a hiding **credential commitment**
//! C = BLAKE3-derive("psephos v1 credential commitment", credential ‖ ρ), ρ a fresh secret
//! 32-byte blinding; the ballot hash (and the tracking code) covers C. Nothing is signed yet.
//! Then the voter chooses:
//!
//! - **Cast** ([`Ballot`]): ρ is revealed (anyone recomputes C from the credential) and the
//!   member's credential signs the cast message `"psephos v1 cast" ‖ ballot hash`. This is the
//!   only thing a credential ever signs. Because the proofs are bound to C, and C to the
//!   credential, a ballot copied under another credential fails its proofs (the Helios
//!   ballot-copying attack, as Belenios binds proofs to the credential).
//! - **Challenge** ([`ChallengedBallot`], Benaloh, "Simple verifiable elections", EVT 2006): the
//!   one-time **ballot key** (an Ed25519 key derived from the ballot seed ξ) signs the spoil
//!   message `"psephos v1 spoil" ‖ ballot hash`, and ξ and the choices are revealed; ρ is
//!   erased, never revealed. No credential signs and C hides which credential it commits to, so
//!   a spoiled ballot (usually the voter's real choice, published in the clear) is not linked
//!   to the member, and a challenge carries nothing that makes it castable: a cast needs ρ and
//!   the credential's cast signature.
//!
//! A cast ballot that repeats the randomness revealed by a challenge is refused
//! ([`SpoiledCiphertexts`]), by the board and by the verifier alike.

use std::collections::HashSet;

use ed25519_dalek::{Signer, SigningKey};
use psephos_crypto::batch::{BaseId, BatchVerifier};
use psephos_crypto::contest::{ContestBinding, ContestError, EncryptedContest, BALLOT_ID_LEN};
use psephos_crypto::group::{Element, FixedBase};
use psephos_crypto::nonce::BallotSeed;
use psephos_crypto::proofs::RangeProof;
use serde::{Deserialize, Serialize};
use thiserror::Error;
use zeroize::Zeroizing;

use crate::credential::{base32, verify_signature, Credential};
use crate::hash::{contexts, Hash};
use crate::manifest::Manifest;

/// Domain prefix of the message a credential signs to cast a ballot (15 bytes).
pub const CAST_DOMAIN: &[u8; 15] = b"psephos v1 cast";
/// Domain prefix of the message a ballot key signs to challenge (spoil) a ballot (16 bytes).
pub const SPOIL_DOMAIN: &[u8; 16] = b"psephos v1 spoil";
/// Label of the ballot key's derivation from the ballot seed (docs/spec.md §5.3, §7.4).
pub const BALLOT_KEY_LABEL: &[u8] = b"psephos/ballot-key";
/// Label of the blinding of a ballot cast at once, derived from its seed ([`Ballot::create`]).
pub const CAST_BLINDING_LABEL: &[u8] = b"psephos/cast-blinding";

/// The message a credential signs to cast the ballot whose hash is `ballot_hash`:
/// `"psephos v1 cast" ‖ ballot hash` (47 bytes, so Ed25519 hashes it in one SHA-512 block).
pub fn cast_message(ballot_hash: &Hash) -> [u8; 47] {
    let mut m = [0u8; 47];
    m[..15].copy_from_slice(CAST_DOMAIN);
    m[15..].copy_from_slice(ballot_hash);
    m
}

/// The message a ballot key signs to challenge the ballot whose hash is `ballot_hash`:
/// `"psephos v1 spoil" ‖ ballot hash` (48 bytes).
pub fn spoil_message(ballot_hash: &Hash) -> [u8; 48] {
    let mut m = [0u8; 48];
    m[..16].copy_from_slice(SPOIL_DOMAIN);
    m[16..].copy_from_slice(ballot_hash);
    m
}

/// The credential commitment C = BLAKE3-derive("psephos v1 credential commitment",
/// credential ‖ blinding): what a ballot's proofs and hash are bound to.
pub fn credential_commitment(credential: &[u8; 32], blinding: &[u8; 32]) -> Hash {
    let mut h = blake3::Hasher::new_derive_key(contexts::CREDENTIAL_COMMITMENT);
    h.update(credential);
    h.update(blinding);
    *h.finalize().as_bytes()
}

/// The one-time ballot key of the ballot seed ξ: the Ed25519 key whose 32-byte secret seed is
/// the little-endian encoding of `derive(ξ, "psephos/ballot-key")` (docs/spec.md §3.1). Secret
/// until the ballot is challenged; a cast ballot's seed, and with it this key, is erased.
pub fn ballot_signing_key(seed: &BallotSeed) -> SigningKey {
    let secret = Zeroizing::new(seed.derive(BALLOT_KEY_LABEL, &[]).to_bytes());
    SigningKey::from_bytes(&secret)
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
    /// The credential's cast signature does not verify.
    #[error("the credential's cast signature does not verify")]
    BadSignature,
    /// A pending ballot was cast with another credential than the one it was encrypted for.
    #[error("this ballot was encrypted for another voting code")]
    CredentialMismatch,
    /// The ballot key's spoil signature of a challenge does not verify.
    #[error("the ballot key's spoil signature does not verify")]
    BadSpoilSignature,
    /// The batched equations failed.
    #[error("the ballot's proofs do not verify")]
    BadProofs,
    /// A challenged ballot's revealed seed and choices do not re-create it.
    #[error("the revealed seed and choices do not re-create the ballot")]
    ChallengeMismatch,
    /// A cast ballot reuses the randomness of a challenged (spoiled) ballot, whose plaintext is
    /// therefore public.
    #[error(
        "question {question} option {option}: this ciphertext's randomness was revealed by a \
         challenged ballot; a spoiled ballot can never be cast"
    )]
    SpoiledBallotCast {
        /// Question index.
        question: u32,
        /// Option index.
        option: u32,
    },
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

/// What encryption fixed, from any of the three ballot forms ([`EncryptedBallot`],
/// [`Ballot`], [`ChallengedBallot`]): the one code path for hashing and proof checking.
#[derive(Clone, Copy, Debug)]
pub struct BallotContent<'a> {
    /// The ballot id.
    pub ballot_id: &'a [u8; BALLOT_ID_LEN],
    /// The credential commitment C the proofs are bound to.
    pub commitment: Hash,
    /// The contests.
    pub contests: &'a [EncryptedContest],
}

impl BallotContent<'_> {
    fn binding<'b>(&'b self, election_hash: &'b Hash, question: usize) -> ContestBinding<'b> {
        ContestBinding {
            election_hash,
            credential: &self.commitment,
            ballot_id: self.ballot_id,
            question: question as u32,
        }
    }

    /// The ballot hash: BLAKE3-derive("psephos v1 ballot", H_E ‖ ballot_id ‖ C ‖
    /// LE32(#contests) ‖ each contest), a contest being LE32(#options) ‖ per option
    /// (A ‖ B ‖ its range proof) ‖ the sum proof, and a range proof LE32(#branches) ‖ per branch
    /// (a ‖ b ‖ c ‖ z). The tracking code is made from it; cast and spoil messages sign it.
    pub fn hash(&self, election_hash: &Hash) -> Hash {
        let mut h = blake3::Hasher::new_derive_key(contexts::BALLOT);
        h.update(election_hash);
        h.update(self.ballot_id);
        h.update(&self.commitment);
        h.update(&(self.contests.len() as u32).to_le_bytes());
        for contest in self.contests {
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

    fn check_shape(&self, manifest: &Manifest) -> Result<(), BallotError> {
        if self.contests.len() != manifest.questions.len() {
            return Err(BallotError::WrongContestCount {
                expected: manifest.questions.len(),
                found: self.contests.len(),
            });
        }
        Ok(())
    }

    /// Queues every proof into `batch` (Fiat–Shamir challenges are checked now).
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
            contest
                .queue(
                    key,
                    key_base,
                    &self.binding(election_hash, q),
                    &question.limits(),
                    batch,
                )
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
            contest
                .verify(key, &self.binding(election_hash, q), &question.limits())
                .map_err(|error| BallotError::Contest {
                    question: q as u32,
                    error,
                })?;
        }
        Ok(())
    }

    /// The A component (r·G) of every selection ciphertext, with its question and option.
    fn randomness_commitments(&self) -> impl Iterator<Item = (u32, u32, &[u8; 32])> + '_ {
        self.contests.iter().enumerate().flat_map(|(q, c)| {
            c.selections
                .iter()
                .enumerate()
                .map(move |(o, s)| (q as u32, o as u32, s.ciphertext.a.as_bytes()))
        })
    }
}

/// An encrypted ballot before the voter chose Cast or Challenge: signed by nobody yet. This
/// is what the voter's device shows (with its tracking code); its secrets are in
/// [`PendingBallot`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EncryptedBallot {
    /// Random id chosen by the voter's device; a retry re-sends the same id.
    #[serde(with = "crate::hash::hex16")]
    pub ballot_id: [u8; BALLOT_ID_LEN],
    /// The credential commitment C.
    #[serde(with = "crate::hash::hex32")]
    pub commitment: Hash,
    /// One contest per question of the manifest, in order.
    pub contests: Vec<EncryptedContest>,
}

impl EncryptedBallot {
    /// Encrypts and proves `choices` (per question, a 0/1 per option) with the seed ξ, bound to
    /// the commitment C: every ciphertext and proof comes from ξ and C, so revealing ξ
    /// re-creates them.
    pub fn encrypt(
        manifest: &Manifest,
        election_hash: &Hash,
        key: &FixedBase,
        ballot_id: [u8; BALLOT_ID_LEN],
        commitment: Hash,
        choices: &[Vec<u64>],
        seed: &BallotSeed,
    ) -> Result<EncryptedBallot, BallotError> {
        if choices.len() != manifest.questions.len() {
            return Err(BallotError::WrongContestCount {
                expected: manifest.questions.len(),
                found: choices.len(),
            });
        }
        let contests = manifest
            .questions
            .iter()
            .zip(choices)
            .enumerate()
            .map(|(q, (question, choice))| {
                let binding = ContestBinding {
                    election_hash,
                    credential: &commitment,
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
        Ok(EncryptedBallot {
            ballot_id,
            commitment,
            contests,
        })
    }

    /// The content.
    pub fn content(&self) -> BallotContent<'_> {
        BallotContent {
            ballot_id: &self.ballot_id,
            commitment: self.commitment,
            contests: &self.contests,
        }
    }

    /// The ballot hash (see [`BallotContent::hash`]).
    pub fn hash(&self, election_hash: &Hash) -> Hash {
        self.content().hash(election_hash)
    }

    /// The tracking code, the same whether the ballot is then cast or challenged.
    pub fn tracking_code(&self, election_hash: &Hash) -> String {
        tracking_code_of(&self.hash(election_hash))
    }
}

/// A ballot between encryption and the voter's choice, with its secrets: the seed ξ and the
/// blinding ρ of its commitment. Consumed by exactly one of [`PendingBallot::cast`] and
/// [`PendingBallot::challenge`]; the secrets are zeroized on drop.
pub struct PendingBallot {
    encrypted: EncryptedBallot,
    seed: BallotSeed,
    blinding: Zeroizing<[u8; 32]>,
    credential: [u8; 32],
    choices: Vec<Vec<u64>>,
}

impl PendingBallot {
    /// Encrypts `choices` for the member whose public credential is `credential` (nothing is
    /// signed). `blinding` (ρ) and `seed` (ξ) must be fresh, independent random values: a
    /// challenge reveals ξ, and ρ must stay secret then, or C would show whose ballot was
    /// spoiled.
    #[allow(clippy::too_many_arguments)]
    pub fn encrypt(
        manifest: &Manifest,
        election_hash: &Hash,
        key: &FixedBase,
        credential: [u8; 32],
        ballot_id: [u8; BALLOT_ID_LEN],
        choices: Vec<Vec<u64>>,
        seed: BallotSeed,
        blinding: [u8; 32],
    ) -> Result<PendingBallot, BallotError> {
        let blinding = Zeroizing::new(blinding);
        let commitment = credential_commitment(&credential, &blinding);
        let encrypted = EncryptedBallot::encrypt(
            manifest,
            election_hash,
            key,
            ballot_id,
            commitment,
            &choices,
            &seed,
        )?;
        Ok(PendingBallot {
            encrypted,
            seed,
            blinding,
            credential,
            choices,
        })
    }

    /// The encrypted ballot, as shown to the voter.
    pub fn encrypted(&self) -> &EncryptedBallot {
        &self.encrypted
    }

    /// The voter pressed Cast: the seed is erased and `credential` (the one the ballot was
    /// encrypted for) signs the cast message, the only signature a credential ever makes; ρ is
    /// revealed in the ballot.
    pub fn cast(
        self,
        election_hash: &Hash,
        credential: &Credential,
    ) -> Result<Ballot, BallotError> {
        if credential.public() != self.credential {
            return Err(BallotError::CredentialMismatch);
        }
        let PendingBallot {
            encrypted,
            blinding,
            ..
        } = self;
        Ok(cast_encrypted(
            encrypted,
            election_hash,
            credential,
            *blinding,
        ))
    }

    /// The voter pressed Challenge: the ballot key (derived from ξ) signs the spoil message, ξ
    /// and the choices are revealed, and ρ and the credential are erased.
    pub fn challenge(self, election_hash: &Hash) -> ChallengedBallot {
        let PendingBallot {
            encrypted,
            seed,
            choices,
            ..
        } = self;
        let signing = ballot_signing_key(&seed);
        let signature = signing
            .sign(&spoil_message(&encrypted.hash(election_hash)))
            .to_bytes();
        ChallengedBallot {
            ballot_id: encrypted.ballot_id,
            commitment: encrypted.commitment,
            contests: encrypted.contests,
            ballot_key: signing.verifying_key().to_bytes(),
            signature,
            seed,
            choices,
        }
    }
}

fn cast_encrypted(
    encrypted: EncryptedBallot,
    election_hash: &Hash,
    credential: &Credential,
    blinding: [u8; 32],
) -> Ballot {
    let signature = credential.sign(&cast_message(&encrypted.hash(election_hash)));
    Ballot {
        ballot_id: encrypted.ballot_id,
        credential: credential.public(),
        blinding,
        contests: encrypted.contests,
        signature,
    }
}

/// A cast ballot: the contests, the member's credential, the blinding ρ that opens the
/// commitment C the proofs are bound to, and the credential's cast signature.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ballot {
    /// Random id chosen by the voter's device; a retry re-sends the same id.
    #[serde(with = "crate::hash::hex16")]
    pub ballot_id: [u8; BALLOT_ID_LEN],
    /// The voter's public credential (on the roll).
    #[serde(with = "crate::hash::hex32")]
    pub credential: [u8; 32],
    /// ρ: C = [`credential_commitment`]`(credential, blinding)`.
    #[serde(with = "crate::hash::hex32")]
    pub blinding: [u8; 32],
    /// One contest per question of the manifest, in order.
    pub contests: Vec<EncryptedContest>,
    /// Ed25519 signature by the credential over [`cast_message`] of the ballot hash.
    #[serde(with = "crate::hash::hex64")]
    pub signature: [u8; 64],
}

impl Ballot {
    /// Encrypts `choices` with the seed and casts at once (a voter who does not challenge).
    /// Such a ballot never reveals ξ, so its blinding is derived from ξ
    /// (`derive(ξ, "psephos/cast-blinding")`, little-endian); a ballot that may be challenged
    /// is made with [`PendingBallot`] and an independent blinding instead.
    pub fn create(
        manifest: &Manifest,
        election_hash: &Hash,
        key: &FixedBase,
        credential: &Credential,
        ballot_id: [u8; BALLOT_ID_LEN],
        choices: &[Vec<u64>],
        seed: &BallotSeed,
    ) -> Result<Ballot, BallotError> {
        let blinding = Zeroizing::new(seed.derive(CAST_BLINDING_LABEL, &[]).to_bytes());
        let commitment = credential_commitment(&credential.public(), &blinding);
        let encrypted = EncryptedBallot::encrypt(
            manifest,
            election_hash,
            key,
            ballot_id,
            commitment,
            choices,
            seed,
        )?;
        Ok(cast_encrypted(
            encrypted,
            election_hash,
            credential,
            *blinding,
        ))
    }

    /// The content, with C recomputed from the credential and ρ.
    pub fn content(&self) -> BallotContent<'_> {
        BallotContent {
            ballot_id: &self.ballot_id,
            commitment: credential_commitment(&self.credential, &self.blinding),
            contests: &self.contests,
        }
    }

    /// The ballot hash (see [`BallotContent::hash`]).
    pub fn hash(&self, election_hash: &Hash) -> Hash {
        self.content().hash(election_hash)
    }

    /// The voter's tracking code.
    pub fn tracking_code(&self, election_hash: &Hash) -> String {
        tracking_code_of(&self.hash(election_hash))
    }

    /// The bytes the credential signs: [`cast_message`] of `hash` (= `self.hash(H_E)`).
    pub fn signed_message(hash: &Hash) -> [u8; 47] {
        cast_message(hash)
    }

    /// Checks the credential's cast signature; `hash` is `self.hash(H_E)`.
    pub fn verify_signature(&self, hash: &Hash) -> Result<(), BallotError> {
        if verify_signature(&self.credential, &cast_message(hash), &self.signature) {
            Ok(())
        } else {
            Err(BallotError::BadSignature)
        }
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
        self.content()
            .queue_proofs(manifest, election_hash, key, key_base, batch)
    }

    /// Verifies every proof separately, naming the first that fails.
    pub fn verify_proofs(
        &self,
        manifest: &Manifest,
        election_hash: &Hash,
        key: &Element,
    ) -> Result<(), BallotError> {
        self.content().verify_proofs(manifest, election_hash, key)
    }

    /// Everything a board checks about a cast ballot's content: cast signature and proofs
    /// (the roll, phase, revote policy and [`SpoiledCiphertexts`] are the caller's).
    pub fn verify(
        &self,
        manifest: &Manifest,
        election_hash: &Hash,
        key: &Element,
    ) -> Result<Hash, BallotError> {
        let content = self.content();
        let hash = content.hash(election_hash);
        self.verify_signature(&hash)?;
        let mut batch = BatchVerifier::new();
        let key_base = batch.shared_base(*key.point());
        content.queue_proofs(manifest, election_hash, key, key_base, &mut batch)?;
        if batch.verify() {
            Ok(hash)
        } else {
            // Locate the failing proof for a precise error.
            content.verify_proofs(manifest, election_hash, key)?;
            Err(BallotError::BadProofs)
        }
    }
}

/// A challenged (spoiled) ballot: the encrypted ballot, the one-time ballot key and its spoil
/// signature, and the revealed seed and choices, so anyone can re-create it. It is never
/// counted, carries no credential, and its commitment C does not reveal whose it is.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChallengedBallot {
    /// The ballot id.
    #[serde(with = "crate::hash::hex16")]
    pub ballot_id: [u8; BALLOT_ID_LEN],
    /// The credential commitment C (its blinding is never revealed).
    #[serde(with = "crate::hash::hex32")]
    pub commitment: Hash,
    /// The contests as they were shown to the voter.
    pub contests: Vec<EncryptedContest>,
    /// The one-time ballot key; it must be the one derived from `seed`.
    #[serde(with = "crate::hash::hex32")]
    pub ballot_key: [u8; 32],
    /// Ed25519 signature by the ballot key over [`spoil_message`] of the ballot hash.
    #[serde(with = "crate::hash::hex64")]
    pub signature: [u8; 64],
    /// The revealed seed ξ.
    pub seed: BallotSeed,
    /// The revealed choices: per question (manifest order) a list with, per option (manifest
    /// order), the integer 1 (chosen) or 0.
    pub choices: Vec<Vec<u64>>,
}

impl ChallengedBallot {
    /// The content.
    pub fn content(&self) -> BallotContent<'_> {
        BallotContent {
            ballot_id: &self.ballot_id,
            commitment: self.commitment,
            contests: &self.contests,
        }
    }

    /// The ballot hash (see [`BallotContent::hash`]).
    pub fn hash(&self, election_hash: &Hash) -> Hash {
        self.content().hash(election_hash)
    }

    /// The tracking code (the one the voter saw before choosing to challenge).
    pub fn tracking_code(&self, election_hash: &Hash) -> String {
        tracking_code_of(&self.hash(election_hash))
    }

    /// Checks the ballot key's spoil signature; `hash` is `self.hash(H_E)`.
    pub fn verify_signature(&self, hash: &Hash) -> Result<(), BallotError> {
        if verify_signature(&self.ballot_key, &spoil_message(hash), &self.signature) {
            Ok(())
        } else {
            Err(BallotError::BadSpoilSignature)
        }
    }

    /// Re-creates the ballot key and the contests from the seed, the choices and C, and
    /// compares them with the ballot, byte for byte.
    pub fn check_opening(
        &self,
        manifest: &Manifest,
        election_hash: &Hash,
        key: &FixedBase,
    ) -> Result<(), BallotError> {
        if self.choices.len() != manifest.questions.len()
            || self.contests.len() != manifest.questions.len()
        {
            return Err(BallotError::ChallengeMismatch);
        }
        if ballot_signing_key(&self.seed).verifying_key().to_bytes() != self.ballot_key {
            return Err(BallotError::ChallengeMismatch);
        }
        let again = EncryptedBallot::encrypt(
            manifest,
            election_hash,
            key,
            self.ballot_id,
            self.commitment,
            &self.choices,
            &self.seed,
        )
        .map_err(|_| BallotError::ChallengeMismatch)?;
        if again.contests != self.contests {
            return Err(BallotError::ChallengeMismatch);
        }
        Ok(())
    }

    /// Everything a board and a verifier check about a challenge: the spoil signature, then
    /// the opening. Returns the ballot hash. The proofs need no check of their own: the
    /// opening re-creates them byte for byte, and re-created proofs are valid.
    pub fn verify(
        &self,
        manifest: &Manifest,
        election_hash: &Hash,
        key: &FixedBase,
    ) -> Result<Hash, BallotError> {
        let hash = self.hash(election_hash);
        self.verify_signature(&hash)?;
        self.check_opening(manifest, election_hash, key)?;
        Ok(hash)
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

/// The randomness commitments (the A = r·G component of every selection ciphertext) of the
/// challenged ballots seen so far, in log order. A cast ballot that repeats one is refused
/// ([`BallotError::SpoiledBallotCast`]): its r is public, so its plaintext is too. This covers
/// a challenged ballot re-proved from its revealed seed under another commitment or ballot id
/// and cast, as well as one question of it mixed into a new ballot. The board and the verifier
/// both keep one.
#[derive(Clone, Debug, Default)]
pub struct SpoiledCiphertexts {
    revealed: HashSet<[u8; 32]>,
}

impl SpoiledCiphertexts {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a challenged ballot's randomness commitments.
    pub fn insert(&mut self, challenged: &ChallengedBallot) {
        self.revealed.extend(
            challenged
                .content()
                .randomness_commitments()
                .map(|(_, _, a)| *a),
        );
    }

    /// Whether no challenged ballot was seen (the check is then free).
    pub fn is_empty(&self) -> bool {
        self.revealed.is_empty()
    }

    /// Refuses a cast ballot that repeats a revealed randomness commitment.
    pub fn check(&self, ballot: &Ballot) -> Result<(), BallotError> {
        if self.revealed.is_empty() {
            return Ok(());
        }
        let content = ballot.content();
        let repeated = content
            .randomness_commitments()
            .find(|(_, _, a)| self.revealed.contains(*a));
        match repeated {
            Some((question, option, _)) => Err(BallotError::SpoiledBallotCast { question, option }),
            None => Ok(()),
        }
    }
}
