//! Which proxy, if any, carries the requests to the endpoint, decided once per
//! run the way curl decides: `--proxy` first, then `https_proxy` / `http_proxy`
//! for the endpoint's scheme, then `all_proxy` (lower case before upper case),
//! then the profile's `proxy`; `no_proxy` names the hosts that go direct.
//!
//! The endpoint is HTTPS, so a proxy only ever sees a CONNECT to host:port and
//! an encrypted tunnel: the write key travels inside it. A plain-HTTP endpoint
//! goes direct when it is loopback (a local sink) and is refused otherwise,
//! as the proxy would get the key in clear.

use std::fmt;
use std::net::IpAddr;

use reqwest::Url;

use crate::error::{Error, Result};
use crate::settings::is_loopback;

/// A proxy setting and where it came from ("--proxy", "HTTPS_PROXY", ...).
#[derive(Clone)]
pub struct Sourced {
    pub value: String,
    pub from: String,
}

impl Sourced {
    pub fn new(value: impl Into<String>, from: impl Into<String>) -> Sourced {
        Sourced {
            value: value.into(),
            from: from.into(),
        }
    }
}

// Proxy URLs may hold a password: never show one.
impl fmt::Debug for Sourced {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} from {}", redact_raw(&self.value), self.from)
    }
}

/// Everything that may pick a proxy, as resolved by `settings.rs`.
#[derive(Debug, Clone, Default)]
pub struct ProxySettings {
    /// `--proxy URL`; an empty value means "no proxy", as `curl -x ""` does.
    pub flag: Option<Sourced>,
    pub https: Option<Sourced>,
    pub http: Option<Sourced>,
    pub all: Option<Sourced>,
    pub profile: Option<Sourced>,
    pub no_proxy: Option<Sourced>,
}

/// The outcome for one endpoint.
pub enum Route {
    Direct {
        /// Why a configured proxy is not used, for `-v`.
        bypassed: Option<String>,
    },
    Via {
        url: Url,
        from: String,
    },
}

impl Route {
    /// The line `-v` shows, or nothing when no proxy was in play.
    pub fn describe(&self) -> Option<String> {
        match self {
            Route::Direct { bypassed } => bypassed.as_ref().map(|why| format!("no proxy: {why}")),
            Route::Via { url, from } => Some(format!("proxy {} (from {from})", redact(url))),
        }
    }
}

impl ProxySettings {
    pub fn route(&self, endpoint: &Url) -> Result<Route> {
        let https = endpoint.scheme() == "https";
        let candidate = self.flag.as_ref().or_else(|| {
            let scheme = if https { &self.https } else { &self.http };
            scheme
                .as_ref()
                .or(self.all.as_ref())
                .or(self.profile.as_ref())
        });
        let Some(candidate) = candidate else {
            return Ok(Route::Direct { bypassed: None });
        };
        if candidate.value.trim().is_empty() {
            return Ok(Route::Direct {
                bypassed: Some(format!("{} is empty", candidate.from)),
            });
        }
        let host = endpoint.host_str().unwrap_or_default();
        if let Some(no_proxy) = &self.no_proxy {
            if no_proxy_matches(&no_proxy.value, endpoint) {
                return Ok(Route::Direct {
                    bypassed: Some(format!("{} matches {host}", no_proxy.from)),
                });
            }
        }
        if !https {
            // A local plain-HTTP sink goes direct; anything else would hand the key over.
            if is_loopback(endpoint) {
                return Ok(Route::Direct {
                    bypassed: Some(format!("the plain-http endpoint {host} is loopback")),
                });
            }
            return Err(Error::usage(format!(
                "endpoint '{endpoint}' is plain http and {} names a proxy: the proxy would see the write key in clear; use https, or list {host} in NO_PROXY",
                candidate.from
            )));
        }
        let url = parse_proxy(candidate)?;
        Ok(Route::Via {
            url,
            from: candidate.from.clone(),
        })
    }
}

