//! What every command gets: the resolved settings and how to talk to the user.

use std::future::Future;

use crate::error::{Error, Result};
use crate::output::Reporter;
use crate::settings::Settings;

pub struct Context {
    pub settings: Settings,
    pub report: Reporter,
    pub stdout_is_terminal: bool,
}

impl Context {
    /// Runs async work to completion on a small runtime; Ctrl-C ends it with
    /// `Interrupted` (unless SIGINT was ignored when cio started).
    pub fn block_on_interruptible<F: Future>(&self, work: F) -> Result<F::Output> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Error::io("cannot start the runtime", &e))?;
        runtime.block_on(async {
            tokio::select! {
                out = work => Ok(out),
                _ = crate::signals::ctrl_c() => Err(Error::Interrupted),
            }
        })
    }
}
