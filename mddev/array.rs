// SPDX-License-Identifier: GPL-2.0

//! One array (md's `struct mddev`) and the counted reference to it.

use super::{names::DiskName, personality::Personality, rdev::Bound, registry, uapi::LEVEL_NONE};
use crate::blockdev::{
    bio::{Bio, BioSet},
    disk::{DiskFops, DiskOps, GenDisk, InFlight, IoCell},
    log::{md_info, md_warn},
    sysfs::SysfsDir,
    workqueue::OwnedQueue,
};
use core::{
    ops::Deref,
    sync::atomic::{AtomicBool, AtomicU32, AtomicU8, Ordering},
};
use kernel::{
    impl_has_work, new_mutex, new_work,
    prelude::*,
    sync::{Arc, ArcBorrow, Mutex},
    workqueue::{Work, WorkItem},
};

/// What keeps an array alive with no user (md's `hold_active`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum Hold {
    /// Nothing: an inactive, unconfigured array goes with its last user.
    None = 0,
    /// Made by opening its node: held until that opener closes.
    UntilClose = 1,
    /// Made by `new_array=mdNNN`: held until an ioctl configures it.
    UntilIoctl = 2,
    /// Made by `new_array=md_NAME`: held until stopped.
    UntilStop = 3,
}

impl Hold {
    fn from_u8(v: u8) -> Self {
        match v {
            1 => Hold::UntilClose,
            2 => Hold::UntilIoctl,
            3 => Hold::UntilStop,
            _ => Hold::None,
        }
    }
}

/// Who has the array open (md's `openers` and `MD_CLOSING`, under its
/// `open_mutex`).
pub(crate) struct OpenState {
    /// Successful opens not yet released.
    pub(crate) openers: u32,
    /// A stop is in progress or done: new opens are refused.
    pub(crate) closing: bool,
}

/// How a running array takes writes (md's `mddev->ro`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Ro {
    /// Read-write.
    ReadWrite,
    /// Read-only.
    ReadOnly,
    /// Read-only until the first write (`read-auto`).
    AutoRead,
}

/// The configuration (md's fields under `reconfig_mutex`).
pub(crate) struct Config {
    /// Superblock version (`SET_ARRAY_INFO`).
    pub(crate) major_version: i32,
    /// Superblock minor version.
    pub(crate) minor_version: i32,
    /// Superblock patch version.
    pub(crate) patch_version: i32,
    /// Has a persistent superblock.
    pub(crate) persistent: bool,
    /// Creation time, seconds; non-zero keeps the array (md: "evms" fix).
    pub(crate) ctime: u32,
    /// Last update time, seconds.
    pub(crate) utime: u32,
    /// RAID level, or `LEVEL_NONE`.
    pub(crate) level: i32,
    /// Layout of the level.
    pub(crate) layout: i32,
    /// Chunk size in sectors.
    pub(crate) chunk_sectors: u32,
    /// Member size in sectors.
    pub(crate) dev_sectors: u64,
    /// Number of member slots.
    pub(crate) raid_disks: u32,
    /// Members, in the order they were bound (md's `disks` list).
    pub(crate) rdevs: KVec<Bound>,
    /// The level, while the array runs (md's `pers`); the I/O path reads
    /// its own copy, [`MdDev::io`].
    pub(crate) running: Option<Arc<dyn Personality>>,
    /// Whether a running array takes writes.
    pub(crate) ro: Ro,
    /// No writes in flight since the last clean mark (md's `in_sync`).
    pub(crate) in_sync: bool,
    /// Size of the running array in sectors.
    pub(crate) array_sectors: u64,
    /// Superblock event count.
    pub(crate) events: u64,
    /// Sector from which a resync is needed, `MAX_SECTOR` when clean.
    pub(crate) resync_offset: u64,
}

