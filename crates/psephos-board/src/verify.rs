//! Ballot verification across requests: the ballots that arrive while the cores are busy are
//! verified together, one Ed25519 batch for their signatures and one multiscalar batch for all
//! their proofs.
//!
//! One ballot alone costs a Straus multiscalar multiplication of about 22 terms; many ballots
//! share one Pippenger multiplication, whose cost per term is about half (the crypto crate's
//! batch verification, `psephos_crypto::batch`). Under load the queue fills while the cores
//! work, so the batches grow with the load and the board gets faster per ballot exactly when it
//! matters; an idle board verifies each ballot at once, in a batch of one.
//!
//! A batch that fails is not a verdict on anyone: its ballots are then verified one by one
//! (`psephos_crypto::batch::verify_all`) and each gets its own answer, so a bad ballot can only
//! cost the honest ballots of its batch one more verification, never a wrong rejection.

use std::sync::Arc;

use psephos_crypto::batch::{verify_all, BatchVerifier};
use psephos_record::hash::Hash;
use psephos_record::signature::{self, BatchItem, PublicKey};
use psephos_record::{Ballot, BallotError, Manifest};
use tokio::sync::{mpsc, oneshot, Semaphore};

use crate::error::ApiError;
use crate::ratelimit::CredentialLimiter;
use crate::state::Opened;

/// The most ballots one batch takes from the queue. Past a few dozen ballots the cost per
/// term of the multiscalar multiplication hardly falls, while a larger batch makes its first
/// ballot wait longer.
const MAX_BATCH: usize = 64;

/// A ballot waiting for verification, with what it is verified against.
pub(crate) struct BallotJob {
    /// The ballot.
    pub ballot: Ballot,
    /// `ballot.hash(H_E)`: the credential signed its cast message.
    pub hash: Hash,
    /// The election's questions.
    pub manifest: Arc<Manifest>,
    /// H_E and the joint key.
    pub opened: Arc<Opened>,
}

struct Queued {
    job: BallotJob,
    reply: oneshot::Sender<Result<(), ApiError>>,
}

/// The handle through which requests submit ballots for verification. Cheap to clone.
#[derive(Clone)]
pub(crate) struct BallotVerifier {
    queue: mpsc::UnboundedSender<Queued>,
}

impl BallotVerifier {
    /// Starts the dispatcher on the current tokio runtime; batches run on the rayon pool, at
    /// most one per rayon thread at a time.
    pub fn start(limiter: Option<CredentialLimiter>) -> Self {
        let (queue, rx) = mpsc::unbounded_channel();
        let lanes = rayon::current_num_threads().max(1);
        tokio::spawn(dispatch(rx, limiter, lanes));
        BallotVerifier { queue }
    }

    /// Verifies the ballot's signature, then (if the credential is within its rate limit) its
    /// proofs. Answers once the ballot's batch is done.
    pub async fn verify(&self, job: BallotJob) -> Result<(), ApiError> {
        let (reply, answer) = oneshot::channel();
        self.queue
            .send(Queued { job, reply })
            .map_err(|_| ApiError::Internal("the ballot verifier has stopped".into()))?;
        answer
            .await
            .map_err(|_| ApiError::Internal("ballot verification failed".into()))?
    }
}

/// Takes a free lane, then every ballot queued by then (up to [`MAX_BATCH`]), and verifies
/// them together on the rayon pool.
async fn dispatch(
    mut rx: mpsc::UnboundedReceiver<Queued>,
    limiter: Option<CredentialLimiter>,
    lanes: usize,
) {
    let lanes = Arc::new(Semaphore::new(lanes));
    loop {
        let Ok(lane) = lanes.clone().acquire_owned().await else {
            return;
        };
        let Some(first) = rx.recv().await else {
            return;
        };
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(q) => batch.push(q),
                Err(_) => break,
            }
        }
        let limiter = limiter.clone();
        rayon::spawn(move || {
            let _lane = lane;
            // A panic drops the reply senders: those requests answer with an internal error
            // and the board goes on.
            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                let jobs: Vec<&BallotJob> = batch.iter().map(|q| &q.job).collect();
                let verdicts = verify_batch(&jobs, limiter.as_ref());
                for (q, verdict) in batch.into_iter().zip(verdicts) {
                    let _ = q.reply.send(verdict);
                }
            }));
        });
    }
}

