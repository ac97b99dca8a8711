//! Stopping cleanly on SIGINT or SIGTERM: every connection this process opens is noted
//! here, so that the binary's signal handler can send the server a cancel for whatever
//! statement each one has in flight (a client that just goes away leaves its statement
//! running on the server until it next writes to the socket), and so that a report can say
//! the run was interrupted.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};

use tokio_postgres::CancelToken;
use tokio_postgres_rustls::MakeRustlsConnect;

/// The connections open now, by the number [`register`] gave them, with the TLS set-up
/// their cancels need. A connection leaves when it ends ([`unregister`]), so a process
/// that runs for days (a watcher) keeps only those it has open.
static CONNECTIONS: Mutex<BTreeMap<u64, (CancelToken, MakeRustlsConnect)>> =
    Mutex::new(BTreeMap::new());

/// The number the next connection is noted under.
static NEXT: AtomicU64 = AtomicU64::new(0);

/// How long one cancel may take to reach its server.
const CANCEL_TIMEOUT: std::time::Duration = std::time::Duration::from_millis(500);

/// The signal that stopped the process, once one has.
static SIGNAL: OnceLock<&'static str> = OnceLock::new();

/// Notes a new connection, so that a signal can cancel its statement. A connection opened
/// after the signal is one a command opens to clean up (`PrivateTables::abandon`): it is left
/// alone.
pub(super) fn register(token: CancelToken, tls: MakeRustlsConnect) -> Option<u64> {
    if interrupted_by().is_some() {
        return None;
    }
    let number = NEXT.fetch_add(1, Ordering::Relaxed);
    CONNECTIONS
        .lock()
        .expect("never poisoned")
        .insert(number, (token, tls));
    Some(number)
}

/// Forgets a connection that ended.
pub(super) fn unregister(number: u64) {
    CONNECTIONS.lock().expect("never poisoned").remove(&number);
}

/// Records `signal` (`SIGINT`, `SIGTERM`) and sends a cancel for the statement in flight
/// on every connection this process opened before it; a connection that is idle or closed
/// ignores it. The statements fail with "canceling statement due to user request", and
/// the command's own failure path rolls back and drops its private tables, on a new
/// connection that no cancel reaches. Called again for statements a connection had
/// queued behind the cancelled one.
pub async fn cancel_all(signal: &'static str) {
    let _ = SIGNAL.set(signal);
    let connections: Vec<_> = CONNECTIONS
        .lock()
        .expect("never poisoned")
        .values()
        .cloned()
        .collect();
    // A cancel is a new connection to the server: one that cannot be reached (often why
    // a user pressed Ctrl-C) must not hold the wind-down past its deadline.
    let cancels = connections.into_iter().map(|(token, tls)| async move {
        tokio::time::timeout(CANCEL_TIMEOUT, token.cancel_query(tls)).await
    });
    for result in futures::future::join_all(cancels).await {
        match result {
            Ok(Err(err)) => tracing::debug!("a cancel was not delivered: {err}"),
            Err(_) => tracing::debug!("a cancel took too long; left"),
            Ok(Ok(())) => {}
        }
    }
}

/// The signal that stopped this process, if one did.
pub fn interrupted_by() -> Option<&'static str> {
    SIGNAL.get().copied()
}
