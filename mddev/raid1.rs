// SPDX-License-Identifier: GPL-2.0

//! raid1: mirrors (md's raid1.c). Writes go to every working mirror and
//! complete when all of them have; reads go to one mirror, chosen as md's
//! `read_balance` chooses (`read_balance.rs`), and are retried on another
//! if it fails. A mirror whose I/O fails is failed out of the array, unless
//! it is the last one, and the superblocks of the others record it before
//! any write that it missed is acknowledged.

use super::{
    names::DiskName,
    personality::{Geometry, Joining, Limits, MemberStatus, Personality, Slot, SyncAttr},
    raid1_sync::SYNC_WORK,
    rdev::Rdev,
    read_balance::{self, ArrayReadState, MirrorState},
    registry,
    sb_writer::SbWriter,
    superblock::{Role, MAX_SECTOR},
    sync_status::{self, Recovery, SyncAction},
};
use crate::blockdev::{
    bio::{Bio, BioSet, BioStack},
    fanout::{self, ClonePool, FanoutDone, Target},
    log::line_warn,
    member::MemberDev,
};
use core::{
    fmt,
    sync::atomic::{AtomicBool, AtomicI32, AtomicU32, AtomicU64, AtomicU8, Ordering},
};
use kernel::{
    impl_has_work, new_condvar, new_mutex, new_work,
    prelude::*,
    sync::{Arc, CondVar, Mutex},
    workqueue::{Work, WorkItem},
};

/// md's `safe_mode_delay`: how long writes must have stopped before the
/// array is marked clean again (200 ms).
const SAFE_MODE_DELAY_MS: u32 = 200;

/// The work that marks the array clean after a quiet period.
const CLEAN_WORK: u64 = 2;

/// Whether the superblocks say the array is clean (md's `in_sync`), under
/// `Conf::dirty`.
struct DirtyState {
    in_sync: bool,
    /// A writer waits for the array to be marked dirty.
    wanted: bool,
}

/// Most mirrors: one bit each in the fan-out's masks.
const MAX_MIRRORS: usize = fanout::MAX_TARGETS;

/// One slot of the array.
pub(crate) struct Mirror {
    /// The member in the slot, if any.
    pub(crate) member: Option<(Arc<MemberDev>, Arc<Rdev>)>,
    pub(crate) data_offset: u64,
    nonrot: bool,
    io_opt_sectors: u32,
    nr_pending: AtomicU32,
    head_position: AtomicU64,
    next_seq_sect: AtomicU64,
    seq_start: AtomicU64,
}

impl Mirror {
    /// A slot without a member.
    fn empty() -> Self {
        Self {
            member: None,
            data_offset: 0,
            nonrot: false,
            io_opt_sectors: 0,
            nr_pending: AtomicU32::new(0),
            head_position: AtomicU64::new(0),
            next_seq_sect: AtomicU64::new(0),
            seq_start: AtomicU64::new(read_balance::NO_SEQ_START),
        }
    }

    /// A slot filled by `s`.
    fn of(s: &Slot) -> Self {
        Self {
            member: Some((s.dev.clone(), s.rdev.clone())),
            data_offset: s.data_offset,
            nonrot: s.dev.is_nonrot(),
            io_opt_sectors: s.dev.io_opt() >> 9,
            ..Self::empty()
        }
    }
}

/// What a level that replaces another takes over from it, or a new one
/// finds in the superblocks.
struct Carried {
    resync_offset: u64,
    clean: bool,
    mismatches: u64,
    speed_min: i32,
    speed_max: i32,
    frozen: bool,
    last_action: SyncAction,
}

