//! `psephos-verify DIR`: verifies a published election record.
//!
//! Exit status: 0 every check passed, 1 a check (or the receipt, or the tracking code lookup)
//! failed, 2 the record could not be read.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;

use psephos_verify::report::Status;
use psephos_verify::{testkit, verify_dir, Options, Report};

/// The ballot format of the cached benchmark records (bumped when it changes): "c" since cast
/// ballots carry a blinding and challenges a credential commitment (docs/spec.md §7.4).
const BENCH_RECORD_FORMAT: &str = "c";

/// Verifies a psephos election record (board.jsonl, manifest.json, roll.jsonl,
/// checkpoints.jsonl, result.json).
#[derive(Parser, Debug)]
#[command(name = "psephos-verify", version)]
struct Cli {
    /// The record's directory.
    dir: Option<PathBuf>,
    /// Print a machine-readable JSON report on stdout.
    #[arg(long)]
    json: bool,
    /// Also say whether the ballot with this tracking code is in the record and counted.
    #[arg(long = "tracking-code", value_name = "CODE")]
    tracking_code: Option<String>,
    /// Also check this voter's signed receipt against the record.
    #[arg(long, value_name = "FILE")]
    receipt: Option<PathBuf>,
    /// Also check that the files in DIR (the voter's web bundle rebuilt with
    /// scripts/build-web.sh, or the files a browser was served) hash to the record's web
    /// bundle hash.
    #[arg(long = "web-bundle", value_name = "DIR")]
    web_bundle: Option<PathBuf>,
    /// Fail (rather than skip) the checks of phases the record has not reached.
    #[arg(long)]
    require_complete: bool,
    /// Ballots per verification batch.
    #[arg(long, default_value_t = psephos_verify::checks::DEFAULT_CHUNK)]
    chunk: usize,
    /// Benchmark: generate (cached under target/psephos-bench) and verify records of N ballots.
    #[arg(long, value_name = "N", num_args = 1..)]
    bench: Vec<usize>,
    /// Internal: generate the bench record of N ballots into DIR.
    #[arg(long, hide = true, num_args = 2, value_names = ["N", "DIR"])]
    bench_generate: Vec<String>,
}