impl Config {
    pub(crate) const fn clean() -> Self {
        Self {
            major_version: 0,
            minor_version: 0,
            patch_version: 0,
            persistent: false,
            ctime: 0,
            utime: 0,
            level: LEVEL_NONE,
            layout: 0,
            chunk_sectors: 0,
            dev_sectors: 0,
            raid_disks: 0,
            rdevs: KVec::new(),
            running: None,
            ro: Ro::ReadWrite,
            in_sync: false,
            array_sectors: 0,
            events: 0,
            resync_offset: 0,
        }
    }

    /// Whether this configuration keeps an array with no user (md's
    /// `__mddev_put` test, less `hold_active`).
    pub(crate) fn keeps_array(&self) -> bool {
        self.ctime != 0 || self.raid_disks != 0 || !self.rdevs.is_empty()
    }

    /// `md/array_state` of an array that is not running.
    pub(crate) fn is_clear(&self) -> bool {
        self.rdevs.is_empty() && self.raid_disks == 0 && self.dev_sectors == 0
    }
}

/// The objects an array owns in the block layer and sysfs, released by its
/// deletion in this order: the `md/` directory, then the gendisk.
pub(crate) struct Parts {
    pub(crate) dir: Option<SysfsDir<MdDev>>,
    pub(crate) disk: Option<GenDisk<MdDev>>,
}

/// One md array.
#[pin_data]
pub(crate) struct MdDev {
    /// Minor number: the unit of mdN, or a minor >= 512 of md_NAME.
    pub(crate) unit: u32,
    /// `md0`, `md_home`.
    pub(crate) name: DiskName,
    /// Creation order; /proc/mdstat lists the newest first, as md does.
    pub(crate) seq: u64,
    /// Counted users (md's `active`); see [`ActiveRef`].
    active: AtomicU32,
    /// Deletion queued (md's `MD_DELETED`): no new reference.
    deleted: AtomicBool,
    /// What holds the array with no user; a [`Hold`].
    hold: AtomicU8,
    /// The configuration keeps the array; mirrors `Config::keeps_array`
    /// so that the last put can read it without `config`.
    configured: AtomicBool,
    #[pin]
    pub(crate) open: Mutex<OpenState>,
    #[pin]
    pub(crate) config: Mutex<Config>,
    #[pin]
    pub(crate) parts: Mutex<Parts>,
    #[pin]
    del_work: Work<MdDev>,
    /// md's `md_check_recovery`, run on the module's queue.
    #[pin]
    check_work: Work<MdDev, CHECK_WORK>,
    /// The running level, for the I/O path (see [`IoCell`]).
    pub(crate) io: IoCell<dyn Personality>,
    /// Refuse writes: a mirror of `Config::ro`, for the I/O path.
    pub(crate) read_only: AtomicBool,
    /// Auto-read-only with a level that syncs: the first write makes the
    /// array read-write (md's `md_write_start`), through the check work.
    pub(crate) auto_read: AtomicBool,
    /// The running level while its sync attributes exist, for them: they
    /// cannot take `config`, which a stop holds while it removes them
    /// (and waits for their readers).
    #[pin]
    sync_level: Mutex<Option<Arc<dyn Personality>>>,
    /// Where splits and flushes of the array's bios come from.
    #[pin]
    pub(crate) bio_set: BioSet,
}

/// The work that checks a running array's members.
const CHECK_WORK: u64 = 1;

impl_has_work! {
    impl HasWork<Self> for MdDev { self.del_work }
    impl HasWork<Self, CHECK_WORK> for MdDev { self.check_work }
}

/// The block device operations of every md disk.
pub(crate) static MD_FOPS: DiskFops<MdDev> = DiskFops::new(&crate::THIS_MODULE);

