//! The administrator's steps: the manifest, the roll of credentials, opening, closing, the
//! result and publishing the record.

use std::path::Path;

use psephos_record::entry::{HexKey, ResultEntry};
use psephos_record::{Credential, Manifest, Question, RevotePolicy};
use rand_core::OsRng;
use rayon::prelude::*;
use serde::Deserialize;
use thiserror::Error;
use zeroize::Zeroizing;

use crate::client::{ApiError, Client, RECORD_FILES};

/// Credentials per `POST /api/admin/roll`.
pub const ROLL_POST_CHUNK: usize = 1000;

/// Why an admin step failed.
#[derive(Debug, Error)]
pub enum AdminError {
    /// The board refused or could not be reached.
    #[error(transparent)]
    Api(#[from] ApiError),
    /// A local file problem.
    #[error("{0}")]
    File(String),
    /// The manifest is not acceptable.
    #[error("the manifest is not valid: {0}")]
    Manifest(String),
    /// The manifest's closing time has passed: the election could not take a single ballot.
    #[error(
        "the closing time closes_at = {closes_at:?} has passed: voters would see a ballot form \
         and every ballot would be refused. Set a closing time in the future in the manifest \
         (or pass --force to {action} all the same)"
    )]
    ClosingTimePassed {
        /// The manifest's closes_at.
        closes_at: String,
        /// What --force would do.
        action: &'static str,
    },
    /// `publish` before the result: the record would be incomplete.
    #[error(
        "there is no result to publish yet (the election is {phase}); nothing was written. \
         Publish after `psephos tally`"
    )]
    NoResultYet {
        /// The phase, in words.
        phase: String,
    },
    /// A step that cannot be undone was not confirmed.
    #[error("{0}")]
    NotConfirmed(String),
}

/// Checks the manifest's times: each must be an RFC 3339 date-time, and the closing time must
/// not have passed (unless `force`; `action` says what --force would do, for the message).
pub fn check_times(
    manifest: &Manifest,
    force: bool,
    action: &'static str,
) -> Result<(), AdminError> {
    for (field, value) in [
        ("opens_at", &manifest.opens_at),
        ("closes_at", &manifest.closes_at),
    ] {
        if let Some(v) = value {
            if psephos_board::time::parse_rfc3339(v).is_none() {
                return Err(AdminError::Manifest(format!(
                    "{field} {v:?} is not an RFC 3339 date-time (e.g. 2026-11-23T18:00:00Z)"
                )));
            }
        }
    }
    if !force && psephos_board::time::has_passed(manifest.closes_at.as_deref()) {
        return Err(AdminError::ClosingTimePassed {
            closes_at: manifest.closes_at.clone().unwrap_or_default(),
            action,
        });
    }
    Ok(())
}

/// Asks `question` on the terminal and returns whether the answer was yes. Without a terminal
/// it asks nothing and fails, telling the user to pass `yes_flag`.
pub fn confirm(question: &str, yes_flag: &str) -> Result<(), AdminError> {
    use std::io::{BufRead, IsTerminal, Write};
    if !std::io::stdin().is_terminal() {
        return Err(AdminError::NotConfirmed(format!(
            "this step cannot be undone and asks for confirmation, but there is no terminal to \
             ask on: pass {yes_flag} to go ahead"
        )));
    }
    eprint!("{question} [y/N] ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| AdminError::NotConfirmed(format!("cannot read the answer: {e}")))?;
    if is_yes(&answer) {
        Ok(())
    } else {
        Err(AdminError::NotConfirmed(
            "not confirmed; nothing was done".into(),
        ))
    }
}

/// "y" or "yes", in any case, with spaces around.
pub fn is_yes(answer: &str) -> bool {
    matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes")
}

/// The manifest as the administrator writes it (election.toml).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestToml {
    /// Title shown to voters.
    pub title: String,
    /// A short identifier.
    pub election_id: String,
    /// The questions.
    pub questions: Vec<QuestionToml>,
    /// "last_counts" (default) or "reject".
    #[serde(default)]
    pub revote_policy: RevotePolicy,
    /// Announced opening time, RFC 3339.
    #[serde(default)]
    pub opens_at: Option<String>,
    /// Closing time, RFC 3339.
    #[serde(default)]
    pub closes_at: Option<String>,
    /// Number of trustees n.
    pub trustees: u32,
    /// Threshold t.
    pub threshold: u32,
    /// Largest tally searched per option.
    #[serde(default = "default_max_tally")]
    pub max_tally: u64,
}

