// SPDX-License-Identifier: GPL-2.0

//! md's user-space ABI (include/uapi/linux/raid/md_u.h): ioctl numbers and
//! the structures they carry, with their checks.
//!
//! Pure logic: no `kernel::`, so host tests check it (tests/host). Structures
//! travel as native-endian byte arrays of their exact C size.

/// md's block major, the ioctl "type".
const MD_MAJOR: u32 = 9;

const fn ioc(dir: u32, nr: u32, size: usize) -> u32 {
    (dir << 30) | ((size as u32) << 16) | (MD_MAJOR << 8) | nr
}
const fn io(nr: u32) -> u32 {
    ioc(0, nr, 0)
}
const fn ior(nr: u32, size: usize) -> u32 {
    ioc(2, nr, size)
}
const fn iow(nr: u32, size: usize) -> u32 {
    ioc(1, nr, size)
}

/// Size of `mdu_version_t`.
pub(crate) const VERSION_SIZE: usize = 12;
/// Size of `mdu_array_info_t`.
pub(crate) const ARRAY_INFO_SIZE: usize = 72;
/// Size of `mdu_disk_info_t`.
pub(crate) const DISK_INFO_SIZE: usize = 20;
/// Size of `mdu_param_t`.
pub(crate) const PARAM_SIZE: usize = 12;
/// Size of `mdu_bitmap_file_t`.
pub(crate) const BITMAP_FILE_SIZE: usize = 4096;

// The obsolete RAID_AUTORUN, CLEAR_ARRAY, SET_DISK_INFO, WRITE_RAID_INFO,
// (UN)PROTECT_ARRAY and HOT_GENERATE_ERROR are refused like any unknown
// ioctl, as md refuses them.

/// `RAID_VERSION`
pub(crate) const RAID_VERSION: u32 = ior(0x10, VERSION_SIZE);
/// `GET_ARRAY_INFO`
pub(crate) const GET_ARRAY_INFO: u32 = ior(0x11, ARRAY_INFO_SIZE);
/// `GET_DISK_INFO`
pub(crate) const GET_DISK_INFO: u32 = ior(0x12, DISK_INFO_SIZE);
/// `GET_BITMAP_FILE`
pub(crate) const GET_BITMAP_FILE: u32 = ior(0x15, BITMAP_FILE_SIZE);
/// `ADD_NEW_DISK`
pub(crate) const ADD_NEW_DISK: u32 = iow(0x21, DISK_INFO_SIZE);
/// `HOT_REMOVE_DISK`
pub(crate) const HOT_REMOVE_DISK: u32 = io(0x22);
/// `SET_ARRAY_INFO`
pub(crate) const SET_ARRAY_INFO: u32 = iow(0x23, ARRAY_INFO_SIZE);
/// `HOT_ADD_DISK`
pub(crate) const HOT_ADD_DISK: u32 = io(0x28);
/// `SET_DISK_FAULTY`
pub(crate) const SET_DISK_FAULTY: u32 = io(0x29);
/// `SET_BITMAP_FILE`
pub(crate) const SET_BITMAP_FILE: u32 = iow(0x2b, 4);
/// `RUN_ARRAY`
pub(crate) const RUN_ARRAY: u32 = iow(0x30, PARAM_SIZE);
/// `STOP_ARRAY`
pub(crate) const STOP_ARRAY: u32 = io(0x32);
/// `STOP_ARRAY_RO`
pub(crate) const STOP_ARRAY_RO: u32 = io(0x33);
/// `RESTART_ARRAY_RW`
pub(crate) const RESTART_ARRAY_RW: u32 = io(0x34);
/// `CLUSTERED_DISK_NACK`
pub(crate) const CLUSTERED_DISK_NACK: u32 = io(0x35);

/// md's driver version as `RAID_VERSION` reports it (0.90.3).
pub(crate) const MD_VERSION: MduVersion = MduVersion {
    major: 0,
    minor: 90,
    patchlevel: 3,
};

/// `LEVEL_NONE`: no level set.
pub(crate) const LEVEL_NONE: i32 = -1_000_000;

/// Who may issue an ioctl (md's `md_ioctl_valid`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum IoctlAccess {
    /// A query anyone with the device open may make.
    Query,
    /// A change that needs `CAP_SYS_ADMIN` (else `EACCES`).
    Admin,
    /// Not an md ioctl (`ENOTTY`).
    Unknown,
}

