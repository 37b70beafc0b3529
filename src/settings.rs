//! Flags > environment > config profile > built-in defaults, resolved once into
//! an immutable `Settings`. Nothing else in cio reads the environment.

use std::path::PathBuf;
use std::time::Duration;

use reqwest::Url;

use crate::cli::GlobalArgs;
use crate::config::{self, ConfigFile, Profile, DEFAULT_PROFILE};
use crate::error::{Error, Result};
use crate::proxy::{ProxySettings, Sourced};
use crate::region::{Region, US_ENDPOINT};
use crate::secret::WriteKey;
use crate::tls::TrustSettings;

const DEFAULT_TIMEOUT_SECS: f64 = 10.0;
const DEFAULT_RETRIES: u32 = 5;
/// 64 MiB: thousands of the largest calls, about a hundred thousand typical ones.
pub const DEFAULT_SPOOL_MAX_BYTES: u64 = 64 * 1024 * 1024;

/// How settings read the environment: the process's in `main`, a map in tests.
pub type EnvLookup<'a> = &'a dyn Fn(&str) -> Option<String>;

#[derive(Debug, Clone)]
pub struct Settings {
    pub write_key: Option<WriteKey>,
    /// Where the key came from, for messages (never the key): `--write-key`,
    /// `CIO_WRITE_KEY` or `profile 'prod' in PATH`.
    pub key_source: Option<String>,
    /// Base URL as configured; checked by [`Settings::endpoint_url`] only when sending.
    pub endpoint: String,
    /// Where the endpoint came from, as for the key.
    pub endpoint_source: String,
    pub allow_insecure_http: bool,
    pub timeout: Duration,
    pub retries: u32,
    /// Identity defaults from the environment or the profile (not from flags).
    pub user_id: Option<String>,
    pub anonymous_id: Option<String>,
    pub profile_name: String,
    pub config_path: PathBuf,
    /// Keep undeliverable single calls in the spool.
    pub spool: bool,
    /// The spool's root (one directory per destination below it); None when
    /// the platform has no state directory and none was given.
    pub spool_dir: Option<PathBuf>,
    pub spool_max_bytes: u64,
    /// Certificate authorities to trust for HTTPS.
    pub trust: TrustSettings,
    /// What may pick a proxy; the choice is made per endpoint by `proxy.rs`.
    pub proxy: ProxySettings,
}

/// Where the config file is, and whether the user named it (then it must exist).
pub fn config_location(global: &GlobalArgs, env: EnvLookup) -> Result<(PathBuf, bool)> {
    if let Some(path) = &global.config {
        return Ok((path.clone(), true));
    }
    if let Some(path) = env("CIO_CONFIG").filter(|p| !p.is_empty()) {
        return Ok((PathBuf::from(path), true));
    }
    config::default_path().map(|p| (p, false)).ok_or_else(|| {
        Error::usage("cannot find a config directory: set CIO_CONFIG or pass --config")
    })
}

/// The profile that flags, environment and the file select.
pub fn profile_name(global: &GlobalArgs, env: EnvLookup, file: &ConfigFile) -> String {
    global
        .profile
        .clone()
        .or_else(|| env("CIO_PROFILE").filter(|p| !p.is_empty()))
        .or_else(|| file.default_profile.clone())
        .unwrap_or_else(|| DEFAULT_PROFILE.to_string())
}

