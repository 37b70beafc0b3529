//! How many requests a replay keeps in flight, found by itself.
//!
//! Over a real network throughput is requests in flight × calls per request /
//! round trip, so a fixed small number wastes the wire and a large guess
//! overloads the API and the machine. The limit adapts like TCP's congestion
//! control (and Vector's adaptive request concurrency): it starts low and
//! doubles each round trip while answers come back fast (slow start), then
//! grows by one per round trip while the round trip stays near its floor;
//! it shrinks by a third on a 429, a 503, a timeout or a network error, and
//! when the round trip rises well above its floor (the server is queueing).
//! Several cio processes sharing one quota converge to fair shares, as TCP
//! flows do. `--concurrency N` fixes the limit instead.
//!
//! Memory is bounded by bytes, not by requests: a request waits while the
//! calls already in flight hold `--max-bytes-in-flight`, whatever the limit.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

/// The most requests in flight the adaptive limit reaches.
pub const ADAPTIVE_MAX: usize = 64;
/// How long a slower round trip must last to become the new floor.
const FLOOR_DRIFT_SECS: f64 = 60.0;
/// Where the adaptive limit starts: one round trip of doubling from here
/// reaches the pace of a distant API, and 32 requests at once (of gzipped
/// batches, about 70 KB each, 2 MB in all) is modest for any API with a
/// quota (Customer.io takes about 1,000 requests per second). From 16, a
/// replay of 200,000 calls at 200 ms spent a third of its time growing.
const START: f64 = 32.0;

/// The control law, apart from any waiting: fed with outcomes, it says the limit.
#[derive(Debug)]
pub struct Control {
    limit: f64,
    max: f64,
    adaptive: bool,
    slow_start: bool,
    /// The lowest round trip seen lately (it drifts up over tens of seconds,
    /// so that a network that became slower for good is taken as the new normal).
    floor: Option<f64>,
    floor_updated: Option<Instant>,
    /// Smoothed round trip, in seconds.
    average: Option<f64>,
    last_decrease: Option<Instant>,
}

impl Control {
    pub fn adaptive(max: usize) -> Control {
        Control {
            limit: START.min(max as f64),
            max: max as f64,
            adaptive: true,
            slow_start: true,
            floor: None,
            floor_updated: None,
            average: None,
            last_decrease: None,
        }
    }

    pub fn fixed(limit: usize) -> Control {
        Control {
            limit: limit as f64,
            max: limit as f64,
            adaptive: false,
            ..Control::adaptive(limit)
        }
    }

    pub fn limit(&self) -> usize {
        self.limit as usize
    }

    /// Whether `in_flight` requests use the limit enough that a larger one
    /// would help. Before the first answer half of it is enough: the first
    /// round trip's requests go out one by one as the input is packed, and
    /// only the last of them would find the limit full, so slow start would
    /// wait a round trip for nothing. After it, only a full limit is: growing
    /// a limit the input does not fill would pile requests onto a server the
    /// moment it slows down.
    pub fn is_busy(&self, in_flight: usize) -> bool {
        let first_round_trip = self.average.is_none();
        let used = if first_round_trip { 2 } else { 1 } * in_flight;
        used >= self.limit()
    }

    /// The smoothed round trip of requests answered at the first attempt.
    pub fn latency(&self) -> Option<Duration> {
        self.average.map(Duration::from_secs_f64)
    }

    /// A request was answered 2xx at its first attempt after `rtt`; `busy`
    /// when every slot was in use (only then does a larger limit help).
    pub fn on_success(&mut self, rtt: Duration, busy: bool, now: Instant) {
        let rtt = rtt.as_secs_f64();
        let since = self
            .floor_updated
            .map_or(0.0, |t| now.duration_since(t).as_secs_f64());
        let floor = match self.floor {
            Some(f) if rtt < f => rtt,
            Some(f) => f + (rtt - f) * (since / FLOOR_DRIFT_SECS).min(1.0),
            None => rtt,
        };
        self.floor = Some(floor);
        self.floor_updated = Some(now);
        let average = self.average.map_or(rtt, |a| a + 0.25 * (rtt - a));
        self.average = Some(average);
        if !self.adaptive {
            return;
        }
        // Queueing at the server shows as a round trip well above its floor;
        // a little slack keeps jitter on fast links from counting as that.
        let queueing = average > floor * 2.0 + 0.010;
        if queueing {
            self.decrease(now);
        } else if busy {
            let step = if self.slow_start {
                1.0
            } else {
                1.0 / self.limit
            };
            self.limit = (self.limit + step).min(self.max);
        }
    }

    /// The server pushed back (429, 503) or did not answer in time.
    pub fn on_backpressure(&mut self, now: Instant) {
        if self.adaptive {
            self.decrease(now);
        }
    }

    /// Shrinks by a third, at most once per round trip: one overload shows in
    /// every request that was out at the time, and counts once.
    fn decrease(&mut self, now: Instant) {
        let round_trip = Duration::from_secs_f64(self.average.unwrap_or(0.1).max(0.05));
        if self
            .last_decrease
            .is_some_and(|last| now.duration_since(last) < round_trip)
        {
            return;
        }
        self.last_decrease = Some(now);
        self.slow_start = false;
        self.limit = (self.limit * 0.7).max(1.0);
    }
}

/// The limit in force, with the requests and bytes in flight against it.
pub struct Limiter {
    state: Mutex<State>,
    released: Notify,
    max_bytes: usize,
}

