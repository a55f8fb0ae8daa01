// SPDX-License-Identifier: GPL-2.0

//! What user space sees of resync, recovery, check/repair and reshape, and
//! how they are throttled: the resync line of /proc/mdstat, the sync group
//! of `md/` in sysfs, `/proc/sys/dev/raid/speed_limit_{min,max}`, and
//! `md_do_sync`'s speed decisions, as md does them in Linux 6.12
//! (`drivers/md/md.c` of Debian's 6.12.117, where `recovery_cp` is already
//! called `resync_offset`). Sectors are 512 bytes; jiffies and `HZ` are the
//! caller's, so nothing here depends on the kernel's configuration.
//!
//! Pure logic: no `kernel::`, so host tests check it (tests/host).

use core::fmt::{self, Write};
use core::ops::BitOr;

/// md's `MaxSector`: "no position" for `resync_offset` (the array is in
/// sync) and `reshape_position` (no reshape).
pub(crate) const MAX_SECTOR: u64 = u64::MAX;

/// `curr_resync`: no resync in progress (md's `MD_RESYNC_NONE`).
pub(crate) const RESYNC_NONE: u64 = 0;
/// `curr_resync`: yielded to a conflicting resync (`MD_RESYNC_YIELDED`).
pub(crate) const RESYNC_YIELDED: u64 = 1;
/// `curr_resync`: waiting to see that nothing conflicts
/// (`MD_RESYNC_DELAYED`).
pub(crate) const RESYNC_DELAYED: u64 = 2;
/// `curr_resync`: this and any larger value is an active resync
/// (`MD_RESYNC_ACTIVE`).
pub(crate) const RESYNC_ACTIVE: u64 = 3;

/// md's `mddev->recovery` bits, numbered as md's `enum recovery_flags`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Recovery(pub(crate) u64);

impl Recovery {
    /// No bit set.
    pub(crate) const NONE: Self = Self(0);
    /// A sync action is set or spares may be added (`MD_RECOVERY_NEEDED`).
    pub(crate) const NEEDED: Self = Self(1 << 0);
    /// The sync thread runs or is about to (`MD_RECOVERY_RUNNING`).
    pub(crate) const RUNNING: Self = Self(1 << 1);
    /// The sync thread must stop (`MD_RECOVERY_INTR`).
    pub(crate) const INTR: Self = Self(1 << 2);
    /// The sync thread is done, not yet reaped (`MD_RECOVERY_DONE`).
    pub(crate) const DONE: Self = Self(1 << 3);
    /// No sync may run (`MD_RECOVERY_FROZEN`).
    pub(crate) const FROZEN: Self = Self(1 << 4);
    /// Waiting for the personality to start (`MD_RECOVERY_WAIT`).
    pub(crate) const WAIT: Self = Self(1 << 5);
    /// Interrupted by a failed I/O (`MD_RECOVERY_ERROR`).
    pub(crate) const IO_FAILED: Self = Self(1 << 6);
    /// A resync, check or repair (`MD_RECOVERY_SYNC`).
    pub(crate) const SYNC: Self = Self(1 << 7);
    /// With `SYNC`: user space asked for it, a repair (`MD_RECOVERY_REQUESTED`).
    pub(crate) const REQUESTED: Self = Self(1 << 8);
    /// With `SYNC | REQUESTED`: a check (`MD_RECOVERY_CHECK`).
    pub(crate) const CHECK: Self = Self(1 << 9);
    /// A recovery, or one may be needed (`MD_RECOVERY_RECOVER`).
    pub(crate) const RECOVER: Self = Self(1 << 10);
    /// A reshape (`MD_RECOVERY_RESHAPE`).
    pub(crate) const RESHAPE: Self = Self(1 << 11);
    /// A cluster node resyncs (`MD_RESYNCING_REMOTE`); never set here.
    pub(crate) const RESYNCING_REMOTE: Self = Self(1 << 12);
    /// raid456's lazy initial recovery (`MD_RECOVERY_LAZY_RECOVER`).
    pub(crate) const LAZY_RECOVER: Self = Self(1 << 13);

    /// Every bit of `flags` is set (md's `test_bit` for one bit).
    pub(crate) const fn contains(self, flags: Self) -> bool {
        self.0 & flags.0 == flags.0
    }

    /// These bits and `flags`.
    pub(crate) const fn with(self, flags: Self) -> Self {
        Self(self.0 | flags.0)
    }

