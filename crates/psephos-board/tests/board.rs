//! End-to-end tests of the board over HTTP: a 2-of-3 key ceremony, roll, ballots (and every
//! rejection), a revote, a challenge, close, threshold decryption, result, restart, and
//! refusal to open a corrupted store. SQLite always; PostgreSQL when reachable.

use psephos_board::bench::bench_manifest;
use psephos_board::{init_election, serve, Board, BoardConfig, BoardError, InitOutput};
use psephos_crypto::dkg::KeyShare;
use psephos_crypto::group::{Element, FixedBase, G};
use psephos_crypto::nonce::BallotSeed;
use psephos_record::entry::{DecryptionEntry, Entry, RawLine, ResultEntry, TallyEntry};
use psephos_record::hash::Hash;
use psephos_record::{
    Ballot, ChallengedBallot, Checkpoint, Credential, Manifest, PendingBallot, Phase, Receipt,
    RevotePolicy,
};
use rand_core::OsRng;
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use tokio::sync::oneshot;

mod common;

use common::{
    ceremony, ceremony_probed, credentials, expect_error, random_id, roll_body, to_json, Api,
    Place, Probing, Server, TEST_PASSPHRASE,
};

// ---------------------------------------------------------------------------------------------
// Fixtures

/// The bench's two questions, 2-of-3 trustees, the given revote policy.
fn manifest(policy: RevotePolicy) -> Manifest {
    Manifest {
        election_id: "test-2026".into(),
        title: "Test election".into(),
        revote_policy: policy,
        trustees: 3,
        threshold: 2,
        max_tally: 1000,
        ..bench_manifest()
    }
}

fn api(server: &Server) -> Api {
    Api::new(&server.url)
}

struct Opened {
    manifest: Manifest,
    election_hash: Hash,
    key: FixedBase,
}

impl Opened {
    fn pending(&self, cred: &Credential, choices: &[Vec<u64>]) -> PendingBallot {
        let mut blinding = [0u8; 32];
        rand_core::RngCore::fill_bytes(&mut OsRng, &mut blinding);
        PendingBallot::encrypt(
            &self.manifest,
            &self.election_hash,
            &self.key,
            cred.public(),
            random_id(),
            choices.to_vec(),
            BallotSeed::random(&mut OsRng),
            blinding,
        )
        .expect("pending ballot")
    }

    fn ballot(&self, cred: &Credential, choices: &[Vec<u64>]) -> (Ballot, BallotSeed) {
        let seed = BallotSeed::random(&mut OsRng);
        let b = Ballot::create(
            &self.manifest,
            &self.election_hash,
            &self.key,
            cred,
            random_id(),
            choices,
            &seed,
        )
        .expect("ballot");
        (b, seed)
    }
}

async fn opened(api: &Api) -> Opened {
    let st = api.status().await;
    assert_eq!(st.phase, Phase::Open);
    let (_, text) = api.get_text("/api/manifest").await;
    let manifest: Manifest = serde_json::from_str(&text).expect("manifest");
    Opened {
        manifest,
        election_hash: st.election_hash.expect("H_E").0,
        key: FixedBase::new(st.joint_key.expect("K")),
    }
}

async fn cast(api: &Api, board_key: &[u8; 32], ballot: &Ballot) -> Receipt {
    let v = api.ok("/api/ballots", None, &to_json(ballot)).await;
    let receipt: Receipt = serde_json::from_value(v).expect("receipt");
    receipt.verify(board_key).expect("receipt verifies");
    assert_eq!(receipt.ballot_id, ballot.ballot_id);
    receipt
}

/// Reads the log through `/api/record/board.jsonl`, checking the chain.
async fn read_log(api: &Api) -> Vec<Entry> {
    let (status, text) = api.get_text("/api/record/board.jsonl").await;
    assert_eq!(status, StatusCode::OK);
    let mut prev = [0u8; 32];
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let raw: RawLine = serde_json::from_str(line).expect("line");
        assert_eq!(raw.seq, i as u64);
        assert_eq!(raw.prev, prev);
        raw.check_hash().expect("hash");
        prev = raw.hash;
        out.push(raw.parse_entry().expect("entry"));
    }
    out
}

