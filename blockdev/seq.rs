// SPDX-License-Identifier: GPL-2.0

//! Writing into a `seq_file` (what /proc/mdstat is printed into).

use core::fmt;
use kernel::bindings;

/// A `seq_file` being filled by a `show` callback.
///
/// # Invariants
///
/// `seq` is a valid `seq_file` for the duration of the `show` call that
/// created this value.
pub(crate) struct SeqOut {
    seq: *mut bindings::seq_file,
}

impl SeqOut {
    /// Wraps the `seq_file` of a `show` callback.
    ///
    /// # Safety
    ///
    /// `seq` must be valid for the lifetime of the returned value.
    pub(crate) unsafe fn new(seq: *mut bindings::seq_file) -> Self {
        // INVARIANT: guaranteed by the caller.
        Self { seq }
    }
}

impl fmt::Write for SeqOut {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        // SAFETY: `seq` is valid (type invariant) and `s` is readable for
        // `s.len()` bytes. On overflow seq_file notices by itself and calls
        // `show` again with a larger buffer, so the result is not needed.
        unsafe { bindings::seq_write(self.seq, s.as_ptr().cast(), s.len()) };
        Ok(())
    }
}