fn default_max_tally() -> u64 {
    10_000_000
}

/// One question in election.toml.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuestionToml {
    /// The question.
    pub title: String,
    /// The options.
    pub options: Vec<String>,
    /// Fewest selections (default 1).
    #[serde(default = "one")]
    pub min_selections: u64,
    /// Most selections (default 1).
    #[serde(default = "one")]
    pub max_selections: u64,
}

fn one() -> u64 {
    1
}

impl ManifestToml {
    /// Parses election.toml.
    pub fn parse(text: &str) -> Result<Self, AdminError> {
        toml::from_str(text).map_err(|e| AdminError::Manifest(e.to_string()))
    }

    /// The manifest; the board key is filled in by the board at init.
    pub fn into_manifest(self) -> Manifest {
        Manifest {
            version: psephos_crypto::transcript::PROTOCOL_VERSION,
            election_id: self.election_id,
            title: self.title,
            questions: self
                .questions
                .into_iter()
                .map(|q| Question {
                    title: q.title,
                    options: q.options,
                    min_selections: q.min_selections,
                    max_selections: q.max_selections,
                })
                .collect(),
            revote_policy: self.revote_policy,
            opens_at: self.opens_at,
            closes_at: self.closes_at,
            trustees: self.trustees,
            threshold: self.threshold,
            board_key: PLACEHOLDER_BOARD_KEY,
            max_tally: self.max_tally,
        }
    }
}

/// A valid Ed25519 point standing in for the board key until the board sets its own.
pub const PLACEHOLDER_BOARD_KEY: [u8; 32] = [
    0x58, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
    0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
];

/// One member of the association, as in members.csv.
#[derive(Clone, Debug, Deserialize, serde::Serialize)]
pub struct Member {
    /// The association's own id.
    pub member_id: String,
    /// Name (stays with the administrator).
    pub name: String,
    /// Email (stays with the administrator).
    pub email: String,
}

/// A member with their voting code, for the mail merge.
#[derive(Clone, Debug, serde::Serialize, Deserialize)]
pub struct IssuedCode {
    /// The association's own id.
    pub member_id: String,
    /// Name.
    pub name: String,
    /// Email.
    pub email: String,
    /// The voting code.
    pub voting_code: String,
}

impl Drop for IssuedCode {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.voting_code);
    }
}

/// Reads members.csv (header `member_id,name,email`).
pub fn read_members(path: &Path) -> Result<Vec<Member>, AdminError> {
    let mut reader = csv::Reader::from_path(path)
        .map_err(|e| AdminError::File(format!("{}: {e}", path.display())))?;
    let mut members = Vec::new();
    for (i, row) in reader.deserialize().enumerate() {
        let m: Member = row.map_err(|e| {
            AdminError::File(format!(
                "{} row {}: {e} (expected columns member_id,name,email)",
                path.display(),
                i + 2
            ))
        })?;
        members.push(m);
    }
    let mut ids: Vec<&str> = members.iter().map(|m| m.member_id.as_str()).collect();
    ids.sort_unstable();
    if let Some(w) = ids.windows(2).find(|w| w[0] == w[1]) {
        return Err(AdminError::File(format!(
            "{}: member_id {:?} appears twice",
            path.display(),
            w[0]
        )));
    }
    Ok(members)
}

/// Generates a voting code per member and derives its credential for the election with base
/// hash `base` (in parallel).
pub fn issue_codes(
    base: &[u8; 32],
    members: &[Member],
) -> Result<(Vec<IssuedCode>, Vec<HexKey>), AdminError> {
    let codes: Vec<Zeroizing<String>> = members
        .iter()
        .map(|_| psephos_record::credential::generate_code(&mut OsRng))
        .collect();
    let credentials = codes
        .par_iter()
        .map(|code| {
            Credential::from_code(base, code)
                .map(|c| HexKey(c.public()))
                .map_err(|e| AdminError::File(e.to_string()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let issued = members
        .iter()
        .zip(&codes)
        .map(|(m, code)| IssuedCode {
            member_id: m.member_id.clone(),
            name: m.name.clone(),
            email: m.email.clone(),
            voting_code: code.to_string(),
        })
        .collect();
    Ok((issued, credentials))
}

/// Writes the codes file (mode 0600, never over an existing file).
pub fn write_codes(path: &Path, issued: &[IssuedCode]) -> Result<(), AdminError> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    for row in issued {
        writer
            .serialize(row)
            .map_err(|e| AdminError::File(e.to_string()))?;
    }
    let bytes = Zeroizing::new(
        writer
            .into_inner()
            .map_err(|e| AdminError::File(e.to_string()))?,
    );
    crate::keyfile::write_private(path, &bytes, true).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            AdminError::File(format!(
                "{} already exists; refusing to overwrite voting codes",
                path.display()
            ))
        } else {
            AdminError::File(format!("{}: {e}", path.display()))
        }
    })
}

