// SPDX-License-Identifier: GPL-2.0

//! raid0: striping over the members in zones (md's raid0.c). The address
//! arithmetic is `raid0_map`; this is the personality around it.

use super::{
    personality::{self, Geometry, Limits, Personality, Slot},
    raid0_map::{self, Raid0Map, Zone},
};
use crate::blockdev::{
    bio::{Bio, BioSet},
    log::line_warn,
};
use core::fmt;
use kernel::prelude::*;

/// `raid0.default_layout`: md's module parameter for multi-zone arrays
/// whose superblock does not say; 0 refuses them, as md does by default.
const DEFAULT_LAYOUT: i32 = 0;

/// A running raid0 array.
pub(crate) struct Raid0 {
    slots: KVec<Slot>,
    zones: KVec<Zone>,
    devlist: KVec<u32>,
    chunk_sectors: u32,
    layout: i32,
    array_sectors: u64,
}

impl Raid0 {
    /// Builds the zones for `slots` (all of the array's slots, in order).
    pub(crate) fn new(md_name: &str, geo: &Geometry, mut slots: KVec<Slot>) -> Result<Self> {
        if slots.len() != geo.raid_disks as usize {
            line_warn!(
                "md/raid0:{}: too few disks ({} of {}) - aborting!\n",
                md_name,
                slots.len(),
                geo.raid_disks
            );
            return Err(EINVAL);
        }
        let block_size = slots
            .iter()
            .map(|s| s.dev.logical_block_size())
            .max()
            .unwrap_or(512);
        let refuse = |e: raid0_map::MapError| {
            line_warn!("md/raid0:{}: {}\n", md_name, e.message());
            EINVAL
        };
        raid0_map::chunk_fits_block_size(geo.chunk_sectors, block_size).map_err(refuse)?;
        let mut sizes = KVec::with_capacity(slots.len(), GFP_KERNEL)?;
        for s in slots.iter() {
            sizes.push(s.sectors, GFP_KERNEL)?;
        }
        let nr_zones = raid0_map::zone_count(&sizes, geo.chunk_sectors);
        let mut zones = KVec::from_elem(Zone::default(), nr_zones, GFP_KERNEL)?;
        let devlist_len = nr_zones.checked_mul(slots.len()).ok_or(EINVAL)?;
        let mut devlist = KVec::from_elem(0u32, devlist_len, GFP_KERNEL)?;
        let built = raid0_map::build(
            &sizes,
            geo.chunk_sectors,
            geo.layout,
            DEFAULT_LAYOUT,
            &mut zones,
            &mut devlist,
        )
        .map_err(refuse)?;
        // md keeps each member's size rounded down to the chunk.
        for s in slots.iter_mut() {
            s.sectors = raid0_map::round_to_chunk(s.sectors, geo.chunk_sectors);
        }
        Ok(Self {
            slots,
            zones,
            devlist,
            chunk_sectors: geo.chunk_sectors,
            layout: built.layout,
            array_sectors: built.array_sectors,
        })
    }

    fn map(&self) -> Raid0Map<'_> {
        Raid0Map::new(
            &self.zones,
            &self.devlist,
            self.chunk_sectors,
            self.layout,
            self.slots.len() as u32,
        )
    }
}

impl Personality for Raid0 {
    fn name(&self) -> &'static str {
        "raid0"
    }

    fn array_sectors(&self) -> u64 {
        self.array_sectors
    }

    fn slots(&self) -> &[Slot] {
        &self.slots
    }

    fn limits(&self) -> Limits {
        let chunk_bytes = self.chunk_sectors << 9;
        Limits {
            io_min: chunk_bytes,
            io_opt: chunk_bytes.saturating_mul(self.slots.len() as u32),
            // md sends at most a chunk per request down to the members.
            max_sectors: self.chunk_sectors,
        }
    }

    fn make_request(&self, bio: Bio, pool: &BioSet) {
        let to = self.map().map(bio.sector());
        personality::submit_mapped(bio, to, &self.slots, pool);
    }

    fn status(&self, w: &mut dyn fmt::Write) -> fmt::Result {
        write!(
            w,
            " {}k chunks",
            raid0_map::status_chunk_kib(self.chunk_sectors)
        )
    }
}
