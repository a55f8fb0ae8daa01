// SPDX-License-Identifier: GPL-2.0
//! raid0 and linear address mapping: hand-computed cases, md's invariants
//! on many geometries, every error, and equivalence with md's own C code
//! (c_ref/maps_ref.c, compiled and run here).
use crate::linear_map::{self, LinearMap};
use crate::raid0_map::*;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// A raid0 array's tables, allocated the way the kernel side does.
struct Raid0 {
    zones: Vec<Zone>,
    devlist: Vec<u32>,
    geometry: Raid0Geometry,
    chunk: u32,
    members: u32,
}

impl Raid0 {
    fn new(sizes: &[u64], chunk: u32, layout: i32, default_layout: i32) -> Result<Self, MapError> {
        let count = zone_count(sizes, chunk);
        let mut zones = vec![Zone::default(); count];
        let mut devlist = vec![0; count * sizes.len()];
        let geometry = build(
            sizes,
            chunk,
            layout,
            default_layout,
            &mut zones,
            &mut devlist,
        )?;
        Ok(Self {
            zones,
            devlist,
            geometry,
            chunk,
            members: sizes.len() as u32,
        })
    }

    fn map(&self) -> Raid0Map<'_> {
        Raid0Map::new(
            &self.zones,
            &self.devlist,
            self.chunk,
            self.geometry.layout,
            self.members,
        )
    }

    /// Where the zones end: the last sector anything maps to, plus one.
    fn zones_end(&self) -> u64 {
        self.zones.last().map_or(0, Zone::end)
    }

    /// (end, dev_start, nb_dev, disk_shift, members) of every zone.
    fn zone_table(&self) -> Vec<(u64, u64, u32, u32, Vec<u32>)> {
        let map = self.map();
        (0..self.zones.len())
            .map(|i| {
                let z = &self.zones[i];
                let members = map.zone_members(i).to_vec();
                (z.end(), z.dev_start(), z.nb_dev(), z.disk_shift(), members)
            })
            .collect()
    }
}

fn raid0(sizes: &[u64], chunk: u32, layout: i32) -> Raid0 {
    Raid0::new(sizes, chunk, layout, 0).unwrap()
}

fn at(member: u32, sector: u64, sectors: u64) -> Mapping {
    Mapping {
        member,
        sector,
        sectors,
    }
}

fn outside() -> Mapping {
    at(0, 0, 0)
}

fn linear(sizes: &[u64], chunk: u32) -> (Vec<u64>, u64) {
    let mut ends = vec![0; sizes.len()];
    let size = linear_map::build(sizes, chunk, &mut ends).unwrap();
    (ends, size)
}

fn discard(r: &Raid0, start: u64, end: u64) -> Option<(u64, Vec<Mapping>)> {
    let d = r.map().discard(start, end)?;
    Some((d.end(), d.collect()))
}

const ORIG: i32 = RAID0_ORIG_LAYOUT;
const ALT: i32 = RAID0_ALT_MULTIZONE_LAYOUT;

#[test]
fn raid0_two_equal_members() {
    // 100 sectors round down to 96 with 8-sector chunks: one zone.
    let r = raid0(&[100, 100], 8, -1);
    assert_eq!(
        r.geometry,
        Raid0Geometry {
            layout: ORIG,
            array_sectors: 192
        }
    );
    assert_eq!(r.zone_table(), [(192, 0, 2, 0, vec![0, 1])]);
    let m = r.map();
    assert_eq!(m.map(0), at(0, 0, 8));
    assert_eq!(m.map(8), at(1, 0, 8));
    assert_eq!(m.map(16), at(0, 8, 8));
    assert_eq!(m.map(13), at(1, 5, 3));
    assert_eq!(m.map(191), at(1, 95, 1));
    assert_eq!(m.map(192), outside());
    assert_eq!(m.map(u64::MAX), outside());
}

#[test]
fn raid0_single_zone_ignores_layout() {
    // 250 and 260 round down to 240 with 24-sector chunks: one zone, so
    // no layout is needed and the one reported is the original. md's size
    // masks each member with !23: 240 & !23 = 224.
    for (layout, default_layout) in [(-1, 0), (0, 0), (ALT, 0), (7, 9), (-1, ALT)] {
        let r = Raid0::new(&[240, 250, 260], 24, layout, default_layout).unwrap();
        assert_eq!(
            r.geometry,
            Raid0Geometry {
                layout: ORIG,
                array_sectors: 672
            }
        );
        assert_eq!(r.zone_table(), [(720, 0, 3, 0, vec![0, 1, 2])]);
        let m = r.map();
        // Chunk 4 of the array (96..120) is on member 4 % 3, in its second
        // stripe (100 / 72).
        assert_eq!(m.map(100), at(1, 28, 20));
        assert_eq!(m.map(71), at(2, 23, 1));
        assert_eq!(m.map(72), at(0, 24, 24));
        assert_eq!(m.map(719), at(2, 239, 1));
    }
}

