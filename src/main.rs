fn main() {
    // `COMPLETE=bash cio -- cio batch --type <TAB>`: the scripts from `cio completions`
    // ask the binary itself, so values (profiles, call types, keys) come from cio.
    clap_complete::CompleteEnv::with_factory(cio::cli::command)
        .bin("cio")
        .completer("cio")
        .complete();
    let env = |name: &str| std::env::var(name).ok();
    let code = cio::run(std::env::args_os(), &env);
    std::process::exit(code.code());
}
