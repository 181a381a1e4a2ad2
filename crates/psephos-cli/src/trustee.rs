//! The trustee's two jobs: the key ceremony (before the election opens) and the partial
//! decryption of the tally (after it closes).
//!
//! The ceremony is a sequence of states, each ending when every trustee's message of that
//! kind is on the board: keys → commitments → shares → acceptance. A trustee reads only the
//! public log, checks every message itself, and never decrypts anything but the tally.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use psephos_crypto::dkg::{
    self, CoefficientCommitments, Complaint, EncryptedShare, KeyShare, Polynomial,
    TrusteePublicKey, TrusteeSecretKey,
};
use psephos_crypto::elgamal::CiphertextSum;
use psephos_crypto::Scalar;
use psephos_record::entry::{
    AcceptanceEntry, DecryptionEntry, Entry, OpenEntry, SharesEntry, TallyEntry,
};
use psephos_record::{Manifest, RevotePolicy};
use rand_core::OsRng;
use rayon::prelude::*;
use thiserror::Error;

use crate::client::{ApiError, Client, LogFollower};

/// Reports progress: `(what we wait for, how many are there, how many are needed)`.
pub type Progress = Arc<dyn Fn(&str, usize, usize) + Send + Sync>;

/// A progress reporter that says nothing.
pub fn quiet() -> Progress {
    Arc::new(|_, _, _| {})
}

/// Why a trustee step failed.
#[derive(Debug, Error)]
pub enum TrusteeError {
    /// Talking to the board failed.
    #[error(transparent)]
    Api(#[from] ApiError),
    /// Something on the board is wrong; the trustee stops.
    #[error("{0}")]
    Check(String),
    /// The key file could not be read or written.
    #[error("{0}")]
    KeyFile(String),
    /// This trustee's part of the ceremony is already done.
    #[error("your part of the ceremony is complete: trustee {index}'s acceptance is on the board (entry {seq}) and the key share is in the key file")]
    AlreadyComplete {
        /// The trustee.
        index: u32,
        /// The acceptance's entry.
        seq: u64,
    },
    /// The result is out: no decryption is needed any more.
    #[error("the result is out (entry {seq}): no decryption is needed any more; see `psephos-verify` or the results page")]
    ResultOut {
        /// The result's entry.
        seq: u64,
    },
    /// This trustee's share from another trustee was bad; a complaint was posted.
    #[error("the share from trustee {against} is invalid ({why}); a complaint was posted (entry {seq}) and this trustee stops")]
    Complained {
        /// The accused sender.
        against: u32,
        /// What was wrong.
        why: String,
        /// The complaint's entry.
        seq: u64,
    },
}

fn check(why: impl Into<String>) -> TrusteeError {
    TrusteeError::Check(why.into())
}

/// Settings of the ceremony.
#[derive(Clone)]
pub struct CeremonyOptions {
    /// How often to poll the log while waiting.
    pub poll: Duration,
    /// Give up waiting after this long.
    pub timeout: Duration,
    /// Progress reports.
    pub progress: Progress,
}

impl Default for CeremonyOptions {
    fn default() -> Self {
        CeremonyOptions {
            poll: Duration::from_millis(250),
            timeout: Duration::from_secs(24 * 3600),
            progress: quiet(),
        }
    }
}

/// What the ceremony leaves the trustee with.
pub struct CeremonyOutcome {
    /// The key share z_ℓ (to be stored encrypted).
    pub key_share: KeyShare,
    /// H_B of the election.
    pub base_hash: [u8; 32],
    /// The acceptance entry's seq.
    pub acceptance_seq: u64,
}

/// Waits until `count(entries)` reaches `need`, polling the log.
async fn wait_for(
    client: &Client,
    follower: &mut LogFollower,
    what: &str,
    need: usize,
    options: &CeremonyOptions,
    count: impl Fn(&[Entry]) -> Result<usize, TrusteeError>,
) -> Result<(), TrusteeError> {
    let start = std::time::Instant::now();
    loop {
        follower.refresh(client).await?;
        let have = count(&follower.entries)?;
        (options.progress)(what, have.min(need), need);
        if have >= need {
            return Ok(());
        }
        if start.elapsed() > options.timeout {
            return Err(check(format!(
                "gave up waiting for {what}: {have} of {need} after {:?}",
                options.timeout
            )));
        }
        tokio::time::sleep(options.poll).await;
    }
}

fn manifest_of(entries: &[Entry]) -> Result<&Manifest, TrusteeError> {
    match entries.first() {
        Some(Entry::Manifest(m)) => Ok(m),
        _ => Err(check("the board's log does not start with a manifest")),
    }
}

fn trustee_keys(entries: &[Entry]) -> BTreeMap<u32, &TrusteePublicKey> {
    entries
        .iter()
        .filter_map(|e| match e {
            Entry::TrusteeKey(k) => Some((k.index, k)),
            _ => None,
        })
        .collect()
}

fn commitments(entries: &[Entry]) -> BTreeMap<u32, &CoefficientCommitments> {
    entries
        .iter()
        .filter_map(|e| match e {
            Entry::Commitments(c) => Some((c.trustee, c)),
            _ => None,
        })
        .collect()
}

fn shares(entries: &[Entry]) -> BTreeMap<u32, &SharesEntry> {
    entries
        .iter()
        .filter_map(|e| match e {
            Entry::Shares(s) => Some((s.from, s)),
            _ => None,
        })
        .collect()
}

fn complaints(entries: &[Entry]) -> Vec<&Complaint> {
    entries
        .iter()
        .filter_map(|e| match e {
            Entry::Complaint(c) => Some(c),
            _ => None,
        })
        .collect()
}

/// Where a trustee keeps what it needs to resume an interrupted ceremony: its polynomial,
/// saved before its commitments are posted, and at the end its key share. (The key file
/// implements it: [`KeyFileStore`].)
pub trait CeremonyStore: Send {
    /// The polynomial saved for trustee `index` of the election `base_hash`, if any.
    fn load_polynomial(
        &self,
        base_hash: &[u8; 32],
        index: u32,
    ) -> Result<Option<Polynomial>, TrusteeError>;
    /// Saves the polynomial (called before the commitments to it are posted).
    fn save_polynomial(
        &mut self,
        base_hash: &[u8; 32],
        index: u32,
        polynomial: &Polynomial,
    ) -> Result<(), TrusteeError>;
    /// Whether the key share of the election `base_hash` is already saved.
    fn has_share(&self, base_hash: &[u8; 32]) -> Result<bool, TrusteeError>;
    /// Saves the key share (and may forget the polynomial).
    fn save_share(&mut self, base_hash: &[u8; 32], share: &KeyShare) -> Result<(), TrusteeError>;
}

/// The trustee's key file as its [`CeremonyStore`].
pub struct KeyFileStore {
    /// The file's contents.
    pub file: crate::keyfile::KeyFile,
    /// Its path.
    pub path: std::path::PathBuf,
    /// The passphrase.
    pub passphrase: zeroize::Zeroizing<String>,
}

fn key_file_error(e: crate::keyfile::KeyFileError) -> TrusteeError {
    TrusteeError::KeyFile(e.to_string())
}

impl CeremonyStore for KeyFileStore {
    fn load_polynomial(
        &self,
        base_hash: &[u8; 32],
        index: u32,
    ) -> Result<Option<Polynomial>, TrusteeError> {
        self.file
            .polynomial(&self.path, &self.passphrase, base_hash, index)
            .map_err(key_file_error)
    }

