//! `psephos serve`'s options for the open internet (reverse proxies, timeouts, connection
//! limit) and the logs of every command.

use std::time::Duration;

use clap::{Args, ValueEnum};
use psephos_board::http::{HttpConfig, TrustedProxies};

/// How log lines are written to standard error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object a line.
    Json,
}

/// `psephos serve`'s HTTP options.
#[derive(Debug, Clone, Args)]
pub struct HttpArgs {
    /// A reverse proxy (address or CIDR block, e.g. 127.0.0.1 or 10.0.0.0/8) whose
    /// X-Forwarded-For and X-Forwarded-Proto headers are believed; repeat for several. Rate
    /// limits and logs then use the client's address the proxy reports.
    #[arg(long = "trusted-proxy", value_name = "ADDR|CIDR")]
    pub trusted_proxy: Vec<String>,
    /// Seconds a client has to send a request's headers; an idle keep-alive connection is
    /// closed after as long.
    #[arg(long, value_name = "SECS", default_value_t = 30)]
    pub header_timeout: u64,
    /// Seconds a client has to send a request's body.
    #[arg(long, value_name = "SECS", default_value_t = 60)]
    pub body_timeout: u64,
    /// Most connections served at once (further clients wait).
    #[arg(long, value_name = "N", default_value_t = 1024)]
    pub max_connections: usize,
    /// Log format on standard error; the level comes from RUST_LOG (default: info).
    #[arg(long, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

impl HttpArgs {
    /// The board's HTTP configuration.
    pub fn config(&self) -> anyhow::Result<HttpConfig> {
        if self.header_timeout == 0 || self.body_timeout == 0 || self.max_connections == 0 {
            anyhow::bail!("--header-timeout, --body-timeout and --max-connections must be above 0");
        }
        Ok(HttpConfig {
            trusted_proxies: TrustedProxies::parse(&self.trusted_proxy)
                .map_err(anyhow::Error::msg)?,
            header_timeout: Duration::from_secs(self.header_timeout),
            body_timeout: Duration::from_secs(self.body_timeout),
            max_connections: self.max_connections,
        })
    }
}

/// Installs the log subscriber: the level from `RUST_LOG` (else `default_filter`), text or
/// JSON lines on standard error. What the board logs never holds a token, voting code or
/// passphrase.
pub fn init_logging(format: LogFormat, default_filter: &str) {
    use tracing_subscriber::EnvFilter;
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let installed = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
    if let Err(e) = installed {
        eprintln!("warning: cannot install the logger: {e}");
    }
}
