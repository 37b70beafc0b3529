//! Files cio keeps in directories others can write to (`/tmp`, a team's
//! export directory): a symbolic link planted at the name of a lock file, a
//! checkpoint, a rejects file or a spool file is refused with a one-line
//! error naming it, and the file it points at is left as it was (not emptied,
//! not created, not appended to). Files that hold calls are the owner's alone.

use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::support::*;

const REFUSED: &str = "is a symbolic link, and cio does not open its files through one";

/// One call, valid, in `in.ndjson`; and a file of someone else's the links point at.
fn input_and_victim(env: &CioEnv) -> (PathBuf, PathBuf) {
    let input = env.path().join("in.ndjson");
    std::fs::write(
        &input,
        "{\"type\":\"track\",\"event\":\"e\",\"userId\":\"u\"}\n",
    )
    .unwrap();
    let victim = env.path().join("victim.txt");
    std::fs::write(&victim, "precious\n").unwrap();
    (input, victim)
}

fn assert_untouched(victim: &Path) {
    assert_eq!(std::fs::read_to_string(victim).unwrap(), "precious\n");
}

#[test]
fn a_link_planted_at_the_checkpoint_lock_is_refused_even_on_a_dry_run() {
    let env = CioEnv::new();
    let (input, victim) = input_and_victim(&env);
    let checkpoint = env.path().join("replay.ckpt");
    let lock = env.path().join("replay.ckpt.lock");
    symlink(&victim, &lock).unwrap();
    let out = env
        .cmd()
        .args(["batch", "--dry-run", "--checkpoint"])
        .arg(&checkpoint)
        .arg(&input)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr_of(&out));
    assert_eq!(
        stderr_of(&out),
        format!(
            "cio: error: cannot open lock file {}: {REFUSED}\n",
            lock.display()
        )
    );
    assert_untouched(&victim);
    assert!(!checkpoint.exists());
}

/// A link at the path given to `flag` (to a file, and to nothing yet) is
/// refused, the link left as it is, and what it points at left alone.
fn a_link_given_to(flag: &str, name: &str) {
    let env = CioEnv::new();
    let (input, victim) = input_and_victim(&env);
    let path = env.path().join(name);
    let nowhere = env.path().join("not-there-yet");
    for target in [&victim, &nowhere] {
        let _ = std::fs::remove_file(&path);
        symlink(target, &path).unwrap();
        let out = env
            .cmd()
            .args(["batch", "--dry-run", flag])
            .arg(&path)
            .arg(&input)
            .output()
            .unwrap();
        assert_refused(
            &out,
            &format!(
                "{}: {REFUSED}; give {flag} the path of the file itself",
                path.display()
            ),
        );
        let link = std::fs::symlink_metadata(&path).unwrap();
        assert!(link.file_type().is_symlink());
    }
    assert_untouched(&victim);
    assert!(!nowhere.exists(), "no file made where a link points");
}

#[test]
fn a_link_at_the_rejects_path_is_refused_and_what_it_points_at_left_alone() {
    a_link_given_to("--rejects", "rejects.ndjson");
}

#[test]
fn a_link_at_the_checkpoint_is_refused() {
    a_link_given_to("--checkpoint", "replay.ckpt");
}

#[test]
fn a_rejects_path_leading_to_a_pipe_is_still_written() {
    // /dev/stderr is a link (to /proc/self/fd/2), here to the test's pipe.
    let env = CioEnv::new();
    let input = env.path().join("in.ndjson");
    std::fs::write(&input, "not json\n").unwrap();
    let out = env
        .cmd()
        .args(["batch", "--dry-run", "-q", "--rejects", "/dev/stderr"])
        .arg(&input)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(6), "{}", stderr_of(&out));
    let record: serde_json::Value = serde_json::from_str(stderr_of(&out).trim()).unwrap();
    assert_eq!(record["kind"], "invalid");
    assert_eq!(record["original"], "not json");
}

#[test]
fn a_link_planted_in_the_spool_is_refused_and_the_call_not_written_through_it() {
    let env = CioEnv::new();
    let (_, victim) = input_and_victim(&env);
    let server = TestServer::with_handler(|_| Reply::drop_connection());
    let spool_dir = env.path().join("spool");
    let track = || {
        env.cmd_for(&server)
            .env("CIO_SPOOL", "1")
            .env("CIO_SPOOL_DIR", &spool_dir)
            .args(["track", "e", "--user-id", "u", "--retries", "0"])
            .output()
            .unwrap()
    };
    let first = track();
    assert_eq!(first.status.code(), Some(7), "{}", stderr_of(&first));
    // The destination's directory, made by the first call: a link in place of its calls.
    let dir = std::fs::read_dir(&spool_dir)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let active = dir.join("active.ndjson");
    std::fs::remove_file(&active).unwrap();
    symlink(&victim, &active).unwrap();

    let out = track();
    assert_eq!(out.status.code(), Some(5), "{}", stderr_of(&out));
    let stderr = stderr_of(&out);
    // Nothing holds the call now: it is on stderr, whole, to be sent again.
    let refused = format!(
        "; and it could not be spooled: cannot write to the spool {}: {REFUSED}; not delivered, messageId ",
        active.display()
    );
    let (head, call) = stderr
        .split_once(&refused)
        .unwrap_or_else(|| panic!("{stderr}"));
    let (id, call) = call.split_once(": ").unwrap();
    let call: serde_json::Value = serde_json::from_str(call).unwrap();
    assert!(
        head.starts_with("cio: error: ") && stderr.lines().count() == 1,
        "{stderr}"
    );
    assert_eq!(call["messageId"], id);
    assert_untouched(&victim);
}

#[test]
fn a_rejects_file_is_the_owners_alone_under_umask_022() {
    let env = CioEnv::new();
    let input = env.path().join("in.ndjson");
    std::fs::write(&input, "not json\n").unwrap();
    let rejects = env.path().join("rejects.ndjson");
    let mut cmd = env.std_cmd();
    cmd.args(["batch", "--dry-run", "-q", "--rejects"])
        .arg(&rejects)
        .arg(&input);
    let out = through_sh(&cmd, "umask 022").output().unwrap();
    assert_eq!(out.status.code(), Some(6), "{}", stderr_of(&out));
    let mode = std::fs::metadata(&rejects).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "mode {mode:o}");
    assert!(std::fs::read_to_string(&rejects)
        .unwrap()
        .contains("\"original\":\"not json\""));
}
