//! The board's in-memory view of the election, rebuilt by replaying the log at start and kept
//! up to date by the log writer's commit hook, in commit (seq) order.
//!
//! Every committed entry goes through [`State::apply`], during replay and live alike, so the
//! state after a restart is the state before it.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use psephos_crypto::dkg::{CoefficientCommitments, Complaint, TrusteePublicKey};
use psephos_crypto::group::{Element, FixedBase};
use psephos_record::ceremony::CeremonyProgress;
use psephos_record::entry::{
    AcceptanceEntry, BallotEntry, BallotId, DecryptionEntry, Entry, OpenEntry, ResultEntry,
    SharesEntry, TallyEntry,
};
use psephos_record::hash::{base_hash, Hash};
use psephos_record::merkle::{leaf_hash, MerkleTree};
use psephos_record::{Checkpoint, Manifest, Phase, SpoiledCiphertexts};
use serde::Deserialize;
use serde_json::value::RawValue;

/// What the election fixed when it opened.
pub(crate) struct Opened {
    /// The `open` entry's position in the log.
    pub seq: u64,
    /// H_E.
    pub election_hash: Hash,
    /// The joint key K with its table.
    pub key: FixedBase,
    /// K₁ … Kₙ.
    pub verification_keys: Vec<Element>,
    /// The web bundle hash, if any.
    pub web_bundle_hash: Option<Hash>,
}

/// A cast (or challenged) ballot id: enough to rebuild its receipt.
#[derive(Clone, Debug)]
pub(crate) struct BallotRecord {
    /// Its log position.
    pub seq: u64,
    /// BLAKE3 of the entry body: an identical re-post has the same digest.
    pub body_digest: Hash,
    /// The tracking code.
    pub tracking_code: String,
    /// Whether it was challenged rather than cast.
    pub challenged: bool,
}

/// One tracking code, in log order.
#[derive(Clone, Debug)]
pub(crate) struct Tracked {
    /// The tracking code.
    pub code: String,
    /// Log position.
    pub seq: u64,
    /// The credential of a cast ballot; `None` for a challenged one.
    pub credential: Option<[u8; 32]>,
}

/// The whole in-memory state.
pub(crate) struct State {
    pub phase: Phase,
    pub manifest: Arc<Manifest>,
    /// Exact bytes of the manifest value in entry 0 (H_B is their hash).
    pub manifest_bytes: Arc<Vec<u8>>,
    pub base_hash: Hash,
    /// Chained hash of every entry, by seq.
    pub entry_hashes: Vec<Hash>,
    pub tree: MerkleTree,
    /// Stored checkpoints, ascending.
    pub checkpoints: Vec<Checkpoint>,
    pub trustee_keys: Vec<Option<TrusteePublicKey>>,
    pub commitments: Vec<Option<CoefficientCommitments>>,
    pub shares: Vec<Option<SharesEntry>>,
    pub complaints: Vec<Complaint>,
    pub acceptances: Vec<Option<AcceptanceEntry>>,
    /// The ceremony's order rules (docs/spec.md §6.3), shared with the verifier.
    pub ceremony: CeremonyProgress,
    /// The roll in roll order: every credential of every roll entry, ascending bytes.
    pub roll: Vec<[u8; 32]>,
    /// Per credential on the roll, the seq of the roll entry that added it.
    pub roll_index: HashMap<[u8; 32], u64>,
    pub opened: Option<Arc<Opened>>,
    pub ballots: HashMap<BallotId, BallotRecord>,
    /// Per credential, the seq of its latest ballot (the counted one).
    pub latest: HashMap<[u8; 32], u64>,
    pub tracking: Vec<Tracked>,
    pub tracking_index: HashMap<String, usize>,
    pub ballots_cast: u64,
    /// The randomness commitments revealed by the challenged ballots so far (a cast ballot
    /// that repeats one is refused `spoiled_ballot_cast`).
    pub spoiled: SpoiledCiphertexts,
    pub tally: Option<Arc<TallyEntry>>,
    pub decryptions: Vec<Arc<DecryptionEntry>>,
    pub result: Option<ResultEntry>,
}

#[derive(Deserialize)]
struct ManifestRaw<'a> {
    #[serde(borrow)]
    manifest: &'a RawValue,
}

/// The fields of a ballot entry the state needs, parsed without decoding the contests: the
/// live path only (the entry was fully checked before it was appended).
#[derive(Deserialize)]
struct LiteEntry {
    ballot: LiteBallotEntry,
}

#[derive(Deserialize)]
struct LiteBallotEntry {
    ballot: LiteBallot,
    tracking_code: String,
}

#[derive(Deserialize)]
struct LiteBallot {
    #[serde(with = "psephos_record::hash::hex16")]
    ballot_id: [u8; 16],
    #[serde(with = "psephos_record::hash::hex32")]
    credential: [u8; 32],
}

fn index_of(i: u32, n: usize) -> Result<usize, String> {
    let idx = (i as usize).wrapping_sub(1);
    if i == 0 || idx >= n {
        Err(format!("trustee index {i} out of range 1..={n}"))
    } else {
        Ok(idx)
    }
}

