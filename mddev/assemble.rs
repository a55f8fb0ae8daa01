// SPDX-License-Identifier: GPL-2.0

//! Putting arrays together and taking them apart: importing members
//! (`ADD_NEW_DISK`), starting the level (`RUN_ARRAY`, md's `do_md_run`),
//! read-only and read-write, and stopping (md's `do_md_stop`).
//!
//! Everything here runs with the array's configuration locked.

use super::{
    array::{Config, MdDev, Ro},
    personality::{self, Geometry, Slot},
    rdev::{self, Bound, LoadedSb, Rdev},
    sb_writer::{SbMember, SbState, SbWriter},
    superblock::{self, Format, MemberSb, Role, SbError, SB_BYTES},
    uapi::{MduDiskInfo, MD_DISK_FAULTY, MD_DISK_SYNC},
};
use crate::blockdev::{
    kvec,
    log::{line_warn, md_warn},
    member::MemberDev,
};
use core::sync::atomic::Ordering;
use kernel::{prelude::*, sync::Arc};

/// `md/array_state`'s index, for notifying pollers.
const ARRAY_STATE_ATTR: usize = 0;

/// md's `md_add_new_disk`. `member` is the device `info` names, opened by
/// [`open_new_member`] before the configuration was locked.
pub(crate) fn add_new_disk(
    mddev: &MdDev,
    config: &mut Config,
    info: &MduDiskInfo,
    member: Result<Arc<MemberDev>>,
) -> Result {
    if config.running.is_some() {
        return super::manage::add_new_disk(mddev, config, info, member?);
    }
    if config.raid_disks == 0 {
        import_with_superblock(mddev, config, member?)
    } else {
        import_without_superblock(mddev, config, member, info)
    }
}

/// Opens and claims the device `ADD_NEW_DISK` names. Done before the
/// array's configuration is locked: opening a device number can probe its
/// block major (the block layer's `major_names_lock`), and creating an
/// array through that probe locks a configuration after it.
pub(crate) fn open_new_member(info: &MduDiskInfo) -> Result<Arc<MemberDev>> {
    open_member(info.dev().ok_or_else(crate::blockdev::eoverflow)?)
}

fn open_member(dev: u32) -> Result<Arc<MemberDev>> {
    let member = MemberDev::open_exclusive(dev).inspect_err(|_| {
        md_warn!(
            "could not open device unknown-block({},{}).\n",
            crate::blockdev::dev_major(dev),
            crate::blockdev::dev_minor(dev)
        );
    })?;
    if member.sectors() == 0 {
        md_warn!(
            "{} has zero or unknown size, marking faulty!\n",
            member.name()
        );
        return Err(EINVAL);
    }
    Ok(Arc::new(member, GFP_KERNEL)?)
}

/// md's `md_import_device` for an array with superblocks of the version
/// `SET_ARRAY_INFO` set: reads and checks `member`'s superblock.
pub(crate) fn load_superblock(
    mddev: &MdDev,
    config: &Config,
    member: &MemberDev,
) -> Result<LoadedSb> {
    let format =
        Format::from_version(config.major_version, config.minor_version).ok_or_else(|| {
            md_warn!(
                "{}: no superblock version set (SET_ARRAY_INFO)\n",
                mddev.name
            );
            EINVAL
        })?;
    let refuse = |e: SbError| {
        md_warn!(
            "{} does not have a valid v{}.{} superblock, not importing! ({})\n",
            member.name(),
            format.version().0,
            format.version().1,
            e.message()
        );
        EINVAL
    };
    let size = member.sectors();
    let sb_start = format
        .sb_start(size)
        .ok_or_else(|| refuse(SbError::TooSmall))?;
    let mut raw = KVec::from_elem(0u8, SB_BYTES, GFP_KERNEL)?;
    member.read_at(sb_start, &mut raw).map_err(|_| {
        md_warn!(
            "disabled device {}, could not read superblock.\n",
            member.name()
        );
        EINVAL
    })?;
    let parsed =
        superblock::load(format, &raw, size, member.logical_block_size()).map_err(refuse)?;
    Ok(LoadedSb { parsed, raw })
}

