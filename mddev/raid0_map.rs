// SPDX-License-Identifier: GPL-2.0

//! Address mapping of md's raid0 personality (drivers/md/raid0.c): the
//! strip zones md builds from members of unequal sizes, and where an array
//! sector lives on the members, in both multi-zone layouts.
//!
//! Pure logic: no `kernel::`, so host tests check it (tests/host).
//!
//! Nothing here allocates: the caller sizes the tables with [`zone_count`],
//! lends them to [`build`] to fill, then to [`Raid0Map`] to read on the I/O
//! path.
//!
//! A zone is a run of the array striped over the members still large enough
//! to hold it: zone 0 over all of them up to the smallest member's size, the
//! next over the larger ones from there up to the next smallest size, and so
//! on. Linux 3.14 changed by accident how chunks of the second and later
//! zones are spread over their members: [`RAID0_ORIG_LAYOUT`] numbers chunks
//! from the start of the array, [`RAID0_ALT_MULTIZONE_LAYOUT`] from the start
//! of the zone. Both are in use, so the array must say which one it has.

/// md's raid0 layouts for arrays with more than one zone (md_p.h / raid0.h
/// values): chunks numbered from the start of the array (before 3.14)...
pub(crate) const RAID0_ORIG_LAYOUT: i32 = 1;
/// ...or from the start of their zone (3.14 to 5.3).
pub(crate) const RAID0_ALT_MULTIZONE_LAYOUT: i32 = 2;

/// What `devlist` holds after a zone's members: no member.
pub(crate) const NO_MEMBER: u32 = u32::MAX;

/// One strip zone (md's `struct strip_zone`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Zone {
    /// Array sector where the zone ends (exclusive).
    end: u64,
    /// Member-relative sector where the zone starts on each of its members.
    dev_start: u64,
    /// How many members the zone stripes over.
    nb_dev: u32,
    /// Original layout: the position in the zone's member list of the
    /// zone's first chunk (md's `disk_shift`; only discard uses it).
    disk_shift: u32,
    /// Where the zone's member list starts in `devlist`.
    first: u32,
}

// md only prints these (dump_zones, pr_debug); the host tests check them.
#[allow(dead_code)]
impl Zone {
    /// Array sector where the zone ends (exclusive).
    pub(crate) fn end(&self) -> u64 {
        self.end
    }

    /// Member-relative sector where the zone starts on its members.
    pub(crate) fn dev_start(&self) -> u64 {
        self.dev_start
    }

    /// How many members the zone stripes over.
    pub(crate) fn nb_dev(&self) -> u32 {
        self.nb_dev
    }

    /// Original layout: the position of the zone's first chunk in its
    /// member list; 0 otherwise.
    pub(crate) fn disk_shift(&self) -> u32 {
        self.disk_shift
    }
}

/// Why md would not run a raid0 or linear array with this geometry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum MapError {
    /// The array has no members.
    NoMembers,
    /// raid0 without a chunk size (md: `EINVAL`).
    ChunkZero,
    /// The chunk is not a multiple of a member's logical block size (md:
    /// `EINVAL`).
    ChunkNotBlockMultiple,
    /// Several zones striped differently by the two layouts, and neither the
    /// array nor the `default_layout` parameter says which (md:
    /// `EOPNOTSUPP`).
    MultiZoneLayout,
    /// The caller's tables are not the sizes the members call for.
    TableSize,
    /// The array would have more than 2^64 sectors.
    TooLarge,
}

impl MapError {
    /// What went wrong, for the kernel log.
    pub(crate) fn message(self) -> &'static str {
        match self {
            Self::NoMembers => "no member devices",
            Self::ChunkZero => "chunk size must be set",
            Self::ChunkNotBlockMultiple => "chunk size not a multiple of the block size",
            Self::MultiZoneLayout => {
                "cannot assemble multi-zone raid0 without a layout: set default_layout to 1 or 2"
            }
            Self::TableSize => "zone tables do not match the members",
            Self::TooLarge => "array too large",
        }
    }
}

/// What [`build`] decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Raid0Geometry {
    /// The layout the array runs with: [`RAID0_ORIG_LAYOUT`] or
    /// [`RAID0_ALT_MULTIZONE_LAYOUT`] (md's `conf->layout`).
    pub(crate) layout: i32,
    /// Array size in sectors (md's `raid0_size`).
    pub(crate) array_sectors: u64,
}

