//! One board per store: an exclusive lock held for as long as a board has the store open.
//!
//! Two boards appending to one log break each other (the second's appends collide with the
//! first's, `non-contiguous append`, and the first then serves a state that is not what is
//! stored), so [`StoreLock::acquire`] refuses the second one instead:
//!
//! * SQLite (a directory): an exclusive lock on the file `DIR/board.lock` (an OS file lock,
//!   `flock` on Unix), released by the operating system when the process ends, however it
//!   ends;
//! * PostgreSQL: a session-level advisory lock ([`PG_ADVISORY_LOCK_KEY`]) on a connection of
//!   its own, released by the server when that connection closes.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::Path;
use std::str::FromStr;

use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::Connection;

use crate::store::{is_postgres_url, StoreError};

/// Name of the lock file inside the SQLite store's directory.
pub const LOCK_FILE_NAME: &str = "board.lock";

/// Key of the PostgreSQL advisory lock a board holds on its database: the bytes "psephos\0"
/// read as a big-endian signed 64-bit integer.
pub const PG_ADVISORY_LOCK_KEY: i64 = i64::from_be_bytes(*b"psephos\0");

/// How long a held PostgreSQL advisory lock is tried again before [`StoreError::Locked`].
pub const PG_LOCK_PATIENCE: std::time::Duration = std::time::Duration::from_secs(5);

/// The exclusive lock on a store; released when dropped.
#[derive(Debug)]
pub enum StoreLock {
    /// The locked `board.lock` file of an SQLite store.
    File(File),
    /// The connection that holds the advisory lock of a PostgreSQL store.
    Postgres(PgConnection),
}

impl StoreLock {
    /// Takes the store's lock, or fails with [`StoreError::Locked`] at once (it never waits)
    /// when another board holds it. `location` is what [`crate::store::Store::open`] takes.
    pub async fn acquire(location: &str) -> Result<StoreLock, StoreError> {
        if is_postgres_url(location) {
            let options = PgConnectOptions::from_str(location).map_err(StoreError::InvalidUrl)?;
            let mut conn = PgConnection::connect_with(&options)
                .await
                .map_err(|source| StoreError::Database {
                    context: "connecting to PostgreSQL",
                    source,
                })?;
            // The server releases a lock when it notices that its holder's connection has
            // closed, which takes a moment after a board stops (or is killed): so a held lock
            // is tried again for a few seconds before the store counts as served by another.
            let deadline = std::time::Instant::now() + PG_LOCK_PATIENCE;
            let mut locked = false;
            while !locked {
                locked = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
                    .bind(PG_ADVISORY_LOCK_KEY)
                    .fetch_one(&mut conn)
                    .await
                    .map_err(|source| StoreError::Database {
                        context: "taking the board's advisory lock",
                        source,
                    })?;
                if locked || std::time::Instant::now() >= deadline {
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            if !locked {
                return Err(StoreError::Locked {
                    store: format!(
                        "PostgreSQL database {}",
                        options.get_database().unwrap_or("(default)")
                    ),
                    how: format!("advisory lock {PG_ADVISORY_LOCK_KEY} is held"),
                });
            }
            Ok(StoreLock::Postgres(conn))
        } else {
            let dir = Path::new(location);
            crate::store::create_store_dir(dir)?;
            let path = dir.join(LOCK_FILE_NAME);
            let file = OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(&path)
                .map_err(|source| StoreError::LockFile {
                    path: path.clone(),
                    source,
                })?;
            match file.try_lock() {
                Ok(()) => Ok(StoreLock::File(file)),
                Err(TryLockError::WouldBlock) => Err(StoreError::Locked {
                    store: format!("SQLite store {}", dir.display()),
                    how: format!("{} is locked", path.display()),
                }),
                Err(TryLockError::Error(source)) => Err(StoreError::LockFile { path, source }),
            }
        }
    }
}