    fn save_polynomial(
        &mut self,
        base_hash: &[u8; 32],
        index: u32,
        polynomial: &Polynomial,
    ) -> Result<(), TrusteeError> {
        self.file
            .save_polynomial(&self.path, &self.passphrase, base_hash, index, polynomial)
            .map_err(key_file_error)
    }

    fn has_share(&self, base_hash: &[u8; 32]) -> Result<bool, TrusteeError> {
        Ok(self
            .file
            .share_base_hash(&self.path)
            .map_err(key_file_error)?
            .is_some_and(|h| h == *base_hash))
    }

    fn save_share(&mut self, base_hash: &[u8; 32], share: &KeyShare) -> Result<(), TrusteeError> {
        self.file
            .save_share(&self.path, &self.passphrase, base_hash, share)
            .map_err(key_file_error)
    }
}

/// Runs `f` (Argon2id, a file write) without stalling the async runtime's other tasks where
/// the runtime allows it.
fn blocking<T>(f: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current() {
        Ok(h) if h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(f)
        }
        _ => f(),
    }
}

/// The seq of trustee `index`'s acceptance, if it is on the log.
fn acceptance_of(entries: &[Entry], index: u32) -> Option<u64> {
    entries.iter().enumerate().find_map(|(seq, e)| match e {
        Entry::Acceptance(a) if a.trustee == index => Some(seq as u64),
        _ => None,
    })
}

