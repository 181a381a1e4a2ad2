//! The ten numbered checks, run in one streaming pass over `board.jsonl`.
//!
//! Three stages run at once: a thread reads the log in batches of lines, another parses and
//! hashes each batch in parallel (rayon), and the calling thread replays the entries in order
//! through the lifecycle state machine. The proofs and signatures of the ballots of each
//! replayed batch are verified in the background (`Verifications`): chunks of
//! [`DEFAULT_CHUNK`] ballots, one multiscalar batch for all proofs of a chunk and one Ed25519
//! batch for its signatures; a failing chunk is re-verified ballot by ballot to name the
//! culprit. Nothing per ballot is kept but its id (and its tracking code if it was asked
//! about) and, per credential, the compressed ciphertexts of the ballot that currently counts
//! (needed to subtract it when a revote supersedes it), so memory is bounded by the roll size.
//!
//! Every `check_N_*` function is one numbered check of docs/verification.md.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::sync::Arc;

use rayon::prelude::*;

use psephos_crypto::batch::BatchVerifier;
use psephos_crypto::dkg::TrusteePublicKey;
use psephos_crypto::dkg::{self, CoefficientCommitments, Complaint, ComplaintVerdict};
use psephos_crypto::dlog::DiscreteLog;
use psephos_crypto::elgamal::{Ciphertext, CiphertextSum};
use psephos_crypto::group::{Element, FixedBase};
use psephos_crypto::threshold::{self, DecryptionShare};
use psephos_record::ballot::tracking_code_of;
use psephos_record::ceremony::CeremonyProgress;
use psephos_record::checkpoint::Checkpoint;
use psephos_record::entry::{
    AcceptanceEntry, BallotEntry, CloseEntry, DecryptionEntry, OpenEntry, ResultEntry, RollEntry,
    SharesEntry, TallyEntry, Turnout,
};
use psephos_record::hash::{self, Hash, GENESIS_PREV};
use psephos_record::merkle::{leaf_hash, RootAccumulator};
use psephos_record::record::{
    RollLine, BOARD_FILE, CHECKPOINTS_FILE, MANIFEST_FILE, RESULT_FILE, ROLL_FILE,
};
use psephos_record::signature::{self, BatchItem, PublicKey};
use psephos_record::{
    Ballot, ChallengedBallot, Entry, Manifest, Phase, ReceiptKind, RevotePolicy, SpoiledCiphertexts,
};

use crate::input::{self, InputError, Parsed};
use crate::report::{BallotIndex, CheckResult, Failure, ReceiptReport, Report, Status};
use crate::Options;

/// Ballots per verification batch.
pub const DEFAULT_CHUNK: usize = 1024;

/// Lines read and parsed (in parallel) at a time.
const READ_BATCH: usize = 2048;

/// Number and name of every check.
pub const CHECKS: [(u8, &str); 10] = [
    (1, "parameters and hashes"),
    (2, "key ceremony"),
    (3, "roll"),
    (4, "board log"),
    (5, "ballots"),
    (6, "revote policy"),
    (7, "challenged ballots"),
    (8, "aggregation"),
    (9, "decryption"),
    (10, "result"),
];

fn at(file: &str, line: Option<u64>, message: impl Into<String>) -> Failure {
    Failure {
        message: message.into(),
        file: Some(file.to_string()),
        line,
        ballot_id: None,
    }
}

fn on_board(line: u64, message: impl Into<String>) -> Failure {
    at(BOARD_FILE, Some(line), message)
}

fn on_ballot(line: u64, id: &[u8; 16], message: impl Into<String>) -> Failure {
    Failure {
        ballot_id: Some(hex::encode(id)),
        ..on_board(line, message)
    }
}

/// What the `open` entry fixed.
struct Opened {
    line: u64,
    election_hash: Hash,
    key: Element,
    fixed: FixedBase,
    verification_keys: Vec<Element>,
    roll_size: u64,
    web_bundle_hash: Option<Hash>,
}

/// A cast ballot awaiting batch verification.
struct Pending {
    line: u64,
    seq: u64,
    entry: BallotEntry,
}

/// What every ballot is verified against (check 5), shared with the verification jobs.
struct BallotContext {
    manifest: Manifest,
    election_hash: Hash,
    key: Element,
    roll_map: Arc<HashMap<[u8; 32], u32>>,
    roll_keys: Arc<Vec<PublicKey>>,
}

/// The most ballot batches being verified at once: enough to keep every core busy while the
/// log is read and replayed, few enough that memory stays flat.
const MAX_IN_FLIGHT: usize = 2;

/// Check 5's cryptographic part, running on the rayon pool while the log is read and replayed
/// on: each flushed batch of ballots is one job, its failures come back on a channel.
struct Verifications {
    done_tx: std::sync::mpsc::Sender<Vec<Failure>>,
    done_rx: std::sync::mpsc::Receiver<Vec<Failure>>,
    in_flight: usize,
    failures: Vec<Failure>,
}

impl Verifications {
    fn new() -> Self {
        let (done_tx, done_rx) = std::sync::mpsc::channel();
        Verifications {
            done_tx,
            done_rx,
            in_flight: 0,
            failures: Vec::new(),
        }
    }

    /// Verifies `ballots` in chunks of `chunk` on the rayon pool, in the background.
    fn spawn(&mut self, context: Arc<BallotContext>, ballots: Vec<Pending>, chunk: usize) {
        while self.in_flight >= MAX_IN_FLIGHT {
            self.wait_one();
        }
        let done = self.done_tx.clone();
        self.in_flight += 1;
        rayon::spawn(move || {
            let failures: Vec<Failure> = ballots
                .par_chunks(chunk)
                .flat_map_iter(|part| {
                    verify_ballot_chunk(&context, part)
                        .into_iter()
                        .map(|(_, f)| f)
                })
                .collect();
            let _ = done.send(failures);
        });
    }

    fn wait_one(&mut self) {
        if let Ok(f) = self.done_rx.recv() {
            self.failures.extend(f);
        }
        self.in_flight -= 1;
    }

    /// Waits for every job; returns every failure, in log order.
    fn finish(&mut self) -> Vec<Failure> {
        while self.in_flight > 0 {
            self.wait_one();
        }
        let mut failures = std::mem::take(&mut self.failures);
        failures.sort_by_key(|f| f.line);
        failures
    }
}

/// The credential's counted ballot: its seq and compressed ciphertexts (A, B per option).
struct Counted {
    seq: u64,
    ciphertexts: Vec<[u8; 32]>,
}

/// The key-ceremony messages, by trustee.
#[derive(Default)]
struct Ceremony {
    keys: BTreeMap<u32, (u64, TrusteePublicKey)>,
    commitments: BTreeMap<u32, (u64, CoefficientCommitments)>,
    shares: BTreeMap<u32, (u64, SharesEntry)>,
    complaints: Vec<(u64, Complaint)>,
    acceptances: BTreeMap<u32, (u64, AcceptanceEntry)>,
}

/// A ballot or challenged entry's kind, id and tracking code.
type BallotRef = (ReceiptKind, [u8; 16], String);

/// What the receipt check needs from the stream.
#[derive(Default)]
struct ReceiptEvidence {
    root_at_size: Option<Hash>,
    entry: Option<(Hash, Option<BallotRef>)>,
}

