//! `psephos demo`: the Socialist Health Association's 2016 nomination poll, re-run properly.
//!
//! The association's first online poll was hijacked (796 votes from 642 members); the re-run
//! counted Owen Smith 209, Jeremy Corbyn 174, Neither 29: 412 of 642 members, 64%. The demo
//! runs that poll end to end through the board's HTTP API with the same functions the
//! commands use: init, key ceremony, roll, open, ballots (with revotes and a Benaloh
//! challenge), close, threshold decryption with some trustees absent, tally, publish, verify.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use psephos_record::entry::ResultEntry;
use psephos_record::{Ballot, Manifest, Question, RevotePolicy};
use rayon::prelude::*;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::admin::{self, IssuedCode, Member};
use crate::client::Client;
use crate::keyfile::KeyFile;
use crate::server::{self, RunningBoard};
use crate::trustee::{self, CeremonyOptions};
use crate::voter::{self, VoterView};

/// The passphrase of the demo's trustee key files and of its board's signing key (a demo: not
/// a secret).
pub const DEMO_PASSPHRASE: &str = "psephos demo passphrase (not secret)";

/// The options of the poll.
pub const OPTIONS: [&str; 3] = ["Owen Smith", "Jeremy Corbyn", "Neither"];

/// Ballots in flight at once.
pub const CONCURRENCY: usize = 16;

/// What to run.
#[derive(Clone, Debug)]
pub struct DemoOptions {
    /// Members on the roll.
    pub voters: usize,
    /// Final votes per option, in [`OPTIONS`] order.
    pub votes: Vec<u64>,
    /// Trustees n.
    pub trustees: u32,
    /// Threshold t (only t trustees decrypt).
    pub threshold: u32,
    /// Output directory.
    pub out: PathBuf,
    /// PostgreSQL URL instead of SQLite in `out/board`.
    pub database: Option<String>,
    /// Stop before closing and serve until Ctrl-C.
    pub keep_open: bool,
    /// Show progress bars.
    pub progress: bool,
    /// Address to serve on.
    pub listen: String,
}

impl Default for DemoOptions {
    fn default() -> Self {
        DemoOptions {
            voters: 642,
            votes: vec![209, 174, 29],
            trustees: 3,
            threshold: 2,
            out: PathBuf::from("demo-out"),
            database: None,
            keep_open: false,
            progress: false,
            listen: "127.0.0.1:0".into(),
        }
    }
}

/// What happened.
pub struct DemoOutcome {
    /// The board's URL.
    pub url: String,
    /// The admin token (printed once; the demo's board is throwaway).
    pub admin_token: String,
    /// The trustees' tokens (trustee i at i − 1).
    pub trustee_tokens: Vec<String>,
    /// Where the trustees' key files are (passphrase [`DEMO_PASSPHRASE`]).
    pub trustees_dir: PathBuf,
    /// Ballots cast, revotes included.
    pub ballots_cast: usize,
    /// Voters who voted twice (their last ballot counts).
    pub revotes: usize,
    /// The challenged ballot's tracking code and what the board said it encrypted.
    pub challenge: Option<(String, Vec<Vec<String>>)>,
    /// The result (none with `keep_open`).
    pub result: Option<ResultEntry>,
    /// Where the record was published.
    pub record_dir: Option<PathBuf>,
    /// The verifier's verdict and summary lines.
    pub verification: Option<(bool, Vec<String>)>,
    /// The trustees who decrypted.
    pub decrypting_trustees: Vec<u32>,
    /// Time for casting the ballots.
    pub casting_time: Duration,
    /// Total time.
    pub elapsed: Duration,
    /// With `keep_open`: the running board, and the codes nobody used.
    pub open_board: Option<RunningBoard>,
    /// With `keep_open`: the file of unused voting codes.
    pub codes_file: Option<PathBuf>,
}

