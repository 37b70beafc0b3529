//! cio: parse the command line → resolve settings once → dispatch to the
//! subcommand → report the outcome as one line and an exit code.

pub mod batch;
pub mod cli;
pub mod client;
pub mod commands;
pub mod config;
pub mod context;
pub mod envelope;
pub mod error;
pub mod explain;
pub mod files;
pub mod gzipped;
pub mod input;
pub mod items;
pub mod lint;
pub mod listen;
pub mod numbers;
pub mod output;
pub mod proxy;
pub mod region;
pub mod schema;
pub mod secret;
pub mod settings;
pub mod signals;
pub mod spool;
pub mod timestamp;
pub mod tls;

use std::ffi::OsString;
use std::io::IsTerminal;

use cli::{Cli, Command};
use context::Context;
use error::{Error, ExitCode, Result};
use output::Reporter;
use settings::{EnvLookup, Settings};

/// The whole program, from arguments and environment to an exit code.
pub fn run(args: impl IntoIterator<Item = OsString>, env: EnvLookup) -> ExitCode {
    let args: Vec<OsString> = args.into_iter().collect();
    use clap::FromArgMatches;
    let parsed = cli::command()
        .try_get_matches_from(&args)
        .and_then(|matches| Cli::from_arg_matches(&matches));
    let cli = match parsed {
        Ok(cli) => cli,
        Err(e) => return usage_error(e, &args),
    };
    let report = Reporter {
        quiet: cli.global.quiet,
        verbose: cli.global.verbose,
        json: cli.global.json,
    };
    let code = match execute(&cli, env, report) {
        Ok(()) => ExitCode::Ok,
        Err(Error::Reported(code)) => code,
        Err(e) => {
            let code = e.exit_code();
            report.failure(&e, code);
            code
        }
    };
    output::stdout_outcome(&report, code)
}

fn execute(cli: &Cli, env: EnvLookup, report: Reporter) -> Result<()> {
    match &cli.command {
        Command::Completions { shell } => return commands::generate::completions(*shell),
        Command::Man => return commands::generate::man(),
        Command::Version => {
            output::stdout_line(format!("cio {}", cli::LONG_VERSION));
            return Ok(());
        }
        // Offline: no key, no config, so CI can lint without secrets.
        Command::Lint(args) => return commands::lint::run(report, args),
        Command::Events {
            event,
            family,
            names,
        } => return commands::events::run(report, event.as_deref(), family, *names),
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
        return Err(Error::file(path.display(), "config file not found"));
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

/// clap's errors in cio's style: the error on the first line, then clap's
/// guidance (suggestions, possible values, usage) indented below it, and a hint
/// of our own for an unquoted multi-word name. Help and version print as usual.
fn usage_error(e: clap::Error, args: &[OsString]) -> ExitCode {
    use clap::error::ErrorKind;
    match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            // On stdout, so held to the same rule as any output.
            output::stdout_written(e.print());
            return output::stdout_outcome(&Reporter::default(), ExitCode::Ok);
        }
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = e.print();
            return ExitCode::Usage;
        }
        _ => {}
    }
    let text = e.render().to_string();
    // Paragraphs: the error (maybe with its list: "required arguments were not
    // provided:\n  <KEY>"), clap's tips and possible values, the usage line.
    let mut paragraphs = text.split("\n\n").map(str::trim).filter(|p| !p.is_empty());
    let first = paragraphs.next().unwrap_or("invalid arguments");
    let mut first_lines = first.lines().map(str::trim);
    let mut first = first_lines.next().unwrap_or_default().to_string();
    let mut rest: Vec<&str> = first_lines.collect();
    if first.ends_with(':') {
        // A list that completes the sentence goes on the same line.
        first = format!("{first} {}", rest.join(" "));
        rest.clear();
    }
    let first = first.trim_start_matches("error: ");
    let mut out = format!("cio: error: {}\n", output::strip_to_one_line(first));
    let command = command_path(args);
    let mut usage = None;
    for line in rest
        .into_iter()
        .chain(paragraphs.flat_map(str::lines).map(str::trim))
    {
        if line.is_empty() || line.starts_with("For more information") {
            continue;
        }
        match line.strip_prefix("Usage: ") {
            Some(u) => usage = Some(u.to_string()),
            None => out.push_str(&format!("  {line}\n")),
        }
    }
    if let Some(hint) = unquoted_name_hint(&e, args, &command) {
        out.push_str(&format!("  tip: {hint}\n"));
    }
    if let Some(usage) = usage {
        out.push_str(&format!("  usage: {usage}\n"));
    }
    out.push_str(&format!("  see '{command} --help'\n"));
    output::usage_text(&out);
    // A script that asked for JSON gets its one object on stdout here too.
    if args
        .iter()
        .skip(1)
        .take_while(|a| *a != "--")
        .any(|a| a == "--json")
    {
        output::stdout_line(serde_json::json!({
            "ok": false,
            "error": output::strip_to_one_line(first),
            "exit_code": ExitCode::Usage.code(),
        }));
    }
    ExitCode::Usage
}

/// "cio config get" for `cio -q config get --profile p`: the subcommands named
/// in the arguments, for the pointer to the right --help.
fn command_path(args: &[OsString]) -> String {
    let mut command = cli::command();
    let mut path = vec!["cio".to_string()];
    for arg in args.iter().skip(1) {
        let arg = arg.to_string_lossy();
        let Some(sub) = command.find_subcommand(arg.as_ref()).cloned() else {
            continue;
        };
        path.push(sub.get_name().to_string());
        command = sub;
    }
    path.join(" ")
}

/// `cio track Product Added` makes 'Added' an unexpected argument: the user
/// meant one name with a space in it, which the shell split.
fn unquoted_name_hint(e: &clap::Error, args: &[OsString], command: &str) -> Option<String> {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    if e.kind() != ErrorKind::UnknownArgument {
        return None;
    }
    let Some(ContextValue::String(bad)) = e.get(ContextKind::InvalidArg) else {
        return None;
    };
    if bad.starts_with('-') {
        return None;
    }
    if bad.contains('=') {
        return Some(format!(
            "each item needs its own flag: --prop {bad} (or --trait, --context)"
        ));
    }
    let what = match command {
        "cio track" => "an event name",
        "cio page" | "cio screen" => "a name",
        _ => return None,
    };
    let args: Vec<String> = args
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let at = args.iter().rposition(|a| a == bad)?;
    let before = args[..at].last().filter(|w| !w.starts_with('-'))?;
    // After an option it may be that option's value (`--write-key KEY extra`):
    // never echo it back.
    if args[..at - 1]
        .last()
        .is_some_and(|w| w.starts_with('-') && !w.contains('='))
    {
        return None;
    }
    let words: Vec<&str> = std::iter::once(before.as_str())
        .chain(
            args[at..]
                .iter()
                .take_while(|w| !w.starts_with('-'))
                .map(String::as_str),
        )
        .collect();
    Some(format!(
        "{what} with spaces must be quoted: {command} \"{}\"",
        words.join(" ")
    ))
}
