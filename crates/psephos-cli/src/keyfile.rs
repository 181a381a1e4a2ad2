//! A trustee's key file: the transport key and, after the ceremony, the key share, each
//! encrypted under a passphrase.
//!
//! Encryption: Argon2id(passphrase, 16 random bytes of salt) → a 32-byte key; ChaCha20-Poly1305
//! (RFC 8439) with a random 12-byte nonce; associated data names the file version, what is
//! sealed and the public key, so a sealed share cannot be swapped for a sealed transport key.
//! Each secret has its own salt and nonce. Nothing secret is written in the clear.

use std::path::Path;

use psephos_board::sealed::{seal, unseal, UnsealError};
pub use psephos_board::sealed::{KdfParams, Sealed};
use psephos_crypto::dkg::{KeyShare, TrusteeSecretKey};
use psephos_crypto::group::Element;
use rand_core::OsRng;
use serde::{Deserialize, Serialize};
use thiserror::Error;
use zeroize::Zeroizing;

/// The key file format version.
pub const KEYFILE_VERSION: u32 = 1;

/// Environment variable read for the passphrase before prompting.
pub const PASSPHRASE_ENV: &str = "PSEPHOS_PASSPHRASE";

/// Why a key file could not be used.
#[derive(Debug, Error)]
pub enum KeyFileError {
    /// Reading or writing failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// Refusing to overwrite.
    #[error("{0} already exists; refusing to overwrite a trustee key")]
    Exists(String),
    /// The file is not a key file.
    #[error("{path} is not a psephos trustee key file: {why}")]
    Format {
        /// The file.
        path: String,
        /// What is wrong.
        why: String,
    },
    /// Wrong passphrase or damaged file.
    #[error("cannot decrypt {0}: wrong passphrase or damaged file")]
    Decrypt(String),
    /// The key share is missing: the ceremony has not completed for this key.
    #[error("{0} holds no key share yet: run `psephos trustee ceremony` first")]
    NoShare(String),
    /// The passphrase could not be read.
    #[error("cannot read the passphrase: {0}")]
    Passphrase(String),
}

/// The sealed key share and its public parts.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SealedShare {
    /// The trustee index ℓ.
    pub index: u32,
    /// The election the share belongs to (H_B, hex).
    pub base_hash: String,
    /// K_ℓ.
    pub verification_key: Element,
    /// z_ℓ, sealed.
    pub sealed: Sealed,
}

/// The key file.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyFile {
    /// Format version.
    pub version: u32,
    /// The transport key D = d·G.
    pub public_key: Element,
    /// d, sealed.
    pub transport_key: Sealed,
    /// The key share, once the ceremony is done.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub share: Option<SealedShare>,
}

fn aad(what: &str, public_key: &Element) -> Vec<u8> {
    let mut out = format!("psephos trustee key file v{KEYFILE_VERSION} {what}").into_bytes();
    out.extend_from_slice(public_key.as_bytes());
    out
}

fn open(
    sealed: &Sealed,
    passphrase: &str,
    aad: &[u8],
    path: &str,
) -> Result<Zeroizing<Vec<u8>>, KeyFileError> {
    unseal(sealed, passphrase, aad).map_err(|e| match e {
        UnsealError::Format(why) => KeyFileError::Format {
            path: path.to_string(),
            why,
        },
        UnsealError::Decrypt => KeyFileError::Decrypt(path.to_string()),
    })
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> KeyFileError + '_ {
    move |source| KeyFileError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// Writes `text` to `path` readable by the owner only; `create_new` refuses an existing file.
pub fn write_private(path: &Path, text: &[u8], create_new: bool) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true);
    if create_new {
        options.create_new(true);
    } else {
        options.create(true).truncate(true);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(text)?;
    file.sync_all()
}

/// Replaces `path` atomically (write a sibling, then rename), mode 0600.
fn replace_private(path: &Path, text: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension("tmp-write");
    let _ = std::fs::remove_file(&tmp);
    write_private(&tmp, text, true)?;
    std::fs::rename(&tmp, path)
}

impl KeyFile {
    /// Reads a key file.
    pub fn read(path: &Path) -> Result<KeyFile, KeyFileError> {
        let text = std::fs::read(path).map_err(io(path))?;
        let file: KeyFile = serde_json::from_slice(&text).map_err(|e| KeyFileError::Format {
            path: path.display().to_string(),
            why: e.to_string(),
        })?;
        if file.version != KEYFILE_VERSION {
            return Err(KeyFileError::Format {
                path: path.display().to_string(),
                why: format!("unsupported version {}", file.version),
            });
        }
        Ok(file)
    }

    fn write(&self, path: &Path) -> Result<(), KeyFileError> {
        let text = serde_json::to_vec_pretty(self).map_err(|e| KeyFileError::Format {
            path: path.display().to_string(),
            why: e.to_string(),
        })?;
        replace_private(path, &text).map_err(io(path))
    }

