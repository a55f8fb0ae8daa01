// SPDX-License-Identifier: GPL-2.0

//! Personalities (md's `struct md_personality`): what a running array's
//! level does with its bios, behind one trait.

use super::{
    linear::Linear, raid0::Raid0, raid0_map::Mapping, raid1::Raid1, rdev::Rdev, sb_writer::SbWriter,
};
use crate::blockdev::{
    bio::{Bio, BioSet},
    member::MemberDev,
};
use core::fmt;
use kernel::{prelude::*, sync::Arc};

/// md's level number of linear arrays.
pub(crate) const LEVEL_LINEAR: i32 = -1;
/// md's level number of raid0 arrays.
pub(crate) const LEVEL_RAID0: i32 = 0;

/// The personalities this driver has, in the order /proc/mdstat lists them
/// (md lists them in registration order).
pub(crate) const NAMES: &[&str] = &["linear", "raid0", "raid1"];

/// md's level number of raid1 arrays.
pub(crate) const LEVEL_RAID1: i32 = 1;

/// One slot of a running array: the member that fills it and where its
/// data is.
pub(crate) struct Slot {
    /// The member device.
    pub(crate) dev: Arc<MemberDev>,
    /// First data sector on it.
    pub(crate) data_offset: u64,
    /// Data sectors on it.
    pub(crate) sectors: u64,
    /// The member's state (its slot is `raid_disk`).
    pub(crate) rdev: Arc<Rdev>,
}

/// Sends `bio` where a striping or concatenating level maps its first
/// sector (`to`): the part that stays on one member goes there, remapped;
/// a rest is split off from `pool` and resubmitted, to come back mapped on
/// its own (one split per call keeps the pool's forward-progress
/// guarantee).
pub(crate) fn submit_mapped(mut bio: Bio, to: Mapping, slots: &[Slot], pool: &BioSet) {
    if to.sectors == 0 {
        // Beyond the end: the block layer checks capacity, so only a racing
        // resize could get here.
        return bio.fail();
    }
    if u64::from(bio.sectors()) > to.sectors {
        match bio.split_front(to.sectors as u32, pool) {
            Ok(front) => core::mem::replace(&mut bio, front).resubmit(),
            Err(_) => return bio.fail(),
        }
    }
    match slots.get(to.member as usize) {
        Some(slot) => bio.submit_to(&slot.dev, slot.data_offset + to.sector),
        None => bio.fail(),
    }
}

/// What a level needs to start: the array's geometry.
#[derive(Clone, Copy)]
pub(crate) struct Geometry {
    /// md level number.
    pub(crate) level: i32,
    /// Layout as configured (raid0: the superblock's, possibly unset).
    pub(crate) layout: i32,
    /// Chunk size in sectors.
    pub(crate) chunk_sectors: u32,
    /// Number of slots.
    pub(crate) raid_disks: u32,
    /// Sectors of each member the array uses (0: all of them).
    pub(crate) dev_sectors: u64,
}

/// What md's check of a running array's members (`md_check_recovery`)
/// needs to know of its level.
#[derive(Clone, Copy, Default)]
pub(crate) struct MemberStatus {
    /// A resync, recovery, check or repair runs.
    pub(crate) sync_running: bool,
    /// `sync_action` is `frozen`: no sync starts, no spare joins.
    pub(crate) frozen: bool,
    /// A resync is owed: spares wait for it (md_choose_sync_action).
    pub(crate) resync_pending: bool,
    /// Slots (bit per slot) without a working member or one being rebuilt.
    pub(crate) free_slots: u64,
}

/// A member that takes a slot of a running level.
pub(crate) struct Joining {
    /// The member; its slot number is `slot_nr`.
    pub(crate) slot: Slot,
    /// The slot.
    pub(crate) slot_nr: u32,
    /// It holds the array's data already (a re-add that missed nothing);
    /// otherwise it is rebuilt there.
    pub(crate) in_sync: bool,
}

/// Queue limits a level asks for, on top of those stacked from its members.
pub(crate) struct Limits {
    /// Preferred minimum request, bytes.
    pub(crate) io_min: u32,
    /// Optimal request, bytes.
    pub(crate) io_opt: u32,
    /// Largest request in sectors, 0 for the members' limit.
    pub(crate) max_sectors: u32,
}

/// md's redundancy group of attributes, present while a level that syncs
/// runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SyncAttr {
    /// `sync_action`
    Action,
    /// `sync_completed`
    Completed,
    /// `sync_speed`
    Speed,
    /// `degraded`
    Degraded,
    /// `mismatch_cnt`
    MismatchCnt,
    /// `sync_speed_min`
    SpeedMin,
    /// `sync_speed_max`
    SpeedMax,
    /// `last_sync_action`
    LastAction,
}

impl SyncAttr {
    /// In the order of `MdDev`'s optional attributes.
    pub(crate) const ALL: [SyncAttr; 8] = [
        SyncAttr::Action,
        SyncAttr::Completed,
        SyncAttr::Speed,
        SyncAttr::Degraded,
        SyncAttr::MismatchCnt,
        SyncAttr::SpeedMin,
        SyncAttr::SpeedMax,
        SyncAttr::LastAction,
    ];
}

