//! # psephos-web
//!
//! The voter's browser client: the same `psephos-crypto` and `psephos-record` code the board and
//! the verifier run, compiled to WebAssembly (`scripts/build-web.sh`) and wrapped for the pages
//! in `www/`. No encoding or proof is written a second time in JavaScript.
//!
//! The JavaScript API takes and returns JSON text. A failure throws an `Error` whose message
//! is itself JSON, `{"error": "<code>", "message": "<text>"}` — the shape the board uses.
//!
//! ```js
//! import init, { prepare, normalize_code, verify_receipt } from './pkg/psephos_web.js';
//! await init();
//! // checks H_E and K against the board's signed log, then builds K's table once
//! const election = prepare(manifestText, statusText, evidenceText);
//! show(election.fingerprint());                              // compare it out of band
//! const { tracking_code, ballot_id } = JSON.parse(
//!     election.encrypt_ballot(code, JSON.stringify([[0, 0, 1]])));   // nothing signed yet
//! // challenge:  body = election.challenge_body(); election.check_opening(body);
//! //             POST body to /api/challenges; election.verify_receipt(answer.receipt, body)
//! // cast:       body = election.cast_body(); POST body to /api/ballots (re-post it on a
//! //             retry); election.verify_receipt(receipt, body)
//! ```
#![deny(missing_docs)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod client;

use wasm_bindgen::prelude::*;

use client::{Client, ClientError};

fn js_error(e: ClientError) -> JsError {
    let body = serde_json::json!({ "error": e.code(), "message": e.to_string() });
    JsError::new(&body.to_string())
}

/// An open election, prepared for encrypting ballots (see [`prepare`]).
#[wasm_bindgen]
pub struct Election {
    inner: Client,
}

/// Checks the election the board served — the manifest (`GET /api/manifest`, its exact
/// text), the status (`GET /api/election`) and the evidence (`GET /api/election/evidence`) —
/// against the board's signed log (`psephos_record::evidence::check_election`), then builds
/// the table of the logged joint key once. Nothing can be encrypted otherwise.
///
/// Throws `election_not_open` before the election has a key, `election_*` when the served
/// election does not check out (e.g. `election_served_mismatch`: the status's key or H_E is
/// not the logged one; `election_not_included`, `election_bad_checkpoint`), `malformed` for
/// bad JSON.
#[wasm_bindgen]
pub fn prepare(
    manifest_json: &str,
    status_json: &str,
    evidence_json: &str,
) -> Result<Election, JsError> {
    Client::prepare(manifest_json, status_json, evidence_json)
        .map(|inner| Election { inner })
        .map_err(js_error)
}

/// The same check as [`prepare`], for pages that only display the election (the results
/// page): returns `{"fingerprint", "web_bundle_hash", "election_hash"}` or throws as
/// [`prepare`] does.
#[wasm_bindgen]
pub fn check_election(
    manifest_json: &str,
    status_json: &str,
    evidence_json: &str,
) -> Result<String, JsError> {
    client::check_served_election(manifest_json, status_json, evidence_json)
        .map(|checked| client::election_summary(&checked))
        .map_err(js_error)
}

#[wasm_bindgen]
impl Election {
    /// Encrypts and proves a ballot for the credential of the voting code `code`, with a fresh
    /// seed, blinding and ballot id; nothing is signed yet.
    ///
    /// `choices_json`: per question, a 0/1 per option, e.g. `[[0,0,1]]`. Returns
    /// `{"ballot": <EncryptedBallot>, "tracking_code": "...", "ballot_id": "<hex>"}`. The
    /// secrets stay inside until [`Election::cast_body`] or [`Election::challenge_body`].
    pub fn encrypt_ballot(&mut self, code: &str, choices_json: &str) -> Result<String, JsError> {
        self.inner
            .encrypt_ballot(code, choices_json)
            .map_err(js_error)
    }

    /// The voter pressed Cast: zeroizes the pending ballot's seed, then signs it with the
    /// credential (the only signature a credential makes). Returns the `Ballot` JSON to post
    /// to `/api/ballots`; a retry re-posts the same text. Throws `no_pending_ballot`.
    pub fn cast_body(&mut self) -> Result<String, JsError> {
        self.inner.cast_body().map_err(js_error)
    }

    /// The voter pressed Challenge: the `ChallengedBallot` JSON (ballot, spoil signature by
    /// the one-time ballot key, seed, choices) to post to `/api/challenges`. No credential is
    /// involved. The pending ballot is spent.
    pub fn challenge_body(&mut self) -> Result<String, JsError> {
        self.inner.challenge_body().map_err(js_error)
    }

    /// Re-creates a challenged ballot from its seed and choices and compares. Returns
    /// `{"tracking_code", "choices": [["option name", ...], ...]}`; throws
    /// `challenge_mismatch` if the ballot does not open to them.
    pub fn check_opening(&self, challenged_json: &str) -> Result<String, JsError> {
        self.inner.check_opening(challenged_json).map_err(js_error)
    }

    /// Verifies the board's receipt for the body the page posted (a cast ballot, or a
    /// challenge: the receipt must then be of kind `challenged`): signatures, inclusion proof,
    /// election, kind, ballot id and tracking code. Returns true or throws `bad_receipt`.
    pub fn verify_receipt(&self, receipt_json: &str, body_json: &str) -> Result<bool, JsError> {
        self.inner
            .verify_receipt_for(receipt_json, body_json)
            .map(|()| true)
            .map_err(js_error)
    }

    /// The manifest's board key, hex.
    pub fn board_key(&self) -> String {
        self.inner.board_key_hex()
    }

    /// The election fingerprint of the checked H_E (`XXXX-XXXX-…`), to show the voter.
    pub fn fingerprint(&self) -> String {
        self.inner.fingerprint().to_string()
    }

    /// `{"fingerprint", "web_bundle_hash", "election_hash"}` of the checked election.
    pub fn summary(&self) -> String {
        self.inner.summary()
    }
}

/// Verifies a receipt on its own (board signatures and inclusion proof) under `board_key_hex`.
/// Returns true or throws `bad_receipt` / `malformed`.
#[wasm_bindgen]
pub fn verify_receipt(receipt_json: &str, board_key_hex: &str) -> Result<bool, JsError> {
    client::verify_receipt(receipt_json, board_key_hex)
        .map(|()| true)
        .map_err(js_error)
}

/// Verifies a checkpoint's board signature (`GET /api/checkpoints/latest`) under the board
/// key for the election with base hash H_B. Returns true or throws `bad_checkpoint`.
#[wasm_bindgen]
pub fn verify_checkpoint(
    checkpoint_json: &str,
    board_key_hex: &str,
    base_hash_hex: &str,
) -> Result<bool, JsError> {
    client::verify_checkpoint(checkpoint_json, board_key_hex, base_hash_hex)
        .map(|()| true)
        .map_err(js_error)
}

/// Normalises a typed voting code (`abcde fghij-…` → `ABCDEFGHIJ…`), or throws `bad_code`
/// with a message saying what is wrong.
#[wasm_bindgen]
pub fn normalize_code(code: &str) -> Result<String, JsError> {
    client::normalize_code(code).map_err(js_error)
}
