// SPDX-License-Identifier: GPL-2.0

//! Waiting for a counter or a flag that completion handlers change
//! (`wait_var_event`/`wake_up_var`), time, and md's resync speed limits.

use core::sync::atomic::{AtomicBool, AtomicU64};
use kernel::prelude::*;

extern "C" {
    fn rust_md_wait_u64_zero(v: *mut u64);
    fn rust_md_wait_bool_false(v: *mut bool);
    fn rust_md_wake_var(v: *mut core::ffi::c_void);
    fn rust_md_jiffies() -> core::ffi::c_ulong;
    fn rust_md_hz() -> core::ffi::c_ulong;
    fn rust_md_speed_limit_min() -> i32;
    fn rust_md_speed_limit_max() -> i32;
    fn rust_md_sysctl_register() -> i32;
    fn rust_md_sysctl_unregister();
}

/// Sleeps until `v` is zero; whoever lowers it calls [`wake`] on it.
pub(crate) fn wait_until_zero(v: &AtomicU64) {
    // SAFETY: `v` is valid for the call; the helper only reads it.
    unsafe { rust_md_wait_u64_zero(v.as_ptr()) }
}

/// Sleeps until `v` is false; whoever clears it calls [`wake`] on it.
pub(crate) fn wait_until_false(v: &AtomicBool) {
    // SAFETY: `v` is valid for the call; the helper only reads it.
    unsafe { rust_md_wait_bool_false(v.as_ptr()) }
}

/// Wakes those waiting on `v` (any context).
pub(crate) fn wake<T>(v: &T) {
    // SAFETY: the address is only a key for the wait queue.
    unsafe { rust_md_wake_var(v as *const T as *mut core::ffi::c_void) }
}

/// The kernel's tick count.
pub(crate) fn jiffies() -> u64 {
    // SAFETY: reads a counter.
    unsafe { rust_md_jiffies() as u64 }
}

/// Ticks per second.
pub(crate) fn hz() -> u64 {
    // SAFETY: a constant.
    unsafe { rust_md_hz() as u64 }
}

/// `/proc/sys/dev/raid/speed_limit_min` and `_max`, KiB/s.
pub(crate) fn speed_limits() -> (i32, i32) {
    // SAFETY: read the sysctl values.
    unsafe { (rust_md_speed_limit_min(), rust_md_speed_limit_max()) }
}

/// `/proc/sys/dev/raid/`, removed on drop.
pub(crate) struct RaidSysctl(());

impl RaidSysctl {
    /// Registers md's resync speed limits.
    pub(crate) fn new() -> Result<Self> {
        // SAFETY: registers the static table once; `drop` removes it.
        kernel::error::to_result(unsafe { rust_md_sysctl_register() })?;
        Ok(Self(()))
    }
}

impl Drop for RaidSysctl {
    fn drop(&mut self) {
        // SAFETY: registered in `new`.
        unsafe { rust_md_sysctl_unregister() };
    }
}
