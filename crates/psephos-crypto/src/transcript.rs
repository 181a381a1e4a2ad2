//! Every Fiat–Shamir transcript of psephos, in one place.
//!
//! A transcript is a merlin [`Transcript`] (STROBE-128) created with the label `psephos` and then,
//! in this order (docs/spec.md §4 lists the same):
//!
//! 1. `dom-sep` ← the proof's domain label (a [`Domain`]),
//! 2. `version` ← the protocol version as u64 LE ([`PROTOCOL_VERSION`]),
//! 3. `election` ← the 32-byte election hash (H_B for ceremony proofs, H_E after),
//! 4. `context` ← the binding bytes that pin the proof to one place (ballot, option, trustee),
//! 5. the statement: every public point, in the order the proof documents,
//! 6. the prover's commitments,
//!
//! and the challenge is 64 bytes read under the label `challenge`, reduced mod ℓ.
//! Protocol code never calls `append_message` with ad-hoc labels.

use curve25519_dalek::scalar::Scalar;
use merlin::Transcript;

use crate::group::Element;

/// The protocol version carried by every transcript, hash and record.
pub const PROTOCOL_VERSION: u64 = 1;

/// The domain label of each kind of proof.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Domain {
    /// Schnorr proof of knowledge of a key-ceremony polynomial coefficient.
    CoefficientProof,
    /// Schnorr proof of knowledge of a trustee's long-term (share transport) secret key.
    TrusteeKeyProof,
    /// Disjunctive Chaum–Pedersen proof that one option's ciphertext encrypts 0 or 1.
    SelectionProof,
    /// Disjunctive Chaum–Pedersen proof that the sum of a question's ciphertexts is in min..=max.
    SumProof,
    /// Chaum–Pedersen proof that a partial decryption used the trustee's key share.
    DecryptionProof,
    /// Chaum–Pedersen proof that a complaint reveals the right Diffie–Hellman key.
    KeyRevealProof,
    /// Schnorr proof of knowledge of an encrypted share's ephemeral secret.
    EphemeralKeyProof,
}

impl Domain {
    /// The bytes appended under `dom-sep`.
    pub fn label(self) -> &'static [u8] {
        match self {
            Domain::CoefficientProof => b"psephos/coefficient-proof",
            Domain::TrusteeKeyProof => b"psephos/trustee-key-proof",
            Domain::SelectionProof => b"psephos/selection-proof",
            Domain::SumProof => b"psephos/sum-proof",
            Domain::DecryptionProof => b"psephos/decryption-proof",
            Domain::KeyRevealProof => b"psephos/key-reveal-proof",
            Domain::EphemeralKeyProof => b"psephos/ephemeral-key-proof",
        }
    }
}

impl Domain {
    const ALL: [Domain; 7] = [
        Domain::CoefficientProof,
        Domain::TrusteeKeyProof,
        Domain::SelectionProof,
        Domain::SumProof,
        Domain::DecryptionProof,
        Domain::KeyRevealProof,
        Domain::EphemeralKeyProof,
    ];
}

/// Steps 1–2 of every transcript of `domain`: `Transcript::new(b"psephos")`, `dom-sep`,
/// `version`.
///
/// The state after them depends on the domain alone, so it is computed once per domain and
/// cloned (a copy of 200 bytes instead of the Keccak-f permutation of STROBE's initialisation
/// and the absorption of the prefix). The transcript is byte for byte the same.
fn prefix(domain: Domain) -> Transcript {
    static PREFIXES: std::sync::OnceLock<[Transcript; 7]> = std::sync::OnceLock::new();
    let all = PREFIXES.get_or_init(|| {
        Domain::ALL.map(|d| {
            let mut t = Transcript::new(b"psephos");
            t.append_message(b"dom-sep", d.label());
            t.append_u64(b"version", PROTOCOL_VERSION);
            t
        })
    });
    // `ALL` lists the variants in declaration order, so the discriminant is the index.
    all[domain as usize].clone()
}

/// Where a proof belongs: the election it is for and the bytes that bind it to one place in it.
#[derive(Clone, Copy, Debug)]
pub struct ProofContext<'a> {
    /// H_B (ceremony proofs) or H_E (everything after the ceremony).
    pub election_hash: &'a [u8; 32],
    /// The binding bytes (docs/spec.md §4.2 defines them per proof).
    pub binding: &'a [u8],
}

/// The typed appends of psephos transcripts.
pub(crate) trait TranscriptExt {
    /// Starts a transcript: domain, version, election, context (steps 1–4).
    fn start(domain: Domain, ctx: &ProofContext<'_>) -> Self;
    /// Appends a point's canonical encoding.
    fn append_element(&mut self, label: &'static [u8], element: &Element);
    /// Appends an integer, little-endian u64.
    fn append_int(&mut self, label: &'static [u8], value: u64);
    /// Reads the challenge: 64 bytes under `challenge`, reduced mod ℓ.
    fn challenge(&mut self) -> Scalar;
}

impl TranscriptExt for Transcript {
    fn start(domain: Domain, ctx: &ProofContext<'_>) -> Self {
        let mut t = prefix(domain);
        t.append_message(b"election", ctx.election_hash);
        t.append_message(b"context", ctx.binding);
        t
    }

    fn append_element(&mut self, label: &'static [u8], element: &Element) {
        self.append_message(label, element.as_bytes());
    }

    fn append_int(&mut self, label: &'static [u8], value: u64) {
        self.append_u64(label, value);
    }

    fn challenge(&mut self) -> Scalar {
        let mut wide = [0u8; 64];
        self.challenge_bytes(b"challenge", &mut wide);
        Scalar::from_bytes_mod_order_wide(&wide)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_domains_in_declaration_order() {
        for (i, d) in Domain::ALL.iter().enumerate() {
            assert_eq!(*d as usize, i);
        }
    }

    #[test]
    fn cached_prefix_equals_fresh_transcript() {
        let ctx = ProofContext {
            election_hash: &[5; 32],
            binding: b"binding",
        };
        for d in Domain::ALL {
            let mut fresh = Transcript::new(b"psephos");
            fresh.append_message(b"dom-sep", d.label());
            fresh.append_u64(b"version", PROTOCOL_VERSION);
            fresh.append_message(b"election", ctx.election_hash);
            fresh.append_message(b"context", ctx.binding);
            let mut cached = Transcript::start(d, &ctx);
            let (mut a, mut b) = ([0u8; 64], [0u8; 64]);
            fresh.challenge_bytes(b"challenge", &mut a);
            cached.challenge_bytes(b"challenge", &mut b);
            assert_eq!(a, b);
        }
    }
}
