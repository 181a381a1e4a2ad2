//! The board: initialisation, opening (replay and checks of the whole log), the commit hook
//! that keeps the state and checkpoints current, and the HTTP handlers.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Path as UrlPath, Query, State as AxState};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::from_fn_with_state;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use ed25519_dalek::SigningKey;
use psephos_crypto::dkg::{self, CoefficientCommitments, Complaint, TrusteePublicKey};
use psephos_crypto::dlog::DiscreteLog;
use psephos_crypto::elgamal::CiphertextSum;
use psephos_crypto::group::{predecoded, Element};
use psephos_crypto::threshold::{self, DecryptionShare};
use psephos_record::ballot::tracking_code_of;
use psephos_record::entry::{
    entry_bytes, format_line, AcceptanceEntry, CloseEntry, DecryptionEntry, HexKey, OpenEntry,
    OptionResult, QuestionResult, ResultEntry, SharesEntry, TallyEntry, Turnout,
};
use psephos_record::hash::{self, Hash, GENESIS_PREV};
use psephos_record::merkle::{leaf_hash, RootAccumulator};
use psephos_record::record::RollLine;
use psephos_record::{
    Ballot, ChallengedBallot, Checkpoint, Entry, Manifest, Phase, Receipt, ReceiptKind,
    RevotePolicy,
};
use rand_core::{OsRng, RngCore};
use serde::{Deserialize, Serialize};
use tokio::sync::watch;
use zeroize::Zeroizing;

use crate::error::{ApiError, BoardError};
use crate::http::auth;
use crate::http::limits::refuse_oversized;
use crate::ratelimit::{CredentialLimiter, RateLimiter};
use crate::sealed::{self, Sealed, UnsealError};
use crate::state::{BallotRecord, Opened, State};
use crate::store::{Store, StoredCheckpoint, StoredEntry};
use crate::verify::{map_ballot_error, BallotJob, BallotVerifier};
use crate::writer::{Checkpointer, LogWriter};

mod evidence;

/// Meta key of the board's Ed25519 signing key (32-byte seed) as stored before it was
/// sealed: read only to seal it (and then deleted).
const META_SIGNING_KEY: &str = "board_signing_key";
/// Meta key of the board's Ed25519 signing key sealed under the operator's passphrase (the
/// JSON of a [`Sealed`]). Never logged or served.
const META_SEALED_SIGNING_KEY: &str = "board_signing_key_sealed";
/// The environment variable the board programs read the passphrase of the board's signing
/// key from.
pub const BOARD_PASSPHRASE_ENV: &str = "PSEPHOS_BOARD_PASSPHRASE";
/// The shortest passphrase accepted for the board's signing key.
pub const MIN_PASSPHRASE_LEN: usize = 8;
/// Meta key of BLAKE3(admin token).
const META_ADMIN_TOKEN: &str = "admin_token_blake3";
/// Meta key prefix of BLAKE3(trustee token), followed by the trustee index.
const META_TRUSTEE_TOKEN: &str = "trustee_token_blake3/";

/// Largest ballot or challenge body.
pub const MAX_BALLOT_BODY: usize = 64 * 1024;
/// Largest trustee message body.
pub const MAX_TRUSTEE_BODY: usize = 4 * 1024 * 1024;
/// Largest admin body: a roll upload of 1,000 credentials is 70 KB; larger rolls are
/// posted in several requests (`psephos admin roll` does), so that no request makes the
/// board buffer more than this.
pub const MAX_ADMIN_BODY: usize = 4 * 1024 * 1024;
/// Most entries per `/api/log` page.
pub const MAX_LOG_PAGE: u64 = 1000;
/// Most credentials or tracking codes per page.
pub const MAX_LIST_PAGE: u64 = 10_000;

/// How to run a board.
#[derive(Clone, Debug)]
pub struct BoardConfig {
    /// Data directory (SQLite) or `postgres://` URL.
    pub location: String,
    /// Static files served at `/`; `None` means the workspace's `psephos-web/www` if present.
    pub web_dir: Option<PathBuf>,
    /// Most entries per group commit.
    pub max_batch: usize,
    /// The passphrase the board's signing key is sealed under in the store.
    pub passphrase: Zeroizing<String>,
    /// Proxies, timeouts and connection limits.
    pub http: crate::http::HttpConfig,
}

impl BoardConfig {
    /// A config with defaults for everything but the location and the passphrase.
    pub fn new(location: impl Into<String>, passphrase: &str) -> Self {
        BoardConfig {
            location: location.into(),
            web_dir: None,
            max_batch: 256,
            passphrase: Zeroizing::new(passphrase.to_string()),
            http: crate::http::HttpConfig::default(),
        }
    }
}

/// What `init_election` hands the administrator, once.
#[derive(Clone, Debug)]
pub struct InitOutput {
    /// The admin token, hex.
    pub admin_token: String,
    /// Trustee `i`'s token at index `i − 1`, hex.
    pub trustee_tokens: Vec<String>,
    /// H_B.
    pub base_hash: [u8; 32],
    /// The board's public key.
    pub board_key: [u8; 32],
}

fn new_token() -> (String, Hash) {
    let mut raw = Zeroizing::new([0u8; 32]);
    OsRng.fill_bytes(&mut raw[..]);
    (hex::encode(&raw[..]), *blake3::hash(&raw[..]).as_bytes())
}

fn check_passphrase(passphrase: &str) -> Result<(), BoardError> {
    if passphrase.chars().count() < MIN_PASSPHRASE_LEN {
        return Err(BoardError::Passphrase(format!(
            "the passphrase of the board's signing key needs at least {MIN_PASSPHRASE_LEN} \
             characters (set {BOARD_PASSPHRASE_ENV})"
        )));
    }
    Ok(())
}

/// What the sealed signing key is bound to: its purpose and its public key.
fn signing_key_aad(public: &[u8; 32]) -> Vec<u8> {
    let mut aad = b"psephos board signing key v1 ".to_vec();
    aad.extend_from_slice(public);
    aad
}

fn seal_signing_key(key: &SigningKey, passphrase: &str) -> Result<Vec<u8>, BoardError> {
    let seed = Zeroizing::new(key.to_bytes());
    let sealed = sealed::seal(
        passphrase,
        &seed[..],
        &signing_key_aad(&key.verifying_key().to_bytes()),
    )
    .map_err(BoardError::Internal)?;
    serde_json::to_vec(&sealed).map_err(|e| BoardError::Internal(e.to_string()))
}

/// The board's signing key, unsealed with `passphrase`. A key stored unsealed (by an older
/// psephos) is sealed now and its clear copy deleted.
async fn load_signing_key(
    store: &Store,
    board_key: &[u8; 32],
    passphrase: &str,
) -> Result<SigningKey, BoardError> {
    let aad = signing_key_aad(board_key);
    let key = match store.get_meta(META_SEALED_SIGNING_KEY).await? {
        Some(bytes) => {
            let sealed: Sealed = serde_json::from_slice(&bytes)
                .map_err(|_| BoardError::Secret(META_SEALED_SIGNING_KEY.into()))?;
            let seed = sealed::unseal(&sealed, passphrase, &aad).map_err(|e| match e {
                UnsealError::Decrypt => BoardError::Passphrase(format!(
                    "cannot unseal the board's signing key: wrong passphrase \
                     ({BOARD_PASSPHRASE_ENV}) or damaged store"
                )),
                UnsealError::Format(_) => BoardError::Secret(META_SEALED_SIGNING_KEY.into()),
            })?;
            let seed = <[u8; 32]>::try_from(&seed[..])
                .map(Zeroizing::new)
                .map_err(|_| BoardError::Secret(META_SEALED_SIGNING_KEY.into()))?;
            SigningKey::from_bytes(&seed)
        }
        None => {
            let seed = store
                .get_meta(META_SIGNING_KEY)
                .await?
                .and_then(|v| <[u8; 32]>::try_from(v.as_slice()).ok())
                .map(Zeroizing::new)
                .ok_or_else(|| BoardError::Secret(META_SEALED_SIGNING_KEY.into()))?;
            let key = SigningKey::from_bytes(&seed);
            check_passphrase(passphrase)?;
            store
                .put_meta(
                    META_SEALED_SIGNING_KEY,
                    &seal_signing_key(&key, passphrase)?,
                )
                .await?;
            store.delete_meta(META_SIGNING_KEY).await?;
            tracing::info!("the board's signing key was stored unsealed; it is sealed now");
            key
        }
    };
    if key.verifying_key().to_bytes() != *board_key {
        return Err(BoardError::Secret(format!(
            "{META_SEALED_SIGNING_KEY} (does not match the manifest's board key)"
        )));
    }
    Ok(key)
}

