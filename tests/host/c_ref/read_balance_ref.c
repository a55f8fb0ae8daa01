// SPDX-License-Identifier: GPL-2.0
/*
 * The reference rust_md's raid1 read balancing (mddev/read_balance.rs) is
 * checked against (tests/host/tests_read_balance.rs compiles and runs it):
 * md's own code, copied with the kernel types replaced by plain C ones and
 * what is not the choice of a mirror (bios, locking, tracing) left out.
 *
 *  - drivers/md/raid1.c, Linux 6.12: update_head_pos, update_read_sectors,
 *    choose_first_rdev, rdev_in_recovery, choose_bb_rdev, choose_slow_rdev,
 *    is_sequential, should_choose_next, rdev_readable, choose_best_rdev and
 *    read_balance (rdev_in_recovery moved before choose_first_rdev).
 *  - drivers/md/raid1-10.c, Linux 6.12: raid1_check_read_range and
 *    raid1_should_read_first, with no bad blocks (rust_md refuses members
 *    with a bad block list) and no clustered arrays.
 *  - include/linux/math.h: abs().
 *
 * Originals: raid1.c (GPL-2.0-or-later) Copyright (C) 1999, 2000, 2001
 * Ingo Molnar, Red Hat, (C) 1996, 1997, 1998 Ingo Molnar, Miguel de Icaza,
 * Gadi Oxman, read balancing by Mika Kuoppala, and md's later authors.
 *
 * rust_md's one change, enabled by the argument "fixed": choose_first_rdev
 * also skips a member still being recovered where the read goes (see
 * mddev/read_balance.rs). Without it this is 6.12 as is.
 *
 * Protocol, one command a line on stdin, answers on stdout:
 *   A slots resync_offset nonrot_disks          (a new array; then per slot)
 *   M rdev faulty blocked in_sync recovery_offset write_mostly nonrot
 *     io_opt_bytes head_position next_seq_sect seq_start nr_pending
 *   R sector sectors    (read_balance, which updates the chosen mirror)
 *     -> "D disk max_sectors path next_seq_sect seq_start nr_pending", path
 *        the helper that chose: first, best, bb or slow; or "X"
 *   H disk sector sectors   (update_head_pos after an I/O)
 *   E disk                  (an I/O on the mirror ended: nr_pending--)
 * "blocked" marks the slot IO_BLOCKED for every later read of the array.
 */
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

typedef uint64_t sector_t;

#define MaxSector (~(sector_t)0)
#define READ_ONCE(x) (x)

/* include/linux/math.h */
#define abs(x)	__abs_choose_expr(x, long long,				\
		__abs_choose_expr(x, long,				\
		__abs_choose_expr(x, int,				\
		__abs_choose_expr(x, short,				\
		__abs_choose_expr(x, char,				\
		__builtin_choose_expr(					\
			__builtin_types_compatible_p(typeof(x), char),	\
			(char)({ signed char __x = (x); __x<0?-__x:__x; }), \
			((void)0)))))))

#define __abs_choose_expr(x, type, other) __builtin_choose_expr(	\
	__builtin_types_compatible_p(typeof(x),   signed type) ||	\
	__builtin_types_compatible_p(typeof(x), unsigned type),		\
	({ signed type __x = (x); __x < 0 ? -__x : __x; }), other)

static bool test_bit(int nr, const unsigned long *addr)
{
	return (*addr >> nr) & 1;
}

static void set_bit(int nr, unsigned long *addr)
{
	*addr |= 1UL << nr;
}

static void clear_bit(int nr, unsigned long *addr)
{
	*addr &= ~(1UL << nr);
}

typedef struct { int counter; } atomic_t;

static int atomic_read(const atomic_t *v)
{
	return v->counter;
}

static void atomic_inc(atomic_t *v)
{
	/* the kernel's atomics wrap */
	v->counter = (int)((unsigned int)v->counter + 1);
}

/* md.h's rdev flags used here */
enum flag_bits { Faulty, In_sync, WriteMostly, Nonrot };

struct block_device {
	unsigned int io_opt;
};

static unsigned int bdev_io_opt(struct block_device *bdev)
{
	return bdev->io_opt;
}

