// SPDX-License-Identifier: GPL-2.0

//! Members of an array (md's `struct md_rdev`): what sysfs and the ioctls
//! show of them, and the binding that holds the device while it is in the
//! array.

use super::{
    array::MdDev,
    superblock::{MemberSb, Role},
};
use crate::blockdev::{
    disk::{GenDisk, HolderLink},
    member::MemberDev,
    sysfs::{Attr, LinkTarget, SysfsDir, SysfsOps, SysfsOut},
};
use core::{
    fmt::Write,
    sync::atomic::{AtomicI32, AtomicU32, AtomicU64, Ordering},
};
use kernel::{c_str, prelude::*, str::CStr, sync::Arc};

const IN_SYNC: u32 = 1 << 0;
const FAULTY: u32 = 1 << 1;
const WRITE_MOSTLY: u32 = 1 << 2;

/// Longest member name we keep (`BDEVNAME_SIZE`).
const NAME_LEN: usize = 32;

/// What is known of one member: fixed when it is bound, except its slot and
/// state, which change when the array starts and stops.
pub(crate) struct Rdev {
    name: [u8; NAME_LEN],
    name_len: usize,
    /// Device number.
    pub(crate) dev: u32,
    /// Descriptor number: the index md lists it under (`vda[0]`).
    pub(crate) desc_nr: i32,
    /// First data sector on the member.
    pub(crate) data_offset: u64,
    sectors: AtomicU64,
    raid_disk: AtomicI32,
    flags: AtomicU32,
    /// While it is rebuilt in a slot: sectors copied so far (md's
    /// `recovery_offset`).
    recovery_offset: AtomicU64,
}

impl Rdev {
    /// A member `dev` named `name`, not yet in a slot.
    pub(crate) fn new(member: &MemberDev, desc_nr: i32, data_offset: u64, sectors: u64) -> Self {
        let mut name = [0u8; NAME_LEN];
        let src = member.name().as_bytes();
        let name_len = src.len().min(NAME_LEN);
        name[..name_len].copy_from_slice(&src[..name_len]);
        Self {
            name,
            name_len,
            dev: member.dev(),
            desc_nr,
            data_offset,
            sectors: AtomicU64::new(sectors),
            raid_disk: AtomicI32::new(-1),
            flags: AtomicU32::new(0),
            recovery_offset: AtomicU64::new(0),
        }
    }

    /// The kernel's name of the device.
    pub(crate) fn name(&self) -> &str {
        core::str::from_utf8(&self.name[..self.name_len]).unwrap_or("?")
    }

    /// Data sectors on the member (md's `rdev->sectors`).
    pub(crate) fn sectors(&self) -> u64 {
        self.sectors.load(Ordering::Acquire)
    }

    /// Sets the data sectors: a level rounds them to its chunk when it
    /// starts, as md's raid0 and linear do.
    pub(crate) fn set_sectors(&self, sectors: u64) {
        self.sectors.store(sectors, Ordering::Release);
    }

    /// The slot it fills, or -1 (a spare, or an array not started).
    pub(crate) fn raid_disk(&self) -> i32 {
        self.raid_disk.load(Ordering::Acquire)
    }

    /// Holds its slot's data up to date.
    pub(crate) fn in_sync(&self) -> bool {
        self.flags.load(Ordering::Acquire) & IN_SYNC != 0
    }

    /// Failed.
    pub(crate) fn faulty(&self) -> bool {
        self.flags.load(Ordering::Acquire) & FAULTY != 0
    }

    /// Marked write-mostly.
    pub(crate) fn write_mostly(&self) -> bool {
        self.flags.load(Ordering::Acquire) & WRITE_MOSTLY != 0
    }

    /// Puts it in `slot` to be rebuilt there: it takes writes, not reads,
    /// until the recovery makes it [`Rdev::set_role`] `Slot`.
    pub(crate) fn set_recovering(&self, slot: u32) {
        let keep = self.flags.load(Ordering::Acquire) & WRITE_MOSTLY;
        self.recovery_offset.store(0, Ordering::Release);
        self.raid_disk.store(slot as i32, Ordering::Release);
        self.flags.store(keep, Ordering::Release);
    }

