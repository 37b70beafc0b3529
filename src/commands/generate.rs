//! Generated text: shell completions and the man page, both from the clap definition.

use clap_complete::Shell;

use crate::error::{Error, Result};

pub fn completions(shell: Shell) -> Result<()> {
    let mut out = Vec::new();
    write_completions(shell, &mut out).map_err(|e| Error::io("cannot write the script", &e))?;
    crate::output::stdout_bytes(&out);
    Ok(())
}

/// The completion script for `shell`, as `completions/` holds it: a small
/// registration that asks `cio` itself at each TAB (`COMPLETE=SHELL cio -- ...`),
/// so completions offer profile names from the config file, call types and
/// config keys, and file names only where a file is meant.
pub fn write_completions(shell: Shell, out: &mut Vec<u8>) -> std::io::Result<()> {
    let name = shell.to_string();
    let shells = clap_complete::env::Shells::builtins();
    match shells.completer(&name) {
        Some(completer) => {
            completer.write_registration("COMPLETE", "cio", "cio", "cio", out)?;
            if shell == Shell::Bash {
                *out = quote_bash_values(&String::from_utf8_lossy(out)).into_bytes();
            }
            Ok(())
        }
        None => Err(std::io::Error::other(format!(
            "no completion support for {name}"
        ))),
    }
}

/// clap's bash registration hands values back as they are, so a value with a
/// space ("Product Added") would become two words. The word being completed
/// is passed on without the quote or backslashes typed so far, and each value
/// comes back quoted the way it was started (or escaped with backslashes).
fn quote_bash_values(script: &str) -> String {
    script
        .replace(
            "    local words=(\"${COMP_WORDS[@]}\")\n",
            "    local words=(\"${COMP_WORDS[@]}\")\n    local _cio_quote=${2:0:1} _cio_word=${2#[\\\"\\']}\n    _cio_word=${_cio_word//\\\\/}\n",
        )
        .replace("        words[COMP_CWORD]=\"$2\"\n", "        words[COMP_CWORD]=\"$_cio_word\"\n")
        .replace(
            "        compopt -o nospace\n    fi\n}",
            "        compopt -o nospace\n    fi\n    local _cio_i\n    for _cio_i in \"${!COMPREPLY[@]}\"; do\n        case $_cio_quote in\n            \\\"|\\') COMPREPLY[_cio_i]=\"$_cio_quote${COMPREPLY[_cio_i]}$_cio_quote\" ;;\n            *) COMPREPLY[_cio_i]=$(printf '%q' \"${COMPREPLY[_cio_i]}\") ;;\n        esac\n    done\n}",
        )
}

pub fn man() -> Result<()> {
    crate::output::stdout_bytes(man_page().as_bytes());
    Ok(())
}

/// Environment variables cio reads, for ENVIRONMENT.
const ENVIRONMENT: [(&str, &str); 11] = [
    ("CIO_WRITE_KEY", "The write key, when --write-key is not given (preferred over the flag: the process list shows flags)."),
    ("CIO_REGION", "us or eu, when --region is not given."),
    ("CIO_ENDPOINT", "The base URL, when --endpoint is not given."),
    ("CIO_PROFILE", "The profile, when --profile is not given."),
    ("CIO_CONFIG", "The config file, when --config is not given."),
    ("CIO_TIMEOUT", "Seconds per HTTP attempt, when --timeout is not given."),
    ("CIO_RETRIES", "Retries of a retryable failure, when --retries is not given."),
    ("CIO_USER_ID", "The userId of a single call that names no identity."),
    ("CIO_ANONYMOUS_ID", "The anonymousId of a single call that names no identity."),
    ("XDG_CONFIG_HOME", "Where the config directory is (default ~/.config)."),
    ("COMPLETE", "Set by the completion scripts when they ask cio for completions."),
];

/// The whole manual as one self-contained roff page (man(7) macros): every
/// subcommand with its options and examples, the item syntax, environment,
/// files and exit status. Made from the same definition as --help.
pub fn man_page() -> String {
    let cmd = crate::cli::command();
    let mut page = String::new();
    let mut line = |text: &str| {
        page.push_str(text);
        page.push('\n');
    };
    line(&format!(
        ".TH CIO 1 \"\" \"cio {}\" \"User Commands\"",
        env!("CARGO_PKG_VERSION")
    ));
    line(".SH NAME");
    line("cio \\- send analytics calls to Customer.io Data Pipelines");
    line(".SH SYNOPSIS");
    for sub in visible_subcommands(&cmd) {
        for (usage, _) in usages(sub, "cio") {
            line(&format!(".br\n{}", roman(&usage)));
        }
    }
    line(".SH DESCRIPTION");
    if let Some(about) = cmd.get_long_about() {
        paragraphs(&mut line, &about.to_string());
    }
    line(".SH COMMANDS");
    for sub in visible_subcommands(&cmd) {
        for (usage, sub) in usages(sub, "cio") {
            line(&format!(".SS \"{}\"", escape(&usage).replace('"', "\\(dq")));
            if let Some(about) = sub.get_long_about().or(sub.get_about()) {
                paragraphs(&mut line, &about.to_string());
            }
            options(&mut line, sub, false);
            if let Some(after) = sub.get_after_help() {
                let text = after.to_string();
                if let Some(examples) = text.strip_prefix("Examples:\n") {
                    line(".PP\nExamples:");
                    preformatted(&mut line, examples);
                }
            }
        }
    }
    line(".SH GLOBAL OPTIONS");
    line("Every command takes these, before or after its name; each command's --help shows those that apply to it.");
    options(&mut line, &cmd, true);
    line(".SH ITEM SYNTAX");
    preformatted(
        &mut line,
        crate::cli::ITEM_HELP.trim_start_matches(|c| c != '\n'),
    );
    line(".SH ENVIRONMENT");
    line("Settings are resolved in this order: flag, environment, config profile, default.");
    for (name, what) in ENVIRONMENT {
        line(&format!(".TP\n.B {name}\n{}", escape(what)));
    }
    line(".SH FILES");
    line(".TP\n.I $XDG_CONFIG_HOME/cio/config.toml");
    line("The config file (default ~/.config/cio/config.toml; --config or CIO_CONFIG name another). TOML: an optional top-level default_profile and [profiles.NAME] tables with write_key, region, endpoint, user_id, anonymous_id, timeout and retries. Created 0600 in a 0700 directory; managed with cio config.");
    line(".TP\n.I $XDG_CONFIG_HOME/cio/anonymous_id");
    line("The anonymousId cio generates once, beside the config file, for single calls that name no identity.");
    line(".SH EXIT STATUS");
    for code in crate::error::ExitCode::ALL {
        line(&format!(
            ".TP\n.B {}\n{}",
            code.code(),
            escape(code.meaning())
        ));
    }
    line(".SH EXAMPLES");
    preformatted(&mut line, crate::cli::EXAMPLES);
    page
}

