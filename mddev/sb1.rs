// SPDX-License-Identifier: GPL-2.0

//! md's version-1 superblock (`struct mdp_superblock_1`, md_p.h): a
//! 256-byte little-endian header followed by one le16 role per device
//! number, at the end of the member (1.0), at its start (1.1) or 4 KiB in
//! (1.2). md's `super_1_load`, `super_1_validate` and `super_1_sync`.
//!
//! Pure logic: no `kernel::`, so host tests check it (tests/host).

use super::superblock::{
    bytes, CompareKey, Format, MemberSb, Role, SbDisk, SbError, SbUpdate, FEATURE_BAD_BLOCKS,
    FEATURE_JOURNAL, FEATURE_RAID0_LAYOUT, FEATURE_RECOVERY_OFFSET, FEATURE_SUPPORTED, SB_BYTES,
};

/// md's magic number, little endian here.
pub(crate) const MAGIC: u32 = 0xa92b_4efc;
/// Device numbers the role table can hold in 4 KiB (md's `max_disks`).
pub(crate) const MAX_DISKS: u32 = ((SB_BYTES - HEADER) / 2) as u32;
/// Size of the header before the role table.
pub(crate) const HEADER: usize = 256;

/// Role table value: a spare.
pub(crate) const ROLE_SPARE: u16 = 0xffff;
/// Role table value: failed.
pub(crate) const ROLE_FAULTY: u16 = 0xfffe;
/// Role table value: the write journal.
pub(crate) const ROLE_JOURNAL: u16 = 0xfffd;
/// Role table values below this are slots.
pub(crate) const ROLE_MAX: u16 = 0xff00;

// Byte offsets of the fields in the header.
const OFF_MAGIC: usize = 0;
const OFF_MAJOR: usize = 4;
const OFF_FEATURE_MAP: usize = 8;
const OFF_PAD0: usize = 12;
const OFF_SET_UUID: usize = 16;
const OFF_SET_NAME: usize = 32;
const OFF_CTIME: usize = 64;
const OFF_LEVEL: usize = 72;
const OFF_LAYOUT: usize = 76;
const OFF_SIZE: usize = 80;
const OFF_CHUNKSIZE: usize = 88;
const OFF_RAID_DISKS: usize = 92;
const OFF_DATA_OFFSET: usize = 128;
const OFF_DATA_SIZE: usize = 136;
const OFF_SUPER_OFFSET: usize = 144;
const OFF_RECOVERY_OFFSET: usize = 152;
const OFF_DEV_NUMBER: usize = 160;
const OFF_DEVFLAGS: usize = 184;
const OFF_BBLOG_SIZE: usize = 186;
const OFF_BBLOG_OFFSET: usize = 188;
const OFF_UTIME: usize = 192;
const OFF_EVENTS: usize = 200;
const OFF_RESYNC_OFFSET: usize = 208;
const OFF_SB_CSUM: usize = 216;
const OFF_MAX_DEV: usize = 220;
const OFF_PAD3: usize = 224;

/// `devflags` bit: write-mostly.
const WRITE_MOSTLY: u8 = 1;
/// `devflags` bit: fail fast.
const FAILFAST: u8 = 2;
/// ctime and utime: seconds in the low 40 bits, microseconds above.
const TIME_SEC_MASK: u64 = (1 << 40) - 1;
/// md reads at most one page of bad block log (`PAGE_SIZE / 512` sectors).
const BBLOG_MAX_SECTORS: u16 = 8;
/// md refuses a smaller data area (`super_1_load`).
const MIN_DATA_SECTORS: u64 = 10;

fn le16(buf: &[u8], off: usize) -> u16 {
    u16::from_le_bytes(bytes(buf, off))
}
fn le32(buf: &[u8], off: usize) -> u32 {
    u32::from_le_bytes(bytes(buf, off))
}
fn le64(buf: &[u8], off: usize) -> u64 {
    u64::from_le_bytes(bytes(buf, off))
}
fn put16(buf: &mut [u8], off: usize, v: u16) {
    buf[off..off + 2].copy_from_slice(&v.to_le_bytes());
}
fn put32(buf: &mut [u8], off: usize, v: u32) {
    buf[off..off + 4].copy_from_slice(&v.to_le_bytes());
}
fn put64(buf: &mut [u8], off: usize, v: u64) {
    buf[off..off + 8].copy_from_slice(&v.to_le_bytes());
}

