// SPDX-License-Identifier: GPL-2.0

//! md's 0.90 superblock (`mdp_super_t`, md_p.h): 1024 host-endian 32-bit
//! words in the last 64 KiB-aligned 64 KiB of the member, with a table of
//! 27 device descriptors. md's `super_90_load`, `super_90_validate` and
//! `super_90_sync`.
//!
//! Pure logic: no `kernel::`, so host tests check it (tests/host).

use super::superblock::{
    bytes, CompareKey, Format, MemberSb, Role, SbDisk, SbError, SbUpdate, FEATURE_BITMAP_OFFSET,
    FEATURE_RESHAPE_ACTIVE, MAX_SECTOR, SB_BYTES,
};

/// md's magic number, host endian here.
pub(crate) const MAGIC: u32 = 0xa92b_4efc;
/// Entries of the device descriptor table (`MD_SB_DISKS`).
pub(crate) const MAX_DISKS: u32 = 27;
/// Sectors reserved at the end of the member (`MD_RESERVED_SECTORS`).
const RESERVED_SECTORS: u64 = 128;

// Word indexes of the fields. The generic constant words come first.
const W_MAGIC: usize = 0;
const W_MAJOR: usize = 1;
const W_MINOR: usize = 2;
const W_PATCH: usize = 3;
const W_UUID0: usize = 5;
const W_CTIME: usize = 6;
const W_LEVEL: usize = 7;
const W_SIZE: usize = 8;
const W_NR_DISKS: usize = 9;
const W_RAID_DISKS: usize = 10;
const W_MD_MINOR: usize = 11;
const W_UUID1: usize = 13;
/// `MD_SB_GENERIC_CONSTANT_WORDS`: what `md_sb_equal` compares.
const CONSTANT_WORDS: usize = 32;
const W_UTIME: usize = 32;
const W_STATE: usize = 33;
const W_ACTIVE_DISKS: usize = 34;
const W_WORKING_DISKS: usize = 35;
const W_FAILED_DISKS: usize = 36;
const W_SPARE_DISKS: usize = 37;
const W_SB_CSUM: usize = 38;
// The 64-bit counts are split in two words whose order follows the host's.
#[cfg(target_endian = "little")]
const W_EVENTS: (usize, usize) = (39, 40);
#[cfg(target_endian = "big")]
const W_EVENTS: (usize, usize) = (40, 39);
#[cfg(target_endian = "little")]
const W_CP_EVENTS: (usize, usize) = (41, 42);
#[cfg(target_endian = "big")]
const W_CP_EVENTS: (usize, usize) = (42, 41);
const W_RECOVERY_CP: usize = 43;
const W_LAYOUT: usize = 64;
const W_CHUNK_SIZE: usize = 65;
const W_DISKS: usize = 128;
const W_THIS_DISK: usize = 992;
/// Words per device descriptor.
const DISK_WORDS: usize = 32;

// Descriptor words.
const D_NUMBER: usize = 0;
const D_MAJOR: usize = 1;
const D_MINOR: usize = 2;
const D_RAID_DISK: usize = 3;
const D_STATE: usize = 4;

// Descriptor state bits.
const DISK_FAULTY: u32 = 1 << 0;
const DISK_ACTIVE: u32 = 1 << 1;
const DISK_SYNC: u32 = 1 << 2;
const DISK_REMOVED: u32 = 1 << 3;
const DISK_WRITEMOSTLY: u32 = 1 << 9;
const DISK_FAILFAST: u32 = 1 << 10;

// Superblock state bits.
const SB_CLEAN: u32 = 1 << 0;
const SB_BITMAP_PRESENT: u32 = 1 << 8;

fn word(buf: &[u8], i: usize) -> u32 {
    u32::from_ne_bytes(bytes(buf, i * 4))
}
fn put(buf: &mut [u8], i: usize, v: u32) {
    buf[i * 4..i * 4 + 4].copy_from_slice(&v.to_ne_bytes());
}
fn word64(buf: &[u8], (lo, hi): (usize, usize)) -> u64 {
    u64::from(word(buf, hi)) << 32 | u64::from(word(buf, lo))
}
fn put64(buf: &mut [u8], (lo, hi): (usize, usize), v: u64) {
    put(buf, lo, v as u32);
    put(buf, hi, (v >> 32) as u32);
}
/// First word of descriptor `nr` (`nr < MAX_DISKS`).
fn disk(nr: u32) -> usize {
    W_DISKS + nr as usize * DISK_WORDS
}

/// md's `MD_NEW_SIZE_SECTORS`: the last 64 KiB-aligned 64 KiB.
pub(super) fn sb_start(dev_sectors: u64) -> Option<u64> {
    (dev_sectors & !(RESERVED_SECTORS - 1)).checked_sub(RESERVED_SECTORS)
}

