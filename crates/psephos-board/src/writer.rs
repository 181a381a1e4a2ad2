//! The single writer of the board's log, with group commit.
//!
//! Every append goes through one task that owns the tail of the log: it
//! assigns seq numbers, chains entry hashes, and commits whatever has queued
//! up (up to `max_batch` entries) in one [`Store::append`] transaction. A
//! caller of [`LogWriter::append`] is answered only after its entry is
//! durably committed.
//!
//! # Learning about committed entries
//!
//! Two mechanisms, both strictly in seq order:
//!
//! * **Commit hook** ([`LogWriter::spawn_with_hook`]): a closure run on the
//!   writer task with each committed batch, *after* the commit and *before*
//!   any append of the batch is answered. Use it for state that must already
//!   include an entry when its append returns (the board's in-memory Merkle
//!   tree). It must be quick and must not block on the writer (for example
//!   by awaiting an append): it holds up every other append while it runs.
//!   If it panics the writer stops and later appends fail with
//!   [`StoreError::WriterClosed`].
//! * **Broadcast** ([`LogWriter::subscribe`]): a `tokio::sync::broadcast`
//!   receiver of every entry committed after subscribing, sent before the
//!   appends are answered. Fine for loose observers (live feeds); a
//!   receiver that falls more than the channel capacity behind gets
//!   `RecvError::Lagged` and must re-read the gap from the store.
//!
//! # Failures
//!
//! If a batch's commit fails, every append of that batch gets
//! [`StoreError::BatchFailed`] with the shared cause, and the writer's next
//! seq and previous hash do not advance. Before committing the next batch
//! the writer re-reads the log length (while it cannot, batches keep
//! failing the same way): if the store does not hold exactly what the
//! writer believes (the failed commit did happen after all, or another
//! process wrote to the log), the writer is poisoned and fails every later
//! append with [`StoreError::WriterPoisoned`]; the board must then restart
//! and replay the log.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use tokio::sync::{broadcast, mpsc, oneshot};

use crate::store::{Store, StoreError, StoredCheckpoint, StoredEntry};

/// Hash chaining function: `hash_fn(seq, prev_hash, body)` is the entry hash
/// of the entry at `seq` with canonical bytes `body`, following the entry
/// whose hash is `prev_hash`.
pub type HashFn = fn(seq: u64, prev_hash: &[u8; 32], body: &[u8]) -> [u8; 32];

/// Hook run on the writer task with each durably committed batch, in seq
/// order, before the batch's appends are answered (see the module docs).
pub type CommitHook = Box<dyn FnMut(&[StoredEntry]) + Send + 'static>;

/// Signs, for each batch, the checkpoint that is committed in the batch's own transaction: a
/// log and the checkpoint covering it are then stored together or not at all, with one
/// durable commit instead of two.
pub trait Checkpointer: Send + 'static {
    /// Called before `entries` are committed: the checkpoint of the log as it will be after
    /// them, or `None` to commit them without one.
    fn prepare(&mut self, entries: &[StoredEntry]) -> Option<StoredCheckpoint>;
    /// Called after the commit of the batch last prepared (after the commit hook, before any
    /// append is answered), with whether it was stored.
    fn finish(&mut self, committed: bool);
}

/// Capacity of the broadcast channel of committed entries.
pub const BROADCAST_CAPACITY: usize = 4096;

/// One queued append.
struct Request {
    body: Vec<u8>,
    reply: oneshot::Sender<Result<(u64, [u8; 32]), StoreError>>,
}

/// Serialises all appends to the log: assigns seq numbers, chains hashes,
/// batches commits.
///
/// Cheap to clone: clones share the one writer task, which stops once every
/// clone has been dropped and the queue is drained.
#[derive(Clone)]
pub struct LogWriter {
    queue: mpsc::Sender<Request>,
    events: broadcast::Sender<Arc<StoredEntry>>,
    commits: Arc<AtomicU64>,
}

impl std::fmt::Debug for LogWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogWriter")
            .field("commits", &self.commit_count())
            .finish_non_exhaustive()
    }
}

/// Whether the writer can trust its view of the log's tail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Health {
    /// The last commit succeeded (or none was tried).
    Good,
    /// The last commit failed; the store's length must be checked before
    /// the next one.
    Unsure,
    /// The store does not hold what the writer believes; nothing more is
    /// written.
    Poisoned,
}

/// The writer task's view of the log's tail.
struct Tail {
    next_seq: u64,
    prev_hash: [u8; 32],
    health: Health,
}

