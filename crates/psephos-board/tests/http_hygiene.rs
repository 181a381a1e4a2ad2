//! The board on the open internet (issue 14, "Web hygiene and limits"): authentication
//! before the body, security and cache headers, JSON errors everywhere, the bearer scheme,
//! the database file's mode, timeouts and the connection limit, compression.
//!
//! Servers bind 127.0.0.1 on a port they pick. Where a test waits for the server, `GUARD`
//! only keeps a broken server from hanging the test: nothing here measures speed.

mod common;

use std::path::PathBuf;
use std::time::Duration;

use common::*;
use psephos_board::bench::bench_manifest;
use psephos_board::http::headers::CONTENT_SECURITY_POLICY;
use psephos_board::http::{HttpConfig, TrustedProxies};
use psephos_board::{init_election, Board, BoardConfig, InitOutput};
use reqwest::StatusCode;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Longest wait for an answer the server must give: a hang, not a slow machine, trips it.
const GUARD: Duration = Duration::from_secs(60);

struct Running {
    _place: Place,
    init: InitOutput,
    server: Server,
    addr: String,
}

async fn board_with(http: HttpConfig, web_dir: Option<PathBuf>) -> Running {
    let place = Place::sqlite();
    let location = place.location();
    let init = init_election(&location, bench_manifest(), TEST_PASSPHRASE)
        .await
        .expect("init");
    let board = Board::open(BoardConfig {
        http,
        web_dir,
        max_batch: 64,
        ..BoardConfig::new(location, TEST_PASSPHRASE)
    })
    .await
    .expect("open");
    let server = Server::serve(board).await;
    let addr = server.url.trim_start_matches("http://").to_string();
    Running {
        _place: place,
        init,
        server,
        addr,
    }
}

/// A web directory with a page and a (compressible) WASM file.
fn web_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("index.html"),
        "<!doctype html><title>t</title><p>Loading…</p>",
    )
    .expect("write");
    std::fs::create_dir(dir.path().join("pkg")).expect("mkdir");
    let wasm: Vec<u8> = (0..200_000u32).map(|i| (i % 7) as u8).collect();
    std::fs::write(dir.path().join("pkg/app_bg.wasm"), wasm).expect("write");
    dir
}

/// An answer read off the wire: status, headers (names lowercase), and the bytes after the
/// head that arrived with it.
struct Raw {
    status: u16,
    headers: Vec<(String, String)>,
    rest: Vec<u8>,
}

