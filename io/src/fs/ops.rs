//! The path functions: each is a single job on the blocking pool.

use std::fs::{Metadata, Permissions};
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
two_path_fn!(
    /// Makes `to` a new name (a hard link) for the file `from` names.
    hard_link -> ()
);
path_fn!(
    /// The path a symbolic link points to.
    read_link -> PathBuf
);
path_fn!(
    /// Whether `path` names an existing file or directory, following
    /// symbolic links; an error when that cannot be told (a directory on
    /// the way cannot be searched), where `Path::exists` would say `false`.
    ///
    /// # Examples
    /// ```
    /// #[runtime::main(flavor = "current_thread")]
    /// async fn main() -> std::io::Result<()> {
    ///     assert!(runtime::fs::try_exists("/").await?);
    ///     assert!(!runtime::fs::try_exists("/no/such/path").await?);
    ///     Ok(())
    /// }
    /// ```
    exists -> bool
);

/// tokio's name for [`exists`].
///
/// # Errors
/// As [`exists`].
pub async fn try_exists(path: impl AsRef<Path>) -> io::Result<bool> {
    exists(path).await
}

/// Makes `link` a symbolic link to `original` (which need not exist).
///
/// # Errors
/// The OS's error, as `std::os::unix::fs::symlink` reports it.
pub async fn symlink(original: impl AsRef<Path>, link: impl AsRef<Path>) -> io::Result<()> {
    let (original, link) = (original.as_ref().to_owned(), link.as_ref().to_owned());
    asyncify(move || std::os::unix::fs::symlink(original, link)).await
}

/// Sets the permissions of the file `path` names.
///
/// # Errors
/// The OS's error, as `std::fs::set_permissions` reports it.
pub async fn set_permissions(path: impl AsRef<Path>, permissions: Permissions) -> io::Result<()> {
    let path = path.as_ref().to_owned();
    asyncify(move || std::fs::set_permissions(path, permissions)).await
}

/// Creates directories, with options (the async counterpart of
/// `std::fs::DirBuilder`).
///
/// # Examples
/// ```
/// use std::os::unix::fs::PermissionsExt;
///
/// #[runtime::main(flavor = "current_thread")]
/// async fn main() -> std::io::Result<()> {
///     let dir = std::env::temp_dir().join(format!("runtime-dir-builder-doc-{}", std::process::id()));
///     runtime::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir.join("a/b")).await?;
///     let mode = runtime::fs::metadata(dir.join("a/b")).await?.permissions().mode();
///     assert_eq!(mode & 0o777, 0o700);
///     runtime::fs::remove_dir_all(&dir).await
/// }
/// ```
#[derive(Debug, Default)]
pub struct DirBuilder {
    recursive: bool,
    mode: Option<u32>,
}

impl DirBuilder {
    /// Options that create one directory, with the default mode (0o777
    /// less the umask).
    pub fn new() -> DirBuilder {
        DirBuilder::default()
    }

    /// Create missing parents too, and succeed when the directory exists.
    pub fn recursive(&mut self, recursive: bool) -> &mut DirBuilder {
        self.recursive = recursive;
        self
    }

    /// The mode new directories get (less the umask).
    pub fn mode(&mut self, mode: u32) -> &mut DirBuilder {
        self.mode = Some(mode);
        self
    }

    /// Creates the directory at `path`, in one job.
    ///
    /// # Errors
    /// The OS's error, as `std::fs::DirBuilder::create` reports it.
    pub async fn create(&self, path: impl AsRef<Path>) -> io::Result<()> {
        use std::os::unix::fs::DirBuilderExt;
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(self.recursive);
        if let Some(mode) = self.mode {
            builder.mode(mode);
        }
        let path = path.as_ref().to_owned();
        asyncify(move || builder.create(path)).await
    }
}

/// Writes `contents` as the whole file, creating or truncating it, in one job.
///
/// # Errors
/// The OS's error, as `std::fs` reports it.
pub async fn write(path: impl AsRef<Path>, contents: impl AsRef<[u8]>) -> io::Result<()> {
    let (path, contents) = (path.as_ref().to_owned(), contents.as_ref().to_owned());
    asyncify(move || std::fs::write(path, contents)).await
}