/// Explains a board refusal of this trustee's first message.
fn explain_post(index: u32, e: ApiError) -> TrusteeError {
    match e.code() {
        Some("wrong_trustee_index") => TrusteeError::Check(format!("wrong --index {index}: {e}")),
        Some("unauthorized") => TrusteeError::Check(format!(
            "the board does not know this token (check --token): {e}"
        )),
        _ => TrusteeError::Api(e),
    }
}

/// Runs the key ceremony as trustee `index` with transport key `secret`, keeping in `store`
/// what is needed to resume: re-running after an interruption (even after the commitments
/// were posted) picks up where the log stands; re-running after success says the trustee's
/// part is complete ([`TrusteeError::AlreadyComplete`]).
pub async fn ceremony(
    client: &Client,
    index: u32,
    secret: &TrusteeSecretKey,
    store: &mut dyn CeremonyStore,
    options: &CeremonyOptions,
) -> Result<CeremonyOutcome, TrusteeError> {
    let status = client.election().await?;
    let base = status.base_hash;
    let mut follower = LogFollower::new();
    follower.refresh(client).await?;
    let manifest = manifest_of(&follower.entries)?.clone();
    let (n, t) = (manifest.trustees, manifest.threshold);
    if index == 0 || index > n {
        return Err(check(format!(
            "trustee index {index} is out of range: this election has trustees 1 to {n}"
        )));
    }

    // 1. The transport key (a restart finds it already there and goes on).
    let mine = secret.public_element();
    let keys_now = trustee_keys(&follower.entries);
    match keys_now.get(&index) {
        Some(k) if k.key == mine => {}
        Some(_) => {
            let elsewhere = keys_now.values().find(|k| k.key == mine).map(|k| k.index);
            return Err(check(match elsewhere {
                Some(j) => format!(
                    "wrong --index {index}: this key file's key was posted as trustee {j}'s"
                ),
                None => format!(
                    "trustee {index} already posted a different transport key: wrong key file or --index?"
                ),
            }));
        }
        None => {
            client
                .post_trustee("key", &secret.public_key(index, &base, &mut OsRng))
                .await
                .map_err(|e| explain_post(index, e))?;
        }
    }
    // Done before? (Only once this key file is known to be this index's.)
    if let Some(seq) = acceptance_of(&follower.entries, index) {
        if blocking(|| store.has_share(&base))? {
            return Err(TrusteeError::AlreadyComplete { index, seq });
        }
    }
    wait_for(
        client,
        &mut follower,
        "trustee keys",
        n as usize,
        options,
        |e| Ok(trustee_keys(e).len()),
    )
    .await?;
    let keys: BTreeMap<u32, TrusteePublicKey> = trustee_keys(&follower.entries)
        .into_iter()
        .map(|(i, k)| (i, k.clone()))
        .collect();
    for (i, k) in &keys {
        k.verify(&base)
            .map_err(|_| check(format!("trustee {i}'s key proof does not verify")))?;
    }

    // 2. Commitments to a polynomial, saved (sealed in the key file) before they are posted,
    // so that an interrupted trustee can go on with the same polynomial.
    let posted = commitments(&follower.entries)
        .get(&index)
        .map(|c| (*c).clone());
    let polynomial = match (blocking(|| store.load_polynomial(&base, index))?, &posted) {
        (Some(p), _) if p.len() == t as usize => p,
        (_, Some(_)) => {
            return Err(check(format!(
                "trustee {index} already posted commitments, but this key file holds no \
                 polynomial for them: the ceremony cannot be resumed with this key file"
            )))
        }
        _ => {
            let p = Polynomial::random(t, &mut OsRng);
            blocking(|| store.save_polynomial(&base, index, &p))?;
            p
        }
    };
    let fresh = polynomial.commit(index, &base, &mut OsRng);
    match posted {
        Some(c) if c.commitments == fresh.commitments => {}
        Some(_) => {
            return Err(check(format!(
                "trustee {index}'s posted commitments are not to the polynomial in this key \
                 file: the ceremony cannot be resumed with it"
            )))
        }
        None => {
            client.post_trustee("commitments", &fresh).await?;
        }
    }
    wait_for(
        client,
        &mut follower,
        "commitments",
        n as usize,
        options,
        |e| Ok(commitments(e).len()),
    )
    .await?;
    let all_commitments: BTreeMap<u32, CoefficientCommitments> = commitments(&follower.entries)
        .into_iter()
        .map(|(i, c)| (i, c.clone()))
        .collect();
    for (i, c) in &all_commitments {
        c.verify(t, &base)
            .map_err(|e| check(format!("trustee {i}'s commitments do not verify: {e}")))?;
    }

    // 3. Encrypted shares P_i(ℓ) to every other trustee, ordered by recipient (unless a
    // previous run posted them).
    if !shares(&follower.entries).contains_key(&index) {
        let sealed: Vec<EncryptedShare> = keys
            .values()
            .filter(|k| k.index != index)
            .map(|k| {
                let value = Zeroizing(polynomial.evaluate(k.index));
                EncryptedShare::seal(&base, index, k.index, &k.key, &value.0, &mut OsRng)
            })
            .collect();
        client
            .post_trustee(
                "shares",
                &SharesEntry {
                    from: index,
                    shares: sealed,
                },
            )
            .await?;
    }
    wait_for(
        client,
        &mut follower,
        "encrypted shares",
        n as usize,
        options,
        |e| Ok(shares(e).len()),
    )
    .await?;
    if let Some(c) = complaints(&follower.entries).iter().find(|c| c.by == index) {
        return Err(check(format!(
            "trustee {index} already complained about trustee {}'s share: the ceremony must be \
             restarted",
            c.against
        )));
    }

    // 4. Open and check the shares addressed to us: first each share's ephemeral-key proof
    // (a share without a valid one is the sender's fault and is never complained about).
    let mut received: Vec<Scalar> = Vec::with_capacity(n as usize);
    received.push(polynomial.evaluate(index));
    let all_shares: BTreeMap<u32, SharesEntry> = shares(&follower.entries)
        .into_iter()
        .map(|(i, s)| (i, s.clone()))
        .collect();
    for (from, entry) in &all_shares {
        if *from == index {
            continue;
        }
        let sender = all_commitments
            .get(from)
            .ok_or_else(|| check(format!("trustee {from} posted shares without commitments")))?;
        let share = entry
            .shares
            .iter()
            .find(|s| s.to == index && s.from == *from);
        let outcome = match share {
            Some(s) => s
                .open_and_check(&base, secret, sender)
                .map_err(|e| (s, e.to_string())),
            None => {
                return Err(check(format!(
                    "trustee {from} sent no share to trustee {index}"
                )))
            }
        };
        match outcome {
            Ok(v) => received.push(v),
            Err((s, why)) => {
                // A share without a valid ephemeral-key proof is the sender's fault on its
                // face: no complaint, which would reveal d·E for an E the sender chose.
                let complaint = Complaint::make(&base, s, secret, &mut OsRng).map_err(|e| {
                    check(format!(
                        "{e}; no complaint is posted for it: the ceremony must be restarted \
                         without trustee {from}"
                    ))
                })?;
                let seq = client.post_trustee("complaint", &complaint).await?;
                return Err(TrusteeError::Complained {
                    against: *from,
                    why,
                    seq,
                });
            }
        }
    }
    let key_share = KeyShare::from_received(index, &received);
    for r in received.iter_mut() {
        *r = Scalar::ZERO;
    }
    drop(polynomial);
    let commitments_list: Vec<CoefficientCommitments> = all_commitments.values().cloned().collect();
    let expected = dkg::verification_key(&commitments_list, index);
    if key_share.verification_key() != expected {
        return Err(check(
            "the key share does not match the published commitments",
        ));
    }
    if let Some(c) = complaints(&follower.entries).first() {
        return Err(check(format!(
            "trustee {} complained about trustee {}'s share: the ceremony must be restarted",
            c.by, c.against
        )));
    }

    // 5. The acceptance (unless a previous run posted it), then the key share is saved, which
    // drops the polynomial: a run interrupted in between still finds the polynomial and
    // rebuilds the share.
    let acceptance_seq = match acceptance_of(&follower.entries, index) {
        Some(seq) => seq,
        None => {
            client
                .post_trustee(
                    "acceptance",
                    &AcceptanceEntry {
                        trustee: index,
                        verification_key: key_share.verification_key(),
                    },
                )
                .await?
        }
    };
    blocking(|| store.save_share(&base, &key_share))?;
    (options.progress)("accepted", n as usize, n as usize);
    Ok(CeremonyOutcome {
        key_share,
        base_hash: base,
        acceptance_seq,
    })
}

