// SPDX-License-Identifier: GPL-2.0

//! Bios on their way through a bio-based driver: split, remap, chain,
//! submit, complete.
//!
//! A [`Bio`] is the driver's ownership of one bio between the block layer
//! handing it over (`submit_bio`) and the driver passing it on or ending it.
//! Every way out consumes it; one dropped by mistake is failed, never lost.

use super::member::MemberDev;
use core::{mem::ManuallyDrop, ptr::NonNull};
use kernel::{bindings, prelude::*, types::Opaque};

/// `GFP_NOIO`: may sleep and reclaim, but not by starting I/O (which could
/// come back to this driver). Not exported by the kernel crate in 6.12.
pub(crate) const GFP_NOIO: bindings::gfp_t =
    (1 << bindings::___GFP_DIRECT_RECLAIM_BIT) | (1 << bindings::___GFP_KSWAPD_RECLAIM_BIT);

const REQ_PREFLUSH: u32 = 1 << bindings::req_flag_bits___REQ_PREFLUSH;
/// `BLK_STS_IOERR` (a `__force` cast bindgen does not translate).
const BLK_STS_IOERR: u8 = 10;
const REQ_NOMERGE: u32 = 1 << bindings::req_flag_bits___REQ_NOMERGE;
const REQ_OP_MASK: u32 = (1 << bindings::REQ_OP_BITS) - 1;

/// A pool from which splits and flushes of one device's bios are allocated
/// (`struct bio_set`), so that the I/O path makes progress under memory
/// pressure.
#[pin_data(PinnedDrop)]
pub(crate) struct BioSet {
    #[pin]
    inner: Opaque<bindings::bio_set>,
}

// SAFETY: a bio_set is used through its own locking (mempools).
unsafe impl Send for BioSet {}
// SAFETY: as above.
unsafe impl Sync for BioSet {}

impl BioSet {
    /// A new pool of `BIO_POOL_SIZE` bios with room for bio vectors.
    pub(crate) fn new() -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            inner <- Opaque::ffi_init(|slot: *mut bindings::bio_set| {
                // SAFETY: `bioset_init` wants zeroed memory.
                unsafe { core::ptr::write_bytes(slot, 0, 1) };
            }),
        })
        .pin_chain(|this| {
            // SAFETY: the bio_set is zeroed and pinned; `drop` exits it,
            // which is valid for a zeroed or initialised bio_set.
            let ret = unsafe {
                bindings::bioset_init(
                    this.inner.get(),
                    bindings::BIO_POOL_SIZE,
                    0,
                    bindings::BIOSET_NEED_BVECS as i32,
                )
            };
            kernel::error::to_result(ret)
        })
    }

    fn as_ptr(&self) -> *mut bindings::bio_set {
        self.inner.get()
    }
}

#[pinned_drop]
impl PinnedDrop for BioSet {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: zeroed or initialised (see `new`); no bio from it is in
        // flight: its owner outlives the device whose bios it served.
        unsafe { bindings::bioset_exit(self.inner.get()) };
    }
}

/// A bio the driver owns: handed over by the block layer, or split off
/// such a bio.
///
/// # Invariants
///
/// `ptr` is a valid bio that nobody else will end or submit.
pub(crate) struct Bio {
    ptr: NonNull<bindings::bio>,
}

// SAFETY: a bio may be passed on or ended from any thread.
unsafe impl Send for Bio {}

impl Bio {
    /// Takes ownership of a bio handed to the driver.
    ///
    /// # Safety
    ///
    /// `ptr` is a valid bio that the caller owns and gives up.
    pub(super) unsafe fn from_raw(ptr: NonNull<bindings::bio>) -> Self {
        // INVARIANT: guaranteed by the caller.
        Self { ptr }
    }

    fn raw(&self) -> &bindings::bio {
        // SAFETY: valid while we own it (type invariant).
        unsafe { self.ptr.as_ref() }
    }

    /// Gives up ownership (to the block layer or a fan-out).
    pub(super) fn into_raw(self) -> *mut bindings::bio {
        ManuallyDrop::new(self).ptr.as_ptr()
    }

    /// First sector.
    pub(crate) fn sector(&self) -> u64 {
        self.raw().bi_iter.bi_sector
    }

