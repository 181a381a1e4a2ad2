//! Crash test: the board runs in its own process (`psephos-board-server`) and is SIGKILLed in
//! the middle of a stream of concurrent ballots. After a restart on the same store:
//!
//! - the board opens, i.e. its replay found the hash chain, the Merkle tree and every stored
//!   checkpoint intact;
//! - every ballot whose receipt was returned is in the log, where its receipt says;
//! - every voter whose request was cut off can retry the identical ballot and is counted once;
//! - the finished record passes the independent verifier.
//!
//! SQLite always; PostgreSQL when reachable (a fresh database per test; SKIPPING otherwise).

mod common;

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use common::*;
use psephos_board::bench::{bench_manifest, prepare_ballots};
use psephos_board::init_election;
use psephos_crypto::group::FixedBase;
use psephos_record::entry::Entry;
use psephos_record::Receipt;
use reqwest::StatusCode;

const VOTERS: usize = 600;
const CONCURRENCY: usize = 16;
/// Acknowledged ballots before the kill.
const KILL_AFTER: usize = 150;

/// The board server child; killed (SIGKILL) when dropped.
struct BoardProcess {
    child: Child,
    url: String,
}

impl BoardProcess {
    fn start(location: &str) -> BoardProcess {
        let mut child = Command::new(env!("CARGO_BIN_EXE_psephos-board-server"))
            .args([
                "--data",
                location,
                "--listen",
                "127.0.0.1:0",
                "--max-batch",
                "32",
            ])
            .env(psephos_board::BOARD_PASSPHRASE_ENV, TEST_PASSPHRASE)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start psephos-board-server");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read the listening line");
        let addr = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| {
                let _ = child.kill();
                panic!("the board did not start (it replays and checks the log): {line:?}")
            })
            .to_string();
        BoardProcess {
            child,
            url: format!("http://{addr}"),
        }
    }

    /// SIGKILL: no graceful shutdown, no flush, nothing.
    fn kill(mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().expect("wait");
    }
}

impl Drop for BoardProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

enum Outcome {
    Receipt(Box<Receipt>),
    /// The request failed (connection reset or refused, or an error answer while dying).
    CutOff,
}

async fn crash(place: &Place) {
    let location = place.location();
    let init = init_election(&location, bench_manifest(), TEST_PASSPHRASE)
        .await
        .expect("init");
    let child = BoardProcess::start(&location);
    let api = Api::new(&child.url);
    let (shares, creds) = open_election(&api, &init, VOTERS).await;
    let el = opened(&api).await;
    let (m, h, k) = (el.manifest.clone(), el.election_hash, el.joint_key);
    let ballots =
        tokio::task::spawn_blocking(move || prepare_ballots(&m, &h, &FixedBase::new(k), &creds))
            .await
            .expect("prepare");
    let ballots = Arc::new(ballots);

    // Post concurrently; kill the board after KILL_AFTER receipts.
    let next = Arc::new(AtomicUsize::new(0));
    let acks = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..CONCURRENCY {
        let (api, ballots, next, acks) = (api.clone(), ballots.clone(), next.clone(), acks.clone());
        tasks.push(tokio::spawn(async move {
            let mut out = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some((body, _)) = ballots.get(i) else {
                    break;
                };
                let sent = api
                    .client
                    .post(format!("{}/api/ballots", api.url))
                    .header("content-type", "application/json")
                    .body(body.clone())
                    .send()
                    .await;
                let outcome = match sent {
                    Ok(resp) if resp.status() == StatusCode::OK => match resp.bytes().await {
                        Ok(b) => {
                            acks.fetch_add(1, Ordering::Relaxed);
                            Outcome::Receipt(Box::new(serde_json::from_slice(&b).expect("receipt")))
                        }
                        Err(_) => Outcome::CutOff,
                    },
                    _ => Outcome::CutOff,
                };
                out.push((i, outcome));
            }
            out
        }));
    }
    while acks.load(Ordering::Relaxed) < KILL_AFTER {
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
    child.kill();
    let mut acked: HashMap<usize, Receipt> = HashMap::new();
    let mut cut_off = Vec::new();
    for t in tasks {
        for (i, o) in t.await.expect("client") {
            match o {
                Outcome::Receipt(r) => {
                    acked.insert(i, *r);
                }
                Outcome::CutOff => cut_off.push(i),
            }
        }
    }
    eprintln!(
        "killed after {} receipts; {} requests cut off or refused",
        acked.len(),
        cut_off.len()
    );
    assert!(acked.len() >= KILL_AFTER);
    assert!(
        !cut_off.is_empty(),
        "the kill came too late to cut anything off"
    );

    // Restart on the same store: Board::open replays and checks chain and checkpoints.
    let child = BoardProcess::start(&location);
    let api = Api::new(&child.url);
    let log = read_log(&api).await;
    let by_seq: HashMap<u64, &LogLine> = log.iter().map(|l| (l.seq, l)).collect();
    for (i, r) in &acked {
        r.verify(&el.board_key).expect("receipt verifies");
        let line = by_seq
            .get(&r.seq)
            .unwrap_or_else(|| panic!("acknowledged ballot {i} (seq {}) lost", r.seq));
        assert_eq!(line.hash, r.entry_hash, "acknowledged ballot {i} altered");
        assert!(
            matches!(&line.entry, Entry::Ballot(b) if b.ballot.ballot_id == r.ballot_id),
            "seq {} is not ballot {i}",
            r.seq
        );
    }
    let before_retry = log
        .iter()
        .filter(|l| matches!(l.entry, Entry::Ballot(_)))
        .count();
    eprintln!(
        "after restart: {before_retry} ballots in the log ({} acknowledged)",
        acked.len()
    );

    // Every voter who got no receipt retries the identical ballot; a few who did retry too.
    let retries: Vec<usize> = cut_off
        .iter()
        .copied()
        .chain(acked.keys().copied().take(10))
        .collect();
    for i in retries {
        let (status, v) = api.post_raw("/api/ballots", ballots[i].0.clone()).await;
        assert_eq!(status, StatusCode::OK, "retry of ballot {i}: {v}");
        let r: Receipt = serde_json::from_value(v).expect("receipt");
        r.verify(&el.board_key).expect("receipt verifies");
        if let Some(first) = acked.get(&i) {
            assert_eq!(&r, first, "a retry gets the identical receipt");
        }
        acked.insert(i, r);
    }
    assert_eq!(acked.len(), VOTERS);

    // Each voter counted once.
    let log = read_log(&api).await;
    let ids: Vec<[u8; 16]> = log
        .iter()
        .filter_map(|l| match &l.entry {
            Entry::Ballot(b) => Some(b.ballot.ballot_id),
            _ => None,
        })
        .collect();
    assert_eq!(ids.len(), VOTERS, "every ballot logged exactly once");
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), VOTERS);
    let st = api.status().await;
    assert_eq!(st.ballots_cast, VOTERS as u64);

    finish(&api, &init, &shares).await;
    let dir = tempfile::tempdir().expect("tempdir");
    verify_record(&api, dir.path()).await;
    drop(child);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_mid_load_sqlite() {
    let place = Place::sqlite();
    crash(&place).await;
    place.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_mid_load_postgres() {
    let Some(place) = Place::postgres("sigkill_mid_load").await else {
        return;
    };
    crash(&place).await;
    place.cleanup().await;
}
