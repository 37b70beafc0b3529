//! Generated text: shell completions and the man page, both from the clap definition.

use std::io::Write;

use clap::CommandFactory;
use clap_complete::Shell;

use crate::cli::Cli;
use crate::error::{Error, Result};

pub fn completions(shell: Shell) -> Result<()> {
    let mut out = Vec::new();
    write_completions(shell, &mut out);
    write_stdout(&out)
}

/// The completion script for `shell`, as `completions/` holds it.
pub fn write_completions(shell: Shell, out: &mut Vec<u8>) {
    clap_complete::generate(shell, &mut Cli::command(), "cio", out);
    add_event_names(shell, out);
}

/// clap's static scripts cannot offer values computed at run time, nor quote
/// names with spaces in bash, so the event argument of `cio track` and
/// `cio events` gets the semantic event names from `cio events --names` (the
/// one table the linter uses) through a few lines added per shell.
fn add_event_names(shell: Shell, out: &mut Vec<u8>) {
    match shell {
        Shell::Bash => out.extend_from_slice(BASH_EVENTS.as_bytes()),
        Shell::Zsh => {
            let text = String::from_utf8_lossy(out)
                .replace(
                    "'::event -- Name of the event:_default'",
                    "'::event -- Name of the event:_cio_event_names'",
                )
                .replace(
                    "'::event -- A semantic event to show with its properties:_default'",
                    "'::event -- A semantic event to show with its properties:_cio_event_names'",
                );
            // Defined before the script's last block, which may call _cio at once.
            let text = match text.rfind("\nif [ \"$funcstack[1]\" = \"_cio\" ]") {
                Some(at) => format!("{}{ZSH_EVENTS}{}", &text[..at], &text[at..]),
                None => text + ZSH_EVENTS,
            };
            *out = text.into_bytes();
        }
        Shell::Fish => out.extend_from_slice(FISH_EVENTS.as_bytes()),
        _ => {}
    }
}

const BASH_EVENTS: &str = r#"
# Semantic event names for `cio track <TAB>` and `cio events <TAB>`, quoted.
_cio_event_names() {
    local i word cmd="" positional=0
    for ((i = 1; i < COMP_CWORD; i++)); do
        word=${COMP_WORDS[i]}
        case $word in
            -*) ;;
            *) if [[ -z $cmd ]]; then cmd=$word; else positional=1; fi ;;
        esac
    done
    [[ ($cmd == track || $cmd == events) && $positional == 0 ]] || return 1
    local cur=${COMP_WORDS[COMP_CWORD]}
    [[ $cur == -* ]] && return 1
    [[ ${COMP_WORDS[COMP_CWORD-1]} == -* && $cmd == track ]] && return 1
    cur=${cur#[\"\']}
    cur=${cur//\\/}
    local IFS=$'\n' name
    COMPREPLY=()
    for name in $(cio events --names 2>/dev/null); do
        [[ $name == "$cur"* ]] && COMPREPLY+=("$(printf '%q' "$name")")
    done
    return 0
}
_cio_with_event_names() {
    _cio_event_names || _cio "$@"
}
if [[ "${BASH_VERSINFO[0]}" -eq 4 && "${BASH_VERSINFO[1]}" -ge 4 || "${BASH_VERSINFO[0]}" -gt 4 ]]; then
    complete -F _cio_with_event_names -o nosort -o bashdefault -o default cio
else
    complete -F _cio_with_event_names -o bashdefault -o default cio
fi
"#;

const ZSH_EVENTS: &str = r#"
# Semantic event names for `cio track <TAB>` and `cio events <TAB>`.
(( $+functions[_cio_event_names] )) ||
_cio_event_names() {
    local -a names
    names=(${(f)"$(cio events --names 2>/dev/null)"})
    compadd -a names
}
"#;

const FISH_EVENTS: &str = r#"
# Semantic event names for `cio track <TAB>` and `cio events <TAB>`.
complete -c cio -n "__fish_cio_using_subcommand track; or __fish_cio_using_subcommand events" -f -a "(cio events --names 2>/dev/null)"
"#;

pub fn man() -> Result<()> {
    let mut out = Vec::new();
    clap_mangen::Man::new(Cli::command())
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
