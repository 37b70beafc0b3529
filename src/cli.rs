//! The command line, as clap types only: no I/O and no defaults from outside.
//! `settings.rs` turns these raw flags into the resolved configuration.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::items::Item;

const EXIT_CODES: &str = "\
Exit codes:
  0    delivered (or the dry run found nothing wrong)
  1    unexpected failure (I/O, internal)
  2    usage error or invalid input (ours, or a 400 from the server)
  3    authentication: no write key configured, or 401
  4    forbidden (403)
  5    not delivered: network failure or retryable errors that outlasted the retries
  6    partial: some calls delivered, others rejected (batch)
  11   listen: some calls received were invalid, or requests were refused
  130  interrupted";

const ITEM_HELP: &str = "\
Items (--prop, --trait, --context, --integration):
  key=value        number, true, false or null when the value is exactly such a
                   JSON literal (139.99, 1, false); otherwise a string (02134, chrome)
  key:=JSON        raw JSON of any kind: tags:='[\"a\",\"b\"]', order_id:='\"123\"'
  a.b=x, a[0].b=x  nested objects and arrays; a[]=x appends; \\ escapes . [ ] = :";

#[derive(Debug, Parser)]
#[command(
    name = "cio",
    version,
    about = "Send analytics calls to Customer.io Data Pipelines",
    long_about = "Send analytics calls (track, identify, page, screen, group, alias, batch) \
to Customer.io Data Pipelines, the Segment-compatible HTTP API.\n\n\
The write key comes from --write-key, CIO_WRITE_KEY, or the config file's profile. \
A key given as a flag is visible to other users of this machine in the process list: \
prefer the environment or `cio config set write_key`.",
    after_long_help = EXIT_CODES,
    propagate_version = true
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args, Default)]
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

    /// Profile of the config file to use [env: CIO_PROFILE]
    #[arg(long, global = true, value_name = "NAME")]
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

    /// Show each request (method, URL, status, timing) on stderr; never the key
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// Print the result as one JSON object on stdout
    #[arg(long, global = true)]
    pub json: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Region {
    Us,
    Eu,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Record an action a person took: `cio track "Product Added" --prop price=139.99`
    #[command(after_long_help = ITEM_HELP)]
    Track {
        /// Name of the event
        event: Option<String>,
        /// A property of the event (repeatable)
        #[arg(long = "prop", short = 'p', value_name = "ITEM")]
        props: Vec<Item>,
        #[command(flatten)]
        call: CallArgs,
    },
    /// Say who a person is and set their traits: `cio identify --user-id u1 --trait email=a@b.c`
    #[command(after_long_help = ITEM_HELP)]
    Identify {
        /// A trait of the person (repeatable)
        #[arg(long = "trait", short = 't', value_name = "ITEM")]
        traits: Vec<Item>,
        #[command(flatten)]
        call: CallArgs,
    },
    /// Record a page view: `cio page Home --prop url=https://example.com/?q=1`
    #[command(after_long_help = ITEM_HELP)]
    Page {
        /// Name of the page
        name: Option<String>,
        /// Category of the page
        #[arg(long)]
        category: Option<String>,
        /// A property of the page (repeatable); `url` fills `path` and `search`
        #[arg(long = "prop", short = 'p', value_name = "ITEM")]
        props: Vec<Item>,
        #[command(flatten)]
        call: CallArgs,
    },
    /// Record a mobile screen view: `cio screen Settings`
    #[command(after_long_help = ITEM_HELP)]
    Screen {
        /// Name of the screen
        name: Option<String>,
        /// A property of the screen (repeatable)
        #[arg(long = "prop", short = 'p', value_name = "ITEM")]
        props: Vec<Item>,
        #[command(flatten)]
        call: CallArgs,
    },
    /// Put a person in a group (company, account): `cio group --group-id acme`
    #[command(after_long_help = ITEM_HELP)]
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
    Alias {
        /// The identity being merged away
        #[arg(long, value_name = "ID")]
        previous_id: Option<String>,
        #[command(flatten)]
        call: CallArgs,
    },
    /// Replay NDJSON calls (files, .gz, or stdin) through the batch API
    Batch(Box<crate::cli::BatchArgs>),
    /// Serve the Pipelines API locally: show, check and record every call an app sends
    Listen(Box<crate::cli::ListenArgs>),
    /// Create, read and change the config file
    Config {
        #[command(subcommand)]
        action: ConfigAction,
    },
    /// Print a completion script: `cio completions bash > /etc/bash_completion.d/cio`
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff): `cio man > cio.1`
    Man,
}

