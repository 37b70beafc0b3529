//! `--forward`: a request's accepted calls go on to the configured endpoint
//! through cio's transport (`client.rs`: auth, strict mode, gzip, retries with
//! backoff and `Retry-After`, the same messageIds on every attempt), and the
//! client is answered only once the upstream has answered.
//!
//! Latency: the client waits for the upstream, retries included. That is the
//! price of never answering 200 for a call the upstream did not take: if the
//! upstream fails for good, the client gets a status it retries (502) and the
//! call stays with the client; nothing is held in the listener to be lost.

use serde_json::{Map, Value};

use super::answer::{Received, Route};
use crate::client::{Client, Encoding, SendError};
use crate::gzipped::Gzipped;

/// Sends the calls as the client sent them (a single call to its path, a
/// batch to `/batch`, each call with its own `sentAt` if it had one); the
/// number of calls the upstream took, or the status and reason to answer.
pub async fn send(
    upstream: &Client,
    route: Route,
    calls: &[&Received],
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
    match upstream.send(&path, &make_body, encoding, &|_| None).await {
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