/// Zeroizes a scalar on drop.
struct Zeroizing(Scalar);

impl Drop for Zeroizing {
    fn drop(&mut self) {
        self.0 = Scalar::ZERO;
    }
}

/// What a trustee checked before decrypting.
#[derive(Clone, Debug)]
pub struct TallyAudit {
    /// Ballot entries on the board.
    pub ballots: usize,
    /// Ballots counted (one per credential).
    pub counted: u64,
    /// The election hash H_E.
    pub election_hash: [u8; 32],
}

impl TallyAudit {
    /// The election fingerprint of H_E (docs/spec.md §7.2), which the trustee compares with
    /// the one voters, the results page and the verifier show.
    pub fn fingerprint(&self) -> String {
        psephos_record::hash::election_fingerprint(&self.election_hash)
    }
}

/// Re-derives the encrypted tally from the log: every ballot's signature and proofs, its
/// credential on the roll, no spoiled randomness cast, the revote policy, and the homomorphic sum of the counted ballots,
/// which must equal the `tally` entry.
pub fn audit_tally(entries: &[Entry]) -> Result<(TallyAudit, OpenEntry, TallyEntry), TrusteeError> {
    let manifest = manifest_of(entries)?;
    let open = entries
        .iter()
        .find_map(|e| match e {
            Entry::Open(o) => Some(o.clone()),
            _ => None,
        })
        .ok_or_else(|| check("the election was never opened"))?;
    let tally = entries
        .iter()
        .find_map(|e| match e {
            Entry::Tally(t) => Some(t.clone()),
            _ => None,
        })
        .ok_or_else(|| {
            check("there is no encrypted tally yet: the election must be closed first")
        })?;
    let roll: HashSet<[u8; 32]> = entries
        .iter()
        .filter_map(|e| match e {
            Entry::Roll(r) => Some(r.credentials.iter().map(|c| c.0)),
            _ => None,
        })
        .flatten()
        .collect();
    if roll.len() as u64 != open.roll_size {
        return Err(check(format!(
            "the roll has {} credentials but the open entry says {}",
            roll.len(),
            open.roll_size
        )));
    }
    let ballots: Vec<&psephos_record::entry::BallotEntry> = entries
        .iter()
        .filter_map(|e| match e {
            Entry::Ballot(b) => Some(b),
            _ => None,
        })
        .collect();
    let h_e = open.election_hash;
    // A cast ballot must not repeat the randomness an earlier challenge revealed (the board's
    // and the verifier's rule, docs/spec.md §7.4).
    let mut spoiled = psephos_record::SpoiledCiphertexts::new();
    let mut cast_index = 0usize;
    for e in entries {
        match e {
            Entry::Challenged(c) => spoiled.insert(c),
            Entry::Ballot(b) => {
                spoiled.check(&b.ballot).map_err(|e| {
                    check(format!(
                        "ballot {cast_index} ({}) is a spoiled ballot cast: {e}",
                        b.tracking_code
                    ))
                })?;
                cast_index += 1;
            }
            _ => {}
        }
    }
    ballots.par_iter().enumerate().try_for_each(|(i, b)| {
        if !roll.contains(&b.ballot.credential) {
            return Err(check(format!(
                "ballot {i} is from a credential not on the roll"
            )));
        }
        b.ballot
            .verify(manifest, &h_e, &open.joint_key)
            .map_err(|e| {
                check(format!(
                    "ballot {i} ({}) does not verify: {e}",
                    b.tracking_code
                ))
            })?;
        if b.ballot.tracking_code(&h_e) != b.tracking_code {
            return Err(check(format!("ballot {i}'s tracking code is wrong")));
        }
        Ok(())
    })?;
    // The counted ballot of each credential.
    let mut counted: HashMap<[u8; 32], usize> = HashMap::new();
    for (i, b) in ballots.iter().enumerate() {
        match manifest.revote_policy {
            RevotePolicy::LastCounts => {
                counted.insert(b.ballot.credential, i);
            }
            RevotePolicy::Reject => {
                counted.entry(b.ballot.credential).or_insert(i);
            }
        }
    }
    let mut order: Vec<usize> = counted.values().copied().collect();
    order.sort_unstable();
    if tally.counted != order.len() as u64 {
        return Err(check(format!(
            "the tally says {} ballots were counted; the log has {}",
            tally.counted,
            order.len()
        )));
    }
    if tally.questions.len() != manifest.questions.len() {
        return Err(check("the tally has the wrong number of questions"));
    }
    for (q, question) in manifest.questions.iter().enumerate() {
        if tally.questions[q].len() != question.options.len() {
            return Err(check(format!(
                "the tally of question {q} has the wrong number of options"
            )));
        }
        for o in 0..question.options.len() {
            let sum = CiphertextSum::of(
                order
                    .iter()
                    .map(|&i| &ballots[i].ballot.contests[q].selections[o].ciphertext),
            );
            if sum.to_tally(&open.joint_key) != tally.questions[q][o] {
                return Err(check(format!(
                    "the encrypted tally of {:?} differs from the sum of the counted ballots: refusing to decrypt",
                    question.options[o]
                )));
            }
        }
    }
    Ok((
        TallyAudit {
            ballots: ballots.len(),
            counted: order.len() as u64,
            election_hash: h_e,
        },
        open,
        tally,
    ))
}

