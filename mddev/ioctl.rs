// SPDX-License-Identifier: GPL-2.0

//! The md ioctls on /dev/mdN (md's `md_ioctl`).

use super::{
    array::{Config, Hold, MdDev, Ro},
    assemble::{self, StopMode},
    manage,
    uapi::{self, IoctlAccess, MduArrayInfo, MduDiskInfo},
};
use crate::blockdev::{
    self,
    log::{line_warn, md_warn},
};
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
        uapi::GET_DISK_INFO => return get_disk_info(mddev, arg).map(|()| 0),
        uapi::SET_DISK_FAULTY => return set_disk_faulty(mddev, arg).map(|()| 0),
        uapi::GET_BITMAP_FILE => {
            // No bitmaps: an empty path, as md reports for an array without
            // a bitmap file.
            let zeros = KVec::from_elem(0u8, uapi::BITMAP_FILE_SIZE, GFP_KERNEL)?;
            UserSlice::new(arg, uapi::BITMAP_FILE_SIZE)
                .writer()
                .write_slice(&zeros)?;
            return Ok(0);
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
    // ADD_NEW_DISK opens its device first, without the lock (see
    // `assemble::open_new_member`); errors are reported in md's order.
    let new_member = if cmd == uapi::ADD_NEW_DISK {
        let info = read_disk_info(arg)?;
        Some((info, assemble::open_new_member(&info)))
    } else {
        None
    };
    let mut config = mddev.config.lock();
    if cmd == uapi::SET_ARRAY_INFO {
        return set_array_info(mddev, &mut config, arg);
    }

    // Until it has slots, only these make sense (md).
    if config.raid_disks == 0
        && !matches!(
            cmd,
            uapi::ADD_NEW_DISK
                | uapi::STOP_ARRAY
                | uapi::RUN_ARRAY
                | uapi::SET_BITMAP_FILE
                | uapi::GET_BITMAP_FILE
        )
    {
        return Err(ENODEV);
    }

    // What even a read-only array may do.
    match cmd {
        uapi::RESTART_ARRAY_RW => return assemble::restart_rw(mddev, &mut config),
        uapi::STOP_ARRAY => {
            assemble::stop(mddev, &mut config, StopMode::Clear);
            return Ok(());
        }
        uapi::STOP_ARRAY_RO => return assemble::set_readonly(mddev, &mut config),
        uapi::HOT_REMOVE_DISK => {
            if config.running.is_none() {
                return Err(ENODEV);
            }
            return manage::hot_remove_disk(mddev, &mut config, decode_dev(arg));
        }
        // md: a member that left without missing an update may rejoin a
        // read-only array (mdadm's re-add asks for it in sync).
        uapi::ADD_NEW_DISK
            if config.running.is_some()
                && new_member
                    .as_ref()
                    .is_some_and(|(info, _)| info.state & uapi::MD_DISK_SYNC != 0) =>
        {
            if let Some((info, member)) = new_member {
                return assemble::add_new_disk(mddev, &mut config, &info, member);
            }
        }
        _ => {}
    }

    // The rest changes the array: not on a read-only one; a first change
    // makes an auto-read-only one writable (md).
    if config.running.is_some() {
        match config.ro {
            Ro::ReadOnly => return Err(EROFS),
            Ro::AutoRead => assemble::set_writable(mddev, &mut config, Ro::ReadWrite),
            Ro::ReadWrite => {}
        }
    }
    match cmd {
        uapi::ADD_NEW_DISK => match new_member {
            Some((info, member)) => assemble::add_new_disk(mddev, &mut config, &info, member),
            None => Err(EINVAL),
        },
        // md ignores RUN_ARRAY's argument (mdadm passes garbage or NULL).
        uapi::RUN_ARRAY => assemble::run(mddev, &mut config, Ro::ReadWrite),
        uapi::HOT_ADD_DISK => {
            if config.running.is_none() {
                return Err(ENODEV);
            }
            line_warn!("{}: personality does not support diskops!\n", mddev.name);
            Err(EINVAL)
        }
        // No bitmaps: removing the (absent) one is "no such file", adding
        // one is refused.
        uapi::SET_BITMAP_FILE if (arg as i32) < 0 => Err(ENOENT),
        _ => Err(EINVAL),
    }
}

/// md's `__md_set_array_info`.
fn set_array_info(mddev: &MdDev, config: &mut Config, arg: usize) -> Result {
    let mut bytes = [0u8; uapi::ARRAY_INFO_SIZE];
    if arg != 0 {
        UserSlice::new(arg, bytes.len())
            .reader()
            .read_slice(&mut bytes)?;
    }
    let info = MduArrayInfo::from_bytes(&bytes);
    if config.running.is_some() {
        // Changing a running array's geometry (mdadm --grow) is not
        // supported.
        md_warn!("couldn't update array info. {}\n", -22);
        return Err(EINVAL);
    }
    if !config.rdevs.is_empty() {
        md_warn!("array {} already has disks!\n", mddev.name);
        return Err(EBUSY);
    }
    if config.raid_disks != 0 {
        md_warn!("array {} already initialised!\n", mddev.name);
        return Err(EBUSY);
    }
    if info.raid_disks == 0 {
        // The version-only form, before members with superblocks.
        if !uapi::check_version_only(&info) {
            md_warn!("superblock version {} not known\n", info.major_version);
            return Err(EINVAL);
        }
        config.major_version = info.major_version;
        config.minor_version = info.minor_version;
        config.patch_version = info.patch_version;
        config.persistent = info.not_persistent == 0;
    } else {
        // The full form: an array without superblocks (mdadm --build).
        let Some(geo) = uapi::check_build(&info) else {
            md_warn!("couldn't set array info. {}\n", -22);
            return Err(EINVAL);
        };
        config.major_version = 0;
        config.minor_version = 90;
        config.patch_version = 3;
        config.persistent = false;
        config.level = geo.level;
        config.dev_sectors = geo.dev_sectors;
        config.raid_disks = geo.raid_disks;
        config.chunk_sectors = geo.chunk_sectors;
        // md cannot trust a raid0 layout given this way.
        config.layout = if geo.level == 0 { -1 } else { geo.layout };
        config.resync_offset = if info.state & uapi::MD_SB_CLEAN != 0 {
            u64::MAX
        } else {
            0
        };
    }
    // Some configuration now: the array must survive its last close.
    config.ctime = now_seconds();
    mddev.config_changed(config);
    Ok(())
}