impl MdDev {
    /// A new array on `unit`, with its (not yet added) disk, held by `hold`
    /// and with the one reference [`ActiveRef::adopt`] takes over.
    pub(crate) fn new(
        unit: u32,
        name: DiskName,
        seq: u64,
        hold: Hold,
        disk: GenDisk<MdDev>,
    ) -> impl PinInit<Self, Error> {
        let io = IoCell::new(&disk);
        try_pin_init!(MdDev {
            unit,
            name,
            seq,
            active: AtomicU32::new(1),
            deleted: AtomicBool::new(false),
            hold: AtomicU8::new(hold as u8),
            configured: AtomicBool::new(false),
            open <- new_mutex!(OpenState { openers: 0, closing: false }, "MdDev::open"),
            config <- new_mutex!(Config::clean(), "MdDev::config"),
            parts <- new_mutex!(Parts { dir: None, disk: Some(disk) }, "MdDev::parts"),
            del_work <- new_work!("MdDev::del_work"),
            check_work <- new_work!("MdDev::check_work"),
            io,
            read_only: AtomicBool::new(false),
            auto_read: AtomicBool::new(false),
            sync_level <- new_mutex!(None, "MdDev::sync_level"),
            bio_set <- BioSet::new(),
        }? Error)
    }

    /// The level the sync attributes (`md/sync_action` & co) talk to.
    pub(crate) fn sync_level(&self) -> Option<Arc<dyn Personality>> {
        self.sync_level.lock().clone()
    }

    /// Sets (or, with `None`, clears) what [`MdDev::sync_level`] returns;
    /// the old level is dropped outside the lock.
    pub(crate) fn set_sync_level(&self, level: Option<Arc<dyn Personality>>) {
        let old = core::mem::replace(&mut *self.sync_level.lock(), level);
        drop(old);
    }

    /// What holds the array now.
    pub(crate) fn hold(&self) -> Hold {
        Hold::from_u8(self.hold.load(Ordering::Acquire))
    }

    /// Sets what holds the array.
    pub(crate) fn set_hold(&self, hold: Hold) {
        self.hold.store(hold as u8, Ordering::Release);
    }

    /// Drops the hold if it is `which`.
    pub(crate) fn clear_hold(&self, which: Hold) {
        let _ = self.hold.compare_exchange(
            which as u8,
            Hold::None as u8,
            Ordering::AcqRel,
            Ordering::Acquire,
        );
    }

    /// Records whether `config` keeps the array; called after every change
    /// of the configuration, with `config` locked.
    pub(crate) fn config_changed(&self, config: &Config) {
        self.configured
            .store(config.keeps_array(), Ordering::Release);
    }

    /// Whether the deletion of this array is queued or done.
    pub(crate) fn is_deleted(&self) -> bool {
        self.deleted.load(Ordering::Acquire)
    }

    /// Whether nothing but its users keeps the array (the last put deletes).
    fn is_disposable(&self) -> bool {
        self.hold() == Hold::None && !self.configured.load(Ordering::Acquire)
    }

    /// md's `mddev_put` for the last user: with the registry locked, marks
    /// the array deleted and queues its deletion if nothing keeps it.
    fn put_locked(self: &Arc<Self>, core: &registry::MdCore) {
        if self.active.fetch_sub(1, Ordering::AcqRel) != 1 || !self.is_disposable() {
            return;
        }
        self.deleted.store(true, Ordering::Release);
        // Queued with the registry locked, so that a later creation's
        // flush of the workqueue really waits for this deletion.
        let _ = core.misc_wq.queue().enqueue::<Arc<MdDev>, 0>(self.clone());
    }

    /// md's `do_md_stop(mddev, 0)` for an array that is not running, after
    /// `begin_stop`. Clears the configuration; leaves the array usable if
    /// something still holds it.
    pub(crate) fn stop(&self, config: &mut Config) {
        md_info!("{} stopped.\n", self.name);
        *config = Config::clean();
        self.config_changed(config);
        let mut open = self.open.lock();
        // md_clean: keep refusing opens unless the array is still being
        // set up by whoever holds it.
        if self.hold() != Hold::None {
            open.closing = false;
        }
        drop(open);
        self.clear_hold(Hold::UntilStop);
    }