/// Creates a new election in an empty store: generates the board's Ed25519 key (kept in the
/// store's meta table sealed under `passphrase`, see [`crate::sealed`]; never logged), fills `manifest.board_key`, validates the manifest,
/// appends it as entry 0, creates the admin token and one token per trustee (random 32 bytes,
/// shown once as hex; only their BLAKE3 hashes are stored). Fails if the store already holds
/// an election.
///
/// Entry 0's body is `{"manifest":M}` where `M = serde_json::to_vec(&manifest)`, and
/// H_B = `hash::base_hash(M)`: the manifest's exact bytes inside entry 0, which are also
/// `manifest.json` of the record.
pub async fn init_election(
    location: &str,
    mut manifest: Manifest,
    passphrase: &str,
) -> Result<InitOutput, BoardError> {
    check_passphrase(passphrase)?;
    // Not while a board serves this store (released when this function returns).
    let _lock = crate::lock::StoreLock::acquire(location).await?;
    let store = Store::open(location).await?;
    let entries = store.len().await?;
    if entries != 0 {
        store.close().await;
        return Err(BoardError::AlreadyInitialized { entries });
    }
    let key = SigningKey::generate(&mut OsRng);
    manifest.board_key = key.verifying_key().to_bytes();
    // Also refuses opens_at/closes_at not of the form YYYY-MM-DDTHH:MM:SSZ.
    manifest.validate()?;
    let manifest_bytes =
        serde_json::to_vec(&manifest).map_err(|e| BoardError::Internal(e.to_string()))?;
    let body = entry_bytes(&Entry::Manifest(manifest.clone()));
    let mut expected = b"{\"manifest\":".to_vec();
    expected.extend_from_slice(&manifest_bytes);
    expected.push(b'}');
    if body != expected {
        return Err(BoardError::Internal(
            "entry 0 does not embed the manifest bytes".into(),
        ));
    }
    let base = hash::base_hash(&manifest_bytes);

    let sealed = seal_signing_key(&key, passphrase)?;
    store.put_meta(META_SEALED_SIGNING_KEY, &sealed).await?;
    let (admin_token, admin_hash) = new_token();
    store.put_meta(META_ADMIN_TOKEN, &admin_hash).await?;
    let mut trustee_tokens = Vec::with_capacity(manifest.trustees as usize);
    for i in 1..=manifest.trustees {
        let (token, h) = new_token();
        store
            .put_meta(&format!("{META_TRUSTEE_TOKEN}{i}"), &h)
            .await?;
        trustee_tokens.push(token);
    }
    // Entry 0 last: it is what makes the store hold an election.
    let entry_hash = hash::entry_hash(0, &GENESIS_PREV, &body);
    store
        .append(&[StoredEntry {
            seq: 0,
            entry_hash,
            body,
        }])
        .await?;
    let root = psephos_record::merkle::MerkleTree::from_leaf_hashes([leaf_hash(&entry_hash)])
        .root(1)
        .map_err(|e| BoardError::Internal(e.to_string()))?;
    let cp = Checkpoint::sign(&key, &base, 1, root, entry_hash, None);
    store
        .append_checkpoint(&StoredCheckpoint {
            tree_size: 1,
            body: serde_json::to_vec(&cp).map_err(|e| BoardError::Internal(e.to_string()))?,
        })
        .await?;
    store.close().await;
    tracing::info!(election = %manifest.election_id, "election initialised");
    Ok(InitOutput {
        admin_token,
        trustee_tokens,
        base_hash: base,
        board_key: manifest.board_key,
    })
}

/// Ballot ids and credentials being processed, not yet committed.
#[derive(Default)]
struct Pending {
    ids: HashSet<[u8; 16]>,
    credentials: HashSet<[u8; 32]>,
}

struct Inner {
    store: Store,
    writer: LogWriter,
    state: Arc<RwLock<State>>,
    key: SigningKey,
    admin_token: Hash,
    trustee_tokens: Vec<Hash>,
    /// Ballots and challenges hold it shared across their append; entries that change the
    /// phase (and every trustee and admin message) hold it exclusively, so nothing is
    /// appended out of phase.
    gate: tokio::sync::RwLock<()>,
    pending: Mutex<Pending>,
    /// Size of the log covered by the latest stored checkpoint.
    checkpointed: watch::Receiver<u64>,
    web_dir: Option<PathBuf>,
    limiter: Option<RateLimiter>,
    http: crate::http::HttpConfig,
    /// Challenges per client address (they carry no credential to limit by).
    challenge_limiter: Option<RateLimiter>,
    /// Verifies ballots in batches across requests (and applies the per-credential limit).
    verifier: BallotVerifier,
    /// The store's exclusive lock, held while this board exists (see [`crate::lock`]).
    _lock: crate::lock::StoreLock,
}

/// A running board. Cheap to clone.
#[derive(Clone)]
pub struct Board {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Board {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Board").finish_non_exhaustive()
    }
}

fn read_lock(lock: &RwLock<State>) -> RwLockReadGuard<'_, State> {
    lock.read().unwrap_or_else(|p| p.into_inner())
}

fn write_lock(lock: &RwLock<State>) -> RwLockWriteGuard<'_, State> {
    lock.write().unwrap_or_else(|p| p.into_inner())
}

fn default_web_dir() -> Option<PathBuf> {
    let dir = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../psephos-web/www"));
    dir.is_dir().then(|| dir.to_path_buf())
}

/// The web bundle hash (docs/spec.md §7.2) of every file under `dir`, the directory the board
/// serves; `None` when `dir` does not exist.
pub fn web_bundle_hash(dir: &Path) -> std::io::Result<Option<Hash>> {
    if !dir.is_dir() {
        return Ok(None);
    }
    Ok(Some(hash::web_bundle_hash(&hash::web_bundle_files(dir)?)))
}

async fn load_hash(store: &Store, key: &str) -> Result<Hash, BoardError> {
    store
        .get_meta(key)
        .await?
        .and_then(|v| <[u8; 32]>::try_from(v.as_slice()).ok())
        .ok_or_else(|| BoardError::Secret(key.to_string()))
}

/// Replays the stored log: hash chain, parsing, phase order, state.
async fn replay(store: &Store) -> Result<State, BoardError> {
    let mut state: Option<State> = None;
    let mut prev = GENESIS_PREV;
    let mut from = 0u64;
    loop {
        let page = store.read_range(from, 1000).await?;
        if page.is_empty() {
            break;
        }
        for e in page {
            let corrupt = |why: String| BoardError::CorruptEntry { seq: e.seq, why };
            if e.seq != from {
                return Err(corrupt(format!("expected seq {from}")));
            }
            let computed = hash::entry_hash(e.seq, &prev, &e.body);
            if computed != e.entry_hash {
                return Err(corrupt(
                    "the stored hash does not match the entry's content and the previous hash \
                     (hash chain broken: the entry or an earlier one was altered)"
                        .into(),
                ));
            }
            match state.as_mut() {
                None => {
                    state =
                        Some(State::from_manifest_entry(e.entry_hash, &e.body).map_err(corrupt)?)
                }
                Some(st) => {
                    let entry: Entry = serde_json::from_slice(&e.body)
                        .map_err(|err| corrupt(format!("does not parse: {err}")))?;
                    st.apply(e.seq, e.entry_hash, &e.body, entry)
                        .map_err(corrupt)?;
                }
            }
            prev = e.entry_hash;
            from += 1;
        }
    }
    state.ok_or(BoardError::NotInitialized)
}

/// Loads and checks the stored checkpoints against the replayed log.
async fn load_checkpoints(
    store: &Store,
    st: &mut State,
    board_key: &[u8; 32],
) -> Result<(), BoardError> {
    for (index, stored) in store.checkpoints().await?.into_iter().enumerate() {
        let bad = |why: String| BoardError::CorruptCheckpoint {
            index,
            tree_size: stored.tree_size,
            why,
        };
        let cp: Checkpoint = serde_json::from_slice(&stored.body)
            .map_err(|e| bad(format!("does not parse: {e}")))?;
        if cp.tree_size != stored.tree_size || cp.tree_size == 0 {
            return Err(bad("tree size differs from the stored one".into()));
        }
        cp.verify(board_key, &st.base_hash)
            .map_err(|e| bad(e.to_string()))?;
        let root = st
            .tree
            .root(cp.tree_size)
            .map_err(|_| bad("covers entries that are not in the log (truncated log?)".into()))?;
        if root != cp.root {
            return Err(bad("its Merkle root differs from the log's".into()));
        }
        if st.entry_hashes.get(cp.tree_size as usize - 1) != Some(&cp.last_hash) {
            return Err(bad("its last hash differs from the log's".into()));
        }
        if !cp.follows(st.checkpoints.last(), &st.base_hash) {
            return Err(bad(
                "does not follow the previous checkpoint (out of order or one is missing)".into(),
            ));
        }
        st.checkpoints.push(cp);
    }
    Ok(())
}

