// SPDX-License-Identifier: GPL-2.0

//! raid1's resync, recovery, check and repair (md's `md_do_sync` with
//! raid1's `sync_request`): window by window, with all other I/O held off
//! while a window is copied (a barrier, as raid1 had before its bucketed
//! barriers), throttled by `/proc/sys/dev/raid/speed_limit_{min,max}`; a
//! resync resumes from the checkpoint in the superblocks.

use super::{
    raid1::Conf,
    rdev::Rdev,
    registry,
    superblock::Role,
    sync_status::{self, ActionInputs, Recovery, SyncAction, SyncProgress, SyncWindow, Throttle},
};
use crate::blockdev::{
    self,
    log::{line_info, line_warn},
    wait,
};
use core::sync::atomic::Ordering;
use kernel::{page::Page, prelude::*, sync::Arc, workqueue::WorkItem};

/// Sectors per window (1 MiB): held off from array I/O by one barrier,
/// and in flight at once on a member with a queue.
const WINDOW_PAGES: usize = 256;
const WINDOW_SECTORS: u64 = (WINDOW_PAGES * kernel::page::PAGE_SIZE / 512) as u64;

/// md's `RESYNC_BLOCK_SIZE`: what one of its resync requests covers.
const RESYNC_BLOCK_BYTES: usize = 64 * 1024;

/// The most one resync bio carries: a member that completes I/O in the
/// submitting thread (RAM disks) lets other tasks run between two.
const SYNC_PIECE_BYTES: usize = 256 * 1024;

/// The work that runs a resync, check or repair.
pub(crate) const SYNC_WORK: u64 = 3;

impl Conf {
    /// What /proc/mdstat and sysfs show of the sync.
    pub(crate) fn progress(&self) -> SyncProgress {
        let curr = self.curr_resync.load(Ordering::Acquire);
        SyncProgress {
            recovery: *self.recovery.lock(),
            curr_resync: curr,
            curr_resync_completed: curr,
            recovery_active: 0,
            resync_max_sectors: self.array_sectors,
            dev_sectors: self.array_sectors,
            resync_offset: self.resync_offset.load(Ordering::Acquire),
            curr_mark_cnt: curr,
            resync_mark_cnt: self.resync_mark_cnt.load(Ordering::Relaxed),
            resync_mark: self.resync_mark.load(Ordering::Relaxed),
            jiffies: wait::jiffies(),
            hz: wait::hz(),
        }
    }

    /// md's `sync_action` for this array.
    pub(crate) fn action(&self) -> SyncAction {
        sync_status::sync_action(&ActionInputs {
            recovery: *self.recovery.lock(),
            read_write: true,
            resync_offset: self.resync_offset.load(Ordering::Acquire),
            reshape_position: sync_status::MAX_SECTOR,
            member_needs_recovery: self.recovering.load(Ordering::Acquire) != 0,
        })
    }

    /// md's `last_sync_action`.
    pub(crate) fn last_action(&self) -> SyncAction {
        SyncAction::from_index(self.last_action.load(Ordering::Relaxed))
    }

    /// md's `action_store`. Spares join by the array's check of its
    /// members (`recover`, or `idle` after mdadm froze the array to add
    /// one), which the caller asks for.
    pub(crate) fn store_action(self: &Arc<Self>, action: SyncAction) -> Result {
        let running = self.recovery.lock().contains(Recovery::RUNNING);
        let plan = sync_status::action_store(action, running).map_err(|_| EBUSY)?;
        if plan.start_reshape {
            // Nothing to reshape.
            return Err(EINVAL);
        }
        if plan.set.contains(Recovery::FROZEN) {
            // Frozen before the sync stops: its end must not start another.
            let mut recovery = self.recovery.lock();
            *recovery = recovery.with(Recovery::FROZEN);
        }
        if plan.stop_thread {
            self.stop_sync();
        }
        {
            let mut recovery = self.recovery.lock();
            // RECOVER only asks for a check of the members here.
            *recovery = recovery
                .with(plan.set)
                .without(plan.clear)
                .without(Recovery::RECOVER);
        }
        let resync_owed = self.resync_offset.load(Ordering::Acquire) != sync_status::MAX_SECTOR;
        match action {
            // md_choose_sync_action: a resync owed comes before a check or
            // a repair, which are then forgotten.
            SyncAction::Check | SyncAction::Repair if resync_owed => {
                let mut recovery = self.recovery.lock();
                *recovery = recovery
                    .without(Recovery::CHECK)
                    .without(Recovery::REQUESTED);
                drop(recovery);
                self.start_owed_sync()
            }
            // md recovers members waiting in their slots before checking.
            SyncAction::Check | SyncAction::Repair
                if self.recovering.load(Ordering::Acquire) != 0 =>
            {
                self.start_owed_sync()
            }
            SyncAction::Check => self.start_sync(SyncAction::Check),
            SyncAction::Repair => self.start_sync(SyncAction::Repair),
            SyncAction::Idle | SyncAction::Resync | SyncAction::Recover => self.start_owed_sync(),
            _ => {}
        }
        Ok(())
    }

