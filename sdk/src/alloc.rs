//! The plugin's memory allocator: small blocks are kept for reuse.
//!
//! A scan allocates and frees a few small strings and vectors for every finding (its check id,
//! account, resource id, message, evidence...), millions of them in a large export. The system
//! allocator of a WebAssembly plugin (the WASI C library's dlmalloc) spent about a tenth of a
//! 1M-resource scan's CPU on them. [`Pooled`] keeps each freed block of up to
//! 1 KiB in a free list of its size class (16-byte steps) and hands it out again before asking
//! the system allocator, so allocating or freeing a small block is a few instructions. Larger
//! or over-aligned blocks go to the system allocator as before.
//!
//! Blocks in the lists are never given back to the system allocator: the pool holds at most the
//! peak number of live small blocks of each size class, which for a scan is what one batch of
//! findings and one item need. The plugin's memory cap applies to all of it as before.
//!
//! [`export_provider!`](crate::export_provider) installs it as the plugin's global allocator
//! (on WebAssembly without threads, the only target a plugin is built for). A plugin that wants
//! its own allocator exports itself with `export_provider!(MyProvider, own_allocator)`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::UnsafeCell;
use std::ptr;

/// Size classes are multiples of this.
const STEP: usize = 16;
/// The largest block kept for reuse.
const LARGEST: usize = 1024;
const CLASSES: usize = LARGEST / STEP;
/// Blocks kept for reuse are allocated with this alignment, so any request aligned to at most
/// this much fits any block of its class.
const ALIGN: usize = 8;

/// An allocator that keeps freed small blocks in free lists by size class; see the module
/// documentation.
///
/// It is not thread-safe: it is `Sync` (as a global allocator must be) only on WebAssembly
/// without the threads feature, where a plugin has one thread.
pub struct Pooled {
    /// The first free block of each class; each free block starts with the next one's address.
    heads: UnsafeCell<[*mut u8; CLASSES]>,
}

// SAFETY: without the threads feature a WebAssembly instance runs one thread, so the free lists
// are never touched by two threads, and an allocator never re-enters itself.
#[cfg(all(target_family = "wasm", not(target_feature = "atomics")))]
unsafe impl Sync for Pooled {}

impl Default for Pooled {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for Pooled {
    /// Give the kept blocks back (a global allocator is never dropped; another one is).
    fn drop(&mut self) {
        for (class, head) in self.heads.get_mut().iter_mut().enumerate() {
            while !head.is_null() {
                let block = *head;
                // SAFETY: as in `take`: a free block of this class, allocated by `System` with
                // this layout, whose first word is the next free block.
                unsafe {
                    *head = block.cast::<*mut u8>().read();
                    System.dealloc(
                        block,
                        Layout::from_size_align_unchecked((class + 1) * STEP, ALIGN),
                    );
                }
            }
        }
    }
}

impl Pooled {
    /// An allocator with empty free lists.
    pub const fn new() -> Self {
        Pooled {
            heads: UnsafeCell::new([ptr::null_mut(); CLASSES]),
        }
    }

    /// The size class of a block of `layout`, when such blocks are kept for reuse.
    fn class(layout: Layout) -> Option<usize> {
        (layout.align() <= ALIGN && layout.size() <= LARGEST)
            .then(|| layout.size().max(1).div_ceil(STEP) - 1)
    }

    /// A block of class `class`: a freed one, or a new one from the system allocator.
    ///
    /// # Safety
    ///
    /// `class` is less than `CLASSES`, and no other call on this allocator is running.
    unsafe fn take(&self, class: usize) -> *mut u8 {
        // SAFETY: one thread, no re-entry (see `Sync`): this is the only reference to the lists.
        let heads = unsafe { &mut *self.heads.get() };
        let head = heads[class];
        if head.is_null() {
            // SAFETY: the size is non-zero and the alignment a power of two.
            let layout = unsafe { Layout::from_size_align_unchecked((class + 1) * STEP, ALIGN) };
            // SAFETY: the layout has a non-zero size.
            return unsafe { System.alloc(layout) };
        }
        // SAFETY: `head` is a free block of this class, at least `STEP` bytes and aligned to
        // `ALIGN`, whose first word `give` set to the next free block.
        heads[class] = unsafe { head.cast::<*mut u8>().read() };
        head
    }

