// SPDX-License-Identifier: GPL-2.0

//! What `KVec` lacks in 6.12 and md's member lists need.

use kernel::prelude::*;

/// Removes and returns the element at `index`, keeping the order of the
/// rest (`Vec::remove`); `None` if there is none.
pub(crate) fn remove<T>(v: &mut KVec<T>, index: usize) -> Option<T> {
    let len = v.len();
    if index >= len {
        return None;
    }
    v.as_mut_slice()[index..].rotate_left(1);
    // SAFETY: the element now last is initialised; it is read out once and
    // the length then excludes it, so it is neither read nor dropped again.
    unsafe {
        let last = core::ptr::read(v.as_ptr().add(len - 1));
        v.set_len(len - 1);
        Some(last)
    }
}