/// Members of 48, 128 and 96 sectors, 16-sector chunks: zone 0 of 9 chunks
/// over all three, zone 1 over members 1 and 2 (48..96 on them), zone 2
/// over member 1 (96..128). Zone 1 starts at an odd chunk, so the layouts
/// differ there.
const UNEQUAL: [u64; 3] = [48, 128, 96];

#[test]
fn raid0_unequal_members_orig_layout() {
    let r = raid0(&UNEQUAL, 16, ORIG);
    assert_eq!(
        r.geometry,
        Raid0Geometry {
            layout: ORIG,
            array_sectors: 272
        }
    );
    assert_eq!(
        r.zone_table(),
        [
            (144, 0, 3, 0, vec![0, 1, 2]),
            (240, 48, 2, 1, vec![1, 2]),
            (272, 96, 1, 0, vec![1]),
        ]
    );
    let m = r.map();
    assert_eq!(m.map(0), at(0, 0, 16));
    assert_eq!(m.map(143), at(2, 47, 1));
    // Array chunk 9 is the zone's first: 9 % 2 picks its second member.
    assert_eq!(m.map(144), at(2, 48, 16));
    assert_eq!(m.map(150), at(2, 54, 10));
    assert_eq!(m.map(160), at(1, 48, 16));
    assert_eq!(m.map(176), at(2, 64, 16));
    assert_eq!(m.map(239), at(1, 95, 1));
    assert_eq!(m.map(240), at(1, 96, 16));
    assert_eq!(m.map(271), at(1, 127, 1));
    assert_eq!(m.map(272), outside());
}

#[test]
fn raid0_unequal_members_alt_layout() {
    let r = raid0(&UNEQUAL, 16, ALT);
    assert_eq!(
        r.geometry,
        Raid0Geometry {
            layout: ALT,
            array_sectors: 272
        }
    );
    // No disk shift with the alternate layout.
    assert_eq!(
        r.zone_table(),
        [
            (144, 0, 3, 0, vec![0, 1, 2]),
            (240, 48, 2, 0, vec![1, 2]),
            (272, 96, 1, 0, vec![1]),
        ]
    );
    let m = r.map();
    assert_eq!(m.map(143), at(2, 47, 1));
    // The zone's first chunk is on its first member.
    assert_eq!(m.map(144), at(1, 48, 16));
    assert_eq!(m.map(150), at(1, 54, 10));
    assert_eq!(m.map(160), at(2, 48, 16));
    assert_eq!(m.map(176), at(1, 64, 16));
    assert_eq!(m.map(239), at(2, 95, 1));
    assert_eq!(m.map(240), at(1, 96, 16));
    assert_eq!(m.map(271), at(1, 127, 1));
}

#[test]
fn raid0_non_power_of_two_chunk_quirk() {
    // 100 and 50 round down to 96 and 48 with 24-sector chunks. Zone 1 has
    // one member, so the layout does not matter (and none is needed).
    let r = Raid0::new(&[100, 50], 24, -1, 0).unwrap();
    // md's raid0_size masks with 23 rather than rounding: 96 & !23 = 96,
    // 48 & !23 = 32. The array is 16 sectors smaller than its zones.
    assert_eq!(
        r.geometry,
        Raid0Geometry {
            layout: ORIG,
            array_sectors: 128
        }
    );
    assert_eq!(
        r.zone_table(),
        [(96, 0, 2, 0, vec![0, 1]), (144, 48, 1, 0, vec![0])]
    );
    let m = r.map();
    assert_eq!(m.map(0), at(0, 0, 24));
    assert_eq!(m.map(24), at(1, 0, 24));
    assert_eq!(m.map(48), at(0, 24, 24));
    assert_eq!(m.map(95), at(1, 47, 1));
    assert_eq!(m.map(96), at(0, 48, 24));
    assert_eq!(m.map(130), at(0, 82, 14));
    assert_eq!(m.map(143), at(0, 95, 1));
    assert_eq!(m.map(144), outside());
}

#[test]
fn raid0_non_power_of_two_chunk_both_layouts() {
    // 72, 144, 144 sectors, 24-sector chunks: zone 0 is 9 chunks over all
    // three, zone 1 over members 1 and 2 from their sector 72.
    let orig = raid0(&[72, 144, 144], 24, ORIG);
    let alt = raid0(&[72, 144, 144], 24, ALT);
    // 72 & !23 = 72, 144 & !23 = 128.
    assert_eq!(orig.geometry.array_sectors, 328);
    assert_eq!(alt.geometry.array_sectors, 328);
    assert_eq!(orig.zone_table()[1], (360, 72, 2, 1, vec![1, 2]));
    assert_eq!(alt.zone_table()[1], (360, 72, 2, 0, vec![1, 2]));
    let (o, a) = (orig.map(), alt.map());
    assert_eq!(o.map(216), at(2, 72, 24));
    assert_eq!(a.map(216), at(1, 72, 24));
    assert_eq!(o.map(245), at(1, 77, 19));
    assert_eq!(a.map(245), at(2, 77, 19));
    assert_eq!(o.map(359), at(1, 143, 1));
    assert_eq!(a.map(359), at(2, 143, 1));
    // Zone 0 is the same in both.
    for sector in 0..216 {
        assert_eq!(o.map(sector), a.map(sector));
    }
}