    /// These bits without `flags`.
    pub(crate) const fn without(self, flags: Self) -> Self {
        Self(self.0 & !flags.0)
    }
}

impl BitOr for Recovery {
    type Output = Self;

    fn bitor(self, rhs: Self) -> Self {
        self.with(rhs)
    }
}

/// md's `recovery_active` (an `int`) as C converts it when it meets a
/// `sector_t`: sign-extended, then modulo 2^64.
fn active_sectors(recovery_active: i32) -> u64 {
    i64::from(recovery_active) as u64
}

/// Whole seconds from `mark` to `now`, as md's `(jiffies - mark) / HZ`
/// (unsigned, so a jiffies wrap is harmless); 0 for a zero `hz`.
fn elapsed_secs(now: u64, mark: u64, hz: u64) -> u64 {
    now.wrapping_sub(mark).checked_div(hz).unwrap_or(0)
}

/// The kernel's `time_after_eq(a, b)` on 64-bit jiffies.
fn time_after_eq(a: u64, b: u64) -> bool {
    a.wrapping_sub(b) as i64 >= 0
}

/// The bytes before the first NUL: sysfs hands md a NUL-terminated copy of
/// a write and md reads it as a C string.
fn c_str(input: &[u8]) -> &[u8] {
    input
        .iter()
        .position(|&b| b == 0)
        .map_or(input, |n| &input[..n])
}

/// md's `cmd_match`: the word, optionally followed by one newline.
fn cmd_match(cmd: &[u8], word: &str) -> bool {
    let cmd = c_str(cmd);
    cmd.strip_suffix(b"\n").unwrap_or(cmd) == word.as_bytes()
}

/// A sync action, as `md/sync_action` and `md/last_sync_action` name it
/// (md's `enum sync_action`, in its order).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SyncAction {
    /// The first sync of the copies, or of a grown range.
    Resync,
    /// Rebuilding a member (a spare, a re-added or replacement device).
    Recover,
    /// Reading all copies and counting mismatches.
    Check,
    /// Reading all copies and rewriting mismatches.
    Repair,
    /// Changing the geometry.
    Reshape,
    /// No sync may run.
    Frozen,
    /// None of the above.
    Idle,
}

impl SyncAction {
    /// Every action, in md's order.
    pub(crate) const ALL: [Self; 7] = [
        Self::Resync,
        Self::Recover,
        Self::Check,
        Self::Repair,
        Self::Reshape,
        Self::Frozen,
        Self::Idle,
    ];

    /// Its index in [`SyncAction::ALL`].
    pub(crate) fn index(self) -> u8 {
        Self::ALL.iter().position(|&a| a == self).unwrap_or(6) as u8
    }

    /// The action at `index` of [`SyncAction::ALL`] (`Idle` if none).
    pub(crate) fn from_index(index: u8) -> Self {
        Self::ALL
            .get(usize::from(index))
            .copied()
            .unwrap_or(Self::Idle)
    }

    /// The word sysfs shows (md's `action_name`).
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Resync => "resync",
            Self::Recover => "recover",
            Self::Check => "check",
            Self::Repair => "repair",
            Self::Reshape => "reshape",
            Self::Frozen => "frozen",
            Self::Idle => "idle",
        }
    }

    /// The action a write to `sync_action` names (md's
    /// `md_sync_action_by_name`); `None` is md's `EINVAL`.
    pub(crate) fn parse(input: &[u8]) -> Option<Self> {
        Self::ALL.into_iter().find(|a| cmd_match(input, a.as_str()))
    }
}

/// `md/sync_action` and `md/last_sync_action`: the word and a newline.
pub(crate) fn write_sync_action<W: Write>(w: &mut W, action: SyncAction) -> fmt::Result {
    writeln!(w, "{}", action.as_str())
}

/// What md's `md_sync_action` looks at.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ActionInputs {
    /// `mddev->recovery`.
    pub(crate) recovery: Recovery,
    /// `md_is_rdwr(mddev)`: `mddev->ro == MD_RDWR` (not read-only, not
    /// read-auto).
    pub(crate) read_write: bool,
    /// `mddev->resync_offset` (`recovery_cp` before the rename):
    /// [`MAX_SECTOR`] when the array is in sync.
    pub(crate) resync_offset: u64,
    /// `mddev->reshape_position`: [`MAX_SECTOR`] when no reshape.
    pub(crate) reshape_position: u64,
    /// Some member needs recovery: [`member_needs_recovery`] with
    /// `sectors` = [`MAX_SECTOR`] for any member (md's `rdev_for_each_rcu`
    /// loop in `md_get_active_sync_action`).
    pub(crate) member_needs_recovery: bool,
}

