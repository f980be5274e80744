//! Loom models of the task state machine through real tasks: every interleaving
//! of polls, wakes, aborts and `JoinHandle` operations within the preemption bound.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::ptr::NonNull;
use std::sync::atomic::Ordering::SeqCst;
use std::task::{Context, Poll, Waker};

use super::{new_unowned, Header, Notified, Schedule, Task};
use crate::sync::{lock, thread, Arc, AtomicUsize, Mutex};

/// A run queue any thread may drain.
#[derive(Clone, Default)]
struct Queue(Arc<Mutex<VecDeque<Notified>>>);

impl Schedule for Queue {
    fn schedule(&self, task: Notified) {
        lock(&self.0).push_back(task);
    }
    fn release(&self, _task: NonNull<Header>) -> Option<Task> {
        None
    }
}

impl Queue {
    fn run_all(&self) {
        loop {
            let next = lock(&self.0).pop_front();
            match next {
                Some(task) => task.run(),
                None => return,
            }
        }
    }
}

/// Pending on its first poll (storing its waker), ready on the second; counts drops.
struct TwoPolls {
    polls: usize,
    waker: Arc<Mutex<Option<Waker>>>,
    drops: Arc<AtomicUsize>,
}

impl Future for TwoPolls {
    type Output = Output;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Output> {
        self.polls += 1;
        if self.polls == 1 {
            *lock(&self.waker) = Some(cx.waker().clone());
            return Poll::Pending;
        }
        Poll::Ready(Output(self.drops.clone()))
    }
}

impl Drop for TwoPolls {
    fn drop(&mut self) {
        self.drops.fetch_add(1, SeqCst);
    }
}

/// The task's output; counts its drop too.
struct Output(Arc<AtomicUsize>);

impl Drop for Output {
    fn drop(&mut self) {
        self.0.fetch_add(1, SeqCst);
    }
}

fn two_polls(queue: &Queue) -> (super::JoinHandle<Output>, Arc<Mutex<Option<Waker>>>, Arc<AtomicUsize>) {
    let waker = Arc::new(Mutex::new(None));
    let drops = Arc::new(AtomicUsize::new(0));
    let future = TwoPolls { polls: 0, waker: waker.clone(), drops: drops.clone() };
    let (notified, handle) = new_unowned(future, queue.clone());
    queue.schedule(notified);
    (handle, waker, drops)
}

/// A thread that wakes the task through its stored waker (if the first poll
/// stored one yet), then drains the queue.
fn wake_and_run(queue: &Queue, waker: &Arc<Mutex<Option<Waker>>>) -> thread::JoinHandle<()> {
    let (queue, waker) = (queue.clone(), waker.clone());
    thread::spawn(move || {
        if let Some(waker) = lock(&waker).take() {
            waker.wake();
        }
        queue.run_all();
    })
}

fn poll_once<F: Future + Unpin>(future: &mut F) -> Poll<F::Output> {
    Pin::new(future).poll(&mut Context::from_waker(Waker::noop()))
}

#[test]
fn loom_task_wake_racing_poll_is_never_lost() {
    loom::model(|| {
        let queue = Queue::default();
        let (mut handle, waker, drops) = two_polls(&queue);
        queue.run_all();
        let waking = {
            let waker = waker.clone();
            thread::spawn(move || {
                if let Some(waker) = lock(&waker).take() {
                    waker.wake();
                }
            })
        };
        let running = {
            let queue = queue.clone();
            thread::spawn(move || queue.run_all())
        };
        waking.join().unwrap();
        running.join().unwrap();
        queue.run_all();
        let Poll::Ready(Ok(output)) = poll_once(&mut handle) else { panic!("the wake was lost") };
        drop(output);
        assert_eq!(drops.load(SeqCst), 2, "the future and the output each dropped once");
    });
}

#[test]
fn loom_task_abort_racing_completion() {
    loom::model(|| {
        let queue = Queue::default();
        let (mut handle, waker, drops) = two_polls(&queue);
        queue.run_all();
        let completing = wake_and_run(&queue, &waker);
        handle.abort();
        queue.run_all();
        completing.join().unwrap();
        queue.run_all();
        match poll_once(&mut handle) {
            Poll::Ready(Ok(output)) => drop(output),
            Poll::Ready(Err(error)) => assert!(error.is_cancelled()),
            Poll::Pending => panic!("an aborted task completes once its queue is drained"),
        }
        drop(handle);
        let expected = drops.load(SeqCst);
        assert!(expected == 1 || expected == 2, "future dropped once, output at most once");
    });
}

#[test]
fn loom_task_join_handle_dropped_racing_completion() {
    loom::model(|| {
        let queue = Queue::default();
        let (handle, waker, drops) = two_polls(&queue);
        queue.run_all();
        let completing = wake_and_run(&queue, &waker);
        drop(handle);
        completing.join().unwrap();
        assert_eq!(drops.load(SeqCst), 2, "the future and the output each dropped exactly once");
    });
}

