//! The voter's client in plain Rust: everything the page does with the election's crypto, with
//! JSON text in and out. [`crate`] wraps it for JavaScript; native tests drive it directly.
//!
//! The seed and the blinding of a ballot, and the credential, stay here, never in JavaScript:
//! [`Client::challenge_body`] reveals the seed (the voter challenged; the one-time ballot key
//! signs, never the credential), [`Client::cast_body`] zeroizes it and only then has the
//! credential sign (the voter cast).

use std::fmt;

use psephos_crypto::contest::BALLOT_ID_LEN;
use psephos_crypto::group::{hex32, Element, FixedBase};
use psephos_crypto::nonce::BallotSeed;
use psephos_record::ballot::{Ballot, ChallengedBallot, PendingBallot};
use psephos_record::checkpoint::{Checkpoint, Receipt, ReceiptKind};
use psephos_record::credential::{self, Credential};
use psephos_record::hash::{base_hash, Hash};
use psephos_record::manifest::Manifest;
use serde_json::{json, Value};

/// Why the client refused. `code()` is stable (the page picks its message by it); the Display
/// text is for people.
#[derive(Debug)]
pub enum ClientError {
    /// The voting code is malformed (checked locally, before anything is sent).
    BadCode(credential::CodeError),
    /// JSON from the board or the page has the wrong shape.
    Malformed {
        /// Which document.
        what: &'static str,
        /// What is wrong.
        why: String,
    },
    /// The board's status disagrees with the manifest it serves.
    Inconsistent(&'static str),
    /// No election key yet: the election has not opened.
    NotOpen,
    /// The selection breaks a question's rules.
    Selection(String),
    /// The ballot could not be built.
    Ballot(psephos_record::BallotError),
    /// No encrypted ballot is waiting to be cast or challenged.
    NoPendingBallot,
    /// The browser gave no randomness.
    Randomness,
    /// A challenged ballot does not open to its revealed choices.
    OpeningMismatch,
    /// A receipt does not verify.
    BadReceipt(String),
    /// A checkpoint's signature does not verify.
    BadCheckpoint(String),
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientError::BadCode(e) => write!(f, "{e}"),
            ClientError::Malformed { what, why } => write!(f, "malformed {what}: {why}"),
            ClientError::Inconsistent(why) => write!(f, "the board is inconsistent: {why}"),
            ClientError::NotOpen => f.write_str("the election is not open yet"),
            ClientError::Selection(why) => f.write_str(why),
            ClientError::Ballot(e) => write!(f, "the ballot could not be encrypted: {e}"),
            ClientError::NoPendingBallot => {
                f.write_str("there is no encrypted ballot to cast or challenge")
            }
            ClientError::Randomness => {
                f.write_str("the browser could not provide secure randomness")
            }
            ClientError::OpeningMismatch => f.write_str(
                "the revealed seed and choices do NOT re-create the ballot: do not trust this device",
            ),
            ClientError::BadReceipt(why) => write!(f, "the receipt does not verify: {why}"),
            ClientError::BadCheckpoint(why) => write!(f, "the checkpoint does not verify: {why}"),
        }
    }
}

impl std::error::Error for ClientError {}

impl From<credential::CodeError> for ClientError {
    fn from(e: credential::CodeError) -> Self {
        ClientError::BadCode(e)
    }
}

impl From<psephos_record::BallotError> for ClientError {
    fn from(e: psephos_record::BallotError) -> Self {
        ClientError::Ballot(e)
    }
}

impl ClientError {
    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            ClientError::BadCode(_) => "bad_code",
            ClientError::Malformed { .. } => "malformed",
            ClientError::Inconsistent(_) => "inconsistent",
            ClientError::NotOpen => "election_not_open",
            ClientError::Selection(_) => "bad_selection",
            ClientError::Ballot(_) => "bad_ballot",
            ClientError::NoPendingBallot => "no_pending_ballot",
            ClientError::Randomness => "randomness",
            ClientError::OpeningMismatch => "challenge_mismatch",
            ClientError::BadReceipt(_) => "bad_receipt",
            ClientError::BadCheckpoint(_) => "bad_checkpoint",
        }
    }
}