/// How long the demo's election stays open: a week.
pub const DEMO_VOTING_SECONDS: i64 = 7 * 24 * 3600;

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// `secs` since the Unix epoch as an RFC 3339 UTC date-time, `YYYY-MM-DDTHH:MM:SSZ`
/// (H. Hinnant's civil-from-days).
pub fn format_rfc3339(secs: i64) -> String {
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// The association's manifest.
pub fn manifest(trustees: u32, threshold: u32) -> Manifest {
    Manifest {
        version: psephos_crypto::transcript::PROTOCOL_VERSION,
        election_id: "sha-labour-leader-2016".into(),
        title: "Socialist Health Association: supporting nomination for Leader of the Labour Party"
            .into(),
        questions: vec![Question {
            title: "Who should we support as Leader of the Labour Party?".into(),
            options: OPTIONS.iter().map(|s| s.to_string()).collect(),
            min_selections: 1,
            max_selections: 1,
        }],
        revote_policy: RevotePolicy::LastCounts,
        opens_at: None,
        closes_at: None,
        trustees,
        threshold,
        board_key: admin::PLACEHOLDER_BOARD_KEY,
        max_tally: 10_000_000,
    }
}

const FIRST: [&str; 16] = [
    "Ada", "Bob", "Cath", "Dev", "Eric", "Fatima", "Grace", "Hugh", "Imran", "Jo", "Kofi", "Lena",
    "Martin", "Nana", "Oliver", "Priya",
];
const LAST: [&str; 12] = [
    "Asante", "Brown", "Chen", "Davies", "Evans", "Foster", "Green", "Holmes", "Iqbal", "Jones",
    "Khan", "Potter",
];

/// Synthetic members `M0001…`.
pub fn members(count: usize) -> Vec<Member> {
    (0..count)
        .map(|i| {
            let first = FIRST[i % FIRST.len()];
            let last = LAST[(i / FIRST.len()) % LAST.len()];
            Member {
                member_id: format!("M{:04}", i + 1),
                name: format!("{first} {last}"),
                email: format!(
                    "{}.{}{}@members.example.org",
                    first.to_lowercase(),
                    last.to_lowercase(),
                    i + 1
                ),
            }
        })
        .collect()
}

/// The final choice of each voter (in order), e.g. 209 × 0, 174 × 1, 29 × 2, interleaved so
/// that the log does not list the options in blocks.
pub fn final_choices(votes: &[u64]) -> Vec<usize> {
    let total: u64 = votes.iter().sum();
    let mut given = vec![0u64; votes.len()];
    let mut out = Vec::with_capacity(total as usize);
    // Each step gives the next ballot to the option furthest behind its share (like
    // Bresenham's line): a deterministic, well-mixed order with exact totals.
    for step in 1..=total {
        let k = (0..votes.len())
            .filter(|&k| given[k] < votes[k])
            .max_by_key(|&k| {
                (
                    i128::from(votes[k]) * i128::from(step)
                        - i128::from(given[k]) * i128::from(total),
                    std::cmp::Reverse(k),
                )
            })
            .unwrap_or(0);
        given[k] += 1;
        out.push(k);
    }
    out
}

fn one_hot(option: usize, n: usize) -> Vec<Vec<u64>> {
    vec![(0..n).map(|k| u64::from(k == option)).collect()]
}

fn bar(multi: &MultiProgress, len: u64, template: &str, message: &str) -> ProgressBar {
    let pb = multi.add(ProgressBar::new(len));
    let style =
        ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_bar());
    pb.set_style(style.progress_chars("=> "));
    pb.set_message(message.to_string());
    pb
}

const BAR: &str = "{msg:<22} [{bar:30}] {pos}/{len} {elapsed_precise}";
const RATE: &str = "{msg:<22} [{bar:30}] {pos}/{len} {per_sec} {elapsed_precise}";

fn reset(path: &Path) -> anyhow::Result<()> {
    if path.is_dir() {
        std::fs::remove_dir_all(path)?;
    } else if path.exists() {
        std::fs::remove_file(path)?;
    }
    Ok(())
}

