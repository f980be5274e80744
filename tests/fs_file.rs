//! Files on the blocking pool: round trips, a model test against std::fs,
//! drop without flush, concurrent readers, errors, a file past 1 GiB.

mod support;

use std::io::{IoSlice, Read, Seek, SeekFrom, Write};
use std::time::Duration;

use futures_util::StreamExt;
use runtime::fs::{self, File, OpenOptions};
use runtime::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};
use runtime::Builder;
use support::{wait_until, watchdog, TempDir};

const LIMIT: Duration = Duration::from_secs(120);

fn block_on<T>(future: impl std::future::Future<Output = T>) -> T {
    Builder::new_multi_thread().worker_threads(2).build().unwrap().block_on(future)
}

#[test]
fn every_path_function_round_trips() {
    watchdog(LIMIT, || {
        let dir = TempDir::new("fs-paths");
        block_on(async {
            let a = dir.join("a.txt");
            fs::write(&a, "hello").await.unwrap();
            assert_eq!(fs::read(&a).await.unwrap(), b"hello");
            assert_eq!(fs::read_to_string(&a).await.unwrap(), "hello");
            assert_eq!(fs::copy(&a, dir.join("b.txt")).await.unwrap(), 5);
            fs::rename(dir.join("b.txt"), dir.join("c.txt")).await.unwrap();
            assert_eq!(fs::metadata(dir.join("c.txt")).await.unwrap().len(), 5);
            assert!(fs::symlink_metadata(&a).await.unwrap().is_file());
            assert_eq!(fs::canonicalize(&a).await.unwrap(), std::fs::canonicalize(&a).unwrap());
            fs::create_dir(dir.join("d")).await.unwrap();
            fs::create_dir_all(dir.join("d/e/f")).await.unwrap();
            fs::remove_dir(dir.join("d/e/f")).await.unwrap();
            fs::remove_file(dir.join("c.txt")).await.unwrap();
            for i in 0..200 {
                fs::write(dir.join(&format!("d/{i}")), [i as u8]).await.unwrap();
            }
            let mut names: Vec<String> = fs::read_dir(dir.join("d"))
                .await
                .unwrap()
                .map(|entry| entry.unwrap().file_name().into_string().unwrap())
                .collect()
                .await;
            names.sort();
            let mut expected: Vec<String> = (0..200).map(|i| i.to_string()).chain(["e".to_string()]).collect();
            expected.sort();
            assert_eq!(names, expected, "read_dir returns every entry once, across batches");
            fs::remove_dir_all(dir.join("d")).await.unwrap();
            assert!(!dir.join("d").exists());
        });
    });
}

#[test]
fn file_methods_round_trip() {
    watchdog(LIMIT, || {
        let dir = TempDir::new("fs-file");
        block_on(async {
            let path = dir.join("f");
            let mut file = File::create(&path).await.unwrap();
            file.write_all(b"0123456789").await.unwrap();
            file.sync_all().await.unwrap();
            assert_eq!(file.metadata().await.unwrap().len(), 10);
            file.set_len(4).await.unwrap();
            file.sync_data().await.unwrap();
            assert_eq!(std::fs::read(&path).unwrap(), b"0123");
            drop(file);
            let mut file = OpenOptions::new().read(true).write(true).open(&path).await.unwrap();
            assert_eq!(file.seek(SeekFrom::End(-2)).await.unwrap(), 2);
            let mut rest = Vec::new();
            file.read_to_end(&mut rest).await.unwrap();
            assert_eq!(rest, b"23");
            let mut log = OpenOptions::new().append(true).create(true).open(dir.join("log")).await.unwrap();
            log.write_all(b"one ").await.unwrap();
            log.write_all(b"two").await.unwrap();
            log.flush().await.unwrap();
            assert_eq!(std::fs::read(dir.join("log")).unwrap(), b"one two");
            assert!(OpenOptions::new().write(true).create_new(true).open(&path).await.is_err());
        });
    });
}

