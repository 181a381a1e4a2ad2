//! A load generator for the board: `psephos bench board`.
//!
//! The clap arguments the CLI would wire to [`run_board_bench`]:
//!
//! ```text
//! /// Load-test a board: N voters cast one fully verified ballot each, C at a time.
//! #[derive(Debug, clap::Args)]
//! pub struct BenchBoardArgs {
//!     /// Number of voters (one ballot each).
//!     #[arg(long, default_value_t = 5000)]
//!     pub voters: usize,
//!     /// Concurrent HTTP clients.
//!     #[arg(long, default_value_t = 64)]
//!     pub concurrency: usize,
//!     /// A running board (in the ceremony phase of a 1-of-1 election) instead of starting one.
//!     #[arg(long, requires_all = ["admin_token", "trustee_token"])]
//!     pub board: Option<String>,
//!     /// The admin token of --board.
//!     #[arg(long)]
//!     pub admin_token: Option<String>,
//!     /// Trustee 1's token of --board.
//!     #[arg(long)]
//!     pub trustee_token: Option<String>,
//!     /// Start the board on a fresh database in this PostgreSQL server (default: SQLite in a
//!     /// temporary directory).
//!     #[arg(long, conflicts_with = "board")]
//!     pub database: Option<String>,
//!     /// Most entries per group commit of the started board.
//!     #[arg(long, default_value_t = 256)]
//!     pub max_batch: usize,
//! }
//! ```
//!
//! Without `--board` the bench starts its own board on a temporary store on 127.0.0.1:0
//! (SQLite in a temporary directory, or a fresh PostgreSQL database `psephos_bench_<random>`
//! created through `--database` and dropped afterwards). In both modes it then runs a 1-of-1
//! key ceremony over HTTP, puts `voters` credentials on the roll and opens the election; then,
//! off the clock, it creates and signs every ballot (all cores); then, on the clock, it posts
//! them with `concurrency` keep-alive HTTP clients. A ballot is accepted only when the board
//! answers 200 with a receipt, i.e. after its signature and every proof were verified and its
//! entry was durably committed and covered by a signed checkpoint.
//!
//! An external board must be freshly initialised with `trustees = 1, threshold = 1` and still
//! be in the ceremony phase (the bench needs to know the joint key's secret only to run the
//! ceremony; it never decrypts). Its manifest's questions are used as they are.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use psephos_crypto::dkg::{KeyShare, Polynomial, TrusteeSecretKey};
use psephos_crypto::group::FixedBase;
use psephos_crypto::nonce::BallotSeed;
use psephos_record::credential::generate_code;
use psephos_record::entry::{AcceptanceEntry, SharesEntry};
use psephos_record::hash::Hash;
use psephos_record::{Ballot, Credential, Manifest, Question, RevotePolicy};
use rand_core::{OsRng, RngCore};
use serde_json::{json, Value};
use zeroize::Zeroizing;

use crate::{init_election, Board, BoardConfig, ElectionStatus};

/// What to run.
#[derive(Clone, Debug)]
pub struct BenchOptions {
    /// Voters, one ballot each.
    pub voters: usize,
    /// Concurrent HTTP clients.
    pub concurrency: usize,
    /// URL of a running board in the ceremony phase of a 1-of-1 election (see the module docs);
    /// `None` starts one.
    pub board: Option<String>,
    /// The external board's admin token.
    pub admin_token: Option<String>,
    /// The external board's trustee-1 token.
    pub trustee_token: Option<String>,
    /// PostgreSQL server URL for the started board (a fresh database is created in it and
    /// dropped afterwards); `None`: SQLite in a temporary directory.
    pub database: Option<String>,
    /// Most entries per group commit of the started board.
    pub max_batch: usize,
}

impl Default for BenchOptions {
    fn default() -> Self {
        BenchOptions {
            voters: 5000,
            concurrency: 64,
            board: None,
            admin_token: None,
            trustee_token: None,
            database: None,
            max_batch: 256,
        }
    }
}

