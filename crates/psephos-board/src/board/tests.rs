use super::*;
use psephos_crypto::group::FixedBase;
use psephos_crypto::nonce::BallotSeed;
use psephos_record::credential::generate_code;
use psephos_record::entry::BallotEntry;
use psephos_record::Credential;

/// The entry written without cloning the ballot is the entry `entry_bytes` writes.
#[test]
fn ballot_entry_bytes_match_the_record_encoding() {
    let manifest = crate::bench::bench_manifest();
    let he = [9u8; 32];
    let key = FixedBase::new(Element::from_point(psephos_crypto::group::mul_g(
        &curve25519_scalar(5),
    )));
    let cred = Credential::from_code(&[1u8; 32], &generate_code(&mut OsRng)).unwrap();
    let choices: Vec<Vec<u64>> = manifest
        .questions
        .iter()
        .map(|q| {
            let mut v = vec![0; q.options.len()];
            v[0] = 1;
            v
        })
        .collect();
    let ballot = Ballot::create(
        &manifest,
        &he,
        &key,
        &cred,
        [3u8; 16],
        &choices,
        &BallotSeed::random(&mut OsRng),
    )
    .unwrap();
    let hash = ballot.hash(&he);
    let expected = entry_bytes(&Entry::Ballot(BallotEntry {
        ballot: ballot.clone(),
        tracking_code: tracking_code_of(&hash),
    }));
    assert_eq!(entry_bytes_of_ballot(&ballot, &hash), expected);
}

const PASS: &str = "unit test passphrase";

async fn new_board_store() -> (tempfile::TempDir, String, InitOutput) {
    let dir = tempfile::tempdir().unwrap();
    let location = dir.path().join("board").display().to_string();
    let init = init_election(&location, crate::bench::bench_manifest(), PASS)
        .await
        .unwrap();
    (dir, location, init)
}

/// The signing key is stored sealed only, opens with its passphrase and with no other.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_signing_key_is_sealed_at_rest() {
    let (_dir, location, init) = new_board_store().await;
    let store = Store::open(&location).await.unwrap();
    assert_eq!(store.get_meta(META_SIGNING_KEY).await.unwrap(), None);
    let sealed = store
        .get_meta(META_SEALED_SIGNING_KEY)
        .await
        .unwrap()
        .unwrap();
    let key = load_signing_key(&store, &init.board_key, PASS)
        .await
        .unwrap();
    let seed_hex = hex::encode(key.to_bytes());
    assert!(!String::from_utf8_lossy(&sealed).contains(&seed_hex));
    let err = load_signing_key(&store, &init.board_key, "another passphrase")
        .await
        .expect_err("wrong passphrase");
    assert!(matches!(err, BoardError::Passphrase(_)), "{err}");
    store.close().await;
    let err = Board::open(BoardConfig::new(location.clone(), "another passphrase"))
        .await
        .expect_err("wrong passphrase");
    assert!(matches!(err, BoardError::Passphrase(_)), "{err}");
    let board = Board::open(BoardConfig::new(location, PASS)).await.unwrap();
    assert_eq!(board.inner.key.verifying_key().to_bytes(), init.board_key);
    assert!(matches!(
        init_election("unused", crate::bench::bench_manifest(), "short").await,
        Err(BoardError::Passphrase(_))
    ));
}

/// A store whose key was kept in the clear (by an older psephos) has it sealed at the
/// next start, and the clear copy deleted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clear_signing_key_is_sealed_at_start() {
    let (_dir, location, init) = new_board_store().await;
    let store = Store::open(&location).await.unwrap();
    let key = load_signing_key(&store, &init.board_key, PASS)
        .await
        .unwrap();
    store
        .put_meta(META_SIGNING_KEY, &key.to_bytes())
        .await
        .unwrap();
    store.delete_meta(META_SEALED_SIGNING_KEY).await.unwrap();
    store.close().await;
    let board = Board::open(BoardConfig::new(location.clone(), "a new passphrase"))
        .await
        .unwrap();
    assert_eq!(board.inner.key.to_bytes(), key.to_bytes());
    let store = &board.inner.store;
    assert_eq!(store.get_meta(META_SIGNING_KEY).await.unwrap(), None);
    let again = load_signing_key(store, &init.board_key, "a new passphrase")
        .await
        .unwrap();
    assert_eq!(again.to_bytes(), key.to_bytes());
}

fn curve25519_scalar(x: u64) -> psephos_crypto::Scalar {
    psephos_crypto::Scalar::from(x)
}