impl LogWriter {
    /// Starts the writer task on the current tokio runtime.
    ///
    /// `next_seq` and `prev_hash` describe the log's current tail (the number
    /// of stored entries and the hash of the last one, as found when
    /// replaying it). `hash_fn` chains entry hashes. `max_batch` caps the
    /// entries per commit (0 is taken as 1). Must be called inside a tokio
    /// runtime.
    pub fn spawn(
        store: Store,
        next_seq: u64,
        prev_hash: [u8; 32],
        hash_fn: HashFn,
        max_batch: usize,
    ) -> LogWriter {
        Self::spawn_inner(store, next_seq, prev_hash, hash_fn, max_batch, None, None)
    }

    /// Like [`LogWriter::spawn`], with a hook run on every committed batch
    /// before its appends are answered (see the module docs).
    pub fn spawn_with_hook(
        store: Store,
        next_seq: u64,
        prev_hash: [u8; 32],
        hash_fn: HashFn,
        max_batch: usize,
        on_commit: CommitHook,
    ) -> LogWriter {
        Self::spawn_inner(
            store,
            next_seq,
            prev_hash,
            hash_fn,
            max_batch,
            Some(on_commit),
            None,
        )
    }

    /// Like [`LogWriter::spawn_with_hook`], and every batch is committed together with the
    /// checkpoint that `checkpointer` signs for it.
    pub fn spawn_with_checkpoints(
        store: Store,
        next_seq: u64,
        prev_hash: [u8; 32],
        hash_fn: HashFn,
        max_batch: usize,
        on_commit: CommitHook,
        checkpointer: Box<dyn Checkpointer>,
    ) -> LogWriter {
        Self::spawn_inner(
            store,
            next_seq,
            prev_hash,
            hash_fn,
            max_batch,
            Some(on_commit),
            Some(checkpointer),
        )
    }

    fn spawn_inner(
        store: Store,
        next_seq: u64,
        prev_hash: [u8; 32],
        hash_fn: HashFn,
        max_batch: usize,
        on_commit: Option<CommitHook>,
        checkpointer: Option<Box<dyn Checkpointer>>,
    ) -> LogWriter {
        let max_batch = max_batch.max(1);
        // Enough queue for a few batches; beyond that appenders wait.
        let (queue, rx) = mpsc::channel(max_batch.saturating_mul(4).max(64));
        let (events, _) = broadcast::channel(BROADCAST_CAPACITY);
        let commits = Arc::new(AtomicU64::new(0));
        let tail = Tail {
            next_seq,
            prev_hash,
            health: Health::Good,
        };
        tokio::spawn(run(
            store,
            tail,
            hash_fn,
            max_batch,
            rx,
            events.clone(),
            commits.clone(),
            on_commit,
            checkpointer,
        ));
        LogWriter {
            queue,
            events,
            commits,
        }
    }

    /// Appends one entry; resolves only after it is durably committed.
    /// Returns `(seq, entry_hash)`.
    ///
    /// If this future is dropped after the entry was queued, the entry may
    /// still be committed.
    pub async fn append(&self, body: Vec<u8>) -> Result<(u64, [u8; 32]), StoreError> {
        let (reply, answer) = oneshot::channel();
        self.queue
            .send(Request { body, reply })
            .await
            .map_err(|_| StoreError::WriterClosed)?;
        answer.await.map_err(|_| StoreError::WriterClosed)?
    }

    /// A receiver of every entry committed from now on, in seq order (see
    /// the module docs for lag behaviour).
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<StoredEntry>> {
        self.events.subscribe()
    }

    /// Number of transactions committed so far by this writer.
    pub fn commit_count(&self) -> u64 {
        self.commits.load(Ordering::Relaxed)
    }
}