/// Where a run of array sectors lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Mapping {
    /// Index of the member, in slot order.
    pub(crate) member: u32,
    /// Member-relative data sector (the caller adds the data offset).
    pub(crate) sector: u64,
    /// How many sectors from there stay contiguous on that member; 0 when
    /// the sector is past the end of the array.
    pub(crate) sectors: u64,
}

impl Mapping {
    /// The answer for a sector past the end of the array (md BUG()s there;
    /// the block layer never sends such I/O).
    const OUTSIDE: Self = Self {
        member: 0,
        sector: 0,
        sectors: 0,
    };
}

/// `sectors` rounded down to a multiple of the chunk, as md rounds member
/// sizes (`sector_div`, so any chunk size); a chunk of 0 means no rounding.
pub(crate) fn round_to_chunk(sectors: u64, chunk_sectors: u32) -> u64 {
    match u64::from(chunk_sectors) {
        0 => sectors,
        chunk => sectors - sectors % chunk,
    }
}

/// Whether md accepts this chunk for members whose largest logical block
/// size is `block_size` bytes (create_strip_zones: at least 512).
pub(crate) fn chunk_fits_block_size(chunk_sectors: u32, block_size: u32) -> Result<(), MapError> {
    let block_size = u64::from(block_size.max(512));
    if (u64::from(chunk_sectors) << 9) % block_size == 0 {
        Ok(())
    } else {
        Err(MapError::ChunkNotBlockMultiple)
    }
}

/// Number of zones md makes for members of these data sizes (sectors, before
/// rounding down to the chunk): one per distinct rounded size. A member
/// smaller than a chunk counts too: md gives it an empty first zone.
pub(crate) fn zone_count(member_sectors: &[u64], chunk_sectors: u32) -> usize {
    let rounded = |i: usize| round_to_chunk(member_sectors[i], chunk_sectors);
    (0..member_sectors.len())
        .filter(|&i| (0..i).all(|j| rounded(j) != rounded(i)))
        .count()
}

/// Fills `zones` (len [`zone_count`]) and `devlist` (len zone count *
/// member count: each zone's members in slot order, then [`NO_MEMBER`]) as
/// md's create_strip_zones does, and resolves the layout: `layout` is the
/// array's (superblock or SET_ARRAY_INFO; -1 or 0 mean unset),
/// `default_layout` the module parameter (0: none). Returns the resolved
/// layout and the array size.
///
/// Members are the data sizes in sectors, in slot order.
pub(crate) fn build(
    member_sectors: &[u64],
    chunk_sectors: u32,
    layout: i32,
    default_layout: i32,
    zones: &mut [Zone],
    devlist: &mut [u32],
) -> Result<Raid0Geometry, MapError> {
    if member_sectors.is_empty() {
        return Err(MapError::NoMembers);
    }
    if chunk_sectors == 0 {
        return Err(MapError::ChunkZero);
    }
    let members = member_sectors.len();
    if u32::try_from(members).is_err()
        || zones.len() != zone_count(member_sectors, chunk_sectors)
        || Some(devlist.len()) != zones.len().checked_mul(members)
        || u32::try_from(devlist.len()).is_err()
    {
        return Err(MapError::TableSize);
    }
    let rounded = |slot: usize| round_to_chunk(member_sectors[slot], chunk_sectors);

    // Each zone starts (on its members) where the previous zone's smallest
    // member ended, and holds the members larger than that; zone 0 holds
    // them all, even those smaller than a chunk (its size is then 0).
    let mut dev_start = 0;
    let mut end: u64 = 0;
    for (index, (zone, list)) in zones
        .iter_mut()
        .zip(devlist.chunks_mut(members))
        .enumerate()
    {
        let mut nb_dev = 0;
        let mut smallest = u64::MAX;
        for slot in 0..members {
            let size = rounded(slot);
            if index == 0 || size > dev_start {
                list[nb_dev] = slot as u32;
                nb_dev += 1;
                smallest = smallest.min(size);
            }
        }
        list[nb_dev..].fill(NO_MEMBER);
        // One distinct size per zone, so a later zone always has a member.
        end = (smallest - dev_start)
            .checked_mul(nb_dev as u64)
            .and_then(|sectors| end.checked_add(sectors))
            .ok_or(MapError::TooLarge)?;
        *zone = Zone {
            end,
            dev_start,
            nb_dev: nb_dev as u32,
            disk_shift: 0,
            first: (index * members) as u32,
        };
        dev_start = smallest;
    }

    let is_layout = |l: i32| l == RAID0_ORIG_LAYOUT || l == RAID0_ALT_MULTIZONE_LAYOUT;
    // The layouts agree unless a zone after the first stripes over several
    // members: zone 1 then has more than one.
    let layout = if zones.len() == 1 || zones[1].nb_dev == 1 {
        RAID0_ORIG_LAYOUT
    } else if is_layout(layout) {
        layout
    } else if is_layout(default_layout) {
        default_layout
    } else {
        return Err(MapError::MultiZoneLayout);
    };
    if layout == RAID0_ORIG_LAYOUT {
        for index in 1..zones.len() {
            let first_chunk = zones[index - 1].end / u64::from(chunk_sectors);
            let zone = &mut zones[index];
            zone.disk_shift = (first_chunk % u64::from(zone.nb_dev)) as u32;
        }
    }

    // md's raid0_size masks with chunk - 1, which for a chunk that is not a
    // power of two can drop more than the rounding did: the array is then
    // smaller than its zones, and must be, to match md.
    let mask = !(u64::from(chunk_sectors) - 1);
    let array_sectors = (0..members)
        .try_fold(0u64, |sum, slot| sum.checked_add(rounded(slot) & mask))
        .ok_or(MapError::TooLarge)?;
    Ok(Raid0Geometry {
        layout,
        array_sectors,
    })
}

