//! A client of the board's HTTP API (docs/api.md), one method per endpoint.
//!
//! Wire bytes are turned into `psephos-record` types here and nowhere else; callers get
//! validated values or an [`ApiError`] that names the board's stable error code.

use std::path::Path;
use std::time::Duration;

// The board's own answer types: one definition for both ends of `/api/election` and
// `/api/challenges`.
pub use psephos_board::{ChallengeAnswer, ElectionStatus};
use psephos_record::entry::{Entry, HexKey, LineError, ResultEntry};
use psephos_record::hash::{entry_hash, Hash};
use psephos_record::{Ballot, ChallengedBallot, Manifest, Receipt};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use thiserror::Error;
use tokio::io::AsyncWriteExt;

/// What went wrong talking to the board.
#[derive(Debug, Error)]
pub enum ApiError {
    /// The board answered with an error object.
    #[error("{}", explain(code, message))]
    Board {
        /// HTTP status.
        status: u16,
        /// The stable error code (docs/api.md).
        code: String,
        /// The board's human text.
        message: String,
    },
    /// The board could not be reached or the connection broke.
    #[error("cannot reach the board at {url}: {reason}")]
    Network {
        /// The URL.
        url: String,
        /// Why, in words ("connection refused"): the innermost cause, said once (the
        /// transport error's chain repeats itself at every level).
        reason: String,
    },
    /// The board answered something that is not what the API promises.
    #[error("the board's answer to {what} is malformed: {why}")]
    Malformed {
        /// Which request.
        what: String,
        /// What is wrong.
        why: String,
    },
    /// A local file could not be written.
    #[error("cannot write {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}

impl ApiError {
    /// [`ApiError::Network`] for a failed request to `url`.
    pub fn network(url: impl Into<String>, error: &reqwest::Error) -> ApiError {
        ApiError::Network {
            url: url.into(),
            reason: network_reason(error),
        }
    }

    /// The board's error code, if the board answered with one.
    pub fn code(&self) -> Option<&str> {
        match self {
            ApiError::Board { code, .. } => Some(code),
            _ => None,
        }
    }

    /// Worth retrying the same request: the network failed or the board asked us to slow down.
    pub fn is_transient(&self) -> bool {
        match self {
            ApiError::Network { .. } => true,
            ApiError::Board { status, code, .. } => {
                code == "rate_limited" || *status == 502 || *status == 503 || *status == 504
            }
            _ => false,
        }
    }
}

/// What went wrong with a request, in words: the operating system's reason when there is one
/// ("connection refused"), else the innermost error's text.
pub fn network_reason(error: &reqwest::Error) -> String {
    if error.is_timeout() {
        return "no answer in time (timed out)".into();
    }
    let mut innermost: &(dyn std::error::Error + 'static) = error;
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = current {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            if let Some(words) = io_reason(io.kind()) {
                return words.into();
            }
        }
        innermost = e;
        current = e.source();
    }
    let text = innermost.to_string();
    if text.contains("failed to lookup address") || text.contains("dns error") {
        return "its host name does not resolve".into();
    }
    // "... (os error 111)" says nothing more to a reader.
    match text.find(" (os error") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}

fn io_reason(kind: std::io::ErrorKind) -> Option<&'static str> {
    use std::io::ErrorKind::*;
    Some(match kind {
        ConnectionRefused => "connection refused",
        ConnectionReset => "the connection was reset",
        ConnectionAborted => "the connection was aborted",
        TimedOut => "no answer in time (timed out)",
        AddrNotAvailable => "the address is not available",
        NotConnected => "not connected",
        UnexpectedEof => "the board closed the connection",
        _ => return None,
    })
}

