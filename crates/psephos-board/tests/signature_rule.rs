//! Issue 11 item 2 at the board: ballots signed with R' = r·B + T (T of small order) are
//! accepted, alone and in concurrent batches, by the one rule of spec §7.4 (before, the
//! board's cofactorless batch accepted such a ballot only when its random weight was even);
//! they are counted and the published record verifies. Nobody else can vary a recorded
//! ballot's signature; its holder can sign it again, and the board refuses that as a duplicate
//! of the logged ballot id, so nothing changes in the count.

mod common;

use common::*;
use curve25519_dalek::constants::EIGHT_TORSION;
use curve25519_dalek::edwards::CompressedEdwardsY;
use psephos_board::bench::bench_manifest;
use psephos_board::init_election;
use psephos_record::entry::Entry;
use psephos_record::signature;
use psephos_record::{Ballot, Receipt};
use reqwest::StatusCode;

fn ballots_in(log: &[LogLine]) -> usize {
    log.iter()
        .filter(|l| matches!(l.entry, Entry::Ballot(_)))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn torsion_signatures_accepted_counted_and_not_duplicable() {
    let place = Place::sqlite();
    let location = place.location();
    let init = init_election(&location, bench_manifest(), TEST_PASSPHRASE)
        .await
        .expect("init");
    let server = Server::start(&location).await;
    let api = Api::new(&server.url);
    let (shares, creds) = open_election(&api, &init, 10).await;
    let el = opened(&api).await;

    // One at a time: each ballot is a batch of one.
    let mut first = None;
    for (i, cred) in creds.iter().enumerate().take(4) {
        let mut b = el.ballot(cred, &el.choices(i));
        let hash = Ballot::signed_message(&b.hash(&el.election_hash));
        b.signature = cred.sign_with_torsion(&hash, 1 + i);
        let (status, body) = api.post("/api/ballots", None, &to_json(&b)).await;
        assert_eq!(status, StatusCode::OK, "voter {i}: {body}");
        let receipt: Receipt = serde_json::from_value(body).expect("receipt");
        receipt.verify(&el.board_key).expect("receipt verifies");
        first.get_or_insert(b);
    }
    // Concurrently: batches of several.
    let mut posts = Vec::new();
    for (i, cred) in creds.iter().enumerate().skip(4).take(5) {
        let mut b = el.ballot(cred, &el.choices(i));
        let hash = Ballot::signed_message(&b.hash(&el.election_hash));
        b.signature = cred.sign_with_torsion(&hash, i);
        let api = Api::new(&server.url);
        posts.push(tokio::spawn(async move {
            api.post("/api/ballots", None, &to_json(&b)).await
        }));
    }
    for p in posts {
        let (status, body) = p.await.expect("post task");
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let counted = ballots_in(&read_log(&api).await);
    assert_eq!(counted, 9);

    // Nobody but the key's holder can vary a signature: adding a small-order point to R
    // changes k, so the old S no longer fits.
    let recorded = first.expect("a ballot");
    let hash = Ballot::signed_message(&recorded.hash(&el.election_hash));
    let mut variant = recorded.clone();
    let mut r = [0u8; 32];
    r.copy_from_slice(&variant.signature[..32]);
    let r = CompressedEdwardsY(r).decompress().expect("R decodes") + EIGHT_TORSION[4];
    variant.signature[..32].copy_from_slice(r.compress().as_bytes());
    assert_eq!(
        signature::verify(&variant.credential, &hash, &variant.signature),
        Err(signature::SignatureError::Equation)
    );
    // The holder can sign the same ballot again (another nonce, another torsion point): a
    // valid signature, same ballot hash and id, refused as a duplicate of the logged id.
    let mut again = recorded.clone();
    again.signature = creds[0].sign_with_torsion(&hash, 6);
    assert_ne!(again.signature, recorded.signature);
    signature::verify(&again.credential, &hash, &again.signature).expect("valid");
    expect_error(
        &api,
        "/api/ballots",
        None,
        &to_json(&again),
        "duplicate_ballot",
        StatusCode::CONFLICT,
    )
    .await;
    // A torsion signature that is otherwise wrong is still refused.
    let mut bad = el.ballot(&creds[9], &el.choices(9));
    let hash = Ballot::signed_message(&bad.hash(&el.election_hash));
    bad.signature = creds[9].sign_with_torsion(&hash, 3);
    bad.signature[40] ^= 1;
    expect_error(
        &api,
        "/api/ballots",
        None,
        &to_json(&bad),
        "bad_signature",
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(ballots_in(&read_log(&api).await), counted);

    finish(&api, &init, &shares).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let report = verify_record(&api, dir.path()).await;
    assert!(report.passed());
    server.stop().await;
    place.cleanup().await;
}
