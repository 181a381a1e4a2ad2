//! The election manifest: what is being decided, by whom, under which rules.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use psephos_crypto::contest::ContestLimits;
use psephos_crypto::transcript::PROTOCOL_VERSION;

use crate::timestamp::parse_timestamp;

/// Whether a second ballot from the same credential replaces the first.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RevotePolicy {
    /// The credential's last ballot counts (Belenios' default; resists coercion a little).
    #[default]
    LastCounts,
    /// A second ballot is rejected.
    Reject,
}

/// One question.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Question {
    /// The question as shown to voters.
    pub title: String,
    /// The options, in ballot order.
    pub options: Vec<String>,
    /// Fewest options a voter must select.
    pub min_selections: u64,
    /// Most options a voter may select.
    pub max_selections: u64,
}

impl Question {
    /// The limits the contest proofs enforce.
    pub fn limits(&self) -> ContestLimits {
        ContestLimits {
            options: self.options.len() as u32,
            min_selections: self.min_selections,
            max_selections: self.max_selections,
        }
    }
}

/// The manifest, entry 0 of the board log. Its exact logged bytes define H_B.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Protocol version (1).
    pub version: u64,
    /// A short identifier, unique per board.
    pub election_id: String,
    /// Title shown to voters.
    pub title: String,
    /// The questions.
    pub questions: Vec<Question>,
    /// Revote policy.
    pub revote_policy: RevotePolicy,
    /// Announced opening time, `YYYY-MM-DDTHH:MM:SSZ` (see [`crate::timestamp`]),
    /// informative: the `open` entry is authoritative.
    pub opens_at: Option<String>,
    /// Announced closing time, `YYYY-MM-DDTHH:MM:SSZ`; the board refuses ballots after it.
    pub closes_at: Option<String>,
    /// Number of trustees n.
    pub trustees: u32,
    /// Threshold t: any t trustees can decrypt the tally.
    pub threshold: u32,
    /// The board's Ed25519 key that signs checkpoints and receipts, hex.
    #[serde(with = "crate::hash::hex32")]
    pub board_key: [u8; 32],
    /// Largest tally the decryption searches for (defaults to 10⁷ per option).
    pub max_tally: u64,
}

/// Why a manifest is not acceptable.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum ManifestError {
    /// Unknown protocol version.
    #[error("unsupported protocol version {0} (this software speaks version 1)")]
    Version(u64),
    /// No questions.
    #[error("the manifest has no questions")]
    NoQuestions,
    /// A question with fewer than one option, or bad limits.
    #[error("question {index} ({title:?}): {why}")]
    BadQuestion {
        /// Question index.
        index: usize,
        /// Its title.
        title: String,
        /// What is wrong.
        why: &'static str,
    },
    /// Threshold out of range.
    #[error("threshold {t} of {n} trustees is invalid (need 1 <= t <= n <= 255)")]
    Threshold {
        /// t.
        t: u32,
        /// n.
        n: u32,
    },
    /// The board key is not a valid Ed25519 key.
    #[error("board key is not a valid Ed25519 public key")]
    BoardKey,
    /// A text the voters read (or the election id) is empty or only white space.
    #[error("{field} is empty (it needs at least one character that is not white space)")]
    Blank {
        /// Which text, e.g. `title`, `questions[0].options[2]`.
        field: String,
    },
    /// `max_tally` is 0: no option could ever receive a vote.
    #[error("max_tally is 0; it must be at least 1")]
    MaxTally,
    /// A time is not in the record's one timestamp form.
    #[error("{field} {value:?} is not a timestamp of the form YYYY-MM-DDTHH:MM:SSZ (UTC, e.g. 2026-11-23T18:00:00Z)")]
    BadTime {
        /// `opens_at` or `closes_at`.
        field: &'static str,
        /// The value.
        value: String,
    },
    /// `closes_at` is not after `opens_at`.
    #[error("closes_at {closes_at:?} is not after opens_at {opens_at:?}")]
    TimesOutOfOrder {
        /// The opening time.
        opens_at: String,
        /// The closing time.
        closes_at: String,
    },
}

/// Whether a text has at least one character that is not white space (Unicode White_Space).
fn blank(text: &str) -> bool {
    text.chars().all(char::is_whitespace)
}

