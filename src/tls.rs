//! Which certificate authorities cio trusts, and what a failed handshake means
//! in words a user can act on.
//!
//! Trust is the system's store (or `SSL_CERT_FILE` / `SSL_CERT_DIR` in its
//! place, as OpenSSL-based tools do), the bundled Mozilla roots only when the
//! system has none, plus any `--ca-cert` bundle. There is deliberately no way
//! to turn verification off: the requests carry a write key.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use rustls::{CertificateError, RootCertStore};

use crate::error::{describe_io, Error, Result};

/// Where the roots come from, as resolved by `settings.rs`.
#[derive(Debug, Clone, Default)]
pub struct TrustSettings {
    /// `SSL_CERT_FILE`: replaces the system store when set.
    pub cert_file: Option<PathBuf>,
    /// `SSL_CERT_DIR` (colon-separated): replaces the system store when set.
    pub cert_dirs: Vec<PathBuf>,
    /// `--ca-cert` / `CIO_CA_CERT` / the profile's `ca_cert`, and which of them it was.
    pub ca_cert: Option<(PathBuf, String)>,
}

/// A ready client configuration and a one-line account of where its roots came from.
pub struct Trust {
    pub config: rustls::ClientConfig,
    pub description: String,
}

pub fn build(trust: &TrustSettings) -> Result<Trust> {
    let mut roots = RootCertStore::empty();
    let mut parts = Vec::new();
    if trust.cert_file.is_some() || !trust.cert_dirs.is_empty() {
        let mut found = Vec::new();
        if let Some(file) = &trust.cert_file {
            found.extend(load_openssl_path("SSL_CERT_FILE", file, Some(file), None)?);
        }
        for dir in &trust.cert_dirs {
            found.extend(load_openssl_path("SSL_CERT_DIR", dir, None, Some(dir))?);
        }
        let (added, _) = roots.add_parsable_certificates(unique(found));
        parts.push(format!("{added} roots from SSL_CERT_FILE/SSL_CERT_DIR"));
    } else {
        let (added, _) = roots.add_parsable_certificates(unique(system_roots()));
        if added > 0 {
            parts.push(format!("{added} roots from the system store"));
        } else {
            roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
            parts.push(format!(
                "no system store found: {} bundled Mozilla roots",
                roots.len()
            ));
        }
    }
    if let Some((path, from)) = &trust.ca_cert {
        let n = add_bundle(&mut roots, path, from)?;
        parts.push(format!("{n} from {from} {}", path.display()));
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Internal(format!("cannot set up TLS: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Trust {
        config,
        description: parts.join(" + "),
    })
}

/// The system's roots. On Linux and the BSDs that is OpenSSL's bundle file,
/// which update-ca-certificates and update-ca-trust keep; the hashed directory
/// beside it is read only when there is no bundle, as reading its ~300 files
/// costs a call more than its TLS handshake (measured: bench/tls.sh). Elsewhere
/// it is the platform's store (keychain, Windows certificate store).
/// Unreadable files among many are the system's business: use what loads.
#[cfg(all(unix, not(target_os = "macos")))]
fn system_roots() -> Vec<CertificateDer<'static>> {
    // `probe` would honour SSL_CERT_FILE/DIR too, but those were handled already.
    let probe = openssl_probe::probe();
    if let Some(file) = &probe.cert_file {
        let found = rustls_native_certs::load_certs_from_paths(Some(file), None);
        if !found.certs.is_empty() {
            return found.certs;
        }
    }
    probe
        .cert_dir
        .iter()
        .flat_map(|dir| rustls_native_certs::load_certs_from_paths(None, Some(dir)).certs)
        .collect()
}

#[cfg(not(all(unix, not(target_os = "macos"))))]
fn system_roots() -> Vec<CertificateDer<'static>> {
    rustls_native_certs::load_native_certs().certs
}

/// The bundle file and the hashed directory of a Linux system hold the same
/// roots: parsing each once halves the start-up cost of a call.
fn unique(mut certs: Vec<CertificateDer<'static>>) -> Vec<CertificateDer<'static>> {
    certs.sort_unstable_by(|a, b| a.as_ref().cmp(b.as_ref()));
    certs.dedup_by(|a, b| a.as_ref() == b.as_ref());
    certs
}

/// Loads `SSL_CERT_FILE` or one `SSL_CERT_DIR` entry; the user set it, so a
/// path that gives nothing is an error rather than a silent empty store.
fn load_openssl_path(
    var: &str,
    shown: &Path,
    file: Option<&Path>,
    dir: Option<&Path>,
) -> Result<Vec<CertificateDer<'static>>> {
    let found = rustls_native_certs::load_certs_from_paths(file, dir);
    if let Some(e) = found.errors.first() {
        let reason =
            match std::error::Error::source(e).and_then(|s| s.downcast_ref::<std::io::Error>()) {
                Some(io) => describe_io(io),
                None => e.to_string(),
            };
        return Err(Error::file(
            format_args!("{var} {}", shown.display()),
            format_args!("{reason}; point it at a PEM bundle or unset it"),
        ));
    }
    if found.certs.is_empty() && file.is_some() {
        return Err(Error::file(
            format_args!("{var} {}", shown.display()),
            "no certificate in it; point it at a PEM bundle or unset it",
        ));
    }
    Ok(found.certs)
}

