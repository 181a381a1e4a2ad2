//! Rate limits, configured through the environment when the board opens: per client address
//! (`PSEPHOS_RATE_LIMIT`, with the loopback exemption disabled by
//! `PSEPHOS_RATE_LIMIT_LOOPBACK=1`), per credential (`PSEPHOS_CREDENTIAL_LIMIT`) and, for
//! challenges, which carry no credential, per client address (`PSEPHOS_CHALLENGE_LIMIT`). One
//! test function, so that nothing else in this process reads the environment meanwhile.

mod common;

use common::*;
use psephos_board::bench::bench_manifest;
use psephos_board::init_election;
use psephos_record::Ballot;
use reqwest::StatusCode;

fn set_env(rate: &str, loopback: Option<&str>, credential: &str) {
    std::env::set_var("PSEPHOS_RATE_LIMIT", rate);
    match loopback {
        Some(v) => std::env::set_var("PSEPHOS_RATE_LIMIT_LOOPBACK", v),
        None => std::env::remove_var("PSEPHOS_RATE_LIMIT_LOOPBACK"),
    }
    std::env::set_var("PSEPHOS_CREDENTIAL_LIMIT", credential);
    std::env::set_var("PSEPHOS_CHALLENGE_LIMIT", "off");
}

async fn burst(api: &Api, n: usize) -> (usize, usize) {
    let (mut ok, mut limited) = (0, 0);
    for _ in 0..n {
        let resp = api
            .client
            .get(format!("{}/api/election", api.url))
            .send()
            .await
            .expect("send");
        match resp.status() {
            StatusCode::OK => ok += 1,
            StatusCode::TOO_MANY_REQUESTS => {
                let v: serde_json::Value = resp.json().await.expect("json");
                assert_eq!(v["error"], "rate_limited");
                limited += 1;
            }
            other => panic!("unexpected {other}"),
        }
    }
    (ok, limited)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limits_per_address_and_per_credential() {
    // Set up without limits.
    set_env("off", None, "off");
    let place = Place::sqlite();
    let location = place.location();
    let init = init_election(&location, bench_manifest(), TEST_PASSPHRASE)
        .await
        .expect("init");
    let server = Server::start(&location).await;
    let api = Api::new(&server.url);
    let (_, creds) = open_election(&api, &init, 4).await;
    let el = opened(&api).await;
    server.stop().await;

    // Per address, loopback not exempt: a burst of 10, then 1 request per 10 s.
    set_env("0.1,10", Some("1"), "off");
    let server = Server::start(&location).await;
    let api = Api::new(&server.url);
    let (ok, limited) = burst(&api, 30).await;
    assert_eq!((ok, limited), (10, 20), "per-address limit on loopback");
    // Ballots are limited too.
    let b = el.ballot(&creds[0], &el.choices(0));
    let (status, v) = api.post("/api/ballots", None, &to_json(&b)).await;
    assert_eq!(
        (status, v["error"].as_str()),
        (StatusCode::TOO_MANY_REQUESTS, Some("rate_limited"))
    );
    server.stop().await;

    // Same limit, loopback exempt (the default).
    set_env("0.1,10", None, "off");
    let server = Server::start(&location).await;
    let api = Api::new(&server.url);
    assert_eq!(
        burst(&api, 30).await,
        (30, 0),
        "loopback is exempt by default"
    );
    server.stop().await;

    // Per credential: 3 ballots a minute.
    set_env("off", None, "3");
    let server = Server::start(&location).await;
    let api = Api::new(&server.url);
    let mut first = None;
    for i in 0..3 {
        let b = el.ballot(&creds[0], &el.choices(i));
        api.ok("/api/ballots", None, &to_json(&b)).await;
        first.get_or_insert(b);
    }
    let b = el.ballot(&creds[0], &el.choices(3));
    let (status, v) = api.post("/api/ballots", None, &to_json(&b)).await;
    assert_eq!(
        (status, v["error"].as_str()),
        (StatusCode::TOO_MANY_REQUESTS, Some("rate_limited")),
        "{v}"
    );
    // A retry of a recorded ballot is not limited.
    api.ok("/api/ballots", None, &to_json(&first.expect("first")))
        .await;
    // Other credentials are not affected.
    let b = el.ballot(&creds[1], &el.choices(0));
    api.ok("/api/ballots", None, &to_json(&b)).await;
    // Someone without creds[2]'s key cannot use up its allowance: badly signed ballots in its
    // name are refused as such and do not count.
    for i in 0..5 {
        let mut forged = el.ballot(&creds[2], &el.choices(i));
        forged.signature = creds[3].sign(&Ballot::signed_message(&forged.hash(&el.election_hash)));
        let (status, v) = api.post("/api/ballots", None, &to_json(&forged)).await;
        assert_eq!(
            (status, v["error"].as_str()),
            (StatusCode::BAD_REQUEST, Some("bad_signature"))
        );
    }
    let b = el.ballot(&creds[2], &el.choices(0));
    api.ok("/api/ballots", None, &to_json(&b)).await;
    assert_eq!(api.status().await.ballots_cast, 5);
    server.stop().await;

    // Challenges: 2 a minute per address (loopback not exempt), whoever the voter.
    set_env("off", Some("1"), "off");
    std::env::set_var("PSEPHOS_CHALLENGE_LIMIT", "2");
    let server = Server::start(&location).await;
    let api = Api::new(&server.url);
    let challenge = |i: usize| {
        to_json(
            &el.pending(&creds[i % creds.len()], &el.choices(i))
                .challenge(&el.election_hash),
        )
    };
    let first = challenge(0);
    api.ok("/api/challenges", None, &first).await;
    api.ok("/api/challenges", None, &challenge(1)).await;
    for i in 2..5 {
        let (status, v) = api.post("/api/challenges", None, &challenge(i)).await;
        assert_eq!(
            (status, v["error"].as_str()),
            (StatusCode::TOO_MANY_REQUESTS, Some("rate_limited")),
            "{v}"
        );
    }
    // A retry of a recorded challenge gets its receipt again, not limited.
    let again = api.ok("/api/challenges", None, &first).await;
    assert_eq!(again["receipt"]["kind"], "challenged");
    // Ballots are not affected by the challenge limit.
    let b = el.ballot(&creds[3], &el.choices(1));
    api.ok("/api/ballots", None, &to_json(&b)).await;
    server.stop().await;

    // Same limit, loopback exempt (the default): not limited.
    set_env("off", None, "off");
    std::env::set_var("PSEPHOS_CHALLENGE_LIMIT", "2");
    let server = Server::start(&location).await;
    let api = Api::new(&server.url);
    for i in 5..9 {
        api.ok("/api/challenges", None, &challenge(i)).await;
    }
    server.stop().await;
    place.cleanup().await;
}
