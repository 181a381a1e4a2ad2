//! The client's address: the TCP peer, or, when the peer is a trusted reverse proxy, the
//! address it reports in `X-Forwarded-For`. Rate limits and logs use it.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::Response;
use ipnet::IpNet;

/// The reverse proxies (addresses or CIDR blocks) whose forwarding headers are believed.
#[derive(Clone, Debug, Default)]
pub struct TrustedProxies(Arc<Vec<IpNet>>);

impl TrustedProxies {
    /// Parses addresses (`10.0.0.1`, `::1`) and CIDR blocks (`10.0.0.0/8`, `fd00::/8`).
    pub fn parse<S: AsRef<str>>(items: &[S]) -> Result<Self, String> {
        let mut nets = Vec::with_capacity(items.len());
        for item in items {
            let item = item.as_ref().trim();
            let net = match item.parse::<IpNet>() {
                Ok(net) => net,
                Err(_) => item.parse::<IpAddr>().map(IpNet::from).map_err(|_| {
                    format!("trusted proxy {item:?} is neither an IP address nor a CIDR block")
                })?,
            };
            nets.push(net);
        }
        Ok(TrustedProxies(Arc::new(nets)))
    }

    /// Whether `ip` is a trusted proxy (IPv4-mapped IPv6 addresses count as IPv4).
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// No proxy is trusted.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    }
}

/// Who sent a request, as far as the board can tell: set on every request by
/// [`client_addr`] when the peer address is known.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientAddr {
    /// The client's address.
    pub ip: IpAddr,
    /// A trusted proxy said the client used HTTPS.
    pub tls: bool,
}

/// One `X-Forwarded-For` element: an address, possibly with a port (`1.2.3.4:5`,
/// `[::1]:5`).
fn forwarded_ip(item: &str) -> Option<IpAddr> {
    let item = item.trim();
    item.parse::<IpAddr>()
        .ok()
        .or_else(|| item.parse::<SocketAddr>().ok().map(|s| s.ip()))
        .map(canonical)
}

/// The client of a request that came from `peer`. Only a trusted peer's headers count:
/// `X-Forwarded-For` is read from the right (each proxy appends the address it saw), skipping
/// trusted proxies; the first untrusted address is the client. Anything a client wrote
/// further left is ignored, so it cannot choose its own address.
pub fn client_of(peer: IpAddr, headers: &HeaderMap, trusted: &TrustedProxies) -> ClientAddr {
    let peer = canonical(peer);
    if !trusted.contains(peer) {
        return ClientAddr {
            ip: peer,
            tls: false,
        };
    }
    let hops: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .collect();
    let mut ip = peer;
    for hop in hops.iter().rev() {
        match forwarded_ip(hop) {
            Some(addr) => {
                ip = addr;
                if !trusted.contains(addr) {
                    break;
                }
            }
            // Garbage: stop at the last address a trusted hop vouched for.
            None => break,
        }
    }
    let tls = headers
        .get_all("x-forwarded-proto")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .last()
        .is_some_and(|p| p.trim().eq_ignore_ascii_case("https"));
    ClientAddr { ip, tls }
}

/// The middleware that sets [`ClientAddr`] from the connection's peer address.
pub async fn client_addr(
    State(trusted): State<TrustedProxies>,
    mut req: Request,
    next: Next,
) -> Response {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    if let Some(peer) = peer {
        let client = client_of(peer, req.headers(), &trusted);
        req.extensions_mut().insert(client);
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(xff: &[&str], proto: Option<&str>) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in xff {
            h.append("x-forwarded-for", HeaderValue::from_str(v).unwrap());
        }
        if let Some(p) = proto {
            h.insert("x-forwarded-proto", HeaderValue::from_str(p).unwrap());
        }
        h
    }

    #[test]
    fn forwarded_for_is_believed_from_trusted_proxies_only() {
        let trusted = TrustedProxies::parse(&["10.0.0.0/8", "192.0.2.7"]).unwrap();
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        // An untrusted peer's header is ignored.
        let c = client_of(
            ip("198.51.100.1"),
            &headers(&["203.0.113.5"], Some("https")),
            &trusted,
        );
        assert_eq!(
            c,
            ClientAddr {
                ip: ip("198.51.100.1"),
                tls: false
            }
        );
        // A trusted peer: the rightmost untrusted hop, not what the client wrote on the left.
        let h = headers(&["1.1.1.1, 203.0.113.5", "10.1.2.3"], Some("https"));
        let c = client_of(ip("192.0.2.7"), &h, &trusted);
        assert_eq!(
            c,
            ClientAddr {
                ip: ip("203.0.113.5"),
                tls: true
            }
        );
        // Ports, IPv6 and IPv4-mapped peers.
        let c = client_of(
            ip("::ffff:10.0.0.1"),
            &headers(&["[2001:db8::1]:443"], None),
            &trusted,
        );
        assert_eq!(c.ip, ip("2001:db8::1"));
        // Garbage stops the walk at the last vouched-for address.
        let c = client_of(
            ip("10.0.0.1"),
            &headers(&["203.0.113.9, nonsense"], None),
            &trusted,
        );
        assert_eq!(c.ip, ip("10.0.0.1"));
        assert!(TrustedProxies::parse(&["10.0.0.0/33"]).is_err());
        assert!(TrustedProxies::parse(&["proxy.example"]).is_err());
    }
}
