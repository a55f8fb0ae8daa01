// SPDX-License-Identifier: GPL-2.0

//! md's persistent superblocks: the types common to the 0.90 (`sb0`) and
//! 1.x (`sb1`) formats, and the dispatch by format. A member's superblock is
//! parsed and checked once (`load`), compared with the other members'
//! (`same_array`), the freshest is picked (`freshest`) and each member's
//! role in the assembled array decided (`assembled_role`), as md's
//! `load_super`, `analyze_sbs` and `validate_super` do; `sync` rewrites a
//! loaded superblock as md's `sync_super` does.
//!
//! Pure logic: no `kernel::`, so host tests check it (tests/host).

use super::{sb0, sb1};
use core::fmt;

/// Bytes read from (and at most written to) the superblock offset.
pub(crate) const SB_BYTES: usize = 4096;
/// md's `MaxSector`: the resync offset of a clean array.
pub(crate) const MAX_SECTOR: u64 = u64::MAX;

// 1.x feature_map bits (md_p.h). 0.90 conditions are reported with the
// 1.x bit of the same meaning, so one error shape covers both formats.
/// Feature: an internal write-intent bitmap.
pub(crate) const FEATURE_BITMAP_OFFSET: u32 = 1;
/// Feature: `recovery_offset` is meaningful (the member is being rebuilt).
pub(crate) const FEATURE_RECOVERY_OFFSET: u32 = 2;
/// Feature: a reshape is in progress.
pub(crate) const FEATURE_RESHAPE_ACTIVE: u32 = 4;
/// Feature: the bad block log is not empty.
pub(crate) const FEATURE_BAD_BLOCKS: u32 = 8;
/// Feature: the member replaces an active member with the same role.
pub(crate) const FEATURE_REPLACEMENT: u32 = 16;
/// Feature: the reshape goes backwards.
pub(crate) const FEATURE_RESHAPE_BACKWARDS: u32 = 32;
/// Feature: `new_offset` is meaningful (reshape).
pub(crate) const FEATURE_NEW_OFFSET: u32 = 64;
/// Feature: the recovery is guided by the bitmap.
pub(crate) const FEATURE_RECOVERY_BITMAP: u32 = 128;
/// Feature: clustered md.
pub(crate) const FEATURE_CLUSTERED: u32 = 256;
/// Feature: raid4/5/6 write journal.
pub(crate) const FEATURE_JOURNAL: u32 = 512;
/// Feature: raid5 partial parity log.
pub(crate) const FEATURE_PPL: u32 = 1024;
/// Feature: raid5 multiple partial parity logs.
pub(crate) const FEATURE_MULTIPLE_PPLS: u32 = 2048;
/// Feature: the raid0 layout word is meaningful.
pub(crate) const FEATURE_RAID0_LAYOUT: u32 = 4096;
/// Every feature bit md 6.12 knows (`MD_FEATURE_ALL`).
pub(crate) const FEATURE_ALL: u32 = 0x1fff;
/// The features this driver runs: a member being rebuilt (its
/// `recovery_offset` is reported) and the raid0 layout. Everything else
/// needs a bitmap, reshape, cluster, journal, PPL, replacement or bad-block
/// support it does not have, and is refused at load.
pub(crate) const FEATURE_SUPPORTED: u32 = FEATURE_RECOVERY_OFFSET | FEATURE_RAID0_LAYOUT;

/// A superblock format, as `SET_ARRAY_INFO` selects it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Format {
    /// 0.90: 4 KiB near the end of the member, host endian.
    V090,
    /// 1.x, little endian; `minor` 0 (at the end), 1 (at 0) or 2 (at 4 KiB).
    V1 {
        /// 0, 1 or 2.
        minor: u8,
    },
}

