// SPDX-License-Identifier: GPL-2.0

//! Writing a running array's superblocks (md's `md_update_sb`), for levels
//! whose state changes: members failing, the array going dirty and clean,
//! resync progress. Linear and raid0 never need it.
//!
//! It has its own lock, apart from the array's configuration: the I/O path
//! waits for superblock writes (a write to a clean array waits until the
//! array is marked dirty), and a stop holds the configuration while it
//! waits for the I/O path.

use super::{
    rdev::{LoadedSb, Rdev},
    superblock::{self, Format, MemberSb, Role, SbDisk, SbUpdate},
};
use crate::blockdev::{self, kvec, member::MemberDev};
use kernel::{new_mutex, prelude::*, sync::Arc, sync::Mutex};

/// One member's superblock, as last read or written.
pub(crate) struct SbMember {
    /// The member.
    pub(crate) rdev: Arc<Rdev>,
    /// Its device.
    pub(crate) dev: Arc<MemberDev>,
    /// What its superblock said when it was read.
    pub(crate) parsed: MemberSb,
    /// The superblock's bytes, edited in place on every update.
    pub(crate) raw: KVec<u8>,
}

/// The array-wide part of the superblocks.
#[derive(Clone, Copy)]
pub(crate) struct SbState {
    /// Update count.
    pub(crate) events: u64,
    /// Last update, seconds.
    pub(crate) utime: u64,
    /// No write in flight since the last clean mark (md's `in_sync`).
    pub(crate) clean: bool,
    /// Sectors known in sync, `MAX_SECTOR` when all are.
    pub(crate) resync_offset: u64,
    /// Slots.
    pub(crate) raid_disks: u32,
    /// Sectors of each member the array uses.
    pub(crate) dev_sectors: u64,
    /// The array's minor (0.90 records it).
    pub(crate) md_minor: u32,
}

struct Inner {
    state: SbState,
    members: KVec<SbMember>,
    /// Scratch for the member table of an update, sized with `members`.
    disks: KVec<SbDisk>,
    /// The array is read-only: md writes no superblock then.
    read_only: bool,
    /// A change waits for the array to be writable again.
    pending: bool,
}

/// The superblocks of a running array.
#[pin_data]
pub(crate) struct SbWriter {
    format: Format,
    #[pin]
    inner: Mutex<Inner>,
}

fn disk_of(rdev: &Rdev) -> SbDisk {
    // A member being rebuilt holds its slot with how far it got, as md
    // records it (`super_1_sync`).
    let (role, recovery_offset) = if rdev.faulty() {
        (Role::Faulty, None)
    } else if rdev.in_sync() && rdev.raid_disk() >= 0 {
        (Role::Slot(rdev.raid_disk() as u32), None)
    } else if rdev.recovering() {
        (
            Role::Slot(rdev.raid_disk() as u32),
            Some(rdev.recovery_offset()),
        )
    } else {
        (Role::Spare, None)
    };
    SbDisk {
        desc_nr: rdev.desc_nr.max(0) as u32,
        role,
        recovery_offset,
        dev_major: blockdev::dev_major(rdev.dev),
        dev_minor: blockdev::dev_minor(rdev.dev),
        write_mostly: rdev.write_mostly(),
        failfast: false,
    }
}

impl SbWriter {
    /// The superblocks of `members`, in md's member list order.
    pub(crate) fn new(
        format: Format,
        state: SbState,
        members: KVec<SbMember>,
    ) -> Result<impl PinInit<Self>> {
        let mut disks = KVec::with_capacity(members.len(), GFP_KERNEL)?;
        for m in members.iter() {
            disks.push(disk_of(&m.rdev), GFP_KERNEL)?;
        }
        Ok(pin_init!(Self {
            format,
            inner <- new_mutex!(
                Inner { state, members, disks, read_only: false, pending: false },
                "SbWriter::inner"
            ),
        }))
    }

    /// The array-wide state last written.
    pub(crate) fn state(&self) -> SbState {
        self.inner.lock().state
    }