/// md's `rdev_needs_recovery(rdev, sectors)`: an active, working member
/// that is not in sync and whose rebuild stands before `sectors`.
pub(crate) fn member_needs_recovery(
    raid_disk: i32,
    journal: bool,
    faulty: bool,
    in_sync: bool,
    recovery_offset: u64,
    sectors: u64,
) -> bool {
    raid_disk >= 0 && !journal && !faulty && !in_sync && recovery_offset < sectors
}

/// The action an array is at (md's `md_sync_action`, which `action_show`
/// prints and `md_do_sync` runs).
pub(crate) fn sync_action(a: &ActionInputs) -> SyncAction {
    let r = a.recovery;
    // Frozen first: a running sync stops at once and none may start.
    if r.contains(Recovery::FROZEN) {
        return SyncAction::Frozen;
    }
    // A read-only array runs no sync thread.
    if !a.read_write {
        return SyncAction::Idle;
    }
    if !r.contains(Recovery::RUNNING) && !r.contains(Recovery::NEEDED) {
        return SyncAction::Idle;
    }
    // What the array itself still owes comes before what was asked
    // (md's `md_get_active_sync_action`).
    if a.resync_offset < MAX_SECTOR {
        return SyncAction::Resync;
    }
    if a.reshape_position != MAX_SECTOR {
        return SyncAction::Reshape;
    }
    if a.member_needs_recovery {
        return SyncAction::Recover;
    }
    if r.contains(Recovery::RESHAPE) {
        return SyncAction::Reshape;
    }
    if r.contains(Recovery::RECOVER) {
        return SyncAction::Recover;
    }
    if r.contains(Recovery::SYNC) {
        if r.contains(Recovery::CHECK) {
            return SyncAction::Check;
        }
        if r.contains(Recovery::REQUESTED) {
            return SyncAction::Repair;
        }
        return SyncAction::Resync;
    }
    SyncAction::Idle
}

/// md refuses to start an action while the sync thread runs: `EBUSY`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Busy;

/// What a write to `sync_action` does (md's `action_store`, after its
/// checks that the array runs a personality with `sync_request`). In this
/// order: change the `recovery` bits; stop the sync thread if asked and
/// wait for it (md's `md_frozen_sync_thread` / `md_idle_sync_thread`);
/// start a reshape if asked (its failure is the write's answer, with the
/// bits already changed); then, if `request`, leave read-auto
/// (`MD_AUTO_READ` becomes `MD_RDWR`), set `NEEDED`, wake the md thread
/// and notify `sync_action`. The write then returns its length.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ActionStore {
    /// Bits to set in `mddev->recovery`.
    pub(crate) set: Recovery,
    /// Bits to clear in `mddev->recovery`.
    pub(crate) clear: Recovery,
    /// Interrupt the running sync thread and wait until it is gone.
    pub(crate) stop_thread: bool,
    /// Start a reshape (md's `mddev_start_reshape`).
    pub(crate) start_reshape: bool,
    /// Ask for the next sync (everything but `frozen`).
    pub(crate) request: bool,
}

/// md's `action_store` for a parsed word, given whether
/// `MD_RECOVERY_RUNNING` is set.
pub(crate) fn action_store(action: SyncAction, running: bool) -> Result<ActionStore, Busy> {
    let mut s = ActionStore {
        set: Recovery::NONE,
        clear: Recovery::NONE,
        stop_thread: false,
        start_reshape: false,
        request: true,
    };
    if running {
        match action {
            SyncAction::Frozen => {
                s.set = Recovery::FROZEN;
                s.stop_thread = true;
                s.request = false;
            }
            // mdadm writes "idle" to stop a sync and let the next start.
            SyncAction::Idle => {
                s.clear = Recovery::FROZEN;
                s.stop_thread = true;
            }
            _ => return Err(Busy),
        }
        return Ok(s);
    }
    match action {
        SyncAction::Frozen => {
            s.set = Recovery::FROZEN;
            s.request = false;
        }
        SyncAction::Reshape => {
            s.clear = Recovery::FROZEN;
            s.start_reshape = true;
        }
        SyncAction::Recover => {
            s.set = Recovery::RECOVER;
            s.clear = Recovery::FROZEN;
        }
        SyncAction::Check => {
            s.set = Recovery::CHECK | Recovery::REQUESTED | Recovery::SYNC;
            s.clear = Recovery::FROZEN;
        }
        SyncAction::Repair => {
            s.set = Recovery::REQUESTED | Recovery::SYNC;
            s.clear = Recovery::FROZEN;
        }
        // "resync" only unfreezes: md resyncs when `resync_offset` says so.
        SyncAction::Resync | SyncAction::Idle => s.clear = Recovery::FROZEN,
    }
    Ok(s)
}