struct State {
    control: Control,
    in_flight: usize,
    bytes: usize,
    /// The most requests out at once, for the summary (the limit's highest
    /// said 32 for a run of one request).
    peak: usize,
}

/// A request slot, given back when dropped.
pub struct Permit {
    limiter: Arc<Limiter>,
    bytes: usize,
    /// Whether every slot was in use when this one was taken.
    pub busy: bool,
}

impl Drop for Permit {
    fn drop(&mut self) {
        {
            let mut state = self.limiter.lock();
            state.in_flight -= 1;
            state.bytes -= self.bytes;
        }
        self.limiter.released.notify_waiters();
    }
}

impl Limiter {
    pub fn new(control: Control, max_bytes: usize) -> Arc<Limiter> {
        Arc::new(Limiter {
            state: Mutex::new(State {
                control,
                in_flight: 0,
                bytes: 0,
                peak: 0,
            }),
            released: Notify::new(),
            max_bytes,
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits for a slot for a request carrying `bytes` of calls. One request
    /// always goes, however large, so that nothing waits forever.
    pub async fn acquire(self: &Arc<Self>, bytes: usize) -> Permit {
        loop {
            // Registered before looking, so that a release in between is not missed.
            let released = self.released.notified();
            {
                let mut state = self.lock();
                let room = state.in_flight < state.control.limit()
                    && (state.in_flight == 0 || state.bytes + bytes <= self.max_bytes);
                if room {
                    state.in_flight += 1;
                    state.peak = state.peak.max(state.in_flight);
                    state.bytes += bytes;
                    return Permit {
                        limiter: Arc::clone(self),
                        bytes,
                        busy: state.control.is_busy(state.in_flight),
                    };
                }
            }
            released.await;
        }
    }

    pub fn on_success(&self, rtt: Duration, busy: bool) {
        let mut state = self.lock();
        state.control.on_success(rtt, busy, Instant::now());
        drop(state);
        // A higher limit may let a waiting request go.
        self.released.notify_waiters();
    }

    pub fn on_backpressure(&self) {
        self.lock().control.on_backpressure(Instant::now());
    }

    /// Requests holding a slot now.
    pub fn in_flight(&self) -> usize {
        self.lock().in_flight
    }

    /// The limit now, the most requests out at once, and the smoothed round trip.
    pub fn snapshot(&self) -> (usize, usize, Option<Duration>) {
        let state = self.lock();
        (state.control.limit(), state.peak, state.control.latency())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn slow_start_doubles_then_latency_rise_cuts_by_a_third() {
        let mut c = Control::adaptive(128);
        let mut now = Instant::now();
        assert_eq!(c.limit(), 32);
        // Before any answer, half the limit in flight is busy.
        assert!(c.is_busy(16) && !c.is_busy(15));
        // Each success while busy adds one: a round trip of `limit` answers doubles it.
        for _ in 0..32 {
            c.on_success(100 * MS, true, now);
        }
        assert_eq!(c.limit(), 64);
        // Not busy: no reason to grow.
        c.on_success(100 * MS, false, now);
        assert_eq!(c.limit(), 64);
        // After the first answer, only a full limit is busy.
        assert!(c.is_busy(64) && !c.is_busy(63));
        // The server starts queueing: round trips triple.
        now += Duration::from_secs(1);
        for _ in 0..8 {
            c.on_success(400 * MS, true, now);
        }
        assert_eq!(c.limit(), 45, "cut once per round trip, by a third");
        // After slow start it grows by about one per round trip.
        let mut c = Control::adaptive(64);
        c.on_backpressure(now);
        assert_eq!(c.limit(), 22);
        for i in 1..=8 {
            c.on_backpressure(now + Duration::from_secs(i));
        }
        assert_eq!(c.limit(), 1);
        for _ in 0..10 {
            c.on_success(50 * MS, true, now);
        }
        assert!((3..=5).contains(&c.limit()), "{}", c.limit());
    }

    #[test]
    fn backpressure_cuts_once_per_round_trip_and_never_below_one() {
        let mut c = Control::adaptive(64);
        let now = Instant::now();
        for _ in 0..32 {
            c.on_success(20 * MS, true, now);
        }
        assert_eq!(c.limit(), 64);
        let later = now + Duration::from_secs(1);
        for _ in 0..5 {
            c.on_backpressure(later); // five 429s from one burst
        }
        assert_eq!(c.limit(), 44);
        let mut t = later;
        for _ in 0..40 {
            t += Duration::from_secs(1);
            c.on_backpressure(t);
        }
        assert_eq!(c.limit(), 1);
    }

    #[test]
    fn a_fixed_limit_stays_put() {
        let mut c = Control::fixed(4);
        let now = Instant::now();
        c.on_success(10 * MS, true, now);
        c.on_backpressure(now);
        assert_eq!(c.limit(), 4);
    }

    #[tokio::test]
    async fn bytes_in_flight_are_bounded_but_one_request_always_goes() {
        let limiter = Limiter::new(Control::fixed(8), 1000);
        let a = limiter.acquire(600).await;
        let b = tokio::time::timeout(Duration::from_millis(50), limiter.acquire(600)).await;
        assert!(b.is_err(), "1,200 bytes would be over the bound");
        drop(a);
        let big = limiter.acquire(5000).await;
        assert_eq!(limiter.lock().bytes, 5000);
        drop(big);
        assert_eq!(limiter.lock().in_flight, 0);
    }
}