#[test]
fn raid0_chunk_of_one_sector() {
    let r = raid0(&[3, 5], 1, -1);
    assert_eq!(
        r.geometry,
        Raid0Geometry {
            layout: ORIG,
            array_sectors: 8
        }
    );
    assert_eq!(
        r.zone_table(),
        [(6, 0, 2, 0, vec![0, 1]), (8, 3, 1, 0, vec![1])]
    );
    let got: Vec<_> = (0..9).map(|s| r.map().map(s)).collect();
    let want = [
        at(0, 0, 1),
        at(1, 0, 1),
        at(0, 1, 1),
        at(1, 1, 1),
        at(0, 2, 1),
        at(1, 2, 1),
        at(1, 3, 1),
        at(1, 4, 1),
        outside(),
    ];
    assert_eq!(got, want);
}

#[test]
fn raid0_member_smaller_than_a_chunk() {
    // md keeps it: zone 0 spans all three members and is empty, zone 1
    // stripes over the other two. Zone 1 has two members, so md wants a
    // layout, although both give the same mapping here.
    let sizes = [10, 64, 64];
    assert_eq!(zone_count(&sizes, 16), 2);
    assert_eq!(
        Raid0::new(&sizes, 16, -1, 0).err(),
        Some(MapError::MultiZoneLayout)
    );
    for layout in [ORIG, ALT] {
        let r = raid0(&sizes, 16, layout);
        assert_eq!(
            r.geometry,
            Raid0Geometry {
                layout,
                array_sectors: 128
            }
        );
        assert_eq!(
            r.zone_table(),
            [(0, 0, 3, 0, vec![0, 1, 2]), (128, 0, 2, 0, vec![1, 2])]
        );
        assert_eq!(r.map().map(0), at(1, 0, 16));
        assert_eq!(r.map().map(16), at(2, 0, 16));
        assert_eq!(r.map().map(127), at(2, 63, 1));
    }
    // All members smaller than a chunk: an empty array.
    let r = raid0(&[10, 15], 16, -1);
    assert_eq!(r.geometry.array_sectors, 0);
    assert_eq!(r.map().map(0), outside());
}

#[test]
fn raid0_sixty_four_bit_sizes() {
    let big = (1u64 << 40) + 5;
    let r = raid0(&[big, big], 128, -1);
    assert_eq!(r.geometry.array_sectors, 1 << 41);
    let m = r.map();
    assert_eq!(m.map((1 << 41) - 1), at(1, (1 << 40) - 1, 1));
    // Chunk 2^33 + 1 (odd: member 1), in stripe 2^32.
    assert_eq!(m.map((1 << 40) + 130), at(1, (1 << 39) + 2, 126));
    // Unequal, with a non-power-of-two chunk and a second zone past 2^32
    // chunks.
    let r = raid0(&[3 << 40, 5 << 40], 24, ALT);
    let zone0 = (3u64 << 40) / 24 * 24 * 2;
    assert_eq!(r.zones[0].end(), zone0);
    let s = zone0 + 24 * 7 + 5;
    assert_eq!(r.map().map(s), at(1, zone0 / 2 + 24 * 7 + 5, 19));
}

#[test]
fn raid0_layout_resolution() {
    // Multi-zone, zone 1 over two members: the array's layout, else the
    // default, else refused.
    let cases = [
        (ORIG, 0, Some(ORIG)),
        (ALT, 0, Some(ALT)),
        (ORIG, ALT, Some(ORIG)),
        (ALT, ORIG, Some(ALT)),
        (-1, ALT, Some(ALT)),
        (0, ORIG, Some(ORIG)),
        (3, ALT, Some(ALT)),
        (-1, 0, None),
        (0, 0, None),
        (3, 3, None),
        (-1, -1, None),
    ];
    for (layout, default_layout, want) in cases {
        let got = Raid0::new(&UNEQUAL, 16, layout, default_layout).map(|r| r.geometry.layout);
        assert_eq!(got.ok(), want, "layout {layout}, default {default_layout}");
        if want.is_none() {
            let err = Raid0::new(&UNEQUAL, 16, layout, default_layout).err();
            assert_eq!(err, Some(MapError::MultiZoneLayout));
        }
    }
    // Zone 1 over one member: the layouts agree, the original is used.
    for layout in [-1, 0, ALT, 5] {
        let r = Raid0::new(&[64, 128], 16, layout, 0).unwrap();
        assert_eq!(r.geometry.layout, ORIG);
    }
}

