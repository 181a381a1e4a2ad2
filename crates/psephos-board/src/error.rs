//! The board's errors: [`BoardError`] for opening and initialising a board, [`ApiError`] for
//! HTTP answers (each variant has the stable code of docs/api.md).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use psephos_record::manifest::ManifestError;
use thiserror::Error;

use crate::store::StoreError;

/// Why a board could not be initialised, opened or served.
#[derive(Debug, Error)]
pub enum BoardError {
    /// The store failed.
    #[error("store: {0}")]
    Store(#[from] StoreError),
    /// `init_election` on a store that already holds an election.
    #[error(
        "the store already holds an election ({entries} log entries); refusing to overwrite it"
    )]
    AlreadyInitialized {
        /// Entries found.
        entries: u64,
    },
    /// `Board::open` on an empty store.
    #[error("the store holds no election; run `psephos admin init` first")]
    NotInitialized,
    /// The manifest is not acceptable.
    #[error("invalid manifest: {0}")]
    Manifest(#[from] ManifestError),
    /// A stored log entry is wrong.
    #[error("corrupted store: log entry {seq}: {why}")]
    CorruptEntry {
        /// The entry.
        seq: u64,
        /// What is wrong.
        why: String,
    },
    /// A stored checkpoint is wrong.
    #[error("corrupted store: checkpoint #{index} (tree size {tree_size}): {why}")]
    CorruptCheckpoint {
        /// Position in the checkpoint list.
        index: usize,
        /// Its tree size.
        tree_size: u64,
        /// What is wrong.
        why: String,
    },
    /// A board secret (signing key, token hash) is missing or malformed in the meta table.
    #[error("corrupted store: board secret {0:?} is missing or malformed")]
    Secret(String),
    /// The passphrase of the board's signing key is missing, too short or wrong.
    #[error("{0}")]
    Passphrase(String),
    /// Serving failed.
    #[error("server I/O: {0}")]
    Io(#[from] std::io::Error),
    /// Something that cannot happen did.
    #[error("internal error: {0}")]
    Internal(String),
}

/// An error answer of the HTTP API: `{"error": code, "message": text}`.
#[derive(Debug, Error)]
pub enum ApiError {
    /// 409: before the election opens.
    #[error("the election is not open yet")]
    ElectionNotOpen,
    /// 409: after the close.
    #[error("the election is closed")]
    ElectionClosed,
    /// 403: credential not on the roll.
    #[error("this credential is not on the roll")]
    NotOnRoll,
    /// 400: the credential's signature does not verify.
    #[error("the ballot's signature does not verify (wrong election or tampered ballot)")]
    BadSignature,
    /// 400: a proof fails.
    #[error("{0}")]
    BadProof(String),
    /// 409: ballot id already used with other content.
    #[error("this ballot id was already used for a different ballot")]
    DuplicateBallot,
    /// 409: policy `reject` and the credential already voted.
    #[error("this credential has already voted and the election does not allow revoting")]
    RevoteRejected,
    /// 400: bad JSON, unknown field, non-canonical encoding, bad hex, bad query.
    #[error("{0}")]
    Malformed(String),
    /// 413.
    #[error("the request body is too large")]
    PayloadTooLarge,
    /// 429.
    #[error("too many requests; slow down")]
    RateLimited,
    /// 400: the revealed seed and choices do not re-create the challenged ballot.
    #[error("the revealed seed and choices do not re-create the ballot")]
    ChallengeMismatch,
    /// 409: a cast ballot repeats the randomness of a challenged (spoiled) ballot.
    #[error("{0}")]
    SpoiledBallotCast(String),
    /// 401.
    #[error("missing or wrong bearer token")]
    Unauthorized,
    /// 403: a trustee's valid token, on a message for another trustee index.
    #[error("this token is trustee {token_index}'s, but the message is for trustee {message_index}: check --index")]
    WrongTrusteeIndex {
        /// The index the token belongs to.
        token_index: u32,
        /// The index the message names.
        message_index: u32,
    },
    /// 409: the message does not fit the current phase or ceremony step.
    #[error("{0}")]
    WrongPhase(String),
    /// 409: the trustee already posted this message.
    #[error("{0}")]
    AlreadyPosted(String),
    /// 409: a credential is already on the roll or repeated.
    #[error("{0}")]
    DuplicateCredential(String),
    /// 404.
    #[error("no ballot has this tracking code")]
    UnknownTrackingCode,
    /// 404: no result yet.
    #[error("the result is not available yet")]
    VotingInProgress,
    /// 404.
    #[error("{0}")]
    NotFound(String),
    /// 503: the log could not be written or the receipt could not be produced yet.
    #[error("{0}")]
    Unavailable(String),
    /// 500.
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    /// The stable code and HTTP status.
    pub fn code(&self) -> (&'static str, StatusCode) {
        use ApiError as E;
        match self {
            E::ElectionNotOpen => ("election_not_open", StatusCode::CONFLICT),
            E::ElectionClosed => ("election_closed", StatusCode::CONFLICT),
            E::NotOnRoll => ("not_on_roll", StatusCode::FORBIDDEN),
            E::BadSignature => ("bad_signature", StatusCode::BAD_REQUEST),
            E::BadProof(_) => ("bad_proof", StatusCode::BAD_REQUEST),
            E::DuplicateBallot => ("duplicate_ballot", StatusCode::CONFLICT),
            E::RevoteRejected => ("revote_rejected", StatusCode::CONFLICT),
            E::Malformed(_) => ("malformed", StatusCode::BAD_REQUEST),
            E::PayloadTooLarge => ("payload_too_large", StatusCode::PAYLOAD_TOO_LARGE),
            E::RateLimited => ("rate_limited", StatusCode::TOO_MANY_REQUESTS),
            E::ChallengeMismatch => ("challenge_mismatch", StatusCode::BAD_REQUEST),
            E::SpoiledBallotCast(_) => ("spoiled_ballot_cast", StatusCode::CONFLICT),
            E::Unauthorized => ("unauthorized", StatusCode::UNAUTHORIZED),
            E::WrongTrusteeIndex { .. } => ("wrong_trustee_index", StatusCode::FORBIDDEN),
            E::WrongPhase(_) => ("wrong_phase", StatusCode::CONFLICT),
            E::AlreadyPosted(_) => ("already_posted", StatusCode::CONFLICT),
            E::DuplicateCredential(_) => ("duplicate_credential", StatusCode::CONFLICT),
            E::UnknownTrackingCode => ("unknown_tracking_code", StatusCode::NOT_FOUND),
            E::VotingInProgress => ("voting_in_progress", StatusCode::NOT_FOUND),
            E::NotFound(_) => ("not_found", StatusCode::NOT_FOUND),
            E::Unavailable(_) => ("unavailable", StatusCode::SERVICE_UNAVAILABLE),
            E::Internal(_) => ("internal", StatusCode::INTERNAL_SERVER_ERROR),
        }
    }
}

/// The JSON body of an error answer.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ErrorBody {
    /// Stable code.
    pub error: String,
    /// Human text.
    pub message: String,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (code, status) = self.code();
        if let ApiError::Internal(detail) = &self {
            tracing::error!(detail = %detail, "internal error");
        }
        let body = ErrorBody {
            error: code.to_string(),
            message: self.to_string(),
        };
        (status, Json(body)).into_response()
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        tracing::error!(error = %e, "store error");
        ApiError::Unavailable(format!("the board's store failed: {e}"))
    }
}
