// SPDX-License-Identifier: GPL-2.0

//! md's rules for members that join or leave a running array: what
//! `md_add_new_disk` accepts (with `validate_super` for a running array
//! without a bitmap), and which slot a spare takes (`raid1_add_disk`).
//!
//! Pure logic: no `kernel::`, so host tests check it (tests/host).

use super::superblock::{MemberSb, Role};

/// `mdu_disk_info_t.state`: the caller says the device is in sync in
/// `raid_disk` (mdadm's re-add).
const MD_DISK_SYNC: i32 = 1 << 2;

/// How a device that `ADD_NEW_DISK` brings to a running array joins.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum HotAdd {
    /// A spare: it joins a free slot through a full recovery.
    Spare,
    /// It left the array without missing an update (its event count is
    /// the array's) and was in `slot`: it may rejoin in sync.
    ReAdd {
        /// Its slot according to its own superblock.
        slot: u32,
    },
}

/// Why `ADD_NEW_DISK` refuses a device for a running array.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum HotAddError {
    /// The caller asked for a re-add in `raid_disk`, but the device missed
    /// updates or held another slot (md's `EINVAL`, "This was a hot-add
    /// request, but events doesn't match").
    NotReAddable,
}

/// md's `validate_super(mddev, NULL, rdev)` for a running array without a
/// bitmap, and `md_add_new_disk`'s check of a re-add request after it.
///
/// `array_events` is the array's event count, `raid_disks` its slots,
/// `sb` the device's superblock, `info_state`/`info_raid_disk` what the
/// caller passed. A device behind in events is a new spare; one that is
/// not keeps the role its own superblock gives it: a slot (below
/// `raid_disks`, not marked as being rebuilt) makes it re-addable. A
/// faulty or journal role is taken as a spare's (md would bind a faulty
/// device; mdadm never asks for it).
pub(crate) fn hot_add(
    array_events: u64,
    raid_disks: u32,
    sb: &MemberSb,
    info_state: i32,
    info_raid_disk: i32,
) -> Result<HotAdd, HotAddError> {
    // md's raid_disk after validate_super: the own role when not behind.
    let raid_disk = if sb.events < array_events {
        None
    } else {
        match sb.role {
            Role::Slot(n) if n < raid_disks => Some(n),
            _ => None,
        }
    };
    if info_state & MD_DISK_SYNC != 0 && raid_disk.map_or(-1, |n| n as i32) != info_raid_disk {
        return Err(HotAddError::NotReAddable);
    }
    // md's saved_raid_disk: not for a member that was being rebuilt.
    Ok(match raid_disk {
        Some(slot) if sb.recovery_offset.is_none() => HotAdd::ReAdd { slot },
        _ => HotAdd::Spare,
    })
}

/// Whether a re-addable device may take its place in sync right away:
/// only while the array owes no resync (`resync_pending`: a resync may
/// rewrite what the others hold). Its event count, the array's, says that
/// nothing was written since it left: the first write to a clean array
/// counts an event. md gets there through a recovery that copies nothing
/// (no bitmap, no `fullsync`), started when the array is not frozen; here
/// it joins at once, so that no write can come in between.
pub(crate) fn rejoins_in_sync(add: HotAdd, resync_pending: bool) -> bool {
    matches!(add, HotAdd::ReAdd { .. }) && !resync_pending
}

/// The slot `raid1_add_disk` gives a device: `preferred` (its old one) if
/// free, else the lowest free one. `free` has a bit per slot without a
/// working or rebuilding member; `None` when all of the `raid_disks` are
/// taken.
pub(crate) fn choose_slot(free: u64, raid_disks: u32, preferred: Option<u32>) -> Option<u32> {
    let limit = if raid_disks >= 64 {
        u64::MAX
    } else {
        (1u64 << raid_disks) - 1
    };
    let free = free & limit;
    if let Some(p) = preferred {
        if p < 64 && free & (1 << p) != 0 {
            return Some(p);
        }
    }
    (free != 0).then(|| free.trailing_zeros())
}

/// The descriptor number md gives a device whose own is unusable (beyond
/// its superblock's table): the first one from `raid_disks` up that no
/// member has (`bind_rdev_to_array`).
pub(crate) fn free_desc_nr(raid_disks: u32, taken: impl Fn(u32) -> bool) -> u32 {
    let mut nr = raid_disks;
    while taken(nr) {
        nr += 1;
    }
    nr
}

/// The descriptor number a device's superblock gives it, if md can use it:
/// within its own role table (`super_1_validate` makes others -1, to be
/// chosen by [`free_desc_nr`]).
pub(crate) fn own_desc_nr(sb: &MemberSb) -> Option<u32> {
    ((sb.desc_nr as i32) >= 0 && sb.desc_nr < sb.max_dev).then_some(sb.desc_nr)
}
