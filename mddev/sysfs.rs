// SPDX-License-Identifier: GPL-2.0

//! `/sys/block/mdN/md/`: the array's attributes (md's `md_default_attrs`).
//!
//! Every access takes an [`ActiveRef`] first: an array whose deletion is
//! queued answers `EBUSY`, as md's `md_attr_show`/`md_attr_store` do.

use super::{
    array::{Hold, MdDev},
    array_state::ArrayState,
    text, ActiveRef,
};
use crate::blockdev::sysfs::{Attr, SysfsOps, SysfsOut};
use core::fmt::Write;
use kernel::{c_str, prelude::*, sync::Arc};

/// The largest number of member slots md's superblocks can describe.
const MAX_RAID_DISKS: u32 = 1920;

const ARRAY_STATE: usize = 0;
const RAID_DISKS: usize = 1;

impl SysfsOps for MdDev {
    const ATTRS: &'static [Attr] = &[
        Attr {
            name: c_str!("array_state"),
            mode: 0o644,
        },
        Attr {
            name: c_str!("raid_disks"),
            mode: 0o644,
        },
    ];

    fn show(this: &Arc<Self>, index: usize, out: &mut SysfsOut) -> Result {
        let mddev = ActiveRef::get(this).ok_or(EBUSY)?;
        let config = mddev.config.lock();
        let written = match index {
            ARRAY_STATE => {
                let state = if config.is_clear() {
                    ArrayState::Clear
                } else {
                    ArrayState::Inactive
                };
                writeln!(out, "{}", state.as_str())
            }
            RAID_DISKS => writeln!(out, "{}", config.raid_disks),
            _ => return Err(EIO),
        };
        written.map_err(|_| EFBIG)
    }

    fn store(this: &Arc<Self>, index: usize, input: &[u8]) -> Result {
        let mddev = ActiveRef::get(this).ok_or(EBUSY)?;
        match index {
            ARRAY_STATE => store_array_state(&mddev, input),
            RAID_DISKS => {
                let n = text::parse_u32(input).ok_or(EINVAL)?;
                if n > MAX_RAID_DISKS {
                    return Err(EINVAL);
                }
                let mut config = mddev.config.lock();
                config.raid_disks = n;
                mddev.config_changed(&config);
                Ok(())
            }
            _ => Err(EIO),
        }
    }
}

/// md's `array_state_store` for an array that does not run.
fn store_array_state(mddev: &ActiveRef, input: &[u8]) -> Result {
    let state = ArrayState::parse(input).ok_or(EINVAL)?;
    let result = match state {
        ArrayState::Clear => {
            // A sysfs writer has no open of its own.
            mddev.begin_stop(0)?;
            mddev.stop(&mut mddev.config.lock());
            mddev.end_stop(true);
            Ok(())
        }
        // "Stop an active array, return 0 otherwise."
        ArrayState::Inactive => Ok(()),
        // Running an array needs members and a personality.
        _ => Err(EINVAL),
    };
    if result.is_ok() {
        mddev.clear_hold(Hold::UntilIoctl);
    }
    result
}
