//! The one error type of cio and the one place that maps errors to exit codes.

use std::fmt;

/// Process exit codes, documented in the README and in `cio --help`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitCode {
    /// Delivered, or a dry run that found nothing wrong.
    Ok = 0,
    /// Unexpected failure: I/O, internal error.
    Failure = 1,
    /// Usage error or invalid input (our own validation, or a 400 from the server).
    Usage = 2,
    /// No write key configured, or the server answered 401.
    Auth = 3,
    /// The server answered 403.
    Forbidden = 4,
    /// Network failure or retryable errors that outlasted the retries.
    Undelivered = 5,
    /// Some calls were delivered, others were rejected or undeliverable (`batch`, `flush`).
    Partial = 6,
    /// Not delivered now, but kept in the spool for `cio flush` (`--spool`).
    Spooled = 7,
    /// Not delivered, and the spool had no room to keep it.
    SpoolFull = 8,
    /// `cio config get` of a key that is not set: not a failure, an answer.
    NotSet = 9,
    /// `cio lint` found warnings and no errors.
    LintWarnings = 10,
    /// `cio lint` found errors.
    LintErrors = 11,
    /// `listen`: some calls received were invalid, or requests were refused.
    ListenInvalid = 12,
    /// Interrupted by Ctrl-C.
    Interrupted = 130,
}

impl ExitCode {
    /// Every code, in the order `cio --help`, the man page and the README list them.
    pub const ALL: [ExitCode; 14] = [
        ExitCode::Ok,
        ExitCode::Failure,
        ExitCode::Usage,
        ExitCode::Auth,
        ExitCode::Forbidden,
        ExitCode::Undelivered,
        ExitCode::Partial,
        ExitCode::Spooled,
        ExitCode::SpoolFull,
        ExitCode::NotSet,
        ExitCode::LintWarnings,
        ExitCode::LintErrors,
        ExitCode::ListenInvalid,
        ExitCode::Interrupted,
    ];

    pub fn code(self) -> i32 {
        self as i32
    }

    /// The one-line meaning `cio --help` and the man page give (the README's
    /// table says the same at more length; a test keeps the two in step).
    pub fn meaning(self) -> &'static str {
        match self {
            ExitCode::Ok => "delivered (or the dry run found nothing wrong)",
            ExitCode::Failure => "unexpected failure (I/O, internal)",
            ExitCode::Usage => "usage error or invalid input (ours, or a 400 from the server)",
            ExitCode::Auth => "authentication: no write key configured, or 401",
            ExitCode::Forbidden => "forbidden (403)",
            ExitCode::Undelivered => {
                "not delivered: network failure or retryable errors that outlasted the retries"
            }
            ExitCode::Partial => "partial: some calls delivered, others rejected (batch, flush)",
            ExitCode::Spooled => {
                "spooled: not delivered now, kept in the spool for `cio flush` (--spool)"
            }
            ExitCode::SpoolFull => "spool full: not delivered, and not kept (--spool-max-bytes)",
            ExitCode::NotSet => "not set: `cio config get` of a key that has no value",
            ExitCode::LintWarnings => "lint: warnings only (cio lint without --strict)",
            ExitCode::LintErrors => "lint: errors (cio lint)",
            ExitCode::ListenInvalid => {
                "listen: some calls received were invalid, or requests were refused"
            }
            ExitCode::Interrupted => "interrupted",
        }
    }
}

/// Every failure cio reports. The `Display` text is the one-line message the user sees.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Usage(String),
    /// A value (flag, environment variable, config key) not of the form it
    /// must have: one wording whatever the source.
    #[error("{what}: expected {expected}, found {found}")]
    Invalid {
        what: String,
        expected: String,
        /// As the user gave it: quoted when it is text (see [`Error::invalid_text`]).
        found: String,
    },
    /// A file (or stdin) the user named that cannot be used as it is:
    /// `NAME: REASON`, the name first as in every message about a file.
    #[error("{name}: {reason}")]
    File { name: String, reason: String },
    /// A single call that cannot be sent as built (a required field missing, too large).
    #[error("cannot send this {call_type} call: {reason}")]
    Unsendable { call_type: String, reason: String },
    #[error("{0}")]
    Auth(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    Undelivered(String),
    #[error("{0}")]
    SpoolFull(String),
    /// Already reported in full (a batch summary): only the exit code is left to give.
    #[error("")]
    Reported(ExitCode),
    #[error("interrupted")]
    Interrupted,
    /// A value asked for (`cio config get`) that is not there.
    #[error("{0}")]
    NotSet(String),
    #[error("{0}")]
    Io(String),
    #[error("{0}")]
    Internal(String),
}

