//! Voting codes and the credential keys derived from them (after Belenios §3.1 / §4.1:
//! a private credential per voter, the public key on the roll, no names in the record).
//!
//! A voting code is 20 characters of RFC 4648 base32 (100 bits), printed as four groups of five.
//! The credential's Ed25519 secret seed is `BLAKE3-derive("psephos v1 credential", H_B ‖ code)`,
//! so the same code means nothing in another election. The board never sees a code.

use ed25519_dalek::{Signer, SigningKey};
use rand_core::{CryptoRng, RngCore};
use thiserror::Error;
use zeroize::Zeroizing;

use crate::hash::{contexts, Hash};

const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// Number of base32 characters of a voting code.
pub const CODE_CHARS: usize = 20;

/// Why a voting code was not accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Error)]
pub enum CodeError {
    /// Wrong length after removing spaces and dashes.
    #[error("a voting code has {CODE_CHARS} letters and digits (dashes and spaces are ignored); this one has {0}")]
    Length(usize),
    /// A character outside A–Z and 2–7.
    #[error("a voting code uses only the letters A-Z and the digits 2-7; found {0:?}")]
    Character(char),
}

/// RFC 4648 base32 without padding, upper case.
pub fn base32(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 8 / 5 + 1);
    let mut buffer: u32 = 0;
    let mut bits = 0;
    for &b in bytes {
        buffer = (buffer << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            out.push(ALPHABET[((buffer >> (bits - 5)) & 31) as usize] as char);
            bits -= 5;
        }
    }
    if bits > 0 {
        out.push(ALPHABET[((buffer << (5 - bits)) & 31) as usize] as char);
    }
    out
}

fn group(text: &str, size: usize) -> String {
    text.as_bytes()
        .chunks(size)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join("-")
}

/// A fresh voting code, e.g. `KQ7ZD-M2XAB-P4LRT-93...`.
pub fn generate_code<R: RngCore + CryptoRng>(rng: &mut R) -> Zeroizing<String> {
    let mut bytes = Zeroizing::new([0u8; 13]);
    rng.fill_bytes(&mut bytes[..]);
    let text = Zeroizing::new(base32(&bytes[..])[..CODE_CHARS].to_string());
    Zeroizing::new(group(&text, 5))
}

/// Normalises a typed code: upper case, no spaces or dashes; checks length and alphabet.
pub fn normalize_code(code: &str) -> Result<Zeroizing<String>, CodeError> {
    let cleaned: Zeroizing<String> = Zeroizing::new(
        code.chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .map(|c| c.to_ascii_uppercase())
            .collect(),
    );
    if let Some(bad) = cleaned
        .chars()
        .find(|c| !ALPHABET.contains(&(*c as u8)) || !c.is_ascii())
    {
        return Err(CodeError::Character(bad));
    }
    if cleaned.len() != CODE_CHARS {
        return Err(CodeError::Length(cleaned.len()));
    }
    Ok(cleaned)
}

/// A voter's credential: the Ed25519 key derived from their voting code. Zeroized on drop.
pub struct Credential {
    key: SigningKey,
}

impl Credential {
    /// Derives the credential of `code` for the election with base hash `base`.
    pub fn from_code(base: &Hash, code: &str) -> Result<Self, CodeError> {
        let code = normalize_code(code)?;
        let mut h = blake3::Hasher::new_derive_key(contexts::CREDENTIAL);
        h.update(base);
        h.update(code.as_bytes());
        let seed = Zeroizing::new(*h.finalize().as_bytes());
        Ok(Credential {
            key: SigningKey::from_bytes(&seed),
        })
    }

    /// The public credential, as it appears on the roll.
    pub fn public(&self) -> [u8; 32] {
        self.key.verifying_key().to_bytes()
    }

    /// Signs a 32-byte ballot hash.
    pub fn sign(&self, message: &[u8]) -> [u8; 64] {
        self.key.sign(message).to_bytes()
    }

    /// For tests of the signature rule: a signature whose `R` carries the small-order point
    /// `EIGHT_TORSION[torsion % 8]` (see [`crate::signature::sign_with_torsion`]).
    #[doc(hidden)]
    pub fn sign_with_torsion(&self, message: &[u8], torsion: usize) -> [u8; 64] {
        let seed = Zeroizing::new(self.key.to_bytes());
        crate::signature::sign_with_torsion(&seed, message, torsion)
    }
}

/// Verifies a credential's signature by the one Ed25519 rule ([`crate::signature`], spec §7.4).
pub fn verify_signature(credential: &[u8; 32], message: &[u8], signature: &[u8; 64]) -> bool {
    crate::signature::verify(credential, message, signature).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::rand_core::SeedableRng;

    #[test]
    fn base32_matches_rfc4648() {
        assert_eq!(base32(b"foobar"), "MZXW6YTBOI");
        assert_eq!(base32(b"f"), "MY");
    }

    #[test]
    fn code_round_trip_and_normalisation() {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(1);
        let code = generate_code(&mut rng);
        assert_eq!(code.len(), 23);
        let base = [9u8; 32];
        let a = Credential::from_code(&base, &code).unwrap();
        let b = Credential::from_code(&base, &code.to_lowercase().replace('-', " ")).unwrap();
        assert_eq!(a.public(), b.public());
        let other = Credential::from_code(&[8u8; 32], &code).unwrap();
        assert_ne!(
            a.public(),
            other.public(),
            "a code must not carry across elections"
        );
    }

    #[test]
    fn bad_codes_rejected() {
        assert_eq!(normalize_code("ABC").unwrap_err(), CodeError::Length(3));
        assert_eq!(
            normalize_code("AAAAA-AAAAA-AAAAA-AAAA1").unwrap_err(),
            CodeError::Character('1')
        );
    }

    #[test]
    fn signatures() {
        let c = Credential::from_code(&[1u8; 32], "AAAAA-BBBBB-CCCCC-DDDDD").unwrap();
        let sig = c.sign(b"hello");
        assert!(verify_signature(&c.public(), b"hello", &sig));
        assert!(!verify_signature(&c.public(), b"hellp", &sig));
        let mut bad = sig;
        bad[0] ^= 1;
        assert!(!verify_signature(&c.public(), b"hello", &bad));
    }
}
