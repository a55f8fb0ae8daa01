// SPDX-License-Identifier: GPL-2.0

//! Module-wide state for C callbacks that carry no context of their own
//! (the major's probe, module parameters, /proc/mdstat, release hooks).

use core::{
    pin::Pin,
    ptr,
    sync::atomic::{AtomicPtr, Ordering},
};
use kernel::{alloc::KBox, prelude::*};

/// A value published for the lifetime of the module's callbacks.
///
/// # Invariants
///
/// `ptr` is null or comes from `KBox::into_raw` of a pinned box that was
/// published by [`Global::set`] and not yet taken back by [`Global::take`].
pub(crate) struct Global<T> {
    ptr: AtomicPtr<T>,
}

// SAFETY: the published value is only shared as `&T`, so `Global<T>` can be
// shared between threads when `T` can.
unsafe impl<T: Sync + Send> Sync for Global<T> {}

impl<T> Global<T> {
    /// An empty slot, for a `static`.
    pub(crate) const fn new() -> Self {
        // INVARIANT: null.
        Self {
            ptr: AtomicPtr::new(ptr::null_mut()),
        }
    }

    /// Publishes `value`. Fails with `EBUSY` if a value is published.
    pub(crate) fn set(&self, value: Pin<KBox<T>>) -> Result {
        // SAFETY: the box is only ever turned back into a pinned box by
        // `take`, so its contents never move.
        let raw = KBox::into_raw(unsafe { Pin::into_inner_unchecked(value) });
        // INVARIANT: `raw` comes from `KBox::into_raw` of a pinned box.
        match self
            .ptr
            .compare_exchange(ptr::null_mut(), raw, Ordering::AcqRel, Ordering::Acquire)
        {
            Ok(_) => Ok(()),
            Err(_) => {
                // SAFETY: `raw` came from `KBox::into_raw` just above and was
                // not published.
                drop(unsafe { KBox::from_raw(raw) });
                Err(EBUSY)
            }
        }
    }

    /// The published value, if any.
    ///
    /// The reference is valid until the owner calls [`Global::take`], whose
    /// safety contract requires that no callback can still be using it.
    pub(crate) fn get(&self) -> Option<&'static T> {
        let p = self.ptr.load(Ordering::Acquire);
        // SAFETY: by the type invariant `p` is null or points to a live
        // published value, which stays live until `take`, after every user
        // is gone (the contract of `take`).
        unsafe { p.as_ref() }
    }

    /// Takes the published value back.
    ///
    /// # Safety
    ///
    /// No reference returned by [`Global::get`] may be in use or used again:
    /// every callback that could call `get` must be unregistered and drained.
    pub(crate) unsafe fn take(&self) -> Option<Pin<KBox<T>>> {
        let p = self.ptr.swap(ptr::null_mut(), Ordering::AcqRel);
        if p.is_null() {
            return None;
        }
        // SAFETY: `p` came from `KBox::into_raw` of a pinned box (type
        // invariant), and the caller guarantees no reference is in use.
        Some(unsafe { Pin::new_unchecked(KBox::from_raw(p)) })
    }
}
