//! # psephos-crypto
//!
//! Threshold exponential ElGamal on Ristretto255 and every zero-knowledge proof a psephos
//! election needs. The browser (through WebAssembly), the bulletin board, the trustee tool and
//! the verifier all use this one crate, so each proof is written once.
//!
//! docs/spec.md fixes every encoding, hash input and transcript label used here.
//!
//! - [`group`]: strict encodings of points and scalars.
//! - [`elgamal`]: `Enc(m; r) = (r·G, m·G + r·K)` and homomorphic sums.
//! - [`proofs`]: Schnorr, Chaum–Pedersen, disjunctive range proofs.
//! - [`contest`]: one question of a ballot, encrypted and proved.
//! - [`dkg`]: the t-of-n key ceremony; [`threshold`]: partial decryptions and their
//!   combination; [`dlog`]: the discrete log of a tally.
//! - [`batch`]: batch verification by random linear combination.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod batch;
pub mod contest;
pub mod dkg;
pub mod dlog;
pub mod elgamal;
pub mod error;
pub mod group;
pub mod nonce;
pub mod proofs;
pub mod threshold;
pub mod transcript;

pub use curve25519_dalek::ristretto::RistrettoPoint;
pub use curve25519_dalek::scalar::Scalar;
pub use rand_core;
