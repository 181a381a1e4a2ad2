//! # psephos-record
//!
//! The election record shared by the browser, the board, the trustee tool and the verifier:
//! manifest, credentials and roll, ballots, the hash-chained board log, Merkle checkpoints and
//! receipts, and the lifecycle rules. Every hash and encoding is in docs/spec.md §7.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod ballot;
pub mod ceremony;
pub mod checkpoint;
pub mod credential;
pub mod entry;
pub mod evidence;
pub mod hash;
pub mod lifecycle;
pub mod line;
pub mod manifest;
pub mod merkle;
pub mod record;
pub mod roll;
pub mod signature;
pub mod timestamp;
pub mod tracking;

pub use ballot::{
    Ballot, BallotError, ChallengedBallot, EncryptedBallot, PendingBallot, SpoiledCiphertexts,
};
pub use checkpoint::{Checkpoint, Receipt, ReceiptKind};
pub use credential::Credential;
pub use entry::Entry;
pub use lifecycle::Phase;
pub use manifest::{Manifest, Question, RevotePolicy};