/// Path 1 (Create, Assemble, Incremental): the member's superblock says
/// everything; number, slot and state in the request are ignored, as md
/// ignores them. Roles are settled when the array runs.
fn import_with_superblock(mddev: &MdDev, config: &mut Config, member: Arc<MemberDev>) -> Result {
    let loaded = load_superblock(mddev, config, &member)?;
    let parsed = loaded.parsed;
    if let Some(first) = config
        .rdevs
        .iter()
        .find_map(|b| b.sb.as_ref().map(|sb| (b, sb)))
    {
        if !superblock::same_array(&first.1.parsed, &parsed) {
            md_warn!(
                "{} has different UUID to {}\n",
                member.name(),
                first.0.rdev.name()
            );
            return Err(EINVAL);
        }
    }
    let desc_nr = i32::try_from(parsed.desc_nr).map_err(|_| EINVAL)?;
    let rdev = Rdev::new(&member, desc_nr, parsed.data_offset, parsed.data_sectors);
    bind(mddev, config, rdev, member, Some(loaded))
}

/// Path 3 (`mdadm --build`): no superblock; the request gives number, slot
/// and state, and the whole device holds data.
fn import_without_superblock(
    mddev: &MdDev,
    config: &mut Config,
    member: Result<Arc<MemberDev>>,
    info: &MduDiskInfo,
) -> Result {
    if config.persistent {
        // The kernel would have to write new 0.90 superblocks; mdadm writes
        // them itself and never asks for this.
        return Err(EINVAL);
    }
    if info.state & MD_DISK_FAULTY != 0 {
        // md ignores a faulty member here.
        return Ok(());
    }
    let member = member?;
    let size = member.sectors();
    let rdev = Rdev::new(&member, info.number, 0, size);
    let slot = u32::try_from(info.raid_disk)
        .ok()
        .filter(|&s| s < config.raid_disks);
    match slot {
        Some(s) if info.state & MD_DISK_SYNC != 0 => rdev.set_role(Role::Slot(s)),
        _ => rdev.set_role(Role::Spare),
    }
    bind(mddev, config, rdev, member, None)
}

/// md's `bind_rdev_to_array`.
pub(crate) fn bind(
    mddev: &MdDev,
    config: &mut Config,
    rdev: Rdev,
    member: Arc<MemberDev>,
    sb: Option<LoadedSb>,
) -> Result {
    if rdev.desc_nr < 0 || config.rdevs.iter().any(|b| b.rdev.desc_nr == rdev.desc_nr) {
        md_warn!(
            "{}: descriptor number {} of {} already in use\n",
            mddev.name,
            rdev.desc_nr,
            rdev.name()
        );
        return Err(EBUSY);
    }
    let rdev = Arc::new(rdev, GFP_KERNEL)?;
    let parts = mddev.parts.lock();
    let (Some(disk), Some(dir)) = (parts.disk.as_ref(), parts.dir.as_ref()) else {
        return Err(ENODEV);
    };
    let bound = Bound::bind(rdev, member, sb, disk, dir)?;
    drop(parts);
    // md keeps the smallest member's size as the component size until
    // superblocks or the level say otherwise; a running array keeps its.
    let sectors = bound.rdev.sectors();
    if config.running.is_none()
        && sectors != 0
        && (config.dev_sectors == 0 || sectors < config.dev_sectors)
    {
        config.dev_sectors = sectors;
    }
    config.rdevs.push(bound, GFP_KERNEL)?;
    mddev.config_changed(config);
    Ok(())
}

