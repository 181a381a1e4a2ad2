use super::*;
use rand_core::{OsRng, RngCore};

/// Default PostgreSQL server for the tests, overridden by the
/// `PSEPHOS_TEST_DATABASE_URL` environment variable.
pub const DEFAULT_PG_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// A place to open stores in, removed by [`Fixture::cleanup`].
#[allow(clippy::large_enum_variant)] // one per test
pub enum Fixture {
    /// A temporary directory for SQLite.
    Sqlite(tempfile::TempDir),
    /// A freshly created PostgreSQL database.
    Postgres {
        /// Connection to the server's base database, to drop ours.
        admin: PgPool,
        /// Name of our database.
        name: String,
        /// Options pointing at our database.
        options: PgConnectOptions,
        /// URL pointing at our database.
        url: String,
    },
}

impl Fixture {
    /// A fresh SQLite directory.
    pub fn sqlite() -> Fixture {
        Fixture::Sqlite(tempfile::tempdir().expect("create a temporary directory"))
    }

    /// A fresh PostgreSQL database, or `None` (after a loud message)
    /// when the server cannot be reached.
    pub async fn postgres(test: &str) -> Option<Fixture> {
        let base = std::env::var("PSEPHOS_TEST_DATABASE_URL")
            .unwrap_or_else(|_| DEFAULT_PG_URL.to_string());
        let base_opts = match PgConnectOptions::from_str(&base) {
            Ok(o) => o,
            Err(e) => {
                skip(test, &format!("bad URL {base}: {e}"));
                return None;
            }
        };
        let admin = match PgPoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(3))
            .connect_with(base_opts.clone())
            .await
        {
            Ok(p) => p,
            Err(e) => {
                skip(test, &format!("cannot connect to {base}: {e}"));
                return None;
            }
        };
        let name = format!("psephos_test_{:016x}", OsRng.next_u64());
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&admin)
            .await
            .expect("create the test database");
        Some(Fixture::Postgres {
            admin,
            url: with_database(&base, &name),
            options: base_opts.database(&name),
            name,
        })
    }

    /// Opens a store on the fixture (again), through [`Store::open`].
    pub async fn open(&self) -> Store {
        let location = match self {
            Fixture::Sqlite(dir) => dir.path().join("board").to_string_lossy().into_owned(),
            Fixture::Postgres { url, .. } => url.clone(),
        };
        Store::open(&location).await.expect("open the store")
    }

    /// Opens a store through the backend-specific constructor.
    pub async fn open_direct(&self) -> Store {
        match self {
            Fixture::Sqlite(dir) => Store::open_sqlite(&dir.path().join("board")).await,
            Fixture::Postgres { options, .. } => Store::open_postgres(options.clone()).await,
        }
        .expect("open the store")
    }

    /// Makes inserting a log entry whose body is `boom` fail, to test
    /// failed commits.
    pub async fn install_boom_trigger(&self, store: &Store) {
        match store {
            Store::Sqlite(pool) => {
                sqlx::query(
                    "CREATE TRIGGER boom BEFORE INSERT ON log_entries \
                     WHEN NEW.body = X'626f6f6d' BEGIN SELECT RAISE(ABORT, 'boom'); END",
                )
                .execute(pool)
                .await
                .expect("create trigger");
            }
            Store::Postgres(pool) => {
                sqlx::query(
                    "CREATE FUNCTION boom() RETURNS trigger AS $$ BEGIN \
                     IF NEW.body = '\\x626f6f6d'::bytea THEN RAISE EXCEPTION 'boom'; END IF; \
                     RETURN NEW; END $$ LANGUAGE plpgsql",
                )
                .execute(pool)
                .await
                .expect("create function");
                sqlx::query(
                    "CREATE TRIGGER boom BEFORE INSERT ON log_entries \
                     FOR EACH ROW EXECUTE FUNCTION boom()",
                )
                .execute(pool)
                .await
                .expect("create trigger");
            }
        }
    }

    /// Removes the fixture (drops the PostgreSQL database).
    pub async fn cleanup(self) {
        if let Fixture::Postgres { admin, name, .. } = self {
            if let Err(e) = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&admin)
                .await
            {
                eprintln!("could not drop test database {name}: {e}");
            }
            admin.close().await;
        }
    }
}

/// Says loudly that a PostgreSQL test is skipped. Written straight to
/// the process's stderr, which the test harness does not capture (it
/// captures `eprintln!`), so that it shows in every run.
fn skip(test: &str, why: &str) {
    use std::io::Write;
    let _ = writeln!(
        std::io::stderr(),
        "SKIPPING PostgreSQL test {test}: {why} (set PSEPHOS_TEST_DATABASE_URL)"
    );
}

/// `url` with its database (path) replaced by `name`.
fn with_database(url: &str, name: &str) -> String {
    let (main, query) = match url.find('?') {
        Some(i) => url.split_at(i),
        None => (url, ""),
    };
    let authority_start = main.find("://").map_or(0, |i| i + 3);
    let path_start = main[authority_start..]
        .find('/')
        .map_or(main.len(), |i| authority_start + i);
    format!("{}/{name}{query}", &main[..path_start])
}

/// Defines module `$name` with tests `sqlite` and `postgres` that run the
/// sibling `async fn $name(&Fixture)` against a fresh SQLite store and,
/// when the server is reachable, a fresh PostgreSQL database.
macro_rules! both_backends {
    ($name:ident) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let fixture = $crate::store::testutil::Fixture::sqlite();
                super::$name(&fixture).await;
                fixture.cleanup().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let Some(fixture) =
                    $crate::store::testutil::Fixture::postgres(stringify!($name)).await
                else {
                    return;
                };
                super::$name(&fixture).await;
                fixture.cleanup().await;
            }
        }
    };
}
pub(crate) use both_backends;

#[test]
fn url_database_replacement() {
    assert_eq!(
        with_database("postgres://postgres@127.0.0.1:5432/test", "x"),
        "postgres://postgres@127.0.0.1:5432/x"
    );
    assert_eq!(
        with_database("postgres://u:p@h/db?sslmode=disable", "x"),
        "postgres://u:p@h/x?sslmode=disable"
    );
    assert_eq!(
        with_database("postgres://h:5432", "x"),
        "postgres://h:5432/x"
    );
}
