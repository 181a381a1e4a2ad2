use super::*;

const PASS: &str = "correct horse";

#[test]
fn key_and_share_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t1.key");
    let (mut file, secret) = KeyFile::create_for_tests(&path, PASS).unwrap();
    assert!(
        KeyFile::create_for_tests(&path, "xxxxxxxxx").is_err(),
        "never overwrites"
    );
    let again = KeyFile::read(&path).unwrap();
    assert_eq!(
        again
            .transport_secret(&path, PASS)
            .unwrap()
            .public_element(),
        secret.public_element()
    );
    assert!(matches!(
        again.transport_secret(&path, "wrong passphrase"),
        Err(KeyFileError::Decrypt(_))
    ));
    let share = KeyShare::from_received(2, &[psephos_crypto::Scalar::from(7u64)]);
    file.save_share(&path, PASS, &[1u8; 32], &share).unwrap();
    let back = KeyFile::read(&path)
        .unwrap()
        .key_share(&path, PASS)
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

/// A real key file records parameters fit for a long-lived secret (≥ 64 MiB, ≥ 3
/// passes), read back from the file itself. (One real Argon2id run.)
#[test]
fn new_files_record_strong_argon2_parameters() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t1.key");
    KeyFile::create(&path, PASS).unwrap();
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let kdf = &json["transport_key"]["kdf"];
    assert_eq!(kdf["algorithm"], "argon2id");
    assert!(kdf["m_cost"].as_u64().unwrap() >= 64 * 1024, "{kdf}");
    assert!(kdf["t_cost"].as_u64().unwrap() >= 3, "{kdf}");
    let file = KeyFile::read(&path).unwrap();
    assert_eq!(file.transport_key.kdf, trustee_kdf());
    assert_eq!(file.version, KEYFILE_VERSION);
    // What is sealed from now on uses them too (not the test parameters).
    assert_eq!(*file.kdf(), trustee_kdf());
}

/// The sealed share's associated data binds H_B: a file whose recorded H_B is changed no
/// longer opens, and a share of another election is refused by name.
#[test]
fn share_is_bound_to_its_election() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t1.key");
    let (mut file, _) = KeyFile::create_for_tests(&path, PASS).unwrap();
    let share = KeyShare::from_received(1, &[psephos_crypto::Scalar::from(9u64)]);
    let (hb, other) = ([0xb1u8; 32], [0xb2u8; 32]);
    file.save_share(&path, PASS, &hb, &share).unwrap();
    let file = KeyFile::read(&path).unwrap();
    assert!(file.key_share_for(&path, PASS, &hb).is_ok());
    assert!(matches!(
        file.key_share_for(&path, PASS, &other),
        Err(KeyFileError::OtherElection { .. })
    ));
    // Moving the sealed share to another election by editing the file: refused.
    let mut json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    json["share"]["base_hash"] = serde_json::json!(hex::encode(other));
    std::fs::write(&path, serde_json::to_vec(&json).unwrap()).unwrap();
    let moved = KeyFile::read(&path).unwrap();
    assert!(matches!(
        moved.key_share_for(&path, PASS, &other),
        Err(KeyFileError::Decrypt(_))
    ));
}

/// A passphrase from PSEPHOS_PASSPHRASE meets the typed passphrase's length rule.
#[test]
fn short_environment_passphrase_is_refused() {
    let err = from_environment(PASSPHRASE_ENV, "short".into()).unwrap_err();
    assert!(matches!(err, KeyFileError::ShortPassphrase { .. }));
    let message = err.to_string();
    assert!(message.contains("PSEPHOS_PASSPHRASE"), "{message}");
    assert!(message.contains("at least 8 characters"), "{message}");
    // Characters, not bytes: seven accented letters are still too short.
    assert!(from_environment(PASSPHRASE_ENV, "ééééééé".into()).is_err());
    assert_eq!(
        *from_environment(PASSPHRASE_ENV, "long enough".into()).unwrap(),
        "long enough"
    );
    assert!(check_length("1234567", "the typed passphrase").is_err());
}

