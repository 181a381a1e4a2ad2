//! A trustee who makes mistakes (issue 14, administrator item 2), through the board's HTTP API
//! on 127.0.0.1: a ceremony interrupted after the commitments (Ctrl-C) resumes by running it
//! again; running it again after success says the trustee's part is complete; a wrong
//! `--index` is named as such; asking to decrypt after the result is out says so.

use std::path::{Path, PathBuf};
use std::time::Duration;

use psephos_cli::admin;
use psephos_cli::client::{Client, LogFollower};
use psephos_cli::keyfile::KeyFile;
use psephos_cli::server::{self, RunningBoard};
use psephos_cli::trustee::{self, CeremonyOptions, KeyFileStore, TrusteeError};
use psephos_e2e::TestStore;
use psephos_record::Entry;

const BOARD_PASSPHRASE: &str = "e2e board passphrase";
const PASS: &str = "e2e passphrase";

fn manifest() -> psephos_record::Manifest {
    admin::ManifestToml::parse(
        r#"
title = "Trustee mistakes (end-to-end test)"
election_id = "e2e-trustee"
trustees = 3
threshold = 2
revote_policy = "last_counts"
[[questions]]
title = "Yes or no?"
options = ["Yes", "No"]
min_selections = 1
max_selections = 1
"#,
    )
    .expect("manifest")
    .into_manifest()
}

fn options() -> CeremonyOptions {
    CeremonyOptions {
        poll: Duration::from_millis(20),
        timeout: Duration::from_secs(300),
        ..Default::default()
    }
}

fn store(path: &Path) -> KeyFileStore {
    KeyFileStore {
        file: KeyFile::read(path).expect("key file").with_test_kdf(),
        path: path.to_path_buf(),
        passphrase: PASS.to_string().into(),
    }
}

