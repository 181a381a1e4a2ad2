//! A trustee's key file: the transport key, during the ceremony the trustee's polynomial, and
//! after it the key share, each encrypted under a passphrase.
//!
//! Encryption: Argon2id(passphrase, 16 random bytes of salt) → a 32-byte key; ChaCha20-Poly1305
//! (RFC 8439) with a random 12-byte nonce; associated data names what is sealed and the public
//! key (and, for the polynomial and the key share, the trustee index and the election's H_B),
//! so that a sealed secret cannot be swapped for another or moved to another election. Each
//! secret has its own salt and nonce, and records its own Argon2id parameters: a file sealed
//! under older (weaker) parameters still opens, and whatever is sealed anew uses
//! [`trustee_kdf`], including the transport key, which is re-sealed when the file is rewritten.
//! Nothing secret is written in the clear.

use std::path::Path;

use psephos_board::sealed::{seal_with, unseal, UnsealError};
pub use psephos_board::sealed::{KdfParams, Sealed};
use psephos_crypto::dkg::{KeyShare, Polynomial, TrusteeSecretKey};
use psephos_crypto::group::Element;
use rand_core::OsRng;
use serde::{Deserialize, Serialize};
use thiserror::Error;
use zeroize::Zeroizing;

/// The key file format version written. Version 1 (read still) sealed the key share without
/// binding H_B and had no `ceremony` field.
pub const KEYFILE_VERSION: u32 = 2;

/// Environment variable read for the passphrase before prompting.
pub const PASSPHRASE_ENV: &str = "PSEPHOS_PASSPHRASE";

/// The shortest passphrase accepted, typed or from the environment (in characters).
pub const MIN_PASSPHRASE_CHARS: usize = 8;

/// The Argon2id parameters of new trustee secrets: RFC 9106 §4's second recommended option
/// (64 MiB, 3 passes, 4 lanes). A trustee's key lives for the whole election and protects the
/// decryption of every ballot, so it gets more than the board's (OWASP's 19 MiB, 2 passes).
pub fn trustee_kdf() -> KdfParams {
    KdfParams {
        algorithm: "argon2id".into(),
        m_cost: 64 * 1024,
        t_cost: 3,
        p_cost: 4,
    }
}

/// The most a key file may ask of Argon2id when it is opened (4 GiB, 64 passes, 64 lanes): a
/// damaged or hostile file cannot make the trustee's machine allocate without bound.
const KDF_CEILING: (u32, u32, u32) = (4 * 1024 * 1024, 64, 64);

/// Whether `kdf` is at least as strong as `floor` in memory and passes.
fn at_least(kdf: &KdfParams, floor: &KdfParams) -> bool {
    kdf.algorithm == floor.algorithm && kdf.m_cost >= floor.m_cost && kdf.t_cost >= floor.t_cost
}

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
    /// The passphrase is too short (typed, or from the environment).
    #[error("{source_name}: the passphrase must have at least {MIN_PASSPHRASE_CHARS} characters")]
    ShortPassphrase {
        /// Where it came from: "the typed passphrase" or the environment variable's name.
        source_name: String,
    },
    /// The key file holds a share of another election.
    #[error("{path} holds the key share of another election (H_B {found}, this election's is {expected})")]
    OtherElection {
        /// The file.
        path: String,
        /// H_B recorded in the file.
        found: String,
        /// H_B of the election asked about.
        expected: String,
    },
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

/// The trustee's polynomial, sealed while the ceremony runs (so that an interrupted trustee
/// can resume after posting its commitments); removed once the key share is saved.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SealedPolynomial {
    /// The trustee index.
    pub index: u32,
    /// The election (H_B, hex).
    pub base_hash: String,
    /// The coefficients, sealed.
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
    /// The polynomial of a ceremony in progress.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ceremony: Option<SealedPolynomial>,
    /// The key share, once the ceremony is done.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub share: Option<SealedShare>,
    /// The Argon2id parameters for what is sealed into this file from now on: not stored
    /// (each sealed secret records its own); [`trustee_kdf`] unless a test chose otherwise.
    #[serde(skip, default = "trustee_kdf")]
    kdf: KdfParams,
}