    /// md's speed limits for this array: its own if set, else the system's.
    pub(crate) fn speed_limits(&self) -> (i32, i32) {
        let (min, max) = wait::speed_limits();
        (
            sync_status::speed_limit(self.speed_min.load(Ordering::Relaxed), min),
            sync_status::speed_limit(self.speed_max.load(Ordering::Relaxed), max),
        )
    }
}

impl Conf {
    /// md's `raise_barrier`: holds off new array I/O and waits for the
    /// I/O in flight.
    fn raise_barrier(&self) {
        self.barrier.store(true, Ordering::SeqCst);
        wait::wait_until_zero(&self.io_pending);
    }

    /// md's `lower_barrier`.
    fn lower_barrier(&self) {
        self.barrier.store(false, Ordering::SeqCst);
        wait::wake(&self.barrier);
    }

    /// md's `wait_barrier`, before array I/O: counts it in flight unless a
    /// window is being synced; then waits for the window.
    pub(crate) fn wait_barrier(&self) {
        loop {
            self.io_pending.fetch_add(1, Ordering::SeqCst);
            if !self.barrier.load(Ordering::SeqCst) {
                return;
            }
            self.allow_barrier();
            wait::wait_until_false(&self.barrier);
        }
    }

    /// md's `allow_barrier`, when array I/O completes (any context).
    pub(crate) fn allow_barrier(&self) {
        if self.io_pending.fetch_sub(1, Ordering::SeqCst) == 1
            && (self.barrier.load(Ordering::SeqCst) || self.draining.load(Ordering::SeqCst))
        {
            wait::wake(&self.io_pending);
        }
    }

    /// With no new array I/O coming (the queue is frozen): waits until the
    /// I/O in flight completed and the work has acknowledged the writes it
    /// held, retried the reads that failed and recorded the failures.
    pub(crate) fn drain_io(&self) {
        self.draining.store(true, Ordering::SeqCst);
        loop {
            wait::wait_until_zero(&self.io_pending);
            // A completion queues the work before it stops counting as
            // pending, so the flush sees it; the work may retry reads.
            if let Some(core) = registry::CORE.get() {
                core.level_wq.flush();
            }
            if self.io_pending.load(Ordering::SeqCst) == 0
                && self.retry.is_empty()
                && self.held.is_empty()
                && self.newly_failed.load(Ordering::Acquire) == 0
            {
                break;
            }
        }
        self.draining.store(false, Ordering::SeqCst);
    }

