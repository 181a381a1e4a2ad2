//! Hostile input, one test per attack, each with its own board (SQLite): nothing invalid gets
//! in, and each rejection has its own code. (tests/board.rs covers the basic rejections too;
//! tests/limits.rs the rate limits, which are configured through the environment.)

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;
use psephos_board::bench::bench_manifest;
use psephos_board::{init_election, InitOutput};
use psephos_crypto::dkg::KeyShare;
use psephos_crypto::group::FixedBase;
use psephos_record::entry::Entry;
use psephos_record::{Ballot, Credential, Receipt};
use reqwest::StatusCode;
use serde_json::{json, Value};

struct Setup {
    place: Place,
    server: Server,
    api: Api,
    init: InitOutput,
    shares: Vec<KeyShare>,
    creds: Vec<Credential>,
    el: Opened,
}

async fn setup(voters: usize) -> Setup {
    let place = Place::sqlite();
    let location = place.location();
    let init = init_election(&location, bench_manifest(), TEST_PASSPHRASE)
        .await
        .expect("init");
    let server = Server::start(&location).await;
    let api = Api::new(&server.url);
    let (shares, creds) = open_election(&api, &init, voters).await;
    let el = opened(&api).await;
    Setup {
        place,
        server,
        api,
        init,
        shares,
        creds,
        el,
    }
}

impl Setup {
    async fn done(self) {
        self.server.stop().await;
        self.place.cleanup().await;
    }

    async fn post(&self, ballot: &Ballot) -> (StatusCode, Value) {
        self.api.post("/api/ballots", None, &to_json(ballot)).await
    }

    async fn expect(&self, ballot: &Ballot, code: &str, status: StatusCode) {
        let (s, v) = self.post(ballot).await;
        assert_eq!(v["error"], code, "{v}");
        assert_eq!(s, status, "{v}");
    }

    async fn ballots_in_log(&self) -> usize {
        read_log(&self.api)
            .await
            .iter()
            .filter(|l| matches!(l.entry, Entry::Ballot(_)))
            .count()
    }
}

/// Voter B copies voter A's ciphertexts and proofs and signs them with B's own credential:
/// the signature is B's and valid, but every proof is bound to A's credential (and ballot id),
/// so the board answers `bad_proof`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copied_ballot_is_bad_proof() {
    let s = setup(2).await;
    let original = s.el.ballot(&s.creds[0], &s.el.choices(0));
    let mut copy = original.clone();
    copy.credential = s.creds[1].public();
    copy.signature = s.creds[1].sign(&Ballot::signed_message(&copy.hash(&s.el.election_hash)));
    s.expect(&copy, "bad_proof", StatusCode::BAD_REQUEST).await;
    // Also with a fresh ballot id.
    copy.ballot_id = random_id();
    copy.signature = s.creds[1].sign(&Ballot::signed_message(&copy.hash(&s.el.election_hash)));
    s.expect(&copy, "bad_proof", StatusCode::BAD_REQUEST).await;
    // The original is still fine, and only it is logged.
    assert_eq!(s.post(&original).await.0, StatusCode::OK);
    assert_eq!(s.ballots_in_log().await, 1);
    s.done().await;
}

/// A ballot made for another election (another H_E), by a voter on this roll: the signature
/// covers the ballot hash, which starts with H_E, so it does not verify under this election's
/// H_E and the board answers `bad_signature` (checked before the proofs, which would fail too:
/// they are bound to H_E as well).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ballot_for_another_election_is_bad_signature() {
    let s = setup(1).await;
    let other = Opened {
        manifest: s.el.manifest.clone(),
        election_hash: [0x42; 32],
        key: FixedBase::new(s.el.joint_key),
        joint_key: s.el.joint_key,
        board_key: s.el.board_key,
    };
    let b = other.ballot(&s.creds[0], &other.choices(0));
    s.expect(&b, "bad_signature", StatusCode::BAD_REQUEST).await;
    assert_eq!(s.ballots_in_log().await, 0);
    s.done().await;
}

