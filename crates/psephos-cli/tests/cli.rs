//! The `psephos` binary itself: help texts and `admin init`.

use std::process::Command;

fn psephos(args: &[&str]) -> (bool, String, String) {
    psephos_with(args, &[("PSEPHOS_BOARD_PASSPHRASE", "cli test passphrase")])
}

fn psephos_with(args: &[&str], env: &[(&str, &str)]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_psephos"))
        .args(args)
        .env_remove("PSEPHOS_TOKEN")
        .env_remove("PSEPHOS_BOARD")
        .env_remove("PSEPHOS_BOARD_PASSPHRASE")
        .envs(env.iter().copied())
        .stdin(std::process::Stdio::null())
        .output()
        .expect("runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn every_command_has_help_that_places_it_in_the_workflow() {
    let (ok, top, _) = psephos(&["--help"]);
    assert!(ok);
    assert!(top.contains("psephos trustee ceremony"), "{top}");
    for cmd in [
        vec!["admin", "init"],
        vec!["admin", "roll"],
        vec!["admin", "open"],
        vec!["admin", "close"],
        vec!["admin", "publish"],
        vec!["trustee", "keygen"],
        vec!["trustee", "ceremony"],
        vec!["trustee", "decrypt"],
        vec!["vote"],
        vec!["serve"],
        vec!["tally"],
        vec!["verify"],
        vec!["demo"],
    ] {
        let mut args = cmd.clone();
        args.push("--help");
        let (ok, text, err) = psephos(&args);
        assert!(ok, "{cmd:?}: {err}");
        assert!(text.len() > 200, "{cmd:?} help is too short: {text}");
    }
}

#[test]
fn admin_init_prints_tokens_once_and_writes_them_privately() {
    let dir = tempfile::tempdir().expect("tempdir");
    let manifest = dir.path().join("election.toml");
    std::fs::write(
        &manifest,
        r#"
title = "Test"
election_id = "t"
trustees = 2
threshold = 2
[[questions]]
title = "Q"
options = ["A", "B"]
"#,
    )
    .expect("manifest");
    let data = dir.path().join("board");
    let tokens = dir.path().join("tokens.txt");
    let (ok, out, err) = psephos(&[
        "admin",
        "init",
        "--data",
        data.to_str().expect("utf-8"),
        "--manifest",
        manifest.to_str().expect("utf-8"),
        "--tokens-out",
        tokens.to_str().expect("utf-8"),
    ]);
    assert!(ok, "{err}");
    assert!(out.contains("shown ONCE"), "{out}");
    assert!(out.contains("trustee 2 token"), "{out}");
    let text = std::fs::read_to_string(&tokens).expect("tokens file");
    assert_eq!(text.lines().count(), 3);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&tokens)
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // Serving needs the passphrase the key was sealed under: a wrong one is refused.
    let (ok, _, err) = psephos_with(
        &[
            "serve",
            "--data",
            data.to_str().expect("utf-8"),
            "--listen",
            "127.0.0.1:0",
        ],
        &[("PSEPHOS_BOARD_PASSPHRASE", "not the passphrase")],
    );
    assert!(!ok);
    assert!(err.contains("wrong passphrase"), "{err}");
    // A second init of the same store is refused.
    let (ok, _, _) = psephos(&[
        "admin",
        "init",
        "--data",
        data.to_str().expect("utf-8"),
        "--manifest",
        manifest.to_str().expect("utf-8"),
    ]);
    assert!(!ok);
}
