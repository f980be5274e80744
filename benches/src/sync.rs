//! Sync workloads: each runtime with its own ecosystem's primitives
//! (runtime::sync on runtime, tokio::sync on tokio, async-channel and
//! async-lock on smol), and plain threads with crossbeam-channel or
//! std::sync as the limit where one exists.

use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

use crate::{workers, Ours, Rt, Smol, Tokio};

pub const WORKLOADS: [&str; 7] = [
    "mpsc_contended",
    "mpsc_ping_pong",
    "oneshot_many",
    "mutex_contended",
    "semaphore_acquire",
    "once_cell_get",
    "rwlock_read_heavy",
];

const PRODUCERS: usize = 8;
const MESSAGES: usize = 1_000_000;
const CAPACITY: usize = 1024;
const PAIRS: usize = 1_000;
const ROUND_TRIPS: usize = 100;
const ONESHOT_TASKS: usize = 100;
const ONESHOTS: usize = 1_000_000;
const LOCK_TASKS: usize = 64;
const LOCKS_PER_TASK: usize = 10_000;
const PERMITS: usize = 8;
const CELL_GETS_PER_TASK: usize = 100_000;
/// One write in this many operations of rwlock_read_heavy.
const WRITE_EVERY: usize = 100;

/// A runtime's own channels and locks, as its users reach for them.
pub trait Lib: Rt {
    type Tx<T: Send + 'static>: Clone + Send + Sync + 'static;
    type Rx<T: Send + 'static>: Send + 'static;
    type Mutex: Send + Sync + 'static;
    type Semaphore: Send + Sync + 'static;
    type OnceCell: Send + Sync + 'static;
    type RwLock: Send + Sync + 'static;

    fn channel<T: Send + 'static>(capacity: usize) -> (Self::Tx<T>, Self::Rx<T>);
    fn send<T: Send + 'static>(tx: &Self::Tx<T>, value: T) -> impl Future<Output = ()> + Send + '_;
    fn recv<T: Send + 'static>(rx: &mut Self::Rx<T>) -> impl Future<Output = Option<T>> + Send + '_;
    /// Makes a oneshot channel, sends `value` through it and awaits it.
    fn oneshot_round(value: u64) -> impl Future<Output = u64> + Send;
    fn mutex() -> Self::Mutex;
    /// Locks, adds one, unlocks.
    fn increment(mutex: &Self::Mutex) -> impl Future<Output = ()> + Send + '_;
    fn read(mutex: &Self::Mutex) -> impl Future<Output = u64> + Send + '_;
    fn semaphore(permits: usize) -> Self::Semaphore;
    /// Acquires one permit and gives it back.
    fn acquire_release(semaphore: &Self::Semaphore) -> impl Future<Output = ()> + Send + '_;
    fn once_cell() -> Self::OnceCell;
    /// The cell's value, initialising it with 1 the first time.
    fn get_or_init(cell: &Self::OnceCell) -> impl Future<Output = u64> + Send + '_;
    fn rwlock() -> Self::RwLock;
    fn read_lock(lock: &Self::RwLock) -> impl Future<Output = u64> + Send + '_;
    fn write_lock(lock: &Self::RwLock) -> impl Future<Output = ()> + Send + '_;
}

impl Lib for Ours {
    type Tx<T: Send + 'static> = runtime::sync::mpsc::Sender<T>;
    type Rx<T: Send + 'static> = runtime::sync::mpsc::Receiver<T>;
    type Mutex = runtime::sync::Mutex<u64>;
    type Semaphore = runtime::sync::Semaphore;
    type OnceCell = runtime::sync::OnceCell<u64>;
    type RwLock = runtime::sync::RwLock<u64>;

