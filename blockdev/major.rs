// SPDX-License-Identifier: GPL-2.0

//! Registration of a block device major number.

use kernel::{bindings, error::to_result, prelude::*, str::CStr};

/// A block major registered with the block layer, unregistered on drop.
///
/// # Invariants
///
/// `major` was registered under `name` by `__register_blkdev` and stays
/// registered until `drop`; `name` lives for the whole program.
pub(crate) struct MajorRegistration {
    major: u32,
    name: &'static CStr,
}

impl MajorRegistration {
    /// Registers `major` (which must be non-zero: md's major is fixed).
    pub(crate) fn new(major: u32, name: &'static CStr) -> Result<Self> {
        if major == 0 {
            return Err(EINVAL);
        }
        // SAFETY: `name` is a valid NUL-terminated string that outlives the
        // registration; a null probe callback is allowed.
        let ret = unsafe { bindings::__register_blkdev(major, name.as_char_ptr(), None) };
        to_result(ret)?;
        // INVARIANT: registration succeeded above.
        Ok(Self { major, name })
    }
}

impl Drop for MajorRegistration {
    fn drop(&mut self) {
        // SAFETY: by the type invariant `major` is registered under `name`.
        unsafe { bindings::unregister_blkdev(self.major, self.name.as_char_ptr()) };
    }
}
