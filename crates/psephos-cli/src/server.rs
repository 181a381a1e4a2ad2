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

/// Where the board keeps its log: `--database URL` if given, else the directory `--data DIR`.
pub fn location(data: Option<&std::path::Path>, database: Option<&str>) -> Result<String, String> {
    match (database, data) {
        (Some(url), _) => Ok(url.to_string()),
        (None, Some(dir)) => Ok(dir.display().to_string()),
        (None, None) => Err("give --data DIR (SQLite) or --database postgres://...".into()),
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