/// The sync counters md's `status_resync`, `sync_completed_show` and
/// `sync_speed_show` read, taken together under the caller's lock.
#[derive(Clone, Copy, Debug)]
pub(crate) struct SyncProgress {
    /// `mddev->recovery`.
    pub(crate) recovery: Recovery,
    /// `mddev->curr_resync`: the last sector scheduled, or one of
    /// [`RESYNC_NONE`], [`RESYNC_YIELDED`], [`RESYNC_DELAYED`].
    pub(crate) curr_resync: u64,
    /// `mddev->curr_resync_completed`: all sectors before it are done.
    pub(crate) curr_resync_completed: u64,
    /// `atomic_read(&mddev->recovery_active)`: sectors scheduled, not yet
    /// done.
    pub(crate) recovery_active: i32,
    /// `mddev->resync_max_sectors`: the end of a resync, check, repair or
    /// reshape.
    pub(crate) resync_max_sectors: u64,
    /// `mddev->dev_sectors`: the end of a recovery (a member's used size).
    pub(crate) dev_sectors: u64,
    /// `mddev->resync_offset` (`recovery_cp`): where a resync is due,
    /// [`MAX_SECTOR`] if none.
    pub(crate) resync_offset: u64,
    /// `mddev->curr_mark_cnt`: sectors of sync I/O issued so far
    /// (`md_do_sync`'s `io_sectors`).
    pub(crate) curr_mark_cnt: u64,
    /// `mddev->resync_mark_cnt`: sectors done at the mark.
    pub(crate) resync_mark_cnt: u64,
    /// `mddev->resync_mark`: the mark's time, in jiffies.
    pub(crate) resync_mark: u64,
    /// `jiffies` now.
    pub(crate) jiffies: u64,
    /// `HZ`: jiffies a second.
    pub(crate) hz: u64,
}

impl SyncProgress {
    /// Where this sync ends: `resync_max_sectors` for a resync, check,
    /// repair or reshape, `dev_sectors` for a recovery (md's rule in
    /// `status_resync` and `sync_completed_show`).
    pub(crate) fn max_sectors(&self) -> u64 {
        if self.recovery.contains(Recovery::SYNC) || self.recovery.contains(Recovery::RESHAPE) {
            self.resync_max_sectors
        } else {
            self.dev_sectors
        }
    }
}

/// The word of the mdstat line: `reshape`, `check`, `resync` or
/// `recovery`; a repair shows as `resync`, as in md.
pub(crate) fn mdstat_word(recovery: Recovery) -> &'static str {
    if recovery.contains(Recovery::RESHAPE) {
        "reshape"
    } else if recovery.contains(Recovery::CHECK) {
        "check"
    } else if recovery.contains(Recovery::SYNC) {
        "resync"
    } else {
        "recovery"
    }
}

/// Tenths of a percent of `resync` in `max_sectors` (md's `per_milli`),
/// always below 1000. md drops 10 bits so that the product fits 64 bits
/// and the divisor 32; on 64-bit kernels it stops at 10 and truncates the
/// divisor to `u32`, which from 2^42 sectors (2 PiB) on prints nonsense or
/// divides by zero, so larger arrays drop more bits instead.
pub(crate) fn per_milli(resync: u64, max_sectors: u64) -> u32 {
    let mut scale = 10;
    while (max_sectors >> scale) >= u64::from(u32::MAX) {
        scale += 1;
    }
    let res = (resync >> scale).saturating_mul(1000);
    (res / ((max_sectors >> scale) + 1)) as u32
}

