//! Running the board in this process: `psephos admin init`, `psephos serve`, and the
//! in-process boards of the demo and the end-to-end tests.

use std::net::SocketAddr;
use std::path::PathBuf;

use psephos_board::http::HttpConfig;
use psephos_board::{Board, BoardConfig, InitOutput};
use psephos_record::Manifest;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use zeroize::Zeroizing;

/// Default number of entries the board commits in one transaction.
pub const DEFAULT_MAX_BATCH: usize = 256;

/// Why `--data` / `--database` cannot be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum StoreArgError {
    /// Neither was given.
    #[error("give --data DIR (SQLite) or --database postgres://USER@HOST/DATABASE (PostgreSQL)")]
    Neither,
    /// Both were given: one would be ignored.
    #[error("give either --data (SQLite) or --database (PostgreSQL), not both")]
    Both,
    /// `--database` is not a PostgreSQL URL (a mistyped `postgresql:/host/db` would otherwise
    /// have become an SQLite store in a directory named `postgresql:`).
    #[error(
        "--database {0:?} is not a PostgreSQL URL: it must start with postgres:// or \
         postgresql:// (e.g. postgres://psephos@127.0.0.1/psephos); for SQLite use --data DIR"
    )]
    NotPostgresUrl(String),
    /// `--data` looks like a URL (`scheme:...`), not a directory.
    #[error(
        "--data {0:?} looks like a URL, not a directory; for PostgreSQL use --database \
         postgres://USER@HOST/DATABASE (for a directory whose name has a colon, write ./{0})"
    )]
    DataLooksLikeUrl(String),
}

/// Where the board keeps its log: the directory `--data DIR` (SQLite) or `--database URL`
/// (PostgreSQL), exactly one of them, each checked to be what it claims to be.
pub fn location(
    data: Option<&std::path::Path>,
    database: Option<&str>,
) -> Result<String, StoreArgError> {
    match (data, database) {
        (Some(_), Some(_)) => Err(StoreArgError::Both),
        (None, None) => Err(StoreArgError::Neither),
        (None, Some(url)) => postgres_url(url).map(str::to_string),
        (Some(dir), None) => {
            let text = dir.display().to_string();
            if looks_like_url(&text) {
                Err(StoreArgError::DataLooksLikeUrl(text))
            } else {
                Ok(text)
            }
        }
    }
}

/// `url` if it is a PostgreSQL URL (what `--database` takes), else why not.
pub fn postgres_url(url: &str) -> Result<&str, StoreArgError> {
    if psephos_board::store::is_postgres_url(url) {
        Ok(url)
    } else {
        Err(StoreArgError::NotPostgresUrl(url.to_string()))
    }
}

/// `scheme:rest` with a scheme of two or more characters (RFC 3986: a letter, then letters,
/// digits, `+`, `-`, `.`); one letter is left alone, for a Windows drive (`C:`).
fn looks_like_url(text: &str) -> bool {
    let Some((scheme, _)) = text.split_once(':') else {
        return false;
    };
    let mut chars = scheme.chars();
    scheme.len() >= 2
        && chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

/// The `psephos serve` command line for the store at `location` (what `admin init` prints
/// next). A password in a PostgreSQL URL is replaced by `PASSWORD`: the terminal is no
/// place for it.
pub fn serve_command_for(location: &str) -> String {
    if psephos_board::store::is_postgres_url(location) {
        format!("psephos serve --database '{}'", redact_password(location))
    } else {
        format!("psephos serve --data '{location}'")
    }
}

fn redact_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _password)) => format!("{scheme}://{user}:PASSWORD@{host}{tail}"),
            None => url.to_string(),
        },
        None => url.to_string(),
    }
}

/// Creates the election in the store: logs the manifest, makes the board key (sealed under
/// `passphrase`) and the tokens.
pub async fn init(
    location: &str,
    manifest: Manifest,
    passphrase: &str,
) -> anyhow::Result<InitOutput> {
    manifest.validate()?;
    Ok(psephos_board::init_election(location, manifest, passphrase).await?)
}

/// The passphrase of the board's signing key: `$PSEPHOS_BOARD_PASSPHRASE`, else asked on the
/// terminal (twice when `confirm`, at `admin init`).
pub fn board_passphrase(confirm: bool) -> anyhow::Result<Zeroizing<String>> {
    Ok(crate::keyfile::passphrase_from(
        psephos_board::BOARD_PASSPHRASE_ENV,
        "the board's signing key",
        confirm,
    )?)
}