/// First sector of a 1.`minor` superblock on a member of `dev_sectors`.
pub(super) fn sb_start(minor: u8, dev_sectors: u64) -> Option<u64> {
    match minor {
        // At least 8 KiB but less than 12 KiB from the end, 4 KiB aligned.
        0 => dev_sectors.checked_sub(16).map(|s| s & !7),
        1 => (dev_sectors >= 8).then_some(0),
        2 => (dev_sectors >= 16).then_some(8),
        _ => None,
    }
}

/// md's `calc_sb_1_csum`: the le32 words (and a last le16) of the header
/// and `max_dev` roles, `sb_csum` counted as 0, the 64-bit sum folded.
pub(crate) fn checksum(buf: &[u8], max_dev: u32) -> u32 {
    let len = HEADER + 2 * max_dev as usize;
    let mut sum = 0u64;
    for (i, chunk) in buf[..len].chunks(4).enumerate() {
        sum += match *chunk {
            _ if i * 4 == OFF_SB_CSUM => 0,
            [a, b, c, d] => u64::from(u32::from_le_bytes([a, b, c, d])),
            [a, b] => u64::from(u16::from_le_bytes([a, b])),
            _ => 0,
        };
    }
    (sum as u32).wrapping_add((sum >> 32) as u32)
}

/// md's `rdev->sb_size`: header and roles rounded up to the block size.
fn sb_size(max_dev: u32, lbs: u32) -> usize {
    // `load` refuses block sizes below 512; the floor keeps the rounding
    // free of a division by zero (and of its panic path) all the same.
    (HEADER + 2 * max_dev as usize).next_multiple_of((lbs as usize).max(512))
}

/// A role table value as a role. md turns the values reserved above the
/// slots (0xff00..0xfffc) into spares too: they are beyond any raid_disks.
fn decode_role(raw: u16) -> Role {
    match raw {
        ROLE_FAULTY => Role::Faulty,
        ROLE_JOURNAL => Role::Journal,
        r if r < ROLE_MAX => Role::Slot(u32::from(r)),
        _ => Role::Spare,
    }
}

fn encode_role(role: Role) -> u16 {
    match role {
        Role::Slot(slot) if slot < u32::from(ROLE_MAX) => slot as u16,
        Role::Slot(_) | Role::Spare => ROLE_SPARE,
        Role::Faulty => ROLE_FAULTY,
        Role::Journal => ROLE_JOURNAL,
    }
}

/// Whether `desc_nr` indexes a table of `max_dev` roles. md keeps desc_nr in
/// an int, so a dev_number from 2^31 up is negative and indexes nothing.
fn in_table(desc_nr: u32, max_dev: u32) -> bool {
    (desc_nr as i32) >= 0 && desc_nr < max_dev
}

/// The raw role `buf`'s table gives `desc_nr`, if it has an entry.
fn table_role(buf: &[u8], max_dev: u32, desc_nr: u32) -> Option<u16> {
    in_table(desc_nr, max_dev).then(|| le16(buf, HEADER + 2 * desc_nr as usize))
}

