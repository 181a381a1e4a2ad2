//! The voter's client in plain Rust: everything the page does with the election's crypto, with
//! JSON text in and out. [`crate`] wraps it for JavaScript; native tests drive it directly.
//!
//! The seed and the blinding of a ballot, and the credential, stay here, never in JavaScript:
//! [`Client::challenge_body`] reveals the seed (the voter challenged; the one-time ballot key
//! signs, never the credential), [`Client::cast_body`] zeroizes it and only then has the
//! credential sign (the voter cast).

use std::fmt;

use psephos_crypto::contest::BALLOT_ID_LEN;
use psephos_crypto::group::{hex32, FixedBase};
use psephos_crypto::nonce::BallotSeed;
use psephos_record::ballot::{Ballot, ChallengedBallot, PendingBallot};
use psephos_record::checkpoint::{Checkpoint, Receipt, ReceiptKind};
use psephos_record::credential::{self, Credential};
use psephos_record::evidence::{self, CheckedElection, Claimed, ElectionEvidence, EvidenceError};
use psephos_record::hash::Hash;
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
    /// The election the board served does not check out against its signed log: nothing
    /// may be encrypted to it.
    Election(EvidenceError),
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
            ClientError::Election(e) => write!(
                f,
                "the election's key could not be checked against the public record: {e}"
            ),
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
            // The check's own codes (`served_mismatch`, `not_included`, `bad_checkpoint`…),
            // prefixed so the page can tell them from the board's.
            ClientError::Election(e) => match e {
                EvidenceError::Malformed(_) => "election_malformed_evidence",
                EvidenceError::ManifestEntry(_) => "election_bad_manifest_entry",
                EvidenceError::BadManifest(_) => "election_bad_manifest",
                EvidenceError::OpenEntry(_) => "election_bad_open_entry",
                EvidenceError::BadCheckpoint => "election_bad_checkpoint",
                EvidenceError::NotIncluded(_) => "election_not_included",
                EvidenceError::ElectionHash => "election_bad_election_hash",
                EvidenceError::JointKey(_) => "election_bad_joint_key",
                EvidenceError::ServedMismatch(_) => "election_served_mismatch",
            },
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

/// Fetch-and-check step, before anything is encrypted: the election the board served
/// (`GET /api/manifest` text, `GET /api/election`, `GET /api/election/evidence`) checked
/// against the board's signed log by the one shared rule,
/// [`psephos_record::evidence::check_election`]. Returns [`ClientError::NotOpen`] while the
/// status has no key yet.
pub fn check_served_election(
    manifest_json: &str,
    status_json: &str,
    evidence_json: &str,
) -> Result<CheckedElection, ClientError> {
    let status: Value = serde_json::from_str(status_json).map_err(malformed("election status"))?;
    let base = hex_field(&status, "base_hash")?;
    let board_key = hex_field(&status, "board_key")?;
    let bundle = hex_field(&status, "web_bundle_hash")?;
    let (Some(election_hash), Some(joint_key)) = (
        hex_field(&status, "election_hash")?,
        hex_field(&status, "joint_key")?,
    ) else {
        return Err(ClientError::NotOpen);
    };
    let evidence: ElectionEvidence =
        serde_json::from_str(evidence_json).map_err(malformed("election evidence"))?;
    let claimed = Claimed {
        manifest_text: Some(manifest_json),
        base_hash: base.as_ref(),
        board_key: board_key.as_ref(),
        election_hash: Some(&election_hash),
        joint_key: Some(&joint_key),
        web_bundle_hash: bundle.as_ref(),
    };
    evidence::check_election(&evidence, &claimed).map_err(ClientError::Election)
}

/// The election's fingerprint, web bundle hash and H_E as JSON, for display:
/// `{"fingerprint", "web_bundle_hash": hex or null, "election_hash"}`.
pub fn election_summary(checked: &CheckedElection) -> String {
    json!({
        "fingerprint": checked.fingerprint,
        "web_bundle_hash": checked.open.web_bundle_hash.map(|h| psephos_record::hash::to_hex(&h.0)),
        "election_hash": psephos_record::hash::to_hex(&checked.election_hash),
    })
    .to_string()
}

/// One open election, prepared for encrypting: the manifest, the hashes and the table of K.
pub struct Client {
    manifest: Manifest,
    base_hash: Hash,
    election_hash: Hash,
    key: FixedBase,
    checked: CheckedElection,
    pending: Option<Pending>,
}