/// The resync part of an array's /proc/mdstat entry (md's
/// `status_resync`), e.g.
/// `[=>...................]  resync =  8.4% (88064/1047552) finish=0.7min speed=22016K/sec`,
/// `\tresync=DELAYED` or `\tresync=PENDING`. Returns whether it wrote
/// anything: md then adds `"\n      "`. Only for personalities that sync
/// (with `sync_request`). Clustered arrays (`=REMOTE`) are not covered.
pub(crate) fn write_status_resync<W: Write>(
    w: &mut W,
    p: &SyncProgress,
) -> Result<bool, fmt::Error> {
    let max_sectors = p.max_sectors();
    let mut resync = p.curr_resync;
    if resync < RESYNC_ACTIVE {
        // The thread is done but not yet reaped: show it complete.
        if p.recovery.contains(Recovery::DONE) {
            resync = max_sectors;
        }
    } else if resync > max_sectors {
        resync = max_sectors;
    } else {
        // Count only what completed; stay "active" if that underflows.
        let res = active_sectors(p.recovery_active);
        if resync < res || resync - res < RESYNC_ACTIVE {
            resync = RESYNC_ACTIVE;
        } else {
            resync -= res;
        }
    }

    if resync == RESYNC_NONE {
        if p.resync_offset < MAX_SECTOR {
            w.write_str("\tresync=PENDING")?;
            return Ok(true);
        }
        return Ok(false);
    }
    if resync < RESYNC_ACTIVE {
        w.write_str("\tresync=DELAYED")?;
        return Ok(true);
    }

    let per_milli = per_milli(resync, max_sectors);
    let done = per_milli / 50;
    w.write_char('[')?;
    for _ in 0..done {
        w.write_char('=')?;
    }
    w.write_char('>')?;
    for _ in 0..20u32.saturating_sub(done) {
        w.write_char('.')?;
    }
    w.write_str("] ")?;
    write!(
        w,
        " {} ={:3}.{}% ({}/{})",
        mdstat_word(p.recovery),
        per_milli / 10,
        per_milli % 10,
        resync / 2,
        max_sectors / 2
    )?;

    // dt: seconds since the mark, at least 1; db: sectors done since the
    // mark; rt: seconds left. md divides first (the 32-bit past) and
    // scales db by 32 so that the end of a resync keeps some precision.
    let dt = elapsed_secs(p.jiffies, p.resync_mark, p.hz).max(1);
    let marked = active_sectors(p.recovery_active).wrapping_add(p.resync_mark_cnt);
    let db = p.curr_mark_cnt.saturating_sub(marked);
    let mut rt = max_sectors - resync;
    rt /= db / 32 + 1;
    rt = rt.wrapping_mul(dt);
    rt >>= 5;
    write!(w, " finish={}.{}min", rt / 60, (rt % 60) / 6)?;
    // md prints db/2/dt with %ld; it is below 2^63, so unsigned is the same.
    write!(w, " speed={}K/sec", db / 2 / dt)?;
    Ok(true)
}

/// `md/sync_completed` (md's `sync_completed_show`): `none` without a
/// sync thread, `delayed` while it waits for another array, else
/// `done / end` in sectors; then a newline.
pub(crate) fn write_sync_completed<W: Write>(w: &mut W, p: &SyncProgress) -> fmt::Result {
    if !p.recovery.contains(Recovery::RUNNING) {
        return w.write_str("none\n");
    }
    if p.curr_resync == RESYNC_YIELDED || p.curr_resync == RESYNC_DELAYED {
        return w.write_str("delayed\n");
    }
    writeln!(w, "{} / {}", p.curr_resync_completed, p.max_sectors())
}

/// `md/sync_speed` (md's `sync_speed_show`): `none`, or K/sec since the
/// mark; then a newline. md's unsigned arithmetic is kept, wrap included
/// (a reader between md's two counter updates can see a huge value).
pub(crate) fn write_sync_speed<W: Write>(w: &mut W, p: &SyncProgress) -> fmt::Result {
    if p.curr_resync == RESYNC_NONE {
        return w.write_str("none\n");
    }
    let resync = p
        .curr_mark_cnt
        .wrapping_sub(active_sectors(p.recovery_active));
    let dt = elapsed_secs(p.jiffies, p.resync_mark, p.hz).max(1);
    let db = resync.wrapping_sub(p.resync_mark_cnt);
    writeln!(w, "{}", db / dt / 2)
}

/// `md/degraded` (md's `degraded_show`): `mddev->degraded` and a newline.
pub(crate) fn write_degraded<W: Write>(w: &mut W, degraded: i32) -> fmt::Result {
    writeln!(w, "{degraded}")
}