impl State {
    /// The state after entry 0, whose body must be `{"manifest":{...}}`.
    pub fn from_manifest_entry(entry_hash: Hash, body: &[u8]) -> Result<State, String> {
        let raw: ManifestRaw =
            serde_json::from_slice(body).map_err(|e| format!("entry 0 is not a manifest: {e}"))?;
        let manifest_bytes = raw.manifest.get().as_bytes().to_vec();
        let entry: Entry =
            serde_json::from_slice(body).map_err(|e| format!("entry 0 does not parse: {e}"))?;
        let Entry::Manifest(manifest) = entry else {
            return Err("entry 0 is not a manifest".into());
        };
        manifest
            .validate()
            .map_err(|e| format!("invalid manifest: {e}"))?;
        let phase = Phase::Empty
            .next(&Entry::Manifest(manifest.clone()))
            .map_err(|e| e.to_string())?;
        let n = manifest.trustees as usize;
        let mut tree = MerkleTree::new();
        tree.append(leaf_hash(&entry_hash));
        Ok(State {
            phase,
            base_hash: base_hash(&manifest_bytes),
            manifest: Arc::new(manifest),
            manifest_bytes: Arc::new(manifest_bytes),
            entry_hashes: vec![entry_hash],
            tree,
            checkpoints: Vec::new(),
            trustee_keys: vec![None; n],
            commitments: vec![None; n],
            shares: vec![None; n],
            complaints: Vec::new(),
            acceptances: vec![None; n],
            ceremony: CeremonyProgress::new(n as u32),
            roll: Vec::new(),
            roll_index: HashMap::new(),
            opened: None,
            ballots: HashMap::new(),
            latest: HashMap::new(),
            tracking: Vec::new(),
            tracking_index: HashMap::new(),
            ballots_cast: 0,
            spoiled: SpoiledCiphertexts::new(),
            tally: None,
            decryptions: Vec::new(),
            result: None,
        })
    }

    /// Number of entries.
    pub fn log_size(&self) -> u64 {
        self.entry_hashes.len() as u64
    }

    /// The last entry's chained hash.
    pub fn last_hash(&self) -> Hash {
        self.entry_hashes.last().copied().unwrap_or_default()
    }

    fn push_hash(&mut self, seq: u64, entry_hash: Hash) -> Result<(), String> {
        if seq != self.log_size() {
            return Err(format!(
                "expected entry {} but got entry {seq}",
                self.log_size()
            ));
        }
        self.entry_hashes.push(entry_hash);
        self.tree.append(leaf_hash(&entry_hash));
        Ok(())
    }

    /// Applies a committed entry as stored: the live path. Ballot entries are parsed lightly.
    pub fn apply_committed(
        &mut self,
        seq: u64,
        entry_hash: Hash,
        body: &[u8],
    ) -> Result<(), String> {
        if body.starts_with(b"{\"ballot\":") && self.phase == Phase::Open {
            let LiteEntry { ballot: lite } = serde_json::from_slice(body)
                .map_err(|e| format!("ballot entry does not parse: {e}"))?;
            self.push_hash(seq, entry_hash)?;
            self.record_ballot(
                seq,
                *blake3::hash(body).as_bytes(),
                lite.ballot.ballot_id,
                lite.ballot.credential,
                lite.tracking_code,
            );
            return Ok(());
        }
        let entry: Entry =
            serde_json::from_slice(body).map_err(|e| format!("entry does not parse: {e}"))?;
        self.apply(seq, entry_hash, body, entry)
    }

    fn record_ballot(
        &mut self,
        seq: u64,
        body_digest: Hash,
        ballot_id: BallotId,
        credential: [u8; 32],
        tracking_code: String,
    ) {
        self.ballots.insert(
            ballot_id,
            BallotRecord {
                seq,
                body_digest,
                tracking_code: tracking_code.clone(),
                challenged: false,
            },
        );
        let latest = self.latest.entry(credential).or_insert(seq);
        *latest = (*latest).max(seq);
        self.ballots_cast += 1;
        self.track(tracking_code, seq, Some(credential));
    }

    fn track(&mut self, code: String, seq: u64, credential: Option<[u8; 32]>) {
        // Tracking codes are 80 bits: a collision is the first one's problem, kept.
        if !self.tracking_index.contains_key(&code) {
            self.tracking_index
                .insert(code.clone(), self.tracking.len());
        }
        self.tracking.push(Tracked {
            code,
            seq,
            credential,
        });
    }

