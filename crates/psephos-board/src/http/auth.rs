//! Bearer tokens, checked before the body of a request is read: a client without the right
//! token makes the board read nothing beyond the headers.

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use psephos_record::hash::Hash;
use zeroize::Zeroizing;

use crate::board::{require_admin, require_trustee, Board};

/// BLAKE3 of the token of an `Authorization: Bearer <hex>` header; the scheme is matched
/// case-insensitively (RFC 9110 §11.1). `None` when absent or not hex.
pub fn bearer_hash(headers: &HeaderMap) -> Option<Hash> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, token) = value.split_once([' ', '\t'])?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let raw = Zeroizing::new(hex::decode(token.trim()).ok()?);
    Some(*blake3::hash(&raw).as_bytes())
}

/// Whether the route's handler will run (and read the body): the admin and trustee routes
/// are POST only, and any other method is answered 405 by the router without reading the
/// body (the handlers check the token again in any case).
fn reaches_handler(req: &Request) -> bool {
    req.method() == Method::POST
}

/// Lets through requests with the admin token only.
pub async fn admin_only(State(board): State<Board>, req: Request, next: Next) -> Response {
    if !reaches_handler(&req) {
        return next.run(req).await;
    }
    match require_admin(&board, req.headers()) {
        Ok(()) => next.run(req).await,
        Err(e) => super::limits::closing(e.into_response()),
    }
}

/// Lets through requests with a trustee's token only (which trustee is checked again,
/// against the message, by the handler).
pub async fn trustee_only(State(board): State<Board>, req: Request, next: Next) -> Response {
    if !reaches_handler(&req) {
        return next.run(req).await;
    }
    match require_trustee(&board, req.headers()) {
        Ok(_) => next.run(req).await,
        Err(e) => super::limits::closing(e.into_response()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn the_scheme_is_case_insensitive_and_the_token_hex() {
        let token = "ab".repeat(32);
        let expected = *blake3::hash(&[0xab; 32]).as_bytes();
        for value in [
            format!("Bearer {token}"),
            format!("bearer {token}"),
            format!("BEARER  {token} "),
        ] {
            let mut h = HeaderMap::new();
            h.insert(
                header::AUTHORIZATION,
                HeaderValue::from_str(&value).unwrap(),
            );
            assert_eq!(bearer_hash(&h), Some(expected), "{value}");
        }
        for value in [
            format!("Basic {token}"),
            format!("Bearer{token}"),
            "Bearer zz".into(),
        ] {
            let mut h = HeaderMap::new();
            h.insert(
                header::AUTHORIZATION,
                HeaderValue::from_str(&value).unwrap(),
            );
            assert_eq!(bearer_hash(&h), None, "{value}");
        }
    }
}
