//! The TOML config file: where it lives, its profiles, and writing it safely.
//!
//! ```toml
//! default_profile = "prod"
//! [profiles.prod]
//! write_key = "..."
//! region = "eu"
//! ```
//! Reading never writes. Writing goes to a temporary file created 0600 in a
//! 0700 directory, synced, then renamed over the old file; changes are
//! read-modify-write under a lock file, so concurrent writers all land.

use std::collections::BTreeMap;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{describe_io, Error, Result};
use crate::files;
use crate::region::Region;

pub const DEFAULT_PROFILE: &str = "default";

#[derive(Debug, Default, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_profile: Option<String>,
    #[serde(default)]
    pub profiles: BTreeMap<String, Profile>,
}

/// One `[profiles.NAME]` table. Every field is optional; flags and the environment win.
#[derive(Default, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub write_key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<Region>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub anonymous_id: Option<String>,
    /// Seconds per HTTP attempt; checked while parsing, so a bad value is an
    /// error at its line and column like any other (not a panic later).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "checked_timeout"
    )]
    pub timeout: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retries: Option<u32>,
    /// Keep single calls that cannot be delivered in the spool.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spool: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spool_dir: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spool_max_bytes: Option<u64>,
    /// A PEM bundle of extra certificate authorities; relative to the config file's directory.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ca_cert: Option<String>,
    /// The proxy when the environment names none (`http://user:pass@host:port`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proxy: Option<String>,
}

// Written by hand so that `{:?}` of a profile can never show the key.
impl std::fmt::Debug for Profile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Profile")
            .field("write_key", &self.write_key.as_ref().map(|_| "REDACTED"))
            .field("region", &self.region)
            .field("endpoint", &self.endpoint)
            .field("user_id", &self.user_id)
            .field("anonymous_id", &self.anonymous_id)
            .field("timeout", &self.timeout)
            .field("retries", &self.retries)
            .field("spool", &self.spool)
            .field("spool_dir", &self.spool_dir)
            .field("spool_max_bytes", &self.spool_max_bytes)
            .field("ca_cert", &self.ca_cert)
            .field(
                "proxy",
                &self.proxy.as_deref().map(crate::proxy::redact_raw),
            )
            .finish()
    }
}

/// The keys `cio config set/get/unset` accept, in the order `list` shows them.
pub const PROFILE_KEYS: [&str; 12] = [
    "write_key",
    "region",
    "endpoint",
    "user_id",
    "anonymous_id",
    "timeout",
    "retries",
    "spool",
    "spool_dir",
    "spool_max_bytes",
    "ca_cert",
    "proxy",
];

impl Profile {
    /// The value of `key` as text (the raw key for write_key: callers mask it).
    pub fn get(&self, key: &str) -> Result<Option<String>> {
        Ok(match key {
            "write_key" => self.write_key.clone(),
            "region" => self.region.map(|r| r.name().to_string()),
            "endpoint" => self.endpoint.clone(),
            "user_id" => self.user_id.clone(),
            "anonymous_id" => self.anonymous_id.clone(),
            "timeout" => self.timeout.map(|t| t.to_string()),
            "retries" => self.retries.map(|r| r.to_string()),
            "spool" => self.spool.map(|s| s.to_string()),
            "spool_dir" => self.spool_dir.clone(),
            "spool_max_bytes" => self.spool_max_bytes.map(|b| b.to_string()),
            "ca_cert" => self.ca_cert.clone(),
            "proxy" => self.proxy.clone(),
            _ => return Err(unknown_key(key)),
        })
    }

    /// Sets (`Some`) or removes (`None`) a value, checking its form.
    pub fn set(&mut self, key: &str, value: Option<&str>) -> Result<()> {
        let bad = |expected: &str, v: &str| Error::invalid_text(key, expected, v);
        match key {
            "write_key" => self.write_key = value.map(str::to_string),
            "region" => {
                self.region = value
                    .map(|v| Region::parse(v).ok_or_else(|| bad(REGION_EXPECTED, v)))
                    .transpose()?
            }
            "endpoint" => self.endpoint = value.map(str::to_string),
            "user_id" => self.user_id = value.map(str::to_string),
            "anonymous_id" => self.anonymous_id = value.map(str::to_string),
            "timeout" => {
                self.timeout = value
                    .map(|v| parse_timeout(v).ok_or_else(|| bad(TIMEOUT_EXPECTED, v)))
                    .transpose()?
            }
            "retries" => {
                self.retries = value
                    .map(|v| v.parse().map_err(|_| bad(RETRIES_EXPECTED, v)))
                    .transpose()?
            }
            "spool" => {
                self.spool = value
                    .map(|v| parse_bool(v).ok_or_else(|| bad(BOOL_EXPECTED, v)))
                    .transpose()?
            }
            "spool_dir" => self.spool_dir = value.map(str::to_string),
            "spool_max_bytes" => {
                self.spool_max_bytes = value
                    .map(|v| v.trim().parse().map_err(|_| bad(BYTES_EXPECTED, v)))
                    .transpose()?
            }
            "ca_cert" => self.ca_cert = value.map(str::to_string),
            "proxy" => self.proxy = value.map(str::to_string),
            _ => return Err(unknown_key(key)),
        }
        Ok(())
    }
}