impl Format {
    /// The format `SET_ARRAY_INFO`'s `major_version`/`minor_version` name.
    /// md indexes its superblock types by the major alone and never looks
    /// at the minor of 0.90 (the superblock's own 90 or 91 is checked at
    /// load), so any minor goes with major 0; 1.x takes minor 0, 1 or 2
    /// (md's `super_1_load` refuses the others).
    pub(crate) fn from_version(major: i32, minor: i32) -> Option<Format> {
        match (major, minor) {
            (0, _) => Some(Format::V090),
            (1, 0..=2) => Some(Format::V1 { minor: minor as u8 }),
            _ => None,
        }
    }

    /// `(major, minor)` as mdadm and `/proc/mdstat` name the format.
    pub(crate) fn version(self) -> (i32, i32) {
        match self {
            Format::V090 => (0, 90),
            Format::V1 { minor } => (1, i32::from(minor)),
        }
    }

    /// First sector of the superblock on a member of `dev_sectors` 512-byte
    /// sectors; `None` if the device is too small to hold one.
    pub(crate) fn sb_start(self, dev_sectors: u64) -> Option<u64> {
        match self {
            Format::V090 => sb0::sb_start(dev_sectors),
            Format::V1 { minor } => sb1::sb_start(minor, dev_sectors),
        }
    }
}

/// A member's role in the array.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Role {
    /// Holds slot `n` (0-based raid disk) of the array.
    Slot(u32),
    /// A spare: no slot.
    Spare,
    /// Failed: kept out of I/O.
    Faulty,
    /// A raid4/5/6 write journal (never accepted here: see `FEATURE_JOURNAL`).
    Journal,
}

/// Why a superblock is refused. Any of them keeps the member out of the
/// array; `message` is the text for the log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SbError {
    /// The buffer is shorter than `SB_BYTES`.
    ShortBuffer,
    /// The device is too small to hold a superblock.
    TooSmall,
    /// The logical block size is not a power of two in 512..=4096.
    BadBlockSize,
    /// No md magic number.
    BadMagic,
    /// A major/minor version this format does not read.
    BadVersion,
    /// The checksum does not match.
    BadChecksum,
    /// 1.x `max_dev` beyond what fits in 4 KiB.
    BadMaxDev,
    /// 1.x `super_offset` is not where the superblock was read.
    BadOffset,
    /// Non-zero 1.x padding: written by a newer md.
    BadPadding,
    /// Feature bits (1.x `feature_map` values) md knows but this driver
    /// cannot run, or that md does not know either.
    UnsupportedFeature(u32),
    /// Impossible raid_disks or layout flags.
    BadGeometry,
    /// A bad block log md would refuse.
    BadBadBlockLog,
    /// 1.x `data_size` below md's minimum of 10 sectors.
    DataTooSmall,
    /// The data area overlaps the superblock.
    DataOverlapsSb,
    /// The data area, or the array's size per member, goes beyond the device.
    SizeBeyondDevice,
    /// Another array: the uuid differs.
    DifferentUuid,
    /// The same uuid but a different geometry (level, layout, chunk, ...).
    DifferentArray,
    /// The device number is beyond what the format can describe.
    TooManyDevices,
    /// A role md refuses (journal without the journal feature, or a device
    /// number beyond the freshest member's table).
    BadRole,
    /// Older than the freshest member by more than md tolerates.
    Stale,
}

impl SbError {
    /// Short lower-case text for a one-line log message ("md: vda: ...").
    pub(crate) fn message(self) -> &'static str {
        match self {
            SbError::ShortBuffer => "superblock buffer too short",
            SbError::TooSmall => "device too small for an md superblock",
            SbError::BadBlockSize => "unsupported logical block size",
            SbError::BadMagic => "no md superblock (bad magic)",
            SbError::BadVersion => "unsupported superblock version",
            SbError::BadChecksum => "invalid superblock checksum",
            SbError::BadMaxDev => "superblock device table too large",
            SbError::BadOffset => "superblock records a different offset",
            SbError::BadPadding => "non-zero superblock padding (newer md?)",
            SbError::UnsupportedFeature(bits) => feature_message(bits),
            SbError::BadGeometry => "invalid array geometry in superblock",
            SbError::BadBadBlockLog => "invalid bad block log",
            SbError::DataTooSmall => "data size too small",
            SbError::DataOverlapsSb => "data overlaps the superblock",
            SbError::SizeBeyondDevice => "data area beyond the end of the device",
            SbError::DifferentUuid => "superblock of another array (different uuid)",
            SbError::DifferentArray => "same uuid but different superblock",
            SbError::TooManyDevices => "device number too large",
            SbError::BadRole => "invalid device role",
            SbError::Stale => "non-fresh member, kicked from the array",
        }
    }
}

