//! Voting from the command line: the same steps as the voter's web page.
//!
//! The voting code is turned into the credential locally; the board sees only the public
//! credential, the encrypted ballot and its proofs.

use std::time::Duration;

use psephos_crypto::contest::BALLOT_ID_LEN;
use psephos_crypto::group::{Element, FixedBase};
use psephos_crypto::nonce::BallotSeed;
use psephos_record::evidence::{self, CheckedElection, Claimed, EvidenceError};
use psephos_record::{Ballot, Credential, Manifest, PendingBallot, Phase, Receipt, ReceiptKind};
use rand_core::{OsRng, RngCore};
use thiserror::Error;

use crate::client::{ApiError, ChallengeAnswer, Client, ElectionStatus};

/// Why a vote was not cast.
#[derive(Debug, Error)]
pub enum VoteError {
    /// The board refused or could not be reached.
    #[error(transparent)]
    Api(#[from] ApiError),
    /// The choices do not fit the ballot.
    #[error("{0}")]
    Choice(String),
    /// The voting code is malformed.
    #[error("{0}")]
    Code(String),
    /// The election is not open.
    #[error("{0}")]
    NotOpen(String),
    /// The board's receipt or challenge answer does not check out.
    #[error("the board's answer does not check out: {0}")]
    BadReceipt(String),
    /// The election the board served does not check out against its signed log: nothing
    /// was encrypted.
    #[error("refusing to encrypt: {0}")]
    Election(EvidenceError),
}

/// Turns option names into the 0/1 vectors of a ballot.
///
/// A name is looked up in every question; a name that several questions share is written
/// `N:name` with N the question's number (from 1).
pub fn parse_choices(manifest: &Manifest, names: &[String]) -> Result<Vec<Vec<u64>>, VoteError> {
    let mut choices: Vec<Vec<u64>> = manifest
        .questions
        .iter()
        .map(|q| vec![0; q.options.len()])
        .collect();
    let valid = || {
        manifest
            .questions
            .iter()
            .enumerate()
            .map(|(i, q)| {
                format!(
                    "question {} ({}): {}",
                    i + 1,
                    q.title,
                    q.options
                        .iter()
                        .map(|o| format!("{o:?}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })
            .collect::<Vec<_>>()
            .join("; ")
    };
    for name in names {
        let explicit = name
            .split_once(':')
            .and_then(|(n, rest)| n.trim().parse::<usize>().ok().map(|n| (n, rest)))
            .filter(|(n, _)| *n >= 1 && *n <= manifest.questions.len());
        let hits: Vec<(usize, usize)> = match explicit {
            Some((n, rest)) => manifest.questions[n - 1]
                .options
                .iter()
                .position(|o| o == rest)
                .map(|o| vec![(n - 1, o)])
                .unwrap_or_default(),
            None => manifest
                .questions
                .iter()
                .enumerate()
                .filter_map(|(q, question)| {
                    question
                        .options
                        .iter()
                        .position(|o| o == name)
                        .map(|o| (q, o))
                })
                .collect(),
        };
        match hits.as_slice() {
            [] => return Err(VoteError::Choice(format!("{name:?} is not an option of this election. Valid options: {}", valid()))),
            [(q, o)] => {
                if choices[*q][*o] == 1 {
                    return Err(VoteError::Choice(format!("{name:?} is chosen twice")));
                }
                choices[*q][*o] = 1;
            }
            _ => {
                return Err(VoteError::Choice(format!(
                    "{name:?} is an option of several questions; write N:{name} with N the question's number. Valid options: {}",
                    valid()
                )))
            }
        }
    }
    for (q, question) in manifest.questions.iter().enumerate() {
        let chosen: u64 = choices[q].iter().sum();
        if chosen < question.min_selections || chosen > question.max_selections {
            let rule = if question.min_selections == question.max_selections {
                format!("exactly {}", question.min_selections)
            } else {
                format!(
                    "between {} and {}",
                    question.min_selections, question.max_selections
                )
            };
            return Err(VoteError::Choice(format!(
                "question {} ({}) needs {rule} choice(s); you gave {chosen}. Valid options: {}",
                q + 1,
                question.title,
                valid()
            )));
        }
    }
    Ok(choices)
}

/// The fetch-and-check step, before anything is encrypted: the board's evidence
/// (`GET /api/election/evidence`) checked against what its status claimed, by the one rule
/// the web page uses too ([`psephos_record::evidence::check_election`]).
pub async fn fetch_checked_election(
    client: &Client,
    status: &ElectionStatus,
) -> Result<CheckedElection, VoteError> {
    let evidence = client.election_evidence().await?;
    let bundle = status.web_bundle_hash.map(|h| h.0);
    let claimed = Claimed {
        manifest_text: None,
        base_hash: Some(&status.base_hash),
        board_key: Some(&status.board_key),
        election_hash: status.election_hash.as_ref().map(|h| &h.0),
        joint_key: status.joint_key.as_ref().map(|k| k.as_bytes()),
        web_bundle_hash: bundle.as_ref(),
    };
    evidence::check_election(&evidence, &claimed).map_err(VoteError::Election)
}

/// An election as a voter's device sees it, fetched and checked once.
pub struct VoterView {
    /// The board's status.
    pub status: ElectionStatus,
    /// The manifest of the log's entry 0 (hashes to H_B).
    pub manifest: Manifest,
    /// H_E, checked against the signed log.
    pub election_hash: [u8; 32],
    /// K, checked against the signed log, prepared for fast encryption.
    pub key: FixedBase,
    /// What the check established (the fingerprint among it).
    pub checked: CheckedElection,
}

impl VoterView {
    /// Fetches the election and checks it against the board's signed log; fails unless it
    /// is open and checks out.
    pub async fn fetch(client: &Client) -> Result<Self, VoteError> {
        let status = client.election().await?;
        if status.phase != Phase::Open {
            return Err(VoteError::NotOpen(match status.phase {
                Phase::Empty | Phase::Ceremony => "the election is not open for voting yet".into(),
                _ => "the election is closed: no more ballots are accepted".into(),
            }));
        }
        let checked = fetch_checked_election(client, &status).await?;
        Ok(VoterView {
            election_hash: checked.election_hash,
            key: FixedBase::new(checked.joint_key),
            manifest: checked.manifest.clone(),
            status,
            checked,
        })
    }

    /// The election fingerprint (docs/spec.md §7.2), to show the voter.
    pub fn fingerprint(&self) -> &str {
        &self.checked.fingerprint
    }

    /// The joint key K.
    pub fn joint_key(&self) -> &Element {
        self.key.element()
    }

    /// Derives the credential of a voting code.
    pub fn credential(&self, code: &str) -> Result<Credential, VoteError> {
        Credential::from_code(&self.status.base_hash, code)
            .map_err(|e| VoteError::Code(e.to_string()))
    }

    /// Encrypts a fresh ballot for `credential` (random ballot id, seed and blinding), signed
    /// by nobody yet: the voter then casts it ([`PendingBallot::cast`]) or challenges it
    /// ([`challenge`]).
    pub fn encrypt(
        &self,
        credential: &Credential,
        choices: &[Vec<u64>],
    ) -> Result<PendingBallot, VoteError> {
        let seed = BallotSeed::random(&mut OsRng);
        let mut blinding = [0u8; 32];
        OsRng.fill_bytes(&mut blinding);
        let mut ballot_id = [0u8; BALLOT_ID_LEN];
        OsRng.fill_bytes(&mut ballot_id);
        PendingBallot::encrypt(
            &self.manifest,
            &self.election_hash,
            &self.key,
            credential.public(),
            ballot_id,
            choices.to_vec(),
            seed,
            blinding,
        )
        .map_err(|e| VoteError::Choice(e.to_string()))
    }

    /// Encrypts a fresh ballot and casts it at once (its seed is dropped, zeroized).
    pub fn make_ballot(
        &self,
        credential: &Credential,
        choices: &[Vec<u64>],
    ) -> Result<Ballot, VoteError> {
        self.encrypt(credential, choices)?
            .cast(&self.election_hash, credential)
            .map_err(|e| VoteError::Choice(e.to_string()))
    }

    /// Checks a receipt against the ballot it is for.
    pub fn check_receipt(&self, ballot: &Ballot, receipt: &Receipt) -> Result<(), VoteError> {
        receipt
            .verify_for(
                &self.manifest.board_key,
                &self.status.base_hash,
                ReceiptKind::Ballot,
                &ballot.ballot_id,
                &ballot.tracking_code(&self.election_hash),
            )
            .map_err(|e| VoteError::BadReceipt(e.to_string()))
    }
}

/// Posts a ballot, retrying on network errors and rate limiting (the same ballot always gets
/// the same receipt, so a retry cannot cast twice), and checks the receipt.
pub async fn cast(
    client: &Client,
    view: &VoterView,
    ballot: &Ballot,
) -> Result<Receipt, VoteError> {
    let mut delay = Duration::from_millis(200);
    let mut attempt = 0;
    let receipt = loop {
        attempt += 1;
        match client.post_ballot(ballot).await {
            Ok(r) => break r,
            Err(e) if e.is_transient() && attempt < 8 => {
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(5));
            }
            Err(e) => return Err(e.into()),
        }
    };
    view.check_receipt(ballot, &receipt)?;
    Ok(receipt)
}

/// Challenges (spoils) an encrypted ballot: signs it with its one-time ballot key (never the
/// credential), reveals its seed and choices, and checks the board's answer: a signed receipt
/// of kind `challenged` for this ballot, and the option names it encrypted, which must be the
/// voter's own choices.
pub async fn challenge(
    client: &Client,
    view: &VoterView,
    pending: PendingBallot,
) -> Result<ChallengeAnswer, VoteError> {
    let challenged = pending.challenge(&view.election_hash);
    let expected = challenged.chosen_options(&view.manifest);
    let answer = client.post_challenge(&challenged).await?;
    if answer.choices != expected {
        return Err(VoteError::BadReceipt(format!(
            "the board says the ballot encrypted {:?}, but it was made for {:?}",
            answer.choices, expected
        )));
    }
    answer
        .receipt
        .verify_for(
            &view.manifest.board_key,
            &view.status.base_hash,
            ReceiptKind::Challenged,
            &challenged.ballot_id,
            &challenged.tracking_code(&view.election_hash),
        )
        .map_err(|e| VoteError::BadReceipt(e.to_string()))?;
    Ok(answer)
}

/// What `psephos vote` did.
pub enum VoteOutcome {
    /// The ballot was cast.
    Cast {
        /// The checked receipt.
        receipt: Box<Receipt>,
    },
    /// The ballot was challenged (nothing cast).
    Challenged {
        /// The board's answer.
        answer: Box<ChallengeAnswer>,
    },
}

/// The whole of `psephos vote`: fetch, derive, encrypt, cast (or challenge), check.
pub async fn vote(
    client: &Client,
    code: &str,
    choice_names: &[String],
    challenge_only: bool,
) -> Result<(VoterView, VoteOutcome), VoteError> {
    let view = VoterView::fetch(client).await?;
    let choices = parse_choices(&view.manifest, choice_names)?;
    // Checked first, so a mistyped code is reported before anything is encrypted.
    let credential = view.credential(code)?;
    let pending = view.encrypt(&credential, &choices)?;
    if challenge_only {
        // The credential signs nothing: the spoiled ballot is not linked to the member.
        drop(credential);
        let answer = challenge(client, &view, pending).await?;
        return Ok((
            view,
            VoteOutcome::Challenged {
                answer: Box::new(answer),
            },
        ));
    }
    // Cast: the seed (and with it the ballot key) is erased as the credential signs.
    let ballot = pending
        .cast(&view.election_hash, &credential)
        .map_err(|e| VoteError::Choice(e.to_string()))?;
    let receipt = cast(client, &view, &ballot).await?;
    Ok((
        view,
        VoteOutcome::Cast {
            receipt: Box::new(receipt),
        },
    ))
}
