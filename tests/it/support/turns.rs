//! Turns on the machine for the tests of the one test binary. Tests of every
//! suite run side by side, which is fine for most; the `adaptive` suite measures
//! round trips and requests in flight, so it must run with no other test
//! loading the same cores. It takes [`alone`]; every other test holds a
//! [`Shared`] turn through its [`CioEnv`](super::CioEnv), taken when the env is
//! made, so no test body has to ask for one. (Before, each suite was its own
//! binary and cargo ran binaries one after another.)
//!
//! A test waiting for `alone` keeps new shared turns back for up to
//! [`GIVE_WAY`], so it is not starved by a steady flow of short tests; the
//! bound means a test that makes a second env while it already holds one (on
//! any thread) is delayed, never deadlocked.

use std::cell::Cell;
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// How long a new shared turn gives way to a test waiting to be alone.
const GIVE_WAY: Duration = Duration::from_secs(2);

#[derive(Default)]
struct State {
    shared: usize,
    alone: bool,
    waiting_alone: usize,
}

static STATE: Mutex<State> = Mutex::new(State {
    shared: 0,
    alone: false,
    waiting_alone: 0,
});
static CHANGED: Condvar = Condvar::new();

thread_local! {
    /// Whether this thread's test holds the machine alone (its own envs need no turn).
    static ALONE_HERE: Cell<bool> = const { Cell::new(false) };
}

fn state() -> MutexGuard<'static, State> {
    // A test that panicked while holding the lock left the counts consistent.
    STATE.lock().unwrap_or_else(|e| e.into_inner())
}

fn wait(guard: MutexGuard<'static, State>) -> MutexGuard<'static, State> {
    CHANGED
        .wait_timeout(guard, Duration::from_millis(100))
        .unwrap_or_else(|e| e.into_inner())
        .0
}

/// A turn shared with other tests; released on drop.
pub struct Shared(());

impl Drop for Shared {
    fn drop(&mut self) {
        state().shared -= 1;
        CHANGED.notify_all();
    }
}

/// Waits while a test runs alone (and briefly while one waits to), then shares.
/// `None` on the thread of the test that is alone.
pub fn shared() -> Option<Shared> {
    if ALONE_HERE.with(Cell::get) {
        return None;
    }
    let give_way_until = Instant::now() + GIVE_WAY;
    let mut state = state();
    while state.alone || (state.waiting_alone > 0 && Instant::now() < give_way_until) {
        state = wait(state);
    }
    state.shared += 1;
    Some(Shared(()))
}

/// The machine to this test alone; released on drop.
pub struct Alone(());

impl Drop for Alone {
    fn drop(&mut self) {
        ALONE_HERE.with(|here| here.set(false));
        state().alone = false;
        CHANGED.notify_all();
    }
}

/// Waits until no other test holds a turn, then keeps them all out.
pub fn alone() -> Alone {
    let mut state = state();
    state.waiting_alone += 1;
    while state.alone || state.shared > 0 {
        state = wait(state);
    }
    state.waiting_alone -= 1;
    state.alone = true;
    ALONE_HERE.with(|here| here.set(true));
    Alone(())
}