    /// Starts `action` (resync, recovery, check or repair) unless one runs,
    /// the array is frozen or read-only, or this level was replaced.
    pub(crate) fn start_sync(self: &Arc<Self>, action: SyncAction) {
        let bits = match action {
            SyncAction::Check => Recovery::SYNC | Recovery::REQUESTED | Recovery::CHECK,
            SyncAction::Repair => Recovery::SYNC | Recovery::REQUESTED,
            SyncAction::Recover => Recovery::RECOVER,
            _ => Recovery::SYNC,
        };
        let mut recovery = self.recovery.lock();
        if recovery.contains(Recovery::RUNNING)
            || recovery.contains(Recovery::FROZEN)
            || self.retired.load(Ordering::Acquire)
            || self.read_only.load(Ordering::Acquire)
        {
            return;
        }
        *recovery = recovery
            .with(Recovery::RUNNING)
            .with(bits)
            .without(Recovery::INTR);
        drop(recovery);
        self.sync_running.store(true, Ordering::SeqCst);
        let queued = registry::CORE.get().is_some_and(|core| {
            core.sync_wq
                .queue()
                .enqueue::<Arc<Conf>, SYNC_WORK>(self.clone())
                .is_ok()
        });
        if !queued {
            // The module is going: nothing will run.
            self.sync_ended();
        }
    }

    /// A sync is over (or never started): its action is forgotten and
    /// whoever waits in [`Conf::stop_sync`] may go on.
    fn sync_ended(&self) {
        {
            let mut recovery = self.recovery.lock();
            *recovery = recovery
                .without(Recovery::RUNNING)
                .without(Recovery::SYNC)
                .without(Recovery::REQUESTED)
                .without(Recovery::CHECK)
                .without(Recovery::RECOVER)
                .without(Recovery::INTR);
        }
        self.curr_resync.store(0, Ordering::Release);
        self.sync_running.store(false, Ordering::SeqCst);
        wait::wake(&self.sync_running);
    }

    /// Stops a sync in progress and waits for it (`idle`, `frozen`, stop).
    pub(crate) fn stop_sync(&self) {
        {
            let mut recovery = self.recovery.lock();
            if recovery.contains(Recovery::RUNNING) {
                *recovery = recovery.with(Recovery::INTR);
            }
        }
        wait::wait_until_false(&self.sync_running);
    }

    /// Starts what the array owes, if it may: a resync first, then the
    /// recovery of members waiting in their slots (md_choose_sync_action).
    pub(crate) fn start_owed_sync(self: &Arc<Self>) {
        if self.resync_offset.load(Ordering::Acquire) != sync_status::MAX_SECTOR {
            self.start_sync(SyncAction::Resync);
        } else if self.recovering.load(Ordering::Acquire) != 0 {
            self.start_sync(SyncAction::Recover);
        }
    }

    /// The sync work: a resync, check or repair, or a recovery.
    fn do_sync(self: &Arc<Self>) -> Result {
        let recovery = *self.recovery.lock();
        if recovery.contains(Recovery::RECOVER) && !recovery.contains(Recovery::SYNC) {
            return self.do_recovery();
        }
        let check = recovery.contains(Recovery::REQUESTED);
        let repair_only = check && !recovery.contains(Recovery::CHECK);
        let max = self.array_sectors;
        let start = if check {
            0
        } else {
            self.resync_offset.load(Ordering::Acquire).min(max)
        };
        let mut buffers = KVec::with_capacity(self.mirrors.len(), GFP_KERNEL)?;
        for slot in 0..self.mirrors.len() {
            // A resync copies one buffer; a check compares every mirror.
            buffers.push(
                window_pages(if slot == 0 || check { WINDOW_PAGES } else { 0 })?,
                GFP_KERNEL,
            )?;
        }
        let mut scratch = KVec::from_elem(0u8, 2 * kernel::page::PAGE_SIZE, GFP_KERNEL)?;
        // md names the action in its log (md_sync_action_name).
        let action = self.action();
        self.last_action.store(action.index(), Ordering::Relaxed);
        // md_sync_max_sectors: each resync, check and repair counts anew.
        self.mismatches.store(0, Ordering::Relaxed);
        let word = action.as_str();
        line_info!("md: {} of RAID array {}\n", word, self.name);
        let mut checkpoint = start;
        let pos = self.sync_loop(start, max, |pos, bytes| {
            self.sync_window(pos, bytes, check, repair_only, &buffers, &mut scratch)?;
            // A checkpoint every sixteenth of the array, so that an
            // interrupted resync resumes close to where it stopped.
            let end = pos + (bytes / 512) as u64;
            if !check && end - checkpoint >= max / 16 {
                checkpoint = end;
                self.resync_offset.store(end, Ordering::Release);
                if let Some(sb) = &self.sb {
                    sb.update(|st| st.resync_offset = end);
                }
            }
            Ok(true)
        })?;
        if !check {
            let done = if pos >= max { u64::MAX } else { pos };
            self.resync_offset.store(done, Ordering::Release);
            if let Some(sb) = &self.sb {
                sb.update(|st| st.resync_offset = done);
            }
        }
        self.log_end(word, pos >= max);
        if pos >= max {
            // Clean again once writes stay away.
            self.kick_clean();
        }
        // Spares wait for a resync to end (md_choose_sync_action).
        self.kick_check();
        Ok(())
    }

