//! The command line: argument parsing and printing only; every step is a library function.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::admin::{self, ManifestToml};
use crate::client::Client;
use crate::demo::{self, DemoOptions};
use crate::keyfile::{self, KeyFile};
use crate::server::{self, RunningBoard};
use crate::trustee::{self, CeremonyOptions};
use crate::voter::{self, VoteOutcome};

const WORKFLOW: &str = "\
An election, step by step:
  1. psephos admin init        the administrator creates the election (manifest, tokens)
     psephos serve             the board serves it over HTTP
  2. psephos trustee keygen    each trustee makes a transport key (once)
     psephos trustee ceremony  the trustees jointly make the election key
  3. psephos admin roll        one voting code per member; only public credentials go to the board
  4. psephos admin open        voting starts
  5. psephos vote              (or the voter's web page) members vote with their code
  6. psephos admin close       voting ends; the board adds up the encrypted ballots
  7. psephos trustee decrypt   at least `threshold` trustees decrypt the tally, nothing else
  8. psephos tally             the board combines the decryptions into the result
  9. psephos admin publish     the election record is downloaded
 10. psephos verify            anyone checks every proof, signature and hash in the record

psephos demo runs all of it at once.";

/// psephos: a verifiable election, from the key ceremony to the verified result.
#[derive(Debug, Parser)]
#[command(name = "psephos", version, about, long_about = None, after_long_help = WORKFLOW)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// The administrator's steps: init, roll, open, close, publish.
    #[command(
        subcommand,
        long_about = "The administrator's steps.\n\n\
        init (step 1) creates the election; roll (step 3) issues voting codes; open (4) and \
        close (6) start and end voting; publish (9) downloads the election record."
    )]
    Admin(AdminCommand),
    /// The trustees' steps: keygen, ceremony, decrypt.
    #[command(
        subcommand,
        long_about = "The trustees' steps.\n\n\
        keygen makes a trustee's transport key (once); ceremony (step 2) runs the joint key \
        generation with the other trustees before the election opens; decrypt (step 7) \
        partially decrypts the encrypted tally after the election closes."
    )]
    Trustee(TrusteeCommand),
    /// Vote with a voting code (step 5).
    #[command(
        long_about = "Vote with your voting code (step 5 of the workflow).\n\n\
        The code never leaves this computer: it is turned into your credential here, your \
        choices are encrypted here, and the board only sees the encrypted ballot. The command \
        prints your tracking code and checks the board's signed receipt. You may vote again; \
        if the election's rule is last_counts only your last ballot counts.\n\n\
        With --challenge the ballot is not cast but opened (a Benaloh challenge): the board \
        shows what it encrypted, so you can check that your device encrypts honestly. Then \
        vote without --challenge."
    )]
    Vote(VoteArgs),
    /// Serve the bulletin board over HTTP.
    #[command(
        long_about = "Serve the bulletin board over HTTP (after `psephos admin init`).\n\n\
        Voters, trustees and the administrator talk to this server; it keeps the append-only \
        log in SQLite (--data DIR) or PostgreSQL (--database URL). The passphrase of the \
        board's signing key (given at `admin init`) comes from PSEPHOS_BOARD_PASSPHRASE or is \
        asked. Ctrl-C stops it; nothing is lost and it can be started again."
    )]
    Serve(ServeArgs),
    /// Combine the trustees' decryptions into the result (step 8).
    #[command(
        long_about = "Combine the trustees' partial decryptions into the result \
        (step 8, after `psephos trustee decrypt` by at least `threshold` trustees).\n\n\
        Prints the result table with the turnout."
    )]
    Tally(TallyArgs),
    /// Verify a published election record (step 10).
    #[command(
        long_about = "Verify a published election record (step 10): every hash link, \
        signature and zero-knowledge proof, the roll, the tally and the result.\n\n\
        Anyone can run this on the files from `psephos admin publish`; it needs no server and \
        trusts nothing but the record itself. Exit status 0 means every check passed."
    )]
    Verify(VerifyArgs),
    /// Run the whole 2016 nomination poll of a 642-member association, end to end.
    #[command(
        long_about = "Run a whole election end to end, in this process, through the \
        board's HTTP API: the 2016 nomination poll of a 642-member health association \
        (Owen Smith 209, Jeremy Corbyn 174, Neither 29).\n\n\
        init → key ceremony → roll → open → ballots (with revotes and a Benaloh challenge) → \
        close → decryption by only `threshold` trustees → tally → publish → verify.\n\n\
        With --keep-open it stops after the scripted ballots and keeps serving: open the \
        printed voter page and vote with a code from DIR/voting-codes.csv; close with \
        `psephos admin close --board URL --token T`."
    )]
    Demo(DemoArgs),
    /// Measure performance (the board under load).
    #[command(subcommand)]
    Bench(BenchCommand),
}