/// md's `analyze_sbs`: settles geometry and roles from the freshest
/// superblock and leaves out members md would not use.
fn analyze_superblocks(mddev: &MdDev, config: &mut Config) -> Result {
    // Newest first, as md's list is: on equal event counts md takes the
    // member added last.
    let mut parsed: KVec<MemberSb> = KVec::with_capacity(config.rdevs.len(), GFP_KERNEL)?;
    for b in config.rdevs.iter().rev() {
        parsed.push(b.sb.as_ref().ok_or(EINVAL)?.parsed, GFP_KERNEL)?;
    }
    let newest_first = superblock::freshest(&parsed).ok_or(EINVAL)?;
    let fresh_index = config.rdevs.len() - 1 - newest_first;
    let fresh = parsed[newest_first];
    let mut i = 0;
    while i < config.rdevs.len() {
        let role = {
            let fresh_raw = config.rdevs[fresh_index]
                .sb
                .as_ref()
                .map(|sb| &sb.raw[..])
                .ok_or(EINVAL)?;
            let this = config.rdevs[i].sb.as_ref().ok_or(EINVAL)?;
            superblock::assembled_role(&fresh, fresh_raw, &this.parsed)
        };
        match role {
            Ok(role) => {
                let b = &config.rdevs[i];
                // A member whose rebuild did not finish is rebuilt again,
                // from the start, as a spare (md would go on from its
                // recovery_offset).
                let rebuilding =
                    b.sb.as_ref()
                        .is_some_and(|sb| sb.parsed.recovery_offset.is_some());
                let role = match role {
                    Role::Slot(_) if rebuilding => Role::Spare,
                    role => role,
                };
                b.rdev.set_role(role);
                b.rdev
                    .set_write_mostly(b.sb.as_ref().is_some_and(|sb| sb.parsed.write_mostly));
                i += 1;
            }
            Err(_) if i == fresh_index => return Err(EINVAL),
            Err(_) => {
                md_warn!(
                    "kicking non-fresh {} from array!\n",
                    config.rdevs[i].rdev.name()
                );
                let kicked = kvec::remove(&mut config.rdevs, i);
                drop(kicked);
                // `fresh_index` must keep naming the freshest member.
                return analyze_superblocks(mddev, config);
            }
        }
    }
    let (major, minor) = fresh.format.version();
    config.major_version = major;
    config.minor_version = minor;
    config.level = fresh.level;
    config.layout = fresh.layout;
    config.chunk_sectors = fresh.chunk_sectors;
    config.raid_disks = fresh.raid_disks;
    config.dev_sectors = fresh.array_dev_sectors;
    // The ABI's times are 32 bits; mdadm compares the low bits.
    config.ctime = fresh.ctime as u32;
    config.utime = fresh.utime as u32;
    config.events = fresh.events;
    config.resync_offset = fresh.resync_offset;
    mddev.config_changed(config);
    Ok(())
}

/// md's `do_md_run`: starts the level, read-write or as `ro` says.
pub(crate) fn run(mddev: &MdDev, config: &mut Config, ro: Ro) -> Result {
    if config.rdevs.is_empty() {
        return Err(EINVAL);
    }
    if config.running.is_some() {
        return Err(EBUSY);
    }
    if config.persistent {
        analyze_superblocks(mddev, config)?;
    }
    let geo = Geometry {
        level: config.level,
        layout: config.layout,
        chunk_sectors: config.chunk_sectors,
        raid_disks: config.raid_disks,
        dev_sectors: config.dev_sectors,
    };
    let mut slots = KVec::with_capacity(config.raid_disks as usize, GFP_KERNEL)?;
    for slot in 0..config.raid_disks as i32 {
        let mut fill = config
            .rdevs
            .iter()
            .filter(|b| b.rdev.raid_disk() == slot && b.rdev.in_sync());
        let first = fill.next();
        if fill.next().is_some() {
            duplicate_slot(mddev, config.level, slot);
            return Err(EINVAL);
        }
        if let Some(b) = first {
            slots.push(
                Slot {
                    dev: b.member.clone(),
                    data_offset: b.rdev.data_offset,
                    sectors: b.rdev.sectors(),
                    rdev: b.rdev.clone(),
                },
                GFP_KERNEL,
            )?;
        }
    }
    let sb = if config.persistent && config.level == personality::LEVEL_RAID1 {
        Some(superblock_writer(mddev, config)?)
    } else {
        None
    };
    let pers = personality::start(mddev.name.as_str(), &geo, slots, sb)?;
    // What user space wrote to the members through their page cache
    // (superblocks) must not shadow what the array writes (md_run).
    for s in pers.slots() {
        s.dev.sync_and_invalidate();
    }
    // A read-only member makes the array read-only (md_run).
    let ro = if pers.slots().iter().any(|s| s.dev.is_read_only()) {
        Ro::ReadOnly
    } else {
        ro
    };
    // The level may have rounded its members' sizes (to the chunk).
    for (slot, s) in pers.slots().iter().enumerate() {
        if let Some(b) = config
            .rdevs
            .iter()
            .find(|b| b.rdev.raid_disk() == slot as i32 && b.rdev.in_sync())
        {
            b.rdev.set_sectors(s.sectors);
        }
    }

    let parts = mddev.parts.lock();
    let disk = parts.disk.as_ref().ok_or(ENODEV)?;
    let limits = pers.limits();
    let mut stack = KVec::with_capacity(pers.slots().len(), GFP_KERNEL)?;
    for s in pers.slots() {
        stack.push((&*s.dev, s.data_offset), GFP_KERNEL)?;
    }
    disk.stack_limits(&stack, limits.io_min, limits.io_opt, limits.max_sectors)?;
    drop(stack);
    mddev.read_only.store(ro == Ro::ReadOnly, Ordering::Release);
    mddev
        .auto_read
        .store(ro == Ro::AutoRead && pers.syncs(), Ordering::Release);
    disk.set_read_only(ro == Ro::ReadOnly);
    {
        let frozen = disk.freeze();
        mddev.io.replace(&frozen, Some(pers.clone()))?;
    }
    disk.set_capacity(pers.array_sectors());
    disk.changed();
    if let Some(dir) = parts.dir.as_ref() {
        if pers.syncs() {
            mddev.set_sync_level(Some(pers.clone()));
            let _ = dir.set_optional(true);
        }
        for b in config.rdevs.iter() {
            let mut name = [0u8; 16];
            if let Ok(link) = rdev::slot_link_name(b.rdev.raid_disk(), &mut name) {
                if b.rdev.raid_disk() >= 0 {
                    let _ = dir.create_link(link, b.dir().as_link_target());
                }
            }
        }
        dir.notify(ARRAY_STATE_ATTR);
    }
    drop(parts);
    // The layout stays as configured (raid0's resolved one is its own):
    // md reports -1 for a 1.x raid0 without a layout, and mdadm shows it.
    config.array_sectors = pers.array_sectors();
    match ro {
        Ro::ReadWrite => pers.writable(),
        Ro::ReadOnly => pers.read_only(),
        // raid1 takes the writes of an auto-read array as they come.
        Ro::AutoRead => {}
    }
    config.running = Some(pers);
    config.ro = ro;
    // Neither linear nor raid0 has anything to resync.
    config.in_sync = true;
    mddev.config_changed(config);
    // Spares assembled with a degraded array are rebuilt onto.
    super::manage::check_recovery(mddev, config);
    Ok(())
}