fn malformed(what: &'static str) -> impl Fn(serde_json::Error) -> ClientError {
    move |e| ClientError::Malformed {
        what,
        why: e.to_string(),
    }
}

fn hex_field(status: &Value, name: &'static str) -> Result<Option<Hash>, ClientError> {
    match status.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => hex32(s).map(Some).map_err(|e| ClientError::Malformed {
            what: "election status",
            why: format!("{name}: {e}"),
        }),
        Some(_) => Err(ClientError::Malformed {
            what: "election status",
            why: format!("{name} is not a string"),
        }),
    }
}

fn random_bytes<const N: usize>() -> Result<[u8; N], ClientError> {
    let mut out = [0u8; N];
    getrandom::getrandom(&mut out).map_err(|_| ClientError::Randomness)?;
    Ok(out)
}

/// Normalises a typed voting code (upper case, no spaces or dashes) or says what is wrong.
pub fn normalize_code(code: &str) -> Result<String, ClientError> {
    Ok(credential::normalize_code(code)?.to_string())
}

/// Verifies a receipt on its own: the board's signatures and the inclusion proof.
pub fn verify_receipt(receipt_json: &str, board_key_hex: &str) -> Result<(), ClientError> {
    let receipt: Receipt = serde_json::from_str(receipt_json).map_err(malformed("receipt"))?;
    let key = hex32(board_key_hex).map_err(|e| ClientError::Malformed {
        what: "board key",
        why: e.to_string(),
    })?;
    receipt
        .verify(&key)
        .map_err(|e| ClientError::BadReceipt(e.to_string()))
}

/// Verifies a checkpoint's board signature under `board_key_hex` for the election with base
/// hash `base_hash_hex`.
pub fn verify_checkpoint(
    checkpoint_json: &str,
    board_key_hex: &str,
    base_hash_hex: &str,
) -> Result<(), ClientError> {
    let cp: Checkpoint = serde_json::from_str(checkpoint_json).map_err(malformed("checkpoint"))?;
    let bad_hex = |what| {
        move |e: psephos_crypto::error::DecodeError| ClientError::Malformed {
            what,
            why: e.to_string(),
        }
    };
    let key = hex32(board_key_hex).map_err(bad_hex("board key"))?;
    let base = hex32(base_hash_hex).map_err(bad_hex("base hash"))?;
    cp.verify(&key, &base)
        .map_err(|e| ClientError::BadCheckpoint(e.to_string()))
}

/// The encrypted ballot between encryption and the voter's choice, with its secrets and the
/// credential that will sign it if (and only when) the voter presses Cast.
struct Pending {
    ballot: PendingBallot,
    credential: Credential,
}

/// One open election, prepared for encrypting: the manifest, the hashes and the table of K.
pub struct Client {
    manifest: Manifest,
    base_hash: Hash,
    election_hash: Hash,
    key: FixedBase,
    pending: Option<Pending>,
}

impl Client {
    /// Checks the manifest against the status (H_B recomputed from the manifest's exact bytes,
    /// the same board key) and builds the fixed-base table of the joint key (done once: it
    /// costs about ten multiplications).
    pub fn prepare(manifest_json: &str, status_json: &str) -> Result<Client, ClientError> {
        let manifest: Manifest =
            serde_json::from_str(manifest_json).map_err(malformed("manifest"))?;
        manifest.validate().map_err(|e| ClientError::Malformed {
            what: "manifest",
            why: e.to_string(),
        })?;
        let status: Value =
            serde_json::from_str(status_json).map_err(malformed("election status"))?;
        let base = base_hash(manifest_json.as_bytes());
        if hex_field(&status, "base_hash")? != Some(base) {
            return Err(ClientError::Inconsistent(
                "the manifest's hash is not the election's base hash",
            ));
        }
        if hex_field(&status, "board_key")? != Some(manifest.board_key) {
            return Err(ClientError::Inconsistent(
                "the board key differs from the manifest's",
            ));
        }
        let (Some(election_hash), Some(joint_key)) = (
            hex_field(&status, "election_hash")?,
            hex_field(&status, "joint_key")?,
        ) else {
            return Err(ClientError::NotOpen);
        };
        let key = Element::decode(&joint_key).map_err(|e| ClientError::Malformed {
            what: "election status",
            why: format!("joint_key: {e}"),
        })?;
        Ok(Client {
            manifest,
            base_hash: base,
            election_hash,
            key: FixedBase::new(key),
            pending: None,
        })
    }

