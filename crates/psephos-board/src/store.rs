//! Durable, append-only storage of the bulletin board's log.
//!
//! The board keeps its election state in memory and rebuilds it at start by
//! replaying the log, so this store is deliberately dumb: it keeps
//!
//! * the log entries (`seq`, `entry_hash`, canonical JSON `body`), with
//!   `seq` 0-based and contiguous;
//! * the signed checkpoints, in the order they were issued;
//! * a small key/value table of settings.
//!
//! Two backends share one schema: an embedded SQLite database (a directory
//! holding `board.sqlite3`, WAL journal, `synchronous=FULL` so that a commit
//! is on disk before the board acknowledges it) and PostgreSQL (a
//! `postgres://` URL; PostgreSQL's default `synchronous_commit=on` gives the
//! same guarantee). The schema lives in `migrations/sqlite` and
//! `migrations/postgres` and is applied by [`Store::open`].
//!
//! The store never interprets bodies or hashes: chaining and hashing are the
//! business of [`crate::writer::LogWriter`].

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::Row;
use thiserror::Error;

/// Name of the SQLite database file inside the board's data directory.
pub const SQLITE_FILE_NAME: &str = "board.sqlite3";

/// One stored log entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEntry {
    /// Position of the entry in the log, 0-based and contiguous.
    pub seq: u64,
    /// Chained hash of the entry, as computed by the writer's hash function.
    pub entry_hash: [u8; 32],
    /// Canonical JSON bytes of the log entry.
    pub body: Vec<u8>,
}

/// One stored signed checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCheckpoint {
    /// Number of log entries the checkpoint covers.
    pub tree_size: u64,
    /// The signed checkpoint's JSON bytes.
    pub body: Vec<u8>,
}