/// Classifies `cmd` as md does before anything else.
pub(crate) fn ioctl_access(cmd: u32) -> IoctlAccess {
    match cmd {
        RAID_VERSION | GET_ARRAY_INFO | GET_DISK_INFO => IoctlAccess::Query,
        ADD_NEW_DISK | GET_BITMAP_FILE | HOT_ADD_DISK | HOT_REMOVE_DISK | RESTART_ARRAY_RW
        | RUN_ARRAY | SET_ARRAY_INFO | SET_BITMAP_FILE | SET_DISK_FAULTY | STOP_ARRAY
        | STOP_ARRAY_RO | CLUSTERED_DISK_NACK => IoctlAccess::Admin,
        _ => IoctlAccess::Unknown,
    }
}

fn get_i32(b: &[u8], i: usize) -> i32 {
    let mut w = [0u8; 4];
    w.copy_from_slice(&b[i * 4..i * 4 + 4]);
    i32::from_ne_bytes(w)
}

fn put_i32(b: &mut [u8], i: usize, v: i32) {
    b[i * 4..i * 4 + 4].copy_from_slice(&v.to_ne_bytes());
}

/// `mdu_version_t`
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct MduVersion {
    /// Major version.
    pub(crate) major: i32,
    /// Minor version.
    pub(crate) minor: i32,
    /// Patch level.
    pub(crate) patchlevel: i32,
}

impl MduVersion {
    /// The structure as user space lays it out.
    pub(crate) fn to_bytes(self) -> [u8; VERSION_SIZE] {
        let mut b = [0u8; VERSION_SIZE];
        put_i32(&mut b, 0, self.major);
        put_i32(&mut b, 1, self.minor);
        put_i32(&mut b, 2, self.patchlevel);
        b
    }
}

/// `mdu_array_info_t`: 18 32-bit fields (`ctime` and `utime` unsigned).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct MduArrayInfo {
    /// Superblock major version (0 or 1).
    pub(crate) major_version: i32,
    /// Superblock minor version.
    pub(crate) minor_version: i32,
    /// Superblock patch version.
    pub(crate) patch_version: i32,
    /// Creation time, seconds.
    pub(crate) ctime: u32,
    /// RAID level.
    pub(crate) level: i32,
    /// Size of each member in KiB.
    pub(crate) size: i32,
    /// Number of members known.
    pub(crate) nr_disks: i32,
    /// Number of member slots.
    pub(crate) raid_disks: i32,
    /// Minor number of the array.
    pub(crate) md_minor: i32,
    /// Non-zero for arrays without a superblock.
    pub(crate) not_persistent: i32,
    /// Last update time, seconds.
    pub(crate) utime: u32,
    /// State bits (`MD_SB_CLEAN`, ...).
    pub(crate) state: i32,
    /// Members in use.
    pub(crate) active_disks: i32,
    /// Members working.
    pub(crate) working_disks: i32,
    /// Members failed.
    pub(crate) failed_disks: i32,
    /// Spare members.
    pub(crate) spare_disks: i32,
    /// Layout of the level.
    pub(crate) layout: i32,
    /// Chunk size in bytes.
    pub(crate) chunk_size: i32,
}

impl MduArrayInfo {
    /// Reads the structure user space passed.
    pub(crate) fn from_bytes(b: &[u8; ARRAY_INFO_SIZE]) -> Self {
        Self {
            major_version: get_i32(b, 0),
            minor_version: get_i32(b, 1),
            patch_version: get_i32(b, 2),
            ctime: get_i32(b, 3) as u32,
            level: get_i32(b, 4),
            size: get_i32(b, 5),
            nr_disks: get_i32(b, 6),
            raid_disks: get_i32(b, 7),
            md_minor: get_i32(b, 8),
            not_persistent: get_i32(b, 9),
            utime: get_i32(b, 10) as u32,
            state: get_i32(b, 11),
            active_disks: get_i32(b, 12),
            working_disks: get_i32(b, 13),
            failed_disks: get_i32(b, 14),
            spare_disks: get_i32(b, 15),
            layout: get_i32(b, 16),
            chunk_size: get_i32(b, 17),
        }
    }

    /// The structure as user space lays it out.
    pub(crate) fn to_bytes(self) -> [u8; ARRAY_INFO_SIZE] {
        let mut b = [0u8; ARRAY_INFO_SIZE];
        let fields = [
            self.major_version,
            self.minor_version,
            self.patch_version,
            self.ctime as i32,
            self.level,
            self.size,
            self.nr_disks,
            self.raid_disks,
            self.md_minor,
            self.not_persistent,
            self.utime as i32,
            self.state,
            self.active_disks,
            self.working_disks,
            self.failed_disks,
            self.spare_disks,
            self.layout,
            self.chunk_size,
        ];
        for (i, v) in fields.iter().enumerate() {
            put_i32(&mut b, i, *v);
        }
        b
    }
}