struct md_rdev {
	unsigned long flags;
	sector_t recovery_offset;
	atomic_t nr_pending;
	struct block_device *bdev;
	struct block_device bdev_storage;
};

struct mddev {
	sector_t resync_offset;
};

static bool mddev_is_clustered(struct mddev *mddev)
{
	return false;
}

struct raid1_info {
	struct md_rdev *rdev;
	sector_t head_position;
	sector_t next_seq_sect;
	sector_t seq_start;
};

struct r1conf {
	struct mddev *mddev;
	struct raid1_info *mirrors;
	int raid_disks;
	int nonrot_disks;
};

struct bio;
#define IO_BLOCKED ((struct bio *)1)

enum r1bio_state { R1BIO_FailFast = 10 };

#define MAX_SLOTS 64

struct r1bio {
	unsigned long state;
	struct mddev *mddev;
	sector_t sector;
	int sectors;
	struct bio *bios[MAX_SLOTS];
};

/* no bad blocks */
static int is_badblock(struct md_rdev *rdev, sector_t s, int sectors,
		       sector_t *first_bad, int *bad_sectors)
{
	return 0;
}

static bool rdev_has_badblock(struct md_rdev *rdev, sector_t s, int sectors)
{
	sector_t first_bad;
	int num_bad;

	return is_badblock(rdev, s, sectors, &first_bad, &num_bad);
}

static bool read_first_skips_recovery;
static const char *ref_path;

/* ---- drivers/md/raid1-10.c ---- */

static inline int raid1_check_read_range(struct md_rdev *rdev,
					 sector_t this_sector, int *len)
{
	sector_t first_bad;
	int bad_sectors;

	/* no bad block overlap */
	if (!is_badblock(rdev, this_sector, *len, &first_bad, &bad_sectors))
		return *len;

	/*
	 * bad block range starts offset into our range so we can return the
	 * number of sectors before the bad blocks start.
	 */
	if (first_bad > this_sector)
		return first_bad - this_sector;

	/* read range is fully consumed by bad blocks. */
	if (this_sector + *len <= first_bad + bad_sectors)
		return 0;

	/*
	 * final case, bad block range starts before or at the start of our
	 * range but does not cover our entire range so we still return 0 but
	 * update the length with the number of sectors before we get to the
	 * good ones.
	 */
	*len = first_bad + bad_sectors - this_sector;
	return 0;
}

static inline bool raid1_should_read_first(struct mddev *mddev,
					   sector_t this_sector, int len)
{
	if ((mddev->resync_offset < this_sector + len))
		return true;

	if (mddev_is_clustered(mddev) /* && area_resyncing(...) */)
		return true;

	return false;
}

/* ---- drivers/md/raid1.c ---- */

static inline void update_head_pos(struct r1conf *conf, int disk,
				   struct r1bio *r1_bio)
{
	conf->mirrors[disk].head_position =
		r1_bio->sector + (r1_bio->sectors);
}

static void update_read_sectors(struct r1conf *conf, int disk,
				sector_t this_sector, int len)
{
	struct raid1_info *info = &conf->mirrors[disk];

	atomic_inc(&info->rdev->nr_pending);
	if (info->next_seq_sect != this_sector)
		info->seq_start = this_sector;
	info->next_seq_sect = this_sector + len;
}

static bool rdev_in_recovery(struct md_rdev *rdev, struct r1bio *r1_bio)
{
	return !test_bit(In_sync, &rdev->flags) &&
	       rdev->recovery_offset < r1_bio->sector + r1_bio->sectors;
}

static int choose_first_rdev(struct r1conf *conf, struct r1bio *r1_bio,
			     int *max_sectors)
{
	sector_t this_sector = r1_bio->sector;
	int len = r1_bio->sectors;
	int disk;

	for (disk = 0 ; disk < conf->raid_disks * 2 ; disk++) {
		struct md_rdev *rdev;
		int read_len;

		if (r1_bio->bios[disk] == IO_BLOCKED)
			continue;

		rdev = conf->mirrors[disk].rdev;
		if (!rdev || test_bit(Faulty, &rdev->flags))
			continue;

		/* rust_md's change: not in 6.12 */
		if (read_first_skips_recovery && rdev_in_recovery(rdev, r1_bio))
			continue;

		/* choose the first disk even if it has some bad blocks. */
		read_len = raid1_check_read_range(rdev, this_sector, &len);
		if (read_len > 0) {
			update_read_sectors(conf, disk, this_sector, read_len);
			*max_sectors = read_len;
			return disk;
		}
	}

	return -1;
}

