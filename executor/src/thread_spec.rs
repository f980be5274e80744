//! How a runtime starts its threads (workers and blocking-pool threads):
//! their name and stack size, as the `Builder` set them.

/// A runtime's thread settings.
#[derive(Debug, Clone)]
pub(crate) struct ThreadSpec {
    pub(crate) name: String,
    /// `None`: std's default (2 MiB, or `RUST_MIN_STACK`).
    pub(crate) stack_size: Option<usize>,
}

impl ThreadSpec {
    /// A `std::thread::Builder` with these settings.
    pub(crate) fn builder(&self) -> std::thread::Builder {
        let builder = std::thread::Builder::new().name(self.name.clone());
        match self.stack_size {
            Some(bytes) => builder.stack_size(bytes),
            None => builder,
        }
    }
}