#[test]
fn raid0_zone_count() {
    assert_eq!(zone_count(&[], 8), 0);
    assert_eq!(zone_count(&[100], 8), 1);
    assert_eq!(zone_count(&[100, 100, 100], 8), 1);
    // Equal once rounded.
    assert_eq!(zone_count(&[96, 100, 103], 8), 1);
    assert_eq!(zone_count(&[96, 104], 8), 2);
    assert_eq!(zone_count(&[48, 128, 96, 128, 48], 16), 3);
    assert_eq!(zone_count(&[0, 7, 8], 8), 2);
    assert_eq!(zone_count(&[1, 2, 3], 0), 3);
}

#[test]
fn raid0_discard_hand_computed() {
    let orig = raid0(&UNEQUAL, 16, ORIG);
    let alt = raid0(&UNEQUAL, 16, ALT);
    // Zone 1, chunks 9 (partly), 10 and 11 (partly).
    assert_eq!(
        discard(&orig, 150, 180),
        Some((180, vec![at(1, 48, 16), at(2, 54, 14)]))
    );
    assert_eq!(
        discard(&alt, 150, 180),
        Some((180, vec![at(1, 54, 14), at(2, 48, 16)]))
    );
    // Crossing into zone 1: only zone 0's part, on member 2.
    assert_eq!(discard(&orig, 140, 200), Some((144, vec![at(2, 44, 4)])));
    // All of zone 0: every member's first 48 sectors.
    assert_eq!(
        discard(&orig, 0, 1000),
        Some((144, vec![at(0, 0, 48), at(1, 0, 48), at(2, 0, 48)]))
    );
    assert_eq!(discard(&orig, 150, 150), None);
    assert_eq!(discard(&orig, 272, 280), None);
}

#[test]
fn raid0_status_chunk() {
    assert_eq!(status_chunk_kib(128), 64);
    assert_eq!(status_chunk_kib(24), 12);
    assert_eq!(status_chunk_kib(1), 0);
}

#[test]
fn raid0_errors() {
    let mut zones = [Zone::default(); 3];
    let mut devlist = [0; 9];
    let run = |sizes: &[u64], chunk, zones: &mut [Zone], devlist: &mut [u32]| {
        build(sizes, chunk, ORIG, 0, zones, devlist)
    };
    assert_eq!(run(&[], 16, &mut [], &mut []), Err(MapError::NoMembers));
    assert_eq!(
        run(&UNEQUAL, 0, &mut zones, &mut devlist),
        Err(MapError::ChunkZero)
    );
    assert!(run(&UNEQUAL, 16, &mut zones, &mut devlist).is_ok());
    // Tables of the wrong sizes.
    assert_eq!(
        run(&UNEQUAL, 16, &mut zones[..2], &mut devlist[..6]),
        Err(MapError::TableSize)
    );
    assert_eq!(
        run(&UNEQUAL, 16, &mut zones, &mut devlist[..8]),
        Err(MapError::TableSize)
    );
    let mut more = [0; 10];
    assert_eq!(
        run(&UNEQUAL, 16, &mut zones, &mut more),
        Err(MapError::TableSize)
    );
    // Sizes past 2^64 sectors.
    let huge = [u64::MAX - 10, u64::MAX - 10];
    assert_eq!(
        run(&huge, 1, &mut zones[..1], &mut devlist[..2]),
        Err(MapError::TooLarge)
    );
    let huge = [1 << 63, u64::MAX];
    assert_eq!(
        run(&huge, 1, &mut zones[..2], &mut devlist[..4]),
        Err(MapError::TooLarge)
    );
    assert_eq!(
        Raid0::new(&UNEQUAL, 16, -1, 0).err(),
        Some(MapError::MultiZoneLayout)
    );
    // The chunk against the members' logical block size.
    assert_eq!(chunk_fits_block_size(8, 4096), Ok(()));
    assert_eq!(chunk_fits_block_size(24, 4096), Ok(()));
    assert_eq!(chunk_fits_block_size(1, 512), Ok(()));
    assert_eq!(chunk_fits_block_size(1, 0), Ok(()));
    assert_eq!(
        chunk_fits_block_size(4, 4096),
        Err(MapError::ChunkNotBlockMultiple)
    );
    assert_eq!(
        chunk_fits_block_size(12, 4096),
        Err(MapError::ChunkNotBlockMultiple)
    );
    assert_eq!(
        chunk_fits_block_size(3, 1024),
        Err(MapError::ChunkNotBlockMultiple)
    );
}