/// `super_1_load` (its `refdev`-free part), on the `SB_BYTES` at `sb_start`.
pub(super) fn load(
    minor: u8,
    buf: &[u8],
    dev_sectors: u64,
    sb_start: u64,
    lbs: u32,
) -> Result<MemberSb, SbError> {
    if le32(buf, OFF_MAGIC) != MAGIC {
        return Err(SbError::BadMagic);
    }
    if le32(buf, OFF_MAJOR) != 1 {
        return Err(SbError::BadVersion);
    }
    // Bounds the checksummed length, so checked before the checksum.
    let max_dev = le32(buf, OFF_MAX_DEV);
    if max_dev > MAX_DISKS {
        return Err(SbError::BadMaxDev);
    }
    if checksum(buf, max_dev) != le32(buf, OFF_SB_CSUM) {
        return Err(SbError::BadChecksum);
    }
    if le64(buf, OFF_SUPER_OFFSET) != sb_start {
        return Err(SbError::BadOffset);
    }
    // Padding md always writes as zero: anything else is a newer format.
    if le32(buf, OFF_PAD0) != 0 || buf[OFF_PAD3..HEADER].iter().any(|&b| b != 0) {
        return Err(SbError::BadPadding);
    }
    let features = le32(buf, OFF_FEATURE_MAP);
    let refused = features & !FEATURE_SUPPORTED;
    // Bits beyond FEATURE_ALL md refuses itself; the others it would run
    // with support this driver lacks.
    if refused != 0 {
        return Err(SbError::UnsupportedFeature(refused));
    }
    let level = le32(buf, OFF_LEVEL) as i32;
    if features & FEATURE_RAID0_LAYOUT != 0 && level != 0 {
        return Err(SbError::BadGeometry);
    }
    let raid_disks = le32(buf, OFF_RAID_DISKS);
    if raid_disks == 0 || raid_disks > MAX_DISKS {
        return Err(SbError::BadGeometry);
    }

    let data_offset = le64(buf, OFF_DATA_OFFSET);
    let data_size = le64(buf, OFF_DATA_SIZE);
    let size = le64(buf, OFF_SIZE);
    if data_size < MIN_DATA_SECTORS {
        return Err(SbError::DataTooSmall);
    }
    let sb_size = sb_size(max_dev, lbs);
    if minor == 0 {
        // Data before the superblock: md only bounds data_size by the
        // superblock's start; its end must not reach the superblock either.
        if data_size > sb_start {
            return Err(SbError::SizeBeyondDevice);
        }
        match data_offset.checked_add(data_size) {
            Some(end) if end <= sb_start => {}
            _ => return Err(SbError::DataOverlapsSb),
        }
    } else {
        if data_offset < sb_start + (sb_size / 512) as u64 {
            return Err(SbError::DataOverlapsSb);
        }
        // md computes the room as dev_sectors - data_offset unchecked.
        match dev_sectors.checked_sub(data_offset) {
            Some(room) if data_size <= room => {}
            _ => return Err(SbError::SizeBeyondDevice),
        }
    }
    // md never records an array size beyond a member's data area (its
    // resize refuses it); the personality would do I/O past it.
    if size > data_size {
        return Err(SbError::SizeBeyondDevice);
    }

    // An empty reserved log (mdadm's default) is never read; md still
    // bounds it (FEATURE_BAD_BLOCKS itself is refused above).
    debug_assert!(features & FEATURE_BAD_BLOCKS == 0);
    if le32(buf, OFF_BBLOG_OFFSET) != 0 && le16(buf, OFF_BBLOG_SIZE) > BBLOG_MAX_SECTORS {
        return Err(SbError::BadBadBlockLog);
    }

    let desc_nr = le32(buf, OFF_DEV_NUMBER);
    let own = table_role(buf, max_dev, desc_nr);
    let raw_layout = le32(buf, OFF_LAYOUT);
    let devflags = buf[OFF_DEVFLAGS];
    Ok(MemberSb {
        format: Format::V1 { minor },
        uuid: bytes(buf, OFF_SET_UUID),
        name: bytes(buf, OFF_SET_NAME),
        ctime: le64(buf, OFF_CTIME) & TIME_SEC_MASK,
        utime: le64(buf, OFF_UTIME) & TIME_SEC_MASK,
        level,
        layout: if level == 0 && features & FEATURE_RAID0_LAYOUT == 0 {
            -1
        } else {
            raw_layout as i32
        },
        chunk_sectors: le32(buf, OFF_CHUNKSIZE),
        raid_disks,
        array_dev_sectors: size,
        events: le64(buf, OFF_EVENTS),
        resync_offset: le64(buf, OFF_RESYNC_OFFSET),
        desc_nr,
        role: own.map_or(Role::Spare, decode_role),
        holds_role: own.is_some_and(|r| r < ROLE_MAX || r == ROLE_JOURNAL),
        recovery_offset: (features & FEATURE_RECOVERY_OFFSET != 0)
            .then(|| le64(buf, OFF_RECOVERY_OFFSET)),
        data_offset,
        data_sectors: data_size,
        sb_start,
        sb_size,
        lbs,
        preferred_minor: None,
        write_mostly: devflags & WRITE_MOSTLY != 0,
        failfast: devflags & FAILFAST != 0,
        max_dev,
        feature_map: features,
        key: CompareKey::V1 { layout: raw_layout },
    })
}

