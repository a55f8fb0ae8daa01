// SPDX-License-Identifier: GPL-2.0

//! The boundary with `helpers.c`, the module's C half (see `helpers.h` for
//! the contract): what it provides to Rust, and the Rust entry points it
//! calls.

use super::seq::SeqOut;
use kernel::{bindings, error::from_result, error::to_result, prelude::*};

// Pointers to kernel structures that bindgen made opaque in part.
#[allow(improper_ctypes)]
extern "C" {
    fn rust_md_create_on_open() -> bool;
    fn rust_md_alloc_disk() -> *mut bindings::gendisk;
    fn rust_md_init_stacking_limits(lim: *mut bindings::queue_limits);
    fn rust_md_bio_io_error(bio: *mut bindings::bio);
    fn rust_md_bio_set_dev(bio: *mut bindings::bio, bdev: *mut bindings::block_device);
    fn rust_md_disk_changed(disk: *mut bindings::gendisk);
    fn rust_md_bdev_read_only(bdev: *mut bindings::block_device) -> bool;
    fn rust_md_bdev_nonrot(bdev: *mut bindings::block_device) -> bool;
    fn rust_md_bdev_max_discard_sectors(bdev: *mut bindings::block_device) -> u32;
    fn rust_md_proc_create() -> i32;
    fn rust_md_proc_remove();
    fn rust_md_params_drain();
}

/// The `create_on_open` module parameter.
pub(crate) fn create_on_open() -> bool {
    // SAFETY: reads a module parameter; no preconditions.
    unsafe { rust_md_create_on_open() }
}

/// `blk_alloc_disk(NULL, NUMA_NO_NODE)`: a bio-based gendisk or an ERR_PTR.
///
/// # Safety
///
/// The caller owns the returned reference and must `put_disk` it.
pub(super) unsafe fn alloc_disk() -> *mut bindings::gendisk {
    // SAFETY: no preconditions.
    unsafe { rust_md_alloc_disk() }
}

/// Completes `bio` with an I/O error.
///
/// # Safety
///
/// The caller owns `bio`, which is valid; it is consumed.
pub(super) unsafe fn bio_io_error(bio: *mut bindings::bio) {
    // SAFETY: guaranteed by the caller.
    unsafe { rust_md_bio_io_error(bio) }
}

/// Stacking defaults plus md's features (`blk_set_stacking_limits`).
///
/// # Safety
///
/// `lim` is valid for writes.
pub(super) unsafe fn init_stacking_limits(lim: *mut bindings::queue_limits) {
    // SAFETY: guaranteed by the caller.
    unsafe { rust_md_init_stacking_limits(lim) }
}

/// `bio_set_dev`: the bio goes to `bdev` from now on.
///
/// # Safety
///
/// The caller owns `bio`, and `bdev` is open.
pub(super) unsafe fn bio_set_dev(bio: *mut bindings::bio, bdev: *mut bindings::block_device) {
    // SAFETY: guaranteed by the caller.
    unsafe { rust_md_bio_set_dev(bio, bdev) }
}

/// Tells the block layer and udev that an array started or stopped.
///
/// # Safety
///
/// `disk` is an added, live gendisk.
pub(super) unsafe fn disk_changed(disk: *mut bindings::gendisk) {
    // SAFETY: guaranteed by the caller.
    unsafe { rust_md_disk_changed(disk) }
}

/// `bdev_read_only`.
///
/// # Safety
///
/// `bdev` is open.
pub(super) unsafe fn bdev_read_only(bdev: *mut bindings::block_device) -> bool {
    // SAFETY: guaranteed by the caller.
    unsafe { rust_md_bdev_read_only(bdev) }
}

/// `bdev_nonrot`.
///
/// # Safety
///
/// `bdev` is open.
pub(super) unsafe fn bdev_nonrot(bdev: *mut bindings::block_device) -> bool {
    // SAFETY: guaranteed by the caller.
    unsafe { rust_md_bdev_nonrot(bdev) }
}

/// `bdev_max_discard_sectors`.
///
/// # Safety
///
/// `bdev` is open.
pub(super) unsafe fn bdev_max_discard_sectors(bdev: *mut bindings::block_device) -> u32 {
    // SAFETY: guaranteed by the caller.
    unsafe { rust_md_bdev_max_discard_sectors(bdev) }
}

/// Waits for module parameter writers in progress (`new_array`).
pub(crate) fn params_drain() {
    // SAFETY: takes and drops this module's parameter lock.
    unsafe { rust_md_params_drain() }
}

/// `/proc/mdstat`, removed on drop.
pub(crate) struct ProcMdstat(());

impl ProcMdstat {
    /// Creates `/proc/mdstat`; reading it calls `crate::mddev::mdstat::show`.
    pub(crate) fn new() -> Result<Self> {
        // SAFETY: creates the entry once; `drop` removes it.
        to_result(unsafe { rust_md_proc_create() })?;
        Ok(Self(()))
    }
}

impl Drop for ProcMdstat {
    fn drop(&mut self) {
        // SAFETY: the entry exists (created in `new`); removing it waits for
        // readers still in `show`.
        unsafe { rust_md_proc_remove() };
    }
}

/// The `new_array` parameter was written with `val[0..len)`.
///
/// # Safety
///
/// `val` is readable for `len` bytes.
#[no_mangle]
pub(crate) unsafe extern "C" fn rust_md_new_array(val: *const u8, len: usize) -> i32 {
    // SAFETY: guaranteed by the caller (helpers.c).
    let val = unsafe { core::slice::from_raw_parts(val, len) };
    from_result(|| crate::mddev::params::new_array(val).map(|()| 0))
}

/// Prints /proc/mdstat.
///
/// # Safety
///
/// `seq` is the `seq_file` of a `show` call in progress.
#[no_mangle]
pub(crate) unsafe extern "C" fn rust_md_mdstat_show(seq: *mut bindings::seq_file) -> i32 {
    // SAFETY: `seq` is valid for this call (caller).
    let mut out = unsafe { SeqOut::new(seq) };
    crate::mddev::mdstat::show(&mut out);
    0
}
