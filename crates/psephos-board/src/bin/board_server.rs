//! A bare board server: `psephos-board-server --data DIR|postgres://URL [--listen ADDR]
//! [--max-batch N]`. Opens (replays and checks) the store, unsealing the board's signing key
//! with `$PSEPHOS_BOARD_PASSPHRASE`, prints `listening on ADDR` and serves until ctrl-c. Used
//! by the crash tests, which SIGKILL it mid-load.

use std::io::Write;

use psephos_board::{serve, Board, BoardConfig, BOARD_PASSPHRASE_ENV};

fn usage() -> ! {
    eprintln!("usage: psephos-board-server --data DIR|postgres://URL [--listen 127.0.0.1:0] [--max-batch N]");
    std::process::exit(2)
}

#[tokio::main]
async fn main() {
    let mut data = None;
    let mut listen = "127.0.0.1:0".to_string();
    let mut max_batch = 256usize;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--data" => data = args.next(),
            "--listen" => listen = args.next().unwrap_or_else(|| usage()),
            "--max-batch" => {
                max_batch = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .unwrap_or_else(|| usage())
            }
            _ => usage(),
        }
    }
    let Some(location) = data else { usage() };
    let Ok(passphrase) = std::env::var(BOARD_PASSPHRASE_ENV) else {
        eprintln!("set {BOARD_PASSPHRASE_ENV} to the passphrase of the board's signing key");
        std::process::exit(2)
    };
    let board = match Board::open(BoardConfig {
        max_batch,
        ..BoardConfig::new(location, &passphrase)
    })
    .await
    {
        Ok(b) => b,
        Err(e) => {
            eprintln!("cannot open the board: {e}");
            std::process::exit(1);
        }
    };
    let listener = match tokio::net::TcpListener::bind(&listen).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("cannot listen on {listen}: {e}");
            std::process::exit(1);
        }
    };
    match listener.local_addr() {
        Ok(addr) => {
            println!("listening on {addr}");
            let _ = std::io::stdout().flush();
        }
        Err(e) => {
            eprintln!("no local address: {e}");
            std::process::exit(1);
        }
    }
    if let Err(e) = serve(board, listener, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
    {
        eprintln!("serve: {e}");
        std::process::exit(1);
    }
}
