//! The voter's check of the election it is about to encrypt to (docs/spec.md §7.9).
//!
//! A voting client must not take H_E and the joint key K from `GET /api/election` on trust:
//! a dishonest board (or a proxy in front of it) could serve one voter a key it knows, read
//! that ballot, answer with an error and serve the real key next time. Before encrypting
//! anything, the web page and `psephos vote` fetch [`ElectionEvidence`]
//! (`GET /api/election/evidence`) and call [`check_election`], which accepts only an `open`
//! entry that is in a log the board key of the manifest signed:
//!
//! 1. entry 0 is exactly `{"manifest": M}` at seq 0 with a zero `prev`, and M is a valid
//!    manifest; H_B is computed from M's exact bytes;
//! 2. the checkpoint is signed by M's `board_key` over H_B;
//! 3. entry 0 and the `open` entry (its chained hash recomputed from its exact text) are in
//!    the checkpoint's Merkle tree (RFC 9162 inclusion proofs);
//! 4. H_E is recomputed from H_B, the open entry's `prev`, K and the web bundle hash;
//! 5. K is recomputed from the logged verification keys K₁ … K_t (Lagrange at 0);
//! 6. whatever `/api/election` claimed (H_B, board key, H_E, K, bundle hash, manifest text)
//!    equals the logged value — a board that serves two versions is caught, not silently
//!    corrected.
//!
//! The result carries the election fingerprint, which the client shows so the voter can
//! compare it out of band with the one on the results page, in the verifier's output and in
//! the trustees' tool. One function, used by the page (through `psephos-web`) and the CLI.

use curve25519_dalek::traits::VartimeMultiscalarMul;
use curve25519_dalek::RistrettoPoint;
use psephos_crypto::group::Element;
use psephos_crypto::threshold::lagrange_at_zero;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use thiserror::Error;

use crate::checkpoint::Checkpoint;
use crate::entry::{Entry, HexKey, OpenEntry};
use crate::hash::{self, Hash, GENESIS_PREV};
use crate::manifest::{Manifest, ManifestError};
use crate::merkle;

/// One log line as in `board.jsonl`, the entry kept as its exact text so its hash can be
/// recomputed.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvidenceLine {
    /// Sequence number.
    pub seq: u64,
    /// The previous entry's chained hash.
    #[serde(with = "crate::hash::hex32")]
    pub prev: Hash,
    /// This entry's chained hash.
    #[serde(with = "crate::hash::hex32")]
    pub hash: Hash,
    /// The entry's exact JSON text.
    pub entry: Box<RawValue>,
}

impl EvidenceLine {
    /// The line of entry `seq` with body `body` (the entry's exact bytes) after `prev`.
    pub fn new(seq: u64, prev: Hash, hash: Hash, body: &[u8]) -> Result<Self, serde_json::Error> {
        let text = String::from_utf8(body.to_vec())
            .map_err(<serde_json::Error as serde::de::Error>::custom)?;
        Ok(EvidenceLine {
            seq,
            prev,
            hash,
            entry: RawValue::from_string(text)?,
        })
    }

    fn hash_holds(&self) -> bool {
        hash::entry_hash(self.seq, &self.prev, self.entry.get().as_bytes()) == self.hash
    }
}

/// What the board serves at `GET /api/election/evidence` once the election has opened: the
/// manifest and `open` entries with their inclusion proofs under one signed checkpoint.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ElectionEvidence {
    /// A checkpoint covering the `open` entry (the board's latest when it answered).
    pub checkpoint: Checkpoint,
    /// Entry 0, the manifest.
    pub manifest_entry: EvidenceLine,
    /// Inclusion proof of entry 0 in the checkpoint's tree.
    pub manifest_proof: Vec<HexKey>,
    /// The `open` entry.
    pub open_entry: EvidenceLine,
    /// Inclusion proof of the `open` entry in the checkpoint's tree.
    pub open_proof: Vec<HexKey>,
}