static int choose_bb_rdev(struct r1conf *conf, struct r1bio *r1_bio,
			  int *max_sectors)
{
	sector_t this_sector = r1_bio->sector;
	int best_disk = -1;
	int best_len = 0;
	int disk;

	for (disk = 0 ; disk < conf->raid_disks * 2 ; disk++) {
		struct md_rdev *rdev;
		int len;
		int read_len;

		if (r1_bio->bios[disk] == IO_BLOCKED)
			continue;

		rdev = conf->mirrors[disk].rdev;
		if (!rdev || test_bit(Faulty, &rdev->flags) ||
		    rdev_in_recovery(rdev, r1_bio) ||
		    test_bit(WriteMostly, &rdev->flags))
			continue;

		/* keep track of the disk with the most readable sectors. */
		len = r1_bio->sectors;
		read_len = raid1_check_read_range(rdev, this_sector, &len);
		if (read_len > best_len) {
			best_disk = disk;
			best_len = read_len;
		}
	}

	if (best_disk != -1) {
		*max_sectors = best_len;
		update_read_sectors(conf, best_disk, this_sector, best_len);
	}

	return best_disk;
}

static int choose_slow_rdev(struct r1conf *conf, struct r1bio *r1_bio,
			    int *max_sectors)
{
	sector_t this_sector = r1_bio->sector;
	int bb_disk = -1;
	int bb_read_len = 0;
	int disk;

	for (disk = 0 ; disk < conf->raid_disks * 2 ; disk++) {
		struct md_rdev *rdev;
		int len;
		int read_len;

		if (r1_bio->bios[disk] == IO_BLOCKED)
			continue;

		rdev = conf->mirrors[disk].rdev;
		if (!rdev || test_bit(Faulty, &rdev->flags) ||
		    !test_bit(WriteMostly, &rdev->flags) ||
		    rdev_in_recovery(rdev, r1_bio))
			continue;

		/* there are no bad blocks, we can use this disk */
		len = r1_bio->sectors;
		read_len = raid1_check_read_range(rdev, this_sector, &len);
		if (read_len == r1_bio->sectors) {
			*max_sectors = read_len;
			update_read_sectors(conf, disk, this_sector, read_len);
			return disk;
		}

		/*
		 * there are partial bad blocks, choose the rdev with largest
		 * read length.
		 */
		if (read_len > bb_read_len) {
			bb_disk = disk;
			bb_read_len = read_len;
		}
	}

	if (bb_disk != -1) {
		*max_sectors = bb_read_len;
		update_read_sectors(conf, bb_disk, this_sector, bb_read_len);
	}

	return bb_disk;
}

static bool is_sequential(struct r1conf *conf, int disk, struct r1bio *r1_bio)
{
	/* TODO: address issues with this check and concurrency. */
	return conf->mirrors[disk].next_seq_sect == r1_bio->sector ||
	       conf->mirrors[disk].head_position == r1_bio->sector;
}

/*
 * If buffered sequential IO size exceeds optimal iosize, check if there is idle
 * disk. If yes, choose the idle disk.
 */
static bool should_choose_next(struct r1conf *conf, int disk)
{
	struct raid1_info *mirror = &conf->mirrors[disk];
	int opt_iosize;

	if (!test_bit(Nonrot, &mirror->rdev->flags))
		return false;

	opt_iosize = bdev_io_opt(mirror->rdev->bdev) >> 9;
	return opt_iosize > 0 && mirror->seq_start != MaxSector &&
	       mirror->next_seq_sect > opt_iosize &&
	       mirror->next_seq_sect - opt_iosize >= mirror->seq_start;
}