struct Verifier<'o> {
    options: &'o Options,
    checks: Vec<CheckResult>,
    manifest_file: Vec<u8>,
    manifest: Option<Manifest>,
    base_hash: Option<Hash>,
    phase: Phase,
    log_size: u64,
    last_hash: Hash,
    prev_of_current: Hash,
    acc: RootAccumulator,
    checkpoints: Vec<(u64, Checkpoint)>,
    checkpoints_at: BTreeMap<u64, Vec<usize>>,
    ceremony: Ceremony,
    /// The ceremony's order rules (docs/spec.md §6.3), shared with the board.
    ceremony_order: Option<CeremonyProgress>,
    ceremony_checked: bool,
    roll: Vec<[u8; 32]>,
    roll_keys: Arc<Vec<PublicKey>>,
    roll_map: Arc<HashMap<[u8; 32], u32>>,
    opened: Option<Opened>,
    /// What ballots are verified against, fixed once the election opened and the roll is known.
    ballot_context: Option<Arc<BallotContext>>,
    verifications: Verifications,
    pending: Vec<Pending>,
    ballot_ids: HashSet<[u8; 16]>,
    challenged_ids: Vec<(u64, [u8; 16])>,
    /// Randomness commitments revealed by the challenged entries so far (check 7).
    spoiled: SpoiledCiphertexts,
    counted: HashMap<[u8; 32], Counted>,
    sums: Vec<Vec<CiphertextSum>>,
    ballots_cast: u64,
    close: Option<(u64, CloseEntry)>,
    tally: Option<(u64, TallyEntry)>,
    decryptions: BTreeMap<u32, (u64, DecryptionEntry)>,
    result: Option<(u64, ResultEntry, String)>,
    decrypted: Option<Vec<Vec<u64>>>,
    index: BallotIndex,
    /// The normalised tracking codes to index, if not all.
    wanted_codes: Option<HashSet<String>>,
    receipt: ReceiptEvidence,
}

/// The exact `roll.jsonl` of a roll given in roll order (docs/spec.md §7.1).
pub fn roll_file_bytes(roll: &[[u8; 32]]) -> Vec<u8> {
    let mut out = Vec::with_capacity(roll.len() * 82);
    for c in roll {
        out.extend_from_slice(b"{\"credential\":\"");
        out.extend_from_slice(hex::encode(c).as_bytes());
        out.extend_from_slice(b"\"}\n");
    }
    out
}

/// Runs every check on the record in `dir`.
pub fn run(dir: &Path, options: &Options) -> Result<Report, InputError> {
    let manifest_file = input::read_file(dir, MANIFEST_FILE)?;
    let checkpoints_file = input::read_file(dir, CHECKPOINTS_FILE)?;
    let roll_file = input::read_file(dir, ROLL_FILE)?;
    let result_file = input::read_optional(dir, RESULT_FILE)?;
    let checkpoints = input::lines(CHECKPOINTS_FILE, &checkpoints_file)?
        .into_iter()
        .map(|(n, l)| {
            Ok((
                n,
                input::parse_json::<Checkpoint>(CHECKPOINTS_FILE, Some(n), l)?,
            ))
        })
        .collect::<Result<Vec<_>, InputError>>()?;
    // Lines that are not roll lines at all make the record unreadable; check 3 then
    // compares the file with the roll byte for byte.
    for (n, l) in input::lines(ROLL_FILE, &roll_file)? {
        input::parse_json::<RollLine>(ROLL_FILE, Some(n), l)?;
    }
    if let Some(bytes) = &result_file {
        input::parse_json::<serde_json::Value>(
            RESULT_FILE,
            None,
            std::str::from_utf8(bytes)
                .map_err(|_| InputError::new(RESULT_FILE, None, "the file is not UTF-8"))?,
        )?;
    }

    let mut v = Verifier::new(options, manifest_file, checkpoints);
    v.stream_board(dir)?;
    v.finish(&roll_file, result_file.as_deref())
}

/// Lines of `board.jsonl` (number, text) and their size in bytes.
type LineBatch = Result<(Vec<(u64, String)>, u64), InputError>;
/// The same lines parsed.
type ParsedBatch = Result<(Vec<Result<Parsed, InputError>>, u64), InputError>;

/// A log smaller than this is read, parsed and replayed by the calling thread alone.
const PIPELINE_MIN_BYTES: u64 = 1 << 20;

/// Parses and hashes a batch of lines in parallel.
fn parse_batch(lines: &[(u64, String)]) -> Vec<Result<Parsed, InputError>> {
    lines
        .par_iter()
        .map(|(n, text)| input::parse_board_line(*n, text))
        .collect()
}

/// Reads `board.jsonl` in batches of [`READ_BATCH`] lines and hands each to `out`, until the
/// end, an error (handed over too), or `out` returning false.
fn read_batches(mut reader: impl BufRead, mut out: impl FnMut(LineBatch) -> bool) {
    let mut line_no = 0u64;
    loop {
        let mut batch: Vec<(u64, String)> = Vec::with_capacity(READ_BATCH);
        let mut bytes = 0u64;
        while batch.len() < READ_BATCH {
            let mut text = String::new();
            let n = match reader.read_line(&mut text) {
                Ok(n) => n,
                Err(e) => {
                    out(Err(InputError::new(
                        BOARD_FILE,
                        Some(line_no + 1),
                        format!("cannot read: {e}"),
                    )));
                    return;
                }
            };
            if n == 0 {
                break;
            }
            bytes += n as u64;
            line_no += 1;
            // Every line, the last one too, ends with a line feed (docs/spec.md §7.3).
            if text.pop() != Some('\n') {
                out(Err(InputError::new(
                    BOARD_FILE,
                    Some(line_no),
                    "the line does not end with a line feed",
                )));
                return;
            }
            if text.trim().is_empty() {
                out(Err(InputError::new(
                    BOARD_FILE,
                    Some(line_no),
                    "empty line",
                )));
                return;
            }
            batch.push((line_no, text));
        }
        if batch.is_empty() || !out(Ok((batch, bytes))) {
            return;
        }
    }
}

impl<'o> Verifier<'o> {
    fn new(
        options: &'o Options,
        manifest_file: Vec<u8>,
        checkpoints: Vec<(u64, Checkpoint)>,
    ) -> Self {
        let mut checkpoints_at: BTreeMap<u64, Vec<usize>> = BTreeMap::new();
        for (i, (_, cp)) in checkpoints.iter().enumerate() {
            checkpoints_at.entry(cp.tree_size).or_default().push(i);
        }
        Verifier {
            options,
            checks: CHECKS
                .iter()
                .map(|&(n, name)| CheckResult::new(n, name))
                .collect(),
            manifest_file,
            manifest: None,
            base_hash: None,
            phase: Phase::Empty,
            log_size: 0,
            last_hash: GENESIS_PREV,
            prev_of_current: GENESIS_PREV,
            acc: RootAccumulator::new(),
            checkpoints,
            checkpoints_at,
            ceremony: Ceremony::default(),
            ceremony_order: None,
            ceremony_checked: false,
            roll: Vec::new(),
            roll_keys: Arc::new(Vec::new()),
            roll_map: Arc::new(HashMap::new()),
            opened: None,
            ballot_context: None,
            verifications: Verifications::new(),
            pending: Vec::new(),
            ballot_ids: HashSet::new(),
            challenged_ids: Vec::new(),
            spoiled: SpoiledCiphertexts::new(),
            counted: HashMap::new(),
            sums: Vec::new(),
            ballots_cast: 0,
            close: None,
            tally: None,
            decryptions: BTreeMap::new(),
            result: None,
            decrypted: None,
            index: BallotIndex::default(),
            wanted_codes: options.tracking_codes.as_ref().map(|codes| {
                codes
                    .iter()
                    .map(|c| crate::report::normalize_tracking_code(c))
                    .collect()
            }),
            receipt: ReceiptEvidence::default(),
        }
    }

