//! Issue 11, item 1: a spoiled (challenged) ballot can never be cast.
//!
//! The attack: whoever sees a challenge body (the board operator, a TLS-terminating proxy,
//! anyone the voter gives the opened-ballot file) posts it, or the ballot inside it, to
//! `/api/ballots`, so that a ballot whose plaintext they know counts for the voter. Under
//! `reject` it would block the voter's real ballot (`revote_rejected`); under `last_counts`
//! it would supersede it. Before the fix a challenge carried the ballot signed by the member's
//! credential, and the attack worked under both policies.

mod common;

use common::*;
use ed25519_dalek::Signer;
use psephos_board::bench::bench_manifest;
use psephos_board::{init_election, ChallengeAnswer};
use psephos_record::ballot::{ballot_signing_key, cast_message, spoil_message};
use psephos_record::{Ballot, ChallengedBallot, Entry, Manifest, ReceiptKind, RevotePolicy};
use reqwest::StatusCode;
use serde_json::Value;

/// The challenge as a cast: its contests under the member's credential, with a given
/// signature. The blinding that opens the commitment is never revealed, so it is a guess.
fn as_cast(c: &ChallengedBallot, credential: [u8; 32], signature: [u8; 64]) -> Ballot {
    Ballot {
        ballot_id: c.ballot_id,
        credential,
        blinding: [0u8; 32],
        contests: c.contests.clone(),
        signature,
    }
}

async fn expect(api: &Api, path: &str, body: &Value, code: &str, status: StatusCode) {
    let (s, v) = api.post(path, None, body).await;
    assert_eq!(
        (s, v["error"].as_str()),
        (status, Some(code)),
        "{path}: {v}"
    );
}

