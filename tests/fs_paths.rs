//! tokio's path functions beyond read and write: links, permissions,
//! existence, `DirBuilder`, and `ReadDir`'s `next_entry`.

mod support;

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::time::Duration;

use runtime::fs::{self, DirBuilder};
use support::{watchdog, TempDir};

const LIMIT: Duration = Duration::from_secs(60);

fn block_on<T>(future: impl std::future::Future<Output = T>) -> T {
    runtime::Builder::new_current_thread().build().unwrap().block_on(future)
}

#[test]
fn links_permissions_and_existence() {
    watchdog(LIMIT, || {
        let dir = TempDir::new("fs-links");
        block_on(async {
            let file = dir.join("file");
            fs::write(&file, b"data").await.unwrap();
            assert!(fs::try_exists(&file).await.unwrap());
            assert!(!fs::try_exists(dir.join("missing")).await.unwrap());

            let soft = dir.join("soft");
            fs::symlink(&file, &soft).await.unwrap();
            let onto_existing = fs::symlink(&file, &soft).await.unwrap_err();
            assert_eq!(onto_existing.kind(), std::io::ErrorKind::AlreadyExists, "the OS's error, no panic");
            assert_eq!(fs::read_link(&soft).await.unwrap(), file);
            assert_eq!(fs::read(&soft).await.unwrap(), b"data");
            assert!(fs::symlink_metadata(&soft).await.unwrap().file_type().is_symlink());
            // A dangling link: try_exists follows it and says false.
            fs::symlink(dir.join("nowhere"), dir.join("dangling")).await.unwrap();
            assert!(!fs::try_exists(dir.join("dangling")).await.unwrap());
            let error = fs::read_link(&file).await.unwrap_err();
            assert_eq!(error.raw_os_error(), Some(libc::EINVAL), "not a link: the OS's error");

            let hard = dir.join("hard");
            fs::hard_link(&file, &hard).await.unwrap();
            let (a, b) = (fs::metadata(&file).await.unwrap(), fs::metadata(&hard).await.unwrap());
            assert_eq!(a.ino(), b.ino());
            assert_eq!(a.nlink(), 2);
            assert_eq!(fs::hard_link(&file, &hard).await.unwrap_err().kind(), std::io::ErrorKind::AlreadyExists);

            fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).await.unwrap();
            assert_eq!(fs::metadata(&file).await.unwrap().permissions().mode() & 0o777, 0o600);
            let missing = fs::set_permissions(dir.join("missing"), std::fs::Permissions::from_mode(0o600)).await;
            assert_eq!(missing.unwrap_err().kind(), std::io::ErrorKind::NotFound);
        });
    });
}

#[test]
fn dir_builder_creates_with_mode_and_recursion() {
    watchdog(LIMIT, || {
        let dir = TempDir::new("fs-dir-builder");
        block_on(async {
            let nested = dir.join("a/b/c");
            let flat = DirBuilder::new().create(&nested).await.unwrap_err();
            assert_eq!(flat.kind(), std::io::ErrorKind::NotFound, "parents are not created unless recursive");
            DirBuilder::new().recursive(true).mode(0o750).create(&nested).await.unwrap();
            assert!(fs::metadata(&nested).await.unwrap().is_dir());
            // 0o750 less any umask bits: never more than asked for.
            assert_eq!(fs::metadata(&nested).await.unwrap().permissions().mode() & 0o777 & !0o750, 0);
            DirBuilder::new().recursive(true).create(&nested).await.unwrap();
            let again = DirBuilder::new().create(&nested).await.unwrap_err();
            assert_eq!(again.kind(), std::io::ErrorKind::AlreadyExists);
        });
    });
}

#[test]
fn next_entry_lists_every_entry_once_then_none() {
    watchdog(LIMIT, || {
        let dir = TempDir::new("fs-next-entry");
        // More than one batch of 64.
        for i in 0..150 {
            std::fs::write(dir.join(&format!("f{i}")), b"").unwrap();
        }
        block_on(async {
            let mut entries = fs::read_dir(dir.path()).await.unwrap();
            let mut names = Vec::new();
            while let Some(entry) = entries.next_entry().await.unwrap() {
                let std_ino = std::fs::metadata(entry.path()).unwrap().ino();
                assert_eq!(entry.ino(), std_ino);
                names.push(entry.file_name().into_string().unwrap());
            }
            assert!(entries.next_entry().await.unwrap().is_none(), "stays at the end");
            names.sort();
            let mut expected: Vec<String> = (0..150).map(|i| format!("f{i}")).collect();
            expected.sort();
            assert_eq!(names, expected);
        });
    });
}