/// Signs the checkpoint of each batch of the log writer, stored in the batch's transaction
/// (RFC 9162 §2.1.1 roots over the entry hashes, chained by `prev`, docs/spec.md §6); once
/// the batch is committed, adds it to the state and publishes the size it covers, which
/// releases the receipts of the batch's ballots.
struct BoardCheckpointer {
    key: SigningKey,
    base: Hash,
    /// The Merkle frontier of the committed log.
    acc: RootAccumulator,
    last: Option<Checkpoint>,
    prepared: Option<(RootAccumulator, Checkpoint)>,
    state: Arc<RwLock<State>>,
    covered: watch::Sender<u64>,
}

impl Checkpointer for BoardCheckpointer {
    fn prepare(&mut self, entries: &[StoredEntry]) -> Option<StoredCheckpoint> {
        let last_hash = entries.last()?.entry_hash;
        let mut acc = self.acc.clone();
        for e in entries {
            acc.append(leaf_hash(&e.entry_hash));
        }
        let cp = Checkpoint::sign(
            &self.key,
            &self.base,
            acc.size(),
            acc.root(),
            last_hash,
            self.last.as_ref(),
        );
        let body = match serde_json::to_vec(&cp) {
            Ok(b) => b,
            Err(e) => {
                tracing::error!(error = %e, "cannot serialise a checkpoint");
                return None;
            }
        };
        let stored = StoredCheckpoint {
            tree_size: acc.size(),
            body,
        };
        self.prepared = Some((acc, cp));
        Some(stored)
    }

    fn finish(&mut self, committed: bool) {
        let Some((acc, cp)) = self.prepared.take() else {
            return;
        };
        if !committed {
            return;
        }
        let size = acc.size();
        self.acc = acc;
        self.last = Some(cp.clone());
        write_lock(&self.state).checkpoints.push(cp);
        let _ = self.covered.send(size);
    }
}

impl Board {
    /// Opens the board: replays and checks the whole log (hash chain, every entry parses,
    /// phase order, Merkle tree, checkpoints) and refuses to start on a corrupted or
    /// truncated store, saying which entry is wrong and why.
    pub async fn open(config: BoardConfig) -> Result<Board, BoardError> {
        // One board per store: a second one is refused here, before it touches the log.
        let lock = crate::lock::StoreLock::acquire(&config.location).await?;
        let store = Store::open(&config.location).await?;
        if store.is_empty().await? {
            store.close().await;
            return Err(BoardError::NotInitialized);
        }
        let admin_token = load_hash(&store, META_ADMIN_TOKEN).await?;

        let mut st = replay(&store).await?;
        let key = load_signing_key(&store, &st.manifest.board_key, &config.passphrase).await?;
        let mut trustee_tokens = Vec::new();
        for i in 1..=st.manifest.trustees {
            trustee_tokens.push(load_hash(&store, &format!("{META_TRUSTEE_TOKEN}{i}")).await?);
        }
        let board_key = st.manifest.board_key;
        load_checkpoints(&store, &mut st, &board_key).await?;

        let size = st.log_size();
        let last = st.last_hash();
        if st.checkpoints.last().map(|c| c.tree_size) != Some(size) {
            let root = st
                .tree
                .root(size)
                .map_err(|e| BoardError::Internal(e.to_string()))?;
            let cp = Checkpoint::sign(&key, &st.base_hash, size, root, last, st.checkpoints.last());
            store
                .append_checkpoint(&StoredCheckpoint {
                    tree_size: size,
                    body: serde_json::to_vec(&cp)
                        .map_err(|e| BoardError::Internal(e.to_string()))?,
                })
                .await?;
            st.checkpoints.push(cp);
        }
        tracing::info!(
            entries = size,
            phase = ?st.phase,
            election = %st.manifest.election_id,
            "board log replayed"
        );

        let mut acc = RootAccumulator::new();
        for i in 0..size {
            if let Some(leaf) = st.tree.leaf(i) {
                acc.append(leaf);
            }
        }
        if st.tree.root(size).ok() != Some(acc.root()) {
            return Err(BoardError::Internal(
                "the Merkle frontier disagrees with the replayed tree".into(),
            ));
        }
        let checkpoints_tail = st.checkpoints.last().cloned();
        let base = st.base_hash;
        let state = Arc::new(RwLock::new(st));
        let (covered_tx, covered_rx) = watch::channel(size);
        let hook_state = state.clone();
        let writer = LogWriter::spawn_with_checkpoints(
            store.clone(),
            size,
            last,
            hash::entry_hash,
            config.max_batch,
            Box::new(move |batch: &[StoredEntry]| {
                let mut st = write_lock(&hook_state);
                for e in batch {
                    if let Err(why) = st.apply_committed(e.seq, e.entry_hash, &e.body) {
                        // Cannot happen: every entry was checked before it was appended.
                        tracing::error!(seq = e.seq, why = %why, "committed entry not applicable");
                    }
                }
            }),
            Box::new(BoardCheckpointer {
                key: key.clone(),
                base,
                acc,
                last: checkpoints_tail,
                prepared: None,
                state: state.clone(),
                covered: covered_tx,
            }),
        );
        Ok(Board {
            inner: Arc::new(Inner {
                store,
                writer,
                state,
                key,
                admin_token,
                trustee_tokens,
                gate: tokio::sync::RwLock::new(()),
                pending: Mutex::new(Pending::default()),
                checkpointed: covered_rx,
                web_dir: config.web_dir.or_else(default_web_dir),
                limiter: RateLimiter::from_env(),
                http: config.http,
                challenge_limiter: crate::challenge_limit::from_env(),
                verifier: BallotVerifier::start(CredentialLimiter::from_env()),
                _lock: lock,
            }),
        })
    }

    fn state(&self) -> RwLockReadGuard<'_, State> {
        read_lock(&self.inner.state)
    }

    /// The current phase.
    pub fn phase(&self) -> Phase {
        self.state().phase
    }

    /// The HTTP API and static files.
    pub fn router(&self) -> Router {
        let ballots = Router::new()
            .route("/api/ballots", post(post_ballot))
            .route("/api/challenges", post(post_challenge))
            .layer(DefaultBodyLimit::max(MAX_BALLOT_BODY))
            .route_layer(from_fn_with_state(MAX_BALLOT_BODY, refuse_oversized));
        let trustee = Router::new()
            .route("/api/trustee/key", post(trustee_key))
            .route("/api/trustee/commitments", post(trustee_commitments))
            .route("/api/trustee/shares", post(trustee_shares))
            .route("/api/trustee/complaint", post(trustee_complaint))
            .route("/api/trustee/acceptance", post(trustee_acceptance))
            .route("/api/trustee/decryption", post(trustee_decryption))
            .layer(DefaultBodyLimit::max(MAX_TRUSTEE_BODY))
            .route_layer(from_fn_with_state(MAX_TRUSTEE_BODY, refuse_oversized))
            // The token before anything else, the body included.
            .route_layer(from_fn_with_state(self.clone(), auth::trustee_only));
        let admin = Router::new()
            .route("/api/admin/roll", post(admin_roll))
            .route("/api/admin/open", post(admin_open))
            .route("/api/admin/close", post(admin_close))
            .route("/api/admin/result", post(admin_result))
            .layer(DefaultBodyLimit::max(MAX_ADMIN_BODY))
            .route_layer(from_fn_with_state(MAX_ADMIN_BODY, refuse_oversized))
            .route_layer(from_fn_with_state(self.clone(), auth::admin_only));
        let public = Router::new()
            .route("/api/election", get(get_election))
            .route("/api/election/evidence", get(evidence::get_evidence))
            .route("/api/manifest", get(get_manifest))
            .route("/api/log", get(get_log))
            .route("/api/roll", get(get_roll))
            .route("/api/checkpoints/latest", get(get_latest_checkpoint))
            .route("/api/checkpoints", get(get_checkpoints))
            .route("/api/proofs/inclusion", get(get_inclusion))
            .route("/api/proofs/consistency", get(get_consistency))
            .route("/api/ballots/:tracking_code", get(get_ballot_status))
            .route("/api/tracking-codes", get(get_tracking_codes))
            .route("/api/result", get(get_result))
            .route("/api/record/:file", get(get_record_file));
        let mut router = Router::new()
            .merge(ballots)
            .merge(trustee)
            .merge(admin)
            .merge(public);
        if let Some(dir) = &self.inner.web_dir {
            use tower_http::services::{ServeDir, ServeFile};
            let mut static_files = Router::new();
            if dir.join("board.html").is_file() {
                static_files =
                    static_files.route_service("/board", ServeFile::new(dir.join("board.html")));
            }
            if dir.join("results.html").is_file() {
                static_files = static_files
                    .route_service("/results", ServeFile::new(dir.join("results.html")));
            }
            router = router
                .merge(static_files)
                .fallback_service(ServeDir::new(dir));
        } else {
            router = router.fallback(|| async { ApiError::NotFound("no such resource".into()) });
        }
        crate::http::wrap(
            router.with_state(self.clone()),
            &self.inner.http,
            self.inner.limiter.clone(),
        )
    }
}