/// The state the I/O path and its completions share.
#[pin_data]
pub(crate) struct Conf {
    pub(crate) name: DiskName,
    pub(crate) mirrors: KVec<Mirror>,
    pub(crate) array_sectors: u64,
    /// Slots whose member works (bit per slot).
    pub(crate) working: AtomicU64,
    /// Slots whose member is being rebuilt: it takes writes, not reads.
    pub(crate) recovering: AtomicU64,
    /// Another level took over (a member change): no sync starts here.
    pub(crate) retired: AtomicBool,
    /// A member change waits for the I/O in flight (see `drain`).
    pub(crate) draining: AtomicBool,
    /// The array is read-only: no sync may run (md_do_sync).
    pub(crate) read_only: AtomicBool,
    /// Slots failed since the superblocks last recorded failures.
    pub(crate) newly_failed: AtomicU64,
    any_nonrot: bool,
    /// Failed reads, to retry on another mirror.
    pub(crate) retry: BioStack,
    /// Writes that a mirror missed, acknowledged once the superblocks say
    /// that mirror failed.
    pub(crate) held: BioStack,
    pub(crate) sb: Option<Arc<SbWriter>>,
    /// A resync window holds off array I/O (md's barrier).
    pub(crate) barrier: AtomicBool,
    /// Array I/O in flight, counted against the barrier.
    pub(crate) io_pending: AtomicU64,
    /// Array I/O started so far: a resync above its minimum speed yields
    /// while this moves.
    pub(crate) io_gen: AtomicU64,
    /// md's `recovery` bits.
    #[pin]
    pub(crate) recovery: Mutex<Recovery>,
    /// The sync work runs.
    pub(crate) sync_running: AtomicBool,
    /// Sectors known in sync from the start (md's `resync_offset`).
    pub(crate) resync_offset: AtomicU64,
    /// Where the sync is (md's `curr_resync`).
    pub(crate) curr_resync: AtomicU64,
    /// Speed marks (md's `resync_mark`, `resync_mark_cnt`).
    pub(crate) resync_mark: AtomicU64,
    pub(crate) resync_mark_cnt: AtomicU64,
    /// Sectors a check found to differ (md's `resync_mismatches`).
    pub(crate) mismatches: AtomicU64,
    /// The last sync started (md's `last_sync_action`), as its index in
    /// [`SyncAction::ALL`].
    pub(crate) last_action: AtomicU8,
    /// `sync_speed_min`/`max` of this array (0: the system's).
    pub(crate) speed_min: AtomicI32,
    pub(crate) speed_max: AtomicI32,
    /// A stop is under way: no more waiting for a quiet period.
    stopping: AtomicBool,
    /// Writes in flight (md's `writes_pending`).
    writes: AtomicU64,
    /// Writes started so far: the clean mark waits for a quiet period.
    write_gen: AtomicU64,
    /// `DirtyState::in_sync`, read by every write without the lock.
    in_sync: AtomicBool,
    #[pin]
    dirty: Mutex<DirtyState>,
    #[pin]
    dirty_done: CondVar,
    #[pin]
    clones: ClonePool,
    #[pin]
    work: Work<Conf>,
    #[pin]
    clean_work: Work<Conf, CLEAN_WORK>,
    #[pin]
    sync_work: Work<Conf, SYNC_WORK>,
}

impl_has_work! {
    impl HasWork<Self> for Conf { self.work }
    impl HasWork<Self, CLEAN_WORK> for Conf { self.clean_work }
    impl HasWork<Self, SYNC_WORK> for Conf { self.sync_work }
}

/// A running raid1 array.
pub(crate) struct Raid1 {
    conf: Arc<Conf>,
    slots: KVec<Slot>,
    /// The slot number of each of `slots`.
    slot_nr: KVec<usize>,
    array_sectors: u64,
    raid_disks: u32,
}

impl Raid1 {
    /// Starts raid1 on `slots` (the slots that have a working member, in
    /// slot order, each with its slot number in `Slot::rdev`).
    pub(crate) fn new(
        md_name: &str,
        geo: &Geometry,
        slots: KVec<Slot>,
        sb: Option<Arc<SbWriter>>,
    ) -> Result<Self> {
        let raid_disks = geo.raid_disks as usize;
        if raid_disks == 0 || raid_disks > MAX_MIRRORS {
            line_warn!(
                "md/raid1:{}: {} mirrors, at most {} supported\n",
                md_name,
                raid_disks,
                MAX_MIRRORS
            );
            return Err(EINVAL);
        }
        if slots.is_empty() {
            line_warn!(
                "md/raid1:{}: no operational mirrors for {}\n",
                md_name,
                md_name
            );
            return Err(EIO);
        }
        let mut mirrors = KVec::with_capacity(raid_disks, GFP_KERNEL)?;
        for _ in 0..raid_disks {
            mirrors.push(Mirror::empty(), GFP_KERNEL)?;
        }
        let mut working = 0u64;
        let mut array_sectors = u64::MAX;
        for s in slots.iter() {
            let slot = s.rdev.raid_disk() as usize;
            *mirrors.get_mut(slot).ok_or(EINVAL)? = Mirror::of(s);
            working |= 1 << slot;
            array_sectors = array_sectors.min(s.sectors);
        }
        // The array is as large as md says each member's part is, when set.
        if geo.dev_sectors != 0 {
            array_sectors = array_sectors.min(geo.dev_sectors);
        }
        // A lone mirror has nothing to resync against (md's raid1 run).
        let resync_offset = match sb.as_ref() {
            Some(sb) if working.count_ones() > 1 => sb.state().resync_offset,
            _ => MAX_SECTOR,
        };
        if resync_offset != MAX_SECTOR {
            crate::blockdev::log::line_info!(
                "md/raid1:{}: not clean -- starting background reconstruction\n",
                md_name
            );
        }
        crate::blockdev::log::line_info!(
            "md/raid1:{}: active with {} out of {} mirrors\n",
            md_name,
            working.count_ones(),
            raid_disks
        );
        let name = DiskName::checked(md_name.as_bytes()).map_err(|_| EINVAL)?;
        let carried = Carried {
            resync_offset,
            clean: sb.as_ref().map_or(true, |sb| sb.state().clean),
            mismatches: 0,
            speed_min: 0,
            speed_max: 0,
            frozen: false,
            last_action: SyncAction::Idle,
        };
        let conf = Conf::start(name, mirrors, array_sectors, working, 0, sb, carried)?;
        Self::with_conf(conf, raid_disks as u32)
    }

