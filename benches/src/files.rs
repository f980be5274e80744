//! File workloads: many small files and one big file, read and written
//! (and read at random offsets: `file_random_read`, with `read_at` on ours
//! and std, seek and read on tokio and smol), on
//! runtime::fs, tokio::fs, smol's async-fs, and std::fs on two plain threads
//! (the limit).

use std::future::Future;
use std::path::PathBuf;
use std::time::Instant;

use crate::table::median;
use crate::{workers, Ours, Rt, Smol, Tokio};

pub const SMALL_FILES: usize = 2_000;
const SMALL_LEN: usize = 16 * 1024;
const BIG_LEN: usize = 256 * 1024 * 1024;
const CHUNK: usize = 64 * 1024;

/// The files the read workloads read (made once) and the directory the
/// write workloads write into.
pub struct Fixture {
    dir: PathBuf,
}

impl Fixture {
    pub fn new() -> Fixture {
        let dir = std::env::temp_dir().join(format!("runtime-bench-files-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("small")).unwrap();
        std::fs::create_dir_all(dir.join("out")).unwrap();
        let small = vec![7u8; SMALL_LEN];
        for i in 0..SMALL_FILES {
            std::fs::write(dir.join(format!("small/{i}")), &small).unwrap();
        }
        std::fs::write(dir.join("big"), vec![9u8; BIG_LEN]).unwrap();
        Fixture { dir }
    }

    fn small(&self, i: usize) -> PathBuf {
        self.dir.join(format!("small/{i}"))
    }

    fn out(&self, i: usize) -> PathBuf {
        self.dir.join(format!("out/{i}"))
    }

    /// Writes every dirty page to the disk (`sync`), so that no sample waits
    /// for the writeback of the one before: truncating a file still being
    /// written back waits for it.
    pub fn quiesce(&self) {
        let status = std::process::Command::new("sync").status().expect("runs sync");
        assert!(status.success(), "sync failed: {status}");
    }

    /// Removes the files (the fixture lives for the whole run, leaked).
    pub fn remove(&self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The file API of one runtime.
pub trait Files: Rt {
    /// Opens a file and reads it to the end; returns its length.
    fn read_file(path: PathBuf) -> impl Future<Output = usize> + Send;
    /// Reads a file in `CHUNK` reads; returns its length.
    fn read_chunks(path: PathBuf) -> impl Future<Output = usize> + Send;
    /// Creates a file and writes `len` bytes in `chunk`-sized writes, then flushes.
    fn write_file(path: PathBuf, len: usize, chunk: usize) -> impl Future<Output = ()> + Send;
}

/// `file_random_read` on one runtime: `RANDOM_TASKS` tasks each read
/// `RANDOM_READS` blocks of `RANDOM_BLOCK` bytes at random offsets of the
/// big file; returns the bytes read.
pub trait RandomReads: Rt {
    fn random_reads(rt: &'static Self, path: PathBuf) -> impl Future<Output = usize> + Send;
}

/// `file_random_read`: concurrent tasks, and the reads each makes.
const RANDOM_TASKS: usize = 4;
const RANDOM_READS: usize = 2_500;
const RANDOM_BLOCK: usize = 4 * 1024;

/// Runs `RANDOM_TASKS` tasks, `task(index)` each, on `rt`; sums what they return.
async fn sum_of_tasks<R: Rt, F>(rt: &'static R, task: impl Fn(usize) -> F) -> usize
where
    F: Future<Output = usize> + Send + 'static,
{
    let tasks: Vec<_> = (0..RANDOM_TASKS).map(|index| rt.spawn(task(index))).collect();
    let mut total = 0;
    for task in tasks {
        total += task.await;
    }
    total
}

/// Task `task`'s offsets: a xorshift sequence of block-aligned offsets.
fn random_offsets(task: usize) -> impl Iterator<Item = u64> {
    let mut x = 0x9E37_79B9_7F4A_7C15u64 ^ (task as u64 + 1);
    (0..RANDOM_READS).map(move |_| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        (x % (BIG_LEN / RANDOM_BLOCK) as u64) * RANDOM_BLOCK as u64
    })
}

/// `Files` for a runtime whose file type and I/O extension traits have the
/// usual shape (all three do): `impl_files!(Runtime, path::to::File, path::to::io)`.
macro_rules! impl_files {
    ($rt:ty, $($file:ident)::+, $($io:ident)::+) => {
        impl Files for $rt {
            async fn read_file(path: PathBuf) -> usize {
                use $($io)::+::AsyncReadExt;
                let mut buf = Vec::new();
                $($file)::+::open(path).await.unwrap().read_to_end(&mut buf).await.unwrap()
            }
            async fn read_chunks(path: PathBuf) -> usize {
                use $($io)::+::AsyncReadExt;
                let mut file = $($file)::+::open(path).await.unwrap();
                let (mut buf, mut total) = (vec![0; CHUNK], 0);
                loop {
                    match file.read(&mut buf).await.unwrap() {
                        0 => return total,
                        n => total += n,
                    }
                }
            }
            async fn write_file(path: PathBuf, len: usize, chunk: usize) {
                use $($io)::+::AsyncWriteExt;
                let mut file = $($file)::+::create(path).await.unwrap();
                let buf = vec![5u8; chunk];
                for _ in 0..len / chunk {
                    file.write_all(&buf).await.unwrap();
                }
                file.flush().await.unwrap();
            }
        }
    };
}

impl_files!(Ours, runtime::fs::File, runtime::io);

/// Ours with `read_at`, on one `File` shared by the tasks (std's way).
impl RandomReads for Ours {
    async fn random_reads(rt: &'static Self, path: PathBuf) -> usize {
        let file = std::sync::Arc::new(runtime::fs::File::open(path).await.unwrap());
        sum_of_tasks(rt, |task| {
            let file = file.clone();
            async move {
                let mut buf = vec![0; RANDOM_BLOCK];
                for offset in random_offsets(task) {
                    file.read_exact_at(&mut buf, offset).await.unwrap();
                }
                RANDOM_READS * RANDOM_BLOCK
            }
        })
        .await
    }
}
impl_files!(Tokio, tokio::fs::File, tokio::io);

/// tokio's and smol's files have no `read_at`: each task has a `File` of
/// its own and seeks before each read.
macro_rules! impl_seeking_random_reads {
    ($rt:ty, $($file:ident)::+, $($io:ident)::+) => {
        impl RandomReads for $rt {
            async fn random_reads(rt: &'static Self, path: PathBuf) -> usize {
                use $($io)::+::{AsyncReadExt, AsyncSeekExt};
                sum_of_tasks(rt, |task| {
                    let path = path.clone();
                    async move {
                        let mut file = $($file)::+::open(path).await.unwrap();
                        let mut buf = vec![0; RANDOM_BLOCK];
                        for offset in random_offsets(task) {
                            file.seek(std::io::SeekFrom::Start(offset)).await.unwrap();
                            file.read_exact(&mut buf).await.unwrap();
                        }
                        RANDOM_READS * RANDOM_BLOCK
                    }
                })
                .await
            }
        }
    };
}

impl_seeking_random_reads!(Tokio, tokio::fs::File, tokio::io);
impl_seeking_random_reads!(Smol, smol::fs::File, smol::io);
impl_files!(Smol, smol::fs::File, smol::io);

/// One file workload on one runtime: milliseconds.
pub fn sample<R: Files + RandomReads>(rt: &'static R, name: &str, fixture: &'static Fixture) -> f64 {
    let start = Instant::now();
    match name {
        "file_small" => rt.block_on(async move {
            let tasks: Vec<_> = (0..SMALL_FILES).map(|i| rt.spawn(R::read_file(fixture.small(i)))).collect();
            for task in tasks {
                assert_eq!(task.await, SMALL_LEN);
            }
        }),
        "file_big" => assert_eq!(rt.block_on(R::read_chunks(fixture.dir.join("big"))), BIG_LEN),
        "file_random_read" => {
            let total = rt.block_on(R::random_reads(rt, fixture.dir.join("big")));
            assert_eq!(total, RANDOM_TASKS * RANDOM_READS * RANDOM_BLOCK);
        }
        "file_write_small" => rt.block_on(async move {
            let tasks: Vec<_> =
                (0..SMALL_FILES).map(|i| rt.spawn(R::write_file(fixture.out(i), SMALL_LEN, SMALL_LEN))).collect();
            for task in tasks {
                task.await;
            }
        }),
        _ => rt.block_on(R::write_file(fixture.out(SMALL_FILES), BIG_LEN, CHUNK)),
    }
    start.elapsed().as_secs_f64() * 1e3
}

/// The number of open file descriptors of this process.
pub fn open_descriptors() -> usize {
    std::fs::read_dir("/proc/self/fd").map_or(0, Iterator::count)
}

/// Waits (up to a second) until the process has `open` descriptors again: a
/// runtime that closes written files in the background finishes that before
/// the next sample starts, so its closes do not slow another runtime's.
pub fn settle(open: usize) {
    let deadline = Instant::now() + std::time::Duration::from_secs(1);
    while open_descriptors() > open && Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
}

/// The same workload with std::fs on two plain threads: milliseconds.
pub fn sample_std(name: &str, fixture: &Fixture) -> f64 {
    use std::io::{Read, Write};
    let start = Instant::now();
    let halves = |f: &(dyn Fn(usize) + Sync)| {
        std::thread::scope(|scope| {
            for half in 0..2 {
                scope.spawn(move || (half..SMALL_FILES).step_by(2).for_each(f));
            }
        })
    };
    match name {
        "file_small" => halves(&|i| assert_eq!(std::fs::read(fixture.small(i)).unwrap().len(), SMALL_LEN)),
        "file_big" => {
            let mut file = std::fs::File::open(fixture.dir.join("big")).unwrap();
            let (mut buf, mut total) = (vec![0; CHUNK], 0);
            while let n @ 1.. = file.read(&mut buf).unwrap() {
                total += n;
            }
            assert_eq!(total, BIG_LEN);
        }
        "file_write_small" => halves(&|i| std::fs::write(fixture.out(i), vec![5u8; SMALL_LEN]).unwrap()),
        "file_random_read" => {
            use std::os::unix::fs::FileExt;
            let file = std::fs::File::open(fixture.dir.join("big")).unwrap();
            std::thread::scope(|scope| {
                for task in 0..RANDOM_TASKS {
                    let file = &file;
                    scope.spawn(move || {
                        let mut buf = vec![0; RANDOM_BLOCK];
                        random_offsets(task).for_each(|offset| file.read_exact_at(&mut buf, offset).unwrap());
                    });
                }
            });
        }
        _ => {
            let mut file = std::fs::File::create(fixture.out(SMALL_FILES)).unwrap();
            let buf = vec![5u8; CHUNK];
            for _ in 0..BIG_LEN / CHUNK {
                file.write_all(&buf).unwrap();
            }
            file.flush().unwrap();
        }
    }
    start.elapsed().as_secs_f64() * 1e3
}

pub const WORKLOADS: [&str; 5] = ["file_small", "file_big", "file_random_read", "file_write_small", "file_write_big"];

/// The file workloads on the three runtimes and on std::fs threads, rotated
/// each round; medians (ms) and ratios.
pub fn run(
    rounds: usize,
    names: &[&str],
    only: Option<&[String]>,
    rts: (&'static Ours, &'static Tokio, &'static Smol),
) {
    let fixture: &'static Fixture = Box::leak(Box::new(Fixture::new()));
    // samples[workload][runtime, tokio, smol, std]
    let mut samples = vec![vec![Vec::new(); 4]; names.len()];
    for round in 0..rounds {
        for (w, name) in names.iter().enumerate() {
            for k in 0..4 {
                let which = (k + round) % 4;
                if only.is_some_and(|o| !o.iter().any(|o| o == ["runtime", "tokio", "smol", "std"][which])) {
                    continue;
                }
                fixture.quiesce();
                let open = open_descriptors();
                let ms = match which {
                    0 => sample(rts.0, name, fixture),
                    1 => sample(rts.1, name, fixture),
                    2 => sample(rts.2, name, fixture),
                    _ => sample_std(name, fixture),
                };
                samples[w][which].push(ms);
                settle(open);
            }
        }
        eprintln!("file round {}/{rounds} done", round + 1);
    }
    fixture.remove();
    println!();
    println!("{rounds} rounds, {} workers each, std on 2 threads; medians (ms)", workers());
    println!(
        "{:<18} {:>9} {:>9} {:>9} {:>9} {:>13} {:>12} {:>11}",
        "workload", "runtime", "tokio", "smol", "std", "runtime/tokio", "runtime/smol", "runtime/std"
    );
    for (w, name) in names.iter().enumerate() {
        let [r, t, m, s] =
            [0, 1, 2, 3].map(|i| if samples[w][i].is_empty() { f64::NAN } else { median(&mut samples[w][i]) });
        println!("{name:<18} {r:>9.2} {t:>9.2} {m:>9.2} {s:>9.2} {:>13.2} {:>12.2} {:>11.2}", r / t, r / m, r / s);
    }
}