#[test]
fn error_messages() {
    let all = [
        MapError::NoMembers,
        MapError::ChunkZero,
        MapError::ChunkNotBlockMultiple,
        MapError::MultiZoneLayout,
        MapError::TableSize,
        MapError::TooLarge,
    ];
    let mut seen = std::collections::HashSet::new();
    for e in all {
        let m = e.message();
        assert!(!m.is_empty() && m.len() < 100, "{e:?}");
        assert_eq!(m, m.to_lowercase(), "{e:?}");
        assert!(!m.contains("error") && !m.contains("call trace"), "{e:?}");
        assert!(seen.insert(m), "{e:?}");
    }
}

#[test]
fn raid0_map_without_chunk_maps_nothing() {
    let r = raid0(&UNEQUAL, 16, ORIG);
    let m = Raid0Map::new(&r.zones, &r.devlist, 0, ORIG, 3);
    assert_eq!(m.map(0), outside());
    assert!(m.discard(0, 10).is_none());
}

#[test]
fn linear_hand_computed() {
    // No rounding; a member of size 0 is skipped.
    let (ends, size) = linear(&[10, 0, 20], 0);
    assert_eq!((ends.as_slice(), size), (&[10, 10, 30][..], 30));
    let m = LinearMap::new(&ends);
    assert_eq!(m.map(0), at(0, 0, 10));
    assert_eq!(m.map(9), at(0, 9, 1));
    assert_eq!(m.map(10), at(2, 0, 20));
    assert_eq!(m.map(29), at(2, 19, 1));
    assert_eq!(m.map(30), outside());
    // Rounded to 16 sectors: 96, 32, 64.
    let (ends, size) = linear(&[100, 37, 64], 16);
    assert_eq!((ends.as_slice(), size), (&[96, 128, 192][..], 192));
    let m = LinearMap::new(&ends);
    assert_eq!(m.map(95), at(0, 95, 1));
    assert_eq!(m.map(96), at(1, 0, 32));
    assert_eq!(m.map(130), at(2, 2, 62));
    assert_eq!(m.map(192), outside());
    // Rounding that is not a power of two divides (unlike raid0's size).
    let (ends, size) = linear(&[100, 50], 24);
    assert_eq!((ends.as_slice(), size), (&[96, 144][..], 144));
    assert_eq!(LinearMap::new(&ends).map(100), at(1, 4, 44));
    // Members all below the rounding: an empty array.
    let (ends, size) = linear(&[5, 6], 8);
    assert_eq!((ends.as_slice(), size), (&[0, 0][..], 0));
    assert_eq!(LinearMap::new(&ends).map(0), outside());
    assert_eq!(LinearMap::new(&[]).map(0), outside());
    // 64-bit sizes.
    let (ends, _) = linear(&[1 << 50, 3 << 40], 128);
    assert_eq!(
        LinearMap::new(&ends).map((1 << 50) + 7),
        at(1, 7, (3 << 40) - 7)
    );
}

#[test]
fn linear_errors() {
    assert_eq!(linear_map::build(&[], 0, &mut []), Err(MapError::NoMembers));
    assert_eq!(
        linear_map::build(&[1, 2], 0, &mut [0]),
        Err(MapError::TableSize)
    );
    assert_eq!(
        linear_map::build(&[1, 2], 0, &mut [0; 3]),
        Err(MapError::TableSize)
    );
    assert_eq!(
        linear_map::build(&[u64::MAX, 1], 0, &mut [0; 2]),
        Err(MapError::TooLarge)
    );
    // Rounded first: u64::MAX - 1 and 0.
    assert_eq!(
        linear_map::build(&[u64::MAX, 1], 2, &mut [0; 2]),
        Ok(u64::MAX - 1)
    );
}

/// A deterministic PRNG (splitmix64): no crates here.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next() % n
        }
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

fn random_chunk(rng: &mut Rng, allow_zero: bool) -> u32 {
    if allow_zero && rng.chance(30) {
        return 0;
    }
    if rng.chance(20) {
        return 1 + rng.below(300) as u32;
    }
    rng.pick(&[
        1, 2, 4, 8, 16, 64, 128, 1024, 3, 5, 6, 7, 12, 24, 40, 100, 127,
    ])
}

/// Member sizes drawn from a few distinct values (so zones of several
/// members happen), with jitter below a chunk (so rounding merges sizes),
/// at scales from below a chunk to past 2^40 sectors.
fn random_sizes(rng: &mut Rng, members: usize, chunk: u32) -> Vec<u64> {
    let chunk = u64::from(chunk.max(1));
    let scale = match rng.below(5) {
        0 => chunk * 4,
        1 => chunk * 40,
        2 => chunk * 2000,
        3 => 1 << 24,
        _ => 1 << 44,
    };
    let distinct = 1 + rng.below(members as u64) as usize;
    let values: Vec<u64> = (0..distinct).map(|_| rng.below(scale)).collect();
    (0..members)
        .map(|_| {
            let jitter = if rng.chance(40) { rng.below(chunk) } else { 0 };
            rng.pick(&values) + jitter
        })
        .collect()
}

