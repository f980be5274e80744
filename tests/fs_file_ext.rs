//! `File`'s std and tokio surface beyond read, write and seek: `&self`
//! operations, clones and conversions that settle pending writes first,
//! locks, positional I/O, times and permissions, open flags.

mod support;

use std::io::{Read, Seek, SeekFrom};
use std::os::fd::AsFd;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::time::{Duration, SystemTime};

use runtime::fs::{File, OpenOptions};
use runtime::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};
use support::{watchdog, TempDir};

const LIMIT: Duration = Duration::from_secs(60);

fn block_on<T>(future: impl std::future::Future<Output = T>) -> T {
    runtime::Builder::new_multi_thread().worker_threads(2).build().unwrap().block_on(future)
}

#[test]
fn shared_operations_take_self_and_queue_behind_each_other() {
    watchdog(LIMIT, || {
        let dir = TempDir::new("file-shared-ops");
        block_on(async {
            let mut file = File::create(dir.join("f")).await.unwrap();
            file.write_all(b"0123456789").await.unwrap();
            let shared = &file;
            // Both see the write (the first waits for it), neither loses its wake.
            let (a, b) = runtime::join!(shared.metadata(), shared.metadata());
            assert_eq!((a.unwrap().len(), b.unwrap().len()), (10, 10));
            let (synced, resized) = runtime::join!(shared.sync_all(), shared.set_len(4));
            synced.unwrap();
            resized.unwrap();
            shared.sync_data().await.unwrap();
            assert_eq!(shared.metadata().await.unwrap().len(), 4);
        });
    });
}

#[test]
fn clones_and_conversions_settle_pending_writes_first() {
    watchdog(LIMIT, || {
        let dir = TempDir::new("file-settle");
        block_on(async {
            let mut file = OpenOptions::new().read(true).write(true).create(true).open(dir.join("f")).await.unwrap();
            file.write_all(b"written but not flushed").await.unwrap();
            let mut clone = file.try_clone().await.unwrap();
            assert_eq!(clone.stream_position().await.unwrap(), 23, "the clone starts at this file's position");
            clone.seek(SeekFrom::Start(0)).await.unwrap();
            let mut text = String::new();
            clone.read_to_string(&mut text).await.unwrap();
            assert_eq!(text, "written but not flushed");

            file.write_all(b"; more").await.unwrap();
            let file = match file.try_into_std() {
                Err(busy) => busy,
                Ok(_) => panic!("a file with writes pending is busy"),
            };
            let mut std = file.into_std().await;
            assert_eq!(std.stream_position().unwrap(), 29, "the OS's position is the file's");
            std.seek(SeekFrom::Start(0)).unwrap();
            let mut all = String::new();
            std.read_to_string(&mut all).unwrap();
            assert_eq!(all, "written but not flushed; more");

            let mut again = File::from(std);
            assert_eq!(again.stream_position().await.unwrap(), 29);
            again.flush().await.unwrap();
            let std = again.try_into_std().expect("idle, nothing pending");
            let ino = std::fs::metadata(dir.join("f")).unwrap().ino();
            let from_fd = std::fs::File::from(std.as_fd().try_clone_to_owned().unwrap()).metadata().unwrap().ino();
            assert_eq!(from_fd, ino);
            let wrapped = File::from_std(std);
            assert_eq!(
                wrapped
                    .as_fd()
                    .try_clone_to_owned()
                    .map(|fd| std::fs::File::from(fd).metadata().unwrap().ino())
                    .unwrap(),
                ino
            );
        });
    });
}

#[test]
fn advisory_locks_exclude_other_open_files() {
    watchdog(LIMIT, || {
        let dir = TempDir::new("file-locks");
        block_on(async {
            let path = dir.join("lock");
            let (a, b) = (File::create(&path).await.unwrap(), File::open(&path).await.unwrap());
            a.lock().await.unwrap();
            assert!(matches!(b.try_lock(), Err(std::fs::TryLockError::WouldBlock)));
            assert!(matches!(b.try_lock_shared(), Err(std::fs::TryLockError::WouldBlock)));
            // A lock that waits: it is taken once the other is released.
            let (released, waited) = runtime::join!(
                async {
                    runtime::time::sleep(Duration::from_millis(20)).await;
                    a.unlock().await
                },
                b.lock()
            );
            released.unwrap();
            waited.unwrap();
            assert!(matches!(a.try_lock(), Err(std::fs::TryLockError::WouldBlock)));
            b.unlock().await.unwrap();
            a.lock_shared().await.unwrap();
            b.try_lock_shared().unwrap();
        });
    });
}

