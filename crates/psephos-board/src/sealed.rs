//! Secrets sealed under a passphrase, for keeping at rest: the board's signing key (in its
//! store) and the trustees' key files.
//!
//! Argon2id (RFC 9106) turns the passphrase and 16 random bytes of salt into a 32-byte key;
//! ChaCha20-Poly1305 (RFC 8439) encrypts under it with a random 12-byte nonce. The associated
//! data names what is sealed (and its public key), so that one sealed secret cannot be passed
//! off as another. Each sealing draws its own salt and nonce.

use argon2::{Algorithm, Argon2, Params, Version};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use rand_core::{OsRng, RngCore};
use serde::{Deserialize, Serialize};
use thiserror::Error;
use zeroize::Zeroizing;

/// Argon2id parameters as stored.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct KdfParams {
    /// Always "argon2id".
    pub algorithm: String,
    /// Memory in KiB.
    pub m_cost: u32,
    /// Iterations.
    pub t_cost: u32,
    /// Lanes.
    pub p_cost: u32,
}

impl Default for KdfParams {
    fn default() -> Self {
        // OWASP's first recommended Argon2id configuration: 19 MiB, 2 passes, 1 lane.
        KdfParams {
            algorithm: "argon2id".into(),
            m_cost: 19 * 1024,
            t_cost: 2,
            p_cost: 1,
        }
    }
}

/// One sealed secret.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sealed {
    /// KDF parameters.
    pub kdf: KdfParams,
    /// Salt, hex.
    pub salt: String,
    /// Nonce, hex.
    pub nonce: String,
    /// Ciphertext with tag, hex.
    pub ciphertext: String,
}

/// Why a sealed secret could not be opened.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum UnsealError {
    /// The sealed record is malformed (bad hex, wrong nonce length, unknown KDF).
    #[error("malformed sealed secret: {0}")]
    Format(String),
    /// The tag does not verify: wrong passphrase, or the record was altered.
    #[error("wrong passphrase or damaged secret")]
    Decrypt,
}

fn derive_key(
    passphrase: &str,
    salt: &[u8],
    kdf: &KdfParams,
) -> Result<Zeroizing<[u8; 32]>, String> {
    if kdf.algorithm != "argon2id" {
        return Err(format!("unknown KDF {:?}", kdf.algorithm));
    }
    let params =
        Params::new(kdf.m_cost, kdf.t_cost, kdf.p_cost, Some(32)).map_err(|e| e.to_string())?;
    let mut key = Zeroizing::new([0u8; 32]);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into(passphrase.as_bytes(), salt, &mut key[..])
        .map_err(|e| e.to_string())?;
    Ok(key)
}

/// Seals `plain` under `passphrase`, bound to `aad`.
pub fn seal(passphrase: &str, plain: &[u8], aad: &[u8]) -> Result<Sealed, String> {
    seal_with(passphrase, plain, aad, &KdfParams::default())
}

/// Seals `plain` under `passphrase`, bound to `aad`, with the given Argon2id parameters (which
/// are recorded in the result, so that [`unseal`] uses them whatever the defaults become).
pub fn seal_with(
    passphrase: &str,
    plain: &[u8],
    aad: &[u8],
    kdf: &KdfParams,
) -> Result<Sealed, String> {
    let kdf = kdf.clone();
    let mut salt = [0u8; 16];
    let mut nonce = [0u8; 12];
    OsRng.fill_bytes(&mut salt);
    OsRng.fill_bytes(&mut nonce);
    let key = derive_key(passphrase, &salt, &kdf)?;
    let cipher = ChaCha20Poly1305::new(Key::from_slice(&key[..]));
    let ciphertext = cipher
        .encrypt(Nonce::from_slice(&nonce), Payload { msg: plain, aad })
        .map_err(|_| "encryption failed".to_string())?;
    Ok(Sealed {
        kdf,
        salt: hex::encode(salt),
        nonce: hex::encode(nonce),
        ciphertext: hex::encode(ciphertext),
    })
}

/// Opens what [`seal`] sealed with the same passphrase and `aad`.
pub fn unseal(
    sealed: &Sealed,
    passphrase: &str,
    aad: &[u8],
) -> Result<Zeroizing<Vec<u8>>, UnsealError> {
    let format = |e: String| UnsealError::Format(e);
    let salt = hex::decode(&sealed.salt).map_err(|e| format(e.to_string()))?;
    let nonce = hex::decode(&sealed.nonce).map_err(|e| format(e.to_string()))?;
    let ciphertext = hex::decode(&sealed.ciphertext).map_err(|e| format(e.to_string()))?;
    if nonce.len() != 12 {
        return Err(format("nonce must be 12 bytes".into()));
    }
    let key = derive_key(passphrase, &salt, &sealed.kdf).map_err(format)?;
    let cipher = ChaCha20Poly1305::new(Key::from_slice(&key[..]));
    cipher
        .decrypt(
            Nonce::from_slice(&nonce),
            Payload {
                msg: &ciphertext,
                aad,
            },
        )
        .map(Zeroizing::new)
        .map_err(|_| UnsealError::Decrypt)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_with_the_same_passphrase_and_aad_only() {
        let sealed = seal("correct horse", b"secret seed", b"what").unwrap();
        assert_eq!(
            &unseal(&sealed, "correct horse", b"what").unwrap()[..],
            b"secret seed"
        );
        assert_eq!(
            unseal(&sealed, "wrong horse", b"what"),
            Err(UnsealError::Decrypt)
        );
        assert_eq!(
            unseal(&sealed, "correct horse", b"other"),
            Err(UnsealError::Decrypt)
        );
        let mut bad = sealed.clone();
        bad.nonce = "00".into();
        assert!(matches!(
            unseal(&bad, "correct horse", b"what"),
            Err(UnsealError::Format(_))
        ));
        assert!(!sealed.ciphertext.contains(&hex::encode(b"secret seed")));
    }
}