    /// The level around `conf`: its members in slot order.
    fn with_conf(conf: Arc<Conf>, raid_disks: u32) -> Result<Self> {
        let mut slots = KVec::with_capacity(conf.mirrors.len(), GFP_KERNEL)?;
        let mut slot_nr = KVec::with_capacity(conf.mirrors.len(), GFP_KERNEL)?;
        for (nr, m) in conf.mirrors.iter().enumerate() {
            if let Some((dev, rdev)) = &m.member {
                slots.push(
                    Slot {
                        dev: dev.clone(),
                        data_offset: m.data_offset,
                        sectors: rdev.sectors(),
                        rdev: rdev.clone(),
                    },
                    GFP_KERNEL,
                )?;
                slot_nr.push(nr, GFP_KERNEL)?;
            }
        }
        Ok(Self {
            array_sectors: conf.array_sectors,
            conf,
            slots,
            slot_nr,
            raid_disks,
        })
    }
}

impl Conf {
    /// The shared state of a level with `mirrors`, of which `working` work
    /// and `recovering` are being rebuilt.
    fn start(
        name: DiskName,
        mirrors: KVec<Mirror>,
        array_sectors: u64,
        working: u64,
        recovering: u64,
        sb: Option<Arc<SbWriter>>,
        carried: Carried,
    ) -> Result<Arc<Self>> {
        let any_nonrot = mirrors.iter().any(|m| m.member.is_some() && m.nonrot);
        let clean = carried.clean;
        let recovery = if carried.frozen {
            Recovery::FROZEN
        } else {
            Recovery::NONE
        };
        let reserve = 2 * mirrors.len() as u32;
        let conf = Arc::pin_init(
            try_pin_init!(Conf {
                name,
                mirrors,
                array_sectors,
                working: AtomicU64::new(working),
                recovering: AtomicU64::new(recovering),
                retired: AtomicBool::new(false),
                draining: AtomicBool::new(false),
                read_only: AtomicBool::new(false),
                newly_failed: AtomicU64::new(0),
                any_nonrot,
                retry: BioStack::new(),
                held: BioStack::new(),
                sb,
                barrier: AtomicBool::new(false),
                io_pending: AtomicU64::new(0),
                io_gen: AtomicU64::new(0),
                recovery <- new_mutex!(recovery, "raid1::Conf::recovery"),
                sync_running: AtomicBool::new(false),
                resync_offset: AtomicU64::new(carried.resync_offset),
                curr_resync: AtomicU64::new(0),
                resync_mark: AtomicU64::new(0),
                resync_mark_cnt: AtomicU64::new(0),
                mismatches: AtomicU64::new(carried.mismatches),
                last_action: AtomicU8::new(carried.last_action.index()),
                speed_min: AtomicI32::new(carried.speed_min),
                speed_max: AtomicI32::new(carried.speed_max),
                stopping: AtomicBool::new(false),
                writes: AtomicU64::new(0),
                write_gen: AtomicU64::new(0),
                in_sync: AtomicBool::new(clean),
                dirty <- new_mutex!(DirtyState { in_sync: clean, wanted: false }, "raid1::Conf::dirty"),
                dirty_done <- new_condvar!("raid1::Conf::dirty_done"),
                clones <- ClonePool::new(reserve),
                work <- new_work!("raid1::Conf::work"),
                clean_work <- new_work!("raid1::Conf::clean_work"),
                sync_work <- new_work!("raid1::Conf::sync_work"),
            }? Error),
            GFP_KERNEL,
        )?;
        if !clean {
            // Marked clean after a quiet period, unless writes come.
            conf.kick_clean();
        }
        Ok(conf)
    }

