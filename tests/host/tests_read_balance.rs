// SPDX-License-Identifier: GPL-2.0
//! raid1 read balancing: hand-worked cases for every rule and boundary,
//! streams of reads with the caller's bookkeeping, and equivalence with
//! md's own C code (c_ref/read_balance_ref.c, compiled and run here).
use crate::read_balance::*;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const MAX: u64 = u64::MAX;

/// An in-sync, rotational, idle mirror whose head is at `head`, with no
/// read stream.
fn at(head: u64) -> MirrorState {
    MirrorState {
        present: true,
        recovery_offset: IN_SYNC,
        write_mostly: false,
        nonrot: false,
        io_opt_sectors: 0,
        head_position: head,
        next_seq_sect: 0,
        seq_start: NO_SEQ_START,
        nr_pending: 0,
    }
}

fn busy(head: u64, nr_pending: u32) -> MirrorState {
    MirrorState {
        nr_pending,
        ..at(head)
    }
}

fn recovering(head: u64, recovery_offset: u64) -> MirrorState {
    MirrorState {
        recovery_offset,
        ..at(head)
    }
}

fn write_mostly(head: u64) -> MirrorState {
    MirrorState {
        write_mostly: true,
        ..at(head)
    }
}

/// A non-rotational mirror with optimal I/O size `opt` sectors, busy with
/// `nr_pending` I/Os, whose last read stream ran from `start` to `next`.
fn ssd(opt: u32, start: u64, next: u64, nr_pending: u32) -> MirrorState {
    MirrorState {
        nonrot: true,
        io_opt_sectors: opt,
        seq_start: start,
        next_seq_sect: next,
        head_position: 1 << 40,
        nr_pending,
        ..at(0)
    }
}

/// An array in sync, all members rotational.
const CLEAN: ArrayReadState = ArrayReadState {
    resync_offset: MAX,
    any_nonrot: false,
};

const CLEAN_NONROT: ArrayReadState = ArrayReadState {
    resync_offset: MAX,
    any_nonrot: true,
};

fn resyncing(resync_offset: u64) -> ArrayReadState {
    ArrayReadState {
        resync_offset,
        any_nonrot: false,
    }
}

/// (disk, rule) of the choice.
fn pick(
    mirrors: &[MirrorState],
    array: &ArrayReadState,
    sector: u64,
    sectors: u32,
) -> Option<(usize, Rule)> {
    read_balance(mirrors, array, sector, sectors).map(|c| (c.disk, c.rule))
}

#[test]
fn nothing_to_read_from() {
    assert_eq!(read_balance(&[], &CLEAN, 0, 8), None);
    let gone = [MirrorState::ABSENT; 4];
    assert_eq!(read_balance(&gone, &CLEAN, 0, 8), None);
    assert_eq!(read_balance(&gone, &resyncing(0), 0, 8), None);
    // An empty read goes nowhere, whatever the mirrors.
    assert_eq!(read_balance(&[at(0), at(0)], &CLEAN, 0, 0), None);
    assert_eq!(read_balance(&[at(0)], &resyncing(0), 0, 0), None);
}

#[test]
fn single_mirror() {
    let c = read_balance(&[busy(500, 2)], &CLEAN, 1000, 8).unwrap();
    assert_eq!(
        c,
        Choice {
            disk: 0,
            max_sectors: 8,
            next_seq_sect: 1008,
            seq_start: 1000,
            rule: Rule::Closest,
        }
    );
    assert_eq!(
        pick(&[at(500)], &CLEAN, 1000, 8),
        Some((0, Rule::LeastPending))
    );
}

#[test]
fn read_first_boundaries() {
    // Mirror 1 is idle and right there, mirror 0 busy and far away: only
    // balancing would pick mirror 1.
    let m = [busy(1 << 30, 5), at(100)];
    // The read ends at 108: read first once the resync point is below that.
    assert_eq!(
        pick(&m, &resyncing(107), 100, 8),
        Some((0, Rule::ReadFirst))
    );
    assert_eq!(pick(&m, &resyncing(0), 100, 8), Some((0, Rule::ReadFirst)));
    assert_eq!(
        pick(&m, &resyncing(108), 100, 8),
        Some((1, Rule::Sequential))
    );
    assert_eq!(
        pick(&m, &resyncing(MAX), 100, 8),
        Some((1, Rule::Sequential))
    );
    assert!(resyncing(107).should_read_first(100, 8));
    assert!(!resyncing(108).should_read_first(100, 8));
    assert!(!CLEAN.should_read_first(MAX - 8, 8));
}