/// Downloads the record as it stands and runs the independent verifier on it (every check
/// that applies so far: hash chain, checkpoints, ceremony, roll, ballots, tally).
pub async fn verify_record_so_far(client: &Client) -> Result<(), TrusteeError> {
    let dir = tempfile::tempdir()
        .map_err(|e| check(format!("cannot make a temporary directory: {e}")))?;
    crate::admin::wait_for_final_checkpoint(client)
        .await
        .map_err(|e| check(e.to_string()))?;
    // Checkpoints first: the log fetched after them covers at least as much.
    for file in [
        psephos_record::record::CHECKPOINTS_FILE,
        psephos_record::record::MANIFEST_FILE,
        psephos_record::record::ROLL_FILE,
        psephos_record::record::BOARD_FILE,
    ] {
        client
            .download_record_file(file, &dir.path().join(file))
            .await?;
    }
    let path = dir.path().to_path_buf();
    let report = tokio::task::spawn_blocking(move || {
        psephos_verify::verify_dir(&path, &psephos_verify::Options::default())
    })
    .await
    .map_err(|e| check(format!("the verifier stopped: {e}")))?
    .map_err(|e| check(format!("the board's record cannot be read: {e}")))?;
    if !report.passed() {
        let failed: Vec<String> = report
            .checks
            .iter()
            .filter(|c| !c.ok())
            .map(|c| {
                let first = c.failures.first().map(|f| f.message.as_str()).unwrap_or("");
                format!("check {} ({}): {first}", c.number, c.name)
            })
            .collect();
        return Err(check(format!(
            "the board's record does not verify, refusing to decrypt: {}",
            failed.join("; ")
        )));
    }
    Ok(())
}

