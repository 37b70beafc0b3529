//! The command line, as clap types only: no I/O and no defaults from outside.
//! `settings.rs` turns these raw flags into the resolved configuration.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::error::ExitCode;
use crate::items::Item;
pub use crate::region::Region;

macro_rules! top_examples {
    () => {
        "  cio config init                          # store the write key (hidden prompt)
  cio ping                                 # check the endpoint and the key
  cio track \"Product Added\" --user-id u1 --prop price=139.99
  some-export | cio batch -"
    };
}

/// The item syntax, for every command that takes items (a macro so that
/// `concat!` can put it before each command's examples).
macro_rules! item_help {
    () => {
        "\
Items (--prop, --trait, --context, --integration):
  key=value        number, true, false or null when the value is exactly such a
                   JSON literal (139.99, 1, false); otherwise a string (02134, chrome)
  key:=JSON        raw JSON of any kind: tags:='[\"a\",\"b\"]', order_id:='\"123\"'
  a.b=x, a[0].b=x  nested objects and arrays; a[]=x appends; \\ escapes . [ ] = :
  An item that would replace or run through an earlier one (a.b=1 then a=2) is an error."
    };
}

/// Short help gets the examples; long help (--help) the items too.
macro_rules! call_help {
    ($examples:literal) => {
        concat!("Examples:\n", $examples)
    };
}
macro_rules! call_long_help {
    ($examples:literal) => {
        concat!(item_help!(), "\n\nExamples:\n", $examples)
    };
}

/// The item syntax, for the man page.
pub const ITEM_HELP: &str = item_help!();
/// The exit codes as `cio --help` lists them, generated from [`ExitCode::ALL`]
/// so the list cannot drift from the codes the program uses.
pub fn exit_codes_help() -> String {
    let mut text = String::from("Exit codes:");
    for code in ExitCode::ALL {
        text.push_str(&format!("\n  {:<5}{}", code.code(), code.meaning()));
    }
    text
}
/// The top-level examples, for the man page.
pub const EXAMPLES: &str = top_examples!();

/// What `--version` and `cio version` say: the version, the commit it was
/// built from and the target it runs on.
pub const LONG_VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("CIO_COMMIT"),
    ", ",
    env!("CIO_TARGET"),
    ")"
);

#[derive(Debug, Parser)]
#[command(
    name = "cio",
    version = LONG_VERSION,
    about = "Send analytics calls to Customer.io Data Pipelines",
    long_about = "Send analytics calls (track, identify, page, screen, group, alias, batch) \
to Customer.io Data Pipelines, the Segment-compatible HTTP API.\n\n\
The write key comes from --write-key, CIO_WRITE_KEY, or the config file's profile. \
A key given as a flag is visible to other users of this machine in the process list: \
prefer the environment or `cio config set write_key`.",
    after_help = concat!("Examples:\n", top_examples!()),
    propagate_version = true
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command takes; `--help` shows them under their own heading,
/// after the command's own. (`command()` hides those that do nothing for a command.)
#[derive(Debug, Args, Default)]
#[command(next_help_heading = "Global options")]
pub struct GlobalArgs {
    /// Write key of the source [env: CIO_WRITE_KEY]. Visible to other users in the
    /// process list: prefer CIO_WRITE_KEY or the config file
    #[arg(long, global = true, value_name = "KEY")]
    pub write_key: Option<String>,

    /// Region of the workspace [env: CIO_REGION] [default: us]
    #[arg(long, global = true, value_enum)]
    pub region: Option<Region>,

    /// Base URL that /track, /batch, ... are appended to [env: CIO_ENDPOINT]
    #[arg(long, global = true, value_name = "URL")]
    pub endpoint: Option<String>,

    /// Allow plain http:// to a host other than loopback (the key travels in clear)
    #[arg(long, global = true)]
    pub allow_insecure_http: bool,

    /// Also trust the certificate authorities in this PEM file [env: CIO_CA_CERT]
    #[arg(long, global = true, value_name = "FILE")]
    pub ca_cert: Option<PathBuf>,

    /// Send through this HTTP proxy (http://[user:pass@]host:port; "" for none)
    /// [default: from HTTPS_PROXY, ALL_PROXY]
    #[arg(long, global = true, value_name = "URL")]
    pub proxy: Option<String>,

