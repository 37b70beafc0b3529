//! The integration tests, built as one binary (as ripgrep and just do): one
//! link instead of nineteen, and `support` is compiled once, so a helper no
//! suite uses is a warning rather than something to allow.
//!
//! Each module is one suite (the README's "How it is tested" says what each
//! proves); run one with `cargo test --test it batch::`. Tests run in parallel
//! across suites; `adaptive` takes the machine alone (see `support::turns`).

mod support;

mod adaptive;
mod batch;
mod calls;
mod completions;
mod concurrency;
mod config;
mod contract;
mod crash;
mod faults;
mod hostile;
mod hostile_servers;
mod lint;
mod listen;
mod numbers;
mod order;
mod realworld;
mod resume;
mod resync;
mod secrets;
mod shared_dirs;
mod spool;
mod stdout;
mod support_selftest;
mod tls;
mod ux;