impl Settings {
    pub fn resolve(
        global: &GlobalArgs,
        env: EnvLookup,
        file: &ConfigFile,
        config_path: PathBuf,
    ) -> Result<Settings> {
        let env_var = |name: &str| env(name).filter(|v| !v.trim().is_empty());
        let profile_name = profile_name(global, env, file);
        let profile = match file.profiles.get(&profile_name) {
            Some(p) => p.clone(),
            // The implicit default profile may be absent; a named one must exist.
            None if profile_name == DEFAULT_PROFILE && global.profile.is_none() => {
                Profile::default()
            }
            None => {
                let known: Vec<&str> = file.profiles.keys().map(String::as_str).collect();
                return Err(Error::usage(format!(
                    "profile '{profile_name}' not found in {} (profiles: {})",
                    config_path.display(),
                    if known.is_empty() {
                        "none".to_string()
                    } else {
                        known.join(", ")
                    }
                )));
            }
        };

        let in_profile = format!("profile '{profile_name}' in {}", config_path.display());
        let (write_key, key_source) = global
            .write_key
            .as_deref()
            .and_then(WriteKey::new)
            .map(from("--write-key"))
            .or_else(|| {
                env_var("CIO_WRITE_KEY")
                    .as_deref()
                    .and_then(WriteKey::new)
                    .map(from("CIO_WRITE_KEY"))
            })
            .or_else(|| {
                profile
                    .write_key
                    .as_deref()
                    .and_then(WriteKey::new)
                    .map(from(&in_profile))
            })
            .unzip();

        let env_region =
            match env_var("CIO_REGION") {
                Some(r) => Some(Region::parse(&r).ok_or_else(|| {
                    Error::invalid_text("CIO_REGION", config::REGION_EXPECTED, &r)
                })?),
                None => None,
            };
        // At each level an endpoint beats a region; a higher level beats both.
        let (endpoint, endpoint_source) = global
            .endpoint
            .clone()
            .map(from("--endpoint"))
            .or_else(|| {
                global
                    .region
                    .map(|r| r.endpoint().to_string())
                    .map(from("--region"))
            })
            .or_else(|| env_var("CIO_ENDPOINT").map(from("CIO_ENDPOINT")))
            .or_else(|| {
                env_region
                    .map(|r| r.endpoint().to_string())
                    .map(from("CIO_REGION"))
            })
            .or_else(|| profile.endpoint.clone().map(from(&in_profile)))
            .or_else(|| {
                profile
                    .region
                    .map(|r| r.endpoint().to_string())
                    .map(from(&in_profile))
            })
            .unwrap_or_else(|| (US_ENDPOINT.to_string(), "the default (region us)".into()));

        let timeout = match global.timeout {
            Some(t) => Some(check_timeout(t, "--timeout")?),
            None => match env_var("CIO_TIMEOUT") {
                Some(t) => Some(config::parse_timeout(&t).ok_or_else(|| {
                    Error::invalid_text("CIO_TIMEOUT", config::TIMEOUT_EXPECTED, &t)
                })?),
                None => profile.timeout,
            },
        }
        .unwrap_or(DEFAULT_TIMEOUT_SECS);

        let retries = match global.retries {
            Some(r) => r,
            None => match env_var("CIO_RETRIES") {
                Some(r) => r.trim().parse().map_err(|_| {
                    Error::invalid_text("CIO_RETRIES", config::RETRIES_EXPECTED, &r)
                })?,
                None => profile.retries.unwrap_or(DEFAULT_RETRIES),
            },
        };

        let spool = global.spool
            || match env_var("CIO_SPOOL") {
                Some(v) => config::parse_bool(&v)
                    .ok_or_else(|| Error::invalid_text("CIO_SPOOL", config::BOOL_EXPECTED, &v))?,
                None => profile.spool.unwrap_or(false),
            };
        let spool_dir = global
            .spool_dir
            .clone()
            .or_else(|| env_var("CIO_SPOOL_DIR").map(PathBuf::from))
            .or_else(|| profile.spool_dir.as_deref().map(PathBuf::from))
            .or_else(default_spool_dir);
        let spool_max_bytes = match global.spool_max_bytes {
            Some(b) => b,
            None => match env_var("CIO_SPOOL_MAX_BYTES") {
                Some(b) => b.trim().parse().map_err(|_| {
                    Error::invalid_text("CIO_SPOOL_MAX_BYTES", config::BYTES_EXPECTED, &b)
                })?,
                None => profile.spool_max_bytes.unwrap_or(DEFAULT_SPOOL_MAX_BYTES),
            },
        };
        let from_profile = |key: &str| format!("profile '{profile_name}' {key}");
        let ca_cert = match (&global.ca_cert, env_var("CIO_CA_CERT"), &profile.ca_cert) {
            (Some(path), _, _) => Some((path.clone(), "--ca-cert".to_string())),
            (None, Some(path), _) => Some((PathBuf::from(path), "CIO_CA_CERT".to_string())),
            // A relative path in the file means beside the file, wherever cio runs from.
            (None, None, Some(path)) => Some((
                config_path
                    .parent()
                    .unwrap_or(std::path::Path::new(""))
                    .join(path),
                from_profile("ca_cert"),
            )),
            (None, None, None) => None,
        };
        let trust = TrustSettings {
            cert_file: env_var("SSL_CERT_FILE").map(PathBuf::from),
            cert_dirs: env_var("SSL_CERT_DIR")
                .map(|dirs| {
                    std::env::split_paths(&dirs)
                        .filter(|d| !d.as_os_str().is_empty())
                        .collect()
                })
                .unwrap_or_default(),
            ca_cert,
        };
        // curl's reading: lower case first; an empty variable is no variable.
        let proxy_var = |name: &str| {
            let lower = name.to_ascii_lowercase();
            env_var(&lower)
                .map(|v| Sourced::new(v, lower))
                .or_else(|| env_var(name).map(|v| Sourced::new(v, name)))
        };
        let proxy = ProxySettings {
            flag: global
                .proxy
                .as_ref()
                .map(|p| Sourced::new(p.clone(), "--proxy")),
            https: proxy_var("HTTPS_PROXY"),
            http: proxy_var("HTTP_PROXY"),
            all: proxy_var("ALL_PROXY"),
            profile: profile
                .proxy
                .as_ref()
                .map(|p| Sourced::new(p.clone(), from_profile("proxy"))),
            no_proxy: proxy_var("NO_PROXY"),
        };

        Ok(Settings {
            write_key,
            key_source,
            endpoint,
            endpoint_source,
            allow_insecure_http: global.allow_insecure_http,
            timeout: Duration::from_secs_f64(timeout),
            retries,
            user_id: env_var("CIO_USER_ID").or(profile.user_id.clone()),
            anonymous_id: env_var("CIO_ANONYMOUS_ID").or(profile.anonymous_id.clone()),
            profile_name,
            config_path,
            spool,
            spool_dir,
            spool_max_bytes,
            trust,
            proxy,
        })
    }

