//! A log line of `board.jsonl`: parse, hash check, entry decode and ordering, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use psephos_record::entry::RawLine;
use psephos_record::Phase;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    // The exact line form (docs/spec.md §7.3) the verifier reads: never a panic either.
    let _ = psephos_record::line::parse_line(text);
    if let Ok(line) = serde_json::from_str::<RawLine>(text) {
        let _ = line.check_hash();
        if let Ok(entry) = line.parse_entry() {
            for phase in [Phase::Empty, Phase::Ceremony, Phase::Open, Phase::Closed, Phase::Tallied, Phase::Finished] {
                let _ = phase.next(&entry);
            }
        }
    }
});