/// A proxy URL as curl reads it: `host:port` means `http://host:port`.
fn parse_proxy(proxy: &Sourced) -> Result<Url> {
    let raw = proxy.value.trim();
    let text = if raw.contains("://") {
        raw.to_string()
    } else {
        format!("http://{raw}")
    };
    let shown = redact_raw(raw);
    let url = Url::parse(&text)
        .map_err(|e| Error::usage(format!("{} '{shown}': not a proxy URL: {e}", proxy.from)))?;
    match url.scheme() {
        "http" | "https" => {}
        "socks4" | "socks4a" | "socks5" | "socks5h" => {
            return Err(Error::usage(format!(
            "{} '{shown}': SOCKS proxies are not supported; use an HTTP proxy (http://host:port)",
            proxy.from
        )))
        }
        other => {
            return Err(Error::usage(format!(
                "{} '{shown}': unsupported proxy scheme '{other}'; use http://host:port",
                proxy.from
            )))
        }
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(Error::usage(format!(
            "{} '{shown}': no host in the proxy URL",
            proxy.from
        )));
    }
    Ok(url)
}

/// `scheme://host:port`, with `***@` standing for any credentials.
pub fn redact(url: &Url) -> String {
    let creds = !url.username().is_empty() || url.password().is_some();
    let host = url.host_str().unwrap_or_default();
    let port = url
        .port_or_known_default()
        .map(|p| format!(":{p}"))
        .unwrap_or_default();
    format!(
        "{}://{}{host}{port}",
        url.scheme(),
        if creds { "***@" } else { "" }
    )
}

/// The same for text that may not parse: everything before the last `@` of the authority goes.
pub fn redact_raw(raw: &str) -> String {
    let (scheme, rest) = match raw.find("://") {
        Some(i) => raw.split_at(i + 3),
        None => ("", raw),
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{scheme}***{}", &rest[at..]),
        None => raw.to_string(),
    }
}

/// curl's `no_proxy`: comma-separated names, each matching itself and its
/// subdomains (a leading dot is optional), IP addresses and CIDR ranges, `*` for all.
pub fn no_proxy_matches(list: &str, endpoint: &Url) -> bool {
    let host = endpoint.host_str().unwrap_or_default();
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let host_ip: Option<IpAddr> = host.parse().ok();
    list.split(',')
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .any(|entry| {
            if entry == "*" {
                return true;
            }
            if let Some((net, bits)) = entry.split_once('/') {
                let (Ok(net), Ok(bits), Some(ip)) =
                    (net.parse::<IpAddr>(), bits.parse::<u32>(), host_ip)
                else {
                    return false;
                };
                return in_cidr(ip, net, bits);
            }
            let bare = entry.trim_start_matches('[');
            let bare = match bare.split_once(']') {
                Some((ipv6, _)) => ipv6,
                // A port after a name or an IPv4 address is not compared, as in curl.
                None if bare.matches(':').count() == 1 => bare.split(':').next().unwrap_or(bare),
                None => bare,
            };
            if let (Ok(ip), Some(host_ip)) = (bare.parse::<IpAddr>(), host_ip) {
                return ip == host_ip;
            }
            let name = bare.trim_start_matches('.').trim_end_matches('.');
            let host = host.trim_end_matches('.');
            !name.is_empty()
                && (host.eq_ignore_ascii_case(name)
                    || (host.len() > name.len()
                        && host[host.len() - name.len()..].eq_ignore_ascii_case(name)
                        && host.as_bytes()[host.len() - name.len() - 1] == b'.'))
        })
}