fn unknown_key(key: &str) -> Error {
    Error::usage(format!(
        "unknown config key '{key}' (known: {}, default_profile)",
        PROFILE_KEYS.join(", ")
    ))
}

/// `true`/`false` as people write them in settings: also 1/0, yes/no, on/off.
pub fn parse_bool(text: &str) -> Option<bool> {
    match text.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Some(true),
        "false" | "0" | "no" | "off" | "" => Some(false),
        _ => None,
    }
}

/// A timeout as text (environment, `cio config set`): seconds, checked by [`valid_timeout`].
pub fn parse_timeout(text: &str) -> Option<f64> {
    text.trim()
        .parse::<f64>()
        .ok()
        .filter(|t| valid_timeout(*t))
}

/// The one rule for a timeout, whatever its source: seconds > 0 and at most an
/// hour (`Duration::from_secs_f64` panics on negative or infinite values).
pub fn valid_timeout(seconds: f64) -> bool {
    seconds.is_finite() && seconds > 0.0 && seconds <= 3600.0
}

/// What a value must be, in the words of every message about it (flag,
/// environment, file, `cio config set`); see `Error::Invalid`.
pub const TIMEOUT_EXPECTED: &str = "seconds > 0 and at most 3600";
pub const REGION_EXPECTED: &str = "us or eu";
pub const RETRIES_EXPECTED: &str = "a whole number";
pub const BOOL_EXPECTED: &str = "true or false";
pub const BYTES_EXPECTED: &str = "a number of bytes";

fn checked_timeout<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> std::result::Result<Option<f64>, D::Error> {
    let seconds = f64::deserialize(deserializer)?;
    if valid_timeout(seconds) {
        Ok(Some(seconds))
    } else {
        Err(serde::de::Error::custom(Error::invalid(
            "timeout",
            TIMEOUT_EXPECTED,
            seconds,
        )))
    }
}

/// `$XDG_CONFIG_HOME/cio/config.toml` on Linux, the platform's config dir elsewhere.
pub fn default_path() -> Option<PathBuf> {
    dirs::config_dir().map(|dir| dir.join("cio").join("config.toml"))
}

/// The profile names of the config file, for shell completion of `--profile`
/// (the file named by CIO_CONFIG, or the default one). Silent on any error: a
/// completion has no place to report it.
pub fn profile_candidates() -> Vec<clap_complete::CompletionCandidate> {
    let path = std::env::var_os("CIO_CONFIG")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .or_else(default_path);
    let Some(Ok(loaded)) = path.map(|p| load(&p)) else {
        return Vec::new();
    };
    loaded
        .file
        .profiles
        .keys()
        .map(clap_complete::CompletionCandidate::new)
        .collect()
}

/// What reading the file found, plus a warning to show when it is readable by others.
pub struct Loaded {
    pub file: ConfigFile,
    pub exists: bool,
    pub warning: Option<String>,
}

/// The largest config file read: a config of profiles is a few KB, and
/// CIO_CONFIG=/dev/urandom must not fill the memory.
pub const MAX_CONFIG_BYTES: u64 = 1_000_000;

/// Reads and parses the file. A missing file is an empty config.
pub fn load(path: &Path) -> Result<Loaded> {
    let Some(text) = read_text(path)? else {
        return Ok(Loaded {
            file: ConfigFile::default(),
            exists: false,
            warning: None,
        });
    };
    let file = parse(&text).map_err(|msg| Error::usage(format!("{}:{msg}", path.display())))?;
    Ok(Loaded {
        file,
        exists: true,
        warning: permission_warning(path),
    })
}

