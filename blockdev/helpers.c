// SPDX-License-Identifier: GPL-2.0
/*
 * rust_md: C helpers for what Rust cannot reach on 6.12. See helpers.h for
 * the contract between this file and the Rust side.
 */
#include <linux/blkdev.h>
#include <linux/bio.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/string.h>
#include <linux/sysctl.h>
#include <linux/wait_bit.h>

#include "helpers.h"

/*
 * new_array: "mdNNN" makes unit NNN, "md_NAME" a named array on a free
 * minor from 512 up. Write-only, as in md.
 */
static int new_array_set(const char *val, const struct kernel_param *kp)
{
	size_t len = strlen(val);

	while (len && val[len - 1] == '\n')
		len--;
	return rust_md_new_array(val, len);
}

static const struct kernel_param_ops new_array_ops = {
	.set = new_array_set,
};
module_param_cb(new_array, &new_array_ops, NULL, 0200);
MODULE_PARM_DESC(new_array, "Create an md device: mdNNN or md_NAME");

static bool create_on_open = true;
module_param(create_on_open, bool, 0644);
MODULE_PARM_DESC(create_on_open, "Create an md device when /dev/mdN is opened (default 1)");

bool rust_md_create_on_open(void)
{
	return READ_ONCE(create_on_open);
}

/* md passes flushes and FUA on to the members (md_alloc). */
#define RUST_MD_FEATURES (BLK_FEAT_WRITE_CACHE | BLK_FEAT_FUA)

struct gendisk *rust_md_alloc_disk(void)
{
	struct queue_limits lim = { .features = RUST_MD_FEATURES };

	return blk_alloc_disk(&lim, NUMA_NO_NODE);
}

void rust_md_init_stacking_limits(struct queue_limits *lim)
{
	blk_set_stacking_limits(lim);
	lim->features = RUST_MD_FEATURES;
}

void rust_md_bio_io_error(struct bio *bio)
{
	bio_io_error(bio);
}

void rust_md_bio_set_dev(struct bio *bio, struct block_device *bdev)
{
	bio_set_dev(bio, bdev);
}

void rust_md_disk_changed(struct gendisk *disk)
{
	set_bit(GD_NEED_PART_SCAN, &disk->state);
	kobject_uevent(&disk_to_dev(disk)->kobj, KOBJ_CHANGE);
}

bool rust_md_bdev_read_only(struct block_device *bdev)
{
	return bdev_read_only(bdev);
}

bool rust_md_bdev_nonrot(struct block_device *bdev)
{
	return bdev_nonrot(bdev);
}

void rust_md_wait_u64_zero(u64 *v)
{
	wait_var_event(v, READ_ONCE(*v) == 0);
}

void rust_md_wait_bool_false(bool *v)
{
	wait_var_event(v, !READ_ONCE(*v));
}

void rust_md_wake_var(void *v)
{
	wake_up_var(v);
}

unsigned long rust_md_jiffies(void)
{
	return jiffies;
}

unsigned long rust_md_hz(void)
{
	return HZ;
}

/* md's resync speed limits, KiB/s per array, shared by all arrays. */
static int speed_limit_min = 1000;
static int speed_limit_max = 200000;

static struct ctl_table raid_table[] = {
	{
		.procname	= "speed_limit_min",
		.data		= &speed_limit_min,
		.maxlen		= sizeof(int),
		.mode		= 0644,
		.proc_handler	= proc_dointvec,
	},
	{
		.procname	= "speed_limit_max",
		.data		= &speed_limit_max,
		.maxlen		= sizeof(int),
		.mode		= 0644,
		.proc_handler	= proc_dointvec,
	},
};

static struct ctl_table_header *raid_table_header;

int rust_md_speed_limit_min(void)
{
	return READ_ONCE(speed_limit_min);
}

int rust_md_speed_limit_max(void)
{
	return READ_ONCE(speed_limit_max);
}

int rust_md_sysctl_register(void)
{
	raid_table_header = register_sysctl("dev/raid", raid_table);
	return raid_table_header ? 0 : -ENOMEM;
}

void rust_md_sysctl_unregister(void)
{
	unregister_sysctl_table(raid_table_header);
	raid_table_header = NULL;
}

unsigned int rust_md_bdev_max_discard_sectors(struct block_device *bdev)
{
	return bdev_max_discard_sectors(bdev);
}

static int mdstat_show(struct seq_file *seq, void *v)
{
	return rust_md_mdstat_show(seq);
}

int rust_md_proc_create(void)
{
	return proc_create_single("mdstat", 0444, NULL, mdstat_show) ? 0 : -ENOMEM;
}

void rust_md_proc_remove(void)
{
	remove_proc_entry("mdstat", NULL);
}

void rust_md_params_drain(void)
{
	kernel_param_lock(THIS_MODULE);
	kernel_param_unlock(THIS_MODULE);
}
