//! An honest board simulated in-process, from the crypto and record crates alone: it runs a
//! t-of-n key ceremony, a roll, ballots (with revotes and a challenge), the close, tally,
//! decryptions and result, signs checkpoints, and writes the five files of a published record.
//!
//! Used by the verifier's tests (which then tamper with the record) and by `--bench`; also
//! useful to other crates' tests. It is a fixture generator, not on the verification path, so
//! it may panic on impossible internal errors.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use ed25519_dalek::SigningKey;
use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;
use rayon::prelude::*;
use serde_json::value::RawValue;

use psephos_crypto::dkg::{self, EncryptedShare};
use psephos_crypto::dkg::{KeyShare, Polynomial, TrusteeSecretKey};
use psephos_crypto::dlog::DiscreteLog;
use psephos_crypto::elgamal::CiphertextSum;
use psephos_crypto::group::FixedBase;
use psephos_crypto::nonce::BallotSeed;
use psephos_crypto::threshold::{self, DecryptionShare};
use psephos_record::checkpoint::{Checkpoint, Receipt};
use psephos_record::credential::generate_code;
use psephos_record::entry::{
    entry_bytes, format_line, AcceptanceEntry, BallotEntry, CloseEntry, DecryptionEntry, HexKey,
    OpenEntry, OptionResult, QuestionResult, ResultEntry, SharesEntry, TallyEntry, Turnout,
};
use psephos_record::hash::{self, Hash, GENESIS_PREV};
use psephos_record::merkle::{leaf_hash, MerkleTree};
use psephos_record::record::{
    RollLine, BOARD_FILE, CHECKPOINTS_FILE, MANIFEST_FILE, RESULT_FILE, ROLL_FILE,
};
use psephos_record::RevotePolicy;
use psephos_record::{
    Ballot, Credential, Entry, Manifest, PendingBallot, Phase, Question, ReceiptKind,
};

/// What election to simulate.
#[derive(Clone, Debug)]
pub struct Spec {
    /// n.
    pub trustees: u32,
    /// t.
    pub threshold: u32,
    /// Credentials on the roll.
    pub voters: usize,
    /// First ballots, by voters 0, 1, 2… (at most `voters`).
    pub ballots: usize,
    /// Revotes, by voters 0, 1, 2… after all first ballots.
    pub revotes: usize,
    /// Challenged ballots, by the last voters, after the first ballot.
    pub challenged: usize,
    /// The questions.
    pub questions: Vec<Question>,
    /// Revote policy.
    pub revote_policy: RevotePolicy,
    /// A checkpoint every this many entries (and one at the end).
    pub checkpoint_every: u64,
    /// Stop once this phase is reached (`Finished` for a complete record).
    pub stop: Phase,
    /// RNG seed.
    pub seed: u64,
    /// Trustee 2 complains about trustee 1's share: `Some(true)` when trustee 1 really sent
    /// a bad share (the ceremony must fail), `Some(false)` when the share was good.
    pub complaint: Option<bool>,
}

/// The association's question: one of three candidates.
pub fn association_question() -> Question {
    Question {
        title: "Board election".to_string(),
        options: vec!["Alice".into(), "Bob".into(), "Carol".into()],
        min_selections: 0,
        max_selections: 1,
    }
}

impl Spec {
    /// A small record: 3 trustees (t = 2), 6 voters, 5 ballot entries (3 first ballots, one
    /// revote, one challenged), two questions.
    pub fn small() -> Self {
        Spec {
            trustees: 3,
            threshold: 2,
            voters: 6,
            ballots: 3,
            revotes: 1,
            challenged: 1,
            questions: vec![
                association_question(),
                Question {
                    title: "Budget".to_string(),
                    options: vec!["Yes".into(), "No".into()],
                    min_selections: 1,
                    max_selections: 1,
                },
            ],
            revote_policy: RevotePolicy::LastCounts,
            checkpoint_every: 8,
            stop: Phase::Finished,
            seed: 7,
            complaint: None,
        }
    }

    /// `n` ballots of the association's question, one per voter.
    pub fn association(n: usize) -> Self {
        Spec {
            trustees: 3,
            threshold: 2,
            voters: n,
            ballots: n,
            revotes: 0,
            challenged: 0,
            questions: vec![association_question()],
            revote_policy: RevotePolicy::LastCounts,
            checkpoint_every: 1000,
            stop: Phase::Finished,
            seed: 1,
            complaint: None,
        }
    }
}