    /// The manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The board key of the manifest, hex.
    pub fn board_key_hex(&self) -> String {
        psephos_record::hash::to_hex(&self.manifest.board_key)
    }

    fn check_choices(&self, choices: &[Vec<u64>]) -> Result<(), ClientError> {
        if choices.len() != self.manifest.questions.len() {
            return Err(ClientError::Selection(format!(
                "the ballot has {} questions, the page sent {}",
                self.manifest.questions.len(),
                choices.len()
            )));
        }
        for (q, c) in self.manifest.questions.iter().zip(choices) {
            if c.len() != q.options.len() || c.iter().any(|&v| v > 1) {
                return Err(ClientError::Selection(format!(
                    "{}: one 0 or 1 per option expected",
                    q.title
                )));
            }
            let n: u64 = c.iter().sum();
            if n < q.min_selections || n > q.max_selections {
                let rule = match (q.min_selections, q.max_selections) {
                    (a, b) if a == b && a == 1 => "choose exactly one option".to_string(),
                    (a, b) if a == b => format!("choose exactly {a} options"),
                    (0, b) => format!("choose at most {b} options"),
                    (a, b) => format!("choose between {a} and {b} options"),
                };
                return Err(ClientError::Selection(format!(
                    "{}: {rule} (you chose {n})",
                    q.title
                )));
            }
        }
        Ok(())
    }

    /// Encrypts and proves `choices` (JSON: per question a 0/1 per option) for the credential
    /// of `code`, under a fresh seed, blinding and ballot id. Nothing is signed yet. Returns
    /// `{"ballot": EncryptedBallot, "tracking_code", "ballot_id"}`; the secrets stay here
    /// until [`Client::cast_body`] or [`Client::challenge_body`].
    pub fn encrypt_ballot(
        &mut self,
        code: &str,
        choices_json: &str,
    ) -> Result<String, ClientError> {
        // A new encryption abandons the previous one (cast or challenged, or neither).
        self.pending = None;
        let choices: Vec<Vec<u64>> =
            serde_json::from_str(choices_json).map_err(malformed("choices"))?;
        self.check_choices(&choices)?;
        let credential = Credential::from_code(&self.base_hash, code)?;
        let ballot = PendingBallot::encrypt(
            &self.manifest,
            &self.election_hash,
            &self.key,
            credential.public(),
            random_bytes::<BALLOT_ID_LEN>()?,
            choices,
            BallotSeed::from_bytes(random_bytes::<32>()?),
            random_bytes::<32>()?,
        )?;
        let encrypted = ballot.encrypted();
        let out = json!({
            "ballot": encrypted,
            "tracking_code": encrypted.tracking_code(&self.election_hash),
            "ballot_id": hex32_16(&encrypted.ballot_id),
        });
        self.pending = Some(Pending { ballot, credential });
        Ok(out.to_string())
    }

    /// The voter pressed Cast: the pending ballot's seed is zeroized (it can never be
    /// challenged any more), then the credential signs the cast message. Returns the `Ballot`
    /// JSON to post to /api/ballots (and to re-post, unchanged, on a retry).
    pub fn cast_body(&mut self) -> Result<String, ClientError> {
        let Pending { ballot, credential } =
            self.pending.take().ok_or(ClientError::NoPendingBallot)?;
        let ballot = ballot.cast(&self.election_hash, &credential)?;
        serde_json::to_string(&ballot).map_err(malformed("ballot"))
    }