/// A small deterministic generator (xorshift).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// 1,000 random sequences of read, write, seek, set_len and flush, run on
/// runtime::fs::File and std::fs::File side by side: after every step the
/// results, the positions and (after a flush) the contents agree.
#[test]
fn a_file_behaves_like_std_under_random_operations() {
    watchdog(LIMIT, || {
        let dir = TempDir::new("fs-model");
        let rt = Builder::new_multi_thread().worker_threads(2).build().unwrap();
        let mut rng = Rng(0xDEAD_BEEF_CAFE_F00D);
        for sequence in 0..1_000 {
            let (ours_path, std_path) = (dir.join("ours"), dir.join("std"));
            let mut model =
                std::fs::OpenOptions::new().read(true).write(true).create(true).truncate(true).open(&std_path).unwrap();
            rt.block_on(async {
                let mut file = OpenOptions::new()
                    .read(true)
                    .write(true)
                    .create(true)
                    .truncate(true)
                    .open(&ours_path)
                    .await
                    .unwrap();
                let mut log = Vec::new();
                for _ in 0..20 {
                    let step = rng.below(10);
                    match step {
                        0..=2 => {
                            let len = [1, 7, 100, 5_000, 70_000][rng.below(5) as usize];
                            let data: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
                            log.push(format!("write {len}"));
                            file.write_all(&data).await.unwrap();
                            model.write_all(&data).unwrap();
                        }
                        3..=5 => {
                            let len = [1, 10, 4_096, 100_000][rng.below(4) as usize];
                            log.push(format!("read {len}"));
                            let (mut ours, mut theirs) = (vec![0; len], vec![0; len]);
                            let n = read_full(&mut file, &mut ours).await;
                            let m = model.read(&mut theirs).unwrap();
                            let m = m + if m > 0 { read_rest(&mut model, &mut theirs[m..]) } else { 0 };
                            assert_eq!(n, m, "sequence {sequence}: {log:?}");
                            assert_eq!(ours[..n], theirs[..m], "sequence {sequence}: {log:?}");
                        }
                        6 | 7 => {
                            let to = match rng.below(3) {
                                0 => SeekFrom::Start(rng.below(200_000)),
                                1 => SeekFrom::Current(rng.below(2_000) as i64 - 1_000),
                                _ => SeekFrom::End(-(rng.below(1_000) as i64)),
                            };
                            log.push(format!("seek {to:?}"));
                            let ours = file.seek(to).await.map_err(|e| e.kind());
                            let theirs = model.seek(to).map_err(|e| e.kind());
                            assert_eq!(ours, theirs, "sequence {sequence}: {log:?}");
                        }
                        8 => {
                            let len = rng.below(150_000);
                            log.push(format!("set_len {len}"));
                            file.set_len(len).await.unwrap();
                            model.set_len(len).unwrap();
                        }
                        _ => {
                            log.push("flush".into());
                            file.flush().await.unwrap();
                            assert_eq!(
                                std::fs::read(&ours_path).unwrap(),
                                std::fs::read(&std_path).unwrap(),
                                "sequence {sequence}: {log:?}"
                            );
                        }
                    }
                    let ours = file.stream_position().await.unwrap();
                    assert_eq!(ours, model.stream_position().unwrap(), "sequence {sequence}: {log:?}");
                }
                file.flush().await.unwrap();
            });
            assert_eq!(std::fs::read(&ours_path).unwrap(), std::fs::read(&std_path).unwrap(), "sequence {sequence}");
        }
    });
}

/// Reads until `buf` is full or the end of the file, like a std reader
/// looping; returns the bytes read.
async fn read_full(file: &mut File, buf: &mut [u8]) -> usize {
    let mut filled = 0;
    while filled < buf.len() {
        match file.read(&mut buf[filled..]).await.unwrap() {
            0 => break,
            n => filled += n,
        }
    }
    filled
}

fn read_rest(file: &mut std::fs::File, buf: &mut [u8]) -> usize {
    let mut filled = 0;
    while filled < buf.len() {
        match file.read(&mut buf[filled..]).unwrap() {
            0 => break,
            n => filled += n,
        }
    }
    filled
}

