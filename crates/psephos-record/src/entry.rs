//! The board log: an append-only sequence of entries, each chained to the previous by hash.
//!
//! In `board.jsonl` each line is `{"seq":N,"prev":"<hex>","hash":"<hex>","entry":<entry>}`
//! where `hash = entry_hash(seq, prev, <entry text>)` over the entry's exact bytes, and an
//! entry is a JSON object with one key naming its kind (docs/spec.md §7.3).

use psephos_crypto::contest::BALLOT_ID_LEN;
use psephos_crypto::dkg::{
    CoefficientCommitments, Complaint, EncryptedShare, KeyShare, TrusteePublicKey,
};
use psephos_crypto::elgamal::Ciphertext;
use psephos_crypto::group::Element;
use psephos_crypto::threshold::DecryptionShare;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use thiserror::Error;

use crate::ballot::{Ballot, ChallengedBallot};
use crate::hash::{entry_hash, Hash};
use crate::manifest::Manifest;

/// Most credentials in one `roll` entry.
pub const ROLL_CHUNK: usize = 10_000;

/// One log entry.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
#[allow(clippy::large_enum_variant)]
pub enum Entry {
    /// Entry 0: the manifest.
    Manifest(Manifest),
    /// A trustee's transport key.
    TrusteeKey(TrusteePublicKey),
    /// A trustee's coefficient commitments.
    Commitments(CoefficientCommitments),
    /// A trustee's encrypted shares to all other trustees.
    Shares(SharesEntry),
    /// A complaint about a share.
    Complaint(Complaint),
    /// A trustee has verified every share it received.
    Acceptance(AcceptanceEntry),
    /// Part of the roll.
    Roll(RollEntry),
    /// The election opens: H_E and the keys.
    Open(OpenEntry),
    /// A cast ballot.
    Ballot(BallotEntry),
    /// A challenged (spoiled) ballot, opened.
    Challenged(ChallengedBallot),
    /// Voting ends.
    Close(CloseEntry),
    /// The encrypted tally.
    Tally(TallyEntry),
    /// A trustee's partial decryption of the tally.
    Decryption(DecryptionEntry),
    /// The result.
    Result(ResultEntry),
}

impl Entry {
    /// The kind's name, as in the JSON.
    pub fn kind(&self) -> &'static str {
        match self {
            Entry::Manifest(_) => "manifest",
            Entry::TrusteeKey(_) => "trustee_key",
            Entry::Commitments(_) => "commitments",
            Entry::Shares(_) => "shares",
            Entry::Complaint(_) => "complaint",
            Entry::Acceptance(_) => "acceptance",
            Entry::Roll(_) => "roll",
            Entry::Open(_) => "open",
            Entry::Ballot(_) => "ballot",
            Entry::Challenged(_) => "challenged",
            Entry::Close(_) => "close",
            Entry::Tally(_) => "tally",
            Entry::Decryption(_) => "decryption",
            Entry::Result(_) => "result",
        }
    }
}

/// Encrypted shares from one trustee.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SharesEntry {
    /// Sender.
    pub from: u32,
    /// One share per other trustee, ordered by recipient.
    pub shares: Vec<EncryptedShare>,
}

/// A trustee accepts the ceremony.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AcceptanceEntry {
    /// The trustee.
    pub trustee: u32,
    /// The verification key the trustee computed for itself, which must match the commitments.
    pub verification_key: Element,
}

/// Credentials added to the roll.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RollEntry {
    /// Ed25519 public credentials, hex.
    pub credentials: Vec<HexKey>,
}

/// A 32-byte key as hex.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct HexKey(#[serde(with = "crate::hash::hex32")] pub [u8; 32]);

/// The election opens.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpenEntry {
    /// H_E.
    #[serde(with = "crate::hash::hex32")]
    pub election_hash: Hash,
    /// The joint key K.
    pub joint_key: Element,
    /// K₁ … Kₙ.
    pub verification_keys: Vec<Element>,
    /// Number of credentials on the roll.
    pub roll_size: u64,
    /// Hash of the roll (see [`crate::hash::roll_hash`]).
    #[serde(with = "crate::hash::hex32")]
    pub roll_hash: Hash,
    /// BLAKE3 of the voter's web bundle served by this board, if any.
    pub web_bundle_hash: Option<HexKey>,
}

/// A cast ballot with its tracking code.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BallotEntry {
    /// The ballot.
    pub ballot: Ballot,
    /// Its tracking code.
    pub tracking_code: String,
}

/// The close.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CloseEntry {
    /// Ballot entries received.
    pub ballots_received: u64,
}

/// The encrypted tally: per question, per option, the sum of the counted ballots' ciphertexts.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TallyEntry {
    /// Number of ballots counted.
    pub counted: u64,
    /// Ciphertexts per question per option.
    pub questions: Vec<Vec<Ciphertext>>,
}

/// A trustee's partial decryptions of the tally.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecryptionEntry {
    /// The trustee.
    pub trustee: u32,
    /// Shares per question per option.
    pub questions: Vec<Vec<DecryptionShare>>,
}