    /// Profile of the config file to use [env: CIO_PROFILE]
    #[arg(long, global = true, value_name = "NAME",
          add = clap_complete::ArgValueCandidates::new(crate::config::profile_candidates))]
    pub profile: Option<String>,

    /// Config file [env: CIO_CONFIG] [default: $XDG_CONFIG_HOME/cio/config.toml]
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,

    /// Timeout of one HTTP attempt, in seconds [env: CIO_TIMEOUT] [default: 10]
    #[arg(long, global = true, value_name = "SECS")]
    pub timeout: Option<f64>,

    /// How many times a retryable failure is retried [env: CIO_RETRIES] [default: 5]
    #[arg(long, global = true, value_name = "N")]
    pub retries: Option<u32>,

    /// Print nothing but errors
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,

    /// Show each request (method, URL, status, timing) on stderr; -vv adds the
    /// headers and size of a single call, -vvv its body. Never the key
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// Print the result as one JSON object on stdout
    #[arg(long, global = true)]
    pub json: bool,

    /// Keep a single call that cannot be delivered (network, timeouts, 5xx, 429
    /// after the retries, an endpoint that is not the API, Ctrl-C while it
    /// waits to retry) in the spool, for `cio flush`; exits 7 (130 on Ctrl-C) [env: CIO_SPOOL]
    #[arg(long, global = true)]
    pub spool: bool,

    /// Where spooled calls are kept [env: CIO_SPOOL_DIR] [default: $XDG_STATE_HOME/cio/spool]
    #[arg(long, global = true, value_name = "DIR")]
    pub spool_dir: Option<PathBuf>,

    /// Most bytes the spool may hold; a call that would pass it exits 8
    /// [env: CIO_SPOOL_MAX_BYTES] [default: 67108864]
    #[arg(long, global = true, value_name = "BYTES")]
    pub spool_max_bytes: Option<u64>,
}

