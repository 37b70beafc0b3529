fn main() {
    let env = |name: &str| std::env::var(name).ok();
    let code = cio::run(std::env::args_os(), &env);
    std::process::exit(code.code());
}
