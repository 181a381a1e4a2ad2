//! Helpers shared by the soak, crash and hostile-input tests: stores, an in-process server,
//! an HTTP client, the key ceremony, ballots, decryption and fetching + verifying the record.
#![allow(dead_code)]

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use psephos_board::{serve, Board, BoardConfig, BoardError, ElectionStatus};
use psephos_crypto::dkg::{Complaint, EncryptedShare, KeyShare, Polynomial, TrusteeSecretKey};
use psephos_crypto::group::{Element, FixedBase};
use psephos_crypto::nonce::BallotSeed;
use psephos_record::credential::generate_code;
use psephos_record::entry::{AcceptanceEntry, DecryptionEntry, Entry, RawLine, SharesEntry};
use psephos_record::hash::Hash;
use psephos_record::{Ballot, Credential, Manifest, PendingBallot, Phase};
use rand_core::{OsRng, RngCore};
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use tokio::sync::oneshot;

pub enum Place {
    Sqlite(tempfile::TempDir),
    Postgres {
        admin: sqlx::PgPool,
        name: String,
        url: String,
    },
}

impl Place {
    pub fn sqlite() -> Place {
        Place::Sqlite(tempfile::tempdir().expect("tempdir"))
    }

    /// A fresh database on `PSEPHOS_TEST_DATABASE_URL`'s server; `None` (and a loud SKIPPING
    /// line) when it is unreachable.
    pub async fn postgres(test: &str) -> Option<Place> {
        use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
        let base = std::env::var("PSEPHOS_TEST_DATABASE_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
        let opts = match PgConnectOptions::from_str(&base) {
            Ok(o) => o,
            Err(e) => {
                eprintln!("SKIPPING PostgreSQL test {test}: bad URL {base}: {e}");
                return None;
            }
        };
        let admin = match PgPoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(3))
            .connect_with(opts)
            .await
        {
            Ok(p) => p,
            Err(e) => {
                eprintln!("SKIPPING PostgreSQL test {test}: cannot connect to {base}: {e}");
                return None;
            }
        };
        let name = format!("psephos_board_test_{:016x}", OsRng.next_u64());
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&admin)
            .await
            .expect("create database");
        let url = psephos_board::bench::with_database(&base, &name);
        Some(Place::Postgres { admin, name, url })
    }

    pub fn location(&self) -> String {
        match self {
            Place::Sqlite(dir) => dir.path().join("board").to_string_lossy().into_owned(),
            Place::Postgres { url, .. } => url.clone(),
        }
    }

    pub async fn cleanup(self) {
        if let Place::Postgres { admin, name, .. } = self {
            let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&admin)
                .await;
        }
    }
}

pub struct Server {
    pub url: String,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<Result<(), BoardError>>,
}

impl Server {
    pub async fn start(location: &str) -> Server {
        let board = Board::open(BoardConfig {
            max_batch: 64,
            ..BoardConfig::new(location, TEST_PASSPHRASE)
        })
        .await
        .expect("open board");
        Self::serve(board).await
    }

    pub async fn serve(board: Board) -> Server {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(serve(board, listener, async move {
            let _ = rx.await;
        }));
        Server {
            url,
            stop: Some(tx),
            task,
        }
    }

    pub async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        self.task.await.expect("join").expect("serve");
    }
}

/// The passphrase the test boards' signing keys are sealed under.
pub const TEST_PASSPHRASE: &str = "board test passphrase";

#[derive(Clone)]
pub struct Api {
    pub client: Client,
    pub url: String,
}

