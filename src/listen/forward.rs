//! `--forward`: a request's accepted calls go on to the configured endpoint
//! through cio's transport (`client.rs`: auth, strict mode, gzip, retries with
//! backoff and `Retry-After`, the same messageIds on every attempt), and the
//! client is answered only once the upstream has answered.
//!
//! Latency: the client waits for the upstream, retries included. That is the
//! price of never answering 200 for a call the upstream did not take: if the
//! upstream fails for good, the client gets a status it retries (502) and the
//! call stays with the client; nothing is held in the listener to be lost.
//!
//! Loops: a forwarded request carries `X-Cio-Listen`, the ids of the
//! listeners it went through; a listener that finds its own id there
//! refuses it (508) instead of sending it round again.

use serde_json::{Map, Value};

use super::answer::{Received, Route};
use crate::client::{Client, Encoding, SendError};
use crate::gzipped::Gzipped;
use hyper::header::{HeaderMap, HeaderValue};

/// The `X-Cio-Listen` a forward of this request carries.
pub struct Marks {
    /// The request already went through this listener.
    pub passed_here: bool,
    pub header: HeaderMap,
}

/// What a request's `X-Cio-Listen` says, and what its forward says: the ids
/// it came with, then `instance`.
pub fn marks(headers: &HeaderMap, instance: &str) -> Marks {
    let mut ids: Vec<&str> = headers
        .get_all(super::MARKER)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|id| !id.is_empty())
        .collect();
    let passed_here = ids.contains(&instance);
    ids.push(instance);
    let mut header = HeaderMap::new();
    if let Ok(value) = HeaderValue::from_str(&ids.join(", ")) {
        header.insert(super::MARKER, value);
    }
    Marks {
        passed_here,
        header,
    }
}

/// Sends the calls as the client sent them (a single call to its path, a
/// batch to `/batch`, each call with its own `sentAt` if it had one); the
/// number of calls the upstream took, or the status and reason to answer.
pub async fn send(
    upstream: &Client,
    route: Route,
    calls: &[&Received],
    marks: HeaderMap,
) -> Result<u64, (u16, String)> {
    if calls.is_empty() {
        return Ok(0);
    }
    let (path, body) = match route {
        Route::Single(call_type) => (format!("/{call_type}"), serde_json::to_vec(&calls[0].call)),
        Route::Batch => {
            let items: Vec<&Map<String, Value>> = calls.iter().map(|c| &c.call).collect();
            (
                "/batch".to_string(),
                serde_json::to_vec(&serde_json::json!({"batch": items})),
            )
        }
    };
    let body = body.map_err(|e| (500, e.to_string()))?;
    // A batch goes gzipped as cio's own do: the deflated body, then an empty
    // stored block and the trailer.
    let (encoding, rest) = if route == Route::Batch {
        let gzipped = Gzipped::new(&[&body]);
        let mut trailer = Vec::new();
        gzipped.write_tail(b"", &mut trailer);
        let head = vec![gzipped.head()];
        (
            Encoding::Shared {
                head,
                gzipped: true,
            },
            trailer,
        )
    } else {
        (Encoding::Identity, body)
    };
    // The calls keep the sentAt their client gave them, for the upstream's clock-skew correction.
    let make_body = |_sent_at: &str, out: &mut Vec<u8>| out.extend_from_slice(&rest);
    match upstream
        .send_with(marks, &path, &make_body, encoding, &|_| None)
        .await
    {
        Ok(_) => Ok(calls.len() as u64),
        Err(e) => {
            let status = match &e {
                SendError::Rejected { status, .. } => *status,
                SendError::Unauthorized { .. } | SendError::Forbidden { .. } => 502,
                SendError::Undelivered { .. } | SendError::NotTheApi { .. } => 502,
                SendError::Interrupted => 503,
            };
            Err((status, format!("upstream: {}", e.reason())))
        }
    }
}