/// Dropping a File right after writes it reported done (no flush) still
/// writes them, in order after the job in flight.
#[test]
fn dropping_a_file_without_flush_still_writes_everything() {
    watchdog(LIMIT, || {
        let dir = TempDir::new("fs-drop");
        let path = dir.join("f");
        let rt = Builder::new_multi_thread().worker_threads(2).build().unwrap();
        let expected: Vec<u8> = (0..100_000u32).flat_map(|i| i.to_le_bytes()).collect();
        rt.block_on(async {
            let mut file = File::create(&path).await.unwrap();
            for chunk in expected.chunks(100) {
                file.write_all(chunk).await.unwrap();
            }
            drop(file);
        });
        // The runtime's drop waits for its blocking jobs.
        drop(rt);
        assert_eq!(std::fs::read(&path).unwrap(), expected);
    });
}

/// Writes past the pending limit (2 MiB) wait for the write job in flight,
/// which takes them and goes on; a write after a seek back waits until the
/// bytes before it are taken, and lands after them.
#[test]
fn a_long_run_of_writes_with_seeks_lands_as_with_std() {
    watchdog(LIMIT, || {
        let dir = TempDir::new("fs-stream");
        let path = dir.join("f");
        let chunk: Vec<u8> = (0..64 * 1024u32).map(|i| (i % 251) as u8).collect();
        let mut expected = Vec::new();
        block_on(async {
            let mut file = File::create(&path).await.unwrap();
            for round in 0..3u8 {
                for _ in 0..48 {
                    file.write_all(&chunk).await.unwrap();
                    expected.extend_from_slice(&chunk);
                }
                // Overwrite a stretch written just before, then go back to the end.
                let at = expected.len() - 3 * chunk.len() / 2;
                file.seek(SeekFrom::Start(at as u64)).await.unwrap();
                file.write_all(&[round; 1000]).await.unwrap();
                expected[at..at + 1000].fill(round);
                file.seek(SeekFrom::End(0)).await.unwrap();
            }
            file.flush().await.unwrap();
        });
        assert_eq!(std::fs::read(&path).unwrap(), expected);
    });
}

/// The descriptors of this process open on `path`.
fn descriptors_on(path: &std::path::Path) -> usize {
    std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .filter(|fd| fd.as_ref().is_ok_and(|fd| std::fs::read_link(fd.path()).is_ok_and(|target| target == path)))
        .count()
}

/// A file written with more than a mebibyte is closed on the blocking pool
/// (closing may write back); it is still closed, flushed or not.
#[test]
fn a_file_closed_on_the_pool_is_closed_all_the_same() {
    watchdog(LIMIT, || {
        let dir = TempDir::new("fs-close");
        let chunk = vec![3u8; 256 * 1024];
        block_on(async {
            for (name, flush) in [("flushed", true), ("unflushed", false)] {
                let path = dir.join(name);
                let mut file = File::create(&path).await.unwrap();
                for _ in 0..8 {
                    file.write_all(&chunk).await.unwrap();
                }
                if flush {
                    file.flush().await.unwrap();
                }
                assert_eq!(descriptors_on(&path), 1);
                drop(file);
                wait_until(Duration::from_secs(10), || descriptors_on(&path) == 0);
                assert_eq!(std::fs::metadata(&path).unwrap().len(), 8 * chunk.len() as u64, "{name}");
            }
        });
    });
}

#[test]
fn concurrent_readers_of_one_file_each_read_it_whole() {
    watchdog(LIMIT, || {
        let dir = TempDir::new("fs-readers");
        let path = dir.join("f");
        let contents: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
        std::fs::write(&path, &contents).unwrap();
        let rt = Builder::new_multi_thread().worker_threads(2).build().unwrap();
        let readers: Vec<_> = (0..8)
            .map(|_| {
                let path = path.clone();
                rt.spawn(async move {
                    let mut file = File::open(&path).await.unwrap();
                    let mut all = Vec::new();
                    let mut buf = [0; 1_000];
                    loop {
                        match file.read(&mut buf).await.unwrap() {
                            0 => break all,
                            n => all.extend_from_slice(&buf[..n]),
                        }
                    }
                })
            })
            .collect();
        rt.block_on(async {
            for reader in readers {
                assert!(reader.await.unwrap() == contents);
            }
        });
    });
}