/// The superblocks of the members, for a level that updates them.
fn superblock_writer(mddev: &MdDev, config: &Config) -> Result<Arc<SbWriter>> {
    let format = Format::from_version(config.major_version, config.minor_version).ok_or(EINVAL)?;
    let mut members = KVec::with_capacity(config.rdevs.len(), GFP_KERNEL)?;
    for b in config.rdevs.iter() {
        let Some(sb) = b.sb.as_ref() else { continue };
        let mut raw = KVec::with_capacity(sb.raw.len(), GFP_KERNEL)?;
        raw.extend_from_slice(&sb.raw, GFP_KERNEL)?;
        members.push(
            SbMember {
                rdev: b.rdev.clone(),
                dev: b.member.clone(),
                parsed: sb.parsed,
                raw,
            },
            GFP_KERNEL,
        )?;
    }
    let state = SbState {
        events: config.events,
        utime: u64::from(config.utime),
        clean: config.resync_offset == superblock::MAX_SECTOR,
        resync_offset: config.resync_offset,
        raid_disks: config.raid_disks,
        dev_sectors: config.dev_sectors,
        md_minor: mddev.unit,
    };
    Arc::pin_init(SbWriter::new(format, state, members)?, GFP_KERNEL)
}

/// How far a stop goes (md's `do_md_stop` modes).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum StopMode {
    /// Everything: members released, configuration cleared (`STOP_ARRAY`,
    /// `clear`).
    Clear,
    /// The level only; members and configuration stay (`inactive`).
    Inactive,
}

/// Stops the level if it runs: waits for bios in flight into it, empties
/// the disk, removes the `rdN` links.
pub(crate) fn stop_level(mddev: &MdDev, config: &mut Config) {
    let Some(pers) = config.running.take() else {
        return;
    };
    // Before the sync attributes go: their readers must not find it.
    mddev.set_sync_level(None);
    let parts = mddev.parts.lock();
    if let Some(disk) = parts.disk.as_ref() {
        let old = {
            let frozen = disk.freeze();
            mddev.io.replace(&frozen, None)
        };
        drop(old);
        pers.quiesce();
        disk.set_capacity(0);
        disk.set_read_only(false);
        disk.changed();
    }
    if let Some(dir) = parts.dir.as_ref() {
        let _ = dir.set_optional(false);
        for s in 0..config.raid_disks as i32 {
            let mut name = [0u8; 16];
            if let Ok(link) = rdev::slot_link_name(s, &mut name) {
                dir.remove_link(link);
            }
        }
    }
    drop(parts);
    // The members keep the superblocks the level last wrote, for the next
    // start (an `inactive` array keeps its members).
    if let Some(sb) = pers.superblocks() {
        for b in config.rdevs.iter_mut() {
            if let Some(current) = sb.current(&b.rdev) {
                b.sb = Some(current);
            }
        }
    }
    drop(pers);
    mddev.read_only.store(false, Ordering::Release);
    mddev.auto_read.store(false, Ordering::Release);
    config.ro = Ro::ReadWrite;
    config.array_sectors = 0;
}

