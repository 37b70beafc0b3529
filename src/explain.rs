//! What a failed single request means for the person at the terminal: the URL
//! it went to (never the key), what happened in plain words, and the likely
//! fix. The transport (`client.rs`) says what happened; this adds where and
//! what to do, from the settings it knows the sources of.

use crate::client::SendError;
use crate::error::Error;
use crate::settings::Settings;

/// The user-facing error for `err`, met while POSTing to `url`.
pub fn send_error(err: SendError, url: &str, settings: &Settings) -> Error {
    let key_source = settings.key_source.as_deref().unwrap_or("the settings");
    match err {
        SendError::Rejected { status: 404, message } => Error::Usage(format!(
            "the server at {url} refused the call (404): {message}; {}",
            endpoint_hint(settings)
        )),
        SendError::Rejected { status, message } => Error::Usage(format!(
            "the server at {url} refused the call ({status}): {message}"
        )),
        SendError::Unauthorized { message } => Error::Auth(format!(
            "the write key from {key_source} was refused (401) by {url}: {message}; \
             check that it is the write key of a Data Pipelines source in the endpoint's region (us or eu)"
        )),
        SendError::Forbidden { message } => Error::Forbidden(format!(
            "the write key from {key_source} may not send to {url} (403 forbidden): {message}; \
             check that the source is enabled and that this is its write key"
        )),
        SendError::Undelivered { reason, attempts } => Error::Undelivered(format!(
            "not delivered to {url} after {}: {}",
            crate::output::count(attempts.into(), "attempt"),
            network_reason(&reason, url, settings)
        )),
        // Kept like an outage's calls: the endpoint is wrong, or something stands in front of it.
        SendError::NotTheApi { answer } => Error::Undelivered(format!(
            "not delivered: {url} answered like something other than the Customer.io Pipelines API, \
             which answers a JSON object: {answer}; check the endpoint (from {})",
            settings.endpoint_source
        )),
        SendError::Interrupted => Error::Interrupted,
    }
}

/// A 404 almost always means the endpoint is not the API's base URL.
fn endpoint_hint(settings: &Settings) -> String {
    let source = &settings.endpoint_source;
    let call_path = |base: &str| {
        let (rest, last) = base.rsplit_once('/')?;
        let is_call = crate::envelope::CallType::ALL
            .iter()
            .any(|t| t.as_str() == last);
        (is_call || last == "batch").then(|| rest.to_string())
    };
    match settings.endpoint_url() {
        // The base that `/track` and `/batch` are added to, not a call's own URL.
        Ok(base) if call_path(&base).is_some() => {
            let mut meant = call_path(&base).unwrap_or_default();
            if !meant.ends_with("/v1") {
                meant.push_str("/v1");
            }
            format!(
                "the endpoint {base} (from {source}) ends in a call's path: try --endpoint {meant}"
            )
        }
        Ok(base) if !base.ends_with("/v1") => {
            format!("the endpoint {base} (from {source}) has no /v1: try --endpoint {base}/v1")
        }
        _ => format!("check the endpoint (from {source})"),
    }
}

/// The transport's reason, with the host and port a connection failed to reach
/// and the setting to look at.
fn network_reason(reason: &str, url: &str, settings: &Settings) -> String {
    let host_port = reqwest::Url::parse(url)
        .ok()
        .and_then(|u| Some(format!("{}:{}", u.host_str()?, u.port_or_known_default()?)))
        .unwrap_or_else(|| url.to_string());
    let source = &settings.endpoint_source;
    if let Some(rest) = reason.strip_prefix("cannot connect: ") {
        format!(
            "cannot connect to {host_port}: {}; check the endpoint (from {source}) and that the server is up",
            plain(rest)
        )
    } else if let Some(rest) = reason.strip_prefix("timed out: ") {
        format!(
            "timed out talking to {host_port}: {}; each attempt may take {} s (--timeout)",
            plain(rest),
            settings.timeout.as_secs_f64()
        )
    } else {
        reason.to_string()
    }
}

/// `Connection refused (os error 111)` → `connection refused`.
pub fn plain(text: &str) -> String {
    let text = match text.find(" (os error") {
        Some(i) => &text[..i],
        None => text,
    };
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn os_error_numbers_are_dropped() {
        assert_eq!(
            plain("Connection refused (os error 111)"),
            "connection refused"
        );
        assert_eq!(plain("operation timed out"), "operation timed out");
        assert_eq!(plain(""), "");
    }
}
