//! Helpers of the end-to-end tests: a fresh store per test, SQLite or PostgreSQL.
#![forbid(unsafe_code)]

use std::path::PathBuf;

use rand_core::{OsRng, RngCore};
use sqlx::Connection;

/// Where a test keeps its board.
pub enum TestStore {
    /// A temporary SQLite directory.
    Sqlite(tempfile::TempDir),
    /// A fresh PostgreSQL database, dropped at [`TestStore::cleanup`].
    Postgres {
        /// Server URL with the test database.
        url: String,
        /// The administrative URL it was created from.
        admin_url: String,
        /// The database's name.
        name: String,
    },
}

/// The PostgreSQL server the tests use.
pub fn postgres_admin_url() -> String {
    std::env::var("PSEPHOS_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_string())
}

fn with_database(url: &str, name: &str) -> String {
    let (head, query) = match url.split_once('?') {
        Some((h, q)) => (h, Some(q)),
        None => (url, None),
    };
    // postgres://user@host:port/db → replace the path.
    let scheme_end = head.find("://").map(|i| i + 3).unwrap_or(0);
    let base = match head[scheme_end..].find('/') {
        Some(i) => &head[..scheme_end + i],
        None => head,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

impl TestStore {
    /// A temporary SQLite store.
    pub fn sqlite() -> Self {
        TestStore::Sqlite(tempfile::tempdir().expect("temp dir"))
    }

    /// A fresh PostgreSQL database `psephos_e2e_<random>`, or `None` (with a loud message)
    /// when the server cannot be reached.
    pub async fn postgres(test: &str) -> Option<Self> {
        let admin_url = postgres_admin_url();
        let mut conn = match tokio::time::timeout(
            std::time::Duration::from_secs(5),
            sqlx::PgConnection::connect(&admin_url),
        )
        .await
        {
            Ok(Ok(c)) => c,
            Ok(Err(e)) => {
                eprintln!("\n!!! SKIPPING {test}: PostgreSQL at {admin_url} is unreachable: {e}\n");
                return None;
            }
            Err(_) => {
                eprintln!("\n!!! SKIPPING {test}: PostgreSQL at {admin_url} did not answer\n");
                return None;
            }
        };
        let name = format!("psephos_e2e_{:016x}", OsRng.next_u64());
        if let Err(e) = sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await
        {
            eprintln!("\n!!! SKIPPING {test}: cannot create a database on {admin_url}: {e}\n");
            return None;
        }
        let _ = conn.close().await;
        Some(TestStore::Postgres {
            url: with_database(&admin_url, &name),
            admin_url,
            name,
        })
    }

    /// The location string for the board.
    pub fn location(&self) -> String {
        match self {
            TestStore::Sqlite(dir) => dir.path().join("board").display().to_string(),
            TestStore::Postgres { url, .. } => url.clone(),
        }
    }

    /// The SQLite directory, if this is SQLite.
    pub fn sqlite_dir(&self) -> Option<PathBuf> {
        match self {
            TestStore::Sqlite(dir) => Some(dir.path().to_path_buf()),
            TestStore::Postgres { .. } => None,
        }
    }

    /// Drops the PostgreSQL database (best effort).
    pub async fn cleanup(self) {
        if let TestStore::Postgres {
            admin_url, name, ..
        } = self
        {
            if let Ok(mut conn) = sqlx::PgConnection::connect(&admin_url).await {
                let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut conn)
                    .await;
                let _ = conn.close().await;
            }
        }
    }
}

/// The passphrase of the trustees' key files in these tests.
pub const TRUSTEE_PASSPHRASE: &str = "e2e passphrase";

/// Runs the key ceremony of every trustee concurrently, trustee i (1-based) with
/// `tokens[i - 1]` and an encrypted key file `t{i}.key` in `dir` (test-strength KDF,
/// [`TRUSTEE_PASSPHRASE`]); panics if a trustee fails.
pub async fn run_ceremony(
    public: &psephos_cli::client::Client,
    tokens: &[String],
    dir: &std::path::Path,
) {
    use psephos_cli::keyfile::KeyFile;
    use psephos_cli::trustee::{self, CeremonyOptions};
    let mut tasks = Vec::new();
    for (i, token) in (1u32..).zip(tokens) {
        let client = public.clone().with_token(token);
        let path = dir.join(format!("t{i}.key"));
        tasks.push(tokio::spawn(async move {
            let (file, secret) =
                KeyFile::create_for_tests(&path, TRUSTEE_PASSPHRASE).expect("keygen");
            let options = CeremonyOptions {
                poll: std::time::Duration::from_millis(50),
                timeout: std::time::Duration::from_secs(120),
                ..Default::default()
            };
            let mut store = trustee::KeyFileStore {
                file,
                path,
                passphrase: TRUSTEE_PASSPHRASE.to_string().into(),
            };
            trustee::ceremony(&client, i, &secret, &mut store, &options)
                .await
                .expect("ceremony");
        }));
    }
    for t in tasks {
        t.await.expect("trustee task");
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn database_urls() {
        assert_eq!(
            super::with_database("postgres://postgres@127.0.0.1:5432/test", "x"),
            "postgres://postgres@127.0.0.1:5432/x"
        );
        assert_eq!(
            super::with_database("postgres://u:p@h/db?sslmode=disable", "x"),
            "postgres://u:p@h/x?sslmode=disable"
        );
        assert_eq!(
            super::with_database("postgres://h:1", "x"),
            "postgres://h:1/x"
        );
    }
}