/// md's `calc_sb_csum`: the sum of all words, `sb_csum` counted as 0, the
/// 64-bit sum folded to 32 bits (as stored).
pub(crate) fn checksum(buf: &[u8]) -> u32 {
    let sum: u64 = (0..SB_BYTES / 4)
        .filter(|&i| i != W_SB_CSUM)
        .map(|i| u64::from(word(buf, i)))
        .sum();
    (sum as u32).wrapping_add((sum >> 32) as u32)
}

/// md's `md_csum_fold`: how checksums are compared (to 16 bits, as old
/// kernels computed them differently per architecture).
fn fold(csum: u32) -> u32 {
    let csum = (csum & 0xffff) + (csum >> 16);
    (csum & 0xffff) + (csum >> 16)
}

/// `super_90_load` (its `refdev`-free part) and what `super_90_validate`
/// takes from the superblock, on the `SB_BYTES` at `sb_start`.
pub(super) fn load(buf: &[u8], sb_start: u64, lbs: u32) -> Result<MemberSb, SbError> {
    if word(buf, W_MAGIC) != MAGIC {
        return Err(SbError::BadMagic);
    }
    let minor = word(buf, W_MINOR);
    if word(buf, W_MAJOR) != 0 || !(90..=91).contains(&minor) {
        return Err(SbError::BadVersion);
    }
    // md only refuses 0; the table cannot describe more than 27 slots.
    let raid_disks = word(buf, W_RAID_DISKS);
    if raid_disks == 0 || raid_disks > MAX_DISKS {
        return Err(SbError::BadGeometry);
    }
    if fold(checksum(buf)) != fold(word(buf, W_SB_CSUM)) {
        return Err(SbError::BadChecksum);
    }
    // 0.91 records a reshape in progress.
    if minor == 91 {
        return Err(SbError::UnsupportedFeature(FEATURE_RESHAPE_ACTIVE));
    }
    let state = word(buf, W_STATE);
    if state & SB_BITMAP_PRESENT != 0 {
        return Err(SbError::UnsupportedFeature(FEATURE_BITMAP_OFFSET));
    }

    // The level word is unsigned in md: its "level >= 1" tests hold for
    // linear (-1) too, so only raid0 escapes the size limits below.
    let level = word(buf, W_LEVEL) as i32;
    let array_dev_sectors = u64::from(word(buf, W_SIZE)) * 2;
    let mut data_sectors = sb_start;
    if level != 0 && data_sectors >= 2 << 32 {
        // The size word holds KiB in 32 bits: at most 4 TiB per member.
        data_sectors = (2 << 32) - 2;
    }
    if level != 0 && data_sectors < array_dev_sectors {
        return Err(SbError::SizeBeyondDevice);
    }
    // md_run: the data (from sector 0) must end before the superblock.
    if array_dev_sectors > sb_start {
        return Err(SbError::DataOverlapsSb);
    }

    let desc_nr = word(buf, W_THIS_DISK + D_NUMBER);
    let desc = (desc_nr < MAX_DISKS).then(|| disk(desc_nr));
    let desc_state = desc.map_or(0, |d| word(buf, d + D_STATE));
    // super_90_validate: faulty first, then in sync; "active" without
    // "sync" only means something during a 0.91 reshape.
    let role = match desc {
        Some(_) if desc_state & DISK_FAULTY != 0 => Role::Faulty,
        Some(d) if desc_state & DISK_SYNC != 0 => Role::Slot(word(buf, d + D_RAID_DISK)),
        _ => Role::Spare,
    };

    let events = word64(buf, W_EVENTS);
    let resync_offset = if state & SB_CLEAN != 0 {
        MAX_SECTOR
    } else if events == word64(buf, W_CP_EVENTS) {
        // The checkpoint is only valid if written with this event count.
        u64::from(word(buf, W_RECOVERY_CP))
    } else {
        0
    };

    let mut uuid = [0u8; 16];
    uuid[..4].copy_from_slice(&buf[W_UUID0 * 4..W_UUID0 * 4 + 4]);
    uuid[4..].copy_from_slice(&buf[W_UUID1 * 4..W_UUID1 * 4 + 12]);
    let mut key = [0u32; CONSTANT_WORDS];
    for (i, k) in key.iter_mut().enumerate() {
        // nr_disks changes as members come and go.
        *k = if i == W_NR_DISKS { 0 } else { word(buf, i) };
    }

    Ok(MemberSb {
        format: Format::V090,
        uuid,
        name: [0; 32],
        ctime: u64::from(word(buf, W_CTIME)),
        utime: u64::from(word(buf, W_UTIME)),
        level,
        layout: if level == 0 {
            -1
        } else {
            word(buf, W_LAYOUT) as i32
        },
        chunk_sectors: word(buf, W_CHUNK_SIZE) >> 9,
        raid_disks,
        array_dev_sectors,
        events,
        resync_offset,
        desc_nr,
        role,
        holds_role: desc_state & (DISK_ACTIVE | DISK_SYNC) != 0,
        recovery_offset: None,
        data_offset: 0,
        data_sectors,
        sb_start,
        sb_size: SB_BYTES,
        lbs,
        preferred_minor: Some(word(buf, W_MD_MINOR)),
        write_mostly: desc_state & DISK_WRITEMOSTLY != 0,
        failfast: desc_state & DISK_FAILFAST != 0,
        max_dev: MAX_DISKS,
        feature_map: 0,
        key: CompareKey::V090(key),
    })
}

