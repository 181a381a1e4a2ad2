//! `psephos admin status`: where the election is, read from the board's log — which trustee
//! has done which step of the ceremony and of the decryption, how many voters (not ballots)
//! have voted — and said in words, so that a closed election waiting for its trustees is never
//! reported as "tallied".

use std::collections::{BTreeMap, HashSet};

use psephos_record::entry::{Entry, LineError};
use psephos_record::Phase;

use crate::client::{ApiError, Client};

/// What one trustee has posted.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrusteeSteps {
    /// Transport key.
    pub key: bool,
    /// Coefficient commitments.
    pub commitments: bool,
    /// Encrypted shares to the others.
    pub shares: bool,
    /// Complaints this trustee made.
    pub complaints_made: u32,
    /// Acceptance (the ceremony is complete for this trustee).
    pub acceptance: bool,
    /// Partial decryption of the tally.
    pub decryption: bool,
}

/// The election's progress, from its log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Progress {
    /// Title.
    pub title: String,
    /// Election id.
    pub election_id: String,
    /// Phase.
    pub phase: Phase,
    /// n.
    pub trustees: u32,
    /// t.
    pub threshold: u32,
    /// Announced opening time.
    pub opens_at: Option<String>,
    /// Closing time.
    pub closes_at: Option<String>,
    /// Trustee index (1..=n) → steps.
    pub steps: BTreeMap<u32, TrusteeSteps>,
    /// Credentials on the roll.
    pub roll: u64,
    /// Distinct credentials that cast at least one ballot.
    pub voters: u64,
    /// Cast ballot entries (revotes included).
    pub ballots: u64,
    /// Challenged (spoiled) ballots.
    pub challenged: u64,
    /// Log entries.
    pub log_size: u64,
}

/// Why the progress could not be read.
#[derive(Debug, thiserror::Error)]
pub enum StatusError {
    /// The board refused or could not be reached.
    #[error(transparent)]
    Api(#[from] ApiError),
    /// A log line does not check.
    #[error("log entry {seq}: {why}")]
    Line {
        /// The entry.
        seq: u64,
        /// What is wrong.
        why: LineError,
    },
    /// The log does not start with the manifest.
    #[error("the board's log does not start with the manifest")]
    NoManifest,
}

impl Progress {
    /// Reads the whole log from the board.
    pub async fn fetch(client: &Client) -> Result<Progress, StatusError> {
        let status = client.election().await?;
        let lines = client.log_all(0).await?;
        let mut entries = Vec::with_capacity(lines.len());
        for line in &lines {
            entries.push(
                line.checked_entry()
                    .map_err(|why| StatusError::Line { seq: line.seq, why })?,
            );
        }
        Progress::from_entries(status.phase, &entries)
    }

    /// The progress an ordered log shows; `phase` is the board's.
    pub fn from_entries(phase: Phase, entries: &[Entry]) -> Result<Progress, StatusError> {
        let Some(Entry::Manifest(manifest)) = entries.first() else {
            return Err(StatusError::NoManifest);
        };
        let mut steps: BTreeMap<u32, TrusteeSteps> = (1..=manifest.trustees)
            .map(|i| (i, TrusteeSteps::default()))
            .collect();
        let mut roll = 0u64;
        let mut voters = HashSet::new();
        let (mut ballots, mut challenged) = (0u64, 0u64);
        for entry in entries {
            match entry {
                Entry::TrusteeKey(k) => steps.entry(k.index).or_default().key = true,
                Entry::Commitments(c) => steps.entry(c.trustee).or_default().commitments = true,
                Entry::Shares(s) => steps.entry(s.from).or_default().shares = true,
                Entry::Complaint(c) => steps.entry(c.by).or_default().complaints_made += 1,
                Entry::Acceptance(a) => steps.entry(a.trustee).or_default().acceptance = true,
                Entry::Decryption(d) => steps.entry(d.trustee).or_default().decryption = true,
                Entry::Roll(r) => roll += r.credentials.len() as u64,
                Entry::Ballot(b) => {
                    ballots += 1;
                    voters.insert(b.ballot.credential);
                }
                Entry::Challenged(_) => challenged += 1,
                _ => {}
            }
        }
        Ok(Progress {
            title: manifest.title.clone(),
            election_id: manifest.election_id.clone(),
            phase,
            trustees: manifest.trustees,
            threshold: manifest.threshold,
            opens_at: manifest.opens_at.clone(),
            closes_at: manifest.closes_at.clone(),
            steps,
            roll,
            voters: voters.len() as u64,
            ballots,
            challenged,
            log_size: entries.len() as u64,
        })
    }

    /// Partial decryptions posted.
    pub fn decryptions(&self) -> u32 {
        self.steps.values().filter(|s| s.decryption).count() as u32
    }

    /// The phase in words (never "tallied" while the trustees have yet to decrypt).
    pub fn phase_words(&self) -> String {
        match self.phase {
            Phase::Empty => "empty: no election in this store".into(),
            Phase::Ceremony => {
                let done = self.steps.values().filter(|s| s.acceptance).count();
                format!(
                    "key ceremony: {done} of {} trustees have completed it; then the roll and \
                     `psephos admin open`",
                    self.trustees
                )
            }
            Phase::Open => "open: voting is in progress".into(),
            Phase::Closed => "closed: the board is adding up the encrypted ballots".into(),
            Phase::Tallied => format!(
                "closed, waiting for the trustees: {} of the {} partial decryptions needed are \
                 posted{}",
                self.decryptions().min(self.threshold),
                self.threshold,
                if self.decryptions() >= self.threshold {
                    "; next: `psephos tally`"
                } else {
                    "; next: trustees run `psephos trustee decrypt`"
                }
            ),
            Phase::Finished => "finished: the result is published on the board".into(),
        }
    }

    /// The report `psephos admin status` prints.
    pub fn report(&self) -> String {
        let mut out = format!("{} ({})\n", self.title, self.election_id);
        out.push_str(&format!("phase:    {}\n", self.phase_words()));
        if self.opens_at.is_some() || self.closes_at.is_some() {
            out.push_str(&format!(
                "opens:    {}\ncloses:   {}\n",
                self.opens_at
                    .as_deref()
                    .unwrap_or("when the administrator opens it"),
                self.closes_at
                    .as_deref()
                    .unwrap_or("when the administrator closes it")
            ));
        }
        out.push_str(&format!(
            "voters:   {} of {} on the roll have voted ({} ballots cast, revotes included; {} challenged)\n",
            self.voters, self.roll, self.ballots, self.challenged
        ));
        out.push_str(&format!(
            "trustees: {} (any {} can decrypt)\n",
            self.trustees, self.threshold
        ));
        let mark = |b: bool| if b { "done" } else { "-" };
        out.push_str("  trustee  key   commitments  shares  acceptance  decryption\n");
        for (i, s) in &self.steps {
            out.push_str(&format!(
                "  {:>7}  {:<4}  {:<11}  {:<6}  {:<10}  {}{}\n",
                i,
                mark(s.key),
                mark(s.commitments),
                mark(s.shares),
                mark(s.acceptance),
                mark(s.decryption),
                if s.complaints_made > 0 {
                    format!("  ({} complaints made)", s.complaints_made)
                } else {
                    String::new()
                }
            ));
        }
        out.push_str(&format!("log:      {} entries\n", self.log_size));
        out
    }
}