/// What /proc/mdstat shows of the chunk, in KiB: raid0 prints
/// `" {}k chunks"`, linear `" {}k rounding"`.
pub(crate) fn status_chunk_kib(chunk_sectors: u32) -> u32 {
    chunk_sectors / 2
}

/// A read-only view of the tables [`build`] filled, for the I/O path.
pub(crate) struct Raid0Map<'a> {
    zones: &'a [Zone],
    devlist: &'a [u32],
    chunk: u64,
    /// log2 of the chunk when it is a power of two: md shifts and masks
    /// then instead of dividing.
    chunk_shift: Option<u32>,
    /// Original layout: chunks numbered from the start of the array.
    orig: bool,
}

impl<'a> Raid0Map<'a> {
    /// The tables [`build`] filled, with the array's chunk, the layout it
    /// resolved and the member count (each zone's member list is
    /// `raid_disks` long in `devlist`).
    pub(crate) fn new(
        zones: &'a [Zone],
        devlist: &'a [u32],
        chunk_sectors: u32,
        layout: i32,
        raid_disks: u32,
    ) -> Self {
        debug_assert_eq!(
            Some(devlist.len()),
            zones.len().checked_mul(raid_disks as usize)
        );
        Self {
            // Without a chunk nothing maps (rather than dividing by zero).
            zones: if chunk_sectors == 0 { &[] } else { zones },
            devlist,
            chunk: u64::from(chunk_sectors),
            chunk_shift: chunk_sectors
                .is_power_of_two()
                .then(|| chunk_sectors.trailing_zeros()),
            orig: layout == RAID0_ORIG_LAYOUT,
        }
    }