    /// Creates a fresh transport key in a new file at `path` (never overwrites).
    pub fn create(
        path: &Path,
        passphrase: &str,
    ) -> Result<(KeyFile, TrusteeSecretKey), KeyFileError> {
        if path.exists() {
            return Err(KeyFileError::Exists(path.display().to_string()));
        }
        let secret = TrusteeSecretKey::random(&mut OsRng);
        let public_key = secret.public_element();
        let transport_key = seal(
            passphrase,
            &secret.to_bytes()[..],
            &aad("transport key", &public_key),
        )
        .map_err(|why| KeyFileError::Format {
            path: path.display().to_string(),
            why,
        })?;
        let file = KeyFile {
            version: KEYFILE_VERSION,
            public_key,
            transport_key,
            share: None,
        };
        let text = serde_json::to_vec_pretty(&file).map_err(|e| KeyFileError::Format {
            path: path.display().to_string(),
            why: e.to_string(),
        })?;
        write_private(path, &text, true).map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                KeyFileError::Exists(path.display().to_string())
            } else {
                io(path)(e)
            }
        })?;
        Ok((file, secret))
    }

    /// Decrypts the transport key.
    pub fn transport_secret(
        &self,
        path: &Path,
        passphrase: &str,
    ) -> Result<TrusteeSecretKey, KeyFileError> {
        let name = path.display().to_string();
        let plain = open(
            &self.transport_key,
            passphrase,
            &aad("transport key", &self.public_key),
            &name,
        )?;
        let bytes: Zeroizing<[u8; 32]> = Zeroizing::new(
            plain
                .as_slice()
                .try_into()
                .map_err(|_| KeyFileError::Decrypt(name.clone()))?,
        );
        let secret = TrusteeSecretKey::from_bytes(&bytes)
            .map_err(|_| KeyFileError::Decrypt(name.clone()))?;
        if secret.public_element() != self.public_key {
            return Err(KeyFileError::Decrypt(name));
        }
        Ok(secret)
    }

    /// Seals the key share into the file at `path` (rewritten atomically).
    pub fn save_share(
        &mut self,
        path: &Path,
        passphrase: &str,
        base_hash: &[u8; 32],
        share: &KeyShare,
    ) -> Result<(), KeyFileError> {
        let sealed = seal(
            passphrase,
            &share.to_bytes()[..],
            &aad(&format!("key share {}", share.index()), &self.public_key),
        )
        .map_err(|why| KeyFileError::Format {
            path: path.display().to_string(),
            why,
        })?;
        self.share = Some(SealedShare {
            index: share.index(),
            base_hash: hex::encode(base_hash),
            verification_key: share.verification_key(),
            sealed,
        });
        self.write(path)
    }

    /// Decrypts the key share.
    pub fn key_share(&self, path: &Path, passphrase: &str) -> Result<KeyShare, KeyFileError> {
        let name = path.display().to_string();
        let sealed = self
            .share
            .as_ref()
            .ok_or_else(|| KeyFileError::NoShare(name.clone()))?;
        let plain = open(
            &sealed.sealed,
            passphrase,
            &aad(&format!("key share {}", sealed.index), &self.public_key),
            &name,
        )?;
        let bytes: Zeroizing<[u8; 32]> = Zeroizing::new(
            plain
                .as_slice()
                .try_into()
                .map_err(|_| KeyFileError::Decrypt(name.clone()))?,
        );
        let share = KeyShare::from_bytes(sealed.index, &bytes)
            .map_err(|_| KeyFileError::Decrypt(name.clone()))?;
        if share.verification_key() != sealed.verification_key {
            return Err(KeyFileError::Decrypt(name));
        }
        Ok(share)
    }
}

/// The passphrase: `$PSEPHOS_PASSPHRASE` if set, else asked on the terminal (twice when
/// `confirm`, for a new file).
pub fn passphrase(confirm: bool) -> Result<Zeroizing<String>, KeyFileError> {
    passphrase_from(PASSPHRASE_ENV, "the trustee key", confirm)
}

/// A passphrase for `what`: the environment variable `env` if set, else asked on the terminal
/// (twice when `confirm`); at least 8 characters.
pub fn passphrase_from(
    env: &str,
    what: &str,
    confirm: bool,
) -> Result<Zeroizing<String>, KeyFileError> {
    if let Ok(p) = std::env::var(env) {
        if !p.is_empty() {
            return Ok(Zeroizing::new(p));
        }
    }
    // rpassword reads the controlling terminal; without one its error is a bare "No such
    // device or address (os error 6)", so say what to do instead.
    let no_terminal = |_: std::io::Error| {
        KeyFileError::Passphrase(format!(
            "there is no terminal to ask it on (for {what}); set the environment variable \
             {env} instead"
        ))
    };
    let first = Zeroizing::new(
        rpassword::prompt_password(format!("Passphrase for {what} (or set {env}): "))
            .map_err(no_terminal)?,
    );
    if first.len() < 8 {
        return Err(KeyFileError::Passphrase("use at least 8 characters".into()));
    }
    if confirm {
        let second = Zeroizing::new(
            rpassword::prompt_password("Repeat the passphrase: ").map_err(no_terminal)?,
        );
        if *first != *second {
            return Err(KeyFileError::Passphrase(
                "the two passphrases differ".into(),
            ));
        }
    }
    Ok(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_and_share_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t1.key");
        let (mut file, secret) = KeyFile::create(&path, "correct horse").unwrap();
        assert!(KeyFile::create(&path, "x").is_err(), "never overwrites");
        let again = KeyFile::read(&path).unwrap();
        assert_eq!(
            again
                .transport_secret(&path, "correct horse")
                .unwrap()
                .public_element(),
            secret.public_element()
        );
        assert!(matches!(
            again.transport_secret(&path, "wrong"),
            Err(KeyFileError::Decrypt(_))
        ));
        let share = KeyShare::from_received(2, &[psephos_crypto::Scalar::from(7u64)]);
        file.save_share(&path, "correct horse", &[1u8; 32], &share)
            .unwrap();
        let back = KeyFile::read(&path)
            .unwrap()
            .key_share(&path, "correct horse")
            .unwrap();
        assert_eq!(back.index(), 2);
        assert_eq!(back.verification_key(), share.verification_key());
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.contains(&hex::encode(share.to_bytes().as_slice())));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