impl fmt::Display for SbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

/// Names the lowest of the refused feature bits.
fn feature_message(bits: u32) -> &'static str {
    match bits & bits.wrapping_neg() {
        FEATURE_BITMAP_OFFSET => "unsupported feature: write-intent bitmap",
        FEATURE_RECOVERY_OFFSET => "unsupported feature: recovery offset",
        FEATURE_RESHAPE_ACTIVE | FEATURE_RESHAPE_BACKWARDS | FEATURE_NEW_OFFSET => {
            "unsupported feature: reshape in progress"
        }
        FEATURE_BAD_BLOCKS => "unsupported feature: bad block list",
        FEATURE_REPLACEMENT => "unsupported feature: replacement device",
        FEATURE_RECOVERY_BITMAP => "unsupported feature: bitmap-guided recovery",
        FEATURE_CLUSTERED => "unsupported feature: clustered array",
        FEATURE_JOURNAL => "unsupported feature: write journal",
        FEATURE_PPL | FEATURE_MULTIPLE_PPLS => "unsupported feature: partial parity log",
        FEATURE_RAID0_LAYOUT => "unsupported feature: raid0 layout",
        _ => "unsupported feature: unknown",
    }
}

/// What `same_array` compares, per format: md compares other fields than
/// the ones `MemberSb` reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum CompareKey {
    /// 0.90: `md_sb_equal`'s 32 generic constant words, `nr_disks` zeroed.
    V090([u32; 32]),
    /// 1.x: the layout word as stored (md compares it before deriving -1
    /// for raid0).
    V1 {
        /// The raw `layout` word.
        layout: u32,
    },
}

/// What one member's superblock says: parsed, validated, in host types.
#[derive(Clone, Copy, Debug)]
pub(crate) struct MemberSb {
    /// The format it was read with.
    pub(crate) format: Format,
    /// The array's uuid, bytes in superblock order.
    pub(crate) uuid: [u8; 16],
    /// 1.x `set_name` (NUL padded); zeros for 0.90.
    pub(crate) name: [u8; 32],
    /// Creation time in seconds (1.x: the low 40 bits).
    pub(crate) ctime: u64,
    /// Last update time in seconds (1.x: the low 40 bits).
    pub(crate) utime: u64,
    /// -1 linear, 0 raid0, 1 raid1, ...
    pub(crate) level: i32,
    /// As md derives it: -1 for raid0 unless the format records a raid0
    /// layout (1.x `FEATURE_RAID0_LAYOUT`; never for 0.90).
    pub(crate) layout: i32,
    /// Chunk size in sectors.
    pub(crate) chunk_sectors: u32,
    /// Slots in the array.
    pub(crate) raid_disks: u32,
    /// Sectors of each member the array uses (md's `dev_sectors`; 0.90 size
    /// KiB * 2; 1.x `size`; mdadm writes 0 for raid0).
    pub(crate) array_dev_sectors: u64,
    /// Update count.
    pub(crate) events: u64,
    /// Sectors known in sync; `MAX_SECTOR` when clean.
    pub(crate) resync_offset: u64,
    /// The member's number in the array (1.x `dev_number`, 0.90
    /// `this_disk.number`); may be beyond the format's table.
    pub(crate) desc_nr: u32,
    /// This member's role according to its own superblock.
    pub(crate) role: Role,
    /// md's "not a spare disk": the own superblock gives this member a slot
    /// (whatever its faulty bit says for 0.90) or the journal. Only such
    /// members can be the freshest and be kicked as stale.
    pub(crate) holds_role: bool,
    /// 1.x `FEATURE_RECOVERY_OFFSET`: the member is being rebuilt and only
    /// the sectors before this offset (from `data_offset`) are in sync. A
    /// `Role::Slot` member with `Some` must not serve reads beyond it.
    pub(crate) recovery_offset: Option<u64>,
    /// First data sector on the member (0 for 0.90).
    pub(crate) data_offset: u64,
    /// Usable data sectors (md's `rdev->sectors`: 1.x `data_size`; 0.90 the
    /// superblock's start, at most 2^33 - 2 unless raid0).
    pub(crate) data_sectors: u64,
    /// First sector of the superblock.
    pub(crate) sb_start: u64,
    /// Bytes md writes back (`rdev->sb_size`): 4096 for 0.90, the 1.x header
    /// and role table rounded up to the logical block size.
    pub(crate) sb_size: usize,
    /// The member's logical block size in bytes, as given to `load`.
    pub(crate) lbs: u32,
    /// 0.90 `md_minor`; `None` for 1.x.
    pub(crate) preferred_minor: Option<u32>,
    /// Prefer other members for reads.
    pub(crate) write_mostly: bool,
    /// Fail fast instead of retrying.
    pub(crate) failfast: bool,
    /// Entries of the role table (1.x `max_dev`, 0.90: 27).
    pub(crate) max_dev: u32,
    /// 1.x `feature_map` (only `FEATURE_SUPPORTED` bits pass `load`); 0 for
    /// 0.90.
    pub(crate) feature_map: u32,
    /// What `same_array` compares.
    pub(super) key: CompareKey,
}

