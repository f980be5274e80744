//! [`OpenOptions`]: how a [`File`] is opened, in one job that also reads
//! its first chunk ahead.

use std::io;
use std::path::Path;

use super::file::File;

/// Options for opening a file; the async counterpart of
/// `std::fs::OpenOptions`.
///
/// # Examples
/// ```
/// #[runtime::main(flavor = "current_thread")]
/// async fn main() -> std::io::Result<()> {
///     let path = std::env::temp_dir().join("runtime-open-options-doc.log");
///     let _file = runtime::fs::OpenOptions::new().append(true).create(true).open(&path).await?;
///     runtime::fs::remove_file(&path).await
/// }
/// ```
#[derive(Debug, Clone)]
pub struct OpenOptions {
    std: std::fs::OpenOptions,
    append: bool,
    read: bool,
}

impl Default for OpenOptions {
    fn default() -> Self {
        OpenOptions::new()
    }
}

impl OpenOptions {
    /// Options with every flag off.
    pub fn new() -> OpenOptions {
        OpenOptions { std: std::fs::OpenOptions::new(), append: false, read: false }
    }

    /// Open for reading.
    pub fn read(&mut self, read: bool) -> &mut OpenOptions {
        self.std.read(read);
        self.read = read;
        self
    }

    /// Open for writing.
    pub fn write(&mut self, write: bool) -> &mut OpenOptions {
        self.std.write(write);
        self
    }

    /// Every write goes to the end of the file.
    pub fn append(&mut self, append: bool) -> &mut OpenOptions {
        self.std.append(append);
        self.append = append;
        self
    }

    /// Truncate the file to zero length when it opens.
    pub fn truncate(&mut self, truncate: bool) -> &mut OpenOptions {
        self.std.truncate(truncate);
        self
    }

    /// Create the file if it does not exist.
    pub fn create(&mut self, create: bool) -> &mut OpenOptions {
        self.std.create(create);
        self
    }

    /// Create the file, failing if it exists.
    pub fn create_new(&mut self, create_new: bool) -> &mut OpenOptions {
        self.std.create_new(create_new);
        self
    }

    /// Opens `path` with these options, in one job.
    ///
    /// # Errors
    /// The OS's error, as `std::fs::OpenOptions::open` reports it.
    ///
    /// A file opened for reading gets its first read-ahead chunk in the same
    /// job, so reading a small file whole costs one job in all.
    pub async fn open(&self, path: impl AsRef<Path>) -> io::Result<File> {
        File::open_with(self.std.clone(), path.as_ref().to_owned(), self.append, self.read).await
    }
}