/// A running array's level.
pub(crate) trait Personality: Send + Sync {
    /// md's name of the level (`raid0`), as sysfs and /proc/mdstat show it.
    fn name(&self) -> &'static str;
    /// The array's size in sectors.
    fn array_sectors(&self) -> u64;
    /// The members, by slot.
    fn slots(&self) -> &[Slot];
    /// Whether the member at `index` of [`Personality::slots`] still works
    /// (flushes go to working members only).
    fn slot_works(&self, _index: usize) -> bool {
        true
    }
    /// Queue limits for the array.
    fn limits(&self) -> Limits;
    /// No bio enters the level any more (its disk's queue was frozen):
    /// finish what it keeps in flight and record a clean state (md's
    /// `__md_stop_writes`). Called before a stop and before going
    /// read-only.
    fn quiesce(&self) {}
    /// The array takes writes now (it started read-write, or was made
    /// writable): a level starts the resync it owes.
    fn writable(&self) {}
    /// Fails the member `rdev` on request (`SET_DISK_FAULTY`, mdadm
    /// --fail): `EBUSY` if the array cannot lose it (md: `MD_BROKEN`).
    fn fail_member(&self, _rdev: &Rdev) -> Result {
        Err(EBUSY)
    }
    /// The array stops taking writes (read-only): a level writes no
    /// superblock until [`Personality::writable`].
    fn read_only(&self) {}
    /// Whether members can join and leave while it runs (md's
    /// `hot_add_disk`).
    fn hot_members(&self) -> bool {
        false
    }
    /// What md's check of the members looks at.
    fn member_status(&self) -> MemberStatus {
        MemberStatus::default()
    }
    /// Whether `rdev` has a slot in the level, failed or not: it cannot be
    /// released before the level is replaced without it.
    fn holds(&self, _rdev: &Rdev) -> bool {
        false
    }
    /// The superblocks the level writes, for a level with members that
    /// change.
    fn superblocks(&self) -> Option<&Arc<SbWriter>> {
        None
    }
    /// The members changed: the superblocks record it (md's
    /// `MD_SB_CHANGE_DEVS`), and a member whose write fails fails.
    fn update_superblocks(&self) {}
    /// Before a member change, with the disk's queue frozen: stops the
    /// sync and waits until no I/O of the level is in flight or waits for
    /// its work (md's `mddev_suspend`), without recording a clean state.
    /// The level is then replaced by [`Personality::successor`], or goes on
    /// after [`Personality::undrain`].
    fn drain(&self) {}
    /// The member change failed: the drained level goes on.
    fn undrain(&self) {}
    /// After [`Personality::drain`]: a level for the same array that takes
    /// over this one's state and members, without those that failed, and
    /// with `joining` in their slots (md's `hot_remove_disk` and
    /// `hot_add_disk`). It starts no sync: [`Personality::writable`] does.
    fn successor(&self, _joining: KVec<Joining>) -> Result<Arc<dyn Personality>> {
        Err(EINVAL)
    }
    /// Whether the level resyncs (md's `sync_request`): it has the
    /// redundancy group in sysfs and a resync line in /proc/mdstat.
    fn syncs(&self) -> bool {
        false
    }
    /// Shows a redundancy-group attribute.
    fn sync_show(&self, _attr: SyncAttr, _w: &mut dyn fmt::Write) -> fmt::Result {
        Ok(())
    }
    /// Writes a redundancy-group attribute.
    fn sync_store(&self, _attr: SyncAttr, _input: &[u8]) -> Result {
        Err(EINVAL)
    }
    /// Where a resync owed would start (md's `recovery_cp`), for levels
    /// that sync; `None` makes `resync_start` show the configuration's.
    fn resync_offset(&self) -> Option<u64> {
        None
    }
    /// The resync line of /proc/mdstat (md's `status_resync`); returns
    /// whether it wrote one.
    fn status_sync(&self, _w: &mut dyn fmt::Write) -> core::result::Result<bool, fmt::Error> {
        Ok(false)
    }
    /// Whether no write is in flight since the array was last marked clean
    /// (md's `in_sync`; `array_state` shows `clean` or `active`).
    fn in_sync(&self) -> bool {
        true
    }
    /// Sends `bio` (no `REQ_PREFLUSH` left on it) to the members, splitting
    /// it from `pool` where it crosses a boundary.
    fn make_request(&self, bio: Bio, pool: &BioSet);
    /// The level's part of the array's /proc/mdstat entry (md's
    /// `pers->status`), e.g. ` 64k chunks`.
    fn status(&self, w: &mut dyn fmt::Write) -> fmt::Result;
}

/// Starts the personality for `geo.level` on `slots` (the slots that have
/// a member, in slot order) for the array `md_name`. `EINVAL` with a message for a level this
/// driver lacks or a geometry the level refuses.
pub(crate) fn start(
    md_name: &str,
    geo: &Geometry,
    slots: KVec<Slot>,
    sb: Option<Arc<SbWriter>>,
) -> Result<Arc<dyn Personality>> {
    match geo.level {
        LEVEL_RAID1 => Ok(Arc::new(Raid1::new(md_name, geo, slots, sb)?, GFP_KERNEL)?),
        LEVEL_LINEAR => Ok(Arc::new(Linear::new(md_name, geo, slots)?, GFP_KERNEL)?),
        LEVEL_RAID0 => Ok(Arc::new(Raid0::new(md_name, geo, slots)?, GFP_KERNEL)?),
        level => {
            crate::blockdev::log::md_warn!("personality for level {} is not loaded!\n", level);
            Err(EINVAL)
        }
    }
}

/// md's name of a level number (`level` in sysfs for a running array).
pub(crate) fn level_name(level: i32) -> Option<&'static str> {
    match level {
        LEVEL_LINEAR => Some("linear"),
        LEVEL_RAID0 => Some("raid0"),
        LEVEL_RAID1 => Some("raid1"),
        _ => None,
    }
}