/// md's `do_md_stop` after `begin_stop`: syncs what was written, stops the
/// level and, for [`StopMode::Clear`], releases the members and clears the
/// configuration.
pub(crate) fn stop(mddev: &MdDev, config: &mut Config, mode: StopMode) {
    if config.running.is_some() {
        if let Some(disk) = mddev.parts.lock().disk.as_ref() {
            // Buffered writes still in the page cache go down now.
            let _ = disk.sync();
        }
    }
    stop_level(mddev, config);
    match mode {
        StopMode::Clear => mddev.stop(config),
        StopMode::Inactive => {
            if let Some(dir) = mddev.parts.lock().dir.as_ref() {
                dir.notify(ARRAY_STATE_ATTR);
            }
        }
    }
}

/// md's `md_set_readonly` (`STOP_ARRAY_RO`): `ENXIO` if already read-only;
/// nothing to do for an array that does not run.
pub(crate) fn set_readonly(mddev: &MdDev, config: &mut Config) -> Result {
    if config.running.is_none() {
        return Ok(());
    }
    if config.ro == Ro::ReadOnly {
        return Err(ENXIO);
    }
    let parts = mddev.parts.lock();
    if let Some(disk) = parts.disk.as_ref() {
        let _ = disk.sync();
        disk.set_read_only(true);
        // Once unfrozen, no write gets into the level.
        let frozen = disk.freeze();
        mddev.read_only.store(true, Ordering::Release);
        mddev.auto_read.store(false, Ordering::Release);
        drop(frozen);
        if let Some(pers) = config.running.as_ref() {
            pers.quiesce();
            pers.read_only();
        }
    }
    config.ro = Ro::ReadOnly;
    if let Some(dir) = parts.dir.as_ref() {
        dir.notify(ARRAY_STATE_ATTR);
    }
    Ok(())
}

/// md's `restart_array` (`RESTART_ARRAY_RW`).
pub(crate) fn restart_rw(mddev: &MdDev, config: &mut Config) -> Result {
    if config.rdevs.is_empty() {
        return Err(ENXIO);
    }
    if config.running.is_none() {
        return Err(EINVAL);
    }
    if config.ro == Ro::ReadWrite {
        return Err(EBUSY);
    }
    if config.rdevs.iter().any(|b| b.member.is_read_only()) {
        return Err(EROFS);
    }
    set_writable(mddev, config, Ro::ReadWrite);
    Ok(())
}

/// Two members claim one slot: md's levels refuse to start.
fn duplicate_slot(mddev: &MdDev, level: i32, slot: i32) {
    match personality::level_name(level) {
        Some("linear") => line_warn!(
            "md/linear:{}: disk numbering problem. Aborting!\n",
            mddev.name
        ),
        Some(name) => line_warn!(
            "md/{}:{}: multiple devices for {} - aborting!\n",
            name,
            mddev.name,
            slot
        ),
        None => md_warn!("{}: multiple devices for slot {}\n", mddev.name, slot),
    }
}

/// Lets writes in: `ReadWrite`, or `AutoRead` (md lets writes through to a
/// raid0 or linear array in auto-read mode).
pub(crate) fn set_writable(mddev: &MdDev, config: &mut Config, ro: Ro) {
    let parts = mddev.parts.lock();
    if let Some(disk) = parts.disk.as_ref() {
        disk.set_read_only(false);
    }
    mddev.read_only.store(false, Ordering::Release);
    mddev.auto_read.store(
        ro == Ro::AutoRead && config.running.as_ref().is_some_and(|p| p.syncs()),
        Ordering::Release,
    );
    config.ro = ro;
    if let Some(pers) = config.running.as_ref() {
        pers.writable();
    }
    if let Some(dir) = parts.dir.as_ref() {
        dir.notify(ARRAY_STATE_ATTR);
    }
    drop(parts);
    // Spares waited for writes.
    super::manage::check_recovery(mddev, config);
}