/// A version-1 file sealed under weaker parameters (and without H_B in the share's
/// associated data) still opens; rewriting it re-seals the transport key with the file's
/// current parameters and makes it version 2.
#[test]
fn old_files_open_and_are_upgraded_when_rewritten() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.key");
    let old_kdf = KdfParams {
        algorithm: "argon2id".into(),
        m_cost: 64,
        t_cost: 1,
        p_cost: 1,
    };
    let secret = TrusteeSecretKey::random(&mut OsRng);
    let public_key = secret.public_element();
    let share = KeyShare::from_received(3, &[psephos_crypto::Scalar::from(5u64)]);
    let hb = [0xb3u8; 32];
    let v1 = KeyFile {
        version: 1,
        public_key,
        transport_key: seal_with(
            PASS,
            &secret.to_bytes()[..],
            &transport_aad(&public_key),
            &old_kdf,
        )
        .unwrap(),
        ceremony: None,
        share: Some(SealedShare {
            index: 3,
            base_hash: hex::encode(hb),
            verification_key: share.verification_key(),
            sealed: seal_with(
                PASS,
                &share.to_bytes()[..],
                &share_aad(1, 3, &public_key, &hb),
                &old_kdf,
            )
            .unwrap(),
        }),
        kdf: old_kdf.clone(),
    };
    v1.write(&path).unwrap();
    let mut file = KeyFile::read(&path).unwrap().with_test_kdf();
    assert_eq!(file.version, 1);
    assert_eq!(file.transport_key.kdf, old_kdf);
    assert_eq!(
        file.transport_secret(&path, PASS).unwrap().public_element(),
        public_key
    );
    assert_eq!(
        file.key_share_for(&path, PASS, &hb)
            .unwrap()
            .verification_key(),
        share.verification_key()
    );
    file.save_share(&path, PASS, &hb, &share).unwrap();
    let upgraded = KeyFile::read(&path).unwrap();
    assert_eq!(upgraded.version, 2);
    assert_eq!(upgraded.transport_key.kdf, test_kdf());
    assert_eq!(
        upgraded
            .transport_secret(&path, PASS)
            .unwrap()
            .public_element(),
        public_key
    );
    assert!(upgraded.key_share_for(&path, PASS, &hb).is_ok());
    // A file asking for absurd parameters is refused before any derivation.
    let mut json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    json["transport_key"]["kdf"]["m_cost"] = serde_json::json!(u32::MAX);
    std::fs::write(&path, serde_json::to_vec(&json).unwrap()).unwrap();
    assert!(matches!(
        KeyFile::read(&path),
        Err(KeyFileError::Format { .. })
    ));
}

/// The ceremony's polynomial is sealed for one trustee index and one election, and
/// dropped once the share is saved.
#[test]
fn polynomial_is_kept_for_its_ceremony_only() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t2.key");
    let (mut file, _) = KeyFile::create_for_tests(&path, PASS).unwrap();
    let hb = [0xb4u8; 32];
    let polynomial = Polynomial::random(3, &mut OsRng);
    file.save_polynomial(&path, PASS, &hb, 2, &polynomial)
        .unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(!text.contains(&hex::encode(&polynomial.to_bytes()[..32])));
    let file = KeyFile::read(&path).unwrap().with_test_kdf();
    let back = file.polynomial(&path, PASS, &hb, 2).unwrap().unwrap();
    assert_eq!(back.evaluate(7), polynomial.evaluate(7));
    assert!(file.polynomial(&path, PASS, &hb, 1).unwrap().is_none());
    assert!(file
        .polynomial(&path, PASS, &[0u8; 32], 2)
        .unwrap()
        .is_none());
    assert!(matches!(
        file.polynomial(&path, "wrong passphrase", &hb, 2),
        Err(KeyFileError::Decrypt(_))
    ));
    let mut file = file;
    let share = KeyShare::from_received(2, &[psephos_crypto::Scalar::from(1u64)]);
    file.save_share(&path, PASS, &hb, &share).unwrap();
    assert!(KeyFile::read(&path).unwrap().ceremony.is_none());
}
