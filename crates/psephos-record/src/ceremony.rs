//! The key-ceremony message rules (docs/spec.md §6.3) and the form of a decryption entry
//! (§6.2), in one place: the board asks them before it appends a message and again when it
//! replays its log, the verifier asks them while it reads the record (check 2, check 9).
//!
//! [`CeremonyProgress`] remembers which ceremony messages are on the log so far, which is all
//! the order rules need. Whether a message's proofs hold is decided here only for what the order
//! depends on: a `shares` entry whose ephemeral-key proofs fail is refused before any complaint
//! can be made about it, because such a complaint would be a Diffie–Hellman oracle (§6).

use psephos_crypto::error::CeremonyError;
use thiserror::Error;

use crate::entry::{DecryptionEntry, Entry, SharesEntry, TallyEntry};
use crate::hash::Hash;

/// Why a ceremony message may not come now (docs/spec.md §6.3).
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum CeremonyRuleError {
    /// A trustee index outside `1..=n`.
    #[error("{kind}: trustee index {index} is outside 1..={n}")]
    IndexOutOfRange {
        /// The entry kind.
        kind: &'static str,
        /// The index found.
        index: u32,
        /// The number of trustees.
        n: u32,
    },
    /// A trustee's second message of one kind.
    #[error("trustee {trustee} already posted its {kind}")]
    AlreadyPosted {
        /// The entry kind.
        kind: &'static str,
        /// The trustee.
        trustee: u32,
    },
    /// A message before every trustee's message of the previous step.
    #[error("{kind} of trustee {trustee} came before every trustee's {needs} ({have} of {n})")]
    TooEarly {
        /// The entry kind.
        kind: &'static str,
        /// The trustee.
        trustee: u32,
        /// The step that must be complete first.
        needs: &'static str,
        /// How many of that step are on the log.
        have: usize,
        /// The number of trustees.
        n: u32,
    },
    /// A `shares` entry of the wrong form.
    #[error("shares of trustee {from}: {why}")]
    MalformedShares {
        /// The sender.
        from: u32,
        /// What is wrong.
        why: String,
    },
    /// A share whose ephemeral-key proof fails: the sender cheated.
    #[error(transparent)]
    SenderCheated(CeremonyError),
    /// A complaint against oneself or a trustee outside `1..=n`.
    #[error("trustee {by} cannot complain against trustee {against}")]
    ComplaintTarget {
        /// The complainer.
        by: u32,
        /// The accused.
        against: u32,
    },
    /// A complaint before the `shares` entry that holds the share it disputes.
    #[error(
        "complaint by trustee {by} against trustee {against} came before the share it disputes"
    )]
    ComplaintBeforeShare {
        /// The complainer.
        by: u32,
        /// The accused.
        against: u32,
    },
    /// A second complaint by the same trustee against the same trustee.
    #[error("trustee {by} already complained against trustee {against}")]
    ComplaintRepeated {
        /// The complainer.
        by: u32,
        /// The accused.
        against: u32,
    },
    /// A complaint after the complainer's own acceptance.
    #[error("trustee {by} complained after accepting the ceremony")]
    ComplaintAfterAcceptance {
        /// The complainer.
        by: u32,
    },
    /// `open` before every trustee accepted.
    #[error("the election opened with {have} of {n} trustees' acceptances")]
    OpenIncomplete {
        /// Acceptances on the log.
        have: usize,
        /// The number of trustees.
        n: u32,
    },
    /// `open` after a complaint, whatever its verdict.
    #[error("the election opened after {count} key-ceremony complaint(s): a ceremony with a complaint never opens; start a new election")]
    OpenAfterComplaint {
        /// Complaints on the log.
        count: usize,
    },
}

/// Which ceremony messages are on the log so far.
#[derive(Clone, Debug)]
pub struct CeremonyProgress {
    n: u32,
    keys: Vec<bool>,
    commitments: Vec<bool>,
    shares: Vec<bool>,
    acceptances: Vec<bool>,
    /// (by, against), in log order.
    complaints: Vec<(u32, u32)>,
}