/// The requests that put `credentials` on the roll: sorted by credential, then cut into
/// requests of [`ROLL_POST_CHUNK`]. Posting members.csv's order, even in sorted chunks, would
/// tell anyone who knows that order (often alphabetical) which block of members a
/// credential belongs to; sorted, the roll carries no information (docs/spec.md §7.3).
pub fn roll_requests(credentials: &[HexKey]) -> Vec<Vec<HexKey>> {
    let mut sorted = credentials.to_vec();
    sorted.sort_unstable();
    sorted
        .chunks(ROLL_POST_CHUNK)
        .map(<[HexKey]>::to_vec)
        .collect()
}

/// Posts credentials to the roll in roll order ([`roll_requests`]); `progress(done)` after
/// each request.
pub async fn post_roll(
    client: &Client,
    credentials: &[HexKey],
    progress: impl Fn(usize),
) -> Result<(), AdminError> {
    let mut done = 0;
    for chunk in roll_requests(credentials) {
        client.post_roll(&chunk).await?;
        done += chunk.len();
        progress(done);
    }
    Ok(())
}

/// `psephos admin roll`: codes for every member, credentials to the board, codes to a file.
/// The codes file is written before anything is posted, so no code is ever lost.
pub async fn roll(
    client: &Client,
    members_csv: &Path,
    codes_out: &Path,
    progress: impl Fn(usize),
) -> Result<usize, AdminError> {
    if codes_out.exists() {
        return Err(AdminError::File(format!(
            "{} already exists; refusing to overwrite voting codes",
            codes_out.display()
        )));
    }
    let members = read_members(members_csv)?;
    let status = client.election().await?;
    let (issued, credentials) = issue_codes(&status.base_hash, &members)?;
    write_codes(codes_out, &issued)?;
    post_roll(client, &credentials, progress).await?;
    Ok(members.len())
}

