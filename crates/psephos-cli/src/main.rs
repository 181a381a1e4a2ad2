//! `psephos`: run a verifiable election. See `psephos --help`.

fn main() -> std::process::ExitCode {
    psephos_cli::main_entry()
}