/// The keys of `config set/get/unset`: checked by clap, offered by completions.
fn config_keys() -> clap::builder::PossibleValuesParser {
    let mut keys: Vec<&'static str> = crate::config::PROFILE_KEYS.to_vec();
    keys.push("default_profile");
    clap::builder::PossibleValuesParser::new(keys)
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Record an action a person took: `cio track "Product Added" --prop price=139.99`
    #[command(
        after_help = call_help!("  cio track \"Product Added\" --user-id u1 --prop price=139.99 --prop quantity=1
  cio track login --prop platform=chrome --context ip=1.2.3.4 --dry-run
  cio track --file call.json --user-id u1 --timestamp 2026-11-28T15:01:30Z"),
        after_long_help = call_long_help!("  cio track \"Product Added\" --user-id u1 --prop price=139.99 --prop quantity=1
  cio track login --prop platform=chrome --context ip=1.2.3.4 --dry-run
  cio track --file call.json --user-id u1 --timestamp 2026-11-28T15:01:30Z")
    )]
    Track {
        /// Name of the event; quote a name with spaces: "Product Added"
        #[arg(value_name = "EVENT",
              add = clap_complete::ArgValueCandidates::new(crate::lint::specs::completion_candidates))]
        event: Option<String>,
        /// A property of the event (repeatable)
        #[arg(long = "prop", short = 'p', value_name = "ITEM")]
        props: Vec<Item>,
        #[command(flatten)]
        call: CallArgs,
    },
    /// Say who a person is and set their traits: `cio identify --user-id u1 --trait email=a@b.c`
    #[command(
        after_help = call_help!("  cio identify --user-id u1 --trait email=ada@example.com --trait plan=pro
  cio identify --anonymous-id anon-1 --trait address.city=Paris"),
        after_long_help = call_long_help!("  cio identify --user-id u1 --trait email=ada@example.com --trait plan=pro
  cio identify --anonymous-id anon-1 --trait address.city=Paris")
    )]
    Identify {
        /// A trait of the person (repeatable)
        #[arg(long = "trait", short = 't', value_name = "ITEM")]
        traits: Vec<Item>,
        #[command(flatten)]
        call: CallArgs,
    },
    /// Record a page view: `cio page Home --prop url=https://example.com/?q=1`
    #[command(
        after_help = call_help!("  cio page Home --user-id u1 --prop url=https://example.com/?q=shoes
  cio page Pricing --category Marketing --prop title=\"Plans and pricing\""),
        after_long_help = call_long_help!("  cio page Home --user-id u1 --prop url=https://example.com/?q=shoes
  cio page Pricing --category Marketing --prop title=\"Plans and pricing\"")
    )]
    Page {
        /// Name of the page; quote a name with spaces
        #[arg(value_name = "NAME")]
        name: Option<String>,
        /// Category of the page
        #[arg(long, value_name = "CATEGORY")]
        category: Option<String>,
        /// A property of the page (repeatable); `url` fills `path` and `search`
        #[arg(long = "prop", short = 'p', value_name = "ITEM")]
        props: Vec<Item>,
        #[command(flatten)]
        call: CallArgs,
    },
    /// Record a mobile screen view: `cio screen Settings`
    #[command(
        after_help = call_help!("  cio screen Settings --user-id u1 --prop section=privacy
  cio screen \"Order Summary\" --anonymous-id anon-1 --context device.type=ios"),
        after_long_help = call_long_help!("  cio screen Settings --user-id u1 --prop section=privacy
  cio screen \"Order Summary\" --anonymous-id anon-1 --context device.type=ios")
    )]
    Screen {
        /// Name of the screen; quote a name with spaces
        #[arg(value_name = "NAME")]
        name: Option<String>,
        /// A property of the screen (repeatable)
        #[arg(long = "prop", short = 'p', value_name = "ITEM")]
        props: Vec<Item>,
        #[command(flatten)]
        call: CallArgs,
    },
    /// Put a person in a group (company, account): `cio group --group-id acme`
    #[command(
        after_help = call_help!("  cio group --group-id acme --user-id u1 --trait name=\"Acme Inc\" --trait employees=120"),
        after_long_help = call_long_help!("  cio group --group-id acme --user-id u1 --trait name=\"Acme Inc\" --trait employees=120")
    )]
    Group {
        /// Id of the group
        #[arg(long, value_name = "ID")]
        group_id: Option<String>,
        /// A trait of the group (repeatable)
        #[arg(long = "trait", short = 't', value_name = "ITEM")]
        traits: Vec<Item>,
        #[command(flatten)]
        call: CallArgs,
    },
    /// Merge two identities: `cio alias --previous-id anon-1 --user-id u1`
    #[command(
        after_help = call_help!("  cio alias --previous-id anon-1 --user-id u1"),
        after_long_help = call_long_help!("  cio alias --previous-id anon-1 --user-id u1
  cio alias --previous-id anon-1 --user-id u1 --context ip=1.2.3.4")
    )]
    Alias {
        /// The identity being merged away
        #[arg(long, value_name = "ID")]
        previous_id: Option<String>,
        #[command(flatten)]
        call: CallArgs,
    },
    /// Replay NDJSON calls (files, gzip/zstd, or stdin) through the batch API
    Batch(Box<crate::cli::BatchArgs>),
    /// Deliver the calls kept in the spool (by --spool) through the batch API
    Flush(FlushArgs),
    /// Look at the spool: `cio spool status [--json]`
    Spool {
        #[command(subcommand)]
        action: SpoolAction,
    },
    /// Check calls against the semantic event specs without sending: `cio lint events.ndjson`
    Lint(Box<crate::cli::LintArgs>),
    /// List the semantic events by family, or show one: `cio events "Product Added"`
    Events {
        /// A semantic event to show with its properties
        #[arg(value_name = "EVENT",
              add = clap_complete::ArgValueCandidates::new(crate::lint::specs::completion_candidates))]
        event: Option<String>,
        /// Only these families (comma-separated)
        #[arg(long, value_delimiter = ',', value_parser = FAMILIES, value_name = "FAMILY")]
        family: Vec<String>,
        /// Print only the event names, one per line (for shell completion)
        #[arg(long, hide = true)]
        names: bool,
    },
    /// Serve the Pipelines API locally: show, check and record every call an app sends
    Listen(Box<crate::cli::ListenArgs>),
    /// Create, read and change the config file
    #[command(after_help = "Examples:
  cio config init --profile prod --region eu
  printf %s \"$KEY\" | cio config set write_key --profile prod
  cio config set default_profile prod
  cio config get region
  cio config list --json")]
    Config {
        #[command(subcommand)]
        action: ConfigAction,
    },
    /// Check the setup: show the profile, endpoint and key source, then resolve,
    /// connect, and prove the key with an empty batch (records nothing)
    #[command(after_help = "Examples:
  cio ping
  cio ping --profile prod --json
  cio ping --send-event        # also sends one track call 'cio ping' (records an event)")]
    Ping {
        /// Also send one track call (event 'cio ping', anonymousId cio-ping): proves
        /// delivery end to end, and records an event
        #[arg(long)]
        send_event: bool,
    },
    /// Print a completion script: `cio completions bash > ~/.local/share/bash-completion/completions/cio`
    #[command(after_help = "Examples:
  cio completions bash > ~/.local/share/bash-completion/completions/cio
  cio completions zsh > \"${fpath[1]}/_cio\"
  cio completions fish > ~/.config/fish/completions/cio.fish")]
    Completions {
        /// The shell to complete for
        #[arg(value_enum, value_name = "SHELL")]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff): `cio man > cio.1`
    #[command(after_help = "Examples:
  cio man > cio.1 && man ./cio.1
  cio man | sudo tee /usr/local/share/man/man1/cio.1 >/dev/null")]
    Man,
    /// Print the version, the commit it was built from and the target
    Version,
}