/// What was measured.
#[derive(Clone, Debug)]
pub struct BenchReport {
    /// `sqlite`, `postgres` or the external board's URL.
    pub backend: String,
    /// Ballots posted.
    pub posted: usize,
    /// Ballots answered with a receipt.
    pub accepted: usize,
    /// Concurrent clients.
    pub concurrency: usize,
    /// Wall time of the posting phase.
    pub elapsed: Duration,
    /// Time spent creating the ballots (off the clock).
    pub prepare: Duration,
    /// Accepted ballots per second of [`BenchReport::elapsed`].
    pub ballots_per_sec: f64,
    /// Median latency of a post, ms.
    pub p50_ms: f64,
    /// 99th percentile latency, ms.
    pub p99_ms: f64,
    /// Slowest post, ms.
    pub max_ms: f64,
    /// Rejections by error code (`http` for transport failures).
    pub rejections: BTreeMap<String, usize>,
    /// Receipts checked against the board key (a sample, off the clock), all valid.
    pub receipts_checked: usize,
    /// CPU time this process (board and load generator) used while posting, per accepted
    /// ballot, ms (Linux only).
    pub cpu_ms_per_ballot: Option<f64>,
    /// Share of the machine's CPU time used by this process while posting (Linux only): below
    /// 100 % means other processes competed for the cores or the board waited for the disk.
    pub cpu_share: Option<f64>,
}

impl fmt::Display for BenchReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "board: {}; {} ballots posted by {} concurrent clients in {:.2} s (ballots prepared off the clock in {:.2} s)",
            self.backend,
            self.posted,
            self.concurrency,
            self.elapsed.as_secs_f64(),
            self.prepare.as_secs_f64()
        )?;
        writeln!(f, "{:.0} ballots/s", self.ballots_per_sec)?;
        writeln!(
            f,
            "latency p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            self.p50_ms, self.p99_ms, self.max_ms
        )?;
        writeln!(f, "accepted {} of {}", self.accepted, self.posted)?;
        if self.rejections.is_empty() {
            writeln!(f, "rejections: none")?;
        } else {
            let list: Vec<String> = self
                .rejections
                .iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect();
            writeln!(f, "rejections: {}", list.join(", "))?;
        }
        write!(f, "receipts verified: {}", self.receipts_checked)?;
        if let (Some(ms), Some(share)) = (self.cpu_ms_per_ballot, self.cpu_share) {
            write!(
                f,
                "\ncpu: {ms:.2} ms per accepted ballot (board + load generator); this process had {:.0} % of the machine's CPU time while posting",
                share * 100.0
            )?;
        }
        Ok(())
    }
}

/// Why the bench could not run.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// Setting up (store, board, ceremony, roll, open) failed.
    #[error("bench setup: {0}")]
    Setup(String),
}

fn setup<E: fmt::Display>(what: &'static str) -> impl FnOnce(E) -> BenchError {
    move |e| BenchError::Setup(format!("{what}: {e}"))
}

/// The bench election: two questions, as in the board's tests (one of three, up to two of
/// three): six encrypted options with range proofs and two sum proofs per ballot.
pub fn bench_manifest() -> Manifest {
    Manifest {
        version: 1,
        election_id: "bench".into(),
        title: "Board benchmark".into(),
        questions: vec![
            Question {
                title: "Adopt the motion?".into(),
                options: vec!["Yes".into(), "No".into(), "Abstain".into()],
                min_selections: 1,
                max_selections: 1,
            },
            Question {
                title: "Board members".into(),
                options: vec!["Ada".into(), "Brian".into(), "Chen".into()],
                min_selections: 0,
                max_selections: 2,
            },
        ],
        revote_policy: RevotePolicy::LastCounts,
        opens_at: None,
        closes_at: None,
        trustees: 1,
        threshold: 1,
        board_key: [0u8; 32],
        max_tally: 10_000_000,
    }
}

