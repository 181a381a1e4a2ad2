//! Voters check the key they encrypt to (issue 11, item 3): `psephos vote` goes through a
//! hostile proxy in front of an honest board that serves another joint key or election hash
//! than the board's signed log, or forged evidence; the voter refuses before encrypting, so
//! no ballot ever leaves the device. Then the election runs to the end and the election
//! fingerprint is the same from the voter, the trustees' decryption and the verifier.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, Method, StatusCode};
use axum::response::Response;
use psephos_cli::admin::{self, IssuedCode};
use psephos_cli::client::Client;
use psephos_cli::keyfile::KeyFile;
use psephos_cli::server::{self, RunningBoard};
use psephos_cli::trustee;
use psephos_cli::voter::{self, VoteError, VoteOutcome};
use psephos_crypto::group::{mul_g, Element};
use psephos_crypto::Scalar;
use psephos_e2e::TestStore;
use psephos_record::entry::{entry_bytes, Entry};
use psephos_record::evidence::{ElectionEvidence, EvidenceError, EvidenceLine};
use psephos_record::hash;
use serde_json::{json, Value};

const BOARD_PASSPHRASE: &str = "e2e board passphrase";
const PASS: &str = psephos_e2e::TRUSTEE_PASSPHRASE;

/// Rewrites the body of a successful GET answer, given its path.
type Tamper = Arc<dyn Fn(&str, Vec<u8>) -> Vec<u8> + Send + Sync>;

/// A tamper that edits `/api/election` as JSON (its field order does not matter).
fn on_status(edit: impl Fn(&mut Value) + Send + Sync + 'static) -> Tamper {
    Arc::new(move |path, bytes| {
        if path != "/api/election" {
            return bytes;
        }
        let mut v: Value = serde_json::from_slice(&bytes).expect("status");
        edit(&mut v);
        serde_json::to_vec(&v).expect("json")
    })
}

/// A tamper that edits `/api/election/evidence` typed, so the entries' exact text is kept.
fn on_evidence(edit: impl Fn(&mut ElectionEvidence) + Send + Sync + 'static) -> Tamper {
    Arc::new(move |path, bytes| {
        if path != "/api/election/evidence" {
            return bytes;
        }
        let mut e: ElectionEvidence = serde_json::from_slice(&bytes).expect("evidence");
        edit(&mut e);
        serde_json::to_vec(&e).expect("json")
    })
}

/// Both.
fn both(a: Tamper, b: Tamper) -> Tamper {
    Arc::new(move |path, bytes| b(path, a(path, bytes)))
}

/// A man in the middle: forwards every request to the board, rewrites the JSON answers of
/// GET requests with `tamper`, and counts the ballots and challenges that pass through it.
#[derive(Clone)]
struct Proxy {
    upstream: String,
    http: reqwest::Client,
    tamper: Tamper,
    ballots_seen: Arc<AtomicUsize>,
}