static bool rdev_readable(struct md_rdev *rdev, struct r1bio *r1_bio)
{
	if (!rdev || test_bit(Faulty, &rdev->flags))
		return false;

	if (rdev_in_recovery(rdev, r1_bio))
		return false;

	/* don't read from slow disk unless have to */
	if (test_bit(WriteMostly, &rdev->flags))
		return false;

	/* don't split IO for bad blocks unless have to */
	if (rdev_has_badblock(rdev, r1_bio->sector, r1_bio->sectors))
		return false;

	return true;
}

struct read_balance_ctl {
	sector_t closest_dist;
	int closest_dist_disk;
	int min_pending;
	int min_pending_disk;
	int sequential_disk;
	int readable_disks;
};

static int choose_best_rdev(struct r1conf *conf, struct r1bio *r1_bio)
{
	int disk;
	struct read_balance_ctl ctl = {
		.closest_dist_disk      = -1,
		.closest_dist           = MaxSector,
		.min_pending_disk       = -1,
		.min_pending            = UINT_MAX,
		.sequential_disk	= -1,
	};

	for (disk = 0 ; disk < conf->raid_disks * 2 ; disk++) {
		struct md_rdev *rdev;
		sector_t dist;
		unsigned int pending;

		if (r1_bio->bios[disk] == IO_BLOCKED)
			continue;

		rdev = conf->mirrors[disk].rdev;
		if (!rdev_readable(rdev, r1_bio))
			continue;

		/* At least two disks to choose from so failfast is OK */
		if (ctl.readable_disks++ == 1)
			set_bit(R1BIO_FailFast, &r1_bio->state);

		pending = atomic_read(&rdev->nr_pending);
		dist = abs(r1_bio->sector - conf->mirrors[disk].head_position);

		/* Don't change to another disk for sequential reads */
		if (is_sequential(conf, disk, r1_bio)) {
			if (!should_choose_next(conf, disk))
				return disk;

			/*
			 * Add 'pending' to avoid choosing this disk if
			 * there is other idle disk.
			 */
			pending++;
			/*
			 * If there is no other idle disk, this disk
			 * will be chosen.
			 */
			ctl.sequential_disk = disk;
		}

		if (ctl.min_pending > pending) {
			ctl.min_pending = pending;
			ctl.min_pending_disk = disk;
		}

		if (ctl.closest_dist > dist) {
			ctl.closest_dist = dist;
			ctl.closest_dist_disk = disk;
		}
	}

	/*
	 * sequential IO size exceeds optimal iosize, however, there is no other
	 * idle disk, so choose the sequential disk.
	 */
	if (ctl.sequential_disk != -1 && ctl.min_pending != 0)
		return ctl.sequential_disk;

	/*
	 * If all disks are rotational, choose the closest disk. If any disk is
	 * non-rotational, choose the disk with less pending request even the
	 * disk is rotational, which might/might not be optimal for raids with
	 * mixed ratation/non-rotational disks depending on workload.
	 */
	if (ctl.min_pending_disk != -1 &&
	    (READ_ONCE(conf->nonrot_disks) || ctl.min_pending == 0))
		return ctl.min_pending_disk;
	else
		return ctl.closest_dist_disk;
}

static int read_balance(struct r1conf *conf, struct r1bio *r1_bio,
			int *max_sectors)
{
	int disk;

	clear_bit(R1BIO_FailFast, &r1_bio->state);

	ref_path = "first";	/* reference only */
	if (raid1_should_read_first(conf->mddev, r1_bio->sector,
				    r1_bio->sectors))
		return choose_first_rdev(conf, r1_bio, max_sectors);

	ref_path = "best";	/* reference only */
	disk = choose_best_rdev(conf, r1_bio);
	if (disk >= 0) {
		*max_sectors = r1_bio->sectors;
		update_read_sectors(conf, disk, r1_bio->sector,
				    r1_bio->sectors);
		return disk;
	}

	/*
	 * If we are here it means we didn't find a perfectly good disk so
	 * now spend a bit more time trying to find one with the most good
	 * sectors.
	 */
	ref_path = "bb";	/* reference only */
	disk = choose_bb_rdev(conf, r1_bio, max_sectors);
	if (disk >= 0)
		return disk;

	ref_path = "slow";	/* reference only */
	return choose_slow_rdev(conf, r1_bio, max_sectors);
}