/// Parses and validates the `SB_BYTES` read at `format.sb_start(dev_sectors)`
/// of a member of `dev_sectors` sectors and logical block size `lbs` bytes,
/// as md's `load_super` does (`super_90_load`, `super_1_load`), plus the
/// per-member data/metadata overlap check of `md_run` against the member's
/// own array size. Features this driver cannot run are refused: see
/// `FEATURE_SUPPORTED`. In particular a non-empty bad block log is refused:
/// md would load it and avoid those sectors, ignoring it could return
/// unreadable data; an empty reserved log (mdadm's default) is fine.
/// Stricter than md only where md would fail later or do I/O out of bounds:
/// raid_disks within the format's table, a 1.0 data area ending before the
/// superblock, the array size within the data area, offsets that would
/// wrap.
pub(crate) fn load(
    format: Format,
    buf: &[u8],
    dev_sectors: u64,
    lbs: u32,
) -> Result<MemberSb, SbError> {
    if buf.len() < SB_BYTES {
        return Err(SbError::ShortBuffer);
    }
    if !lbs.is_power_of_two() || !(512..=4096).contains(&lbs) {
        return Err(SbError::BadBlockSize);
    }
    let sb_start = format.sb_start(dev_sectors).ok_or(match format {
        Format::V1 { minor } if minor > 2 => SbError::BadVersion,
        _ => SbError::TooSmall,
    })?;
    let buf = &buf[..SB_BYTES];
    match format {
        Format::V090 => sb0::load(buf, sb_start, lbs),
        Format::V1 { minor } => sb1::load(minor, buf, dev_sectors, sb_start, lbs),
    }
}

/// md's `load_super(rdev, refdev)` comparison: `Ok` when `b` belongs to the
/// same array as `a`. 1.x compares uuid, level, layout and chunk size
/// (`super_1_load`); 0.90 the uuid, then all 32 generic constant words but
/// `nr_disks` (`md_uuid_equal`, `md_sb_equal`).
pub(crate) fn check_same_array(a: &MemberSb, b: &MemberSb) -> Result<(), SbError> {
    if a.uuid != b.uuid {
        return Err(SbError::DifferentUuid);
    }
    let same = match (a.key, b.key) {
        (CompareKey::V090(x), CompareKey::V090(y)) => x == y,
        (CompareKey::V1 { layout: x }, CompareKey::V1 { layout: y }) => {
            x == y && a.level == b.level && a.chunk_sectors == b.chunk_sectors
        }
        _ => false,
    };
    if same && a.format == b.format {
        Ok(())
    } else {
        Err(SbError::DifferentArray)
    }
}