/// A small HTTP helper around one keep-alive client.
#[derive(Clone)]
struct Http {
    client: reqwest::Client,
    url: String,
}

impl Http {
    async fn post(&self, path: &str, token: Option<&str>, body: &Value) -> Result<Value, String> {
        let mut req = self
            .client
            .post(format!("{}{path}", self.url))
            .header("content-type", "application/json")
            .body(serde_json::to_vec(body).map_err(|e| e.to_string())?);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await.map_err(|e| format!("POST {path}: {e}"))?;
        let status = resp.status();
        let text = resp.text().await.map_err(|e| format!("POST {path}: {e}"))?;
        if !status.is_success() {
            return Err(format!("POST {path}: {status} {text}"));
        }
        serde_json::from_str(&text).map_err(|e| format!("POST {path}: {e}"))
    }

    async fn get(&self, path: &str) -> Result<String, String> {
        let resp = self
            .client
            .get(format!("{}{path}", self.url))
            .send()
            .await
            .map_err(|e| format!("GET {path}: {e}"))?;
        let status = resp.status();
        let text = resp.text().await.map_err(|e| format!("GET {path}: {e}"))?;
        if !status.is_success() {
            return Err(format!("GET {path}: {status} {text}"));
        }
        Ok(text)
    }
}

fn to_value<T: serde::Serialize>(v: &T) -> Result<Value, BenchError> {
    serde_json::to_value(v).map_err(setup("serialising"))
}

/// Runs a 1-of-1 key ceremony over HTTP.
async fn ceremony_1_of_1(http: &Http, token: &str, base: &Hash) -> Result<(), BenchError> {
    let rng = &mut OsRng;
    let secret = TrusteeSecretKey::random(rng);
    let pk = secret.public_key(1, base, rng);
    http.post("/api/trustee/key", Some(token), &to_value(&pk)?)
        .await
        .map_err(setup("trustee key"))?;
    let poly = Polynomial::random(1, rng);
    let c = poly.commit(1, base, rng);
    http.post("/api/trustee/commitments", Some(token), &to_value(&c)?)
        .await
        .map_err(setup("commitments"))?;
    let shares = SharesEntry {
        from: 1,
        shares: vec![],
    };
    http.post("/api/trustee/shares", Some(token), &to_value(&shares)?)
        .await
        .map_err(setup("shares"))?;
    let ks = KeyShare::from_received(1, &[poly.evaluate(1)]);
    let acc = AcceptanceEntry {
        trustee: 1,
        verification_key: ks.verification_key(),
    };
    http.post("/api/trustee/acceptance", Some(token), &to_value(&acc)?)
        .await
        .map_err(setup("acceptance"))?;
    Ok(())
}

/// The started board and its store, removed when dropped (PostgreSQL: by [`Local::cleanup`]).
struct Local {
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<Result<(), crate::BoardError>>,
    _dir: Option<tempfile::TempDir>,
    pg_drop: Option<(String, String)>,
}

impl Local {
    async fn cleanup(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        let _ = tokio::time::timeout(Duration::from_secs(10), &mut self.task).await;
        if let Some((server, name)) = self.pg_drop.take() {
            if let Ok(pool) = sqlx::PgPool::connect(&server).await {
                let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&pool)
                    .await;
                pool.close().await;
            }
        }
    }
}

/// `url` with its database name replaced by `name` (query string kept).
pub fn with_database(url: &str, name: &str) -> String {
    let (main, query) = url.split_at(url.find('?').unwrap_or(url.len()));
    let start = main.find("://").map_or(0, |i| i + 3);
    let path = main[start..].find('/').map_or(main.len(), |i| start + i);
    format!("{}/{name}{query}", &main[..path])
}

