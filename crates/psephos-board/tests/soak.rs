//! Bounded soak: a few thousand ballots over loopback, 32 at a time; then every acknowledged
//! ballot must be in the log where its receipt says, every receipt must verify, and the whole
//! record (closed, tallied, decrypted) must pass the independent verifier.

mod common;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use common::*;
use psephos_board::bench::{bench_manifest, prepare_ballots};
use psephos_board::init_election;
use psephos_crypto::group::FixedBase;
use psephos_record::entry::Entry;
use psephos_record::Receipt;
use reqwest::StatusCode;

const VOTERS: usize = 2000;
const CONCURRENCY: usize = 32;

async fn soak(place: &Place) {
    let location = place.location();
    let mut manifest = bench_manifest();
    manifest.trustees = 3;
    manifest.threshold = 2;
    let init = init_election(&location, manifest, TEST_PASSPHRASE)
        .await
        .expect("init");
    let server = Server::start(&location).await;
    let api = Api::new(&server.url);
    let (shares, creds) = open_election(&api, &init, VOTERS).await;
    let el = opened(&api).await;

    let t = Instant::now();
    let (m, h, k) = (el.manifest.clone(), el.election_hash, el.joint_key);
    let ballots =
        tokio::task::spawn_blocking(move || prepare_ballots(&m, &h, &FixedBase::new(k), &creds))
            .await
            .expect("prepare");
    assert_eq!(ballots.len(), VOTERS);
    eprintln!("{VOTERS} ballots prepared in {:?}", t.elapsed());

    let t = Instant::now();
    let ballots = Arc::new(ballots);
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..CONCURRENCY {
        let (api, ballots, next) = (api.clone(), ballots.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut got = Vec::new();
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some((body, id)) = ballots.get(i) else {
                    break;
                };
                let (status, v) = api.post_raw("/api/ballots", body.clone()).await;
                assert_eq!(status, StatusCode::OK, "ballot {i}: {v}");
                let r: Receipt = serde_json::from_value(v).expect("receipt");
                assert_eq!(&r.ballot_id, id);
                got.push((i, r));
            }
            got
        }));
    }
    let mut receipts: Vec<(usize, Receipt)> = Vec::new();
    for task in tasks {
        receipts.extend(task.await.expect("client"));
    }
    let elapsed = t.elapsed();
    eprintln!(
        "{VOTERS} ballots accepted in {elapsed:?} ({:.0} ballots/s, test profile)",
        VOTERS as f64 / elapsed.as_secs_f64()
    );
    assert_eq!(receipts.len(), VOTERS);

    // Identical re-posts (retries) get the identical receipt and are not logged again.
    for (i, r) in receipts.iter().take(20) {
        let (status, v) = api.post_raw("/api/ballots", ballots[*i].0.clone()).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(&serde_json::from_value::<Receipt>(v).expect("receipt"), r);
    }

    // Every receipt verifies and points at its ballot in the log.
    let log = read_log(&api).await;
    let by_seq: HashMap<u64, usize> = log.iter().enumerate().map(|(i, l)| (l.seq, i)).collect();
    for (_, r) in &receipts {
        r.verify(&el.board_key).expect("receipt verifies");
        assert_eq!(r.base_hash, init.base_hash);
        let line = &log[by_seq[&r.seq]];
        assert_eq!(line.hash, r.entry_hash, "receipt seq {}", r.seq);
        match &line.entry {
            Entry::Ballot(b) => {
                assert_eq!(b.ballot.ballot_id, r.ballot_id);
                assert_eq!(b.tracking_code, r.tracking_code);
            }
            other => panic!("receipt seq {} is not a ballot: {other:?}", r.seq),
        }
    }
    let ballots_in_log = log
        .iter()
        .filter(|l| matches!(l.entry, Entry::Ballot(_)))
        .count();
    assert_eq!(ballots_in_log, VOTERS, "each ballot logged exactly once");

    finish(&api, &init, &shares).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let report = verify_record(&api, dir.path()).await;
    eprintln!("verifier: passed={}", report.passed());
    // A few receipts through the verifier's own receipt check too.
    for (_, r) in receipts.iter().step_by(VOTERS / 4) {
        let report = psephos_verify::verify_dir(
            dir.path(),
            &psephos_verify::Options {
                require_complete: true,
                receipt: Some(r.clone()),
                ..Default::default()
            },
        )
        .expect("record");
        assert!(report.passed(), "receipt {}: {report:?}", r.seq);
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn soak_sqlite() {
    let place = Place::sqlite();
    soak(&place).await;
    place.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn soak_postgres() {
    let Some(place) = Place::postgres("soak").await else {
        return;
    };
    soak(&place).await;
    place.cleanup().await;
}
