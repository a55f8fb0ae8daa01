// SPDX-License-Identifier: GPL-2.0

//! A member device of an array: a block device opened and claimed
//! exclusively while it is in the array (md's `rdev->bdev_file`), with
//! synchronous I/O for its superblock.

use core::ptr::NonNull;
use kernel::{bindings, c_str, error::from_err_ptr, page::Page, prelude::*};

const BLK_OPEN_READ: u32 = 1 << 0;
const BLK_OPEN_WRITE: u32 = 1 << 1;
const REQ_SYNC: u32 = 1 << bindings::req_flag_bits___REQ_SYNC;
const REQ_META: u32 = 1 << bindings::req_flag_bits___REQ_META;
const REQ_FUA: u32 = 1 << bindings::req_flag_bits___REQ_FUA;
const REQ_PREFLUSH: u32 = 1 << bindings::req_flag_bits___REQ_PREFLUSH;

/// Longest block device name, with its NUL (`BDEVNAME_SIZE`).
const NAME_LEN: usize = 32;

/// The identity a claim is made with: one per member, so that a device
/// cannot be claimed twice, even by the same array.
struct Holder(#[allow(dead_code)] u8);

/// An open, exclusively claimed block device.
///
/// # Invariants
///
/// `file` is a block device file from `bdev_file_open_by_dev` with `holder`
/// as holder, released on drop; `bdev` is its block device.
pub(crate) struct MemberDev {
    file: NonNull<bindings::file>,
    bdev: NonNull<bindings::block_device>,
    holder: KBox<Holder>,
    name: [u8; NAME_LEN],
    name_len: usize,
}

// SAFETY: an open block device may be used and released from any thread.
unsafe impl Send for MemberDev {}
// SAFETY: `&MemberDev` only reads the device and submits I/O to it.
unsafe impl Sync for MemberDev {}

impl MemberDev {
    /// Opens `dev` for reading and writing and claims it exclusively
    /// (`EBUSY` if someone else has it, `ENXIO`/`ENODEV` if it does not
    /// exist).
    pub(crate) fn open_exclusive(dev: u32) -> Result<Self> {
        let holder = KBox::new(Holder(0), GFP_KERNEL)?;
        let holder_ptr = &*holder as *const Holder as *mut core::ffi::c_void;
        // SAFETY: `holder` lives as long as the claim (it is dropped after
        // the file, see `drop`); no holder operations.
        let file = from_err_ptr(unsafe {
            bindings::bdev_file_open_by_dev(
                dev,
                BLK_OPEN_READ | BLK_OPEN_WRITE,
                holder_ptr,
                core::ptr::null(),
            )
        })?;
        let file = NonNull::new(file).ok_or(ENODEV)?;
        // SAFETY: `file` is an open block device file.
        let bdev = NonNull::new(unsafe { bindings::file_bdev(file.as_ptr()) }).ok_or(ENODEV)?;
        let mut name = [0u8; NAME_LEN];
        // SAFETY: `%pg` prints a block device's name; `name` has NAME_LEN
        // bytes and snprintf NUL-terminates within them.
        let n = unsafe {
            bindings::snprintf(
                name.as_mut_ptr().cast(),
                NAME_LEN,
                c_str!("%pg").as_char_ptr(),
                bdev.as_ptr(),
            )
        };
        let name_len = (n.max(0) as usize).min(NAME_LEN - 1);
        // INVARIANT: opened and claimed above with `holder`.
        Ok(Self {
            file,
            bdev,
            holder,
            name,
            name_len,
        })
    }

    /// The kernel's name of the device (`vda`, `sdb1`), as `%pg` prints it.
    pub(crate) fn name(&self) -> &str {
        core::str::from_utf8(&self.name[..self.name_len]).unwrap_or("?")
    }

    /// Its device number.
    pub(crate) fn dev(&self) -> u32 {
        // SAFETY: the device is open (type invariant).
        unsafe { self.bdev.as_ref().bd_dev }
    }

    /// Its size in 512-byte sectors (`bdev_nr_sectors`).
    pub(crate) fn sectors(&self) -> u64 {
        // SAFETY: the device is open; the size is read once.
        unsafe { core::ptr::read_volatile(&self.bdev.as_ref().bd_nr_sectors) }
    }

    /// Its logical block size in bytes.
    pub(crate) fn logical_block_size(&self) -> u32 {
        // SAFETY: an open device has a disk with a queue.
        unsafe {
            (*(*self.bdev.as_ref().bd_disk).queue)
                .limits
                .logical_block_size
        }
    }

    /// Whether the device is read-only (`blockdev --setro`, a read-only
    /// disk): an array with it cannot be written.
    pub(crate) fn is_read_only(&self) -> bool {
        // SAFETY: the device is open (type invariant).
        unsafe { super::shim::bdev_read_only(self.bdev.as_ptr()) }
    }

    /// Whether the device is non-rotational (an SSD, RAM): raid1 balances
    /// reads on those by pending I/O rather than head distance.
    pub(crate) fn is_nonrot(&self) -> bool {
        // SAFETY: the device is open (type invariant).
        unsafe { super::shim::bdev_nonrot(self.bdev.as_ptr()) }
    }

    /// The device's optimal I/O size in bytes (0: none).
    pub(crate) fn io_opt(&self) -> u32 {
        // SAFETY: an open device has a disk with a queue.
        unsafe { (*(*self.bdev.as_ref().bd_disk).queue).limits.io_opt }
    }

    /// Whether the device takes discards.
    pub(crate) fn supports_discard(&self) -> bool {
        // SAFETY: the device is open (type invariant).
        unsafe { super::shim::bdev_max_discard_sectors(self.bdev.as_ptr()) != 0 }
    }

    /// Writes back and drops the device's page cache, so that the array
    /// does not see what user space wrote around it through the cache
    /// (md_run does this for every member).
    pub(crate) fn sync_and_invalidate(&self) {
        // SAFETY: the device is open (type invariant).
        unsafe {
            bindings::sync_blockdev(self.bdev.as_ptr());
            bindings::invalidate_bdev(self.bdev.as_ptr());
        }
    }

    /// The block device, for bios and queue limits.
    pub(super) fn bdev_ptr(&self) -> *mut bindings::block_device {
        self.bdev.as_ptr()
    }

    /// The device's kobject (`/sys/class/block/<name>`), a sysfs link target.
    pub(super) fn kobject_ptr(&self) -> *mut bindings::kobject {
        // SAFETY: the device is open, so its `bd_device` is live.
        unsafe { &raw mut (*self.bdev.as_ptr()).bd_device.kobj }
    }

    /// Reads `buf.len()` bytes (a multiple of 512, at most a page) from
    /// sector `sector`, synchronously.
    pub(crate) fn read_at(&self, sector: u64, buf: &mut [u8]) -> Result {
        let page = self.transfer(sector, buf.len(), bindings::req_op_REQ_OP_READ, None)?;
        // SAFETY: `buf` is writable for its length, which fits the page.
        unsafe { page.read_raw(buf.as_mut_ptr(), 0, buf.len()) }
    }

    /// Writes `buf` (a multiple of 512 bytes, at most a page) at sector
    /// `sector`, synchronously and durably (flush, then FUA: md's
    /// superblock writes). Linear and raid0 never rewrite superblocks;
    /// levels with redundancy do.
    #[allow(dead_code)]
    pub(crate) fn write_at(&self, sector: u64, buf: &[u8]) -> Result {
        self.transfer(
            sector,
            buf.len(),
            bindings::req_op_REQ_OP_WRITE | REQ_PREFLUSH | REQ_FUA,
            Some(buf),
        )
        .map(|_| ())
    }

    /// Reads (or writes, with `write`) the first `bytes` of `pages`, one
    /// page after the other, at `sector`, and waits for it: resync I/O.
    ///
    /// The transfer goes out as bios of at most `piece` bytes, chained so
    /// that one wait covers them all (blk-lib's `blk_next_bio`), with a
    /// scheduling point between two: members that complete a bio in the
    /// submitter's thread (RAM disks) then let other tasks run every piece
    /// rather than every transfer, while members with a queue have all the
    /// pieces in flight at once.
    pub(crate) fn transfer_pages(
        &self,
        sector: u64,
        pages: &[Page],
        bytes: usize,
        piece: usize,
        write: bool,
    ) -> Result {
        let nr = bytes.div_ceil(kernel::page::PAGE_SIZE);
        let piece_pages = piece / kernel::page::PAGE_SIZE;
        if bytes == 0 || bytes % 512 != 0 || nr > pages.len() || !(1..=256).contains(&piece_pages) {
            return Err(EINVAL);
        }
        let op = if write {
            bindings::req_op_REQ_OP_WRITE
        } else {
            bindings::req_op_REQ_OP_READ
        };
        // md_do_sync's plug: on a member with a request queue the pieces
        // merge again and go out together when the wait below sleeps.
        let mut plug = core::mem::MaybeUninit::<bindings::blk_plug>::uninit();
        // SAFETY: `plug` lives on this stack frame, does not move, and is
        // finished below before the frame ends.
        unsafe { bindings::blk_start_plug(plug.as_mut_ptr()) };
        let mut prev: *mut bindings::bio = core::ptr::null_mut();
        let (mut at, mut left) = (sector, bytes);
        for chunk in pages[..nr].chunks(piece_pages) {
            // SAFETY: allocation from the kernel's general bio pool cannot
            // fail with a sleeping allocation, and at most two of ours are
            // unsubmitted at a time (blk-lib's rule); the device is open.
            let bio = unsafe {
                bindings::bio_alloc_bioset(
                    self.bdev.as_ptr(),
                    chunk.len() as u16,
                    op | REQ_SYNC,
                    super::bio::GFP_NOIO,
                    &raw mut bindings::fs_bio_set,
                )
            };
            if bio.is_null() {
                // Not with GFP_NOIO; the pieces sent are still waited for.
                break;
            }
            // SAFETY: `bio` is ours with room for `chunk.len()` vectors; the
            // pages outlive the I/O, which is waited for below.
            unsafe {
                (*bio).bi_iter.bi_sector = at;
                for page in chunk {
                    let len = left.min(kernel::page::PAGE_SIZE);
                    bindings::__bio_add_page(bio, page.as_ptr(), len as u32, 0);
                    left -= len;
                    at += (len / 512) as u64;
                }
            }
            if !prev.is_null() {
                // SAFETY: `prev` is ours and not yet sent; chained to `bio`,
                // its completion (and any failure) is passed on to `bio`,
                // which is sent after it.
                unsafe {
                    bindings::bio_chain(prev, bio);
                    bindings::submit_bio(prev);
                }
                super::cond_resched();
            }
            prev = bio;
        }
        let ret = if prev.is_null() {
            0
        } else {
            // SAFETY: `prev` is the last bio of the chain, ours; it completes
            // after every piece before it, with the first failure among
            // them. Sleeping for it sends what the plug holds.
            unsafe {
                let ret = bindings::submit_bio_wait(prev);
                bindings::bio_put(prev);
                ret
            }
        };
        // SAFETY: started above on this frame; the task still holds it.
        unsafe { bindings::blk_finish_plug(plug.as_mut_ptr()) };
        if left != 0 {
            return Err(ENOMEM);
        }
        kernel::error::to_result(ret)
    }

    fn transfer(&self, sector: u64, len: usize, opf: u32, data: Option<&[u8]>) -> Result<Page> {
        if len == 0 || len > kernel::page::PAGE_SIZE || len % 512 != 0 {
            return Err(EINVAL);
        }
        let page = Page::alloc_page(GFP_KERNEL)?;
        if let Some(data) = data {
            // SAFETY: `data` is readable for `len` bytes, which fit the page.
            unsafe { page.write_raw(data.as_ptr(), 0, len)? };
        }
        // SAFETY: allocation from the kernel's general bio pool cannot fail
        // with a sleeping allocation; the device is open.
        let bio = unsafe {
            bindings::bio_alloc_bioset(
                self.bdev.as_ptr(),
                1,
                opf | REQ_SYNC | REQ_META,
                super::bio::GFP_NOIO,
                &raw mut bindings::fs_bio_set,
            )
        };
        if bio.is_null() {
            return Err(ENOMEM);
        }
        // SAFETY: `bio` is ours with room for one vector; the page is ours
        // until the bio is put below; `submit_bio_wait` returns once the
        // I/O is done.
        let ret = unsafe {
            (*bio).bi_iter.bi_sector = sector;
            bindings::__bio_add_page(bio, page.as_ptr(), len as u32, 0);
            let ret = bindings::submit_bio_wait(bio);
            bindings::bio_put(bio);
            ret
        };
        kernel::error::to_result(ret)?;
        Ok(page)
    }
}

/// Whether the first `bytes` of two page lists hold the same data;
/// `scratch` has room for two pages.
pub(crate) fn pages_equal(
    a: &[Page],
    b: &[Page],
    bytes: usize,
    scratch: &mut [u8],
) -> Result<bool> {
    let page = kernel::page::PAGE_SIZE;
    if scratch.len() < 2 * page {
        return Err(EINVAL);
    }
    let (x, y) = scratch.split_at_mut(page);
    let mut left = bytes;
    for (pa, pb) in a.iter().zip(b.iter()) {
        if left == 0 {
            break;
        }
        let len = left.min(page);
        // SAFETY: `x` and `y` each have `page` >= `len` writable bytes.
        unsafe {
            pa.read_raw(x.as_mut_ptr(), 0, len)?;
            pb.read_raw(y.as_mut_ptr(), 0, len)?;
        }
        if x[..len] != y[..len] {
            return Ok(false);
        }
        left -= len;
    }
    Ok(true)
}

impl Drop for MemberDev {
    fn drop(&mut self) {
        // SAFETY: releases the open and the claim made in `open_exclusive`
        // (type invariant); the holder is freed only after this.
        unsafe { bindings::bdev_fput(self.file.as_ptr()) };
        let _ = &self.holder;
    }
}