impl DecryptionEntry {
    /// Trustee `key_share`'s partial decryption of every sum of `tally`, each with its proof
    /// bound to H_E, the trustee, the question and the option (docs/spec.md §6.2).
    pub fn compute<R: rand_core::RngCore + rand_core::CryptoRng>(
        key_share: &KeyShare,
        election_hash: &Hash,
        tally: &TallyEntry,
        rng: &mut R,
    ) -> Self {
        let questions = tally
            .questions
            .iter()
            .enumerate()
            .map(|(q, sums)| {
                sums.iter()
                    .enumerate()
                    .map(|(o, ct)| {
                        DecryptionShare::compute(
                            key_share,
                            election_hash,
                            q as u32,
                            o as u32,
                            ct,
                            rng,
                        )
                    })
                    .collect()
            })
            .collect();
        DecryptionEntry {
            trustee: key_share.index(),
            questions,
        }
    }
}

/// The result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResultEntry {
    /// Per question, the counts.
    pub questions: Vec<QuestionResult>,
    /// Turnout.
    pub turnout: Turnout,
    /// Trustees whose shares were combined.
    pub trustees: Vec<u32>,
}

/// One question's counts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuestionResult {
    /// The question.
    pub title: String,
    /// Per option.
    pub options: Vec<OptionResult>,
}

/// One option's count.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OptionResult {
    /// The option.
    pub name: String,
    /// Votes.
    pub votes: u64,
}

/// Turnout.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Turnout {
    /// Credentials on the roll.
    pub eligible: u64,
    /// Credentials with a counted ballot.
    pub voted: u64,
    /// 100·voted/eligible with two decimals, rounded half up, e.g. "64.17".
    pub percentage: String,
}

impl Turnout {
    /// Computes the turnout exactly (integer arithmetic).
    pub fn new(eligible: u64, voted: u64) -> Self {
        let basis_points = if eligible == 0 {
            0
        } else {
            (u128::from(voted) * 20_000 / u128::from(eligible)).div_ceil(2)
        };
        Turnout {
            eligible,
            voted,
            percentage: format!("{}.{:02}", basis_points / 100, basis_points % 100),
        }
    }
}

/// A line of `board.jsonl`, borrowed while parsing.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLine<'a> {
    /// Sequence number.
    pub seq: u64,
    /// Hash of the previous entry.
    #[serde(with = "crate::hash::hex32")]
    pub prev: Hash,
    /// This entry's chained hash.
    #[serde(with = "crate::hash::hex32")]
    pub hash: Hash,
    /// The entry's exact text.
    #[serde(borrow)]
    pub entry: &'a RawValue,
}

/// Why a log line is bad.
#[derive(Debug, Error)]
pub enum LineError {
    /// Not JSON of the expected shape.
    #[error("malformed log line: {0}")]
    Json(#[from] serde_json::Error),
    /// The hash does not match.
    #[error("entry hash does not match its content")]
    Hash,
}

impl RawLine<'_> {
    /// Checks `hash = entry_hash(seq, prev, entry)`.
    pub fn check_hash(&self) -> Result<(), LineError> {
        if entry_hash(self.seq, &self.prev, self.entry.get().as_bytes()) == self.hash {
            Ok(())
        } else {
            Err(LineError::Hash)
        }
    }

    /// Parses the entry.
    pub fn parse_entry(&self) -> Result<Entry, LineError> {
        Ok(serde_json::from_str(self.entry.get())?)
    }
}

/// Formats one line of `board.jsonl`.
pub fn format_line(seq: u64, prev: &Hash, hash: &Hash, body: &[u8]) -> String {
    format!(
        "{{\"seq\":{seq},\"prev\":\"{}\",\"hash\":\"{}\",\"entry\":{}}}",
        hex::encode(prev),
        hex::encode(hash),
        String::from_utf8_lossy(body)
    )
}

/// Serialises an entry to its canonical bytes (what is hashed and stored).
pub fn entry_bytes(entry: &Entry) -> Vec<u8> {
    // Serialising these types cannot fail: no maps with non-string keys, no foreign types.
    serde_json::to_vec(entry).unwrap_or_default()
}

/// Ballot ids as fixed arrays, for sets.
pub type BallotId = [u8; BALLOT_ID_LEN];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn turnout_rounds_exactly() {
        assert_eq!(Turnout::new(642, 412).percentage, "64.17");
        assert_eq!(Turnout::new(3, 2).percentage, "66.67");
        assert_eq!(Turnout::new(0, 0).percentage, "0.00");
        assert_eq!(Turnout::new(8, 8).percentage, "100.00");
    }

    #[test]
    fn line_round_trip() {
        let entry = Entry::Close(CloseEntry {
            ballots_received: 4,
        });
        let body = entry_bytes(&entry);
        let prev = [1u8; 32];
        let hash = entry_hash(7, &prev, &body);
        let line = format_line(7, &prev, &hash, &body);
        let raw: RawLine = serde_json::from_str(&line).unwrap();
        raw.check_hash().unwrap();
        assert!(matches!(
            raw.parse_entry().unwrap(),
            Entry::Close(CloseEntry {
                ballots_received: 4
            })
        ));
        let tampered = line.replace("\"ballots_received\":4", "\"ballots_received\":5");
        let raw: RawLine = serde_json::from_str(&tampered).unwrap();
        assert!(raw.check_hash().is_err());
        let unknown = line.replace("\"ballots_received\":4", "\"ballots_received\":4,\"x\":1");
        let raw: RawLine = serde_json::from_str(&unknown).unwrap();
        assert!(raw.parse_entry().is_err());
    }
}