fn get_array_info(mddev: &Arc<MdDev>, arg: usize) -> Result {
    let config = mddev.config.lock();
    if config.raid_disks == 0 {
        return Err(ENODEV);
    }
    let (mut nr, mut failed, mut working, mut active, mut spare) = (0, 0, 0, 0, 0);
    for b in config.rdevs.iter() {
        nr += 1;
        if b.rdev.faulty() {
            failed += 1;
        } else {
            working += 1;
            if b.rdev.in_sync() {
                active += 1;
            } else {
                spare += 1;
            }
        }
    }
    let size = config.dev_sectors / 2;
    let info = MduArrayInfo {
        major_version: config.major_version,
        minor_version: config.minor_version,
        patch_version: uapi::MD_VERSION.patchlevel,
        ctime: config.ctime,
        level: config.level,
        // md: -1 when it does not fit.
        size: i32::try_from(size).unwrap_or(-1),
        nr_disks: nr,
        raid_disks: config.raid_disks as i32,
        md_minor: mddev.unit as i32,
        not_persistent: i32::from(!config.persistent),
        utime: config.utime,
        state: if config.in_sync && config.running.as_ref().map_or(true, |p| p.in_sync()) {
            uapi::MD_SB_CLEAN
        } else {
            0
        },
        active_disks: active,
        working_disks: working,
        failed_disks: failed,
        spare_disks: spare,
        layout: config.layout,
        chunk_size: (config.chunk_sectors << 9) as i32,
    };
    drop(config);
    UserSlice::new(arg, uapi::ARRAY_INFO_SIZE)
        .writer()
        .write_slice(&info.to_bytes())
}

/// md's `get_disk_info`: by descriptor number; a number nobody has is
/// reported removed, and still succeeds.
fn get_disk_info(mddev: &Arc<MdDev>, arg: usize) -> Result {
    let mut bytes = [0u8; uapi::DISK_INFO_SIZE];
    let (mut reader, mut writer) = UserSlice::new(arg, bytes.len()).reader_writer();
    reader.read_slice(&mut bytes)?;
    let number = MduDiskInfo::from_bytes(&bytes).number;
    let config = mddev.config.lock();
    if config.raid_disks == 0 {
        return Err(ENODEV);
    }
    let info = match config.rdevs.iter().find(|b| b.rdev.desc_nr == number) {
        Some(b) => {
            let r = &b.rdev;
            let mut state = 0;
            if r.faulty() {
                state |= uapi::MD_DISK_FAULTY;
            } else if r.in_sync() {
                state |= uapi::MD_DISK_ACTIVE | uapi::MD_DISK_SYNC;
            }
            if r.write_mostly() {
                state |= uapi::MD_DISK_WRITEMOSTLY;
            }
            MduDiskInfo {
                number,
                major: blockdev::dev_major(r.dev) as i32,
                minor: blockdev::dev_minor(r.dev) as i32,
                raid_disk: r.raid_disk(),
                state,
            }
        }
        None => MduDiskInfo::removed(number),
    };
    drop(config);
    writer.write_slice(&info.to_bytes())
}

/// The member named by a new-encoded `dev_t` argument (`new_decode_dev`).
fn decode_dev(arg: usize) -> u32 {
    let dev = arg as u32;
    let major = (dev & 0xfff00) >> 8;
    let minor = (dev & 0xff) | ((dev >> 12) & 0xfff00);
    (major << 20) | minor
}

/// md's `set_disk_faulty`. Linear and raid0 cannot lose a member: md marks
/// the array broken and answers `EBUSY`; here the array goes on unchanged
/// (its members still work) and the answer is the same.
fn set_disk_faulty(mddev: &Arc<MdDev>, arg: usize) -> Result {
    let config = mddev.config.lock();
    let Some(pers) = config.running.as_ref() else {
        return Err(ENODEV);
    };
    let dev = decode_dev(arg);
    let Some(b) = config.rdevs.iter().find(|b| b.rdev.dev == dev) else {
        return Err(ENODEV);
    };
    pers.fail_member(&b.rdev).inspect_err(|_| {
        md_warn!(
            "{}: {} cannot fail {}: the array would stop working\n",
            mddev.name,
            pers.name(),
            b.rdev.name()
        );
    })
}

/// `ADD_NEW_DISK`'s argument.
fn read_disk_info(arg: usize) -> Result<MduDiskInfo> {
    let mut bytes = [0u8; uapi::DISK_INFO_SIZE];
    UserSlice::new(arg, bytes.len())
        .reader()
        .read_slice(&mut bytes)?;
    Ok(MduDiskInfo::from_bytes(&bytes))
}

/// Wall-clock seconds, for `ctime`/`utime` (32 bits, as md's ABI).
fn now_seconds() -> u32 {
    let secs = blockdev::real_seconds();
    // Never zero: a zero ctime means "not configured".
    (secs as u32).max(1)
}