    /// The members zone `index` stripes over, in slot order.
    #[allow(dead_code)] // md only prints them (dump_zones); host tests check them.
    pub(crate) fn zone_members(&self, index: usize) -> &'a [u32] {
        self.zones
            .get(index)
            .map_or(&[], |zone| self.members_of(zone))
    }

    /// The zone holding array sector `sector`, its index and where it
    /// starts (md's find_zone: a few zones, so a linear scan).
    fn find_zone(&self, sector: u64) -> Option<(usize, &'a Zone, u64)> {
        let index = self.zones.iter().position(|zone| sector < zone.end)?;
        let start = match index {
            0 => 0,
            _ => self.zones[index - 1].end,
        };
        Some((index, &self.zones[index], start))
    }

    /// `sector` split into its chunk number and its offset in that chunk.
    fn split(&self, sector: u64) -> (u64, u64) {
        match self.chunk_shift {
            Some(shift) => (sector >> shift, sector & (self.chunk - 1)),
            None => (sector / self.chunk, sector % self.chunk),
        }
    }

    /// Where array sector `sector` lives: the member (index in slot order),
    /// the member-relative data sector (the caller adds the data offset),
    /// and how many sectors from there stay on that member: to the end of
    /// the chunk (zones end on chunk boundaries). `sectors` is 0 past the
    /// end of the zones.
    pub(crate) fn map(&self, sector: u64) -> Mapping {
        self.try_map(sector).unwrap_or(Mapping::OUTSIDE)
    }

    fn try_map(&self, sector: u64) -> Option<Mapping> {
        let (_, zone, zone_start) = self.find_zone(sector)?;
        let offset = sector - zone_start;
        // The one difference between the layouts: which chunk number picks
        // the member.
        let (chunk_no, in_chunk) = self.split(if self.orig { sector } else { offset });
        let nb_dev = u64::from(zone.nb_dev);
        // Full stripes of this zone before the sector: the chunks before it
        // on its member.
        let stripe = match self.chunk_shift {
            Some(shift) => (offset >> shift) / nb_dev,
            None => offset / (self.chunk * nb_dev),
        };
        let position = chunk_no.checked_rem(nb_dev)? as usize;
        let member = *self.devlist.get(zone.first as usize + position)?;
        Some(Mapping {
            member,
            sector: zone.dev_start + stripe * self.chunk + in_chunk,
            sectors: (self.chunk - in_chunk).min(zone.end - sector),
        })
    }

    /// md's discard spreading (raid0_handle_discard): the part of the
    /// discard of array sectors `start..end` that lies in `start`'s zone,
    /// as one contiguous range per member of that zone. `None` when `start`
    /// is past the end of the zones or the range is empty.
    #[allow(dead_code)] // Until the personality takes discards.
    pub(crate) fn discard(&self, start: u64, end: u64) -> Option<Discard<'a>> {
        if start >= end {
            return None;
        }
        let (_, zone, zone_start) = self.find_zone(start)?;
        let nb_dev = u64::from(zone.nb_dev);
        let end = end.min(zone.end);
        let position = |x: u64| {
            let stripe_size = self.chunk * nb_dev;
            let in_stripe = x % stripe_size;
            StripePosition {
                stripe: x / stripe_size,
                column: in_stripe / self.chunk,
                offset: in_stripe % self.chunk,
            }
        };
        Some(Discard {
            end,
            dev_start: zone.dev_start,
            chunk: self.chunk,
            members: self.members_of(zone),
            disk_shift: zone.disk_shift,
            from: position(start - zone_start),
            to: position(end - zone_start),
            next: 0,
        })
    }

    /// A zone's members, in slot order.
    fn members_of(&self, zone: &Zone) -> &'a [u32] {
        let first = zone.first as usize;
        self.devlist
            .get(first..first + zone.nb_dev as usize)
            .unwrap_or(&[])
    }
}

/// Where a zone-relative sector falls in the zone's striping.
#[derive(Clone, Copy)]
struct StripePosition {
    /// Full stripes before it.
    stripe: u64,
    /// Its column (chunk) in its stripe.
    column: u64,
    /// Its offset in that chunk.
    offset: u64,
}

impl StripePosition {
    /// How many sectors of column `column` lie before this position: the
    /// member-relative (zone-relative) end of a range ending here.
    fn sectors_before(&self, column: u64, chunk: u64) -> u64 {
        let whole = self.stripe * chunk;
        match column.cmp(&self.column) {
            core::cmp::Ordering::Less => whole + chunk,
            core::cmp::Ordering::Equal => whole + self.offset,
            core::cmp::Ordering::Greater => whole,
        }
    }
}

/// A discard spread over the members of one zone: an iterator of the
/// non-empty member ranges, in the zone's member order (as md submits them).
pub(crate) struct Discard<'a> {
    end: u64,
    dev_start: u64,
    chunk: u64,
    members: &'a [u32],
    disk_shift: u32,
    from: StripePosition,
    to: StripePosition,
    next: usize,
}

#[allow(dead_code)] // Until the personality takes discards.
impl Discard<'_> {
    /// Array sector where this part of the discard ends: the discard's end,
    /// or the zone's end if sooner (md splits the rest off and submits it
    /// again).
    pub(crate) fn end(&self) -> u64 {
        self.end
    }
}

impl Iterator for Discard<'_> {
    type Item = Mapping;

    fn next(&mut self) -> Option<Mapping> {
        let nb_dev = self.members.len() as u64;
        while let Some(&member) = self.members.get(self.next) {
            // With the original layout the zone's chunks start at member
            // `disk_shift`, so this member's column is shifted back by it.
            let column = (self.next as u64 + nb_dev - u64::from(self.disk_shift)) % nb_dev;
            self.next += 1;
            let lo = self.from.sectors_before(column, self.chunk);
            let hi = self.to.sectors_before(column, self.chunk);
            if hi > lo {
                return Some(Mapping {
                    member,
                    sector: self.dev_start + lo,
                    sectors: hi - lo,
                });
            }
        }
        None
    }
}