/* ---- the driver of the reference ---- */

static struct mddev mddev;
static struct raid1_info mirrors[MAX_SLOTS];
static struct md_rdev rdevs[MAX_SLOTS];
static struct r1conf conf;
static bool blocked[MAX_SLOTS];

int main(int argc, char **argv)
{
	char cmd[2];
	int slots = 0;

	read_first_skips_recovery = argc > 1 && !strcmp(argv[1], "fixed");
	conf.mddev = &mddev;
	conf.mirrors = mirrors;
	while (scanf("%1s", cmd) == 1) {
		switch (cmd[0]) {
		case 'A': {
			unsigned long long resync;

			if (scanf("%d %llu %d", &slots, &resync,
				  &conf.nonrot_disks) != 3 ||
			    slots < 2 || slots > MAX_SLOTS || slots % 2)
				return 2;
			mddev.resync_offset = resync;
			conf.raid_disks = slots / 2;
			for (int i = 0; i < slots; i++) {
				int rdev, faulty, blk, in_sync, wm, nonrot;
				unsigned int io_opt, pending;
				unsigned long long ro, head, next, start;
				struct md_rdev *r = &rdevs[i];

				if (scanf("%1s %d %d %d %d %llu %d %d %u %llu %llu %llu %u",
					  cmd, &rdev, &faulty, &blk, &in_sync,
					  &ro, &wm, &nonrot, &io_opt, &head,
					  &next, &start, &pending) != 13 ||
				    cmd[0] != 'M')
					return 2;
				memset(r, 0, sizeof(*r));
				r->bdev = &r->bdev_storage;
				r->bdev_storage.io_opt = io_opt;
				r->recovery_offset = ro;
				r->nr_pending.counter = (int)pending;
				if (faulty)
					set_bit(Faulty, &r->flags);
				if (in_sync)
					set_bit(In_sync, &r->flags);
				if (wm)
					set_bit(WriteMostly, &r->flags);
				if (nonrot)
					set_bit(Nonrot, &r->flags);
				mirrors[i].rdev = rdev ? r : NULL;
				mirrors[i].head_position = head;
				mirrors[i].next_seq_sect = next;
				mirrors[i].seq_start = start;
				blocked[i] = blk;
			}
			break;
		}
		case 'R': {
			unsigned long long sector;
			struct r1bio r1_bio;
			int disk, max_sectors = -1;

			if (!slots || scanf("%llu %d", &sector, &r1_bio.sectors) != 2)
				return 2;
			memset(r1_bio.bios, 0, sizeof(r1_bio.bios));
			for (int i = 0; i < slots; i++)
				if (blocked[i])
					r1_bio.bios[i] = IO_BLOCKED;
			r1_bio.state = 0;
			r1_bio.mddev = &mddev;
			r1_bio.sector = sector;
			disk = read_balance(&conf, &r1_bio, &max_sectors);
			if (disk < 0) {
				printf("X\n");
				break;
			}
			printf("D %d %d %s %llu %llu %u\n", disk, max_sectors,
			       ref_path,
			       (unsigned long long)mirrors[disk].next_seq_sect,
			       (unsigned long long)mirrors[disk].seq_start,
			       (unsigned int)atomic_read(&mirrors[disk].rdev->nr_pending));
			break;
		}
		case 'H': {
			unsigned long long sector;
			struct r1bio r1_bio;
			int disk;

			if (scanf("%d %llu %d", &disk, &sector, &r1_bio.sectors) != 3 ||
			    disk < 0 || disk >= slots)
				return 2;
			r1_bio.sector = sector;
			update_head_pos(&conf, disk, &r1_bio);
			break;
		}
		case 'E': {
			int disk;

			if (scanf("%d", &disk) != 1 || disk < 0 || disk >= slots ||
			    !mirrors[disk].rdev)
				return 2;
			mirrors[disk].rdev->nr_pending.counter =
				(int)((unsigned int)mirrors[disk].rdev->nr_pending.counter - 1);
			break;
		}
		default:
			return 2;
		}
	}
	return 0;
}
