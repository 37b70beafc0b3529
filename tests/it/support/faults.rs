//! Seeded fault injection: one draw per request picks a fault, or none.

use std::time::Duration;

use super::server::Reply;

/// Probabilities (each 0.0..=1.0, summing to at most 1.0) of the faults a
/// request may get. Whatever is left over is a plain 200 `{}`.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct FaultProfile {
    /// 500 with a short body.
    pub p_500: f64,
    /// 429 without `Retry-After`.
    pub p_429: f64,
    /// 429 with `Retry-After: 1`.
    pub p_429_retry_after: f64,
    /// The connection closes without an answer.
    pub p_drop: f64,
    /// 200 after `slow_for`.
    pub p_slow: f64,
    pub slow_for: Duration,
    /// The calls count as accepted, but the answer is 500 (so a retry duplicates them).
    pub p_accept_then_500: f64,
}

impl FaultProfile {
    pub fn none() -> Self {
        Self::default()
    }

    pub fn errors_500(p: f64) -> Self {
        FaultProfile {
            p_500: p,
            ..Self::default()
        }
    }

    /// Half of the 429s carry `Retry-After: 1`, half don't.
    pub fn rate_limited(p: f64) -> Self {
        FaultProfile {
            p_429: p / 2.0,
            p_429_retry_after: p / 2.0,
            ..Self::default()
        }
    }

    pub fn drops(p: f64) -> Self {
        FaultProfile {
            p_drop: p,
            ..Self::default()
        }
    }

    pub fn slow(p: f64, slow_for: Duration) -> Self {
        FaultProfile {
            p_slow: p,
            slow_for,
            ..Self::default()
        }
    }

    pub fn accept_then_500(p: f64) -> Self {
        FaultProfile {
            p_accept_then_500: p,
            ..Self::default()
        }
    }

    /// A bit of everything: 30% of requests get some fault; slow answers take
    /// 1.5 s, past a 1 s client timeout.
    pub fn mixed() -> Self {
        FaultProfile {
            p_500: 0.08,
            p_429: 0.04,
            p_429_retry_after: 0.04,
            p_drop: 0.06,
            p_slow: 0.03,
            slow_for: Duration::from_millis(1500),
            p_accept_then_500: 0.05,
        }
    }

    /// The fault for a draw `roll` in 0.0..1.0: the probabilities are laid end
    /// to end on 0..1 and the roll falls in one of them, or past them all.
    pub fn pick(&self, roll: f64) -> Option<Fault> {
        let bands = [
            (self.p_500, Fault::Status500),
            (self.p_429, Fault::Status429),
            (self.p_429_retry_after, Fault::Status429RetryAfter),
            (self.p_drop, Fault::Drop),
            (self.p_slow, Fault::Slow),
            (self.p_accept_then_500, Fault::AcceptThen500),
        ];
        let mut edge = 0.0;
        for (p, fault) in bands {
            edge += p;
            if roll < edge {
                return Some(fault);
            }
        }
        None
    }

    fn total(&self) -> f64 {
        self.p_500
            + self.p_429
            + self.p_429_retry_after
            + self.p_drop
            + self.p_slow
            + self.p_accept_then_500
    }

    /// Panics on probabilities that can't be meant.
    pub(super) fn validate(&self) {
        let all = [
            self.p_500,
            self.p_429,
            self.p_429_retry_after,
            self.p_drop,
            self.p_slow,
            self.p_accept_then_500,
        ];
        assert!(
            all.iter().all(|p| (0.0..=1.0).contains(p)) && self.total() <= 1.0 + 1e-9,
            "fault probabilities must be in 0..=1 and sum to at most 1: {self:?}"
        );
    }
}

/// One kind of injected fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Fault {
    Status500,
    Status429,
    Status429RetryAfter,
    Drop,
    Slow,
    AcceptThen500,
}

impl Fault {
    pub const ALL: [Fault; 6] = [
        Fault::Status500,
        Fault::Status429,
        Fault::Status429RetryAfter,
        Fault::Drop,
        Fault::Slow,
        Fault::AcceptThen500,
    ];

    /// The key in `TestServer::fault_counts` ("none" counts requests without a fault).
    pub fn name(self) -> &'static str {
        match self {
            Fault::Status500 => "500",
            Fault::Status429 => "429",
            Fault::Status429RetryAfter => "429+retry-after",
            Fault::Drop => "drop",
            Fault::Slow => "slow",
            Fault::AcceptThen500 => "accept-then-500",
        }
    }

    /// The reply that injects this fault.
    pub fn reply(self, profile: &FaultProfile) -> Reply {
        match self {
            Fault::Status500 => Reply::status(500, r#"{"error":"injected 500"}"#),
            Fault::Status429 => Reply::status(429, r#"{"error":"injected 429"}"#),
            Fault::Status429RetryAfter => Reply::status_with_headers(
                429,
                &[("Retry-After", "1")],
                r#"{"error":"injected 429"}"#,
            ),
            Fault::Drop => Reply::drop_connection(),
            Fault::Slow => Reply::delay(profile.slow_for, Reply::ok()),
            Fault::AcceptThen500 => Reply::accept_then_fail(),
        }
    }
}