    /// The key, or the authentication error that tells how to configure one.
    pub fn require_write_key(&self) -> Result<&WriteKey> {
        self.write_key.as_ref().ok_or_else(|| {
            Error::Auth(
                "no write key: run `cio config init` (asks for it), or set CIO_WRITE_KEY".into(),
            )
        })
    }

    /// The endpoint as a URL without a trailing slash, refusing plain HTTP to
    /// anything but loopback unless the user allowed it: the key would travel in clear.
    pub fn endpoint_url(&self) -> Result<String> {
        // The URL parser drops a newline or a tab inside a URL and encodes a
        // space: `http://host/v1\nHost: x` would become a path. Refused instead.
        if self
            .endpoint
            .trim()
            .contains(|c: char| c.is_whitespace() || c.is_control())
        {
            return Err(Error::usage(format!(
                "endpoint {:?} (from {}) holds whitespace or a control character, which a URL cannot: give the whole base URL, like {US_ENDPOINT}",
                self.endpoint, self.endpoint_source
            )));
        }
        if let Some(meant) = with_scheme(self.endpoint.trim()) {
            return Err(Error::usage(format!(
                "endpoint '{}' (from {}) has no scheme: try --endpoint {meant}",
                self.endpoint, self.endpoint_source
            )));
        }
        let url = Url::parse(self.endpoint.trim()).map_err(|e| {
            Error::usage(format!(
                "endpoint '{}' (from {}) is not a URL ({e}): give the whole base URL, like {US_ENDPOINT}",
                self.endpoint, self.endpoint_source
            ))
        })?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err(Error::usage(
                "endpoint: credentials in the URL are not allowed; use the write key",
            ));
        }
        match url.scheme() {
            "https" => {}
            "http" if is_loopback(&url) || self.allow_insecure_http => {}
            "http" => {
                return Err(Error::usage(format!(
                    "endpoint '{url}': refusing plain http to a non-loopback host, the write key would travel in clear; use https or pass --allow-insecure-http"
                )))
            }
            other => return Err(Error::usage(format!("endpoint '{url}': unsupported scheme '{other}'"))),
        }
        Ok(url.as_str().trim_end_matches('/').to_string())
    }
}