impl Client {
    /// Checks the served election against the board's signed log
    /// ([`check_served_election`]) and builds the fixed-base table of the logged joint key
    /// (done once: it costs about ten multiplications). Nothing can be encrypted without it.
    pub fn prepare(
        manifest_json: &str,
        status_json: &str,
        evidence_json: &str,
    ) -> Result<Client, ClientError> {
        let checked = check_served_election(manifest_json, status_json, evidence_json)?;
        Ok(Client {
            manifest: checked.manifest.clone(),
            base_hash: checked.base_hash,
            election_hash: checked.election_hash,
            key: FixedBase::new(checked.joint_key),
            checked,
            pending: None,
        })
    }

    /// The election fingerprint (docs/spec.md §7.2) of the checked H_E, to show the voter.
    pub fn fingerprint(&self) -> &str {
        &self.checked.fingerprint
    }

    /// [`election_summary`] of this election.
    pub fn summary(&self) -> String {
        election_summary(&self.checked)
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
    use ed25519_dalek::SigningKey;
    use psephos_crypto::group::{mul_g, Element};
    use psephos_record::checkpoint::Checkpoint;
    use psephos_record::entry::{entry_bytes, Entry, HexKey, OpenEntry, RollEntry};
    use psephos_record::evidence::EvidenceLine;
    use psephos_record::hash::{self, base_hash, GENESIS_PREV};
    use psephos_record::merkle::{self, MerkleTree};

    const CODE: &str = "ABCDE-FGHIJ-KLMNO-PQRST";

    struct Served {
        manifest: String,
        status: Value,
        /// Typed, so the entries' exact text survives (a `Value` would reorder its keys).
        evidence: ElectionEvidence,
        /// The logged K.
        key: Element,
        /// The logged H_E.
        election_hash: Hash,
    }

    /// A 1-of-1 election opened on a log `manifest, roll, open`, with the board's
    /// `/api/manifest`, `/api/election` and `/api/election/evidence` answers, the
    /// checkpoint signed by `signer` (the manifest's board key unless a test says otherwise).
    fn served_signed_by(signer: Option<&SigningKey>) -> Served {
        let board = SigningKey::from_bytes(&[3u8; 32]);
        let signer = signer.unwrap_or(&board);
        let manifest = json!({
            "version": 1, "election_id": "t", "title": "Test",
            "questions": [{"title": "Which?", "options": ["Yes", "No", "Neither"],
                           "min_selections": 1, "max_selections": 1}],
            "revote_policy": "last_counts", "opens_at": null, "closes_at": null,
            "trustees": 1, "threshold": 1,
            "board_key": hash::to_hex(&board.verifying_key().to_bytes()),
            "max_tally": 1000
        });
        // The canonical text (declaration order), as logged in entry 0.
        let parsed: Manifest = serde_json::from_value(manifest).unwrap();
        let manifest = serde_json::to_string(&parsed).unwrap();
        let base = base_hash(manifest.as_bytes());
        let secret = BallotSeed::from_bytes([7u8; 32]).derive(b"test key", &[]);
        let key = Element::from_point(mul_g(&secret));
        let bundle = [0x42u8; 32];
        let mut bodies = vec![
            entry_bytes(&Entry::Manifest(parsed)),
            entry_bytes(&Entry::Roll(RollEntry {
                credentials: vec![HexKey(Credential::from_code(&base, CODE).unwrap().public())],
            })),
        ];
        let mut hashes = Vec::new();
        let mut prev = GENESIS_PREV;
        for (seq, b) in bodies.iter().enumerate() {
            prev = hash::entry_hash(seq as u64, &prev, b);
            hashes.push(prev);
        }
        let election_hash = hash::election_hash(&base, &prev, key.as_bytes(), Some(&bundle));
        bodies.push(entry_bytes(&Entry::Open(OpenEntry {
            election_hash,
            joint_key: key,
            verification_keys: vec![key],
            roll_size: 1,
            roll_hash: [0u8; 32],
            web_bundle_hash: Some(HexKey(bundle)),
        })));
        hashes.push(hash::entry_hash(2, &prev, &bodies[2]));
        let tree = MerkleTree::from_leaf_hashes(hashes.iter().map(|h| merkle::leaf_hash(h)));
        let cp = Checkpoint::sign(signer, &base, 3, tree.root(3).unwrap(), hashes[2], None);
        let hexes = |v: Vec<Hash>| -> Vec<HexKey> { v.into_iter().map(HexKey).collect() };
        let evidence = ElectionEvidence {
            checkpoint: cp,
            manifest_entry: EvidenceLine::new(0, GENESIS_PREV, hashes[0], &bodies[0]).unwrap(),
            manifest_proof: hexes(tree.inclusion_proof(0, 3).unwrap()),
            open_entry: EvidenceLine::new(2, hashes[1], hashes[2], &bodies[2]).unwrap(),
            open_proof: hexes(tree.inclusion_proof(2, 3).unwrap()),
        };
        let status = json!({
            "phase": "open",
            "base_hash": hash::to_hex(&base),
            "election_hash": hash::to_hex(&election_hash),
            "joint_key": key.to_hex(),
            "board_key": hash::to_hex(&board.verifying_key().to_bytes()),
            "web_bundle_hash": hash::to_hex(&bundle),
        });
        Served {
            manifest,
            status,
            evidence,
            key,
            election_hash,
        }
    }

    fn served() -> Served {
        served_signed_by(None)
    }

    fn prepare(s: &Served) -> Result<Client, ClientError> {
        Client::prepare(
            &s.manifest,
            &s.status.to_string(),
            &serde_json::to_string(&s.evidence).unwrap(),
        )
    }

    #[test]
    fn encrypt_challenge_and_open() {
        let s = served();
        let mut c = prepare(&s).unwrap();
        let out: Value =
            serde_json::from_str(&c.encrypt_ballot(CODE, "[[0,0,1]]").unwrap()).unwrap();
        let encrypted: psephos_record::EncryptedBallot =
            serde_json::from_value(out["ballot"].clone()).unwrap();
        assert_eq!(
            out["tracking_code"],
            encrypted.tracking_code(&s.election_hash)
        );
        let body = c.challenge_body().unwrap();
        // Signed by the one-time ballot key: no credential anywhere in the challenge.
        let credential = Credential::from_code(&c.base_hash, CODE).unwrap().public();
        assert!(!body.contains("credential"));
        assert!(!body.contains(&psephos_record::hash::to_hex(&credential)));
        let challenged: ChallengedBallot = serde_json::from_str(&body).unwrap();
        challenged
            .verify(c.manifest(), &s.election_hash, &FixedBase::new(s.key))
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
        let s = served();
        let mut c = prepare(&s).unwrap();
        let out: Value =
            serde_json::from_str(&c.encrypt_ballot(CODE, "[[0,1,0]]").unwrap()).unwrap();
        let body = c.cast_body().unwrap();
        let ballot: Ballot = serde_json::from_str(&body).unwrap();
        ballot
            .verify(c.manifest(), &s.election_hash, &s.key)
            .unwrap();
        assert_eq!(out["tracking_code"], ballot.tracking_code(&s.election_hash));
        assert_eq!(c.challenge_body().unwrap_err().code(), "no_pending_ballot");
    }

    #[test]
    fn the_fingerprint_is_that_of_the_logged_election_hash() {
        let s = served();
        let c = prepare(&s).unwrap();
        assert_eq!(
            c.fingerprint(),
            hash::election_fingerprint(&s.election_hash)
        );
        let summary: Value = serde_json::from_str(&c.summary()).unwrap();
        assert_eq!(summary["fingerprint"], c.fingerprint());
        assert_eq!(summary["web_bundle_hash"], "42".repeat(32));
    }

    #[test]
    fn a_key_or_hash_served_outside_the_log_is_refused_before_encrypting() {
        // The attack: /api/election serves a joint key the board knows (or another H_E)
        // while the signed log holds the real one.
        let mut s = served();
        let known =
            Element::from_point(mul_g(&BallotSeed::from_bytes([8u8; 32]).derive(b"k", &[])));
        s.status["joint_key"] = json!(known.to_hex());
        assert_eq!(
            prepare(&s).err().unwrap().code(),
            "election_served_mismatch"
        );
        let mut s = served();
        s.status["election_hash"] = json!("11".repeat(32));
        assert_eq!(
            prepare(&s).err().unwrap().code(),
            "election_served_mismatch"
        );
        let mut s = served();
        s.status["web_bundle_hash"] = json!("43".repeat(32));
        assert_eq!(
            prepare(&s).err().unwrap().code(),
            "election_served_mismatch"
        );
    }

    #[test]
    fn a_forged_proof_or_a_checkpoint_of_another_key_is_refused() {
        let mut s = served();
        s.evidence.open_proof[0].0[0] ^= 1;
        assert_eq!(prepare(&s).err().unwrap().code(), "election_not_included");

        let other = SigningKey::from_bytes(&[4u8; 32]);
        let s = served_signed_by(Some(&other));
        assert_eq!(prepare(&s).err().unwrap().code(), "election_bad_checkpoint");
    }

    #[test]
    fn local_refusals() {
        let s = served();
        let mut c = prepare(&s).unwrap();
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
        let other = s.manifest.replace("\"Test\"", "\"Other\"");
        assert_eq!(
            Client::prepare(
                &other,
                &s.status.to_string(),
                &serde_json::to_string(&s.evidence).unwrap()
            )
            .err()
            .unwrap()
            .code(),
            "election_served_mismatch"
        );
        let mut closed = served();
        closed.status.as_object_mut().unwrap().remove("joint_key");
        assert_eq!(prepare(&closed).err().unwrap().code(), "election_not_open");
    }
}
