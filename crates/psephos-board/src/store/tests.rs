use super::testutil::{both_backends, Fixture};
use super::*;

fn entry(seq: u64) -> StoredEntry {
    StoredEntry {
        seq,
        entry_hash: *blake3::hash(&seq.to_le_bytes()).as_bytes(),
        body: format!("{{\"n\":{seq}}}").into_bytes(),
    }
}

both_backends!(round_trip);
async fn round_trip(f: &Fixture) {
    let store = f.open().await;
    assert_eq!(store.len().await.expect("len"), 0);
    assert!(store.is_empty().await.expect("is_empty"));
    assert!(store.read_range(0, 10).await.expect("read").is_empty());
    store.append(&[]).await.expect("empty append");
    let first: Vec<_> = (0..3).map(entry).collect();
    store.append(&first).await.expect("append");
    let second: Vec<_> = (3..10).map(entry).collect();
    store.append(&second).await.expect("append");
    assert_eq!(store.len().await.expect("len"), 10);
    let all = store.read_range(0, 100).await.expect("read");
    assert_eq!(all, (0..10).map(entry).collect::<Vec<_>>());
    let mid = store.read_range(4, 3).await.expect("read");
    assert_eq!(mid, (4..7).map(entry).collect::<Vec<_>>());
    assert!(store.read_range(10, 5).await.expect("read").is_empty());
    assert_eq!(
        store.read_range(9, u64::MAX).await.expect("read"),
        vec![entry(9)]
    );
    // Large and empty bodies survive byte for byte.
    let big = StoredEntry {
        seq: 10,
        entry_hash: [0xab; 32],
        body: (0..200_000u32).map(|i| (i % 251) as u8).collect(),
    };
    let empty = StoredEntry {
        seq: 11,
        entry_hash: [0; 32],
        body: Vec::new(),
    };
    store
        .append(&[big.clone(), empty.clone()])
        .await
        .expect("append");
    assert_eq!(
        store.read_range(10, 2).await.expect("read"),
        vec![big, empty]
    );
    store.close().await;
}

both_backends!(non_contiguous_rejected);
async fn non_contiguous_rejected(f: &Fixture) {
    let store = f.open().await;
    // Must start at 0.
    let err = store.append(&[entry(1)]).await.expect_err("gap at start");
    assert!(
        matches!(
            err,
            StoreError::NonContiguous {
                expected: 0,
                got: 1
            }
        ),
        "{err}"
    );
    store.append(&[entry(0), entry(1)]).await.expect("append");
    // Gap after the tail.
    let err = store.append(&[entry(3)]).await.expect_err("gap");
    assert!(
        matches!(
            err,
            StoreError::NonContiguous {
                expected: 2,
                got: 3
            }
        ),
        "{err}"
    );
    // Overlap with the tail.
    let err = store
        .append(&[entry(1), entry(2)])
        .await
        .expect_err("overlap");
    assert!(
        matches!(
            err,
            StoreError::NonContiguous {
                expected: 2,
                got: 1
            }
        ),
        "{err}"
    );
    // Gap inside the batch: nothing of it is stored.
    let err = store
        .append(&[entry(2), entry(4)])
        .await
        .expect_err("gap inside");
    assert!(
        matches!(
            err,
            StoreError::NonContiguous {
                expected: 3,
                got: 4
            }
        ),
        "{err}"
    );
    // Out of range seq.
    let mut huge = entry(2);
    huge.seq = u64::MAX;
    let err = store.append(&[huge]).await.expect_err("huge");
    assert!(matches!(err, StoreError::OutOfRange { .. }), "{err}");
    assert_eq!(store.len().await.expect("len"), 2);
    store.append(&[entry(2)]).await.expect("append");
    assert_eq!(store.len().await.expect("len"), 3);
    store.close().await;
}

both_backends!(meta_upsert);
async fn meta_upsert(f: &Fixture) {
    let store = f.open().await;
    assert_eq!(store.get_meta("election").await.expect("get"), None);
    store.put_meta("election", b"one").await.expect("put");
    store.put_meta("key", &[0, 1, 2, 255]).await.expect("put");
    assert_eq!(
        store.get_meta("election").await.expect("get"),
        Some(b"one".to_vec())
    );
    store.put_meta("election", b"two").await.expect("put again");
    assert_eq!(
        store.get_meta("election").await.expect("get"),
        Some(b"two".to_vec())
    );
    assert_eq!(
        store.get_meta("key").await.expect("get"),
        Some(vec![0, 1, 2, 255])
    );
    store.put_meta("empty", b"").await.expect("put empty");
    assert_eq!(
        store.get_meta("empty").await.expect("get"),
        Some(Vec::new())
    );
    store.close().await;
}