    /// The voter pressed Challenge: returns the `ChallengedBallot` JSON to post to
    /// /api/challenges, signed by the ballot's one-time key (no credential), with the seed and
    /// choices revealed. The ballot can no longer be cast.
    pub fn challenge_body(&mut self) -> Result<String, ClientError> {
        let Pending { ballot, .. } = self.pending.take().ok_or(ClientError::NoPendingBallot)?;
        let challenged = ballot.challenge(&self.election_hash);
        serde_json::to_string(&challenged).map_err(malformed("challenged ballot"))
    }

    /// Re-creates a challenged ballot from its revealed seed and choices, compares it with
    /// the ballot byte for byte, and returns `{"tracking_code", "choices": [[option name]]}`.
    pub fn check_opening(&self, challenged_json: &str) -> Result<String, ClientError> {
        let c: ChallengedBallot =
            serde_json::from_str(challenged_json).map_err(malformed("challenged ballot"))?;
        c.check_opening(&self.manifest, &self.election_hash, &self.key)
            .map_err(|_| ClientError::OpeningMismatch)?;
        Ok(json!({
            "tracking_code": c.tracking_code(&self.election_hash),
            "choices": c.chosen_options(&self.manifest),
        })
        .to_string())
    }

    /// Verifies the board's receipt for the body the page posted (`body_json`: a cast
    /// `Ballot` or a `ChallengedBallot`): signatures and inclusion under the manifest's board
    /// key, and that it names this election, the right kind of entry (`ballot` for a cast,
    /// `challenged` for a challenge), this ballot id and this ballot's tracking code.
    pub fn verify_receipt_for(
        &self,
        receipt_json: &str,
        body_json: &str,
    ) -> Result<(), ClientError> {
        let receipt: Receipt = serde_json::from_str(receipt_json).map_err(malformed("receipt"))?;
        let (kind, ballot_id, code) = match serde_json::from_str::<Ballot>(body_json) {
            Ok(b) => (
                ReceiptKind::Ballot,
                b.ballot_id,
                b.tracking_code(&self.election_hash),
            ),
            Err(_) => {
                let c: ChallengedBallot =
                    serde_json::from_str(body_json).map_err(malformed("ballot"))?;
                (
                    ReceiptKind::Challenged,
                    c.ballot_id,
                    c.tracking_code(&self.election_hash),
                )
            }
        };
        receipt
            .verify_for(
                &self.manifest.board_key,
                &self.base_hash,
                kind,
                &ballot_id,
                &code,
            )
            .map_err(|e| ClientError::BadReceipt(e.to_string()))
    }
}