/// Adds every certificate of a PEM bundle; anything unusable in it is an error.
fn add_bundle(roots: &mut RootCertStore, path: &Path, from: &str) -> Result<usize> {
    let at = || format!("{from} {}", path.display());
    let bytes = std::fs::read(path).map_err(|e| Error::unreadable(at(), &e))?;
    let mut n = 0;
    for cert in CertificateDer::pem_slice_iter(&bytes) {
        let cert = cert.map_err(|e| Error::file(at(), format_args!("not a PEM bundle: {e}")))?;
        n += 1;
        roots.add(cert).map_err(|e| {
            Error::file(
                at(),
                format_args!("certificate {n} cannot be a trust root: {e}"),
            )
        })?;
    }
    if n == 0 {
        return Err(Error::file(
            at(),
            "no certificate in it (expected PEM blocks '-----BEGIN CERTIFICATE-----')",
        ));
    }
    Ok(n)
}

/// What went wrong in a TLS handshake with `host`, and what to do; `retry`
/// says whether trying again can help (a refused certificate stays refused).
pub struct Failure {
    pub message: String,
    pub retry: bool,
}

pub fn describe(error: &rustls::Error, host: &str) -> Failure {
    let fix_trust = "if a proxy inspects TLS or the server uses a private CA, pass that CA with --ca-cert FILE (or CIO_CA_CERT, or SSL_CERT_FILE)";
    let message = match error {
        rustls::Error::InvalidCertificate(cert) => match cert {
            CertificateError::UnknownIssuer => format!(
                "TLS: the certificate of {host} is not signed by an authority cio trusts; {fix_trust}"
            ),
            CertificateError::NotValidForName => format!(
                "TLS: the certificate presented by {host} is for another name; check the endpoint, or {fix_trust}"
            ),
            CertificateError::NotValidForNameContext { presented, .. } => format!(
                "TLS: the certificate presented by {host} is for {}, not {host}; check the endpoint, or {fix_trust}",
                if presented.is_empty() {
                    "no name".to_string()
                } else {
                    presented.iter().map(|n| bare_name(n)).collect::<Vec<_>>().join(", ")
                }
            ),
            CertificateError::Expired => format!(
                "TLS: the certificate of {host} has expired; check this machine's clock, or tell whoever runs {host}"
            ),
            CertificateError::ExpiredContext { time, not_after } => format!(
                "TLS: the certificate of {host} expired on {} (now {}); check this machine's clock, or tell whoever runs {host}",
                date(not_after.as_secs()),
                date(time.as_secs())
            ),
            CertificateError::NotValidYet => format!(
                "TLS: the certificate of {host} is not valid yet; check this machine's clock"
            ),
            CertificateError::NotValidYetContext { time, not_before } => format!(
                "TLS: the certificate of {host} is not valid before {} (now {}); check this machine's clock",
                date(not_before.as_secs()),
                date(time.as_secs())
            ),
            other => format!("TLS: the certificate of {host} was refused ({other:?}); {fix_trust}"),
        },
        rustls::Error::InvalidMessage(rustls::InvalidMessage::InvalidContentType) => format!(
            "TLS: {host} did not answer in TLS; is that a plain-HTTP port? Use an http:// endpoint for a local plain server"
        ),
        other => return Failure {
            message: format!("TLS handshake with {host} failed: {other}"),
            retry: true,
        },
    };
    Failure {
        message,
        retry: false,
    }
}

/// `api.example.com` out of rustls's `DnsName("api.example.com")`, `10.0.0.1`
/// out of `IpAddress(10.0.0.1)`.
fn bare_name(presented: &str) -> &str {
    let inner = match (presented.find('('), presented.rfind(')')) {
        (Some(open), Some(close)) if open < close => &presented[open + 1..close],
        _ => presented,
    };
    inner.trim_matches('"')
}

/// `2026-11-29` for Unix seconds.
fn date(secs: u64) -> String {
    time::OffsetDateTime::from_unix_timestamp(secs as i64)
        .ok()
        .and_then(|t| {
            t.format(time::macros::format_description!("[year]-[month]-[day]"))
                .ok()
        })
        .unwrap_or_else(|| format!("@{secs}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundles_are_checked_whole() {
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "nothing here\n").unwrap();
        let mut roots = RootCertStore::empty();
        let err = add_bundle(&mut roots, &empty, "--ca-cert")
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with(&format!(
                "--ca-cert {}: no certificate in it",
                empty.display()
            )),
            "{err}"
        );
        let missing = dir.path().join("missing.pem");
        let err = add_bundle(&mut roots, &missing, "CIO_CA_CERT")
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            format!(
                "CIO_CA_CERT {}: no such file or directory",
                missing.display()
            )
        );
    }

    #[test]
    fn presented_names_lose_their_wrapping() {
        assert_eq!(
            bare_name("DnsName(\"api.example.test\")"),
            "api.example.test"
        );
        assert_eq!(bare_name("IpAddress(10.0.0.1)"), "10.0.0.1");
        assert_eq!(bare_name("plain"), "plain");
    }

    #[test]
    fn dates_read_as_days() {
        assert_eq!(date(0), "1970-01-01");
        assert_eq!(date(1_795_000_000), "2026-11-18");
    }
}