    /// Whether the ballot index keeps `code` (see [`Options::tracking_codes`]).
    fn wants_code(&self, code: &str) -> bool {
        match &self.wanted_codes {
            None => true,
            Some(codes) => codes.contains(code),
        }
    }

    fn check(&mut self, number: u8) -> &mut CheckResult {
        &mut self.checks[usize::from(number) - 1]
    }

    fn fail(&mut self, number: u8, failure: Failure) {
        self.check(number).fail(failure);
    }

    fn count(&mut self, number: u8, items: u64) {
        self.check(number).items += items;
    }

    /// Reads `board.jsonl` batch by batch: parse and hash in parallel, replay in order.
    fn stream_board(&mut self, dir: &Path) -> Result<(), InputError> {
        let file = File::open(dir.join(BOARD_FILE))
            .map_err(|e| InputError::new(BOARD_FILE, None, format!("cannot read: {e}")))?;
        let total = file.metadata().map(|m| m.len()).unwrap_or(0);
        let bar = if self.options.progress {
            let bar = indicatif::ProgressBar::with_draw_target(
                Some(total),
                indicatif::ProgressDrawTarget::stderr(),
            );
            if let Ok(style) = indicatif::ProgressStyle::with_template(
                "verifying {bar:40} {bytes}/{total_bytes} {eta}",
            ) {
                bar.set_style(style);
            }
            bar
        } else {
            indicatif::ProgressBar::hidden()
        };
        if total < PIPELINE_MIN_BYTES {
            // A small log: the pipeline's two threads would cost more than they save (and the
            // fuzzer's record loader runs this thousands of times a second).
            let mut outcome = Ok(());
            read_batches(BufReader::new(file), |batch| {
                outcome = batch.and_then(|(lines, bytes)| {
                    self.replay(parse_batch(&lines))?;
                    bar.inc(bytes);
                    Ok(())
                });
                outcome.is_ok()
            });
            outcome?;
            bar.finish_and_clear();
            return Ok(());
        }
        // Three stages at once: a thread reads batches of lines, another parses and hashes
        // each batch on the rayon pool, and this thread replays the parsed entries in order
        // (whose ballots are verified in the background, see `flush_ballots`).
        let (lines_tx, lines_rx) = std::sync::mpsc::sync_channel::<LineBatch>(2);
        let (parsed_tx, parsed_rx) = std::sync::mpsc::sync_channel::<ParsedBatch>(1);
        std::thread::scope(|scope| {
            scope.spawn(move || {
                read_batches(BufReader::with_capacity(1 << 20, file), |batch| {
                    lines_tx.send(batch).is_ok()
                })
            });
            scope.spawn(move || {
                for batch in lines_rx {
                    let parsed = batch.map(|(lines, bytes)| (parse_batch(&lines), bytes));
                    if parsed_tx.send(parsed).is_err() {
                        return;
                    }
                }
            });
            for batch in parsed_rx {
                let (parsed, bytes) = batch?;
                self.replay(parsed)?;
                bar.inc(bytes);
            }
            Ok::<(), InputError>(())
        })?;
        bar.finish_and_clear();
        Ok(())
    }

    /// Replays a parsed batch of the log, in order, and hands its ballots to the background
    /// verification.
    fn replay(&mut self, parsed: Vec<Result<Parsed, InputError>>) -> Result<(), InputError> {
        for p in parsed {
            self.entry(p?)?;
        }
        self.flush_ballots();
        Ok(())
    }

    /// Replays one entry.
    fn entry(&mut self, p: Parsed) -> Result<(), InputError> {
        self.check_4_chain(&p);
        let this_hash = p.hash;
        let Parsed {
            line,
            seq,
            entry,
            inner,
            ..
        } = p;
        if let Some(receipt) = &self.options.receipt {
            if receipt.seq == seq {
                let ballot = match &entry {
                    Entry::Ballot(b) => Some((
                        ReceiptKind::Ballot,
                        b.ballot.ballot_id,
                        b.tracking_code.clone(),
                    )),
                    Entry::Challenged(c) => self.opened.as_ref().map(|o| {
                        (
                            ReceiptKind::Challenged,
                            c.ballot_id,
                            c.tracking_code(&o.election_hash),
                        )
                    }),
                    _ => None,
                };
                self.receipt.entry = Some((this_hash, ballot));
            }
        }
        match self.phase.next(&entry) {
            Ok(next) => self.phase = next,
            Err(e) => {
                self.fail(4, on_board(line, format!("entry out of order: {e}")));
                return Ok(());
            }
        }
        if self.manifest.is_none() && !matches!(entry, Entry::Manifest(_)) {
            return Ok(());
        }
        self.check_2_order(line, &entry);
        match entry {
            Entry::Manifest(m) => self.check_1_manifest(line, m, inner.unwrap_or_default()),
            Entry::TrusteeKey(k) => {
                self.ceremony_entry(line, k.index, |c| &mut c.keys, k);
            }
            Entry::Commitments(c) => {
                self.ceremony_entry(line, c.trustee, |c| &mut c.commitments, c);
            }
            Entry::Shares(s) => {
                self.ceremony_entry(line, s.from, |c| &mut c.shares, s);
            }
            Entry::Complaint(c) => self.ceremony.complaints.push((line, c)),
            Entry::Acceptance(a) => {
                self.ceremony_entry(line, a.trustee, |c| &mut c.acceptances, a);
            }
            Entry::Roll(r) => self.check_3_roll_entry(line, r),
            Entry::Open(o) => self.open(line, o),
            Entry::Ballot(b) => self.pending.push(Pending {
                line,
                seq,
                entry: b,
            }),
            Entry::Challenged(c) => {
                self.flush_ballots();
                self.check_7_challenged(line, seq, c);
            }
            Entry::Close(c) => {
                self.flush_ballots();
                self.close = Some((line, c));
            }
            Entry::Tally(t) => {
                self.flush_ballots();
                self.check_8_aggregation(line, &t);
                self.tally = Some((line, t));
            }
            Entry::Decryption(d) => {
                let trustee = d.trustee;
                if let std::collections::btree_map::Entry::Vacant(slot) =
                    self.decryptions.entry(trustee)
                {
                    slot.insert((line, d));
                } else {
                    self.fail(
                        9,
                        on_board(line, format!("second decryption by trustee {trustee}")),
                    );
                }
            }
            Entry::Result(r) => self.result = Some((line, r, inner.unwrap_or_default())),
        }
        Ok(())
    }

    fn ceremony_entry<T>(
        &mut self,
        line: u64,
        trustee: u32,
        slot: impl Fn(&mut Ceremony) -> &mut BTreeMap<u32, (u64, T)>,
        value: T,
    ) {
        // A second message of one kind is reported by the order rules (check_2_order); the
        // first one is kept.
        let map = slot(&mut self.ceremony);
        if let std::collections::btree_map::Entry::Vacant(slot) = map.entry(trustee) {
            slot.insert((line, value));
        }
    }

    /// Check 2 (order): the ceremony message rules of docs/spec.md §6.3, the same function the
    /// board applies before appending (a complaint only after the share it disputes, shares
    /// with valid ephemeral-key proofs, no `open` after a complaint…).
    fn check_2_order(&mut self, line: u64, entry: &Entry) {
        let (Some(manifest), Some(base)) = (&self.manifest, self.base_hash) else {
            return;
        };
        let n = manifest.trustees;
        let progress = self
            .ceremony_order
            .get_or_insert_with(|| CeremonyProgress::new(n));
        if let Err(e) = progress.admit(entry, &base) {
            self.fail(2, on_board(line, e.to_string()));
        }
    }

