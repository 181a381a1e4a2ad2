//! The rate limit on challenges (`POST /api/challenges`).
//!
//! A cast ballot is limited per credential (`PSEPHOS_CREDENTIAL_LIMIT`); a challenge carries no
//! credential (it must not be linkable to a member), so it is limited per client address: at
//! most `PSEPHOS_CHALLENGE_LIMIT` new challenges per address per minute, in bursts of as many
//! (default 10; `off` disables it), answering `429 rate_limited` beyond. A retry of a recorded
//! challenge gets its receipt and takes no token. Checked before the challenge's proofs and
//! opening are verified, so a flood costs the board no verification. Loopback clients are
//! exempt unless `PSEPHOS_RATE_LIMIT_LOOPBACK=1`, as for the general limit.

use crate::ratelimit::RateLimiter;

/// Default challenges per client address per minute.
pub const DEFAULT_PER_MINUTE: f64 = 10.0;

/// The challenge limiter from the environment (see the module docs); `None` when off.
pub fn from_env() -> Option<RateLimiter> {
    let spec =
        std::env::var("PSEPHOS_CHALLENGE_LIMIT").unwrap_or_else(|_| DEFAULT_PER_MINUTE.to_string());
    if spec.trim() == "off" {
        return None;
    }
    let per_minute = match spec.trim().parse::<f64>() {
        Ok(n) if n > 0.0 => n,
        _ => {
            tracing::warn!(spec = %spec, "bad PSEPHOS_CHALLENGE_LIMIT; using 10");
            DEFAULT_PER_MINUTE
        }
    };
    let loopback = std::env::var("PSEPHOS_RATE_LIMIT_LOOPBACK").is_ok_and(|v| v == "1");
    Some(RateLimiter::new(per_minute / 60.0, per_minute, loopback))
}
