//! A whole election through the board's HTTP API on 127.0.0.1, with the `psephos` library
//! functions: init, key ceremony, roll, open, votes (a revote, a challenge, refused ballots),
//! a restart of the board mid-election, close, decryption with a trustee missing, tally,
//! publish, verify. Once on SQLite, once on PostgreSQL.

use std::path::Path;

use psephos_cli::admin::{self, IssuedCode};
use psephos_cli::client::Client;
use psephos_cli::demo;
use psephos_cli::keyfile::KeyFile;
use psephos_cli::server::{self, RunningBoard};
use psephos_cli::trustee;
use psephos_cli::voter::{self, VoteError, VoteOutcome, VoterView};
use psephos_e2e::TestStore;

/// The passphrase the test boards' signing keys are sealed under.
const BOARD_PASSPHRASE: &str = "e2e board passphrase";
use psephos_record::Phase;

const PASS: &str = psephos_e2e::TRUSTEE_PASSPHRASE;

fn manifest() -> psephos_record::Manifest {
    admin::ManifestToml::parse(
        r#"
title = "Nomination poll (end-to-end test)"
election_id = "e2e"
trustees = 3
threshold = 2
revote_policy = "last_counts"
[[questions]]
title = "Who should we support?"
options = ["Owen Smith", "Jeremy Corbyn", "Neither"]
min_selections = 1
max_selections = 1
"#,
    )
    .expect("manifest")
    .into_manifest()
}

fn read_codes(path: &Path) -> Vec<IssuedCode> {
    csv::Reader::from_path(path)
        .expect("codes file")
        .deserialize()
        .collect::<Result<Vec<IssuedCode>, _>>()
        .expect("codes rows")
}

async fn vote(board: &str, code: &str, choice: &str) -> Result<psephos_record::Receipt, VoteError> {
    let c = Client::new(board).expect("client");
    match voter::vote(&c, code, &[choice.to_string()], false).await? {
        (_, VoteOutcome::Cast { receipt }) => Ok(*receipt),
        _ => unreachable!(),
    }
}