/// An identical re-post (a replay, or a voter's retry) gets the identical receipt and is
/// logged once, concurrently too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replayed_ballot_is_counted_once() {
    let s = setup(1).await;
    let b = s.el.ballot(&s.creds[0], &s.el.choices(0));
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let (api, b) = (s.api.clone(), b.clone());
        tasks.push(tokio::spawn(async move {
            api.ok("/api/ballots", None, &to_json(&b)).await
        }));
    }
    let mut receipts = Vec::new();
    for t in tasks {
        receipts.push(serde_json::from_value::<Receipt>(t.await.expect("task")).expect("r"));
    }
    assert!(receipts.windows(2).all(|w| w[0] == w[1]));
    let again: Receipt =
        serde_json::from_value(s.api.ok("/api/ballots", None, &to_json(&b)).await).expect("r");
    assert_eq!(again, receipts[0]);
    assert_eq!(s.ballots_in_log().await, 1);
    assert_eq!(s.api.status().await.ballots_cast, 1);
    s.done().await;
}

/// After the close, a new ballot gets `election_closed`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ballot_after_close_is_election_closed() {
    let s = setup(2).await;
    let first = s.el.ballot(&s.creds[1], &s.el.choices(1));
    assert_eq!(s.post(&first).await.0, StatusCode::OK);
    s.api
        .ok("/api/admin/close", Some(&s.init.admin_token), &json!({}))
        .await;
    let b = s.el.ballot(&s.creds[0], &s.el.choices(0));
    s.expect(&b, "election_closed", StatusCode::CONFLICT).await;
    assert_eq!(s.ballots_in_log().await, 1);
    let _ = &s.shares;
    s.done().await;
}

/// A valid ballot by a credential that is not on the roll: `not_on_roll`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credential_not_on_roll() {
    let s = setup(1).await;
    let outsider = credentials(&s.init.base_hash, 1);
    let b = s.el.ballot(&outsider[0], &s.el.choices(0));
    s.expect(&b, "not_on_roll", StatusCode::FORBIDDEN).await;
    s.done().await;
}

/// A ballot naming voter A's credential but signed with voter B's key: `bad_signature`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signature_by_the_wrong_key() {
    let s = setup(2).await;
    let mut b = s.el.ballot(&s.creds[0], &s.el.choices(0));
    b.signature = s.creds[1].sign(&Ballot::signed_message(&b.hash(&s.el.election_hash)));
    s.expect(&b, "bad_signature", StatusCode::BAD_REQUEST).await;
    assert_eq!(s.ballots_in_log().await, 0);
    s.done().await;
}

/// Nesting-depth bombs and huge arrays are refused quickly: `malformed` within the body limit,
/// `payload_too_large` beyond it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_bombs_are_refused_quickly() {
    let s = setup(1).await;
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("depth bomb", b"[".repeat(60_000), "malformed"),
        (
            "object depth bomb",
            b"{\"a\":".repeat(12_000),
            "malformed",
        ),
        (
            "deep value in a ballot field",
            format!("{{\"ballot_id\":{}", "[".repeat(50_000)).into_bytes(),
            "malformed",
        ),
        (
            "huge contests array",
            format!(
                "{{\"ballot_id\":\"{}\",\"credential\":\"{}\",\"contests\":[{}0],\"signature\":\"{}\"}}",
                "00".repeat(16),
                hex::encode(s.creds[0].public()),
                "0,".repeat(30_000),
                "00".repeat(64)
            )
            .into_bytes(),
            "malformed",
        ),
        ("array beyond the limit", format!("[{}0]", "0,".repeat(2_000_000)).into_bytes(), "payload_too_large"),
        ("depth bomb beyond the limit", b"[".repeat(10_000_000), "payload_too_large"),
    ];
    for path in ["/api/ballots", "/api/challenges"] {
        for (what, body, code) in &cases {
            let t = Instant::now();
            let sent = s
                .api
                .client
                .post(format!("{}{path}", s.api.url))
                .header("content-type", "application/json")
                .body(body.clone())
                .send()
                .await;
            match sent {
                Ok(resp) => {
                    let status = resp.status();
                    let v: Value = resp.json().await.unwrap_or(Value::Null);
                    assert_eq!(v["error"], *code, "{path} {what}: {status} {v}");
                }
                // The board answered 413 and closed the connection while the client was
                // still sending the rest.
                Err(e) => assert_eq!(*code, "payload_too_large", "{path} {what}: {e}"),
            }
            let took = t.elapsed();
            assert!(took < Duration::from_secs(2), "{path} {what} took {took:?}");
        }
    }
    // The board still works.
    let b = s.el.ballot(&s.creds[0], &s.el.choices(0));
    assert_eq!(s.post(&b).await.0, StatusCode::OK);
    s.done().await;
}