    /// Keep the block `block` of class `class` for reuse.
    ///
    /// # Safety
    ///
    /// `block` was returned by `take(class)` and is no longer used; no other call on this
    /// allocator is running.
    unsafe fn give(&self, block: *mut u8, class: usize) {
        // SAFETY: as in `take`.
        let heads = unsafe { &mut *self.heads.get() };
        // SAFETY: the block is at least `STEP` bytes, aligned to `ALIGN`, and unused.
        unsafe { block.cast::<*mut u8>().write(heads[class]) };
        heads[class] = block;
    }
}

// SAFETY: every block handed out is at least the requested size and alignment (a class block is
// at least its request and aligned to `ALIGN`, which is at least the request's alignment), and a
// block is handed out again only after it was freed.
unsafe impl GlobalAlloc for Pooled {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        match Self::class(layout) {
            // SAFETY: the class is below `CLASSES`; the caller does not re-enter.
            Some(class) => unsafe { self.take(class) },
            // SAFETY: the caller's contract for `alloc`.
            None => unsafe { System.alloc(layout) },
        }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        match Self::class(layout) {
            Some(class) => {
                // SAFETY: as in `alloc`.
                let block = unsafe { self.take(class) };
                if !block.is_null() {
                    // SAFETY: the block holds at least `layout.size()` bytes.
                    unsafe { block.write_bytes(0, layout.size()) };
                }
                block
            }
            // SAFETY: the caller's contract for `alloc_zeroed`.
            None => unsafe { System.alloc_zeroed(layout) },
        }
    }

    unsafe fn dealloc(&self, block: *mut u8, layout: Layout) {
        match Self::class(layout) {
            // SAFETY: a block of this layout was handed out by `take` of the same class.
            Some(class) => unsafe { self.give(block, class) },
            // SAFETY: a block of this layout was handed out by the system allocator.
            None => unsafe { System.dealloc(block, layout) },
        }
    }