/// `$XDG_STATE_HOME/cio/spool` (`~/.local/state/cio/spool`) on Linux; the
/// local data directory where the platform has no state directory.
fn default_spool_dir() -> Option<PathBuf> {
    dirs::state_dir()
        .or_else(dirs::data_local_dir)
        .map(|d| d.join("cio").join("spool"))
}

/// Pairs a value with the name of where it came from.
fn from<T>(source: &str) -> impl Fn(T) -> (T, String) + '_ {
    move |value| (value, source.to_string())
}

fn check_timeout(t: f64, flag: &str) -> Result<f64> {
    if config::valid_timeout(t) {
        Ok(t)
    } else {
        Err(Error::invalid(flag, config::TIMEOUT_EXPECTED, t))
    }
}

/// `localhost`, 127.0.0.0/8 or `[::1]`. The parsed URL has already normalised
/// the host (lower case, IPv4 in dotted form, IPv6 in brackets).
/// An endpoint written without its scheme (`localhost:8765/v1`,
/// `cdp.customer.io/v1`) as the URL it most likely means: http to loopback
/// (where cio allows it), https elsewhere. `None` when it has a scheme, or
/// does not look like a host.
fn with_scheme(endpoint: &str) -> Option<String> {
    if endpoint.contains("://") {
        return None;
    }
    let host = match endpoint.strip_prefix('[') {
        Some(v6) => v6.split(']').next()?,
        None => endpoint.split(['/', ':']).next()?,
    };
    if !(host.contains(['.', ':']) || host.eq_ignore_ascii_case("localhost")) {
        return None;
    }
    let https = Url::parse(&format!("https://{endpoint}")).ok()?;
    let scheme = if is_loopback(&https) { "http" } else { "https" };
    Some(format!("{scheme}://{endpoint}"))
}

