//! # psephos-cli
//!
//! The `psephos` command as a library: every step of an election is a function here, so the
//! command line, the demo and the end-to-end tests run the very same code.
//!
//! The workflow: `admin init` → trustees' `ceremony` → `admin roll` → `admin open` → `vote` →
//! `admin close` → trustees' `decrypt` → `tally` → `admin publish` → `verify`.
//!
//! - [`client`]: the board's HTTP API.
//! - [`keyfile`]: a trustee's passphrase-encrypted key file.
//! - [`trustee`]: the key ceremony and the partial decryption.
//! - [`admin`]: manifest, roll, open/close, result, publish.
//! - [`voter`]: encrypting, casting and challenging a ballot.
//! - [`server`]: the board in this process.
//! - [`status`]: the election's progress, read from the log.
//! - [`demo`]: the whole association poll, end to end.
//! - [`cli`]: the command line.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod admin;
pub mod cli;
pub mod client;
pub mod demo;
pub mod keyfile;
pub mod serve_opts;
pub mod server;
pub mod status;
pub mod trustee;
pub mod voter;

/// The `psephos` command: parses the arguments, runs the command, returns the exit code.
pub fn main_entry() -> std::process::ExitCode {
    cli::main_entry()
}
