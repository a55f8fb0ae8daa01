// SPDX-License-Identifier: GPL-2.0

//! A bio-based gendisk whose block device operations are a Rust trait.
//!
//! The disk's `private_data` holds an `Arc<T>` from [`GenDisk::add`] until
//! the block layer frees the disk (`free_disk`): the memory of `T` outlives
//! every callback of the disk. It is not a reference that keeps `T` in use;
//! `T` decides that itself.

use super::{live, shim};
use core::{marker::PhantomData, ptr::NonNull};
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
                submit_bio: Some(submit_bio_callback),
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
/// Called by the block layer with a bio for one of our disks.
unsafe extern "C" fn submit_bio_callback(bio: *mut bindings::bio) {
    // No array has any capacity yet: any bio that gets here fails.
    // SAFETY: the block layer hands us ownership of a valid bio.
    unsafe { shim::bio_io_error(bio) };
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
