//! How many requests per second a replay starts, learned from 429s.
//!
//! APIs state their quota in requests per time window (Customer.io: about
//! 3,000 per 3 seconds per workspace) and answer 429 with a `Retry-After` in
//! whole seconds once a window is spent. The concurrency limit alone keeps
//! overshooting such a quota: every cut and regrowth ends in another 429, and
//! every 429 pauses the whole replay for up to a second that the window did
//! not need. So the first 429 also tells cio the pace the API takes: the
//! requests it accepted in the second before. Requests then start at just
//! under that pace; after half a minute without a 429 the pace grows again,
//! in case the quota was shared and the other user has gone.
//!
//! Replays on this machine that share the destination share the pace too
//! (`peers`): the pace learned is the quota's whole, and each replay takes its
//! part of it, so the part of one that ends goes to the others at once. A
//! replay that has used less than its part for a while (held back by
//! `--rate`, a fixed `--concurrency`, a slow input) says so, and the others
//! share what it leaves; it never takes less than an equal part back.
//!
//! The `Retry-After` pause lives here too: no request starts before it ends.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use tokio::time::Instant;

use super::peers::{self, Beat, Group};

/// The span over which accepted requests make the estimate: quotas are
/// stated per second (or per a few seconds, which this rounds up to).
pub(super) const SPAN: Duration = Duration::from_secs(1);
/// Starts at this share of the pace the API accepted, so that the jitter of
/// the network and of this machine does not push a window over its quota:
/// every overrun costs a whole `Retry-After` pause. At 98 % a window had
/// room for under one request more, and a loaded machine overran every other
/// window (CI: 429s in windows 0, 1, 3, 5 and 7 of a 40-a-second quota).
const MARGIN: f64 = 0.95;
/// How long the learned pace holds before it is probed upwards.
const HOLD: Duration = Duration::from_secs(30);
/// How fast the pace grows after the hold, per second: a quota left by
/// another user is taken up within seconds.
const PROBE_GROWTH: f64 = 1.10;
/// Estimates of the pace learned this close together are of one overload.
const SAME_OVERLOAD: Duration = Duration::from_secs(2);
/// How long a replay with a pace in force must have started every request
/// sooner than the pace asked before it tells the others it uses less than
/// its part: long enough for a new replay to grow into its part, and for a
/// `Retry-After` pause to pass.
const UNDER_AFTER: Duration = Duration::from_secs(2);

/// The pace of request starts, shared by everything that sends.
#[derive(Debug, Default)]
pub struct Quota {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    /// When the first request started: a run younger than [`SPAN`] has seen
    /// less than a span, and its count is over that shorter time.
    first_start: Option<Instant>,
    /// When the requests the server accepted lately were sent.
    accepted: VecDeque<Instant>,
    /// The first 429 of an overload whose estimate is not made yet, and
    /// whether it asked for a second or more (a quota's window).
    refused_at: Option<(Instant, bool)>,
    /// The quota's whole pace, in requests per second for all the replays
    /// together, learned from the last overload (here or by another
    /// replay), and when.
    pace: Option<(f64, Instant)>,
    /// When the first estimate of the overload behind `pace` was learned.
    overload: Option<Instant>,
    /// Other replays sharing the quota (`peers`), and when the requests the
    /// API lately accepted from them were sent (to a tenth of a second).
    others: usize,
    others_accepted: Vec<(Instant, u32)>,
    /// Of the others, those using less than their part, and the requests the
    /// API accepted from them in the last second.
    others_under: usize,
    under_accepted: u32,
    /// When a pace came in force here, and when it last held a request back.
    paced_since: Option<Instant>,
    last_held_back: Option<Instant>,
    /// The most the others were seen to have got accepted in the second
    /// before the pending 429: kept, since a replay that ends before the
    /// estimate is made takes its counts with it.
    others_taken: u32,
    /// When the next request may start.
    next_start: Option<Instant>,
    /// No request starts before this (`Retry-After`).
    pause_until: Option<Instant>,
}

impl Quota {
    /// A request sent at `sent_at` was accepted.
    pub fn accepted(&self, sent_at: Instant) {
        let mut state = self.lock();
        state.accepted.push_back(sent_at);
        // Kept long enough for an estimate made a few round trips after the 429.
        let horizon = sent_at.checked_sub(SPAN * 10);
        while let (Some(first), Some(horizon)) = (state.accepted.front(), horizon) {
            if *first >= horizon {
                break;
            }
            state.accepted.pop_front();
        }
    }