/// What `GET /api/election` (or any other channel) claimed about the election; each value
/// given must equal the logged one. `None`: not claimed, nothing to compare.
#[derive(Clone, Copy, Debug, Default)]
pub struct Claimed<'a> {
    /// The manifest's exact text (`GET /api/manifest`), which the client renders.
    pub manifest_text: Option<&'a str>,
    /// H_B.
    pub base_hash: Option<&'a Hash>,
    /// The board key.
    pub board_key: Option<&'a [u8; 32]>,
    /// H_E.
    pub election_hash: Option<&'a Hash>,
    /// K (its 32-byte encoding).
    pub joint_key: Option<&'a [u8; 32]>,
    /// The web bundle hash.
    pub web_bundle_hash: Option<&'a Hash>,
}

/// An election whose `open` entry has been checked against the signed log.
#[derive(Clone, Debug)]
pub struct CheckedElection {
    /// The manifest of entry 0.
    pub manifest: Manifest,
    /// The manifest's exact text as logged.
    pub manifest_text: String,
    /// H_B.
    pub base_hash: Hash,
    /// H_E, recomputed.
    pub election_hash: Hash,
    /// The joint key K.
    pub joint_key: Element,
    /// The open entry.
    pub open: OpenEntry,
    /// Its position in the log.
    pub open_seq: u64,
    /// The checkpoint both entries were proved in.
    pub checkpoint: Checkpoint,
    /// The election fingerprint ([`hash::election_fingerprint`] of H_E).
    pub fingerprint: String,
}