async fn start_local(
    opts: &BenchOptions,
) -> Result<(String, String, Vec<String>, Local), BenchError> {
    let (location, dir, pg_drop, backend) = match &opts.database {
        Some(server) => {
            let pool = sqlx::PgPool::connect(server)
                .await
                .map_err(setup("connecting to PostgreSQL"))?;
            let name = format!("psephos_bench_{:016x}", OsRng.next_u64());
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&pool)
                .await
                .map_err(setup("creating the bench database"))?;
            pool.close().await;
            (
                with_database(server, &name),
                None,
                Some((server.clone(), name)),
                "postgres".to_string(),
            )
        }
        None => {
            let dir = tempfile::tempdir().map_err(setup("temporary directory"))?;
            let location = dir.path().join("board").to_string_lossy().into_owned();
            (location, Some(dir), None, "sqlite".to_string())
        }
    };
    // A throwaway board: its key is sealed under a random passphrase that lives only here.
    let mut raw = Zeroizing::new([0u8; 16]);
    OsRng.fill_bytes(&mut raw[..]);
    let passphrase = Zeroizing::new(hex::encode(&raw[..]));
    let init = init_election(&location, bench_manifest(), &passphrase)
        .await
        .map_err(setup("init"))?;
    let board = Board::open(BoardConfig {
        max_batch: opts.max_batch,
        ..BoardConfig::new(location.clone(), &passphrase)
    })
    .await
    .map_err(setup("opening the board"))?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(setup("bind"))?;
    let url = format!(
        "http://{}",
        listener.local_addr().map_err(setup("local address"))?
    );
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(crate::serve(board, listener, async move {
        let _ = rx.await;
    }));
    let _ = backend;
    Ok((
        url,
        init.admin_token,
        init.trustee_tokens,
        Local {
            stop: Some(tx),
            task,
            _dir: dir,
            pg_drop,
        },
    ))
}

