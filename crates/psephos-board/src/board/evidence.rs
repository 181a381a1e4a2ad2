//! `GET /api/election/evidence`: what a voting client checks before it encrypts anything
//! (docs/spec.md §7.9, `psephos_record::evidence::check_election`): entry 0 and the `open`
//! entry, each with its inclusion proof, under the board's latest signed checkpoint.

use std::time::Duration;

use axum::extract::State as AxState;
use axum::Json;
use psephos_record::entry::HexKey;
use psephos_record::evidence::{ElectionEvidence, EvidenceLine};
use psephos_record::hash::GENESIS_PREV;

use super::{ApiError, Board, StoredEntry};

/// How long the answer waits for a checkpoint covering the `open` entry (written with the
/// entry's batch, so this wait is short except just after the election opened).
const CHECKPOINT_WAIT: Duration = Duration::from_secs(30);

async fn stored_entry(board: &Board, seq: u64) -> Result<StoredEntry, ApiError> {
    board
        .inner
        .store
        .read_range(seq, 1)
        .await?
        .into_iter()
        .next()
        .filter(|e| e.seq == seq)
        .ok_or_else(|| ApiError::Internal(format!("log entry {seq} is missing from the store")))
}

fn line(e: &StoredEntry, prev: [u8; 32]) -> Result<EvidenceLine, ApiError> {
    EvidenceLine::new(e.seq, prev, e.entry_hash, &e.body)
        .map_err(|err| ApiError::Internal(format!("log entry {}: {err}", e.seq)))
}

pub(super) async fn get_evidence(
    AxState(board): AxState<Board>,
) -> Result<Json<ElectionEvidence>, ApiError> {
    let open_seq = board
        .state()
        .opened
        .as_ref()
        .map(|o| o.seq)
        .ok_or(ApiError::ElectionNotOpen)?;
    let mut covered = board.inner.checkpointed.clone();
    let wait = covered.wait_for(|&size| size > open_seq);
    match tokio::time::timeout(CHECKPOINT_WAIT, wait).await {
        Ok(Ok(_)) => {}
        _ => {
            return Err(ApiError::Unavailable(
                "no signed checkpoint covers the open entry yet; retry".into(),
            ))
        }
    }
    let manifest = stored_entry(&board, 0).await?;
    let open = stored_entry(&board, open_seq).await?;
    let st = board.state();
    let open_prev = st
        .entry_hashes
        .get((open_seq as usize).wrapping_sub(1))
        .copied()
        .ok_or_else(|| ApiError::Internal("the entry before open is missing".into()))?;
    let checkpoint = st
        .checkpoints
        .last()
        .filter(|c| c.tree_size > open_seq)
        .cloned()
        .ok_or_else(|| ApiError::Internal("the covering checkpoint vanished".into()))?;
    let proof = |seq: u64| -> Result<Vec<HexKey>, ApiError> {
        st.tree
            .inclusion_proof(seq, checkpoint.tree_size)
            .map(|p| p.into_iter().map(HexKey).collect())
            .map_err(|e| ApiError::Internal(e.to_string()))
    };
    Ok(Json(ElectionEvidence {
        manifest_entry: line(&manifest, GENESIS_PREV)?,
        manifest_proof: proof(0)?,
        open_entry: line(&open, open_prev)?,
        open_proof: proof(open_seq)?,
        checkpoint,
    }))
}
