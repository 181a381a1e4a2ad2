//! The binary: exit codes 0/1/2, `--json`, `--tracking-code` and `--receipt`.

mod support;

use std::path::Path;
use std::process::Command;

use psephos_record::{Entry, Receipt, ReceiptKind};
use psephos_verify::testkit::Record;
use support::{small, temp_dir};

fn run(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_psephos-verify"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn written(r: &Record, tag: &str) -> std::path::PathBuf {
    let dir = temp_dir(tag);
    r.write(&dir).unwrap();
    dir
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn exit_codes() {
    let r = small();
    let good = written(&r, "cli-good");
    let (code, stdout, stderr) = run(&[s(&good)]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("VERIFIED"));
    assert!(
        stderr.is_empty(),
        "no progress bar when stderr is not a terminal: {stderr}"
    );

    let mut bad = small();
    let i = bad.find("tally").unwrap();
    let Entry::Tally(mut t) = bad.entry(i) else {
        panic!()
    };
    t.counted += 1;
    bad.set_entry(i, &Entry::Tally(t));
    let bad = written(&bad, "cli-bad");
    let (code, stdout, _) = run(&[s(&bad)]);
    assert_eq!(code, 1, "{stdout}");
    assert!(stdout.contains("FAILED"));

    let unreadable = written(&r, "cli-unreadable");
    std::fs::write(unreadable.join("board.jsonl"), "{\"seq\":0}\nnot json\n").unwrap();
    let (code, _, stderr) = run(&[s(&unreadable)]);
    assert_eq!(code, 2);
    assert!(stderr.contains("board.jsonl:1"), "{stderr}");
    let (code, _, _) = run(&["/nonexistent/psephos"]);
    assert_eq!(code, 2);
}

#[test]
fn json_report() {
    let mut r = small();
    let i = r.find("ballot").unwrap();
    let Entry::Ballot(mut b) = r.entry(i) else {
        panic!()
    };
    b.ballot.signature[5] ^= 4;
    let id = hex::encode(b.ballot.ballot_id);
    r.set_entry(i, &Entry::Ballot(b));
    let dir = written(&r, "cli-json");
    let (code, stdout, _) = run(&[s(&dir), "--json"]);
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["passed"], false);
    let checks = v["checks"].as_array().unwrap();
    assert_eq!(checks.len(), 10);
    let c5 = &checks[4];
    assert_eq!(c5["number"], 5);
    assert_eq!(c5["status"], "failed");
    assert_eq!(c5["items"], 4);
    assert_eq!(c5["failures"][0]["file"], "board.jsonl");
    assert_eq!(c5["failures"][0]["line"], i as u64 + 1);
    assert_eq!(c5["failures"][0]["ballot_id"], id.as_str());
    assert_eq!(checks[0]["status"], "passed");
}

#[test]
fn tracking_code_lookup() {
    let r = small();
    let dir = written(&r, "cli-track");
    let ballots = r.find_all("ballot");
    let code_of = |i: usize| match r.entry(i) {
        Entry::Ballot(b) => b.tracking_code,
        _ => unreachable!(),
    };
    let (code, stdout, _) = run(&[s(&dir), "--tracking-code", &code_of(ballots[1])]);
    assert_eq!(code, 0, "{stdout}");
    assert!(stdout.contains("Counted"), "{stdout}");
    let (code, stdout, _) = run(&[s(&dir), "--tracking-code", &code_of(ballots[0])]);
    assert_eq!(code, 0);
    assert!(stdout.contains("Superseded"), "{stdout}");
    let (code, stdout, _) = run(&[s(&dir), "--json", "--tracking-code", "ZZZZ-ZZZZ-ZZZZ-ZZZZ"]);
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert!(v["tracking"]["found"].is_null());
}

/// A challenge's receipt (kind `challenged`) is checked against the record like a ballot's;
/// a receipt that calls the challenged entry a cast ballot, even one signed by the board, is
/// refused.
#[test]
fn challenge_receipts() {
    let r = small();
    let dir = written(&r, "cli-challenge-receipt");
    let ch = r.find("challenged").unwrap();
    let receipt = r.receipt(ch as u64, ch as u64 + 1);
    assert_eq!(receipt.kind, ReceiptKind::Challenged);
    let file = dir.join("receipt.json");
    std::fs::write(&file, serde_json::to_string(&receipt).unwrap()).unwrap();
    let (code, stdout, _) = run(&[s(&dir), "--receipt", s(&file)]);
    assert_eq!(code, 0, "{stdout}");
    let relabelled = Receipt::sign(
        &r.board_key,
        receipt.base_hash,
        ReceiptKind::Ballot,
        receipt.ballot_id,
        receipt.tracking_code.clone(),
        receipt.seq,
        receipt.entry_hash,
        receipt.checkpoint.clone(),
        receipt.inclusion_proof.iter().map(|h| h.0).collect(),
    );
    relabelled
        .verify(&r.board_key.verifying_key().to_bytes())
        .unwrap();
    std::fs::write(&file, serde_json::to_string(&relabelled).unwrap()).unwrap();
    let (code, stdout, _) = run(&[s(&dir), "--receipt", s(&file)]);
    assert_eq!(code, 1, "{stdout}");
    // The kind is signed: changing it without the board's key breaks the signature.
    let mut edited = receipt;
    edited.kind = ReceiptKind::Ballot;
    assert!(edited
        .verify(&r.board_key.verifying_key().to_bytes())
        .is_err());
}

#[test]
fn receipts() {
    let r = small();
    let dir = written(&r, "cli-receipt");
    let b = r.find_all("ballot")[1];
    let receipt = r.receipt(b as u64, b as u64 + 2);
    let file = dir.join("receipt.json");
    std::fs::write(&file, serde_json::to_string(&receipt).unwrap()).unwrap();
    let (code, stdout, _) = run(&[s(&dir), "--receipt", s(&file)]);
    assert_eq!(code, 0, "{stdout}");
    assert!(stdout.contains("valid"), "{stdout}");

    // A forged receipt signature.
    let mut forged = receipt.clone();
    forged.signature[1] ^= 1;
    std::fs::write(&file, serde_json::to_string(&forged).unwrap()).unwrap();
    let (code, stdout, _) = run(&[s(&dir), "--receipt", s(&file)]);
    assert_eq!(code, 1, "{stdout}");

    // The board acknowledged the ballot, then dropped it and re-chained and re-signed
    // everything after: the receipt shows the final log does not extend its checkpoint.
    let mut dropped = small();
    dropped.bodies.remove(b);
    let close = dropped.find("close").unwrap();
    let Entry::Close(mut c) = dropped.entry(close) else {
        panic!()
    };
    c.ballots_received -= 1;
    dropped.set_entry(close, &Entry::Close(c));
    let dir2 = written(&dropped, "cli-dropped");
    std::fs::write(&file, serde_json::to_string(&receipt).unwrap()).unwrap();
    let (code, stdout, _) = run(&[s(&dir2), "--receipt", s(&file)]);
    assert_eq!(code, 1, "{stdout}");
    assert!(stdout.contains("INVALID"), "{stdout}");
    assert!(stdout.contains("not an extension"), "{stdout}");

    // Unreadable receipt: exit 2.
    std::fs::write(&file, "{").unwrap();
    let (code, _, _) = run(&[s(&dir), "--receipt", s(&file)]);
    assert_eq!(code, 2);
}