/// Runs the demo.
pub async fn run(opts: &DemoOptions) -> anyhow::Result<DemoOutcome> {
    let start = Instant::now();
    let n_options = OPTIONS.len();
    if opts.votes.len() != n_options {
        anyhow::bail!("--votes needs {n_options} numbers (Owen Smith, Jeremy Corbyn, Neither)");
    }
    let total_votes: u64 = opts.votes.iter().sum();
    if total_votes as usize > opts.voters {
        anyhow::bail!("{total_votes} votes but only {} voters", opts.voters);
    }
    let mut manifest = manifest(opts.trustees, opts.threshold);
    // Voting opens now and closes in a week: the pages show real dates, and an election left
    // open (--keep-open) keeps taking ballots for that long.
    let now = unix_now();
    manifest.opens_at = Some(format_rfc3339(now));
    manifest.closes_at = Some(format_rfc3339(now + DEMO_VOTING_SECONDS));
    manifest.validate()?;

    // A fresh demo directory each time (only the demo's own files are removed).
    std::fs::create_dir_all(&opts.out)?;
    for sub in ["board", "record", "trustees", "voting-codes.csv"] {
        reset(&opts.out.join(sub))?;
    }
    let location = match &opts.database {
        Some(url) => url.clone(),
        None => opts.out.join("board").display().to_string(),
    };

    let multi = MultiProgress::with_draw_target(if opts.progress {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    });

    // init
    let init = server::init(&location, manifest.clone(), DEMO_PASSPHRASE).await?;
    let board = RunningBoard::start(&location, &opts.listen, None, DEMO_PASSPHRASE).await?;
    let public = Client::new(&board.url)?;
    let admin_client = public.clone().with_token(&init.admin_token);

    // The key ceremony: n trustees, each its own task and key file, all through the API.
    let trustees_dir = opts.out.join("trustees");
    std::fs::create_dir_all(&trustees_dir)?;
    let n = opts.trustees;
    let ceremony_bar = bar(&multi, 4 * u64::from(n), BAR, "key ceremony");
    let mut ceremony = JoinSet::new();
    for i in 1..=n {
        let client = public
            .clone()
            .with_token(&init.trustee_tokens[(i - 1) as usize]);
        let path = trustees_dir.join(format!("trustee-{i}.key"));
        let pb = ceremony_bar.clone();
        ceremony.spawn(async move {
            let (file, secret) = tokio::task::spawn_blocking({
                let path = path.clone();
                move || KeyFile::create(&path, DEMO_PASSPHRASE)
            })
            .await??;
            let options = CeremonyOptions {
                poll: Duration::from_millis(50),
                timeout: Duration::from_secs(300),
                progress: Arc::new(move |_what, have, need| {
                    if have == need {
                        pb.inc(1);
                    }
                }),
            };
            let mut store = trustee::KeyFileStore {
                file,
                path,
                passphrase: zeroize::Zeroizing::new(DEMO_PASSPHRASE.to_string()),
            };
            trustee::ceremony(&client, i, &secret, &mut store, &options).await?;
            anyhow::Ok(i)
        });
    }
    while let Some(done) = ceremony.join_next().await {
        done??;
    }
    ceremony_bar.finish();

    // The roll: codes for every member; only public credentials go to the board.
    let members = members(opts.voters);
    let status = public.election().await?;
    let (issued, credentials) = admin::issue_codes(&status.base_hash, &members)?;
    let roll_bar = bar(&multi, credentials.len() as u64, BAR, "credentials");
    admin::post_roll(&admin_client, &credentials, |done| {
        roll_bar.set_position(done as u64)
    })
    .await?;
    roll_bar.finish();
    admin_client.admin("open").await?;

    // Ballots: every voter's final ballot, and first a different ballot for ~5% of them.
    let view = Arc::new(VoterView::fetch(&public).await?);
    let finals = final_choices(&opts.votes);
    let mut revoters: Vec<usize> = (0..finals.len()).filter(|v| v % 20 == 7).collect();
    if revoters.is_empty() && finals.len() > 1 {
        revoters.push(finals.len() - 1);
    }
    let mut plan: Vec<(usize, usize)> = revoters
        .iter()
        .map(|&v| (v, (finals[v] + 1) % n_options))
        .collect();
    let first_round = plan.len();
    plan.extend(finals.iter().copied().enumerate());
    let codes: Arc<Vec<String>> = Arc::new(issued.iter().map(|c| c.voting_code.clone()).collect());

    // One Benaloh challenge: a voter spoils a ballot to audit the encryption, then votes.
    let challenge = if let Some(&choice) = finals.first() {
        let credential = view.credential(&codes[0])?;
        let pending = view.encrypt(&credential, &one_hot(choice, n_options))?;
        let answer = voter::challenge(&public, &view, pending).await?;
        Some((answer.receipt.tracking_code, answer.choices))
    } else {
        None
    };

    let cast_bar = bar(&multi, plan.len() as u64, RATE, "ballots cast");
    let cast_start = Instant::now();
    for round in [&plan[..first_round], &plan[first_round..]] {
        // Encrypt and prove in parallel on every core...
        let ballots: Vec<Ballot> = {
            let view = view.clone();
            let codes = codes.clone();
            let round = round.to_vec();
            tokio::task::spawn_blocking(move || {
                round
                    .par_iter()
                    .map(|&(v, option)| {
                        let credential = view.credential(&codes[v])?;
                        Ok(view.make_ballot(&credential, &one_hot(option, n_options))?)
                    })
                    .collect::<anyhow::Result<Vec<Ballot>>>()
            })
            .await??
        };
        // ...and post with bounded concurrency.
        let limit = Arc::new(Semaphore::new(CONCURRENCY));
        let mut posts = JoinSet::new();
        for ballot in ballots {
            let permit = limit.clone().acquire_owned().await?;
            let client = public.clone();
            let view = view.clone();
            let pb = cast_bar.clone();
            posts.spawn(async move {
                let receipt = voter::cast(&client, &view, &ballot).await;
                drop(permit);
                pb.inc(1);
                receipt
            });
        }
        while let Some(done) = posts.join_next().await {
            done??;
        }
    }
    cast_bar.finish();
    let casting_time = cast_start.elapsed();

    let mut outcome = DemoOutcome {
        url: board.url.clone(),
        admin_token: init.admin_token.clone(),
        trustee_tokens: init.trustee_tokens.clone(),
        trustees_dir: trustees_dir.clone(),
        ballots_cast: plan.len(),
        revotes: first_round,
        challenge,
        result: None,
        record_dir: None,
        verification: None,
        decrypting_trustees: Vec::new(),
        casting_time,
        elapsed: start.elapsed(),
        open_board: None,
        codes_file: None,
    };

    if opts.keep_open {
        // The codes of members who have not voted, for trying the voter's page.
        let unused: Vec<&IssuedCode> = issued.iter().skip(finals.len()).collect();
        let path = opts.out.join("voting-codes.csv");
        let owned: Vec<IssuedCode> = unused.into_iter().cloned().collect();
        admin::write_codes(&path, &owned)?;
        outcome.codes_file = Some(path);
        outcome.open_board = Some(board);
        outcome.elapsed = start.elapsed();
        return Ok(outcome);
    }

    admin_client.admin("close").await?;

    // Only t trustees decrypt; the others stay away.
    let decrypt_bar = bar(&multi, u64::from(opts.threshold), BAR, "decryption");
    let mut decrypting = JoinSet::new();
    for i in 1..=opts.threshold {
        let client = public
            .clone()
            .with_token(&init.trustee_tokens[(i - 1) as usize]);
        let path = trustees_dir.join(format!("trustee-{i}.key"));
        let pb = decrypt_bar.clone();
        decrypting.spawn(async move {
            let share = tokio::task::spawn_blocking(move || {
                KeyFile::read(&path)?.key_share(&path, DEMO_PASSPHRASE)
            })
            .await??;
            trustee::decrypt(&client, &share).await?;
            pb.inc(1);
            anyhow::Ok(i)
        });
    }
    while let Some(done) = decrypting.join_next().await {
        outcome.decrypting_trustees.push(done??);
    }
    outcome.decrypting_trustees.sort_unstable();
    decrypt_bar.finish();

    let result = admin::tally(&admin_client).await?;
    let record = opts.out.join("record");
    admin::publish(&public, &record).await?;
    let verify_dir = record.clone();
    let report = tokio::task::spawn_blocking(move || {
        psephos_verify::verify_dir(
            &verify_dir,
            &psephos_verify::Options {
                require_complete: true,
                ..Default::default()
            },
        )
    })
    .await??;
    outcome.verification = Some((report.passed(), crate::cli::report_lines(&report)));
    outcome.result = Some(result);
    outcome.record_dir = Some(record);
    board.stop().await?;
    outcome.elapsed = start.elapsed();
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn choices_are_exact_and_mixed() {
        let c = final_choices(&[209, 174, 29]);
        assert_eq!(c.len(), 412);
        for (k, &want) in [209usize, 174, 29].iter().enumerate() {
            assert_eq!(c.iter().filter(|&&x| x == k).count(), want);
        }
        assert_ne!(c[..3], [0, 0, 0]);
    }

    #[test]
    fn synthetic_members_are_distinct() {
        let m = members(642);
        let mut ids: Vec<_> = m.iter().map(|m| &m.email).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), 642);
        manifest(3, 2).validate().unwrap();
    }

    #[test]
    fn rfc3339_times_round_trip_through_the_boards_parser() {
        for secs in [0, 951_782_400, 1_471_305_599, 1_780_000_000, 4_102_444_800] {
            let text = format_rfc3339(secs);
            assert_eq!(
                psephos_board::time::parse_rfc3339(&text),
                Some(secs),
                "{text}"
            );
        }
        assert_eq!(format_rfc3339(1_471_305_599), "2016-08-15T23:59:59Z");
    }
}
