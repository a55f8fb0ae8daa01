// SPDX-License-Identifier: GPL-2.0

//! Read balancing of md's raid1 personality (drivers/md/raid1.c, Linux
//! 6.12: `read_balance` and its helpers): which mirror serves a read.
//!
//! Pure logic: no `kernel::`, so host tests check it (tests/host).
//!
//! The caller keeps each mirror's state (in atomics) and hands a snapshot of
//! it, [`MirrorState`], to [`read_balance`] or [`read_balance_by`]; the
//! answer, [`Choice`], names the mirror and carries the sequential-stream
//! bookkeeping md's `update_read_sectors` writes, which the caller stores
//! back. The caller's own share of md's bookkeeping:
//!
//! - take a reference on the chosen member (md: `nr_pending++`) before
//!   submitting, and drop it when the read ends;
//! - when any I/O on a mirror ends, set its head position to
//!   [`head_position_after`] (md's `update_head_pos`);
//! - before reading from a write-mostly mirror, wait for its behind writes.
//!
//! Members with a bad block list are refused, so what md does with bad
//! blocks (`choose_bb_rdev`, reads shortened before a bad range) has no
//! counterpart here: without bad blocks `choose_bb_rdev` considers exactly
//! the mirrors `choose_best_rdev` does, so it can never find one after
//! `choose_best_rdev` found none. Neither do fail-fast reads (md's
//! `R1BIO_FailFast`) or clustered arrays (`area_resyncing`).
//!
//! One deliberate change from 6.12: in the "read first" case md's
//! `choose_first_rdev` takes the first working mirror even when it is still
//! being recovered and the read goes past its recovered part, so it can
//! return data that was never written there. md before 6.9 skipped such
//! mirrors; the refactoring that made `choose_first_rdev` lost the check,
//! and the fix that restored it ("md/raid1: fix data corruption for
//! degraded array with slow disk") did so in the other helpers only. Here
//! the read-first choice skips them too.

/// md's `MaxSector`.
const MAX_SECTOR: u64 = u64::MAX;

/// [`MirrorState::recovery_offset`] of a member that is in sync (md's
/// `In_sync` flag): nothing of it is being recovered.
pub(crate) const IN_SYNC: u64 = MAX_SECTOR;

/// [`MirrorState::seq_start`] of a mirror without a read stream, as md sets
/// it when a member is added (`raid1_add_conf`; `next_seq_sect` is then
/// left as it was, 0 for a new array): never counted as a long stream.
pub(crate) const NO_SEQ_START: u64 = MAX_SECTOR;

/// What read balancing needs to know about one mirror slot (md's
/// `raid1_info` and its `md_rdev`), as the caller reads it for one read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct MirrorState {
    /// A working member is in the slot and this read may use it: md's
    /// `rdev && !Faulty`, and not `IO_BLOCKED` (the mirror this read already
    /// failed on, when it is retried). md skips all three alike.
    pub(crate) present: bool,
    /// The member holds valid data below this sector: [`IN_SYNC`] for an
    /// in-sync member (md's `In_sync`), else how far its recovery got (md's
    /// `recovery_offset`).
    pub(crate) recovery_offset: u64,
    /// Read from it only when no other mirror can serve the read (md's
    /// `WriteMostly`).
    pub(crate) write_mostly: bool,
    /// The member is non-rotational (md's `Nonrot`).
    pub(crate) nonrot: bool,
    /// The member's optimal I/O size in sectors (`bdev_io_opt() >> 9`);
    /// 0 when it has none. A sequential stream on a non-rotational member
    /// longer than this moves to an idle mirror.
    pub(crate) io_opt_sectors: u32,
    /// Where the last I/O on the mirror ended (md's `head_position`; see
    /// [`head_position_after`]).
    pub(crate) head_position: u64,
    /// Where the last read sent to the mirror ended (md's `next_seq_sect`).
    pub(crate) next_seq_sect: u64,
    /// Where the sequential stream of reads ending there started (md's
    /// `seq_start`), or [`NO_SEQ_START`].
    pub(crate) seq_start: u64,
    /// I/Os in flight on the member (md's `nr_pending`).
    pub(crate) nr_pending: u32,
}

impl MirrorState {
    /// An empty slot: md treats it like a faulty member.
    pub(crate) const ABSENT: Self = Self {
        present: false,
        recovery_offset: IN_SYNC,
        write_mostly: false,
        nonrot: false,
        io_opt_sectors: 0,
        head_position: 0,
        next_seq_sect: 0,
        seq_start: NO_SEQ_START,
        nr_pending: 0,
    };

