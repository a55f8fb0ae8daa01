// SPDX-License-Identifier: GPL-2.0

//! A bio-based gendisk whose block device operations are a Rust trait.
//!
//! The disk's `private_data` holds an `Arc<T>` from [`GenDisk::add`] until
//! the block layer frees the disk (`free_disk`): the memory of `T` outlives
//! every callback of the disk. It is not a reference that keeps `T` in use;
//! `T` decides that itself.

use super::{bio::Bio, live, member::MemberDev, shim};
use core::{
    cell::UnsafeCell,
    marker::PhantomData,
    ptr::NonNull,
    sync::atomic::{AtomicBool, Ordering},
};
use kernel::{
    bindings,
    error::{from_err_ptr, from_result, to_result},
    prelude::*,
    sync::{Arc, ArcBorrow},
    types::ForeignOwnable,
    ThisModule,
};

/// Maximum length of a disk name, with its NUL (`DISK_NAME_LEN`).
pub(crate) const DISK_NAME_LEN: usize = 32;

/// The block device operations of a disk whose private data is `Arc<Self>`.
pub(crate) trait DiskOps: Sized + Send + Sync + 'static {
    /// A process opens the disk (`/dev/mdN` or an in-kernel open).
    fn open(this: ArcBorrow<'_, Self>) -> Result;
    /// The matching close of a successful [`DiskOps::open`].
    fn release(this: ArcBorrow<'_, Self>);
    /// An ioctl on an open disk; `arg` is a user pointer or a number.
    fn ioctl(this: ArcBorrow<'_, Self>, cmd: u32, arg: usize) -> Result<i32>;
    /// A bio for the disk, already split to the queue's limits; `io`
    /// proves that the disk's queue is entered (see [`IoCell`]).
    fn submit_bio(this: ArcBorrow<'_, Self>, bio: Bio, io: &InFlight<'_>);
}

/// The C operations table for `T`, a `static` so that it can name the module
/// as its owner (an open disk pins the module).
#[repr(transparent)]
pub(crate) struct DiskFops<T: DiskOps> {
    ops: bindings::block_device_operations,
    _t: PhantomData<T>,
}

// SAFETY: the table is never written after construction.
unsafe impl<T: DiskOps> Sync for DiskFops<T> {}

impl<T: DiskOps> DiskFops<T> {
    /// The table for `T`, owned by `module`.
    pub(crate) const fn new(module: &'static ThisModule) -> Self {
        Self {
            ops: bindings::block_device_operations {
                submit_bio: Some(submit_bio_callback::<T>),
                open: Some(open_callback::<T>),
                release: Some(release_callback::<T>),
                ioctl: Some(ioctl_callback::<T>),
                compat_ioctl: Some(ioctl_callback::<T>),
                free_disk: Some(free_disk_callback::<T>),
                owner: module.as_ptr(),
                // SAFETY: all-zero is a valid value for the remaining
                // fields: null pointers and `None` callbacks.
                ..unsafe { core::mem::MaybeUninit::zeroed().assume_init() }
            },
            _t: PhantomData,
        }
    }
}

/// # Safety
///
/// `disk` is a live gendisk made by [`GenDisk::add`] for `T`.
unsafe fn private<'a, T: DiskOps>(disk: *mut bindings::gendisk) -> ArcBorrow<'a, T> {
    // SAFETY: `private_data` holds an `Arc<T>` from `GenDisk::add` until
    // `free_disk`, which cannot run while the block layer calls into the
    // disk's other operations.
    unsafe { <Arc<T> as ForeignOwnable>::borrow((*disk).private_data) }
}

/// # Safety
///
/// Called by the block layer for a disk with `DiskFops<T>`.
unsafe extern "C" fn open_callback<T: DiskOps>(
    disk: *mut bindings::gendisk,
    _mode: bindings::blk_mode_t,
) -> i32 {
    // SAFETY: the block layer passes one of our live disks.
    let this = unsafe { private::<T>(disk) };
    from_result(|| T::open(this).map(|()| 0))
}

/// # Safety
///
/// Called by the block layer for a disk with `DiskFops<T>`.
unsafe extern "C" fn release_callback<T: DiskOps>(disk: *mut bindings::gendisk) {
    // SAFETY: the block layer passes one of our live disks.
    T::release(unsafe { private::<T>(disk) });
}

/// # Safety
///
/// Called by the block layer for an open block device of one of our disks.
unsafe extern "C" fn ioctl_callback<T: DiskOps>(
    bdev: *mut bindings::block_device,
    _mode: bindings::blk_mode_t,
    cmd: u32,
    arg: usize,
) -> i32 {
    // SAFETY: `bdev` is open, so it and its disk are live.
    let this = unsafe { private::<T>((*bdev).bd_disk) };
    from_result(|| T::ioctl(this, cmd, arg))
}

/// # Safety
///
/// Called by the block layer when the last reference to the disk is gone.
unsafe extern "C" fn free_disk_callback<T: DiskOps>(disk: *mut bindings::gendisk) {
    // SAFETY: `private_data` holds the `Arc<T>` that `GenDisk::add` stored;
    // no callback of this disk can run any more, so it is taken back once.
    drop(unsafe { <Arc<T> as ForeignOwnable>::from_foreign((*disk).private_data) });
    live::released();
}

/// # Safety
///
/// Called by the block layer with a bio for one of our disks, with the
/// disk's queue entered (`bio_queue_enter` in `__submit_bio`).
unsafe extern "C" fn submit_bio_callback<T: DiskOps>(bio: *mut bindings::bio) {
    // SAFETY: the bio is valid; its device is one of our disks.
    let disk = unsafe { (*(*bio).bi_bdev).bd_disk };
    // SAFETY: the block layer hands us the bio; splitting to the queue's
    // limits consumes it and returns the part to handle now, or NULL.
    let Some(bio) = NonNull::new(unsafe { bindings::bio_split_to_limits(bio) }) else {
        return;
    };
    // SAFETY: the bio is ours from here on.
    let bio = unsafe { Bio::from_raw(bio) };
    // SAFETY: `disk` is live while its queue is entered.
    let this = unsafe { private::<T>(disk) };
    let io = InFlight {
        disk,
        _scope: PhantomData,
    };
    T::submit_bio(this, bio, &io);
}

/// Proof that a disk's queue is entered: a bio of that disk is being
/// submitted. Only the `submit_bio` trampoline makes one.
pub(crate) struct InFlight<'a> {
    disk: *mut bindings::gendisk,
    _scope: PhantomData<&'a ()>,
}

/// A disk's queue, frozen: no `submit_bio` of the disk runs until this is
/// dropped.
pub(crate) struct Frozen<'a> {
    disk: *mut bindings::gendisk,
    _disk: PhantomData<&'a ()>,
}

