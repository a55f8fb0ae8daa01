// SPDX-License-Identifier: GPL-2.0

//! The md model in safe Rust: arrays (mddevs), their lifecycle, and what
//! user space sees of them (ioctls, sysfs, /proc/mdstat, parameters).
//!
//! Lifecycle, after NeilBrown's "md: make devices disappear when they are
//! no longer needed" (Documentation/lifecycle.rst has the whole story):
//! an mddev is created by opening its device node (the major's probe) or by
//! `new_array`; every user holds an [`ActiveRef`]; when the last one goes and
//! the array is inactive, unconfigured and not held, its deletion is queued
//! on the module's workqueue, which deletes the gendisk; the memory goes
//! when the gendisk is freed.

pub(crate) mod array;
pub(crate) mod array_state;
mod assemble;
mod ioctl;
mod linear;
mod linear_map;
mod manage;
pub(crate) mod mdstat;
pub(crate) mod mdstat_format;
pub(crate) mod names;
pub(crate) mod params;
mod personality;
mod raid0;
mod raid0_map;
mod raid1;
mod raid1_sync;
mod rdev;
mod read_balance;
mod registry;
// The superblock write side (events, roles, clean state) has no user until
// a level with redundancy changes superblocks; linear and raid0 never do.
#[allow(dead_code)]
mod sb0;
#[allow(dead_code)]
mod sb1;
mod sb_writer;
mod spares;
#[allow(dead_code)]
mod superblock;
#[allow(dead_code)]
mod sync_status;
mod sysfs;
pub(crate) mod text;
pub(crate) mod uapi;

pub(crate) use array::ActiveRef;
pub(crate) use registry::{MdCore, MdProbe, CORE};

/// Block major number of md devices (include/uapi/linux/major.h).
pub(crate) const MD_MAJOR: u32 = 9;