/// Why a client refuses to encrypt to the election it was served. Each says what failed.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum EvidenceError {
    /// The evidence is not of the expected shape.
    #[error("the election evidence is malformed: {0}")]
    Malformed(String),
    /// Entry 0 is not the manifest entry at the start of a log.
    #[error("entry 0 of the evidence is not the log's manifest entry: {0}")]
    ManifestEntry(&'static str),
    /// The manifest of entry 0 is invalid.
    #[error("the logged manifest is invalid: {0}")]
    BadManifest(ManifestError),
    /// The `open` line is not an `open` entry with a correct chained hash.
    #[error("the evidence's open entry is not valid: {0}")]
    OpenEntry(&'static str),
    /// The checkpoint's signature does not verify under the manifest's board key.
    #[error("the checkpoint is not signed by the board key named in the manifest")]
    BadCheckpoint,
    /// An inclusion proof does not lead to the checkpoint's root.
    #[error("{0} is not in the signed checkpoint's tree (the inclusion proof fails)")]
    NotIncluded(&'static str),
    /// H_E recomputed from the log differs from the open entry's.
    #[error("the open entry's election hash is not H(H_B, log prefix, K, web bundle)")]
    ElectionHash,
    /// K is not the combination of the logged verification keys.
    #[error("the joint key does not match the logged verification keys: {0}")]
    JointKey(&'static str),
    /// The board's status (or page) disagrees with the signed log.
    #[error(
        "the board served a {0} that differs from the one in its signed log: \
         refusing to encrypt (report this to the election officials)"
    )]
    ServedMismatch(&'static str),
}

impl EvidenceError {
    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            EvidenceError::Malformed(_) => "malformed_evidence",
            EvidenceError::ManifestEntry(_) => "bad_manifest_entry",
            EvidenceError::BadManifest(_) => "bad_manifest",
            EvidenceError::OpenEntry(_) => "bad_open_entry",
            EvidenceError::BadCheckpoint => "bad_checkpoint",
            EvidenceError::NotIncluded(_) => "not_included",
            EvidenceError::ElectionHash => "bad_election_hash",
            EvidenceError::JointKey(_) => "bad_joint_key",
            EvidenceError::ServedMismatch(_) => "served_mismatch",
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ManifestBody<'a> {
    #[serde(borrow)]
    manifest: &'a RawValue,
}

fn proof(p: &[HexKey]) -> Vec<Hash> {
    p.iter().map(|h| h.0).collect()
}

/// K = Σ_{i=1..t} λ_i·K_i over the first t verification keys (docs/spec.md §6.2): the keys
/// the trustees' shares decrypt with must combine to the key ballots are encrypted to.
fn check_joint_key(open: &OpenEntry, manifest: &Manifest) -> Result<(), EvidenceError> {
    if open.verification_keys.len() != manifest.trustees as usize {
        return Err(EvidenceError::JointKey(
            "the number of verification keys is not the number of trustees",
        ));
    }
    let indices: Vec<u32> = (1..=manifest.threshold).collect();
    let lambdas = indices
        .iter()
        .map(|&i| lagrange_at_zero(&indices, i))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| EvidenceError::JointKey("bad trustee indices"))?;
    let combined = RistrettoPoint::vartime_multiscalar_mul(
        lambdas,
        open.verification_keys
            .iter()
            .take(indices.len())
            .map(|k| *k.point()),
    );
    if combined.compress().to_bytes() != *open.joint_key.as_bytes() {
        return Err(EvidenceError::JointKey(
            "K is not the Lagrange combination of K_1 … K_t",
        ));
    }
    Ok(())
}

/// Checks the election a client is about to encrypt to (the module documentation lists the
/// steps). Only a [`CheckedElection`] should ever reach `Ballot::create`.
pub fn check_election(
    evidence: &ElectionEvidence,
    claimed: &Claimed<'_>,
) -> Result<CheckedElection, EvidenceError> {
    // 1. Entry 0: the manifest, at the start of the log.
    let m = &evidence.manifest_entry;
    if m.seq != 0 || m.prev != GENESIS_PREV {
        return Err(EvidenceError::ManifestEntry(
            "it is not at seq 0 with a zero prev",
        ));
    }
    if !m.hash_holds() {
        return Err(EvidenceError::ManifestEntry(
            "its hash does not match its text",
        ));
    }
    let body: ManifestBody = serde_json::from_str(m.entry.get())
        .map_err(|_| EvidenceError::ManifestEntry("it is not a manifest entry"))?;
    let manifest_text = body.manifest.get().to_string();
    let manifest: Manifest = serde_json::from_str(&manifest_text)
        .map_err(|e| EvidenceError::Malformed(format!("manifest: {e}")))?;
    manifest.validate().map_err(EvidenceError::BadManifest)?;
    let base = hash::base_hash(manifest_text.as_bytes());

    // 2. The checkpoint, signed by the manifest's board key over H_B.
    let cp = &evidence.checkpoint;
    cp.verify(&manifest.board_key, &base)
        .map_err(|_| EvidenceError::BadCheckpoint)?;

    // 3. Both entries in the checkpoint's tree.
    merkle::verify_inclusion(
        &merkle::leaf_hash(&m.hash),
        0,
        cp.tree_size,
        &proof(&evidence.manifest_proof),
        &cp.root,
    )
    .map_err(|_| EvidenceError::NotIncluded("entry 0 (the manifest)"))?;
    let o = &evidence.open_entry;
    if !o.hash_holds() {
        return Err(EvidenceError::OpenEntry("its hash does not match its text"));
    }
    if o.seq == 0 {
        return Err(EvidenceError::OpenEntry("it is at seq 0"));
    }
    let open = match serde_json::from_str::<Entry>(o.entry.get()) {
        Ok(Entry::Open(open)) => open,
        Ok(_) => return Err(EvidenceError::OpenEntry("it is not an open entry")),
        Err(_) => return Err(EvidenceError::OpenEntry("it does not parse")),
    };
    merkle::verify_inclusion(
        &merkle::leaf_hash(&o.hash),
        o.seq,
        cp.tree_size,
        &proof(&evidence.open_proof),
        &cp.root,
    )
    .map_err(|_| EvidenceError::NotIncluded("the open entry"))?;

    // 4. H_E from the log, 5. K from the verification keys.
    let web_bundle = open.web_bundle_hash.map(|h| h.0);
    let expected = hash::election_hash(
        &base,
        &o.prev,
        open.joint_key.as_bytes(),
        web_bundle.as_ref(),
    );
    if expected != open.election_hash {
        return Err(EvidenceError::ElectionHash);
    }
    check_joint_key(&open, &manifest)?;

    // 6. What the board claimed elsewhere equals the log.
    let mismatch = |what| Err(EvidenceError::ServedMismatch(what));
    if claimed.manifest_text.is_some_and(|t| t != manifest_text) {
        return mismatch("manifest");
    }
    if claimed.base_hash.is_some_and(|h| *h != base) {
        return mismatch("base hash H_B");
    }
    if claimed.board_key.is_some_and(|k| *k != manifest.board_key) {
        return mismatch("board key");
    }
    if claimed
        .election_hash
        .is_some_and(|h| *h != open.election_hash)
    {
        return mismatch("election hash H_E");
    }
    if claimed
        .joint_key
        .is_some_and(|k| k != open.joint_key.as_bytes())
    {
        return mismatch("joint key K");
    }
    if claimed.web_bundle_hash.is_some() && claimed.web_bundle_hash != web_bundle.as_ref() {
        return mismatch("web bundle hash");
    }

    Ok(CheckedElection {
        fingerprint: hash::election_fingerprint(&open.election_hash),
        election_hash: open.election_hash,
        joint_key: open.joint_key,
        manifest,
        manifest_text,
        base_hash: base,
        open,
        open_seq: o.seq,
        checkpoint: cp.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entry::{entry_bytes, RollEntry};
    use crate::manifest::{Question, RevotePolicy};
    use crate::merkle::MerkleTree;
    use curve25519_dalek::Scalar;
    use ed25519_dalek::SigningKey;
    use psephos_crypto::group::mul_g;

    fn manifest(board: &SigningKey) -> Manifest {
        Manifest {
            version: 1,
            election_id: "e".into(),
            title: "T".into(),
            questions: vec![Question {
                title: "Q".into(),
                options: vec!["A".into(), "B".into()],
                min_selections: 1,
                max_selections: 1,
            }],
            revote_policy: RevotePolicy::LastCounts,
            opens_at: None,
            closes_at: None,
            trustees: 3,
            threshold: 2,
            board_key: board.verifying_key().to_bytes(),
            max_tally: 100,
        }
    }

    /// K = a₀·G, K_i = (a₀ + a₁·i)·G: a 2-of-3 ceremony's public outcome.
    fn keys(a0: u64) -> (Element, Vec<Element>) {
        let (a0, a1) = (Scalar::from(a0), Scalar::from(11u64));
        let k = Element::from_point(mul_g(&a0));
        let ks = (1..=3u64)
            .map(|i| Element::from_point(mul_g(&(a0 + a1 * Scalar::from(i)))))
            .collect();
        (k, ks)
    }

    /// A log `manifest, roll, open` (open built by `open`, given H_B and the prefix hash),
    /// its latest checkpoint signed by `signer`, and the evidence for it.
    fn evidence_with(
        board: &SigningKey,
        signer: &SigningKey,
        open: impl FnOnce(&Hash, &Hash) -> OpenEntry,
    ) -> ElectionEvidence {
        let m = manifest(board);
        let base = hash::base_hash(&serde_json::to_vec(&m).unwrap());
        let bodies = [
            entry_bytes(&Entry::Manifest(m)),
            entry_bytes(&Entry::Roll(RollEntry {
                credentials: vec![HexKey([9u8; 32])],
            })),
        ];
        let mut lines = Vec::new();
        let mut prev = GENESIS_PREV;
        for (seq, body) in bodies.iter().enumerate() {
            let h = hash::entry_hash(seq as u64, &prev, body);
            lines.push(EvidenceLine::new(seq as u64, prev, h, body).unwrap());
            prev = h;
        }
        let body = entry_bytes(&Entry::Open(open(&base, &prev)));
        let h = hash::entry_hash(2, &prev, &body);
        lines.push(EvidenceLine::new(2, prev, h, &body).unwrap());
        let tree = MerkleTree::from_leaf_hashes(lines.iter().map(|l| merkle::leaf_hash(&l.hash)));
        let size = tree.len();
        let cp = Checkpoint::sign(signer, &base, size, tree.root(size).unwrap(), h, None);
        let hexes = |v: Vec<Hash>| v.into_iter().map(HexKey).collect();
        ElectionEvidence {
            manifest_proof: hexes(tree.inclusion_proof(0, size).unwrap()),
            open_proof: hexes(tree.inclusion_proof(2, size).unwrap()),
            checkpoint: cp,
            manifest_entry: lines[0].clone(),
            open_entry: lines[2].clone(),
        }
    }

    fn honest_open(base: &Hash, prefix: &Hash, a0: u64, bundle: Option<Hash>) -> OpenEntry {
        let (k, ks) = keys(a0);
        OpenEntry {
            election_hash: hash::election_hash(base, prefix, k.as_bytes(), bundle.as_ref()),
            joint_key: k,
            verification_keys: ks,
            roll_size: 1,
            roll_hash: [0u8; 32],
            web_bundle_hash: bundle.map(HexKey),
        }
    }

    fn board() -> SigningKey {
        SigningKey::from_bytes(&[1u8; 32])
    }

    fn honest() -> ElectionEvidence {
        let b = board();
        evidence_with(&b, &b, |base, prefix| {
            honest_open(base, prefix, 5, Some([4u8; 32]))
        })
    }

    #[test]
    fn an_honest_election_checks_out_with_its_fingerprint() {
        let ev = honest();
        let open: OpenEntry = match serde_json::from_str(ev.open_entry.entry.get()).unwrap() {
            Entry::Open(o) => o,
            _ => unreachable!(),
        };
        let manifest_text = serde_json::to_string(&manifest(&board())).unwrap();
        let base = hash::base_hash(manifest_text.as_bytes());
        let claimed = Claimed {
            manifest_text: Some(&manifest_text),
            base_hash: Some(&base),
            board_key: Some(&board().verifying_key().to_bytes()),
            election_hash: Some(&open.election_hash),
            joint_key: Some(open.joint_key.as_bytes()),
            web_bundle_hash: Some(&[4u8; 32]),
        };
        let checked = check_election(&ev, &claimed).unwrap();
        assert_eq!(checked.election_hash, open.election_hash);
        assert_eq!(checked.open_seq, 2);
        assert_eq!(
            checked.fingerprint,
            hash::election_fingerprint(&open.election_hash)
        );
        // Evidence survives the wire (the entries' exact text is kept).
        let wire = serde_json::to_string(&ev).unwrap();
        let back: ElectionEvidence = serde_json::from_str(&wire).unwrap();
        check_election(&back, &Claimed::default()).unwrap();
    }

    #[test]
    fn a_served_key_or_hash_other_than_the_logged_one_is_refused() {
        let ev = honest();
        let (other_k, _) = keys(6);
        let err = check_election(
            &ev,
            &Claimed {
                joint_key: Some(other_k.as_bytes()),
                ..Claimed::default()
            },
        )
        .unwrap_err();
        assert_eq!(err, EvidenceError::ServedMismatch("joint key K"));
        let err = check_election(
            &ev,
            &Claimed {
                election_hash: Some(&[0x11; 32]),
                ..Claimed::default()
            },
        )
        .unwrap_err();
        assert_eq!(err, EvidenceError::ServedMismatch("election hash H_E"));
        let err = check_election(
            &ev,
            &Claimed {
                web_bundle_hash: Some(&[5u8; 32]),
                ..Claimed::default()
            },
        )
        .unwrap_err();
        assert_eq!(err, EvidenceError::ServedMismatch("web bundle hash"));
        let err = check_election(
            &ev,
            &Claimed {
                manifest_text: Some("{}"),
                ..Claimed::default()
            },
        )
        .unwrap_err();
        assert_eq!(err, EvidenceError::ServedMismatch("manifest"));
    }

    #[test]
    fn a_forged_inclusion_proof_is_refused() {
        let mut ev = honest();
        ev.open_proof[0].0[0] ^= 1;
        assert_eq!(
            check_election(&ev, &Claimed::default()).unwrap_err(),
            EvidenceError::NotIncluded("the open entry")
        );
        let mut ev = honest();
        ev.open_proof.pop();
        assert!(matches!(
            check_election(&ev, &Claimed::default()),
            Err(EvidenceError::NotIncluded(_))
        ));
        let mut ev = honest();
        ev.manifest_proof[0].0[31] ^= 0x80;
        assert_eq!(
            check_election(&ev, &Claimed::default()).unwrap_err(),
            EvidenceError::NotIncluded("entry 0 (the manifest)")
        );
    }

    #[test]
    fn a_substituted_open_entry_outside_the_signed_tree_is_refused() {
        // A proxy without the board key swaps in an open entry with a key it knows, H_E
        // recomputed consistently: the entry is not in the board's signed tree.
        let honest = honest();
        let b = board();
        let fake = evidence_with(&b, &b, |base, prefix| honest_open(base, prefix, 6, None));
        let mut ev = honest.clone();
        ev.open_entry = fake.open_entry;
        assert_eq!(
            check_election(&ev, &Claimed::default()).unwrap_err(),
            EvidenceError::NotIncluded("the open entry")
        );
    }

    #[test]
    fn a_checkpoint_signed_by_another_key_is_refused() {
        let b = board();
        let other = SigningKey::from_bytes(&[2u8; 32]);
        let ev = evidence_with(&b, &other, |base, prefix| {
            honest_open(base, prefix, 5, None)
        });
        assert_eq!(
            check_election(&ev, &Claimed::default()).unwrap_err(),
            EvidenceError::BadCheckpoint
        );
        let mut ev = honest();
        ev.checkpoint.signature[0] ^= 1;
        assert_eq!(
            check_election(&ev, &Claimed::default()).unwrap_err(),
            EvidenceError::BadCheckpoint
        );
    }

    #[test]
    fn a_board_that_signs_a_fork_shows_another_fingerprint() {
        // The board key itself can sign a log whose open entry has a key the board knows;
        // the check passes, but H_E, hence the fingerprint voters compare, differs.
        let b = board();
        let honest = check_election(&honest(), &Claimed::default()).unwrap();
        let fork = evidence_with(&b, &b, |base, prefix| {
            honest_open(base, prefix, 6, Some([4u8; 32]))
        });
        let fork = check_election(&fork, &Claimed::default()).unwrap();
        assert_ne!(fork.fingerprint, honest.fingerprint);
    }

    #[test]
    fn a_wrong_election_hash_or_joint_key_in_the_log_is_refused() {
        let b = board();
        let ev = evidence_with(&b, &b, |base, prefix| {
            let mut o = honest_open(base, prefix, 5, Some([4u8; 32]));
            // H_E computed without the bundle: the bundle is not bound.
            o.election_hash = hash::election_hash(base, prefix, o.joint_key.as_bytes(), None);
            o
        });
        assert_eq!(
            check_election(&ev, &Claimed::default()).unwrap_err(),
            EvidenceError::ElectionHash
        );
        let ev = evidence_with(&b, &b, |base, prefix| {
            let mut o = honest_open(base, prefix, 5, None);
            let (k, _) = keys(6);
            o.joint_key = k;
            o.election_hash = hash::election_hash(base, prefix, k.as_bytes(), None);
            o
        });
        assert!(matches!(
            check_election(&ev, &Claimed::default()),
            Err(EvidenceError::JointKey(_))
        ));
    }

    #[test]
    fn entry_zero_must_be_the_manifest_at_the_start() {
        let mut ev = honest();
        ev.manifest_entry.seq = 1;
        assert!(matches!(
            check_election(&ev, &Claimed::default()),
            Err(EvidenceError::ManifestEntry(_))
        ));
        let mut ev = honest();
        ev.manifest_entry = ev.open_entry.clone();
        assert!(matches!(
            check_election(&ev, &Claimed::default()),
            Err(EvidenceError::ManifestEntry(_))
        ));
    }
}