    /// What a level that takes over from this one keeps.
    fn carried(&self) -> Carried {
        Carried {
            resync_offset: self.resync_offset.load(Ordering::Acquire),
            clean: self.dirty.lock().in_sync,
            mismatches: self.mismatches.load(Ordering::Relaxed),
            speed_min: self.speed_min.load(Ordering::Relaxed),
            speed_max: self.speed_max.load(Ordering::Relaxed),
            frozen: self.recovery.lock().contains(Recovery::FROZEN),
            last_action: self.last_action(),
        }
    }

    /// Asks md's check of the members (spares to rebuild onto, a
    /// recovery to resume) to run.
    pub(crate) fn kick_check(&self) {
        if let Some(core) = registry::CORE.get() {
            core.kick_check(&self.name);
        }
    }

    /// The name of the member in `slot`, for the log.
    pub(crate) fn member_name(&self, slot: usize) -> &str {
        self.mirrors
            .get(slot)
            .and_then(|m| m.member.as_ref())
            .map_or("?", |(dev, _)| dev.name())
    }

    fn working_count(&self) -> u32 {
        self.working.load(Ordering::Acquire).count_ones()
    }

    /// md's `raid1_error`: the mirror in `slot` failed. Refused for the
    /// last working mirror (the array goes on, as a plain disk would);
    /// returns whether the mirror is out. A member being rebuilt can
    /// always fail. Any context.
    pub(crate) fn fail_mirror(self: &Arc<Self>, slot: usize) -> bool {
        let bit = 1u64 << slot;
        if self.recovering.fetch_and(!bit, Ordering::AcqRel) & bit == 0 {
            let mut cur = self.working.load(Ordering::Acquire);
            loop {
                if cur & bit == 0 {
                    return true;
                }
                if cur & !bit == 0 {
                    return false;
                }
                match self.working.compare_exchange(
                    cur,
                    cur & !bit,
                    Ordering::AcqRel,
                    Ordering::Acquire,
                ) {
                    Ok(_) => break,
                    Err(c) => cur = c,
                }
            }
        }
        // Faulty at once, as md: superblock writes leave it out from here
        // on, and it can be removed.
        if let Some((_, rdev)) = &self.mirrors[slot].member {
            rdev.set_role(Role::Faulty);
        }
        self.newly_failed.fetch_or(bit, Ordering::AcqRel);
        // The work records it in the superblocks.
        self.kick();
        if let Some((dev, _)) = &self.mirrors[slot].member {
            line_warn!(
                "md/raid1:{}: Disk failure on {}, disabling device.\n",
                self.name,
                dev.name()
            );
        }
        line_warn!(
            "md/raid1:{}: Operation continuing on {} devices.\n",
            self.name,
            self.working_count()
        );
        true
    }

    fn mirror_state(&self, slot: usize, exclude: u64) -> MirrorState {
        let m = &self.mirrors[slot];
        let working = self.working.load(Ordering::Acquire) & !exclude & (1 << slot) != 0;
        let Some((_, rdev)) = &m.member else {
            return MirrorState::ABSENT;
        };
        MirrorState {
            present: working,
            recovery_offset: read_balance::IN_SYNC,
            write_mostly: rdev.write_mostly(),
            nonrot: m.nonrot,
            io_opt_sectors: m.io_opt_sectors,
            head_position: m.head_position.load(Ordering::Relaxed),
            next_seq_sect: m.next_seq_sect.load(Ordering::Relaxed),
            seq_start: m.seq_start.load(Ordering::Relaxed),
            nr_pending: m.nr_pending.load(Ordering::Relaxed),
        }
    }

