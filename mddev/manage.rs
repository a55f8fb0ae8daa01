// SPDX-License-Identifier: GPL-2.0

//! Members of a running array: removing one (md's `hot_remove_disk`),
//! adding one (`md_add_new_disk` for a running array), and md's check of
//! the members (`md_check_recovery` with `remove_and_add_spares`), which
//! puts spares into free slots and starts their recovery.
//!
//! A level's slots are fixed for its life, so that its I/O path reads them
//! without a lock. Members change by replacing the level: with the disk's
//! queue frozen and the level's I/O drained (md's `mddev_suspend`), a
//! successor takes over its state with the new slots, and the I/O path
//! switches to it before the queue thaws.
//!
//! Everything here runs with the array's configuration locked.

use super::{
    array::{Config, MdDev, Parts, Ro},
    assemble,
    personality::{Joining, Slot},
    rdev::{self, Rdev},
    sb_writer::SbMember,
    spares::{self, HotAdd},
    superblock::{self, Role},
    uapi::{MduDiskInfo, MD_DISK_WRITEMOSTLY},
};
use crate::blockdev::{
    kvec,
    log::{line_info, line_warn, md_warn},
    member::MemberDev,
};
use kernel::{prelude::*, sync::Arc};

/// md's `hot_remove_disk`: a failed member or a spare leaves the array,
/// released at once; the other members' superblocks forget it.
pub(crate) fn hot_remove_disk(mddev: &MdDev, config: &mut Config, dev: u32) -> Result {
    let Some(pers) = config.running.clone() else {
        return Err(ENODEV);
    };
    let Some(i) = config.rdevs.iter().position(|b| b.rdev.dev == dev) else {
        return Err(ENXIO);
    };
    let rdev = config.rdevs[i].rdev.clone();
    // md only says so at debug level ("cannot remove active disk").
    if rdev.raid_disk() >= 0 {
        return Err(EBUSY);
    }
    if pers.holds(&rdev) {
        // A failed member keeps its slot in the level until a level
        // without it takes over (md's remove_spares).
        change_level(mddev, config, KVec::new())?;
    }
    if let Some(pers) = config.running.clone() {
        if let Some(sb) = pers.superblocks() {
            sb.remove_member(&rdev);
        }
        // Unbound: its directory, holder link and claim go now.
        drop(kvec::remove(&mut config.rdevs, i));
        pers.update_superblocks();
    }
    mddev.config_changed(config);
    Ok(())
}

/// `md_add_new_disk` for a running array: the device, with the superblock
/// mdadm wrote on it, joins as a spare, or in sync if it is a member that
/// left without missing an update (mdadm's re-add). A spare goes into a
/// free slot and is rebuilt there (see [`check_recovery`]).
pub(crate) fn add_new_disk(
    mddev: &MdDev,
    config: &mut Config,
    info: &MduDiskInfo,
    member: Arc<MemberDev>,
) -> Result {
    let Some(pers) = config.running.clone() else {
        return Err(ENODEV);
    };
    let sb = match pers.superblocks() {
        Some(sb) if pers.hot_members() && config.persistent => sb.clone(),
        _ => {
            line_warn!("{}: personality does not support diskops!\n", mddev.name);
            return Err(EINVAL);
        }
    };
    let loaded = assemble::load_superblock(mddev, config, &member)?;
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
    let lbs = mddev
        .parts
        .lock()
        .disk
        .as_ref()
        .map_or(512, |d| d.logical_block_size());
    if member.logical_block_size() > lbs {
        line_warn!(
            "{}: incompatible logical_block_size, can not add\n",
            mddev.name
        );
        return Err(EINVAL);
    }
    // bind_rdev_to_array: a running array cannot shrink to fit it.
    if parsed.data_sectors < config.dev_sectors {
        return Err(ENOSPC);
    }
    let status = pers.member_status();
    let add = spares::hot_add(
        sb.state().events,
        config.raid_disks,
        &parsed,
        info.state,
        info.raid_disk,
    )
    .map_err(|_| EINVAL)?;
    let desc_nr = spares::own_desc_nr(&parsed).unwrap_or_else(|| {
        spares::free_desc_nr(config.raid_disks, |nr| {
            config.rdevs.iter().any(|b| b.rdev.desc_nr == nr as i32)
        })
    });
    let rdev = Rdev::new(
        &member,
        i32::try_from(desc_nr).map_err(|_| EINVAL)?,
        parsed.data_offset,
        parsed.data_sectors,
    );
    rdev.set_role(Role::Spare);
    rdev.set_write_mostly(info.state & MD_DISK_WRITEMOSTLY != 0);
    let mut raw = KVec::with_capacity(loaded.raw.len(), GFP_KERNEL)?;
    raw.extend_from_slice(&loaded.raw, GFP_KERNEL)?;
    // What user space read or wrote of it around the array goes.
    member.sync_and_invalidate();
    assemble::bind(mddev, config, rdev, member.clone(), Some(loaded))?;
    let Some(bound) = config.rdevs.last() else {
        return Err(EINVAL);
    };
    let rdev = bound.rdev.clone();
    let joined = sb.add_member(SbMember {
        rdev: rdev.clone(),
        dev: member.clone(),
        parsed,
        raw,
    });
    if let Err(e) = joined {
        let last = config.rdevs.len() - 1;
        drop(kvec::remove(&mut config.rdevs, last));
        mddev.config_changed(config);
        return Err(e);
    }
    if let HotAdd::ReAdd { slot } = add {
        let slot = spares::choose_slot(status.free_slots, config.raid_disks, Some(slot));
        if let (Some(slot), true) = (slot, spares::rejoins_in_sync(add, status.resync_pending)) {
            let mut joining = KVec::new();
            joining.push(joining_member(&member, &rdev, slot, true), GFP_KERNEL)?;
            // If this fails, it stays a spare and is rebuilt.
            if change_level(mddev, config, joining).is_ok() && config.ro == Ro::ReadWrite {
                // What md logs for its recovery that copies nothing; a
                // read-only md array takes the member in without one.
                line_info!("md: recover of RAID array {}\n", mddev.name);
                line_info!("md: {}: recover done.\n", mddev.name);
            }
        }
    }
    if let Some(pers) = config.running.clone() {
        pers.update_superblocks();
    }
    check_recovery(mddev, config);
    Ok(())
}

