//! Every error answer is JSON `{"error": code, "message": text}` (docs/api.md), including
//! those the board's handlers do not write: unknown paths (404), wrong methods (405),
//! extractor rejections (a path that is not UTF-8, a bad query), missing static files. A
//! 401 carries `WWW-Authenticate: Bearer`, a 429 `Retry-After`.

use axum::body::{to_bytes, Body};
use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::Response;

use crate::error::ErrorBody;

/// Longest non-JSON error body kept as the message.
const MAX_MESSAGE: usize = 1024;

/// The `WWW-Authenticate` challenge of a 401.
pub const WWW_AUTHENTICATE: &str = "Bearer realm=\"psephos\"";

/// `Retry-After` (seconds) of a 429 whose limiter did not say: the per-credential limit
/// refills within a minute.
pub const DEFAULT_RETRY_AFTER: &str = "60";

/// The stable code of an error status the handlers did not describe themselves.
pub fn code_for(status: StatusCode) -> &'static str {
    match status {
        StatusCode::BAD_REQUEST => "malformed",
        StatusCode::UNAUTHORIZED => "unauthorized",
        StatusCode::FORBIDDEN => "forbidden",
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::REQUEST_TIMEOUT => "timeout",
        StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
        StatusCode::URI_TOO_LONG => "uri_too_long",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        StatusCode::TOO_MANY_REQUESTS => "rate_limited",
        StatusCode::SERVICE_UNAVAILABLE => "unavailable",
        s if s.is_server_error() => "internal",
        _ => "bad_request",
    }
}

fn is_json(resp: &Response) -> bool {
    resp.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"))
}

/// The middleware.
pub async fn json_errors(req: Request, next: Next) -> Response {
    let resp = next.run(req).await;
    let status = resp.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return resp;
    }
    let mut resp = if is_json(&resp) {
        resp
    } else {
        let (mut parts, body) = resp.into_parts();
        let text = to_bytes(body, MAX_MESSAGE)
            .await
            .ok()
            .and_then(|b| String::from_utf8(b.to_vec()).ok())
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty());
        let message = text.unwrap_or_else(|| match status {
            StatusCode::NOT_FOUND => "no such resource".to_string(),
            StatusCode::METHOD_NOT_ALLOWED => "this method is not allowed here".to_string(),
            s => s.canonical_reason().unwrap_or("error").to_lowercase(),
        });
        let body = ErrorBody {
            error: code_for(status).to_string(),
            message,
        };
        let bytes = serde_json::to_vec(&body).unwrap_or_default();
        parts.headers.remove(header::CONTENT_LENGTH);
        parts.headers.remove(header::CONTENT_ENCODING);
        parts.headers.remove(header::CONTENT_RANGE);
        parts.headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        Response::from_parts(parts, Body::from(bytes))
    };
    let headers = resp.headers_mut();
    if status == StatusCode::UNAUTHORIZED && !headers.contains_key(header::WWW_AUTHENTICATE) {
        headers.insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static(WWW_AUTHENTICATE),
        );
    }
    if status == StatusCode::TOO_MANY_REQUESTS && !headers.contains_key(header::RETRY_AFTER) {
        headers.insert(
            header::RETRY_AFTER,
            HeaderValue::from_static(DEFAULT_RETRY_AFTER),
        );
    }
    resp
}