#[test]
fn read_first_skips_only_unusable_mirrors() {
    let array = resyncing(0);
    // Absent, faulty or blocked slots are skipped...
    let m = [MirrorState::ABSENT, busy(0, 9), at(0)];
    assert_eq!(pick(&m, &array, 0, 8), Some((1, Rule::ReadFirst)));
    // ...a write-mostly one is not (md 6.12)...
    let m = [MirrorState::ABSENT, write_mostly(0), at(0)];
    assert_eq!(pick(&m, &array, 0, 8), Some((1, Rule::ReadFirst)));
    // ...nor one recovered past the read (recovered up to its end)...
    let m = [recovering(0, 108), at(0)];
    assert_eq!(pick(&m, &array, 100, 8), Some((0, Rule::ReadFirst)));
    // ...but one not recovered up to the read's end is: rust_md's change,
    // md 6.12 would read stale data from it.
    let m = [recovering(0, 107), at(0)];
    assert_eq!(pick(&m, &array, 100, 8), Some((1, Rule::ReadFirst)));
    let m = [recovering(0, 0), MirrorState::ABSENT];
    assert_eq!(pick(&m, &array, 100, 8), None);
}

#[test]
fn read_first_keeps_the_stream_bookkeeping() {
    let mut m = at(0);
    m.next_seq_sect = 100;
    m.seq_start = 40;
    let c = read_balance(&[m], &resyncing(0), 100, 8).unwrap();
    assert_eq!((c.next_seq_sect, c.seq_start), (108, 40));
    let c = read_balance(&[m], &resyncing(0), 200, 8).unwrap();
    assert_eq!((c.next_seq_sect, c.seq_start), (208, 200));
}

#[test]
fn sequential_reads_stay_on_their_mirror() {
    // Mirror 1 is busier and further than mirror 0, but the read continues
    // its last one.
    let mut m = [at(900), busy(0, 7)];
    m[1].next_seq_sect = 1000;
    m[1].seq_start = 600;
    let c = read_balance(&m, &CLEAN, 1000, 8).unwrap();
    assert_eq!(
        c,
        Choice {
            disk: 1,
            max_sectors: 8,
            next_seq_sect: 1008,
            seq_start: 600,
            rule: Rule::Sequential,
        }
    );
    // Even where balancing goes by pending I/Os.
    assert_eq!(
        pick(&m, &CLEAN_NONROT, 1000, 8),
        Some((1, Rule::Sequential))
    );
    // A read starting at a mirror's head is sequential too; it starts a
    // new stream there.
    let m = [at(0), busy(2000, 3)];
    let c = read_balance(&m, &CLEAN_NONROT, 2000, 16).unwrap();
    assert_eq!((c.disk, c.rule), (1, Rule::Sequential));
    assert_eq!((c.next_seq_sect, c.seq_start), (2016, 2000));
    // The first sequential mirror wins.
    let m = [busy(5, 1), at(500), busy(500, 2)];
    assert_eq!(pick(&m, &CLEAN, 500, 8), Some((1, Rule::Sequential)));
    // Unreadable mirrors are never sequential.
    let m = [recovering(500, 100), write_mostly(500), busy(0, 4)];
    assert_eq!(pick(&m, &CLEAN, 500, 8), Some((2, Rule::Closest)));
}