/// Errors come back as std reports them: same kind, for the same call.
#[test]
fn errors_are_the_oss_unchanged() {
    watchdog(LIMIT, || {
        let dir = TempDir::new("fs-errors");
        block_on(async {
            let missing = dir.join("missing");
            assert_eq!(File::open(&missing).await.unwrap_err().kind(), std::io::ErrorKind::NotFound);
            assert_eq!(fs::read(&missing).await.unwrap_err().kind(), std::io::ErrorKind::NotFound);
            assert_eq!(fs::remove_file(&missing).await.unwrap_err().raw_os_error(), Some(libc::ENOENT));
            let is_dir = File::create(dir.path()).await.unwrap_err();
            assert_eq!(is_dir.raw_os_error(), Some(libc::EISDIR));
            assert_eq!(fs::remove_dir(&missing).await.unwrap_err().raw_os_error(), Some(libc::ENOENT));
            // Permissions: whatever std gets (EACCES, or success as root), we get.
            let locked = dir.join("locked");
            std::fs::write(&locked, "x").unwrap();
            std::fs::set_permissions(&locked, std::os::unix::fs::PermissionsExt::from_mode(0o000)).unwrap();
            let theirs = std::fs::OpenOptions::new().write(true).open(&locked).map(drop).map_err(|e| e.raw_os_error());
            let ours = OpenOptions::new().write(true).open(&locked).await.map(drop).map_err(|e| e.raw_os_error());
            assert_eq!(ours, theirs);
        });
    });
}

/// A sparse file past 1 GiB read in chunks: every byte is seen, in order, and
/// the reader holds at most one read-ahead chunk (2 MiB) at a time.
#[test]
fn a_file_past_one_gibibyte_is_read_in_chunks() {
    watchdog(LIMIT, || {
        let dir = TempDir::new("fs-big");
        let path = dir.join("sparse");
        let len: u64 = (1 << 30) + 12_345;
        {
            let mut file = std::fs::File::create(&path).unwrap();
            file.set_len(len).unwrap();
            file.seek(SeekFrom::Start(len - 4)).unwrap();
            file.write_all(b"tail").unwrap();
        }
        block_on(async {
            let mut file = File::open(&path).await.unwrap();
            let mut buf = vec![0; 64 * 1024];
            let (mut total, mut last) = (0u64, Vec::new());
            loop {
                let n = file.read(&mut buf).await.unwrap();
                if n == 0 {
                    break;
                }
                total += n as u64;
                last = buf[..n].to_vec();
            }
            assert_eq!(total, len);
            assert!(last.ends_with(b"tail"));
        });
    });
}

/// Polls `future` once and drops it. With no write pending, that first poll
/// starts the operation's job and usually returns before the job is done,
/// leaving the job's result behind.
fn start_and_drop<F: std::future::Future>(future: F) {
    let mut future = std::pin::pin!(future);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    let _ = future.as_mut().poll(&mut cx);
}

#[test]
fn a_dropped_operation_leaves_no_stale_result_for_the_next() {
    let dir = TempDir::new("stale");
    let path = dir.join("file");
    block_on(async move {
        // The race (does the job finish before the first poll returns?) goes
        // the stale way nearly every time; twenty rounds make a miss vanishingly rare.
        for _ in 0..20 {
            let mut file =
                File::options().read(true).write(true).create(true).truncate(true).open(&path).await.unwrap();
            file.write_all(b"hello").await.unwrap();
            file.flush().await.unwrap();
            // A failing set_len, dropped while its job runs: its error is not the seek's.
            start_and_drop(file.set_len(u64::MAX));
            assert_eq!(file.seek(SeekFrom::End(0)).await.unwrap(), 5);
            // A length query, dropped; then the file grows: the next query sees it.
            start_and_drop(file.seek(SeekFrom::End(0)));
            file.write_all(b", world").await.unwrap();
            file.flush().await.unwrap();
            assert_eq!(file.seek(SeekFrom::End(0)).await.unwrap(), 12);
        }
    });
}

