//! Task dumps: every live task with its state, polls, idle time and what it
//! waits on; consistent while tasks are spawned and finish around it.

mod support;

use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use runtime::sync::{mpsc, Mutex, Notify};
use runtime::task::{TaskInfo, TaskState};
use runtime::{Dump, Handle};
use support::watchdog;

// Miri runs the concurrent test a hundred times slower, on fewer dumps.
const LIMIT: Duration = Duration::from_secs(if cfg!(miri) { 600 } else { 30 });
const DUMPS: usize = if cfg!(miri) { 10 } else { 300 };

fn find(dump: &Dump, id: runtime::task::Id) -> TaskInfo {
    dump.tasks().find(|task| task.id() == id).cloned().unwrap_or_else(|| panic!("task {id} missing from\n{dump}"))
}

#[runtime::test]
async fn a_dump_says_what_each_task_waits_on() {
    let (sockets, _peer) = std::os::unix::net::UnixStream::pair().unwrap();
    let fd = sockets.as_raw_fd();
    let mut socket = runtime::net::UnixStream::from_std(sockets).unwrap();
    let reader = runtime::spawn(async move {
        let mut buf = [0; 1];
        futures_util::io::AsyncReadExt::read(&mut socket, &mut buf).await
    });
    let sleeper = runtime::spawn(runtime::time::sleep(Duration::from_secs(600)));
    let joiner = {
        let never = runtime::spawn(std::future::pending::<()>());
        let never_id = never.id();
        (runtime::spawn(never), never_id)
    };
    let (_tx, mut rx) = mpsc::channel::<()>(1);
    let receiver = runtime::spawn(async move { rx.recv().await });
    let lock = Arc::new(Mutex::new(()));
    let held = lock.clone().lock_owned().await;
    let locker = runtime::spawn(async move { drop(lock.lock().await) });
    let notify = Arc::new(Notify::new());
    let waiter = runtime::spawn({
        let notify = notify.clone();
        async move { notify.notified().await }
    });
    let done = runtime::spawn(async {});
    runtime::task::yield_now().await;
    let not_yet_run = runtime::spawn(async {});

    let dump = Handle::current().dump();
    let says = |id| find(&dump, id).waiting_on().map(str::to_string);
    assert_eq!(says(reader.id()), Some(format!("fd {fd} readable")), "{dump}");
    assert!(says(sleeper.id()).unwrap().starts_with("timer due in"), "{dump}");
    assert_eq!(says(joiner.0.id()), Some(format!("JoinHandle of task {}", joiner.1)));
    assert_eq!(says(receiver.id()).as_deref(), Some("mpsc::Receiver::recv"));
    assert_eq!(says(locker.id()).as_deref(), Some("Mutex::lock"));
    assert_eq!(says(waiter.id()).as_deref(), Some("Notify::notified"));
    assert_eq!(find(&dump, reader.id()).state(), TaskState::Idle);
    assert_eq!(find(&dump, reader.id()).polls(), 1);
    assert!(dump.tasks().all(|task| task.id() != done.id()), "a finished task has left its owner list");
    let fresh = find(&dump, not_yet_run.id());
    assert_eq!((fresh.state(), fresh.polls(), fresh.idle_for()), (TaskState::Scheduled, 0, Duration::ZERO));
    assert_eq!(fresh.waiting_on(), None);
    assert_eq!(fresh.spawned_at().file(), file!());
    assert!(dump.tasks().map(TaskInfo::id).is_sorted());

    let table = dump.to_string();
    assert!(table.starts_with(&format!("{} tasks\n", dump.tasks().len())), "{table}");
    assert!(table.contains(&format!("{}:{}", file!(), fresh.spawned_at().line())), "{table}");
    assert!(table.contains("Mutex::lock") && table.contains("scheduled"), "{table}");
    drop(held);
}

#[runtime::test]
async fn idle_time_grows_while_a_task_waits_and_resets_when_it_runs() {
    let notify = Arc::new(Notify::new());
    let waiter = runtime::spawn({
        let notify = notify.clone();
        async move {
            notify.notified().await;
            notify.notified().await;
        }
    });
    runtime::task::yield_now().await;
    // The idle time only ever comes out larger than the time that passed.
    runtime::time::sleep(Duration::from_millis(100)).await;
    let before = find(&Handle::current().dump(), waiter.id());
    assert!(before.idle_for() >= Duration::from_millis(60), "{before:?}");
    notify.notify_one();
    runtime::task::yield_now().await;
    let after = find(&Handle::current().dump(), waiter.id());
    assert_eq!(after.polls(), 2);
    assert!(after.idle_for() < before.idle_for(), "{before:?} then {after:?}");
}

#[test]
fn dumps_stay_whole_while_tasks_come_and_go_on_four_workers() {
    watchdog(LIMIT, || {
        let rt = runtime::Builder::new_multi_thread().worker_threads(4).build().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let batches = Arc::new(AtomicU64::new(0));
        let spawners: Vec<_> = (0..4)
            .map(|_| {
                let (stop, batches) = (stop.clone(), batches.clone());
                rt.spawn(async move {
                    let mut spawned = 0u64;
                    while !stop.load(Ordering::Relaxed) {
                        let tasks: Vec<_> = (0..32).map(|_| runtime::spawn(runtime::task::yield_now())).collect();
                        for task in tasks {
                            task.await.unwrap();
                        }
                        spawned += 32;
                        batches.fetch_add(1, Ordering::Relaxed);
                    }
                    spawned
                })
            })
            .collect();
        let spawner_ids: Vec<_> = spawners.iter().map(|spawner| spawner.id()).collect();
        for _ in 0..DUMPS {
            let dump = rt.handle().dump();
            let ids: Vec<_> = dump.tasks().map(TaskInfo::id).collect();
            assert!(ids.windows(2).all(|pair| pair[0] < pair[1]), "ids unique and sorted");
            assert!(spawner_ids.iter().all(|id| ids.contains(id)), "the spawners live throughout");
            for task in dump.tasks() {
                assert_eq!(task.spawned_at().file(), file!());
                assert!(task.state() != TaskState::Complete || task.polls() > 0);
            }
        }
        // The dumps may all be taken before a loaded machine lets a batch
        // finish: the spawners must have made progress before they stop
        // (the watchdog bounds the wait).
        while batches.load(Ordering::Relaxed) < 4 {
            std::thread::yield_now();
        }
        stop.store(true, Ordering::Relaxed);
        let spawned: u64 =
            rt.block_on(async { futures_util::future::join_all(spawners).await.into_iter().map(Result::unwrap).sum() });
        assert!(spawned > 0);
        // A joined task may still be leaving the task list (its output is
        // out before it is removed): wait for the list to empty, then the
        // dump must agree with the metrics.
        support::wait_until(LIMIT, || rt.handle().metrics().num_alive_tasks() == 0);
        assert_eq!(rt.handle().dump().tasks().len(), 0);
    });
}