    fn channel<T: Send + 'static>(capacity: usize) -> (Self::Tx<T>, Self::Rx<T>) {
        runtime::sync::mpsc::channel(capacity)
    }
    async fn send<T: Send + 'static>(tx: &Self::Tx<T>, value: T) {
        tx.send(value).await.unwrap_or_else(|_| panic!("receiver alive"));
    }
    fn recv<T: Send + 'static>(rx: &mut Self::Rx<T>) -> impl Future<Output = Option<T>> + Send + '_ {
        rx.recv()
    }
    async fn oneshot_round(value: u64) -> u64 {
        let (tx, rx) = runtime::sync::oneshot::channel();
        tx.send(value).unwrap();
        rx.await.unwrap()
    }
    fn mutex() -> Self::Mutex {
        runtime::sync::Mutex::new(0)
    }
    async fn increment(mutex: &Self::Mutex) {
        *mutex.lock().await += 1;
    }
    async fn read(mutex: &Self::Mutex) -> u64 {
        *mutex.lock().await
    }
    fn semaphore(permits: usize) -> Self::Semaphore {
        runtime::sync::Semaphore::new(permits)
    }
    async fn acquire_release(semaphore: &Self::Semaphore) {
        drop(semaphore.acquire().await.unwrap());
    }
    fn once_cell() -> Self::OnceCell {
        runtime::sync::OnceCell::new()
    }
    async fn get_or_init(cell: &Self::OnceCell) -> u64 {
        *cell.get_or_init(|| async { 1 }).await
    }
    fn rwlock() -> Self::RwLock {
        runtime::sync::RwLock::new(0)
    }
    async fn read_lock(lock: &Self::RwLock) -> u64 {
        *lock.read().await
    }
    async fn write_lock(lock: &Self::RwLock) {
        *lock.write().await += 1;
    }
}

impl Lib for Tokio {
    type Tx<T: Send + 'static> = tokio::sync::mpsc::Sender<T>;
    type Rx<T: Send + 'static> = tokio::sync::mpsc::Receiver<T>;
    type Mutex = tokio::sync::Mutex<u64>;
    type Semaphore = tokio::sync::Semaphore;
    type OnceCell = tokio::sync::OnceCell<u64>;
    type RwLock = tokio::sync::RwLock<u64>;

    fn channel<T: Send + 'static>(capacity: usize) -> (Self::Tx<T>, Self::Rx<T>) {
        tokio::sync::mpsc::channel(capacity)
    }
    async fn send<T: Send + 'static>(tx: &Self::Tx<T>, value: T) {
        tx.send(value).await.unwrap_or_else(|_| panic!("receiver alive"));
    }
    fn recv<T: Send + 'static>(rx: &mut Self::Rx<T>) -> impl Future<Output = Option<T>> + Send + '_ {
        rx.recv()
    }
    async fn oneshot_round(value: u64) -> u64 {
        let (tx, rx) = tokio::sync::oneshot::channel();
        tx.send(value).unwrap();
        rx.await.unwrap()
    }
    fn mutex() -> Self::Mutex {
        tokio::sync::Mutex::new(0)
    }
    async fn increment(mutex: &Self::Mutex) {
        *mutex.lock().await += 1;
    }
    async fn read(mutex: &Self::Mutex) -> u64 {
        *mutex.lock().await
    }
    fn semaphore(permits: usize) -> Self::Semaphore {
        tokio::sync::Semaphore::new(permits)
    }
    async fn acquire_release(semaphore: &Self::Semaphore) {
        drop(semaphore.acquire().await.unwrap());
    }
    fn once_cell() -> Self::OnceCell {
        tokio::sync::OnceCell::new()
    }
    async fn get_or_init(cell: &Self::OnceCell) -> u64 {
        *cell.get_or_init(|| async { 1 }).await
    }
    fn rwlock() -> Self::RwLock {
        tokio::sync::RwLock::new(0)
    }
    async fn read_lock(lock: &Self::RwLock) -> u64 {
        *lock.read().await
    }
    async fn write_lock(lock: &Self::RwLock) {
        *lock.write().await += 1;
    }
}

impl Lib for Smol {
    type Tx<T: Send + 'static> = smol::channel::Sender<T>;
    type Rx<T: Send + 'static> = smol::channel::Receiver<T>;
    type Mutex = smol::lock::Mutex<u64>;
    type Semaphore = smol::lock::Semaphore;
    type OnceCell = smol::lock::OnceCell<u64>;
    type RwLock = smol::lock::RwLock<u64>;

