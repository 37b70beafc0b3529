//! Ctrl-C, SIGTERM and SIGHUP during a replay. The first asks it to finish
//! (read no more, start no new request, wait for the answers in flight); the
//! second asks it to stop now. CI runners send SIGTERM before they kill, and a
//! closed terminal or dropped ssh session sends SIGHUP, whose default would
//! end the run with its checkpoint behind what was delivered: all count alike.

use tokio::sync::watch;

/// Starts counting interrupts; must be called inside the runtime.
pub fn listen() -> watch::Receiver<u32> {
    let (tx, rx) = watch::channel(0);
    tokio::spawn(async move {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            let (Ok(mut int), Ok(mut term), Ok(mut hangup)) = (
                signal(SignalKind::interrupt()),
                signal(SignalKind::terminate()),
                signal(SignalKind::hangup()),
            ) else {
                // Keep the channel open: no signal will ever be counted.
                return std::future::pending().await;
            };
            loop {
                tokio::select! {
                    _ = int.recv() => {},
                    _ = term.recv() => {},
                    _ = hangup.recv() => {},
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

/// Resolves once `n` interrupts have come.
pub async fn interrupts(rx: &watch::Receiver<u32>, n: u32) {
    let mut rx = rx.clone();
    if rx.wait_for(|count| *count >= n).await.is_err() {
        std::future::pending::<()>().await;
    }
}
