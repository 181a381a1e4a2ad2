//! Issue 11 item 2, end to end: ballots whose signatures carry a small-order point in R
//! (R' = r·B + T) are accepted by the board, pass every trustee's audit of the record (the
//! verifier run by `psephos trustee decrypt` before it decrypts), are counted, and the
//! published record verifies at every chunk size. Before, the board's cofactorless batch
//! accepted such a ballot when its random weight was even, and the trustees' strict check then
//! refused the record for good: the tally could never be decrypted.

use psephos_cli::admin::{self, IssuedCode};
use psephos_cli::client::Client;
use psephos_cli::keyfile::KeyFile;
use psephos_cli::server::{self, RunningBoard};
use psephos_cli::trustee;
use psephos_cli::voter::{self, VoterView};
use psephos_e2e::TestStore;
use psephos_record::Ballot;

const BOARD_PASSPHRASE: &str = "e2e board passphrase";
const PASS: &str = psephos_e2e::TRUSTEE_PASSPHRASE;

fn manifest() -> psephos_record::Manifest {
    admin::ManifestToml::parse(
        r#"
title = "Signature rule (end-to-end test)"
election_id = "e2e-signature-rule"
trustees = 3
threshold = 2
revote_policy = "last_counts"
[[questions]]
title = "Which?"
options = ["A", "B", "C"]
min_selections = 1
max_selections = 1
"#,
    )
    .expect("manifest")
    .into_manifest()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn torsion_signed_ballots_are_counted_and_the_tally_decrypts() {
    let store = TestStore::sqlite();
    let location = store.location();
    let work = tempfile::tempdir().expect("tempdir");
    let init = server::init(&location, manifest(), BOARD_PASSPHRASE)
        .await
        .expect("init");
    let board = RunningBoard::start(&location, "127.0.0.1:0", None, BOARD_PASSPHRASE)
        .await
        .expect("board starts");
    let public = Client::new(&board.url).expect("client");
    let admin_c = public.clone().with_token(&init.admin_token);

    psephos_e2e::run_ceremony(&public, &init.trustee_tokens, work.path()).await;

    let members = work.path().join("members.csv");
    let mut text = String::from("member_id,name,email\n");
    for i in 1..=8 {
        text.push_str(&format!("m{i},Member {i},m{i}@example.org\n"));
    }
    std::fs::write(&members, text).expect("members");
    let codes_path = work.path().join("codes.csv");
    admin::roll(&admin_c, &members, &codes_path, |_| {})
        .await
        .expect("roll");
    let codes: Vec<IssuedCode> = csv::Reader::from_path(&codes_path)
        .expect("codes file")
        .deserialize()
        .collect::<Result<_, _>>()
        .expect("codes rows");
    admin_c.admin("open").await.expect("open");

    // Six voters sign with a torsion point in R (each of the seven non-trivial ones appears
    // across the runs of the weights), two sign normally. Option of voter i: i % 3.
    let view = VoterView::fetch(&public).await.expect("view");
    let mut expected = [0u64; 3];
    for (i, code) in codes.iter().enumerate() {
        let cred = view.credential(&code.voting_code).expect("credential");
        let mut choice = vec![0u64; 3];
        choice[i % 3] = 1;
        expected[i % 3] += 1;
        let mut ballot = view.make_ballot(&cred, &[choice]).expect("ballot");
        if i < 6 {
            let hash = ballot.hash(&view.election_hash);
            ballot.signature = cred.sign_with_torsion(&Ballot::signed_message(&hash), 1 + i);
        }
        let receipt = voter::cast(&public, &view, &ballot)
            .await
            .unwrap_or_else(|e| panic!("voter {i}: the board refused the ballot: {e}"));
        receipt
            .verify(&view.manifest.board_key)
            .expect("receipt verifies");
    }

    admin_c.admin("close").await.expect("close");
    // Both trustees audit the record (the verifier at its default chunk) and decrypt.
    for i in [1u32, 2] {
        let path = work.path().join(format!("t{i}.key"));
        let share = KeyFile::read(&path)
            .expect("read")
            .key_share(&path, PASS)
            .expect("share");
        let client = public
            .clone()
            .with_token(&init.trustee_tokens[i as usize - 1]);
        let (audit, _) = trustee::decrypt(&client, &share)
            .await
            .unwrap_or_else(|e| panic!("trustee {i} refused to decrypt: {e}"));
        assert_eq!(audit.counted, 8);
    }
    let result = admin::tally(&admin_c).await.expect("tally");
    let votes: Vec<u64> = result.questions[0]
        .options
        .iter()
        .map(|o| o.votes)
        .collect();
    assert_eq!(votes, expected.to_vec());

    let record = work.path().join("record");
    admin::publish(&public, &record).await.expect("publish");
    for chunk in [1, 2, 5, psephos_verify::checks::DEFAULT_CHUNK] {
        let report = psephos_verify::verify_dir(
            &record,
            &psephos_verify::Options {
                require_complete: true,
                chunk,
                ..Default::default()
            },
        )
        .expect("readable record");
        assert!(
            report.passed(),
            "chunk {chunk}: {}",
            psephos_cli::cli::report_lines(&report).join("\n")
        );
    }
    board.stop().await.expect("stop");
}