/// Serves until `shutdown` resolves (the CLI passes ctrl-c). Binds nothing itself.
pub async fn serve(
    board: Board,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), BoardError> {
    let app = board.router();
    if let Ok(addr) = listener.local_addr() {
        tracing::info!(%addr, "board listening");
    }
    crate::http::server::run(listener, app, &board.inner.http, shutdown).await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Helpers

type Body = Result<Bytes, BytesRejection>;

fn body_bytes(body: Body) -> Result<Bytes, ApiError> {
    body.map_err(|r| {
        if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::PayloadTooLarge
        } else {
            ApiError::Malformed(r.body_text())
        }
    })
}

fn parse<T: for<'de> Deserialize<'de>>(body: Body) -> Result<T, ApiError> {
    let bytes = body_bytes(body)?;
    // A ballot's points decoded in one batch, ahead of serde (see `predecoded::with`).
    predecoded::with(&predecoded::scan_json(&bytes), || {
        serde_json::from_slice(&bytes)
    })
    .map_err(|e| ApiError::Malformed(format!("invalid body: {e}")))
}

fn bearer(headers: &HeaderMap) -> Option<Hash> {
    crate::http::auth::bearer_hash(headers)
}

pub(crate) fn require_admin(board: &Board, headers: &HeaderMap) -> Result<(), ApiError> {
    match bearer(headers) {
        Some(h) if h == board.inner.admin_token => Ok(()),
        _ => Err(ApiError::Unauthorized),
    }
}

pub(crate) fn require_trustee(board: &Board, headers: &HeaderMap) -> Result<u32, ApiError> {
    let h = bearer(headers).ok_or(ApiError::Unauthorized)?;
    board
        .inner
        .trustee_tokens
        .iter()
        .position(|t| *t == h)
        .map(|i| i as u32 + 1)
        .ok_or(ApiError::Unauthorized)
}

fn check_sender(token_index: u32, message_index: u32) -> Result<(), ApiError> {
    if token_index == message_index {
        Ok(())
    } else {
        tracing::warn!(
            token_index,
            message_index,
            "trustee message for another index"
        );
        // The token is valid: telling its holder its own index helps it fix `--index`.
        Err(ApiError::WrongTrusteeIndex {
            token_index,
            message_index,
        })
    }
}

fn json_response(bytes: Vec<u8>, content_type: &'static str) -> Response {
    (
        [(header::CONTENT_TYPE, HeaderValue::from_static(content_type))],
        bytes,
    )
        .into_response()
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ApiError::Internal(format!("verification task failed: {e}")))
}

/// Runs CPU-bound work (parsing and verifying a ballot) on the rayon pool, one thread per
/// core, first come first served: off the async runtime, without the context switches of
/// dozens of blocking threads time-slicing two cores.
async fn cpu<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T, ApiError> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    rayon::spawn(move || {
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
        let _ = tx.send(r.ok());
    });
    rx.await
        .ok()
        .flatten()
        .ok_or_else(|| ApiError::Internal("verification task failed".into()))
}

/// Appends one entry through the writer; answers after the durable commit.
async fn append(board: &Board, entry: &Entry) -> Result<(u64, Hash), ApiError> {
    let body = entry_bytes(entry);
    board
        .inner
        .writer
        .append(body)
        .await
        .map_err(ApiError::from)
}

#[derive(Serialize)]
struct SeqAnswer {
    seq: u64,
}

/// The key ceremony's ordering rule for trustee `me` posting its `step` (ElectionGuard 2.1
/// §3.2: keys, then commitments, then shares, then acceptances): the election is in the
/// ceremony, `me` has not posted this step yet, and every trustee has posted the step before.
/// The key-ceremony rules of docs/spec.md §6.3 (the same function the verifier and the board's
/// replay use), as the API's errors.
fn ceremony_rules(st: &State, entry: &Entry) -> Result<(), ApiError> {
    use psephos_record::ceremony::CeremonyRuleError as E;
    phase_is(st, Phase::Ceremony, entry.kind())?;
    st.ceremony
        .check(entry, &st.base_hash)
        .map_err(|e| match e {
            E::AlreadyPosted { .. } | E::ComplaintRepeated { .. } => {
                ApiError::AlreadyPosted(e.to_string())
            }
            E::TooEarly { .. }
            | E::ComplaintBeforeShare { .. }
            | E::ComplaintAfterAcceptance { .. }
            | E::OpenIncomplete { .. }
            | E::OpenAfterComplaint { .. } => ApiError::WrongPhase(e.to_string()),
            E::SenderCheated(_) => ApiError::BadProof(e.to_string()),
            E::IndexOutOfRange { .. } | E::MalformedShares { .. } | E::ComplaintTarget { .. } => {
                ApiError::Malformed(e.to_string())
            }
        })
}

fn phase_is(st: &State, phase: Phase, what: &str) -> Result<(), ApiError> {
    if st.phase == phase {
        Ok(())
    } else {
        Err(ApiError::WrongPhase(format!(
            "{what} needs the election to be {phase:?}; it is {:?}",
            st.phase
        )))
    }
}

// ---------------------------------------------------------------------------------------------
// Public

/// The answer of `GET /api/election`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ElectionStatus {
    /// Lifecycle phase.
    pub phase: Phase,
    /// Manifest's election id.
    pub election_id: String,
    /// Manifest's title.
    pub title: String,
    /// H_B.
    #[serde(with = "psephos_record::hash::hex32")]
    pub base_hash: Hash,
    /// H_E, once open.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub election_hash: Option<HexKey>,
    /// K, once open.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub joint_key: Option<Element>,
    /// K₁ … Kₙ, once open.
    pub verification_keys: Vec<Element>,
    /// Credentials on the roll.
    pub roll_size: u64,
    /// Entries in the log.
    pub log_size: u64,
    /// Ballot entries.
    pub ballots_cast: u64,
    /// n.
    pub trustees: u32,
    /// t.
    pub threshold: u32,
    /// The board's Ed25519 key.
    #[serde(with = "psephos_record::hash::hex32")]
    pub board_key: Hash,
    /// The web bundle's hash, once open, if the board serves one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub web_bundle_hash: Option<HexKey>,
}

async fn get_election(AxState(board): AxState<Board>) -> Json<ElectionStatus> {
    let st = board.state();
    let opened = st.opened.as_ref();
    Json(ElectionStatus {
        phase: st.phase,
        election_id: st.manifest.election_id.clone(),
        title: st.manifest.title.clone(),
        base_hash: st.base_hash,
        election_hash: opened.map(|o| HexKey(o.election_hash)),
        joint_key: opened.map(|o| *o.key.element()),
        verification_keys: opened
            .map(|o| o.verification_keys.clone())
            .unwrap_or_default(),
        roll_size: st.roll.len() as u64,
        log_size: st.log_size(),
        ballots_cast: st.ballots_cast,
        trustees: st.manifest.trustees,
        threshold: st.manifest.threshold,
        board_key: st.manifest.board_key,
        web_bundle_hash: opened.and_then(|o| o.web_bundle_hash).map(HexKey),
    })
}

async fn get_manifest(AxState(board): AxState<Board>) -> Response {
    let bytes = board.state().manifest_bytes.as_ref().clone();
    json_response(bytes, "application/json")
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Page {
    from: Option<u64>,
    limit: Option<u64>,
}

fn page(
    q: Result<Query<Page>, axum::extract::rejection::QueryRejection>,
) -> Result<Page, ApiError> {
    let p = q
        .map(|Query(p)| p)
        .map_err(|e| ApiError::Malformed(format!("bad query: {e}")))?;
    // Positions are stored as signed 64-bit integers.
    for (name, value) in [("from", p.from), ("limit", p.limit)] {
        if value.is_some_and(|v| v > i64::MAX as u64) {
            return Err(ApiError::Malformed(format!(
                "bad query: {name} must be at most {}",
                i64::MAX
            )));
        }
    }
    Ok(p)
}

async fn get_log(
    AxState(board): AxState<Board>,
    q: Result<Query<Page>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let p = page(q)?;
    let from = p.from.unwrap_or(0);
    let limit = p.limit.unwrap_or(100).min(MAX_LOG_PAGE);
    let entries = board.inner.store.read_range(from, limit).await?;
    let mut out = String::from("{\"entries\":[");
    let mut prev = if from == 0 {
        GENESIS_PREV
    } else {
        let st = board.state();
        st.entry_hashes
            .get(from as usize - 1)
            .copied()
            .unwrap_or_default()
    };
    for (i, e) in entries.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&format_line(e.seq, &prev, &e.entry_hash, &e.body));
        prev = e.entry_hash;
    }
    out.push_str("]}");
    Ok(json_response(out.into_bytes(), "application/json"))
}

#[derive(Serialize)]
struct RollPage {
    credentials: Vec<HexKey>,
    total: u64,
}

