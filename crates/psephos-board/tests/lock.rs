//! One board per store (issue 14, "two `psephos serve` on the same store"): while a board has
//! a store open, a second board, and `init_election`, are refused with `StoreError::Locked`
//! before they touch the log; once the first board is gone the store opens again. SQLite
//! (a file lock) always; PostgreSQL (an advisory lock) when reachable.

mod common;

use common::{Place, Server, TEST_PASSPHRASE};
use psephos_board::bench::bench_manifest;
use psephos_board::store::StoreError;
use psephos_board::{init_election, Board, BoardConfig, BoardError};

fn config(location: &str) -> BoardConfig {
    BoardConfig::new(location, TEST_PASSPHRASE)
}

fn assert_locked(result: Result<impl std::fmt::Debug, BoardError>, what: &str) {
    match result {
        Err(e @ BoardError::Store(StoreError::Locked { .. })) => {
            let message = e.to_string();
            assert!(
                message.contains("another psephos board is already serving"),
                "{what}: {message}"
            );
        }
        other => panic!("{what}: expected StoreError::Locked, got {other:?}"),
    }
}

async fn second_board_is_refused(place: &Place) {
    let location = place.location();
    init_election(&location, bench_manifest(), TEST_PASSPHRASE)
        .await
        .expect("init");

    let first = Board::open(config(&location)).await.expect("first board");
    assert_locked(Board::open(config(&location)).await, "second Board::open");
    assert_locked(
        init_election(&location, bench_manifest(), TEST_PASSPHRASE).await,
        "init_election while a board serves the store",
    );
    drop(first);

    // A served board holds the lock until it has stopped, then releases it.
    let server = Server::start(&location).await;
    assert_locked(
        Board::open(config(&location)).await,
        "Board::open while served",
    );
    server.stop().await;
    Board::open(config(&location))
        .await
        .expect("the store opens again once the first board has stopped");
}

#[tokio::test]
async fn sqlite_second_board_is_refused() {
    let place = Place::sqlite();
    second_board_is_refused(&place).await;
    assert!(std::path::Path::new(&place.location())
        .join(psephos_board::lock::LOCK_FILE_NAME)
        .exists());
    place.cleanup().await;
}

#[tokio::test]
async fn postgres_second_board_is_refused() {
    let Some(place) = Place::postgres("postgres_second_board_is_refused").await else {
        return;
    };
    second_board_is_refused(&place).await;
    place.cleanup().await;
}