#[test]
fn long_streams_move_to_an_idle_ssd() {
    // Mirror 0 streamed 64 sectors from 1000, its optimal I/O size: the
    // next part goes to idle mirror 1.
    let m = [ssd(64, 1000, 1064, 1), ssd(64, NO_SEQ_START, 0, 0)];
    let c = read_balance(&m, &CLEAN_NONROT, 1064, 8).unwrap();
    assert_eq!(
        c,
        Choice {
            disk: 1,
            max_sectors: 8,
            next_seq_sect: 1072,
            seq_start: 1064,
            rule: Rule::LeastPending,
        }
    );
    // One sector shorter: it stays.
    let m = [ssd(64, 1001, 1064, 1), ssd(64, NO_SEQ_START, 0, 0)];
    assert_eq!(
        pick(&m, &CLEAN_NONROT, 1064, 8),
        Some((0, Rule::Sequential))
    );
    // No other mirror idle: it stays, as the busy sequential one...
    let m = [ssd(64, 1000, 1064, 1), ssd(64, NO_SEQ_START, 0, 1)];
    assert_eq!(
        pick(&m, &CLEAN_NONROT, 1064, 8),
        Some((0, Rule::SequentialBusy))
    );
    // ...even when it is idle itself: it counts one more.
    let m = [ssd(64, 1000, 1064, 0), ssd(64, NO_SEQ_START, 0, 3)];
    assert_eq!(
        pick(&m, &CLEAN_NONROT, 1064, 8),
        Some((0, Rule::SequentialBusy))
    );
    // The last long sequential mirror is the one kept.
    let m = [ssd(64, 1000, 1064, 2), ssd(8, 0, 1064, 2), busy(9, 1)];
    assert_eq!(
        pick(&m, &CLEAN_NONROT, 1064, 8),
        Some((1, Rule::SequentialBusy))
    );
    // md's quirk: u32::MAX pending plus one wraps to 0, "idle".
    let m = [ssd(64, 1000, 1064, u32::MAX), busy(0, 1)];
    assert_eq!(
        pick(&m, &CLEAN_NONROT, 1064, 8),
        Some((0, Rule::LeastPending))
    );
}

#[test]
fn streams_that_never_move() {
    let idle = ssd(64, NO_SEQ_START, 0, 0);
    for m0 in [
        // Rotational: seeking away costs more.
        MirrorState {
            nonrot: false,
            ..ssd(64, 1000, 1064, 1)
        },
        // No optimal I/O size.
        ssd(0, 1000, 1064, 1),
        // No stream start recorded.
        ssd(64, NO_SEQ_START, 1064, 1),
        // The stream's end is not past the optimal I/O size.
        ssd(1064, 0, 1064, 1),
        ssd(2000, 0, 1064, 1),
    ] {
        assert_eq!(
            pick(&[m0, idle], &CLEAN_NONROT, 1064, 8),
            Some((0, Rule::Sequential)),
            "{m0:?}"
        );
    }
    // Just past the optimal I/O size, from sector 0.
    let m = [ssd(1063, 0, 1064, 1), idle];
    assert_eq!(
        pick(&m, &CLEAN_NONROT, 1064, 8),
        Some((1, Rule::LeastPending))
    );
}

#[test]
fn least_pending_with_any_nonrot_member() {
    let m = [
        busy(100, 3),
        busy(1 << 40, 1),
        busy(1 << 41, 1),
        busy(99, 2),
    ];
    // The array has an SSD: fewest pending I/Os, first of equals; distance
    // does not matter.
    assert_eq!(
        pick(&m, &CLEAN_NONROT, 100_000, 8),
        Some((1, Rule::LeastPending))
    );
    // All rotational and all busy: the closest head.
    assert_eq!(pick(&m, &CLEAN, 100_000, 8), Some((0, Rule::Closest)));
}

#[test]
fn idle_mirror_beats_a_close_one() {
    // All rotational: an idle mirror still wins over a closer busy one...
    let m = [busy(1000, 1), at(1 << 40), at(1 << 41)];
    assert_eq!(pick(&m, &CLEAN, 1001, 8), Some((1, Rule::LeastPending)));
    // ...and among idle mirrors, the first, not the closest.
    let m = [busy(1000, 1), at(1 << 40), at(1002)];
    assert_eq!(pick(&m, &CLEAN, 1001, 8), Some((1, Rule::LeastPending)));
}

#[test]
fn closest_head_among_busy_rotational_mirrors() {
    // Distances 50 below, 30 above, 30 below: the first of the closest.
    let m = [busy(950, 1), busy(1030, 4), busy(970, 2)];
    assert_eq!(pick(&m, &CLEAN, 1000, 8), Some((1, Rule::Closest)));
    let m = [busy(950, 1), busy(1031, 4), busy(970, 2)];
    assert_eq!(pick(&m, &CLEAN, 1000, 8), Some((2, Rule::Closest)));
    // md measures the distance as a signed difference: 2^63 away either
    // way is the farthest, one past wraps round to the near side.
    let m = [busy(0, 1), busy(1 << 63, 1)];
    assert_eq!(
        pick(&m, &CLEAN, (1 << 63) + 10, 8),
        Some((1, Rule::Closest))
    );
    let m = [busy(MAX, 1), busy(1 << 40, 1)];
    assert_eq!(pick(&m, &CLEAN, 5, 8), Some((0, Rule::Closest)));
    // A mirror with u32::MAX pending I/Os never counts as least busy.
    let m = [busy(1 << 40, u32::MAX), busy(0, u32::MAX)];
    assert_eq!(pick(&m, &CLEAN_NONROT, 10, 8), Some((1, Rule::Closest)));
}