async fn spoiled_ballot_never_counts(policy: RevotePolicy) {
    let place = Place::sqlite();
    let location = place.location();
    let manifest = Manifest {
        revote_policy: policy,
        ..bench_manifest()
    };
    let init = init_election(&location, manifest, TEST_PASSPHRASE)
        .await
        .expect("init");
    let server = Server::start(&location).await;
    let api = Api::new(&server.url);
    let (shares, creds) = open_election(&api, &init, 3).await;
    let el = opened(&api).await;
    let (voter, colluder) = (&creds[0], &creds[1]);

    // The voter encrypts and challenges; the challenge body is seen by the attacker before
    // the board gets it (a proxy), and again in the log afterwards.
    let spoiled_choice = el.choices(0);
    let pending = el.pending(voter, &spoiled_choice);
    let spoiled_code = pending.encrypted().tracking_code(&el.election_hash);
    let challenge = pending.challenge(&el.election_hash);
    let body = to_json(&challenge);

    // 1. The challenge body itself, or the opened-ballot file, posted as a ballot.
    expect(
        &api,
        "/api/ballots",
        &body,
        "malformed",
        StatusCode::BAD_REQUEST,
    )
    .await;
    // 2. Its contests under the voter's credential with the only signature it carries (the
    //    one-time key's spoil signature): refused.
    let forged = as_cast(&challenge, voter.public(), challenge.signature);
    let forged_body = to_json(&forged);
    expect(
        &api,
        "/api/ballots",
        &forged_body,
        "bad_signature",
        StatusCode::BAD_REQUEST,
    )
    .await;
    //    Even with a valid cast signature (a member colluding with the attacker): the proofs
    //    are bound to the voter's hidden commitment, not to this one.
    let mut colluding = as_cast(&challenge, colluder.public(), [0u8; 64]);
    colluding.signature =
        colluder.sign(&Ballot::signed_message(&colluding.hash(&el.election_hash)));
    expect(
        &api,
        "/api/ballots",
        &to_json(&colluding),
        "bad_proof",
        StatusCode::BAD_REQUEST,
    )
    .await;

    // The challenge reaches the board: a signed receipt of kind `challenged`.
    let answer: ChallengeAnswer =
        serde_json::from_value(api.ok("/api/challenges", None, &body).await).expect("answer");
    answer
        .receipt
        .verify_for(
            &el.board_key,
            &init.base_hash,
            ReceiptKind::Challenged,
            &challenge.ballot_id,
            &spoiled_code,
        )
        .expect("challenge receipt verifies");
    // Its retry gets the same receipt.
    let again: ChallengeAnswer =
        serde_json::from_value(api.ok("/api/challenges", None, &body).await).expect("answer");
    assert_eq!(again.receipt, answer.receipt);

    // 3. After the challenge: the same forgery, and the spoiled ciphertexts re-proved from the
    //    revealed seed under a new ballot id and cast by a colluding member with a valid
    //    signature. Both repeat revealed randomness: `spoiled_ballot_cast`.
    expect(
        &api,
        "/api/ballots",
        &forged_body,
        "spoiled_ballot_cast",
        StatusCode::CONFLICT,
    )
    .await;
    let recast = Ballot::create(
        &el.manifest,
        &el.election_hash,
        &el.key,
        colluder,
        random_id(),
        &challenge.choices,
        &challenge.seed,
    )
    .expect("re-proved");
    expect(
        &api,
        "/api/ballots",
        &to_json(&recast),
        "spoiled_ballot_cast",
        StatusCode::CONFLICT,
    )
    .await;
    // ...also as the victim: the randomness is revealed, whoever signs.
    let recast_as_voter = Ballot::create(
        &el.manifest,
        &el.election_hash,
        &el.key,
        voter,
        random_id(),
        &challenge.choices,
        &challenge.seed,
    )
    .expect("re-proved");
    expect(
        &api,
        "/api/ballots",
        &to_json(&recast_as_voter),
        "spoiled_ballot_cast",
        StatusCode::CONFLICT,
    )
    .await;

    // The voter's real ballot counts, whatever the policy.
    let real_choice = el.choices(1);
    let real = el.ballot(voter, &real_choice);
    let v = api.ok("/api/ballots", None, &to_json(&real)).await;
    let receipt: psephos_record::Receipt = serde_json::from_value(v).expect("receipt");
    assert_eq!(receipt.kind, ReceiptKind::Ballot);
    let real_code = real.tracking_code(&el.election_hash);
    let status = |code: String| {
        let api = &api;
        async move { api.get_json(&format!("/api/ballots/{code}")).await["status"].clone() }
    };
    assert_eq!(status(spoiled_code.clone()).await, "challenged");
    assert_eq!(status(real_code.clone()).await, "counted");

    // The challenge entry carries no credential: the spoiled ballot is not linked to a member.
    let log = read_log(&api).await;
    let (challenged_seq, challenged_hash) = log
        .iter()
        .find_map(|l| match &l.entry {
            Entry::Challenged(_) => Some((l.seq, l.hash)),
            _ => None,
        })
        .expect("challenged entry");
    assert_eq!(answer.receipt.seq, challenged_seq);
    assert_eq!(answer.receipt.entry_hash, challenged_hash);
    let (_, text) = api.get_text("/api/record/board.jsonl").await;
    let line = text.lines().nth(challenged_seq as usize).expect("line");
    assert!(!line.contains("credential"), "{line}");
    for c in &creds {
        assert!(!line.contains(&hex::encode(c.public())));
    }
    assert_eq!(
        log.iter()
            .filter(|l| matches!(l.entry, Entry::Ballot(_)))
            .count(),
        1,
        "only the real ballot was cast"
    );

    // The whole record verifies, and the result counts the real choice only.
    finish(&api, &init, &shares).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let report = verify_record(&api, dir.path()).await;
    assert!(report.passed());
    let result = api.get_json("/api/result").await;
    for (q, choice) in real_choice.iter().enumerate() {
        let votes: Vec<u64> = result["questions"][q]["options"]
            .as_array()
            .expect("options")
            .iter()
            .map(|o| o["votes"].as_u64().expect("votes"))
            .collect();
        assert_eq!(&votes, choice, "question {q}");
    }
    server.stop().await;
    place.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn challenged_ballot_never_counts_under_reject() {
    spoiled_ballot_never_counts(RevotePolicy::Reject).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn challenged_ballot_never_counts_under_last_counts() {
    spoiled_ballot_never_counts(RevotePolicy::LastCounts).await;
}

/// Signatures from the wrong domain: a credential's signature over a spoil message is no cast,
/// a ballot key's signature over a cast message is no challenge.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_domain_signatures_are_refused() {
    let place = Place::sqlite();
    let location = place.location();
    let init = init_election(&location, bench_manifest(), TEST_PASSPHRASE)
        .await
        .expect("init");
    let server = Server::start(&location).await;
    let api = Api::new(&server.url);
    let (_, creds) = open_election(&api, &init, 2).await;
    let el = opened(&api).await;

    let p = el.pending(&creds[0], &el.choices(0));
    let hash = p.encrypted().hash(&el.election_hash);
    let mut cast = p.cast(&el.election_hash, &creds[0]).expect("cast");
    cast.signature = creds[0].sign(&spoil_message(&hash));
    expect(
        &api,
        "/api/ballots",
        &to_json(&cast),
        "bad_signature",
        StatusCode::BAD_REQUEST,
    )
    .await;
    // The bare ballot hash (what the old protocol signed) is no cast message either.
    cast.signature = creds[0].sign(&hash);
    expect(
        &api,
        "/api/ballots",
        &to_json(&cast),
        "bad_signature",
        StatusCode::BAD_REQUEST,
    )
    .await;

    let p = el.pending(&creds[0], &el.choices(1));
    let hash = p.encrypted().hash(&el.election_hash);
    let mut challenge = p.challenge(&el.election_hash);
    challenge.signature = ballot_signing_key(&challenge.seed)
        .sign(&cast_message(&hash))
        .to_bytes();
    expect(
        &api,
        "/api/challenges",
        &to_json(&challenge),
        "bad_signature",
        StatusCode::BAD_REQUEST,
    )
    .await;
    // A member's credential signing the spoil message is not the ballot key either.
    challenge.signature = creds[1].sign(&spoil_message(&hash));
    expect(
        &api,
        "/api/challenges",
        &to_json(&challenge),
        "bad_signature",
        StatusCode::BAD_REQUEST,
    )
    .await;
    // Nothing was appended.
    assert_eq!(
        read_log(&api)
            .await
            .iter()
            .filter(|l| matches!(l.entry, Entry::Ballot(_) | Entry::Challenged(_)))
            .count(),
        0
    );
    server.stop().await;
    place.cleanup().await;
}