    /// The server answered 429 at `now` and asked for `wait` before the next
    /// request (`windowed`: in a `Retry-After` of a second or more).
    pub fn refused(&self, now: Instant, wait: Duration, windowed: bool) {
        let mut state = self.lock();
        if state.refused_at.is_none() {
            state.refused_at = Some((now, windowed));
            state.others_taken = state.others_taken_before(now);
        }
        let until = now + wait;
        state.pause_until = Some(state.pause_until.map_or(until, |p| p.max(until)));
    }

    /// When the `Retry-After` pause ends, if one is on.
    pub fn paused_until(&self) -> Option<Instant> {
        self.lock().pause_until
    }

    /// When the next request may start: after any pause, and at the learned
    /// pace. `latency` is the round trip lately, so that the requests out at
    /// the 429 have been answered before they are counted.
    pub fn next_start(&self, now: Instant, latency: Option<Duration>) -> Instant {
        let mut state = self.lock();
        state.first_start.get_or_insert(now);
        let earliest = state.pause_until.map_or(now, |p| p.max(now));
        if let Some((refused_at, windowed)) = state.refused_at {
            let settled = refused_at + (latency.unwrap_or_default() * 2).max(SPAN / 2);
            if now >= settled && now >= earliest {
                state.refused_at = None;
                let from = refused_at.checked_sub(SPAN);
                let within = |t: Instant| from.is_none_or(|from| t >= from) && t <= refused_at;
                let taken = state.accepted.iter().filter(|t| within(**t)).count();
                // The other replays' requests in the same second: together
                // they are what the quota took.
                let others_taken = state
                    .others_taken
                    .max(state.others_taken_before(refused_at));
                // Over what time those were taken. A `Retry-After` of whole
                // seconds speaks of a quota per window: what a young run got
                // is what the window holds, so it counts as a whole span. A
                // shorter one (or none) says nothing of windows: a young
                // run's count is over the time it has run, or a server full
                // at a few requests at once would set far too low a pace.
                let seen = match (windowed, state.first_start) {
                    (false, Some(first)) => refused_at
                        .saturating_duration_since(first)
                        .clamp(SPAN / 20, SPAN),
                    _ => SPAN,
                };
                // Nothing accepted: the 429 says nothing about a pace (a
                // server full at the very first requests); the concurrency
                // limit answers that.
                if taken > 0 {
                    let whole = (taken + others_taken as usize) as f64 / seen.as_secs_f64();
                    let pace = whole * MARGIN;
                    state.learn(pace, now);
                    state.paced_since.get_or_insert(now);
                    state.next_start = None;
                }
            }
        }
        let Some(pace) = state.pace_at(now) else {
            return earliest;
        };
        let start = state.next_start.map_or(earliest, |n| n.max(earliest));
        if start > earliest {
            state.last_held_back = Some(now);
        }
        state.next_start = Some(start + Duration::from_secs_f64(1.0 / pace));
        start
    }

    /// This replay's pace in force, in requests per second, if a 429 set one.
    pub fn pace(&self) -> Option<f64> {
        self.lock().pace_at(Instant::now())
    }

    /// The replays sharing the quota, this one included.
    pub fn replays(&self) -> usize {
        self.lock().others + 1
    }

    /// What this replay tells the others: when the requests the API accepted
    /// from it lately were sent, and the whole pace in force.
    pub fn beat(&self, now: Instant, wall: SystemTime) -> Beat {
        let state = self.lock();
        let to_wall = |t: Instant| wall - now.saturating_duration_since(t);
        let accepted = peers::slots(state.accepted.iter().map(|t| to_wall(*t)));
        let quota = (state.pace).map(|(pace, since)| (pace, peers::millis(to_wall(since))));
        let long_ago = |t: Option<Instant>| t.is_none_or(|t| now.duration_since(t) >= UNDER_AFTER);
        let under = state.paced_since.is_some()
            && long_ago(state.paced_since)
            && long_ago(state.last_held_back);
        Beat {
            accepted,
            quota,
            at: peers::millis(wall),
            under,
        }
    }

