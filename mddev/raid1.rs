// SPDX-License-Identifier: GPL-2.0

//! raid1: mirrors (md's raid1.c). Writes go to every working mirror and
//! complete when all of them have; reads go to one mirror, chosen as md's
//! `read_balance` chooses (`read_balance.rs`), and are retried on another
//! if it fails. A mirror whose I/O fails is failed out of the array, unless
//! it is the last one, and the superblocks of the others record it before
//! any write that it missed is acknowledged.

use super::{
    names::DiskName,
    personality::{Geometry, Limits, Personality, Slot},
    rdev::Rdev,
    read_balance::{self, ArrayReadState, MirrorState},
    sb_writer::SbWriter,
    superblock::MAX_SECTOR,
};
use crate::blockdev::{
    bio::{Bio, BioSet, BioStack},
    fanout::{self, ClonePool, FanoutDone, Target},
    log::line_warn,
    member::MemberDev,
};
use core::{
    fmt,
    sync::atomic::{AtomicU32, AtomicU64, Ordering},
};
use kernel::{
    impl_has_work, new_work,
    prelude::*,
    sync::Arc,
    workqueue::{self, Work, WorkItem},
};

/// Most mirrors: one bit each in the fan-out's masks.
const MAX_MIRRORS: usize = fanout::MAX_TARGETS;

/// One slot of the array.
struct Mirror {
    /// The member in the slot, if any.
    member: Option<(Arc<MemberDev>, Arc<Rdev>)>,
    data_offset: u64,
    nonrot: bool,
    io_opt_sectors: u32,
    nr_pending: AtomicU32,
    head_position: AtomicU64,
    next_seq_sect: AtomicU64,
    seq_start: AtomicU64,
}

/// The state the I/O path and its completions share.
#[pin_data]
pub(crate) struct Conf {
    name: DiskName,
    mirrors: KVec<Mirror>,
    /// Slots whose member works (bit per slot).
    working: AtomicU64,
    /// Slots failed since the superblocks last recorded failures.
    newly_failed: AtomicU64,
    any_nonrot: bool,
    /// Failed reads, to retry on another mirror.
    retry: BioStack,
    /// Writes that a mirror missed, acknowledged once the superblocks say
    /// that mirror failed.
    held: BioStack,
    sb: Option<Arc<SbWriter>>,
    #[pin]
    clones: ClonePool,
    #[pin]
    work: Work<Conf>,
}

impl_has_work! {
    impl HasWork<Self> for Conf { self.work }
}

/// A running raid1 array.
pub(crate) struct Raid1 {
    conf: Arc<Conf>,
    slots: KVec<Slot>,
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
            mirrors.push(
                Mirror {
                    member: None,
                    data_offset: 0,
                    nonrot: false,
                    io_opt_sectors: 0,
                    nr_pending: AtomicU32::new(0),
                    head_position: AtomicU64::new(0),
                    next_seq_sect: AtomicU64::new(0),
                    seq_start: AtomicU64::new(read_balance::NO_SEQ_START),
                },
                GFP_KERNEL,
            )?;
        }
        let mut working = 0u64;
        let mut array_sectors = u64::MAX;
        for s in slots.iter() {
            let slot = s.rdev.raid_disk() as usize;
            let m = mirrors.get_mut(slot).ok_or(EINVAL)?;
            m.member = Some((s.dev.clone(), s.rdev.clone()));
            m.data_offset = s.data_offset;
            m.nonrot = s.dev.is_nonrot();
            m.io_opt_sectors = s.dev.io_opt() >> 9;
            working |= 1 << slot;
            array_sectors = array_sectors.min(s.sectors);
        }
        // The array is as large as md says each member's part is, when set.
        if geo.dev_sectors != 0 {
            array_sectors = array_sectors.min(geo.dev_sectors);
        }
        let any_nonrot = mirrors.iter().any(|m| m.member.is_some() && m.nonrot);
        crate::blockdev::log::line_info!(
            "md/raid1:{}: active with {} out of {} mirrors\n",
            md_name,
            working.count_ones(),
            raid_disks
        );
        let name = DiskName::checked(md_name.as_bytes()).map_err(|_| EINVAL)?;
        let conf = Arc::pin_init(
            try_pin_init!(Conf {
                name,
                mirrors,
                working: AtomicU64::new(working),
                newly_failed: AtomicU64::new(0),
                any_nonrot,
                retry: BioStack::new(),
                held: BioStack::new(),
                sb,
                clones <- ClonePool::new(2 * raid_disks as u32),
                work <- new_work!("raid1::Conf::work"),
            }? Error),
            GFP_KERNEL,
        )?;
        Ok(Self {
            conf,
            slots,
            array_sectors,
            raid_disks: raid_disks as u32,
        })
    }
}

impl Conf {
    fn working_count(&self) -> u32 {
        self.working.load(Ordering::Acquire).count_ones()
    }