/// Array sectors worth asking about: both sides of every boundary, then
/// random ones.
fn probe_sectors(
    rng: &mut Rng,
    boundaries: &[u64],
    end: u64,
    chunk: u64,
    random: usize,
) -> Vec<u64> {
    let mut sectors = vec![0, end, end + 1, end + rng.below(1000)];
    for &b in boundaries {
        for s in [
            b.wrapping_sub(1),
            b,
            b + 1,
            b + chunk,
            b.wrapping_sub(chunk),
        ] {
            if s < end {
                sectors.push(s);
            }
        }
    }
    sectors.extend((0..random).map(|_| rng.below(end)));
    sectors
}

#[test]
fn raid0_invariants() {
    // Independent of md's code: on small arrays, every sector of the zones
    // maps to a distinct member sector, the members' rounded sizes are
    // covered exactly, each run is contiguous, and a discard is the union
    // of its chunks.
    let mut rng = Rng(0x5eed_0001);
    let mut checked = 0;
    while checked < 400 {
        let members = 1 + rng.below(5) as usize;
        let chunk = random_chunk(&mut rng, false).min(40);
        let sizes: Vec<u64> = (0..members)
            .map(|_| rng.below(u64::from(chunk) * 12))
            .collect();
        let Ok(r) = Raid0::new(&sizes, chunk, rng.pick(&[ORIG, ALT]), 0) else {
            continue;
        };
        if r.zones_end() == 0 {
            continue;
        }
        checked += 1;
        let m = r.map();
        let end = r.zones_end();
        let rounded: Vec<u64> = sizes.iter().map(|&s| round_to_chunk(s, chunk)).collect();
        assert_eq!(end, rounded.iter().sum::<u64>());
        assert!(r.geometry.array_sectors <= end);
        if chunk.is_power_of_two() {
            assert_eq!(r.geometry.array_sectors, end);
        }
        let mut owner = HashMap::new();
        for s in 0..end {
            let got = m.map(s);
            assert!(
                got.sectors > 0 && got.sectors <= u64::from(chunk),
                "{sizes:?} {chunk} {s}"
            );
            assert!(got.sector < rounded[got.member as usize]);
            assert_eq!(owner.insert((got.member, got.sector), s), None);
            for i in 1..got.sectors {
                assert_eq!(
                    m.map(s + i),
                    at(got.member, got.sector + i, got.sectors - i)
                );
            }
        }
        assert_eq!(owner.len() as u64, end);
        assert_eq!(m.map(end), outside());

        for _ in 0..20 {
            let start = rng.below(end);
            let stop = start + 1 + rng.below(end - start);
            let (part_end, ranges) = discard(&r, start, stop).unwrap();
            let zone_end = r.zones.iter().map(Zone::end).find(|&e| start < e).unwrap();
            assert_eq!(part_end, stop.min(zone_end));
            let mut want: Vec<(u32, u64, u64)> = Vec::new();
            for s in start..part_end {
                let got = m.map(s);
                match want.iter_mut().find(|w| w.0 == got.member) {
                    Some(w) => {
                        assert_eq!(w.1 + w.2, got.sector, "discard range not contiguous");
                        w.2 += 1;
                    }
                    None => want.push((got.member, got.sector, 1)),
                }
            }
            want.sort();
            let mut got: Vec<_> = ranges
                .iter()
                .map(|g| (g.member, g.sector, g.sectors))
                .collect();
            got.sort();
            assert_eq!(got, want, "{sizes:?} chunk {chunk} discard {start}..{stop}");
        }
    }
}

/// The C compiler to build the reference with, if any.
fn c_compiler() -> Option<&'static str> {
    ["cc", "gcc", "clang"].into_iter().find(|cc| {
        Command::new(cc)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    })
}