    // ---------------------------------------------------------------- check 4: board log

    /// Check 4 (chain part): seq 0, 1, 2…, prev = previous hash, hash recomputed; the Merkle
    /// root of every prefix that a checkpoint covers.
    fn check_4_chain(&mut self, p: &Parsed) {
        self.count(4, 1);
        if p.seq != self.log_size {
            let expected = self.log_size;
            self.fail(
                4,
                on_board(
                    p.line,
                    format!("seq is {} but {expected} was expected", p.seq),
                ),
            );
        }
        if p.prev != self.last_hash {
            self.fail(4, on_board(p.line, "prev is not the previous entry's hash"));
        }
        if p.computed != p.hash {
            self.fail(
                4,
                on_board(
                    p.line,
                    "hash does not match the entry (entry_hash recomputed)",
                ),
            );
        }
        self.prev_of_current = self.last_hash;
        self.last_hash = p.hash;
        self.log_size += 1;
        self.acc.append(leaf_hash(&p.hash));
        let size = self.acc.size();
        if let Some(list) = self.checkpoints_at.get(&size).cloned() {
            let root = self.acc.root();
            for i in list {
                let (line, root_ok, last_ok) = {
                    let (line, cp) = &self.checkpoints[i];
                    (*line, cp.root == root, cp.last_hash == p.hash)
                };
                if !root_ok {
                    self.fail(4, at(CHECKPOINTS_FILE, Some(line), format!("root of the first {size} entries differs from the signed checkpoint")));
                }
                if !last_ok {
                    self.fail(
                        4,
                        at(
                            CHECKPOINTS_FILE,
                            Some(line),
                            format!("last_hash differs from the hash of entry {}", size - 1),
                        ),
                    );
                }
            }
        }
        if let Some(r) = &self.options.receipt {
            if r.checkpoint.tree_size == size {
                self.receipt.root_at_size = Some(self.acc.root());
            }
        }
    }

    /// Check 4 (checkpoint part): every signature under the board key and H_B, each checkpoint
    /// naming its predecessor (none withheld), sizes strictly increasing; run once H_B is known.
    fn check_4_checkpoint_signatures(&mut self, board_key: &[u8; 32], base: &Hash) {
        let mut previous = 0u64;
        let mut previous_checkpoint: Option<&Checkpoint> = None;
        let mut failures = Vec::new();
        for (line, cp) in &self.checkpoints {
            if !cp.follows(previous_checkpoint, base) {
                failures.push(at(
                    CHECKPOINTS_FILE,
                    Some(*line),
                    "does not name the previous checkpoint as its predecessor: a checkpoint was withheld or reordered",
                ));
            }
            previous_checkpoint = Some(cp);
            if cp.verify(board_key, base).is_err() {
                failures.push(at(
                    CHECKPOINTS_FILE,
                    Some(*line),
                    "the board's signature does not verify",
                ));
            }
            if cp.tree_size <= previous {
                failures.push(at(
                    CHECKPOINTS_FILE,
                    Some(*line),
                    "tree sizes must be positive and strictly increasing",
                ));
            }
            previous = cp.tree_size;
        }
        self.count(4, self.checkpoints.len() as u64);
        for f in failures {
            self.fail(4, f);
        }
    }

    /// Check 4 (end): no checkpoint beyond the log; a finished record is signed in full.
    fn check_4_end(&mut self) {
        let size = self.log_size;
        let beyond: Vec<u64> = self
            .checkpoints
            .iter()
            .filter(|(_, cp)| cp.tree_size > size)
            .map(|(l, _)| *l)
            .collect();
        for line in beyond {
            self.fail(4, at(CHECKPOINTS_FILE, Some(line), format!("checkpoint covers more entries than the log's {size}: entries were dropped")));
        }
        let last = self.checkpoints.iter().map(|(_, c)| c.tree_size).max();
        if self.phase == Phase::Finished && last != Some(size) {
            self.fail(
                4,
                at(
                    CHECKPOINTS_FILE,
                    None,
                    format!("no signed checkpoint covers the whole finished log ({size} entries)"),
                ),
            );
        }
        if size == 0 {
            self.fail(4, at(BOARD_FILE, None, "the log is empty"));
        }
    }

    // ---------------------------------------------------------------- check 1: parameters

    /// Check 1 (manifest part): versions and parameters; manifest.json equal to entry 0's
    /// manifest and to its re-serialization; H_B recomputed.
    fn check_1_manifest(&mut self, line: u64, manifest: Manifest, inner: String) {
        self.count(1, 1);
        if let Err(e) = manifest.validate() {
            self.fail(1, on_board(line, format!("manifest: {e}")));
        }
        let canonical = serde_json::to_vec(&manifest).unwrap_or_default();
        if canonical != inner.as_bytes() {
            self.fail(
                1,
                on_board(line, "the logged manifest is not in canonical form"),
            );
        }
        if !input::same_document(&self.manifest_file, inner.as_bytes()) {
            self.fail(
                1,
                at(
                    MANIFEST_FILE,
                    None,
                    "manifest.json differs from the manifest in entry 0",
                ),
            );
        }
        let base = hash::base_hash(inner.as_bytes());
        self.check_4_checkpoint_signatures(&manifest.board_key, &base);
        self.sums = manifest
            .questions
            .iter()
            .map(|q| vec![CiphertextSum::default(); q.options.len()])
            .collect();
        self.base_hash = Some(base);
        self.manifest = Some(manifest);
    }

    /// Check 1 (open part): H_E = election_hash(H_B, hash of the entry before open, K, web
    /// bundle hash).
    fn check_1_election_hash(&mut self, line: u64, open: &OpenEntry, prefix: &Hash) {
        let Some(base) = self.base_hash else { return };
        self.count(1, 1);
        let bundle = open.web_bundle_hash.map(|h| h.0);
        let expected =
            hash::election_hash(&base, prefix, open.joint_key.as_bytes(), bundle.as_ref());
        if expected != open.election_hash {
            self.fail(
                1,
                on_board(
                    line,
                    "H_E differs from election_hash(H_B, log prefix, K, web bundle hash)",
                ),
            );
        }
    }

    fn open(&mut self, line: u64, open: OpenEntry) {
        // `last_hash` is now the open entry's own hash; the prefix is the entry before it,
        // which check_4_chain saw as `prev` of this line.
        let prefix = self.prev_of_current;
        self.check_1_election_hash(line, &open, &prefix);
        self.check_2_key_ceremony(Some((line, &open)));
        self.check_3_roll_open(line, &open);
        self.opened = Some(Opened {
            line,
            election_hash: open.election_hash,
            key: open.joint_key,
            fixed: FixedBase::new(open.joint_key),
            verification_keys: open.verification_keys,
            roll_size: open.roll_size,
            web_bundle_hash: open.web_bundle_hash.map(|h| h.0),
        });
    }
}

