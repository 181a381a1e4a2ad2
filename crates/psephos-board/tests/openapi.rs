//! docs/openapi.json describes exactly the routes the board serves: every `.route(...)` of the
//! router appears in it with the same method, and it describes no route the board lacks.

use std::collections::BTreeSet;

const ROUTER_SOURCE: &str = include_str!("../src/board.rs");
const OPENAPI: &str = include_str!("../../../docs/openapi.json");
const API_MD: &str = include_str!("../../../docs/api.md");

/// `(method, path)` for every `.route("path", method(handler))` in the router source, with
/// axum's `:param` written as OpenAPI's `{param}`.
fn router_routes() -> BTreeSet<(String, String)> {
    let mut routes = BTreeSet::new();
    let mut rest = ROUTER_SOURCE;
    while let Some(at) = rest.find(".route(\"") {
        rest = &rest[at + 8..];
        let end = rest.find('"').expect("route path ends");
        let path = &rest[..end];
        let after = rest[end + 1..].trim_start_matches([',', ' ', '\n']);
        let method = after.split('(').next().expect("method").trim().to_string();
        let path = path
            .split('/')
            .map(|seg| match seg.strip_prefix(':') {
                Some(name) => format!("{{{name}}}"),
                None => seg.to_string(),
            })
            .collect::<Vec<_>>()
            .join("/");
        routes.insert((method, path));
    }
    routes
}

fn openapi_routes() -> BTreeSet<(String, String)> {
    let doc: serde_json::Value = serde_json::from_str(OPENAPI).expect("openapi.json parses");
    let paths = doc["paths"].as_object().expect("paths");
    let mut routes = BTreeSet::new();
    for (path, item) in paths {
        for method in item.as_object().expect("path item").keys() {
            routes.insert((method.clone(), path.clone()));
        }
    }
    routes
}

#[test]
fn openapi_matches_the_router() {
    let router = router_routes();
    assert!(router.len() >= 20, "router scan found only {router:?}");
    let documented = openapi_routes();
    let missing: Vec<_> = router.difference(&documented).collect();
    let extra: Vec<_> = documented.difference(&router).collect();
    assert!(
        missing.is_empty(),
        "routes served but not in docs/openapi.json: {missing:?}"
    );
    assert!(
        extra.is_empty(),
        "routes in docs/openapi.json the board does not serve: {extra:?}"
    );
}

#[test]
fn api_md_mentions_every_route() {
    for (_, path) in router_routes() {
        let plain = path
            .split('{')
            .next()
            .unwrap_or(&path)
            .trim_end_matches('/');
        assert!(
            API_MD.contains(plain),
            "docs/api.md does not mention {path}"
        );
    }
}

#[test]
fn every_error_code_is_documented() {
    let doc: serde_json::Value = serde_json::from_str(OPENAPI).expect("openapi.json parses");
    let codes: Vec<&str> = doc["components"]["schemas"]["Error"]["properties"]["error"]["enum"]
        .as_array()
        .expect("error enum")
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    let error_source = include_str!("../src/error.rs");
    let mut rest = error_source;
    let mut found = 0;
    while let Some(at) = rest.find("=> (\"") {
        rest = &rest[at + 5..];
        let end = rest.find('"').expect("code ends");
        let code = &rest[..end];
        if code.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
            found += 1;
            assert!(
                codes.contains(&code),
                "error code {code} is not in docs/openapi.json"
            );
        }
        rest = &rest[end..];
    }
    assert!(found >= 10, "found only {found} error codes in error.rs");
}