/// `md/mismatch_cnt` (md's `mismatch_cnt_show`): the sectors found to
/// differ by the last check or repair (`mddev->resync_mismatches`), and a
/// newline.
pub(crate) fn write_mismatch_cnt<W: Write>(w: &mut W, mismatches: u64) -> fmt::Result {
    writeln!(w, "{mismatches}")
}

/// `/proc/sys/dev/raid/speed_limit_min` at load (md's
/// `sysctl_speed_limit_min`), K/sec per member.
pub(crate) const SPEED_LIMIT_MIN: i32 = 1000;
/// `/proc/sys/dev/raid/speed_limit_max` at load (md's
/// `sysctl_speed_limit_max`), K/sec per member.
pub(crate) const SPEED_LIMIT_MAX: i32 = 200_000;

/// The limit in force (md's `speed_min` / `speed_max`): the array's own
/// (`mddev->sync_speed_min` / `_max`) unless 0, else the system's
/// (`speed_limit_min` / `_max`). md does not order or clamp them.
pub(crate) fn speed_limit(local: i32, system: i32) -> i32 {
    if local != 0 {
        local
    } else {
        system
    }
}

/// `md/sync_speed_min` and `md/sync_speed_max` (md's `sync_min_show` /
/// `sync_max_show`): the limit in force, `(local)` or `(system)`, and a
/// newline.
pub(crate) fn write_sync_speed_limit<W: Write>(w: &mut W, local: i32, system: i32) -> fmt::Result {
    let whose = if local != 0 { "local" } else { "system" };
    writeln!(w, "{} ({whose})", speed_limit(local, system))
}

/// A write to `md/sync_speed_min` or `_max` (md's `sync_min_store` /
/// `sync_max_store`): the value md stores in `mddev->sync_speed_min` /
/// `_max`, 0 for anything starting with `system`; else a positive
/// `kstrtouint` number, stored in md's `int` as C does (from 2^31 on it
/// reads back negative). `None` is md's `EINVAL` (or `ERANGE` on overflow).
pub(crate) fn parse_sync_speed_limit(input: &[u8]) -> Option<i32> {
    let s = c_str(input);
    if s.starts_with(b"system") {
        return Some(0);
    }
    match kstrtouint(s)? {
        0 => None,
        n => Some(n as i32),
    }
}

/// The kernel's `kstrtouint(s, 10, ...)`: an optional `+`, decimal digits,
/// an optional newline, nothing else.
fn kstrtouint(input: &[u8]) -> Option<u32> {
    let s = c_str(input);
    let s = s.strip_prefix(b"+").unwrap_or(s);
    let digits = s.iter().take_while(|b| b.is_ascii_digit()).count();
    if digits == 0 {
        return None;
    }
    let mut value: u32 = 0;
    for &d in &s[..digits] {
        value = value.checked_mul(10)?.checked_add(u32::from(d - b'0'))?;
    }
    let rest = &s[digits..];
    if !rest.strip_prefix(b"\n").unwrap_or(rest).is_empty() {
        return None;
    }
    Some(value)
}

/// Reading `speed_limit_min` / `_max` (the kernel's `proc_dointvec`):
/// the value and a newline (at file position 0; further reads get
/// nothing).
pub(crate) fn write_sysctl_int<W: Write>(w: &mut W, value: i32) -> fmt::Result {
    writeln!(w, "{value}")
}

/// A write to `speed_limit_min` / `_max` that `proc_dointvec` accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct SysctlWrite {
    /// The new value (6.12 stores any `int`: no clamping, no ordering);
    /// `None` for an empty write, which changes nothing.
    pub(crate) value: Option<i32>,
    /// The bytes the write returns: less than the write when something
    /// other than white space follows the number (the value is taken
    /// anyway; the rest, written again at a later position, is ignored).
    pub(crate) consumed: usize,
}

/// `__do_proc_dointvec` reads at most `PAGE_SIZE - 1` bytes of a write.
const SYSCTL_WRITE_MAX: usize = 4095;
/// `proc_get_long`'s `TMPBUFLEN`: a number takes fewer than 21 bytes.
const TMPBUFLEN: usize = 22;

/// The kernel's `isspace` (its ctype also counts Latin-1 NBSP).
fn k_isspace(b: u8) -> bool {
    matches!(b, b'\t'..=b'\r' | b' ' | 0xa0)
}

