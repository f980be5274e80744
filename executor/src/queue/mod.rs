//! Run queues: each worker's local ring (with its LIFO slot) and the global injector.

pub(crate) mod inject;
pub(crate) mod local;

/// A value one pointer wide, so an atomic slot can hold it (the LIFO slot).
pub(crate) trait IntoRaw: Sized {
    /// Gives up the value as a non-null pointer.
    fn into_raw(self) -> *mut ();
    /// # Safety
    /// `ptr` came from `into_raw` of the same type and is turned back once.
    unsafe fn from_raw(ptr: *mut ()) -> Self;
}

impl IntoRaw for crate::task::Notified {
    fn into_raw(self) -> *mut () {
        crate::task::Notified::into_raw(self).cast()
    }
    unsafe fn from_raw(ptr: *mut ()) -> Self {
        // SAFETY: the caller passes a pointer from into_raw, once.
        unsafe { crate::task::Notified::from_raw(ptr.cast()) }
    }
}

#[cfg(any(test, loom))]
impl IntoRaw for Box<usize> {
    fn into_raw(self) -> *mut () {
        Box::into_raw(self).cast()
    }
    unsafe fn from_raw(ptr: *mut ()) -> Self {
        // SAFETY: the caller passes a pointer from into_raw, once.
        unsafe { Box::from_raw(ptr.cast()) }
    }
}