    fn channel<T: Send + 'static>(capacity: usize) -> (Self::Tx<T>, Self::Rx<T>) {
        smol::channel::bounded(capacity)
    }
    async fn send<T: Send + 'static>(tx: &Self::Tx<T>, value: T) {
        tx.send(value).await.unwrap_or_else(|_| panic!("receiver alive"));
    }
    async fn recv<T: Send + 'static>(rx: &mut Self::Rx<T>) -> Option<T> {
        rx.recv().await.ok()
    }
    async fn oneshot_round(value: u64) -> u64 {
        // smol has no oneshot of its own: a bounded(1) async-channel is what its users take.
        let (tx, rx) = smol::channel::bounded(1);
        tx.try_send(value).unwrap();
        rx.recv().await.unwrap()
    }
    fn mutex() -> Self::Mutex {
        smol::lock::Mutex::new(0)
    }
    async fn increment(mutex: &Self::Mutex) {
        *mutex.lock().await += 1;
    }
    async fn read(mutex: &Self::Mutex) -> u64 {
        *mutex.lock().await
    }
    fn semaphore(permits: usize) -> Self::Semaphore {
        smol::lock::Semaphore::new(permits)
    }
    async fn acquire_release(semaphore: &Self::Semaphore) {
        drop(semaphore.acquire().await);
    }
    fn once_cell() -> Self::OnceCell {
        smol::lock::OnceCell::new()
    }
    async fn get_or_init(cell: &Self::OnceCell) -> u64 {
        *cell.get_or_init(|| async { 1 }).await
    }
    fn rwlock() -> Self::RwLock {
        smol::lock::RwLock::new(0)
    }
    async fn read_lock(lock: &Self::RwLock) -> u64 {
        *lock.read().await
    }
    async fn write_lock(lock: &Self::RwLock) {
        *lock.write().await += 1;
    }
}

/// Milliseconds since `start`.
fn ms(start: Instant) -> f64 {
    start.elapsed().as_secs_f64() * 1e3
}

/// One sample of a sync workload on `rt`, in milliseconds.
pub fn sample<R: Lib>(rt: &'static R, name: &str) -> f64 {
    let start = Instant::now();
    match name {
        "mpsc_contended" => rt.block_on(mpsc_contended(rt)),
        "mpsc_ping_pong" => rt.block_on(mpsc_ping_pong(rt)),
        "oneshot_many" => rt.block_on(oneshot_many(rt)),
        "mutex_contended" => rt.block_on(mutex_contended(rt)),
        "once_cell_get" => rt.block_on(once_cell_get(rt)),
        "rwlock_read_heavy" => rt.block_on(rwlock_read_heavy(rt)),
        _ => rt.block_on(semaphore_acquire(rt)),
    }
    ms(start)
}

/// The same workload on plain threads (crossbeam-channel, std::sync), where
/// one exists: the limit.
pub fn sample_threads(name: &str) -> f64 {
    let start = Instant::now();
    match name {
        "mpsc_contended" => {
            let (tx, rx) = crossbeam_channel::bounded(CAPACITY);
            let producers: Vec<_> = (0..PRODUCERS)
                .map(|_| {
                    let tx = tx.clone();
                    std::thread::spawn(move || (0..MESSAGES / PRODUCERS).for_each(|i| tx.send(i).unwrap()))
                })
                .collect();
            drop(tx);
            assert_eq!(rx.iter().count(), MESSAGES);
            producers.into_iter().for_each(|p| p.join().unwrap());
        }
        "oneshot_many" => {
            let threads: Vec<_> = (0..workers())
                .map(|_| {
                    std::thread::spawn(|| {
                        for i in 0..(ONESHOTS / workers()) as u64 {
                            let (tx, rx) = crossbeam_channel::bounded(1);
                            tx.send(i).unwrap();
                            assert_eq!(rx.recv().unwrap(), i);
                        }
                    })
                })
                .collect();
            threads.into_iter().for_each(|t| t.join().unwrap());
        }
        "mutex_contended" => {
            let mutex = Arc::new(std::sync::Mutex::new(0u64));
            let threads: Vec<_> = (0..workers())
                .map(|_| {
                    let mutex = mutex.clone();
                    std::thread::spawn(move || {
                        for _ in 0..LOCK_TASKS * LOCKS_PER_TASK / workers() {
                            *mutex.lock().unwrap() += 1;
                        }
                    })
                })
                .collect();
            threads.into_iter().for_each(|t| t.join().unwrap());
        }
        _ => return f64::NAN,
    }
    ms(start)
}

/// 8 producers into one consumer through a bounded channel of 1024.
async fn mpsc_contended<R: Lib>(rt: &'static R) {
    let (tx, mut rx) = R::channel::<usize>(CAPACITY);
    let producers: Vec<_> = (0..PRODUCERS)
        .map(|_| {
            let tx = tx.clone();
            rt.spawn(async move {
                for i in 0..MESSAGES / PRODUCERS {
                    R::send(&tx, i).await;
                }
            })
        })
        .collect();
    drop(tx);
    let mut received = 0;
    while R::recv(&mut rx).await.is_some() {
        received += 1;
    }
    assert_eq!(received, MESSAGES);
    for producer in producers {
        producer.await;
    }
}