/// A sentence for each error code a user can meet, with the board's own text after it.
fn explain(code: &str, message: &str) -> String {
    let plain = match code {
        "not_on_roll" => "this voting code is not on the roll of this election",
        "election_not_open" => "the election is not open for voting yet",
        "election_closed" => "the election is closed: no more ballots are accepted",
        "revote_rejected" => {
            "this voting code has already been used, and this election does not allow voting again"
        }
        "bad_signature" => "the board rejected the ballot's signature",
        "bad_proof" => "the board rejected the ballot's proofs",
        "wrong_election" => "the ballot was made for another election",
        "duplicate_ballot" => "this ballot id was already used for a different ballot",
        "payload_too_large" => "the request is too large for the board",
        "rate_limited" => "the board is busy (rate limited); try again shortly",
        "challenge_mismatch" => "the board says the revealed choices do not match the ballot",
        "spoiled_ballot_cast" => {
            "this ballot reuses the randomness of a challenged (spoiled) ballot, which can never be cast"
        }
        "unauthorized" => "the token was refused (wrong or missing token)",
        "wrong_phase" => "the election is not in the phase this step belongs to",
        "already_posted" => "this message was already posted",
        "duplicate_credential" => "a credential is already on the roll",
        "voting_in_progress" => "there is no result yet",
        "unknown_tracking_code" => "the board does not know this tracking code",
        "malformed" => "the board could not parse the request",
        _ => "",
    };
    match (plain.is_empty(), message.is_empty()) {
        (true, _) => format!("the board refused: {code}: {message}"),
        (false, true) => format!("{plain} ({code})"),
        (false, false) => format!("{plain} ({code}: {message})"),
    }
}

/// One line of the log as served: the entry's exact text is kept, so its hash can be checked.
#[derive(Clone, Debug, Deserialize)]
pub struct LogLine {
    /// Sequence number.
    pub seq: u64,
    /// Previous entry's hash.
    #[serde(with = "psephos_record::hash::hex32")]
    pub prev: Hash,
    /// This entry's hash.
    #[serde(with = "psephos_record::hash::hex32")]
    pub hash: Hash,
    /// The entry's exact JSON text.
    pub entry: Box<RawValue>,
}

impl LogLine {
    /// Checks the chained hash and parses the entry.
    pub fn checked_entry(&self) -> Result<Entry, LineError> {
        if entry_hash(self.seq, &self.prev, self.entry.get().as_bytes()) != self.hash {
            return Err(LineError::Hash);
        }
        Ok(serde_json::from_str(self.entry.get())?)
    }
}

#[derive(Deserialize)]
struct LogPage {
    entries: Vec<LogLine>,
}

/// `GET /api/ballots/{code}` answer.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct BallotStatus {
    /// The tracking code.
    pub tracking_code: String,
    /// Position in the log.
    pub seq: u64,
    /// `counted`, `superseded` or `challenged`.
    pub status: String,
}

#[derive(Deserialize)]
struct SeqAnswer {
    seq: u64,
}

#[derive(Deserialize)]
struct ErrorBody {
    error: String,
    #[serde(default)]
    message: String,
}

/// The five files of a published record.
pub const RECORD_FILES: [&str; 5] = [
    psephos_record::record::BOARD_FILE,
    psephos_record::record::MANIFEST_FILE,
    psephos_record::record::ROLL_FILE,
    psephos_record::record::CHECKPOINTS_FILE,
    psephos_record::record::RESULT_FILE,
];

/// A connection to one board, with an optional bearer token.
#[derive(Clone, Debug)]
pub struct Client {
    base: String,
    http: reqwest::Client,
    token: Option<String>,
}