impl Drop for Frozen<'_> {
    fn drop(&mut self) {
        // SAFETY: frozen by `GenDisk::freeze`; the disk outlives `'a`.
        unsafe { bindings::blk_mq_unfreeze_queue((*self.disk).queue) };
    }
}

/// What a disk's `submit_bio` reads without a lock: written only while the
/// disk's queue is frozen, read only by `submit_bio` of that disk, which
/// runs with the queue entered, so the two never overlap.
///
/// # Invariants
///
/// `value` is written only through [`IoCell::replace`], with `disk`'s queue
/// frozen and `writing` held; it is read only through [`IoCell::get`], during
/// a `submit_bio` of `disk`.
pub(crate) struct IoCell<P: ?Sized> {
    disk: *mut bindings::gendisk,
    writing: AtomicBool,
    value: UnsafeCell<Option<Arc<P>>>,
}

// SAFETY: access is serialised by the queue freeze (type invariant); the
// values are `Arc`s of thread-safe types.
unsafe impl<P: ?Sized + Send + Sync> Sync for IoCell<P> {}
// SAFETY: as above.
unsafe impl<P: ?Sized + Send + Sync> Send for IoCell<P> {}

impl<P: ?Sized> IoCell<P> {
    /// An empty cell for `disk`'s I/O path.
    pub(crate) fn new<T: DiskOps>(disk: &GenDisk<T>) -> Self {
        Self {
            disk: disk.ptr.as_ptr(),
            writing: AtomicBool::new(false),
            value: UnsafeCell::new(None),
        }
    }

    /// The value, from the I/O path of the cell's disk.
    pub(crate) fn get<'a>(&'a self, io: &'a InFlight<'_>) -> Option<&'a P> {
        if io.disk != self.disk {
            return None;
        }
        // SAFETY: the queue is entered, so no `replace` runs (invariant).
        unsafe { (*self.value.get()).as_deref() }
    }

    /// Replaces the value while `frozen` holds the cell's disk frozen, and
    /// returns the old one.
    pub(crate) fn replace(
        &self,
        frozen: &Frozen<'_>,
        value: Option<Arc<P>>,
    ) -> Result<Option<Arc<P>>> {
        if frozen.disk != self.disk {
            return Err(EINVAL);
        }
        if self.writing.swap(true, Ordering::Acquire) {
            return Err(EBUSY);
        }
        // SAFETY: frozen, so no reader; `writing` excludes other writers.
        let old = unsafe { core::mem::replace(&mut *self.value.get(), value) };
        self.writing.store(false, Ordering::Release);
        Ok(old)
    }
}

