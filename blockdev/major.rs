// SPDX-License-Identifier: GPL-2.0

//! Registration of a block device major number and its probe.

use core::marker::PhantomData;
use kernel::{bindings, error::to_result, prelude::*, str::CStr};

/// What opening an unclaimed device number of the major does.
///
/// The block layer calls [`Probe::probe`] from `blk_probe_dev` (open of a
/// device node with no gendisk behind it, CONFIG_BLOCK_LEGACY_AUTOLOAD),
/// with `major_names_lock` held: it must not register or unregister majors.
pub(crate) trait Probe {
    /// Creates the device for `dev`, if the driver wants one.
    fn probe(dev: u32);
}

/// A block major registered with the block layer, unregistered on drop.
///
/// # Invariants
///
/// `major` is registered under `name` with `P`'s probe from `new` until
/// `drop`; once `unregister_blkdev` has returned, no probe is running.
pub(crate) struct MajorRegistration<P: Probe> {
    major: u32,
    name: &'static CStr,
    _probe: PhantomData<P>,
}

/// # Safety
///
/// Called by the block layer with a device number of the registered major.
unsafe extern "C" fn probe_callback<P: Probe>(dev: bindings::dev_t) {
    P::probe(dev);
}

impl<P: Probe> MajorRegistration<P> {
    /// Registers `major` (non-zero: md's major is fixed) with `P`'s probe.
    pub(crate) fn new(major: u32, name: &'static CStr) -> Result<Self> {
        if major == 0 {
            return Err(EINVAL);
        }
        // SAFETY: `name` is NUL-terminated and outlives the registration;
        // the probe callback is a function of this module, which
        // unregisters the major before its text goes away.
        let ret = unsafe {
            bindings::__register_blkdev(major, name.as_char_ptr(), Some(probe_callback::<P>))
        };
        to_result(ret)?;
        // INVARIANT: registration succeeded above.
        Ok(Self {
            major,
            name,
            _probe: PhantomData,
        })
    }
}

impl<P: Probe> Drop for MajorRegistration<P> {
    fn drop(&mut self) {
        // SAFETY: `major` is registered under `name` (type invariant).
        unsafe { bindings::unregister_blkdev(self.major, self.name.as_char_ptr()) };
    }
}