fn count(slots: &[bool]) -> usize {
    slots.iter().filter(|&&b| b).count()
}

impl CeremonyProgress {
    /// An empty ceremony of `n` trustees.
    pub fn new(n: u32) -> Self {
        let empty = vec![false; n as usize];
        CeremonyProgress {
            n,
            keys: empty.clone(),
            commitments: empty.clone(),
            shares: empty.clone(),
            acceptances: empty,
            complaints: Vec::new(),
        }
    }

    /// Complaints on the log so far.
    pub fn complaint_count(&self) -> usize {
        self.complaints.len()
    }

    fn slot(&self, kind: &'static str, index: u32) -> Result<usize, CeremonyRuleError> {
        if index == 0 || index > self.n {
            return Err(CeremonyRuleError::IndexOutOfRange {
                kind,
                index,
                n: self.n,
            });
        }
        Ok(index as usize - 1)
    }

    fn step(
        &self,
        kind: &'static str,
        trustee: u32,
        mine: &[bool],
        before: Option<(&'static str, &[bool])>,
    ) -> Result<usize, CeremonyRuleError> {
        let i = self.slot(kind, trustee)?;
        if mine[i] {
            return Err(CeremonyRuleError::AlreadyPosted { kind, trustee });
        }
        if let Some((needs, previous)) = before {
            let have = count(previous);
            if have != self.n as usize {
                return Err(CeremonyRuleError::TooEarly {
                    kind,
                    trustee,
                    needs,
                    have,
                    n: self.n,
                });
            }
        }
        Ok(i)
    }

    /// Whether `entry` may come next (docs/spec.md §6.3). Entries other than ceremony
    /// messages and `open` are not the ceremony's business and pass.
    pub fn check(&self, entry: &Entry, base_hash: &Hash) -> Result<(), CeremonyRuleError> {
        match entry {
            Entry::TrusteeKey(k) => {
                self.step("trustee_key", k.index, &self.keys, None)?;
            }
            Entry::Commitments(c) => {
                self.step(
                    "commitments",
                    c.trustee,
                    &self.commitments,
                    Some(("trustee_key", &self.keys)),
                )?;
            }
            Entry::Shares(s) => {
                self.step(
                    "shares",
                    s.from,
                    &self.shares,
                    Some(("commitments", &self.commitments)),
                )?;
                check_shares_form(s, self.n)?;
                // Before anything else is done with a share: its ephemeral-key proof.
                for share in &s.shares {
                    share
                        .verify_ephemeral(base_hash)
                        .map_err(CeremonyRuleError::SenderCheated)?;
                }
            }
            Entry::Complaint(c) => {
                let (by, against) = (c.by, c.against);
                let k = self.slot("complaint", by)?;
                if against == by || against == 0 || against > self.n {
                    return Err(CeremonyRuleError::ComplaintTarget { by, against });
                }
                if !self.shares[against as usize - 1] {
                    return Err(CeremonyRuleError::ComplaintBeforeShare { by, against });
                }
                if self.complaints.contains(&(by, against)) {
                    return Err(CeremonyRuleError::ComplaintRepeated { by, against });
                }
                if self.acceptances[k] {
                    return Err(CeremonyRuleError::ComplaintAfterAcceptance { by });
                }
            }
            Entry::Acceptance(a) => {
                self.step(
                    "acceptance",
                    a.trustee,
                    &self.acceptances,
                    Some(("shares", &self.shares)),
                )?;
            }
            Entry::Open(_) => {
                let have = count(&self.acceptances);
                if have != self.n as usize {
                    return Err(CeremonyRuleError::OpenIncomplete { have, n: self.n });
                }
                if !self.complaints.is_empty() {
                    return Err(CeremonyRuleError::OpenAfterComplaint {
                        count: self.complaints.len(),
                    });
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// [`check`](Self::check), then records `entry`. A refused entry is not recorded.
    pub fn admit(&mut self, entry: &Entry, base_hash: &Hash) -> Result<(), CeremonyRuleError> {
        self.check(entry, base_hash)?;
        let mark = |slots: &mut Vec<bool>, i: u32| {
            if let Some(s) = slots.get_mut((i as usize).wrapping_sub(1)) {
                *s = true;
            }
        };
        match entry {
            Entry::TrusteeKey(k) => mark(&mut self.keys, k.index),
            Entry::Commitments(c) => mark(&mut self.commitments, c.trustee),
            Entry::Shares(s) => mark(&mut self.shares, s.from),
            Entry::Complaint(c) => self.complaints.push((c.by, c.against)),
            Entry::Acceptance(a) => mark(&mut self.acceptances, a.trustee),
            _ => {}
        }
        Ok(())
    }
}

/// The form of a `shares` entry from trustee `from` of `n`: one share to every other trustee,
/// in ascending order of recipient, each from `from`, each ciphertext 48 bytes in lowercase
/// hex (32-byte share and 16-byte tag).
fn check_shares_form(s: &SharesEntry, n: u32) -> Result<(), CeremonyRuleError> {
    let from = s.from;
    let bad = |why: String| CeremonyRuleError::MalformedShares { from, why };
    let recipients: Vec<u32> = (1..=n).filter(|&k| k != from).collect();
    if s.shares.len() != recipients.len() {
        return Err(bad(format!(
            "expected {} shares, one per other trustee, got {}",
            recipients.len(),
            s.shares.len()
        )));
    }
    for (share, &to) in s.shares.iter().zip(&recipients) {
        if share.from != from || share.to != to {
            return Err(bad(format!(
                "found a share {} -> {} where {from} -> {to} was expected (one to each other \
                 trustee, in order)",
                share.from, share.to
            )));
        }
        if share.ciphertext.len() != 96
            || !share
                .ciphertext
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            return Err(bad(format!(
                "share for trustee {to}: ciphertext must be 96 lowercase hex characters"
            )));
        }
    }
    Ok(())
}

/// Why a decryption entry does not have the form of docs/spec.md §6.2.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum DecryptionFormError {
    /// Not one share per question and option of the tally.
    #[error(
        "trustee {trustee}: the decryption needs one share per question and option of the tally"
    )]
    Shape {
        /// The entry's trustee.
        trustee: u32,
    },
    /// A share names another trustee than its entry.
    #[error("trustee {trustee}'s decryption holds a share of trustee {share_trustee} (question {question}, option {option}); every share must name the entry's trustee")]
    TrusteeMismatch {
        /// The entry's trustee.
        trustee: u32,
        /// The trustee named by the share.
        share_trustee: u32,
        /// Question index.
        question: usize,
        /// Option index.
        option: usize,
    },
}

/// Checks the form of a decryption entry against the tally (docs/spec.md §6.2): one share per
/// question and option, each naming the entry's trustee. (A share's proof binds its own
/// `trustee`; if it could differ from the entry's, the entry would claim one trustee's place in
/// the combination with another's share.)
pub fn check_decryption_form(
    d: &DecryptionEntry,
    tally: &TallyEntry,
) -> Result<(), DecryptionFormError> {
    let trustee = d.trustee;
    if d.questions.len() != tally.questions.len()
        || d.questions
            .iter()
            .zip(&tally.questions)
            .any(|(a, b)| a.len() != b.len())
    {
        return Err(DecryptionFormError::Shape { trustee });
    }
    for (question, shares) in d.questions.iter().enumerate() {
        for (option, share) in shares.iter().enumerate() {
            if share.trustee != trustee {
                return Err(DecryptionFormError::TrusteeMismatch {
                    trustee,
                    share_trustee: share.trustee,
                    question,
                    option,
                });
            }
        }
    }
    Ok(())
}
