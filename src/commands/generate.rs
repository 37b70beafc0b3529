//! Generated text: shell completions and the man page, both from the clap definition.

use std::io::Write;

use clap_complete::Shell;

use crate::error::{Error, Result};

pub fn completions(shell: Shell) -> Result<()> {
    let mut out = Vec::new();
    write_completions(shell, &mut out).map_err(|e| Error::io("cannot write the script", &e))?;
    write_stdout(&out)
}

/// The completion script for `shell`, as `completions/` holds it: a small
/// registration that asks `cio` itself at each TAB (`COMPLETE=SHELL cio -- ...`),
/// so completions offer profile names from the config file, call types and
/// config keys, and file names only where a file is meant.
pub fn write_completions(shell: Shell, out: &mut Vec<u8>) -> std::io::Result<()> {
    let name = shell.to_string();
    let shells = clap_complete::env::Shells::builtins();
    match shells.completer(&name) {
        Some(completer) => completer.write_registration("COMPLETE", "cio", "cio", "cio", out),
        None => Err(std::io::Error::other(format!(
            "no completion support for {name}"
        ))),
    }
}

pub fn man() -> Result<()> {
    let mut out = Vec::new();
    clap_mangen::Man::new(crate::cli::command())
        .render(&mut out)
        .map_err(|e| Error::Internal(e.to_string()))?;
    write_stdout(&out)
}

fn write_stdout(bytes: &[u8]) -> Result<()> {
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(bytes)
        .and_then(|_| stdout.flush())
        .map_err(|e| Error::io("cannot write to stdout", &e))
}
