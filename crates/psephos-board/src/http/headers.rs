//! Security and cache headers on every answer: pages, API, static files and errors.

use axum::extract::Request;
use axum::http::{header, HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

use super::proxy::ClientAddr;

/// The Content-Security-Policy: only this origin's scripts, styles, images and API;
/// `'wasm-unsafe-eval'` for the voter's WebAssembly; no framing by any site (clickjacking
/// of Cast and Challenge).
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self' \
     'wasm-unsafe-eval'; style-src 'self'; connect-src 'self'; img-src 'self'; \
     object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// `Strict-Transport-Security`, sent when a trusted proxy says the client used HTTPS.
pub const STRICT_TRANSPORT_SECURITY: &str = "max-age=31536000";

/// `Cache-Control` of API answers: they change with every entry, and receipts are nobody
/// else's business.
pub const CACHE_API: &str = "no-store";

/// `Cache-Control` of pages and the web bundle: cached, but revalidated (Last-Modified) on
/// each use, so that a voter never runs a stale bundle whose hash the election does not
/// name.
pub const CACHE_STATIC: &str = "no-cache";

/// The middleware.
pub async fn security_headers(req: Request, next: Next) -> Response {
    let tls = req.extensions().get::<ClientAddr>().is_some_and(|c| c.tls);
    let api = req.uri().path().starts_with("/api/");
    let mut resp = next.run(req).await;
    let error = resp.status().is_client_error() || resp.status().is_server_error();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        HeaderName::from_static("cross-origin-opener-policy"),
        HeaderValue::from_static("same-origin"),
    );
    if tls {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(STRICT_TRANSPORT_SECURITY),
        );
    }
    if !h.contains_key(header::CACHE_CONTROL) {
        let policy = if api || error {
            CACHE_API
        } else {
            CACHE_STATIC
        };
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static(policy));
    }
    resp
}