/// A new election under the last-counts revote policy in the store at `location`.
async fn init_last_counts(location: &str) -> InitOutput {
    init_election(
        location,
        manifest(RevotePolicy::LastCounts),
        TEST_PASSPHRASE,
    )
    .await
    .expect("init")
}

// ---------------------------------------------------------------------------------------------
// The full election

async fn full_election(place: &Place) {
    let location = place.location();
    let init = init_last_counts(&location).await;
    assert!(matches!(
        init_election(
            &location,
            manifest(RevotePolicy::LastCounts),
            TEST_PASSPHRASE
        )
        .await,
        Err(BoardError::AlreadyInitialized { .. })
    ));
    let board_key = init.board_key;
    let base = init.base_hash;
    let admin = init.admin_token.as_str();
    let server = Server::start(&location).await;
    let api = api(&server);

    // Manifest bytes define H_B.
    let (_, manifest_text) = api.get_text("/api/manifest").await;
    assert_eq!(
        psephos_record::hash::base_hash(manifest_text.as_bytes()),
        base
    );
    let (_, record_manifest) = api.get_text("/api/record/manifest.json").await;
    assert_eq!(record_manifest, manifest_text);

    // Admin and trustee endpoints need their tokens.
    for token in [None, Some(init.trustee_tokens[0].as_str()), Some("00")] {
        expect_error(
            &api,
            "/api/admin/open",
            token,
            &json!({}),
            "unauthorized",
            StatusCode::UNAUTHORIZED,
        )
        .await;
    }
    expect_error(
        &api,
        "/api/trustee/key",
        Some(admin),
        &json!({}),
        "unauthorized",
        StatusCode::UNAUTHORIZED,
    )
    .await;
    // Opening before the ceremony.
    expect_error(
        &api,
        "/api/admin/open",
        Some(admin),
        &json!({}),
        "wrong_phase",
        StatusCode::CONFLICT,
    )
    .await;

    let key_shares = ceremony_probed(
        &api,
        &init.trustee_tokens,
        &base,
        2,
        3,
        Probing::WithRejections,
    )
    .await;

    let mut creds = credentials(&base, 5);
    // Posted in descending order: the board must publish them in roll order (ascending).
    creds.sort_by_key(|c| std::cmp::Reverse(c.public()));
    let mut roll_order: Vec<[u8; 32]> = creds.iter().map(|c| c.public()).collect();
    roll_order.sort_unstable();
    let v = api
        .ok("/api/admin/roll", Some(admin), &roll_body(&creds[..3]))
        .await;
    assert_eq!(v["roll_size"], 3);
    api.ok("/api/admin/roll", Some(admin), &roll_body(&creds[3..]))
        .await;
    expect_error(
        &api,
        "/api/admin/roll",
        Some(admin),
        &roll_body(&creds[..1]),
        "duplicate_credential",
        StatusCode::CONFLICT,
    )
    .await;
    expect_error(
        &api,
        "/api/admin/roll",
        Some(admin),
        &json!({"credentials": [format!("01{}", "00".repeat(31))]}),
        "malformed",
        StatusCode::BAD_REQUEST,
    )
    .await;

    // A ballot before the election opens.
    {
        let early = Opened {
            manifest: serde_json::from_str(&manifest_text).expect("manifest"),
            election_hash: [0u8; 32],
            key: FixedBase::new(Element::from_point(G)),
        };
        let (b, _) = early.ballot(&creds[0], &[vec![1, 0, 0], vec![0, 0, 0]]);
        expect_error(
            &api,
            "/api/ballots",
            None,
            &to_json(&b),
            "election_not_open",
            StatusCode::CONFLICT,
        )
        .await;
    }

    api.ok("/api/admin/open", Some(admin), &json!({})).await;
    expect_error(
        &api,
        "/api/admin/roll",
        Some(admin),
        &roll_body(&credentials(&base, 1)),
        "wrong_phase",
        StatusCode::CONFLICT,
    )
    .await;
    let el = opened(&api).await;
    let status = api.status().await;
    assert_eq!(status.roll_size, 5);
    assert_eq!(status.verification_keys.len(), 3);
    for (i, ks) in key_shares.iter().enumerate() {
        assert_eq!(status.verification_keys[i], ks.verification_key());
    }

    // Cast ballots.
    let (b0, _) = el.ballot(&creds[0], &[vec![1, 0, 0], vec![1, 1, 0]]);
    let r0 = cast(&api, &board_key, &b0).await;
    // Identical re-post: identical receipt.
    let again = cast(&api, &board_key, &b0).await;
    assert_eq!(again, r0);
    let (b1, _) = el.ballot(&creds[1], &[vec![0, 1, 0], vec![1, 0, 0]]);
    let r1 = cast(&api, &board_key, &b1).await;
    let (b2, _) = el.ballot(&creds[2], &[vec![1, 0, 0], vec![0, 0, 0]]);
    cast(&api, &board_key, &b2).await;
    // Revote (last counts).
    let (b0b, _) = el.ballot(&creds[0], &[vec![0, 1, 0], vec![0, 0, 1]]);
    let r0b = cast(&api, &board_key, &b0b).await;
    let s: Value = api
        .get_json(&format!("/api/ballots/{}", r0.tracking_code))
        .await;
    assert_eq!(s["status"], "superseded");
    let s: Value = api
        .get_json(&format!("/api/ballots/{}", r0b.tracking_code))
        .await;
    assert_eq!(s["status"], "counted");
    assert_eq!(s["seq"], r0b.seq);
    // As a voter types it: lower case, spaces for dashes, 0 for O and 1 for I (issue 14).
    let typed: String = r0b
        .tracking_code
        .to_lowercase()
        .replace('-', " ")
        .replace('o', "0")
        .replace('i', "1");
    let s: Value = api
        .get_json(&format!("/api/ballots/{}", typed.replace(' ', "%20")))
        .await;
    assert_eq!(s["tracking_code"], r0b.tracking_code.as_str(), "{typed}");
    assert_eq!(s["seq"], r0b.seq);
    let (st, text) = api.get_text("/api/ballots/AAAA-AAAA-AAAA-AAAA").await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    assert!(text.contains("unknown_tracking_code"));

    // Rejections.
    let outsider = credentials(&base, 1);
    let (bx, _) = el.ballot(&outsider[0], &[vec![1, 0, 0], vec![0, 0, 0]]);
    expect_error(
        &api,
        "/api/ballots",
        None,
        &to_json(&bx),
        "not_on_roll",
        StatusCode::FORBIDDEN,
    )
    .await;
    let (mut bs, _) = el.ballot(&creds[4], &[vec![1, 0, 0], vec![0, 0, 0]]);
    bs.signature[5] ^= 1;
    expect_error(
        &api,
        "/api/ballots",
        None,
        &to_json(&bs),
        "bad_signature",
        StatusCode::BAD_REQUEST,
    )
    .await;
    let (mut bp, _) = el.ballot(&creds[4], &[vec![1, 0, 0], vec![0, 0, 0]]);
    let sel = &mut bp.contests[0].selections;
    let p0 = sel[0].proof.clone();
    sel[0].proof = sel[1].proof.clone();
    sel[1].proof = p0;
    bp.signature = creds[4].sign(&Ballot::signed_message(&bp.hash(&el.election_hash)));
    expect_error(
        &api,
        "/api/ballots",
        None,
        &to_json(&bp),
        "bad_proof",
        StatusCode::BAD_REQUEST,
    )
    .await;
    // Same id, other content.
    let (mut bd, _) = el.ballot(&creds[1], &[vec![0, 0, 1], vec![0, 0, 0]]);
    bd.ballot_id = b1.ballot_id;
    bd.signature = creds[1].sign(&Ballot::signed_message(&bd.hash(&el.election_hash)));
    expect_error(
        &api,
        "/api/ballots",
        None,
        &to_json(&bd),
        "duplicate_ballot",
        StatusCode::CONFLICT,
    )
    .await;
    // Malformed: unknown field, non-canonical point, bad hex, not JSON, too large.
    let (bm, _) = el.ballot(&creds[4], &[vec![1, 0, 0], vec![0, 0, 0]]);
    let mut v = to_json(&bm);
    v["extra"] = json!(1);
    expect_error(
        &api,
        "/api/ballots",
        None,
        &v,
        "malformed",
        StatusCode::BAD_REQUEST,
    )
    .await;
    let mut v = to_json(&bm);
    v["contests"][0]["selections"][0]["ciphertext"]["a"] = json!("ff".repeat(32));
    expect_error(
        &api,
        "/api/ballots",
        None,
        &v,
        "malformed",
        StatusCode::BAD_REQUEST,
    )
    .await;
    let mut v = to_json(&bm);
    v["ballot_id"] = json!("ZZ".repeat(16));
    expect_error(
        &api,
        "/api/ballots",
        None,
        &v,
        "malformed",
        StatusCode::BAD_REQUEST,
    )
    .await;
    let (s, v) = api.post_raw("/api/ballots", b"{not json".to_vec()).await;
    assert_eq!(
        (s, v["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("malformed"))
    );
    let (s, v) = api.post_raw("/api/ballots", vec![b' '; 100 * 1024]).await;
    assert_eq!(
        (s, v["error"].as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, Some("payload_too_large")),
        "{v}"
    );

    // A challenge, then casting the challenged ballot is refused.
    let choices = vec![vec![0, 0, 1], vec![1, 0, 1]];
    let mut wrong: ChallengedBallot = el.pending(&creds[3], &choices).challenge(&el.election_hash);
    wrong.choices = vec![vec![1, 0, 0], vec![1, 0, 1]];
    expect_error(
        &api,
        "/api/challenges",
        None,
        &to_json(&wrong),
        "challenge_mismatch",
        StatusCode::BAD_REQUEST,
    )
    .await;
    wrong.choices = choices.clone();
    let v = api.ok("/api/challenges", None, &to_json(&wrong)).await;
    assert_eq!(v["choices"], json!([["Abstain"], ["Ada", "Chen"]]));
    let ch_code = v["receipt"]["tracking_code"]
        .as_str()
        .expect("code")
        .to_string();
    assert_eq!(v["receipt"]["kind"], "challenged");
    let s: Value = api.get_json(&format!("/api/ballots/{ch_code}")).await;
    assert_eq!(s["status"], "challenged");
    let mut bc = Ballot {
        ballot_id: wrong.ballot_id,
        credential: creds[3].public(),
        blinding: [0u8; 32],
        contests: wrong.contests.clone(),
        signature: [0u8; 64],
    };
    bc.signature = creds[3].sign(&Ballot::signed_message(&bc.hash(&el.election_hash)));
    expect_error(
        &api,
        "/api/ballots",
        None,
        &to_json(&bc),
        "spoiled_ballot_cast",
        StatusCode::CONFLICT,
    )
    .await;

    // Proofs and checkpoints.
    let cp: Checkpoint =
        serde_json::from_value(api.get_json("/api/checkpoints/latest").await).expect("cp");
    cp.verify(&board_key, &base).expect("checkpoint signature");
    let inc = api
        .get_json(&format!(
            "/api/proofs/inclusion?seq={}&tree_size={}",
            r1.seq, cp.tree_size
        ))
        .await;
    assert_eq!(inc["entry_hash"], hex::encode(r1.entry_hash));
    let proof: Vec<Hash> = inc["proof"]
        .as_array()
        .expect("proof")
        .iter()
        .map(|h| psephos_crypto::group::hex32(h.as_str().expect("hex")).expect("hex"))
        .collect();
    psephos_record::merkle::verify_inclusion(
        &psephos_record::merkle::leaf_hash(&r1.entry_hash),
        r1.seq,
        cp.tree_size,
        &proof,
        &cp.root,
    )
    .expect("inclusion");
    let cons = api
        .get_json(&format!(
            "/api/proofs/consistency?from={}&to={}",
            r0.checkpoint.tree_size, cp.tree_size
        ))
        .await;
    assert!(cons["proof"].is_array());
    let log = api.get_json("/api/log?from=0&limit=3").await;
    assert_eq!(log["entries"].as_array().expect("entries").len(), 3);
    assert_eq!(log["entries"][1]["seq"], 1);
    let roll = api.get_json("/api/roll?from=1&limit=2").await;
    assert_eq!(roll["total"], 5);
    assert_eq!(roll["credentials"][0], hex::encode(roll_order[1]));
    assert_eq!(roll["credentials"][1], hex::encode(roll_order[2]));
    for entry in read_log(&api).await {
        if let Entry::Roll(r) = entry {
            psephos_record::roll::check_roll_entry(&r).expect("roll entry in roll order");
        }
    }
    let codes = api.get_json("/api/tracking-codes").await;
    assert_eq!(codes["total"], 5);
    let (s, text) = api.get_text("/api/result").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(text.contains("voting_in_progress"));

    // Close: tally; then ballots are refused.
    let v = api.ok("/api/admin/close", Some(admin), &json!({})).await;
    assert_eq!(v["counted"], 3);
    let (b4, _) = el.ballot(&creds[4], &[vec![1, 0, 0], vec![0, 0, 0]]);
    expect_error(
        &api,
        "/api/ballots",
        None,
        &to_json(&b4),
        "election_closed",
        StatusCode::CONFLICT,
    )
    .await;
    // A retry of a recorded ballot still gets its receipt.
    assert_eq!(cast(&api, &board_key, &b1).await, r1);

    let entries = read_log(&api).await;
    let tally: TallyEntry = entries
        .iter()
        .find_map(|e| match e {
            Entry::Tally(t) => Some(t.clone()),
            _ => None,
        })
        .expect("tally");
    assert_eq!(tally.counted, 3);

    // Decryptions by trustees 1 and 3.
    let decryption =
        |ks: &KeyShare| DecryptionEntry::compute(ks, &el.election_hash, &tally, &mut OsRng);
    let d1 = decryption(&key_shares[0]);
    // Trustee 3's token cannot post trustee 1's shares.
    expect_error(
        &api,
        "/api/trustee/decryption",
        Some(&init.trustee_tokens[2]),
        &to_json(&d1),
        "wrong_trustee_index",
        StatusCode::FORBIDDEN,
    )
    .await;
    // Trustee 1's entry carrying one of trustee 3's shares: the indices must agree (§6.2).
    let mut mixed = d1.clone();
    mixed.questions[0][0] = decryption(&key_shares[2]).questions[0][0].clone();
    expect_error(
        &api,
        "/api/trustee/decryption",
        Some(&init.trustee_tokens[0]),
        &to_json(&mixed),
        "malformed",
        StatusCode::BAD_REQUEST,
    )
    .await;
    // A share under the wrong key share fails its proof.
    let mut forged = decryption(&key_shares[1]);
    forged.trustee = 3;
    for q in &mut forged.questions {
        for s in q {
            s.trustee = 3;
        }
    }
    expect_error(
        &api,
        "/api/trustee/decryption",
        Some(&init.trustee_tokens[2]),
        &to_json(&forged),
        "bad_proof",
        StatusCode::BAD_REQUEST,
    )
    .await;
    api.ok(
        "/api/trustee/decryption",
        Some(&init.trustee_tokens[0]),
        &to_json(&d1),
    )
    .await;
    expect_error(
        &api,
        "/api/trustee/decryption",
        Some(&init.trustee_tokens[0]),
        &to_json(&d1),
        "already_posted",
        StatusCode::CONFLICT,
    )
    .await;
    expect_error(
        &api,
        "/api/admin/result",
        Some(admin),
        &json!({}),
        "wrong_phase",
        StatusCode::CONFLICT,
    )
    .await;
    api.ok(
        "/api/trustee/decryption",
        Some(&init.trustee_tokens[2]),
        &to_json(&decryption(&key_shares[2])),
    )
    .await;
    api.ok("/api/admin/result", Some(admin), &json!({})).await;

    let result: ResultEntry =
        serde_json::from_value(api.get_json("/api/result").await).expect("result");
    let votes: Vec<Vec<u64>> = result
        .questions
        .iter()
        .map(|q| q.options.iter().map(|o| o.votes).collect())
        .collect();
    assert_eq!(votes, vec![vec![1, 2, 0], vec![1, 0, 1]]);
    assert_eq!(result.turnout.eligible, 5);
    assert_eq!(result.turnout.voted, 3);
    assert_eq!(result.turnout.percentage, "60.00");
    assert_eq!(result.trustees, vec![1, 3]);
    let (_, result_file) = api.get_text("/api/record/result.json").await;
    assert_eq!(
        result_file.as_bytes(),
        serde_json::to_vec(&result).expect("json")
    );
    let (_, roll_file) = api.get_text("/api/record/roll.jsonl").await;
    let expected_roll: String = roll_order
        .iter()
        .map(|c| format!("{{\"credential\":\"{}\"}}\n", hex::encode(c)))
        .collect();
    assert_eq!(roll_file, expected_roll);
    let (_, cps) = api.get_text("/api/record/checkpoints.jsonl").await;
    let mut last = 0;
    for line in cps.lines() {
        let cp: Checkpoint = serde_json::from_str(line).expect("cp");
        cp.verify(&board_key, &base).expect("cp sig");
        assert!(cp.tree_size >= last);
        last = cp.tree_size;
    }
    let entries = read_log(&api).await;
    assert!(matches!(entries.last(), Some(Entry::Result(_))));
    let before = api.status().await;
    assert_eq!(before.phase, Phase::Finished);
    server.stop().await;

    // Restart: state intact, identical re-post gives the identical receipt.
    let server = Server::start(&location).await;
    let api2 = Api {
        client: Client::new(),
        url: server.url.clone(),
    };
    let after = api2.status().await;
    assert_eq!(
        serde_json::to_value(&after).expect("json"),
        serde_json::to_value(&before).expect("json")
    );
    assert_eq!(cast(&api2, &board_key, &b0b).await, r0b);
    assert_eq!(cast(&api2, &board_key, &b0).await, r0);
    let s: Value = api2
        .get_json(&format!("/api/ballots/{}", r0.tracking_code))
        .await;
    assert_eq!(s["status"], "superseded");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_election_sqlite() {
    let place = Place::sqlite();
    full_election(&place).await;
    place.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_election_postgres() {
    let Some(place) = Place::postgres("full_election").await else {
        return;
    };
    full_election(&place).await;
    place.cleanup().await;
}

// ---------------------------------------------------------------------------------------------
// Revote policy `reject`

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reject_policy_refuses_revotes() {
    let place = Place::sqlite();
    let location = place.location();
    let init = init_election(&location, manifest(RevotePolicy::Reject), TEST_PASSPHRASE)
        .await
        .expect("init");
    let server = Server::start(&location).await;
    let api = api(&server);
    ceremony(&api, &init.trustee_tokens, &init.base_hash, 2, 3).await;
    let creds = credentials(&init.base_hash, 2);
    api.ok(
        "/api/admin/roll",
        Some(&init.admin_token),
        &roll_body(&creds),
    )
    .await;
    api.ok("/api/admin/open", Some(&init.admin_token), &json!({}))
        .await;
    let el = opened(&api).await;
    let (b, _) = el.ballot(&creds[0], &[vec![1, 0, 0], vec![0, 0, 0]]);
    let r = cast(&api, &init.board_key, &b).await;
    assert_eq!(cast(&api, &init.board_key, &b).await, r);
    let (b2, _) = el.ballot(&creds[0], &[vec![0, 1, 0], vec![0, 0, 0]]);
    expect_error(
        &api,
        "/api/ballots",
        None,
        &to_json(&b2),
        "revote_rejected",
        StatusCode::CONFLICT,
    )
    .await;
    // Many concurrent ballots from one credential: exactly one is accepted.
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let (b, _) = el.ballot(&creds[1], &[vec![0, 0, 1], vec![0, 0, 0]]);
        let client = Client::new();
        let url = format!("{}/api/ballots", server.url);
        tasks.push(tokio::spawn(async move {
            client
                .post(url)
                .json(&b)
                .send()
                .await
                .expect("send")
                .status()
        }));
    }
    let mut accepted = 0;
    for t in tasks {
        let s = t.await.expect("join");
        if s == StatusCode::OK {
            accepted += 1;
        } else {
            assert_eq!(s, StatusCode::CONFLICT);
        }
    }
    assert_eq!(accepted, 1);
    assert_eq!(api.status().await.ballots_cast, 2);
    server.stop().await;
    place.cleanup().await;
}

// ---------------------------------------------------------------------------------------------
// Corruption

async fn sqlite_pool(location: &str) -> sqlx::SqlitePool {
    let opts = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(std::path::Path::new(location).join("board.sqlite3"));
    sqlx::SqlitePool::connect_with(opts).await.expect("sqlite")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn corrupted_store_is_refused() {
    let place = Place::sqlite();
    let location = place.location();
    let init = init_last_counts(&location).await;
    let server = Server::start(&location).await;
    let api = api(&server);
    let creds = credentials(&init.base_hash, 3);
    api.ok(
        "/api/admin/roll",
        Some(&init.admin_token),
        &roll_body(&creds[..1]),
    )
    .await;
    api.ok(
        "/api/admin/roll",
        Some(&init.admin_token),
        &roll_body(&creds[1..]),
    )
    .await;
    server.stop().await;
    // A clean reopen works.
    Board::open(BoardConfig::new(location.clone(), TEST_PASSPHRASE))
        .await
        .expect("clean reopen");

    // Flip one byte of entry 1's body.
    let pool = sqlite_pool(&location).await;
    let body: Vec<u8> = sqlx::query_scalar("SELECT body FROM log_entries WHERE seq = 1")
        .fetch_one(&pool)
        .await
        .expect("body");
    let mut bad = body.clone();
    let pos = bad.len() / 2;
    bad[pos] = if bad[pos] == b'a' { b'b' } else { b'a' };
    sqlx::query("UPDATE log_entries SET body = $1 WHERE seq = 1")
        .bind(&bad)
        .execute(&pool)
        .await
        .expect("update");
    let err = Board::open(BoardConfig::new(location.clone(), TEST_PASSPHRASE))
        .await
        .expect_err("corrupted");
    eprintln!("{err}");
    assert!(
        matches!(err, BoardError::CorruptEntry { seq: 1, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("log entry 1"));

    // Restore it, then truncate the log: the checkpoints no longer match.
    sqlx::query("UPDATE log_entries SET body = $1 WHERE seq = 1")
        .bind(&body)
        .execute(&pool)
        .await
        .expect("update");
    sqlx::query("DELETE FROM log_entries WHERE seq = 2")
        .execute(&pool)
        .await
        .expect("delete");
    let err = Board::open(BoardConfig::new(location.clone(), TEST_PASSPHRASE))
        .await
        .expect_err("truncated");
    eprintln!("{err}");
    assert!(matches!(err, BoardError::CorruptCheckpoint { .. }), "{err}");
    pool.close().await;

    // An empty store is not an election.
    let empty = tempfile::tempdir().expect("tempdir");
    let err = Board::open(BoardConfig::new(
        empty.path().join("b").to_string_lossy().into_owned(),
        TEST_PASSPHRASE,
    ))
    .await
    .expect_err("empty");
    assert!(matches!(err, BoardError::NotInitialized), "{err}");
    place.cleanup().await;
}

// ---------------------------------------------------------------------------------------------
// Static files

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_web_pages_and_hashes_the_bundle() {
    let place = Place::sqlite();
    let location = place.location();
    let init = init_last_counts(&location).await;
    let web = tempfile::tempdir().expect("tempdir");
    std::fs::write(web.path().join("index.html"), "<p>vote</p>").expect("write");
    std::fs::write(web.path().join("board.html"), "<p>board</p>").expect("write");
    std::fs::write(web.path().join("results.html"), "<p>results</p>").expect("write");
    std::fs::create_dir(web.path().join("pkg")).expect("mkdir");
    std::fs::write(web.path().join("pkg/app.js"), "x()").expect("write");
    let board = Board::open(BoardConfig {
        web_dir: Some(web.path().to_path_buf()),
        max_batch: 16,
        ..BoardConfig::new(location.clone(), TEST_PASSPHRASE)
    })
    .await
    .expect("open");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(serve(board, listener, async move {
        let _ = rx.await;
    }));
    let api = Api {
        client: Client::new(),
        url,
    };
    for (path, body) in [
        ("/", "<p>vote</p>"),
        ("/board", "<p>board</p>"),
        ("/results", "<p>results</p>"),
        ("/pkg/app.js", "x()"),
    ] {
        let (s, text) = api.get_text(path).await;
        assert_eq!((s, text.as_str()), (StatusCode::OK, body), "{path}");
    }
    let (s, _) = api.get_text("/nope.html").await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    ceremony(&api, &init.trustee_tokens, &init.base_hash, 2, 3).await;
    api.ok(
        "/api/admin/roll",
        Some(&init.admin_token),
        &roll_body(&credentials(&init.base_hash, 1)),
    )
    .await;
    // No evidence of an election key before there is one.
    let (s, body) = api.get("/api/election/evidence").await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert!(String::from_utf8_lossy(&body).contains("election_not_open"));
    api.ok("/api/admin/open", Some(&init.admin_token), &json!({}))
        .await;
    // Every served file, by its path under the web directory.
    let expected = psephos_record::hash::web_bundle_hash(&[
        ("index.html".into(), b"<p>vote</p>".to_vec()),
        ("board.html".into(), b"<p>board</p>".to_vec()),
        ("results.html".into(), b"<p>results</p>".to_vec()),
        ("pkg/app.js".into(), b"x()".to_vec()),
    ]);
    let status = api.status().await;
    assert_eq!(status.web_bundle_hash.map(|h| h.0), Some(expected));
    // The bundle hash is an input of H_E, and the evidence a voter checks says so.
    let (s, body) = api.get("/api/election/evidence").await;
    assert_eq!(s, StatusCode::OK);
    let evidence: psephos_record::evidence::ElectionEvidence =
        serde_json::from_slice(&body).expect("evidence");
    let checked = psephos_record::evidence::check_election(
        &evidence,
        &psephos_record::evidence::Claimed {
            election_hash: status.election_hash.as_ref().map(|h| &h.0),
            web_bundle_hash: Some(&expected),
            ..Default::default()
        },
    )
    .expect("the served election checks out");
    assert_eq!(checked.open.web_bundle_hash.map(|h| h.0), Some(expected));
    let _ = tx.send(());
    task.await.expect("join").expect("serve");
    place.cleanup().await;
}