    /// md's `mddev_set_closing_and_sync_blockdev`: refuses (`EBUSY`) when
    /// more than `allowed` openers have a configured array open, or a stop
    /// is in progress; otherwise refuses new opens until [`MdDev::end_stop`].
    pub(crate) fn begin_stop(&self, allowed: u32) -> Result {
        let mut open = self.open.lock();
        if open.openers > allowed && self.configured.load(Ordering::Acquire) {
            drop(open);
            md_warn!("{} still in use.\n", self.name);
            return Err(EBUSY);
        }
        if open.closing {
            return Err(EBUSY);
        }
        open.closing = true;
        Ok(())
    }

    /// Ends what `begin_stop` began: unless the array was `stopped`, opens
    /// are let in again.
    pub(crate) fn end_stop(&self, stopped: bool) {
        if !stopped {
            self.open.lock().closing = false;
        }
    }
}

impl MdDev {
    /// Queues md's check of the members on `queue`, unless it is queued.
    pub(crate) fn kick_check(self: &Arc<Self>, queue: &OwnedQueue) {
        let _ = queue
            .queue()
            .enqueue::<Arc<MdDev>, CHECK_WORK>(self.clone());
    }
}

impl WorkItem<CHECK_WORK> for MdDev {
    type Pointer = Arc<MdDev>;

    /// md's `md_check_recovery` from the array's thread: spares join the
    /// level, a recovery starts or resumes.
    fn run(this: Arc<MdDev>) {
        let Some(mddev) = ActiveRef::get(&this) else {
            return;
        };
        let mut config = mddev.config.lock();
        if config.ro == Ro::AutoRead
            && config.running.as_ref().is_some_and(|p| p.syncs())
            && !mddev.auto_read.load(Ordering::Acquire)
        {
            // A write came (see `submit_bio`); this checks recovery too.
            return super::assemble::set_writable(&mddev, &mut config, Ro::ReadWrite);
        }
        super::manage::check_recovery(&mddev, &mut config);
    }
}

impl WorkItem for MdDev {
    type Pointer = Arc<MdDev>;

    /// The deletion (md's `mddev_delayed_delete`): runs on the module's
    /// workqueue because the last put happens in release, ioctl and sysfs
    /// paths where `del_gendisk` would deadlock.
    fn run(this: Arc<MdDev>) {
        let (dir, disk) = {
            let mut parts = this.parts.lock();
            (parts.dir.take(), parts.disk.take())
        };
        drop(dir);
        drop(disk);
        if let Some(core) = registry::CORE.get() {
            core.forget(&this);
        }
    }
}

/// A counted use of an array (md's `mddev_get`/`mddev_put`): while one
/// exists the array is not deleted. Dropping the last one of an inactive,
/// unconfigured, unheld array queues its deletion.
///
/// # Invariants
///
/// Holds one count of `mddev.active`.
pub(crate) struct ActiveRef {
    mddev: Arc<MdDev>,
}

impl ActiveRef {
    /// A new reference, unless the array's deletion is queued; `core`'s
    /// registry must be locked by the caller (passed as proof).
    pub(crate) fn get_locked(mddev: &Arc<MdDev>, _registry: &registry::Registry) -> Option<Self> {
        if mddev.is_deleted() {
            return None;
        }
        mddev.active.fetch_add(1, Ordering::AcqRel);
        // INVARIANT: counted above.
        Some(Self {
            mddev: mddev.clone(),
        })
    }

    /// A new reference to `mddev`, unless its deletion is queued.
    pub(crate) fn get(mddev: &Arc<MdDev>) -> Option<Self> {
        let core = registry::CORE.get()?;
        let registry = core.registry.lock();
        Self::get_locked(mddev, &registry)
    }

    /// Takes over the count a new `MdDev` starts with.
    pub(crate) fn adopt(mddev: Arc<MdDev>) -> Self {
        // INVARIANT: `MdDev::new` starts `active` at one, for this.
        Self { mddev }
    }

    /// Keeps the count for an open disk; [`ActiveRef::reclaim_open`] in the
    /// matching release gives it back. Only the count is kept, not this
    /// handle's `Arc`: the release finds the array through its disk.
    fn keep_for_open(self) {
        // Count once more for the open, then let this handle go: its own
        // count goes in the lock-free path, the total being at least two.
        self.mddev.active.fetch_add(1, Ordering::AcqRel);
        drop(self);
    }