    /// Sends a read to the mirror md would choose, leaving out `exclude`.
    fn read(self: &Arc<Self>, bio: Bio, exclude: u64) {
        let array = ArrayReadState {
            resync_offset: self.resync_offset.load(Ordering::Acquire),
            any_nonrot: self.any_nonrot,
        };
        let choice = read_balance::read_balance_by(
            self.mirrors.len(),
            |slot| self.mirror_state(slot, exclude),
            &array,
            bio.sector(),
            bio.sectors(),
        );
        let Some(choice) = choice else {
            self.allow_barrier();
            return bio.fail();
        };
        let m = &self.mirrors[choice.disk];
        let Some((dev, _)) = &m.member else {
            self.allow_barrier();
            return bio.fail();
        };
        m.next_seq_sect
            .store(choice.next_seq_sect, Ordering::Relaxed);
        m.seq_start.store(choice.seq_start, Ordering::Relaxed);
        m.nr_pending.fetch_add(1, Ordering::AcqRel);
        self.io_gen.fetch_add(1, Ordering::Relaxed);
        let target = Target {
            member: dev,
            sector: m.data_offset + bio.sector(),
            tag: choice.disk as u8,
        };
        fanout::submit(bio, [target].into_iter(), &self.clones, self.clone());
    }

    /// md's `md_write_start`: counts the write in flight, once the
    /// superblocks say the array is dirty (a crash from here on resyncs it).
    fn start_write(self: &Arc<Self>) {
        loop {
            self.writes.fetch_add(1, Ordering::SeqCst);
            if !self.in_sync.load(Ordering::SeqCst) {
                self.write_gen.fetch_add(1, Ordering::Relaxed);
                return;
            }
            self.writes.fetch_sub(1, Ordering::SeqCst);
            // The superblock write happens in the work: bios this context
            // submits wait until it returns from `submit_bio`.
            let mut d = self.dirty.lock();
            if d.in_sync {
                d.wanted = true;
                self.kick();
                while d.in_sync {
                    self.dirty_done.wait(&mut d);
                }
            }
        }
    }

    /// md's `md_write_end`: the last write out starts the quiet period.
    fn end_write(self: &Arc<Self>) {
        if self.writes.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.kick_clean();
        }
    }

    /// Starts the quiet period after which the array is marked clean.
    pub(crate) fn kick_clean(self: &Arc<Self>) {
        if let Some(core) = registry::CORE.get() {
            let _ = core
                .level_wq
                .queue()
                .enqueue::<Arc<Conf>, CLEAN_WORK>(self.clone());
        }
    }

    /// Queues the work, on the module's queue for levels, which a stop and
    /// a member change flush.
    pub(crate) fn kick(self: &Arc<Self>) {
        if let Some(core) = registry::CORE.get() {
            let _ = core.level_wq.queue().enqueue::<Arc<Conf>, 0>(self.clone());
        }
    }

    /// Marks the array dirty if a writer asked (work context).
    fn mark_dirty(&self) {
        let mut d = self.dirty.lock();
        if !(d.wanted && d.in_sync) {
            return;
        }
        if let Some(sb) = &self.sb {
            sb.update(|st| st.clean = false);
        }
        d.in_sync = false;
        d.wanted = false;
        self.in_sync.store(false, Ordering::SeqCst);
        self.dirty_done.notify_all();
    }

    /// md's `set_in_sync`: marks the array clean if no write is in flight.
    /// Returns false if a write got in.
    fn mark_clean(&self) -> bool {
        let mut d = self.dirty.lock();
        if d.in_sync {
            return true;
        }
        // New writes take the slow path from here; one that counted itself
        // before seeing this is seen below (both sides are SeqCst).
        self.in_sync.store(true, Ordering::SeqCst);
        if self.writes.load(Ordering::SeqCst) != 0 {
            self.in_sync.store(false, Ordering::SeqCst);
            return false;
        }
        if let Some(sb) = &self.sb {
            sb.update(|st| st.clean = true);
        }
        d.in_sync = true;
        true
    }

    /// Sends a write to every working mirror and every one being rebuilt.
    fn write(self: &Arc<Self>, bio: Bio) {
        // `recovering` first: a member whose rebuild ends joins `working`
        // before it leaves `recovering`, so it is in one or the other.
        let recovering = self.recovering.load(Ordering::Acquire);
        let working = self.working.load(Ordering::Acquire) | recovering;
        let discard = bio.is_discard();
        let sector = bio.sector();
        let targets = self
            .mirrors
            .iter()
            .enumerate()
            .filter_map(move |(slot, m)| {
                let (dev, _) = m.member.as_ref()?;
                if working & (1 << slot) == 0 || (discard && !dev.supports_discard()) {
                    return None;
                }
                Some(Target {
                    member: dev,
                    sector: m.data_offset + sector,
                    tag: slot as u8,
                })
            });
        if targets.clone().next().is_none() {
            self.allow_barrier();
            // A discard no mirror takes succeeds, as in md.
            return if discard { bio.end() } else { bio.fail() };
        }
        for t in targets.clone() {
            self.mirrors[usize::from(t.tag)]
                .nr_pending
                .fetch_add(1, Ordering::AcqRel);
        }
        self.start_write();
        self.io_gen.fetch_add(1, Ordering::Relaxed);
        fanout::submit(bio, targets, &self.clones, self.clone());
    }
}

