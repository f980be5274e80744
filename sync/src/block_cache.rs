//! A per-thread cache of small freed blocks, for the allocation every
//! [`oneshot`](crate::oneshot) channel makes.
//!
//! A request-reply exchange makes one channel per request; glibc's malloc and
//! free cost about 126 instructions per block even on their thread cache
//! fast path, 43% of a whole create-send-await. Here a block freed on a
//! thread goes to that thread's cache (up to `PER_CLASS` per size class) and
//! the next channel of that size class made on the thread takes it back:
//! about 15 instructions each way. A block may be freed on another thread
//! than the one that made it; it simply joins that thread's cache.
//!
//! Blocks are grouped in size classes of 16 bytes up to `MAX_SIZE`, each
//! allocated with its class's layout (16-byte aligned), so a block can serve
//! any type of its class. Larger or more aligned types go straight to the
//! global allocator, and so does everything under loom. A thread's cached
//! blocks are freed when the thread exits.
//!
//! # Invariants
//! 1. Every block in the cache was allocated by [`alloc`] with its class's
//!    layout and is owned by nobody else.
//! 2. [`free`] is given exactly the pointers [`alloc`] returned for the same
//!    `T`, once each, after the value in them was dropped or moved out.

use std::alloc::Layout;
use std::cell::RefCell;
use std::ptr::NonNull;

const CLASS: usize = 16;
const MAX_SIZE: usize = 128;
const CLASSES: usize = MAX_SIZE / CLASS;
const PER_CLASS: usize = 32;

struct Cache {
    blocks: [Vec<NonNull<u8>>; CLASSES],
}

impl Drop for Cache {
    fn drop(&mut self) {
        for (class, blocks) in self.blocks.iter_mut().enumerate() {
            for block in blocks.drain(..) {
                // SAFETY: cached blocks were allocated with this layout and are unowned (invariant 1).
                unsafe { std::alloc::dealloc(block.as_ptr(), class_layout(class)) };
            }
        }
    }
}

thread_local! {
    static CACHE: RefCell<Cache> = const { RefCell::new(Cache { blocks: [const { Vec::new() }; CLASSES] }) };
}

fn class_layout(class: usize) -> Layout {
    Layout::from_size_align((class + 1) * CLASS, CLASS).unwrap_or_else(|_| unreachable!("a valid size class"))
}

/// The size class of `T`, if it is cached.
fn class_of<T>() -> Option<usize> {
    let layout = Layout::new::<T>();
    let cached = !cfg!(loom) && layout.size() > 0 && layout.size() <= MAX_SIZE && layout.align() <= CLASS;
    cached.then(|| layout.size().div_ceil(CLASS) - 1)
}

/// Moves `value` into a block from the cache (or the allocator).
pub(crate) fn alloc<T>(value: T) -> NonNull<T> {
    let Some(class) = class_of::<T>() else {
        return NonNull::from(Box::leak(Box::new(value)));
    };
    let cached = CACHE.try_with(|cache| cache.borrow_mut().blocks[class].pop()).ok().flatten();
    let block = cached.unwrap_or_else(|| {
        let layout = class_layout(class);
        // SAFETY: the layout has a non-zero size.
        let block = unsafe { std::alloc::alloc(layout) };
        NonNull::new(block).unwrap_or_else(|| std::alloc::handle_alloc_error(layout))
    });
    let ptr = block.cast::<T>();
    // SAFETY: the block is ours, fits T's size and alignment (its class), and is uninitialised.
    unsafe { ptr.as_ptr().write(value) };
    ptr
}

/// Drops the value in `ptr` and returns its block to this thread's cache (or
/// the allocator).
///
/// # Safety
/// `ptr` came from [`alloc`] for this `T`, holds a live value, and is not
/// used again (invariant 2).
pub(crate) unsafe fn free<T>(ptr: NonNull<T>) {
    let Some(class) = class_of::<T>() else {
        // SAFETY: `alloc` made it with Box for a type outside the classes.
        drop(unsafe { Box::from_raw(ptr.as_ptr()) });
        return;
    };
    // SAFETY: the value is live and ours to drop (the caller's contract).
    unsafe { ptr.as_ptr().drop_in_place() };
    let block = ptr.cast::<u8>();
    let kept = CACHE
        .try_with(|cache| {
            let blocks = &mut cache.borrow_mut().blocks[class];
            let room = blocks.len() < PER_CLASS;
            if room {
                blocks.push(block);
            }
            room
        })
        .unwrap_or(false);
    if !kept {
        // SAFETY: the block was allocated with its class's layout (invariant 1).
        unsafe { std::alloc::dealloc(block.as_ptr(), class_layout(class)) };
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn blocks_are_reused_per_class_and_big_types_bypass_the_cache() {
        let a = alloc([1u8; 40]);
        // SAFETY: made by alloc above, freed once.
        unsafe { free(a) };
        let b = alloc([2u64; 5]); // 40 bytes: the same class
        assert_eq!(a.cast::<u8>(), b.cast::<u8>(), "the freed block is taken back");
        // SAFETY: b holds a live value.
        assert_eq!(unsafe { *b.as_ptr() }, [2; 5]);
        // SAFETY: made by alloc above, freed once.
        unsafe { free(b) };
        let big = alloc([3u8; 1000]);
        // SAFETY: made by alloc above, freed once.
        unsafe { free(big) };
        let dropped = std::rc::Rc::new(());
        let held = alloc(dropped.clone());
        // SAFETY: made by alloc above, freed once.
        unsafe { free(held) };
        assert_eq!(std::rc::Rc::strong_count(&dropped), 1, "free drops the value");
    }

    #[test]
    fn a_block_freed_on_another_thread_joins_that_threads_cache() {
        struct Block(NonNull<String>);
        // SAFETY: the block is handed over whole; only the receiving thread uses it.
        unsafe impl Send for Block {}
        let block = Block(alloc(String::from("x")));
        std::thread::spawn(move || {
            let block = block;
            // SAFETY: made by alloc on the parent thread, freed once here.
            unsafe { free(block.0) };
        })
        .join()
        .unwrap();
    }
}