#[test]
fn recovering_mirrors_serve_only_what_they_hold() {
    // Mirror 0 is recovered up to 108: it serves reads ending there...
    let m = [recovering(100, 108), busy(1 << 40, 9)];
    assert_eq!(pick(&m, &CLEAN, 100, 8), Some((0, Rule::Sequential)));
    assert_eq!(pick(&m, &CLEAN, 50, 8), Some((0, Rule::LeastPending)));
    // ...not one sector further.
    assert_eq!(pick(&m, &CLEAN, 101, 8), Some((1, Rule::Closest)));
    assert_eq!(pick(&m, &CLEAN, 100, 9), Some((1, Rule::Closest)));
}

#[test]
fn write_mostly_only_as_a_last_resort() {
    // Idle, close and sequential, but write-mostly: the busy far one wins.
    let mut wm = write_mostly(100);
    wm.next_seq_sect = 100;
    let m = [wm, busy(1 << 40, 9)];
    assert_eq!(pick(&m, &CLEAN, 100, 8), Some((1, Rule::Closest)));
    // Nothing else: the first write-mostly mirror that holds the data,
    // whatever its load or distance.
    let m = [
        MirrorState::ABSENT,
        recovering(100, 50),
        MirrorState {
            recovery_offset: 100,
            ..write_mostly(100)
        },
        MirrorState {
            nr_pending: 20,
            ..write_mostly(1 << 50)
        },
        write_mostly(100),
    ];
    let c = read_balance(&m, &CLEAN, 100, 8).unwrap();
    assert_eq!(
        c,
        Choice {
            disk: 3,
            max_sectors: 8,
            next_seq_sect: 108,
            seq_start: 100,
            rule: Rule::WriteMostly,
        }
    );
    // Write-mostly ones still in recovery there: nothing.
    let m = [
        recovering(100, 107),
        MirrorState {
            recovery_offset: 107,
            ..write_mostly(100)
        },
    ];
    assert_eq!(pick(&m, &CLEAN, 100, 8), None);
}

#[test]
fn head_position_after_an_io() {
    assert_eq!(head_position_after(100, 8), 108);
    assert_eq!(head_position_after(MAX, 1), 0);
}

#[test]
fn by_closure_matches_slice() {
    let m = [
        busy(950, 1),
        at(1 << 41),
        write_mostly(1000),
        recovering(0, 5),
    ];
    for array in [CLEAN, CLEAN_NONROT, resyncing(0)] {
        for sector in [0, 3, 1000, 1 << 41] {
            let calls = std::cell::Cell::new(0);
            let by = read_balance_by(
                m.len(),
                |i| {
                    calls.set(calls.get() + 1);
                    m[i]
                },
                &array,
                sector,
                8,
            );
            assert_eq!(by, read_balance(&m, &array, sector, 8));
            assert!(calls.get() > 0);
        }
    }
}

/// The caller's side of a raid1 array: the mirrors' state and what it does
/// with each choice (md's update_read_sectors, update_head_pos and
/// nr_pending), as the kernel module is to do it.
struct Mirrors(Vec<MirrorState>);

impl Mirrors {
    fn read(&mut self, array: &ArrayReadState, sector: u64, sectors: u32) -> Option<Choice> {
        let c = read_balance(&self.0, array, sector, sectors)?;
        let m = &mut self.0[c.disk];
        m.nr_pending += 1;
        m.next_seq_sect = c.next_seq_sect;
        m.seq_start = c.seq_start;
        Some(c)
    }

    fn complete(&mut self, disk: usize, sector: u64, sectors: u32) {
        let m = &mut self.0[disk];
        m.nr_pending -= 1;
        m.head_position = head_position_after(sector, sectors);
    }
}