impl FanoutDone for Conf {
    fn done(this: Arc<Self>, original: Bio, sent: u64, failed: u64) {
        let head = read_balance::head_position_after(original.sector(), original.sectors());
        for slot in 0..this.mirrors.len() {
            if sent & (1 << slot) != 0 {
                let m = &this.mirrors[slot];
                m.nr_pending.fetch_sub(1, Ordering::AcqRel);
                m.head_position.store(head, Ordering::Relaxed);
            }
        }
        if original.is_write() {
            this.end_write();
        }
        this.finish(original, sent, failed);
        // Last: once no I/O is pending, whatever it left for the work is
        // queued (a member change waits for both).
        this.allow_barrier();
    }
}

impl Conf {
    /// Ends a bio whose clones completed, or hands it to the work.
    fn finish(self: &Arc<Self>, mut original: Bio, sent: u64, failed: u64) {
        if failed == 0 {
            return original.end();
        }
        let mut out = 0u64;
        for slot in 0..self.mirrors.len() {
            if failed & (1 << slot) != 0 && self.fail_mirror(slot) {
                out |= 1 << slot;
            }
        }
        if original.is_write() {
            // Written where it did not fail; if on no working mirror, it
            // failed (a member being rebuilt holds no data yet).
            if sent & !failed & self.working.load(Ordering::Acquire) == 0 {
                original.set_failed();
            }
            // Acknowledged once the superblocks say which mirrors missed it.
            self.held.push(original);
        } else if out == 0 {
            // The last working mirror could not read it: nowhere else to go.
            return original.fail();
        } else {
            self.retry.push(original);
        }
        self.kick();
    }
}

impl WorkItem for Conf {
    type Pointer = Arc<Conf>;

    /// Process context: records failed mirrors in the superblocks, then
    /// acknowledges the writes that waited for it, retries reads, and marks
    /// the array dirty for a waiting writer.
    fn run(this: Arc<Conf>) {
        this.mark_dirty();
        // Taken before the failures are read: a write taken here had its
        // mirror's failure recorded before it was held.
        let held = this.held.take_all();
        let failed = this.newly_failed.swap(0, Ordering::AcqRel);
        if failed != 0 {
            // `fail_mirror` made the members faulty.
            if let Some(sb) = &this.sb {
                this.fail_unwritten(sb.update(|_| {}));
            }
            // A spare may take the place (md_check_recovery).
            this.kick_check();
        }
        for bio in held {
            bio.end();
        }
        let exclude = !this.working.load(Ordering::Acquire);
        for bio in this.retry.take_all() {
            // The retry is new array I/O, counted against the barrier.
            this.wait_barrier();
            this.read(bio, exclude);
        }
        // Members whose superblock write failed are recorded next time.
        if this.newly_failed.load(Ordering::Acquire) != 0 {
            this.kick();
        }
    }
}

impl WorkItem<CLEAN_WORK> for Conf {
    type Pointer = Arc<Conf>;

    /// md's safe mode: once writes have stopped for `SAFE_MODE_DELAY_MS`,
    /// the array is marked clean, so that a crash after that needs no
    /// resync.
    fn run(this: Arc<Conf>) {
        loop {
            let generation = this.write_gen.load(Ordering::Relaxed);
            for _ in 0..SAFE_MODE_DELAY_MS / 10 {
                if this.stopping.load(Ordering::Acquire) {
                    // The stop marks the array clean itself.
                    return;
                }
                crate::blockdev::sleep_ms(10);
            }
            if this.writes.load(Ordering::SeqCst) != 0 {
                // The write in flight requeues this when it ends.
                return;
            }
            if this.write_gen.load(Ordering::Relaxed) == generation {
                break;
            }
        }
        this.mark_clean();
    }
}