/// Superblock formats md knows, by major version (md's `super_types`).
pub(crate) const SUPER_MAJOR_VERSIONS: core::ops::Range<i32> = 0..2;

/// Checks the version-only form of `SET_ARRAY_INFO` (`raid_disks == 0`),
/// which mdadm uses before it adds members with persistent superblocks.
pub(crate) fn check_version_only(info: &MduArrayInfo) -> bool {
    SUPER_MAJOR_VERSIONS.contains(&info.major_version)
}

/// `mdu_disk_info_t.state` bit: failed.
pub(crate) const MD_DISK_FAULTY: i32 = 1 << 0;
/// `mdu_disk_info_t.state` bit: fills a slot.
pub(crate) const MD_DISK_ACTIVE: i32 = 1 << 1;
/// `mdu_disk_info_t.state` bit: in sync.
pub(crate) const MD_DISK_SYNC: i32 = 1 << 2;
/// `mdu_disk_info_t.state` bit: no device under this number.
pub(crate) const MD_DISK_REMOVED: i32 = 1 << 3;
/// `mdu_disk_info_t.state` bit: write-mostly.
pub(crate) const MD_DISK_WRITEMOSTLY: i32 = 1 << 9;
/// `mdu_array_info_t.state` bit: the array is clean.
pub(crate) const MD_SB_CLEAN: i32 = 1 << 0;

/// `mdu_disk_info_t`: five 32-bit fields.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct MduDiskInfo {
    /// Descriptor number.
    pub(crate) number: i32,
    /// Device major.
    pub(crate) major: i32,
    /// Device minor.
    pub(crate) minor: i32,
    /// Slot, or -1.
    pub(crate) raid_disk: i32,
    /// `MD_DISK_*` bits.
    pub(crate) state: i32,
}

impl MduDiskInfo {
    /// Reads the structure user space passed.
    pub(crate) fn from_bytes(b: &[u8; DISK_INFO_SIZE]) -> Self {
        Self {
            number: get_i32(b, 0),
            major: get_i32(b, 1),
            minor: get_i32(b, 2),
            raid_disk: get_i32(b, 3),
            state: get_i32(b, 4),
        }
    }

    /// The structure as user space lays it out.
    pub(crate) fn to_bytes(self) -> [u8; DISK_INFO_SIZE] {
        let mut b = [0u8; DISK_INFO_SIZE];
        for (i, v) in [
            self.number,
            self.major,
            self.minor,
            self.raid_disk,
            self.state,
        ]
        .iter()
        .enumerate()
        {
            put_i32(&mut b, i, *v);
        }
        b
    }

    /// What `GET_DISK_INFO` reports for a number no member has (md: still
    /// success, so that mdadm can walk every number).
    pub(crate) fn removed(number: i32) -> Self {
        Self {
            number,
            major: 0,
            minor: 0,
            raid_disk: -1,
            state: MD_DISK_REMOVED,
        }
    }

    /// The kernel device number the structure names (`MKDEV`), or `None`
    /// if major or minor are out of range (md: `EOVERFLOW`).
    pub(crate) fn dev(&self) -> Option<u32> {
        let major = u32::try_from(self.major).ok().filter(|&m| m < (1 << 12))?;
        let minor = u32::try_from(self.minor).ok().filter(|&m| m < (1 << 20))?;
        Some((major << 20) | minor)
    }
}

/// The geometry the full form of `SET_ARRAY_INFO` (`mdadm --build`) sets,
/// checked as md's `md_set_array_info` does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct BuildGeometry {
    /// RAID level.
    pub(crate) level: i32,
    /// Member size in sectors (0: from the members).
    pub(crate) dev_sectors: u64,
    /// Slots.
    pub(crate) raid_disks: u32,
    /// Chunk in sectors.
    pub(crate) chunk_sectors: u32,
    /// Layout.
    pub(crate) layout: i32,
}

/// Checks the full form of `SET_ARRAY_INFO` (`raid_disks > 0`). Arrays
/// without a superblock only: a persistent array described this way would
/// need the kernel to write fresh 0.90 superblocks, which mdadm never asks
/// for (it writes them itself).
pub(crate) fn check_build(info: &MduArrayInfo) -> Option<BuildGeometry> {
    if info.not_persistent == 0 || info.raid_disks <= 0 || info.raid_disks > 1920 {
        return None;
    }
    if info.size < 0 || info.chunk_size < 0 || info.chunk_size % 512 != 0 {
        return None;
    }
    Some(BuildGeometry {
        level: info.level,
        dev_sectors: u64::from(info.size as u32) * 2,
        raid_disks: info.raid_disks as u32,
        chunk_sectors: (info.chunk_size as u32) >> 9,
        layout: info.layout,
    })
}