    unsafe fn realloc(&self, block: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller guarantees `new_size`, rounded up to the alignment, does not
        // overflow `isize`, and the alignment is the block's.
        let new = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        match (Self::class(layout), Self::class(new)) {
            // SAFETY: both the old and the new block are the system allocator's.
            (None, None) => unsafe { System.realloc(block, layout, new_size) },
            // The block of this class already holds the new size.
            (Some(old), Some(class)) if old == class => block,
            _ => {
                // SAFETY: `new` has a non-zero size (the caller's contract for `realloc`).
                let moved = unsafe { self.alloc(new) };
                if !moved.is_null() {
                    // SAFETY: both blocks hold at least the smaller size and do not overlap; the
                    // old block is freed with the layout it was allocated with.
                    unsafe {
                        ptr::copy_nonoverlapping(block, moved, layout.size().min(new_size));
                        self.dealloc(block, layout);
                    }
                }
                moved
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout(size: usize, align: usize) -> Layout {
        Layout::from_size_align(size, align).unwrap()
    }

    #[test]
    fn classes_are_sixteen_byte_steps_up_to_a_kibibyte_of_at_most_eight_byte_alignment() {
        assert_eq!(Pooled::class(layout(1, 1)), Some(0));
        assert_eq!(Pooled::class(layout(16, 8)), Some(0));
        assert_eq!(Pooled::class(layout(17, 1)), Some(1));
        assert_eq!(Pooled::class(layout(1024, 4)), Some(CLASSES - 1));
        assert_eq!(Pooled::class(layout(1025, 1)), None);
        assert_eq!(Pooled::class(layout(16, 16)), None);
    }

    #[test]
    fn a_freed_block_is_handed_out_again_for_any_size_of_its_class() {
        let pool = Pooled::new();
        unsafe {
            let a = pool.alloc(layout(20, 1));
            let b = pool.alloc(layout(24, 8));
            assert!(!a.is_null() && !b.is_null() && a != b);
            pool.dealloc(a, layout(20, 1));
            pool.dealloc(b, layout(24, 8));
            // Last freed, first reused; both sizes are the 32-byte class.
            assert_eq!(pool.alloc(layout(32, 4)), b);
            assert_eq!(pool.alloc(layout(17, 2)), a);
            // Another class does not take them.
            let c = pool.alloc(layout(48, 8));
            assert!(c != a && c != b);
            for (p, l) in [(a, layout(17, 2)), (b, layout(32, 4)), (c, layout(48, 8))] {
                pool.dealloc(p, l);
            }
        }
    }

    #[test]
    fn realloc_keeps_the_contents_within_a_class_across_classes_and_out_of_the_pool() {
        let pool = Pooled::new();
        unsafe {
            let mut size = 5;
            let mut p = pool.alloc(layout(size, 1));
            for i in 0..size {
                *p.add(i) = i as u8;
            }
            // Within a class the block stays where it is.
            let same = pool.realloc(p, layout(size, 1), 16);
            assert_eq!(same, p);
            size = 16;
            for i in 5..size {
                *p.add(i) = i as u8;
            }
            // Into a larger class, then out of the pool, then back into it.
            for new_size in [100, 5000, 900, 3] {
                p = pool.realloc(p, layout(size, 1), new_size);
                assert!(!p.is_null());
                for i in 0..size.min(new_size) {
                    assert_eq!(*p.add(i), i as u8, "byte {i} after {size} -> {new_size}");
                }
                for i in size.min(new_size)..new_size {
                    *p.add(i) = i as u8;
                }
                size = new_size;
            }
            pool.dealloc(p, layout(size, 1));
        }
    }

    #[test]
    fn zeroed_blocks_are_zero_even_when_reused_and_over_aligned_blocks_pass_through() {
        let pool = Pooled::new();
        unsafe {
            let p = pool.alloc(layout(64, 8));
            p.write_bytes(0xAB, 64);
            pool.dealloc(p, layout(64, 8));
            let z = pool.alloc_zeroed(layout(60, 4));
            assert_eq!(z, p);
            assert!((0..60).all(|i| *z.add(i) == 0));
            pool.dealloc(z, layout(60, 4));
            let wide = pool.alloc(layout(32, 64));
            assert_eq!(wide as usize % 64, 0);
            pool.dealloc(wide, layout(32, 64));
        }
    }

    /// Random allocations, frees and reallocations of every kind, each block filled with a
    /// pattern of its own that must survive until the block is freed.
    #[test]
    fn random_use_never_hands_out_a_live_block_or_loses_its_contents() {
        let pool = Pooled::new();
        let mut live: Vec<(*mut u8, Layout, u8)> = Vec::new();
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let fill = |p: *mut u8, l: Layout, tag: u8| unsafe { p.write_bytes(tag, l.size()) };
        let intact =
            |p: *mut u8, l: Layout, tag: u8| unsafe { (0..l.size()).all(|i| *p.add(i) == tag) };
        for step in 0..20_000u32 {
            let r = next();
            let size = match r % 10 {
                0 => 1025 + (r >> 8) as usize % 3000,
                _ => 1 + (r >> 8) as usize % 1024,
            };
            let align = [1, 2, 4, 8, 16][(r >> 40) as usize % 5];
            let tag = step as u8 | 1;
            match (r >> 50) % 3 {
                0 if !live.is_empty() => {
                    let (p, l, t) = live.swap_remove((r >> 20) as usize % live.len());
                    assert!(intact(p, l, t), "a live block was overwritten");
                    unsafe { pool.dealloc(p, l) };
                }
                1 if !live.is_empty() => {
                    let i = (r >> 20) as usize % live.len();
                    let (p, l, t) = live[i];
                    let q = unsafe { pool.realloc(p, l, size) };
                    let nl = Layout::from_size_align(size, l.align()).unwrap();
                    assert!(
                        intact(q, layout(l.size().min(size), 1), t),
                        "realloc lost bytes"
                    );
                    fill(q, nl, tag);
                    live[i] = (q, nl, tag);
                }
                _ => {
                    let l = layout(size, align);
                    let p = unsafe { pool.alloc(l) };
                    assert_eq!(p as usize % align, 0);
                    fill(p, l, tag);
                    live.push((p, l, tag));
                }
            }
        }
        for (p, l, t) in live {
            assert!(intact(p, l, t));
            unsafe { pool.dealloc(p, l) };
        }
    }
}