/// A generated record: the entry bodies (the source of truth) plus the secrets needed to
/// re-sign it after tampering.
pub struct Record {
    /// Entry texts, in log order.
    pub bodies: Vec<String>,
    /// The board's signing key.
    pub board_key: SigningKey,
    /// A checkpoint every this many entries (and one at the end).
    pub checkpoint_every: u64,
    /// The voters' codes, by voter number (not roll order: the roll is sorted by credential).
    pub codes: Vec<String>,
    /// H_B.
    pub base_hash: Hash,
    /// H_E (zero if the election did not open).
    pub election_hash: Hash,
}

/// The five files.
#[derive(Clone, Debug, Default)]
pub struct Files {
    /// board.jsonl.
    pub board: String,
    /// manifest.json.
    pub manifest: String,
    /// roll.jsonl.
    pub roll: String,
    /// checkpoints.jsonl.
    pub checkpoints: String,
    /// result.json, if there is a result.
    pub result: Option<String>,
}

impl Files {
    /// Writes the files into `dir` (created if needed; an absent result removes result.json).
    pub fn write(&self, dir: &Path) -> std::io::Result<()> {
        std::fs::create_dir_all(dir)?;
        std::fs::write(dir.join(BOARD_FILE), &self.board)?;
        std::fs::write(dir.join(MANIFEST_FILE), &self.manifest)?;
        std::fs::write(dir.join(ROLL_FILE), &self.roll)?;
        std::fs::write(dir.join(CHECKPOINTS_FILE), &self.checkpoints)?;
        match &self.result {
            Some(r) => std::fs::write(dir.join(RESULT_FILE), r)?,
            None => {
                let _ = std::fs::remove_file(dir.join(RESULT_FILE));
            }
        }
        Ok(())
    }
}

/// The inner object of a one-key entry, exactly as written.
pub fn inner_text(body: &str) -> String {
    let map: BTreeMap<String, Box<RawValue>> = serde_json::from_str(body).unwrap();
    map.into_values().next().unwrap().get().to_string()
}

impl Record {
    /// Parses entry `i`.
    pub fn entry(&self, i: usize) -> Entry {
        serde_json::from_str(&self.bodies[i]).unwrap()
    }

    /// Replaces entry `i`.
    pub fn set_entry(&mut self, i: usize, entry: &Entry) {
        self.bodies[i] = String::from_utf8(entry_bytes(entry)).unwrap();
    }

    /// Index of the first entry of this kind.
    pub fn find(&self, kind: &str) -> Option<usize> {
        let prefix = format!("{{\"{kind}\":");
        self.bodies.iter().position(|b| b.starts_with(&prefix))
    }

    /// Indexes of every entry of this kind.
    pub fn find_all(&self, kind: &str) -> Vec<usize> {
        let prefix = format!("{{\"{kind}\":");
        (0..self.bodies.len())
            .filter(|&i| self.bodies[i].starts_with(&prefix))
            .collect()
    }

    /// The chained hashes.
    pub fn chain(&self) -> Vec<Hash> {
        let mut prev = GENESIS_PREV;
        self.bodies
            .iter()
            .enumerate()
            .map(|(seq, b)| {
                prev = hash::entry_hash(seq as u64, &prev, b.as_bytes());
                prev
            })
            .collect()
    }

    /// H_B of the (possibly edited) manifest entry.
    pub fn current_base_hash(&self) -> Hash {
        hash::base_hash(inner_text(&self.bodies[0]).as_bytes())
    }

    /// The signed checkpoints: every `checkpoint_every` entries and at the end.
    pub fn checkpoints(&self) -> Vec<Checkpoint> {
        let chain = self.chain();
        let tree = MerkleTree::from_leaf_hashes(chain.iter().map(|h| leaf_hash(h)));
        let base = self.current_base_hash();
        let n = chain.len() as u64;
        let mut sizes: Vec<u64> = (1..=n)
            .filter(|s| s % self.checkpoint_every.max(1) == 0)
            .collect();
        if sizes.last() != Some(&n) && n > 0 {
            sizes.push(n);
        }
        let mut out: Vec<Checkpoint> = Vec::with_capacity(sizes.len());
        for s in sizes {
            let cp = Checkpoint::sign(
                &self.board_key,
                &base,
                s,
                tree.root(s).unwrap(),
                chain[s as usize - 1],
                out.last(),
            );
            out.push(cp);
        }
        out
    }

