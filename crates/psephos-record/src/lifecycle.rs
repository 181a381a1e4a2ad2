//! The election lifecycle as an explicit state machine:
//! `Empty → Ceremony → Open → Closed → Tallied → Finished`.
//!
//! Both the board (before appending) and the verifier (while replaying) ask it whether an
//! entry may come next, so "no ballot before opening or after the close" is one rule in one
//! place.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::entry::Entry;

/// Where the election is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Nothing logged yet.
    #[default]
    Empty,
    /// Manifest logged; key ceremony and roll in progress.
    Ceremony,
    /// Accepting ballots.
    Open,
    /// Voting ended; waiting for the tally.
    Closed,
    /// Encrypted tally logged; collecting partial decryptions.
    Tallied,
    /// Result logged; nothing more may be appended.
    Finished,
}

/// An entry that may not come in the current phase.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error("a {kind} entry is not allowed while the election is {phase:?}")]
pub struct OrderError {
    /// The entry's kind.
    pub kind: &'static str,
    /// The phase.
    pub phase: Phase,
}

impl Phase {
    /// The phase after `entry`, or why `entry` may not come now.
    pub fn next(self, entry: &Entry) -> Result<Phase, OrderError> {
        use Entry as E;
        use Phase as P;
        let next = match (self, entry) {
            (P::Empty, E::Manifest(_)) => P::Ceremony,
            (
                P::Ceremony,
                E::TrusteeKey(_)
                | E::Commitments(_)
                | E::Shares(_)
                | E::Complaint(_)
                | E::Acceptance(_)
                | E::Roll(_),
            ) => P::Ceremony,
            (P::Ceremony, E::Open(_)) => P::Open,
            (P::Open, E::Ballot(_) | E::Challenged(_)) => P::Open,
            (P::Open, E::Close(_)) => P::Closed,
            (P::Closed, E::Tally(_)) => P::Tallied,
            (P::Tallied, E::Decryption(_)) => P::Tallied,
            (P::Tallied, E::Result(_)) => P::Finished,
            _ => {
                return Err(OrderError {
                    kind: entry.kind(),
                    phase: self,
                })
            }
        };
        Ok(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entry::CloseEntry;

    #[test]
    fn close_only_when_open() {
        let close = Entry::Close(CloseEntry {
            ballots_received: 0,
        });
        assert_eq!(Phase::Open.next(&close), Ok(Phase::Closed));
        assert!(Phase::Ceremony.next(&close).is_err());
        assert!(Phase::Closed.next(&close).is_err());
        assert!(Phase::Finished.next(&close).is_err());
    }
}
