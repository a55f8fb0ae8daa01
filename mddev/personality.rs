// SPDX-License-Identifier: GPL-2.0

//! Personalities (md's `struct md_personality`): what a running array's
//! level does with its bios, behind one trait.

use super::{linear::Linear, raid0::Raid0, raid0_map::Mapping};
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
pub(crate) const NAMES: &[&str] = &["linear", "raid0"];

/// One slot of a running array: the member that fills it and where its
/// data is.
pub(crate) struct Slot {
    /// The member device.
    pub(crate) dev: Arc<MemberDev>,
    /// First data sector on it.
    pub(crate) data_offset: u64,
    /// Data sectors on it.
    pub(crate) sectors: u64,
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

/// A running array's level.
pub(crate) trait Personality: Send + Sync {
    /// md's name of the level (`raid0`), as sysfs and /proc/mdstat show it.
    fn name(&self) -> &'static str;
    /// The array's size in sectors.
    fn array_sectors(&self) -> u64;
    /// The members, by slot.
    fn slots(&self) -> &[Slot];
    /// Queue limits for the array.
    fn limits(&self) -> Limits;
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
) -> Result<Arc<dyn Personality>> {
    match geo.level {
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
        1 => Some("raid1"),
        _ => None,
    }
}
