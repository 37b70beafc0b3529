//! `cio listen`: flags → listener options; the summary and the exit code after.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use crate::cli::ListenArgs;
use crate::client::Client;
use crate::context::Context;
use crate::error::{Error, ExitCode, Result};
use crate::listen::display::Display;
use crate::listen::record::Recorder;
use crate::listen::{self, Faults, Options};
use crate::secret::WriteKey;

pub fn run(ctx: &Context, args: &ListenArgs, key: Option<&str>, no_color: bool) -> Result<()> {
    let host: IpAddr = match args.host.trim() {
        "localhost" => IpAddr::V4(Ipv4Addr::LOCALHOST),
        other => other.trim_matches(['[', ']']).parse().map_err(|_| {
            Error::invalid_text(
                "--host",
                "an IP address such as 127.0.0.1 or 0.0.0.0",
                other,
            )
        })?,
    };
    let key = key.and_then(WriteKey::new);
    // An open collector on a network takes anyone's calls: outside loopback, a key is required.
    if !host.is_loopback() && key.is_none() {
        return Err(Error::usage(format!(
            "--host {host} is reachable from other machines: give a write key clients must send (CIO_WRITE_KEY or --write-key)"
        )));
    }
    let seconds = |flag: &str, v: f64| {
        if v.is_finite() && v > 0.0 && v <= 86_400.0 {
            Ok(Duration::from_secs_f64(v))
        } else {
            Err(Error::invalid(flag, "seconds > 0 and at most 86400", v))
        }
    };
    let idle_exit = args
        .idle_exit
        .map(|v| seconds("--idle-exit", v))
        .transpose()?;
    let read_timeout = seconds("--read-timeout", args.read_timeout)?;
    let grace = seconds("--grace", args.grace)?;
    let rate = args.fail_rate.unwrap_or(0.0);
    if !(0.0..=1.0).contains(&rate) {
        return Err(Error::invalid("--fail-rate", "a share from 0 to 1", rate));
    }
    let instance = format!("{:016x}", fastrand::u64(..));
    // Forwarding uses the settings as a single call does: endpoint, key, timeout, retries.
    let (forward, forward_to) = if args.forward {
        let client = Client::new(&ctx.settings, ctx.report)?;
        let endpoint = ctx.settings.endpoint_url()?;
        let forward_to = resolve(&endpoint);
        ctx.report
            .info(format_args!("forwarding accepted calls to {endpoint}"));
        (Some(client), forward_to)
    } else {
        (None, Vec::new())
    };
    let recorder = args.output.as_deref().map(Recorder::open).transpose()?;
    let recording = recorder.as_ref().map(Recorder::name);
    let terminal = ctx.stdout_is_terminal;
    let options = Options {
        addr: SocketAddr::new(host, args.port),
        key,
        recorder,
        forward,
        exit_after: args.exit_after,
        idle_exit,
        read_timeout,
        faults: Faults {
            status: args.status,
            rate,
            delay: Duration::from_millis(args.delay_ms.unwrap_or(0)),
        },
        display: Display {
            color: terminal && !no_color,
            verbose: ctx.report.verbose > 0,
            quiet: ctx.report.quiet,
        },
        lint: args.lint.then(|| crate::lint::Linter::new(&[])),
        grace,
        max_connections: args.max_connections as usize,
        max_buffered: args.max_buffered_mb as usize * 1_000_000,
        instance,
    };
    let ended = listen::run(options, &forward_to)?;
    let mut tally = ended.tally;
    tally.lint_strict = args.strict;
    if ctx.report.json {
        crate::output::stdout_line(tally.to_json());
    } else {
        for line in tally.lines(recording.as_deref()) {
            ctx.report.info(line);
        }
    }
    if ended.abandoned > 0 {
        let n = ended.abandoned;
        return Err(Error::Io(format!(
            "stopped with {n} request{} still in flight after --grace {} s: {} client{} got no answer",
            if n == 1 { "" } else { "s" },
            grace.as_secs_f64(),
            if n == 1 { "its" } else { "their" },
            if n == 1 { "" } else { "s" },
        )));
    }
    if tally.failed() {
        Err(Error::Reported(ExitCode::ListenInvalid))
    } else {
        Ok(())
    }
}

/// The addresses an endpoint URL's host and port resolve to (none when it
/// does not resolve: the forward then fails on its own, with its reason).
fn resolve(endpoint: &str) -> Vec<SocketAddr> {
    use std::net::ToSocketAddrs;
    let Ok(url) = reqwest::Url::parse(endpoint) else {
        return Vec::new();
    };
    let (Some(host), Some(port)) = (url.host_str(), url.port_or_known_default()) else {
        return Vec::new();
    };
    (host.trim_matches(['[', ']']), port)
        .to_socket_addrs()
        .map(Iterator::collect)
        .unwrap_or_default()
}