    /// The five files, consistent with `bodies` (chain, checkpoints, roll, manifest, result
    /// all recomputed).
    pub fn files(&self) -> Files {
        let chain = self.chain();
        let mut board = String::new();
        let mut prev = GENESIS_PREV;
        let mut roll_order: Vec<HexKey> = Vec::new();
        let mut result = None;
        for (seq, (body, h)) in self.bodies.iter().zip(&chain).enumerate() {
            board.push_str(&format_line(seq as u64, &prev, h, body.as_bytes()));
            board.push('\n');
            prev = *h;
            if body.starts_with("{\"roll\":") {
                if let Ok(Entry::Roll(r)) = serde_json::from_str::<Entry>(body) {
                    roll_order.extend(r.credentials);
                }
            }
            if body.starts_with("{\"result\":") {
                result = Some(inner_text(body));
            }
        }
        // roll.jsonl: the roll in roll order, ascending bytes (docs/spec.md §7.1).
        roll_order.sort_unstable();
        let mut roll = String::new();
        for c in roll_order {
            roll.push_str(&serde_json::to_string(&RollLine { credential: c }).unwrap());
            roll.push('\n');
        }
        let checkpoints = self
            .checkpoints()
            .iter()
            .map(|c| serde_json::to_string(c).unwrap() + "\n")
            .collect();
        Files {
            board,
            manifest: inner_text(&self.bodies[0]),
            roll,
            checkpoints,
            result,
        }
    }

    /// Writes the record into `dir`.
    pub fn write(&self, dir: &Path) -> std::io::Result<()> {
        self.files().write(dir)
    }

    /// A receipt for entry `seq` (a cast or a challenged ballot), under a checkpoint of the
    /// first `tree_size` entries.
    pub fn receipt(&self, seq: u64, tree_size: u64) -> Receipt {
        let chain = self.chain();
        let tree = MerkleTree::from_leaf_hashes(chain.iter().map(|h| leaf_hash(h)));
        let base = self.current_base_hash();
        let cp = Checkpoint::sign(
            &self.board_key,
            &base,
            tree_size,
            tree.root(tree_size).unwrap(),
            chain[tree_size as usize - 1],
            None,
        );
        let (kind, ballot_id, tracking_code) = match self.entry(seq as usize) {
            Entry::Ballot(b) => (ReceiptKind::Ballot, b.ballot.ballot_id, b.tracking_code),
            Entry::Challenged(c) => (
                ReceiptKind::Challenged,
                c.ballot_id,
                c.tracking_code(&self.election_hash),
            ),
            _ => panic!("entry {seq} is neither a ballot nor a challenge"),
        };
        Receipt::sign(
            &self.board_key,
            base,
            kind,
            ballot_id,
            tracking_code,
            seq,
            chain[seq as usize],
            cp,
            tree.inclusion_proof(seq, tree_size).unwrap(),
        )
    }
}

fn push(bodies: &mut Vec<String>, entry: &Entry) {
    bodies.push(String::from_utf8(entry_bytes(entry)).unwrap());
}

fn choices_for(questions: &[Question], voter: usize) -> Vec<Vec<u64>> {
    questions
        .iter()
        .map(|q| {
            let k = q.options.len();
            let mut c = vec![0u64; k];
            // Every seventh voter leaves an optional question blank.
            if !(q.min_selections == 0 && voter % 7 == 6) {
                c[voter % k] = 1;
            }
            c
        })
        .collect()
}