/// What every single call accepts besides its own payload.
#[derive(Debug, Args, Clone, Default)]
pub struct CallArgs {
    #[command(flatten)]
    pub identity: IdentityArgs,

    /// A whole or partial call as JSON (`-` for stdin); flags merge over it
    #[arg(long, short = 'f', value_name = "FILE")]
    pub file: Option<PathBuf>,

    /// When it happened: RFC 3339 (2026-11-28T15:01:30Z) or Unix seconds or milliseconds [default: now]
    #[arg(long, value_name = "TIME")]
    pub timestamp: Option<String>,

    /// Take a timestamp before 2000-01-01 or more than a day ahead (otherwise refused as a likely misread)
    #[arg(long)]
    pub allow_old_timestamps: bool,

    /// Deduplication key of the call [default: a fresh UUID v4]
    #[arg(long, value_name = "ID")]
    pub message_id: Option<String>,

    #[command(flatten)]
    pub extras: ExtrasArgs,

    /// Print the complete call as it would be sent, and send nothing
    #[arg(long, short = 'n')]
    pub dry_run: bool,

    /// Refuse the call (exit 2, nothing sent) when it breaks a semantic event spec; warnings are printed
    #[arg(long)]
    pub strict: bool,
}

/// The names `--family` takes (`lint::specs::Family::as_str`).
pub const FAMILIES: [&str; 7] = [
    "ecommerce",
    "mobile",
    "video",
    "email",
    "live-chat",
    "ab-testing",
    "customerio",
];

#[derive(Debug, Args, Clone)]
#[command(after_long_help = "\
Rules (severity): invalid (error): what cio batch would reject, with its reason; \
event-name (warning): a near miss of a semantic event name (case, spacing, underscores, \
plural); property-type (error): a semantic property with the wrong JSON type; \
missing-property (warning): a property integrations expect is missing; product-id \
(warning): a product without product_id or sku; cio-requirement (error): Customer.io \
cannot act on the call (userId, context.device.token). Custom events and custom \
properties draw no finding.

Exit: 0 clean, 10 warnings only, 11 errors. With --strict, warnings alone exit 0, as \
cio batch --strict would send those lines: cio lint events.ndjson --strict && cio batch events.ndjson")]
pub struct LintArgs {
    /// Input files, read like cio batch reads them (`-` for stdin)
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,

    /// Only these families (comma-separated)
    #[arg(long, value_delimiter = ',', value_parser = FAMILIES, value_name = "FAMILY")]
    pub family: Vec<String>,

    /// Fail (exit 11) only on errors, what `cio batch --strict` would reject
    #[arg(long)]
    pub strict: bool,