impl Manifest {
    /// Checks the manifest's internal consistency (docs/spec.md §7.6): the one check that the
    /// board (at init and when it reloads its log), the administrator's tool, the voting
    /// clients and the verifier all run.
    pub fn validate(&self) -> Result<(), ManifestError> {
        if self.version != PROTOCOL_VERSION {
            return Err(ManifestError::Version(self.version));
        }
        let must_not_be_blank = |field: String, text: &str| {
            if blank(text) {
                Err(ManifestError::Blank { field })
            } else {
                Ok(())
            }
        };
        must_not_be_blank("election_id".into(), &self.election_id)?;
        must_not_be_blank("title".into(), &self.title)?;
        if self.questions.is_empty() {
            return Err(ManifestError::NoQuestions);
        }
        for (index, q) in self.questions.iter().enumerate() {
            must_not_be_blank(format!("questions[{index}].title"), &q.title)?;
            for (o, name) in q.options.iter().enumerate() {
                must_not_be_blank(format!("questions[{index}].options[{o}]"), name)?;
            }
            let bad = |why| ManifestError::BadQuestion {
                index,
                title: q.title.clone(),
                why,
            };
            if q.options.is_empty() || q.options.len() > 64 {
                return Err(bad("needs between 1 and 64 options"));
            }
            if q.min_selections > q.max_selections || q.max_selections > q.options.len() as u64 {
                return Err(bad(
                    "needs min_selections <= max_selections <= number of options",
                ));
            }
            let mut names: Vec<&String> = q.options.iter().collect();
            names.sort();
            names.dedup();
            if names.len() != q.options.len() {
                return Err(bad("option names must be distinct"));
            }
        }
        psephos_crypto::dkg::check_threshold(self.threshold, self.trustees).map_err(|_| {
            ManifestError::Threshold {
                t: self.threshold,
                n: self.trustees,
            }
        })?;
        // The same key rule as every signature check (§7.4): canonical, not of small order.
        crate::signature::PublicKey::from_bytes(&self.board_key)
            .map_err(|_| ManifestError::BoardKey)?;
        if self.max_tally == 0 {
            return Err(ManifestError::MaxTally);
        }
        let time = |field: &'static str, value: &Option<String>| match value {
            None => Ok(None),
            Some(v) => parse_timestamp(v)
                .map(Some)
                .ok_or_else(|| ManifestError::BadTime {
                    field,
                    value: v.clone(),
                }),
        };
        let opens = time("opens_at", &self.opens_at)?;
        let closes = time("closes_at", &self.closes_at)?;
        if let (Some(o), Some(c)) = (opens, closes) {
            if c <= o {
                return Err(ManifestError::TimesOutOfOrder {
                    opens_at: self.opens_at.clone().unwrap_or_default(),
                    closes_at: self.closes_at.clone().unwrap_or_default(),
                });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest() -> Manifest {
        Manifest {
            version: 1,
            election_id: "agm-2026".into(),
            title: "General assembly".into(),
            questions: vec![Question {
                title: "Board election".into(),
                options: vec!["Alice".into(), "Bob".into()],
                min_selections: 0,
                max_selections: 1,
            }],
            revote_policy: RevotePolicy::LastCounts,
            opens_at: Some("2026-11-23T08:00:00Z".into()),
            closes_at: Some("2026-11-23T18:00:00Z".into()),
            trustees: 3,
            threshold: 2,
            board_key: [0u8; 32],
            max_tally: 1,
        }
    }

    fn valid() -> Manifest {
        let mut m = manifest();
        // A valid Ed25519 point (the base point's encoding).
        m.board_key = [
            0x58, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
            0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
            0x66, 0x66, 0x66, 0x66,
        ];
        m
    }

    #[test]
    fn edge_cases_that_are_valid() {
        valid().validate().unwrap();
        let mut m = valid();
        m.opens_at = None;
        m.closes_at = None;
        m.max_tally = u64::MAX;
        m.questions[0].options = vec!["x".into()];
        m.title = " Vote ".into();
        m.validate().unwrap();
    }

    #[test]
    fn incomplete_manifests_are_refused() {
        let check = |edit: &dyn Fn(&mut Manifest), expected: ManifestError| {
            let mut m = valid();
            edit(&mut m);
            assert_eq!(m.validate(), Err(expected));
        };
        let blank = |field: &str| ManifestError::Blank {
            field: field.to_string(),
        };
        check(&|m| m.questions.clear(), ManifestError::NoQuestions);
        check(&|m| m.title = String::new(), blank("title"));
        check(&|m| m.title = " \t\u{3000}".into(), blank("title"));
        check(&|m| m.election_id = String::new(), blank("election_id"));
        check(
            &|m| m.questions[0].title = "\n".into(),
            blank("questions[0].title"),
        );
        check(
            &|m| m.questions[0].options[1] = String::new(),
            blank("questions[0].options[1]"),
        );
        check(&|m| m.max_tally = 0, ManifestError::MaxTally);
        check(
            &|m| m.opens_at = Some("yesterday".into()),
            ManifestError::BadTime {
                field: "opens_at",
                value: "yesterday".into(),
            },
        );
        check(
            &|m| m.closes_at = Some("2026-11-23T19:00:00+01:00".into()),
            ManifestError::BadTime {
                field: "closes_at",
                value: "2026-11-23T19:00:00+01:00".into(),
            },
        );
        check(
            &|m| m.closes_at = m.opens_at.clone(),
            ManifestError::TimesOutOfOrder {
                opens_at: "2026-11-23T08:00:00Z".into(),
                closes_at: "2026-11-23T08:00:00Z".into(),
            },
        );
    }
}
