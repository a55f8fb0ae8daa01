// SPDX-License-Identifier: GPL-2.0

//! The md ioctls on /dev/mdN (md's `md_ioctl`).

use super::{
    array::{Hold, MdDev},
    uapi::{self, IoctlAccess, MduArrayInfo},
};
use crate::blockdev;
use kernel::{prelude::*, sync::Arc, uaccess::UserSlice};

/// Handles `cmd` for an open array; `arg` is a user pointer or a number.
pub(super) fn md_ioctl(mddev: &Arc<MdDev>, cmd: u32, arg: usize) -> Result<i32> {
    match uapi::ioctl_access(cmd) {
        IoctlAccess::Unknown => return Err(ENOTTY),
        IoctlAccess::Admin if !blockdev::capable_sys_admin() => return Err(EACCES),
        _ => {}
    }

    // Queries that change nothing and do not count as configuring.
    match cmd {
        uapi::RAID_VERSION => {
            UserSlice::new(arg, uapi::VERSION_SIZE)
                .writer()
                .write_slice(&uapi::MD_VERSION.to_bytes())?;
            return Ok(0);
        }
        uapi::GET_ARRAY_INFO => return get_array_info(mddev, arg).map(|()| 0),
        uapi::GET_DISK_INFO | uapi::SET_DISK_FAULTY | uapi::GET_BITMAP_FILE => {
            // Members arrive with the arrays (ADD_NEW_DISK).
            return Err(ENODEV);
        }
        _ => {}
    }

    let stopping = cmd == uapi::STOP_ARRAY || cmd == uapi::STOP_ARRAY_RO;
    if stopping {
        // The caller's own open is allowed; anyone else's is not.
        mddev.begin_stop(1)?;
    }
    let result = configure(mddev, cmd, arg);
    if stopping {
        // STOP_ARRAY_RO leaves the array in use; so does a failed stop.
        mddev.end_stop(cmd == uapi::STOP_ARRAY && result.is_ok());
    }
    // An array made by `new_array=mdNNN` is held until its first ioctl,
    // unless that ioctl was meaningless (md: not after EINVAL).
    if result != Err(EINVAL) {
        mddev.clear_hold(Hold::UntilIoctl);
    }
    result.map(|()| 0)
}

/// The ioctls that take the configuration lock.
fn configure(mddev: &Arc<MdDev>, cmd: u32, arg: usize) -> Result {
    let mut config = mddev.config.lock();
    if cmd == uapi::SET_ARRAY_INFO {
        let mut bytes = [0u8; uapi::ARRAY_INFO_SIZE];
        if arg != 0 {
            UserSlice::new(arg, bytes.len())
                .reader()
                .read_slice(&mut bytes)?;
        }
        let info = MduArrayInfo::from_bytes(&bytes);
        if info.raid_disks != 0 {
            // The full form, for arrays without superblocks, comes with
            // the personalities.
            return Err(EINVAL);
        }
        if !uapi::check_version_only(&info) {
            return Err(EINVAL);
        }
        config.major_version = info.major_version;
        config.minor_version = info.minor_version;
        config.patch_version = info.patch_version;
        config.persistent = info.not_persistent == 0;
        // Some configuration now: the array must survive its last close.
        config.ctime = now_seconds();
        mddev.config_changed(&config);
        return Ok(());
    }

    // Until configured, only these make sense (md).
    if !config.keeps_array()
        && !matches!(
            cmd,
            uapi::ADD_NEW_DISK | uapi::STOP_ARRAY | uapi::RUN_ARRAY | uapi::SET_BITMAP_FILE
        )
    {
        return Err(ENODEV);
    }
    match cmd {
        uapi::STOP_ARRAY => {
            mddev.stop(&mut config);
            Ok(())
        }
        // Nothing runs yet, so there is nothing to make read-only.
        uapi::STOP_ARRAY_RO => Ok(()),
        _ => Err(EINVAL),
    }
}

fn get_array_info(mddev: &Arc<MdDev>, arg: usize) -> Result {
    let config = mddev.config.lock();
    if config.raid_disks == 0 {
        return Err(ENODEV);
    }
    let info = MduArrayInfo {
        major_version: config.major_version,
        minor_version: config.minor_version,
        patch_version: config.patch_version,
        ctime: config.ctime,
        level: config.level,
        size: (config.dev_sectors / 2).min(i32::MAX as u64) as i32,
        nr_disks: 0,
        raid_disks: config.raid_disks as i32,
        md_minor: mddev.unit as i32,
        not_persistent: i32::from(!config.persistent),
        utime: config.utime,
        state: 0,
        active_disks: 0,
        working_disks: 0,
        failed_disks: 0,
        spare_disks: 0,
        layout: config.layout,
        chunk_size: (config.chunk_sectors << 9) as i32,
    };
    drop(config);
    UserSlice::new(arg, uapi::ARRAY_INFO_SIZE)
        .writer()
        .write_slice(&info.to_bytes())
}

/// Wall-clock seconds, for `ctime`/`utime` (32 bits, as md's ABI).
fn now_seconds() -> u32 {
    let secs = blockdev::real_seconds();
    // Never zero: a zero ctime means "not configured".
    (secs as u32).max(1)
}