    /// Type of the lines that have no "type" of their own (as for cio batch)
    #[arg(long = "type", value_name = "TYPE")]
    pub call_type: Option<String>,

    #[command(flatten)]
    pub identity: IdentityArgs,

    #[command(flatten)]
    pub extras: ExtrasArgs,
}

#[derive(Debug, Args, Clone, Default)]
pub struct IdentityArgs {
    /// The person's id in your system [env: CIO_USER_ID]
    #[arg(long, value_name = "ID")]
    pub user_id: Option<String>,

    /// An id for a person not yet known [env: CIO_ANONYMOUS_ID]
    #[arg(long, value_name = "ID")]
    pub anonymous_id: Option<String>,
}

#[derive(Debug, Args, Clone, Default)]
pub struct ExtrasArgs {
    /// A context field, e.g. ip=1.2.3.4 or device.type=ios (repeatable)
    #[arg(long = "context", short = 'c', value_name = "ITEM")]
    pub context: Vec<Item>,

    /// Turn a destination on or off: NAME=true|false, or All=false (repeatable)
    #[arg(long = "integration", value_name = "NAME=BOOL")]
    pub integrations: Vec<Item>,
}

#[derive(Debug, Args, Clone)]
#[command(after_help = "Examples:
  cio batch events.ndjson
  some-export | cio batch - --rejects rejects.ndjson
  cio batch archive-*.ndjson.gz --checkpoint replay.ckpt --type track --user-id backfill --dry-run")]
#[command(after_long_help = "\
Input: NDJSON, one call per line, each with its own \"type\" (or --type); also a JSON \
array of calls, a {\"batch\": [...]} document, or pretty-printed calls one after another \
(jq . output). gzip and zstd input is decompressed, whatever its name.

messageIds: a line's own messageId is kept. A line with its own timestamp gets an id \
derived from its line number and content, the same whatever the file is called, so a \
re-run is deduplicated by the server. A line without a timestamp is a new event each \
time it is read and gets a new id in every run; only a resume (--checkpoint) sends it \
again with the id it had.

Done and owed: only acknowledged calls, invalid lines and calls the server refused on \
their merits are done. Calls not delivered (network, 5xx, 429, 401, 403, 404, a stop) \
are owed: with --checkpoint, running the same command again sends exactly those. The \
rejects file says each record's kind (invalid, refused, undeliverable) and replays as it \
is: cio batch rejects.ndjson. With --checkpoint the last input may grow (a log): the same \
command again sends just the lines it gained, and a last line of a plain file with no \
newline that is not whole JSON yet (a writer halfway through it) is left for that next run.

Ctrl-C, SIGTERM or SIGHUP: finish the requests in flight and stop; a second one stops at \
once. A signal ignored when cio started (nohup) stays ignored.

Examples:
  cio batch events.ndjson
  some-export | cio batch - --rejects rejects.ndjson
  cio batch archive-*.ndjson.gz --checkpoint replay.ckpt --type track --user-id backfill --dry-run")]
pub struct BatchArgs {
    /// Input files (`-` for stdin; no file reads stdin when it is not a terminal)
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,