/// The writer task: drains the queue into batches and commits them.
#[allow(clippy::too_many_arguments)]
async fn run(
    store: Store,
    mut tail: Tail,
    hash_fn: HashFn,
    max_batch: usize,
    mut rx: mpsc::Receiver<Request>,
    events: broadcast::Sender<Arc<StoredEntry>>,
    commits: Arc<AtomicU64>,
    mut on_commit: Option<CommitHook>,
    mut checkpointer: Option<Box<dyn Checkpointer>>,
) {
    let mut batch: Vec<Request> = Vec::with_capacity(max_batch);
    // `recv_many` waits for at least one request, then takes whatever else
    // is queued, up to `max_batch`: appends that arrive while a commit is in
    // flight form the next batch.
    while rx.recv_many(&mut batch, max_batch).await > 0 {
        if tail.health == Health::Unsure {
            // Only carry on if the store holds exactly what we think.
            match store.len().await {
                Ok(len) if len == tail.next_seq => tail.health = Health::Good,
                Ok(len) => {
                    tracing::error!(
                        stored = len,
                        expected = tail.next_seq,
                        "log writer poisoned: store length differs after a failed commit"
                    );
                    tail.health = Health::Poisoned;
                }
                Err(e) => {
                    let cause = Arc::new(e);
                    for req in batch.drain(..) {
                        let _ = req.reply.send(Err(StoreError::BatchFailed(cause.clone())));
                    }
                    continue;
                }
            }
        }
        if tail.health == Health::Poisoned {
            for req in batch.drain(..) {
                let _ = req.reply.send(Err(StoreError::WriterPoisoned));
            }
            continue;
        }

        let mut entries = Vec::with_capacity(batch.len());
        let mut replies = Vec::with_capacity(batch.len());
        let mut seq = tail.next_seq;
        let mut prev = tail.prev_hash;
        for req in batch.drain(..) {
            let entry_hash = hash_fn(seq, &prev, &req.body);
            entries.push(StoredEntry {
                seq,
                entry_hash,
                body: req.body,
            });
            replies.push(req.reply);
            prev = entry_hash;
            seq = seq.wrapping_add(1);
        }

        let checkpoint = checkpointer.as_mut().and_then(|c| c.prepare(&entries));
        let stored = store
            .append_with_checkpoint(&entries, checkpoint.as_ref())
            .await;
        match stored {
            Ok(()) => {
                commits.fetch_add(1, Ordering::Relaxed);
                tail.next_seq = seq;
                tail.prev_hash = prev;
                if let Some(hook) = on_commit.as_mut() {
                    hook(&entries);
                }
                if let Some(c) = checkpointer.as_mut() {
                    c.finish(true);
                }
                for (entry, reply) in entries.into_iter().zip(replies) {
                    let answer = (entry.seq, entry.entry_hash);
                    // No receivers is fine.
                    let _ = events.send(Arc::new(entry));
                    // A caller that went away no longer wants the answer.
                    let _ = reply.send(Ok(answer));
                }
            }
            Err(e) => {
                tracing::error!(
                    error = %e,
                    first_seq = tail.next_seq,
                    entries = entries.len(),
                    "log group commit failed"
                );
                tail.health = Health::Unsure;
                if let Some(c) = checkpointer.as_mut() {
                    c.finish(false);
                }
                let cause = Arc::new(e);
                for reply in replies {
                    let _ = reply.send(Err(StoreError::BatchFailed(cause.clone())));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::sync::Mutex;

    use super::*;
    use crate::store::testutil::{both_backends, Fixture};

    fn chain(seq: u64, prev: &[u8; 32], body: &[u8]) -> [u8; 32] {
        let mut h = blake3::Hasher::new();
        h.update(&seq.to_le_bytes());
        h.update(prev);
        h.update(body);
        *h.finalize().as_bytes()
    }

    /// Checks that `entries` start at 0, are contiguous and chain from
    /// `[0; 32]` under [`chain`].
    fn assert_chain(entries: &[StoredEntry]) {
        let mut prev = [0u8; 32];
        for (i, e) in entries.iter().enumerate() {
            assert_eq!(e.seq, i as u64);
            assert_eq!(e.entry_hash, chain(e.seq, &prev, &e.body), "hash of {i}");
            prev = e.entry_hash;
        }
    }

    both_backends!(concurrent_group_commit);
    async fn concurrent_group_commit(f: &Fixture) {
        let store = f.open().await;
        let seen = Arc::new(Mutex::new(Vec::<StoredEntry>::new()));
        let hook_seen = seen.clone();
        let writer = LogWriter::spawn_with_hook(
            store.clone(),
            0,
            [0; 32],
            chain,
            64,
            Box::new(move |batch: &[StoredEntry]| {
                if let Ok(mut v) = hook_seen.lock() {
                    v.extend_from_slice(batch);
                }
            }),
        );
        let mut feed = writer.subscribe();

        const N: usize = 200;
        let mut tasks = Vec::new();
        for i in 0..N {
            let w = writer.clone();
            tasks.push(tokio::spawn(async move {
                let body = format!("{{\"ballot\":{i}}}").into_bytes();
                let (seq, hash) = w.append(body.clone()).await.expect("append");
                (seq, hash, body)
            }));
        }
        let mut results = Vec::new();
        for t in tasks {
            results.push(t.await.expect("task"));
        }

        // Every append got its own seq, 0..N.
        let seqs: BTreeSet<u64> = results.iter().map(|r| r.0).collect();
        assert_eq!(seqs, (0..N as u64).collect());

        // The store holds a correct hash chain, and each caller's answer
        // matches the stored entry.
        let stored = store.read_range(0, 1000).await.expect("read");
        assert_eq!(stored.len(), N);
        assert_chain(&stored);
        for (seq, hash, body) in &results {
            let e = &stored[*seq as usize];
            assert_eq!(&e.entry_hash, hash);
            assert_eq!(&e.body, body);
        }

        // Group commit happened.
        let commits = writer.commit_count();
        assert!(commits >= 1 && commits < N as u64, "{commits} commits");
        eprintln!("{N} appends in {commits} commits");

        // The hook and the broadcast saw everything, in order.
        assert_eq!(*seen.lock().expect("lock"), stored);
        for e in &stored {
            assert_eq!(*feed.recv().await.expect("broadcast"), *e);
        }

        // A second writer resuming from the stored tail continues the chain.
        drop(writer);
        let last = stored.last().expect("entries");
        let writer = LogWriter::spawn(store.clone(), N as u64, last.entry_hash, chain, 8);
        let (seq, _) = writer.append(b"more".to_vec()).await.expect("append");
        assert_eq!(seq, N as u64);
        assert_chain(&store.read_range(0, 1000).await.expect("read"));
        store.close().await;
    }

    both_backends!(failed_commit_does_not_advance);
    async fn failed_commit_does_not_advance(f: &Fixture) {
        let store = f.open().await;
        f.install_boom_trigger(&store).await;
        // max_batch 0 is taken as 1.
        let writer = LogWriter::spawn(store.clone(), 0, [0; 32], chain, 0);
        assert_eq!(writer.append(b"a".to_vec()).await.expect("a").0, 0);
        assert_eq!(writer.append(b"b".to_vec()).await.expect("b").0, 1);
        let err = writer.append(b"boom".to_vec()).await.expect_err("boom");
        assert!(matches!(err, StoreError::BatchFailed(_)), "{err}");
        assert_eq!(writer.commit_count(), 2);
        // The failed entry did not take a seq nor move the chain.
        assert_eq!(writer.append(b"c".to_vec()).await.expect("c").0, 2);
        let stored = store.read_range(0, 10).await.expect("read");
        assert_eq!(
            stored.iter().map(|e| e.body.clone()).collect::<Vec<_>>(),
            vec![b"a".to_vec(), b"b".to_vec(), b"c".to_vec()]
        );
        assert_chain(&stored);

        // Someone else writes to the log behind the writer's back: its next
        // commit fails, and after that it refuses to write at all.
        store
            .append(&[StoredEntry {
                seq: 3,
                entry_hash: [9; 32],
                body: b"intruder".to_vec(),
            }])
            .await
            .expect("out-of-band append");
        let err = writer.append(b"d".to_vec()).await.expect_err("conflict");
        match &err {
            StoreError::BatchFailed(cause) => assert!(
                matches!(
                    **cause,
                    StoreError::NonContiguous {
                        expected: 4,
                        got: 3
                    }
                ),
                "{cause}"
            ),
            other => panic!("unexpected error {other}"),
        }
        let err = writer.append(b"e".to_vec()).await.expect_err("poisoned");
        assert!(matches!(err, StoreError::WriterPoisoned), "{err}");
        assert_eq!(store.len().await.expect("len"), 4);
        store.close().await;
    }

    #[tokio::test]
    async fn closed_store_fails_appends() {
        let f = Fixture::sqlite();
        let store = f.open().await;
        let writer = LogWriter::spawn(store.clone(), 0, [0; 32], chain, 16);
        store.close().await;
        let err = writer.append(b"x".to_vec()).await.expect_err("closed");
        assert!(matches!(err, StoreError::BatchFailed(_)), "{err}");
        // The writer is unsure and cannot check the store: still failing,
        // not poisoned.
        let err = writer.append(b"y".to_vec()).await.expect_err("closed");
        assert!(matches!(err, StoreError::BatchFailed(_)), "{err}");
        assert_eq!(writer.commit_count(), 0);
    }
}