    /// Length in sectors.
    pub(crate) fn sectors(&self) -> u32 {
        self.raw().bi_iter.bi_size >> 9
    }

    /// Whether the bio changes the device (`op_is_write`: odd operations).
    pub(crate) fn is_write(&self) -> bool {
        self.raw().bi_opf & 1 != 0
    }

    /// Whether the bio discards sectors.
    pub(crate) fn is_discard(&self) -> bool {
        self.raw().bi_opf & REQ_OP_MASK == bindings::req_op_REQ_OP_DISCARD
    }

    /// Lets the members merge the bio with others again (md clears
    /// `REQ_NOMERGE`, which only meant something for the array's queue).
    pub(crate) fn clear_nomerge(&mut self) {
        // SAFETY: we own the bio (type invariant).
        unsafe { self.ptr.as_mut().bi_opf &= !REQ_NOMERGE };
    }

    /// Makes the bio fail when it is ended (`BLK_STS_IOERR`).
    pub(crate) fn set_failed(&mut self) {
        // SAFETY: we own the bio (type invariant).
        unsafe { self.ptr.as_mut().bi_status = BLK_STS_IOERR };
    }

    /// Whether the bio asks for a cache flush before it (`REQ_PREFLUSH`).
    pub(crate) fn is_preflush(&self) -> bool {
        self.raw().bi_opf & REQ_PREFLUSH != 0
    }

    /// Drops `REQ_PREFLUSH`, once the flush was sent on separately.
    pub(crate) fn clear_preflush(&mut self) {
        // SAFETY: we own the bio (type invariant).
        unsafe { self.ptr.as_mut().bi_opf &= !REQ_PREFLUSH };
    }

    /// Splits off the first `sectors` (fewer than the bio has) as a new bio
    /// allocated from `pool`; `self` keeps the rest and completes only after
    /// the split part (`bio_chain`).
    pub(crate) fn split_front(&mut self, sectors: u32, pool: &BioSet) -> Result<Bio> {
        if sectors == 0 || sectors >= self.sectors() {
            return Err(EINVAL);
        }
        // SAFETY: we own the bio; the length is inside it; a mempool
        // allocation with GFP_NOIO does not fail.
        let split = unsafe {
            bindings::bio_split(self.ptr.as_ptr(), sectors as i32, GFP_NOIO, pool.as_ptr())
        };
        // NULL only for zone appends, which cannot be split.
        let split = NonNull::new(split).ok_or(EINVAL)?;
        // SAFETY: both are valid; the split is ours and not yet submitted.
        unsafe { bindings::bio_chain(split.as_ptr(), self.ptr.as_ptr()) };
        // INVARIANT: a fresh bio nobody else has.
        Ok(Bio { ptr: split })
    }

    /// Sends an empty `REQ_PREFLUSH` write to `member`, allocated from
    /// `pool`; `self` completes only after it, and fails if it fails (md's
    /// `md_flush_request` only logs a member's flush failure; a write that
    /// was asked to be durable should not succeed without it).
    pub(crate) fn chain_flush(&mut self, member: &MemberDev, pool: &BioSet) -> Result {
        // SAFETY: a mempool allocation with GFP_NOIO does not fail; the
        // member's block device is open.
        let flush = unsafe {
            bindings::bio_alloc_bioset(
                member.bdev_ptr(),
                0,
                bindings::req_op_REQ_OP_WRITE | REQ_PREFLUSH,
                GFP_NOIO,
                pool.as_ptr(),
            )
        };
        if flush.is_null() {
            return Err(ENOMEM);
        }
        // SAFETY: `flush` is fresh and ours; `self` is valid.
        unsafe {
            bindings::bio_chain(flush, self.ptr.as_ptr());
            bindings::submit_bio_noacct(flush);
        }
        Ok(())
    }