async fn forward(State(p): State<Proxy>, req: Request) -> Response {
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let target = format!(
        "{}{}",
        p.upstream,
        req.uri()
            .path_and_query()
            .map(|q| q.as_str())
            .unwrap_or("/")
    );
    let body = axum::body::to_bytes(req.into_body(), 1 << 24)
        .await
        .expect("request body");
    if method == Method::POST && (path == "/api/ballots" || path == "/api/challenges") {
        p.ballots_seen.fetch_add(1, Ordering::SeqCst);
    }
    let answer = p
        .http
        .request(method.clone(), &target)
        .header(header::CONTENT_TYPE, "application/json")
        .body(body)
        .send()
        .await
        .expect("upstream");
    let status = answer.status();
    let mut bytes = answer.bytes().await.expect("upstream body").to_vec();
    if method == Method::GET && status.is_success() {
        bytes = (p.tamper)(&path, bytes);
    }
    Response::builder()
        .status(StatusCode::from_u16(status.as_u16()).expect("status"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(bytes))
        .expect("response")
}

/// Starts a proxy in front of `upstream`; returns its URL and its ballot counter.
async fn proxy(upstream: &str, tamper: Tamper) -> (String, Arc<AtomicUsize>) {
    let seen = Arc::new(AtomicUsize::new(0));
    let state = Proxy {
        upstream: upstream.to_string(),
        http: reqwest::Client::new(),
        tamper,
        ballots_seen: seen.clone(),
    };
    let app = axum::Router::new().fallback(forward).with_state(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, seen)
}

/// A joint key whose secret the attacker knows.
fn attacker_key() -> Element {
    Element::from_point(mul_g(&Scalar::from(123_456_789u64)))
}

async fn vote_via(url: &str, code: &str) -> Result<(voter::VoterView, VoteOutcome), VoteError> {
    let c = Client::new(url).expect("client");
    voter::vote(&c, code, &["Neither".to_string()], false).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn voters_check_the_key_and_everyone_shows_the_same_fingerprint() {
    let store = TestStore::sqlite();
    let location = store.location();
    let work = tempfile::tempdir().expect("tempdir");
    let manifest = admin::ManifestToml::parse(
        r#"
title = "Key check (end-to-end test)"
election_id = "e2e-key-check"
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
    .into_manifest();
    let init = server::init(&location, manifest, BOARD_PASSPHRASE)
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
    for i in 1..=4 {
        text.push_str(&format!("m{i},Member {i},m{i}@example.org\n"));
    }
    std::fs::write(&members, text).expect("members");
    let codes_path = work.path().join("codes.csv");
    admin::roll(&admin_c, &members, &codes_path, |_| {})
        .await
        .expect("roll");
    let codes: Vec<IssuedCode> = csv::Reader::from_path(&codes_path)
        .expect("codes")
        .deserialize()
        .collect::<Result<_, _>>()
        .expect("rows");
    admin_c.admin("open").await.expect("open");
    let status = public.election().await.expect("status");
    let base = status.base_hash;

    // 1. The status serves a key the attacker knows (the logged H_E is left alone).
    let known = attacker_key();
    let (url, seen) = proxy(
        &board.url,
        on_status(move |v| v["joint_key"] = json!(known.to_hex())),
    )
    .await;
    let err = vote_via(&url, &codes[0].voting_code)
        .await
        .err()
        .expect("refused");
    assert!(
        matches!(
            err,
            VoteError::Election(EvidenceError::ServedMismatch("joint key K"))
        ),
        "{err}"
    );
    assert_eq!(seen.load(Ordering::SeqCst), 0, "a ballot left the device");

    // 2. The status serves another H_E.
    let (url, seen) = proxy(
        &board.url,
        on_status(|v| v["election_hash"] = json!("11".repeat(32))),
    )
    .await;
    let err = vote_via(&url, &codes[0].voting_code)
        .await
        .err()
        .expect("refused");
    assert!(
        matches!(
            err,
            VoteError::Election(EvidenceError::ServedMismatch("election hash H_E"))
        ),
        "{err}"
    );
    assert_eq!(seen.load(Ordering::SeqCst), 0, "a ballot left the device");

    // 3. A consistent forgery: status and evidence both carry an open entry with the
    //    attacker's key and the H_E that goes with it, its hash chained correctly, but it is
    //    not in the board's signed tree (the proxy does not hold the board key).
    let honest = public.election_evidence().await.expect("evidence");
    let prev = honest.open_entry.prev;
    let bundle = status.web_bundle_hash.map(|h| h.0);
    let forged_h_e = hash::election_hash(&base, &prev, known.as_bytes(), bundle.as_ref());
    let (url, seen) = proxy(
        &board.url,
        both(
            on_status(move |v| {
                v["joint_key"] = json!(known.to_hex());
                v["election_hash"] = json!(hex::encode(forged_h_e));
            }),
            on_evidence(move |e| {
                let Ok(Entry::Open(mut open)) = serde_json::from_str(e.open_entry.entry.get())
                else {
                    panic!("not an open entry")
                };
                open.joint_key = known;
                open.election_hash = forged_h_e;
                let body = entry_bytes(&Entry::Open(open));
                let seq = e.open_entry.seq;
                let h = hash::entry_hash(seq, &prev, &body);
                e.open_entry = EvidenceLine::new(seq, prev, h, &body).expect("line");
            }),
        ),
    )
    .await;
    let err = vote_via(&url, &codes[0].voting_code)
        .await
        .err()
        .expect("refused");
    assert!(
        matches!(
            err,
            VoteError::Election(EvidenceError::NotIncluded("the open entry"))
        ),
        "{err}"
    );
    assert_eq!(seen.load(Ordering::SeqCst), 0, "a ballot left the device");

    // 4. A forged inclusion proof, and a checkpoint whose signature is not the board key's.
    for (what, edit) in [
        ("proof", on_evidence(|e| e.open_proof[0].0[0] ^= 1)),
        (
            "checkpoint",
            on_evidence(|e| e.checkpoint.signature[0] ^= 1),
        ),
    ] {
        let (url, seen) = proxy(&board.url, edit).await;
        let err = vote_via(&url, &codes[0].voting_code)
            .await
            .err()
            .expect("refused");
        let expected = match what {
            "proof" => EvidenceError::NotIncluded("the open entry"),
            _ => EvidenceError::BadCheckpoint,
        };
        assert!(
            matches!(&err, VoteError::Election(e) if *e == expected),
            "{what}: {err}"
        );
        assert_eq!(
            seen.load(Ordering::SeqCst),
            0,
            "{what}: a ballot left the device"
        );
    }

    // An honest path (through a proxy that changes nothing) votes.
    let (url, seen) = proxy(&board.url, Arc::new(|_, bytes| bytes)).await;
    let (view, outcome) = vote_via(&url, &codes[0].voting_code)
        .await
        .expect("honest vote");
    assert!(matches!(outcome, VoteOutcome::Cast { .. }));
    assert_eq!(seen.load(Ordering::SeqCst), 1);
    let voter_fingerprint = view.fingerprint().to_string();
    assert_eq!(
        voter_fingerprint,
        hash::election_fingerprint(&status.election_hash.expect("H_E").0)
    );

    // The same fingerprint from the trustees' decryption and from the verifier.
    admin_c.admin("close").await.expect("close");
    for i in [1u32, 2] {
        let path = work.path().join(format!("t{i}.key"));
        let share = KeyFile::read(&path)
            .expect("read")
            .key_share(&path, PASS)
            .expect("share");
        let client = public
            .clone()
            .with_token(&init.trustee_tokens[i as usize - 1]);
        let (audit, _) = trustee::decrypt(&client, &share).await.expect("decrypt");
        assert_eq!(audit.fingerprint(), voter_fingerprint, "trustee {i}");
    }
    admin::tally(&admin_c).await.expect("tally");
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
    assert!(report.passed(), "{:?}", report.failed_checks());
    assert_eq!(
        report.election_fingerprint.as_deref(),
        Some(voter_fingerprint.as_str())
    );
    board.stop().await.expect("stop");
    store.cleanup().await;
}