    /// md's closing line of a sync.
    fn log_end(&self, word: &str, done: bool) {
        let how = if done { "done" } else { "interrupted" };
        line_info!("md: {}: {} {}.\n", self.name, word, how);
    }

    /// md_do_sync's loop from `start` to `max`: one window at a time with
    /// all array I/O held off (the barrier), throttled by the speed limits.
    /// `window(sector, bytes)` does one and says whether to go on. Returns
    /// where it stopped: `max` when it got to the end.
    fn sync_loop(
        &self,
        start: u64,
        max: u64,
        mut window: impl FnMut(u64, usize) -> Result<bool>,
    ) -> Result<u64> {
        let (hz, mut mark) = (wait::hz(), wait::jiffies());
        self.resync_mark.store(mark, Ordering::Relaxed);
        self.resync_mark_cnt.store(start, Ordering::Relaxed);
        self.curr_resync
            .store(start.max(sync_status::RESYNC_ACTIVE), Ordering::Release);
        let mut pos = start;
        let mut last_io = self.io_gen.load(Ordering::Relaxed);
        while pos < max {
            if self.recovery.lock().contains(Recovery::INTR) {
                break;
            }
            // md_do_sync's throttle: above the maximum, or above the minimum
            // while the array has other I/O, wait.
            let (min_speed, max_speed) = self.speed_limits();
            let speed = SyncWindow {
                io_sectors: pos,
                recovery_active: 0,
                resync_mark_cnt: self.resync_mark_cnt.load(Ordering::Relaxed),
                resync_mark: mark,
                jiffies: wait::jiffies(),
                hz,
            };
            let io = self.io_gen.load(Ordering::Relaxed);
            match sync_status::throttle(speed.currspeed(), min_speed, max_speed, || io == last_io) {
                // md waits for its own sync I/O in flight to give the
                // array's other I/O a chance; a window here is complete
                // before the next, and the barrier lets waiting I/O in
                // between windows.
                Throttle::Continue | Throttle::WaitInflight => {}
                Throttle::Sleep => {
                    last_io = io;
                    blockdev::sleep_ms(sync_status::THROTTLE_SLEEP_MS);
                    continue;
                }
            }
            last_io = io;
            if wait::jiffies().wrapping_sub(mark) > 3 * hz {
                mark = wait::jiffies();
                self.resync_mark.store(mark, Ordering::Relaxed);
                self.resync_mark_cnt.store(pos, Ordering::Relaxed);
            }
            let n = WINDOW_SECTORS.min(max - pos);
            self.raise_barrier();
            let result = window(pos, (n * 512) as usize);
            self.lower_barrier();
            if !result? {
                break;
            }
            pos += n;
            self.curr_resync.store(pos, Ordering::Release);
            // md_do_sync's cond_resched: members that complete without
            // sleeping (RAM disks) must not starve the machine. Within a
            // window, `transfer_pages` yields between its bios.
            blockdev::cond_resched();
        }
        Ok(pos)
    }