    /// Type of the lines that have no "type" of their own
    #[arg(long = "type", value_name = "TYPE",
          value_parser = ["track", "identify", "page", "screen", "group", "alias"])]
    pub call_type: Option<String>,

    #[command(flatten)]
    pub identity: IdentityArgs,

    #[command(flatten)]
    pub extras: ExtrasArgs,

    /// Write every call not delivered here as NDJSON, with its kind (replayable)
    #[arg(long, value_name = "FILE")]
    pub rejects: Option<PathBuf>,

    /// Record what is done here; the same command again sends what is owed
    #[arg(long, value_name = "FILE")]
    pub checkpoint: Option<PathBuf>,

    /// Requests in flight at once, fixed [default: adaptive, up to 64]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=64))]
    pub concurrency: Option<u32>,

    /// At most this many calls per second
    #[arg(long, value_name = "N")]
    pub rate: Option<f64>,

    /// Send a partial batch once its first call has waited this many milliseconds
    #[arg(long, value_name = "MS", default_value_t = 200)]
    pub flush_interval: u64,

    /// Largest request body before compression, in bytes
    #[arg(long, value_name = "BYTES", default_value_t = 475_000,
          value_parser = clap::value_parser!(u64).range(40_000..=500_000))]
    pub max_batch_bytes: u64,

    /// Most calls in one request
    #[arg(long, value_name = "N", default_value_t = 2_500,
          value_parser = clap::value_parser!(u64).range(1..=2_500))]
    pub max_batch_calls: u64,

    /// Bytes requests waiting or in flight hold (their calls, gzipped): the bound on memory, whatever the concurrency
    #[arg(long, value_name = "BYTES", default_value_t = 16 * 1024 * 1024,
          value_parser = clap::value_parser!(u64).range(1_000_000..=1_000_000_000))]
    pub max_bytes_in_flight: u64,

    /// Send request bodies uncompressed
    #[arg(long)]
    pub no_gzip: bool,

    /// Take timestamps before 2000-01-01 or more than a day ahead (otherwise refused as likely misreads)
    #[arg(long)]
    pub allow_old_timestamps: bool,

    /// Validate everything, report what would be sent, and send nothing
    #[arg(long, short = 'n')]
    pub dry_run: bool,

    /// With --dry-run: write the calls as they would be sent, one per line, on stdout
    #[arg(long, requires = "dry_run", conflicts_with = "json")]
    pub print: bool,

    /// Reject (kind invalid) lines that break a semantic event spec; warnings are printed
    #[arg(long)]
    pub strict: bool,
}

#[derive(Debug, Args, Clone)]
pub struct FlushArgs {
    /// Requests in flight at once, fixed [default: adaptive, up to 64]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=64))]
    pub concurrency: Option<u32>,

    /// Most calls in one request
    #[arg(long, value_name = "N", default_value_t = 2_500,
          value_parser = clap::value_parser!(u64).range(1..=2_500))]
    pub max_batch_calls: u64,
}

#[derive(Debug, Subcommand)]
pub enum SpoolAction {
    /// How many calls wait in the spool, their bytes, and the oldest
    Status,
}

#[derive(Debug, Args, Clone)]
#[command(after_long_help = "\
Serves POST /v1/track, /identify, /page, /screen, /group, /alias and /batch (gzip bodies \
too) and answers like the API: 200; with X-Strict-Mode: 1, 400 and the API's error body \
for calls the API would refuse; 413 for a call over 32 KB or a batch over 500 KB; 401 \
without HTTP Basic auth, or with a key other than --write-key (or CIO_WRITE_KEY) when one \
is given. The first line on stdout is the URL to use: listening on http://127.0.0.1:PORT/v1

Stops at --exit-after, --idle-exit, Ctrl-C, SIGTERM or SIGHUP, prints a summary on stderr, and \
exits 12 if any call was invalid or any request refused.")]
pub struct ListenArgs {
    /// Port to listen on (0 picks a free one)
    #[arg(long, default_value_t = 8765)]
    pub port: u16,

    /// Address to listen on; anything but loopback also needs a write key
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1")]
    pub host: String,

    /// Append every accepted call to FILE as NDJSON, with receivedAt (replay: cio batch FILE)
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Stop after this many calls
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub exit_after: Option<u64>,

    /// Stop after this many seconds without a request
    #[arg(long, value_name = "SECS")]
    pub idle_exit: Option<f64>,

    /// Time a client has to send a request's headers, and then its body, in seconds
    #[arg(long, value_name = "SECS", default_value_t = 10.0)]
    pub read_timeout: f64,

    /// Send accepted calls on to the configured endpoint (profile, region, --endpoint)
    /// and answer each request with the upstream's verdict
    #[arg(long)]
    pub forward: bool,

    /// Fault injection: answer requests with this status (every one, or --fail-rate of them)
    #[arg(long, value_name = "CODE", value_parser = clap::value_parser!(u16).range(200..=599))]
    pub status: Option<u16>,

    /// Fault injection: answer this share of requests (0 to 1) with --status (default 503)
    #[arg(long, value_name = "P")]
    pub fail_rate: Option<f64>,