/// The file's text, None when there is no file. Only a regular file (or a
/// link to one) of at most `MAX_CONFIG_BYTES` is read: a FIFO would block
/// and a device never end.
fn read_text(path: &Path) -> Result<Option<String>> {
    let unreadable = |e: &std::io::Error| {
        Error::file(
            path.display(),
            format_args!("cannot read config file: {}", describe_io(e)),
        )
    };
    // stat, not open: opening a FIFO with no writer waits forever.
    let meta = match fs::metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(unreadable(&e)),
    };
    if meta.is_dir() {
        return Err(Error::file(
            path.display(),
            "cannot read config file: is a directory",
        ));
    }
    if !meta.is_file() {
        return Err(Error::file(
            path.display(),
            "the config file must be a regular file, not a FIFO, a device or a socket",
        ));
    }
    let too_large = || {
        Error::file(
            path.display(),
            format_args!("config file is larger than {MAX_CONFIG_BYTES} bytes"),
        )
    };
    if meta.len() > MAX_CONFIG_BYTES {
        return Err(too_large());
    }
    let mut bytes = Vec::new();
    fs::File::open(path)
        .and_then(|f| f.take(MAX_CONFIG_BYTES + 1).read_to_end(&mut bytes))
        .map_err(|e| unreadable(&e))?;
    if bytes.len() as u64 > MAX_CONFIG_BYTES {
        return Err(too_large());
    }
    String::from_utf8(bytes)
        .map(Some)
        .map_err(|_| Error::file(path.display(), "config file is not valid UTF-8"))
}

