// SPDX-License-Identifier: GPL-2.0

//! Every array of the module (md's `all_mddevs`), their creation, and the
//! module-wide state the C callbacks reach.

use super::{
    array::{Hold, MdDev, MD_FOPS},
    names::{DiskName, NewArray, FIRST_NAMED_MINOR, MINORMASK},
    ActiveRef, MD_MAJOR,
};
use crate::blockdev::{
    self, disk::GenDisk, global::Global, major::Probe, shim, sysfs::SysfsDir, workqueue::OwnedQueue,
};
use kernel::{
    c_str, new_mutex,
    prelude::*,
    rbtree::RBTree,
    sync::{Arc, Mutex},
};

/// The arrays, by minor, and what creation needs (md's `all_mddevs` under
/// `all_mddevs_lock`).
pub(crate) struct Registry {
    mddevs: RBTree<u32, Arc<MdDev>>,
    next_named_minor: u32,
    /// Arrays created so far (for their `seq`).
    created: u64,
    /// The module is going away: nothing new is created.
    closed: bool,
}

/// The module's md state.
#[pin_data]
pub(crate) struct MdCore {
    /// Lock order: a disk's `open_mutex`, then this; never the other way.
    #[pin]
    pub(crate) registry: Mutex<Registry>,
    /// One creation at a time (md's `disks_mutex`).
    #[pin]
    creating: Mutex<()>,
    /// Where the levels' own work runs (recording failures, marking the
    /// array dirty and clean): flushed by stops and member changes, which
    /// hold the array's locks, so nothing here takes them. Dropped first:
    /// its work may queue checks.
    pub(crate) level_wq: OwnedQueue,
    /// Where resyncs, checks and recoveries run (md's sync threads); a
    /// level's stop waits for its own, so at module exit the queue is
    /// empty and dropping it only proves that no sync code still runs.
    pub(crate) sync_wq: OwnedQueue,
    /// Where the arrays' checks of their members run (md's `md_wq`, where
    /// md's threads run `md_check_recovery`). Dropped before `misc_wq`:
    /// its work may queue a deletion there.
    pub(crate) md_wq: OwnedQueue,
    /// Where deletions run (md's `md_misc_wq`).
    pub(crate) misc_wq: OwnedQueue,
}

/// The module's md state, for callbacks without context.
pub(crate) static CORE: Global<MdCore> = Global::new();

/// How a creation asks for its array.
#[derive(Clone, Copy)]
pub(crate) enum Request {
    /// Opening /dev/mdN (the probe), held until that opener closes.
    Probe(u32),
    /// `new_array=...`.
    Param(NewArray),
}

impl MdCore {
    /// Sets up and publishes the module's md state.
    pub(crate) fn start() -> Result {
        let core = KBox::pin_init(
            try_pin_init!(MdCore {
                registry <- new_mutex!(
                    Registry {
                        mddevs: RBTree::new(),
                        next_named_minor: FIRST_NAMED_MINOR,
                        created: 0,
                        closed: false,
                    },
                    "md_all_mddevs"
                ),
                creating <- new_mutex!((), "md_disks_mutex"),
                level_wq: OwnedQueue::new(c_str!("md_level"))?,
                sync_wq: OwnedQueue::new_unbound(c_str!("md_sync"))?,
                md_wq: OwnedQueue::new(c_str!("md"))?,
                misc_wq: OwnedQueue::new(c_str!("md_misc"))?,
            }),
            GFP_KERNEL,
        )?;
        CORE.set(core)
    }

    /// Creates an array (md's `md_alloc`). Returns a reference to it; what
    /// holds it after that depends on `request`.
    pub(crate) fn create(&self, request: Request) -> Result<ActiveRef> {
        // Wait for any previous instance of this device to be completely
        // removed, so that its names are free in sysfs and the block layer.
        self.misc_wq.flush();
        let _creating = self.creating.lock();

        let (unit, name, hold, seq) = {
            let mut registry = self.registry.lock();
            if registry.closed {
                return Err(ENODEV);
            }
            registry.created += 1;
            let seq = registry.created;
            let (unit, name, hold) = match request {
                Request::Probe(unit) | Request::Param(NewArray::Unit(unit)) => {
                    if registry.mddevs.get(&unit).is_some() {
                        return Err(EEXIST);
                    }
                    let hold = match request {
                        Request::Probe(_) => Hold::UntilClose,
                        _ => Hold::UntilIoctl,
                    };
                    (unit, DiskName::unit(unit), hold)
                }
                Request::Param(NewArray::Named(name)) => {
                    if registry
                        .mddevs
                        .values()
                        .any(|m| m.name == name && !m.is_deleted())
                    {
                        return Err(EEXIST);
                    }
                    (registry.free_named_minor()?, name, Hold::UntilStop)
                }
            };
            (unit, name, hold, seq)
        };

        let disk = GenDisk::new(&MD_FOPS, MD_MAJOR, unit, 1, name.as_bytes())?;
        let mddev = Arc::pin_init(MdDev::new(unit, name, seq, hold, disk), GFP_KERNEL)?;
        let active = ActiveRef::adopt(mddev.clone());
        self.registry
            .lock()
            .mddevs
            .try_create_and_insert(unit, mddev.clone(), GFP_KERNEL)?;

        if let Err(e) = Self::publish(&mddev) {
            // Undo through the ordinary path: with nothing holding it, the
            // last put below queues the deletion of what was made.
            mddev.set_hold(Hold::None);
            return Err(e);
        }
        Ok(active)
    }

