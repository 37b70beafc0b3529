//! The committed completion scripts are exactly what the binary generates, and
//! the clap definition passes clap's own consistency checks.

use std::path::Path;

use clap::CommandFactory;

const SHELLS: [(&str, &str); 5] = [
    ("bash", "cio.bash"),
    ("zsh", "_cio"),
    ("fish", "cio.fish"),
    ("elvish", "cio.elv"),
    ("powershell", "_cio.ps1"),
];

#[test]
fn committed_completions_match_the_binary() {
    for (shell, file) in SHELLS {
        let out = assert_cmd::Command::cargo_bin("cio")
            .unwrap()
            .args(["completions", shell])
            .output()
            .unwrap();
        assert!(out.status.success(), "cio completions {shell} failed");
        let committed = std::fs::read(Path::new("completions").join(file))
            .unwrap_or_else(|e| panic!("completions/{file}: {e}"));
        assert!(
            committed == out.stdout,
            "completions/{file} differs from `cio completions {shell}`; regenerate it: cio completions {shell} > completions/{file}"
        );
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("batch"),
            "{shell} completes subcommands"
        );
    }
}

#[test]
fn clap_definition_is_consistent() {
    cio::cli::Cli::command().debug_assert();
}

#[test]
fn man_page_renders() {
    let out = assert_cmd::Command::cargo_bin("cio")
        .unwrap()
        .arg("man")
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.starts_with(".ie") || text.contains(".TH cio"),
        "{}",
        &text[..200.min(text.len())]
    );
}