/// Benchmarks.
#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Load-test a board: N voters cast one fully verified ballot each, C at a time.
    #[command(
        long_about = "Load-test a bulletin board. Without --board it starts its own board on a \
        temporary store (SQLite in a temporary directory, or a fresh database in the PostgreSQL \
        server given by --database) on 127.0.0.1, runs a 1-of-1 key ceremony, issues --voters \
        credentials and opens the election. Then, off the clock, it encrypts and signs one \
        ballot per voter on all cores; on the clock it posts them with --concurrency keep-alive \
        clients. A ballot counts as accepted only when the board answered with a receipt, i.e. \
        after every proof and the signature were verified and the entry was durably committed.\n\n\
        Prints accepted ballots per second (`N ballots/s`), latency p50 and p99, and rejections \
        by error code. See docs/performance.md."
    )]
    Board(BenchBoardArgs),
}

/// Arguments of `psephos bench board`.
#[derive(Debug, clap::Args)]
pub struct BenchBoardArgs {
    /// Number of voters (one ballot each).
    #[arg(long, default_value_t = 5000)]
    pub voters: usize,
    /// Concurrent HTTP clients.
    #[arg(long, default_value_t = 64)]
    pub concurrency: usize,
    /// A running board (freshly initialised 1-of-1 election, still in the ceremony phase)
    /// instead of starting one.
    #[arg(long, requires_all = ["admin_token", "trustee_token"])]
    pub board: Option<String>,
    /// The admin token of --board.
    #[arg(long)]
    pub admin_token: Option<String>,
    /// Trustee 1's token of --board.
    #[arg(long)]
    pub trustee_token: Option<String>,
    /// Start the board on a fresh database in this PostgreSQL server (default: SQLite in a
    /// temporary directory).
    #[arg(long, conflicts_with = "board")]
    pub database: Option<String>,
    /// Most entries per group commit of the started board.
    #[arg(long, default_value_t = 256)]
    pub max_batch: usize,
}

/// Administrator commands.
#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create the election from a manifest (step 1).
    #[command(
        long_about = "Create the election (step 1): logs the manifest as entry 0, makes \
        the board's signing key and prints the admin token and one token per trustee, ONCE.\n\n\
        The board's signing key is stored sealed (Argon2id + ChaCha20-Poly1305) under a \
        passphrase read from PSEPHOS_BOARD_PASSPHRASE or asked twice; `psephos serve` needs \
        the same passphrase.\n\n\
        The manifest is a TOML file: title, election_id, [[questions]] (title, options, \
        min_selections, max_selections), revote_policy (\"last_counts\" or \"reject\"), \
        opens_at/closes_at (optional, UTC, exactly YYYY-MM-DDTHH:MM:SSZ), trustees, threshold, \
        max_tally (at least 1).\n\n\
        Next: `psephos serve`, then the trustees run `psephos trustee ceremony`."
    )]
    Init(InitArgs),
    /// Issue a voting code per member; put the credentials on the roll (step 3).
    #[command(
        long_about = "Issue the voting codes (step 3, during the key ceremony phase).\n\n\
        Reads members.csv (member_id,name,email), makes a random voting code for each member, \
        derives each member's public credential and posts only those to the board. The codes \
        with names and emails go to --codes-out (mode 0600) for the mail merge; the board \
        never sees codes or names. Delete that file once the codes are sent."
    )]
    Roll(RollArgs),
    /// Open the election for voting (step 4).
    #[command(
        long_about = "Open the election (step 4): needs every trustee's completed \
        ceremony and the roll. The board fixes the election hash and the joint key.\n\n\
        Refused when the manifest's closing time has passed (no ballot could be cast), \
        unless --force."
    )]
    Open(OpenArgs),
    /// Close the election (step 6).
    #[command(
        long_about = "Close the election (step 6): no more ballots; the board adds up \
        the counted ballots into the encrypted tally. Next: the trustees run \
        `psephos trustee decrypt`.\n\n\
        Closing cannot be undone, so it asks for confirmation first; --yes skips the question \
        (and is needed without a terminal)."
    )]
    Close(CloseArgs),
    /// Download the election record (step 9).
    #[command(
        long_about = "Download the published election record (step 9): board.jsonl, \
        manifest.json, roll.jsonl, checkpoints.jsonl, result.json. Next: `psephos verify DIR`."
    )]
    Publish(PublishArgs),
    /// Show where the election is.
    #[command(
        long_about = "Show where the election is: the phase in words, the dates, how many \
        voters (not ballots) have voted, and which trustee has done which step of the key \
        ceremony and of the decryption (read from the board's public log)."
    )]
    Status(BoardArg),
}