/// The subcommands a user can run (not `help`), in definition order.
fn visible_subcommands(cmd: &clap::Command) -> Vec<&clap::Command> {
    let mut subs: Vec<&clap::Command> = cmd
        .get_subcommands()
        .filter(|s| !s.is_hide_set() && s.get_name() != "help")
        .collect();
    subs.sort_by_key(|s| s.get_display_order());
    subs
}

/// ("cio config get <KEY>", command) for `sub` and, for a command of commands, each of those.
fn usages<'a>(sub: &'a clap::Command, parent: &str) -> Vec<(String, &'a clap::Command)> {
    let name = format!("{parent} {}", sub.get_name());
    if sub.has_subcommands() {
        return visible_subcommands(sub)
            .into_iter()
            .flat_map(|s| usages(s, &name))
            .collect();
    }
    let mut usage = name;
    let own_option = |a: &clap::Arg| {
        let id = a.get_id().as_str();
        !a.is_positional()
            && !a.is_hide_set()
            && !a.is_global_set()
            && id != "help"
            && id != "version"
    };
    if sub.get_arguments().any(own_option) {
        usage.push_str(" [OPTIONS]");
    }
    for arg in sub.get_positionals() {
        let value = arg
            .get_value_names()
            .and_then(|v| v.first())
            .map(|v| v.to_string())
            .unwrap_or_else(|| arg.get_id().to_string().to_uppercase());
        let many = if arg.get_num_args().is_some_and(|n| n.max_values() > 1) {
            "..."
        } else {
            ""
        };
        usage.push_str(&if arg.is_required_set() {
            format!(" <{value}>{many}")
        } else {
            format!(" [{value}]{many}")
        });
    }
    vec![(usage, sub)]
}

/// The arguments and options of `cmd`: its own (`global` false) or the global ones.
fn options(line: &mut impl FnMut(&str), cmd: &clap::Command, global: bool) {
    for arg in cmd.get_arguments() {
        let id = arg.get_id().as_str();
        if arg.is_hide_set() || arg.is_global_set() != global || id == "help" || id == "version" {
            continue;
        }
        let value = arg
            .get_value_names()
            .and_then(|v| v.first())
            .map(|v| v.to_string())
            .unwrap_or_else(|| id.to_uppercase());
        let takes_value = arg.get_action().takes_values();
        let mut head = Vec::new();
        if let Some(short) = arg.get_short() {
            head.push(format!("\\fB\\-{short}\\fR"));
        }
        if let Some(long) = arg.get_long() {
            head.push(format!("\\fB\\-\\-{}\\fR", escape(long)));
        }
        let mut head = head.join(", ");
        if arg.is_positional() {
            head = format!("\\fI{}\\fR", escape(&value));
        } else if takes_value {
            head.push_str(&format!(" \\fI{}\\fR", escape(&value)));
        }
        let mut help = arg
            .get_long_help()
            .or(arg.get_help())
            .map(|h| h.to_string())
            .unwrap_or_default();
        let possible: Vec<String> = arg
            .get_possible_values()
            .iter()
            .filter(|v| !v.is_hide_set())
            .map(|v| v.get_name().to_string())
            .collect();
        if !possible.is_empty() && !help.contains("possible values") {
            help.push_str(&format!(" [possible values: {}]", possible.join(", ")));
        }
        let defaults: Vec<String> = arg
            .get_default_values()
            .iter()
            .map(|v| v.to_string_lossy().into_owned())
            .collect();
        if !defaults.is_empty() && takes_value {
            help.push_str(&format!(" [default: {}]", defaults.join(", ")));
        }
        line(&format!(".TP\n{head}\n{}", escape(&help)));
    }
}

fn paragraphs(line: &mut impl FnMut(&str), text: &str) {
    for para in text.split("\n\n") {
        line(&format!(".PP\n{}", escape(para)));
    }
}

/// Lines kept as they are (examples, the item table).
fn preformatted(line: &mut impl FnMut(&str), text: &str) {
    line(".PP\n.nf\n.RS 4");
    for l in text.trim_matches('\n').lines() {
        line(&escape(l.strip_prefix("  ").unwrap_or(l)));
    }
    line(".RE\n.fi");
}

/// Plain text for roff: backslashes and hyphens escaped, no line starting with
/// a control character.
fn escape(text: &str) -> String {
    let text = text.replace('\\', "\\e").replace('-', "\\-");
    text.lines()
        .map(|l| {
            if l.starts_with('.') || l.starts_with('\'') {
                format!("\\&{l}")
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn roman(text: &str) -> String {
    escape(text)
}