#[test]
fn positional_io_sees_and_is_seen_by_buffered_io() {
    watchdog(LIMIT, || {
        let dir = TempDir::new("file-positional");
        block_on(async {
            let mut file = OpenOptions::new().read(true).write(true).create(true).open(dir.join("f")).await.unwrap();
            file.write_all(b"hello world").await.unwrap(); // buffered
            let mut word = [0; 5];
            file.read_exact_at(&mut word, 6).await.unwrap();
            assert_eq!(&word, b"world", "a positional read sees the buffered write");
            assert_eq!(file.stream_position().await.unwrap(), 11, "and moves nothing");

            file.seek(SeekFrom::Start(0)).await.unwrap();
            let mut head = [0; 2];
            file.read_exact(&mut head).await.unwrap(); // fills the read-ahead
            file.write_all_at(b"HELLO", 0).await.unwrap();
            file.seek(SeekFrom::Start(0)).await.unwrap();
            let mut text = String::new();
            file.read_to_string(&mut text).await.unwrap();
            assert_eq!(text, "HELLO world", "a positional write is seen by the next read");

            let mut buf = [0; 64];
            assert_eq!(file.read_at(&mut buf, 6).await.unwrap(), 5, "short at the end");
            assert_eq!(file.read_at(&mut buf, 1_000).await.unwrap(), 0, "past the end: nothing, no error");
            assert_eq!(file.write_at(b"!", 11).await.unwrap(), 1);
            let error = file.read_exact_at(&mut buf, 0).await.unwrap_err();
            assert_eq!(error.kind(), std::io::ErrorKind::UnexpectedEof);

            // Reads at once on one shared File, each with its own bytes.
            let shared = &file;
            let read = |offset: u64| async move {
                let mut byte = [0; 1];
                shared.read_exact_at(&mut byte, offset).await.unwrap();
                byte[0]
            };
            let got = runtime::join!(read(0), read(1), read(6), read(10), read(11));
            assert_eq!(got, (b'H', b'E', b'w', b'd', b'!'));
        });
    });
}

#[test]
fn times_permissions_create_new_and_open_flags() {
    watchdog(LIMIT, || {
        let dir = TempDir::new("file-meta");
        block_on(async {
            let path = dir.join("f");
            let file = File::create_new(&path).await.unwrap();
            let exists = File::create_new(&path).await.unwrap_err();
            assert_eq!(exists.kind(), std::io::ErrorKind::AlreadyExists);

            let then = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
            file.set_modified(then).await.unwrap();
            assert_eq!(file.metadata().await.unwrap().modified().unwrap(), then);
            let times = std::fs::FileTimes::new().set_accessed(then).set_modified(then + Duration::from_secs(1));
            file.set_times(times).await.unwrap();
            assert_eq!(file.metadata().await.unwrap().modified().unwrap(), then + Duration::from_secs(1));
            file.set_permissions(std::fs::Permissions::from_mode(0o640)).await.unwrap();
            assert_eq!(file.metadata().await.unwrap().permissions().mode() & 0o777, 0o640);

            let private = dir.join("private");
            OpenOptions::new().write(true).create(true).mode(0o600).open(&private).await.unwrap();
            assert_eq!(std::fs::metadata(&private).unwrap().permissions().mode() & 0o777, 0o600);
            let link = dir.join("link");
            std::os::unix::fs::symlink(&path, &link).unwrap();
            let refused = OpenOptions::new().read(true).custom_flags(libc::O_NOFOLLOW).open(&link).await.unwrap_err();
            assert_eq!(refused.raw_os_error(), Some(libc::ELOOP), "the OS's error for a link under O_NOFOLLOW");
        });
    });
}

/// `max_buf_size` bounds one read's and one write's share, as tokio's: a
/// big read or write through a small buffer is split, and nothing is lost.
#[test]
fn max_buf_size_bounds_each_read_and_write() {
    watchdog(LIMIT, || {
        let dir = TempDir::new("file-max-buf");
        block_on(async {
            let mut file = OpenOptions::new().read(true).write(true).create(true).open(dir.join("f")).await.unwrap();
            assert_eq!(file.max_buf_size(), 2 * 1024 * 1024);
            let big: Vec<u8> = (0..1024 * 1024).map(|i| (i % 251) as u8).collect();
            assert_eq!(file.write(&big).await.unwrap(), big.len(), "the default takes 1 MiB at once");
            file.set_max_buf_size(4096);
            assert_eq!(file.max_buf_size(), 4096);
            let n = file.write(&big).await.unwrap();
            assert!(n <= 4096, "took {n}");
            file.write_all(&big[n..]).await.unwrap();
            file.seek(SeekFrom::Start(0)).await.unwrap();
            let mut chunk = vec![0; 1024 * 1024];
            let n = file.read(&mut chunk).await.unwrap();
            assert!(n > 0 && n <= 4096, "read {n}");
            let mut all = chunk[..n].to_vec();
            file.read_to_end(&mut all).await.unwrap();
            assert_eq!(all.len(), 2 * big.len());
            assert!(all[..big.len()] == big[..] && all[big.len()..] == big[..]);
        });
    });
}
