//! The verification report: every check with its number, status, item count and first
//! failures, plus the voter-facing lookups (tracking codes, credentials, receipts).

use std::collections::HashMap;

use serde::Serialize;

use psephos_record::Phase;

/// Most failures kept per check (the count of all failures is kept too).
pub const MAX_FAILURES: usize = 20;

/// Outcome of one check.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Every item checked verified.
    Passed,
    /// At least one item failed.
    Failed,
    /// Not applicable: the record stops before the phase this check is about.
    Skipped,
}

/// Where and why one item failed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Failure {
    /// What is wrong.
    pub message: String,
    /// The file, e.g. `board.jsonl`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// 1-based line number in that file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// The ballot concerned, hex.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ballot_id: Option<String>,
}

/// One numbered check.
#[derive(Clone, Debug, Serialize)]
pub struct CheckResult {
    /// The check's number (1–10, docs/verification.md).
    pub number: u8,
    /// Its short name.
    pub name: &'static str,
    /// Passed, failed or skipped.
    pub status: Status,
    /// Number of items checked (entries, keys, ballots, shares…).
    pub items: u64,
    /// Total number of failures found.
    pub failure_count: u64,
    /// The first [`MAX_FAILURES`] failures.
    pub failures: Vec<Failure>,
    /// Why the check was skipped, if it was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl CheckResult {
    /// A check not yet run.
    pub fn new(number: u8, name: &'static str) -> Self {
        CheckResult {
            number,
            name,
            status: Status::Passed,
            items: 0,
            failure_count: 0,
            failures: Vec::new(),
            note: None,
        }
    }

    /// Records a failure.
    pub fn fail(&mut self, failure: Failure) {
        self.status = Status::Failed;
        self.failure_count += 1;
        if self.failures.len() < MAX_FAILURES {
            self.failures.push(failure);
        }
    }

    /// Whether it passed (skipped counts as not failed).
    pub fn ok(&self) -> bool {
        self.status != Status::Failed
    }
}

/// What became of one ballot, found by its tracking code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BallotStatus {
    /// Cast, and the credential's ballot that counts.
    Counted,
    /// Cast, then replaced by a later ballot of the same credential.
    Superseded,
    /// Cast but not counted: the policy rejects revotes and an earlier ballot counts.
    Rejected,
    /// Challenged (opened for audit), never counted.
    Challenged,
}

/// A ballot found by its tracking code.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TrackingStatus {
    /// The tracking code.
    pub tracking_code: String,
    /// Position of its entry in the log.
    pub seq: u64,
    /// The ballot id, hex.
    pub ballot_id: String,
    /// What became of it.
    pub status: BallotStatus,
}

/// A credential's ballots.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CredentialStatus {
    /// Whether the credential is on the roll.
    pub on_roll: bool,
    /// The seq of its counted ballot, if any.
    pub counted_seq: Option<u64>,
    /// Number of ballot entries cast with it.
    pub ballots_cast: u64,
}

/// The outcome of checking a voter's receipt against the record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ReceiptReport {
    /// The receipt's tracking code.
    pub tracking_code: String,
    /// The receipt's log position.
    pub seq: u64,
    /// Whether every receipt check passed.
    pub valid: bool,
    /// What failed.
    pub problems: Vec<String>,
}

/// Per-ballot facts kept for voter lookups (small: no ciphertexts).
#[derive(Clone, Debug, Default)]
pub(crate) struct BallotIndex {
    /// Tracking code → (seq, ballot id, credential, challenged).
    pub(crate) by_code: HashMap<String, (u64, [u8; 16], [u8; 32], bool)>,
    /// Credential → (counted seq, ballots cast).
    pub(crate) by_credential: HashMap<[u8; 32], (Option<u64>, u64)>,
    /// Credentials on the roll.
    pub(crate) roll: HashMap<[u8; 32], u32>,
}

/// The verification report.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// Every check, in number order.
    pub checks: Vec<CheckResult>,
    /// The phase the record reached.
    pub phase: Phase,
    /// Number of log entries.
    pub log_size: u64,
    /// H_B, hex, if the manifest could be read.
    pub base_hash: Option<String>,
    /// H_E, hex, if the election opened.
    pub election_hash: Option<String>,
    /// The election fingerprint (docs/spec.md §7.2), if the election opened: the same string
    /// the voter's page, `psephos vote`, the results page and `psephos trustee decrypt`
    /// show, for comparing out of band.
    pub election_fingerprint: Option<String>,
    /// The web bundle hash of the `open` entry, hex, if the board served a web bundle.
    pub web_bundle_hash: Option<String>,
    /// The receipt check, if a receipt was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub receipt: Option<ReceiptReport>,
    #[serde(skip)]
    pub(crate) index: BallotIndex,
}

/// Normalises a tracking code as typed: upper case, groups of four separated by dashes.
pub fn normalize_tracking_code(code: &str) -> String {
    // The board's look-up uses the same function.
    psephos_record::tracking::normalize_tracking_code(code)
}

impl Report {
    /// Whether every check passed (skipped checks do not fail) and the receipt, if any, holds.
    pub fn passed(&self) -> bool {
        self.checks.iter().all(CheckResult::ok) && !matches!(&self.receipt, Some(r) if !r.valid)
    }

    /// The check with this number.
    pub fn check(&self, number: u8) -> Option<&CheckResult> {
        self.checks.iter().find(|c| c.number == number)
    }

    /// Numbers of the failed checks.
    pub fn failed_checks(&self) -> Vec<u8> {
        self.checks
            .iter()
            .filter(|c| c.status == Status::Failed)
            .map(|c| c.number)
            .collect()
    }

    /// Looks a ballot up by tracking code (dashes, spaces and case are ignored).
    pub fn tracking_status(&self, code: &str) -> Option<TrackingStatus> {
        let code = normalize_tracking_code(code);
        let &(seq, id, credential, challenged) = self.index.by_code.get(&code)?;
        let status = if challenged {
            BallotStatus::Challenged
        } else {
            match self.index.by_credential.get(&credential) {
                Some((Some(counted), _)) if *counted == seq => BallotStatus::Counted,
                Some((Some(counted), _)) if *counted > seq => BallotStatus::Superseded,
                _ => BallotStatus::Rejected,
            }
        };
        Some(TrackingStatus {
            tracking_code: code,
            seq,
            ballot_id: hex::encode(id),
            status,
        })
    }

    /// What the record says about one credential.
    pub fn credential_status(&self, credential: &[u8; 32]) -> CredentialStatus {
        let (counted_seq, ballots_cast) = self
            .index
            .by_credential
            .get(credential)
            .copied()
            .unwrap_or((None, 0));
        CredentialStatus {
            on_roll: self.index.roll.contains_key(credential),
            counted_seq,
            ballots_cast,
        }
    }
}