/// True when `b` belongs to the same array as `a`: see `check_same_array`.
pub(crate) fn same_array(a: &MemberSb, b: &MemberSb) -> bool {
    check_same_array(a, b).is_ok()
}

/// Which member `analyze_sbs` takes as the freshest: the highest event
/// count among the members whose own superblock gives them a role
/// (`holds_role`; spares never count), the first one on ties. `None` when
/// there is no such member ("cannot find a valid disk").
pub(crate) fn freshest(members: &[MemberSb]) -> Option<usize> {
    let mut best: Option<usize> = None;
    for (i, m) in members.iter().enumerate() {
        // A match: is_none_or is newer than the kernel clippy msrv (1.78).
        let newer = match best {
            Some(b) => m.events > members[b].events,
            None => true,
        };
        if m.holds_role && newer {
            best = Some(i);
        }
    }
    best
}

/// The role `m` takes in the array assembled around `fresh` (the freshest
/// member's parsed superblock) and `fresh_buf` (its raw `SB_BYTES`, whose
/// 1.x role table md consults), as `analyze_sbs` and `validate_super`
/// decide before a personality runs. Works for `m` being `fresh` itself.
///
/// `Err` keeps `m` out of the array: a different array (md's "fatal
/// superblock inconsistency"), a device number beyond the format's table
/// ("only N devices permitted"), `Stale` for a member with a role that is
/// more than one event behind ("kicking non-fresh"), `BadRole`.
pub(crate) fn assembled_role(
    fresh: &MemberSb,
    fresh_buf: &[u8],
    m: &MemberSb,
) -> Result<Role, SbError> {
    check_same_array(fresh, m)?;
    let too_many = match m.format {
        // md would index its disk table with a "negative" number: refuse.
        Format::V090 => m.desc_nr >= sb0::MAX_DISKS,
        // md keeps desc_nr in an int: a dev_number from 2^31 up is negative
        // there, passes this check and makes a spare (sb1::assembled_role).
        Format::V1 { .. } => (m.desc_nr as i32) >= sb1::MAX_DISKS as i32,
    };
    if too_many {
        return Err(SbError::TooManyDevices);
    }
    // Spares need no event count; md allows one event of lag (mdadm does
    // too: a member that missed only the last update is still good).
    if m.holds_role && m.events.saturating_add(1) < fresh.events {
        return Err(SbError::Stale);
    }
    let role = match m.format {
        Format::V090 => m.role,
        Format::V1 { .. } => sb1::assembled_role(fresh, fresh_buf, m)?,
    };
    // A slot beyond the array's raid_disks is a spare (analyze_sbs).
    Ok(match role {
        Role::Slot(slot) if slot >= fresh.raid_disks => Role::Spare,
        role => role,
    })
}

/// `md_run`'s check of a member against the array's size per member
/// (`array_dev_sectors` of the freshest): true when the data area, as the
/// array uses it, does not overlap the superblock. `load` checks it with
/// the member's own size already; an array assembled from members whose
/// sizes differ must check it again with the freshest's.
pub(crate) fn data_fits(m: &MemberSb, array_dev_sectors: u64) -> bool {
    if m.data_offset < m.sb_start {
        array_dev_sectors == 0
            || m.data_offset
                .checked_add(array_dev_sectors)
                .is_some_and(|end| end <= m.sb_start)
    } else {
        m.sb_start + (m.sb_size as u64 / 512) <= m.data_offset
    }
}

