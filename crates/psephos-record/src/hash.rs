//! Every hash of the election record (docs/spec.md §7.2). Each is BLAKE3 in key-derivation
//! mode with its own context string, so no two uses can collide by construction.

/// A 32-byte BLAKE3 output.
pub type Hash = [u8; 32];

/// Context strings of the BLAKE3 key-derivation mode, one per use.
pub mod contexts {
    /// H_B: the base hash of the manifest.
    pub const BASE: &str = "psephos v1 base hash";
    /// H_E: the election hash, after the ceremony and the roll.
    pub const ELECTION: &str = "psephos v1 election hash";
    /// The hash of the roll.
    pub const ROLL: &str = "psephos v1 roll";
    /// A log entry's chained hash.
    pub const ENTRY: &str = "psephos v1 log entry";
    /// A ballot's content hash (signed by the credential, source of the tracking code).
    pub const BALLOT: &str = "psephos v1 ballot";
    /// The hiding commitment to a voter's credential that a ballot's proofs are bound to.
    pub const CREDENTIAL_COMMITMENT: &str = "psephos v1 credential commitment";
    /// The message a checkpoint signature covers.
    pub const CHECKPOINT: &str = "psephos v1 checkpoint";
    /// The message a receipt signature covers.
    pub const RECEIPT: &str = "psephos v1 receipt";
    /// The credential key derived from a voting code.
    pub const CREDENTIAL: &str = "psephos v1 credential";
    /// The hash of the voter's web bundle.
    pub const BUNDLE: &str = "psephos v1 web bundle";
}

/// H_B = BLAKE3-derive(BASE, manifest bytes), over the manifest exactly as logged.
pub fn base_hash(manifest_bytes: &[u8]) -> Hash {
    let mut h = blake3::Hasher::new_derive_key(contexts::BASE);
    h.update(manifest_bytes);
    *h.finalize().as_bytes()
}

/// The roll hash: BLAKE3-derive(ROLL, LE64(count) ‖ key₁ ‖ … ‖ keyₙ).
pub fn roll_hash<'a>(credentials: impl ExactSizeIterator<Item = &'a [u8; 32]>) -> Hash {
    let mut h = blake3::Hasher::new_derive_key(contexts::ROLL);
    h.update(&(credentials.len() as u64).to_le_bytes());
    for c in credentials {
        h.update(c);
    }
    *h.finalize().as_bytes()
}

/// H_E = BLAKE3-derive(ELECTION, H_B ‖ hash of the last log entry before `open` ‖ K).
///
/// The log prefix binds the manifest, every ceremony message and the whole roll, so H_E
/// binds them too.
pub fn election_hash(base: &Hash, prefix_hash: &Hash, joint_key: &[u8; 32]) -> Hash {
    let mut h = blake3::Hasher::new_derive_key(contexts::ELECTION);
    h.update(base);
    h.update(prefix_hash);
    h.update(joint_key);
    *h.finalize().as_bytes()
}

/// The chained hash of log entry `seq`: BLAKE3-derive(ENTRY, LE64(seq) ‖ prev ‖ body), where
/// `body` is the entry's JSON text exactly as it appears in `board.jsonl`.
pub fn entry_hash(seq: u64, prev: &Hash, body: &[u8]) -> Hash {
    let mut h = blake3::Hasher::new_derive_key(contexts::ENTRY);
    h.update(&seq.to_le_bytes());
    h.update(prev);
    h.update(body);
    *h.finalize().as_bytes()
}

/// The `prev` of entry 0.
pub const GENESIS_PREV: Hash = [0u8; 32];

/// Lowercase hex of a hash.
pub fn to_hex(h: &Hash) -> String {
    hex::encode(h)
}

/// Serde for 32-byte hashes as lowercase hex.
pub mod hex32 {
    use serde::{Deserialize, Deserializer, Serializer};

    /// Serialises as 64 lowercase hex characters.
    pub fn serialize<S: Serializer>(v: &[u8; 32], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(v))
    }

    /// Strictly parses 64 lowercase hex characters.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[u8; 32], D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        psephos_crypto::group::hex32(&text).map_err(serde::de::Error::custom)
    }
}

/// Serde for 16-byte ids as lowercase hex.
pub mod hex16 {
    use serde::{Deserialize, Deserializer, Serializer};

    /// Serialises as 32 lowercase hex characters.
    pub fn serialize<S: Serializer>(v: &[u8; 16], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(v))
    }

    /// Strictly parses 32 lowercase hex characters.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[u8; 16], D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        parse16(&text).map_err(serde::de::Error::custom)
    }

    /// Parses 32 lowercase hex characters.
    pub fn parse16(text: &str) -> Result<[u8; 16], &'static str> {
        psephos_crypto::group::lower_hex(text).ok_or("expected 32 lowercase hex characters")
    }
}

/// Serde for 64-byte signatures as lowercase hex.
pub mod hex64 {
    use serde::{Deserialize, Deserializer, Serializer};

    /// Serialises as 128 lowercase hex characters.
    pub fn serialize<S: Serializer>(v: &[u8; 64], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(v))
    }

    /// Strictly parses 128 lowercase hex characters.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[u8; 64], D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        psephos_crypto::group::lower_hex(&text)
            .ok_or_else(|| serde::de::Error::custom("expected 128 lowercase hex characters"))
    }
}

/// The hash of the voter's web bundle: BLAKE3-derive(BUNDLE, for each file in byte order of
/// name: LE64(len name) ‖ name ‖ LE64(len content) ‖ content). Published in the `open` entry so
/// an auditor can check that the code voters ran is the code in the repository.
pub fn web_bundle_hash(files: &[(String, Vec<u8>)]) -> Hash {
    let mut sorted: Vec<&(String, Vec<u8>)> = files.iter().collect();
    sorted.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    let mut h = blake3::Hasher::new_derive_key(contexts::BUNDLE);
    for (name, content) in sorted {
        h.update(&(name.len() as u64).to_le_bytes());
        h.update(name.as_bytes());
        h.update(&(content.len() as u64).to_le_bytes());
        h.update(content);
    }
    *h.finalize().as_bytes()
}