async fn full_election(store: &TestStore) {
    let location = store.location();
    let work = tempfile::tempdir().expect("tempdir");
    let init = server::init(&location, manifest(), BOARD_PASSPHRASE)
        .await
        .expect("init");
    assert_eq!(init.trustee_tokens.len(), 3);
    let board = RunningBoard::start(&location, "127.0.0.1:0", None, BOARD_PASSPHRASE)
        .await
        .expect("board starts");
    let public = Client::new(&board.url).expect("client");
    let admin_c = public.clone().with_token(&init.admin_token);

    // Key ceremony: three trustees, concurrently, each with an encrypted key file.
    psephos_e2e::run_ceremony(&public, &init.trustee_tokens, work.path()).await;

    // `admin status`: every trustee has done every step of the ceremony, nobody has voted.
    let progress = psephos_cli::status::Progress::fetch(&public)
        .await
        .expect("progress");
    assert_eq!(progress.phase, Phase::Ceremony);
    assert!(progress.steps.values().all(|s| s.key
        && s.commitments
        && s.shares
        && s.acceptance
        && !s.decryption));
    assert!(
        progress.phase_words().contains("3 of 3 trustees"),
        "{}",
        progress.report()
    );

    // A wrong token is refused.
    let intruder = public.clone().with_token("not-a-token");
    let err = intruder.admin("open").await.expect_err("bad token");
    assert_eq!(err.code(), Some("unauthorized"));

    // Roll: 12 members, codes to a 0600 file that is never overwritten.
    let members = work.path().join("members.csv");
    let mut text = String::from("member_id,name,email\n");
    for i in 1..=12 {
        text.push_str(&format!("m{i},Member {i},m{i}@example.org\n"));
    }
    std::fs::write(&members, text).expect("members");
    let codes_path = work.path().join("codes.csv");
    let n = admin::roll(&admin_c, &members, &codes_path, |_| {})
        .await
        .expect("roll");
    assert_eq!(n, 12);
    assert!(admin::roll(&admin_c, &members, &codes_path, |_| {})
        .await
        .is_err());
    let codes = read_codes(&codes_path);
    assert_eq!(codes.len(), 12);

    // Voting before the open is refused.
    let err = vote(&board.url, &codes[0].voting_code, "Neither")
        .await
        .expect_err("not open");
    assert!(matches!(err, VoteError::NotOpen(_)), "{err}");

    admin_c.admin("open").await.expect("open");

    // Votes: 0..5, with voter 0 changing their mind (last counts).
    let first = vote(&board.url, &codes[0].voting_code, "Jeremy Corbyn")
        .await
        .expect("vote");
    let choices = [
        "Owen Smith",
        "Owen Smith",
        "Jeremy Corbyn",
        "Neither",
        "Owen Smith",
    ];
    for (i, c) in choices.iter().enumerate() {
        vote(&board.url, &codes[i].voting_code, c)
            .await
            .expect("vote");
    }

    // Errors a voter can meet.
    let err = voter::vote(
        &public,
        &codes[6].voting_code,
        &["Boris".to_string()],
        false,
    )
    .await
    .err()
    .expect("bad choice");
    assert!(
        err.to_string().contains("Owen Smith"),
        "lists valid names: {err}"
    );
    let stranger = "AAAAA-BBBBB-CCCCC-DDDDD";
    let err = vote(&board.url, stranger, "Neither")
        .await
        .expect_err("not on roll");
    assert!(
        err.to_string()
            .contains("this voting code is not on the roll of this election"),
        "{err}"
    );

    // A Benaloh challenge shows what was encrypted and casts nothing.
    let (_, outcome) = voter::vote(&public, &codes[5].voting_code, &["Neither".into()], true)
        .await
        .expect("challenge");
    match outcome {
        VoteOutcome::Challenged { answer } => {
            assert_eq!(answer.choices, vec![vec!["Neither".to_string()]]);
            // The board's signed receipt says it was a challenge (checked by `vote`).
            assert_eq!(answer.receipt.kind, psephos_record::ReceiptKind::Challenged);
        }
        _ => panic!("expected a challenge"),
    }

    // Re-posting the same ballot (a retry) gets the same receipt.
    let view = VoterView::fetch(&public).await.expect("view");
    let cred = view.credential(&codes[5].voting_code).expect("credential");
    let ballot = view.make_ballot(&cred, &[vec![0, 1, 0]]).expect("ballot");
    let r1 = voter::cast(&public, &view, &ballot).await.expect("cast");
    let r2 = voter::cast(&public, &view, &ballot).await.expect("retry");
    assert_eq!(r1, r2);

    // Restart the board mid-election: nothing is lost.
    let before = public.election().await.expect("status");
    board.stop().await.expect("stop");
    let board = RunningBoard::start(&location, "127.0.0.1:0", None, BOARD_PASSPHRASE)
        .await
        .expect("restart");
    let public = Client::new(&board.url).expect("client");
    let admin_c = public.clone().with_token(&init.admin_token);
    let after = public.election().await.expect("status");
    assert_eq!(after.log_size, before.log_size);
    assert_eq!(after.ballots_cast, before.ballots_cast);
    assert_eq!(after.phase, Phase::Open);
    assert_eq!(
        public
            .ballot_status(&first.tracking_code)
            .await
            .expect("lookup")
            .status,
        "superseded"
    );
    // More votes after the restart.
    vote(&board.url, &codes[6].voting_code, "Jeremy Corbyn")
        .await
        .expect("vote");
    vote(&board.url, &codes[7].voting_code, "Owen Smith")
        .await
        .expect("vote");

    admin_c.admin("close").await.expect("close");
    let err = vote(&board.url, &codes[8].voting_code, "Neither")
        .await
        .expect_err("closed");
    assert!(matches!(err, VoteError::NotOpen(_)), "{err}");

    // `admin status` after the close: voters, not ballots (voter 0 voted twice, a challenge
    // is no vote), and waiting for the trustees, not "tallied".
    let progress = psephos_cli::status::Progress::fetch(&public)
        .await
        .expect("progress");
    assert_eq!(
        (progress.voters, progress.ballots, progress.challenged),
        (8, 9, 1)
    );
    assert_eq!(progress.roll, 12);
    assert_eq!(progress.decryptions(), 0);
    let words = progress.phase_words();
    assert!(
        words.contains("waiting for the trustees") && words.contains("0 of the 2"),
        "{words}"
    );
    assert!(!progress.report().to_lowercase().contains("tallied"));
    assert!(progress.report().contains("8 of 12 on the roll have voted"));

    // Publishing before the result writes nothing.
    let early = work.path().join("early-record");
    let err = admin::publish(&public, &early)
        .await
        .expect_err("no result yet");
    assert!(
        matches!(err, admin::AdminError::NoResultYet { .. }),
        "{err}"
    );
    assert!(
        !early.exists(),
        "an early publish created {}",
        early.display()
    );

    // A trustee recomputes the encrypted tally and refuses one that is not the sum of the
    // counted ballots.
    let mut follower = psephos_cli::client::LogFollower::new();
    follower.refresh(&public).await.expect("log");
    trustee::audit_tally(&follower.entries).expect("honest tally");
    let mut forged = follower.entries.clone();
    for e in forged.iter_mut() {
        if let psephos_record::Entry::Tally(t) = e {
            t.questions[0].swap(0, 1);
        }
    }
    let err = trustee::audit_tally(&forged).expect_err("forged tally refused");
    assert!(err.to_string().contains("refusing to decrypt"), "{err}");

    // Trustees 1 and 3 decrypt; trustee 2 stays away.
    for i in [1u32, 3] {
        let path = work.path().join(format!("t{i}.key"));
        let share = KeyFile::read(&path)
            .expect("read")
            .key_share(&path, PASS)
            .expect("share");
        let client = public
            .clone()
            .with_token(&init.trustee_tokens[i as usize - 1]);
        let (audit, _) = trustee::decrypt(&client, &share).await.expect("decrypt");
        assert_eq!(audit.counted, 8);
    }
    let progress = psephos_cli::status::Progress::fetch(&public)
        .await
        .expect("progress");
    let decrypted: Vec<u32> = progress
        .steps
        .iter()
        .filter(|(_, s)| s.decryption)
        .map(|(i, _)| *i)
        .collect();
    assert_eq!(decrypted, vec![1, 3]);
    assert!(
        progress.phase_words().contains("2 of the 2"),
        "{}",
        progress.phase_words()
    );
    let result = admin::tally(&admin_c).await.expect("tally");
    let votes: Vec<u64> = result.questions[0]
        .options
        .iter()
        .map(|o| o.votes)
        .collect();
    // Owen: voters 0,1,4,7; Corbyn: 2,5,6; Neither: 3.
    assert_eq!(votes, vec![4, 3, 1]);
    assert_eq!(result.turnout.eligible, 12);
    assert_eq!(result.turnout.voted, 8);
    assert_eq!(result.turnout.percentage, "66.67");
    let mut trustees = result.trustees.clone();
    trustees.sort_unstable();
    assert_eq!(trustees, vec![1, 3]);

    // Publish and verify.
    let record = work.path().join("record");
    admin::publish(&public, &record).await.expect("publish");
    let report = psephos_verify::verify_dir(
        &record,
        &psephos_verify::Options {
            require_complete: true,
            ..Default::default()
        },
    )
    .expect("readable record");
    assert!(
        report.passed(),
        "verification failed: {}",
        psephos_cli::cli::report_lines(&report).join("\n")
    );
    let status = report
        .tracking_status(&first.tracking_code)
        .expect("in the record");
    assert_eq!(status.status, psephos_verify::BallotStatus::Superseded);
    board.stop().await.expect("stop");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn full_election_sqlite() {
    let store = TestStore::sqlite();
    full_election(&store).await;
    store.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn full_election_postgres() {
    let Some(store) = TestStore::postgres("full_election_postgres").await else {
        return;
    };
    full_election(&store).await;
    store.cleanup().await;
}

async fn small_demo(database: Option<String>) {
    let out = tempfile::tempdir().expect("tempdir");
    let options = demo::DemoOptions {
        voters: 30,
        votes: vec![10, 8, 2],
        out: out.path().join("demo"),
        database,
        ..Default::default()
    };
    let outcome = demo::run(&options).await.expect("demo runs");
    let result = outcome.result.expect("a result");
    let votes: Vec<(String, u64)> = result.questions[0]
        .options
        .iter()
        .map(|o| (o.name.clone(), o.votes))
        .collect();
    assert_eq!(
        votes,
        vec![
            ("Owen Smith".to_string(), 10),
            ("Jeremy Corbyn".to_string(), 8),
            ("Neither".to_string(), 2)
        ]
    );
    assert_eq!(result.turnout.voted, 20);
    assert_eq!(result.turnout.eligible, 30);
    assert_eq!(result.turnout.percentage, "66.67");
    assert_eq!(outcome.decrypting_trustees, vec![1, 2]);
    assert!(outcome.revotes >= 1);
    let (passed, lines) = outcome.verification.expect("verified");
    assert!(passed, "{}", lines.join("\n"));
    let record = outcome.record_dir.expect("record");
    for f in psephos_cli::client::RECORD_FILES {
        assert!(record.join(f).is_file(), "{f} published");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn demo_small_sqlite() {
    small_demo(None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn demo_small_postgres() {
    let Some(store) = TestStore::postgres("demo_small_postgres").await else {
        return;
    };
    small_demo(Some(store.location())).await;
    store.cleanup().await;
}