both_backends!(reopen_keeps_data);
async fn reopen_keeps_data(f: &Fixture) {
    let store = f.open().await;
    store
        .append(&(0..5).map(entry).collect::<Vec<_>>())
        .await
        .expect("append");
    store.put_meta("k", b"v").await.expect("put");
    store
        .append_checkpoint(&StoredCheckpoint {
            tree_size: 5,
            body: b"cp5".to_vec(),
        })
        .await
        .expect("checkpoint");
    store.close().await;
    drop(store);

    // Reopening runs the migrations again (a no-op) and sees the data.
    let store = f.open_direct().await;
    assert_eq!(store.len().await.expect("len"), 5);
    assert_eq!(
        store.read_range(0, 10).await.expect("read"),
        (0..5).map(entry).collect::<Vec<_>>()
    );
    assert_eq!(store.get_meta("k").await.expect("get"), Some(b"v".to_vec()));
    assert_eq!(
        store.checkpoints().await.expect("checkpoints"),
        vec![StoredCheckpoint {
            tree_size: 5,
            body: b"cp5".to_vec()
        }]
    );
    store
        .append(&[entry(5)])
        .await
        .expect("append after reopen");
    assert_eq!(store.len().await.expect("len"), 6);
    store.close().await;
}

both_backends!(entries_and_their_checkpoint_commit_together);
async fn entries_and_their_checkpoint_commit_together(f: &Fixture) {
    let store = f.open().await;
    let first: Vec<StoredEntry> = (0..3).map(entry).collect();
    let cp3 = StoredCheckpoint {
        tree_size: 3,
        body: b"at 3".to_vec(),
    };
    store
        .append_with_checkpoint(&first, Some(&cp3))
        .await
        .expect("append with checkpoint");
    // A checkpoint the rules refuse (beyond the log even after the batch) takes the batch
    // down with it: neither is stored.
    let next: Vec<StoredEntry> = (3..5).map(entry).collect();
    let err = store
        .append_with_checkpoint(
            &next,
            Some(&StoredCheckpoint {
                tree_size: 6,
                body: b"at 6".to_vec(),
            }),
        )
        .await
        .expect_err("checkpoint beyond the log");
    assert!(
        matches!(
            err,
            StoreError::CheckpointBeyondLog {
                tree_size: 6,
                log_len: 5
            }
        ),
        "{err}"
    );
    assert_eq!(store.len().await.expect("len"), 3);
    assert_eq!(store.checkpoints().await.expect("checkpoints"), vec![cp3]);
    store.close().await;
}

both_backends!(checkpoints_in_order);
async fn checkpoints_in_order(f: &Fixture) {
    let store = f.open().await;
    assert!(store.checkpoints().await.expect("checkpoints").is_empty());
    assert_eq!(store.latest_checkpoint().await.expect("latest"), None);
    store
        .append(&(0..8).map(entry).collect::<Vec<_>>())
        .await
        .expect("append");
    let cps: Vec<StoredCheckpoint> = [0u64, 3, 3, 5, 8]
        .iter()
        .enumerate()
        .map(|(i, &tree_size)| StoredCheckpoint {
            tree_size,
            body: format!("checkpoint {i} at {tree_size}").into_bytes(),
        })
        .collect();
    for cp in &cps {
        store.append_checkpoint(cp).await.expect("checkpoint");
    }
    assert_eq!(store.checkpoints().await.expect("checkpoints"), cps);
    assert_eq!(
        store.latest_checkpoint().await.expect("latest"),
        cps.last().cloned()
    );
    // Going backwards is refused.
    let err = store
        .append_checkpoint(&StoredCheckpoint {
            tree_size: 7,
            body: b"old".to_vec(),
        })
        .await
        .expect_err("backwards");
    assert!(
        matches!(err, StoreError::CheckpointOutOfOrder { last: 8, got: 7 }),
        "{err}"
    );
    // So is a checkpoint beyond the stored log.
    let err = store
        .append_checkpoint(&StoredCheckpoint {
            tree_size: 9,
            body: b"future".to_vec(),
        })
        .await
        .expect_err("beyond");
    assert!(
        matches!(
            err,
            StoreError::CheckpointBeyondLog {
                tree_size: 9,
                log_len: 8
            }
        ),
        "{err}"
    );
    assert_eq!(store.checkpoints().await.expect("checkpoints"), cps);
    store.close().await;
}

#[tokio::test]
async fn sqlite_settings() {
    let f = Fixture::sqlite();
    let store = f.open().await;
    let Store::Sqlite(pool) = &store else {
        panic!("expected SQLite");
    };
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(pool)
        .await
        .expect("pragma");
    assert_eq!(mode.to_lowercase(), "wal");
    // FULL = 2.
    let sync: i64 = sqlx::query_scalar("PRAGMA synchronous")
        .fetch_one(pool)
        .await
        .expect("pragma");
    assert_eq!(sync, 2);
    if let Fixture::Sqlite(dir) = &f {
        assert!(dir.path().join("board").join(SQLITE_FILE_NAME).is_file());
    }
    store.close().await;
}

#[tokio::test]
async fn bad_locations() {
    let err = Store::open("postgres://%zz@/").await.expect_err("bad url");
    assert!(matches!(err, StoreError::InvalidUrl(_)), "{err}");
    let f = tempfile::NamedTempFile::new().expect("temp file");
    // A regular file where the directory should be.
    let err = Store::open(&f.path().join("sub").to_string_lossy())
        .await
        .expect_err("not a directory");
    assert!(matches!(err, StoreError::CreateDir { .. }), "{err}");
}