#[test]
fn interleaved_streams_settle_on_separate_mirrors() {
    // Two rotational mirrors, two readers streaming from 4096 and 1 << 20,
    // their reads overlapping.
    let mut m = Mirrors(vec![at(0), at(0)]);
    let a = m.read(&CLEAN, 4096, 8).unwrap();
    assert_eq!((a.disk, a.rule), (0, Rule::LeastPending));
    let b = m.read(&CLEAN, 1 << 20, 8).unwrap();
    assert_eq!((b.disk, b.rule), (1, Rule::LeastPending));
    for i in 1..50u64 {
        let a2 = m.read(&CLEAN, 4096 + 8 * i, 8).unwrap();
        let b2 = m.read(&CLEAN, (1 << 20) + 8 * i, 8).unwrap();
        assert_eq!((a2.disk, b2.disk), (0, 1), "step {i}");
        assert_eq!((a2.rule, b2.rule), (Rule::Sequential, Rule::Sequential));
        assert_eq!((a2.seq_start, b2.seq_start), (4096, 1 << 20));
        m.complete(0, 4096 + 8 * (i - 1), 8);
        m.complete(1, (1 << 20) + 8 * (i - 1), 8);
    }
}

#[test]
fn a_fresh_mirror_continues_a_stream_at_sector_0() {
    // md starts a mirror's next_seq_sect at 0 (and seq_start at MaxSector):
    // a read at sector 0 continues that "stream", even on a busy far
    // mirror, and leaves seq_start unset.
    let m = [busy(1 << 30, 5), at(1 << 30)];
    let c = read_balance(&m, &CLEAN, 0, 8).unwrap();
    assert_eq!((c.disk, c.rule), (0, Rule::Sequential));
    assert_eq!((c.next_seq_sect, c.seq_start), (8, NO_SEQ_START));
}

#[test]
fn one_long_stream_spreads_over_idle_ssds() {
    // Three SSDs with a 32-sector optimal I/O size; one reader of 8-sector
    // reads, each completing before the next: every 32 sectors the stream
    // moves to the first idle SSD other than its own, so it alternates
    // between the first two.
    let ssd0 = ssd(32, NO_SEQ_START, 0, 0);
    let mut m = Mirrors(vec![ssd0; 3]);
    let mut disks = Vec::new();
    for i in 0..24u64 {
        let c = m.read(&CLEAN_NONROT, 1000 + 8 * i, 8).unwrap();
        disks.push(c.disk);
        m.complete(c.disk, 1000 + 8 * i, 8);
    }
    // Sector 1000 is at no head: the least busy (all idle), the first. The
    // reads then continue there until it has streamed 32 sectors.
    assert_eq!(
        disks,
        [0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1]
    );
}

#[test]
fn a_resync_reads_the_first_mirror_until_done() {
    let mut m = Mirrors(vec![busy(1 << 30, 3), at(0)]);
    let mut array = resyncing(4096);
    let c = m.read(&array, 4000, 128).unwrap();
    assert_eq!((c.disk, c.rule), (0, Rule::ReadFirst));
    // Below the resync point reads balance again.
    let c = m.read(&array, 0, 128).unwrap();
    assert_eq!((c.disk, c.rule), (1, Rule::Sequential));
    array.resync_offset = MAX;
    let c = m.read(&array, 4000, 128).unwrap();
    assert_eq!((c.disk, c.rule), (1, Rule::Closest));
}

// ---- equivalence with md's C code ----

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

/// One mirror slot as md holds it.
#[derive(Clone, Copy, Debug)]
struct Slot {
    rdev: bool,
    faulty: bool,
    blocked: bool,
    in_sync: bool,
    recovery_offset: u64,
    write_mostly: bool,
    nonrot: bool,
    io_opt_bytes: u32,
    head: u64,
    next_seq_sect: u64,
    seq_start: u64,
    nr_pending: u32,
}

impl Slot {
    fn state(&self) -> MirrorState {
        MirrorState {
            present: self.rdev && !self.faulty && !self.blocked,
            recovery_offset: if self.in_sync {
                IN_SYNC
            } else {
                self.recovery_offset
            },
            write_mostly: self.write_mostly,
            nonrot: self.nonrot,
            io_opt_sectors: self.io_opt_bytes >> 9,
            head_position: self.head,
            next_seq_sect: self.next_seq_sect,
            seq_start: self.seq_start,
            nr_pending: self.nr_pending,
        }
    }
}