    /// Applies a parsed entry: checks that it may come now ([`Phase::next`]) and that it fits
    /// what came before, then updates the state.
    pub fn apply(
        &mut self,
        seq: u64,
        entry_hash: Hash,
        body: &[u8],
        entry: Entry,
    ) -> Result<(), String> {
        let next = self.phase.next(&entry).map_err(|e| e.to_string())?;
        self.ceremony
            .admit(&entry, &self.base_hash)
            .map_err(|e| e.to_string())?;
        let n = self.manifest.trustees as usize;
        match entry {
            Entry::Manifest(_) => return Err("a second manifest".into()),
            Entry::TrusteeKey(k) => {
                let i = index_of(k.index, n)?;
                if self.trustee_keys[i].is_some() {
                    return Err(format!("second key of trustee {}", k.index));
                }
                self.trustee_keys[i] = Some(k);
            }
            Entry::Commitments(c) => {
                let i = index_of(c.trustee, n)?;
                if self.commitments[i].is_some() {
                    return Err(format!("second commitments of trustee {}", c.trustee));
                }
                self.commitments[i] = Some(c);
            }
            Entry::Shares(s) => {
                let i = index_of(s.from, n)?;
                if self.shares[i].is_some() {
                    return Err(format!("second shares of trustee {}", s.from));
                }
                self.shares[i] = Some(s);
            }
            Entry::Complaint(c) => self.complaints.push(c),
            Entry::Acceptance(a) => {
                let i = index_of(a.trustee, n)?;
                if self.acceptances[i].is_some() {
                    return Err(format!("second acceptance of trustee {}", a.trustee));
                }
                self.acceptances[i] = Some(a);
            }
            Entry::Roll(r) => {
                psephos_record::roll::check_roll_entry(&r).map_err(|e| e.to_string())?;
                for c in r.credentials {
                    if self.roll_index.contains_key(&c.0) {
                        return Err(format!(
                            "credential {} is on the roll twice",
                            hex::encode(c.0)
                        ));
                    }
                    self.roll_index.insert(c.0, seq);
                    self.roll.push(c.0);
                }
                // The roll is kept in roll order (ascending bytes, docs/spec.md §7.3): two
                // sorted runs, which a stable sort merges in linear time.
                self.roll.sort();
            }
            Entry::Open(o) => self.apply_open(seq, o)?,
            Entry::Ballot(BallotEntry {
                ballot,
                tracking_code,
            }) => {
                if !self.roll_index.contains_key(&ballot.credential) {
                    return Err("ballot from a credential not on the roll".into());
                }
                if self.ballots.contains_key(&ballot.ballot_id) {
                    return Err("ballot id used twice".into());
                }
                self.push_hash(seq, entry_hash)?;
                self.phase = next;
                self.record_ballot(
                    seq,
                    *blake3::hash(body).as_bytes(),
                    ballot.ballot_id,
                    ballot.credential,
                    tracking_code,
                );
                return Ok(());
            }
            Entry::Challenged(c) => {
                if self.ballots.contains_key(&c.ballot_id) {
                    return Err("challenged ballot id used twice".into());
                }
                let code = match &self.opened {
                    Some(o) => c.tracking_code(&o.election_hash),
                    None => return Err("challenged ballot before open".into()),
                };
                self.spoiled.insert(&c);
                self.ballots.insert(
                    c.ballot_id,
                    BallotRecord {
                        seq,
                        body_digest: *blake3::hash(body).as_bytes(),
                        tracking_code: code.clone(),
                        challenged: true,
                    },
                );
                self.track(code, seq, None);
            }
            Entry::Close(_) => {}
            Entry::Tally(t) => self.tally = Some(Arc::new(t)),
            Entry::Decryption(d) => {
                index_of(d.trustee, n)?;
                if let Some(tally) = &self.tally {
                    psephos_record::ceremony::check_decryption_form(&d, tally)
                        .map_err(|e| e.to_string())?;
                }
                if self.decryptions.iter().any(|x| x.trustee == d.trustee) {
                    return Err(format!("second decryption of trustee {}", d.trustee));
                }
                self.decryptions.push(Arc::new(d));
            }
            Entry::Result(r) => self.result = Some(r),
        }
        self.push_hash(seq, entry_hash)?;
        self.phase = next;
        Ok(())
    }

    fn apply_open(&mut self, seq: u64, o: OpenEntry) -> Result<(), String> {
        if o.roll_size != self.roll.len() as u64 {
            return Err(format!(
                "open entry says {} credentials but the roll has {}",
                o.roll_size,
                self.roll.len()
            ));
        }
        if o.verification_keys.len() != self.manifest.trustees as usize {
            return Err("open entry has the wrong number of verification keys".into());
        }
        self.opened = Some(Arc::new(Opened {
            seq,
            election_hash: o.election_hash,
            key: FixedBase::new(o.joint_key),
            verification_keys: o.verification_keys,
            web_bundle_hash: o.web_bundle_hash.map(|h| h.0),
        }));
        Ok(())
    }

    /// Whether the tracked ballot at `t` is its credential's latest.
    pub fn status_of(&self, t: &Tracked) -> &'static str {
        match t.credential {
            None => "challenged",
            Some(c) if self.latest.get(&c) == Some(&t.seq) => "counted",
            Some(_) => "superseded",
        }
    }

    /// Trustees (1-based) that have posted in `slots`.
    pub fn count<T>(slots: &[Option<T>]) -> usize {
        slots.iter().filter(|s| s.is_some()).count()
    }

    /// The set of seqs of counted ballots.
    pub fn counted_seqs(&self) -> HashSet<u64> {
        self.latest.values().copied().collect()
    }
}
