// SPDX-License-Identifier: GPL-2.0

//! `/sys/block/mdN/md/`: the array's attributes (md's `md_default_attrs`).
//!
//! Every access takes an [`ActiveRef`] first: an array whose deletion is
//! queued answers `EBUSY`, as md's `md_attr_show`/`md_attr_store` do.

use super::{
    array::{Config, Hold, MdDev, Ro},
    array_state::ArrayState,
    assemble::{self, StopMode},
    personality,
    superblock::MAX_SECTOR,
    text,
    uapi::LEVEL_NONE,
    ActiveRef,
};
use crate::blockdev::sysfs::{Attr, SysfsOps, SysfsOut};
use core::fmt::Write;
use kernel::{c_str, prelude::*, sync::Arc};

/// The largest number of member slots md's superblocks can describe.
const MAX_RAID_DISKS: u32 = 1920;

const ARRAY_STATE: usize = 0;
const RAID_DISKS: usize = 1;
const LEVEL: usize = 2;
const CHUNK_SIZE: usize = 3;
const LAYOUT: usize = 4;
const COMPONENT_SIZE: usize = 5;
const METADATA_VERSION: usize = 6;
const ARRAY_SIZE: usize = 7;
const CONSISTENCY_POLICY: usize = 8;
const RESYNC_START: usize = 9;
/// The first of the optional attributes: md's redundancy group.
const SYNC_FIRST: usize = 10;

const fn attr(name: &'static kernel::str::CStr) -> Attr {
    Attr { name, mode: 0o644 }
}

/// The array's state word (md's `array_state_show`).
pub(crate) fn array_state(config: &Config) -> ArrayState {
    if config.running.is_some() {
        match config.ro {
            Ro::ReadOnly => ArrayState::Readonly,
            Ro::AutoRead => ArrayState::ReadAuto,
            Ro::ReadWrite if config.running.as_ref().map_or(true, |p| p.in_sync()) => {
                ArrayState::Clean
            }
            Ro::ReadWrite => ArrayState::Active,
        }
    } else if config.is_clear() {
        ArrayState::Clear
    } else {
        ArrayState::Inactive
    }
}

