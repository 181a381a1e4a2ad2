//! The psephos bulletin board: an append-only, hash-chained election log behind an HTTP API
//! (docs/api.md), stored in SQLite or PostgreSQL.
//!
//! - [`init_election`] creates an election in an empty store.
//! - [`Board::open`] replays and checks the stored log, then [`serve`] answers requests.
#![forbid(unsafe_code)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod bench;
mod board;
pub mod challenge_limit;
pub mod error;
pub mod http;
pub mod lock;
pub mod ratelimit;
pub mod sealed;
mod state;
pub mod store;
pub mod time;
mod verify;
pub mod writer;

pub use board::{
    init_election, serve, web_bundle_hash, Board, BoardConfig, ChallengeAnswer, ElectionStatus,
    InitOutput, TrackingStatus, BOARD_PASSPHRASE_ENV, MAX_ADMIN_BODY, MAX_BALLOT_BODY,
    MAX_TRUSTEE_BODY, MIN_PASSPHRASE_LEN,
};
pub use error::{ApiError, BoardError, ErrorBody};
