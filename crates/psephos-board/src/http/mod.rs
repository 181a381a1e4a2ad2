//! The HTTP layer around the board's routes (docs/api.md, "Limits, headers and logs"):
//! where the client's address comes from ([`proxy`]), security and cache headers
//! ([`headers`]), JSON error bodies everywhere ([`errors`]), body size and time limits
//! ([`limits`]), authentication before any body is read ([`auth`]), request logs
//! ([`logging`]) and the accept loop with its header, idle and connection limits ([`server`]).

pub mod auth;
pub mod errors;
pub mod headers;
pub mod limits;
pub mod logging;
pub mod proxy;
pub mod server;

use std::time::Duration;

use axum::middleware::{from_fn, from_fn_with_state};
use axum::Router;
use tower_http::compression::{CompressionLayer, CompressionLevel};

pub use proxy::{ClientAddr, TrustedProxies};

use crate::ratelimit::RateLimiter;

/// Default for [`HttpConfig::header_timeout`].
pub const DEFAULT_HEADER_TIMEOUT: Duration = Duration::from_secs(30);
/// Default for [`HttpConfig::body_timeout`].
pub const DEFAULT_BODY_TIMEOUT: Duration = Duration::from_secs(60);
/// Default for [`HttpConfig::max_connections`].
pub const DEFAULT_MAX_CONNECTIONS: usize = 1024;

/// How the board talks HTTP.
#[derive(Clone, Debug)]
pub struct HttpConfig {
    /// Reverse proxies whose `X-Forwarded-For` and `X-Forwarded-Proto` are believed.
    pub trusted_proxies: TrustedProxies,
    /// Longest wait for a request's headers, and for the next request on an idle
    /// keep-alive connection; the connection is closed after it.
    pub header_timeout: Duration,
    /// Longest time a request body may take to arrive, counted from its headers.
    pub body_timeout: Duration,
    /// Most connections served at once; further clients wait in the listen backlog.
    pub max_connections: usize,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            trusted_proxies: TrustedProxies::default(),
            header_timeout: DEFAULT_HEADER_TIMEOUT,
            body_timeout: DEFAULT_BODY_TIMEOUT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
        }
    }
}

/// Wraps the routes in the layers every answer goes through, outermost first: the client's
/// address, the body deadline, the request log, the security headers, compression, JSON
/// errors, then the per-address rate limit.
pub(crate) fn wrap(router: Router, config: &HttpConfig, limiter: Option<RateLimiter>) -> Router {
    let router = match limiter {
        Some(limiter) => router.layer(from_fn_with_state(limiter, crate::ratelimit::middleware)),
        None => router,
    };
    router
        .layer(from_fn(errors::json_errors))
        // Level 5: most of the gain of brotli and gzip at a small fraction of the CPU of
        // their defaults (brotli's default, 11, takes seconds for the WASM bundle).
        .layer(CompressionLayer::new().quality(CompressionLevel::Precise(5)))
        .layer(from_fn(headers::security_headers))
        .layer(from_fn(logging::log_requests))
        .layer(from_fn_with_state(
            config.body_timeout,
            limits::body_deadline,
        ))
        .layer(from_fn_with_state(
            config.trusted_proxies.clone(),
            proxy::client_addr,
        ))
}