impl Raw {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

fn parse_head(bytes: &[u8]) -> Option<Raw> {
    let end = bytes.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&bytes[..end]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Some(Raw {
        status,
        headers,
        rest: bytes[end + 4..].to_vec(),
    })
}

/// Reads until an answer's head has arrived (the body may follow or not).
async fn read_head(stream: &mut TcpStream) -> Raw {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(raw) = parse_head(&buf) {
            return raw;
        }
        let n = tokio::time::timeout(GUARD, stream.read(&mut chunk))
            .await
            .expect("the server did not answer")
            .expect("read");
        assert!(n > 0, "connection closed before an answer: {buf:?}");
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// Reads until the server closes the connection; everything it sent.
async fn read_until_closed(stream: &mut TcpStream) -> Vec<u8> {
    let mut buf = Vec::new();
    tokio::time::timeout(GUARD, stream.read_to_end(&mut buf))
        .await
        .expect("the server did not close the connection")
        .or_else(|e| match e.kind() {
            std::io::ErrorKind::ConnectionReset => Ok(0),
            _ => Err(e),
        })
        .expect("read");
    buf
}

/// Sends the head of a request announcing `length` bytes of body, and no body.
async fn head_without_body(addr: &str, path: &str, auth: Option<&str>, length: u64) -> Raw {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let auth = auth
        .map(|a| format!("Authorization: {a}\r\n"))
        .unwrap_or_default();
    let req = format!(
        "POST {path} HTTP/1.1\r\nHost: board\r\n{auth}Content-Type: application/json\r\n\
         Content-Length: {length}\r\nExpect: 100-continue\r\n\r\n"
    );
    stream.write_all(req.as_bytes()).await.expect("write");
    read_head(&mut stream).await
}

fn json_body(raw: &Raw) -> Value {
    let len: usize = raw
        .header("content-length")
        .and_then(|v| v.parse().ok())
        .expect("content-length");
    serde_json::from_slice(&raw.rest[..len.min(raw.rest.len())]).expect("JSON body")
}

/// A client without a token announcing 256 MiB on an admin or trustee route is answered 401
/// from its headers alone (the old board read the whole body first); with the token, an
/// announced body over the route's limit is answered 413 at once; neither gets
/// `100 Continue`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_and_lengths_are_checked_before_the_body() {
    let r = board_with(HttpConfig::default(), None).await;
    let huge = 256u64 << 20;
    for path in ["/api/admin/roll", "/api/admin/open", "/api/trustee/key"] {
        for auth in [None, Some("Bearer 00")] {
            let raw = head_without_body(&r.addr, path, auth, huge).await;
            assert_eq!(raw.status, 401, "{path}");
            assert_eq!(
                raw.header("www-authenticate"),
                Some("Bearer realm=\"psephos\"")
            );
            assert_eq!(json_body(&raw)["error"], "unauthorized");
        }
    }
    let admin = format!("Bearer {}", r.init.admin_token);
    let trustee = format!("Bearer {}", r.init.trustee_tokens[0]);
    for (path, auth) in [
        ("/api/admin/roll", Some(admin.as_str())),
        ("/api/trustee/key", Some(trustee.as_str())),
        ("/api/ballots", None),
        ("/api/challenges", None),
    ] {
        let raw = head_without_body(&r.addr, path, auth, huge).await;
        assert_eq!(raw.status, 413, "{path}");
        assert_eq!(json_body(&raw)["error"], "payload_too_large");
    }
    // The admin limit is a few MiB: one more byte than it is refused the same way.
    let raw = head_without_body(
        &r.addr,
        "/api/admin/roll",
        Some(&admin),
        psephos_board::MAX_ADMIN_BODY as u64 + 1,
    )
    .await;
    assert_eq!(raw.status, 413);
    r.server.stop().await;
}

fn assert_security_headers(resp: &reqwest::Response, cache: &str, what: &str) {
    let h = resp.headers();
    let get = |n: &str| h.get(n).and_then(|v| v.to_str().ok()).unwrap_or("");
    assert_eq!(
        get("content-security-policy"),
        CONTENT_SECURITY_POLICY,
        "{what}"
    );
    assert!(get("content-security-policy").contains("frame-ancestors 'none'"));
    assert!(get("content-security-policy").contains("'wasm-unsafe-eval'"));
    assert_eq!(get("x-content-type-options"), "nosniff", "{what}");
    assert_eq!(get("referrer-policy"), "no-referrer", "{what}");
    assert_eq!(get("x-frame-options"), "DENY", "{what}");
    assert_eq!(get("cache-control"), cache, "{what}");
}

/// Pages, the web bundle, API answers and errors all carry the CSP, nosniff, the referrer
/// policy and a fitting Cache-Control; HSTS only when a trusted proxy says the client used
/// HTTPS.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn security_headers_on_every_answer() {
    let web = web_dir();
    let http = HttpConfig {
        trusted_proxies: TrustedProxies::parse(&["127.0.0.1"]).expect("parse"),
        ..HttpConfig::default()
    };
    let r = board_with(http, Some(web.path().to_path_buf())).await;
    let c = reqwest::Client::new();
    let url = |p: &str| format!("{}{p}", r.server.url);
    let page = c.get(url("/")).send().await.expect("get");
    assert_eq!(page.status(), StatusCode::OK);
    assert_security_headers(&page, "no-cache", "page");
    assert!(page.headers().get("strict-transport-security").is_none());
    let wasm = c.get(url("/pkg/app_bg.wasm")).send().await.expect("get");
    assert_eq!(wasm.status(), StatusCode::OK);
    assert_security_headers(&wasm, "no-cache", "bundle");
    assert!(wasm.headers().get("last-modified").is_some());
    let api = c.get(url("/api/election")).send().await.expect("get");
    assert_eq!(api.status(), StatusCode::OK);
    assert_security_headers(&api, "no-store", "API");
    let missing = c.get(url("/nothing-here.html")).send().await.expect("get");
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert_security_headers(&missing, "no-store", "404");
    let denied = c
        .post(url("/api/admin/open"))
        .json(&serde_json::json!({}))
        .send()
        .await
        .expect("post");
    assert_eq!(denied.status(), StatusCode::UNAUTHORIZED);
    assert_security_headers(&denied, "no-store", "401");
    // Over TLS at the proxy: HSTS.
    let tls = c
        .get(url("/"))
        .header("X-Forwarded-Proto", "https")
        .send()
        .await
        .expect("get");
    assert_eq!(
        tls.headers()
            .get("strict-transport-security")
            .and_then(|v| v.to_str().ok()),
        Some(psephos_board::http::headers::STRICT_TRANSPORT_SECURITY)
    );
    r.server.stop().await;

