//! Deliveries that come while nobody waits coalesce into one. Alone in its
//! test binary: another test's `Signal` draining the shared pipe in between
//! would split the raises into two counted batches (which is correct, but
//! not what this test pins down).

mod support;

use std::pin::pin;
use std::time::Duration;

use futures_util::StreamExt;
use runtime::signal::unix::{signal, SignalKind};
use support::{poll_once, watchdog};

const LIMIT: Duration = Duration::from_secs(60);

fn raise(kind: SignalKind) {
    // SAFETY: raise(3) has no memory-safety preconditions; the handler for
    // `kind` is installed (the caller made a Signal first).
    assert_eq!(unsafe { libc::raise(kind.as_raw_value()) }, 0);
}

#[test]
fn deliveries_while_nobody_waits_coalesce_into_one() {
    watchdog(LIMIT, || {
        runtime::block_on(async {
            let mut sig = signal(SignalKind::window_change()).unwrap();
            for _ in 0..3 {
                raise(SignalKind::window_change());
            }
            assert_eq!(sig.recv().await, Some(()));
            assert!(poll_once(pin!(sig.recv())).is_pending(), "three raises, one delivery");
            raise(SignalKind::window_change());
            assert_eq!(sig.next().await, Some(()), "the stream sees the next one");
        });
    });
}
