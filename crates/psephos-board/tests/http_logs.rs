//! The board logs every request (method, path, status, client) and never a token (issue 14).
//! Its own binary: the log subscriber is process-wide.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use common::*;
use psephos_board::bench::bench_manifest;
use psephos_board::init_election;

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("lock").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_are_logged_without_tokens() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    tracing::subscriber::set_global_default(subscriber).expect("subscriber");

    let place = Place::sqlite();
    let location = place.location();
    let init = init_election(&location, bench_manifest(), TEST_PASSPHRASE)
        .await
        .expect("init");
    let server = Server::start(&location).await;
    let c = reqwest::Client::new();
    let resp = c
        .post(format!("{}/api/admin/open", server.url))
        .header("Authorization", format!("bearer {}", init.admin_token))
        .json(&serde_json::json!({}))
        .send()
        .await
        .expect("post");
    assert_eq!(resp.status(), reqwest::StatusCode::CONFLICT);
    let resp = c
        .post(format!("{}/api/trustee/key", server.url))
        .bearer_auth(&init.trustee_tokens[0])
        .body("{not json")
        .send()
        .await
        .expect("post");
    assert_eq!(resp.status(), reqwest::StatusCode::BAD_REQUEST);
    server.stop().await;

    let logs = String::from_utf8(captured.0.lock().expect("lock").clone()).expect("utf8");
    let line = logs
        .lines()
        .find(|l| l.contains("request") && l.contains("path=/api/admin/open"))
        .unwrap_or_else(|| panic!("no request line for /api/admin/open in:\n{logs}"));
    assert!(
        line.contains("method=POST") && line.contains("status=409"),
        "{line}"
    );
    assert!(line.contains("client=127.0.0.1"), "{line}");
    assert!(logs.contains("path=/api/trustee/key") && logs.contains("status=400"));
    for secret in std::iter::once(&init.admin_token).chain(&init.trustee_tokens) {
        assert!(
            !logs.contains(secret.as_str()),
            "a token appears in the logs"
        );
        assert!(!logs.contains(&secret.to_uppercase()));
    }
}