/// Trustee commands.
#[derive(Debug, Subcommand)]
pub enum TrusteeCommand {
    /// Make a transport key, stored encrypted under a passphrase.
    #[command(long_about = "Make your trustee transport key (before step 2).\n\n\
        The secret is stored encrypted (Argon2id + ChaCha20-Poly1305) under a passphrase read \
        from PSEPHOS_PASSPHRASE or asked twice. After the ceremony the same file also holds \
        your key share. Keep the file and the passphrase: both are needed to decrypt the tally.")]
    Keygen(KeygenArgs),
    /// Run the key ceremony with the other trustees (step 2).
    #[command(
        long_about = "Run the key ceremony (step 2), together with the other trustees.\n\n\
        Posts your transport key, waits for everyone's, posts commitments to a random \
        polynomial, sends each trustee its encrypted share, checks the shares sent to you \
        (complaining publicly about a bad one) and posts your acceptance. Your key share is \
        saved, encrypted, in the key file. Next: the administrator opens the election."
    )]
    Ceremony(CeremonyArgs),
    /// Decrypt your part of the tally (step 7).
    #[command(
        long_about = "Partially decrypt the encrypted tally (step 7, after the close).\n\n\
        Downloads the log, re-checks every ballot and recomputes the encrypted tally itself; \
        only if it matches the board's does it post a partial decryption, with proofs, of the \
        tally (and never of anything else). Next: `psephos tally`."
    )]
    Decrypt(DecryptArgs),
}

/// `--board URL`.
#[derive(Debug, Args)]
pub struct BoardArg {
    /// The board's URL, e.g. http://127.0.0.1:8080.
    #[arg(long, env = "PSEPHOS_BOARD")]
    pub board: String,
}

/// `--board URL --token T`.
#[derive(Debug, Args)]
pub struct BoardToken {
    /// The board's URL, e.g. http://127.0.0.1:8080.
    #[arg(long, env = "PSEPHOS_BOARD")]
    pub board: String,
    /// The token printed by `psephos admin init` (or set PSEPHOS_TOKEN).
    #[arg(long, env = "PSEPHOS_TOKEN", hide_env_values = true)]
    pub token: String,
}

/// `admin init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// Directory of the board's SQLite store.
    #[arg(
        long,
        required_unless_present = "database",
        conflicts_with = "database"
    )]
    pub data: Option<PathBuf>,
    /// PostgreSQL URL (postgres://USER@HOST/DATABASE; create the database first) instead
    /// of --data.
    #[arg(long)]
    pub database: Option<String>,
    /// The election manifest (TOML).
    #[arg(long)]
    pub manifest: PathBuf,
    /// Also write the tokens to this file (mode 0600).
    #[arg(long)]
    pub tokens_out: Option<PathBuf>,
    /// Create the election even though its closing time has passed (it could take no ballot).
    #[arg(long)]
    pub force: bool,
}

/// `admin open`.
#[derive(Debug, Args)]
pub struct OpenArgs {
    #[command(flatten)]
    board: BoardToken,
    /// Open even though the closing time has passed (every ballot would be refused).
    #[arg(long)]
    pub force: bool,
}

/// `admin close`.
#[derive(Debug, Args)]
pub struct CloseArgs {
    #[command(flatten)]
    board: BoardToken,
    /// Close without asking for confirmation (needed when there is no terminal).
    #[arg(long)]
    pub yes: bool,
}

/// `admin roll`.
#[derive(Debug, Args)]
pub struct RollArgs {
    #[command(flatten)]
    board: BoardToken,
    /// members.csv with header member_id,name,email.
    #[arg(long)]
    pub members: PathBuf,
    /// Where to write member_id,name,email,voting_code (must not exist).
    #[arg(long)]
    pub codes_out: PathBuf,
}

/// `admin publish`.
#[derive(Debug, Args)]
pub struct PublishArgs {
    #[command(flatten)]
    board: BoardArg,
    /// Directory for the record files.
    #[arg(long)]
    pub out: PathBuf,
}

/// `trustee keygen`.
#[derive(Debug, Args)]
pub struct KeygenArgs {
    /// The key file to create.
    #[arg(long)]
    pub out: PathBuf,
}