    // A client that is not a trusted proxy cannot claim HTTPS.
    let r = board_with(HttpConfig::default(), Some(web.path().to_path_buf())).await;
    let tls = c
        .get(format!("{}/", r.server.url))
        .header("X-Forwarded-Proto", "https")
        .send()
        .await
        .expect("get");
    assert!(tls.headers().get("strict-transport-security").is_none());
    r.server.stop().await;
}

async fn json_error(resp: reqwest::Response) -> (StatusCode, Value) {
    let status = resp.status();
    let ct = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    assert!(
        ct.starts_with("application/json"),
        "{status}: content-type {ct:?}"
    );
    let v: Value = resp.json().await.expect("JSON error body");
    assert!(v["message"].as_str().is_some_and(|m| !m.is_empty()), "{v}");
    (status, v)
}

/// 404, 405, a path that is not UTF-8 and an out-of-range position all answer the JSON
/// error shape; the bearer scheme is case-insensitive; every 401 says `WWW-Authenticate`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_are_json_everywhere() {
    let web = web_dir();
    let r = board_with(HttpConfig::default(), Some(web.path().to_path_buf())).await;
    let c = reqwest::Client::new();
    let url = |p: &str| format!("{}{p}", r.server.url);
    let cases = [
        (c.get(url("/api/nothing")), 404, "not_found"),
        (c.get(url("/nothing.html")), 404, "not_found"),
        (c.get(url("/api/admin/open")), 405, "method_not_allowed"),
        (c.delete(url("/api/election")), 405, "method_not_allowed"),
        (c.get(url("/api/ballots/%FF%FE")), 400, "malformed"),
        (
            c.get(url("/api/log?from=9223372036854775808")),
            400,
            "malformed",
        ),
        (
            c.get(url("/api/roll?limit=18446744073709551615")),
            400,
            "malformed",
        ),
        (c.get(url("/api/log?from=-1")), 400, "malformed"),
    ];
    for (req, status, code) in cases {
        let (s, v) = json_error(req.send().await.expect("send")).await;
        assert_eq!(
            (s.as_u16(), v["error"].as_str()),
            (status, Some(code)),
            "{v}"
        );
    }
    // The largest position is a valid, empty page.
    let v: Value = c
        .get(url("/api/log?from=9223372036854775807"))
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(v["entries"], serde_json::json!([]));

    // `bearer` in any case: the admin is let through (and told the ceremony is not done).
    for scheme in ["bearer", "BEARER", "Bearer"] {
        let resp = c
            .post(url("/api/admin/open"))
            .header("Authorization", format!("{scheme} {}", r.init.admin_token))
            .json(&serde_json::json!({}))
            .send()
            .await
            .expect("post");
        let (s, v) = json_error(resp).await;
        assert_eq!(
            (s, v["error"].as_str()),
            (StatusCode::CONFLICT, Some("wrong_phase"))
        );
    }
    let resp = c
        .post(url("/api/admin/open"))
        .header("Authorization", format!("Basic {}", r.init.admin_token))
        .json(&serde_json::json!({}))
        .send()
        .await
        .expect("post");
    assert_eq!(
        resp.headers()
            .get("www-authenticate")
            .and_then(|v| v.to_str().ok()),
        Some("Bearer realm=\"psephos\"")
    );
    let (s, v) = json_error(resp).await;
    assert_eq!(
        (s, v["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("unauthorized"))
    );
    r.server.stop().await;
}

/// `board.sqlite3` (sealed board key, token hashes) is created readable by its owner only,
/// in a directory of its own; a file left readable by others is narrowed at the next open.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_database_is_its_owners_only() {
    use std::os::unix::fs::PermissionsExt;
    let place = Place::sqlite();
    let location = place.location();
    init_election(&location, bench_manifest(), TEST_PASSPHRASE)
        .await
        .expect("init");
    let dir = std::path::Path::new(&location);
    let mode =
        |p: &std::path::Path| std::fs::metadata(p).expect("stat").permissions().mode() & 0o777;
    let db = dir.join(psephos_board::store::SQLITE_FILE_NAME);
    assert_eq!(mode(&db), 0o600);
    assert_eq!(mode(dir), 0o700);
    for side in ["board.sqlite3-wal", "board.sqlite3-shm"] {
        let p = dir.join(side);
        if p.exists() {
            assert_eq!(mode(&p), 0o600, "{side}");
        }
    }
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let board = Board::open(BoardConfig::new(location.clone(), TEST_PASSPHRASE))
        .await
        .expect("open");
    assert_eq!(mode(&db), 0o600);
    drop(board);
}

