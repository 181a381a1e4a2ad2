//! Behind a reverse proxy (issue 14): the per-address rate limit keys on the client's
//! address from `X-Forwarded-For` when, and only when, the peer is a trusted proxy; a 429
//! says when to come back (`Retry-After`). One test function: the limits are read from the
//! environment when the board opens.

mod common;

use common::*;
use psephos_board::bench::bench_manifest;
use psephos_board::http::{HttpConfig, TrustedProxies};
use psephos_board::{init_election, Board, BoardConfig};
use reqwest::StatusCode;

async fn start(location: &str, trusted: &[&str]) -> Server {
    let board = Board::open(BoardConfig {
        http: HttpConfig {
            trusted_proxies: TrustedProxies::parse(trusted).expect("parse"),
            ..HttpConfig::default()
        },
        ..BoardConfig::new(location, TEST_PASSPHRASE)
    })
    .await
    .expect("open");
    Server::serve(board).await
}

async fn get(server: &Server, forwarded_for: Option<&str>) -> reqwest::Response {
    let mut req = reqwest::Client::new().get(format!("{}/api/election", server.url));
    if let Some(xff) = forwarded_for {
        req = req.header("X-Forwarded-For", xff);
    }
    req.send().await.expect("send")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_client_address_comes_from_a_trusted_proxy_only() {
    // Bursts of 2, then one request per 100 s; loopback is limited like anyone else.
    std::env::set_var("PSEPHOS_RATE_LIMIT", "0.01,2");
    std::env::set_var("PSEPHOS_RATE_LIMIT_LOOPBACK", "1");
    std::env::set_var("PSEPHOS_CREDENTIAL_LIMIT", "off");
    let place = Place::sqlite();
    let location = place.location();
    init_election(&location, bench_manifest(), TEST_PASSPHRASE)
        .await
        .expect("init");

    // Behind a trusted proxy on 127.0.0.1: one bucket per forwarded client.
    let server = start(&location, &["127.0.0.1/32"]).await;
    for _ in 0..2 {
        assert_eq!(
            get(&server, Some("192.0.2.1")).await.status(),
            StatusCode::OK
        );
    }
    let limited = get(&server, Some("192.0.2.1")).await;
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = limited
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("Retry-After in seconds");
    assert!((1..=100).contains(&retry), "Retry-After {retry}");
    let v: serde_json::Value = limited.json().await.expect("json");
    assert_eq!(v["error"], "rate_limited");
    // Another voter behind the same proxy is not limited by the first.
    assert_eq!(
        get(&server, Some("192.0.2.2")).await.status(),
        StatusCode::OK
    );
    // Addresses a client writes in front of the proxy's own are ignored.
    assert_eq!(
        get(&server, Some("198.51.100.9, 192.0.2.1")).await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    server.stop().await;

    // No trusted proxy: the header is ignored and everyone here is 127.0.0.1, one bucket.
    let server = start(&location, &[]).await;
    let statuses = [
        get(&server, Some("203.0.113.1")).await.status(),
        get(&server, Some("203.0.113.2")).await.status(),
        get(&server, Some("203.0.113.3")).await.status(),
    ];
    assert_eq!(
        statuses,
        [
            StatusCode::OK,
            StatusCode::OK,
            StatusCode::TOO_MANY_REQUESTS
        ]
    );
    server.stop().await;
}