/// `trustee ceremony`.
#[derive(Debug, Args)]
pub struct CeremonyArgs {
    #[command(flatten)]
    board: BoardToken,
    /// Your trustee number (1..=n), as given with your token.
    #[arg(long)]
    pub index: u32,
    /// Your key file (from `psephos trustee keygen`).
    #[arg(long)]
    pub key: PathBuf,
}

/// `trustee decrypt`.
#[derive(Debug, Args)]
pub struct DecryptArgs {
    #[command(flatten)]
    board: BoardToken,
    /// Your key file, holding your key share.
    #[arg(long)]
    pub key: PathBuf,
}

/// `vote`.
#[derive(Debug, Args)]
pub struct VoteArgs {
    #[command(flatten)]
    board: BoardArg,
    /// Your voting code (or set PSEPHOS_CODE).
    #[arg(long, env = "PSEPHOS_CODE", hide_env_values = true)]
    pub code: String,
    /// An option's exact name; repeat for several questions or selections ("N:name" picks
    /// question N when names repeat).
    #[arg(long = "choice", required = true)]
    pub choices: Vec<String>,
    /// Challenge instead of casting: the board shows what the ballot encrypted.
    #[arg(long)]
    pub challenge: bool,
    /// Save the board's signed receipt (JSON).
    #[arg(long)]
    pub receipt_out: Option<PathBuf>,
}

/// `serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Directory of the board's SQLite store.
    #[arg(
        long,
        required_unless_present = "database",
        conflicts_with = "database"
    )]
    pub data: Option<PathBuf>,
    /// PostgreSQL URL (postgres://USER@HOST/DATABASE; create the database first) instead
    /// of --data.
    #[arg(long)]
    pub database: Option<String>,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// Directory of the voter's web bundle to serve.
    #[arg(long)]
    pub web_dir: Option<PathBuf>,
    /// Reverse proxies, timeouts, connection limit, log format.
    #[command(flatten)]
    pub http: crate::serve_opts::HttpArgs,
}

/// `tally`.
#[derive(Debug, Args)]
pub struct TallyArgs {
    #[command(flatten)]
    board: BoardToken,
}

/// `verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The record directory.
    pub dir: PathBuf,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    /// Also check a voter's receipt (JSON from `psephos vote --receipt-out`).
    #[arg(long)]
    pub receipt: Option<PathBuf>,
    /// Look up a tracking code.
    #[arg(long)]
    pub tracking_code: Option<String>,
}

/// `demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Members on the roll.
    #[arg(long, default_value_t = 642)]
    pub voters: usize,
    /// Final votes for Owen Smith, Jeremy Corbyn, Neither.
    #[arg(long, default_value = "209,174,29", value_delimiter = ',')]
    pub votes: Vec<u64>,
    /// Trustees.
    #[arg(long, default_value_t = 3)]
    pub trustees: u32,
    /// Trustees needed to decrypt (only this many take part in the decryption).
    #[arg(long, default_value_t = 2)]
    pub threshold: u32,
    /// Output directory (board store, trustee keys, record).
    #[arg(long, default_value = "demo-out")]
    pub out: PathBuf,
    /// PostgreSQL URL instead of SQLite in OUT/board (the database must be empty).
    #[arg(long)]
    pub database: Option<String>,
    /// Stop before closing and keep serving for the voter's web page (until Ctrl-C).
    #[arg(long)]
    pub keep_open: bool,
    /// Address to serve on.
    #[arg(long, default_value = "127.0.0.1:0")]
    pub listen: String,
}

