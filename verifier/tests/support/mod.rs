//! Shared helpers of the verifier's tests: the generated record lives in `psephos_verify::testkit`
//! (so `--bench` can use it too); these are temporary directories and shortcuts.
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use psephos_verify::testkit::{self, Record, Spec};
use psephos_verify::{verify_dir, InputError, Options, Report};

/// A fresh empty directory under the target directory.
pub fn temp_dir(tag: &str) -> PathBuf {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("psephos-verify-{}-{tag}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The small record (3 trustees t=2, 6 voters, 5 ballot entries).
pub fn small() -> Record {
    testkit::generate(&Spec::small())
}

/// Writes and verifies a record.
pub fn verify_record(r: &Record, tag: &str) -> Result<Report, InputError> {
    let dir = temp_dir(tag);
    r.write(&dir).unwrap();
    let out = verify_dir(&dir, &Options::default());
    let _ = std::fs::remove_dir_all(&dir);
    out
}

/// Verifies written files.
pub fn verify_files(files: &testkit::Files, tag: &str) -> Result<Report, InputError> {
    let dir = temp_dir(tag);
    files.write(&dir).unwrap();
    let out = verify_dir(&dir, &Options::default());
    let _ = std::fs::remove_dir_all(&dir);
    out
}