/// Parses TOML text; the error is `LINE:COL: message` on one line.
pub fn parse(text: &str) -> std::result::Result<ConfigFile, String> {
    toml::from_str::<ConfigFile>(text).map_err(|e| {
        let (line, col) = e
            .span()
            .map(|span| line_col(text, span.start))
            .unwrap_or((1, 1));
        let message = e.message().split_whitespace().collect::<Vec<_>>().join(" ");
        format!("{line}:{col}: invalid config: {message}")
    })
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

#[cfg(unix)]
fn permission_warning(path: &Path) -> Option<String> {
    use std::os::unix::fs::PermissionsExt;
    let mode = fs::metadata(path).ok()?.permissions().mode() & 0o777;
    (mode & 0o077 != 0).then(|| {
        format!(
            "warning: {} is accessible by other users (mode {mode:03o}); it may hold a write key: run chmod 600 {}",
            path.display(),
            path.display()
        )
    })
}

#[cfg(not(unix))]
fn permission_warning(_path: &Path) -> Option<String> {
    None
}

/// Creates `path` (and its directory) readable by the owner only, atomically.
pub fn write_private(path: &Path, contents: &[u8]) -> Result<()> {
    files::write_atomic(path, contents)
        .map_err(|e| Error::io(format!("cannot write {}", path.display()), &e))
}

/// The lock beside the config file that serialises every change to it (and
/// the creation of the generated anonymous id).
fn lock_path(config_path: &Path) -> PathBuf {
    let name = config_path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("config.toml");
    files::parent_dir(config_path).join(format!(".{name}.lock"))
}

/// Read-modify-write under the config lock: `change` sees the file as it is
/// on disk now (not as it was when this process started), so concurrent
/// `cio config set` calls all land. Returns what `change` returned.
///
/// The file stays the user's: only what `change` changed is written into it
/// (`toml_edit`, as cargo does), so comments, order and formatting stay; a
/// path that is a symbolic link is written through to its target (dotfiles
/// kept in a repository), atomically beside it.
pub fn update<T>(path: &Path, change: impl FnOnce(&mut ConfigFile) -> Result<T>) -> Result<T> {
    let _lock = files::Lock::acquire(&lock_path(path))?;
    let text = read_text(path)?.unwrap_or_default();
    let before = parse(&text).map_err(|msg| Error::usage(format!("{}:{msg}", path.display())))?;
    let mut file = before.clone();
    let out = change(&mut file)?;
    let mut doc: toml_edit::DocumentMut = text
        .parse()
        .map_err(|e| Error::usage(format!("{}: invalid config: {e}", path.display())))?;
    let as_doc = |f: &ConfigFile| {
        toml::to_string_pretty(f)
            .map_err(|e| Error::Internal(format!("config: {e}")))?
            .parse::<toml_edit::DocumentMut>()
            .map_err(|e| Error::Internal(format!("config: {e}")))
    };
    edit::apply(
        doc.as_table_mut(),
        as_doc(&before)?.as_table(),
        as_doc(&file)?.as_table(),
    );
    write_private(&link_target(path), doc.to_string().as_bytes())?;
    Ok(out)
}

/// The file a config path names: itself, or what its symbolic links lead to.
fn link_target(path: &Path) -> PathBuf {
    let mut path = path.to_path_buf();
    // A chain of links, within the kernel's own limit of 40.
    for _ in 0..40 {
        match fs::read_link(&path) {
            Ok(target) => path = files::parent_dir(&path).join(target),
            Err(_) => break,
        }
    }
    path
}

/// The anonymous id single calls fall back on when no identity is configured:
/// generated once and kept beside the config file, so calls from this machine
/// stay one (anonymous) person. Created under the config lock, so processes
/// starting together on a fresh machine all get the one id.
pub fn machine_anonymous_id(
    config_path: &Path,
    report: &crate::output::Reporter,
) -> Result<String> {
    let path = files::parent_dir(config_path).join("anonymous_id");
    let read = || {
        let text = fs::read_to_string(&path).ok()?;
        let id = text.trim();
        (!id.is_empty() && id.len() <= 100).then(|| id.to_string())
    };
    if let Some(id) = read() {
        return Ok(id);
    }
    let lock = match files::Lock::acquire(&lock_path(config_path)) {
        Ok(lock) => lock,
        Err(e) => {
            report.warn(format!("cannot keep the generated anonymous id: {e}"));
            return Ok(uuid::Uuid::new_v4().to_string());
        }
    };
    // Another process may have created it while this one waited for the lock.
    if let Some(id) = read() {
        return Ok(id);
    }
    let id = uuid::Uuid::new_v4().to_string();
    if let Err(e) = write_private(&path, id.as_bytes()) {
        report.warn(format!("cannot keep the generated anonymous id: {e}"));
    }
    drop(lock);
    Ok(id)
}

/// A change to a config file's values carried into its TOML document, the
/// rest of the document (comments, order, spacing) left as it was.
mod edit {
    use toml_edit::{Item, TableLike};

    /// Makes `doc` say what `new` says where `old` (what it said) differs.
    /// `old` and `new` are the values as cio writes them (fields in their
    /// order), so that a new key or section reads as `cio config init` would.
    pub fn apply(doc: &mut dyn TableLike, old: &dyn TableLike, new: &dyn TableLike) {
        let gone: Vec<String> = old
            .iter()
            .filter(|(k, _)| !new.contains_key(k))
            .map(|(k, _)| k.to_string())
            .collect();
        for key in gone {
            doc.remove(&key);
        }
        for (key, after) in new.iter() {
            let before = old.get(key);
            let same = |b: &Item| match (b, after) {
                (Item::Value(b), Item::Value(a)) => b.to_string() == a.to_string(),
                _ => false,
            };
            if before.is_some_and(same) {
                continue;
            }
            let existing = doc.get_mut(key);
            match (
                before.and_then(Item::as_table_like),
                after.as_table_like(),
                existing,
            ) {
                (Some(before), Some(after), Some(item)) if item.is_table_like() => {
                    if let Some(table) = item.as_table_like_mut() {
                        apply(table, before, after);
                    }
                }
                (_, None, Some(Item::Value(value))) => {
                    // In place, with the comment after it on its line.
                    if let Item::Value(fresh) = after {
                        let decor = value.decor().clone();
                        *value = fresh.clone();
                        *value.decor_mut() = decor;
                    }
                }
                _ => {
                    let mut fresh = after.clone();
                    place_last(&mut fresh);
                    if let Item::Table(table) = &mut fresh {
                        table.decor_mut().set_prefix("\n");
                    }
                    doc.insert(key, fresh);
                }
            }
        }
    }

    /// New sections go after every existing one (their positions came from
    /// the document they were written in).
    fn place_last(item: &mut Item) {
        if let Item::Table(table) = item {
            table.set_position(usize::MAX / 2);
            for (_, child) in table.iter_mut() {
                place_last(child);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_profiles() {
        let file = parse(
            "default_profile = \"eu\"\n[profiles.eu]\nwrite_key = \"k\"\nregion = \"eu\"\ntimeout = 2.5\n",
        )
        .unwrap();
        assert_eq!(file.default_profile.as_deref(), Some("eu"));
        let eu = &file.profiles["eu"];
        assert_eq!(eu.region, Some(Region::Eu));
        assert_eq!(eu.timeout, Some(2.5));
    }

    #[test]
    fn unknown_keys_and_bad_toml_are_one_line_errors_with_position() {
        let err = parse("[profiles.a]\nwrite_kee = \"x\"\n").unwrap_err();
        assert!(
            err.starts_with("2:1: invalid config: unknown field `write_kee`"),
            "{err}"
        );
        assert!(!err.contains('\n'));
        let err = parse("this is not toml").unwrap_err();
        assert!(err.starts_with("1:"), "{err}");
        assert!(!err.contains('\n'));
    }

    #[test]
    fn debug_of_profile_hides_the_key() {
        let p = Profile {
            write_key: Some("supersecret".into()),
            ..Profile::default()
        };
        assert!(!format!("{p:?}").contains("supersecret"));
    }

    #[cfg(unix)]
    #[test]
    fn save_creates_private_file_and_dir() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("nested/cio/config.toml");
        update(&path, |_| Ok(())).unwrap();
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(path.parent().unwrap()), 0o700);
    }
}