/// Parses the command line and runs it.
pub fn main_entry() -> ExitCode {
    let cli = Cli::parse();
    match &cli.command {
        Command::Serve(s) => crate::serve_opts::init_logging(s.http.log_format, "info"),
        _ if std::env::var_os("RUST_LOG").is_some() => {
            crate::serve_opts::init_logging(crate::serve_opts::LogFormat::Text, "warn")
        }
        _ => {}
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn client(board: &str, token: Option<&str>) -> anyhow::Result<Client> {
    let c = Client::new(board)?;
    Ok(match token {
        Some(t) => c.with_token(t),
        None => c,
    })
}

/// Runs one command.
pub async fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Admin(a) => admin_command(a).await,
        Command::Trustee(t) => trustee_command(t).await,
        Command::Vote(v) => vote_command(v).await,
        Command::Serve(s) => serve_command(s).await,
        Command::Tally(t) => {
            let c = client(&t.board.board, Some(&t.board.token))?;
            let result = admin::tally(&c).await?;
            print!("{}", admin::format_result(&result));
            Ok(ExitCode::SUCCESS)
        }
        Command::Verify(v) => verify_command(v).await,
        Command::Demo(d) => demo_command(d).await,
        Command::Bench(BenchCommand::Board(b)) => {
            let report =
                psephos_board::bench::run_board_bench(psephos_board::bench::BenchOptions {
                    voters: b.voters,
                    concurrency: b.concurrency,
                    board: b.board,
                    admin_token: b.admin_token,
                    trustee_token: b.trustee_token,
                    database: b.database,
                    max_batch: b.max_batch,
                })
                .await?;
            println!("{report}");
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn admin_command(command: AdminCommand) -> anyhow::Result<ExitCode> {
    match command {
        AdminCommand::Init(a) => {
            // Everything that can be checked is checked before the passphrase is asked.
            let location = server::location(a.data.as_deref(), a.database.as_deref())?;
            let text = std::fs::read_to_string(&a.manifest)
                .map_err(|e| anyhow::anyhow!("{}: {e}", a.manifest.display()))?;
            let manifest = ManifestToml::parse(&text)?.into_manifest();
            manifest
                .validate()
                .map_err(|e| admin::AdminError::Manifest(e.to_string()))?;
            admin::check_times(&manifest, a.force, "create it")?;
            if let Some(path) = &a.tokens_out {
                if path.exists() {
                    anyhow::bail!(
                        "{} already exists; refusing to overwrite tokens",
                        path.display()
                    );
                }
            }
            let passphrase = server::board_passphrase(true)?;
            let out = server::init(&location, manifest, &passphrase).await?;
            println!(
                "Election created. Base hash H_B: {}",
                hex::encode(out.base_hash)
            );
            println!("Board key: {}", hex::encode(out.board_key));
            println!();
            println!("These tokens are shown ONCE. Keep each one secret and give trustee i its own token:");
            let mut text = format!("admin {}\n", out.admin_token);
            println!("  admin token:     {}", out.admin_token);
            for (i, t) in out.trustee_tokens.iter().enumerate() {
                println!("  trustee {} token: {t}", i + 1);
                text.push_str(&format!("trustee-{} {t}\n", i + 1));
            }
            if let Some(path) = &a.tokens_out {
                keyfile::write_private(path, text.as_bytes(), true)?;
                println!("(also written to {}, mode 0600)", path.display());
            }
            println!();
            println!(
                "Next: `{}`, then each trustee runs `psephos trustee ceremony`.",
                server::serve_command_for(&location)
            );
            Ok(ExitCode::SUCCESS)
        }
        AdminCommand::Roll(a) => {
            let c = client(&a.board.board, Some(&a.board.token))?;
            let n = admin::roll(&c, &a.members, &a.codes_out, |done| {
                eprintln!("  {done} credentials on the roll")
            })
            .await?;
            println!(
                "{n} voting codes written to {} (mode 0600); {n} public credentials posted.",
                a.codes_out.display()
            );
            println!(
                "Send each member their code, then delete the file. Next: `psephos admin open`."
            );
            Ok(ExitCode::SUCCESS)
        }
        AdminCommand::Open(a) => {
            let c = client(&a.board.board, Some(&a.board.token))?;
            let before = c.election().await?;
            let manifest = c.manifest(&before.base_hash).await?;
            admin::check_times(&manifest, a.force, "open it")?;
            c.admin("open").await?;
            let s = c.election().await?;
            println!(
                "The election is open: {} credentials on the roll.",
                s.roll_size
            );
            if let Some(h) = s.election_hash {
                println!("Election hash H_E: {}", hex::encode(h.0));
                println!(
                    "Election fingerprint: {} (publish it: voters, trustees and auditors compare it)",
                    psephos_record::hash::election_fingerprint(&h.0)
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        AdminCommand::Close(a) => {
            let c = client(&a.board.board, Some(&a.board.token))?;
            if !a.yes {
                let s = c.election().await?;
                admin::confirm(
                    &format!(
                        "Close \"{}\" now? No ballot will be accepted afterwards, and closing \
                         cannot be undone ({} ballots so far).",
                        s.title, s.ballots_cast
                    ),
                    "--yes",
                )?;
            }
            c.admin("close").await?;
            let s = c.election().await?;
            println!(
                "The election is closed: {} ballots received. The encrypted tally is on the board.",
                s.ballots_cast
            );
            println!(
                "Next: at least {} trustees run `psephos trustee decrypt`.",
                s.threshold
            );
            Ok(ExitCode::SUCCESS)
        }
        AdminCommand::Publish(a) => {
            let c = client(&a.board.board, None)?;
            for (file, bytes) in admin::publish(&c, &a.out).await? {
                println!("  {file:<18} {bytes} bytes");
            }
            println!(
                "Record written to {}. Next: `psephos verify {}`.",
                a.out.display(),
                a.out.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        AdminCommand::Status(a) => {
            let c = client(&a.board, None)?;
            let progress = crate::status::Progress::fetch(&c).await?;
            print!("{}", progress.report());
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn stderr_progress() -> trustee::Progress {
    let last = std::sync::Mutex::new(String::new());
    std::sync::Arc::new(move |what: &str, have: usize, need: usize| {
        let line = format!("  {what}: {have} of {need}");
        if let Ok(mut l) = last.lock() {
            if *l != line {
                eprintln!(
                    "{line}{}",
                    if have < need {
                        " (waiting for the other trustees...)"
                    } else {
                        ""
                    }
                );
                *l = line;
            }
        }
    })
}

async fn trustee_command(command: TrusteeCommand) -> anyhow::Result<ExitCode> {
    match command {
        TrusteeCommand::Keygen(a) => {
            let pass = keyfile::passphrase(true)?;
            let path = a.out.clone();
            let (file, _secret) =
                tokio::task::spawn_blocking(move || KeyFile::create(&path, &pass)).await??;
            println!(
                "Trustee key written to {} (encrypted). Public key: {}",
                a.out.display(),
                file.public_key.to_hex()
            );
            println!(
                "Next: `psephos trustee ceremony --board URL --token T --index I --key {}`.",
                a.out.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        TrusteeCommand::Ceremony(a) => {
            let file = KeyFile::read(&a.key)?;
            let c = client(&a.board.board, Some(&a.board.token))?;
            let pass = keyfile::passphrase(false)?;
            let secret = {
                let (f, p, path) = (file.clone(), pass.clone(), a.key.clone());
                tokio::task::spawn_blocking(move || f.transport_secret(&path, &p)).await??
            };
            let options = CeremonyOptions {
                progress: stderr_progress(),
                ..Default::default()
            };
            let mut store = trustee::KeyFileStore {
                file,
                path: a.key.clone(),
                passphrase: pass,
            };
            let outcome = match trustee::ceremony(&c, a.index, &secret, &mut store, &options).await
            {
                Ok(outcome) => outcome,
                Err(e @ trustee::TrusteeError::AlreadyComplete { .. }) => {
                    println!("{e}.");
                    return Ok(ExitCode::SUCCESS);
                }
                Err(e) => return Err(e.into()),
            };
            let vk = outcome.key_share.verification_key();
            println!(
                "Ceremony complete for trustee {}: acceptance posted (entry {}).",
                a.index, outcome.acceptance_seq
            );
            println!("Verification key K_{}: {}", a.index, vk.to_hex());
            println!("Your key share is saved, encrypted, in {}. Keep it and the passphrase until the result is out.", a.key.display());
            Ok(ExitCode::SUCCESS)
        }
        TrusteeCommand::Decrypt(a) => {
            let file = KeyFile::read(&a.key)?;
            let c = client(&a.board.board, Some(&a.board.token))?;
            // Before the passphrase: is a decryption still wanted, and is this file's share of
            // this election?
            let base = trustee::decryption_wanted(&c).await?;
            let pass = keyfile::passphrase(false)?;
            let path = a.key.clone();
            let share =
                tokio::task::spawn_blocking(move || file.key_share_for(&path, &pass, &base))
                    .await??;
            eprintln!("Checking the board's log and recomputing the encrypted tally...");
            let (audit, seq) = trustee::decrypt(&c, &share).await?;
            println!(
                "Checked {} ballots ({} counted); the encrypted tally matches. Partial decryption of trustee {} posted (entry {seq}).",
                audit.ballots, audit.counted, share.index()
            );
            println!(
                "Election fingerprint: {} (compare it with the one voters and the results page show)",
                audit.fingerprint()
            );
            println!("Next: once enough trustees have decrypted, `psephos tally`.");
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn vote_command(a: VoteArgs) -> anyhow::Result<ExitCode> {
    let c = client(&a.board.board, None)?;
    let (view, outcome) = voter::vote(&c, &a.code, &a.choices, a.challenge).await?;
    match outcome {
        VoteOutcome::Cast { receipt } => {
            println!("Your ballot was cast in \"{}\".", view.manifest.title);
            print_fingerprint(&view);
            println!();
            println!("  Tracking code: {}", receipt.tracking_code);
            println!();
            println!("Receipt (signed by the board, checked): entry {} of the log, included in checkpoint of {} entries.", receipt.seq, receipt.checkpoint.tree_size);
            println!("Keep the tracking code: after the election, look it up on the board or with `psephos verify DIR --tracking-code CODE`.");
            if let Some(path) = &a.receipt_out {
                std::fs::write(path, serde_json::to_vec_pretty(&receipt)?)?;
                println!("Receipt saved to {}.", path.display());
            }
        }
        VoteOutcome::Challenged { answer } => {
            print_fingerprint(&view);
            println!(
                "Ballot challenged (NOT cast). Tracking code of the spoiled ballot: {}",
                answer.receipt.tracking_code
            );
            println!(
                "Receipt (signed by the board, checked): the challenge is entry {} of the log.",
                answer.receipt.seq
            );
            for (q, names) in view.manifest.questions.iter().zip(&answer.choices) {
                println!(
                    "  The board says it encrypted, for \"{}\": {}",
                    q.title,
                    names.join(", ")
                );
            }
            println!("That matches your choices: your device encrypts honestly. Now vote without --challenge.");
            println!("Afterwards, look up the spoiled tracking code on the board (or with `psephos verify DIR --tracking-code CODE`): it must say \"challenged\", never counted.");
            if let Some(path) = &a.receipt_out {
                std::fs::write(path, serde_json::to_vec_pretty(&answer.receipt)?)?;
                println!("Challenge receipt saved to {}.", path.display());
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The election fingerprint of the election the ballot was encrypted to, checked against
/// the board's signed log before encrypting.
fn print_fingerprint(view: &voter::VoterView) {
    println!("Election fingerprint: {}", view.fingerprint());
    println!("  (the key your ballot was encrypted to was checked against the board's signed log; compare this fingerprint with the one published by the election officials, on the results page or by `psephos-verify`)");
    if let Some(h) = &view.checked.open.web_bundle_hash {
        println!("Web bundle hash of the record: {}", hex::encode(h.0));
    }
}

async fn serve_command(a: ServeArgs) -> anyhow::Result<ExitCode> {
    let location = server::location(a.data.as_deref(), a.database.as_deref())?;
    // A store another board serves is refused before the passphrase is asked (Board::open
    // takes the lock again for good).
    drop(psephos_board::lock::StoreLock::acquire(&location).await?);
    let passphrase = server::board_passphrase(false)?;
    let http = a.http.config()?;
    let mut board =
        RunningBoard::start_with(&location, &a.listen, a.web_dir.clone(), &passphrase, http)
            .await?;
    println!("Board serving on {}/ (Ctrl-C to stop)", board.url);
    let stop = board.shutdown_handle();
    tokio::signal::ctrl_c().await?;
    eprintln!("Stopping the board...");
    if let Some(tx) = stop {
        let _ = tx.send(());
    }
    board.wait().await?;
    Ok(ExitCode::SUCCESS)
}

/// One line per check of a verification report.
pub fn report_lines(report: &psephos_verify::Report) -> Vec<String> {
    report
        .checks
        .iter()
        .map(|c| {
            let status = match c.status {
                psephos_verify::Status::Passed => "passed",
                psephos_verify::Status::Failed => "FAILED",
                psephos_verify::Status::Skipped => "skipped",
            };
            let mut line = format!(
                "  check {:>2} {:<40} {status} ({} items)",
                c.number, c.name, c.items
            );
            for f in &c.failures {
                line.push_str(&format!("\n      {}", f.message));
            }
            line
        })
        .collect()
}

async fn verify_command(a: VerifyArgs) -> anyhow::Result<ExitCode> {
    let receipt = match &a.receipt {
        Some(p) => Some(serde_json::from_slice(&std::fs::read(p)?)?),
        None => None,
    };
    let dir = a.dir.clone();
    let options = psephos_verify::Options {
        require_complete: true,
        progress: !a.json && std::io::IsTerminal::is_terminal(&std::io::stderr()),
        receipt,
        tracking_codes: Some(a.tracking_code.iter().cloned().collect()),
        ..Default::default()
    };
    let report =
        tokio::task::spawn_blocking(move || psephos_verify::verify_dir(&dir, &options)).await??;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!("Verifying the record in {}", a.dir.display());
        if let Some(f) = &report.election_fingerprint {
            println!("Election fingerprint: {f}");
        }
        for line in report_lines(&report) {
            println!("{line}");
        }
        print_result_file(&a.dir);
        if let Some(code) = &a.tracking_code {
            match report.tracking_status(code) {
                Some(s) => println!(
                    "Tracking code {}: {:?} (entry {})",
                    s.tracking_code, s.status, s.seq
                ),
                None => println!("Tracking code {code}: NOT in the record"),
            }
        }
        println!(
            "{}",
            if report.passed() {
                "VERIFIED: every check passed."
            } else {
                "NOT VERIFIED: see the failed checks above."
            }
        );
    }
    Ok(if report.passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn print_result_file(dir: &Path) {
    if let Ok(bytes) = std::fs::read(dir.join(psephos_record::record::RESULT_FILE)) {
        if let Ok(result) = serde_json::from_slice(&bytes) {
            print!("{}", admin::format_result(&result));
        }
    }
}

async fn demo_command(a: DemoArgs) -> anyhow::Result<ExitCode> {
    if let Some(url) = &a.database {
        server::postgres_url(url)?;
    }
    let options = DemoOptions {
        voters: a.voters,
        votes: a.votes,
        trustees: a.trustees,
        threshold: a.threshold,
        out: a.out,
        database: a.database,
        keep_open: a.keep_open,
        progress: std::io::IsTerminal::is_terminal(&std::io::stderr()),
        listen: a.listen,
    };
    println!("psephos demo: the association's nomination poll, {} members, {} trustees (any {} can decrypt)", options.voters, options.trustees, options.threshold);
    let outcome = demo::run(&options).await?;
    println!("Board: {}", outcome.url);
    println!(
        "{} ballots cast in {:.2}s ({:.0}/s), {} voters voted twice (their last ballot counts)",
        outcome.ballots_cast,
        outcome.casting_time.as_secs_f64(),
        outcome.ballots_cast as f64 / outcome.casting_time.as_secs_f64().max(1e-6),
        outcome.revotes
    );
    if let Some((code, choices)) = &outcome.challenge {
        println!(
            "Benaloh challenge: ballot {code} opened; the board shows it encrypted {}",
            choices
                .iter()
                .map(|c| c.join(", "))
                .collect::<Vec<_>>()
                .join("; ")
        );
    }
    if let Some(board) = outcome.open_board {
        println!();
        println!("Voter page: {}/", board.url);
        println!("Admin token: {}", outcome.admin_token);
        if let Some(p) = &outcome.codes_file {
            println!("Unused voting codes: {}", p.display());
        }
        println!(
            "The election stays open; close it with `psephos admin close --board {} --token {}`.",
            board.url, outcome.admin_token
        );
        println!(
            "Then decrypt with any {} trustees (PSEPHOS_PASSPHRASE=\"{}\"):",
            options.threshold,
            demo::DEMO_PASSPHRASE
        );
        for (i, t) in outcome.trustee_tokens.iter().enumerate() {
            println!(
                "  psephos trustee decrypt --board {} --token {t} --key {}",
                board.url,
                outcome
                    .trustees_dir
                    .join(format!("trustee-{}.key", i + 1))
                    .display()
            );
        }
        println!(
            "and run `psephos tally --board {} --token {}`.",
            board.url, outcome.admin_token
        );
        println!("Ctrl-C stops serving (and closes nothing).");
        if options.database.is_none() {
            println!(
                "After Ctrl-C, serve it again with PSEPHOS_BOARD_PASSPHRASE=\"{}\" psephos serve --data {}",
                demo::DEMO_PASSPHRASE,
                options.out.join("board").display()
            );
        }
        let mut board = board;
        let stop = board.shutdown_handle();
        tokio::signal::ctrl_c().await?;
        if let Some(tx) = stop {
            let _ = tx.send(());
        }
        board.wait().await?;
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "Decrypted by trustees {:?} of {} (the others stayed away)",
        outcome.decrypting_trustees, options.trustees
    );
    println!();
    if let Some(result) = &outcome.result {
        print!("{}", admin::format_result(result));
    }
    let mut ok = true;
    if let Some((passed, lines)) = &outcome.verification {
        println!();
        println!(
            "Verification of the published record in {}:",
            outcome
                .record_dir
                .as_deref()
                .map(|p| p.display().to_string())
                .unwrap_or_default()
        );
        for line in lines {
            println!("{line}");
        }
        println!(
            "{}",
            if *passed {
                "VERIFIED: every check passed."
            } else {
                "NOT VERIFIED"
            }
        );
        ok = *passed;
    }
    println!("Done in {:.1}s.", outcome.elapsed.as_secs_f64());
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