/// What a read may do next in a generated case.
enum Op {
    Read(u64, u32),
    Head(usize, u64, u32),
    End(usize),
}

/// A generated array: its slots, resync point, and the operations on it.
struct Case {
    slots: Vec<Slot>,
    resync_offset: u64,
    ops: Vec<Op>,
}

impl Case {
    fn array(&self) -> ArrayReadState {
        ArrayReadState {
            resync_offset: self.resync_offset,
            any_nonrot: self.slots.iter().any(|s| s.rdev && s.nonrot),
        }
    }

    fn write(&self, input: &mut String) {
        let nonrot = self.slots.iter().filter(|s| s.rdev && s.nonrot).count();
        writeln!(
            input,
            "A {} {} {nonrot}",
            self.slots.len(),
            self.resync_offset
        )
        .unwrap();
        for s in &self.slots {
            writeln!(
                input,
                "M {} {} {} {} {} {} {} {} {} {} {} {}",
                s.rdev as u8,
                s.faulty as u8,
                s.blocked as u8,
                s.in_sync as u8,
                s.recovery_offset,
                s.write_mostly as u8,
                s.nonrot as u8,
                s.io_opt_bytes,
                s.head,
                s.next_seq_sect,
                s.seq_start,
                s.nr_pending
            )
            .unwrap();
        }
        for op in &self.ops {
            match *op {
                Op::Read(sector, sectors) => writeln!(input, "R {sector} {sectors}"),
                Op::Head(disk, sector, sectors) => writeln!(input, "H {disk} {sector} {sectors}"),
                Op::End(disk) => writeln!(input, "E {disk}"),
            }
            .unwrap();
        }
    }
}

/// A sector near `base`: on it, just around it, or a little further.
fn near(rng: &mut Rng, base: u64) -> u64 {
    match rng.below(4) {
        0 => base,
        1 => base.wrapping_add(rng.below(3)).wrapping_sub(1),
        2 => base.wrapping_add(rng.below(512)),
        _ => base.wrapping_sub(rng.below(512)),
    }
}

fn random_sectors(rng: &mut Rng) -> u32 {
    match rng.below(6) {
        0 => 1,
        1 => 8,
        2 => rng.pick(&[64, 128, 256, 1024]),
        3 => 131_072,
        _ => 1 + rng.below(4096) as u32,
    }
}

fn random_slot(rng: &mut Rng, base: u64) -> Slot {
    let position = |rng: &mut Rng| match rng.below(8) {
        0 => 0,
        1 => MAX,
        2 => rng.next(),
        _ => near(rng, base),
    };
    Slot {
        rdev: rng.chance(90),
        faulty: rng.chance(10),
        blocked: rng.chance(7),
        in_sync: rng.chance(70),
        recovery_offset: match rng.below(4) {
            0 => MAX,
            1 => 0,
            _ => near(rng, base),
        },
        write_mostly: rng.chance(15),
        nonrot: rng.chance(40),
        io_opt_bytes: rng.pick(&[
            0,
            0,
            511,
            512,
            4096,
            65_536,
            131_072,
            1 << 20,
            1000,
            u32::MAX,
        ]),
        head: position(rng),
        next_seq_sect: position(rng),
        seq_start: match rng.below(4) {
            0 => NO_SEQ_START,
            _ => position(rng),
        },
        nr_pending: match rng.below(8) {
            0..=2 => 0,
            3 => 1,
            4 => 2,
            5 => rng.below(100) as u32,
            6 => u32::MAX,
            _ => u32::MAX - 1,
        },
    }
}

/// A read that probes what the state makes interesting: a mirror's stream
/// or head, a recovery or resync boundary, or anywhere.
fn random_read(rng: &mut Rng, slots: &[Slot], resync_offset: u64, base: u64) -> Op {
    let sectors = random_sectors(rng);
    let s = rng.pick(slots);
    let n = u64::from(sectors);
    let sector = match rng.below(8) {
        0 | 1 => s.next_seq_sect,
        2 => s.head,
        3 => s
            .recovery_offset
            .wrapping_sub(n)
            .wrapping_add(rng.below(3))
            .wrapping_sub(1),
        4 => resync_offset
            .wrapping_sub(n)
            .wrapping_add(rng.below(3))
            .wrapping_sub(1),
        5 => rng.next(),
        _ => near(rng, base),
    };
    Op::Read(sector, sectors)
}

