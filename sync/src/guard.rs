//! Moving a field out of a guard without running the guard's `Drop`: how a
//! `map` or `downgrade` hands the permits a guard holds to the guard it
//! makes.

use std::mem::ManuallyDrop;

/// `field` of `guard`, moved out; `guard` itself is forgotten, so its
/// `Drop` (which would give its permits back) never runs.
pub(crate) fn take_field<G, F>(guard: G, field: impl FnOnce(&G) -> &F) -> F {
    let guard = ManuallyDrop::new(guard);
    // SAFETY: `guard` is never dropped or used again, so the field is moved
    // out of it exactly once.
    unsafe { std::ptr::read(field(&guard)) }
}
