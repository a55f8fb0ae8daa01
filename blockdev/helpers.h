/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rust_md: the C half of md_mod.ko, for what Rust on 6.12 cannot reach:
 * macros (module_param*, blk_alloc_disk with its lock class, BLK_FEAT_*),
 * inline helpers (bio_io_error, bio_set_dev) and proc_fs.h, which the
 * kernel crate does not bind. Everything else is Rust (blockdev/ wraps it, mddev/ uses it).
 *
 * Contract, C -> Rust (implemented in blockdev/shim.rs, #[no_mangle]):
 *   rust_md_new_array(val, len)  the new_array parameter was written with
 *                                val[0..len) (trailing newlines removed);
 *                                returns 0 or -errno. Called under the
 *                                module's kernel_param_lock.
 *   rust_md_mdstat_show(seq)     print /proc/mdstat into seq; 0 or -errno.
 *
 * Contract, Rust -> C (this file; declared in blockdev/shim.rs):
 *   rust_md_create_on_open()     the create_on_open parameter.
 *   rust_md_alloc_disk()         blk_alloc_disk(lim, NUMA_NO_NODE) with
 *                                md's features (write cache, FUA): a
 *                                bio-based gendisk or an ERR_PTR.
 *   rust_md_init_stacking_limits(lim)
 *                                blk_set_stacking_limits(lim) plus the
 *                                features of rust_md_alloc_disk.
 *   rust_md_bio_io_error(bio)    complete bio with BLK_STS_IOERR.
 *   rust_md_bio_set_dev(bio, bdev)
 *                                bio_set_dev: point an owned bio at bdev.
 *   rust_md_disk_changed(disk)   an array started or stopped: partitions
 *                                are rescanned at the next open
 *                                (GD_NEED_PART_SCAN) and udev hears
 *                                KOBJ_CHANGE, as md's do_md_run does.
 *   rust_md_bdev_read_only(bdev) bdev_read_only().
 *   rust_md_bdev_nonrot(bdev)    bdev_nonrot().
 *   rust_md_wait_u64_zero(v)     wait_var_event(v, *v == 0): v is a u64
 *                                that is woken by rust_md_wake_var(v).
 *   rust_md_wait_bool_false(v)   wait_var_event(v, !*v), v a bool.
 *   rust_md_wake_var(v)          wake_up_var(v); any context.
 *   rust_md_jiffies(), rust_md_hz()
 *                                jiffies and HZ.
 *   rust_md_speed_limit_min(), rust_md_speed_limit_max()
 *                                /proc/sys/dev/raid/speed_limit_{min,max}
 *                                in KiB/s (md's sysctls, 1000 and 200000).
 *   rust_md_sysctl_register(), rust_md_sysctl_unregister()
 *                                add and remove them; 0 or -ENOMEM.
 *   rust_md_bdev_max_discard_sectors(bdev)
 *                                bdev_max_discard_sectors(): 0 without
 *                                discard.
 *   rust_md_proc_create()        create /proc/mdstat; 0 or -ENOMEM.
 *   rust_md_proc_remove()        remove it; waits for readers to finish.
 *   rust_md_params_drain()       wait for parameter writers in progress
 *                                (take and drop kernel_param_lock).
 */
#ifndef RUST_MD_HELPERS_H
#define RUST_MD_HELPERS_H

#include <linux/types.h>

struct bio;
struct block_device;
struct gendisk;
struct queue_limits;
struct seq_file;

int rust_md_new_array(const char *val, size_t len);
int rust_md_mdstat_show(struct seq_file *seq);

bool rust_md_create_on_open(void);
struct gendisk *rust_md_alloc_disk(void);
void rust_md_init_stacking_limits(struct queue_limits *lim);
void rust_md_bio_io_error(struct bio *bio);
void rust_md_bio_set_dev(struct bio *bio, struct block_device *bdev);
void rust_md_disk_changed(struct gendisk *disk);
bool rust_md_bdev_read_only(struct block_device *bdev);
bool rust_md_bdev_nonrot(struct block_device *bdev);
void rust_md_wait_u64_zero(u64 *v);
void rust_md_wait_bool_false(bool *v);
void rust_md_wake_var(void *v);
unsigned long rust_md_jiffies(void);
unsigned long rust_md_hz(void);
int rust_md_speed_limit_min(void);
int rust_md_speed_limit_max(void);
int rust_md_sysctl_register(void);
void rust_md_sysctl_unregister(void);
unsigned int rust_md_bdev_max_discard_sectors(struct block_device *bdev);
int rust_md_proc_create(void);
void rust_md_proc_remove(void);
void rust_md_params_drain(void);

#endif /* RUST_MD_HELPERS_H */