impl SysfsOps for MdDev {
    const ATTRS: &'static [Attr] = &[
        attr(c_str!("array_state")),
        attr(c_str!("raid_disks")),
        attr(c_str!("level")),
        attr(c_str!("chunk_size")),
        attr(c_str!("layout")),
        attr(c_str!("component_size")),
        attr(c_str!("metadata_version")),
        attr(c_str!("array_size")),
        attr(c_str!("consistency_policy")),
        attr(c_str!("resync_start")),
    ];
    const OPTIONAL: &'static [Attr] = &[
        attr(c_str!("sync_action")),
        attr(c_str!("sync_completed")),
        Attr {
            name: c_str!("sync_speed"),
            mode: 0o444,
        },
        Attr {
            name: c_str!("degraded"),
            mode: 0o444,
        },
        Attr {
            name: c_str!("mismatch_cnt"),
            mode: 0o444,
        },
        attr(c_str!("sync_speed_min")),
        attr(c_str!("sync_speed_max")),
        Attr {
            name: c_str!("last_sync_action"),
            mode: 0o444,
        },
    ];

    fn show(this: &Arc<Self>, index: usize, out: &mut SysfsOut) -> Result {
        let mddev = ActiveRef::get(this).ok_or(EBUSY)?;
        if index >= SYNC_FIRST {
            // Without the configuration lock: a stop removes these files
            // with it held, waiting for readers.
            let attr = *personality::SyncAttr::ALL
                .get(index - SYNC_FIRST)
                .ok_or(EIO)?;
            let pers = mddev.sync_level();
            return match pers {
                Some(p) if p.syncs() => p.sync_show(attr, out).map_err(|_| EFBIG),
                _ => Err(ENODEV),
            };
        }
        let config = mddev.config.lock();
        let written = match index {
            ARRAY_STATE => writeln!(out, "{}", array_state(&config).as_str()),
            // md shows nothing for an array without slots.
            RAID_DISKS if config.raid_disks == 0 => Ok(()),
            RAID_DISKS => writeln!(out, "{}", config.raid_disks),
            LEVEL => match (&config.running, config.level) {
                (Some(p), _) => writeln!(out, "{}", p.name()),
                (None, LEVEL_NONE) => Ok(()),
                (None, level) => writeln!(out, "{level}"),
            },
            CHUNK_SIZE => writeln!(out, "{}", u64::from(config.chunk_sectors) << 9),
            LAYOUT => writeln!(out, "{}", config.layout),
            COMPONENT_SIZE => writeln!(out, "{}", config.dev_sectors / 2),
            METADATA_VERSION if config.persistent => {
                writeln!(out, "{}.{}", config.major_version, config.minor_version)
            }
            METADATA_VERSION => writeln!(out, "none"),
            // The size follows the members unless set (md: "default").
            ARRAY_SIZE => writeln!(out, "default"),
            CONSISTENCY_POLICY => match &config.running {
                // A level with redundancy keeps it by resync; linear and
                // raid0 have none to keep.
                Some(p) if p.syncs() => writeln!(out, "resync"),
                Some(_) => writeln!(out, "none"),
                None => writeln!(out, "unknown"),
            },
            RESYNC_START => {
                let offset = config
                    .running
                    .as_ref()
                    .and_then(|p| p.resync_offset())
                    .unwrap_or(config.resync_offset);
                match offset {
                    MAX_SECTOR => writeln!(out, "none"),
                    n => writeln!(out, "{n}"),
                }
            }
            _ => return Err(EIO),
        };
        written.map_err(|_| EFBIG)
    }

    fn store(this: &Arc<Self>, index: usize, input: &[u8]) -> Result {
        let mddev = ActiveRef::get(this).ok_or(EBUSY)?;
        match index {
            ARRAY_STATE => store_array_state(&mddev, input),
            RAID_DISKS => {
                let n = text::parse_u32_kstrto(input).map_err(number_error)?;
                if n > MAX_RAID_DISKS {
                    return Err(EINVAL);
                }
                let mut config = mddev.config.lock();
                if config.running.is_some() {
                    // Reshaping is not supported.
                    return Err(EBUSY);
                }
                config.raid_disks = n;
                mddev.config_changed(&config);
                Ok(())
            }
            LEVEL => {
                let level = parse_level(input).ok_or(EINVAL)?;
                let mut config = mddev.config.lock();
                if config.running.is_some() {
                    // No level here can take over a running array (md:
                    // EINVAL when the takeover is refused).
                    return Err(EINVAL);
                }
                config.level = level;
                Ok(())
            }
            CHUNK_SIZE => {
                let bytes = text::parse_u64_kstrto(input).map_err(number_error)?;
                let sectors = u32::try_from(bytes >> 9).map_err(|_| ERANGE)?;
                let mut config = mddev.config.lock();
                if config.running.is_some() {
                    // Reshaping is not supported.
                    return Err(EBUSY);
                }
                config.chunk_sectors = sectors;
                Ok(())
            }
            LAYOUT => {
                let layout = text::parse_u32_kstrto(input).map_err(number_error)?;
                let mut config = mddev.config.lock();
                if config.running.is_some() {
                    return Err(EBUSY);
                }
                config.layout = layout as i32;
                Ok(())
            }
            COMPONENT_SIZE => {
                // md's strict_blocks_to_sectors: any bad number is EINVAL.
                let sectors = text::parse_u64_kstrto(input)
                    .ok()
                    .and_then(|kib| kib.checked_mul(2))
                    .ok_or(EINVAL)?;
                let mut config = mddev.config.lock();
                if config.running.is_some() {
                    // No level here can change its members' size.
                    return Err(EINVAL);
                }
                if config.dev_sectors != 0 && config.dev_sectors <= sectors {
                    return Err(ENOSPC);
                }
                config.dev_sectors = sectors;
                mddev.config_changed(&config);
                Ok(())
            }
            METADATA_VERSION => store_metadata_version(&mddev, input),
            // The size follows the members; only md's "default" is taken.
            ARRAY_SIZE if input.strip_suffix(b"\n").unwrap_or(input) == b"default" => Ok(()),
            i if i >= SYNC_FIRST => {
                // Without the configuration lock, as in `show`.
                let attr = *personality::SyncAttr::ALL.get(i - SYNC_FIRST).ok_or(EIO)?;
                let pers = mddev.sync_level();
                match pers {
                    Some(p) if p.syncs() => {
                        p.sync_store(attr, input)?;
                        // md_wakeup_thread: spares may join now (mdadm
                        // writes `idle` after adding one to a frozen
                        // array). Queued: a stop holds the configuration
                        // while it removes this file.
                        if attr == personality::SyncAttr::Action {
                            if let Some(core) = super::CORE.get() {
                                this.kick_check(&core.md_wq);
                            }
                        }
                        Ok(())
                    }
                    _ => Err(ENODEV),
                }
            }
            _ => Err(EINVAL),
        }
    }
}