/// The executor table's ping_pong (1,000 pairs, 100 round trips each) over
/// the runtime's own bounded(1) channels.
async fn mpsc_ping_pong<R: Lib>(rt: &'static R) {
    let pairs: Vec<_> = (0..PAIRS)
        .map(|_| {
            let (ping_tx, mut ping_rx) = R::channel::<usize>(1);
            let (pong_tx, mut pong_rx) = R::channel::<usize>(1);
            let ponger = rt.spawn(async move {
                while let Some(n) = R::recv(&mut ping_rx).await {
                    R::send(&pong_tx, n).await;
                }
            });
            let pinger = rt.spawn(async move {
                for i in 0..ROUND_TRIPS {
                    R::send(&ping_tx, i).await;
                    assert_eq!(R::recv(&mut pong_rx).await, Some(i));
                }
            });
            (pinger, ponger)
        })
        .collect();
    for (pinger, ponger) in pairs {
        pinger.await;
        ponger.await;
    }
}

/// 1M oneshot channels made, sent on and awaited, by 100 tasks.
async fn oneshot_many<R: Lib>(rt: &'static R) {
    let tasks: Vec<_> = (0..ONESHOT_TASKS)
        .map(|_| {
            rt.spawn(async {
                let mut sum = 0;
                for i in 0..(ONESHOTS / ONESHOT_TASKS) as u64 {
                    sum += R::oneshot_round(i).await;
                }
                sum
            })
        })
        .collect();
    for task in tasks {
        std::hint::black_box(task.await);
    }
}

/// 64 tasks, each locking one mutex 10,000 times.
async fn mutex_contended<R: Lib>(rt: &'static R) {
    let mutex = Arc::new(R::mutex());
    let tasks: Vec<_> = (0..LOCK_TASKS)
        .map(|_| {
            let mutex = mutex.clone();
            rt.spawn(async move {
                for _ in 0..LOCKS_PER_TASK {
                    R::increment(&mutex).await;
                }
            })
        })
        .collect();
    for task in tasks {
        task.await;
    }
    assert_eq!(R::read(&mutex).await, (LOCK_TASKS * LOCKS_PER_TASK) as u64);
}

/// 64 tasks, each taking and returning one of 8 permits 10,000 times.
async fn semaphore_acquire<R: Lib>(rt: &'static R) {
    let semaphore = Arc::new(R::semaphore(PERMITS));
    let tasks: Vec<_> = (0..LOCK_TASKS)
        .map(|_| {
            let semaphore = semaphore.clone();
            rt.spawn(async move {
                for _ in 0..LOCKS_PER_TASK {
                    R::acquire_release(&semaphore).await;
                }
            })
        })
        .collect();
    for task in tasks {
        task.await;
    }
}

/// 64 tasks, each reading one initialised OnceCell 100,000 times (the first
/// read initialises it): the fast path every service hits per request.
async fn once_cell_get<R: Lib>(rt: &'static R) {
    let cell = Arc::new(R::once_cell());
    let tasks: Vec<_> = (0..LOCK_TASKS)
        .map(|_| {
            let cell = cell.clone();
            rt.spawn(async move {
                let mut sum = 0;
                for _ in 0..CELL_GETS_PER_TASK {
                    sum += R::get_or_init(&cell).await;
                }
                sum
            })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await, CELL_GETS_PER_TASK as u64);
    }
}

/// 64 tasks, each doing 10,000 operations on one RwLock: one write in 100,
/// the rest reads.
async fn rwlock_read_heavy<R: Lib>(rt: &'static R) {
    let lock = Arc::new(R::rwlock());
    let tasks: Vec<_> = (0..LOCK_TASKS)
        .map(|_| {
            let lock = lock.clone();
            rt.spawn(async move {
                for i in 0..LOCKS_PER_TASK {
                    if i % WRITE_EVERY == 0 {
                        R::write_lock(&lock).await;
                    } else {
                        std::hint::black_box(R::read_lock(&lock).await);
                    }
                }
            })
        })
        .collect();
    for task in tasks {
        task.await;
    }
    assert_eq!(R::read_lock(&lock).await, (LOCK_TASKS * LOCKS_PER_TASK / WRITE_EVERY) as u64);
}
