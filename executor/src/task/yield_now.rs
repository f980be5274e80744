//! `yield_now`: let the other queued tasks run before continuing.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Yields to the scheduler: the task goes to the back of the run queue (never
/// the LIFO slot), so every task queued before it runs first.
///
/// # Examples
/// ```
/// let rt = runtime_executor::Runtime::new()?;
/// rt.block_on(runtime_executor::spawn(async {
///     runtime_executor::yield_now().await;
/// }))
/// .unwrap();
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn yield_now() -> YieldNow {
    YieldNow { yielded: false }
}

/// The future returned by [`yield_now`].
#[derive(Debug)]
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct YieldNow {
    yielded: bool,
}

impl Future for YieldNow {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.yielded {
            return Poll::Ready(());
        }
        self.yielded = true;
        // A wake during its own poll reschedules the task once, at the back.
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}
