//! `psephos-verify DIR --web-bundle WWW`: the files of WWW hash to the record's web bundle
//! hash, or the verdict is FAILED; the output starts with the election fingerprint.

mod support;

use std::process::Command;

use psephos_record::entry::HexKey;
use psephos_record::{hash, Entry, Phase};
use psephos_verify::testkit::{self, Spec};
use support::temp_dir;

fn run(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_psephos-verify"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn the_served_files_are_compared_with_the_recorded_bundle_hash() {
    let www = temp_dir("www");
    std::fs::create_dir_all(www.join("pkg")).unwrap();
    std::fs::write(www.join("index.html"), "<p>vote</p>").unwrap();
    std::fs::write(www.join("pkg/psephos_web.js"), "export default 1;").unwrap();
    let bundle = hash::web_bundle_hash(&hash::web_bundle_files(&www).unwrap());

    let mut r = testkit::generate(&Spec {
        stop: Phase::Open,
        ballots: 0,
        revotes: 0,
        challenged: 0,
        ..Spec::small()
    });
    let i = r.find("open").unwrap();
    let Entry::Open(mut open) = r.entry(i) else {
        panic!("not an open entry")
    };
    open.web_bundle_hash = Some(HexKey(bundle));
    open.election_hash = hash::election_hash(
        &r.base_hash,
        &r.chain()[i - 1],
        open.joint_key.as_bytes(),
        Some(&bundle),
    );
    r.set_entry(i, &Entry::Open(open.clone()));
    let record = temp_dir("bundle-record");
    r.write(&record).unwrap();
    let (rec, dir) = (record.to_str().unwrap(), www.to_str().unwrap());

    let (code, stdout) = run(&[rec, "--web-bundle", dir]);
    assert_eq!(code, 0, "{stdout}");
    assert!(stdout.contains("= the record's"), "{stdout}");
    let fingerprint = hash::election_fingerprint(&open.election_hash);
    assert!(
        stdout.contains(&format!("election fingerprint: {fingerprint}")),
        "{stdout}"
    );

    // One byte of the page changed: not the recorded bundle.
    std::fs::write(www.join("index.html"), "<p>Vote</p>").unwrap();
    let (code, stdout) = run(&[rec, "--web-bundle", dir]);
    assert_eq!(code, 1, "{stdout}");
    assert!(stdout.contains("DIFFERS from the record's"), "{stdout}");
    let (code, stdout) = run(&[rec, "--json", "--web-bundle", dir]);
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["web_bundle_check"]["matches"], false);
    assert_eq!(v["election_fingerprint"], fingerprint);
}