/// A `tracing` writer into a shared buffer.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("lock").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Admin endpoints without or with a wrong token: `unauthorized`; and no token (admin or
/// trustee, right or wrong) ever appears in the board's logs, captured at TRACE level through
/// a whole election including failed attempts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_are_checked_and_never_logged() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    tracing::subscriber::set_global_default(subscriber).expect("subscriber");

    let s = setup(2).await;
    let wrong = hex::encode([7u8; 32]);
    let trustee = s.init.trustee_tokens[0].clone();
    for path in [
        "/api/admin/roll",
        "/api/admin/open",
        "/api/admin/close",
        "/api/admin/result",
    ] {
        for token in [
            None,
            Some(wrong.as_str()),
            Some(trustee.as_str()),
            Some("zz"),
        ] {
            let (status, v) = s.api.post(path, token, &json!({})).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{path}: {v}");
            assert_eq!(v["error"], "unauthorized");
        }
    }
    // A trustee message with the admin token.
    let (status, _) = s
        .api
        .post("/api/trustee/key", Some(&s.init.admin_token), &json!({}))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let b = s.el.ballot(&s.creds[0], &s.el.choices(0));
    assert_eq!(s.post(&b).await.0, StatusCode::OK);
    finish(&s.api, &s.init, &s.shares).await;

    let logs = String::from_utf8(captured.0.lock().expect("lock").clone()).expect("utf8");
    assert!(
        logs.contains("election opened"),
        "the board's logs were not captured"
    );
    for secret in std::iter::once(&s.init.admin_token)
        .chain(&s.init.trustee_tokens)
        .chain(std::iter::once(&wrong))
    {
        assert!(
            !logs.contains(secret.as_str()),
            "a token appears in the logs"
        );
        assert!(!logs.contains(&secret.to_uppercase()));
    }
    s.done().await;
}

/// Ballots posted at once are verified in shared batches (one multiscalar and one Ed25519
/// batch for many requests). Bad ballots mixed among good ones, all in flight together: each
/// bad one gets its own code, every good one is accepted, and only the good ones are logged.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_ballot_in_a_shared_batch_fails_alone() {
    let s = setup(48).await;
    let mut posts = Vec::new();
    let mut expected = Vec::new();
    for (i, cred) in s.creds.iter().enumerate() {
        let mut b = s.el.ballot(cred, &s.el.choices(i));
        let code = match i % 8 {
            // A proof's response changed (and the ballot re-signed): the proofs fail.
            3 => {
                let branch = &mut b.contests[0].selections[0].proof.branches[0];
                branch.response =
                    psephos_crypto::group::ScalarValue(branch.response.0 + branch.response.0);
                b.signature = cred.sign(&Ballot::signed_message(&b.hash(&s.el.election_hash)));
                "bad_proof"
            }
            // The signature of another ballot hash.
            6 => {
                b.signature = cred.sign(&[7u8; 32]);
                "bad_signature"
            }
            _ => "",
        };
        expected.push(code);
        posts.push(b);
    }
    let answers = futures_join(&s.api, &posts).await;
    for (i, ((status, v), code)) in answers.iter().zip(&expected).enumerate() {
        if code.is_empty() {
            assert_eq!(*status, StatusCode::OK, "ballot {i}: {v}");
        } else {
            assert_eq!(v["error"], *code, "ballot {i}: {v}");
            assert_eq!(*status, StatusCode::BAD_REQUEST, "ballot {i}: {v}");
        }
    }
    let good = expected.iter().filter(|c| c.is_empty()).count();
    assert_eq!(s.ballots_in_log().await, good);
    s.done().await;
}

/// Posts every ballot at the same time and returns the answers in order.
async fn futures_join(api: &Api, ballots: &[Ballot]) -> Vec<(StatusCode, Value)> {
    let tasks: Vec<_> = ballots
        .iter()
        .map(|b| {
            let api = api.clone();
            let body = to_json(b);
            tokio::spawn(async move { api.post("/api/ballots", None, &body).await })
        })
        .collect();
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.expect("post task"));
    }
    out
}