/// jemalloc keeps freed pages for reuse for seconds. With the system allocator (and with
/// mimalloc, which returns them after 10 ms), each chunk's multiscalar multiplication got
/// fresh pages from the kernel, whose zeroing cost about 5% of a run; jemalloc also keeps the
/// peak RSS lowest of the three.
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let [n, dir] = cli.bench_generate.as_slice() {
        let Ok(n) = n.parse::<usize>() else {
            return ExitCode::from(2);
        };
        return match testkit::generate(&testkit::Spec::association(n)).write(Path::new(dir)) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("cannot write {dir}: {e}");
                ExitCode::from(2)
            }
        };
    }
    if !cli.bench.is_empty() {
        return bench(&cli);
    }
    let Some(dir) = &cli.dir else {
        eprintln!("usage: psephos-verify DIR [--json] [--tracking-code CODE] [--receipt FILE]");
        return ExitCode::from(2);
    };
    let mut options = Options {
        require_complete: cli.require_complete,
        progress: std::io::stderr().is_terminal(),
        chunk: cli.chunk,
        // Index only the ballot asked about: memory then does not grow with the ballots.
        tracking_codes: Some(cli.tracking_code.iter().cloned().collect()),
        ..Options::default()
    };
    if let Some(path) = &cli.receipt {
        let parsed = std::fs::read_to_string(path)
            .map_err(|e| e.to_string())
            .and_then(|t| serde_json::from_str(&t).map_err(|e| format!("bad JSON: {e}")));
        match parsed {
            Ok(r) => options.receipt = Some(r),
            Err(e) => {
                eprintln!("error: {}: {e}", path.display());
                return ExitCode::from(2);
            }
        }
    }
    let report = match verify_dir(dir, &options) {
        Ok(r) => r,
        Err(e) => {
            if cli.json {
                println!(
                    "{}",
                    serde_json::json!({"input_error": {"file": e.file, "line": e.line, "message": e.message}})
                );
            }
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let tracking = cli
        .tracking_code
        .as_deref()
        .map(|c| (c, report.tracking_status(c)));
    let mut ok = report.passed();
    if let Some((_, None)) = tracking {
        ok = false;
    }
    let bundle = match cli.web_bundle.as_deref().map(bundle_check).transpose() {
        Ok(b) => b,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    if let Some(b) = &bundle {
        ok &= report.web_bundle_hash.as_deref() == Some(b.hash.as_str());
    }
    if cli.json {
        let mut value = serde_json::to_value(&report).unwrap_or_default();
        if let (Some((code, status)), Some(obj)) = (&tracking, value.as_object_mut()) {
            obj.insert(
                "tracking".into(),
                serde_json::json!({"query": code, "found": status}),
            );
        }
        if let (Some(b), Some(obj)) = (&bundle, value.as_object_mut()) {
            obj.insert(
                "web_bundle_check".into(),
                serde_json::json!({
                    "dir": b.dir,
                    "hash": b.hash,
                    "matches": report.web_bundle_hash.as_deref() == Some(b.hash.as_str()),
                }),
            );
        }
        obj_passed(&mut value, ok);
        println!(
            "{}",
            serde_json::to_string_pretty(&value).unwrap_or_default()
        );
    } else {
        print_human(&report, tracking.as_ref().map(|(c, s)| (*c, s)));
        if let Some(b) = &bundle {
            if report.web_bundle_hash.as_deref() == Some(b.hash.as_str()) {
                println!("web bundle {}: {} = the record's", b.dir, b.hash);
            } else {
                println!(
                    "web bundle {}: {} DIFFERS from the record's ({})",
                    b.dir,
                    b.hash,
                    report.web_bundle_hash.as_deref().unwrap_or("none")
                );
            }
        }
        println!("{}", if ok { "VERIFIED" } else { "FAILED" });
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// The web bundle hash of a local directory, for `--web-bundle`.
struct BundleCheck {
    dir: String,
    hash: String,
}

fn bundle_check(dir: &Path) -> Result<BundleCheck, String> {
    use psephos_record::hash;
    let files = hash::web_bundle_files(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    Ok(BundleCheck {
        dir: dir.display().to_string(),
        hash: hex::encode(hash::web_bundle_hash(&files)),
    })
}

fn obj_passed(value: &mut serde_json::Value, ok: bool) {
    if let Some(obj) = value.as_object_mut() {
        obj.insert("passed".into(), ok.into());
    }
}

fn print_human(report: &Report, tracking: Option<(&str, &Option<psephos_verify::TrackingStatus>)>) {
    println!(
        "record: {} entries, phase {:?}, H_B {}",
        report.log_size,
        report.phase,
        report.base_hash.as_deref().unwrap_or("-")
    );
    if let Some(f) = &report.election_fingerprint {
        println!("election fingerprint: {f}");
    }
    if let Some(h) = &report.web_bundle_hash {
        println!("web bundle hash: {h}");
    }
    for c in &report.checks {
        let status = match c.status {
            Status::Passed => "ok     ",
            Status::Failed => "FAILED ",
            Status::Skipped => "skipped",
        };
        print!(
            "{:>2}. {status} {:<22} {:>8} items",
            c.number, c.name, c.items
        );
        if let Some(note) = &c.note {
            print!("  ({note})");
        }
        println!();
        for f in &c.failures {
            let mut place = f.file.clone().unwrap_or_default();
            if let Some(l) = f.line {
                place.push_str(&format!(":{l}"));
            }
            if let Some(id) = &f.ballot_id {
                place.push_str(&format!(" ballot {id}"));
            }
            println!("      {place}: {}", f.message);
        }
        if c.failure_count > c.failures.len() as u64 {
            println!("      … {} failures in all", c.failure_count);
        }
    }
    if let Some(r) = &report.receipt {
        if r.valid {
            println!("receipt {} (entry {}): valid", r.tracking_code, r.seq);
        } else {
            println!("receipt {} (entry {}): INVALID", r.tracking_code, r.seq);
            for p in &r.problems {
                println!("      {p}");
            }
        }
    }
    if let Some((code, status)) = tracking {
        match status {
            Some(s) => println!(
                "tracking code {}: in the record at entry {}, {:?}",
                s.tracking_code, s.seq, s.status
            ),
            None => println!("tracking code {code}: NOT in the record"),
        }
    }
}

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// CPU seconds (user + system, all threads) this process has used so far, from
/// `/proc/self/stat` (fields 14 and 15, in clock ticks of 1/100 s: USER_HZ is 100 in Linux's
/// user-space ABI). `None` where there is no procfs.
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The command name (field 2) is in parentheses and may contain spaces.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i)?.parse::<u64>().ok();
    // After the name: state is field 3, so utime (14) and stime (15) are at 11 and 12.
    Some((ticks(11)? + ticks(12)?) as f64 / 100.0)
}

fn bench(cli: &Cli) -> ExitCode {
    if cli.bench.len() > 1 {
        // One process per size, so that each peak RSS is its own.
        for &n in &cli.bench {
            let status = std::env::current_exe().and_then(|exe| {
                std::process::Command::new(exe)
                    .arg("--bench")
                    .arg(n.to_string())
                    .arg("--chunk")
                    .arg(cli.chunk.to_string())
                    .status()
            });
            if !matches!(status, Ok(s) if s.success()) {
                return ExitCode::from(2);
            }
        }
        return ExitCode::SUCCESS;
    }
    let root = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("target"))
        .join("psephos-bench");
    for &n in &cli.bench {
        // Named by the record format, so that a cached record of an older format is not read.
        let dir = root.join(format!("association-{BENCH_RECORD_FORMAT}-{n}"));
        if !dir.join("result.json").exists() {
            let started = Instant::now();
            // A child process, so that generation does not count in the verifier's peak RSS.
            let status = std::env::current_exe().and_then(|exe| {
                std::process::Command::new(exe)
                    .arg("--bench-generate")
                    .arg(n.to_string())
                    .arg(&dir)
                    .status()
            });
            if !matches!(status, Ok(s) if s.success()) {
                eprintln!("generating {n} ballots failed");
                return ExitCode::from(2);
            }
            eprintln!(
                "generated {n} ballots in {:.1} s",
                started.elapsed().as_secs_f64()
            );
        }
        let options = Options {
            chunk: cli.chunk,
            tracking_codes: Some(Vec::new()),
            ..Options::default()
        };
        let started = Instant::now();
        let cpu_before = cpu_seconds();
        let report = match verify_dir(&dir, &options) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
        };
        let elapsed = started.elapsed();
        let cpu = match (cpu_before, cpu_seconds()) {
            (Some(a), Some(b)) => format!(" ({:.1} µs of CPU)", (b - a) * 1e6 / n as f64),
            _ => String::new(),
        };
        println!(
            "{n:>7} ballots: {:.2} s, {:.1} µs/ballot{cpu}, {} threads, passed={}, peak RSS {} MiB",
            elapsed.as_secs_f64(),
            elapsed.as_secs_f64() * 1e6 / n as f64,
            rayon::current_num_threads(),
            report.passed(),
            peak_rss_kib() / 1024
        );
    }
    ExitCode::SUCCESS
}