async fn run(client: &Client, index: u32, path: &Path) -> Result<u64, TrusteeError> {
    let mut store = store(path);
    let secret = store
        .file
        .transport_secret(path, PASS)
        .expect("transport key");
    trustee::ceremony(client, index, &secret, &mut store, &options())
        .await
        .map(|o| o.acceptance_seq)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn interrupted_ceremony_resumes_and_mistakes_are_named() {
    let test_store = TestStore::sqlite();
    let location = test_store.location();
    let work = tempfile::tempdir().expect("tempdir");
    let init = server::init(&location, manifest(), BOARD_PASSPHRASE)
        .await
        .expect("init");
    let board = RunningBoard::start(&location, "127.0.0.1:0", None, BOARD_PASSPHRASE)
        .await
        .expect("board starts");
    let public = Client::new(&board.url).expect("client");
    let admin_c = public.clone().with_token(&init.admin_token);
    let token = |i: u32| {
        public
            .clone()
            .with_token(&init.trustee_tokens[i as usize - 1])
    };
    let paths: Vec<PathBuf> = (1..=3)
        .map(|i| {
            let path = work.path().join(format!("t{i}.key"));
            KeyFile::create_for_tests(&path, PASS).expect("keygen");
            path
        })
        .collect();

    // A wrong --index before anything is posted: trustee 1's token, index 2.
    let err = run(&token(1), 2, &paths[0]).await.expect_err("wrong index");
    let text = err.to_string();
    assert!(text.contains("wrong --index 2"), "{text}");
    assert!(text.contains("this token is trustee 1's"), "{text}");

    // Trustees 2 and 3 post their transport keys only, so that trustee 1 can post its
    // commitments and then must wait for theirs.
    let base = public.election().await.expect("status").base_hash;
    for i in [2u32, 3] {
        let path = &paths[i as usize - 1];
        let secret = KeyFile::read(path)
            .expect("read")
            .transport_secret(path, PASS)
            .expect("secret");
        token(i)
            .post_trustee("key", &secret.public_key(i, &base, &mut rand_core::OsRng))
            .await
            .expect("key");
    }
    // Trustee 1 is interrupted (its task dropped, as by Ctrl-C) once its commitments are on
    // the board, while it waits for the others' commitments.
    let first = {
        let (client, path) = (token(1), paths[0].clone());
        tokio::spawn(async move { run(&client, 1, &path).await })
    };
    let mut follower = LogFollower::new();
    loop {
        follower.refresh(&public).await.expect("log");
        if follower
            .entries
            .iter()
            .any(|e| matches!(e, Entry::Commitments(c) if c.trustee == 1))
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    first.abort();
    assert!(first.await.expect_err("aborted").is_cancelled());
    // Its key file holds the polynomial, sealed.
    assert!(KeyFile::read(&paths[0]).expect("read").ceremony.is_some());

    // Trustees 2 and 3 go on (their keys are found on the board); running trustee 1 again
    // resumes with the same polynomial, and the ceremony completes.
    let mut others = Vec::new();
    for i in [2u32, 3] {
        let (client, path) = (token(i), paths[i as usize - 1].clone());
        others.push(tokio::spawn(async move { run(&client, i, &path).await }));
    }
    let seq = run(&token(1), 1, &paths[0])
        .await
        .expect("resumed ceremony");
    for t in others {
        t.await.expect("task").expect("ceremony");
    }
    let file = KeyFile::read(&paths[0]).expect("read");
    assert!(
        file.ceremony.is_none(),
        "the polynomial is dropped at the end"
    );
    assert!(file.share.is_some());
    // Every message of trustee 1 appears once, and the election opens.
    follower.refresh(&public).await.expect("log");
    let ones = follower
        .entries
        .iter()
        .filter(|e| match e {
            Entry::TrusteeKey(k) => k.index == 1,
            Entry::Commitments(c) => c.trustee == 1,
            Entry::Shares(s) => s.from == 1,
            Entry::Acceptance(a) => a.trustee == 1,
            _ => false,
        })
        .count();
    assert_eq!(ones, 4);
    assert!(matches!(
        follower.entries.get(seq as usize),
        Some(Entry::Acceptance(a)) if a.trustee == 1
    ));

    // Running it once more: "your part of the ceremony is complete".
    let err = run(&token(1), 1, &paths[0]).await.expect_err("complete");
    assert!(
        matches!(err, TrusteeError::AlreadyComplete { index: 1, seq: s } if s == seq),
        "{err}"
    );
    assert!(err
        .to_string()
        .contains("your part of the ceremony is complete"));
    // A wrong --index after the keys are posted: trustee 2's token, trustee 1's key file.
    let err = run(&token(2), 3, &paths[0]).await.expect_err("wrong index");
    assert!(
        err.to_string()
            .contains("wrong --index 3: this key file's key was posted as trustee 1's"),
        "{err}"
    );

    // Open, close without ballots, decrypt with trustees 1 and 2, publish the result.
    let members = work.path().join("members.csv");
    std::fs::write(
        &members,
        "member_id,name,email\nm1,Member 1,m1@example.org\nm2,Member 2,m2@example.org\n",
    )
    .expect("members");
    admin::roll(&admin_c, &members, &work.path().join("codes.csv"), |_| {})
        .await
        .expect("roll");
    admin_c.admin("open").await.expect("open");
    admin_c.admin("close").await.expect("close");
    for i in [1u32, 2] {
        let path = &paths[i as usize - 1];
        let share = KeyFile::read(path)
            .expect("read")
            .key_share(path, PASS)
            .expect("share");
        trustee::decrypt(&token(i), &share).await.expect("decrypt");
    }
    admin::tally(&admin_c).await.expect("tally");

    // Trustee 3 asks to decrypt after the result is out.
    let err = trustee::decryption_wanted(&token(3))
        .await
        .expect_err("result out");
    assert!(matches!(err, TrusteeError::ResultOut { .. }), "{err}");
    assert!(err.to_string().contains("the result is out"), "{err}");
    let share = KeyFile::read(&paths[2])
        .expect("read")
        .key_share(&paths[2], PASS)
        .expect("share");
    let err = trustee::decrypt(&token(3), &share)
        .await
        .expect_err("result out");
    assert!(matches!(err, TrusteeError::ResultOut { .. }), "{err}");
    board.stop().await.expect("stop");
    test_store.cleanup().await;
}
