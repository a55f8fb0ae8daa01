// SPDX-License-Identifier: GPL-2.0

//! /proc/mdstat (md's `md_seq_show`); the text itself is `mdstat_format`.

use super::{
    array::Ro,
    mdstat_format::{self, ArrayStatus, Member, Superblock},
    personality,
    registry::CORE,
};
use core::fmt::{self, Write};
use kernel::prelude::*;

/// Prints /proc/mdstat into `w`.
pub(crate) fn show<W: Write>(w: &mut W) {
    // A failed write means a full buffer; seq_file retries with more room.
    let _ = write_all(w);
}

fn write_all<W: Write>(w: &mut W) -> fmt::Result {
    mdstat_format::write_header(w, personality::NAMES)?;
    if let Some(Ok(mut all)) = CORE.get().map(|core| core.all()) {
        // Newest first, as md's list is (an insertion sort: a handful of
        // arrays, and no dependence on core's sort code).
        let arrays = all.as_mut_slice();
        for i in 1..arrays.len() {
            let mut j = i;
            while j > 0 && arrays[j - 1].seq < arrays[j].seq {
                arrays.swap(j - 1, j);
                j -= 1;
            }
        }
        for mddev in all.iter() {
            let config = mddev.config.lock();
            // md lists arrays that run, have members or have slots.
            if config.running.is_none() && config.raid_disks == 0 && config.rdevs.is_empty() {
                continue;
            }
            // Newest member first, as md's list is.
            let mut members =
                KVec::with_capacity(config.rdevs.len(), GFP_KERNEL).map_err(|_| fmt::Error)?;
            for b in config.rdevs.iter().rev() {
                let r = &b.rdev;
                let member = Member {
                    name: r.name(),
                    desc_nr: r.desc_nr,
                    write_mostly: r.write_mostly(),
                    faulty: r.faulty(),
                    spare: r.raid_disk() < 0,
                    sectors: r.sectors(),
                };
                members.push(member, GFP_KERNEL).map_err(|_| fmt::Error)?;
            }
            let superblock = if config.persistent {
                Superblock::Version(config.major_version, config.minor_version)
            } else {
                Superblock::NonPersistent
            };
            let status = ArrayStatus {
                name: mddev.name.as_str(),
                personality: config.running.as_ref().map(|p| p.name()),
                read_only: config.ro == Ro::ReadOnly,
                auto_read_only: config.ro == Ro::AutoRead,
                members: &members,
                array_sectors: config.array_sectors,
                superblock,
            };
            let running = config.running.clone();
            mdstat_format::write_array(
                w,
                &status,
                |w| match &running {
                    Some(p) => p.status(w),
                    None => Ok(()),
                },
                |w| match &running {
                    Some(p) if p.syncs() => p.status_sync(w),
                    _ => Ok(false),
                },
            )?;
        }
    }
    mdstat_format::write_unused(w, &[])
}