impl Verifier<'_> {
    // ---------------------------------------------------------------- check 2: ceremony

    /// Check 2: every trustee key proof, every commitment and its Schnorr proofs (t each);
    /// shares present for every ordered pair; complaints adjudicated (a sender caught cheating
    /// means the ceremony failed); acceptances' verification keys equal
    /// `dkg::verification_key`; K and every K_i recomputed and equal to the open entry.
    fn check_2_key_ceremony(&mut self, open: Option<(u64, &OpenEntry)>) {
        if self.ceremony_checked {
            return;
        }
        self.ceremony_checked = true;
        let (Some(manifest), Some(base)) = (self.manifest.clone(), self.base_hash) else {
            return;
        };
        let (n, t) = (manifest.trustees, manifest.threshold);
        let c = std::mem::take(&mut self.ceremony);
        let mut failures = Vec::new();
        let mut items = 0u64;
        let in_range = |i: u32| (1..=n).contains(&i);
        for (&i, (line, key)) in &c.keys {
            items += 1;
            if !in_range(i) {
                failures.push(on_board(
                    *line,
                    format!("trustee index {i} outside 1..={n}"),
                ));
            } else if key.verify(&base).is_err() {
                failures.push(on_board(
                    *line,
                    format!("trustee {i}: key proof does not verify"),
                ));
            }
        }
        for (&i, (line, com)) in &c.commitments {
            items += 1;
            if !in_range(i) {
                failures.push(on_board(
                    *line,
                    format!("trustee index {i} outside 1..={n}"),
                ));
            } else if let Err(e) = com.verify(t, &base) {
                failures.push(on_board(*line, format!("trustee {i}: commitments: {e}")));
            }
        }
        // The form of each shares entry and its ephemeral-key proofs: check_2_order.
        items += c.shares.len() as u64;
        for (line, complaint) in &c.complaints {
            items += 1;
            let share = c
                .shares
                .get(&complaint.against)
                .and_then(|(_, s)| s.shares.iter().find(|s| s.to == complaint.by));
            let complainer = c.keys.get(&complaint.by).map(|(_, k)| k);
            let sender = c.commitments.get(&complaint.against).map(|(_, k)| k);
            match (share, complainer, sender) {
                (Some(share), Some(complainer), Some(sender)) => {
                    match complaint.adjudicate(&base, share, complainer, sender) {
                        Ok(ComplaintVerdict::ComplainerLied) => {}
                        Ok(ComplaintVerdict::SenderCheated) => failures.push(on_board(
                            *line,
                            format!(
                                "trustee {} sent trustee {} a bad share: the ceremony failed",
                                complaint.against, complaint.by
                            ),
                        )),
                        Err(e) => failures
                            .push(on_board(*line, format!("complaint does not verify: {e}"))),
                    }
                }
                _ => failures.push(on_board(
                    *line,
                    "complaint refers to a share, key or commitment that is not in the log",
                )),
            }
        }
        let all: Vec<CoefficientCommitments> =
            c.commitments.values().map(|(_, com)| com.clone()).collect();
        for (&i, (line, acc)) in &c.acceptances {
            items += 1;
            if !in_range(i) || acc.verification_key != dkg::verification_key(&all, i) {
                failures.push(on_board(
                    *line,
                    format!("trustee {i}: accepted verification key differs from the commitments"),
                ));
            }
        }
        if let Some((line, open)) = open {
            // Every acceptance (hence every earlier message) and no complaint: check_2_order.
            items += 1 + u64::from(n);
            if open.joint_key != dkg::joint_key(&all) {
                failures.push(on_board(
                    line,
                    "joint key K differs from the sum of the K_i0",
                ));
            }
            let expected: Vec<Element> = (1..=n).map(|i| dkg::verification_key(&all, i)).collect();
            if open.verification_keys != expected {
                failures.push(on_board(
                    line,
                    "verification keys K_i differ from the commitments",
                ));
            }
        }
        self.count(2, items);
        for f in failures {
            self.fail(2, f);
        }
    }

    // ---------------------------------------------------------------- check 3: roll

    /// Check 3 (entries): at most ROLL_CHUNK credentials in ascending byte order (the shared
    /// `check_roll_entry`), well-formed, not weak, distinct Ed25519 credentials.
    fn check_3_roll_entry(&mut self, line: u64, roll: RollEntry) {
        self.count(3, roll.credentials.len() as u64);
        if let Err(e) = psephos_record::roll::check_roll_entry(&roll) {
            self.fail(3, on_board(line, format!("roll entry: {e}")));
        }
        // Decoding a key is a point decompression (≈ 4 µs): all of the entry's at once.
        let keys: Vec<Option<PublicKey>> = roll
            .credentials
            .par_iter()
            .map(|c| PublicKey::from_bytes(&c.0).ok())
            .collect();
        for (c, key) in roll.credentials.into_iter().zip(keys) {
            let key = match key {
                Some(k) => k,
                None => {
                    self.fail(
                        3,
                        on_board(
                            line,
                            format!("credential {} is not a valid Ed25519 key", hex::encode(c.0)),
                        ),
                    );
                    continue;
                }
            };
            if self.roll_map.contains_key(&c.0) {
                self.fail(
                    3,
                    on_board(
                        line,
                        format!("credential {} appears twice", hex::encode(c.0)),
                    ),
                );
                continue;
            }
            let index = self.roll_keys.len() as u32;
            Arc::make_mut(&mut self.roll_map).insert(c.0, index);
            Arc::make_mut(&mut self.roll_keys).push(key);
            self.roll.push(c.0);
        }
    }

    /// Check 3 (open): roll_size and roll_hash (over the roll in roll order: ascending bytes)
    /// of the open entry.
    fn check_3_roll_open(&mut self, line: u64, open: &OpenEntry) {
        // From here on `roll` is in roll order; nothing is added to it after the open.
        self.roll.sort_unstable();
        if open.roll_size != self.roll.len() as u64 {
            self.fail(
                3,
                on_board(
                    line,
                    format!(
                        "roll_size {} but {} credentials were logged",
                        open.roll_size,
                        self.roll.len()
                    ),
                ),
            );
        }
        if open.roll_hash != hash::roll_hash(self.roll.iter()) {
            self.fail(3, on_board(line, "roll_hash differs from the logged roll"));
        }
    }

    /// Check 3 (end): roll.jsonl holds the roll entries' credentials in roll order (ascending
    /// bytes), each line exactly `{"credential":"<hex>"}` and a line feed.
    fn check_3_roll_file(&mut self, file: &[u8]) {
        self.roll.sort_unstable();
        let exact = roll_file_bytes(&self.roll);
        if exact != file {
            let line = exact
                .split(|&b| b == b'\n')
                .zip(file.split(|&b| b == b'\n'))
                .position(|(a, b)| a != b)
                .map(|i| i as u64 + 1);
            let (have, want) = (file.split(|&b| b == b'\n').count() - 1, self.roll.len());
            self.fail(
                3,
                at(
                    ROLL_FILE,
                    line,
                    format!(
                        "is not the log's roll in roll order ({have} lines for {want} credentials; \
                         expected ascending credentials, one {{\"credential\":\"<hex>\"}} and a line feed per line)"
                    ),
                ),
            );
        }
    }

    // ---------------------------------------------------------------- check 5: ballots

    /// Check 5 for the pending ballots: the sequential rules (roll membership, unique ids,
    /// revote policy of check 6, the running sums of check 8) now, and the proofs and
    /// signatures in a background job ([`Verifications`]) whose failures are added at the end.
    fn flush_ballots(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        let pending = std::mem::take(&mut self.pending);
        let Some(context) = self.ballot_context() else {
            return;
        };
        self.count(5, pending.len() as u64);
        for p in &pending {
            self.check_6_revote(p);
        }
        let chunk = self.options.chunk.max(1);
        self.verifications.spawn(context, pending, chunk);
    }

    /// The context of check 5, made once after the election opened.
    fn ballot_context(&mut self) -> Option<Arc<BallotContext>> {
        if self.ballot_context.is_none() {
            let (Some(manifest), Some(opened)) = (&self.manifest, &self.opened) else {
                return None;
            };
            self.ballot_context = Some(Arc::new(BallotContext {
                manifest: manifest.clone(),
                election_hash: opened.election_hash,
                key: opened.key,
                roll_map: self.roll_map.clone(),
                roll_keys: self.roll_keys.clone(),
            }));
        }
        self.ballot_context.clone()
    }

    /// Waits for the background verifications and records their failures (check 5).
    fn finish_ballots(&mut self) {
        self.flush_ballots();
        for f in self.verifications.finish() {
            self.fail(5, f);
        }
    }

    // ---------------------------------------------------------------- check 6: revotes

    /// Check 5 (roll, unique id) and check 6: one counted ballot per credential, the last under
    /// `last_counts`; under `reject` a second ballot is a failure.
    fn check_6_revote(&mut self, p: &Pending) {
        let Some(manifest) = &self.manifest else {
            return;
        };
        let policy = manifest.revote_policy;
        let b = &p.entry.ballot;
        let shape_ok = b.contests.len() == manifest.questions.len()
            && b.contests
                .iter()
                .zip(&manifest.questions)
                .all(|(c, q)| c.selections.len() == q.options.len());
        if !self.roll_map.contains_key(&b.credential) {
            self.fail(
                5,
                on_ballot(p.line, &b.ballot_id, "credential is not on the roll"),
            );
        }
        if !self.ballot_ids.insert(b.ballot_id) {
            self.fail(5, on_ballot(p.line, &b.ballot_id, "ballot id used twice"));
        }
        self.check_7_not_spoiled(p.line, b);
        self.ballots_cast += 1;
        if self.wants_code(&p.entry.tracking_code) {
            self.index.by_code.insert(
                p.entry.tracking_code.clone(),
                (p.seq, b.ballot_id, b.credential, false),
            );
        }
        let cast = self
            .index
            .by_credential
            .entry(b.credential)
            .or_insert((None, 0));
        cast.1 += 1;
        if !shape_ok {
            return;
        }
        self.count(6, 1);
        let previous = self.counted.get(&b.credential).map(|c| c.seq);
        if previous.is_some() && policy == RevotePolicy::Reject {
            self.fail(
                6,
                on_ballot(
                    p.line,
                    &b.ballot_id,
                    "second ballot of a credential under the reject policy",
                ),
            );
            return;
        }
        let mut new = Vec::new();
        for (q, contest) in b.contests.iter().enumerate() {
            for (o, sel) in contest.selections.iter().enumerate() {
                self.sums[q][o] = self.sums[q][o] + &sel.ciphertext;
                new.push(*sel.ciphertext.a.as_bytes());
                new.push(*sel.ciphertext.b.as_bytes());
            }
        }
        if let Some(old) = self.counted.insert(
            b.credential,
            Counted {
                seq: p.seq,
                ciphertexts: new,
            },
        ) {
            let mut it = old.ciphertexts.chunks(2);
            for q in self.sums.iter_mut() {
                for sum in q.iter_mut() {
                    let decoded = it.next().and_then(|pair| {
                        Some((
                            Element::decode(&pair[0]).ok()?,
                            Element::decode(&pair[1]).ok()?,
                        ))
                    });
                    if let Some((a, bb)) = decoded {
                        sum.a -= a.point();
                        sum.b -= bb.point();
                    }
                }
            }
        }
        if let Some(cast) = self.index.by_credential.get_mut(&b.credential) {
            cast.0 = Some(p.seq);
        }
    }

    /// Check 6 (end): counted ≤ roll size; close.ballots_received equals the ballot entries.
    fn check_6_end(&mut self) {
        let counted = self.counted.len() as u64;
        if let Some(o) = &self.opened {
            if counted > o.roll_size {
                let line = o.line;
                self.fail(
                    6,
                    on_board(
                        line,
                        format!("{counted} ballots counted for a roll of {}", o.roll_size),
                    ),
                );
            }
        }
        if let Some((line, close)) = &self.close {
            if close.ballots_received != self.ballots_cast {
                let (line, got, cast) = (*line, close.ballots_received, self.ballots_cast);
                self.fail(
                    6,
                    on_board(
                        line,
                        format!("close says {got} ballots received, the log has {cast}"),
                    ),
                );
            }
        }
    }

    // ---------------------------------------------------------------- check 7: challenges

    /// Check 7: a challenged ballot's spoil signature verifies under its ballot key, and it
    /// re-creates (ballot key and contests) from its revealed seed and choices; (at the end)
    /// its id is never a cast ballot's. Its ballot key is not a roll key and is not looked up:
    /// a challenge carries no credential.
    fn check_7_challenged(&mut self, line: u64, seq: u64, c: ChallengedBallot) {
        let (Some(manifest), Some(opened)) = (&self.manifest, &self.opened) else {
            return;
        };
        let id = c.ballot_id;
        let hash = c.hash(&opened.election_hash);
        let verdict = c.verify(manifest, &opened.election_hash, &opened.fixed);
        self.count(7, 1);
        if let Err(e) = verdict {
            self.fail(7, on_ballot(line, &id, format!("challenged ballot: {e}")));
        }
        self.spoiled.insert(&c);
        let code = tracking_code_of(&hash);
        if self.wants_code(&code) {
            // A challenge has no credential; the index marks it challenged.
            self.index.by_code.insert(code, (seq, id, [0u8; 32], true));
        }
        self.challenged_ids.push((line, id));
    }

    /// Check 7 for a cast ballot: it must not repeat the randomness of an earlier challenged
    /// ballot (`SpoiledCiphertexts`, the board's rule too), whose plaintext is public.
    fn check_7_not_spoiled(&mut self, line: u64, ballot: &Ballot) {
        if self.spoiled.is_empty() {
            return;
        }
        if let Err(e) = self.spoiled.check(ballot) {
            self.fail(
                7,
                on_ballot(line, &ballot.ballot_id, format!("spoiled ballot cast: {e}")),
            );
        }
    }

    fn check_7_end(&mut self) {
        let clashes: Vec<(u64, [u8; 16])> = self
            .challenged_ids
            .iter()
            .filter(|(_, id)| self.ballot_ids.contains(id))
            .copied()
            .collect();
        for (line, id) in clashes {
            self.fail(
                7,
                on_ballot(
                    line,
                    &id,
                    "a challenged ballot's id is also cast: it would be counted",
                ),
            );
        }
        let mut seen = HashSet::new();
        let dups: Vec<(u64, [u8; 16])> = self
            .challenged_ids
            .iter()
            .filter(|(_, id)| !seen.insert(*id))
            .copied()
            .collect();
        for (line, id) in dups {
            self.fail(7, on_ballot(line, &id, "challenged twice"));
        }
    }

    // ---------------------------------------------------------------- check 8: aggregation

    /// Check 8: the homomorphic sum of the counted ballots equals the tally entry, and
    /// `counted` equals the number of credentials with a counted ballot.
    fn check_8_aggregation(&mut self, line: u64, tally: &TallyEntry) {
        let counted = self.counted.len() as u64;
        self.count(8, counted);
        if tally.counted != counted {
            self.fail(
                8,
                on_board(
                    line,
                    format!(
                        "tally counts {} ballots, the log has {counted} counted",
                        tally.counted
                    ),
                ),
            );
        }
        let shape_ok = tally.questions.len() == self.sums.len()
            && tally
                .questions
                .iter()
                .zip(&self.sums)
                .all(|(t, s)| t.len() == s.len());
        if !shape_ok {
            self.fail(
                8,
                on_board(line, "tally shape differs from the manifest's questions"),
            );
            return;
        }
        let Some(key) = self.opened.as_ref().map(|o| o.key) else {
            return;
        };
        let mut bad = Vec::new();
        for (q, (t, s)) in tally.questions.iter().zip(&self.sums).enumerate() {
            for (o, (ct, sum)) in t.iter().zip(s).enumerate() {
                if *ct != sum.to_tally(&key) {
                    bad.push(on_board(line, format!("question {q} option {o}: tally differs from the sum of counted ballots")));
                }
            }
        }
        for f in bad {
            self.fail(8, f);
        }
    }

    // ---------------------------------------------------------------- check 9: decryption

    /// Check 9: every decryption share's proof against its trustee's K_i (batched), at least t
    /// distinct trustees, the result's trustees valid, and the Lagrange combination with
    /// discrete logs giving counts (kept for check 10).
    fn check_9_decryption(&mut self) {
        let (Some(manifest), Some(opened), Some((_, tally))) =
            (&self.manifest, &self.opened, &self.tally)
        else {
            return;
        };
        let (n, t) = (manifest.trustees, manifest.threshold);
        let he = opened.election_hash;
        let mut failures = Vec::new();
        let mut valid: BTreeMap<u32, &DecryptionEntry> = BTreeMap::new();
        let mut items = 0u64;
        for (&i, (line, d)) in &self.decryptions {
            // One share per question and option, each naming the entry's trustee (§6.2).
            let form = psephos_record::ceremony::check_decryption_form(d, tally);
            let Some(vk) = (1..=n)
                .contains(&i)
                .then(|| opened.verification_keys.get(i as usize - 1))
                .flatten()
            else {
                failures.push(on_board(
                    *line,
                    format!("decryption by unknown trustee {i}"),
                ));
                continue;
            };
            if let Err(e) = form {
                failures.push(on_board(*line, e.to_string()));
                continue;
            }
            let mut batch = BatchVerifier::new();
            for_each_share(d, tally, |q, o, s, ct| {
                items += 1;
                s.queue(vk, &he, q, o, ct, &mut batch)
            });
            let ok = batch.verify() || {
                let mut all = true;
                for_each_share(d, tally, |q, o, s, ct| {
                    all &= s.verify(vk, &he, q, o, ct).is_ok();
                });
                all
            };
            if ok {
                valid.insert(i, d);
            } else {
                failures.push(on_board(
                    *line,
                    format!("trustee {i}: a decryption proof does not verify"),
                ));
            }
        }
        let finished = self.result.is_some();
        if finished && valid.len() < t as usize {
            failures.push(at(
                BOARD_FILE,
                None,
                format!("{} valid decryptions, threshold is {t}", valid.len()),
            ));
        }
        let mut decrypted = None;
        if let Some((line, result, _)) = &self.result {
            let mut trustees = result.trustees.clone();
            trustees.sort_unstable();
            trustees.dedup();
            if trustees.len() != result.trustees.len()
                || trustees.len() < t as usize
                || trustees.iter().any(|i| !valid.contains_key(i))
            {
                failures.push(on_board(
                    *line,
                    "the result's trustees are not t distinct trustees with valid decryptions",
                ));
            } else {
                // Each count is at most the number of ballots counted, recomputed by the
                // verifier (never the record's claim: a forged huge `counted` must not make us
                // build a huge table).
                let bound = (self.counted.len() as u64).min(manifest.max_tally);
                let dlog = DiscreteLog::new(bound);
                let mut counts = Vec::new();
                for (q, cts) in tally.questions.iter().enumerate() {
                    let mut row = Vec::new();
                    for (o, ct) in cts.iter().enumerate() {
                        let shares: Vec<&DecryptionShare> = trustees
                            .iter()
                            .filter_map(|i| valid.get(i).and_then(|d| d.questions[q].get(o)))
                            .collect();
                        match threshold::decrypt(ct, &shares, t, n, &dlog) {
                            Ok(v) => row.push(v),
                            Err(e) => {
                                failures
                                    .push(on_board(*line, format!("question {q} option {o}: {e}")));
                                row.push(u64::MAX);
                            }
                        }
                    }
                    counts.push(row);
                }
                decrypted = Some(counts);
            }
        }
        self.decrypted = decrypted;
        self.count(9, items);
        for f in failures {
            self.fail(9, f);
        }
    }

    // ---------------------------------------------------------------- check 10: result

    /// Check 10: titles and labels match the manifest, counts equal the decryption, turnout
    /// recomputed, result.json equals the result entry.
    fn check_10_result(&mut self, result_file: Option<&[u8]>) {
        let Some((line, result, inner)) = &self.result else {
            if result_file.is_some() {
                self.fail(
                    10,
                    at(
                        RESULT_FILE,
                        None,
                        "result.json is published but the log has no result entry",
                    ),
                );
            }
            return;
        };
        let line = *line;
        let Some(manifest) = &self.manifest else {
            return;
        };
        let mut failures = Vec::new();
        match result_file {
            Some(bytes) if input::same_document(bytes, inner.as_bytes()) => {}
            Some(_) => failures.push(at(
                RESULT_FILE,
                None,
                "result.json differs from the result entry",
            )),
            None => failures.push(at(RESULT_FILE, None, "result.json is missing")),
        }
        let labels_ok = result.questions.len() == manifest.questions.len()
            && result
                .questions
                .iter()
                .zip(&manifest.questions)
                .all(|(r, q)| {
                    r.title == q.title
                        && r.options.len() == q.options.len()
                        && r.options.iter().zip(&q.options).all(|(a, b)| &a.name == b)
                });
        if !labels_ok {
            failures.push(on_board(
                line,
                "titles or option names differ from the manifest",
            ));
        }
        let votes: Vec<Vec<u64>> = result
            .questions
            .iter()
            .map(|q| q.options.iter().map(|o| o.votes).collect())
            .collect();
        if self.decrypted.as_ref() != Some(&votes) {
            failures.push(on_board(
                line,
                "counts differ from the decryption of the tally",
            ));
        }
        let counted = self.tally.as_ref().map_or(0, |(_, t)| t.counted);
        let eligible = self.roll.len() as u64;
        if result.turnout != Turnout::new(eligible, counted) {
            failures.push(on_board(
                line,
                "turnout differs from Turnout::new(roll size, counted)",
            ));
        }
        self.count(10, 1 + votes.iter().map(|v| v.len() as u64).sum::<u64>());
        for f in failures {
            self.fail(10, f);
        }
    }

    // ---------------------------------------------------------------- the end

    fn receipt_report(&self) -> Option<ReceiptReport> {
        let r = self.options.receipt.as_ref()?;
        let mut problems = Vec::new();
        match &self.manifest {
            Some(m) => {
                if let Err(e) = r.verify(&m.board_key) {
                    problems.push(format!("receipt: {e}"));
                }
            }
            None => problems.push("the record has no manifest".to_string()),
        }
        if Some(r.base_hash) != self.base_hash {
            problems.push("the receipt is for another election (H_B differs)".to_string());
        }
        match self.receipt.root_at_size {
            Some(root) if root == r.checkpoint.root => {}
            Some(_) => problems.push(format!(
                "the final log is not an extension of the receipt's checkpoint: its first {} entries have another root",
                r.checkpoint.tree_size
            )),
            None => problems.push(format!(
                "the final log has {} entries, fewer than the receipt's checkpoint ({}): entries were dropped",
                self.log_size, r.checkpoint.tree_size
            )),
        }
        match &self.receipt.entry {
            Some((h, Some((kind, id, code))))
                if *h == r.entry_hash
                    && *kind == r.kind
                    && *id == r.ballot_id
                    && *code == r.tracking_code => {}
            Some(_) => problems.push(format!(
                "entry {} of the final log is not the receipt's {} entry",
                r.seq,
                r.kind.as_str()
            )),
            None => problems.push(format!("the final log has no entry {}", r.seq)),
        }
        Some(ReceiptReport {
            tracking_code: r.tracking_code.clone(),
            seq: r.seq,
            valid: problems.is_empty(),
            problems,
        })
    }

    fn finish(
        mut self,
        roll_file: &[u8],
        result_file: Option<&[u8]>,
    ) -> Result<Report, InputError> {
        self.finish_ballots();
        if self.manifest.is_none() {
            self.fail(1, at(BOARD_FILE, Some(1), "entry 0 is not a manifest"));
        }
        if self.opened.is_none() {
            self.check_2_key_ceremony(None);
        }
        self.check_3_roll_file(roll_file);
        self.check_4_end();
        self.check_6_end();
        self.check_7_end();
        self.check_9_decryption();
        self.check_10_result(result_file);

        let opened = self.opened.is_some();
        let tallied = self.tally.is_some();
        let decrypting = tallied && !self.decryptions.is_empty();
        let finished = self.result.is_some();
        let applicable = [
            (2, opened, "no open entry: the key ceremony is not finished"),
            (3, opened, "no open entry: the roll is not final"),
            (5, opened, "the election never opened"),
            (6, opened, "the election never opened"),
            (7, opened, "the election never opened"),
            (8, tallied, "no tally entry yet"),
            (9, decrypting || finished, "no decryption entry yet"),
            (10, finished, "no result entry yet"),
        ];
        for (number, ok, why) in applicable {
            if ok {
                continue;
            }
            if self.options.require_complete {
                self.fail(
                    number,
                    at(BOARD_FILE, None, format!("record incomplete: {why}")),
                );
            } else if self.check(number).status == Status::Passed {
                let c = self.check(number);
                c.status = Status::Skipped;
                c.note = Some(why.to_string());
            }
        }
        let receipt = self.receipt_report();
        self.index.roll = Arc::unwrap_or_clone(std::mem::take(&mut self.roll_map));
        Ok(Report {
            checks: self.checks,
            phase: self.phase,
            log_size: self.log_size,
            base_hash: self.base_hash.map(hex::encode),
            election_hash: self.opened.as_ref().map(|o| hex::encode(o.election_hash)),
            election_fingerprint: self
                .opened
                .as_ref()
                .map(|o| hash::election_fingerprint(&o.election_hash)),
            web_bundle_hash: self
                .opened
                .as_ref()
                .and_then(|o| o.web_bundle_hash.map(hex::encode)),
            receipt,
            index: self.index,
        })
    }
}

