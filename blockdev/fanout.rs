// SPDX-License-Identifier: GPL-2.0

//! One bio sent to several members at once, with one completion for all of
//! them (raid1's mirrored writes; a read is the case of one target).
//!
//! Each target gets a clone of the original bio (`bio_alloc_clone`, sharing
//! its pages) from a [`ClonePool`]. The first clone, the leader, carries the
//! shared bookkeeping in the pool's front padding, so a fan-out allocates
//! nothing but clones from a mempool: it always makes progress. When the
//! last clone completes, [`FanoutDone::done`] gets the original bio back with
//! the set of targets that failed, and decides how it ends.

use super::{bio::Bio, member::MemberDev};
use core::{
    mem::size_of,
    ptr::NonNull,
    sync::atomic::{AtomicU32, AtomicU64, Ordering},
};
use kernel::{
    bindings,
    prelude::*,
    sync::Arc,
    types::{ForeignOwnable, Opaque},
};

/// Most targets of one fan-out: one bit each in the failure mask.
pub(crate) const MAX_TARGETS: usize = 64;

/// Who learns how a fan-out went.
pub(crate) trait FanoutDone: Send + Sync + 'static {
    /// Every clone completed: `sent` has the bit of every target's tag,
    /// `failed` those whose clone failed. Runs in the completion context of
    /// the last clone (often interrupt context): it must not sleep.
    fn done(this: Arc<Self>, original: Bio, sent: u64, failed: u64);
}

/// Where one clone goes.
#[derive(Clone, Copy)]
pub(crate) struct Target<'a> {
    /// The member.
    pub(crate) member: &'a MemberDev,
    /// The sector on it.
    pub(crate) sector: u64,
    /// What the owner calls it (a mirror's slot): below [`MAX_TARGETS`],
    /// one per target.
    pub(crate) tag: u8,
}

/// What the leader clone carries in front of it.
#[repr(C)]
struct Shared {
    original: *mut bindings::bio,
    sent: u64,
    /// The leader's own tag.
    tag0: u8,
    remaining: AtomicU32,
    failed: AtomicU64,
    /// An `Arc<C>` turned into a pointer; taken back once, by the last clone.
    done: *const core::ffi::c_void,
}

/// The front padding: `Shared` rounded up to keep the bio aligned.
const FRONT_PAD: usize = size_of::<Shared>().next_multiple_of(16);

/// A pool of clones with room for the fan-out bookkeeping.
#[pin_data(PinnedDrop)]
pub(crate) struct ClonePool {
    #[pin]
    inner: Opaque<bindings::bio_set>,
}

// SAFETY: a bio_set is used through its own locking (mempools).
unsafe impl Send for ClonePool {}
// SAFETY: as above.
unsafe impl Sync for ClonePool {}

impl ClonePool {
    /// A pool that keeps `reserve` clones for progress under memory
    /// pressure (at least one fan-out's worth).
    pub(crate) fn new(reserve: u32) -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            inner <- Opaque::ffi_init(|slot: *mut bindings::bio_set| {
                // SAFETY: `bioset_init` wants zeroed memory.
                unsafe { core::ptr::write_bytes(slot, 0, 1) };
            }),
        })
        .pin_chain(move |this| {
            // SAFETY: zeroed and pinned; `drop` exits it, valid for a
            // zeroed or initialised bio_set. Clones need no vectors.
            let ret = unsafe {
                bindings::bioset_init(this.inner.get(), reserve.max(2), FRONT_PAD as u32, 0)
            };
            kernel::error::to_result(ret)
        })
    }
}

#[pinned_drop]
impl PinnedDrop for ClonePool {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: zeroed or initialised; every clone from it completed: a
        // fan-out holds its owner (`Arc<C>`, which owns the pool) until then.
        unsafe { bindings::bioset_exit(self.inner.get()) };
    }
}

/// The bookkeeping in front of `leader`.
///
/// # Safety
///
/// `leader` is a clone from a [`ClonePool`].
unsafe fn shared(leader: *mut bindings::bio) -> *mut Shared {
    // SAFETY: the pool allocates `FRONT_PAD` bytes right before each bio.
    unsafe { leader.cast::<u8>().sub(FRONT_PAD).cast::<Shared>() }
}