/// A read dropped while its job runs, then a write over the bytes it was
/// fetching: the next read sees the write, not the chunk fetched before it.
#[test]
fn a_read_dropped_midway_leaves_no_stale_bytes_for_a_read_after_a_write() {
    let dir = TempDir::new("stale-read");
    let path = dir.join("file");
    std::fs::write(&path, vec![b'a'; 256 * 1024]).unwrap();
    block_on(async move {
        // As above: the job nearly always outlives the first poll.
        for _ in 0..20 {
            let mut file = File::options().read(true).write(true).open(&path).await.unwrap();
            file.seek(SeekFrom::Start(100 * 1024)).await.unwrap();
            start_and_drop(file.read(&mut [0; 16]));
            file.seek(SeekFrom::Start(100 * 1024)).await.unwrap();
            file.write_all(b"bbbb").await.unwrap();
            file.seek(SeekFrom::Start(100 * 1024)).await.unwrap();
            let mut got = [0; 4];
            file.read_exact(&mut got).await.unwrap();
            assert_eq!(&got, b"bbbb");
            file.seek(SeekFrom::Start(100 * 1024)).await.unwrap();
            file.write_all(b"aaaa").await.unwrap();
            file.flush().await.unwrap();
        }
    });
}

/// A write behind a job that is not a write (here a read dropped midway)
/// reaches the kernel with no later operation on the file.
#[test]
fn a_write_behind_another_job_reaches_the_kernel_by_itself() {
    watchdog(LIMIT, || {
        let dir = TempDir::new("write-behind");
        let path = dir.join("file");
        std::fs::write(&path, vec![b'a'; 256 * 1024]).unwrap();
        block_on(async {
            let mut file = File::options().read(true).write(true).open(&path).await.unwrap();
            file.seek(SeekFrom::Start(100 * 1024)).await.unwrap();
            start_and_drop(file.read(&mut [0; 16]));
            file.seek(SeekFrom::Start(0)).await.unwrap();
            file.write_all(b"written").await.unwrap();
            // No flush, no other operation: the bytes get there anyway.
            wait_until(Duration::from_secs(10), || std::fs::read(&path).unwrap().starts_with(b"written"));
            drop(file);
        });
    });
}

/// `write_vectored` takes every buffer (up to the 2 MiB hand-over), not just
/// the first, and the bytes land in order.
#[test]
fn a_vectored_write_takes_every_buffer() {
    watchdog(LIMIT, || {
        let dir = TempDir::new("vectored");
        let path = dir.join("file");
        block_on(async {
            let mut file = File::create(&path).await.unwrap();
            let (a, b) = (b"first ".to_vec(), b"second".to_vec());
            let n = file.write_vectored(&[IoSlice::new(&a), IoSlice::new(&b)]).await.unwrap();
            assert_eq!(n, a.len() + b.len(), "both buffers taken");
            // Many buffers, more than the hand-over holds: a short count, in order.
            let parts: Vec<Vec<u8>> = (0..40u8).map(|i| vec![i; 64 * 1024]).collect();
            let slices: Vec<IoSlice<'_>> = parts.iter().map(|p| IoSlice::new(p)).collect();
            let mut expected = [a.clone(), b.clone()].concat();
            let n = file.write_vectored(&slices).await.unwrap();
            assert!(n > 64 * 1024 && n <= 40 * 64 * 1024, "took {n}");
            expected.extend(parts.concat().into_iter().take(n));
            file.close().await.unwrap();
            drop(file);
            assert_eq!(std::fs::read(&path).unwrap(), expected);
        });
    });
}

/// A vectored write followed at once by `close()` reaches the file whole.
#[test]
fn a_vectored_write_then_close_lands_whole() {
    watchdog(LIMIT, || {
        let dir = TempDir::new("vectored-close");
        let path = dir.join("file");
        block_on(async {
            let mut file = File::create(&path).await.unwrap();
            let bufs: Vec<Vec<u8>> = (0..5u8).map(|i| vec![b'a' + i; 1000]).collect();
            let slices: Vec<IoSlice<'_>> = bufs.iter().map(|b| IoSlice::new(b)).collect();
            assert_eq!(file.write_vectored(&slices).await.unwrap(), 5000);
            file.close().await.unwrap();
        });
        assert_eq!(std::fs::read(&path).unwrap(), (0..5u8).flat_map(|i| vec![b'a' + i; 1000]).collect::<Vec<_>>());
    });
}
