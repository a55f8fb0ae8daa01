// SPDX-License-Identifier: GPL-2.0

//! Address mapping of md's linear personality (md-linear.c): the members
//! concatenated in slot order, each rounded down to the chunk (linear's
//! "rounding") when one is set.
//!
//! Pure logic: no `kernel::`, so host tests check it (tests/host).
//!
//! Nothing here allocates: the caller lends [`build`] a table of one entry
//! per member to fill, then [`LinearMap`] reads it on the I/O path. Errors
//! and mappings are raid0's types ([`MapError`], [`Mapping`]).

use super::raid0_map::round_to_chunk;
pub(crate) use super::raid0_map::{MapError, Mapping};

/// Fills `ends` (one entry per member: the array sector where that member's
/// part ends, exclusive) from the members' data sizes in slot order, each
/// rounded down to the chunk when `chunk_sectors` is not 0, and returns the
/// array size. Members smaller than the rounding add nothing (md allows it).
pub(crate) fn build(
    member_sectors: &[u64],
    chunk_sectors: u32,
    ends: &mut [u64],
) -> Result<u64, MapError> {
    if member_sectors.is_empty() {
        return Err(MapError::NoMembers);
    }
    if ends.len() != member_sectors.len() || u32::try_from(ends.len()).is_err() {
        return Err(MapError::TableSize);
    }
    let mut end: u64 = 0;
    for (slot_end, &sectors) in ends.iter_mut().zip(member_sectors) {
        end = end
            .checked_add(round_to_chunk(sectors, chunk_sectors))
            .ok_or(MapError::TooLarge)?;
        *slot_end = end;
    }
    Ok(end)
}

/// A read-only view of the table [`build`] filled, for the I/O path.
pub(crate) struct LinearMap<'a> {
    ends: &'a [u64],
}

impl LinearMap<'_> {
    /// The table [`build`] filled.
    pub(crate) fn new(ends: &[u64]) -> LinearMap<'_> {
        LinearMap { ends }
    }

    /// Where array sector `sector` lives: the member (index in slot order),
    /// the member-relative data sector (the caller adds the data offset),
    /// and how many sectors from there stay on that member: to its end.
    /// `sectors` is 0 past the end of the array.
    pub(crate) fn map(&self, sector: u64) -> Mapping {
        // md's which_dev: a binary search for the first member ending after
        // the sector, which skips members of size 0.
        let member = self.ends.partition_point(|&end| end <= sector);
        let Some(&end) = self.ends.get(member) else {
            return Mapping {
                member: 0,
                sector: 0,
                sectors: 0,
            };
        };
        let start = match member {
            0 => 0,
            _ => self.ends[member - 1],
        };
        Mapping {
            member: member as u32,
            sector: sector - start,
            sectors: end - sector,
        }
    }
}