fn hex32_16(id: &[u8; BALLOT_ID_LEN]) -> String {
    let mut s = String::with_capacity(2 * BALLOT_ID_LEN);
    for b in id {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use psephos_crypto::group::mul_g;

    const CODE: &str = "ABCDE-FGHIJ-KLMNO-PQRST";

    fn election() -> (String, String) {
        let board = Credential::from_code(&[0u8; 32], CODE).unwrap().public();
        let manifest = json!({
            "version": 1, "election_id": "t", "title": "Test",
            "questions": [{"title": "Which?", "options": ["Yes", "No", "Neither"],
                           "min_selections": 1, "max_selections": 1}],
            "revote_policy": "last_counts", "opens_at": null, "closes_at": null,
            "trustees": 1, "threshold": 1, "board_key": psephos_record::hash::to_hex(&board),
            "max_tally": 1000
        })
        .to_string();
        let secret = BallotSeed::from_bytes([7u8; 32]).derive(b"test key", &[]);
        let key = Element::from_point(mul_g(&secret));
        let status = json!({
            "phase": "open",
            "base_hash": psephos_record::hash::to_hex(&base_hash(manifest.as_bytes())),
            "election_hash": "11".repeat(32),
            "joint_key": key.to_hex(),
            "board_key": psephos_record::hash::to_hex(&board),
        })
        .to_string();
        (manifest, status)
    }

    fn joint_key(status: &str) -> Element {
        let v: Value = serde_json::from_str(status).unwrap();
        Element::from_hex(v["joint_key"].as_str().unwrap()).unwrap()
    }

    #[test]
    fn encrypt_challenge_and_open() {
        let (m, s) = election();
        let mut c = Client::prepare(&m, &s).unwrap();
        let out: Value =
            serde_json::from_str(&c.encrypt_ballot(CODE, "[[0,0,1]]").unwrap()).unwrap();
        let encrypted: psephos_record::EncryptedBallot =
            serde_json::from_value(out["ballot"].clone()).unwrap();
        assert_eq!(out["tracking_code"], encrypted.tracking_code(&[0x11; 32]));
        let body = c.challenge_body().unwrap();
        // Signed by the one-time ballot key: no credential anywhere in the challenge.
        let credential = Credential::from_code(&c.base_hash, CODE).unwrap().public();
        assert!(!body.contains("credential"));
        assert!(!body.contains(&psephos_record::hash::to_hex(&credential)));
        let challenged: ChallengedBallot = serde_json::from_str(&body).unwrap();
        challenged
            .verify(c.manifest(), &[0x11; 32], &FixedBase::new(joint_key(&s)))
            .unwrap();
        let opened: Value = serde_json::from_str(&c.check_opening(&body).unwrap()).unwrap();
        assert_eq!(opened["choices"], json!([["Neither"]]));
        assert_eq!(opened["tracking_code"], out["tracking_code"]);
        assert_eq!(c.challenge_body().unwrap_err().code(), "no_pending_ballot");
        // A challenged ballot is spent: it can no longer be cast.
        assert_eq!(c.cast_body().unwrap_err().code(), "no_pending_ballot");
        // A tampered opening is caught.
        let tampered = body.replace("[[0,0,1]]", "[[1,0,0]]");
        assert_eq!(
            c.check_opening(&tampered).unwrap_err().code(),
            "challenge_mismatch"
        );
    }

    /// Cast signs only at Cast, and a cast ballot can no longer be challenged.
    #[test]
    fn cast_signs_with_the_credential_at_cast_only() {
        let (m, s) = election();
        let mut c = Client::prepare(&m, &s).unwrap();
        let out: Value =
            serde_json::from_str(&c.encrypt_ballot(CODE, "[[0,1,0]]").unwrap()).unwrap();
        let body = c.cast_body().unwrap();
        let ballot: Ballot = serde_json::from_str(&body).unwrap();
        ballot
            .verify(c.manifest(), &[0x11; 32], &joint_key(&s))
            .unwrap();
        assert_eq!(out["tracking_code"], ballot.tracking_code(&[0x11; 32]));
        assert_eq!(c.challenge_body().unwrap_err().code(), "no_pending_ballot");
    }

    #[test]
    fn local_refusals() {
        let (m, s) = election();
        let mut c = Client::prepare(&m, &s).unwrap();
        assert_eq!(
            c.encrypt_ballot("ABC", "[[0,0,1]]").unwrap_err().code(),
            "bad_code"
        );
        assert_eq!(
            c.encrypt_ballot(CODE, "[[0,1,1]]").unwrap_err().code(),
            "bad_selection"
        );
        assert_eq!(
            normalize_code("abcde fghij-klmno pqrst").unwrap(),
            "ABCDEFGHIJKLMNOPQRST"
        );
        let other = m.replace("\"Test\"", "\"Other\"");
        assert_eq!(
            Client::prepare(&other, &s).err().unwrap().code(),
            "inconsistent"
        );
        let closed = s.replace("\"joint_key\"", "\"jk\"");
        assert_eq!(
            Client::prepare(&m, &closed).err().unwrap().code(),
            "election_not_open"
        );
    }
}