    /// md's recovery (`md_do_sync` with raid1's `sync_request` for members
    /// not in sync): copies every sector from a working mirror to the
    /// members rebuilt in their slots, then makes them working mirrors.
    /// Writes reach those members throughout, so what was copied stays
    /// current.
    fn do_recovery(self: &Arc<Self>) -> Result {
        let targets = self.recovering.load(Ordering::Acquire);
        if targets == 0 {
            return Ok(());
        }
        let max = self.array_sectors;
        let start = self
            .rebuilding(targets)
            .fold(max, |start, (_, rdev)| start.min(rdev.recovery_offset()));
        let buffer = window_pages(WINDOW_PAGES)?;
        self.last_action
            .store(SyncAction::Recover.index(), Ordering::Relaxed);
        let word = SyncAction::Recover.as_str();
        line_info!("md: {} of RAID array {}\n", word, self.name);
        let mut checkpoint = start;
        let pos = self.sync_loop(start, max, |pos, bytes| {
            let going = self.recover_window(pos, bytes, targets, &buffer)?;
            let end = pos + (bytes / 512) as u64;
            for (_, rdev) in self.rebuilding(targets) {
                rdev.set_recovery_offset(end);
            }
            // Recorded now and then, as md's curr_resync_completed.
            if end - checkpoint >= max / 16 {
                checkpoint = end;
                if let Some(sb) = &self.sb {
                    self.fail_unwritten(sb.update(|_| {}));
                }
            }
            Ok(going)
        })?;
        let done = pos >= max && self.recovering.load(Ordering::Acquire) & targets != 0;
        self.log_end(word, done);
        if done {
            self.recovered(targets);
        }
        self.kick_check();
        Ok(())
    }

    /// The members of `targets` still being rebuilt, with their slots.
    fn rebuilding(&self, targets: u64) -> impl Iterator<Item = (usize, &Arc<Rdev>)> {
        let live = targets & self.recovering.load(Ordering::Acquire);
        self.mirrors
            .iter()
            .enumerate()
            .filter(move |(slot, _)| live & (1 << slot) != 0)
            .filter_map(|(slot, m)| m.member.as_ref().map(|(_, rdev)| (slot, rdev)))
    }

    /// md's `spare_active` after a complete recovery: the rebuilt members
    /// become working mirrors in sync, and the superblocks say so.
    fn recovered(self: &Arc<Self>, targets: u64) {
        let live = targets & self.recovering.load(Ordering::Acquire);
        for (slot, rdev) in self.rebuilding(live) {
            rdev.set_role(Role::Slot(slot as u32));
        }
        // Reads may use them from now on; writes reached them all along,
        // and still do: they join `working` before they leave `recovering`
        // (see `write`).
        self.working.fetch_or(live, Ordering::AcqRel);
        self.recovering.fetch_and(!live, Ordering::AcqRel);
        if let Some(sb) = &self.sb {
            self.fail_unwritten(sb.update(|_| {}));
        }
    }

    /// Fails the mirrors whose superblock could not be written.
    pub(crate) fn fail_unwritten(self: &Arc<Self>, failed: u64) {
        for slot in 0..self.mirrors.len() {
            if failed & (1 << slot) != 0 {
                self.fail_mirror(slot);
            }
        }
    }

    /// A working mirror to copy from: md's choice, the first that is not
    /// write-mostly, else the first; none of `exclude`.
    fn sync_source(&self, exclude: u64) -> Option<usize> {
        let working = self.working.load(Ordering::Acquire) & !exclude;
        let present =
            |slot: &usize| working & (1 << slot) != 0 && self.mirrors[*slot].member.is_some();
        let mostly = |slot: &usize| {
            self.mirrors[*slot]
                .member
                .as_ref()
                .is_some_and(|(_, rdev)| rdev.write_mostly())
        };
        (0..self.mirrors.len())
            .filter(present)
            .find(|s| !mostly(s))
            .or_else(|| (0..self.mirrors.len()).find(present))
    }

    /// Reads or writes one window of `slot`'s data.
    fn window_io(
        &self,
        slot: usize,
        sector: u64,
        buf: &[Page],
        bytes: usize,
        write: bool,
    ) -> Result {
        let m = &self.mirrors[slot];
        let (dev, _) = m.member.as_ref().ok_or(EIO)?;
        dev.transfer_pages(m.data_offset + sector, buf, bytes, SYNC_PIECE_BYTES, write)
    }