async fn get_roll(
    AxState(board): AxState<Board>,
    q: Result<Query<Page>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<RollPage>, ApiError> {
    let p = page(q)?;
    let st = board.state();
    let from = (p.from.unwrap_or(0) as usize).min(st.roll.len());
    let limit = p.limit.unwrap_or(1000).min(MAX_LIST_PAGE) as usize;
    let end = from.saturating_add(limit).min(st.roll.len());
    Ok(Json(RollPage {
        credentials: st.roll[from..end].iter().map(|c| HexKey(*c)).collect(),
        total: st.roll.len() as u64,
    }))
}

async fn get_latest_checkpoint(
    AxState(board): AxState<Board>,
) -> Result<Json<Checkpoint>, ApiError> {
    board
        .state()
        .checkpoints
        .last()
        .cloned()
        .map(Json)
        .ok_or_else(|| ApiError::NotFound("no checkpoint yet".into()))
}

async fn get_checkpoints(AxState(board): AxState<Board>) -> Json<Vec<Checkpoint>> {
    Json(board.state().checkpoints.clone())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InclusionQuery {
    seq: u64,
    tree_size: Option<u64>,
}

#[derive(Serialize)]
struct InclusionAnswer {
    seq: u64,
    tree_size: u64,
    entry_hash: HexKey,
    proof: Vec<HexKey>,
}

async fn get_inclusion(
    AxState(board): AxState<Board>,
    q: Result<Query<InclusionQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<InclusionAnswer>, ApiError> {
    let Query(q) = q.map_err(|e| ApiError::Malformed(format!("bad query: {e}")))?;
    let st = board.state();
    let tree_size = q.tree_size.unwrap_or(st.log_size());
    let proof = st
        .tree
        .inclusion_proof(q.seq, tree_size)
        .map_err(|e| ApiError::Malformed(e.to_string()))?;
    let entry_hash = st.entry_hashes[q.seq as usize];
    Ok(Json(InclusionAnswer {
        seq: q.seq,
        tree_size,
        entry_hash: HexKey(entry_hash),
        proof: proof.into_iter().map(HexKey).collect(),
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConsistencyQuery {
    from: u64,
    to: u64,
}

#[derive(Serialize)]
struct ConsistencyAnswer {
    from: u64,
    to: u64,
    proof: Vec<HexKey>,
}

async fn get_consistency(
    AxState(board): AxState<Board>,
    q: Result<Query<ConsistencyQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<ConsistencyAnswer>, ApiError> {
    let Query(q) = q.map_err(|e| ApiError::Malformed(format!("bad query: {e}")))?;
    let proof = board
        .state()
        .tree
        .consistency_proof(q.from, q.to)
        .map_err(|e| ApiError::Malformed(e.to_string()))?;
    Ok(Json(ConsistencyAnswer {
        from: q.from,
        to: q.to,
        proof: proof.into_iter().map(HexKey).collect(),
    }))
}

/// One tracking code's status.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TrackingStatus {
    /// The code.
    pub tracking_code: String,
    /// Its entry.
    pub seq: u64,
    /// `counted`, `superseded` or `challenged`.
    pub status: String,
}

async fn get_ballot_status(
    AxState(board): AxState<Board>,
    UrlPath(code): UrlPath<String>,
) -> Result<Json<TrackingStatus>, ApiError> {
    let code = psephos_record::tracking::normalize_tracking_code(&code);
    let st = board.state();
    let t = st
        .tracking_index
        .get(&code)
        .and_then(|&i| st.tracking.get(i))
        .ok_or(ApiError::UnknownTrackingCode)?;
    Ok(Json(TrackingStatus {
        tracking_code: t.code.clone(),
        seq: t.seq,
        status: st.status_of(t).to_string(),
    }))
}

#[derive(Serialize)]
struct TrackingPage {
    codes: Vec<TrackingStatus>,
    total: u64,
}

async fn get_tracking_codes(
    AxState(board): AxState<Board>,
    q: Result<Query<Page>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<TrackingPage>, ApiError> {
    let p = page(q)?;
    let st = board.state();
    let from = (p.from.unwrap_or(0) as usize).min(st.tracking.len());
    let limit = p.limit.unwrap_or(1000).min(MAX_LIST_PAGE) as usize;
    let end = from.saturating_add(limit).min(st.tracking.len());
    Ok(Json(TrackingPage {
        codes: st.tracking[from..end]
            .iter()
            .map(|t| TrackingStatus {
                tracking_code: t.code.clone(),
                seq: t.seq,
                status: st.status_of(t).to_string(),
            })
            .collect(),
        total: st.tracking.len() as u64,
    }))
}

async fn get_result(AxState(board): AxState<Board>) -> Result<Json<ResultEntry>, ApiError> {
    board
        .state()
        .result
        .clone()
        .map(Json)
        .ok_or(ApiError::VotingInProgress)
}

async fn get_record_file(
    AxState(board): AxState<Board>,
    UrlPath(file): UrlPath<String>,
) -> Result<Response, ApiError> {
    use psephos_record::record as rec;
    let jsonl = "application/x-ndjson";
    match file.as_str() {
        rec::BOARD_FILE => {
            let mut out = Vec::new();
            let mut prev = GENESIS_PREV;
            let mut from = 0;
            loop {
                let page = board.inner.store.read_range(from, 1000).await?;
                if page.is_empty() {
                    break;
                }
                for e in &page {
                    out.extend_from_slice(format_line(e.seq, &prev, &e.entry_hash, &e.body).as_bytes());
                    out.push(b'\n');
                    prev = e.entry_hash;
                    from = e.seq + 1;
                }
            }
            Ok(json_response(out, jsonl))
        }
        rec::MANIFEST_FILE => Ok(json_response(
            board.state().manifest_bytes.as_ref().clone(),
            "application/json",
        )),
        rec::ROLL_FILE => {
            let st = board.state();
            let mut out = Vec::with_capacity(st.roll.len() * 84);
            for c in &st.roll {
                let line = serde_json::to_vec(&RollLine {
                    credential: HexKey(*c),
                })
                .map_err(|e| ApiError::Internal(e.to_string()))?;
                out.extend_from_slice(&line);
                out.push(b'\n');
            }
            Ok(json_response(out, jsonl))
        }
        rec::CHECKPOINTS_FILE => {
            let mut out = Vec::new();
            for cp in board.inner.store.checkpoints().await? {
                out.extend_from_slice(&cp.body);
                out.push(b'\n');
            }
            Ok(json_response(out, jsonl))
        }
        rec::RESULT_FILE => {
            let result = board.state().result.clone().ok_or(ApiError::VotingInProgress)?;
            let bytes =
                serde_json::to_vec(&result).map_err(|e| ApiError::Internal(e.to_string()))?;
            Ok(json_response(bytes, "application/json"))
        }
        other => Err(ApiError::NotFound(format!(
            "no record file {other:?} (board.jsonl, manifest.json, roll.jsonl, checkpoints.jsonl, result.json)"
        ))),
    }
}

// ---------------------------------------------------------------------------------------------
// Voter

/// Releases a ballot id (and credential) reservation when dropped.
struct Reservation<'a> {
    pending: &'a Mutex<Pending>,
    id: [u8; 16],
    credential: Option<[u8; 32]>,
}

impl Drop for Reservation<'_> {
    fn drop(&mut self) {
        let mut p = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        p.ids.remove(&self.id);
        if let Some(c) = &self.credential {
            p.credentials.remove(c);
        }
    }
}

enum Existing {
    /// Not seen: reserved for us.
    New,
    /// Already committed with identical content.
    Same(BallotRecord),
    /// Being processed by another request.
    Busy,
}

fn open_phase(st: &State) -> Result<(), ApiError> {
    match st.phase {
        Phase::Open if crate::time::has_passed(st.manifest.closes_at.as_deref()) => {
            Err(ApiError::ElectionClosed)
        }
        Phase::Open => Ok(()),
        Phase::Empty | Phase::Ceremony => Err(ApiError::ElectionNotOpen),
        Phase::Closed | Phase::Tallied | Phase::Finished => Err(ApiError::ElectionClosed),
    }
}

/// Checks a ballot id against the committed and pending ones; reserves it when new.
fn reserve<'a>(
    board: &'a Board,
    id: [u8; 16],
    credential: [u8; 32],
    digest: &Hash,
    reject_revote: bool,
) -> Result<(Existing, Option<Reservation<'a>>), ApiError> {
    let mut pending = board
        .inner
        .pending
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    let st = board.state();
    if let Some(rec) = st.ballots.get(&id) {
        return if rec.body_digest == *digest {
            Ok((Existing::Same(rec.clone()), None))
        } else {
            Err(ApiError::DuplicateBallot)
        };
    }
    if pending.ids.contains(&id) {
        return Ok((Existing::Busy, None));
    }
    if reject_revote {
        if st.latest.contains_key(&credential) || pending.credentials.contains(&credential) {
            return Err(ApiError::RevoteRejected);
        }
        pending.credentials.insert(credential);
    }
    pending.ids.insert(id);
    Ok((
        Existing::New,
        Some(Reservation {
            pending: &board.inner.pending,
            id,
            credential: reject_revote.then_some(credential),
        }),
    ))
}

/// Reserves `id`, waiting (briefly) for a concurrent identical request to finish.
async fn reserve_or_wait<'a>(
    board: &'a Board,
    id: [u8; 16],
    credential: [u8; 32],
    digest: &Hash,
    reject_revote: bool,
) -> Result<(Existing, Option<Reservation<'a>>), ApiError> {
    for _ in 0..500 {
        match reserve(board, id, credential, digest, reject_revote)? {
            (Existing::Busy, _) => tokio::time::sleep(Duration::from_millis(20)).await,
            other => return Ok(other),
        }
    }
    Err(ApiError::Unavailable(
        "this ballot id is being processed; retry".into(),
    ))
}

/// Waits until a stored checkpoint covers `seq`, then builds the (deterministic) receipt:
/// the first stored checkpoint covering the entry, and the inclusion proof in it.
async fn receipt_for(board: &Board, id: [u8; 16], rec: &BallotRecord) -> Result<Receipt, ApiError> {
    let mut covered = board.inner.checkpointed.clone();
    let wait = covered.wait_for(|&size| size > rec.seq);
    match tokio::time::timeout(Duration::from_secs(30), wait).await {
        Ok(Ok(_)) => {}
        _ => {
            return Err(ApiError::Unavailable(format!(
                "the ballot is recorded at seq {} but no checkpoint covers it yet; retry the \
                 same ballot for its receipt",
                rec.seq
            )))
        }
    }
    let st = board.state();
    let i = st.checkpoints.partition_point(|c| c.tree_size <= rec.seq);
    let cp = st
        .checkpoints
        .get(i)
        .cloned()
        .ok_or_else(|| ApiError::Internal("checkpoint vanished".into()))?;
    let proof = st
        .tree
        .inclusion_proof(rec.seq, cp.tree_size)
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let entry_hash = st.entry_hashes[rec.seq as usize];
    let kind = if rec.challenged {
        ReceiptKind::Challenged
    } else {
        ReceiptKind::Ballot
    };
    Ok(Receipt::sign(
        &board.inner.key,
        st.base_hash,
        kind,
        id,
        rec.tracking_code.clone(),
        rec.seq,
        entry_hash,
        cp,
        proof,
    ))
}

/// A posted ballot parsed (every point decoded) and, once the election is open, hashed and
/// written as its log entry: all the per-request CPU work but the proofs, in one trip to the
/// rayon pool.
struct ParsedBallot {
    ballot: Ballot,
    /// `(ballot hash, entry body)` when the election has a hash (it is open or was).
    entry: Option<(Hash, Vec<u8>)>,
}

fn parse_ballot(body: Body, opened: Option<&Opened>) -> Result<ParsedBallot, ApiError> {
    let ballot: Ballot = parse(body)?;
    let entry = opened.map(|o| {
        let hash = ballot.hash(&o.election_hash);
        let body = entry_bytes_of_ballot(&ballot, &hash);
        (hash, body)
    });
    Ok(ParsedBallot { ballot, entry })
}

/// The log entry of a ballot whose hash is `hash`.
fn entry_bytes_of_ballot(ballot: &Ballot, hash: &Hash) -> Vec<u8> {
    #[derive(Serialize)]
    struct BallotEntryRef<'a> {
        ballot: &'a Ballot,
        tracking_code: String,
    }
    #[derive(Serialize)]
    struct EntryRef<'a> {
        ballot: BallotEntryRef<'a>,
    }
    // Same bytes as entry_bytes(&Entry::Ballot(..)) without cloning the ballot (a test checks).
    serde_json::to_vec(&EntryRef {
        ballot: BallotEntryRef {
            ballot,
            tracking_code: tracking_code_of(hash),
        },
    })
    .unwrap_or_default()
}

async fn post_ballot(
    AxState(board): AxState<Board>,
    body: Body,
) -> Result<Json<Receipt>, ApiError> {
    let seen = board.state().opened.clone();
    // Parsing decodes (decompresses) every point: CPU work, off the runtime.
    let parsed = {
        let seen = seen.clone();
        cpu(move || parse_ballot(body, seen.as_deref())).await??
    };
    let ParsedBallot { ballot, entry } = parsed;
    // A retry of a ballot already recorded gets its receipt, whatever the phase now.
    if let Some((_, body)) = &entry {
        let recorded = board.state().ballots.get(&ballot.ballot_id).cloned();
        if let Some(rec) = recorded {
            if !rec.challenged && rec.body_digest == *blake3::hash(body).as_bytes() {
                return receipt_for(&board, ballot.ballot_id, &rec).await.map(Json);
            }
        }
    }
    let gate = board.inner.gate.read().await;
    let (manifest, opened) = {
        let st = board.state();
        open_phase(&st)?;
        if !st.roll_index.contains_key(&ballot.credential) {
            return Err(ApiError::NotOnRoll);
        }
        // A challenge is appended under the exclusive gate, so none can slip in between this
        // check and this ballot's append.
        st.spoiled.check(&ballot).map_err(map_ballot_error)?;
        let opened = st
            .opened
            .clone()
            .ok_or_else(|| ApiError::Internal("open without keys".into()))?;
        (st.manifest.clone(), opened)
    };
    let (hash, body) = match (entry, seen) {
        (Some(e), Some(seen)) if Arc::ptr_eq(&seen, &opened) => e,
        _ => {
            let hash = ballot.hash(&opened.election_hash);
            (hash, entry_bytes_of_ballot(&ballot, &hash))
        }
    };
    let id = ballot.ballot_id;
    let credential = ballot.credential;
    let digest = *blake3::hash(&body).as_bytes();
    let reject = manifest.revote_policy == RevotePolicy::Reject;
    let (existing, reservation) = reserve_or_wait(&board, id, credential, &digest, reject).await?;
    if let Existing::Same(rec) = existing {
        if rec.challenged {
            return Err(ApiError::DuplicateBallot);
        }
        return receipt_for(&board, id, &rec).await.map(Json);
    }
    board
        .inner
        .verifier
        .verify(BallotJob {
            ballot,
            hash,
            manifest,
            opened,
        })
        .await?;
    let (seq, _) = board.inner.writer.append(body).await?;
    drop(reservation);
    drop(gate);
    let rec = board
        .state()
        .ballots
        .get(&id)
        .cloned()
        .filter(|r| r.seq == seq)
        .ok_or_else(|| ApiError::Internal("committed ballot not in state".into()))?;
    receipt_for(&board, id, &rec).await.map(Json)
}

/// The answer to a challenge: the board's signed receipt for the `challenged` entry (kind
/// `challenged`), so the voter holds evidence that it was a challenge and not a cast, and the
/// option names the ballot encrypted.
#[derive(Serialize, Deserialize)]
pub struct ChallengeAnswer {
    /// The signed receipt of the `challenged` entry.
    pub receipt: Receipt,
    /// Per question, the names of the options the ballot encrypted.
    pub choices: Vec<Vec<String>>,
}

async fn post_challenge(
    AxState(board): AxState<Board>,
    client: Option<axum::Extension<crate::http::ClientAddr>>,
    peer: Option<ConnectInfo<std::net::SocketAddr>>,
    body: Body,
) -> Result<Json<ChallengeAnswer>, ApiError> {
    // The client as the trusted-proxy rules see it (`http::proxy`), else the peer.
    let client_ip = client
        .map(|axum::Extension(c)| c.ip)
        .or_else(|| peer.map(|ConnectInfo(a)| a.ip()));
    let challenged: ChallengedBallot = cpu(move || parse(body)).await??;
    let (manifest, opened) = {
        let st = board.state();
        open_phase(&st)?;
        let opened = st
            .opened
            .clone()
            .ok_or_else(|| ApiError::Internal("open without keys".into()))?;
        (st.manifest.clone(), opened)
    };
    let id = challenged.ballot_id;
    let choices = challenged.chosen_options(&manifest);
    let entry = Entry::Challenged(challenged);
    let body = entry_bytes(&entry);
    let digest = *blake3::hash(&body).as_bytes();
    // A retry of a recorded challenge gets its receipt again (and costs no rate-limit token).
    let recorded = board.state().ballots.get(&id).cloned();
    if let Some(rec) = recorded {
        if rec.challenged && rec.body_digest == digest {
            let receipt = receipt_for(&board, id, &rec).await?;
            return Ok(Json(ChallengeAnswer { receipt, choices }));
        }
        return Err(ApiError::DuplicateBallot);
    }
    // Challenges carry no credential: they are limited per client address.
    if let (Some(limiter), Some(ip)) = (&board.inner.challenge_limiter, client_ip) {
        if !limiter.allow(ip) {
            return Err(ApiError::RateLimited);
        }
    }
    let Entry::Challenged(c) = entry else {
        return Err(ApiError::Internal("not a challenge".into()));
    };
    let (manifest2, opened2) = (manifest.clone(), opened.clone());
    let verdict =
        blocking(move || c.verify(&manifest2, &opened2.election_hash, &opened2.key)).await?;
    verdict.map_err(map_ballot_error)?;
    // Exclusive: every cast ballot either was appended before this challenge or checks its
    // ciphertexts against it (`SpoiledCiphertexts`) after it is committed, so the log never
    // holds a cast that repeats an earlier challenge's randomness.
    let gate = board.inner.gate.write().await;
    {
        let st = board.state();
        open_phase(&st)?;
    }
    let (existing, reservation) = reserve_or_wait(&board, id, [0; 32], &digest, false).await?;
    let rec = match existing {
        Existing::Same(rec) if rec.challenged => rec,
        Existing::Same(_) => return Err(ApiError::DuplicateBallot),
        _ => {
            let (seq, _) = board.inner.writer.append(body).await?;
            drop(reservation);
            board
                .state()
                .ballots
                .get(&id)
                .cloned()
                .filter(|r| r.seq == seq && r.challenged)
                .ok_or_else(|| ApiError::Internal("committed challenge not in state".into()))?
        }
    };
    drop(gate);
    let receipt = receipt_for(&board, id, &rec).await?;
    Ok(Json(ChallengeAnswer { receipt, choices }))
}

// ---------------------------------------------------------------------------------------------
// Trustees

async fn trustee_key(
    AxState(board): AxState<Board>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<SeqAnswer>, ApiError> {
    let me = require_trustee(&board, &headers)?;
    let key: TrusteePublicKey = parse(body)?;
    check_sender(me, key.index)?;
    let _gate = board.inner.gate.write().await;
    let entry = Entry::TrusteeKey(key);
    {
        let st = board.state();
        ceremony_rules(&st, &entry)?;
        if let Entry::TrusteeKey(key) = &entry {
            key.verify(&st.base_hash)
                .map_err(|e| ApiError::BadProof(e.to_string()))?;
        }
    }
    let (seq, _) = append(&board, &entry).await?;
    Ok(Json(SeqAnswer { seq }))
}

async fn trustee_commitments(
    AxState(board): AxState<Board>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<SeqAnswer>, ApiError> {
    let me = require_trustee(&board, &headers)?;
    let c: CoefficientCommitments = parse(body)?;
    check_sender(me, c.trustee)?;
    let _gate = board.inner.gate.write().await;
    let entry = Entry::Commitments(c);
    let (t, base) = {
        let st = board.state();
        ceremony_rules(&st, &entry)?;
        (st.manifest.threshold, st.base_hash)
    };
    let (entry, verdict) = blocking(move || {
        let r = match &entry {
            Entry::Commitments(c) => c.verify(t, &base),
            _ => Ok(()),
        };
        (entry, r)
    })
    .await?;
    verdict.map_err(|e| ApiError::BadProof(e.to_string()))?;
    let (seq, _) = append(&board, &entry).await?;
    Ok(Json(SeqAnswer { seq }))
}

async fn trustee_shares(
    AxState(board): AxState<Board>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<SeqAnswer>, ApiError> {
    let me = require_trustee(&board, &headers)?;
    let s: SharesEntry = parse(body)?;
    check_sender(me, s.from)?;
    let _gate = board.inner.gate.write().await;
    let entry = Entry::Shares(s);
    {
        // Form, order and every share's ephemeral-key proof (a share without one is refused
        // here, so no complaint can ever be made about it).
        let st = board.state();
        ceremony_rules(&st, &entry)?;
    }
    let (seq, _) = append(&board, &entry).await?;
    Ok(Json(SeqAnswer { seq }))
}

async fn trustee_complaint(
    AxState(board): AxState<Board>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<SeqAnswer>, ApiError> {
    let me = require_trustee(&board, &headers)?;
    let c: Complaint = parse(body)?;
    check_sender(me, c.by)?;
    let _gate = board.inner.gate.write().await;
    let entry = Entry::Complaint(c);
    let Entry::Complaint(c) = &entry else {
        return Err(ApiError::Internal("not a complaint".into()));
    };
    {
        let st = board.state();
        // Order first: a complaint needs the disputed share on the log (§6.3).
        ceremony_rules(&st, &entry)?;
        let share = st.shares[c.against as usize - 1]
            .as_ref()
            .and_then(|s| s.shares.iter().find(|x| x.to == me))
            .ok_or_else(|| {
                ApiError::WrongPhase(format!("trustee {} has not sent its shares", c.against))
            })?;
        let (Some(complainer), Some(sender)) = (
            st.trustee_keys[me as usize - 1].as_ref(),
            st.commitments[c.against as usize - 1].as_ref(),
        ) else {
            return Err(ApiError::WrongPhase("keys or commitments missing".into()));
        };
        // Logged whatever the verdict: the record shows it and the admin cannot open.
        let verdict = c
            .adjudicate(&st.base_hash, share, complainer, sender)
            .map_err(|e| ApiError::BadProof(e.to_string()))?;
        tracing::warn!(
            by = me,
            against = c.against,
            ?verdict,
            "key ceremony complaint"
        );
    }
    let (seq, _) = append(&board, &entry).await?;
    Ok(Json(SeqAnswer { seq }))
}

async fn trustee_acceptance(
    AxState(board): AxState<Board>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<SeqAnswer>, ApiError> {
    let me = require_trustee(&board, &headers)?;
    let a: AcceptanceEntry = parse(body)?;
    check_sender(me, a.trustee)?;
    let _gate = board.inner.gate.write().await;
    let entry = Entry::Acceptance(a);
    let Entry::Acceptance(a) = &entry else {
        return Err(ApiError::Internal("not an acceptance".into()));
    };
    {
        let st = board.state();
        ceremony_rules(&st, &entry)?;
        let all: Vec<CoefficientCommitments> = st.commitments.iter().flatten().cloned().collect();
        if dkg::verification_key(&all, me) != a.verification_key {
            return Err(ApiError::BadProof(format!(
                "the verification key does not match the commitments at index {me}"
            )));
        }
    }
    let (seq, _) = append(&board, &entry).await?;
    Ok(Json(SeqAnswer { seq }))
}

async fn trustee_decryption(
    AxState(board): AxState<Board>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<SeqAnswer>, ApiError> {
    let me = require_trustee(&board, &headers)?;
    let d: DecryptionEntry = parse(body)?;
    check_sender(me, d.trustee)?;
    let _gate = board.inner.gate.write().await;
    let (tally, opened) = {
        let st = board.state();
        phase_is(&st, Phase::Tallied, "a decryption")?;
        if st.decryptions.iter().any(|x| x.trustee == me) {
            return Err(ApiError::AlreadyPosted(format!(
                "trustee {me} already posted its decryption"
            )));
        }
        let (Some(tally), Some(opened)) = (st.tally.clone(), st.opened.clone()) else {
            return Err(ApiError::Internal("tallied without tally".into()));
        };
        (tally, opened)
    };
    // One share per question and option, each naming this entry's trustee (§6.2).
    psephos_record::ceremony::check_decryption_form(&d, &tally)
        .map_err(|e| ApiError::Malformed(e.to_string()))?;
    let (d, verdict) = blocking(move || {
        let r = verify_decryption(
            &d,
            me,
            &tally,
            &opened.verification_keys,
            &opened.election_hash,
        );
        (d, r)
    })
    .await?;
    verdict?;
    let (seq, _) = append(&board, &Entry::Decryption(d)).await?;
    Ok(Json(SeqAnswer { seq }))
}

fn verify_decryption(
    d: &DecryptionEntry,
    me: u32,
    tally: &TallyEntry,
    keys: &[Element],
    election_hash: &Hash,
) -> Result<(), ApiError> {
    let key = keys
        .get(me as usize - 1)
        .ok_or_else(|| ApiError::Internal("no verification key".into()))?;
    for (q, (shares, cts)) in d.questions.iter().zip(&tally.questions).enumerate() {
        for (o, (share, ct)) in shares.iter().zip(cts).enumerate() {
            share
                .verify(key, election_hash, q as u32, o as u32, ct)
                .map_err(|e| ApiError::BadProof(format!("question {q}, option {o}: {e}")))?;
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Admin

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RollRequest {
    credentials: Vec<HexKey>,
}

#[derive(Serialize)]
struct RollAnswer {
    seqs: Vec<u64>,
    added: u64,
    roll_size: u64,
}

async fn admin_roll(
    AxState(board): AxState<Board>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<RollAnswer>, ApiError> {
    require_admin(&board, &headers)?;
    let req: RollRequest = parse(body)?;
    let _gate = board.inner.gate.write().await;
    {
        let st = board.state();
        phase_is(&st, Phase::Ceremony, "the roll")?;
        let mut seen = HashSet::with_capacity(req.credentials.len());
        for c in &req.credentials {
            if st.roll_index.contains_key(&c.0) || !seen.insert(c.0) {
                return Err(ApiError::DuplicateCredential(format!(
                    "credential {} is already on the roll or repeated",
                    hex::encode(c.0)
                )));
            }
            if psephos_record::signature::PublicKey::from_bytes(&c.0).is_err() {
                return Err(ApiError::Malformed(format!(
                    "credential {} is not a valid Ed25519 public key",
                    hex::encode(c.0)
                )));
            }
        }
    }
    let added = req.credentials.len() as u64;
    let mut seqs = Vec::new();
    // Sorted by credential, never in the order posted (docs/spec.md §7.3).
    for roll_entry in psephos_record::roll::roll_entries(req.credentials) {
        let (seq, _) = append(&board, &Entry::Roll(roll_entry)).await?;
        seqs.push(seq);
    }
    let roll_size = board.state().roll.len() as u64;
    Ok(Json(RollAnswer {
        seqs,
        added,
        roll_size,
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Empty {}

fn parse_empty(body: Body) -> Result<(), ApiError> {
    let bytes = body_bytes(body)?;
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Ok(());
    }
    serde_json::from_slice::<Empty>(&bytes)
        .map(|_| ())
        .map_err(|e| ApiError::Malformed(format!("expected {{}}: {e}")))
}

#[derive(Serialize)]
struct OpenAnswer {
    seq: u64,
    election_hash: HexKey,
}

async fn admin_open(
    AxState(board): AxState<Board>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<OpenAnswer>, ApiError> {
    require_admin(&board, &headers)?;
    parse_empty(body)?;
    let _gate = board.inner.gate.write().await;
    let entry = {
        let st = board.state();
        phase_is(&st, Phase::Ceremony, "opening")?;
        let n = st.manifest.trustees as usize;
        let missing = |what: &str, count: usize| {
            ApiError::WrongPhase(format!(
                "cannot open: {count} of {n} trustees have posted their {what}"
            ))
        };
        for (what, count) in [
            ("keys", State::count(&st.trustee_keys)),
            ("commitments", State::count(&st.commitments)),
            ("shares", State::count(&st.shares)),
            ("acceptances", State::count(&st.acceptances)),
        ] {
            if count != n {
                return Err(missing(what, count));
            }
        }
        let all: Vec<CoefficientCommitments> = st.commitments.iter().flatten().cloned().collect();
        let joint_key = dkg::joint_key(&all);
        let verification_keys: Vec<Element> = (1..=n as u32)
            .map(|i| dkg::verification_key(&all, i))
            .collect();
        let roll_hash = hash::roll_hash(st.roll.iter());
        let bundle = match &board.inner.web_dir {
            Some(dir) => web_bundle_hash(dir)
                .map_err(|e| ApiError::Internal(format!("cannot hash the web bundle: {e}")))?,
            None => None,
        };
        let election_hash = hash::election_hash(
            &st.base_hash,
            &st.last_hash(),
            joint_key.as_bytes(),
            bundle.as_ref(),
        );
        let entry = Entry::Open(OpenEntry {
            election_hash,
            joint_key,
            verification_keys,
            roll_size: st.roll.len() as u64,
            roll_hash,
            web_bundle_hash: bundle.map(HexKey),
        });
        // Every acceptance, and no complaint whatever its verdict (§6.3).
        ceremony_rules(&st, &entry)
            .map_err(|e| ApiError::WrongPhase(format!("cannot open: {e}")))?;
        entry
    };
    let Entry::Open(o) = &entry else {
        return Err(ApiError::Internal("not open".into()));
    };
    let election_hash = HexKey(o.election_hash);
    let (seq, _) = append(&board, &entry).await?;
    tracing::info!(seq, "election opened");
    Ok(Json(OpenAnswer { seq, election_hash }))
}

#[derive(Serialize)]
struct CloseAnswer {
    close_seq: Option<u64>,
    tally_seq: u64,
    counted: u64,
}

async fn admin_close(
    AxState(board): AxState<Board>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<CloseAnswer>, ApiError> {
    require_admin(&board, &headers)?;
    parse_empty(body)?;
    let _gate = board.inner.gate.write().await;
    let (phase, received) = {
        let st = board.state();
        (st.phase, st.ballots_cast)
    };
    let close_seq = match phase {
        Phase::Open => {
            let entry = Entry::Close(CloseEntry {
                ballots_received: received,
            });
            let (seq, _) = append(&board, &entry).await?;
            tracing::info!(seq, "election closed");
            Some(seq)
        }
        // A close whose tally failed: finish it.
        Phase::Closed => None,
        other => {
            return Err(ApiError::WrongPhase(format!(
                "closing needs the election to be Open; it is {other:?}"
            )))
        }
    };
    let (counted, manifest, key) = {
        let st = board.state();
        let key = st
            .opened
            .as_ref()
            .map(|o| *o.key.element())
            .ok_or_else(|| ApiError::Internal("closing an election that never opened".into()))?;
        (st.counted_seqs(), st.manifest.clone(), key)
    };
    // The counted ballots, read back from the log.
    let mut bodies = Vec::with_capacity(counted.len());
    let mut from = 0;
    loop {
        let page = board.inner.store.read_range(from, 1000).await?;
        let Some(last) = page.last() else { break };
        from = last.seq + 1;
        bodies.extend(
            page.into_iter()
                .filter(|e| counted.contains(&e.seq))
                .map(|e| e.body),
        );
    }
    let tally = blocking(move || sum_ballots(&manifest, &key, &bodies)).await??;
    let counted = tally.counted;
    let (tally_seq, _) = append(&board, &Entry::Tally(tally)).await?;
    Ok(Json(CloseAnswer {
        close_seq,
        tally_seq,
        counted,
    }))
}

fn sum_ballots(
    manifest: &Manifest,
    key: &Element,
    bodies: &[Vec<u8>],
) -> Result<TallyEntry, ApiError> {
    let mut sums: Vec<Vec<CiphertextSum>> = manifest
        .questions
        .iter()
        .map(|q| vec![CiphertextSum::default(); q.options.len()])
        .collect();
    for body in bodies {
        let entry: Entry = serde_json::from_slice(body)
            .map_err(|e| ApiError::Internal(format!("stored ballot does not parse: {e}")))?;
        let Entry::Ballot(b) = entry else {
            return Err(ApiError::Internal("counted entry is not a ballot".into()));
        };
        for (q, contest) in b.ballot.contests.iter().enumerate() {
            for (o, sel) in contest.selections.iter().enumerate() {
                if let Some(s) = sums.get_mut(q).and_then(|v| v.get_mut(o)) {
                    *s = *s + &sel.ciphertext;
                }
            }
        }
    }
    Ok(TallyEntry {
        counted: bodies.len() as u64,
        questions: sums
            .into_iter()
            .map(|q| q.into_iter().map(|s| s.to_tally(key)).collect())
            .collect(),
    })
}

#[derive(Serialize)]
struct ResultAnswer {
    seq: u64,
    result: ResultEntry,
}

async fn admin_result(
    AxState(board): AxState<Board>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<ResultAnswer>, ApiError> {
    require_admin(&board, &headers)?;
    parse_empty(body)?;
    let _gate = board.inner.gate.write().await;
    let (manifest, tally, decryptions, roll_size) = {
        let st = board.state();
        phase_is(&st, Phase::Tallied, "the result")?;
        let t = st.manifest.threshold as usize;
        if st.decryptions.len() < t {
            return Err(ApiError::WrongPhase(format!(
                "the result needs {t} decryptions; {} posted",
                st.decryptions.len()
            )));
        }
        let Some(tally) = st.tally.clone() else {
            return Err(ApiError::Internal("tallied without tally".into()));
        };
        (
            st.manifest.clone(),
            tally,
            st.decryptions[..t].to_vec(),
            st.roll.len() as u64,
        )
    };
    let result = blocking(move || -> Result<ResultEntry, ApiError> {
        let dlog = DiscreteLog::new(manifest.max_tally.min(tally.counted));
        let mut questions = Vec::with_capacity(manifest.questions.len());
        for (q, (question, cts)) in manifest.questions.iter().zip(&tally.questions).enumerate() {
            let mut options = Vec::with_capacity(cts.len());
            for (o, (name, ct)) in question.options.iter().zip(cts).enumerate() {
                let shares: Vec<&DecryptionShare> = decryptions
                    .iter()
                    .filter_map(|d| d.questions.get(q).and_then(|v| v.get(o)))
                    .collect();
                let votes =
                    threshold::decrypt(ct, &shares, manifest.threshold, manifest.trustees, &dlog)
                        .map_err(|e| ApiError::Internal(format!("question {q}, option {o}: {e}")))?;
                options.push(OptionResult {
                    name: name.clone(),
                    votes,
                });
            }
            questions.push(QuestionResult {
                title: question.title.clone(),
                options,
            });
        }
        Ok(ResultEntry {
            questions,
            turnout: Turnout::new(roll_size, tally.counted),
            trustees: decryptions.iter().map(|d| d.trustee).collect(),
        })
    })
    .await??;
    let (seq, _) = append(&board, &Entry::Result(result.clone())).await?;
    tracing::info!(seq, "result published");
    Ok(Json(ResultAnswer { seq, result }))
}

#[cfg(test)]
mod tests;
