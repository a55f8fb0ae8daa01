// SPDX-License-Identifier: GPL-2.0

//! Objects whose final release runs this module's code.
//!
//! A gendisk's `free_disk` and a sysfs directory's kobject `release` can run
//! after the last reference is dropped, much later with
//! CONFIG_DEBUG_KOBJECT_RELEASE. Module unload must wait for every one of
//! them before the module's text goes away.

use super::global::Global;
use kernel::{
    new_condvar, new_mutex,
    prelude::*,
    sync::{CondVar, Mutex},
};

/// The count of pending releases, and a way to wait for it to reach zero.
#[pin_data]
pub(crate) struct LiveObjects {
    #[pin]
    count: Mutex<usize>,
    #[pin]
    zero: CondVar,
}

static LIVE: Global<LiveObjects> = Global::new();

impl LiveObjects {
    /// Starts tracking; called first at module load.
    pub(crate) fn publish() -> Result {
        let live = KBox::pin_init(
            pin_init!(LiveObjects {
                count <- new_mutex!(0, "md_live_objects"),
                zero <- new_condvar!("md_live_objects_zero"),
            }),
            GFP_KERNEL,
        )?;
        LIVE.set(live)
    }

    /// Waits until every tracked object is released, then stops tracking;
    /// called last at module unload.
    pub(crate) fn wait_and_retire() {
        if let Some(live) = LIVE.get() {
            let mut count = live.count.lock();
            while *count != 0 {
                live.zero.wait(&mut count);
            }
        }
        // SAFETY: every tracked object is released, so no release hook can
        // call `get` any more, and the module registers no new ones.
        drop(unsafe { LIVE.take() });
    }
}

/// Records an object whose release will call [`released`].
pub(crate) fn track() {
    if let Some(live) = LIVE.get() {
        *live.count.lock() += 1;
    }
}

/// Records that a tracked object was released.
pub(crate) fn released() {
    if let Some(live) = LIVE.get() {
        let mut count = live.count.lock();
        *count -= 1;
        if *count == 0 {
            live.zero.notify_all();
        }
    }
}
