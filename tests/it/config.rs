//! `cio config` and the config file: private modes, masked keys, errors with
//! positions, and reading that never writes.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::support::*;

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn set_write_key_from_stdin_creates_a_private_file_even_with_a_permissive_umask() {
    let env = CioEnv::new();
    let cio = assert_cmd::cargo::cargo_bin("cio");
    // umask 000 would make an ordinary file 0666 and directory 0777.
    let out = assert_cmd::Command::new("sh")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", env.path())
        .env("XDG_CONFIG_HOME", env.config_dir().parent().unwrap())
        .args([
            "-c",
            &format!("umask 000; exec '{}' config set write_key", cio.display()),
        ])
        .write_stdin(format!("{TEST_KEY}\n"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let file = env.config_dir().join("config.toml");
    assert_eq!(mode(&file), 0o600);
    assert_eq!(mode(&env.config_dir()), 0o700);
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        format!("[profiles.default]\nwrite_key = \"{TEST_KEY}\"\n")
    );
    assert_no_key(&stderr_of(&out));
    assert_no_key(&stdout_of(&out));

    let out = env
        .cmd()
        .args(["config", "get", "write_key"])
        .output()
        .unwrap();
    assert_eq!(stdout_of(&out), "****CRET\n");
    let out = env.cmd().args(["config", "list"]).output().unwrap();
    assert_eq!(
        stdout_of(&out),
        "[default] (default)\n  write_key = ****CRET\n"
    );
    let out = env
        .cmd()
        .args(["config", "list", "--json"])
        .output()
        .unwrap();
    assert_no_key(&stdout_of(&out));
    let listed: serde_json::Value = serde_json::from_str(&stdout_of(&out)).unwrap();
    assert_eq!(listed["profiles"]["default"]["write_key"], "****CRET");
}

#[test]
fn the_key_is_never_taken_from_an_argument() {
    let env = CioEnv::new();
    let out = env
        .cmd()
        .args(["config", "set", "write_key", "abc"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr_of(&out).starts_with("cio: error: config set write_key takes no value argument"));
    assert!(!env.config_dir().join("config.toml").exists());
}

#[test]
fn set_get_unset_and_profiles() {
    let env = CioEnv::new();
    let ok = |args: &[&str]| {
        let out = env.cmd().args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr_of(&out));
        stdout_of(&out)
    };
    ok(&["config", "set", "region", "eu"]);
    ok(&[
        "config",
        "set",
        "endpoint",
        "http://127.0.0.1:9/v1",
        "--profile",
        "local",
    ]);
    ok(&["config", "set", "default_profile", "local"]);
    assert_eq!(
        ok(&["config", "get", "region", "--profile", "default"]),
        "eu\n"
    );
    assert_eq!(
        ok(&["config", "get", "endpoint"]),
        "http://127.0.0.1:9/v1\n"
    );
    // --json: one object, the key's value and the profile it is in.
    assert_eq!(
        ok(&["--json", "config", "get", "endpoint"]),
        "{\"key\":\"endpoint\",\"value\":\"http://127.0.0.1:9/v1\",\"profile\":\"local\"}\n"
    );
    ok(&["config", "unset", "endpoint"]);
    let out = env
        .cmd()
        .args(["config", "get", "endpoint"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(9),
        "config get of an unset key has its own exit code"
    );
    assert_eq!(
        stderr_of(&out),
        format!(
            "cio: error: endpoint is not set in profile 'local' of {}\n",
            env.config_dir().join("config.toml").display()
        )
    );
    let out = env
        .cmd()
        .args(["config", "set", "region", "mars"])
        .output()
        .unwrap();
    assert_eq!(
        (out.status.code(), stderr_of(&out)),
        (
            Some(2),
            "cio: error: region: expected us or eu, found 'mars'\n".to_string()
        )
    );
    let out = env
        .cmd()
        .args(["config", "set", "colour", "blue"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr_of(&out),
        "cio: error: invalid value 'colour' for '<KEY>'\n  [possible values: write_key, region, endpoint, user_id, anonymous_id, timeout, retries, spool, spool_dir, spool_max_bytes, ca_cert, proxy, default_profile]\n  see 'cio config set --help'\n"
    );
    assert_eq!(
        ok(&["config", "path"]),
        format!("{}\n", env.config_dir().join("config.toml").display())
    );
}

#[test]
fn init_creates_a_profile_and_refuses_to_overwrite_it() {
    let env = CioEnv::new();
    let out = env
        .cmd()
        .args(["config", "init", "--region", "eu"])
        .write_stdin("key-from-stdin")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let text = std::fs::read_to_string(env.config_dir().join("config.toml")).unwrap();
    assert_eq!(
        text,
        "[profiles.default]\nwrite_key = \"key-from-stdin\"\nregion = \"eu\"\n"
    );
    let out = env
        .cmd()
        .args(["config", "init"])
        .write_stdin("")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr_of(&out).contains("already exists (use --force"));
}

#[test]
fn reading_never_writes() {
    let env = CioEnv::new();
    let file = env.config_dir().join("config.toml");
    std::fs::create_dir_all(env.config_dir()).unwrap();
    std::fs::write(&file, "[profiles.default]\nregion = \"eu\"\n").unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    let before = std::fs::metadata(&file).unwrap().modified().unwrap();
    for args in [
        &["config", "get", "region"][..],
        &["config", "list"],
        &["config", "path"],
        &["track", "e", "-n"],
    ] {
        assert_eq!(
            env.cmd().args(args).output().unwrap().status.code(),
            Some(0),
            "{args:?}"
        );
    }
    assert_eq!(
        std::fs::metadata(&file).unwrap().modified().unwrap(),
        before
    );
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        "[profiles.default]\nregion = \"eu\"\n"
    );
    assert_eq!(mode(&file), 0o600);
}

#[test]
fn a_config_readable_by_others_draws_a_warning() {
    let env = CioEnv::new();
    let file = env.config_dir().join("config.toml");
    std::fs::create_dir_all(env.config_dir()).unwrap();
    std::fs::write(&file, "[profiles.default]\nregion = \"eu\"\n").unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = env
        .cmd()
        .args(["config", "get", "region"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        stderr_of(&out),
        format!(
            "cio: warning: {0} is accessible by other users (mode 644); it may hold a write key: run chmod 600 {0}\n",
            file.display()
        )
    );
    assert_eq!(mode(&file), 0o644, "a warning, not a silent change");
}

#[test]
fn broken_config_files_are_one_line_errors() {
    let env = CioEnv::new();
    let dir = env.path();
    let write = |name: &str, text: &str| {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p.display().to_string()
    };
    let not_toml = write("a.toml", "[profiles.x\nwrite_key = 1\n");
    let unknown = write(
        "b.toml",
        "[profiles.x]\nregion = \"eu\"\nwrite_kee = \"x\"\n",
    );
    let wrong_type = write("c.toml", "[profiles.x]\ntimeout = \"soon\"\n");
    let binary = dir.join("binary.toml");
    std::fs::write(&binary, b"[profiles.x]\nregion = \"\xff\xfe\"\n").unwrap();
    let binary = binary.display().to_string();
    let missing = dir.join("missing.toml").display().to_string();
    let directory = dir.display().to_string();
    let cases = [
        (not_toml.clone(), format!("cio: error: {not_toml}:1:")),
        (
            unknown.clone(),
            format!("cio: error: {unknown}:3:1: invalid config: unknown field `write_kee`"),
        ),
        (
            wrong_type.clone(),
            format!("cio: error: {wrong_type}:2:11: invalid config:"),
        ),
        (
            binary.clone(),
            format!("cio: error: {binary}: config file is not valid UTF-8"),
        ),
        (
            missing.clone(),
            format!("cio: error: {missing}: config file not found"),
        ),
        (
            directory.clone(),
            format!("cio: error: {directory}: cannot read config file: is a directory"),
        ),
    ];
    for (path, expected) in cases {
        let out = env
            .cmd()
            .args(["--config", &path, "track", "e", "-n"])
            .output()
            .unwrap();
        let stderr = stderr_of(&out);
        assert_eq!(out.status.code(), Some(2), "{path}: {stderr}");
        assert!(
            stderr.starts_with(&expected),
            "got {stderr}\nwant {expected}"
        );
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
    // CIO_CONFIG names the file too.
    let out = env
        .cmd()
        .env("CIO_CONFIG", &unknown)
        .args(["track", "e", "-n"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn bad_profile_values_are_errors_at_their_position_like_the_flags() {
    let env = CioEnv::new();
    let dir = env.path();
    let cases = [
        ("timeout = -1", "2:11:", "found -1"),
        ("timeout = 0", "2:11:", "found 0"),
        ("timeout = 0.0", "2:11:", "found 0"),
        ("timeout = 3601", "2:11:", "found 3601"),
        ("timeout = inf", "2:11:", "found inf"),
        ("timeout = nan", "2:11:", "found NaN"),
        ("retries = -1", "2:11:", "invalid config:"),
        ("spool_max_bytes = -5", "2:19:", "invalid config:"),
        ("region = \"mars\"", "2:10:", "invalid config:"),
    ];
    for (i, (line, position, found)) in cases.into_iter().enumerate() {
        let path = dir.join(format!("bad{i}.toml"));
        std::fs::write(&path, format!("[profiles.default]\n{line}\n")).unwrap();
        let path = path.display().to_string();
        // Every command reads the profile, a dry run included.
        for args in [&["track", "e", "-n"][..], &["ping"][..]] {
            let out = env
                .cmd()
                .args(["--config", &path])
                .args(args)
                .output()
                .unwrap();
            let stderr = stderr_of(&out);
            assert_eq!(out.status.code(), Some(2), "{line}: {stderr}");
            let want = format!("cio: error: {path}:{position} invalid config:");
            assert!(
                stderr.starts_with(&want),
                "{line}: got {stderr}\nwant {want}"
            );
            assert!(stderr.contains(found), "{line}: {stderr}");
            assert_eq!(stderr.lines().count(), 1, "{line}: {stderr}");
            assert!(!stderr.contains("panicked"), "{line}: {stderr}");
        }
    }
    // The flag refuses the same values with the same words.
    for bad in ["0", "-1", "3601"] {
        let out = env
            .cmd()
            .args(["track", "e", "-n", &format!("--timeout={bad}")])
            .output()
            .unwrap();
        let stderr = stderr_of(&out);
        assert_eq!(out.status.code(), Some(2), "{bad}: {stderr}");
        assert!(
            stderr.contains("--timeout: expected seconds > 0 and at most 3600"),
            "{stderr}"
        );
    }
    // So do the environment and `cio config set`, in the same words.
    let out = env
        .cmd()
        .env("CIO_TIMEOUT", "3601")
        .args(["track", "e", "-n"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr_of(&out),
        "cio: error: CIO_TIMEOUT: expected seconds > 0 and at most 3600, found '3601'\n"
    );
    let out = env
        .cmd()
        .args(["config", "set", "timeout", "0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr_of(&out),
        "cio: error: timeout: expected seconds > 0 and at most 3600, found '0'\n"
    );
    // A good value still works.
    let good = dir.join("good.toml");
    std::fs::write(&good, "[profiles.default]\ntimeout = 0.5\n").unwrap();
    env.cmd()
        .args(["--config", good.to_str().unwrap(), "track", "e", "-n"])
        .assert()
        .success();
}

#[test]
fn set_and_unset_change_one_key_and_keep_the_rest_of_the_file() {
    let env = CioEnv::new();
    let file = env.config_dir().join("config.toml");
    std::fs::create_dir_all(env.config_dir()).unwrap();
    let original = "# my cio settings\ndefault_profile = \"prod\"   # the usual one\n\n[profiles.prod]\n# production\nendpoint = \"http://127.0.0.1:9/v1\"  # local\ntimeout = 3\n\n[profiles.staging]\nregion = \"eu\"\nuser_id = \"ci\"\n";
    std::fs::write(&file, original).unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    let config = |args: &[&str]| {
        let out = env.cmd().arg("config").args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    };
    config(&[
        "set",
        "endpoint",
        "http://127.0.0.1:8/v1",
        "--profile",
        "prod",
    ]);
    config(&["unset", "region", "--profile", "staging"]);
    config(&["set", "user_id", "bob", "--profile", "new"]);
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        "# my cio settings\ndefault_profile = \"prod\"   # the usual one\n\n[profiles.prod]\n# production\nendpoint = \"http://127.0.0.1:8/v1\"  # local\ntimeout = 3\n\n[profiles.staging]\nuser_id = \"ci\"\n\n[profiles.new]\nuser_id = \"bob\"\n"
    );
}

#[test]
fn a_config_path_that_is_a_link_is_written_through_to_its_target() {
    let env = CioEnv::new();
    let dots = env.path().join("dotfiles");
    std::fs::create_dir_all(&dots).unwrap();
    let target = dots.join("cio.toml");
    std::fs::write(
        &target,
        "# kept in git\n[profiles.default]\nuser_id = \"a\"\n",
    )
    .unwrap();
    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o600)).unwrap();
    std::fs::create_dir_all(env.config_dir()).unwrap();
    let link = env.config_dir().join("config.toml");
    std::os::unix::fs::symlink("../../dotfiles/cio.toml", &link).unwrap();
    assert_eq!(std::fs::read_to_string(&link).unwrap().len(), 47);
    let out = env
        .cmd()
        .args(["config", "set", "user_id", "b"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(
        std::fs::read_to_string(&target).unwrap(),
        "# kept in git\n[profiles.default]\nuser_id = \"b\"\n"
    );
    assert_eq!(mode(&target), 0o600);
    // Nothing left beside the target but the file itself.
    assert_eq!(std::fs::read_dir(&dots).unwrap().count(), 1);
}

#[test]
fn a_config_that_is_not_a_regular_file_or_too_large_is_refused() {
    let env = CioEnv::new();
    let fifo = env.path().join("fifo.toml");
    assert!(std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let big = env.path().join("big.toml");
    std::fs::write(&big, "#".repeat(1_000_001)).unwrap();
    for (path, reason) in [
        (
            fifo.to_str().unwrap(),
            "the config file must be a regular file, not a FIFO, a device or a socket",
        ),
        (
            "/dev/urandom",
            "the config file must be a regular file, not a FIFO, a device or a socket",
        ),
        (
            big.to_str().unwrap(),
            "config file is larger than 1000000 bytes",
        ),
    ] {
        let out = env
            .cmd()
            .env("CIO_CONFIG", path)
            .args(["config", "get", "timeout"])
            .timeout(std::time::Duration::from_secs(10))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{}", stderr_of(&out));
        assert_eq!(stderr_of(&out), format!("cio: error: {path}: {reason}\n"));
    }
}

#[test]
fn a_call_file_is_read_only_up_to_twice_the_call_limit() {
    let env = CioEnv::new();
    let server = TestServer::start();
    for (file, stdin) in [
        ("/dev/zero", None),
        ("-", Some("{\"a\":1}\n".repeat(20_000))),
    ] {
        let mut cmd = env.cmd_for(&server);
        cmd.args(["track", "e", "--user-id", "u", "--file", file])
            .timeout(std::time::Duration::from_secs(10));
        if let Some(stdin) = stdin {
            cmd.write_stdin(stdin);
        }
        let out = cmd.output().unwrap();
        let name = if file == "-" { "<stdin>" } else { file };
        assert_eq!(out.status.code(), Some(2), "{}", stderr_of(&out));
        assert_eq!(
            stderr_of(&out),
            format!("cio: error: {name}: larger than 65536 bytes, too large for a single call\n")
        );
    }
    assert!(server.requests().is_empty());
}

#[test]
fn an_endpoint_with_whitespace_or_a_control_character_is_refused() {
    let env = CioEnv::new();
    let server = TestServer::start();
    for endpoint in [
        format!("{}\nHost: x", server.endpoint()),
        format!("{} x", server.endpoint()),
    ] {
        let out = env
            .cmd_for(&server)
            .env("CIO_ENDPOINT", &endpoint)
            .args(["track", "e", "--user-id", "u"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{}", stderr_of(&out));
        assert_eq!(
            stderr_of(&out),
            format!("cio: error: endpoint {endpoint:?} (from CIO_ENDPOINT) holds whitespace or a control character, which a URL cannot: give the whole base URL, like https://cdp.customer.io/v1\n")
        );
    }
    assert!(server.requests().is_empty());
}