    /// The count kept by `keep_for_open`, in the matching release.
    fn reclaim_open(mddev: Arc<MdDev>) -> Self {
        // INVARIANT: the open that this release matches kept one count.
        Self { mddev }
    }
}

impl Deref for ActiveRef {
    type Target = MdDev;

    fn deref(&self) -> &MdDev {
        &self.mddev
    }
}

impl Drop for ActiveRef {
    fn drop(&mut self) {
        let active = &self.mddev.active;
        // Not the last user: no lock needed (md's atomic_dec_and_lock).
        if active
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |a| {
                if a > 1 {
                    Some(a - 1)
                } else {
                    None
                }
            })
            .is_ok()
        {
            return;
        }
        match registry::CORE.get() {
            Some(core) => {
                let _registry = core.registry.lock();
                self.mddev.put_locked(core);
            }
            None => {
                active.fetch_sub(1, Ordering::AcqRel);
            }
        }
    }
}

/// What an open that found the array going away returns: with the kernel's
/// open retry (kernel/patches), `ERESTARTSYS` makes the block layer look the
/// device up again, after the deletion, and reach a new array; without it,
/// md's `ENODEV`.
fn going_away() -> Error {
    #[cfg(CONFIG_BLK_DEV_OPEN_RETRY)]
    {
        ERESTARTSYS
    }
    #[cfg(not(CONFIG_BLK_DEV_OPEN_RETRY))]
    {
        ENODEV
    }
}

impl DiskOps for MdDev {
    /// md's `md_open`: only looks the array up, never creates one (the
    /// probe does), so a retried open cannot livelock as in 2021.
    fn open(this: ArcBorrow<'_, Self>) -> Result {
        let this: Arc<MdDev> = this.into();
        let active = ActiveRef::get(&this).ok_or_else(going_away)?;
        let mut open = this.open.lock();
        if open.closing {
            drop(open);
            return Err(going_away());
        }
        open.openers += 1;
        drop(open);
        active.keep_for_open();
        Ok(())
    }

    /// md's `md_release`: the opener that probed the array no longer holds it.
    fn release(this: ArcBorrow<'_, Self>) {
        let this: Arc<MdDev> = this.into();
        this.open.lock().openers -= 1;
        this.clear_hold(Hold::UntilClose);
        drop(ActiveRef::reclaim_open(this));
    }

    fn ioctl(this: ArcBorrow<'_, Self>, cmd: u32, arg: usize) -> Result<i32> {
        super::ioctl::md_ioctl(&this.into(), cmd, arg)
    }

    /// md's `md_submit_bio`: writes to a read-only array fail, flushes go to
    /// every member (md's `md_flush_request`), the rest to the level.
    fn submit_bio(this: ArcBorrow<'_, Self>, mut bio: Bio, io: &InFlight<'_>) {
        let Some(pers) = this.io.get(io) else {
            return bio.fail();
        };
        if bio.is_write() && this.read_only.load(Ordering::Relaxed) {
            return if bio.sectors() == 0 {
                bio.end()
            } else {
                bio.fail()
            };
        }
        if bio.is_write() && this.auto_read.load(Ordering::Relaxed) {
            // md_write_start: the write goes on; the array becomes
            // read-write (and may resync) in the check work.
            if this.auto_read.swap(false, Ordering::AcqRel) {
                if let Some(core) = super::CORE.get() {
                    Arc::<MdDev>::from(this).kick_check(&core.md_wq);
                }
            }
        }
        if bio.is_preflush() {
            for (i, slot) in pers.slots().iter().enumerate() {
                if pers.slot_works(i) && bio.chain_flush(&slot.dev, &this.bio_set).is_err() {
                    return bio.fail();
                }
            }
            if bio.sectors() == 0 {
                return bio.end();
            }
            bio.clear_preflush();
        }
        bio.clear_nomerge();
        pers.make_request(bio, &this.bio_set);
    }
}
