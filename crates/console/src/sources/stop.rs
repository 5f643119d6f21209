//! Stopping a source's background task: cancel it, and never let a slow one hold up the caller (the UI
//! loop awaits this when the log view closes or switches).

use std::time::Duration;

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// How long a cancelled task gets to finish before it is aborted.
pub const STOP_GRACE: Duration = Duration::from_secs(1);

/// Cancels `token` and waits for `task` at most `STOP_GRACE`, then aborts it.
pub async fn stop_task(token: &CancellationToken, task: JoinHandle<()>) {
    token.cancel();
    let abort = task.abort_handle();
    if tokio::time::timeout(STOP_GRACE, task).await.is_err() {
        tracing::warn!("a source did not stop within {STOP_GRACE:?} of its cancellation; aborted");
        abort.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_task_that_ignores_cancellation_is_aborted_after_the_grace() {
        let token = CancellationToken::new();
        let stubborn = tokio::spawn(std::future::pending::<()>());
        let abort = stubborn.abort_handle();
        let started = tokio::time::Instant::now();
        stop_task(&token, stubborn).await;
        assert!(token.is_cancelled());
        assert_eq!(started.elapsed(), STOP_GRACE);
        tokio::task::yield_now().await;
        assert!(abort.is_finished(), "the task was aborted");
    }

    #[tokio::test(start_paused = true)]
    async fn a_task_that_heeds_cancellation_is_awaited() {
        let token = CancellationToken::new();
        let child = token.clone();
        let task = tokio::spawn(async move { child.cancelled().await });
        let started = tokio::time::Instant::now();
        stop_task(&token, task).await;
        assert!(started.elapsed() < STOP_GRACE);
    }
}