impl Personality for Raid1 {
    fn name(&self) -> &'static str {
        "raid1"
    }

    fn array_sectors(&self) -> u64 {
        self.array_sectors
    }

    fn slots(&self) -> &[Slot] {
        &self.slots
    }

    fn slot_works(&self, index: usize) -> bool {
        let Some(&slot) = self.slot_nr.get(index) else {
            return false;
        };
        let c = &self.conf;
        let recovering = c.recovering.load(Ordering::Acquire);
        (c.working.load(Ordering::Acquire) | recovering) & (1 << slot) != 0
    }

    fn limits(&self) -> Limits {
        Limits {
            io_min: 0,
            io_opt: 0,
            max_sectors: 0,
        }
    }

    fn quiesce(&self) {
        self.conf.stop_sync();
        // Failures still to record, and no work left holding the members.
        self.conf.stopping.store(true, Ordering::Release);
        self.conf.drain_io();
        while !self.conf.mark_clean() {
            crate::blockdev::sleep_ms(1);
        }
        self.conf.stopping.store(false, Ordering::Release);
    }

    fn in_sync(&self) -> bool {
        self.conf.in_sync.load(Ordering::Acquire)
    }

    fn syncs(&self) -> bool {
        true
    }

    fn fail_member(&self, rdev: &Rdev) -> Result {
        let c = &self.conf;
        let Ok(slot) = usize::try_from(rdev.raid_disk()) else {
            // A spare fails at once (raid1_error); a failed member stays
            // failed.
            if !rdev.faulty() {
                rdev.set_role(Role::Faulty);
                line_warn!(
                    "md/raid1:{}: Disk failure on {}, disabling device.\n",
                    c.name,
                    rdev.name()
                );
                line_warn!(
                    "md/raid1:{}: Operation continuing on {} devices.\n",
                    c.name,
                    c.working_count()
                );
                if let Some(sb) = &c.sb {
                    c.fail_unwritten(sb.update(|_| {}));
                }
            }
            return Ok(());
        };
        // The work records it in the superblocks.
        if slot >= c.mirrors.len() || !c.fail_mirror(slot) {
            return Err(EBUSY);
        }
        Ok(())
    }

    fn read_only(&self) {
        self.conf.read_only.store(true, Ordering::Release);
        if let Some(sb) = &self.conf.sb {
            sb.set_read_only(true);
        }
    }

    fn hot_members(&self) -> bool {
        true
    }

    fn member_status(&self) -> MemberStatus {
        let c = &self.conf;
        let recovery = *c.recovery.lock();
        let used = c.working.load(Ordering::Acquire) | c.recovering.load(Ordering::Acquire);
        let all = if self.raid_disks >= 64 {
            u64::MAX
        } else {
            (1u64 << self.raid_disks) - 1
        };
        MemberStatus {
            sync_running: recovery.contains(Recovery::RUNNING),
            frozen: recovery.contains(Recovery::FROZEN),
            resync_pending: c.resync_offset.load(Ordering::Acquire) != MAX_SECTOR,
            free_slots: all & !used,
        }
    }

    fn holds(&self, rdev: &Rdev) -> bool {
        self.conf.mirrors.iter().any(|m| {
            m.member
                .as_ref()
                .is_some_and(|(_, r)| core::ptr::eq(&**r, rdev))
        })
    }

    fn superblocks(&self) -> Option<&Arc<SbWriter>> {
        self.conf.sb.as_ref()
    }

    fn update_superblocks(&self) {
        let c = &self.conf;
        if let Some(sb) = &c.sb {
            c.fail_unwritten(sb.update(|_| {}));
        }
        if c.newly_failed.load(Ordering::Acquire) != 0 {
            c.kick();
        }
    }

    fn drain(&self) {
        let c = &self.conf;
        // No sync may start here any more, even from a sysfs write that
        // still sees this level.
        c.retired.store(true, Ordering::Release);
        c.stop_sync();
        c.stopping.store(true, Ordering::Release);
        c.drain_io();
    }

    fn undrain(&self) {
        let c = &self.conf;
        c.stopping.store(false, Ordering::Release);
        c.retired.store(false, Ordering::Release);
        if !c.in_sync.load(Ordering::Acquire) {
            c.kick_clean();
        }
    }

    fn successor(&self, joining: KVec<Joining>) -> Result<Arc<dyn Personality>> {
        let old = &self.conf;
        let mut working = old.working.load(Ordering::Acquire);
        let mut recovering = old.recovering.load(Ordering::Acquire);
        let mut mirrors = KVec::with_capacity(old.mirrors.len(), GFP_KERNEL)?;
        for (slot, m) in old.mirrors.iter().enumerate() {
            // Failed members leave their slots (md's remove_spares).
            let kept = (working | recovering) & (1 << slot) != 0;
            let mirror = match &m.member {
                Some((dev, rdev)) if kept => Mirror {
                    member: Some((dev.clone(), rdev.clone())),
                    data_offset: m.data_offset,
                    nonrot: m.nonrot,
                    io_opt_sectors: m.io_opt_sectors,
                    head_position: AtomicU64::new(m.head_position.load(Ordering::Relaxed)),
                    ..Mirror::empty()
                },
                _ => Mirror::empty(),
            };
            mirrors.push(mirror, GFP_KERNEL)?;
        }
        for j in joining.iter() {
            let slot = j.slot_nr as usize;
            let m = mirrors.get_mut(slot).ok_or(EINVAL)?;
            if m.member.is_some() {
                return Err(EBUSY);
            }
            *m = Mirror::of(&j.slot);
            if j.in_sync {
                working |= 1 << slot;
            } else {
                recovering |= 1 << slot;
            }
        }
        let conf = Conf::start(
            old.name,
            mirrors,
            old.array_sectors,
            working,
            recovering,
            old.sb.clone(),
            old.carried(),
        )?;
        Ok(Arc::new(
            Self::with_conf(conf, self.raid_disks)?,
            GFP_KERNEL,
        )?)
    }

    fn sync_show(&self, attr: SyncAttr, w: &mut dyn fmt::Write) -> fmt::Result {
        let c = &self.conf;
        let mut w = WriteAdapter(w);
        let w = &mut w;
        match attr {
            SyncAttr::Action => sync_status::write_sync_action(w, c.action()),
            SyncAttr::Completed => sync_status::write_sync_completed(w, &c.progress()),
            SyncAttr::Speed => sync_status::write_sync_speed(w, &c.progress()),
            SyncAttr::Degraded => sync_status::write_degraded(
                w,
                (self.raid_disks - c.working.load(Ordering::Acquire).count_ones()) as i32,
            ),
            SyncAttr::MismatchCnt => {
                sync_status::write_mismatch_cnt(w, c.mismatches.load(Ordering::Relaxed))
            }
            SyncAttr::SpeedMin => sync_status::write_sync_speed_limit(
                w,
                c.speed_min.load(Ordering::Relaxed),
                crate::blockdev::wait::speed_limits().0,
            ),
            SyncAttr::SpeedMax => sync_status::write_sync_speed_limit(
                w,
                c.speed_max.load(Ordering::Relaxed),
                crate::blockdev::wait::speed_limits().1,
            ),
            SyncAttr::LastAction => {
                fmt::Write::write_fmt(w, format_args!("{}\n", c.last_action().as_str()))
            }
        }
    }

    fn sync_store(&self, attr: SyncAttr, input: &[u8]) -> Result {
        let c = &self.conf;
        match attr {
            SyncAttr::Action => c.store_action(SyncAction::parse(input).ok_or(EINVAL)?),
            SyncAttr::SpeedMin | SyncAttr::SpeedMax => {
                let v = sync_status::parse_sync_speed_limit(input).ok_or(EINVAL)?;
                let field = if attr == SyncAttr::SpeedMin {
                    &c.speed_min
                } else {
                    &c.speed_max
                };
                field.store(v, Ordering::Relaxed);
                Ok(())
            }
            _ => Err(EINVAL),
        }
    }

    fn resync_offset(&self) -> Option<u64> {
        Some(self.conf.resync_offset.load(Ordering::Acquire))
    }

    fn status_sync(&self, w: &mut dyn fmt::Write) -> core::result::Result<bool, fmt::Error> {
        let mut adapter = WriteAdapter(w);
        sync_status::write_status_resync(&mut adapter, &self.conf.progress())
    }

    fn writable(&self) {
        self.conf.read_only.store(false, Ordering::Release);
        if let Some(sb) = &self.conf.sb {
            sb.set_read_only(false);
        }
        self.conf.start_owed_sync();
    }

    fn make_request(&self, bio: Bio, _pool: &BioSet) {
        self.conf.wait_barrier();
        if bio.is_write() {
            self.conf.write(bio);
        } else {
            self.conf.read(bio, 0);
        }
    }

    fn status(&self, w: &mut dyn fmt::Write) -> fmt::Result {
        let working = self.conf.working.load(Ordering::Acquire);
        write!(w, " [{}/{}] [", self.raid_disks, working.count_ones())?;
        for slot in 0..self.raid_disks as usize {
            w.write_str(if working & (1 << slot) != 0 { "U" } else { "_" })?;
        }
        w.write_str("]")
    }
}

/// `dyn Write` as a sized `Write`, for the generic formatters.
struct WriteAdapter<'a>(&'a mut dyn fmt::Write);

impl fmt::Write for WriteAdapter<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.0.write_str(s)
    }
}