    /// Fault injection: wait this long before every answer
    #[arg(long, value_name = "MS")]
    pub delay_ms: Option<u64>,

    /// Check every call against the semantic event specs and show the findings (see cio lint)
    #[arg(long)]
    pub lint: bool,

    /// With --lint: a call with a lint error makes the exit code non-zero, as an invalid call does
    #[arg(long, requires = "lint")]
    pub strict: bool,

    /// On SIGTERM/SIGINT/SIGHUP, wait this long for the requests in flight (a --forward with
    /// the default retries can take 75 s); any still unanswered then are counted and the exit is 1
    #[arg(long, value_name = "SECS", default_value_t = 90.0)]
    pub grace: f64,

    /// Connections served at once; one past this is answered 503 with Retry-After: 1 and closed
    #[arg(long, value_name = "N", default_value_t = 256, value_parser = clap::value_parser!(u32).range(1..=65536))]
    pub max_connections: u32,

    /// Request bodies held in memory across all connections, in MB; a request that would pass
    /// it is answered 503 with Retry-After: 1
    #[arg(long, value_name = "MB", default_value_t = 16, value_parser = clap::value_parser!(u32).range(1..=4096))]
    pub max_buffered_mb: u32,
}

#[derive(Debug, Subcommand)]
pub enum ConfigAction {
    /// Create the config file with a profile (asks for the write key on a terminal)
    Init {
        /// Replace an existing profile of the same name
        #[arg(long)]
        force: bool,
    },
    /// Set a value of the profile; write_key is read from stdin or a hidden prompt
    Set {
        /// The setting: default_profile is top-level, the others belong to the profile
        #[arg(value_name = "KEY", value_parser = config_keys())]
        key: String,
        /// The value (not for write_key, which must stay out of shell history)
        #[arg(value_name = "VALUE")]
        value: Option<String>,
    },
    /// Print a value of the profile (write_key is masked); exit code 9 when it is not set
    Get {
        /// The setting: default_profile is top-level, the others belong to the profile
        #[arg(value_name = "KEY", value_parser = config_keys())]
        key: String,
    },
    /// Remove a value from the profile
    Unset {
        /// The setting: default_profile is top-level, the others belong to the profile
        #[arg(value_name = "KEY", value_parser = config_keys())]
        key: String,
    },
    /// List the profiles and their values (write keys masked)
    List,
    /// Print the path of the config file
    Path,
}

/// Global options that only matter when talking to the server.
const NETWORK_OPTIONS: [&str; 6] = [
    "write_key",
    "region",
    "endpoint",
    "allow_insecure_http",
    "timeout",
    "retries",
];

/// The command line as cio parses it: `Cli`'s definition, with the global
/// options that do nothing for a command hidden from that command's help,
/// completions and man page (they are still accepted, as everywhere).
pub fn command() -> clap::Command {
    use clap::CommandFactory;
    // The long help ends with the exit codes, built at run time from their table.
    let mut cmd =
        Cli::command().after_long_help(format!("Examples:\n{EXAMPLES}\n\n{}", exit_codes_help()));
    // Propagates the global options into every subcommand, so they can be hidden there.
    cmd.build();
    let hide = |names: &'static [&'static str]| {
        move |arg: clap::Arg| {
            let id = arg.get_id().as_str();
            if arg.is_global_set() && (names.is_empty() || names.contains(&id)) {
                arg.hide(true)
            } else {
                arg
            }
        }
    };
    for name in ["completions", "man"] {
        cmd = cmd.mut_subcommand(name, |sub| sub.mut_args(hide(&[])));
    }
    cmd.mut_subcommand("config", |config| {
        let config = config.mut_args(hide(&NETWORK_OPTIONS));
        let subs: Vec<String> = config
            .get_subcommands()
            .map(|s| s.get_name().to_string())
            .collect();
        subs.into_iter().fold(config, |config, name| {
            // init writes the region, endpoint, timeout and retries into the profile.
            let hidden: &'static [&'static str] = if name == "init" {
                &["write_key", "allow_insecure_http"]
            } else {
                &NETWORK_OPTIONS
            };
            config.mut_subcommand(name, |sub| sub.mut_args(hide(hidden)))
        })
    })
}
