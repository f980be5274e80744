//! The path functions: each is a single job on the blocking pool.

use std::fs::Metadata;
use std::io;
use std::path::{Path, PathBuf};

use super::asyncify;

/// Defines `async fn $name(path) -> io::Result<$out>` running `std::fs::$name`.
macro_rules! path_fn {
    ($(#[$doc:meta])* $name:ident -> $out:ty) => {
        $(#[$doc])*
        ///
        /// # Errors
        /// The OS's error, as `std::fs` reports it.
        pub async fn $name(path: impl AsRef<Path>) -> io::Result<$out> {
            let path = path.as_ref().to_owned();
            asyncify(move || std::fs::$name(path)).await
        }
    };
}

/// Defines `async fn $name(from, to) -> io::Result<$out>` running `std::fs::$name`.
macro_rules! two_path_fn {
    ($(#[$doc:meta])* $name:ident -> $out:ty) => {
        $(#[$doc])*
        ///
        /// # Errors
        /// The OS's error, as `std::fs` reports it.
        pub async fn $name(from: impl AsRef<Path>, to: impl AsRef<Path>) -> io::Result<$out> {
            let (from, to) = (from.as_ref().to_owned(), to.as_ref().to_owned());
            asyncify(move || std::fs::$name(from, to)).await
        }
    };
}

path_fn!(
    /// The whole contents of a file, read in one job.
    ///
    /// # Examples
    /// ```
    /// #[runtime::main(flavor = "current_thread")]
    /// async fn main() -> std::io::Result<()> {
    ///     let path = std::env::temp_dir().join("runtime-fs-read-doc.txt");
    ///     runtime::fs::write(&path, b"hello").await?;
    ///     assert_eq!(runtime::fs::read(&path).await?, b"hello");
    ///     runtime::fs::remove_file(&path).await
    /// }
    /// ```
    read -> Vec<u8>
);
path_fn!(
    /// The whole contents of a file as UTF-8, read in one job.
    read_to_string -> String
);
path_fn!(
    /// Removes a file.
    remove_file -> ()
);
path_fn!(
    /// Removes an empty directory.
    remove_dir -> ()
);
path_fn!(
    /// Removes a directory and everything in it.
    remove_dir_all -> ()
);
path_fn!(
    /// Creates a directory.
    create_dir -> ()
);
path_fn!(
    /// Creates a directory and any missing parents.
    create_dir_all -> ()
);
path_fn!(
    /// Metadata of the file a path names, following symbolic links.
    metadata -> Metadata
);
path_fn!(
    /// Metadata of a path itself, not following a symbolic link.
    symlink_metadata -> Metadata
);
path_fn!(
    /// The absolute path with every symbolic link and `.`/`..` resolved.
    canonicalize -> PathBuf
);
two_path_fn!(
    /// Copies a file's contents and permissions, in one job; returns the
    /// bytes copied.
    copy -> u64
);
two_path_fn!(
    /// Renames a file or directory, replacing `to` if it exists.
    rename -> ()
);

/// Writes `contents` as the whole file, creating or truncating it, in one job.
///
/// # Errors
/// The OS's error, as `std::fs` reports it.
pub async fn write(path: impl AsRef<Path>, contents: impl AsRef<[u8]>) -> io::Result<()> {
    let (path, contents) = (path.as_ref().to_owned(), contents.as_ref().to_owned());
    asyncify(move || std::fs::write(path, contents)).await
}
