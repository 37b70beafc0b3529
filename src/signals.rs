//! Ctrl-C, SIGTERM and SIGHUP during a replay (and `cio listen`), and Ctrl-C
//! during a single call. For a replay the first asks it to finish
//! (read no more, start no new request, wait for the answers in flight); the
//! second asks it to stop now. CI runners send SIGTERM before they kill, and a
//! closed terminal or dropped ssh session sends SIGHUP, whose default would
//! end the run with its checkpoint behind what was delivered: all count alike.
//! A signal the process started with ignored stays ignored: `nohup cio batch`
//! must outlive its terminal, and a shell ignores SIGINT in the background
//! commands of a script.

use tokio::sync::watch;

/// Starts counting interrupts; must be called inside the runtime.
pub fn listen() -> watch::Receiver<u32> {
    let (tx, rx) = watch::channel(0);
    // The handlers are installed before this returns (not in the task): a
    // signal that comes right after is counted, not the default's kill.
    #[cfg(unix)]
    let (mut int, mut term, mut hangup) = {
        use tokio::signal::unix::{signal, SignalKind};
        let ignored = Ignored::at_start();
        let counted = |kind| (!ignored.has(kind)).then(|| signal(kind).ok()).flatten();
        (
            counted(SignalKind::interrupt()),
            counted(SignalKind::terminate()),
            counted(SignalKind::hangup()),
        )
    };
    tokio::spawn(async move {
        #[cfg(unix)]
        {
            use tokio::signal::unix::Signal;
            async fn next(signal: &mut Option<Signal>) {
                match signal {
                    Some(signal) => _ = signal.recv().await,
                    None => std::future::pending().await,
                }
            }
            loop {
                tokio::select! {
                    _ = next(&mut int) => {},
                    _ = next(&mut term) => {},
                    _ = next(&mut hangup) => {},
                }
                tx.send_modify(|n| *n += 1);
            }
        }
        #[cfg(not(unix))]
        loop {
            if tokio::signal::ctrl_c().await.is_err() {
                return std::future::pending().await;
            }
            tx.send_modify(|n| *n += 1);
        }
    });
    rx
}

/// Resolves at Ctrl-C, or never when the process started with SIGINT
/// ignored (a script's background command).
pub async fn ctrl_c() {
    #[cfg(unix)]
    let ignored = Ignored::at_start().has(tokio::signal::unix::SignalKind::interrupt());
    #[cfg(not(unix))]
    let ignored = false;
    if ignored || tokio::signal::ctrl_c().await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// The signals ignored when the process started, read before any handler of
/// ours replaces their disposition.
#[cfg(unix)]
#[derive(Clone, Copy)]
struct Ignored(Option<u64>);

#[cfg(unix)]
impl Ignored {
    /// Linux says in /proc (bit n-1 for signal n); elsewhere nothing is known.
    fn at_start() -> Ignored {
        let mask = std::fs::read_to_string("/proc/self/status")
            .ok()
            .and_then(|status| {
                let mask = status.lines().find_map(|l| l.strip_prefix("SigIgn:"))?;
                u64::from_str_radix(mask.trim(), 16).ok()
            });
        Ignored(mask)
    }

    fn has(self, kind: tokio::signal::unix::SignalKind) -> bool {
        use tokio::signal::unix::SignalKind;
        match self.0 {
            Some(mask) => mask & 1 << (kind.as_raw_value() - 1) != 0,
            // Not known: SIGHUP keeps its default, which honours nohup's SIG_IGN.
            None => kind == SignalKind::hangup(),
        }
    }
}

/// Resolves once `n` interrupts have come.
pub async fn interrupts(rx: &watch::Receiver<u32>, n: u32) {
    let mut rx = rx.clone();
    if rx.wait_for(|count| *count >= n).await.is_err() {
        std::future::pending::<()>().await;
    }
}
