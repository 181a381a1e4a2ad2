//! One log line per request (`tracing`, target `psephos_board::http`): method, path (never
//! the query or any header, so no token, voting code or passphrase), status, time taken and
//! the client's address.

use std::time::Instant;

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;

use super::proxy::ClientAddr;

/// Longest path logged.
const MAX_LOGGED_PATH: usize = 200;

/// The middleware.
pub async fn log_requests(req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().clone();
    let mut path = req.uri().path().to_string();
    if path.len() > MAX_LOGGED_PATH {
        // The path is ASCII (percent-encoded), so any index is a character boundary.
        path.truncate(MAX_LOGGED_PATH);
        path.push('…');
    }
    let client = req
        .extensions()
        .get::<ClientAddr>()
        .map(|c| c.ip.to_string())
        .unwrap_or_else(|| "-".into());
    let resp = next.run(req).await;
    let status = resp.status().as_u16();
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    if resp.status().is_server_error() {
        tracing::error!(%method, %path, status, ms, client = %client, "request");
    } else {
        tracing::info!(%method, %path, status, ms, client = %client, "request");
    }
    resp
}
