//! `cargo run --release -p psephos-board --example bench_board -- --voters 5000 --concurrency 64
//! [--database postgres://...] [--board URL --admin-token T --trustee-token T] [--max-batch N]`
//!
//! The same as `psephos bench board`; see `psephos_board::bench`.

use psephos_board::bench::{run_board_bench, BenchOptions};

fn main() {
    let mut opts = BenchOptions::default();
    let mut args = std::env::args().skip(1);
    let bad = |what: &str| -> ! {
        eprintln!("bad or missing value for {what}");
        std::process::exit(2)
    };
    while let Some(a) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| bad(&a));
        match a.as_str() {
            "--voters" => opts.voters = value().parse().unwrap_or_else(|_| bad("--voters")),
            "--concurrency" => {
                opts.concurrency = value().parse().unwrap_or_else(|_| bad("--concurrency"))
            }
            "--max-batch" => {
                opts.max_batch = value().parse().unwrap_or_else(|_| bad("--max-batch"))
            }
            "--database" => opts.database = Some(value()),
            "--board" => opts.board = Some(value()),
            "--admin-token" => opts.admin_token = Some(value()),
            "--trustee-token" => opts.trustee_token = Some(value()),
            other => bad(other),
        }
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| {
            eprintln!("tokio: {e}");
            std::process::exit(1)
        });
    match rt.block_on(run_board_bench(opts)) {
        Ok(report) => println!("{report}"),
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    }
}