fn random_case(rng: &mut Rng, reads: usize) -> Case {
    let base = match rng.below(5) {
        0 => 0,
        1 => 1 << 62,
        2 => (1 << 63) - 300,
        3 => MAX - (1 << 12),
        _ => rng.below(1 << 30),
    };
    let slots = 2 * if rng.chance(85) {
        1 + rng.below(3)
    } else {
        4 + rng.below(5)
    } as usize;
    let slots: Vec<Slot> = (0..slots).map(|_| random_slot(rng, base)).collect();
    let resync_offset = match rng.below(6) {
        0..=2 => MAX,
        3 => 0,
        _ => near(rng, base),
    };
    let mut ops = Vec::new();
    let mut pending: Vec<u32> = slots.iter().map(|s| s.nr_pending).collect();
    for _ in 0..reads {
        let op = random_read(rng, &slots, resync_offset, base);
        ops.push(op);
        // Some I/Os end, moving heads and dropping references: on a random
        // mirror, with a random extent.
        while rng.chance(40) {
            let disk = rng.below(slots.len() as u64) as usize;
            if rng.chance(50) {
                let sector = near(rng, base);
                ops.push(Op::Head(disk, sector, random_sectors(rng)));
            } else if slots[disk].rdev && pending[disk] > 0 {
                pending[disk] -= 1;
                ops.push(Op::End(disk));
            }
        }
    }
    Case {
        slots,
        resync_offset,
        ops,
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

/// Builds c_ref/read_balance_ref.c into a fresh temporary directory; `tag`
/// keeps the tests running in parallel apart.
fn build_reference(cc: &str, tag: &str) -> (TempDir, PathBuf) {
    let dir = std::env::temp_dir().join(format!(
        "rust_md_read_balance_ref.{}.{tag}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let dir = TempDir(dir);
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("c_ref/read_balance_ref.c");
    let exe = dir.0.join("read_balance_ref");
    // -fwrapv: the kernel's signed overflow wraps (abs() of -2^63).
    let out = Command::new(cc)
        .args([
            "-std=gnu11",
            "-O2",
            "-Wall",
            "-fwrapv",
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
fn run_reference(dir: &Path, exe: &Path, args: &[&str], input: &str) -> Vec<String> {
    let input_path = dir.join("input");
    std::fs::write(&input_path, input).unwrap();
    let out = Command::new(exe)
        .args(args)
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

/// md's answer to a read: (disk, max_sectors, helper, next_seq_sect,
/// seq_start, nr_pending after).
type MdChoice = (usize, u32, String, u64, u64, u32);

fn parse_md(line: &str) -> Option<MdChoice> {
    if line == "X" {
        return None;
    }
    let w: Vec<&str> = line.split_whitespace().collect();
    assert!(w.len() == 7 && w[0] == "D", "{line}");
    Some((
        w[1].parse().unwrap(),
        w[2].parse().unwrap(),
        w[3].to_owned(),
        w[4].parse().unwrap(),
        w[5].parse().unwrap(),
        w[6].parse().unwrap(),
    ))
}

/// md's helper that makes each rule's choice.
fn helper(rule: Rule) -> &'static str {
    match rule {
        Rule::ReadFirst => "first",
        Rule::Sequential | Rule::SequentialBusy | Rule::LeastPending | Rule::Closest => "best",
        Rule::WriteMostly => "slow",
    }
}

#[test]
fn equivalence_with_md_c_code() {
    let Some(cc) = c_compiler() else {
        eprintln!("SKIPPED equivalence_with_md_c_code: no C compiler (cc, gcc, clang) found");
        return;
    };
    let (dir, exe) = build_reference(cc, "fixed");

    let mut rng = Rng(0x7261_6964_315f_7262);
    let cases: Vec<Case> = (0..6000)
        .map(|i| {
            let reads = if i % 3 == 0 {
                1
            } else {
                1 + rng.below(24) as usize
            };
            random_case(&mut rng, reads)
        })
        .collect();
    let mut input = String::new();
    for case in &cases {
        case.write(&mut input);
    }
    let output = run_reference(&dir.0, &exe, &["fixed"], &input);
    let mut lines = output.iter().map(String::as_str);

    let mut counts: HashMap<String, usize> = HashMap::new();
    for (n, case) in cases.iter().enumerate() {
        let array = case.array();
        let mut slots = case.slots.clone();
        for op in &case.ops {
            let (sector, sectors) = match *op {
                Op::Read(sector, sectors) => (sector, sectors),
                Op::Head(disk, sector, sectors) => {
                    slots[disk].head = head_position_after(sector, sectors);
                    continue;
                }
                Op::End(disk) => {
                    slots[disk].nr_pending = slots[disk].nr_pending.wrapping_sub(1);
                    continue;
                }
            };
            let states: Vec<MirrorState> = slots.iter().map(Slot::state).collect();
            let got = read_balance(&states, &array, sector, sectors);
            let md = parse_md(lines.next().expect("reference output ended early"));
            let what = || format!("case {n}: read {sector}+{sectors}, {array:?}, {slots:#?}");
            let Some(c) = got else {
                assert_eq!(md, None, "{}", what());
                *counts.entry("no mirror".into()).or_default() += 1;
                continue;
            };
            // The caller's bookkeeping, as the kernel side does it, after
            // the comparison (which shows the state before).
            let nr_pending = slots[c.disk].nr_pending.wrapping_add(1);
            let want = (
                c.disk,
                c.max_sectors,
                helper(c.rule).to_owned(),
                c.next_seq_sect,
                c.seq_start,
                nr_pending,
            );
            assert_eq!(md, Some(want), "{}: Rust {c:?}", what());
            let s = &mut slots[c.disk];
            s.nr_pending = nr_pending;
            s.next_seq_sect = c.next_seq_sect;
            s.seq_start = c.seq_start;
            *counts.entry(format!("{:?}", c.rule)).or_default() += 1;
            if c.disk > 0 {
                *counts.entry("not the first mirror".into()).or_default() += 1;
            }
        }
    }
    assert_eq!(lines.next(), None, "reference output left over");

    let mut report: Vec<_> = counts.iter().collect();
    report.sort();
    eprintln!("compared with md's C code ({cc}): {report:?}");
    // Every rule was exercised, often enough to mean something.
    for (key, least) in [
        ("ReadFirst", 3000),
        ("Sequential", 3000),
        ("SequentialBusy", 200),
        ("LeastPending", 3000),
        ("Closest", 1000),
        ("WriteMostly", 300),
        ("no mirror", 200),
        ("not the first mirror", 3000),
    ] {
        let got = counts.get(key).copied().unwrap_or(0);
        assert!(got >= least, "only {got} of {key}");
    }
}

#[test]
fn md_6_12_differs_only_when_reading_first_from_a_recovering_mirror() {
    let Some(cc) = c_compiler() else {
        eprintln!("SKIPPED md_6_12_differs_only...: no C compiler (cc, gcc, clang) found");
        return;
    };
    let (dir, exe) = build_reference(cc, "6.12");

    // One read per array, so a different choice cannot change later ones.
    let mut rng = Rng(0x3631_325f_7261_6964);
    let cases: Vec<Case> = (0..6000).map(|_| random_case(&mut rng, 1)).collect();
    let mut input = String::new();
    for case in &cases {
        case.write(&mut input);
    }
    let output = run_reference(&dir.0, &exe, &[], &input);
    assert_eq!(output.len(), cases.len());

    let (mut same, mut differ) = (0, 0);
    for (case, line) in cases.iter().zip(&output) {
        let Op::Read(sector, sectors) = case.ops[0] else {
            unreachable!()
        };
        let array = case.array();
        let states: Vec<MirrorState> = case.slots.iter().map(Slot::state).collect();
        let got = read_balance(&states, &array, sector, sectors).map(|c| c.disk);
        let md = parse_md(line).map(|m| m.0);
        if got == md {
            same += 1;
            continue;
        }
        // md read first from the first working mirror, which lacks part of
        // the read; rust_md from the first that holds it all, if any.
        let end = sector.wrapping_add(u64::from(sectors));
        let first = states.iter().position(|m| m.present);
        assert!(array.should_read_first(sector, sectors), "{line}");
        assert_eq!(md, first, "{states:#?}");
        assert!(states[first.unwrap()].recovery_offset < end);
        let holding = states
            .iter()
            .position(|m| m.present && m.recovery_offset >= end);
        assert_eq!(got, holding);
        differ += 1;
    }
    eprintln!("md 6.12: {same} reads the same, {differ} from a recovering mirror");
    assert!(differ >= 100, "only {differ} differences exercised");
}