/// The errno md's `kstrto*` calls give for a bad number.
fn number_error(e: text::NumberError) -> Error {
    match e {
        text::NumberError::Invalid => EINVAL,
        text::NumberError::Range => ERANGE,
    }
}

/// md's `metadata_store`: `none` or `major.minor`, only before members.
fn store_metadata_version(mddev: &ActiveRef, input: &[u8]) -> Result {
    let word = input.strip_suffix(b"\n").unwrap_or(input);
    let mut config = mddev.config.lock();
    if !config.rdevs.is_empty() {
        return Err(EBUSY);
    }
    if word == b"none" {
        config.persistent = false;
        config.major_version = 0;
        config.minor_version = 90;
        return Ok(());
    }
    let dot = word.iter().position(|&c| c == b'.').ok_or(EINVAL)?;
    let major = text::parse_u32_kstrto(&word[..dot]).map_err(|_| EINVAL)?;
    let minor = text::parse_u32_kstrto(&word[dot + 1..]).map_err(|_| EINVAL)?;
    let (major, minor) = (major as i32, minor as i32);
    if super::superblock::Format::from_version(major, minor).is_none() {
        return Err(ENOENT);
    }
    config.major_version = major;
    config.minor_version = minor;
    config.persistent = true;
    Ok(())
}

/// A level as md's `level_store` reads it: a personality name or number.
fn parse_level(input: &[u8]) -> Option<i32> {
    let word = input.strip_suffix(b"\n").unwrap_or(input);
    for level in [personality::LEVEL_LINEAR, personality::LEVEL_RAID0, 1] {
        if personality::level_name(level).map(str::as_bytes) == Some(word) {
            return Some(level);
        }
    }
    match word {
        b"-1" => Some(personality::LEVEL_LINEAR),
        _ => text::parse_u32(word).filter(|&n| n <= 1).map(|n| n as i32),
    }
}

/// md's `array_state_store`.
fn store_array_state(mddev: &ActiveRef, input: &[u8]) -> Result {
    let state = ArrayState::parse(input).ok_or(EINVAL)?;
    let result = match state {
        // "Stop an active array, return 0 otherwise" (md).
        ArrayState::Inactive if mddev.config.lock().running.is_none() => Ok(()),
        ArrayState::Clear | ArrayState::Inactive => {
            // A sysfs writer has no open of its own.
            mddev.begin_stop(0)?;
            let mut config = mddev.config.lock();
            let clear = state == ArrayState::Clear;
            let mode = if clear {
                StopMode::Clear
            } else {
                StopMode::Inactive
            };
            assemble::stop(mddev, &mut config, mode);
            drop(config);
            mddev.end_stop(clear);
            Ok(())
        }
        ArrayState::Readonly | ArrayState::ReadAuto => {
            // Taking writes away from a writable array: not while anyone
            // has it open (md's mddev_set_closing_and_sync_blockdev).
            let writable = {
                let config = mddev.config.lock();
                config.running.is_some() && config.ro == Ro::ReadWrite
            };
            if writable {
                mddev.begin_stop(0)?;
            }
            let mut config = mddev.config.lock();
            let result = match (config.running.is_some(), state) {
                (true, ArrayState::Readonly) => assemble::set_readonly(mddev, &mut config),
                (true, _) => if config.ro == Ro::ReadWrite {
                    assemble::set_readonly(mddev, &mut config)
                } else {
                    Ok(())
                }
                .map(|()| assemble::set_writable(mddev, &mut config, Ro::AutoRead)),
                (false, ArrayState::Readonly) => assemble::run(mddev, &mut config, Ro::ReadOnly),
                (false, _) => assemble::run(mddev, &mut config, Ro::AutoRead),
            };
            drop(config);
            if writable {
                mddev.end_stop(false);
            }
            result
        }
        ArrayState::Clean | ArrayState::Active => {
            let mut config = mddev.config.lock();
            match (config.running.is_some(), state) {
                (true, _) => {
                    if config.ro != Ro::ReadWrite {
                        assemble::set_writable(mddev, &mut config, Ro::ReadWrite);
                    }
                    Ok(())
                }
                (false, ArrayState::Active) => assemble::run(mddev, &mut config, Ro::ReadWrite),
                (false, _) => Err(EINVAL),
            }
        }
        // These cannot be set (md).
        ArrayState::Suspended
        | ArrayState::WritePending
        | ArrayState::ActiveIdle
        | ArrayState::Broken => Err(EINVAL),
    };
    if result.is_ok() {
        mddev.clear_hold(Hold::UntilIoctl);
    }
    result
}
