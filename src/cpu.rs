//! Work off the async workers: CPU work on the rayon pool (as wide as the cores), blocking
//! reads on tokio's blocking pool (wide, so that many reads wait on a disk at once); each
//! hands its result back, a panic included, as an error rather than an abort.

use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::error::Error;

/// Runs `work` on the rayon pool. A panic in it (a bug) becomes [`Error::WorkerFailed`], so the
/// load stops with a message and writes nothing, as any other failure does.
pub(crate) async fn on_rayon<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, Error> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    rayon::spawn(move || {
        // The closure's state is dropped with it on a panic; nothing of it is used after.
        let _ = tx.send(catch_unwind(AssertUnwindSafe(work)));
    });
    match rx.await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(panic)) => Err(Error::WorkerFailed {
            worker: "a worker of the CPU pool",
            what: format!("panicked: {}", panic_message(panic.as_ref())),
        }),
        Err(_) => Err(Error::WorkerFailed {
            worker: "a worker of the CPU pool",
            what: "vanished".into(),
        }),
    }
}

/// Runs blocking `work` (file reads) on tokio's blocking pool, which is not bounded by the
/// cores: a read waiting on a cold disk holds no core. A panic becomes
/// [`Error::WorkerFailed`], as in [`on_rayon`].
pub(crate) async fn on_blocking<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, Error> {
    match tokio::task::spawn_blocking(work).await {
        Ok(value) => Ok(value),
        Err(failed) => Err(Error::WorkerFailed {
            worker: "a reader of the blocking pool",
            what: match failed.try_into_panic() {
                Ok(panic) => format!("panicked: {}", panic_message(panic.as_ref())),
                Err(_) => "was cancelled".into(),
            },
        }),
    }
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> &str {
    panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(no message)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panic_in_the_pool_is_an_error() {
        assert_eq!(on_rayon(|| 6 * 7).await.unwrap(), 42);
        let err = on_rayon(|| -> u32 { panic!("decoder bug") })
            .await
            .unwrap_err();
        assert!(matches!(err, Error::WorkerFailed { .. }));
        assert!(err.to_string().contains("decoder bug"), "{err}");
    }
}
