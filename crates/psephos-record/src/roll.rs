//! The roll's canonical order (docs/spec.md §7.3, §7.7): credentials sorted by their bytes.
//!
//! The order in which an administrator lists members (often alphabetical) must not reach the
//! public record, or whoever knows it maps credentials back to members. So every `roll` entry
//! holds at most [`ROLL_CHUNK`] credentials in strictly ascending byte order, and the roll as
//! a whole — `roll.jsonl`, the roll hash, `/api/roll` — is the union of all roll entries in
//! ascending byte order, whatever the order of the entries.

use thiserror::Error;

use crate::entry::{HexKey, RollEntry, ROLL_CHUNK};

/// Why a `roll` entry is not acceptable.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum RollError {
    /// A roll entry adds no credential.
    #[error("the roll entry has no credentials")]
    Empty,
    /// More than [`ROLL_CHUNK`] credentials in one entry.
    #[error("the roll entry has {count} credentials; at most {ROLL_CHUNK} are allowed")]
    TooMany {
        /// How many it has.
        count: usize,
    },
    /// Credentials not in strictly ascending byte order (a repeat is not ascending either).
    #[error(
        "credential {index} of the roll entry is not greater than the one before it: \
         credentials must be sorted by their bytes, without repeats"
    )]
    NotAscending {
        /// Index (from 0) of the first credential out of order.
        index: usize,
    },
}

/// Checks one `roll` entry: 1 to [`ROLL_CHUNK`] credentials, strictly ascending bytes.
/// (Whether each credential is a valid key, and unique across entries, is checked by whoever
/// holds the whole roll.)
pub fn check_roll_entry(entry: &RollEntry) -> Result<(), RollError> {
    let credentials = &entry.credentials;
    if credentials.is_empty() {
        return Err(RollError::Empty);
    }
    if credentials.len() > ROLL_CHUNK {
        return Err(RollError::TooMany {
            count: credentials.len(),
        });
    }
    match credentials.windows(2).position(|w| w[0].0 >= w[1].0) {
        Some(i) => Err(RollError::NotAscending { index: i + 1 }),
        None => Ok(()),
    }
}

/// The `roll` entries that add `credentials`: sorted by their bytes, then cut into entries of
/// at most [`ROLL_CHUNK`]. Repeats are the caller's to refuse (they make an entry invalid).
pub fn roll_entries(mut credentials: Vec<HexKey>) -> Vec<RollEntry> {
    credentials.sort_unstable();
    credentials
        .chunks(ROLL_CHUNK)
        .map(|chunk| RollEntry {
            credentials: chunk.to_vec(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(b: u8) -> HexKey {
        HexKey([b; 32])
    }

    #[test]
    fn entries_are_sorted_and_bounded() {
        let creds: Vec<HexKey> = (0..=255u8).rev().map(key).collect();
        let entries = roll_entries(creds);
        assert_eq!(entries.len(), 1);
        assert!(check_roll_entry(&entries[0]).is_ok());
        assert_eq!(entries[0].credentials[0], key(0));

        let mut many: Vec<HexKey> = (0..ROLL_CHUNK as u32 + 5)
            .rev()
            .map(|i| {
                let mut k = [0u8; 32];
                k[..4].copy_from_slice(&i.to_be_bytes());
                HexKey(k)
            })
            .collect();
        let entries = roll_entries(many.clone());
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].credentials.len(), ROLL_CHUNK);
        assert!(entries.iter().all(|e| check_roll_entry(e).is_ok()));
        assert!(entries[0].credentials.last() < entries[1].credentials.first());

        many.sort_unstable();
        let too_many = RollEntry { credentials: many };
        assert_eq!(
            check_roll_entry(&too_many),
            Err(RollError::TooMany {
                count: ROLL_CHUNK + 5
            })
        );
    }

    #[test]
    fn unsorted_repeated_or_empty_entries_are_refused() {
        let unsorted = RollEntry {
            credentials: vec![key(1), key(3), key(2)],
        };
        assert_eq!(
            check_roll_entry(&unsorted),
            Err(RollError::NotAscending { index: 2 })
        );
        let repeated = RollEntry {
            credentials: vec![key(1), key(1)],
        };
        assert_eq!(
            check_roll_entry(&repeated),
            Err(RollError::NotAscending { index: 1 })
        );
        let empty = RollEntry {
            credentials: vec![],
        };
        assert_eq!(check_roll_entry(&empty), Err(RollError::Empty));
    }
}
