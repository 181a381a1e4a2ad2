//! The zero-knowledge proofs of psephos, each a sigma protocol made non-interactive with a
//! merlin transcript (see [`crate::transcript`]).
//!
//! Every proof keeps its commitments (not only challenge and response) so that verification is
//! a set of group equations that a [`crate::batch::BatchVerifier`] can check many at a time.

pub mod dleq;
pub mod range;
pub mod schnorr;

pub use dleq::DleqProof;
pub use range::RangeProof;
pub use schnorr::SchnorrProof;