/// `super_90_sync`: rebuilds the superblock from scratch.
pub(super) fn sync(buf: &mut [u8], this: &MemberSb, me: &SbDisk, upd: &SbUpdate<'_>) -> usize {
    // md keeps the patch version it read; nothing else survives.
    let patch = word(buf, W_PATCH);
    buf.fill(0);
    put(buf, W_MAGIC, MAGIC);
    put(buf, W_MINOR, 90);
    put(buf, W_PATCH, patch);
    buf[W_UUID0 * 4..W_UUID0 * 4 + 4].copy_from_slice(&this.uuid[..4]);
    buf[W_UUID1 * 4..W_UUID1 * 4 + 12].copy_from_slice(&this.uuid[4..]);
    put(buf, W_CTIME, this.ctime.min(u32::MAX.into()) as u32);
    put(buf, W_LEVEL, this.level as u32);
    // 32 bits of KiB; the load clamps keep raid1 members below 4 TiB.
    put(buf, W_SIZE, (upd.array_dev_sectors / 2) as u32);
    put(buf, W_RAID_DISKS, upd.raid_disks);
    put(buf, W_MD_MINOR, upd.md_minor);
    put(buf, W_UTIME, upd.utime.min(u32::MAX.into()) as u32);
    put64(buf, W_EVENTS, upd.events);
    if upd.clean {
        // md stores the sector_t checkpoint in 32 bits, truncated.
        put(buf, W_RECOVERY_CP, upd.resync_offset as u32);
        put64(buf, W_CP_EVENTS, upd.events);
        if upd.resync_offset == MAX_SECTOR {
            put(buf, W_STATE, SB_CLEAN);
        }
    }
    put(buf, W_LAYOUT, this.layout as u32);
    put(buf, W_CHUNK_SIZE, this.chunk_sectors << 9);

    // Descriptor 0 reads as removed unless a member takes it: zeros there
    // could be mistaken for member 0.
    put(buf, disk(0) + D_STATE, DISK_REMOVED);
    let (mut active, mut working, mut failed, mut spare, mut nr_disks) = (0, 0, 0, 0, 0);
    for d in upd.disks {
        nr_disks += 1;
        let (raid_disk, mut state) = match d.role {
            Role::Faulty => (d.desc_nr, DISK_FAULTY),
            Role::Slot(slot) if d.in_sync() => {
                active += 1;
                working += 1;
                (slot, DISK_ACTIVE | DISK_SYNC)
            }
            _ => {
                spare += 1;
                working += 1;
                (d.desc_nr, 0)
            }
        };
        if d.write_mostly {
            state |= DISK_WRITEMOSTLY;
        }
        if d.failfast {
            state |= DISK_FAILFAST;
        }
        // Counted, but md would write beyond its table: left unrecorded.
        if d.desc_nr >= MAX_DISKS {
            continue;
        }
        let at = disk(d.desc_nr);
        put(buf, at + D_NUMBER, d.desc_nr);
        put(buf, at + D_MAJOR, d.dev_major);
        put(buf, at + D_MINOR, d.dev_minor);
        put(buf, at + D_RAID_DISK, raid_disk);
        put(buf, at + D_STATE, state);
    }
    // Slots no member holds: removed and faulty.
    for i in 0..upd.raid_disks.min(MAX_DISKS) {
        let at = disk(i);
        if word(buf, at + D_STATE) == 0 && word(buf, at + D_NUMBER) == 0 {
            put(buf, at + D_NUMBER, i);
            put(buf, at + D_RAID_DISK, i);
            put(buf, at + D_STATE, DISK_REMOVED | DISK_FAULTY);
            failed += 1;
        }
    }
    put(buf, W_NR_DISKS, nr_disks);
    put(buf, W_ACTIVE_DISKS, active);
    put(buf, W_WORKING_DISKS, working);
    put(buf, W_FAILED_DISKS, failed);
    put(buf, W_SPARE_DISKS, spare);

    if me.desc_nr < MAX_DISKS {
        let from = disk(me.desc_nr) * 4;
        buf.copy_within(from..from + DISK_WORDS * 4, W_THIS_DISK * 4);
    }
    put(buf, W_SB_CSUM, checksum(buf));
    SB_BYTES
}
