//! The other `cio batch` processes on this machine that replay to the same
//! destination, and so share its quota.
//!
//! Each learns the quota's pace from its own 429s (`quota`), but alone it
//! would keep the share it learned: when the others finish, their part of the
//! quota would lie unused, and a process started later would learn its share
//! only from a fresh storm of 429s. So each running replay keeps a small file
//! in the destination's state directory, rewritten a few times a second: when
//! the requests the API accepted from it lately were sent, and the quota's
//! whole pace if it learned one. A replay that learns the pace from a 429
//! counts what the others got accepted in the same second as its own; every
//! replay paces itself to the newest whole pace divided by the replays running,
//! except that a replay using less than its part (held back by `--rate`, a
//! fixed `--concurrency`, or an input that ends) says so, and the others
//! share what it leaves.
//!
//! ```text
//! SPOOL_DIR/<destination id>/peers/<pid>-<random>.json
//! ```
//!
//! A file not rewritten for a few seconds belongs to a process that is gone
//! (killed, or its machine asleep) and is left out; an old one is removed.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use super::quota::SPAN;

/// How often a replay rewrites its file and reads the others'.
pub const BEAT: Duration = Duration::from_millis(250);
/// A file older than this is a replay that is gone.
const STALE: Duration = Duration::from_secs(3);
/// A file older than this is removed by whoever sees it.
const ABANDONED: Duration = Duration::from_secs(60);
/// Accepted requests are told by the tenth of a second they were sent in.
const SLOT_MS: u64 = 100;

/// What one replay tells the others.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Beat {
    /// Requests the API accepted from this replay lately, as pairs of the
    /// tenth of a second they were sent in (since the Unix epoch) and how many.
    pub accepted: Vec<(u64, u32)>,
    /// The quota's whole pace (requests a second, for all replays together)
    /// this replay learned, and when (milliseconds since the Unix epoch).
    pub quota: Option<(f64, u64)>,
    /// When the file was written (milliseconds since the Unix epoch).
    pub at: u64,
    /// This replay has used less than its part of the pace for a while: the
    /// others may take what it leaves.
    #[serde(default)]
    pub under: bool,
}

/// What a replay learns from the others' files.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    /// Replays running, this one included.
    pub replays: usize,
    /// Requests the API lately accepted from the others: when they were sent
    /// (to the tenth of a second) and how many.
    pub others_accepted: Vec<(SystemTime, u32)>,
    /// The others that use less than their part (`Beat::under`), and the
    /// requests the API accepted from them in the last second.
    pub under: usize,
    pub under_accepted: u32,
    /// The newest whole pace another replay learned, and when.
    pub quota: Option<(f64, SystemTime)>,
}

/// This replay's membership: its file, removed when it ends.
#[derive(Debug)]
pub struct Peers {
    dir: PathBuf,
    own: PathBuf,
    /// Set once the replay has left: no beat writes the file again after.
    left: Mutex<bool>,
}

impl Peers {
    /// Joins the replays of the destination whose state directory is `dir`.
    pub fn join(dir: &Path) -> std::io::Result<Peers> {
        let dir = dir.join("peers");
        crate::files::create_private_dir(&dir)?;
        let name = format!(
            "{}-{}.json",
            std::process::id(),
            &uuid::Uuid::new_v4().simple().to_string()[..8]
        );
        Ok(Peers {
            own: dir.join(name),
            dir,
            left: Mutex::new(false),
        })
    }

    /// Writes this replay's beat and reads the others'.
    pub fn beat(&self, beat: &Beat) -> std::io::Result<Group> {
        {
            let left = self.left.lock().unwrap_or_else(|e| e.into_inner());
            if !*left {
                self.write(beat)?;
            }
        }
        let now = SystemTime::now();
        let mut group = Group {
            replays: 1,
            others_accepted: Vec::new(),
            under: 0,
            under_accepted: 0,
            quota: None,
        };
        for entry in fs::read_dir(&self.dir)? {
            let path = entry?.path();
            if path == self.own {
                continue;
            }
            // A file half written is never seen (it is renamed into place);
            // one that vanished meanwhile belonged to a replay that ended.
            let beat = (path.extension().is_some_and(|e| e == "json"))
                .then(|| fs::read(&path).ok())
                .flatten()
                .and_then(|b| serde_json::from_slice::<Beat>(&b).ok());
            let Some(other) = beat else {
                // A temporary file of a replay killed mid-write, or a stranger.
                remove_if_abandoned(&path, now);
                continue;
            };
            let age = now
                .duration_since(from_millis(other.at))
                .unwrap_or_default();
            if age > ABANDONED {
                let _ = fs::remove_file(&path);
            }
            if age > STALE {
                continue;
            }
            group.replays += 1;
            if other.under {
                group.under += 1;
                let last_span = millis(now).saturating_sub(SPAN.as_millis() as u64) / SLOT_MS;
                group.under_accepted += (other.accepted.iter())
                    .filter(|&&(slot, _)| slot >= last_span)
                    .map(|&(_, n)| n)
                    .sum::<u32>();
            }
            group
                .others_accepted
                .extend((other.accepted.iter()).map(|&(slot, n)| (from_millis(slot * SLOT_MS), n)));
            if let Some((pace, learned)) = other.quota {
                let learned = from_millis(learned);
                if group.quota.is_none_or(|(_, newest)| learned > newest) {
                    group.quota = Some((pace, learned));
                }
            }
        }
        Ok(group)
    }

    fn write(&self, beat: &Beat) -> std::io::Result<()> {
        // Renamed into place, so a reader sees a whole file; not synced: a
        // beat lost in a power cut only matters for a replay that is gone.
        let mut tmp = tempfile::Builder::new()
            .prefix(".beat.")
            .suffix(".tmp")
            .tempfile_in(&self.dir)?;
        tmp.write_all(&serde_json::to_vec(beat)?)?;
        tmp.persist(&self.own).map_err(|e| e.error)?;
        Ok(())
    }
}