/// The verdict on each ballot of a batch, in order: its signature, then the credential's rate
/// limit (only posts its holder signed count against it), then its proofs.
pub(crate) fn verify_batch(
    jobs: &[&BallotJob],
    limiter: Option<&CredentialLimiter>,
) -> Vec<Result<(), ApiError>> {
    let mut verdicts: Vec<Result<(), ApiError>> = check_signatures(jobs);
    for (job, verdict) in jobs.iter().zip(verdicts.iter_mut()) {
        if verdict.is_ok() && limiter.is_some_and(|l| !l.allow(&job.ballot.credential)) {
            *verdict = Err(ApiError::RateLimited);
        }
    }
    let signed: Vec<usize> = (0..jobs.len()).filter(|&i| verdicts[i].is_ok()).collect();
    for (i, e) in check_proofs(jobs, &signed) {
        verdicts[i] = Err(map_ballot_error(e));
    }
    verdicts
}

/// Maps why a ballot failed to the API's rejection code.
pub(crate) fn map_ballot_error(e: BallotError) -> ApiError {
    match e {
        BallotError::BadSignature | BallotError::BadSpoilSignature => ApiError::BadSignature,
        BallotError::SpoiledBallotCast { .. } => ApiError::SpoiledBallotCast(e.to_string()),
        BallotError::WrongContestCount { .. } => ApiError::Malformed(e.to_string()),
        BallotError::ChallengeMismatch => ApiError::ChallengeMismatch,
        other => ApiError::BadProof(other.to_string()),
    }
}

/// Every signature in one Ed25519 batch; if the batch fails, one by one to name the bad ones.
/// The rule (spec §7.4) is `psephos_record::signature`'s, the verifier's and the trustees'.
fn check_signatures(jobs: &[&BallotJob]) -> Vec<Result<(), ApiError>> {
    let keys: Vec<Option<PublicKey>> = jobs
        .iter()
        .map(|j| PublicKey::from_bytes(&j.ballot.credential).ok())
        .collect();
    let mut verdicts: Vec<Result<(), ApiError>> = keys
        .iter()
        .map(|k| k.map(|_| ()).ok_or(ApiError::BadSignature))
        .collect();
    let decodable: Vec<usize> = (0..jobs.len()).filter(|&i| keys[i].is_some()).collect();
    // What each credential signed: the cast message of its ballot hash (docs/spec.md §7.4).
    let cast_messages: Vec<[u8; 47]> = decodable
        .iter()
        .map(|&i| Ballot::signed_message(&jobs[i].hash))
        .collect();
    let items: Vec<BatchItem<'_>> = decodable
        .iter()
        .zip(&cast_messages)
        .filter_map(|(&i, message)| {
            Some(BatchItem {
                key: keys[i].as_ref()?,
                message: &message[..],
                signature: &jobs[i].ballot.signature,
            })
        })
        .collect();
    for (&i, verdict) in decodable.iter().zip(signature::verify_each(&items)) {
        verdicts[i] = verdict.map_err(|_| ApiError::BadSignature);
    }
    verdicts
}

/// The proofs of `jobs[i]` for every `i` in `which`, in one multiscalar batch (per election);
/// returns the failures.
fn check_proofs(jobs: &[&BallotJob], which: &[usize]) -> Vec<(usize, BallotError)> {
    let mut failures = Vec::new();
    let mut rest: Vec<usize> = which.to_vec();
    // Normally one round: every ballot of a batch belongs to the same election.
    while let Some(&first) = rest.first() {
        let opened = jobs[first].opened.clone();
        let manifest = jobs[first].manifest.clone();
        let (same, other): (Vec<usize>, Vec<usize>) = rest
            .iter()
            .partition(|&&i| Arc::ptr_eq(&jobs[i].opened, &opened));
        rest = other;
        let key = opened.key.element();
        let he = &opened.election_hash;
        let mut todo: &[usize] = &same;
        // verify_all names the first failure and has verified everything before it; go on
        // after it until the end.
        while !todo.is_empty() {
            let outcome = verify_all(
                todo,
                todo.len(),
                |&i, batch: &mut BatchVerifier| {
                    let key_base = batch.shared_base(*key.point());
                    jobs[i]
                        .ballot
                        .queue_proofs(&manifest, he, key, key_base, batch)
                },
                |&i| jobs[i].ballot.verify_proofs(&manifest, he, key),
                || BallotError::BadProofs,
            );
            match outcome {
                Ok(()) => break,
                Err((k, e)) => {
                    failures.push((todo[k], e));
                    todo = &todo[k + 1..];
                }
            }
        }
    }
    failures
}
