//! The verifier's record loader: any bytes in the five record files give a report or an input
//! error, never a panic. The input is split on 0xFF into board.jsonl, manifest.json, roll.jsonl,
//! checkpoints.jsonl and result.json.
#![no_main]

use libfuzzer_sys::fuzz_target;
use psephos_verify::{verify_dir, Options};

const FILES: [&str; 5] = ["board.jsonl", "manifest.json", "roll.jsonl", "checkpoints.jsonl", "result.json"];

fuzz_target!(|data: &[u8]| {
    let Ok(dir) = tempfile::tempdir() else { return };
    for (name, part) in FILES.iter().zip(data.split(|&b| b == 0xff)) {
        if std::fs::write(dir.path().join(name), part).is_err() {
            return;
        }
    }
    let _ = verify_dir(dir.path(), &Options::default());
});