/// The associated data of the transport key. Its version tag stays `v1` in every file version,
/// so that a version-1 transport key keeps opening.
fn transport_aad(public_key: &Element) -> Vec<u8> {
    let mut out = b"psephos trustee key file v1 transport key".to_vec();
    out.extend_from_slice(public_key.as_bytes());
    out
}

/// The associated data of a key share: in version 2, `"psephos trustee key file v2 key share
/// <index>" ‖ D ‖ H_B`, so that a share sealed for one election is refused under another's
/// H_B; in version 1 without H_B.
fn share_aad(version: u32, index: u32, public_key: &Element, base_hash: &[u8; 32]) -> Vec<u8> {
    let mut out = format!("psephos trustee key file v{version} key share {index}").into_bytes();
    out.extend_from_slice(public_key.as_bytes());
    if version >= 2 {
        out.extend_from_slice(base_hash);
    }
    out
}

/// The associated data of a polynomial: `"psephos trustee key file v2 polynomial <index>" ‖ D
/// ‖ H_B`.
fn polynomial_aad(index: u32, public_key: &Element, base_hash: &[u8; 32]) -> Vec<u8> {
    let mut out = format!("psephos trustee key file v2 polynomial {index}").into_bytes();
    out.extend_from_slice(public_key.as_bytes());
    out.extend_from_slice(base_hash);
    out
}

