//! A per-client-IP token bucket, answering `429 rate_limited` (with `Retry-After`) when a
//! client exceeds it. The client's address is the peer's, or the one a trusted reverse proxy
//! reports (`crate::http::proxy`).
//!
//! Configured by the `PSEPHOS_RATE_LIMIT` environment variable: `off`, or
//! `<requests per second>,<burst>` (default `50,200`). Loopback clients are exempt unless
//! `PSEPHOS_RATE_LIMIT_LOOPBACK=1` (load tests post thousands of ballots per second from
//! 127.0.0.1).

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;
use crate::http::ClientAddr;

/// Most clients tracked before idle ones are forgotten.
const MAX_TRACKED: usize = 100_000;

#[derive(Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// The limiter; cheap to clone.
#[derive(Clone)]
pub struct RateLimiter {
    buckets: Arc<Mutex<HashMap<IpAddr, Bucket>>>,
    rate: f64,
    burst: f64,
    limit_loopback: bool,
}

impl RateLimiter {
    /// `rate` requests per second on average, bursts of `burst`.
    pub fn new(rate: f64, burst: f64, limit_loopback: bool) -> Self {
        RateLimiter {
            buckets: Arc::new(Mutex::new(HashMap::new())),
            rate: rate.max(0.001),
            burst: burst.max(1.0),
            limit_loopback,
        }
    }

    /// From the environment (see the module docs); `None` when off.
    pub fn from_env() -> Option<Self> {
        let spec = std::env::var("PSEPHOS_RATE_LIMIT").unwrap_or_else(|_| "50,200".into());
        if spec.trim() == "off" {
            return None;
        }
        let mut parts = spec.split(',').map(|p| p.trim().parse::<f64>());
        let (rate, burst) = match (parts.next(), parts.next()) {
            (Some(Ok(r)), Some(Ok(b))) => (r, b),
            _ => {
                tracing::warn!(spec = %spec, "bad PSEPHOS_RATE_LIMIT; using 50,200");
                (50.0, 200.0)
            }
        };
        let loopback = std::env::var("PSEPHOS_RATE_LIMIT_LOOPBACK").is_ok_and(|v| v == "1");
        Some(Self::new(rate, burst, loopback))
    }

    /// Takes a token for `ip`; false when its bucket is empty.
    pub fn allow(&self, ip: IpAddr) -> bool {
        self.check(ip).is_ok()
    }

    /// Takes a token for `ip`; when its bucket is empty, the whole seconds until it holds a
    /// token again.
    pub fn check(&self, ip: IpAddr) -> Result<(), u64> {
        if ip.is_loopback() && !self.limit_loopback {
            return Ok(());
        }
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if buckets.len() >= MAX_TRACKED {
            let (rate, burst) = (self.rate, self.burst);
            buckets.retain(|_, b| b.tokens + now.duration_since(b.at).as_secs_f64() * rate < burst);
        }
        let b = buckets.entry(ip).or_insert(Bucket {
            tokens: self.burst,
            at: now,
        });
        b.tokens = (b.tokens + now.duration_since(b.at).as_secs_f64() * self.rate).min(self.burst);
        b.at = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - b.tokens) / self.rate).ceil().max(1.0) as u64)
        }
    }
}

/// A per-credential token bucket on ballot posts: at most `per_minute` new ballots (revotes)
/// per credential per minute, in bursts of as many, answering `429 rate_limited` beyond.
/// Identical retries of a recorded ballot are answered before the check and never limited.
///
/// Configured by `PSEPHOS_CREDENTIAL_LIMIT`: `off`, or ballots per minute (default 10).
/// One bucket per credential that posted; bounded by the roll.
#[derive(Clone)]
pub struct CredentialLimiter {
    buckets: Arc<Mutex<HashMap<[u8; 32], Bucket>>>,
    per_minute: f64,
}

impl CredentialLimiter {
    /// `per_minute` ballots per credential per minute (bursts of as many).
    pub fn new(per_minute: f64) -> Self {
        CredentialLimiter {
            buckets: Arc::new(Mutex::new(HashMap::new())),
            per_minute: per_minute.max(1.0),
        }
    }

    /// From the environment (see the type docs); `None` when off.
    pub fn from_env() -> Option<Self> {
        let spec = std::env::var("PSEPHOS_CREDENTIAL_LIMIT").unwrap_or_else(|_| "10".into());
        if spec.trim() == "off" {
            return None;
        }
        match spec.trim().parse::<f64>() {
            Ok(n) if n > 0.0 => Some(Self::new(n)),
            _ => {
                tracing::warn!(spec = %spec, "bad PSEPHOS_CREDENTIAL_LIMIT; using 10");
                Some(Self::new(10.0))
            }
        }
    }

    /// Takes a token for `credential`; false when its bucket is empty.
    pub fn allow(&self, credential: &[u8; 32]) -> bool {
        let now = Instant::now();
        let rate = self.per_minute / 60.0;
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        let b = buckets.entry(*credential).or_insert(Bucket {
            tokens: self.per_minute,
            at: now,
        });
        b.tokens = (b.tokens + now.duration_since(b.at).as_secs_f64() * rate).min(self.per_minute);
        b.at = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// The axum middleware, keyed by the client's address ([`ClientAddr`], else the peer's);
/// requests without either pass.
pub async fn middleware(State(limiter): State<RateLimiter>, req: Request, next: Next) -> Response {
    let client = req
        .extensions()
        .get::<ClientAddr>()
        .map(|c| c.ip)
        .or_else(|| {
            req.extensions()
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0.ip())
        });
    if let Some(ip) = client {
        if let Err(wait) = limiter.check(ip) {
            let mut resp = ApiError::RateLimited.into_response();
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(wait));
            return resp;
        }
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_limits_and_exempts_loopback() {
        let l = RateLimiter::new(1.0, 3.0, false);
        let ip: IpAddr = "192.0.2.1".parse().expect("ip");
        assert!(l.allow(ip) && l.allow(ip) && l.allow(ip));
        assert!(!l.allow(ip));
        assert_eq!(l.check(ip), Err(1), "one token a second: back in a second");
        let lo: IpAddr = "127.0.0.1".parse().expect("ip");
        assert!((0..100).all(|_| l.allow(lo)));
    }

    #[test]
    fn credential_bucket_limits() {
        let l = CredentialLimiter::new(3.0);
        let (a, b) = ([1u8; 32], [2u8; 32]);
        assert!(l.allow(&a) && l.allow(&a) && l.allow(&a));
        assert!(!l.allow(&a));
        assert!(l.allow(&b));
    }
}