    /// Being rebuilt: in a slot, neither in sync nor failed.
    pub(crate) fn recovering(&self) -> bool {
        self.raid_disk() >= 0 && self.flags.load(Ordering::Acquire) & (IN_SYNC | FAULTY) == 0
    }

    /// Sectors rebuilt so far, while [`Rdev::recovering`].
    pub(crate) fn recovery_offset(&self) -> u64 {
        self.recovery_offset.load(Ordering::Acquire)
    }

    /// Records how far the rebuild got.
    pub(crate) fn set_recovery_offset(&self, sectors: u64) {
        self.recovery_offset.store(sectors, Ordering::Release);
    }

    /// Puts it in `role` (`Slot` makes it in sync).
    pub(crate) fn set_role(&self, role: Role) {
        let (slot, flags) = match role {
            Role::Slot(n) => (n as i32, IN_SYNC),
            Role::Faulty => (-1, FAULTY),
            Role::Spare | Role::Journal => (-1, 0),
        };
        let keep = self.flags.load(Ordering::Acquire) & WRITE_MOSTLY;
        self.raid_disk.store(slot, Ordering::Release);
        self.flags.store(keep | flags, Ordering::Release);
    }

    /// Sets write-mostly.
    pub(crate) fn set_write_mostly(&self, on: bool) {
        if on {
            self.flags.fetch_or(WRITE_MOSTLY, Ordering::AcqRel);
        } else {
            self.flags.fetch_and(!WRITE_MOSTLY, Ordering::AcqRel);
        }
    }

    /// md's `state` words, comma separated (`state_show`).
    fn write_state(&self, out: &mut impl Write) -> core::fmt::Result {
        let mut sep = "";
        let mut word = |out: &mut dyn Write, w: &str| -> core::fmt::Result {
            let r = write!(out, "{sep}{w}");
            sep = ",";
            r
        };
        if self.faulty() {
            word(out, "faulty")?;
        }
        if self.in_sync() {
            word(out, "in_sync")?;
        }
        if self.write_mostly() {
            word(out, "write_mostly")?;
        }
        if !self.faulty() && !self.in_sync() {
            word(out, "spare")?;
        }
        writeln!(out)
    }
}

/// A superblock as read from a member, parsed.
pub(crate) struct LoadedSb {
    /// What it says.
    pub(crate) parsed: MemberSb,
    /// Its bytes, kept for the roles table and for writing it back.
    pub(crate) raw: KVec<u8>,
}

/// A member bound to an array (md's `bind_rdev_to_array`): it is claimed,
/// shown in sysfs (`dev-<name>/`, its `block` link) and holds the array's
/// disk (`holders/`). Dropping it unbinds it and releases the device.
pub(crate) struct Bound {
    /// What sysfs and the ioctls show.
    pub(crate) rdev: Arc<Rdev>,
    /// The claimed device.
    pub(crate) member: Arc<MemberDev>,
    /// Its superblock, for arrays that have them.
    pub(crate) sb: Option<LoadedSb>,
    // Dropped in this order: the sysfs directory (and its links), then the
    // holder link, which keeps the device open until it is undone.
    _dir: SysfsDir<Rdev>,
    _holder: HolderLink,
}

impl Bound {
    /// Binds `member` to the array whose disk is `disk` and whose `md/`
    /// directory is `md_dir`.
    pub(crate) fn bind(
        rdev: Arc<Rdev>,
        member: Arc<MemberDev>,
        sb: Option<LoadedSb>,
        disk: &GenDisk<MdDev>,
        md_dir: &SysfsDir<MdDev>,
    ) -> Result<Self> {
        let mut buf = [0u8; 4 + NAME_LEN + 1];
        let dir_name = dir_name(&rdev, &mut buf)?;
        let dir = SysfsDir::new_child(md_dir, dir_name, rdev.clone())?;
        dir.create_link(c_str!("block"), LinkTarget::member(&member))?;
        let holder = disk.link_holder(&member)?;
        Ok(Self {
            rdev,
            member,
            sb,
            _dir: dir,
            _holder: holder,
        })
    }