impl Error {
    pub fn usage(msg: impl fmt::Display) -> Self {
        Error::Usage(msg.to_string())
    }

    /// `WHAT: expected EXPECTED, found FOUND` for a value clap already parsed (a number).
    pub fn invalid(
        what: impl fmt::Display,
        expected: impl fmt::Display,
        found: impl fmt::Display,
    ) -> Self {
        Error::Invalid {
            what: what.to_string(),
            expected: expected.to_string(),
            found: found.to_string(),
        }
    }

    /// The same for text as typed (an environment variable, `config set`):
    /// quoted, so that blanks and empty values show.
    pub fn invalid_text(what: impl fmt::Display, expected: impl fmt::Display, text: &str) -> Self {
        Error::invalid(what, expected, format_args!("'{text}'"))
    }

    /// A named file that is not usable: `NAME: REASON`.
    pub fn file(name: impl fmt::Display, reason: impl fmt::Display) -> Self {
        Error::File {
            name: name.to_string(),
            reason: reason.to_string(),
        }
    }

    /// A named file that cannot be read, for the operating system's reason.
    pub fn unreadable(name: impl fmt::Display, err: &std::io::Error) -> Self {
        Error::file(name, describe_io(err))
    }

    pub fn io(what: impl fmt::Display, err: &std::io::Error) -> Self {
        Error::Io(format!("{what}: {}", describe_io(err)))
    }

    pub fn exit_code(&self) -> ExitCode {
        match self {
            Error::Usage(_)
            | Error::Invalid { .. }
            | Error::File { .. }
            | Error::Unsendable { .. } => ExitCode::Usage,
            Error::Auth(_) => ExitCode::Auth,
            Error::Forbidden(_) => ExitCode::Forbidden,
            Error::Undelivered(_) => ExitCode::Undelivered,
            Error::SpoolFull(_) => ExitCode::SpoolFull,
            Error::Reported(code) => *code,
            Error::Interrupted => ExitCode::Interrupted,
            Error::NotSet(_) => ExitCode::NotSet,
            Error::Io(_) | Error::Internal(_) => ExitCode::Failure,
        }
    }
}

/// `std::io::Error`'s Display adds "(os error 2)"; users want the plain reason.
pub fn describe_io(err: &std::io::Error) -> String {
    use std::io::ErrorKind::*;
    match err.kind() {
        NotFound => "no such file or directory".into(),
        PermissionDenied => "permission denied".into(),
        IsADirectory => "is a directory".into(),
        _ => {
            let text = err.to_string();
            match text.find(" (os error") {
                Some(i) => text[..i].to_string(),
                None => text,
            }
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variants_with_data_say_themselves_and_are_usage_errors() {
        let cases = [
            (
                Error::invalid("--rate", "calls per second > 0", -1),
                "--rate: expected calls per second > 0, found -1",
            ),
            (
                Error::invalid_text("CIO_SPOOL", "true or false", "maybe"),
                "CIO_SPOOL: expected true or false, found 'maybe'",
            ),
            (
                Error::file("in.ndjson", "is a directory"),
                "in.ndjson: is a directory",
            ),
            (
                Error::Unsendable {
                    call_type: "alias".into(),
                    reason: "'userId' is required for an alias call".into(),
                },
                "cannot send this alias call: 'userId' is required for an alias call",
            ),
        ];
        for (err, text) in cases {
            assert_eq!(err.to_string(), text);
            assert_eq!(err.exit_code(), ExitCode::Usage, "{text}");
        }
    }
}