/// Creates one signed ballot per credential on all cores; returns their JSON bodies.
pub fn prepare_ballots(
    manifest: &Manifest,
    election_hash: &Hash,
    key: &FixedBase,
    credentials: &[Credential],
) -> Vec<(Vec<u8>, [u8; 16])> {
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let chunk = credentials.len().div_ceil(threads).max(1);
    std::thread::scope(|s| {
        let handles: Vec<_> = credentials
            .chunks(chunk)
            .map(|creds| {
                s.spawn(move || {
                    let mut rng = OsRng;
                    creds
                        .iter()
                        .enumerate()
                        .filter_map(|(i, cred)| {
                            let choices: Vec<Vec<u64>> = manifest
                                .questions
                                .iter()
                                .map(|q| {
                                    let mut c = vec![0u64; q.options.len()];
                                    for k in 0..(q.min_selections as usize).min(c.len()) {
                                        c[(i + k) % q.options.len()] = 1;
                                    }
                                    c
                                })
                                .collect();
                            let mut id = [0u8; 16];
                            rng.fill_bytes(&mut id);
                            let seed = BallotSeed::random(&mut rng);
                            let b = Ballot::create(
                                manifest,
                                election_hash,
                                key,
                                cred,
                                id,
                                &choices,
                                &seed,
                            )
                            .ok()?;
                            serde_json::to_vec(&b).ok().map(|body| (body, id))
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    })
}

/// (CPU ticks of this process, busy ticks of the whole machine, all ticks of the machine).
fn cpu_ticks() -> Option<(u64, u64, u64)> {
    let me = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which is in parentheses and may hold spaces).
    let rest = me.get(me.rfind(')')? + 2..)?;
    let f: Vec<&str> = rest.split_whitespace().collect();
    let own = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
    let all = std::fs::read_to_string("/proc/stat").ok()?;
    let cpu: Vec<u64> = all
        .lines()
        .next()?
        .split_whitespace()
        .skip(1)
        .filter_map(|v| v.parse().ok())
        .collect();
    let total: u64 = cpu.iter().sum();
    let idle = cpu.get(3).copied().unwrap_or(0) + cpu.get(4).copied().unwrap_or(0);
    Some((own, total - idle, total))
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i].as_secs_f64() * 1000.0
}

/// Runs the bench (see the module docs). Must run on a multi-threaded tokio runtime.
pub async fn run_board_bench(opts: BenchOptions) -> Result<BenchReport, BenchError> {
    let concurrency = opts.concurrency.max(1);
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .tcp_nodelay(true)
        .build()
        .map_err(setup("HTTP client"))?;
    let (url, admin, trustee, local, backend) = match &opts.board {
        Some(url) => {
            let admin = opts
                .admin_token
                .clone()
                .ok_or_else(|| BenchError::Setup("an external board needs --admin-token".into()))?;
            let trustee = opts.trustee_token.clone().ok_or_else(|| {
                BenchError::Setup("an external board needs --trustee-token".into())
            })?;
            (
                url.trim_end_matches('/').to_string(),
                admin,
                trustee,
                None,
                url.clone(),
            )
        }
        None => {
            let (url, admin, trustees, local) = start_local(&opts).await?;
            let trustee = trustees
                .into_iter()
                .next()
                .ok_or_else(|| BenchError::Setup("no trustee token".into()))?;
            let backend = if opts.database.is_some() {
                "postgres"
            } else {
                "sqlite"
            };
            (url, admin, trustee, Some(local), backend.to_string())
        }
    };
    let http = Http {
        client: client.clone(),
        url: url.clone(),
    };
    let result = drive(&opts, concurrency, &http, &admin, &trustee, backend).await;
    if let Some(local) = local {
        local.cleanup().await;
    }
    result
}

async fn status(http: &Http) -> Result<ElectionStatus, BenchError> {
    let text = http.get("/api/election").await.map_err(setup("status"))?;
    serde_json::from_str(&text).map_err(setup("status"))
}

async fn drive(
    opts: &BenchOptions,
    concurrency: usize,
    http: &Http,
    admin: &str,
    trustee: &str,
    backend: String,
) -> Result<BenchReport, BenchError> {
    let st = status(http).await?;
    if st.trustees != 1 || st.threshold != 1 {
        return Err(BenchError::Setup(format!(
            "the bench runs a 1-of-1 ceremony; the board's election has {} trustees, threshold {}",
            st.trustees, st.threshold
        )));
    }
    ceremony_1_of_1(http, trustee, &st.base_hash).await?;
    let base = st.base_hash;
    let credentials: Vec<Credential> = (0..opts.voters)
        .map(|_| Credential::from_code(&base, &generate_code(&mut OsRng)))
        .collect::<Result<_, _>>()
        .map_err(setup("credential"))?;
    for chunk in credentials.chunks(50_000) {
        let body = json!({
            "credentials": chunk.iter().map(|c| hex::encode(c.public())).collect::<Vec<_>>()
        });
        http.post("/api/admin/roll", Some(admin), &body)
            .await
            .map_err(setup("roll"))?;
    }
    http.post("/api/admin/open", Some(admin), &json!({}))
        .await
        .map_err(setup("open"))?;
    let st = status(http).await?;
    let manifest: Manifest =
        serde_json::from_str(&http.get("/api/manifest").await.map_err(setup("manifest"))?)
            .map_err(setup("manifest"))?;
    let election_hash = st
        .election_hash
        .ok_or_else(|| BenchError::Setup("no election hash after open".into()))?
        .0;
    let key = FixedBase::new(
        st.joint_key
            .ok_or_else(|| BenchError::Setup("no joint key after open".into()))?,
    );

    // Off the clock.
    let t0 = Instant::now();
    let ballots = {
        let manifest = manifest.clone();
        tokio::task::spawn_blocking(move || {
            prepare_ballots(&manifest, &election_hash, &key, &credentials)
        })
        .await
        .map_err(setup("preparing ballots"))?
    };
    let prepare = t0.elapsed();
    if ballots.len() != opts.voters {
        return Err(BenchError::Setup(
            "some ballots could not be created".into(),
        ));
    }

    // On the clock.
    let ballots = Arc::new(ballots);
    let next = Arc::new(AtomicUsize::new(0));
    let receipts: Arc<Mutex<Vec<Vec<u8>>>> = Arc::new(Mutex::new(Vec::new()));
    let ticks_before = cpu_ticks();
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(concurrency);
    for _ in 0..concurrency {
        let ballots = ballots.clone();
        let next = next.clone();
        let http = http.clone();
        let receipts = receipts.clone();
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut rejected: BTreeMap<String, usize> = BTreeMap::new();
            let mut accepted = 0usize;
            let url = format!("{}/api/ballots", http.url);
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some((body, _)) = ballots.get(i) else {
                    break;
                };
                let t = Instant::now();
                let resp = http
                    .client
                    .post(&url)
                    .header("content-type", "application/json")
                    .body(body.clone())
                    .send()
                    .await;
                let outcome = match resp {
                    Ok(r) => {
                        let ok = r.status().is_success();
                        match r.bytes().await {
                            Ok(b) if ok => Ok(b.to_vec()),
                            Ok(b) => Err(serde_json::from_slice::<Value>(&b)
                                .ok()
                                .and_then(|v| v["error"].as_str().map(str::to_string))
                                .unwrap_or_else(|| "unknown".into())),
                            Err(_) => Err("http".into()),
                        }
                    }
                    Err(_) => Err("http".to_string()),
                };
                lat.push(t.elapsed());
                match outcome {
                    Ok(receipt) => {
                        accepted += 1;
                        if i.checked_rem(97) == Some(0) {
                            if let Ok(mut v) = receipts.lock() {
                                v.push(receipt);
                            }
                        }
                    }
                    Err(code) => *rejected.entry(code).or_default() += 1,
                }
            }
            (lat, rejected, accepted)
        }));
    }
    let mut latencies = Vec::with_capacity(ballots.len());
    let mut rejections: BTreeMap<String, usize> = BTreeMap::new();
    let mut accepted = 0;
    for t in tasks {
        let (lat, rej, acc) = t.await.map_err(setup("client task"))?;
        latencies.extend(lat);
        for (k, v) in rej {
            *rejections.entry(k).or_default() += v;
        }
        accepted += acc;
    }
    let elapsed = started.elapsed();
    let ticks_after = cpu_ticks();
    latencies.sort();
    let (cpu_ms_per_ballot, cpu_share) = match (ticks_before, ticks_after) {
        (Some((o0, _, t0)), Some((o1, _, t1))) if t1 > t0 && accepted > 0 => (
            // Ticks are 1/100 s on Linux.
            Some((o1 - o0) as f64 * 10.0 / accepted as f64),
            Some((o1 - o0) as f64 / (t1 - t0) as f64),
        ),
        _ => (None, None),
    };

    // Off the clock: a sample of receipts must verify under the board key.
    let sample = receipts.lock().map(|v| v.clone()).unwrap_or_default();
    let mut receipts_checked = 0;
    for r in &sample {
        let receipt: psephos_record::Receipt =
            serde_json::from_slice(r).map_err(setup("receipt"))?;
        receipt
            .verify(&st.board_key)
            .map_err(setup("a receipt does not verify"))?;
        receipts_checked += 1;
    }

    Ok(BenchReport {
        backend,
        posted: ballots.len(),
        accepted,
        concurrency,
        elapsed,
        prepare,
        ballots_per_sec: accepted as f64 / elapsed.as_secs_f64().max(1e-9),
        p50_ms: percentile(&latencies, 0.50),
        p99_ms: percentile(&latencies, 0.99),
        max_ms: latencies.last().map_or(0.0, |d| d.as_secs_f64() * 1000.0),
        rejections,
        receipts_checked,
        cpu_ms_per_ballot,
        cpu_share,
    })
}
