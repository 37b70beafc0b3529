//! cio: parse the command line → resolve settings once → dispatch to the
//! subcommand → report the outcome as one line and an exit code.

pub mod batch;
pub mod cli;
pub mod client;
pub mod commands;
pub mod config;
pub mod envelope;
pub mod error;
pub mod input;
pub mod items;
pub mod listen;
pub mod output;
pub mod secret;
pub mod settings;
pub mod timestamp;

use std::ffi::OsString;
use std::future::Future;
use std::io::IsTerminal;

use clap::Parser;

use cli::{Cli, Command};
use error::{Error, ExitCode, Result};
use output::Reporter;
use settings::{EnvLookup, Settings};

/// What every command gets: the resolved settings and how to talk to the user.
pub struct Context {
    pub settings: Settings,
    pub report: Reporter,
    pub stdout_is_terminal: bool,
}

impl Context {
    /// Runs async work to completion on a small runtime; Ctrl-C ends it with `Interrupted`.
    pub fn block_on_interruptible<F: Future>(&self, work: F) -> Result<F::Output> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Error::io("cannot start the runtime", &e))?;
        runtime.block_on(async {
            tokio::select! {
                out = work => Ok(out),
                _ = tokio::signal::ctrl_c() => Err(Error::Interrupted),
            }
        })
    }
}

/// The whole program, from arguments and environment to an exit code.
pub fn run(args: impl IntoIterator<Item = OsString>, env: EnvLookup) -> ExitCode {
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => return usage_error(e),
    };
    let report = Reporter {
        quiet: cli.global.quiet,
        verbose: cli.global.verbose,
        json: cli.global.json,
    };
    match execute(&cli, env, report) {
        Ok(()) => ExitCode::Ok,
        Err(Error::Reported(code)) => code,
        Err(e) => {
            let code = e.exit_code();
            report.error(&e);
            if report.json {
                let out = serde_json::json!({"ok": false, "error": output::one_line(&e.to_string()), "exit_code": code.code()});
                crate::output::stdout_line(&out);
            }
            code
        }
    }
}

fn execute(cli: &Cli, env: EnvLookup, report: Reporter) -> Result<()> {
    match &cli.command {
        Command::Completions { shell } => return commands::generate::completions(*shell),
        Command::Man => return commands::generate::man(),
        _ => {}
    }
    let (path, explicit) = settings::config_location(&cli.global, env)?;
    let loaded = config::load(&path)?;
    if let Some(warning) = &loaded.warning {
        report.warn(warning.trim_start_matches("warning: "));
    }
    if let Command::Config { action } = &cli.command {
        let ctx = commands::config::ConfigContext {
            profile: settings::profile_name(&cli.global, env, &loaded.file),
            path: &path,
            file: loaded.file,
            global: &cli.global,
            report,
        };
        return commands::config::run(ctx, action);
    }
    if explicit && !loaded.exists {
        return Err(Error::usage(format!(
            "{}: config file not found",
            path.display()
        )));
    }
    let settings = Settings::resolve(&cli.global, env, &loaded.file, path)?;
    let ctx = Context {
        settings,
        report,
        stdout_is_terminal: std::io::stdout().is_terminal(),
    };
    if let Command::Listen(args) = &cli.command {
        // The listener checks a key only when one is given for this run, never the profile's.
        let env_key = env("CIO_WRITE_KEY");
        let key = cli.global.write_key.as_deref().or(env_key.as_deref());
        let no_color = env("NO_COLOR").is_some_and(|v| !v.is_empty());
        return commands::listen::run(&ctx, args, key, no_color);
    }
    commands::dispatch(&ctx, &cli.command)
}

/// clap's errors, as one line; help and version print as usual.
fn usage_error(e: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let _ = e.print();
            ExitCode::Ok
        }
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = e.print();
            ExitCode::Usage
        }
        _ => {
            let text = e.render().to_string();
            let first = text.lines().next().unwrap_or("invalid arguments");
            let first = first.trim_start_matches("error: ");
            eprintln!("cio: error: {} (see --help)", output::one_line(first));
            ExitCode::Usage
        }
    }
}