/// A member device registered as held by an array's disk
/// (`bd_link_disk_holder`: the `holders/` and `slaves/` links), undone on
/// drop.
///
/// # Invariants
///
/// The link from `member` to `disk` exists; this value holds a reference to
/// the disk's device and keeps `member` open.
pub(crate) struct HolderLink {
    member: Arc<MemberDev>,
    disk: NonNull<bindings::gendisk>,
}

// SAFETY: the holder API may be used from any thread.
unsafe impl Send for HolderLink {}
// SAFETY: `&HolderLink` gives no access.
unsafe impl Sync for HolderLink {}

impl Drop for HolderLink {
    fn drop(&mut self) {
        let disk = self.disk.as_ptr();
        // SAFETY: the link exists and both ends are live (invariant); the
        // disk reference taken in `link_holder` is dropped after.
        unsafe {
            bindings::bd_unlink_disk_holder(self.member.bdev_ptr(), disk);
            bindings::put_device(&raw mut (*(*disk).part0).bd_device);
        }
    }
}

/// A gendisk of this module, with `T` as its private data once added.
///
/// # Invariants
///
/// `ptr` is a gendisk from `blk_alloc_disk` on which this value holds the
/// allocation reference. `added` is true once `device_add_disk` succeeded;
/// then `private_data` holds an `Arc<T>` and `free_disk` will be called.
pub(crate) struct GenDisk<T: DiskOps> {
    ptr: NonNull<bindings::gendisk>,
    added: bool,
    _t: PhantomData<T>,
}

// SAFETY: the gendisk API may be used from any thread.
unsafe impl<T: DiskOps> Send for GenDisk<T> {}
// SAFETY: `&GenDisk` only gives access to thread-safe gendisk functions.
unsafe impl<T: DiskOps> Sync for GenDisk<T> {}

impl<T: DiskOps> GenDisk<T> {
    /// Allocates a disk `name` for device numbers `major:first_minor` and
    /// the `minors - 1` after it, with the operations `fops`.
    pub(crate) fn new(
        fops: &'static DiskFops<T>,
        major: u32,
        first_minor: u32,
        minors: u32,
        name: &[u8],
    ) -> Result<Self> {
        if name.is_empty() || name.len() >= DISK_NAME_LEN || name.contains(&0) {
            return Err(EINVAL);
        }
        // SAFETY: no preconditions; returns a gendisk or an ERR_PTR.
        let ptr = from_err_ptr(unsafe { shim::alloc_disk() })?;
        // INVARIANT: `ptr` is a fresh gendisk whose reference we own.
        let disk = Self {
            ptr: NonNull::new(ptr).ok_or(ENOMEM)?,
            added: false,
            _t: PhantomData,
        };
        // SAFETY: the disk is ours and not yet visible to anyone else. The
        // name fits with its NUL, and `disk_name` is zeroed by the allocator.
        unsafe {
            let d = &mut *ptr;
            d.major = major as i32;
            d.first_minor = first_minor as i32;
            d.minors = minors as i32;
            d.fops = &fops.ops;
            for (dst, src) in d.disk_name.iter_mut().zip(name) {
                *dst = *src as _;
            }
        }
        Ok(disk)
    }

    /// Makes the disk visible (`add_disk`) with `data` as its private data.
    pub(crate) fn add(&mut self, data: Arc<T>) -> Result {
        if self.added {
            return Err(EBUSY);
        }
        let disk = self.ptr.as_ptr();
        // SAFETY: the disk is ours and not yet added; its callbacks read
        // `private_data` only once it is added.
        unsafe { (*disk).private_data = data.into_foreign() as *mut _ };
        live::track();
        // SAFETY: the disk is fully set up; no parent, no extra groups.
        let ret = unsafe {
            bindings::device_add_disk(core::ptr::null_mut(), disk, core::ptr::null_mut())
        };
        if let Err(e) = to_result(ret) {
            // SAFETY: the add failed, so `free_disk` will never be called and
            // the `Arc` stored above is taken back exactly once.
            drop(unsafe { <Arc<T> as ForeignOwnable>::from_foreign((*disk).private_data) });
            // SAFETY: as above, the disk is still ours alone.
            unsafe { (*disk).private_data = core::ptr::null_mut() };
            live::released();
            return Err(e);
        }
        // INVARIANT: added, with an `Arc<T>` in `private_data`.
        self.added = true;
        Ok(())
    }

    /// Sets the capacity, in sectors. The block layer tells user space of
    /// changes between non-zero sizes only; see [`GenDisk::changed`].
    pub(crate) fn set_capacity(&self, sectors: u64) {
        // SAFETY: the disk is ours (type invariant).
        unsafe { bindings::set_capacity_and_notify(self.ptr.as_ptr(), sectors) };
    }

