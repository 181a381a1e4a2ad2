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
    /// The election fingerprint people compare out of band.
    pub const FINGERPRINT: &str = "psephos v1 election fingerprint";
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

/// H_E = BLAKE3-derive(ELECTION, H_B ‖ hash of the last log entry before `open` ‖ K ‖
/// bundle), where bundle is the byte 0x00 when the `open` entry names no web bundle and
/// 0x01 ‖ its web bundle hash when it does (docs/spec.md §7.2).
///
/// The log prefix binds the manifest, every ceremony message and the whole roll, so H_E
/// binds them too; the bundle hash makes the code voters were served part of what every
/// ballot proof, and the election fingerprint, commit to.
pub fn election_hash(
    base: &Hash,
    prefix_hash: &Hash,
    joint_key: &[u8; 32],
    web_bundle: Option<&Hash>,
) -> Hash {
    let mut h = blake3::Hasher::new_derive_key(contexts::ELECTION);
    h.update(base);
    h.update(prefix_hash);
    h.update(joint_key);
    match web_bundle {
        None => h.update(&[0x00]),
        Some(bundle) => h.update(&[0x01]).update(bundle),
    };
    *h.finalize().as_bytes()
}

/// Bytes of the fingerprint's hash that are shown (160 bits, 32 base32 characters).
pub const FINGERPRINT_BYTES: usize = 20;

/// The election fingerprint: RFC 4648 base32 of the first 20 bytes of
/// BLAKE3-derive(FINGERPRINT, H_E), in groups of four joined by `-` (the form of a tracking
/// code, twice as long: docs/spec.md §7.2 says why).
///
/// Every voter client, the results page, the verifier and the trustees' tool print it, so
/// that people can compare it out of band: equal fingerprints mean the same H_E, hence the
/// same manifest, ceremony, roll, joint key and web bundle.
pub fn election_fingerprint(election_hash: &Hash) -> String {
    let mut h = blake3::Hasher::new_derive_key(contexts::FINGERPRINT);
    h.update(election_hash);
    let digest = h.finalize();
    let text = crate::credential::base32(&digest.as_bytes()[..FINGERPRINT_BYTES]);
    // Groups of four, as a tracking code (`ballot::tracking_code_of`).
    text.as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join("-")
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
/// its path: LE64(len path) ‖ path ‖ LE64(len content) ‖ content). A path is relative to the
/// served directory, with `/` between components (`app.js`, `pkg/psephos_web.js`). Published
/// in the `open` entry and bound into H_E, so the record commits to the code voters ran.
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

/// Deepest directory nesting [`web_bundle_files`] follows (a guard against symlink loops).
pub const MAX_BUNDLE_DEPTH: usize = 8;

/// Every regular file under `dir` (symbolic links followed, as a static file server does),
/// with its path relative to `dir` joined by `/`: the input of [`web_bundle_hash`]. The
/// board hashes the directory it serves with this, and an auditor the directory that
/// `scripts/build-web.sh` rebuilt, or the files their browser loaded.
pub fn web_bundle_files(dir: &std::path::Path) -> std::io::Result<Vec<(String, Vec<u8>)>> {
    fn walk(
        dir: &std::path::Path,
        prefix: &str,
        depth: usize,
        out: &mut Vec<(String, Vec<u8>)>,
    ) -> std::io::Result<()> {
        if depth > MAX_BUNDLE_DEPTH {
            return Err(std::io::Error::other(format!(
                "{} is nested more than {MAX_BUNDLE_DEPTH} directories deep",
                dir.display()
            )));
        }
        for e in std::fs::read_dir(dir)? {
            let e = e?;
            let name = e
                .file_name()
                .into_string()
                .map_err(|n| std::io::Error::other(format!("file name {n:?} is not UTF-8")))?;
            let path = e.path();
            let meta = std::fs::metadata(&path)?;
            let rel = format!("{prefix}{name}");
            if meta.is_dir() {
                walk(&path, &format!("{rel}/"), depth + 1, out)?;
            } else if meta.is_file() {
                out.push((rel, std::fs::read(&path)?));
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    walk(dir, "", 0, &mut out)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn election_hash_binds_the_web_bundle() {
        let (b, p, k) = ([1u8; 32], [2u8; 32], [3u8; 32]);
        let none = election_hash(&b, &p, &k, None);
        let one = election_hash(&b, &p, &k, Some(&[4u8; 32]));
        let other = election_hash(&b, &p, &k, Some(&[5u8; 32]));
        let zero = election_hash(&b, &p, &k, Some(&[0u8; 32]));
        assert_ne!(none, one);
        assert_ne!(one, other);
        // "No bundle" is not the same input as a bundle hash of zeros.
        assert_ne!(none, zero);
    }

    /// The known answers of docs/spec.md §7.2 (H_B = 32×01, prefix = 32×02, K = 32×03).
    #[test]
    fn known_answers() {
        let (b, p, k) = ([1u8; 32], [2u8; 32], [3u8; 32]);
        assert_eq!(
            hex::encode(election_hash(&b, &p, &k, None)),
            "d686343d553a98050f1bd0250b57698746cb90257f0e955e159ac3b8c510e7c6"
        );
        let he = election_hash(&b, &p, &k, Some(&[4u8; 32]));
        assert_eq!(
            hex::encode(he),
            "707d66de93fc2c53eef4aed31247e2d7f1b4699d5b4bed3b0e88181d92e75b3a"
        );
        assert_eq!(
            election_fingerprint(&he),
            "TZD7-WKMC-S6BK-3J3K-PLWG-BC3L-K2EW-GXNP"
        );
        let files = [
            ("pkg/a.wasm".to_string(), b"\0asm".to_vec()),
            ("app.js".to_string(), b"x()".to_vec()),
        ];
        assert_eq!(
            hex::encode(web_bundle_hash(&files)),
            "c35e2af30447915565fb63d7f79b9ac8628b44c588dd6c9f869662344b8f1e2a"
        );
    }

    #[test]
    fn fingerprint_form() {
        let f = election_fingerprint(&[7u8; 32]);
        assert_eq!(f.len(), 32 + 7);
        assert!(f.split('-').all(|g| g.len() == 4
            && g.bytes()
                .all(|c| c.is_ascii_uppercase() || (b'2'..=b'7').contains(&c))));
        assert_ne!(f, election_fingerprint(&[8u8; 32]));
        // Domain-separated from the tracking code of the same 32 bytes.
        assert!(!f.starts_with(&crate::ballot::tracking_code_of(&[7u8; 32])));
    }

    #[test]
    fn bundle_files_walks_subdirectories_with_slash_paths() {
        let dir = std::env::temp_dir().join(format!("psephos-bundle-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("pkg")).unwrap();
        std::fs::write(dir.join("app.js"), b"a").unwrap();
        std::fs::write(dir.join("pkg").join("m.wasm"), b"w").unwrap();
        let mut files = web_bundle_files(&dir).unwrap();
        files.sort();
        assert_eq!(
            files,
            vec![
                ("app.js".to_string(), b"a".to_vec()),
                ("pkg/m.wasm".to_string(), b"w".to_vec())
            ]
        );
        let before = web_bundle_hash(&files);
        std::fs::write(dir.join("app.js"), b"b").unwrap();
        assert_ne!(web_bundle_hash(&web_bundle_files(&dir).unwrap()), before);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