    /// Makes a new array visible: its gendisk, then `md/` under it. Holds
    /// the configuration lock throughout, so that ioctls on the freshly
    /// openable disk wait until `md/` exists (as md since 6.12.y).
    fn publish(mddev: &Arc<MdDev>) -> Result {
        let _config = mddev.config.lock();
        let mut parts = mddev.parts.lock();
        let disk = parts.disk.as_mut().ok_or(ENODEV)?;
        disk.add(mddev.clone())?;
        let dir = SysfsDir::new_in_disk(disk, c_str!("md"), mddev.clone())?;
        parts.dir = Some(dir);
        Ok(())
    }

    /// Forgets a deleted array whose gendisk is gone, so that its unit and
    /// name can be used again.
    pub(crate) fn forget(&self, mddev: &Arc<MdDev>) {
        let mut registry = self.registry.lock();
        if let Some(m) = registry.mddevs.get(&mddev.unit) {
            if Arc::ptr_eq(m, mddev) {
                registry.mddevs.remove(&mddev.unit);
            }
        }
    }

    /// References to every array that is not being deleted, in minor order.
    pub(crate) fn all(&self) -> Result<KVec<ActiveRef>> {
        let registry = self.registry.lock();
        let mut all = KVec::new();
        for m in registry.mddevs.values() {
            if let Some(r) = ActiveRef::get_locked(m, &registry) {
                all.push(r, GFP_KERNEL)?;
            }
        }
        Ok(all)
    }

    /// Queues the check of the members of the array `name` (md's
    /// `md_wakeup_thread`, which runs `md_check_recovery`): the levels
    /// ask for it without a reference to their array.
    pub(crate) fn kick_check(&self, name: &DiskName) {
        let registry = self.registry.lock();
        let found = registry
            .mddevs
            .values()
            .find(|m| m.name == *name && !m.is_deleted());
        if let Some(m) = found {
            m.kick_check(&self.md_wq);
        }
        drop(registry);
    }

    /// Refuses every creation from now on (module unload).
    pub(crate) fn close(&self) {
        self.registry.lock().closed = true;
    }

    /// Deletes every array (md's `md_exit`) and waits for the deletions;
    /// after [`MdCore::close`], once nothing can create or open one any more.
    pub(crate) fn delete_all(&self) {
        // Allocation failure leaves arrays behind; retry until none is left.
        loop {
            let Ok(all) = self.all() else {
                self.misc_wq.flush();
                continue;
            };
            if all.is_empty() {
                // Checks queued by the levels, and the deletions they may
                // have queued in turn.
                self.level_wq.flush();
                self.md_wq.flush();
                self.misc_wq.flush();
                break;
            }
            for active in all {
                let mut config = active.config.lock();
                super::assemble::stop_level(&active, &mut config);
                *config = super::array::Config::clean();
                active.config_changed(&config);
                drop(config);
                active.set_hold(Hold::None);
            }
            self.misc_wq.flush();
        }
    }
}

impl Registry {
    /// A free minor for a named array (md's `mddev_alloc_unit`).
    fn free_named_minor(&mut self) -> Result<u32> {
        let start = self.next_named_minor;
        loop {
            let minor = self.next_named_minor;
            self.next_named_minor = if minor >= MINORMASK {
                FIRST_NAMED_MINOR
            } else {
                minor + 1
            };
            if self.mddevs.get(&minor).is_none() {
                return Ok(minor);
            }
            if self.next_named_minor == start {
                return Err(ENOSPC);
            }
        }
    }
}

/// The major's probe: opening /dev/mdN (N < 512) with no array behind it.
pub(crate) struct MdProbe;

impl Probe for MdProbe {
    fn probe(dev: u32) {
        let minor = blockdev::dev_minor(dev);
        if blockdev::dev_major(dev) != MD_MAJOR || minor >= FIRST_NAMED_MINOR {
            return;
        }
        if !shim::create_on_open() {
            return;
        }
        if let Some(core) = CORE.get() {
            // The reference goes at once: the hold keeps the array until
            // the opener that probed it closes.
            let _ = core.create(Request::Probe(minor));
        }
    }
}