    /// Tells the block layer (partitions are rescanned at the next open)
    /// and udev (`KOBJ_CHANGE`) that what the disk holds changed: an array
    /// started or stopped.
    pub(crate) fn changed(&self) {
        if self.added {
            // SAFETY: the disk is added and live (type invariant).
            unsafe { shim::disk_changed(self.ptr.as_ptr()) };
        }
    }

    /// Marks the disk read-only or writable for openers.
    pub(crate) fn set_read_only(&self, read_only: bool) {
        // SAFETY: the disk is ours (type invariant).
        unsafe { bindings::set_disk_ro(self.ptr.as_ptr(), read_only) };
    }

    /// The logical block size of the disk's queue, bytes.
    pub(crate) fn logical_block_size(&self) -> u32 {
        // SAFETY: the disk and its queue are live while `self` is; the
        // limits are read once.
        unsafe {
            core::ptr::read_volatile(&(*(*self.ptr.as_ptr()).queue).limits.logical_block_size)
        }
    }

    /// Writes back the disk's dirty page cache (`sync_blockdev`).
    pub(crate) fn sync(&self) -> Result {
        // SAFETY: `part0` lives as long as the disk.
        to_result(unsafe { bindings::sync_blockdev((*self.ptr.as_ptr()).part0) })
    }

    /// Freezes the disk's queue: waits for every `submit_bio` in progress
    /// and holds back new ones until the result is dropped.
    pub(crate) fn freeze(&self) -> Frozen<'_> {
        let disk = self.ptr.as_ptr();
        // SAFETY: the disk and its queue are live while `self` is.
        unsafe { bindings::blk_mq_freeze_queue((*disk).queue) };
        Frozen {
            disk,
            _disk: PhantomData,
        }
    }

    /// Sets the queue limits: the level's own (`io_min`/`io_opt` in bytes,
    /// the largest request in sectors, 0 for none), combined with those of
    /// `members` (each with the sector its data starts at), in md's order
    /// (`raid0_set_limits`, then `mddev_stack_rdev_limits`).
    pub(crate) fn stack_limits(
        &self,
        members: &[(&MemberDev, u64)],
        io_min: u32,
        io_opt: u32,
        max_sectors: u32,
    ) -> Result {
        let disk = self.ptr.as_ptr();
        // SAFETY: all-zero is a valid starting point; the helper sets the
        // stacking defaults and md's features.
        let mut lim: bindings::queue_limits = unsafe { core::mem::zeroed() };
        // SAFETY: `lim` is ours.
        unsafe { shim::init_stacking_limits(&mut lim) };
        if max_sectors != 0 {
            lim.max_hw_sectors = max_sectors;
            lim.max_write_zeroes_sectors = max_sectors;
        }
        lim.io_min = io_min;
        lim.io_opt = io_opt;
        for (member, offset) in members {
            // SAFETY: the member is open; the prefix names our disk.
            unsafe {
                bindings::queue_limits_stack_bdev(
                    &mut lim,
                    member.bdev_ptr(),
                    *offset,
                    (*disk).disk_name.as_ptr(),
                )
            };
        }
        // SAFETY: the queue is live; `queue_limits_set` validates `lim`.
        to_result(unsafe { bindings::queue_limits_set((*disk).queue, &mut lim) })
    }

    /// Registers `member` as held by this disk (its `holders/` entry).
    pub(crate) fn link_holder(&self, member: &Arc<MemberDev>) -> Result<HolderLink> {
        let disk = self.ptr.as_ptr();
        // SAFETY: the member is open and the disk added.
        to_result(unsafe { bindings::bd_link_disk_holder(member.bdev_ptr(), disk) })?;
        // SAFETY: keeps the disk's memory for the unlink in `drop`.
        unsafe { bindings::get_device(&raw mut (*(*disk).part0).bd_device) };
        // INVARIANT: linked, with a device reference, the member kept open.
        Ok(HolderLink {
            member: member.clone(),
            disk: self.ptr,
        })
    }

    /// The kobject of the disk's device (`/sys/block/<name>`), the parent of
    /// driver directories such as md's `md/`.
    pub(super) fn device_kobject(&self) -> *mut bindings::kobject {
        // SAFETY: `part0` lives as long as the disk, which we hold.
        unsafe { &raw mut (*(*self.ptr.as_ptr()).part0).bd_device.kobj }
    }
}

impl<T: DiskOps> Drop for GenDisk<T> {
    fn drop(&mut self) {
        let disk = self.ptr.as_ptr();
        if self.added {
            // SAFETY: the disk was added and is deleted only here. This runs
            // in process context, never from the disk's own callbacks.
            unsafe { bindings::del_gendisk(disk) };
        }
        // SAFETY: drops the reference from `blk_alloc_disk` (type invariant).
        unsafe { bindings::put_disk(disk) };
    }
}
