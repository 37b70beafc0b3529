//! Generated text: shell completions and the man page, both from the clap definition.

use std::io::Write;

use clap_complete::Shell;

use crate::error::{Error, Result};

pub fn completions(shell: Shell) -> Result<()> {
    let mut out = Vec::new();
    write_completions(shell, &mut out);
    write_stdout(&out)
}

/// The completion script for `shell`, as `completions/` holds it.
pub fn write_completions(shell: Shell, out: &mut Vec<u8>) {
    clap_complete::generate(shell, &mut crate::cli::command(), "cio", out);
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
