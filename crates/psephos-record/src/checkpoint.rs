//! Signed checkpoints of the log's Merkle tree (RFC 9162 §4.10 signed tree heads, with
//! Ed25519 and BLAKE3) and the receipts voters keep.

use ed25519_dalek::{Signer, SigningKey};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::hash::{contexts, Hash};
use crate::merkle;

/// A signed statement by the board: "my log has `tree_size` entries, with this Merkle root and
/// this last chained hash".
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Checkpoint {
    /// Number of entries covered.
    pub tree_size: u64,
    /// Merkle root over the entries' chained hashes.
    #[serde(with = "crate::hash::hex32")]
    pub root: Hash,
    /// Chained hash of entry `tree_size − 1`.
    #[serde(with = "crate::hash::hex32")]
    pub last_hash: Hash,
    /// The id of the board's previous checkpoint (zero for the first), so the checkpoints form
    /// a chain and none can be withheld from `checkpoints.jsonl` unnoticed.
    #[serde(with = "crate::hash::hex32")]
    pub prev: Hash,
    /// Ed25519 signature by the board key.
    #[serde(with = "crate::hash::hex64")]
    pub signature: [u8; 64],
}

/// Why a checkpoint or receipt is not valid.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum CheckpointError {
    /// Bad signature.
    #[error("the board's signature does not verify")]
    BadSignature,
    /// Inclusion proof fails.
    #[error("the inclusion proof does not lead to the checkpoint's root")]
    NotIncluded,
    /// The receipt and its checkpoint disagree.
    #[error("the receipt is inconsistent: {0}")]
    Inconsistent(&'static str),
}

/// BLAKE3-derive("psephos v1 checkpoint", H_B ‖ LE64(tree_size) ‖ root ‖ last_hash ‖ prev):
/// the message the board signs, and the checkpoint's id that the next checkpoint's `prev` holds.
pub fn checkpoint_message(
    base: &Hash,
    tree_size: u64,
    root: &Hash,
    last_hash: &Hash,
    prev: &Hash,
) -> Hash {
    let mut h = blake3::Hasher::new_derive_key(contexts::CHECKPOINT);
    h.update(base);
    h.update(&tree_size.to_le_bytes());
    h.update(root);
    h.update(last_hash);
    h.update(prev);
    *h.finalize().as_bytes()
}

impl Checkpoint {
    /// Signs a checkpoint that follows `previous` (None for the board's first).
    pub fn sign(
        key: &SigningKey,
        base: &Hash,
        tree_size: u64,
        root: Hash,
        last_hash: Hash,
        previous: Option<&Checkpoint>,
    ) -> Self {
        let prev = previous.map(|p| p.id(base)).unwrap_or([0u8; 32]);
        let signature = key
            .sign(&checkpoint_message(
                base, tree_size, &root, &last_hash, &prev,
            ))
            .to_bytes();
        Checkpoint {
            tree_size,
            root,
            last_hash,
            prev,
            signature,
        }
    }

    /// The checkpoint's id: the message its signature covers.
    pub fn id(&self, base: &Hash) -> Hash {
        checkpoint_message(
            base,
            self.tree_size,
            &self.root,
            &self.last_hash,
            &self.prev,
        )
    }

    /// Whether this checkpoint directly follows `previous` (None: it must be the first).
    pub fn follows(&self, previous: Option<&Checkpoint>, base: &Hash) -> bool {
        let expected = previous.map(|p| p.id(base)).unwrap_or([0u8; 32]);
        self.prev == expected && previous.is_none_or(|p| p.tree_size <= self.tree_size)
    }

    /// Verifies the signature.
    pub fn verify(&self, board_key: &[u8; 32], base: &Hash) -> Result<(), CheckpointError> {
        crate::signature::verify(board_key, &self.id(base), &self.signature)
            .map_err(|_| CheckpointError::BadSignature)
    }
}

/// Which kind of entry a receipt acknowledges: the name of the entry kind (docs/spec.md §7.5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReceiptKind {
    /// A cast ballot (`ballot` entry): it counts (subject to the revote policy).
    Ballot,
    /// A challenged ballot (`challenged` entry): it never counts.
    Challenged,
}

impl ReceiptKind {
    /// The entry kind's name, as in the JSON and in the receipt message.
    pub fn as_str(self) -> &'static str {
        match self {
            ReceiptKind::Ballot => "ballot",
            ReceiptKind::Challenged => "challenged",
        }
    }
}