impl Client {
    /// A client of the board at `base` (e.g. `http://127.0.0.1:8080`).
    pub fn new(base: &str) -> Result<Self, ApiError> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(300))
            .build()
            .map_err(|e| ApiError::network(base.to_string(), &e))?;
        Ok(Client {
            base: base.trim_end_matches('/').to_string(),
            http,
            token: None,
        })
    }

    /// The same client, authenticating with `token`.
    pub fn with_token(mut self, token: &str) -> Self {
        self.token = Some(token.trim().to_string());
        self
    }

    /// The board's base URL.
    pub fn base(&self) -> &str {
        &self.base
    }

    fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    async fn send(
        &self,
        request: reqwest::RequestBuilder,
        url: &str,
    ) -> Result<reqwest::Response, ApiError> {
        let request = match &self.token {
            Some(t) => request.bearer_auth(t),
            None => request,
        };
        let response = request
            .send()
            .await
            .map_err(|e| ApiError::network(url.to_string(), &e))?;
        if response.status().is_success() {
            return Ok(response);
        }
        let status = response.status().as_u16();
        let text = response.text().await.unwrap_or_default();
        Err(match serde_json::from_str::<ErrorBody>(&text) {
            Ok(body) => ApiError::Board {
                status,
                code: body.error,
                message: body.message,
            },
            Err(_) => ApiError::Board {
                status,
                code: format!("http_{status}"),
                message: text.chars().take(200).collect(),
            },
        })
    }

    async fn bytes(&self, path: &str) -> Result<Vec<u8>, ApiError> {
        let url = self.url(path);
        let response = self.send(self.http.get(&url), &url).await?;
        let bytes = response
            .bytes()
            .await
            .map_err(|e| ApiError::network(url.clone(), &e))?;
        Ok(bytes.to_vec())
    }

    async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, ApiError> {
        let bytes = self.bytes(path).await?;
        serde_json::from_slice(&bytes).map_err(|e| ApiError::Malformed {
            what: format!("GET {path}"),
            why: e.to_string(),
        })
    }

    async fn post<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, ApiError> {
        let url = self.url(path);
        let response = self.send(self.http.post(&url).json(body), &url).await?;
        let bytes = response
            .bytes()
            .await
            .map_err(|e| ApiError::network(url.clone(), &e))?;
        serde_json::from_slice(&bytes).map_err(|e| ApiError::Malformed {
            what: format!("POST {path}"),
            why: e.to_string(),
        })
    }

    /// `GET /api/election`.
    pub async fn election(&self) -> Result<ElectionStatus, ApiError> {
        self.get("/api/election").await
    }

    /// `GET /api/election/evidence`: the manifest and `open` entries with inclusion proofs
    /// under a signed checkpoint, for `psephos_record::evidence::check_election`.
    pub async fn election_evidence(
        &self,
    ) -> Result<psephos_record::evidence::ElectionEvidence, ApiError> {
        self.get("/api/election/evidence").await
    }

    /// `GET /api/manifest`, checked against the base hash the board announces.
    pub async fn manifest(&self, base_hash: &Hash) -> Result<Manifest, ApiError> {
        let bytes = self.bytes("/api/manifest").await?;
        if &psephos_record::hash::base_hash(&bytes) != base_hash {
            return Err(ApiError::Malformed {
                what: "GET /api/manifest".into(),
                why: "the manifest does not hash to the election's base hash".into(),
            });
        }
        serde_json::from_slice(&bytes).map_err(|e| ApiError::Malformed {
            what: "GET /api/manifest".into(),
            why: e.to_string(),
        })
    }

    /// `GET /api/log?from=N&limit=M`.
    pub async fn log(&self, from: u64, limit: u64) -> Result<Vec<LogLine>, ApiError> {
        let page: LogPage = self
            .get(&format!("/api/log?from={from}&limit={limit}"))
            .await?;
        Ok(page.entries)
    }

    /// The whole log from `from` on, page by page.
    pub async fn log_all(&self, from: u64) -> Result<Vec<LogLine>, ApiError> {
        let mut out = Vec::new();
        let mut next = from;
        loop {
            let page = self.log(next, 1000).await?;
            if page.is_empty() {
                return Ok(out);
            }
            for line in page {
                if line.seq != next {
                    return Err(ApiError::Malformed {
                        what: "GET /api/log".into(),
                        why: format!("expected entry {next}, got {}", line.seq),
                    });
                }
                next += 1;
                out.push(line);
            }
        }
    }

    /// `POST /api/ballots`.
    pub async fn post_ballot(&self, ballot: &Ballot) -> Result<Receipt, ApiError> {
        self.post("/api/ballots", ballot).await
    }

    /// `POST /api/challenges`.
    pub async fn post_challenge(
        &self,
        challenged: &ChallengedBallot,
    ) -> Result<ChallengeAnswer, ApiError> {
        self.post("/api/challenges", challenged).await
    }

    /// `GET /api/ballots/{tracking_code}`.
    pub async fn ballot_status(&self, tracking_code: &str) -> Result<BallotStatus, ApiError> {
        self.get(&format!("/api/ballots/{tracking_code}")).await
    }

    /// `POST /api/trustee/{what}` (key, commitments, shares, complaint, acceptance,
    /// decryption); returns the entry's seq.
    pub async fn post_trustee<B: Serialize>(&self, what: &str, body: &B) -> Result<u64, ApiError> {
        let answer: SeqAnswer = self.post(&format!("/api/trustee/{what}"), body).await?;
        Ok(answer.seq)
    }

    /// `POST /api/admin/roll`.
    pub async fn post_roll(&self, credentials: &[HexKey]) -> Result<serde_json::Value, ApiError> {
        self.post(
            "/api/admin/roll",
            &serde_json::json!({ "credentials": credentials }),
        )
        .await
    }

    /// `POST /api/admin/{open|close|result}`.
    pub async fn admin(&self, what: &str) -> Result<serde_json::Value, ApiError> {
        self.post(&format!("/api/admin/{what}"), &serde_json::json!({}))
            .await
    }

    /// `GET /api/checkpoints/latest`.
    pub async fn latest_checkpoint(&self) -> Result<psephos_record::Checkpoint, ApiError> {
        self.get("/api/checkpoints/latest").await
    }

    /// `GET /api/result`.
    pub async fn result(&self) -> Result<ResultEntry, ApiError> {
        self.get("/api/result").await
    }

    /// Streams `GET /api/record/{file}` into `path` (the log may be large).
    pub async fn download_record_file(&self, file: &str, path: &Path) -> Result<u64, ApiError> {
        let url = self.url(&format!("/api/record/{file}"));
        let mut response = self.send(self.http.get(&url), &url).await?;
        let io = |source| ApiError::Io {
            path: path.display().to_string(),
            source,
        };
        let mut out = tokio::fs::File::create(path).await.map_err(io)?;
        let mut written = 0u64;
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| ApiError::network(url.clone(), &e))?
        {
            out.write_all(&chunk).await.map_err(io)?;
            written += chunk.len() as u64;
        }
        out.flush().await.map_err(io)?;
        out.sync_all().await.map_err(io)?;
        Ok(written)
    }
}

/// Follows the log, keeping every entry read so far, for steps that wait for others.
#[derive(Debug, Default)]
pub struct LogFollower {
    /// Every entry so far, in order.
    pub entries: Vec<Entry>,
    prev: Hash,
}

impl LogFollower {
    /// A follower from entry 0.
    pub fn new() -> Self {
        LogFollower::default()
    }

    /// Reads whatever was appended since the last call, checking the hash chain.
    pub async fn refresh(&mut self, client: &Client) -> Result<usize, ApiError> {
        let lines = client.log_all(self.entries.len() as u64).await?;
        let added = lines.len();
        for line in lines {
            let bad = |why: String| ApiError::Malformed {
                what: "GET /api/log".into(),
                why,
            };
            if line.prev != self.prev && !(line.seq == 0 && line.prev == [0u8; 32]) {
                return Err(bad(format!(
                    "entry {} does not chain to entry {}",
                    line.seq,
                    line.seq.wrapping_sub(1)
                )));
            }
            let entry = line
                .checked_entry()
                .map_err(|e| bad(format!("entry {}: {e}", line.seq)))?;
            self.prev = line.hash;
            self.entries.push(entry);
        }
        Ok(added)
    }
}
