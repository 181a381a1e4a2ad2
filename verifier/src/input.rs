//! Reading the record: wire bytes → typed, located values. Everything untrusted enters here.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use serde::de::DeserializeOwned;
use serde_json::value::RawValue;
use thiserror::Error;

use psephos_crypto::group::predecoded;
use psephos_record::hash::{entry_hash, Hash};
use psephos_record::line::parse_line;
use psephos_record::Entry;

/// The record cannot be read: which file, where, and why.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error("{file}{}: {message}", line.map(|l| format!(":{l}")).unwrap_or_default())]
pub struct InputError {
    /// The file.
    pub file: String,
    /// 1-based line number, if the problem is on one line.
    pub line: Option<u64>,
    /// What is wrong.
    pub message: String,
}

impl InputError {
    /// A problem with `file` at `line`.
    pub fn new(file: &str, line: Option<u64>, message: impl Into<String>) -> Self {
        InputError {
            file: file.to_string(),
            line,
            message: message.into(),
        }
    }
}

/// Reads a whole (small) file.
pub fn read_file(dir: &Path, name: &str) -> Result<Vec<u8>, InputError> {
    fs::read(dir.join(name)).map_err(|e| InputError::new(name, None, format!("cannot read: {e}")))
}

/// Reads a file that may be absent.
pub fn read_optional(dir: &Path, name: &str) -> Result<Option<Vec<u8>>, InputError> {
    match fs::read(dir.join(name)) {
        Ok(b) => Ok(Some(b)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(InputError::new(name, None, format!("cannot read: {e}"))),
    }
}

/// Splits a JSON Lines file into (line number, text) pairs; every line must be non-empty.
pub fn lines<'a>(name: &str, bytes: &'a [u8]) -> Result<Vec<(u64, &'a str)>, InputError> {
    let text = std::str::from_utf8(bytes)
        .map_err(|_| InputError::new(name, None, "the file is not UTF-8"))?;
    let body = text.strip_suffix('\n').unwrap_or(text);
    if body.is_empty() {
        return Ok(Vec::new());
    }
    body.split('\n')
        .enumerate()
        .map(|(i, l)| {
            let n = i as u64 + 1;
            if l.trim().is_empty() {
                Err(InputError::new(name, Some(n), "empty line"))
            } else {
                Ok((n, l))
            }
        })
        .collect()
}

/// Parses one JSON value of type `T` from a located line.
pub fn parse_json<T: DeserializeOwned>(
    name: &str,
    line: Option<u64>,
    text: &str,
) -> Result<T, InputError> {
    serde_json::from_str(text).map_err(|e| InputError::new(name, line, format!("bad JSON: {e}")))
}

/// A `board.jsonl` line, checked for shape and parsed; its hash recomputed.
#[derive(Debug)]
pub struct Parsed {
    /// 1-based line number.
    pub line: u64,
    /// Claimed sequence number.
    pub seq: u64,
    /// Claimed previous hash.
    pub prev: Hash,
    /// Claimed hash.
    pub hash: Hash,
    /// `entry_hash(seq, prev, entry text)`.
    pub computed: Hash,
    /// The entry.
    pub entry: Entry,
    /// For `manifest` and `result` entries: the exact text of the inner object (what
    /// `manifest.json` / `result.json` must equal).
    pub inner: Option<String>,
}

/// Parses one line of `board.jsonl`.
pub fn parse_board_line(line: u64, text: &str) -> Result<Parsed, InputError> {
    let name = psephos_record::record::BOARD_FILE;
    // Only the exact line form of docs/spec.md §7.3 (no whitespace, keys in order, no
    // escapes): the same bytes for every reader.
    let raw = parse_line(text)
        .map_err(|e| InputError::new(name, Some(line), format!("bad line: {e}")))?;
    let body = raw.entry;
    let computed = entry_hash(raw.seq, &raw.prev, body.as_bytes());
    // Decompressing points is most of the cost of parsing a ballot; doing it in one batch
    // ahead of serde, which decodes one element at a time, halves it. The batch is a guess
    // that changes no result (see `predecoded::with`).
    let entry: Entry = predecoded::with(&predecoded::scan_json(body.as_bytes()), || {
        serde_json::from_str(body)
    })
    .map_err(|e| InputError::new(name, Some(line), format!("bad entry: {e}")))?;
    if let Entry::Manifest(m) = &entry {
        if m.version != psephos_crypto::transcript::PROTOCOL_VERSION {
            return Err(InputError::new(
                name,
                Some(line),
                format!(
                    "unknown protocol version {} (this verifier speaks version {})",
                    m.version,
                    psephos_crypto::transcript::PROTOCOL_VERSION
                ),
            ));
        }
    }
    let inner = match &entry {
        Entry::Manifest(_) | Entry::Result(_) => {
            let map: BTreeMap<String, Box<RawValue>> = serde_json::from_str(body)
                .map_err(|e| InputError::new(name, Some(line), format!("bad entry: {e}")))?;
            map.into_values().next().map(|v| v.get().to_string())
        }
        _ => None,
    };
    Ok(Parsed {
        line,
        seq: raw.seq,
        prev: raw.prev,
        hash: raw.hash,
        computed,
        entry,
        inner,
    })
}

/// `manifest.json` and `result.json` are byte-identical to the value inside their entry:
/// no trailing newline, no byte-order mark, nothing else (docs/spec.md §7.1).
pub fn same_document(file: &[u8], expected: &[u8]) -> bool {
    file == expected
}