/// A temporary directory, removed even when the test fails.
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Builds c_ref/maps_ref.c into a fresh temporary directory.
fn build_reference(cc: &str) -> (TempDir, PathBuf) {
    let dir = std::env::temp_dir().join(format!("rust_md_maps_ref.{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let dir = TempDir(dir);
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("c_ref/maps_ref.c");
    let exe = dir.0.join("maps_ref");
    let out = Command::new(cc)
        .args([
            "-std=gnu11",
            "-O2",
            "-Wall",
            "-Werror=implicit-function-declaration",
        ])
        .arg(&source)
        .arg("-o")
        .arg(&exe)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{cc} failed on {}:\n{}",
        source.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    (dir, exe)
}

/// Runs the reference on `input`, returns its output lines.
fn run_reference(dir: &Path, exe: &Path, input: &str) -> Vec<String> {
    let input_path = dir.join("input");
    std::fs::write(&input_path, input).unwrap();
    let out = Command::new(exe)
        .stdin(std::fs::File::open(&input_path).unwrap())
        .output()
        .unwrap();
    assert!(out.status.success(), "reference failed: {:?}", out.status);
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

fn numbers(line: &str) -> Vec<u64> {
    line.split_whitespace()
        .skip(1)
        .map(|w| w.parse().unwrap())
        .collect()
}

/// A reference answer for a mapping: "X" is outside the array.
fn reference_mapping(line: &str) -> Mapping {
    if line == "X" {
        return outside();
    }
    assert!(line.starts_with("M "), "{line}");
    let n = numbers(line);
    at(n[0] as u32, n[1], n[2])
}

/// One generated raid0 array, its probes and what the Rust side says.
enum Case {
    Raid0 {
        sizes: Vec<u64>,
        chunk: u32,
        layout: i32,
        default_layout: i32,
        block_size: u32,
        result: Result<Raid0, MapError>,
        sectors: Vec<u64>,
        discards: Vec<(u64, u64)>,
    },
    Linear {
        sizes: Vec<u64>,
        chunk: u32,
        ends: Vec<u64>,
        size: u64,
        sectors: Vec<u64>,
    },
}

fn raid0_case(rng: &mut Rng) -> Case {
    let members = if rng.chance(90) {
        1 + rng.below(8)
    } else {
        9 + rng.below(8)
    } as usize;
    let allow_zero = rng.chance(3);
    let chunk = random_chunk(rng, allow_zero);
    let sizes = random_sizes(rng, members, chunk);
    let layout = rng.pick(&[-1, 0, ORIG, ALT, ORIG, ALT, 3]);
    let default_layout = rng.pick(&[0, 0, ORIG, ALT, 5]);
    let block_size = rng.pick(&[512, 512, 512, 1024, 4096]);
    // md's order: no chunk, then the block size, then the layout.
    let result = chunk_fits_block_size(chunk, block_size)
        .and_then(|()| Raid0::new(&sizes, chunk, layout, default_layout));
    let (mut sectors, mut discards) = (Vec::new(), Vec::new());
    if let Ok(r) = &result {
        let end = r.zones_end();
        let c = u64::from(chunk);
        let mut boundaries: Vec<u64> = r.zones.iter().map(Zone::end).collect();
        boundaries.push(r.geometry.array_sectors);
        sectors = probe_sectors(rng, &boundaries, end, c, 25);
        if end > 0 {
            for _ in 0..8 {
                let start = match rng.below(3) {
                    0 => rng.pick(&boundaries).saturating_sub(rng.below(2 * c)),
                    _ => rng.below(end),
                }
                .min(end - 1);
                let stripe = c * u64::from(r.members);
                let len = match rng.below(4) {
                    0 => 1 + rng.below(c),
                    1 => 1 + rng.below(4 * stripe),
                    2 => 1 + rng.below(end),
                    _ => end,
                };
                discards.push((start, (start + len).min(end)));
            }
        }
    }
    Case::Raid0 {
        sizes,
        chunk,
        layout,
        default_layout,
        block_size,
        result,
        sectors,
        discards,
    }
}

fn linear_case(rng: &mut Rng) -> Case {
    let members = 1 + rng.below(8) as usize;
    let chunk = random_chunk(rng, true);
    let sizes = random_sizes(rng, members, chunk);
    let (ends, size) = linear(&sizes, chunk);
    let sectors = probe_sectors(rng, &ends, size, u64::from(chunk), 10);
    Case::Linear {
        sizes,
        chunk,
        ends,
        size,
        sectors,
    }
}

fn join(values: &[u64]) -> String {
    values
        .iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn equivalence_with_md_c_code() {
    let Some(cc) = c_compiler() else {
        eprintln!("SKIPPED equivalence_with_md_c_code: no C compiler (cc, gcc, clang) found");
        return;
    };
    let (dir, exe) = build_reference(cc);

    let mut rng = Rng(0x6d64_5f72_6169_6430);
    let cases: Vec<Case> = (0..6000)
        .map(|i| {
            if i % 4 == 3 {
                linear_case(&mut rng)
            } else {
                raid0_case(&mut rng)
            }
        })
        .collect();
    let mut input = String::new();
    for case in &cases {
        match case {
            Case::Raid0 {
                sizes,
                chunk,
                layout,
                default_layout,
                block_size,
                sectors,
                discards,
                ..
            } => {
                let n = sizes.len();
                writeln!(
                    input,
                    "R {chunk} {layout} {default_layout} {block_size} {n} {}",
                    join(sizes)
                )
                .unwrap();
                for s in sectors {
                    writeln!(input, "M {s}").unwrap();
                }
                for (start, end) in discards {
                    writeln!(input, "D {start} {end}").unwrap();
                }
            }
            Case::Linear {
                sizes,
                chunk,
                sectors,
                ..
            } => {
                writeln!(input, "L {chunk} {} {}", sizes.len(), join(sizes)).unwrap();
                for s in sectors {
                    writeln!(input, "M {s}").unwrap();
                }
            }
        }
    }
    let output = run_reference(&dir.0, &exe, &input);
    let mut lines = output.iter().map(String::as_str);
    let mut next = || lines.next().expect("reference output ended early");

    let mut counts: HashMap<&str, usize> = HashMap::new();
    for case in &cases {
        match case {
            Case::Raid0 {
                sizes,
                chunk,
                layout,
                default_layout,
                result,
                sectors,
                discards,
                ..
            } => {
                let what = format!(
                    "raid0 {sizes:?} chunk {chunk} layout {layout} default {default_layout}"
                );
                let line = next();
                let r = match result {
                    Err(e) => {
                        let errno = match e {
                            MapError::MultiZoneLayout => "-95",
                            MapError::ChunkZero | MapError::ChunkNotBlockMultiple => "-22",
                            _ => panic!("{what}: unexpected {e:?}"),
                        };
                        assert_eq!(line, format!("ERR {errno}"), "{what}: {e:?}");
                        *counts.entry(e.message()).or_default() += 1;
                        continue;
                    }
                    Ok(r) => r,
                };
                assert!(
                    line.starts_with("OK "),
                    "{what}: md says {line}, Rust {:?}",
                    r.geometry
                );
                let n = numbers(line);
                assert_eq!(n[0] as i32, r.geometry.layout, "{what}: layout");
                assert_eq!(n[1], r.geometry.array_sectors, "{what}: array size");
                assert_eq!(n[2] as usize, r.zones.len(), "{what}: zones");
                for zone in r.zone_table() {
                    let z = numbers(next());
                    let members: Vec<u32> = z[4..].iter().map(|&m| m as u32).collect();
                    assert_eq!(
                        (z[0], z[1], z[2] as u32, z[3] as u32, members),
                        zone,
                        "{what}"
                    );
                }
                let map = r.map();
                for &s in sectors {
                    assert_eq!(map.map(s), reference_mapping(next()), "{what}: sector {s}");
                }
                for &(start, end) in discards {
                    let line = next();
                    let got = discard(r, start, end);
                    let want = (line != "X").then(|| {
                        let n = numbers(line);
                        let ranges = n[2..]
                            .chunks(3)
                            .map(|m| at(m[0] as u32, m[1], m[2]))
                            .collect::<Vec<_>>();
                        assert_eq!(ranges.len() as u64, n[1]);
                        (n[0], ranges)
                    });
                    assert_eq!(got, want, "{what}: discard {start}..{end}");
                }
                *counts.entry("raid0 arrays").or_default() += 1;
                if r.zones.len() > 1 && r.zones[1].nb_dev() > 1 {
                    let key = if r.geometry.layout == ORIG {
                        "multi-zone orig"
                    } else {
                        "multi-zone alt"
                    };
                    *counts.entry(key).or_default() += 1;
                }
                if !chunk.is_power_of_two() {
                    *counts.entry("non-power-of-2 chunk").or_default() += 1;
                }
                if r.geometry.array_sectors < r.zones_end() {
                    *counts
                        .entry("size below zones (raid0_size mask)")
                        .or_default() += 1;
                }
                if sizes.iter().any(|&s| s < u64::from(*chunk)) {
                    *counts.entry("member below a chunk").or_default() += 1;
                }
                if r.zones_end() > 1 << 32 {
                    *counts.entry("past 2^32 sectors").or_default() += 1;
                }
                *counts.entry("raid0 mappings").or_default() += sectors.len();
                *counts.entry("raid0 discards").or_default() += discards.len();
            }
            Case::Linear {
                sizes,
                chunk,
                ends,
                size,
                sectors,
            } => {
                let what = format!("linear {sizes:?} rounding {chunk}");
                assert_eq!(next(), format!("OK {size}"), "{what}");
                let map = LinearMap::new(ends);
                for &s in sectors {
                    assert_eq!(map.map(s), reference_mapping(next()), "{what}: sector {s}");
                }
                *counts.entry("linear arrays").or_default() += 1;
                *counts.entry("linear mappings").or_default() += sectors.len();
            }
        }
    }
    assert_eq!(lines.next(), None, "reference output left over");

    let mut report: Vec<_> = counts.iter().collect();
    report.sort();
    eprintln!("compared with md's C code ({cc}): {report:?}");
    // Every kind of case was generated, often enough to mean something.
    for (key, least) in [
        ("raid0 arrays", 2000),
        ("multi-zone orig", 300),
        ("multi-zone alt", 300),
        ("non-power-of-2 chunk", 500),
        ("size below zones (raid0_size mask)", 50),
        ("member below a chunk", 50),
        ("past 2^32 sectors", 200),
        ("raid0 mappings", 50_000),
        ("raid0 discards", 10_000),
        ("linear arrays", 1000),
        (MapError::MultiZoneLayout.message(), 50),
        (MapError::ChunkZero.message(), 10),
        (MapError::ChunkNotBlockMultiple.message(), 50),
    ] {
        let got = counts.get(key).copied().unwrap_or(0);
        assert!(got >= least, "only {got} of {key}");
    }
}