/// Whether the board still wants partial decryptions: H_B if so; [`TrusteeError::ResultOut`]
/// once the result is out, a plain explanation before the tally.
pub async fn decryption_wanted(client: &Client) -> Result<[u8; 32], TrusteeError> {
    let status = client.election().await?;
    match status.phase {
        psephos_record::Phase::Tallied => Ok(status.base_hash),
        psephos_record::Phase::Finished => Err(TrusteeError::ResultOut {
            seq: status.log_size.saturating_sub(1),
        }),
        phase => Err(check(format!(
            "there is no encrypted tally to decrypt yet (the election is {phase:?}): the \
             administrator closes the election first"
        ))),
    }
}

/// Audits the board (the verifier on the record so far, then its own recomputation of the
/// encrypted tally) and posts this trustee's partial decryption of the tally (nothing else).
pub async fn decrypt(
    client: &Client,
    key_share: &KeyShare,
) -> Result<(TallyAudit, u64), TrusteeError> {
    decryption_wanted(client).await?;
    verify_record_so_far(client).await?;
    let mut follower = LogFollower::new();
    follower.refresh(client).await?;
    if let Some(seq) = follower
        .entries
        .iter()
        .position(|e| matches!(e, Entry::Decryption(d) if d.trustee == key_share.index()))
    {
        return Err(check(format!(
            "trustee {} already posted its partial decryption (entry {seq})",
            key_share.index()
        )));
    }
    let (audit, open, tally) = audit_tally(&follower.entries)?;
    let index = key_share.index();
    let published = open
        .verification_keys
        .get(index.wrapping_sub(1) as usize)
        .ok_or_else(|| {
            check(format!(
                "the open entry has no verification key for trustee {index}"
            ))
        })?;
    if *published != key_share.verification_key() {
        return Err(check(format!(
            "this key share is not trustee {index}'s share of this election"
        )));
    }
    let entry = DecryptionEntry::compute(key_share, &audit.election_hash, &tally, &mut OsRng);
    let seq = client.post_trustee("decryption", &entry).await?;
    Ok((audit, seq))
}