/// Simulates an honest board for `spec`.
pub fn generate(spec: &Spec) -> Record {
    let mut rng = ChaCha20Rng::seed_from_u64(spec.seed);
    let board_key = SigningKey::from_bytes(&[42u8; 32]);
    let manifest = Manifest {
        version: 1,
        election_id: format!("test-{}", spec.seed),
        title: "General assembly".to_string(),
        questions: spec.questions.clone(),
        revote_policy: spec.revote_policy,
        opens_at: None,
        closes_at: None,
        trustees: spec.trustees,
        threshold: spec.threshold,
        board_key: board_key.verifying_key().to_bytes(),
        max_tally: 10_000_000,
    };
    let base = hash::base_hash(&serde_json::to_vec(&manifest).unwrap());
    let mut bodies = Vec::new();
    push(&mut bodies, &Entry::Manifest(manifest.clone()));
    let mut record = Record {
        bodies: Vec::new(),
        board_key,
        checkpoint_every: spec.checkpoint_every,
        codes: Vec::new(),
        base_hash: base,
        election_hash: [0u8; 32],
    };

    // Key ceremony.
    let (n, t) = (spec.trustees, spec.threshold);
    let secrets: Vec<TrusteeSecretKey> =
        (0..n).map(|_| TrusteeSecretKey::random(&mut rng)).collect();
    let publics: Vec<_> = secrets
        .iter()
        .enumerate()
        .map(|(i, s)| s.public_key(i as u32 + 1, &base, &mut rng))
        .collect();
    for p in &publics {
        push(&mut bodies, &Entry::TrusteeKey(p.clone()));
    }
    let polys: Vec<Polynomial> = (0..n).map(|_| Polynomial::random(t, &mut rng)).collect();
    let commitments: Vec<_> = polys
        .iter()
        .enumerate()
        .map(|(i, p)| p.commit(i as u32 + 1, &base, &mut rng))
        .collect();
    for c in &commitments {
        push(&mut bodies, &Entry::Commitments(c.clone()));
    }
    let mut complained = None;
    for i in 1..=n {
        let shares = (1..=n)
            .filter(|&l| l != i)
            .map(|l| {
                let mut value = polys[i as usize - 1].evaluate(l);
                if spec.complaint == Some(true) && (i, l) == (1, 2) {
                    value += psephos_crypto::Scalar::ONE;
                }
                EncryptedShare::seal(&base, i, l, &publics[l as usize - 1].key, &value, &mut rng)
            })
            .collect::<Vec<_>>();
        if spec.complaint.is_some() && i == 1 {
            complained = Some(shares[0].clone());
        }
        push(&mut bodies, &Entry::Shares(SharesEntry { from: i, shares }));
    }
    if let Some(share) = complained {
        let complaint =
            psephos_crypto::dkg::Complaint::make(&base, &share, &secrets[1], &mut rng).unwrap();
        push(&mut bodies, &Entry::Complaint(complaint));
    }
    let key_shares: Vec<KeyShare> = (1..=n)
        .map(|l| {
            let received: Vec<_> = polys.iter().map(|p| p.evaluate(l)).collect();
            KeyShare::from_received(l, &received)
        })
        .collect();
    for ks in &key_shares {
        push(
            &mut bodies,
            &Entry::Acceptance(AcceptanceEntry {
                trustee: ks.index(),
                verification_key: ks.verification_key(),
            }),
        );
    }

    // Roll.
    let codes: Vec<String> = (0..spec.voters)
        .map(|_| generate_code(&mut rng).to_string())
        .collect();
    let credentials: Vec<[u8; 32]> = codes
        .par_iter()
        .map(|c| Credential::from_code(&base, c).unwrap().public())
        .collect();
    for roll_entry in
        psephos_record::roll::roll_entries(credentials.iter().map(|c| HexKey(*c)).collect())
    {
        push(&mut bodies, &Entry::Roll(roll_entry));
    }
    let mut roll_order = credentials.clone();
    roll_order.sort_unstable();
    record.codes = codes.clone();
    if spec.stop == Phase::Ceremony {
        record.bodies = bodies;
        return record;
    }

    // Open.
    let joint = dkg::joint_key(&commitments);
    let prefix = *record_chain(&bodies).last().unwrap();
    let he = hash::election_hash(&base, &prefix, joint.as_bytes(), None);
    record.election_hash = he;
    push(
        &mut bodies,
        &Entry::Open(OpenEntry {
            election_hash: he,
            joint_key: joint,
            verification_keys: (1..=n)
                .map(|i| dkg::verification_key(&commitments, i))
                .collect(),
            roll_size: credentials.len() as u64,
            roll_hash: hash::roll_hash(roll_order.iter()),
            web_bundle_hash: None,
        }),
    );
    let fixed = FixedBase::new(joint);

    // Ballots: (voter, ballot id, seed bytes, challenged).
    let mut plan: Vec<(usize, [u8; 16], [u8; 32], bool)> = Vec::new();
    let mut add = |voter: usize, challenged: bool, rng: &mut ChaCha20Rng| {
        let mut id = [0u8; 16];
        let mut seed = [0u8; 32];
        rng.fill_bytes(&mut id);
        rng.fill_bytes(&mut seed);
        plan.push((voter, id, seed, challenged));
    };
    for v in 0..spec.ballots.min(spec.voters) {
        add(v, false, &mut rng);
        if v == 0 {
            for c in 0..spec.challenged {
                add(spec.voters - 1 - (c % spec.voters), true, &mut rng);
            }
        }
    }
    for v in 0..spec.revotes {
        add(v % spec.voters, false, &mut rng);
    }
    let created: Vec<Entry> = plan
        .par_iter()
        .enumerate()
        .map(|(k, &(voter, id, seed, challenged))| {
            let cred = Credential::from_code(&base, &codes[voter]).unwrap();
            // A revote changes the choice so that supersession matters.
            let choices = choices_for(&manifest.questions, voter + k);
            let seed = BallotSeed::from_bytes(seed);
            if challenged {
                // The blinding of a ballot that is challenged is independent of its seed.
                let blinding =
                    *blake3::hash(&[&seed.to_hex().into_bytes()[..], b"rho"].concat()).as_bytes();
                let pending = PendingBallot::encrypt(
                    &manifest,
                    &he,
                    &fixed,
                    cred.public(),
                    id,
                    choices,
                    seed,
                    blinding,
                )
                .unwrap();
                Entry::Challenged(pending.challenge(&he))
            } else {
                let ballot =
                    Ballot::create(&manifest, &he, &fixed, &cred, id, &choices, &seed).unwrap();
                let tracking_code = ballot.tracking_code(&he);
                Entry::Ballot(BallotEntry {
                    ballot,
                    tracking_code,
                })
            }
        })
        .collect();
    let mut latest: HashMap<[u8; 32], usize> = HashMap::new();
    let mut cast = 0u64;
    for (k, e) in created.iter().enumerate() {
        push(&mut bodies, e);
        if let Entry::Ballot(b) = e {
            cast += 1;
            let c = b.ballot.credential;
            if spec.revote_policy == RevotePolicy::LastCounts || !latest.contains_key(&c) {
                latest.insert(c, k);
            }
        }
    }
    if spec.stop == Phase::Open {
        record.bodies = bodies;
        return record;
    }
    push(
        &mut bodies,
        &Entry::Close(CloseEntry {
            ballots_received: cast,
        }),
    );
    if spec.stop == Phase::Closed {
        record.bodies = bodies;
        return record;
    }

    // Tally.
    let mut sums: Vec<Vec<CiphertextSum>> = manifest
        .questions
        .iter()
        .map(|q| vec![CiphertextSum::default(); q.options.len()])
        .collect();
    for &k in latest.values() {
        if let Entry::Ballot(b) = &created[k] {
            for (q, contest) in b.ballot.contests.iter().enumerate() {
                for (o, sel) in contest.selections.iter().enumerate() {
                    sums[q][o] = sums[q][o] + &sel.ciphertext;
                }
            }
        }
    }
    let tally = TallyEntry {
        counted: latest.len() as u64,
        questions: sums
            .iter()
            .map(|q| q.iter().map(|s| s.to_tally(&joint)).collect())
            .collect(),
    };
    push(&mut bodies, &Entry::Tally(tally.clone()));
    if spec.stop == Phase::Tallied {
        record.bodies = bodies;
        return record;
    }

    // Decryptions by trustees 1..=t, then the result.
    let mut decryptions = Vec::new();
    for ks in key_shares.iter().take(t as usize) {
        let d = DecryptionEntry::compute(ks, &he, &tally, &mut rng);
        push(&mut bodies, &Entry::Decryption(d.clone()));
        decryptions.push(d);
    }
    let dlog = DiscreteLog::new(tally.counted);
    let questions = manifest
        .questions
        .iter()
        .enumerate()
        .map(|(q, question)| QuestionResult {
            title: question.title.clone(),
            options: question
                .options
                .iter()
                .enumerate()
                .map(|(o, name)| {
                    let shares: Vec<&DecryptionShare> =
                        decryptions.iter().map(|d| &d.questions[q][o]).collect();
                    OptionResult {
                        name: name.clone(),
                        votes: threshold::decrypt(&tally.questions[q][o], &shares, t, n, &dlog)
                            .unwrap(),
                    }
                })
                .collect(),
        })
        .collect();
    push(
        &mut bodies,
        &Entry::Result(ResultEntry {
            questions,
            turnout: Turnout::new(credentials.len() as u64, tally.counted),
            trustees: (1..=t).collect(),
        }),
    );
    record.bodies = bodies;
    record
}

fn record_chain(bodies: &[String]) -> Vec<Hash> {
    let mut prev = GENESIS_PREV;
    bodies
        .iter()
        .enumerate()
        .map(|(seq, b)| {
            prev = hash::entry_hash(seq as u64, &prev, b.as_bytes());
            prev
        })
        .collect()
}