fn in_cidr(ip: IpAddr, net: IpAddr, bits: u32) -> bool {
    match (ip, net) {
        (IpAddr::V4(ip), IpAddr::V4(net)) if bits <= 32 => {
            let mask = u32::MAX.checked_shl(32 - bits).unwrap_or(0);
            u32::from(ip) & mask == u32::from(net) & mask
        }
        (IpAddr::V6(ip), IpAddr::V6(net)) if bits <= 128 => {
            let mask = u128::MAX.checked_shl(128 - bits).unwrap_or(0);
            u128::from(ip) & mask == u128::from(net) & mask
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn no_proxy_as_curl_reads_it() {
        let api = url("https://cdp.customer.io/v1");
        for yes in [
            "*",
            "cdp.customer.io",
            "customer.io",
            ".customer.io",
            "x.org, customer.io",
            "CUSTOMER.IO",
            "customer.io:443",
        ] {
            assert!(no_proxy_matches(yes, &api), "{yes}");
        }
        for no in [
            "",
            "io.customer",
            "er.io",
            "cdp.customer.io.evil",
            "10.0.0.0/8",
        ] {
            assert!(!no_proxy_matches(no, &api), "{no}");
        }
        let ip = url("https://10.1.2.3:8443/v1");
        assert!(no_proxy_matches("10.0.0.0/8", &ip));
        assert!(no_proxy_matches("10.1.2.3", &ip));
        assert!(!no_proxy_matches("10.1.2.4,11.0.0.0/8", &ip));
        let v6 = url("https://[2001:db8::1]/v1");
        assert!(no_proxy_matches("2001:db8::/32", &v6));
        assert!(no_proxy_matches("[2001:db8::1]", &v6));
    }

    #[test]
    fn precedence_and_bypass() {
        let s = |v: &str, from: &str| Some(Sourced::new(v, from));
        let api = url("https://cdp.customer.io/v1");
        let mut p = ProxySettings {
            https: s("http://env:3128", "HTTPS_PROXY"),
            all: s("http://all:3128", "ALL_PROXY"),
            profile: s("http://profile:3128", "profile 'p' proxy"),
            ..ProxySettings::default()
        };
        let via = |p: &ProxySettings| match p.route(&api).unwrap() {
            Route::Via { url, from } => format!("{} {from}", redact(&url)),
            Route::Direct { bypassed } => format!("direct {bypassed:?}"),
        };
        assert_eq!(via(&p), "http://env:3128 HTTPS_PROXY");
        p.https = None;
        assert_eq!(via(&p), "http://all:3128 ALL_PROXY");
        p.all = None;
        assert_eq!(via(&p), "http://profile:3128 profile 'p' proxy");
        p.flag = s("u:pw@flag:8080", "--proxy");
        assert_eq!(via(&p), "http://***@flag:8080 --proxy");
        p.no_proxy = s("customer.io", "NO_PROXY");
        assert_eq!(via(&p), "direct Some(\"NO_PROXY matches cdp.customer.io\")");
        p.flag = s("", "--proxy");
        assert_eq!(via(&p), "direct Some(\"--proxy is empty\")");
    }

    #[test]
    fn bad_proxies_are_one_line_errors_without_credentials() {
        let api = url("https://cdp.customer.io/v1");
        let route = |v: &str| {
            ProxySettings {
                flag: Some(Sourced::new(v, "--proxy")),
                ..ProxySettings::default()
            }
            .route(&api)
            .err()
            .map(|e| e.to_string())
        };
        assert_eq!(
            route("socks5://user:hunter2@p:1080").unwrap(),
            "--proxy 'socks5://***@p:1080': SOCKS proxies are not supported; use an HTTP proxy (http://host:port)"
        );
        assert!(route("http://u:hunter2@[::1")
            .unwrap()
            .starts_with("--proxy 'http://***@[::1': not a proxy URL"));
        let plain = ProxySettings {
            flag: Some(Sourced::new("http://p:3128", "--proxy")),
            ..ProxySettings::default()
        };
        let err = plain
            .route(&url("http://example.com/v1"))
            .err()
            .unwrap()
            .to_string();
        assert!(
            err.contains("the proxy would see the write key in clear"),
            "{err}"
        );
        assert!(matches!(
            plain.route(&url("http://127.0.0.1:9/v1")).unwrap(),
            Route::Direct { bypassed: Some(_) }
        ));
        let shown = format!("{:?}", Sourced::new("http://u:hunter2@p:1", "X"));
        assert!(!shown.contains("hunter2"), "{shown}");
    }
}