    /// Sends the bio to `member`'s sector `sector` (`bio_set_dev`, then
    /// `submit_bio_noacct`). A discard for a member without discard
    /// succeeds at once, as md's levels treat it: the array advertises
    /// discard when any member has it.
    pub(crate) fn submit_to(mut self, member: &MemberDev, sector: u64) {
        if self.is_discard() && !member.supports_discard() {
            return self.end();
        }
        // SAFETY: we own the bio and the member's device is open.
        unsafe {
            super::shim::bio_set_dev(self.ptr.as_ptr(), member.bdev_ptr());
            self.ptr.as_mut().bi_iter.bi_sector = sector;
        }
        let bio = self.into_raw();
        // SAFETY: the bio is complete and given up to the block layer.
        unsafe { bindings::submit_bio_noacct(bio) };
    }

    /// Passes the bio back to the block layer unchanged, to be handed to
    /// this driver again (the rest of a split).
    pub(crate) fn resubmit(self) {
        let bio = self.into_raw();
        // SAFETY: the bio is valid and given up to the block layer.
        unsafe { bindings::submit_bio_noacct(bio) };
    }

    /// Completes the bio successfully (and any chained to it, in turn).
    pub(crate) fn end(self) {
        let bio = self.into_raw();
        // SAFETY: the bio is ours and ended exactly once.
        unsafe { bindings::bio_endio(bio) };
    }

    /// Completes the bio with an I/O failure.
    pub(crate) fn fail(self) {
        let bio = self.into_raw();
        // SAFETY: the bio is ours and ended exactly once.
        unsafe { super::shim::bio_io_error(bio) };
    }
}

impl Drop for Bio {
    fn drop(&mut self) {
        // Only a bug gets here: end the bio rather than hang its submitter.
        // SAFETY: we still own the bio (every other way out forgets it).
        unsafe { super::shim::bio_io_error(self.ptr.as_ptr()) };
    }
}

/// Bios waiting for process context, pushed from any context (completion
/// handlers run in interrupts) without a lock: a stack linked through
/// `bi_next`, which is free while the driver owns a bio. Taken all at once.
pub(crate) struct BioStack {
    head: core::sync::atomic::AtomicPtr<bindings::bio>,
}

impl BioStack {
    /// An empty stack.
    pub(crate) const fn new() -> Self {
        Self {
            head: core::sync::atomic::AtomicPtr::new(core::ptr::null_mut()),
        }
    }

    /// Keeps `bio` until [`BioStack::take_all`].
    pub(crate) fn push(&self, bio: Bio) {
        use core::sync::atomic::Ordering;
        let bio = bio.into_raw();
        let mut head = self.head.load(Ordering::Acquire);
        loop {
            // SAFETY: the bio is ours (given up above) until popped.
            unsafe { (*bio).bi_next = head };
            match self
                .head
                .compare_exchange_weak(head, bio, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => return,
                Err(h) => head = h,
            }
        }
    }

    /// Whether no bio waits here.
    pub(crate) fn is_empty(&self) -> bool {
        self.head
            .load(core::sync::atomic::Ordering::Acquire)
            .is_null()
    }

    /// Every bio pushed so far, newest first.
    pub(crate) fn take_all(&self) -> BioStackIter {
        let head = self
            .head
            .swap(core::ptr::null_mut(), core::sync::atomic::Ordering::AcqRel);
        BioStackIter { next: head }
    }
}

impl Drop for BioStack {
    fn drop(&mut self) {
        // Bios left behind fail rather than hang their submitters.
        for bio in self.take_all() {
            bio.fail();
        }
    }
}

/// The bios taken from a [`BioStack`].
pub(crate) struct BioStackIter {
    next: *mut bindings::bio,
}

impl Iterator for BioStackIter {
    type Item = Bio;

    fn next(&mut self) -> Option<Bio> {
        let bio = NonNull::new(self.next)?;
        // SAFETY: the stack owned it; nobody else has it.
        unsafe {
            self.next = (*bio.as_ptr()).bi_next;
            (*bio.as_ptr()).bi_next = core::ptr::null_mut();
            Some(Bio::from_raw(bio))
        }
    }
}

impl Drop for BioStackIter {
    fn drop(&mut self) {
        for bio in self.by_ref() {
            bio.fail();
        }
    }
}

// SAFETY: the stack owns the bios in it, which may be ended from any
// thread; the head is atomic.
unsafe impl Send for BioStack {}
// SAFETY: as above.
unsafe impl Sync for BioStack {}