impl Api {
    pub fn new(url: &str) -> Api {
        Api {
            client: Client::new(),
            url: url.to_string(),
        }
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: &Value) -> (StatusCode, Value) {
        let mut req = self.client.post(format!("{}{path}", self.url)).json(body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await.expect("send");
        let status = resp.status();
        let text = resp.text().await.expect("body");
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    pub async fn post_raw(&self, path: &str, body: Vec<u8>) -> (StatusCode, Value) {
        let resp = self
            .client
            .post(format!("{}{path}", self.url))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .expect("send");
        let status = resp.status();
        let text = resp.text().await.expect("body");
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    pub async fn ok(&self, path: &str, token: Option<&str>, body: &Value) -> Value {
        let (status, v) = self.post(path, token, body).await;
        assert_eq!(status, StatusCode::OK, "POST {path}: {v}");
        v
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Vec<u8>) {
        let resp = self
            .client
            .get(format!("{}{path}", self.url))
            .send()
            .await
            .expect("send");
        let status = resp.status();
        (status, resp.bytes().await.expect("body").to_vec())
    }

    /// GET, with the body as text.
    pub async fn get_text(&self, path: &str) -> (StatusCode, String) {
        let (status, body) = self.get(path).await;
        (status, String::from_utf8(body).expect("utf-8 body"))
    }

    pub async fn get_json(&self, path: &str) -> Value {
        let (status, body) = self.get(path).await;
        assert_eq!(status, StatusCode::OK, "GET {path}");
        serde_json::from_slice(&body).expect("json")
    }

    pub async fn status(&self) -> ElectionStatus {
        serde_json::from_value(self.get_json("/api/election").await).expect("status")
    }
}

pub fn to_json<T: serde::Serialize>(v: &T) -> Value {
    serde_json::to_value(v).expect("json")
}

/// Expects an error answer with `code` and `status`, and a message.
pub async fn expect_error(
    api: &Api,
    path: &str,
    token: Option<&str>,
    body: &Value,
    code: &str,
    status: StatusCode,
) {
    let (s, v) = api.post(path, token, body).await;
    assert_eq!(v["error"], code, "POST {path}: {v}");
    assert_eq!(s, status, "POST {path}: {v}");
    assert!(v["message"].is_string());
}

/// Whether [`ceremony_probed`] also posts messages the board must refuse.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Probing {
    /// Only the honest messages.
    HappyPath,
    /// Before each step, messages the board must refuse: a key under another trustee's token,
    /// a key posted twice, commitments proved for another election, a wrong acceptance.
    WithRejections,
}

/// A t-of-n key ceremony through the trustee endpoints (happy path); the key shares.
pub async fn ceremony(api: &Api, tokens: &[String], base: &Hash, t: u32, n: u32) -> Vec<KeyShare> {
    ceremony_probed(api, tokens, base, t, n, Probing::HappyPath).await
}

/// A t-of-n key ceremony through the trustee endpoints, probing the board's refusals along the
/// way if asked; the key shares.
pub async fn ceremony_probed(
    api: &Api,
    tokens: &[String],
    base: &Hash,
    t: u32,
    n: u32,
    probing: Probing,
) -> Vec<KeyShare> {
    let probe = probing == Probing::WithRejections;
    let rng = &mut OsRng;
    let secrets: Vec<TrusteeSecretKey> = (0..n).map(|_| TrusteeSecretKey::random(rng)).collect();
    let mut publics = Vec::new();
    for i in 1..=n {
        let pk = secrets[i as usize - 1].public_key(i, base, rng);
        if probe {
            let other = &tokens[(i as usize) % n as usize];
            let (path, body) = ("/api/trustee/key", to_json(&pk));
            // A valid token of another trustee: the board says which index it is for.
            let (status, v) = api.post(path, Some(other), &body).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{v}");
            assert_eq!(v["error"], "wrong_trustee_index");
            let message = v["message"].as_str().unwrap();
            let expected = format!(
                "this token is trustee {}'s, but the message is for trustee {i}",
                i % n + 1
            );
            assert!(message.contains(&expected), "{message}");
        }
        api.ok(
            "/api/trustee/key",
            Some(&tokens[i as usize - 1]),
            &to_json(&pk),
        )
        .await;
        publics.push(pk);
    }
    if probe {
        let (path, body) = ("/api/trustee/key", to_json(&publics[0]));
        let status = StatusCode::CONFLICT;
        expect_error(api, path, Some(&tokens[0]), &body, "already_posted", status).await;
    }
    let polys: Vec<Polynomial> = (0..n).map(|_| Polynomial::random(t, rng)).collect();
    let mut commitments = Vec::new();
    for i in 1..=n {
        let c = polys[i as usize - 1].commit(i, base, rng);
        if probe && i == 1 {
            // A proof bound to another base hash.
            let bad = polys[0].commit(1, &[7u8; 32], rng);
            let (path, body) = ("/api/trustee/commitments", to_json(&bad));
            let status = StatusCode::BAD_REQUEST;
            expect_error(api, path, Some(&tokens[0]), &body, "bad_proof", status).await;
        }
        api.ok(
            "/api/trustee/commitments",
            Some(&tokens[i as usize - 1]),
            &to_json(&c),
        )
        .await;
        commitments.push(c);
    }
    let mut all_shares: Vec<SharesEntry> = Vec::new();
    for i in 1..=n {
        let shares = (1..=n)
            .filter(|&j| j != i)
            .map(|j| {
                EncryptedShare::seal(
                    base,
                    i,
                    j,
                    &publics[j as usize - 1].key,
                    &polys[i as usize - 1].evaluate(j),
                    rng,
                )
            })
            .collect();
        let entry = SharesEntry { from: i, shares };
        if probe && i == 1 {
            // A complaint before the share it disputes is on the log (§6.3): refused, though
            // its evidence is sound.
            let early = Complaint::make(base, &entry.shares[0], &secrets[1], rng).expect("proof");
            let (path, body) = ("/api/trustee/complaint", to_json(&early));
            let status = StatusCode::CONFLICT;
            expect_error(api, path, Some(&tokens[1]), &body, "wrong_phase", status).await;
        }
        if probe && i == 2 {
            // The complaint oracle: a share whose ephemeral point is another share's (trustee
            // 1's to trustee 3), with that share's proof. Refused as the sender's fault before
            // any recipient could complain about it.
            let mut forged = entry.clone();
            let victim = all_shares[0]
                .shares
                .iter()
                .find(|s| s.to == 3)
                .expect("share 1 -> 3")
                .clone();
            let slot = forged
                .shares
                .iter_mut()
                .find(|s| s.to == 3)
                .expect("2 -> 3");
            slot.ephemeral = victim.ephemeral;
            slot.ephemeral_proof = victim.ephemeral_proof;
            let (path, body) = ("/api/trustee/shares", to_json(&forged));
            let (s, v) = api.post(path, Some(&tokens[1]), &body).await;
            assert_eq!(
                (s, v["error"].as_str()),
                (StatusCode::BAD_REQUEST, Some("bad_proof"))
            );
            assert!(
                v["message"].as_str().unwrap().contains("trustee 2 cheated"),
                "{v}"
            );
        }
        api.ok(
            "/api/trustee/shares",
            Some(&tokens[i as usize - 1]),
            &to_json(&entry),
        )
        .await;
        all_shares.push(entry);
    }
    let mut key_shares = Vec::new();
    for i in 1..=n {
        let mut received = vec![polys[i as usize - 1].evaluate(i)];
        for j in (1..=n).filter(|&j| j != i) {
            let share = all_shares[j as usize - 1]
                .shares
                .iter()
                .find(|s| s.to == i)
                .expect("share");
            received.push(
                share
                    .open_and_check(base, &secrets[i as usize - 1], &commitments[j as usize - 1])
                    .expect("valid share"),
            );
        }
        let ks = KeyShare::from_received(i, &received);
        let acc = AcceptanceEntry {
            trustee: i,
            verification_key: ks.verification_key(),
        };
        if probe && i == 1 {
            let wrong = AcceptanceEntry {
                trustee: 1,
                verification_key: Element::from_point(psephos_crypto::group::G),
            };
            let (path, body) = ("/api/trustee/acceptance", to_json(&wrong));
            let status = StatusCode::BAD_REQUEST;
            expect_error(api, path, Some(&tokens[0]), &body, "bad_proof", status).await;
        }
        api.ok(
            "/api/trustee/acceptance",
            Some(&tokens[i as usize - 1]),
            &to_json(&acc),
        )
        .await;
        key_shares.push(ks);
    }
    key_shares
}

pub fn credentials(base: &Hash, count: usize) -> Vec<Credential> {
    (0..count)
        .map(|_| Credential::from_code(base, &generate_code(&mut OsRng)).expect("credential"))
        .collect()
}

pub fn roll_body(creds: &[Credential]) -> Value {
    json!({ "credentials": creds.iter().map(|c| hex::encode(c.public())).collect::<Vec<_>>() })
}

pub fn random_id() -> [u8; 16] {
    let mut id = [0u8; 16];
    OsRng.fill_bytes(&mut id);
    id
}

pub struct Opened {
    pub manifest: Manifest,
    pub election_hash: Hash,
    pub key: FixedBase,
    pub joint_key: Element,
    pub board_key: [u8; 32],
}

impl Opened {
    pub fn ballot(&self, cred: &Credential, choices: &[Vec<u64>]) -> Ballot {
        Ballot::create(
            &self.manifest,
            &self.election_hash,
            &self.key,
            cred,
            random_id(),
            choices,
            &BallotSeed::random(&mut OsRng),
        )
        .expect("ballot")
    }

    /// A ballot encrypted and proved for `cred` but not yet cast or challenged.
    pub fn pending(&self, cred: &Credential, choices: &[Vec<u64>]) -> PendingBallot {
        let mut blinding = [0u8; 32];
        OsRng.fill_bytes(&mut blinding);
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

    /// A valid choice for the bench manifest, varying with `i`.
    pub fn choices(&self, i: usize) -> Vec<Vec<u64>> {
        vec![
            {
                let mut v = vec![0, 0, 0];
                v[i % 3] = 1;
                v
            },
            vec![(i % 2) as u64, 0, 1],
        ]
    }
}

pub async fn opened(api: &Api) -> Opened {
    let st = api.status().await;
    assert_eq!(st.phase, Phase::Open);
    let (_, text) = api.get("/api/manifest").await;
    Opened {
        manifest: serde_json::from_slice(&text).expect("manifest"),
        election_hash: st.election_hash.expect("H_E").0,
        key: FixedBase::new(st.joint_key.expect("K")),
        joint_key: st.joint_key.expect("K"),
        board_key: st.board_key,
    }
}

/// An election on the bench manifest (1-of-1, two questions) with `voters` credentials,
/// opened. Returns (admin token, key shares, credentials).
pub async fn open_election(
    api: &Api,
    init: &psephos_board::InitOutput,
    voters: usize,
) -> (Vec<KeyShare>, Vec<Credential>) {
    let n = init.trustee_tokens.len() as u32;
    let st = api.status().await;
    let shares = ceremony(api, &init.trustee_tokens, &init.base_hash, st.threshold, n).await;
    let creds = credentials(&init.base_hash, voters);
    api.ok(
        "/api/admin/roll",
        Some(&init.admin_token),
        &roll_body(&creds),
    )
    .await;
    api.ok("/api/admin/open", Some(&init.admin_token), &json!({}))
        .await;
    (shares, creds)
}

/// One line of the log.
pub struct LogLine {
    pub seq: u64,
    pub hash: Hash,
    pub entry: Entry,
}

/// Reads the log through `/api/record/board.jsonl`, checking the chain.
pub async fn read_log(api: &Api) -> Vec<LogLine> {
    let (status, text) = api.get("/api/record/board.jsonl").await;
    assert_eq!(status, StatusCode::OK);
    let text = String::from_utf8(text).expect("utf8");
    let mut prev = [0u8; 32];
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let raw: RawLine = serde_json::from_str(line).expect("line");
        assert_eq!(raw.seq, i as u64);
        assert_eq!(raw.prev, prev);
        raw.check_hash().expect("hash");
        prev = raw.hash;
        let entry = raw.parse_entry().expect("entry");
        out.push(LogLine {
            seq: raw.seq,
            hash: raw.hash,
            entry,
        });
    }
    out
}

/// Closes, decrypts with the first t trustees and publishes the result.
pub async fn finish(api: &Api, init: &psephos_board::InitOutput, shares: &[KeyShare]) {
    let admin = init.admin_token.as_str();
    api.ok("/api/admin/close", Some(admin), &json!({})).await;
    let st = api.status().await;
    let election_hash = st.election_hash.expect("H_E").0;
    let tally = read_log(api)
        .await
        .into_iter()
        .find_map(|l| match l.entry {
            Entry::Tally(t) => Some(t),
            _ => None,
        })
        .expect("tally");
    for ks in &shares[..st.threshold as usize] {
        let d = DecryptionEntry::compute(ks, &election_hash, &tally, &mut OsRng);
        api.ok(
            "/api/trustee/decryption",
            Some(&init.trustee_tokens[ks.index() as usize - 1]),
            &to_json(&d),
        )
        .await;
    }
    api.ok("/api/admin/result", Some(admin), &json!({})).await;
}

/// Downloads the five record files into `dir` and runs the verifier on them, requiring a
/// complete record; panics with the report unless every check passed.
pub async fn verify_record(api: &Api, dir: &Path) -> psephos_verify::Report {
    use psephos_record::record as rec;
    for file in [
        rec::BOARD_FILE,
        rec::MANIFEST_FILE,
        rec::ROLL_FILE,
        rec::CHECKPOINTS_FILE,
        rec::RESULT_FILE,
    ] {
        let (status, body) = api.get(&format!("/api/record/{file}")).await;
        assert_eq!(status, StatusCode::OK, "record file {file}");
        std::fs::write(dir.join(file), body).expect("write record file");
    }
    let dir = dir.to_path_buf();
    let report = tokio::task::spawn_blocking(move || {
        psephos_verify::verify_dir(
            &dir,
            &psephos_verify::Options {
                require_complete: true,
                ..Default::default()
            },
        )
    })
    .await
    .expect("verifier task")
    .expect("record readable");
    assert!(report.passed(), "the record does not verify: {report:?}");
    report
}