/// What the board hands a voter for an accepted ballot or challenge.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Receipt {
    /// The election's H_B.
    #[serde(with = "crate::hash::hex32")]
    pub base_hash: Hash,
    /// Whether the entry is a cast ballot or a challenge.
    pub kind: ReceiptKind,
    /// The ballot id.
    #[serde(with = "crate::hash::hex16")]
    pub ballot_id: [u8; 16],
    /// The tracking code.
    pub tracking_code: String,
    /// The ballot's position in the log.
    pub seq: u64,
    /// The ballot entry's chained hash.
    #[serde(with = "crate::hash::hex32")]
    pub entry_hash: Hash,
    /// A checkpoint that includes the entry.
    pub checkpoint: Checkpoint,
    /// Inclusion proof of the entry in the checkpoint's tree.
    pub inclusion_proof: Vec<crate::entry::HexKey>,
    /// Board signature over the receipt's fields (see [`receipt_message`]).
    #[serde(with = "crate::hash::hex64")]
    pub signature: [u8; 64],
}

/// BLAKE3-derive("psephos v1 receipt", H_B ‖ LE64(len kind) ‖ kind ‖ ballot_id ‖
/// LE64(len code) ‖ code ‖ LE64(seq) ‖ entry_hash ‖ LE64(tree_size) ‖ root), where kind is the
/// ASCII entry kind, `ballot` or `challenged`.
pub fn receipt_message(
    base: &Hash,
    kind: ReceiptKind,
    ballot_id: &[u8; 16],
    code: &str,
    seq: u64,
    entry_hash: &Hash,
    cp: &Checkpoint,
) -> Hash {
    let mut h = blake3::Hasher::new_derive_key(contexts::RECEIPT);
    h.update(base);
    h.update(&(kind.as_str().len() as u64).to_le_bytes());
    h.update(kind.as_str().as_bytes());
    h.update(ballot_id);
    h.update(&(code.len() as u64).to_le_bytes());
    h.update(code.as_bytes());
    h.update(&seq.to_le_bytes());
    h.update(entry_hash);
    h.update(&cp.tree_size.to_le_bytes());
    h.update(&cp.root);
    *h.finalize().as_bytes()
}

impl Receipt {
    /// Builds and signs a receipt.
    #[allow(clippy::too_many_arguments)]
    pub fn sign(
        key: &SigningKey,
        base_hash: Hash,
        kind: ReceiptKind,
        ballot_id: [u8; 16],
        tracking_code: String,
        seq: u64,
        entry_hash: Hash,
        checkpoint: Checkpoint,
        inclusion_proof: Vec<Hash>,
    ) -> Self {
        let msg = receipt_message(
            &base_hash,
            kind,
            &ballot_id,
            &tracking_code,
            seq,
            &entry_hash,
            &checkpoint,
        );
        Receipt {
            base_hash,
            kind,
            ballot_id,
            tracking_code,
            seq,
            entry_hash,
            checkpoint,
            inclusion_proof: inclusion_proof
                .into_iter()
                .map(crate::entry::HexKey)
                .collect(),
            signature: key.sign(&msg).to_bytes(),
        }
    }

    /// Checks the receipt for one ballot the voter holds: [`Receipt::verify`], then that it
    /// names this election (H_B), this kind of entry, this ballot id and this tracking code.
    /// The voter clients (web page and `psephos vote`) call this.
    pub fn verify_for(
        &self,
        board_key: &[u8; 32],
        base_hash: &Hash,
        kind: ReceiptKind,
        ballot_id: &[u8; 16],
        tracking_code: &str,
    ) -> Result<(), CheckpointError> {
        self.verify(board_key)?;
        if self.base_hash != *base_hash {
            return Err(CheckpointError::Inconsistent("it is for another election"));
        }
        if self.kind != kind {
            return Err(CheckpointError::Inconsistent(match kind {
                ReceiptKind::Ballot => "it acknowledges a challenge, not a cast ballot",
                ReceiptKind::Challenged => "it acknowledges a cast ballot, not a challenge",
            }));
        }
        if self.ballot_id != *ballot_id {
            return Err(CheckpointError::Inconsistent("it is for another ballot id"));
        }
        if self.tracking_code != tracking_code {
            return Err(CheckpointError::Inconsistent(
                "its tracking code is not this ballot's",
            ));
        }
        Ok(())
    }

    /// Checks the receipt on its own: signatures and inclusion in its checkpoint.
    pub fn verify(&self, board_key: &[u8; 32]) -> Result<(), CheckpointError> {
        self.checkpoint.verify(board_key, &self.base_hash)?;
        let msg = receipt_message(
            &self.base_hash,
            self.kind,
            &self.ballot_id,
            &self.tracking_code,
            self.seq,
            &self.entry_hash,
            &self.checkpoint,
        );
        crate::signature::verify(board_key, &msg, &self.signature)
            .map_err(|_| CheckpointError::BadSignature)?;
        if self.seq >= self.checkpoint.tree_size {
            return Err(CheckpointError::Inconsistent(
                "the entry is beyond the checkpoint",
            ));
        }
        let proof: Vec<Hash> = self.inclusion_proof.iter().map(|h| h.0).collect();
        merkle::verify_inclusion(
            &merkle::leaf_hash(&self.entry_hash),
            self.seq,
            self.checkpoint.tree_size,
            &proof,
            &self.checkpoint.root,
        )
        .map_err(|_| CheckpointError::NotIncluded)
    }
}