/// What every single call accepts besides its own payload.
#[derive(Debug, Args, Clone, Default)]
pub struct CallArgs {
    #[command(flatten)]
    pub identity: IdentityArgs,

    /// A whole or partial call as JSON (`-` for stdin); flags merge over it
    #[arg(long, short = 'f', value_name = "FILE")]
    pub file: Option<PathBuf>,

    /// When it happened: RFC 3339 (2026-11-28T15:01:30Z) or Unix seconds [default: now]
    #[arg(long, value_name = "TIME")]
    pub timestamp: Option<String>,

    /// Deduplication key of the call [default: a fresh UUID v4]
    #[arg(long, value_name = "ID")]
    pub message_id: Option<String>,

    #[command(flatten)]
    pub extras: ExtrasArgs,

    /// Print the complete call as it would be sent, and send nothing
    #[arg(long, short = 'n')]
    pub dry_run: bool,
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
#[command(after_long_help = "\
Input: NDJSON, one call per line, each with its own \"type\" (or --type); also a JSON \
array of calls or a {\"batch\": [...]} document. Files ending in .gz are decompressed.

messageIds: a line's own messageId is kept. A line with its own timestamp gets an id \
derived from its line number and content, the same whatever the file is called, so a \
re-run is deduplicated by the server. A line without a timestamp is a new event each \
time it is read and gets a new id in every run; only a resume (--checkpoint) sends it \
again with the id it had.

Done and owed: only acknowledged calls, invalid lines and calls the server refused on \
their merits are done. Calls not delivered (network, 5xx, 429, 401, 403, 404, a stop) \
are owed: with --checkpoint, running the same command again sends exactly those. The \
rejects file says each record's kind (invalid, refused, undeliverable) and replays as it \
is: cio batch rejects.ndjson.

Ctrl-C or SIGTERM: finish the requests in flight and stop; a second one stops at once.")]
pub struct BatchArgs {
    /// Input files (`-` for stdin; no file reads stdin when it is not a terminal)
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,

    /// Type of the lines that have no "type" of their own
    #[arg(long = "type", value_name = "TYPE")]
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

    /// Requests in flight at once
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=64))]
    pub concurrency: u32,

    /// At most this many calls per second
    #[arg(long, value_name = "N")]
    pub rate: Option<f64>,

    /// Send a partial batch after this many milliseconds without a full one
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

    /// Send request bodies uncompressed
    #[arg(long)]
    pub no_gzip: bool,

    /// Validate everything, report what would be sent, and send nothing
    #[arg(long, short = 'n')]
    pub dry_run: bool,
}

#[derive(Debug, Args, Clone)]
#[command(after_long_help = "\
Serves POST /v1/track, /identify, /page, /screen, /group, /alias and /batch (gzip bodies \
too) and answers like the API: 200; with X-Strict-Mode: 1, 400 and the API's error body \
for calls the API would refuse; 413 for a call over 32 KB or a batch over 500 KB; 401 \
without HTTP Basic auth, or with a key other than --write-key (or CIO_WRITE_KEY) when one \
is given. The first line on stdout is the URL to use: listening on http://127.0.0.1:PORT/v1

Stops at --exit-after, --idle-exit, Ctrl-C or SIGTERM, prints a summary on stderr, and \
exits 11 if any call was invalid or any request refused.")]
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
        /// write_key, region, endpoint, user_id, anonymous_id, timeout, retries, or default_profile
        key: String,
        /// The value (not for write_key, which must stay out of shell history)
        value: Option<String>,
    },
    /// Print a value of the profile (write_key is masked)
    Get { key: String },
    /// Remove a value from the profile
    Unset { key: String },
    /// List the profiles and their values (write keys masked)
    List,
    /// Print the path of the config file
    Path,
}
