//! Deterministic derivation of every secret of one ballot's encryption from one random seed.
//!
//! Like ElectionGuard 2.1 §3.3.3 (nonces derived from a ballot nonce), all encryption randomness
//! and proof nonces of a ballot come from a 32-byte seed ξ. Revealing ξ opens the whole ballot (the
//! Benaloh challenge; EG 2.1 §3.6.7 treats challenged ballots): anyone recomputes every ciphertext
//! and proof byte for byte (docs/spec.md §3.1, §5.5). A cast ballot's seed is never revealed and is
//! zeroized.
//!
//! `derive(label, i₁…iₖ) = BLAKE3-keyed(ξ, LE64(len label) ‖ label ‖ LE64(i₁) ‖ … ‖ LE64(iₖ))`,
//! read as a 64-byte XOF output and reduced mod ℓ.

use core::fmt;

use curve25519_dalek::scalar::Scalar;
use rand_core::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::error::DecodeError;
use crate::group::hex32;

/// The secret seed ξ of one ballot's encryption.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct BallotSeed([u8; 32]);

impl BallotSeed {
    /// A fresh random seed.
    pub fn random<R: RngCore + CryptoRng>(rng: &mut R) -> Self {
        let mut bytes = [0u8; 32];
        rng.fill_bytes(&mut bytes);
        BallotSeed(bytes)
    }

    /// A seed from known bytes (test vectors, and a revealed seed of a challenged ballot).
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        BallotSeed(bytes)
    }

    /// Parses 64 hex characters.
    pub fn from_hex(text: &str) -> Result<Self, DecodeError> {
        Ok(BallotSeed(hex32(text)?))
    }

    /// The seed as hex, for revealing a challenged ballot.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Derives the scalar named by `label` and `indices`.
    pub fn derive(&self, label: &[u8], indices: &[u64]) -> Scalar {
        let mut h = blake3::Hasher::new_keyed(&self.0);
        h.update(&(label.len() as u64).to_le_bytes());
        h.update(label);
        for i in indices {
            h.update(&i.to_le_bytes());
        }
        let mut wide = [0u8; 64];
        h.finalize_xof().fill(&mut wide);
        let s = Scalar::from_bytes_mod_order_wide(&wide);
        wide.zeroize();
        s
    }
}

impl fmt::Debug for BallotSeed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BallotSeed(<secret>)")
    }
}

impl Serialize for BallotSeed {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for BallotSeed {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        BallotSeed::from_hex(&text).map_err(serde::de::Error::custom)
    }
}

/// Labels of the derived values (docs/spec.md §5.3).
pub mod labels {
    /// Encryption randomness r of option o of question q: indices (q, o).
    pub const ENCRYPTION: &[u8] = b"psephos/encryption-nonce";
    /// Real-branch nonce u of a selection proof: (q, o).
    pub const SELECTION_U: &[u8] = b"psephos/selection-u";
    /// Simulated challenge of branch j of a selection proof: (q, o, j).
    pub const SELECTION_C: &[u8] = b"psephos/selection-c";
    /// Simulated response of branch j of a selection proof: (q, o, j).
    pub const SELECTION_Z: &[u8] = b"psephos/selection-z";
    /// Real-branch nonce of the sum proof of question q: (q).
    pub const SUM_U: &[u8] = b"psephos/sum-u";
    /// Simulated challenge of branch j of the sum proof: (q, j).
    pub const SUM_C: &[u8] = b"psephos/sum-c";
    /// Simulated response of branch j of the sum proof: (q, j).
    pub const SUM_Z: &[u8] = b"psephos/sum-z";
}