    /// One window of a recovery: read from a working mirror (another one
    /// if that fails), write to every member of `targets` still being
    /// rebuilt. A member whose write fails is failed; if no mirror can be
    /// read, the members cannot be rebuilt and are failed too (md fails
    /// them in `fix_sync_read_error`). Says whether to go on.
    fn recover_window(
        self: &Arc<Self>,
        sector: u64,
        bytes: usize,
        targets: u64,
        buf: &[Page],
    ) -> Result<bool> {
        let live = targets & self.recovering.load(Ordering::Acquire);
        if live == 0 {
            return Ok(false);
        }
        let mut tried = 0u64;
        loop {
            let Some(source) = self.sync_source(tried) else {
                for (slot, _) in self.rebuilding(live) {
                    line_warn!(
                        "md/raid1:{}: {}: unrecoverable I/O read failure for block {}\n",
                        self.name,
                        self.member_name(slot),
                        sector
                    );
                    self.fail_mirror(slot);
                }
                return Ok(false);
            };
            if self.window_io(source, sector, buf, bytes, false).is_ok() {
                break;
            }
            tried |= 1 << source;
            self.fail_mirror(source);
        }
        for slot in 0..self.mirrors.len() {
            if live & (1 << slot) != 0 && self.window_io(slot, sector, buf, bytes, true).is_err() {
                self.fail_mirror(slot);
            }
        }
        Ok(true)
    }

    /// One window of a resync, check or repair: read from a working
    /// mirror, write to the other working ones (resync), or read all and
    /// compare, rewriting differing ones unless only checking.
    fn sync_window(
        self: &Arc<Self>,
        sector: u64,
        bytes: usize,
        check: bool,
        repair_only: bool,
        buffers: &[KVec<Page>],
        scratch: &mut [u8],
    ) -> Result {
        let Some(source) = self.sync_source(0) else {
            return Err(EIO);
        };
        let working = self.working.load(Ordering::Acquire);
        // With one working mirror there is nothing to compare or copy to
        // (raid1_sync_request skips what has no write target).
        if working & !(1 << source) == 0 {
            return Ok(());
        }
        let source_buf = &buffers[if check { source } else { 0 }];
        self.window_io(source, sector, source_buf, bytes, false)?;
        for (slot, buffer) in buffers.iter().enumerate() {
            if slot == source || working & (1 << slot) == 0 || self.mirrors[slot].member.is_none() {
                continue;
            }
            if check {
                self.window_io(slot, sector, buffer, bytes, false)?;
                // md compares, counts and repairs per resync block (one
                // r1bio: RESYNC_PAGES), so mismatch_cnt is in its units.
                let mut done = 0;
                while done < bytes {
                    let piece = RESYNC_BLOCK_BYTES.min(bytes - done);
                    let page = done / kernel::page::PAGE_SIZE;
                    let (ours, theirs) = (&source_buf[page..], &buffer[page..]);
                    if !blockdev::member::pages_equal(ours, theirs, piece, scratch)? {
                        self.mismatches
                            .fetch_add((piece / 512) as u64, Ordering::Relaxed);
                        if repair_only {
                            let at = sector + (done / 512) as u64;
                            self.window_io(slot, at, ours, piece, true)?;
                        }
                    }
                    done += piece;
                }
            } else if self
                .window_io(slot, sector, source_buf, bytes, true)
                .is_err()
            {
                self.fail_mirror(slot);
            }
        }
        Ok(())
    }
}

/// `n` pages for a window.
fn window_pages(n: usize) -> Result<KVec<Page>> {
    let mut pages = KVec::with_capacity(n, GFP_KERNEL)?;
    for _ in 0..n {
        pages.push(Page::alloc_page(GFP_KERNEL)?, GFP_KERNEL)?;
    }
    Ok(pages)
}

impl WorkItem<SYNC_WORK> for Conf {
    type Pointer = Arc<Conf>;

    fn run(this: Arc<Conf>) {
        let result = this.do_sync();
        if result.is_err() {
            line_info!(
                "md: {}: resync aborted: no mirror to copy from\n",
                this.name
            );
        }
        this.sync_ended();
    }
}