/// A client that sends half its headers, one that keeps a connection idle, and one that
/// sends half its body are disconnected after the configured timeouts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_clients_are_disconnected() {
    let http = HttpConfig {
        header_timeout: Duration::from_secs(1),
        body_timeout: Duration::from_secs(1),
        ..HttpConfig::default()
    };
    let r = board_with(http, None).await;

    // Slow headers: never finished.
    let mut s = TcpStream::connect(&r.addr).await.expect("connect");
    s.write_all(b"GET /api/election HTTP/1.1\r\nHost: board\r\n")
        .await
        .expect("write");
    let got = read_until_closed(&mut s).await;
    assert!(
        !String::from_utf8_lossy(&got).contains("200 OK"),
        "answered a half request"
    );

    // Idle keep-alive: answered, then closed.
    let mut s = TcpStream::connect(&r.addr).await.expect("connect");
    s.write_all(b"GET /api/election HTTP/1.1\r\nHost: board\r\n\r\n")
        .await
        .expect("write");
    let got = read_until_closed(&mut s).await;
    assert!(
        String::from_utf8_lossy(&got).starts_with("HTTP/1.1 200"),
        "{got:?}"
    );

    // Slow body: 10 of 100 bytes.
    let mut s = TcpStream::connect(&r.addr).await.expect("connect");
    s.write_all(
        b"POST /api/ballots HTTP/1.1\r\nHost: board\r\nContent-Type: application/json\r\n\
          Content-Length: 100\r\n\r\n{\"ballot_",
    )
    .await
    .expect("write");
    let got = read_until_closed(&mut s).await;
    let raw = parse_head(&got).expect("an answer before the close");
    assert_eq!(raw.status, 400);
    assert!(
        String::from_utf8_lossy(&raw.rest).contains("did not arrive within"),
        "{:?}",
        String::from_utf8_lossy(&raw.rest)
    );
    r.server.stop().await;
}

/// With a limit of one connection, a second client is served only once the first has gone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_are_limited() {
    let http = HttpConfig {
        max_connections: 1,
        ..HttpConfig::default()
    };
    let r = board_with(http, None).await;
    let first = TcpStream::connect(&r.addr).await.expect("connect");
    // The first connection is served (it holds the one slot).
    let mut probe = first;
    probe
        .write_all(b"GET /api/election HTTP/1.1\r\nHost: board\r\n\r\n")
        .await
        .expect("write");
    assert_eq!(read_head(&mut probe).await.status, 200);
    let mut second = TcpStream::connect(&r.addr).await.expect("connect");
    second
        .write_all(b"GET /api/election HTTP/1.1\r\nHost: board\r\nConnection: close\r\n\r\n")
        .await
        .expect("write");
    let mut byte = [0u8; 1];
    let early = tokio::time::timeout(Duration::from_millis(500), second.read(&mut byte)).await;
    assert!(
        early.is_err(),
        "the second connection was served while the first held the slot"
    );
    drop(probe);
    let got = read_until_closed(&mut second).await;
    assert!(
        String::from_utf8_lossy(&got).starts_with("HTTP/1.1 200"),
        "{got:?}"
    );
    r.server.stop().await;
}

/// The web bundle is sent compressed to clients that accept gzip or brotli.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bundle_is_compressed() {
    let web = web_dir();
    let r = board_with(HttpConfig::default(), Some(web.path().to_path_buf())).await;
    for encoding in ["gzip", "br"] {
        let mut s = TcpStream::connect(&r.addr).await.expect("connect");
        let req = format!(
            "GET /pkg/app_bg.wasm HTTP/1.1\r\nHost: board\r\nAccept-Encoding: {encoding}\r\n\
             Connection: close\r\n\r\n"
        );
        s.write_all(req.as_bytes()).await.expect("write");
        let got = read_until_closed(&mut s).await;
        let raw = parse_head(&got).expect("answer");
        assert_eq!(raw.status, 200);
        assert_eq!(raw.header("content-encoding"), Some(encoding));
        assert_eq!(raw.header("content-type"), Some("application/wasm"));
        assert!(
            raw.rest.len() < 100_000,
            "{encoding}: {} bytes",
            raw.rest.len()
        );
    }
    r.server.stop().await;
}
