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
