//! Error types. Each says what failed and why; none carries secret data.

use thiserror::Error;

/// A wire value could not be decoded into a checked group value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Error)]
pub enum DecodeError {
    /// The text is not lowercase hexadecimal of the expected length.
    #[error("expected {expected} hex characters encoding {bytes} bytes")]
    BadHex {
        /// Number of hex characters expected.
        expected: usize,
        /// Number of bytes encoded.
        bytes: usize,
    },
    /// 32 bytes that are not the canonical encoding of a Ristretto255 point.
    #[error("not a canonical Ristretto255 point encoding")]
    NonCanonicalPoint,
    /// The identity point, where the protocol forbids it.
    #[error("the identity point is not allowed here")]
    IdentityPoint,
    /// 32 bytes that are not a canonical scalar (little-endian, below the group order).
    #[error("not a canonical scalar encoding (must be < group order)")]
    NonCanonicalScalar,
}

/// A proof did not verify.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Error)]
pub enum ProofError {
    /// The challenges do not add up to the Fiat–Shamir challenge of the transcript.
    #[error("challenge does not match the transcript (wrong statement, context or commitment)")]
    ChallengeMismatch,
    /// A verification equation of the group does not hold.
    #[error("a verification equation does not hold")]
    EquationFailed,
    /// The proof has the wrong number of branches for the claimed range.
    #[error("proof has {found} branches, range needs {expected}")]
    WrongBranchCount {
        /// Branches expected.
        expected: usize,
        /// Branches found.
        found: usize,
    },
    /// A range with `min > max` or too large to prove.
    #[error("invalid range {min}..={max}")]
    InvalidRange {
        /// Lower bound.
        min: u64,
        /// Upper bound.
        max: u64,
    },
}

/// A failure of the key ceremony or of threshold decryption.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum CeremonyError {
    /// Threshold and trustee count do not satisfy `1 <= t <= n <= 255`.
    #[error("invalid threshold: need 1 <= t <= n <= 255, got t={t}, n={n}")]
    InvalidThreshold {
        /// Threshold.
        t: u32,
        /// Number of trustees.
        n: u32,
    },
    /// A trustee index outside `1..=n`, or used twice.
    #[error("trustee index {0} is out of range or repeated")]
    BadTrusteeIndex(u32),
    /// A trustee published the wrong number of coefficient commitments.
    #[error("trustee {trustee} published {found} commitments, expected {expected}")]
    WrongCommitmentCount {
        /// The trustee.
        trustee: u32,
        /// Expected count (the threshold).
        expected: usize,
        /// Count found.
        found: usize,
    },
    /// A Schnorr proof of a coefficient commitment is invalid.
    #[error("trustee {trustee}: proof of knowledge for coefficient {coefficient} is invalid")]
    BadCoefficientProof {
        /// The trustee.
        trustee: u32,
        /// The coefficient index.
        coefficient: u32,
    },
    /// A trustee's proof of knowledge of its transport key's secret is invalid.
    #[error("trustee {trustee}: proof of knowledge of its key is invalid")]
    BadTrusteeKeyProof {
        /// The trustee.
        trustee: u32,
    },
    /// An encrypted share's proof of knowledge of its ephemeral secret is missing or invalid:
    /// the sender's fault, found before anything is decrypted or revealed.
    #[error("share from trustee {from} to trustee {to} has an invalid proof of its ephemeral key: trustee {from} cheated")]
    BadEphemeralProof {
        /// Sender (the trustee at fault).
        from: u32,
        /// Recipient.
        to: u32,
    },
    /// An encrypted share could not be decrypted (wrong key or tampered ciphertext).
    #[error("share from trustee {from} to trustee {to} cannot be decrypted")]
    ShareDecryption {
        /// Sender.
        from: u32,
        /// Recipient.
        to: u32,
    },
    /// A decrypted share does not match the sender's commitments.
    #[error("share from trustee {from} to trustee {to} does not match the commitments")]
    ShareMismatch {
        /// Sender.
        from: u32,
        /// Recipient.
        to: u32,
    },
    /// A complaint's proof of the revealed Diffie–Hellman key is invalid.
    #[error("complaint by trustee {by} against {against} has an invalid key-reveal proof")]
    BadComplaintProof {
        /// The complaining trustee.
        by: u32,
        /// The accused trustee.
        against: u32,
    },
    /// Fewer decryption shares than the threshold.
    #[error("need {needed} decryption shares, have {have}")]
    NotEnoughShares {
        /// Threshold.
        needed: usize,
        /// Shares available.
        have: usize,
    },
    /// A partial decryption's proof is invalid.
    #[error("decryption share of trustee {0} has an invalid proof")]
    BadDecryptionProof(u32),
    /// The discrete log of a decrypted value is not within the searched bound.
    #[error("decrypted value is not in 0..={0}")]
    DiscreteLogOutOfRange(u64),
    /// A decoding error inside ceremony data.
    #[error(transparent)]
    Decode(#[from] DecodeError),
}