/// Everything that can go wrong while storing or loading the log.
#[derive(Debug, Error)]
pub enum StoreError {
    /// The SQLite data directory could not be created.
    #[error("cannot create the board data directory {path}: {source}")]
    CreateDir {
        /// The directory that could not be created.
        path: PathBuf,
        /// The underlying I/O error.
        source: std::io::Error,
    },
    /// The SQLite database file could not be created readable by its owner only.
    #[error("cannot create {path} with owner-only permissions: {source}")]
    CreateFile {
        /// The file.
        path: PathBuf,
        /// The underlying I/O error.
        source: std::io::Error,
    },
    /// Another board already has the store open (see [`crate::lock`]).
    #[error("another psephos board is already serving the {store} ({how}); stop it first, or serve another store")]
    Locked {
        /// Which store.
        store: String,
        /// Which lock is held.
        how: String,
    },
    /// The SQLite store's lock file could not be opened or locked.
    #[error("cannot lock {path}: {source}")]
    LockFile {
        /// The lock file.
        path: PathBuf,
        /// The underlying I/O error.
        source: std::io::Error,
    },
    /// The PostgreSQL URL could not be parsed.
    #[error("invalid PostgreSQL URL: {0}")]
    InvalidUrl(#[source] sqlx::Error),
    /// A database operation failed.
    #[error("database error while {context}: {source}")]
    Database {
        /// What the store was doing.
        context: &'static str,
        /// The underlying database error.
        source: sqlx::Error,
    },
    /// Applying the schema migrations failed.
    #[error("schema migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// An append did not start right after the last stored entry, or its
    /// entries were not numbered consecutively.
    #[error("non-contiguous append: expected seq {expected}, got {got}")]
    NonContiguous {
        /// The seq the entry should have had.
        expected: u64,
        /// The seq it had.
        got: u64,
    },
    /// A checkpoint's tree size is smaller than an earlier checkpoint's.
    #[error("checkpoint for tree size {got} comes after one for tree size {last}")]
    CheckpointOutOfOrder {
        /// Tree size of the last stored checkpoint.
        last: u64,
        /// Tree size of the rejected checkpoint.
        got: u64,
    },
    /// A checkpoint covers entries that are not stored.
    #[error("checkpoint for tree size {tree_size} but only {log_len} entries are stored")]
    CheckpointBeyondLog {
        /// Tree size of the rejected checkpoint.
        tree_size: u64,
        /// Number of entries stored.
        log_len: u64,
    },
    /// A number does not fit the database's signed 64-bit integers.
    #[error("{what} {value} does not fit in a signed 64-bit database integer")]
    OutOfRange {
        /// What the number is.
        what: &'static str,
        /// The number.
        value: u64,
    },
    /// The database holds something the schema should have prevented.
    #[error("corrupt store: {0}")]
    Corrupt(String),
    /// The log writer task has stopped (all its handles were dropped, or it
    /// panicked), so the append was not done.
    #[error("the log writer has stopped")]
    WriterClosed,
    /// An earlier commit failed in a way that leaves the writer unsure of
    /// what is stored; the board must restart and replay the log.
    #[error("the log writer is poisoned by an earlier failed commit; restart the board")]
    WriterPoisoned,
    /// The group commit that held this append failed; nothing of the batch
    /// was acknowledged. The same error is shared by every append of the batch.
    #[error("group commit failed: {0}")]
    BatchFailed(#[source] Arc<StoreError>),
}

/// Attaches what the store was doing to a database error.
fn db(context: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
    move |source| StoreError::Database { context, source }
}

/// Converts a count or position to the database's `BIGINT`.
fn to_i64(what: &'static str, value: u64) -> Result<i64, StoreError> {
    i64::try_from(value).map_err(|_| StoreError::OutOfRange { what, value })
}

/// Converts a database `BIGINT` back, refusing negative values.
fn from_i64(what: &str, value: i64) -> Result<u64, StoreError> {
    u64::try_from(value).map_err(|_| StoreError::Corrupt(format!("negative {what} {value}")))
}

/// Runs the same code on whichever pool the store has; `$pool` is bound to
/// the concrete pool in each arm. SQL with `$N` placeholders works on both.
macro_rules! on_pool {
    ($store:expr, $pool:ident => $body:expr) => {
        match $store {
            Store::Sqlite($pool) => $body,
            Store::Postgres($pool) => $body,
        }
    };
}

/// Seq of the next entry to append: one past the highest stored seq (an
/// index look-up, not a scan).
const NEXT_SEQ_SQL: &str = "SELECT COALESCE(MAX(seq) + 1, 0) FROM log_entries";

/// The next checkpoint index and the tree size of the last stored checkpoint.
const LAST_CHECKPOINT_SQL: &str = "SELECT COALESCE(MAX(idx) + 1, 0), \
     COALESCE((SELECT tree_size FROM checkpoints ORDER BY idx DESC LIMIT 1), 0) \
     FROM checkpoints";

/// Checks that `cp` may follow the last stored checkpoint (`last_size`, `next_idx`) in a log
/// of `log_len` entries.
fn check_checkpoint(
    cp: &StoredCheckpoint,
    next_idx: i64,
    last_size: i64,
    log_len: i64,
) -> Result<(), StoreError> {
    let log_len = from_i64("log length", log_len)?;
    if cp.tree_size > log_len {
        return Err(StoreError::CheckpointBeyondLog {
            tree_size: cp.tree_size,
            log_len,
        });
    }
    let last = from_i64("tree size", last_size)?;
    if next_idx > 0 && cp.tree_size < last {
        return Err(StoreError::CheckpointOutOfOrder {
            last,
            got: cp.tree_size,
        });
    }
    Ok(())
}

/// Inserts the checkpoint `$cp` after the stored ones, inside the open transaction `$tx`
/// (SQLite or PostgreSQL: the statements are the same), after [`check_checkpoint`].
macro_rules! insert_checkpoint {
    ($tx:ident, $cp:expr) => {{
        let cp: &StoredCheckpoint = $cp;
        let tree_size = to_i64("tree size", cp.tree_size)?;
        let (next_idx, last_size): (i64, i64) = sqlx::query_as(LAST_CHECKPOINT_SQL)
            .fetch_one(&mut *$tx)
            .await
            .map_err(db("reading the last checkpoint"))?;
        let log_len: i64 = sqlx::query_scalar(NEXT_SEQ_SQL)
            .fetch_one(&mut *$tx)
            .await
            .map_err(db("reading the log length"))?;
        check_checkpoint(cp, next_idx, last_size, log_len)?;
        sqlx::query("INSERT INTO checkpoints (idx, tree_size, body) VALUES ($1, $2, $3)")
            .bind(next_idx)
            .bind(tree_size)
            .bind(&cp.body[..])
            .execute(&mut *$tx)
            .await
            .map_err(db("inserting a checkpoint"))?;
    }};
}

/// Whether a store location is a PostgreSQL URL (`postgres://` or `postgresql://`); any
/// other location is the directory of an SQLite store.
pub fn is_postgres_url(location: &str) -> bool {
    location.starts_with("postgres://") || location.starts_with("postgresql://")
}

/// The board's durable log storage: an SQLite or PostgreSQL connection pool.
///
/// Cloning is cheap (pools are reference counted).
#[derive(Debug, Clone)]
pub enum Store {
    /// Embedded SQLite database in a directory.
    Sqlite(SqlitePool),
    /// PostgreSQL server.
    Postgres(PgPool),
}

/// Creates `path` (if missing) readable and writable by its owner only: the SQLite file holds
/// the sealed board key and the token hashes. SQLite gives its `-wal` and `-shm` files the
/// database file's permissions. An existing file readable by others is narrowed, with a
/// warning.
fn create_owner_only(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .open(path)?;
        let mode = std::fs::metadata(path)?.permissions().mode();
        if mode & 0o077 != 0 {
            tracing::warn!(path = %path.display(), mode = format!("{:o}", mode & 0o777), "the board's database was readable by others; narrowing it to 0600");
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// Creates the SQLite store's directory, its owner's only (existing ones are left alone). The
/// store lock ([`crate::lock`]) and the store itself both create it through here, whichever
/// comes first.
pub(crate) fn create_store_dir(dir: &Path) -> Result<(), StoreError> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(|source| StoreError::CreateDir {
        path: dir.to_path_buf(),
        source,
    })
}

impl Store {
    /// Opens the store and applies any pending schema migrations.
    ///
    /// `location` is either a `postgres://` (or `postgresql://`) URL, or the
    /// path of a directory for the embedded SQLite store: the directory and
    /// the database file `DIR/board.sqlite3` are created on first run.
    pub async fn open(location: &str) -> Result<Store, StoreError> {
        if is_postgres_url(location) {
            let options = PgConnectOptions::from_str(location).map_err(StoreError::InvalidUrl)?;
            Self::open_postgres(options).await
        } else {
            Self::open_sqlite(Path::new(location)).await
        }
    }

    /// Opens (creating on first run) the SQLite store in directory `dir`,
    /// in WAL mode with `synchronous=FULL`, and migrates it.
    pub async fn open_sqlite(dir: &Path) -> Result<Store, StoreError> {
        create_store_dir(dir)?;
        let file = dir.join(SQLITE_FILE_NAME);
        create_owner_only(&file).map_err(|source| StoreError::CreateFile {
            path: file.clone(),
            source,
        })?;
        let options = SqliteConnectOptions::new()
            .filename(dir.join(SQLITE_FILE_NAME))
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await
            .map_err(db("opening the SQLite database"))?;
        sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
        Ok(Store::Sqlite(pool))
    }

    /// Connects to PostgreSQL with the given options and migrates the
    /// database.
    pub async fn open_postgres(options: PgConnectOptions) -> Result<Store, StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await
            .map_err(db("connecting to PostgreSQL"))?;
        sqlx::migrate!("./migrations/postgres").run(&pool).await?;
        Ok(Store::Postgres(pool))
    }

    /// Closes every connection of the pool, waiting for those in use to be
    /// returned. Later calls on any clone of this store fail.
    pub async fn close(&self) {
        on_pool!(self, pool => pool.close().await)
    }

    /// Appends `entries` in one transaction (the group commit); durable when
    /// this returns `Ok`.
    ///
    /// The first entry's seq must equal [`Store::len`] and the following
    /// ones must count up by one, otherwise [`StoreError::NonContiguous`] is
    /// returned and nothing is stored. Two concurrent appenders of the same
    /// seq cannot both succeed (primary key). An empty slice is a no-op.
    pub async fn append(&self, entries: &[StoredEntry]) -> Result<(), StoreError> {
        self.append_with_checkpoint(entries, None).await
    }

    /// [`Store::append`], and in the same transaction (so that both or neither are stored)
    /// the checkpoint `checkpoint`, which [`Store::append_checkpoint`]'s rules apply to with
    /// the log as it is after `entries`.
    pub async fn append_with_checkpoint(
        &self,
        entries: &[StoredEntry],
        checkpoint: Option<&StoredCheckpoint>,
    ) -> Result<(), StoreError> {
        let Some(first) = entries.first() else {
            return Ok(());
        };
        let first_seq = to_i64("seq", first.seq)?;
        for (i, e) in entries.iter().enumerate() {
            let expected = first
                .seq
                .checked_add(i as u64)
                .ok_or(StoreError::OutOfRange {
                    what: "seq",
                    value: u64::MAX,
                })?;
            if e.seq != expected {
                return Err(StoreError::NonContiguous {
                    expected,
                    got: e.seq,
                });
            }
            to_i64("seq", e.seq)?;
        }
        let check = |next: i64| -> Result<(), StoreError> {
            if next != first_seq {
                return Err(StoreError::NonContiguous {
                    expected: from_i64("seq", next)?,
                    got: first.seq,
                });
            }
            Ok(())
        };
        match self {
            Store::Sqlite(pool) => {
                // BEGIN IMMEDIATE takes the write lock up front, so the seq
                // check and the inserts see the same log.
                let mut tx = pool
                    .begin_with("BEGIN IMMEDIATE")
                    .await
                    .map_err(db("starting the append transaction"))?;
                let next: i64 = sqlx::query_scalar(NEXT_SEQ_SQL)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(db("reading the log length"))?;
                check(next)?;
                for e in entries {
                    sqlx::query(
                        "INSERT INTO log_entries (seq, entry_hash, body) VALUES ($1, $2, $3)",
                    )
                    .bind(to_i64("seq", e.seq)?)
                    .bind(&e.entry_hash[..])
                    .bind(&e.body[..])
                    .execute(&mut *tx)
                    .await
                    .map_err(db("inserting a log entry"))?;
                }
                if let Some(cp) = checkpoint {
                    insert_checkpoint!(tx, cp);
                }
                tx.commit()
                    .await
                    .map_err(db("committing the append transaction"))?;
            }
            Store::Postgres(pool) => {
                let mut tx = pool
                    .begin()
                    .await
                    .map_err(db("starting the append transaction"))?;
                let next: i64 = sqlx::query_scalar(NEXT_SEQ_SQL)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(db("reading the log length"))?;
                check(next)?;
                // One round trip for the whole batch.
                let seqs = entries
                    .iter()
                    .map(|e| to_i64("seq", e.seq))
                    .collect::<Result<Vec<i64>, _>>()?;
                let hashes: Vec<&[u8]> = entries.iter().map(|e| &e.entry_hash[..]).collect();
                let bodies: Vec<&[u8]> = entries.iter().map(|e| &e.body[..]).collect();
                sqlx::query(
                    "INSERT INTO log_entries (seq, entry_hash, body) \
                     SELECT * FROM UNNEST($1::BIGINT[], $2::BYTEA[], $3::BYTEA[])",
                )
                .bind(seqs)
                .bind(hashes)
                .bind(bodies)
                .execute(&mut *tx)
                .await
                .map_err(db("inserting log entries"))?;
                if let Some(cp) = checkpoint {
                    insert_checkpoint!(tx, cp);
                }
                tx.commit()
                    .await
                    .map_err(db("committing the append transaction"))?;
            }
        }
        Ok(())
    }

    /// Number of stored entries, which is also the seq of the next one.
    pub async fn len(&self) -> Result<u64, StoreError> {
        let next: i64 = on_pool!(self, pool => sqlx::query_scalar(NEXT_SEQ_SQL)
            .fetch_one(pool)
            .await
            .map_err(db("reading the log length"))?);
        from_i64("log length", next)
    }

    /// Whether the log has no entries.
    pub async fn is_empty(&self) -> Result<bool, StoreError> {
        Ok(self.len().await? == 0)
    }

    /// Up to `limit` entries starting at seq `from_seq`, in ascending seq
    /// order; empty when `from_seq` is at or past the end.
    pub async fn read_range(
        &self,
        from_seq: u64,
        limit: u64,
    ) -> Result<Vec<StoredEntry>, StoreError> {
        let from = to_i64("seq", from_seq)?;
        let limit_i = i64::try_from(limit).unwrap_or(i64::MAX);
        const SQL: &str =
            "SELECT seq, entry_hash, body FROM log_entries WHERE seq >= $1 ORDER BY seq LIMIT $2";
        let rows = on_pool!(self, pool => {
            let rows = sqlx::query(SQL)
                .bind(from)
                .bind(limit_i)
                .fetch_all(pool)
                .await
                .map_err(db("reading log entries"))?;
            rows.iter()
                .map(|row| {
                    let seq: i64 = row.try_get(0).map_err(db("decoding a log entry"))?;
                    let hash: Vec<u8> = row.try_get(1).map_err(db("decoding a log entry"))?;
                    let body: Vec<u8> = row.try_get(2).map_err(db("decoding a log entry"))?;
                    Ok((seq, hash, body))
                })
                .collect::<Result<Vec<_>, StoreError>>()?
        });
        let mut out = Vec::with_capacity(rows.len());
        for (i, (seq, hash, body)) in rows.into_iter().enumerate() {
            let seq = from_i64("seq", seq)?;
            if Some(seq) != from_seq.checked_add(i as u64) {
                return Err(StoreError::Corrupt(format!(
                    "gap in the log: expected seq {} but found {seq}",
                    from_seq.saturating_add(i as u64)
                )));
            }
            let entry_hash: [u8; 32] = hash.try_into().map_err(|h: Vec<u8>| {
                StoreError::Corrupt(format!(
                    "entry {seq} has a {}-byte hash instead of 32",
                    h.len()
                ))
            })?;
            out.push(StoredEntry {
                seq,
                entry_hash,
                body,
            });
        }
        Ok(out)
    }

    /// Stores a signed checkpoint after all earlier ones.
    ///
    /// Its tree size must be at least that of the last stored checkpoint
    /// ([`StoreError::CheckpointOutOfOrder`]) and at most the number of
    /// stored entries ([`StoreError::CheckpointBeyondLog`]).
    pub async fn append_checkpoint(&self, cp: &StoredCheckpoint) -> Result<(), StoreError> {
        match self {
            Store::Sqlite(pool) => {
                let mut tx = pool
                    .begin_with("BEGIN IMMEDIATE")
                    .await
                    .map_err(db("starting the checkpoint transaction"))?;
                insert_checkpoint!(tx, cp);
                tx.commit().await.map_err(db("committing a checkpoint"))?;
            }
            Store::Postgres(pool) => {
                let mut tx = pool
                    .begin()
                    .await
                    .map_err(db("starting the checkpoint transaction"))?;
                insert_checkpoint!(tx, cp);
                tx.commit().await.map_err(db("committing a checkpoint"))?;
            }
        }
        Ok(())
    }

    /// All stored checkpoints, in the order they were stored.
    pub async fn checkpoints(&self) -> Result<Vec<StoredCheckpoint>, StoreError> {
        const SQL: &str = "SELECT tree_size, body FROM checkpoints ORDER BY idx";
        let rows: Vec<(i64, Vec<u8>)> = on_pool!(self, pool => sqlx::query_as(SQL)
            .fetch_all(pool)
            .await
            .map_err(db("reading checkpoints"))?);
        rows.into_iter()
            .map(|(size, body)| {
                Ok(StoredCheckpoint {
                    tree_size: from_i64("tree size", size)?,
                    body,
                })
            })
            .collect()
    }

    /// The most recently stored checkpoint, if any.
    pub async fn latest_checkpoint(&self) -> Result<Option<StoredCheckpoint>, StoreError> {
        const SQL: &str = "SELECT tree_size, body FROM checkpoints ORDER BY idx DESC LIMIT 1";
        let row: Option<(i64, Vec<u8>)> = on_pool!(self, pool => sqlx::query_as(SQL)
            .fetch_optional(pool)
            .await
            .map_err(db("reading the latest checkpoint"))?);
        row.map(|(size, body)| {
            Ok(StoredCheckpoint {
                tree_size: from_i64("tree size", size)?,
                body,
            })
        })
        .transpose()
    }

    /// Sets `key` to `value`, replacing any earlier value.
    pub async fn put_meta(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        const SQL: &str = "INSERT INTO meta (key, value) VALUES ($1, $2) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value";
        on_pool!(self, pool => sqlx::query(SQL)
            .bind(key)
            .bind(value)
            .execute(pool)
            .await
            .map_err(db("writing a meta value"))
            .map(|_| ()))?;
        Ok(())
    }

    /// Deletes the value stored under `key` (nothing if there is none).
    pub async fn delete_meta(&self, key: &str) -> Result<(), StoreError> {
        on_pool!(self, pool => sqlx::query("DELETE FROM meta WHERE key = $1")
            .bind(key)
            .execute(pool)
            .await
            .map_err(db("deleting a meta value"))
            .map(|_| ()))?;
        Ok(())
    }

    /// The value stored under `key`, if any.
    pub async fn get_meta(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        const SQL: &str = "SELECT value FROM meta WHERE key = $1";
        let value = on_pool!(self, pool => sqlx::query_scalar(SQL)
            .bind(key)
            .fetch_optional(pool)
            .await
            .map_err(db("reading a meta value"))?);
        Ok(value)
    }
}

/// Test fixtures shared by the store and writer tests: a fresh SQLite
/// directory or a fresh PostgreSQL database per test.
#[cfg(test)]
pub(crate) mod testutil;

#[cfg(test)]
mod tests;