#[test]
fn loom_task_join_waker_registration_racing_completion() {
    loom::model(|| {
        let queue = Queue::default();
        let (mut handle, waker, _drops) = two_polls(&queue);
        queue.run_all();
        let completing = wake_and_run(&queue, &waker);
        let woken = Arc::new(AtomicUsize::new(0));
        let join_waker = {
            let woken = woken.clone();
            waker_fn::waker_fn(move || {
                woken.fetch_add(1, SeqCst);
            })
        };
        let first = Pin::new(&mut handle).poll(&mut Context::from_waker(&join_waker));
        completing.join().unwrap();
        if first.is_pending() {
            assert_eq!(woken.load(SeqCst), 1, "completion wakes the registered join waker");
            assert!(poll_once(&mut handle).is_ready());
        }
    });
}

/// The handle replaces its join waker (a poll from another waker) while the
/// task completes: the runtime may wake the old waker and unset JOIN_WAKER
/// between the handle's look at the state and its own unset; the new waker
/// is then never stored, and the handle finds the output. (Run with debug
/// assertions: the unset asserted JOIN_WAKER before looking at COMPLETE.)
#[test]
fn loom_task_join_waker_replaced_racing_completion() {
    loom::model(|| {
        let queue = Queue::default();
        let (mut handle, waker, _drops) = two_polls(&queue);
        queue.run_all();
        let counting = |woken: &Arc<AtomicUsize>| {
            let woken = woken.clone();
            waker_fn::waker_fn(move || {
                woken.fetch_add(1, SeqCst);
            })
        };
        let (old, new) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        assert!(Pin::new(&mut handle).poll(&mut Context::from_waker(&counting(&old))).is_pending());
        let completing = wake_and_run(&queue, &waker);
        let second = Pin::new(&mut handle).poll(&mut Context::from_waker(&counting(&new)));
        completing.join().unwrap();
        if second.is_pending() {
            assert_eq!(new.load(SeqCst), 1, "completion wakes the waker that replaced the first");
            assert!(poll_once(&mut handle).is_ready());
        }
    });
}

/// A scheduler that checks, from inside its submit, that the task it just
/// queued is still allocated: its own drop (with the task's cell) sets `freed`.
struct Probe {
    queue: Queue,
    freed: Arc<AtomicUsize>,
}

impl Schedule for Probe {
    fn schedule(&self, task: Notified) {
        // Cloned first: after the push, `self` lives in a cell another thread may run.
        let freed = self.freed.clone();
        self.queue.schedule(task);
        assert_eq!(freed.load(SeqCst), 0, "the task was freed while its submit still used its scheduler");
    }
    fn release(&self, _task: NonNull<Header>) -> Option<Task> {
        None
    }
}

impl Drop for Probe {
    fn drop(&mut self) {
        self.freed.store(1, SeqCst);
    }
}

/// A task with no `JoinHandle` on `queue`, queued; its freeing sets the flag returned.
fn detached<F: Future<Output = ()> + Send + 'static>(queue: &Queue, future: F) -> Arc<AtomicUsize> {
    let freed = Arc::new(AtomicUsize::new(0));
    let (notified, handle) = new_unowned(future, Probe { queue: queue.clone(), freed: freed.clone() });
    drop(handle);
    queue.schedule(notified);
    freed
}

/// Issue 33, item 2: a foreign thread wakes a task by value while a worker
/// runs it to completion and the last reference (with the scheduler, as when
/// the runtime is dropped) goes. The waker keeps its reference until its
/// submit has returned, so the submit never touches a freed task or runtime.
#[test]
fn loom_task_foreign_wake_racing_completion_and_free() {
    loom::model(|| {
        let queue = Queue::default();
        let waker = Arc::new(Mutex::new(None));
        let drops = Arc::new(AtomicUsize::new(0));
        let future = TwoPolls { polls: 0, waker: waker.clone(), drops };
        let freed = detached(&queue, async move {
            drop(future.await);
        });
        queue.run_all();
        let waking = thread::spawn(move || lock(&waker).take().expect("the first poll stored its waker").wake());
        let running = {
            let queue = queue.clone();
            thread::spawn(move || queue.run_all())
        };
        waking.join().unwrap();
        running.join().unwrap();
        queue.run_all();
        assert_eq!(freed.load(SeqCst), 1, "freed once every reference is gone");
    });
}

/// The same for a task that woke itself during its poll (a yield): the poller
/// keeps its reference until the resubmit has returned, while another thread
/// may already have run the task to completion.
#[test]
fn loom_task_yield_racing_a_steal_to_completion() {
    loom::model(|| {
        let queue = Queue::default();
        let mut yielded = false;
        let freed = detached(
            &queue,
            std::future::poll_fn(move |cx| {
                if std::mem::replace(&mut yielded, true) {
                    return Poll::Ready(());
                }
                cx.waker().wake_by_ref();
                Poll::Pending
            }),
        );
        let stealing = {
            let queue = queue.clone();
            thread::spawn(move || queue.run_all())
        };
        queue.run_all();
        stealing.join().unwrap();
        queue.run_all();
        assert_eq!(freed.load(SeqCst), 1, "freed once every reference is gone");
    });
}