/// Sends `original` to every target, cloned from `pool`; `owner`, which must
/// keep `pool` alive, hears the outcome. With no target (or too many) the
/// original fails at once.
pub(crate) fn submit<'a, C: FanoutDone>(
    original: Bio,
    targets: impl Iterator<Item = Target<'a>> + Clone,
    pool: &ClonePool,
    owner: Arc<C>,
) {
    let mut sent = 0u64;
    for t in targets.clone() {
        if usize::from(t.tag) >= MAX_TARGETS || sent & (1 << t.tag) != 0 {
            return original.fail();
        }
        sent |= 1 << t.tag;
    }
    if sent == 0 {
        return original.fail();
    }
    let original = original.into_raw();
    let mut leader: *mut bindings::bio = core::ptr::null_mut();
    for t in targets {
        // SAFETY: `original` is ours until the last clone completes; the
        // pool is live (the owner keeps it); GFP_NOIO from a mempool does
        // not fail for a sleeping caller.
        let clone = unsafe {
            bindings::bio_alloc_clone(
                t.member.bdev_ptr(),
                original,
                super::bio::GFP_NOIO,
                pool.inner.get(),
            )
        };
        let Some(clone) = NonNull::new(clone) else {
            // Cannot happen with GFP_NOIO; if it did, the clones made so far
            // still complete, and count this one as failed.
            if leader.is_null() {
                // SAFETY: nothing was sent; the original is still ours.
                return unsafe { Bio::from_raw(NonNull::new_unchecked(original)) }.fail();
            }
            // SAFETY: `leader` is live until its shared count drops to 0.
            let s = unsafe { &*shared(leader) };
            s.failed.fetch_or(1 << t.tag, Ordering::AcqRel);
            finish_one::<C>(leader);
            continue;
        };
        let clone = clone.as_ptr();
        // SAFETY: the clone is ours until submitted. The leader (the first
        // clone) has a null `bi_private`; the others point at the leader
        // and keep their tag in their own front padding.
        unsafe {
            (*clone).bi_iter.bi_sector = t.sector;
            (*clone).bi_end_io = Some(end_io::<C>);
            (*clone).bi_private = leader.cast();
        }
        if leader.is_null() {
            leader = clone;
            // SAFETY: the front padding of a fresh clone is ours to fill.
            unsafe {
                shared(leader).write(Shared {
                    original,
                    sent,
                    tag0: t.tag,
                    remaining: AtomicU32::new(sent.count_ones()),
                    failed: AtomicU64::new(0),
                    done: owner.clone().into_foreign(),
                })
            };
        } else {
            // SAFETY: as above; `FRONT_PAD` has room for the index.
            unsafe {
                clone
                    .cast::<u8>()
                    .sub(FRONT_PAD)
                    .cast::<u32>()
                    .write(u32::from(t.tag))
            };
        }
        // SAFETY: the clone is complete and given to the block layer.
        unsafe { bindings::submit_bio_noacct(clone) };
    }
    drop(owner);
}

/// One clone is accounted for; the last one ends the fan-out.
fn finish_one<C: FanoutDone>(leader: *mut bindings::bio) {
    // SAFETY: the leader lives until the count reaches zero, here.
    let s = unsafe { &*shared(leader) };
    if s.remaining.fetch_sub(1, Ordering::AcqRel) != 1 {
        return;
    }
    let failed = s.failed.load(Ordering::Acquire);
    let sent = s.sent;
    let original = s.original;
    // SAFETY: taken back exactly once, by the last clone.
    let owner = unsafe { <Arc<C> as ForeignOwnable>::from_foreign(s.done) };
    // SAFETY: every clone completed; the leader is released last.
    unsafe { bindings::bio_put(leader) };
    // SAFETY: the original was given up in `submit` and is ours again.
    let original = unsafe { Bio::from_raw(NonNull::new_unchecked(original)) };
    C::done(owner, original, sent, failed);
}

/// # Safety
///
/// Called by the block layer when a clone made by `submit::<C>` completes.
unsafe extern "C" fn end_io<C: FanoutDone>(clone: *mut bindings::bio) {
    // SAFETY: the clone is valid until put.
    let (private, status) = unsafe { ((*clone).bi_private, (*clone).bi_status) };
    let (leader, index) = if private.is_null() {
        // SAFETY: this is the leader; its padding holds `Shared`.
        (clone, u32::from(unsafe { (*shared(clone)).tag0 }))
    } else {
        // SAFETY: a non-leader's padding holds its index (see `submit`).
        let index = unsafe { clone.cast::<u8>().sub(FRONT_PAD).cast::<u32>().read() };
        (private.cast::<bindings::bio>(), index)
    };
    if status != 0 {
        // SAFETY: the leader lives until the count reaches zero.
        let s = unsafe { &*shared(leader) };
        s.failed.fetch_or(1 << index, Ordering::AcqRel);
    }
    if clone != leader {
        // SAFETY: done with this clone; the leader keeps the bookkeeping.
        unsafe { bindings::bio_put(clone) };
    }
    finish_one::<C>(leader);
}
