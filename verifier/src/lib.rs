//! # psephos-verify
//!
//! An independent verifier of a published psephos election record (a directory holding
//! `board.jsonl`, `manifest.json`, `roll.jsonl`, `checkpoints.jsonl` and `result.json`).
//! It depends on the crypto and record crates only: never on the board, its server or its
//! database, so anyone can rebuild it and check an election from the published files alone.
//!
//! Ten numbered checks (docs/verification.md maps each to ElectionGuard 2.1 §6.2 and Belenios
//! §3.5); each is one function in [`checks`] and has its own test in `tests/checks.rs`.
//!
//! Data flows one way: file bytes → [`input`] (lines parsed in parallel, typed entries) →
//! [`checks`] (a single streaming pass over the log, ballots verified in batches) →
//! [`Report`].
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod checks;
pub mod input;
pub mod report;
pub mod testkit;

use std::path::Path;

pub use input::InputError;
pub use report::{
    BallotStatus, CheckResult, CredentialStatus, Failure, ReceiptReport, Report, Status,
    TrackingStatus,
};

/// What to verify beyond the record itself, and how.
#[derive(Clone, Debug)]
pub struct Options {
    /// Treat a record that stops early (no `open`, no `tally`, no `result`…) as failed rather
    /// than reporting the later checks as not applicable.
    pub require_complete: bool,
    /// Show a progress bar on stderr (the CLI sets this only when stderr is a terminal).
    pub progress: bool,
    /// A voter's receipt to check against the record.
    pub receipt: Option<psephos_record::Receipt>,
    /// Ballots per batch of proof and signature verification.
    pub chunk: usize,
    /// The tracking codes [`Report::tracking_status`] will be asked about; `None` indexes
    /// every ballot (memory grows with the number of ballots), `Some` only these, so that
    /// the verifier's memory stays flat as the record grows.
    pub tracking_codes: Option<Vec<String>>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            require_complete: false,
            progress: false,
            receipt: None,
            chunk: checks::DEFAULT_CHUNK,
            tracking_codes: None,
        }
    }
}

/// Verifies the record in `path`.
///
/// `Err` means the record could not be read at all (a missing file, a line that is not JSON of
/// the expected shape, an unknown protocol version); the error names the file and line.
/// Otherwise the [`Report`] lists every check; [`Report::passed`] tells whether all passed.
pub fn verify_dir(path: &Path, options: &Options) -> Result<Report, InputError> {
    checks::run(path, options)
}