/// `super_1_validate`'s role for `m` while assembling, `fresh` and
/// `fresh_buf` being the freshest member's (the stale check is common).
pub(super) fn assembled_role(
    fresh: &MemberSb,
    fresh_buf: &[u8],
    m: &MemberSb,
) -> Result<Role, SbError> {
    let role = if !in_table(m.desc_nr, m.max_dev) {
        Role::Spare
    } else if m.events < fresh.events {
        // One event behind: this member may have been failed in the last
        // update, which its own superblock did not see; md trusts the
        // freshest's table.
        if m.desc_nr >= fresh.max_dev {
            return Err(SbError::BadRole);
        }
        if fresh_buf.len() < HEADER + 2 * fresh.max_dev as usize {
            return Err(SbError::ShortBuffer);
        }
        decode_role(le16(fresh_buf, HEADER + 2 * m.desc_nr as usize))
    } else {
        m.role
    };
    if role == Role::Journal && m.feature_map & FEATURE_JOURNAL == 0 {
        return Err(SbError::BadRole);
    }
    Ok(role)
}

/// `super_1_sync`: edits the loaded superblock in place.
pub(super) fn sync(buf: &mut [u8], this: &MemberSb, me: &SbDisk, upd: &SbUpdate<'_>) -> usize {
    // md rebuilds the feature map from what it runs. It drops RAID0_LAYOUT
    // there, and would then read the array back as layout-less; keep it.
    let mut features = this.feature_map & FEATURE_RAID0_LAYOUT;
    put32(buf, OFF_PAD0, 0);
    put64(buf, OFF_RECOVERY_OFFSET, 0);
    buf[OFF_PAD3..HEADER].fill(0);

    put64(buf, OFF_UTIME, upd.utime);
    put64(buf, OFF_EVENTS, upd.events);
    put64(
        buf,
        OFF_RESYNC_OFFSET,
        if upd.clean { upd.resync_offset } else { 0 },
    );
    put32(buf, OFF_RAID_DISKS, upd.raid_disks);
    put64(buf, OFF_SIZE, upd.array_dev_sectors);
    put32(buf, OFF_CHUNKSIZE, this.chunk_sectors);
    put32(buf, OFF_LEVEL, this.level as u32);
    put32(buf, OFF_LAYOUT, this.layout as u32);
    let mut devflags = buf[OFF_DEVFLAGS] & !(WRITE_MOSTLY | FAILFAST);
    if me.write_mostly {
        devflags |= WRITE_MOSTLY;
    }
    if me.failfast {
        devflags |= FAILFAST;
    }
    buf[OFF_DEVFLAGS] = devflags;
    put64(buf, OFF_DATA_OFFSET, this.data_offset);
    put64(buf, OFF_DATA_SIZE, this.data_sectors);

    if let (Role::Slot(_), Some(offset)) = (me.role, me.recovery_offset) {
        features |= FEATURE_RECOVERY_OFFSET;
        put64(buf, OFF_RECOVERY_OFFSET, offset);
    }
    put32(buf, OFF_FEATURE_MAP, features);

    // Grow the role table to the highest member number, never shrink it.
    let wanted = upd
        .disks
        .iter()
        .map(|d| d.desc_nr)
        .filter(|&nr| in_table(nr, MAX_DISKS))
        .map(|nr| nr + 1)
        .max()
        .unwrap_or(0);
    let max_dev = le32(buf, OFF_MAX_DEV).max(wanted);
    put32(buf, OFF_MAX_DEV, max_dev);
    for i in 0..max_dev as usize {
        put16(buf, HEADER + 2 * i, ROLE_SPARE);
    }
    for d in upd.disks.iter().filter(|d| in_table(d.desc_nr, max_dev)) {
        put16(buf, HEADER + 2 * d.desc_nr as usize, encode_role(d.role));
    }

    put32(buf, OFF_SB_CSUM, checksum(buf, max_dev));
    sb_size(max_dev, this.lbs)
}