    /// Whether the member lacks valid data somewhere in a read that ends
    /// (exclusive) at `end` (md's `rdev_in_recovery`).
    fn in_recovery(&self, end: u64) -> bool {
        self.recovery_offset < end
    }

    /// Whether the mirror may serve a read ending at `end` when any may
    /// (md's `rdev_readable` without bad blocks): not while recovering
    /// there, and not write-mostly.
    fn readable(&self, end: u64) -> bool {
        self.present && !self.in_recovery(end) && !self.write_mostly
    }

    /// Whether the read continues the mirror's last read or starts where
    /// its head is (md's `is_sequential`).
    fn is_sequential(&self, sector: u64) -> bool {
        self.next_seq_sect == sector || self.head_position == sector
    }

    /// Whether a sequential stream on this mirror has grown past the
    /// member's optimal I/O size, so an idle mirror should take over (md's
    /// `should_choose_next`; only non-rotational members have no seek cost
    /// to lose).
    fn should_choose_next(&self) -> bool {
        let opt = u64::from(self.io_opt_sectors);
        self.nonrot
            && opt > 0
            && self.seq_start != NO_SEQ_START
            && self.next_seq_sect > opt
            && self.next_seq_sect - opt >= self.seq_start
    }
}

/// What read balancing needs to know about the array.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ArrayReadState {
    /// Sectors from here on may differ between the mirrors (md's
    /// `resync_offset`): `u64::MAX` when the array is in sync, 0 when it
    /// was not shut down cleanly, where the resync got otherwise.
    pub(crate) resync_offset: u64,
    /// Some member of the array is non-rotational (md's `nonrot_disks` is
    /// not 0): it counts every member in a slot, faulty or not, including
    /// one a read is retried away from.
    pub(crate) any_nonrot: bool,
}

impl ArrayReadState {
    /// Whether a read of `sectors` from `sector` must come from one fixed
    /// mirror because that region may not be in sync yet (md's
    /// `raid1_should_read_first`): balancing could return different data
    /// for the same sectors.
    pub(crate) fn should_read_first(&self, sector: u64, sectors: u32) -> bool {
        self.resync_offset < sector.wrapping_add(u64::from(sectors))
    }
}

/// The rule that chose the mirror, in md's order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Rule {
    /// The region may be out of sync: the first working mirror that holds
    /// valid data there (md's `choose_first_rdev`).
    ReadFirst,
    /// The read continues the mirror's sequential stream (md's
    /// `is_sequential` in `choose_best_rdev`).
    Sequential,
    /// The stream outgrew the optimal I/O size, but no other mirror is
    /// idle, so it stays (md's `sequential_disk`).
    SequentialBusy,
    /// The mirror with the fewest I/Os in flight: some member is
    /// non-rotational, or this one is idle (md's `min_pending_disk`).
    LeastPending,
    /// The mirror whose head is closest, all members being rotational and
    /// busy (md's `closest_dist_disk`).
    Closest,
    /// No other mirror can serve the read: the first write-mostly one
    /// (md's `choose_slow_rdev`).
    WriteMostly,
}

/// Which mirror serves a read, and what the caller writes back to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Choice {
    /// Index of the mirror slot.
    pub(crate) disk: usize,
    /// How many sectors of the read it serves; the caller splits the read
    /// when this is shorter. Always the whole read while members with bad
    /// blocks are refused.
    pub(crate) max_sectors: u32,
    /// The mirror's new [`MirrorState::next_seq_sect`].
    pub(crate) next_seq_sect: u64,
    /// The mirror's new [`MirrorState::seq_start`].
    pub(crate) seq_start: u64,
    /// Why this mirror.
    pub(crate) rule: Rule,
}

/// The head position of a mirror after an I/O of `sectors` from `sector`
/// on it ended (md's `update_head_pos`, for reads, writes and resync reads
/// alike).
pub(crate) fn head_position_after(sector: u64, sectors: u32) -> u64 {
    sector.wrapping_add(u64::from(sectors))
}

/// Which of `mirrors` serves a read of `sectors` from array sector `sector`
/// (md's `read_balance`); `None` when none can, or the read is empty.
#[allow(dead_code)] // The kernel reads its atomics per slot (`read_balance_by`).
pub(crate) fn read_balance(
    mirrors: &[MirrorState],
    array: &ArrayReadState,
    sector: u64,
    sectors: u32,
) -> Option<Choice> {
    read_balance_by(mirrors.len(), |disk| mirrors[disk], array, sector, sectors)
}

