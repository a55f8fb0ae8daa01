// SPDX-License-Identifier: GPL-2.0

//! raid1's resync, check and repair (md's `md_do_sync` with raid1's
//! `sync_request`): window by window, with all other I/O held off while a
//! window is copied (a barrier, as raid1 had before its bucketed barriers),
//! throttled by `/proc/sys/dev/raid/speed_limit_{min,max}`, resumable from
//! the checkpoint in the superblocks.

use super::{
    raid1::Conf,
    sync_status::{self, ActionInputs, Recovery, SyncAction, SyncProgress, SyncWindow, Throttle},
};
use crate::blockdev::{self, log::line_info, wait};
use core::sync::atomic::Ordering;
use kernel::{page::Page, prelude::*, sync::Arc, workqueue::WorkItem};

/// Sectors per window: md's 32 pages.
const WINDOW_PAGES: usize = 32;
const WINDOW_SECTORS: u64 = (WINDOW_PAGES * kernel::page::PAGE_SIZE / 512) as u64;

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
            member_needs_recovery: false,
        })
    }

    /// md's `action_store`.
    pub(crate) fn store_action(self: &Arc<Self>, action: SyncAction) -> Result {
        let running = self.recovery.lock().contains(Recovery::RUNNING);
        let plan = sync_status::action_store(action, running).map_err(|_| EBUSY)?;
        if plan.start_reshape || action == SyncAction::Recover {
            // Nothing to reshape; recovery starts by itself with a spare.
            return Err(EINVAL);
        }
        if plan.stop_thread {
            self.stop_sync();
        }
        {
            let mut recovery = self.recovery.lock();
            *recovery = recovery.with(plan.set).without(plan.clear);
        }
        match action {
            SyncAction::Check => self.start_sync(SyncAction::Check),
            SyncAction::Repair => self.start_sync(SyncAction::Repair),
            SyncAction::Idle | SyncAction::Resync
                if self.resync_offset.load(Ordering::Acquire) != sync_status::MAX_SECTOR =>
            {
                self.start_sync(SyncAction::Resync)
            }
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
            && self.barrier.load(Ordering::SeqCst)
        {
            wait::wake(&self.io_pending);
        }
    }

    /// Starts `action` (resync, check or repair) unless one runs or the
    /// array is frozen.
    pub(crate) fn start_sync(self: &Arc<Self>, action: SyncAction) {
        let bits = match action {
            SyncAction::Check => Recovery::SYNC | Recovery::REQUESTED | Recovery::CHECK,
            SyncAction::Repair => Recovery::SYNC | Recovery::REQUESTED,
            _ => Recovery::SYNC,
        };
        let mut recovery = self.recovery.lock();
        if recovery.contains(Recovery::RUNNING) || recovery.contains(Recovery::FROZEN) {
            return;
        }
        *recovery = recovery
            .with(Recovery::RUNNING)
            .with(bits)
            .without(Recovery::INTR);
        drop(recovery);
        self.sync_running.store(true, Ordering::SeqCst);
        let _ = kernel::workqueue::system_unbound().enqueue::<Arc<Conf>, SYNC_WORK>(self.clone());
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

    /// The window loop.
    fn do_sync(self: &Arc<Self>) -> Result {
        let recovery = *self.recovery.lock();
        let check = recovery.contains(Recovery::REQUESTED);
        let repair_only = check && !recovery.contains(Recovery::CHECK);
        let max = self.array_sectors;
        let start = if check {
            0
        } else {
            self.resync_offset.load(Ordering::Acquire).min(max)
        };
        let working = self.working.load(Ordering::Acquire);
        let mut buffers = KVec::with_capacity(self.mirrors.len(), GFP_KERNEL)?;
        for slot in 0..self.mirrors.len() {
            let mut pages = KVec::with_capacity(WINDOW_PAGES, GFP_KERNEL)?;
            // A resync copies one buffer; a check compares every mirror.
            if slot == 0 || check {
                for _ in 0..WINDOW_PAGES {
                    pages.push(Page::alloc_page(GFP_KERNEL)?, GFP_KERNEL)?;
                }
            }
            buffers.push(pages, GFP_KERNEL)?;
        }
        let mut scratch = KVec::from_elem(0u8, 2 * kernel::page::PAGE_SIZE, GFP_KERNEL)?;
        let word = sync_status::mdstat_word(recovery);
        line_info!("md: {} of RAID array {}\n", word, self.name);
        let (hz, mut mark) = (wait::hz(), wait::jiffies());
        self.resync_mark.store(mark, Ordering::Relaxed);
        self.resync_mark_cnt.store(start, Ordering::Relaxed);
        self.curr_resync
            .store(start.max(sync_status::RESYNC_ACTIVE), Ordering::Release);
        let mut pos = start;
        let mut last_io = self.io_gen.load(Ordering::Relaxed);
        let mut checkpoint = start;
        while pos < max {
            if self.recovery.lock().contains(Recovery::INTR) {
                break;
            }
            // md_do_sync's throttle: above the maximum, or above the minimum
            // while the array has other I/O, wait.
            let (min_speed, max_speed) = self.speed_limits();
            let window = SyncWindow {
                io_sectors: pos,
                recovery_active: 0,
                resync_mark_cnt: self.resync_mark_cnt.load(Ordering::Relaxed),
                resync_mark: mark,
                jiffies: wait::jiffies(),
                hz,
            };
            let io = self.io_gen.load(Ordering::Relaxed);
            match sync_status::throttle(window.currspeed(), min_speed, max_speed, || io == last_io)
            {
                Throttle::Continue => {}
                _ => {
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
            let bytes = (n * 512) as usize;
            self.raise_barrier();
            let result = self.sync_window(
                pos,
                bytes,
                check,
                repair_only,
                working,
                &buffers,
                &mut scratch,
            );
            self.lower_barrier();
            result?;
            pos += n;
            self.curr_resync.store(pos, Ordering::Release);
            // A checkpoint every sixteenth of the array, so that an
            // interrupted resync resumes close to where it stopped.
            if !check && pos - checkpoint >= max / 16 {
                checkpoint = pos;
                self.resync_offset.store(pos, Ordering::Release);
                if let Some(sb) = &self.sb {
                    sb.update(|st| st.resync_offset = pos);
                }
            }
        }
        if !check {
            let done = if pos >= max { u64::MAX } else { pos };
            self.resync_offset.store(done, Ordering::Release);
            if let Some(sb) = &self.sb {
                sb.update(|st| st.resync_offset = done);
            }
        }
        if pos >= max {
            line_info!("md: {}: {} done.\n", self.name, word);
            // Clean again once writes stay away.
            self.kick_clean();
        } else {
            line_info!("md: md_do_sync() got signal ... exiting\n");
        }
        Ok(())
    }

    /// One window: read from the first working mirror, write to the others
    /// (resync), or read all and compare, rewriting differing ones unless
    /// only checking.
    #[allow(clippy::too_many_arguments)]
    fn sync_window(
        &self,
        sector: u64,
        bytes: usize,
        check: bool,
        repair_only: bool,
        working: u64,
        buffers: &[KVec<Page>],
        scratch: &mut [u8],
    ) -> Result {
        let slots: KVec<usize> = {
            let mut v = KVec::new();
            for slot in 0..self.mirrors.len() {
                if working & (1 << slot) != 0 && self.mirrors[slot].member.is_some() {
                    v.push(slot, GFP_KERNEL)?;
                }
            }
            v
        };
        let Some(&source) = slots.first() else {
            return Err(EIO);
        };
        let io = |slot: usize, buf: &[Page], write: bool| -> Result {
            let m = &self.mirrors[slot];
            let (dev, _) = m.member.as_ref().ok_or(EIO)?;
            dev.transfer_pages(m.data_offset + sector, buf, bytes, write)
        };
        let source_buf = &buffers[if check { source } else { 0 }];
        io(source, source_buf, false)?;
        for &slot in slots.iter().skip(1) {
            if check {
                io(slot, &buffers[slot], false)?;
                if !blockdev::member::pages_equal(source_buf, &buffers[slot], bytes, scratch)? {
                    self.mismatches
                        .fetch_add((bytes / 512) as u64, Ordering::Relaxed);
                    if !repair_only {
                        continue;
                    }
                    io(slot, source_buf, true)?;
                }
            } else if io(slot, source_buf, true).is_err() {
                self.fail_mirror(slot);
            }
        }
        Ok(())
    }
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
        {
            let mut recovery = this.recovery.lock();
            *recovery = recovery
                .without(Recovery::RUNNING)
                .without(Recovery::SYNC)
                .without(Recovery::REQUESTED)
                .without(Recovery::CHECK)
                .without(Recovery::INTR);
        }
        this.curr_resync.store(0, Ordering::Release);
        this.sync_running.store(false, Ordering::SeqCst);
        wait::wake(&this.sync_running);
    }
}
