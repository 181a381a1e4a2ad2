//! The election manifest: what is being decided, by whom, under which rules.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use psephos_crypto::contest::ContestLimits;
use psephos_crypto::transcript::PROTOCOL_VERSION;

/// Whether a second ballot from the same credential replaces the first.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RevotePolicy {
    /// The credential's last ballot counts (Belenios' default; resists coercion a little).
    #[default]
    LastCounts,
    /// A second ballot is rejected.
    Reject,
}

/// One question.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Question {
    /// The question as shown to voters.
    pub title: String,
    /// The options, in ballot order.
    pub options: Vec<String>,
    /// Fewest options a voter must select.
    pub min_selections: u64,
    /// Most options a voter may select.
    pub max_selections: u64,
}

impl Question {
    /// The limits the contest proofs enforce.
    pub fn limits(&self) -> ContestLimits {
        ContestLimits {
            options: self.options.len() as u32,
            min_selections: self.min_selections,
            max_selections: self.max_selections,
        }
    }
}

/// The manifest, entry 0 of the board log. Its exact logged bytes define H_B.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Protocol version (1).
    pub version: u64,
    /// A short identifier, unique per board.
    pub election_id: String,
    /// Title shown to voters.
    pub title: String,
    /// The questions.
    pub questions: Vec<Question>,
    /// Revote policy.
    pub revote_policy: RevotePolicy,
    /// Announced opening time (RFC 3339), informative: the `open` entry is authoritative.
    pub opens_at: Option<String>,
    /// Announced closing time (RFC 3339); the board refuses ballots after it.
    pub closes_at: Option<String>,
    /// Number of trustees n.
    pub trustees: u32,
    /// Threshold t: any t trustees can decrypt the tally.
    pub threshold: u32,
    /// The board's Ed25519 key that signs checkpoints and receipts, hex.
    #[serde(with = "crate::hash::hex32")]
    pub board_key: [u8; 32],
    /// Largest tally the decryption searches for (defaults to 10⁷ per option).
    pub max_tally: u64,
}

/// Why a manifest is not acceptable.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum ManifestError {
    /// Unknown protocol version.
    #[error("unsupported protocol version {0} (this software speaks version 1)")]
    Version(u64),
    /// No questions.
    #[error("the manifest has no questions")]
    NoQuestions,
    /// A question with fewer than one option, or bad limits.
    #[error("question {index} ({title:?}): {why}")]
    BadQuestion {
        /// Question index.
        index: usize,
        /// Its title.
        title: String,
        /// What is wrong.
        why: &'static str,
    },
    /// Threshold out of range.
    #[error("threshold {t} of {n} trustees is invalid (need 1 <= t <= n <= 255)")]
    Threshold {
        /// t.
        t: u32,
        /// n.
        n: u32,
    },
    /// The board key is not a valid Ed25519 key.
    #[error("board key is not a valid Ed25519 public key")]
    BoardKey,
}

impl Manifest {
    /// Checks the manifest's internal consistency.
    pub fn validate(&self) -> Result<(), ManifestError> {
        if self.version != PROTOCOL_VERSION {
            return Err(ManifestError::Version(self.version));
        }
        if self.questions.is_empty() {
            return Err(ManifestError::NoQuestions);
        }
        for (index, q) in self.questions.iter().enumerate() {
            let bad = |why| ManifestError::BadQuestion {
                index,
                title: q.title.clone(),
                why,
            };
            if q.options.is_empty() || q.options.len() > 64 {
                return Err(bad("needs between 1 and 64 options"));
            }
            if q.min_selections > q.max_selections || q.max_selections > q.options.len() as u64 {
                return Err(bad(
                    "needs min_selections <= max_selections <= number of options",
                ));
            }
            let mut names: Vec<&String> = q.options.iter().collect();
            names.sort();
            names.dedup();
            if names.len() != q.options.len() {
                return Err(bad("option names must be distinct"));
            }
        }
        psephos_crypto::dkg::check_threshold(self.threshold, self.trustees).map_err(|_| {
            ManifestError::Threshold {
                t: self.threshold,
                n: self.trustees,
            }
        })?;
        // The same key rule as every signature check (§7.4): canonical, not of small order.
        crate::signature::PublicKey::from_bytes(&self.board_key)
            .map_err(|_| ManifestError::BoardKey)?;
        Ok(())
    }
}
