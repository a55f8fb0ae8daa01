// SPDX-License-Identifier: GPL-2.0

//! linear: the members one after the other (md's md-linear.c). The address
//! arithmetic is `linear_map`; this is the personality around it.

use super::{
    linear_map::{self, LinearMap},
    personality::{self, Geometry, Limits, Personality, Slot},
    raid0_map,
};
use crate::blockdev::{
    bio::{Bio, BioSet},
    log::line_warn,
};
use core::fmt;
use kernel::prelude::*;

/// A running linear array.
pub(crate) struct Linear {
    slots: KVec<Slot>,
    ends: KVec<u64>,
    chunk_sectors: u32,
}

impl Linear {
    /// Lays out `slots` (all of the array's slots, in order).
    pub(crate) fn new(md_name: &str, geo: &Geometry, mut slots: KVec<Slot>) -> Result<Self> {
        if slots.len() != geo.raid_disks as usize {
            line_warn!(
                "md/linear:{}: not enough drives present. Aborting!\n",
                md_name
            );
            return Err(EINVAL);
        }
        let mut sizes = KVec::with_capacity(slots.len(), GFP_KERNEL)?;
        for s in slots.iter() {
            sizes.push(s.sectors, GFP_KERNEL)?;
        }
        let mut ends = KVec::from_elem(0u64, slots.len(), GFP_KERNEL)?;
        linear_map::build(&sizes, geo.chunk_sectors, &mut ends).map_err(|e| {
            line_warn!("md/linear:{}: {}\n", md_name, e.message());
            EINVAL
        })?;
        // md keeps each member's size rounded down to the rounding.
        for s in slots.iter_mut() {
            s.sectors = raid0_map::round_to_chunk(s.sectors, geo.chunk_sectors);
        }
        Ok(Self {
            slots,
            ends,
            chunk_sectors: geo.chunk_sectors,
        })
    }
}

impl Personality for Linear {
    fn name(&self) -> &'static str {
        "linear"
    }

    fn array_sectors(&self) -> u64 {
        self.ends.last().copied().unwrap_or(0)
    }

    fn slots(&self) -> &[Slot] {
        &self.slots
    }

    fn limits(&self) -> Limits {
        Limits {
            io_min: 0,
            io_opt: 0,
            max_sectors: 0,
        }
    }

    fn make_request(&self, bio: Bio, pool: &BioSet) {
        let to = LinearMap::new(&self.ends).map(bio.sector());
        personality::submit_mapped(bio, to, &self.slots, pool);
    }

    fn status(&self, w: &mut dyn fmt::Write) -> fmt::Result {
        write!(w, " {}k rounding", self.chunk_sectors / 2)
    }
}
