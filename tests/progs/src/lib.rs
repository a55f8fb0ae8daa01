// SPDX-License-Identifier: GPL-2.0
//! Helpers shared by the rust_md test programs: errno names, md ioctls.

use std::fs::File;
use std::io;
use std::os::fd::AsRawFd;

/// The name of an errno value, as md's documentation spells it.
pub fn errno_name(e: i32) -> String {
    let name = match e {
        1 => "EPERM",
        2 => "ENOENT",
        4 => "EINTR",
        5 => "EIO",
        6 => "ENXIO",
        7 => "E2BIG",
        9 => "EBADF",
        11 => "EAGAIN",
        12 => "ENOMEM",
        13 => "EACCES",
        14 => "EFAULT",
        16 => "EBUSY",
        17 => "EEXIST",
        19 => "ENODEV",
        22 => "EINVAL",
        25 => "ENOTTY",
        28 => "ENOSPC",
        30 => "EROFS",
        34 => "ERANGE",
        75 => "EOVERFLOW",
        95 => "EOPNOTSUPP",
        512 => "ERESTARTSYS",
        _ => return format!("E{e}"),
    };
    name.to_string()
}

/// The errno of an I/O error, or -1.
pub fn errno_of(e: &io::Error) -> i32 {
    e.raw_os_error().unwrap_or(-1)
}

extern "C" {
    fn ioctl(fd: i32, request: u64, ...) -> i32;
}

const fn md_ioc(dir: u64, nr: u64, size: u64) -> u64 {
    (dir << 30) | (size << 16) | (9 << 8) | nr
}

/// `RAID_VERSION`
pub const RAID_VERSION: u64 = md_ioc(2, 0x10, 12);
/// `GET_ARRAY_INFO`
pub const GET_ARRAY_INFO: u64 = md_ioc(2, 0x11, 72);
/// `SET_ARRAY_INFO`
pub const SET_ARRAY_INFO: u64 = md_ioc(1, 0x23, 72);
/// `GET_DISK_INFO`
pub const GET_DISK_INFO: u64 = md_ioc(2, 0x12, 20);
/// `GET_BITMAP_FILE`
pub const GET_BITMAP_FILE: u64 = md_ioc(2, 0x15, 4096);
/// `ADD_NEW_DISK`
pub const ADD_NEW_DISK: u64 = md_ioc(1, 0x21, 20);
/// `HOT_REMOVE_DISK` (argument: a dev_t)
pub const HOT_REMOVE_DISK: u64 = md_ioc(0, 0x22, 0);
/// `SET_DISK_FAULTY` (argument: a dev_t)
pub const SET_DISK_FAULTY: u64 = md_ioc(0, 0x29, 0);
/// `RESTART_ARRAY_RW`
pub const RESTART_ARRAY_RW: u64 = md_ioc(0, 0x34, 0);
/// `BLKFLSBUF`: write back and drop a block device's page cache.
pub const BLKFLSBUF: u64 = 0x1261;
/// `RUN_ARRAY`
pub const RUN_ARRAY: u64 = md_ioc(1, 0x30, 12);
/// `STOP_ARRAY`
pub const STOP_ARRAY: u64 = md_ioc(0, 0x32, 0);
/// `STOP_ARRAY_RO`
pub const STOP_ARRAY_RO: u64 = md_ioc(0, 0x33, 0);

/// Issues an ioctl whose argument is a buffer (or none, for a null buffer).
pub fn md_ioctl(file: &File, request: u64, buf: Option<&mut [u8]>) -> Result<i32, i32> {
    let ptr = buf.map_or(std::ptr::null_mut(), |b| b.as_mut_ptr());
    // SAFETY: `ptr` is null or a buffer of the size the request encodes
    // (the callers pass buffers of the md ABI's sizes).
    let ret = unsafe { ioctl(file.as_raw_fd(), request, ptr) };
    if ret < 0 {
        Err(io::Error::last_os_error().raw_os_error().unwrap_or(-1))
    } else {
        Ok(ret)
    }
}

/// Issues an ioctl with a raw argument: a number (a dev_t) or an address
/// that need not be valid (the bad-pointer tests).
pub fn raw_ioctl(file: &File, request: u64, arg: usize) -> Result<i32, i32> {
    // SAFETY: the kernel checks the argument; an invalid address makes it
    // fail with EFAULT, it never touches our memory except through it.
    let ret = unsafe { ioctl(file.as_raw_fd(), request, arg) };
    if ret < 0 {
        Err(io::Error::last_os_error().raw_os_error().unwrap_or(-1))
    } else {
        Ok(ret)
    }
}

/// glibc's `makedev`, as mdadm builds the dev_t it passes (new_encode_dev).
pub fn makedev(major: u32, minor: u32) -> u64 {
    let (ma, mi) = (u64::from(major), u64::from(minor));
    ((ma & 0xfffff000) << 32) | ((ma & 0xfff) << 8) | ((mi & 0xffffff00) << 12) | (mi & 0xff)
}

/// Parses "MAJ:MIN".
pub fn parse_devnum(s: &str) -> Option<(u32, u32)> {
    let (a, b) = s.split_once(':')?;
    Some((a.parse().ok()?, b.parse().ok()?))
}

/// Parses a size or offset: a number (decimal or 0x hex) with an optional
/// binary suffix k/K, m/M, g/G, or s (512-byte sectors).
pub fn parse_size(s: &str) -> Option<u64> {
    let (num, mult) = match s.chars().last()? {
        'k' | 'K' => (&s[..s.len() - 1], 1u64 << 10),
        'm' | 'M' => (&s[..s.len() - 1], 1u64 << 20),
        'g' | 'G' => (&s[..s.len() - 1], 1u64 << 30),
        's' => (&s[..s.len() - 1], 512),
        _ => (s, 1),
    };
    let n = if let Some(h) = num.strip_prefix("0x") {
        u64::from_str_radix(h, 16).ok()?
    } else {
        num.parse().ok()?
    };
    n.checked_mul(mult)
}

/// A heap buffer aligned for O_DIRECT.
pub struct AlignedBuf {
    store: Vec<u8>,
    start: usize,
    len: usize,
}

impl AlignedBuf {
    /// A zeroed buffer of `len` bytes at a 4096-byte aligned address.
    pub fn new(len: usize) -> Self {
        let store = vec![0u8; len + 4096];
        let start = store.as_ptr().align_offset(4096);
        AlignedBuf { store, start, len }
    }

    /// The buffer.
    pub fn bytes_mut(&mut self) -> &mut [u8] {
        &mut self.store[self.start..self.start + self.len]
    }

    /// The buffer, read-only.
    pub fn bytes(&self) -> &[u8] {
        &self.store[self.start..self.start + self.len]
    }
}

/// `O_DIRECT` on x86_64.
pub const O_DIRECT: i32 = 0o40000;
/// `O_DSYNC` on x86_64.
pub const O_DSYNC: i32 = 0o10000;
/// `O_EXCL`
pub const O_EXCL: i32 = 0o200;