fn for_each_share(
    d: &DecryptionEntry,
    tally: &TallyEntry,
    mut f: impl FnMut(u32, u32, &DecryptionShare, &Ciphertext),
) {
    for (q, (shares, cts)) in d.questions.iter().zip(&tally.questions).enumerate() {
        for (o, (s, ct)) in shares.iter().zip(cts).enumerate() {
            f(q as u32, o as u32, s, ct);
        }
    }
}

/// Check 5 on one chunk: tracking codes, then one proof batch and one signature batch; on a
/// failed batch, the ballots one by one to name the failing ones.
fn verify_ballot_chunk(context: &BallotContext, part: &[Pending]) -> Vec<(usize, Failure)> {
    let BallotContext {
        manifest,
        election_hash: he,
        key: joint_key,
        roll_map,
        roll_keys,
    } = context;
    let mut failures = Vec::new();
    let mut batch = BatchVerifier::new();
    // Room for every term at once (instead of growing, and copying, the term vectors): a
    // contest queues two terms per ciphertext and per branch commitment. Capped: the
    // manifest is untrusted input.
    let terms_per_ballot: usize = manifest
        .questions
        .iter()
        .map(|q| {
            let sum_branches = q.max_selections.saturating_sub(q.min_selections) + 1;
            (6 * q.options.len()).saturating_add(2 * sum_branches.min(1024) as usize)
        })
        .fold(0usize, usize::saturating_add);
    batch.reserve(terms_per_ballot.saturating_mul(part.len()).min(1 << 20));
    let key_base = batch.shared_base(*joint_key.point());
    let mut queued_bad = vec![false; part.len()];
    let mut hashes = Vec::with_capacity(part.len());
    let mut sig_items: Vec<(usize, PublicKey)> = Vec::with_capacity(part.len());
    for (i, p) in part.iter().enumerate() {
        let b = &p.entry.ballot;
        // The content recomputes the credential commitment once, for the hash and the proofs.
        let content = b.content();
        let h = content.hash(he);
        if tracking_code_of(&h) != p.entry.tracking_code {
            failures.push((
                i,
                on_ballot(
                    p.line,
                    &b.ballot_id,
                    "tracking code differs from the ballot hash",
                ),
            ));
        }
        if let Err(e) = content.queue_proofs(manifest, he, joint_key, key_base, &mut batch) {
            queued_bad[i] = true;
            failures.push((i, on_ballot(p.line, &b.ballot_id, format!("proofs: {e}"))));
        }
        let key = match roll_map.get(&b.credential) {
            Some(&k) => roll_keys.get(k as usize).copied(),
            None => PublicKey::from_bytes(&b.credential).ok(),
        };
        match key {
            Some(k) => sig_items.push((i, k)),
            None => failures.push((
                i,
                on_ballot(p.line, &b.ballot_id, "credential is not an Ed25519 key"),
            )),
        }
        hashes.push(h);
    }
    if !batch.verify() {
        let mut located = false;
        for (i, p) in part.iter().enumerate() {
            if queued_bad[i] {
                located = true;
                continue;
            }
            let b = &p.entry.ballot;
            if let Err(e) = b.verify_proofs(manifest, he, joint_key) {
                located = true;
                failures.push((i, on_ballot(p.line, &b.ballot_id, format!("proofs: {e}"))));
            }
        }
        if !located {
            if let Some(p) = part.first() {
                failures.push((
                    0,
                    on_board(
                        p.line,
                        "a proof batch failed although each ballot verifies alone",
                    ),
                ));
            }
        }
    }
    // The one Ed25519 rule (spec §7.4), batch-consistent: every chunk size and thread count
    // gives the same verdict. What each credential signed: the cast message of its ballot hash.
    let cast_messages: Vec<[u8; 47]> = sig_items
        .iter()
        .map(|(i, _)| Ballot::signed_message(&hashes[*i]))
        .collect();
    let items: Vec<BatchItem<'_>> = sig_items
        .iter()
        .zip(&cast_messages)
        .map(|((i, key), message)| BatchItem {
            key,
            message: &message[..],
            signature: &part[*i].entry.ballot.signature,
        })
        .collect();
    for ((i, _), verdict) in sig_items.iter().zip(signature::verify_each(&items)) {
        if verdict.is_err() {
            let b = &part[*i].entry.ballot;
            failures.push((
                *i,
                on_ballot(
                    part[*i].line,
                    &b.ballot_id,
                    "the credential's signature does not verify",
                ),
            ));
        }
    }
    failures.sort_by_key(|(i, _)| *i);
    failures
}