fn parse_base_hash(text: &str, path: &str) -> Result<[u8; 32], KeyFileError> {
    let mut out = [0u8; 32];
    hex::decode_to_slice(text, &mut out).map_err(|e| KeyFileError::Format {
        path: path.to_string(),
        why: format!("base_hash: {e}"),
    })?;
    Ok(out)
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
    /// Reads a key file (version 1 or 2).
    pub fn read(path: &Path) -> Result<KeyFile, KeyFileError> {
        let name = path.display().to_string();
        let text = std::fs::read(path).map_err(io(path))?;
        let file: KeyFile = serde_json::from_slice(&text).map_err(|e| KeyFileError::Format {
            path: name.clone(),
            why: e.to_string(),
        })?;
        if !(1..=KEYFILE_VERSION).contains(&file.version) {
            return Err(KeyFileError::Format {
                path: name,
                why: format!("unsupported version {}", file.version),
            });
        }
        let (m, t, p) = KDF_CEILING;
        let sealed = std::iter::once(&file.transport_key)
            .chain(file.share.as_ref().map(|s| &s.sealed))
            .chain(file.ceremony.as_ref().map(|c| &c.sealed));
        for s in sealed {
            if s.kdf.m_cost > m || s.kdf.t_cost > t || s.kdf.p_cost > p {
                return Err(KeyFileError::Format {
                    path: name,
                    why: format!(
                        "Argon2id parameters beyond what a key file may ask ({} KiB, {} passes, \
                         {} lanes)",
                        s.kdf.m_cost, s.kdf.t_cost, s.kdf.p_cost
                    ),
                });
            }
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

    fn seal(
        &self,
        path: &Path,
        passphrase: &str,
        plain: &[u8],
        aad: &[u8],
    ) -> Result<Sealed, KeyFileError> {
        seal_with(passphrase, plain, aad, &self.kdf).map_err(|why| KeyFileError::Format {
            path: path.display().to_string(),
            why,
        })
    }

    /// Creates a fresh transport key in a new file at `path` (never overwrites), sealed with
    /// [`trustee_kdf`].
    pub fn create(
        path: &Path,
        passphrase: &str,
    ) -> Result<(KeyFile, TrusteeSecretKey), KeyFileError> {
        Self::create_with(path, passphrase, trustee_kdf())
    }

    /// [`KeyFile::create`] with Argon2id parameters too weak for real use, so that tests run
    /// fast. Compiled only for tests (this crate's, or with the `insecure-test-kdf` feature,
    /// which the end-to-end tests enable); the `psephos` command never calls it.
    #[cfg(any(test, feature = "insecure-test-kdf"))]
    pub fn create_for_tests(
        path: &Path,
        passphrase: &str,
    ) -> Result<(KeyFile, TrusteeSecretKey), KeyFileError> {
        Self::create_with(path, passphrase, test_kdf())
    }

    /// Seals what comes next into this file with the weak test parameters (see
    /// [`KeyFile::create_for_tests`]).
    #[cfg(any(test, feature = "insecure-test-kdf"))]
    pub fn with_test_kdf(mut self) -> Self {
        self.kdf = test_kdf();
        self
    }

    /// The parameters new secrets are sealed with.
    pub fn kdf(&self) -> &KdfParams {
        &self.kdf
    }

    fn create_with(
        path: &Path,
        passphrase: &str,
        kdf: KdfParams,
    ) -> Result<(KeyFile, TrusteeSecretKey), KeyFileError> {
        if path.exists() {
            return Err(KeyFileError::Exists(path.display().to_string()));
        }
        let secret = TrusteeSecretKey::random(&mut OsRng);
        let public_key = secret.public_element();
        let transport_key = seal_with(
            passphrase,
            &secret.to_bytes()[..],
            &transport_aad(&public_key),
            &kdf,
        )
        .map_err(|why| KeyFileError::Format {
            path: path.display().to_string(),
            why,
        })?;
        let file = KeyFile {
            version: KEYFILE_VERSION,
            public_key,
            transport_key,
            ceremony: None,
            share: None,
            kdf,
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
            &transport_aad(&self.public_key),
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

    /// Before the file is rewritten: a transport key sealed under weaker parameters than
    /// this file's (an older file) is re-sealed with them, and the file becomes version 2.
    fn upgrade(&mut self, path: &Path, passphrase: &str) -> Result<(), KeyFileError> {
        if !at_least(&self.transport_key.kdf, &self.kdf) {
            let secret = self.transport_secret(path, passphrase)?;
            self.transport_key = self.seal(
                path,
                passphrase,
                &secret.to_bytes()[..],
                &transport_aad(&self.public_key),
            )?;
        }
        self.version = KEYFILE_VERSION;
        Ok(())
    }

    /// Seals trustee `index`'s polynomial for the election `base_hash` into the file at
    /// `path` (rewritten atomically), before its commitments are posted.
    pub fn save_polynomial(
        &mut self,
        path: &Path,
        passphrase: &str,
        base_hash: &[u8; 32],
        index: u32,
        polynomial: &Polynomial,
    ) -> Result<(), KeyFileError> {
        self.upgrade(path, passphrase)?;
        let sealed = self.seal(
            path,
            passphrase,
            &polynomial.to_bytes(),
            &polynomial_aad(index, &self.public_key, base_hash),
        )?;
        self.ceremony = Some(SealedPolynomial {
            index,
            base_hash: hex::encode(base_hash),
            sealed,
        });
        self.write(path)
    }

    /// The polynomial stored for trustee `index` of the election `base_hash`, if any.
    pub fn polynomial(
        &self,
        path: &Path,
        passphrase: &str,
        base_hash: &[u8; 32],
        index: u32,
    ) -> Result<Option<Polynomial>, KeyFileError> {
        let name = path.display().to_string();
        let Some(stored) = &self.ceremony else {
            return Ok(None);
        };
        if stored.index != index || parse_base_hash(&stored.base_hash, &name)? != *base_hash {
            return Ok(None);
        }
        let plain = open(
            &stored.sealed,
            passphrase,
            &polynomial_aad(index, &self.public_key, base_hash),
            &name,
        )?;
        Polynomial::from_bytes(&plain)
            .map(Some)
            .ok_or(KeyFileError::Decrypt(name))
    }

    /// Seals the key share into the file at `path` (rewritten atomically), bound to H_B, and
    /// drops the polynomial of the ceremony, which is no longer needed.
    pub fn save_share(
        &mut self,
        path: &Path,
        passphrase: &str,
        base_hash: &[u8; 32],
        share: &KeyShare,
    ) -> Result<(), KeyFileError> {
        self.upgrade(path, passphrase)?;
        let sealed = self.seal(
            path,
            passphrase,
            &share.to_bytes()[..],
            &share_aad(KEYFILE_VERSION, share.index(), &self.public_key, base_hash),
        )?;
        self.share = Some(SealedShare {
            index: share.index(),
            base_hash: hex::encode(base_hash),
            verification_key: share.verification_key(),
            sealed,
        });
        self.ceremony = None;
        self.write(path)
    }

    /// H_B of the election whose key share the file holds, if any.
    pub fn share_base_hash(&self, path: &Path) -> Result<Option<[u8; 32]>, KeyFileError> {
        let name = path.display().to_string();
        self.share
            .as_ref()
            .map(|s| parse_base_hash(&s.base_hash, &name))
            .transpose()
    }

    /// Decrypts the key share (of whatever election the file records).
    pub fn key_share(&self, path: &Path, passphrase: &str) -> Result<KeyShare, KeyFileError> {
        let name = path.display().to_string();
        let sealed = self
            .share
            .as_ref()
            .ok_or_else(|| KeyFileError::NoShare(name.clone()))?;
        let base_hash = parse_base_hash(&sealed.base_hash, &name)?;
        let plain = open(
            &sealed.sealed,
            passphrase,
            &share_aad(self.version, sealed.index, &self.public_key, &base_hash),
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

    /// Decrypts the key share of the election `base_hash`; a share of another election is
    /// refused before anything is decrypted.
    pub fn key_share_for(
        &self,
        path: &Path,
        passphrase: &str,
        base_hash: &[u8; 32],
    ) -> Result<KeyShare, KeyFileError> {
        let name = path.display().to_string();
        match self.share_base_hash(path)? {
            None => Err(KeyFileError::NoShare(name)),
            Some(found) if found != *base_hash => Err(KeyFileError::OtherElection {
                path: name,
                found: hex::encode(found),
                expected: hex::encode(base_hash),
            }),
            Some(_) => self.key_share(path, passphrase),
        }
    }
}

/// Argon2id parameters for tests only: 256 KiB, 1 pass.
#[cfg(any(test, feature = "insecure-test-kdf"))]
fn test_kdf() -> KdfParams {
    KdfParams {
        algorithm: "argon2id".into(),
        m_cost: 256,
        t_cost: 1,
        p_cost: 1,
    }
}

/// The passphrase: `$PSEPHOS_PASSPHRASE` if set, else asked on the terminal (twice when
/// `confirm`, for a new file).
pub fn passphrase(confirm: bool) -> Result<Zeroizing<String>, KeyFileError> {
    passphrase_from(PASSPHRASE_ENV, "the trustee key", confirm)
}

/// The length rule, the same for a typed passphrase and one from the environment.
fn check_length(passphrase: &str, source_name: &str) -> Result<(), KeyFileError> {
    if passphrase.chars().count() < MIN_PASSPHRASE_CHARS {
        return Err(KeyFileError::ShortPassphrase {
            source_name: source_name.to_string(),
        });
    }
    Ok(())
}

/// A passphrase taken from the environment variable `env` (set to `value`): the same length
/// rule as a typed one.
fn from_environment(env: &str, value: String) -> Result<Zeroizing<String>, KeyFileError> {
    let value = Zeroizing::new(value);
    check_length(&value, env)?;
    Ok(value)
}

/// A passphrase for `what`: the environment variable `env` if set, else asked on the terminal
/// (twice when `confirm`); at least [`MIN_PASSPHRASE_CHARS`] characters either way.
pub fn passphrase_from(
    env: &str,
    what: &str,
    confirm: bool,
) -> Result<Zeroizing<String>, KeyFileError> {
    if let Ok(p) = std::env::var(env) {
        if !p.is_empty() {
            return from_environment(env, p);
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
    check_length(&first, "the typed passphrase")?;
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
mod tests;