/// Waits (up to 30 s) until the board has signed a checkpoint covering its whole log: the
/// board signs checkpoints in the background, and a record whose last entries no checkpoint
/// covers does not verify.
pub async fn wait_for_final_checkpoint(client: &Client) -> Result<(), AdminError> {
    let start = std::time::Instant::now();
    loop {
        let status = client.election().await?;
        let covered = match client.latest_checkpoint().await {
            Ok(cp) => cp.tree_size,
            Err(e) if e.code().is_some() => 0,
            Err(e) => return Err(e.into()),
        };
        if covered >= status.log_size {
            return Ok(());
        }
        if start.elapsed() > std::time::Duration::from_secs(30) {
            return Err(AdminError::File(format!(
                "the board has not signed a checkpoint of its whole log ({covered} of {} entries covered); try again later",
                status.log_size
            )));
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// Downloads the five files of the record into `dir`: only once the result is on the board,
/// and all or nothing (the files are downloaded into a temporary directory inside `dir`, then
/// moved into place), so a failed or early publish leaves no partial record behind.
pub async fn publish(client: &Client, dir: &Path) -> Result<Vec<(String, u64)>, AdminError> {
    let status = client.election().await?;
    if status.phase != psephos_record::Phase::Finished {
        return Err(AdminError::NoResultYet {
            phase: phase_in_words(status.phase).into(),
        });
    }
    wait_for_final_checkpoint(client).await?;
    let file_error =
        |what: &Path, e: std::io::Error| AdminError::File(format!("{}: {e}", what.display()));
    std::fs::create_dir_all(dir).map_err(|e| file_error(dir, e))?;
    let staging = tempfile::Builder::new()
        .prefix(".publishing-")
        .tempdir_in(dir)
        .map_err(|e| file_error(dir, e))?;
    let mut out = Vec::new();
    for file in RECORD_FILES {
        let bytes = client
            .download_record_file(file, &staging.path().join(file))
            .await?;
        out.push((file.to_string(), bytes));
    }
    for file in RECORD_FILES {
        std::fs::rename(staging.path().join(file), dir.join(file))
            .map_err(|e| file_error(&dir.join(file), e))?;
    }
    Ok(out)
}

/// A phase in a few words, for messages.
pub fn phase_in_words(phase: psephos_record::Phase) -> &'static str {
    use psephos_record::Phase;
    match phase {
        Phase::Empty => "not created",
        Phase::Ceremony => "in its key ceremony",
        Phase::Open => "open for voting",
        Phase::Closed => "closed",
        Phase::Tallied => "closed, waiting for the trustees' decryptions",
        Phase::Finished => "finished",
    }
}

/// Asks the board to combine the decryptions and returns the result.
pub async fn tally(client: &Client) -> Result<ResultEntry, AdminError> {
    match client.admin("result").await {
        Ok(_) => {}
        Err(e) if e.code() == Some("wrong_phase") || e.code() == Some("already_posted") => {
            // Already tallied: the result stands; anything else is reported below.
            if let Ok(r) = client.result().await {
                return Ok(r);
            }
            return Err(e.into());
        }
        Err(e) => return Err(e.into()),
    }
    Ok(client.result().await?)
}

/// The result as a table.
pub fn format_result(result: &ResultEntry) -> String {
    let mut out = String::new();
    for q in &result.questions {
        out.push_str(&format!("{}\n", q.title));
        let width = q
            .options
            .iter()
            .map(|o| o.name.chars().count())
            .max()
            .unwrap_or(0)
            .max(6);
        let total: u64 = q.options.iter().map(|o| o.votes).sum();
        for o in &q.options {
            let pct = if total == 0 {
                0.0
            } else {
                100.0 * o.votes as f64 / total as f64
            };
            out.push_str(&format!(
                "  {:<width$}  {:>7}  {:>6.2}%\n",
                o.name, o.votes, pct
            ));
        }
    }
    let t = &result.turnout;
    out.push_str(&format!(
        "Turnout: {} of {} eligible voted ({}%)\n",
        t.voted, t.eligible, t.percentage
    ));
    let mut trustees = result.trustees.clone();
    trustees.sort_unstable();
    out.push_str(&format!(
        "Decrypted by trustees {}\n",
        trustees
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_from_toml() {
        let m = ManifestToml::parse(
            r#"
title = "Nomination"
election_id = "sha-2016"
trustees = 3
threshold = 2
[[questions]]
title = "Who?"
options = ["Owen Smith", "Jeremy Corbyn", "Neither"]
"#,
        )
        .unwrap()
        .into_manifest();
        assert_eq!(m.max_tally, 10_000_000);
        assert_eq!(m.revote_policy, RevotePolicy::LastCounts);
        assert_eq!(m.questions[0].max_selections, 1);
        m.validate().unwrap();
        assert!(ManifestToml::parse("title = 1").is_err());
    }

    #[test]
    fn the_roll_is_posted_sorted_by_credential_not_in_members_order() {
        let members: Vec<Member> = (0..2 * ROLL_POST_CHUNK + 7)
            .map(|i| Member {
                member_id: format!("m{i:05}"),
                name: format!("Member {i:05}"),
                email: format!("m{i}@example.org"),
            })
            .collect();
        let (issued, creds) = issue_codes(&[3u8; 32], &members).unwrap();
        // The codes stay in members.csv order (they go to the mail merge)…
        assert!(issued
            .iter()
            .zip(&members)
            .all(|(c, m)| c.member_id == m.member_id));
        // … while the credentials derived from them are in no particular order…
        assert!(creds.windows(2).any(|w| w[0] > w[1]));
        // … and are posted sorted, across requests too, each request at most a chunk.
        let requests = roll_requests(&creds);
        assert_eq!(requests.len(), 3);
        assert!(requests.iter().all(|r| r.len() <= ROLL_POST_CHUNK));
        let posted: Vec<HexKey> = requests.concat();
        assert_eq!(posted.len(), creds.len());
        assert!(posted.windows(2).all(|w| w[0] < w[1]));
        let mut expected = creds.clone();
        expected.sort_unstable();
        assert_eq!(posted, expected);
    }

    #[test]
    fn codes_file_is_private_and_never_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let members = vec![Member {
            member_id: "1".into(),
            name: "A".into(),
            email: "a@example.org".into(),
        }];
        let (issued, creds) = issue_codes(&[3u8; 32], &members).unwrap();
        assert_eq!(creds.len(), 1);
        let path = dir.path().join("codes.csv");
        write_codes(&path, &issued).unwrap();
        assert!(write_codes(&path, &issued).is_err());
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with("member_id,name,email,voting_code\n"));
    }
}