/// One member of the array as a superblock write describes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct SbDisk {
    /// The member's number (`MemberSb::desc_nr`; for 0.90 after
    /// `renumber_090`).
    pub(crate) desc_nr: u32,
    /// Its role now.
    pub(crate) role: Role,
    /// For a `Role::Slot` member still being rebuilt: sectors recovered so
    /// far (from `data_offset`); `None` when in sync.
    pub(crate) recovery_offset: Option<u64>,
    /// Its block device number (0.90 records it in its disk table).
    pub(crate) dev_major: u32,
    /// Its block device number, minor part.
    pub(crate) dev_minor: u32,
    /// Prefer other members for reads.
    pub(crate) write_mostly: bool,
    /// Fail fast instead of retrying.
    pub(crate) failfast: bool,
}

impl SbDisk {
    /// md's `In_sync`: a slot that needs no rebuilding.
    pub(crate) fn in_sync(&self) -> bool {
        matches!(self.role, Role::Slot(_)) && self.recovery_offset.is_none()
    }
}

/// The array's state a superblock write records (md's `mddev` fields that
/// `sync_super` copies). The event count is the new one: md increments it
/// before writing.
#[derive(Clone, Copy, Debug)]
pub(crate) struct SbUpdate<'a> {
    /// Update count to record.
    pub(crate) events: u64,
    /// Update time in seconds.
    pub(crate) utime: u64,
    /// md's `in_sync`: no write in flight since the last clean mark. When
    /// false the superblock records resync offset 0 (dirty).
    pub(crate) clean: bool,
    /// When `clean`: sectors known in sync, `MAX_SECTOR` when fully synced.
    pub(crate) resync_offset: u64,
    /// Slots in the array.
    pub(crate) raid_disks: u32,
    /// Sectors of each member the array uses (md's `dev_sectors`).
    pub(crate) array_dev_sectors: u64,
    /// 0.90: the minor of the array now (md records the current one as the
    /// preferred minor); ignored by 1.x.
    pub(crate) md_minor: u32,
    /// Every member of the array (including the one written), in md's
    /// member list order.
    pub(crate) disks: &'a [SbDisk],
}

/// Rewrites the loaded superblock `buf` (the `SB_BYTES` `load` accepted for
/// `this`) as md's `sync_super` does before writing it, `me` being the
/// member's current state and `upd` the array's; recomputes the checksum.
/// Returns how many bytes from the superblock's start to write (md's
/// `sb_size`: 4096 for 0.90; for 1.x the header and role table rounded up
/// to the logical block size, the table grown when a member's number needs
/// it), or 0 (nothing written) if `buf` is shorter than `SB_BYTES`.
///
/// 1.x edits `buf` in place, keeping the uuid, name, ctime, offsets, bad
/// block log and device uuid (`super_1_sync`); 0.90 rebuilds it from
/// scratch, its disk table from `upd.disks` (`super_90_sync`; call
/// `renumber_090` first, as md renumbers 0.90 members on every write).
pub(crate) fn sync(
    format: Format,
    buf: &mut [u8],
    this: &MemberSb,
    me: &SbDisk,
    upd: &SbUpdate<'_>,
) -> usize {
    let Some(buf) = buf.get_mut(..SB_BYTES) else {
        return 0;
    };
    match format {
        Format::V090 => sb0::sync(buf, this, me, upd),
        Format::V1 { .. } => sb1::sync(buf, this, me, upd),
    }
}

/// md's 0.90 numbering, redone on every superblock write (`super_90_sync`):
/// a member in sync takes its slot as number, the others (spares, faulty,
/// rebuilding) take `raid_disks`, `raid_disks + 1`, ... in list order.
pub(crate) fn renumber_090(raid_disks: u32, disks: &mut [SbDisk]) {
    let mut next_spare = raid_disks;
    for d in disks.iter_mut() {
        d.desc_nr = match d.role {
            Role::Slot(slot) if d.in_sync() => slot,
            _ => {
                next_spare += 1;
                next_spare - 1
            }
        };
    }
}

/// `N` bytes of `buf` at `off` (callers checked the length).
pub(super) fn bytes<const N: usize>(buf: &[u8], off: usize) -> [u8; N] {
    let mut b = [0; N];
    b.copy_from_slice(&buf[off..off + N]);
    b
}