    /// Takes in what the other replays said: how many share the quota, and a
    /// whole pace learned since this one was.
    pub fn observe(&self, group: &Group, now: Instant, wall: SystemTime) {
        let mut state = self.lock();
        state.others = group.replays - 1;
        state.others_under = group.under;
        state.under_accepted = group.under_accepted;
        let to_instant =
            |t: SystemTime| now.checked_sub(wall.duration_since(t).unwrap_or_default());
        state.others_accepted = (group.others_accepted.iter())
            .filter_map(|&(t, n)| Some((to_instant(t)?, n)))
            .collect();
        if let Some((refused_at, _)) = state.refused_at {
            state.others_taken = state
                .others_taken
                .max(state.others_taken_before(refused_at));
        }
        let Some((pace, learned)) = group.quota else {
            return;
        };
        let Some(learned) = to_instant(learned) else {
            return;
        };
        // A few milliseconds' slack: a pace passed on by the others comes
        // back rounded to the millisecond and is not newer.
        let newer = state
            .pace
            .is_none_or(|(_, since)| learned > since + Duration::from_millis(5));
        if newer {
            state.learn(pace, learned);
            state.paced_since.get_or_insert(now);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl State {
    /// Takes in a whole pace learned at `at`, here or by another replay.
    /// Estimates of one overload (within [`SAME_OVERLOAD`] of its first) can
    /// only fall short, of the counts the other replays' beats had not told
    /// yet: the larger stands, whichever came last. A later one is taken as
    /// it is, so a pace too high for the quota lasts no longer than that.
    fn learn(&mut self, pace: f64, at: Instant) {
        let same_overload = self
            .overload
            .is_some_and(|first| at.saturating_duration_since(first) < SAME_OVERLOAD);
        let pace = match self.pace {
            Some((before, _)) if same_overload => pace.max(before),
            _ => {
                self.overload = Some(at);
                pace
            }
        };
        self.pace = Some((pace, at));
    }

    /// What the other replays got accepted in the second before `at`.
    fn others_taken_before(&self, at: Instant) -> u32 {
        let from = at.checked_sub(SPAN);
        (self.others_accepted.iter())
            .filter(|(t, _)| from.is_none_or(|from| *t >= from) && *t <= at)
            .map(|(_, n)| n)
            .sum()
    }

    /// This replay's part of the whole pace, grown once the hold is over: an
    /// equal part, or more when some of the others leave some of theirs.
    fn pace_at(&self, now: Instant) -> Option<f64> {
        let (pace, since) = self.pace?;
        let probing = now.saturating_duration_since(since + HOLD).as_secs_f64();
        let whole = pace * PROBE_GROWTH.powf(probing);
        let equal = whole / (self.others + 1) as f64;
        let left =
            (whole - self.under_accepted as f64) / (self.others - self.others_under + 1) as f64;
        Some(equal.max(left))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn no_pace_until_a_429() {
        let quota = Quota::default();
        let now = Instant::now();
        for i in 0..100 {
            quota.accepted(now + i * MS);
        }
        let later = now + 200 * MS;
        assert_eq!(quota.next_start(later, None), later);
        assert_eq!(quota.next_start(later, None), later, "no spacing");
        assert_eq!(quota.pace(), None);
    }

    #[test]
    fn a_429_pauses_then_paces_at_what_was_accepted() {
        let quota = Quota::default();
        let t0 = Instant::now();
        quota.next_start(t0, None);
        // 100 requests accepted over the first second, 10 ms apart.
        for i in 0..100 {
            quota.accepted(t0 + i * 10 * MS);
        }
        let refused = t0 + 1000 * MS;
        quota.refused(refused, Duration::from_secs(1), true);
        // During the pause, nothing starts before its end.
        let during = refused + 100 * MS;
        assert_eq!(
            quota.next_start(during, Some(100 * MS)),
            refused + 1000 * MS
        );
        // After it: 95 requests per second (the margin below 100), evenly spaced.
        let after = refused + 1000 * MS;
        let first = quota.next_start(after, Some(100 * MS));
        let second = quota.next_start(after, Some(100 * MS));
        let gap = (second - first).as_secs_f64();
        assert!((gap - 1.0 / (100.0 * MARGIN)).abs() < 1e-6, "{gap}");
        assert!((quota.pace().unwrap() - 100.0 * MARGIN).abs() < 1e-6);
    }

    #[test]
    fn a_young_run_counts_over_the_time_it_has_run() {
        let quota = Quota::default();
        let t0 = Instant::now();
        assert_eq!(quota.next_start(t0, None), t0);
        // 8 accepted in the first 100 ms, then a 429: 80 a second, not 8.
        for i in 0..8 {
            quota.accepted(t0 + i * 10 * MS);
        }
        quota.refused(t0 + 100 * MS, Duration::ZERO, false);
        quota.next_start(t0 + 700 * MS, Some(50 * MS));
        let pace = quota.pace().unwrap();
        assert!((pace - 8.0 / 0.1 * MARGIN).abs() < 1e-6, "{pace}");
    }

    #[test]
    fn a_windowed_429_counts_a_young_run_as_a_whole_window() {
        let quota = Quota::default();
        let t0 = Instant::now();
        quota.next_start(t0, None);
        // A window of 100 spent in the first 300 ms, then `Retry-After: 1`.
        for i in 0..100 {
            quota.accepted(t0 + i * 3 * MS);
        }
        quota.refused(t0 + 300 * MS, Duration::from_secs(1), true);
        quota.next_start(t0 + 1300 * MS, Some(100 * MS));
        assert!((quota.pace().unwrap() - 100.0 * MARGIN).abs() < 1e-6);
    }

    #[test]
    fn a_429_before_anything_was_accepted_sets_no_pace() {
        let quota = Quota::default();
        let t0 = Instant::now();
        quota.refused(t0, Duration::ZERO, false);
        let later = t0 + Duration::from_secs(1);
        assert_eq!(quota.next_start(later, None), later);
        assert_eq!(quota.pace(), None);
    }

    #[test]
    fn the_pace_holds_then_grows() {
        let mut state = State::default();
        let t0 = Instant::now();
        state.pace = Some((50.0, t0));
        assert_eq!(state.pace_at(t0 + HOLD), Some(50.0));
        let grown = state.pace_at(t0 + HOLD + Duration::from_secs(10)).unwrap();
        assert!((grown - 50.0 * 1.10f64.powi(10)).abs() < 1e-6, "{grown}");
    }

    fn group(replays: usize, quota: Option<(f64, SystemTime)>) -> Group {
        Group {
            replays,
            others_accepted: Vec::new(),
            under: 0,
            under_accepted: 0,
            quota,
        }
    }

    #[test]
    fn the_pace_learned_is_the_whole_and_each_replay_takes_its_part() {
        let quota = Quota::default();
        let (t0, wall0) = (Instant::now(), SystemTime::now());
        quota.next_start(t0, None);
        // 50 accepted here in the first second, and 40 from the other
        // replay (4 in each tenth of it), then a 429.
        for i in 0..50 {
            quota.accepted(t0 + i * 20 * MS);
        }
        let refused = t0 + 1000 * MS;
        quota.refused(refused, Duration::from_secs(1), true);
        // Told 1.9 s later: the other's count is by when its requests were sent.
        let (told, wall) = (t0 + 1900 * MS, wall0 + 1900 * MS);
        let other = Group {
            replays: 2,
            others_accepted: (0..10).map(|i| (wall0 + i * 100 * MS, 4)).collect(),
            ..group(2, None)
        };
        quota.observe(&other, told, wall);
        quota.next_start(t0 + 2000 * MS, Some(50 * MS));
        let whole = 90.0 * MARGIN;
        assert!((quota.pace().unwrap() - whole / 2.0).abs() < 1e-6);
        // The other ends: its part comes to this one.
        quota.observe(&group(1, None), t0 + 2100 * MS, wall);
        assert!((quota.pace().unwrap() - whole).abs() < 1e-6);
        // What the others are told: the whole pace, and this replay's requests.
        let beat = quota.beat(told, wall);
        assert_eq!(beat.accepted.iter().map(|(_, n)| n).sum::<u32>(), 50);
        assert!((beat.quota.unwrap().0 - whole).abs() < 1e-6);
    }

    #[test]
    fn a_newer_pace_from_another_replay_is_taken_an_echo_is_not() {
        let quota = Quota::default();
        let (now, wall) = (Instant::now() + Duration::from_secs(60), SystemTime::now());
        // Another replay learned 120 requests/s a second ago; three share it.
        let learned = wall - Duration::from_secs(1);
        quota.observe(&group(3, Some((120.0, learned))), now, wall);
        assert!((quota.pace().unwrap() - 40.0).abs() < 1e-6);
        // Passed back by a third replay, rounded to the millisecond: the same pace.
        let beat = quota.beat(now, wall);
        let echoed = std::time::UNIX_EPOCH + Duration::from_millis(beat.quota.unwrap().1);
        quota.observe(&group(3, Some((999.0, echoed))), now, wall);
        assert!((quota.pace().unwrap() - 40.0).abs() < 1e-6);
        // An older one is not taken either; a newer one is.
        let older = wall - Duration::from_secs(5);
        quota.observe(&group(3, Some((300.0, older))), now, wall);
        assert!((quota.pace().unwrap() - 40.0).abs() < 1e-6);
        // A newer estimate of the same overload that counted less does not
        // lower it (it missed counts not told yet); one of a later overload
        // is taken, lower or not.
        quota.observe(&group(3, Some((60.0, wall))), now, wall);
        assert!((quota.pace().unwrap() - 40.0).abs() < 1e-6);
        let (later, later_wall) = (now + SAME_OVERLOAD, wall + SAME_OVERLOAD);
        quota.observe(&group(2, Some((60.0, later_wall))), later, later_wall);
        assert!((quota.pace().unwrap() - 30.0).abs() < 1e-6);
    }

    #[test]
    fn the_larger_estimate_of_one_overload_stands_two_seconds_at_most() {
        let quota = Quota::default();
        let (now, wall) = (Instant::now() + Duration::from_secs(60), SystemTime::now());
        // Estimates passed on by another replay, `secs` after the first.
        let learned = |pace: f64, secs: f64| {
            let after = Duration::from_secs_f64(secs);
            quota.observe(
                &group(1, Some((pace, wall + after))),
                now + after,
                wall + after,
            );
            quota.pace().unwrap()
        };
        assert!((learned(100.0, 0.0) - 100.0).abs() < 1e-6);
        assert!((learned(50.0, 1.0) - 100.0).abs() < 1e-6);
        assert!((learned(60.0, 1.9) - 100.0).abs() < 1e-6);
        // Past two seconds from the first, a new overload: too high, it went.
        assert!((learned(50.0, 2.5) - 50.0).abs() < 1e-6);
    }

    #[test]
    fn a_replay_that_ends_before_the_estimate_still_counts_in_it() {
        let quota = Quota::default();
        let (t0, wall0) = (Instant::now(), SystemTime::now());
        quota.next_start(t0, None);
        for i in 0..50 {
            quota.accepted(t0 + i * 20 * MS);
        }
        // The other replay got 40 accepted in the same second, and says so.
        let other = Group {
            replays: 2,
            others_accepted: (0..10).map(|i| (wall0 + i * 100 * MS, 4)).collect(),
            ..group(2, None)
        };
        quota.observe(&other, t0 + 900 * MS, wall0 + 900 * MS);
        quota.refused(t0 + 1000 * MS, Duration::from_secs(1), true);
        // It ends before the estimate: its file, and its counts, are gone.
        quota.observe(&group(1, None), t0 + 1500 * MS, wall0 + 1500 * MS);
        quota.next_start(t0 + 2000 * MS, Some(50 * MS));
        // The whole is still what both got; this replay now has all of it.
        assert!((quota.pace().unwrap() - 90.0 * MARGIN).abs() < 1e-6);
    }

    #[test]
    fn a_replay_using_less_than_its_part_leaves_the_rest_to_the_others() {
        let quota = Quota::default();
        let (now, wall) = (Instant::now(), SystemTime::now());
        // Three replays share 120 requests/s; one of the others got only 10
        // accepted in the last second and says it uses less than its part.
        let under = Group {
            under: 1,
            under_accepted: 10,
            ..group(3, Some((120.0, wall)))
        };
        quota.observe(&under, now, wall);
        assert!(
            (quota.pace().unwrap() - 55.0).abs() < 1e-6,
            "(120 - 10) / 2"
        );
        // Never less than an equal part, whatever the other says it used.
        let greedy = Group {
            under_accepted: 100,
            ..under
        };
        quota.observe(&greedy, now, wall);
        assert!((quota.pace().unwrap() - 40.0).abs() < 1e-6);
    }

    #[test]
    fn a_replay_says_it_uses_less_than_its_part_only_after_a_while_unheld() {
        let quota = Quota::default();
        let (t0, wall) = (Instant::now(), SystemTime::now());
        assert!(!quota.beat(t0, wall).under, "no pace, no part");
        quota.observe(&group(2, Some((40.0, wall))), t0, wall);
        assert!(
            !quota.beat(t0 + 1000 * MS, wall).under,
            "still growing into it"
        );
        let later = t0 + UNDER_AFTER;
        assert!(quota.beat(later, wall).under, "no request held back yet");
        // Two requests at once: the pace holds the second back.
        quota.next_start(later, None);
        quota.next_start(later, None);
        assert!(!quota.beat(later + 100 * MS, wall).under);
        assert!(quota.beat(later + UNDER_AFTER, wall).under);
    }
}