    /// A member joins the array (md's `bind_rdev_to_array`); its superblock
    /// is written with the next update.
    pub(crate) fn add_member(&self, member: SbMember) -> Result {
        let mut inner = self.inner.lock();
        let disk = disk_of(&member.rdev);
        inner.disks.push(disk, GFP_KERNEL)?;
        if let Err(e) = inner.members.push(member, GFP_KERNEL) {
            let last = inner.disks.len() - 1;
            kvec::remove(&mut inner.disks, last);
            return Err(e.into());
        }
        Ok(())
    }

    /// A member leaves the array (md's `unbind_rdev_from_array`): its
    /// superblock is no longer written, and the others' role tables forget
    /// it with the next update.
    pub(crate) fn remove_member(&self, rdev: &Arc<Rdev>) {
        let mut inner = self.inner.lock();
        if let Some(i) = inner
            .members
            .iter()
            .position(|m| Arc::ptr_eq(&m.rdev, rdev))
        {
            drop(kvec::remove(&mut inner.members, i));
            kvec::remove(&mut inner.disks, i);
        }
    }

    /// `rdev`'s superblock as last written (md keeps it in `sb_page`): what
    /// an array that stops without releasing its members assembles from
    /// next time. `None` if it is not a member here.
    pub(crate) fn current(&self, rdev: &Arc<Rdev>) -> Option<LoadedSb> {
        let inner = self.inner.lock();
        let m = inner.members.iter().find(|m| Arc::ptr_eq(&m.rdev, rdev))?;
        let parsed = superblock::load(self.format, &m.raw, m.dev.sectors(), m.parsed.lbs).ok()?;
        let mut raw = KVec::with_capacity(m.raw.len(), GFP_KERNEL).ok()?;
        raw.extend_from_slice(&m.raw, GFP_KERNEL).ok()?;
        Some(LoadedSb { parsed, raw })
    }

    /// While the array is read-only, updates change the state but write
    /// nothing (md: "can't update sb for read-only array"); made writable,
    /// the array gets the update it missed.
    pub(crate) fn set_read_only(&self, read_only: bool) {
        let pending = {
            let mut inner = self.inner.lock();
            inner.read_only = read_only;
            !read_only && inner.pending
        };
        if pending {
            self.update(|_| {});
        }
    }

    /// Applies `change`, counts one more event and writes the superblock of
    /// every member that has not failed. Returns the slots of members whose
    /// write failed (bit per slot): the caller fails them.
    pub(crate) fn update(&self, change: impl FnOnce(&mut SbState)) -> u64 {
        let mut inner = self.inner.lock();
        let inner = &mut *inner;
        change(&mut inner.state);
        if inner.read_only {
            inner.pending = true;
            return 0;
        }
        inner.pending = false;
        inner.state.events += 1;
        inner.state.utime = blockdev::real_seconds().max(0) as u64;
        for (d, m) in inner.disks.iter_mut().zip(inner.members.iter()) {
            *d = disk_of(&m.rdev);
        }
        if self.format == Format::V090 {
            superblock::renumber_090(inner.state.raid_disks, &mut inner.disks);
        }
        let st = inner.state;
        let upd = SbUpdate {
            events: st.events,
            utime: st.utime,
            clean: st.clean,
            resync_offset: st.resync_offset,
            raid_disks: st.raid_disks,
            array_dev_sectors: st.dev_sectors,
            md_minor: st.md_minor,
            disks: &inner.disks,
        };
        let mut failed = 0u64;
        for (i, m) in inner.members.iter_mut().enumerate() {
            if m.rdev.faulty() {
                continue;
            }
            let len = superblock::sync(self.format, &mut m.raw, &m.parsed, &inner.disks[i], &upd);
            if len == 0 || m.dev.write_at(m.parsed.sb_start, &m.raw[..len]).is_err() {
                if let Ok(slot) = u32::try_from(m.rdev.raid_disk()) {
                    if slot < 64 {
                        failed |= 1 << slot;
                    }
                }
            }
        }
        failed
    }
}
