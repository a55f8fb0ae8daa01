// SPDX-License-Identifier: GPL-2.0

//! The unsafe layer over the C block layer.
//!
//! Every call into `kernel::bindings` that md needs lives here, behind safe
//! types that document their invariants; `mddev` uses only these types. C
//! callbacks are thin trampolines that turn raw pointers into typed
//! references at once and call safe trait methods.

pub(crate) mod bio;
pub(crate) mod disk;
pub(crate) mod fanout;
pub(crate) mod global;
pub(crate) mod kvec;
pub(crate) mod live;
pub(crate) mod log;
pub(crate) mod major;
pub(crate) mod member;
pub(crate) mod seq;
pub(crate) mod shim;
pub(crate) mod sysfs;
pub(crate) mod wait;
pub(crate) mod workqueue;

use kernel::bindings;

/// Whether the current task may administer block devices (`CAP_SYS_ADMIN`).
pub(crate) fn capable_sys_admin() -> bool {
    // SAFETY: `capable` only reads the current task's credentials.
    unsafe { bindings::capable(bindings::CAP_SYS_ADMIN as i32) }
}

/// The minor number of a `dev_t` (`MINOR()`).
pub(crate) const fn dev_minor(dev: u32) -> u32 {
    dev & ((1 << bindings::MINORBITS) - 1)
}

/// The major number of a `dev_t` (`MAJOR()`).
pub(crate) const fn dev_major(dev: u32) -> u32 {
    dev >> bindings::MINORBITS
}

/// Wall-clock time in seconds since the epoch.
pub(crate) fn real_seconds() -> i64 {
    // SAFETY: reads the clock; no preconditions.
    unsafe { bindings::ktime_get_real_seconds() }
}

/// Sleeps for `ms` milliseconds (process context only).
pub(crate) fn sleep_ms(ms: u32) {
    // SAFETY: `msleep` only sleeps; callers are in process context.
    unsafe { bindings::msleep(ms) };
}

/// Lets other tasks run if this one has used its share (process context
/// only): long loops that may never sleep (a resync on RAM disks).
pub(crate) fn cond_resched() {
    // SAFETY: a scheduling point; callers are in process context and hold
    // no spinlock.
    unsafe { bindings::__cond_resched() };
}

/// `EOVERFLOW`, which the kernel crate does not name in 6.12.
pub(crate) fn eoverflow() -> kernel::error::Error {
    kernel::error::Error::from_errno(-(bindings::EOVERFLOW as i32))
}
