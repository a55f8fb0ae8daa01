// SPDX-License-Identifier: GPL-2.0

//! /proc/mdstat (md's `md_seq_show`); the text itself is `mdstat_format`.

use super::{
    mdstat_format::{self, ArrayStatus, Superblock},
    registry::CORE,
};
use core::fmt::{self, Write};

/// Prints /proc/mdstat into `w`.
pub(crate) fn show<W: Write>(w: &mut W) {
    // A failed write means a full buffer; seq_file retries with more room.
    let _ = write_all(w);
}

fn write_all<W: Write>(w: &mut W) -> fmt::Result {
    mdstat_format::write_header(w, &[])?;
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
            if config.raid_disks == 0 {
                continue;
            }
            let superblock = if config.persistent {
                Superblock::Version(config.major_version, config.minor_version)
            } else {
                Superblock::NonPersistent
            };
            let status = ArrayStatus {
                name: mddev.name.as_str(),
                personality: None,
                read_only: false,
                auto_read_only: false,
                members: &[],
                array_sectors: 0,
                superblock,
            };
            mdstat_format::write_array(w, &status, |_| Ok(()))?;
        }
    }
    mdstat_format::write_unused(w, &[])
}
