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

/// The codes the HTTP layer writes for errors no handler describes (src/http/errors.rs) are
/// documented; every POST names its body's schema (not a bare `object`), and the bodies the
/// board parses with `deny_unknown_fields` say `additionalProperties: false`; query numbers
/// have maxima; the record's file names are an enum; 405/413/429 are documented.
#[test]
fn openapi_is_precise_enough_to_test_against() {
    let doc: serde_json::Value = serde_json::from_str(OPENAPI).expect("openapi.json parses");
    let codes = doc["components"]["schemas"]["Error"]["properties"]["error"]["enum"]
        .as_array()
        .expect("error enum");
    let http_errors = include_str!("../src/http/errors.rs");
    let mut found = 0;
    for part in http_errors.split("=> \"").skip(1) {
        let code = part.split('"').next().expect("code");
        if !code.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
            continue; // a message, not a code
        }
        found += 1;
        assert!(
            codes.iter().any(|c| c == code),
            "HTTP layer code {code} is not in docs/openapi.json"
        );
    }
    assert!(found >= 10, "found only {found} codes in http/errors.rs");

    let schemas = &doc["components"]["schemas"];
    let resolve = |v: &serde_json::Value| -> serde_json::Value {
        match v["$ref"].as_str() {
            Some(r) => schemas[r.trim_start_matches("#/components/schemas/")].clone(),
            None => v.clone(),
        }
    };
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("item") {
            let responses = op["responses"].as_object().expect("responses");
            for status in ["405", "429"] {
                assert!(
                    responses.contains_key(status),
                    "{method} {path}: no {status}"
                );
            }
            if method == "post" {
                assert!(responses.contains_key("413"), "{method} {path}: no 413");
                let schema = resolve(&op["requestBody"]["content"]["application/json"]["schema"]);
                let precise = schema.get("properties").is_some()
                    || schema.get("maxProperties").is_some()
                    || schema.get("required").is_some();
                assert!(
                    precise,
                    "{method} {path}: bare request body schema {schema}"
                );
                if path.starts_with("/api/admin/") || path.starts_with("/api/trustee/") {
                    assert_eq!(
                        schema["additionalProperties"],
                        serde_json::Value::Bool(false),
                        "{method} {path}: the board refuses unknown fields"
                    );
                }
            }
            for p in op["parameters"].as_array().into_iter().flatten() {
                if p["in"] == "query" && p["schema"]["type"] == "integer" {
                    assert_eq!(
                        p["schema"]["maximum"].as_u64(),
                        Some(i64::MAX as u64),
                        "{method} {path}: {} has no maximum",
                        p["name"]
                    );
                }
            }
        }
    }
    let files = doc["paths"]["/api/record/{file}"]["get"]["parameters"][0]["schema"]["enum"]
        .as_array()
        .expect("record file names are an enum");
    for name in [
        psephos_record::record::BOARD_FILE,
        psephos_record::record::MANIFEST_FILE,
        psephos_record::record::ROLL_FILE,
        psephos_record::record::CHECKPOINTS_FILE,
        psephos_record::record::RESULT_FILE,
    ] {
        assert!(files.iter().any(|f| f == name), "{name} is not in the enum");
    }
}