/// A write at file position 0 to a one-`int` `proc_dointvec` sysctl, as
/// `__do_proc_dointvec` with `proc_get_long` and `do_proc_dointvec_conv`
/// reads it: white space, an optional `-`, a number in C's notation
/// (`0x1f` hex, `017` octal, else decimal), then white space or the end.
/// `None` is the kernel's `EINVAL`.
pub(crate) fn parse_sysctl_int(input: &[u8]) -> Option<SysctlWrite> {
    if input.is_empty() {
        return Some(SysctlWrite {
            value: None,
            consumed: 0,
        });
    }
    let buf = &input[..input.len().min(SYSCTL_WRITE_MAX)];
    let skip = |from: usize| from + buf[from..].iter().take_while(|&&b| k_isspace(b)).count();
    let start = skip(0);
    let size = buf.len() - start;
    if size == 0 {
        return None;
    }
    // proc_get_long works on a NUL-terminated copy of at most 21 bytes.
    let tmp = &buf[start..start + size.min(TMPBUFLEN - 1)];
    let at = |i: usize| tmp.get(i).copied().unwrap_or(0);
    let neg = at(0) == b'-' && size > 1;
    let mut len = usize::from(neg);
    if !at(len).is_ascii_digit() {
        return None;
    }
    // _parse_integer_fixup_radix with base 0.
    let base: u64 = if at(len) == b'0' {
        if at(len + 1).eq_ignore_ascii_case(&b'x') && at(len + 2).is_ascii_hexdigit() {
            len += 2;
            16
        } else {
            8
        }
    } else {
        10
    };
    // _parse_integer: digits until one is not of the base; overflow fails.
    let mut lval: u64 = 0;
    while let Some(val) = char::from(at(len)).to_digit(16) {
        let val = u64::from(val);
        if val >= base {
            break;
        }
        lval = lval.checked_mul(base)?.checked_add(val)?;
        len += 1;
    }
    // 21 bytes may be a number cut short: refused.
    if len == TMPBUFLEN - 1 {
        return None;
    }
    if len < size && !matches!(at(len), b' ' | b'\t' | b'\n') {
        return None;
    }
    let value = if neg {
        if lval > 1 << 31 {
            return None;
        }
        (lval as i64).wrapping_neg() as i32
    } else {
        i32::try_from(lval).ok()?
    };
    let left = buf.len() - skip(start + len);
    Some(SysctlWrite {
        value: Some(value),
        consumed: input.len() - left,
    })
}

/// Sync I/O between two speed checks (md's `window`:
/// `32 * (PAGE_SIZE / 512)` sectors, 128 KiB with 4 KiB pages).
pub(crate) const fn sync_window(page_size: u32) -> u32 {
    32 * (page_size / 512)
}

/// Marks `md_do_sync` keeps (md's `SYNC_MARKS`), one every
/// [`SYNC_MARK_STEP_SECS`] seconds: speeds are measured over the last
/// 27 to 30 seconds.
pub(crate) const SYNC_MARKS: usize = 10;
/// Seconds between marks (md's `SYNC_MARK_STEP`, `3 * HZ` jiffies).
pub(crate) const SYNC_MARK_STEP_SECS: u64 = 3;
/// How long `md_do_sync` sleeps above `speed_max` (md's `msleep(500)`).
pub(crate) const THROTTLE_SLEEP_MS: u32 = 500;

/// A point of the sync: what `mddev->resync_mark` and
/// `mddev->resync_mark_cnt` hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Mark {
    /// `resync_mark`: jiffies.
    pub(crate) jiffies: u64,
    /// `resync_mark_cnt`: sectors done then.
    pub(crate) sectors: u64,
}

/// `md_do_sync`'s ring of marks (`mark[]`, `mark_cnt[]`, `last_mark`).
#[derive(Clone, Debug)]
pub(crate) struct SyncMarks {
    mark: [Mark; SYNC_MARKS],
    last: usize,
}

impl SyncMarks {
    /// All marks at `jiffies` with nothing done, as a sync starts.
    pub(crate) fn new(jiffies: u64) -> Self {
        Self {
            mark: [Mark {
                jiffies,
                sectors: 0,
            }; SYNC_MARKS],
            last: 0,
        }
    }

    /// The mark `mddev` shows when the sync starts.
    pub(crate) fn first(&self) -> Mark {
        self.mark[self.last]
    }

