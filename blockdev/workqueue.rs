// SPDX-License-Identifier: GPL-2.0

//! A workqueue owned by the module (md's `md_misc_wq`).

use core::ptr::NonNull;
use kernel::{bindings, c_str, prelude::*, str::CStr, workqueue::Queue};

/// A workqueue allocated by this module and destroyed on drop.
///
/// # Invariants
///
/// `ptr` is a workqueue returned by `alloc_workqueue` and not yet destroyed.
pub(crate) struct OwnedQueue {
    ptr: NonNull<bindings::workqueue_struct>,
}

// SAFETY: a workqueue may be used and destroyed from any thread.
unsafe impl Send for OwnedQueue {}
// SAFETY: the workqueue API is thread-safe.
unsafe impl Sync for OwnedQueue {}

impl OwnedQueue {
    /// Allocates an ordinary (bound, reclaim-less) workqueue named `name`.
    pub(crate) fn new(name: &'static CStr) -> Result<Self> {
        Self::with_flags(name, 0)
    }

    /// Allocates an unbound workqueue named `name`, for work that runs long
    /// (a resync): not tied to the CPU that queued it.
    pub(crate) fn new_unbound(name: &'static CStr) -> Result<Self> {
        Self::with_flags(name, bindings::wq_flags_WQ_UNBOUND)
    }

    fn with_flags(name: &'static CStr, flags: bindings::wq_flags) -> Result<Self> {
        // SAFETY: the format string takes exactly the one `%s` argument
        // given, which is NUL-terminated.
        let ptr = unsafe {
            bindings::alloc_workqueue(c_str!("%s").as_char_ptr(), flags, 0, name.as_char_ptr())
        };
        // INVARIANT: checked for allocation failure here.
        Ok(Self {
            ptr: NonNull::new(ptr).ok_or(ENOMEM)?,
        })
    }

    /// The queue, to enqueue work items on.
    pub(crate) fn queue(&self) -> &Queue {
        // SAFETY: the workqueue lives until `self` is dropped (type
        // invariant), which the returned borrow cannot outlive.
        unsafe { Queue::from_raw(self.ptr.as_ptr()) }
    }

    /// Waits for every work item queued so far to finish.
    pub(crate) fn flush(&self) {
        // SAFETY: the workqueue is live (type invariant).
        unsafe { bindings::__flush_workqueue(self.ptr.as_ptr()) };
    }
}

impl Drop for OwnedQueue {
    fn drop(&mut self) {
        // SAFETY: the workqueue is live and this is its last use; destroying
        // it drains every item still queued.
        unsafe { bindings::destroy_workqueue(self.ptr.as_ptr()) };
    }
}