/// [`read_balance`] over `count` mirror slots whose state `mirror` reads,
/// so the caller needs no snapshot array. It may read a slot more than
/// once, and, like md, tolerates the state changing meanwhile: the mirror
/// chosen was usable for the read when it was read.
pub(crate) fn read_balance_by(
    count: usize,
    mirror: impl Fn(usize) -> MirrorState,
    array: &ArrayReadState,
    sector: u64,
    sectors: u32,
) -> Option<Choice> {
    // md never balances an empty read (align_to_barrier_unit_end warns);
    // its helpers would disagree on one.
    if sectors == 0 {
        return None;
    }
    let end = sector.wrapping_add(u64::from(sectors));
    let (disk, state, rule) = if array.should_read_first(sector, sectors) {
        // md 6.12 checks only `present` here; see the module doc.
        let (disk, m) = first(count, &mirror, |m| m.present && !m.in_recovery(end))?;
        (disk, m, Rule::ReadFirst)
    } else if let Some(best) = choose_best(count, &mirror, array, sector, end) {
        best
    } else {
        // Last resort, unbalanced: reads from a write-mostly member are
        // slow, since they wait for its behind writes.
        let (disk, m) = first(count, &mirror, |m| {
            m.present && m.write_mostly && !m.in_recovery(end)
        })?;
        (disk, m, Rule::WriteMostly)
    };
    // md's update_read_sectors; a read that does not continue the stream
    // starts a new one.
    let seq_start = if state.next_seq_sect == sector {
        state.seq_start
    } else {
        sector
    };
    Some(Choice {
        disk,
        max_sectors: sectors,
        next_seq_sect: end,
        seq_start,
        rule,
    })
}

/// The first mirror `accept` takes, with the state it was judged on.
fn first(
    count: usize,
    mirror: &impl Fn(usize) -> MirrorState,
    accept: impl Fn(&MirrorState) -> bool,
) -> Option<(usize, MirrorState)> {
    (0..count)
        .map(|disk| (disk, mirror(disk)))
        .find(|(_, m)| accept(m))
}

/// md's `choose_best_rdev`: among the readable mirrors, one continuing a
/// sequential stream, else the least busy or the closest.
fn choose_best(
    count: usize,
    mirror: &impl Fn(usize) -> MirrorState,
    array: &ArrayReadState,
    sector: u64,
    end: u64,
) -> Option<(usize, MirrorState, Rule)> {
    // md's read_balance_ctl. The minimum starts at u32::MAX and is only
    // replaced by a smaller value, so a mirror with u32::MAX pending I/Os
    // never becomes the least busy, as in md.
    let mut closest: Option<(usize, MirrorState)> = None;
    let mut closest_dist = MAX_SECTOR;
    let mut least: Option<(usize, MirrorState)> = None;
    let mut min_pending = u32::MAX;
    let mut sequential: Option<(usize, MirrorState)> = None;

    for disk in 0..count {
        let m = mirror(disk);
        if !m.readable(end) {
            continue;
        }
        let mut pending = m.nr_pending;
        // md: abs() of the sector_t difference taken as signed.
        let dist = (sector.wrapping_sub(m.head_position) as i64).unsigned_abs();

        // Keep a sequential stream on its mirror, unless it grew long
        // enough that an idle mirror should take the next part.
        if m.is_sequential(sector) {
            if !m.should_choose_next() {
                return Some((disk, m, Rule::Sequential));
            }
            // Count it as one busier, so any idle mirror wins over it.
            pending = pending.wrapping_add(1);
            sequential = Some((disk, m));
        }
        if min_pending > pending {
            min_pending = pending;
            least = Some((disk, m));
        }
        if closest_dist > dist {
            closest_dist = dist;
            closest = Some((disk, m));
        }
    }

    if let Some((disk, m)) = sequential {
        if min_pending != 0 {
            return Some((disk, m, Rule::SequentialBusy));
        }
    }
    // Seek distance only matters when every member is rotational; an idle
    // mirror beats a close one anyway.
    match least {
        Some((disk, m)) if array.any_nonrot || min_pending == 0 => {
            Some((disk, m, Rule::LeastPending))
        }
        _ => closest.map(|(disk, m)| (disk, m, Rule::Closest)),
    }
}