/// A board served by this process.
pub struct RunningBoard {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// The bound address.
    pub addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<anyhow::Result<()>>>,
}

impl RunningBoard {
    /// Opens the store at `location` and serves it on `listen` (port 0: any free port).
    pub async fn start(
        location: &str,
        listen: &str,
        web_dir: Option<PathBuf>,
        passphrase: &str,
    ) -> anyhow::Result<Self> {
        Self::start_with(location, listen, web_dir, passphrase, HttpConfig::default()).await
    }

    /// [`RunningBoard::start`] with HTTP options (`psephos serve`'s proxies and limits).
    pub async fn start_with(
        location: &str,
        listen: &str,
        web_dir: Option<PathBuf>,
        passphrase: &str,
        http: HttpConfig,
    ) -> anyhow::Result<Self> {
        let board = Board::open(BoardConfig {
            web_dir,
            max_batch: DEFAULT_MAX_BATCH,
            http,
            ..BoardConfig::new(location, passphrase)
        })
        .await?;
        let listener = tokio::net::TcpListener::bind(listen).await?;
        let addr = listener.local_addr()?;
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            psephos_board::serve(board, listener, async move {
                let _ = rx.await;
            })
            .await?;
            Ok(())
        });
        Ok(RunningBoard {
            url: format!("http://{addr}"),
            addr,
            shutdown: Some(tx),
            task: Some(task),
        })
    }

    /// Stops serving and waits until the board has shut down (its store closed).
    pub async fn stop(mut self) -> anyhow::Result<()> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        match self.task.take() {
            Some(task) => task.await?,
            None => Ok(()),
        }
    }

    /// Serves until the task ends (it ends when the shutdown future given to `serve` fires).
    pub async fn wait(mut self) -> anyhow::Result<()> {
        match self.task.take() {
            Some(task) => task.await?,
            None => Ok(()),
        }
    }

    /// Keeps the shutdown sender; `wait` then returns on Ctrl-C only.
    pub fn shutdown_handle(&mut self) -> Option<oneshot::Sender<()>> {
        self.shutdown.take()
    }
}

impl Drop for RunningBoard {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn a_mistyped_postgres_url_is_refused_not_taken_for_a_directory() {
        assert_eq!(
            location(None, Some("postgresql:/127.0.0.1/x")),
            Err(StoreArgError::NotPostgresUrl(
                "postgresql:/127.0.0.1/x".into()
            ))
        );
        assert_eq!(
            location(Some(Path::new("postgresql:/127.0.0.1/x")), None),
            Err(StoreArgError::DataLooksLikeUrl(
                "postgresql:/127.0.0.1/x".into()
            ))
        );
        assert!(matches!(
            location(None, Some("board-data")),
            Err(StoreArgError::NotPostgresUrl(_))
        ));
    }

    #[test]
    fn data_and_database_together_are_refused() {
        assert_eq!(
            location(Some(Path::new("d")), Some("postgres://h/db")),
            Err(StoreArgError::Both)
        );
        assert_eq!(location(None, None), Err(StoreArgError::Neither));
    }

    #[test]
    fn good_locations_pass_unchanged() {
        assert_eq!(
            location(None, Some("postgresql://u@h:5432/db")).as_deref(),
            Ok("postgresql://u@h:5432/db")
        );
        assert_eq!(
            location(Some(Path::new("/srv/board")), None).as_deref(),
            Ok("/srv/board")
        );
        assert_eq!(
            location(Some(Path::new("./postgresql:")), None).as_deref(),
            Ok("./postgresql:")
        );
        assert_eq!(
            location(Some(Path::new("C:\\board")), None).as_deref(),
            Ok("C:\\board")
        );
    }

    #[test]
    fn the_serve_command_names_the_store_and_hides_a_password() {
        assert_eq!(serve_command_for("/srv/b"), "psephos serve --data '/srv/b'");
        assert_eq!(
            serve_command_for("postgres://ps:s3cret@db.example/psephos?sslmode=require"),
            "psephos serve --database 'postgres://ps:PASSWORD@db.example/psephos?sslmode=require'"
        );
        assert_eq!(
            serve_command_for("postgres://ps@db/psephos"),
            "psephos serve --database 'postgres://ps@db/psephos'"
        );
    }
}
