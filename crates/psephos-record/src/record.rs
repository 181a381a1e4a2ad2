//! The published record: a directory of JSON and JSON Lines files (docs/spec.md §7.1).
//!
//! - `board.jsonl`: the whole log, one entry per line. The source of truth.
//! - `manifest.json`: the manifest, byte-identical to the body of entry 0.
//! - `roll.jsonl`: one `{"credential":"<hex>"}` per line, in roll order; must equal the
//!   `roll` entries.
//! - `checkpoints.jsonl`: every signed checkpoint, in order of size.
//! - `result.json`: the result, byte-identical to the body of the `result` entry.

/// File name of the log.
pub const BOARD_FILE: &str = "board.jsonl";
/// File name of the manifest.
pub const MANIFEST_FILE: &str = "manifest.json";
/// File name of the roll.
pub const ROLL_FILE: &str = "roll.jsonl";
/// File name of the checkpoints.
pub const CHECKPOINTS_FILE: &str = "checkpoints.jsonl";
/// File name of the result.
pub const RESULT_FILE: &str = "result.json";

/// One line of `roll.jsonl`.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RollLine {
    /// The public credential.
    pub credential: crate::entry::HexKey,
}
