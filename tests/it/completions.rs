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
            String::from_utf8_lossy(&out.stdout).contains("COMPLETE"),
            "{shell}: the script asks cio itself"
        );
    }
}

/// What `cio` offers at the end of `line`, as the fish script asks for it.
fn offered(line: &[&str], config: &Path) -> Vec<String> {
    let out = assert_cmd::Command::cargo_bin("cio")
        .unwrap()
        .env_clear()
        .env("COMPLETE", "fish")
        .env("CIO_CONFIG", config)
        .arg("--")
        .args(line)
        .output()
        .unwrap();
    assert!(out.status.success(), "{line:?}");
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| l.split('\t').next().unwrap().to_string())
        .collect()
}

#[test]
fn completions_offer_values_where_they_exist() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        "[profiles.prod]\nregion = \"eu\"\n[profiles.staging]\n",
    )
    .unwrap();
    assert_eq!(
        offered(&["cio", "--profile", ""], &config),
        ["prod", "staging"]
    );
    assert_eq!(
        offered(&["cio", "track", "e", "--profile", "st"], &config),
        ["staging"]
    );
    assert_eq!(
        offered(&["cio", "batch", "--type", ""], &config),
        ["track", "identify", "page", "screen", "group", "alias"]
    );
    assert_eq!(offered(&["cio", "--region", ""], &config), ["us", "eu"]);
    let keys = offered(&["cio", "config", "set", ""], &config);
    assert_eq!(
        &keys[..13],
        [
            "write_key",
            "region",
            "endpoint",
            "user_id",
            "anonymous_id",
            "timeout",
            "retries",
            "spool",
            "spool_dir",
            "spool_max_bytes",
            "ca_cert",
            "proxy",
            "default_profile"
        ]
    );
    // Ids are not file names.
    assert_eq!(
        offered(&["cio", "track", "e", "--user-id", ""], &config),
        Vec::<String>::new()
    );
    // Files where files are meant, after a first file too.
    let batch_files = offered(&["cio", "batch", "Cargo.toml", ""], &config);
    assert!(
        batch_files.contains(&"Cargo.toml".to_string()),
        "{batch_files:?}"
    );
    // Options that do nothing for a command are not offered there.
    assert_eq!(
        offered(&["cio", "completions", "bash", "--"], &config),
        ["--help", "--version"]
    );
}

#[test]
fn clap_definition_is_consistent() {
    cio::cli::Cli::command().debug_assert();
}

#[test]
fn man_page_is_one_self_contained_page() {
    let out = assert_cmd::Command::cargo_bin("cio")
        .unwrap()
        .arg("man")
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.starts_with(".TH CIO 1 "),
        "{}",
        &text[..200.min(text.len())]
    );
    let sections: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix(".SH "))
        .collect();
    assert_eq!(
        sections,
        [
            "NAME",
            "SYNOPSIS",
            "DESCRIPTION",
            "COMMANDS",
            "GLOBAL OPTIONS",
            "ITEM SYNTAX",
            "ENVIRONMENT",
            "FILES",
            "EXIT STATUS",
            "EXAMPLES"
        ]
    );
    // Every command is described here, not in pages that do not exist.
    assert!(
        !text.contains("cio-track(1)") && !text.contains(".SH EXTRA"),
        "{text}"
    );
    for command in [
        "cio track",
        "cio identify",
        "cio page",
        "cio screen",
        "cio group",
        "cio alias",
        "cio batch",
        "cio config set",
        "cio config get",
        "cio ping",
        "cio completions",
        "cio man",
    ] {
        assert!(
            text.contains(&format!(".SS \"{command}")),
            "{command} has its section"
        );
    }
    for needle in [
        "\\-\\-prop",
        "CIO_WRITE_KEY",
        "config.toml",
        ".B 130",
        "key:=JSON",
        "cio track \"Product Added\"",
    ] {
        assert!(text.contains(needle), "man page lacks {needle}");
    }
    // roff: a line starting with '.' or '\'' is one of the macros the page uses,
    // never text that happened to start that way.
    let macros = [
        ".TH", ".SH", ".SS", ".PP", ".TP", ".B", ".I", ".br", ".nf", ".fi", ".RS", ".RE",
    ];
    for line in text.lines() {
        let word = line.split(' ').next().unwrap_or_default();
        assert!(
            !line.starts_with('\'') && (!line.starts_with('.') || macros.contains(&word)),
            "stray control line: {line}"
        );
    }
}