/// A member taking `slot`.
fn joining_member(dev: &Arc<MemberDev>, rdev: &Arc<Rdev>, slot: u32, in_sync: bool) -> Joining {
    Joining {
        slot: Slot {
            dev: dev.clone(),
            data_offset: rdev.data_offset,
            sectors: rdev.sectors(),
            rdev: rdev.clone(),
        },
        slot_nr: slot,
        in_sync,
    }
}

/// md's `md_check_recovery` for a running array: once no sync runs, the
/// array is writable and not frozen, and owes no resync (which comes
/// first), spares take the free slots (`remove_and_add_spares`); then the
/// recovery of the members in their slots starts or resumes.
pub(crate) fn check_recovery(mddev: &MdDev, config: &mut Config) {
    let Some(pers) = config.running.clone() else {
        return;
    };
    if !pers.hot_members() || config.ro != Ro::ReadWrite {
        return;
    }
    let status = pers.member_status();
    if status.sync_running || status.frozen {
        return;
    }
    if !status.resync_pending {
        let mut free = status.free_slots;
        let mut joining = KVec::new();
        for b in config.rdevs.iter() {
            let r = &b.rdev;
            if r.raid_disk() >= 0 || r.faulty() || b.sb.is_none() {
                continue;
            }
            let Some(slot) = spares::choose_slot(free, config.raid_disks, None) else {
                break;
            };
            free &= !(1 << slot);
            if joining
                .push(joining_member(&b.member, r, slot, false), GFP_KERNEL)
                .is_err()
            {
                break;
            }
        }
        if !joining.is_empty() {
            if change_level(mddev, config, joining).is_err() {
                return;
            }
            if let Some(pers) = config.running.as_ref() {
                // Their superblocks say which slot they are rebuilt in.
                pers.update_superblocks();
            }
        }
    }
    if let Some(pers) = config.running.as_ref() {
        pers.writable();
    }
}

/// Replaces the running level by its successor with `joining` in their
/// slots and without its failed members: freezes the queue, drains the
/// level, switches the I/O path, restacks the queue limits and the `rdN`
/// links. The successor then starts what it owes if the array is writable.
/// A failed replacement leaves the old level running.
fn change_level(mddev: &MdDev, config: &mut Config, joining: KVec<Joining>) -> Result {
    let old = config.running.clone().ok_or(ENODEV)?;
    let mut roles = KVec::with_capacity(joining.len(), GFP_KERNEL)?;
    for j in joining.iter() {
        roles.push((j.slot.rdev.clone(), j.slot_nr, j.in_sync), GFP_KERNEL)?;
    }
    let parts = mddev.parts.lock();
    let disk = parts.disk.as_ref().ok_or(ENODEV)?;
    let new = {
        let frozen = disk.freeze();
        old.drain();
        let new = match old.successor(joining) {
            Ok(new) => new,
            Err(e) => {
                old.undrain();
                drop(frozen);
                if config.ro == Ro::ReadWrite {
                    old.writable();
                }
                return Err(e);
            }
        };
        mddev.io.replace(&frozen, Some(new.clone()))?;
        for (rdev, slot, in_sync) in roles.iter() {
            if *in_sync {
                rdev.set_role(Role::Slot(*slot));
            } else {
                rdev.set_recovering(*slot);
            }
        }
        // md_add_new_disk's mddev_stack_new_rdev: the limits take the new
        // members in; no bio is being split while the queue is frozen.
        let limits = new.limits();
        let mut stack = KVec::with_capacity(new.slots().len(), GFP_KERNEL)?;
        for s in new.slots() {
            stack.push((&*s.dev, s.data_offset), GFP_KERNEL)?;
        }
        let _ = disk.stack_limits(&stack, limits.io_min, limits.io_opt, limits.max_sectors);
        drop(stack);
        new
    };
    relink_slots(&parts, config);
    drop(parts);
    config.running = Some(new.clone());
    if new.syncs() {
        mddev.set_sync_level(Some(new.clone()));
    }
    // The old level goes with its last reference: its members' claims
    // with it, unless bound still.
    drop(old);
    // As when the array started (assemble::run).
    match config.ro {
        Ro::ReadWrite => new.writable(),
        Ro::ReadOnly => new.read_only(),
        Ro::AutoRead => {}
    }
    mddev.config_changed(config);
    Ok(())
}

/// The `rdN` links, one per member in a slot (md's `sysfs_link_rdev`).
fn relink_slots(parts: &Parts, config: &Config) {
    let Some(dir) = parts.dir.as_ref() else {
        return;
    };
    let mut name = [0u8; 16];
    for slot in 0..config.raid_disks as i32 {
        if let Ok(link) = rdev::slot_link_name(slot, &mut name) {
            dir.remove_link(link);
        }
    }
    for b in config.rdevs.iter() {
        let slot = b.rdev.raid_disk();
        if slot < 0 {
            continue;
        }
        if let Ok(link) = rdev::slot_link_name(slot, &mut name) {
            let _ = dir.create_link(link, b.dir().as_link_target());
        }
    }
}