pub fn is_loopback(url: &Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    match bare.parse::<std::net::IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => host.eq_ignore_ascii_case("localhost"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::region::EU_ENDPOINT;
    use std::collections::HashMap;

    fn resolve(global: &GlobalArgs, env: &[(&str, &str)], toml: &str) -> Result<Settings> {
        let vars: HashMap<String, String> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let lookup = move |k: &str| vars.get(k).cloned();
        let file = config::parse(toml).unwrap();
        Settings::resolve(global, &lookup, &file, PathBuf::from("/x/config.toml"))
    }

    const FILE: &str = "default_profile = \"p\"\n[profiles.p]\nwrite_key = \"from-profile\"\nendpoint = \"http://127.0.0.1:9/v1\"\nuser_id = \"profile-user\"\ntimeout = 3\n[profiles.q]\nregion = \"eu\"\n";

    #[test]
    fn flag_beats_env_beats_profile_beats_default() {
        let s = resolve(&GlobalArgs::default(), &[], FILE).unwrap();
        assert_eq!(s.write_key.unwrap().expose(), "from-profile");
        assert_eq!(s.endpoint, "http://127.0.0.1:9/v1");
        assert_eq!(s.timeout, Duration::from_secs(3));
        assert_eq!(s.user_id.as_deref(), Some("profile-user"));

        let env = [
            ("CIO_WRITE_KEY", "from-env"),
            ("CIO_ENDPOINT", "https://env/v1"),
            ("CIO_USER_ID", "env-user"),
        ];
        let s = resolve(&GlobalArgs::default(), &env, FILE).unwrap();
        assert_eq!(s.write_key.unwrap().expose(), "from-env");
        assert_eq!(s.endpoint, "https://env/v1");
        assert_eq!(s.user_id.as_deref(), Some("env-user"));

        let flags = GlobalArgs {
            write_key: Some("from-flag".into()),
            region: Some(Region::Eu),
            timeout: Some(1.5),
            ..GlobalArgs::default()
        };
        let s = resolve(&flags, &env, FILE).unwrap();
        assert_eq!(s.write_key.unwrap().expose(), "from-flag");
        assert_eq!(s.endpoint, EU_ENDPOINT);
        assert_eq!(s.timeout, Duration::from_millis(1500));

        let s = resolve(&GlobalArgs::default(), &[], "").unwrap();
        assert!(s.write_key.is_none());
        assert_eq!(s.endpoint, US_ENDPOINT);
        assert_eq!(s.retries, DEFAULT_RETRIES);
    }

    #[test]
    fn spool_settings_follow_the_same_precedence() {
        let profile =
            "[profiles.default]\nspool = true\nspool_dir = \"/p\"\nspool_max_bytes = 10\n";
        let s = resolve(&GlobalArgs::default(), &[], "").unwrap();
        assert!(!s.spool);
        assert_eq!(s.spool_max_bytes, DEFAULT_SPOOL_MAX_BYTES);
        let s = resolve(&GlobalArgs::default(), &[], profile).unwrap();
        assert!(s.spool);
        assert_eq!(s.spool_dir, Some(PathBuf::from("/p")));
        assert_eq!(s.spool_max_bytes, 10);
        let env = [
            ("CIO_SPOOL", "0"),
            ("CIO_SPOOL_DIR", "/e"),
            ("CIO_SPOOL_MAX_BYTES", "20"),
        ];
        let s = resolve(&GlobalArgs::default(), &env, profile).unwrap();
        assert!(!s.spool);
        assert_eq!(s.spool_dir, Some(PathBuf::from("/e")));
        assert_eq!(s.spool_max_bytes, 20);
        let flags = GlobalArgs {
            spool: true,
            spool_dir: Some("/f".into()),
            spool_max_bytes: Some(30),
            ..GlobalArgs::default()
        };
        let s = resolve(&flags, &env, profile).unwrap();
        assert!(s.spool);
        assert_eq!(s.spool_dir, Some(PathBuf::from("/f")));
        assert_eq!(s.spool_max_bytes, 30);
        let err = resolve(&GlobalArgs::default(), &[("CIO_SPOOL", "maybe")], "").unwrap_err();
        assert_eq!(
            err.to_string(),
            "CIO_SPOOL: expected true or false, found 'maybe'"
        );
    }

    #[test]
    fn sources_are_named_never_the_key() {
        let s = resolve(&GlobalArgs::default(), &[], FILE).unwrap();
        assert_eq!(
            s.key_source.as_deref(),
            Some("profile 'p' in /x/config.toml")
        );
        assert_eq!(s.endpoint_source, "profile 'p' in /x/config.toml");
        let s = resolve(&GlobalArgs::default(), &[("CIO_WRITE_KEY", "k")], "").unwrap();
        assert_eq!(s.key_source.as_deref(), Some("CIO_WRITE_KEY"));
        assert_eq!(s.endpoint_source, "the default (region us)");
        let flags = GlobalArgs {
            write_key: Some("k".into()),
            endpoint: Some("notaurl".into()),
            ..GlobalArgs::default()
        };
        let s = resolve(&flags, &[("CIO_WRITE_KEY", "k2")], "").unwrap();
        assert_eq!(s.key_source.as_deref(), Some("--write-key"));
        assert_eq!(
            s.endpoint_url().unwrap_err().to_string(),
            "endpoint 'notaurl' (from --endpoint) is not a URL (relative URL without a base): give the whole base URL, like https://cdp.customer.io/v1"
        );
    }

    #[test]
    fn debug_of_settings_hides_the_key() {
        let s = resolve(
            &GlobalArgs::default(),
            &[("CIO_WRITE_KEY", "very-secret-key-123")],
            "",
        )
        .unwrap();
        let shown = format!("{s:?}");
        assert!(!shown.contains("very-secret"), "{shown}");
        assert!(shown.contains("WriteKey(REDACTED)"));
    }

    #[test]
    fn profile_selection() {
        let s = resolve(&GlobalArgs::default(), &[("CIO_PROFILE", "q")], FILE).unwrap();
        assert_eq!(s.profile_name, "q");
        assert_eq!(s.endpoint, EU_ENDPOINT);
        let missing = GlobalArgs {
            profile: Some("nope".into()),
            ..GlobalArgs::default()
        };
        let err = resolve(&missing, &[], FILE).unwrap_err().to_string();
        assert_eq!(
            err,
            "profile 'nope' not found in /x/config.toml (profiles: p, q)"
        );
    }

    #[test]
    fn ca_cert_and_proxy_resolve_like_the_rest() {
        let file =
            "[profiles.default]\nca_cert = \"corp.pem\"\nproxy = \"http://u:pw@profile:3128\"\n";
        let s = resolve(&GlobalArgs::default(), &[], file).unwrap();
        let (path, from) = s.trust.ca_cert.unwrap();
        assert_eq!(path, PathBuf::from("/x/corp.pem"), "beside the config file");
        assert_eq!(from, "profile 'default' ca_cert");
        assert_eq!(s.proxy.profile.unwrap().from, "profile 'default' proxy");

        let env = [
            ("CIO_CA_CERT", "/env.pem"),
            ("HTTPS_PROXY", "http://upper:1"),
            ("https_proxy", "http://lower:1"),
            ("NO_PROXY", "a.example"),
            ("SSL_CERT_FILE", "/bundle.pem"),
            ("SSL_CERT_DIR", "/d1:/d2"),
            ("ALL_PROXY", " "),
        ];
        let s = resolve(&GlobalArgs::default(), &env, file).unwrap();
        assert_eq!(s.trust.ca_cert.unwrap().1, "CIO_CA_CERT");
        assert_eq!(s.trust.cert_file, Some(PathBuf::from("/bundle.pem")));
        assert_eq!(
            s.trust.cert_dirs,
            [PathBuf::from("/d1"), PathBuf::from("/d2")]
        );
        assert_eq!(
            s.proxy.https.as_ref().unwrap().from,
            "https_proxy",
            "lower case first"
        );
        assert_eq!(s.proxy.no_proxy.as_ref().unwrap().value, "a.example");
        assert!(s.proxy.all.is_none(), "a blank variable is no variable");
        let shown = format!("{:?}", s.proxy);
        assert!(!shown.contains("pw"), "{shown}");

        let flags = GlobalArgs {
            ca_cert: Some(PathBuf::from("flag.pem")),
            proxy: Some(String::new()),
            ..GlobalArgs::default()
        };
        let s = resolve(&flags, &env, file).unwrap();
        assert_eq!(
            s.trust.ca_cert.unwrap(),
            (PathBuf::from("flag.pem"), "--ca-cert".to_string())
        );
        assert_eq!(s.proxy.flag.unwrap().value, "");
    }

    #[test]
    fn loopback_hosts() {
        let on = |u: &str| is_loopback(&Url::parse(u).unwrap());
        assert!(on("http://localhost:8080/v1"));
        assert!(on("http://LOCALHOST/"));
        assert!(on("http://127.0.0.1/"));
        assert!(on("http://127.1.2.3/"));
        assert!(on("http://[::1]:9000/"));
        assert!(!on("http://localhost.example.com/"));
        assert!(!on("http://10.0.0.1/"));
        assert!(!on("http://[::2]/"));
        assert!(!on("http://127.0.0.1.example.com/"));
    }

    #[test]
    fn plain_http_only_to_loopback_unless_allowed() {
        let at = |endpoint: &str, allow: bool| {
            let g = GlobalArgs {
                endpoint: Some(endpoint.into()),
                allow_insecure_http: allow,
                ..GlobalArgs::default()
            };
            resolve(&g, &[], "").unwrap().endpoint_url()
        };
        assert_eq!(
            at("http://127.0.0.1:8080/v1/", false).unwrap(),
            "http://127.0.0.1:8080/v1"
        );
        assert!(at("http://localhost/v1", false).is_ok());
        assert!(at("http://[::1]:9/v1", false).is_ok());
        assert!(at("https://cdp.customer.io/v1", false).is_ok());
        let err = at("http://example.com/v1", false).unwrap_err();
        assert!(err.to_string().contains("--allow-insecure-http"), "{err}");
        assert!(at("http://example.com/v1", true).is_ok());
        assert!(at("ftp://example.com", true).is_err());
        assert!(at("https://user:pw@example.com", false).is_err());
    }
}