    /// Its `dev-<name>` directory, the target of the array's `rdN` link.
    pub(crate) fn dir(&self) -> &SysfsDir<Rdev> {
        &self._dir
    }
}

/// `dev-<name>`, with '/' (in names such as `cciss/c0d0`) made '!', as md
/// names the directory.
fn dir_name<'a>(rdev: &Rdev, buf: &'a mut [u8; 4 + NAME_LEN + 1]) -> Result<&'a CStr> {
    buf[..4].copy_from_slice(b"dev-");
    let name = rdev.name().as_bytes();
    for (dst, &c) in buf[4..].iter_mut().zip(name) {
        *dst = if c == b'/' { b'!' } else { c };
    }
    buf[4 + name.len()] = 0;
    CStr::from_bytes_with_nul(&buf[..4 + name.len() + 1]).map_err(|_| EINVAL)
}

/// `rdN`: the array's link to the member in slot N.
pub(crate) fn slot_link_name(slot: i32, buf: &mut [u8; 16]) -> Result<&CStr> {
    let mut w = super::text::ByteWriter::new(&mut buf[..15]);
    write!(w, "rd{slot}").map_err(|_| EINVAL)?;
    let len = w.len();
    buf[len] = 0;
    CStr::from_bytes_with_nul(&buf[..=len]).map_err(|_| EINVAL)
}

const STATE: usize = 0;
const SLOT: usize = 1;
const OFFSET: usize = 2;
const NEW_OFFSET: usize = 3;
const SIZE: usize = 4;
const ERRORS: usize = 5;
const RECOVERY_START: usize = 6;

impl SysfsOps for Rdev {
    const ATTRS: &'static [Attr] = &[
        Attr {
            name: c_str!("state"),
            mode: 0o644,
        },
        Attr {
            name: c_str!("slot"),
            mode: 0o644,
        },
        Attr {
            name: c_str!("offset"),
            mode: 0o644,
        },
        Attr {
            name: c_str!("new_offset"),
            mode: 0o644,
        },
        Attr {
            name: c_str!("size"),
            mode: 0o644,
        },
        Attr {
            name: c_str!("errors"),
            mode: 0o644,
        },
        Attr {
            name: c_str!("recovery_start"),
            mode: 0o644,
        },
    ];

    fn show(this: &Arc<Self>, index: usize, out: &mut SysfsOut) -> Result {
        let written = match index {
            STATE => this.write_state(out),
            SLOT => match this.raid_disk() {
                n if n >= 0 => writeln!(out, "{n}"),
                _ => writeln!(out, "none"),
            },
            OFFSET | NEW_OFFSET => writeln!(out, "{}", this.data_offset),
            SIZE => writeln!(out, "{}", this.sectors() / 2),
            ERRORS => writeln!(out, "0"),
            // md: the rebuild's progress, `none` when there is none.
            RECOVERY_START if this.recovering() => writeln!(out, "{}", this.recovery_offset()),
            RECOVERY_START => writeln!(out, "none"),
            _ => return Err(EIO),
        };
        written.map_err(|_| EFBIG)
    }

    /// Member changes from sysfs (failing, removing, re-slotting) belong to
    /// levels with redundancy and to external metadata, neither of which
    /// this driver has yet. A slot is read as md reads it first
    /// (`kstrtouint`), so a bad number gets md's answer.
    fn store(_this: &Arc<Self>, index: usize, input: &[u8]) -> Result {
        if index == SLOT && input.strip_suffix(b"\n").unwrap_or(input) != b"none" {
            super::text::parse_u32_kstrto(input).map_err(|e| match e {
                super::text::NumberError::Invalid => EINVAL,
                super::text::NumberError::Range => ERANGE,
            })?;
            return Err(EBUSY);
        }
        Err(EINVAL)
    }
}