    /// md's "step marks": once the newest mark is [`SYNC_MARK_STEP_SECS`]
    /// old, the oldest becomes `mddev`'s mark (returned) and is replaced
    /// by now, with `io_sectors - recovery_active` sectors done.
    pub(crate) fn step(
        &mut self,
        jiffies: u64,
        hz: u64,
        io_sectors: u64,
        recovery_active: i32,
    ) -> Option<Mark> {
        let due = self.mark[self.last]
            .jiffies
            .wrapping_add(SYNC_MARK_STEP_SECS.wrapping_mul(hz));
        if !time_after_eq(jiffies, due) {
            return None;
        }
        let next = (self.last + 1) % SYNC_MARKS;
        let oldest = self.mark[next];
        self.mark[next] = Mark {
            jiffies,
            sectors: io_sectors.wrapping_sub(active_sectors(recovery_active)),
        };
        self.last = next;
        Some(oldest)
    }
}

/// What `md_do_sync` measures its speed from, after each window.
#[derive(Clone, Copy, Debug)]
pub(crate) struct SyncWindow {
    /// `io_sectors`: sectors of sync I/O issued.
    pub(crate) io_sectors: u64,
    /// `atomic_read(&mddev->recovery_active)`: issued, not yet done.
    pub(crate) recovery_active: i32,
    /// `mddev->resync_mark_cnt`.
    pub(crate) resync_mark_cnt: u64,
    /// `mddev->resync_mark`, in jiffies.
    pub(crate) resync_mark: u64,
    /// `jiffies` now.
    pub(crate) jiffies: u64,
    /// `HZ`.
    pub(crate) hz: u64,
}

impl SyncWindow {
    /// md's `currspeed`, K/sec since the mark: the seconds are counted
    /// from 1 and the result rounded up by adding 1, so it is never 0.
    pub(crate) fn currspeed(&self) -> u32 {
        let done = self
            .io_sectors
            .wrapping_sub(active_sectors(self.recovery_active));
        let secs = elapsed_secs(self.jiffies, self.resync_mark, self.hz) + 1;
        // md stores the unsigned long result in an unsigned int.
        (done.wrapping_sub(self.resync_mark_cnt) / 2 / secs + 1) as u32
    }
}

/// What `md_do_sync` does after a window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Throttle {
    /// Go on at once.
    Continue,
    /// Above `speed_max`: sleep [`THROTTLE_SLEEP_MS`], step the marks,
    /// measure and decide again (md's `goto repeat`).
    Sleep,
    /// Above `speed_min` while the members see other I/O: wait until no
    /// sync I/O is in flight (`recovery_active` is 0), then go on.
    WaitInflight,
}

/// md_do_sync's decision from `currspeed` and the limits in force
/// ([`speed_limit`]). `is_idle` is md's `is_mddev_idle(mddev, 0)`, which
/// updates the members' event counts, so it runs only where md runs it:
/// above `speed_min` and not above `speed_max`.
pub(crate) fn throttle(
    currspeed: u32,
    speed_min: i32,
    speed_max: i32,
    is_idle: impl FnOnce() -> bool,
) -> Throttle {
    // C compares md's unsigned currspeed with the int limits as unsigned:
    // a negative limit is never exceeded.
    if currspeed <= speed_min as u32 {
        return Throttle::Continue;
    }
    if currspeed > speed_max as u32 {
        return Throttle::Sleep;
    }
    if is_idle() {
        Throttle::Continue
    } else {
        Throttle::WaitInflight
    }
}

/// Sectors of other I/O a member may see between two checks and still be
/// idle (md's 64 in `is_mddev_idle`).
pub(crate) const IDLE_SLACK_SECTORS: i32 = 64;

/// A member's event count for `is_mddev_idle`: its disk's sectors read,
/// written and discarded (`part_stat_read_accum(part0, sectors)`) less
/// its sync I/O (`disk->sync_io`), in md's wrapping `int`.
pub(crate) fn member_events(disk_sectors: u64, sync_io: i32) -> i32 {
    (disk_sectors as i32).wrapping_sub(sync_io)
}

/// `is_mddev_idle`'s test for a member that counts I/O: busy when its
/// events grew by more than [`IDLE_SLACK_SECTORS`] since `last_events`
/// (md then stores `curr_events` as the member's `last_events`; at the
/// start of a sync, `init`, it stores them without this test).
pub(crate) fn member_busy(curr_events: i32, last_events: i32) -> bool {
    curr_events.wrapping_sub(last_events) > IDLE_SLACK_SECTORS
}