/// Removes a file nobody has written for `ABANDONED`.
fn remove_if_abandoned(path: &Path, now: SystemTime) {
    let modified = fs::metadata(path).and_then(|m| m.modified());
    if modified.is_ok_and(|m| now.duration_since(m).is_ok_and(|age| age > ABANDONED)) {
        let _ = fs::remove_file(path);
    }
}

impl Peers {
    /// Removes this replay's file, so the others take up its part at their
    /// next beat; a beat still under way does not write it again.
    pub fn leave(&self) {
        let mut left = self.left.lock().unwrap_or_else(|e| e.into_inner());
        *left = true;
        let _ = fs::remove_file(&self.own);
    }
}

impl Drop for Peers {
    fn drop(&mut self) {
        self.leave();
    }
}

/// Milliseconds since the Unix epoch.
pub fn millis(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).unwrap_or_default().as_millis() as u64
}

/// Times as a beat tells them: how many in each tenth of a second.
pub fn slots(times: impl Iterator<Item = SystemTime>) -> Vec<(u64, u32)> {
    let mut slots = std::collections::BTreeMap::new();
    for t in times {
        *slots.entry(millis(t) / SLOT_MS).or_insert(0) += 1;
    }
    slots.into_iter().collect()
}

fn from_millis(ms: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A beat written at `at`, with `accepted` requests sent in its last tenth of a second.
    fn beat(accepted: u32, quota: Option<(f64, u64)>, at: SystemTime) -> Beat {
        Beat {
            under: false,
            accepted: vec![(millis(at) / SLOT_MS, accepted)],
            quota,
            at: millis(at),
        }
    }

    #[test]
    fn replays_see_each_other_and_the_newest_pace() {
        let tmp = tempfile::tempdir().unwrap();
        let now = SystemTime::now();
        let a = Peers::join(tmp.path()).unwrap();
        let b = Peers::join(tmp.path()).unwrap();
        let c = Peers::join(tmp.path()).unwrap();
        let older = millis(now - Duration::from_secs(5));
        let newer = millis(now - Duration::from_secs(1));
        a.beat(&beat(10, Some((90.0, older)), now)).unwrap();
        b.beat(&beat(20, Some((80.0, newer)), now)).unwrap();
        let group = c.beat(&beat(30, None, now)).unwrap();
        assert_eq!(group.replays, 3);
        let slot = from_millis(millis(now) / SLOT_MS * SLOT_MS);
        let mut accepted = group.others_accepted.clone();
        accepted.sort_by_key(|&(_, n)| n);
        assert_eq!(accepted, [(slot, 10), (slot, 20)]);
        assert_eq!(group.quota, Some((80.0, from_millis(newer))));

        // One ends: its file goes with it.
        drop(b);
        let group = c.beat(&beat(30, None, now)).unwrap();
        assert_eq!(group.replays, 2);
        assert_eq!(group.quota, Some((90.0, from_millis(older))));
    }

    #[test]
    fn a_replay_that_left_is_not_written_again() {
        let tmp = tempfile::tempdir().unwrap();
        let now = SystemTime::now();
        let me = Peers::join(tmp.path()).unwrap();
        let other = Peers::join(tmp.path()).unwrap();
        me.beat(&beat(1, None, now)).unwrap();
        assert!(me.own.exists());
        me.leave();
        assert!(!me.own.exists());
        // A beat that was under way when it left still reads, but writes nothing.
        me.beat(&beat(1, None, now)).unwrap();
        assert!(!me.own.exists());
        assert_eq!(other.beat(&beat(1, None, now)).unwrap().replays, 1);
    }

    #[test]
    fn slots_count_by_the_tenth_of_a_second() {
        let t = from_millis(1_000_050);
        let times = [
            t,
            t + Duration::from_millis(30),
            t + Duration::from_millis(60),
        ];
        assert_eq!(slots(times.into_iter()), [(10_000, 2), (10_001, 1)]);
    }

    #[test]
    fn a_replay_that_stopped_beating_is_left_out_then_removed() {
        let tmp = tempfile::tempdir().unwrap();
        let now = SystemTime::now();
        let gone = Peers::join(tmp.path()).unwrap();
        let me = Peers::join(tmp.path()).unwrap();
        gone.beat(&beat(50, None, now - Duration::from_secs(10)))
            .unwrap();
        let group = me.beat(&beat(1, None, now)).unwrap();
        assert_eq!((group.replays, group.others_accepted.len()), (1, 0));
        assert!(gone.own.exists(), "a stale file is kept a while");

        gone.beat(&beat(50, None, now - Duration::from_secs(120)))
            .unwrap();
        me.beat(&beat(1, None, now)).unwrap();
        assert!(!gone.own.exists(), "an abandoned file is removed");
    }

    #[test]
    fn a_temporary_file_left_by_a_killed_replay_is_removed_once_abandoned() {
        let tmp = tempfile::tempdir().unwrap();
        let me = Peers::join(tmp.path()).unwrap();
        let now = SystemTime::now();
        let left = |name: &str, age: u64| {
            let path = me.dir.join(name);
            let file = fs::File::create(&path).unwrap();
            file.set_modified(now - Duration::from_secs(age)).unwrap();
            path
        };
        let old = left(".beat.killed.tmp", 120);
        let fresh = left(".beat.writing.tmp", 0);
        let group = me.beat(&beat(1, None, now)).unwrap();
        assert_eq!(group.replays, 1, "neither is a replay");
        assert!(!old.exists(), "abandoned");
        assert!(fresh.exists(), "maybe being written now");
    }
}
