//! tokio's `time::error`: [`Elapsed`], a timeout's error, and [`Error`],
//! what a timer operation can fail with.

use std::{error, fmt};

pub use crate::timeout::Elapsed;

/// Why a timer operation failed: the timers shut down (the runtime is
/// gone), they are at capacity, or the configuration is invalid (tokio's
/// `time::error::Error`). This runtime's sleeps do not fail: a sleep whose
/// runtime shut down completes at once. The type is here for programs that
/// name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Error(Kind);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Shutdown,
    AtCapacity,
    Invalid,
}

impl Error {
    /// The timers shut down.
    pub fn shutdown() -> Error {
        Error(Kind::Shutdown)
    }

    /// True when the timers shut down.
    pub fn is_shutdown(&self) -> bool {
        self.0 == Kind::Shutdown
    }

    /// The timers are at capacity.
    pub fn at_capacity() -> Error {
        Error(Kind::AtCapacity)
    }

    /// True when the timers are at capacity.
    pub fn is_at_capacity(&self) -> bool {
        self.0 == Kind::AtCapacity
    }

    /// The timer's configuration is invalid.
    pub fn invalid() -> Error {
        Error(Kind::Invalid)
    }

    /// True when the configuration is invalid.
    pub fn is_invalid(&self) -> bool {
        self.0 == Kind::Invalid
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self.0 {
            Kind::Shutdown => "the timer is shutdown, must be called from the context of a runtime",
            Kind::AtCapacity => "timer is at capacity and cannot create a new entry",
            Kind::Invalid => "timer duration exceeds maximum duration",
        })
    }
}

impl error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_says_what_it_is() {
        let kinds = [Error::shutdown(), Error::at_capacity(), Error::invalid()];
        let said: Vec<[bool; 3]> =
            kinds.iter().map(|e| [e.is_shutdown(), e.is_at_capacity(), e.is_invalid()]).collect();
        assert_eq!(said, [[true, false, false], [false, true, false], [false, false, true]]);
        assert!(Error::shutdown().to_string().contains("shutdown"));
    }
}
