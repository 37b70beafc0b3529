//! Build facts for `cio --version` and `cio version`: the commit the binary
//! was built from (when built from a git checkout) and the target.

use std::path::Path;
use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    (out.status.success() && !text.trim().is_empty()).then(|| text.trim().to_string())
}

fn main() {
    let commit = git(&["rev-parse", "--short=12", "HEAD"]).unwrap_or_else(|| "unknown".into());
    println!("cargo:rustc-env=CIO_COMMIT={commit}");
    let target = std::env::var("TARGET").unwrap_or_else(|_| "unknown".into());
    println!("cargo:rustc-env=CIO_TARGET={target}");
    // Built again when HEAD moves (a commit, a checkout); a worktree's git
    // directory is not `.git`, so ask git where its files are.
    for (flag, file) in [
        ("--git-dir", "HEAD"),
        ("--git-common-dir", "packed-refs"),
        ("--git-common-dir", "refs/heads"),
    ] {
        if let Some(dir) = git(&["rev-parse", flag]) {
            let path = Path::new(&dir).join(file);
            if path.exists() {
                println!("cargo:rerun-if-changed={}", path.display());
            }
        }
    }
    println!("cargo:rerun-if-changed=build.rs");
}