    /// md's `raid1_error`: the mirror in `slot` failed. Refused for the
    /// last working mirror (the array goes on, as a plain disk would);
    /// returns whether the mirror is out.
    fn fail_mirror(&self, slot: usize) -> bool {
        let bit = 1u64 << slot;
        let mut cur = self.working.load(Ordering::Acquire);
        loop {
            if cur & bit == 0 {
                return true;
            }
            if cur & !bit == 0 {
                return false;
            }
            match self
                .working
                .compare_exchange(cur, cur & !bit, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => break,
                Err(c) => cur = c,
            }
        }
        self.newly_failed.fetch_or(bit, Ordering::AcqRel);
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
            resync_offset: MAX_SECTOR,
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
            return bio.fail();
        };
        let m = &self.mirrors[choice.disk];
        let Some((dev, _)) = &m.member else {
            return bio.fail();
        };
        m.next_seq_sect.store(choice.next_seq_sect, Ordering::Relaxed);
        m.seq_start.store(choice.seq_start, Ordering::Relaxed);
        m.nr_pending.fetch_add(1, Ordering::AcqRel);
        let target = Target {
            member: dev,
            sector: m.data_offset + bio.sector(),
            tag: choice.disk as u8,
        };
        fanout::submit(bio, [target].into_iter(), &self.clones, self.clone());
    }

    /// Sends a write to every working mirror.
    fn write(self: &Arc<Self>, bio: Bio) {
        let working = self.working.load(Ordering::Acquire);
        let discard = bio.is_discard();
        let sector = bio.sector();
        let targets = self.mirrors.iter().enumerate().filter_map(move |(slot, m)| {
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
            // A discard no mirror takes succeeds, as in md.
            return if discard { bio.end() } else { bio.fail() };
        }
        for t in targets.clone() {
            self.mirrors[usize::from(t.tag)]
                .nr_pending
                .fetch_add(1, Ordering::AcqRel);
        }
        fanout::submit(bio, targets, &self.clones, self.clone());
    }
}

impl FanoutDone for Conf {
    fn done(this: Arc<Self>, mut original: Bio, sent: u64, failed: u64) {
        let head = read_balance::head_position_after(original.sector(), original.sectors());
        for slot in 0..this.mirrors.len() {
            if sent & (1 << slot) != 0 {
                let m = &this.mirrors[slot];
                m.nr_pending.fetch_sub(1, Ordering::AcqRel);
                m.head_position.store(head, Ordering::Relaxed);
            }
        }
        if failed == 0 {
            return original.end();
        }
        let mut out = 0u64;
        for slot in 0..this.mirrors.len() {
            if failed & (1 << slot) != 0 && this.fail_mirror(slot) {
                out |= 1 << slot;
            }
        }
        if original.is_write() {
            // Written where it did not fail; if nowhere, it failed.
            if sent & !failed == 0 {
                original.set_failed();
            }
            // Acknowledged once the superblocks say which mirrors missed it.
            this.held.push(original);
        } else if out == 0 {
            // The last working mirror could not read it: nowhere else to go.
            return original.fail();
        } else {
            this.retry.push(original);
        }
        let _ = workqueue::system().enqueue(this);
    }
}

impl WorkItem for Conf {
    type Pointer = Arc<Conf>;

    /// Process context: records failed mirrors in the superblocks, then
    /// acknowledges the writes that waited for it, then retries reads.
    fn run(this: Arc<Conf>) {
        // Taken before the failures are read: a write taken here had its
        // mirror's failure recorded before it was held.
        let held = this.held.take_all();
        let failed = this.newly_failed.swap(0, Ordering::AcqRel);
        if failed != 0 {
            for (slot, m) in this.mirrors.iter().enumerate() {
                if failed & (1 << slot) != 0 {
                    if let Some((_, rdev)) = &m.member {
                        rdev.set_role(super::superblock::Role::Faulty);
                    }
                }
            }
            if let Some(sb) = &this.sb {
                let write_failed = sb.update(|_| {});
                for slot in 0..this.mirrors.len() {
                    if write_failed & (1 << slot) != 0 {
                        this.fail_mirror(slot);
                    }
                }
            }
        }
        for bio in held {
            bio.end();
        }
        let exclude = !this.working.load(Ordering::Acquire);
        for bio in this.retry.take_all() {
            this.read(bio, exclude);
        }
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
        let Some(s) = self.slots.get(index) else {
            return false;
        };
        let slot = s.rdev.raid_disk();
        slot >= 0 && self.conf.working.load(Ordering::Acquire) & (1 << slot) != 0
    }

    fn limits(&self) -> Limits {
        Limits {
            io_min: 0,
            io_opt: 0,
            max_sectors: 0,
        }
    }

    fn make_request(&self, bio: Bio, _pool: &BioSet) {
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
