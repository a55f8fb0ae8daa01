// SPDX-License-Identifier: GPL-2.0
/*
 * The reference rust_md's raid0 and linear address mapping is checked
 * against (tests/host/tests_maps.rs compiles and runs it): md's own code,
 * copied with the kernel types replaced by plain C ones and what is not
 * address arithmetic (bios, logging, queue limits, takeover) left out.
 *
 *  - drivers/md/raid0.c, Linux 6.12: create_strip_zones, find_zone,
 *    map_sector, raid0_size, raid0_run's chunk check, raid0_make_request's
 *    split length, raid0_map_submit_bio's layout dispatch and
 *    raid0_handle_discard.
 *  - drivers/md/md-linear.c, Linux 6.14: linear_conf, which_dev and
 *    linear_make_request's bounds.
 *
 * Originals: Copyright (C) 1994-96 Marc ZYNGIER, (C) 1999, 2000 Ingo Molnar,
 * Red Hat, and md's later authors.
 *
 * Protocol, one command a line on stdin, answers on stdout:
 *   R chunk layout default_layout block_size n size...   (a raid0 array)
 *     -> "ERR errno" or "OK layout array_sectors zones", then per zone
 *        "Z zone_end dev_start nb_dev disk_shift slot..."
 *   L chunk n size...                                    (a linear array)
 *     -> "ERR" or "OK array_sectors"
 *   M sector        (map in the last array) -> "M slot sector sectors" or "X"
 *   D start end     (raid0 discard)  -> "D part_end count slot sector sectors..."
 * Members are bound in an order other than their slots, as in md.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef uint64_t sector_t;

/* include/asm-generic/div64.h: divides n in place, returns the remainder */
#define sector_div(n, base) ({					\
	uint32_t __base = (base);				\
	uint32_t __rem = (uint64_t)(n) % __base;		\
	(n) = (uint64_t)(n) / __base;				\
	__rem;							\
})

static int is_power_of_2(unsigned long n)
{
	return n != 0 && (n & (n - 1)) == 0;
}

static unsigned long ffz(unsigned long word)
{
	return __builtin_ctzl(~word);
}

#define MAX_MEMBERS 64

struct md_rdev {
	sector_t sectors;
	int raid_disk;
	int new_raid_disk;
	unsigned int logical_block_size;
};

struct mddev {
	int level;
	int layout;
	int chunk_sectors;
	int raid_disks;
	void *private;
	int nr_rdevs;
	struct md_rdev rdevs[MAX_MEMBERS];
};

#define rdev_for_each(rdev, mddev) \
	for (rdev = (mddev)->rdevs; rdev < (mddev)->rdevs + (mddev)->nr_rdevs; rdev++)

/* raid0.h */
struct strip_zone {
	sector_t zone_end;	/* Start of the next zone (in sectors) */
	sector_t dev_start;	/* Zone offset in real dev (in sectors) */
	int	 nb_dev;	/* # of devices attached to the zone */
	int	 disk_shift;	/* start disk for the original layout */
};

enum r0layout {
	RAID0_ORIG_LAYOUT = 1,
	RAID0_ALT_MULTIZONE_LAYOUT = 2,
};
struct r0conf {
	struct strip_zone	*strip_zone;
	struct md_rdev		**devlist;
	int			nr_strip_zones;
	enum r0layout		layout;
};

static int default_layout = 0;

/* raid0.c */
static int create_strip_zones(struct mddev *mddev, struct r0conf **private_conf)
{
	int i, c, err;
	sector_t curr_zone_end, sectors;
	struct md_rdev *smallest, *rdev1, *rdev2, *rdev, **dev;
	struct strip_zone *zone;
	int cnt;
	struct r0conf *conf = calloc(1, sizeof(*conf));
	unsigned blksize = 512;

	*private_conf = NULL;
	if (!conf)
		return -ENOMEM;
	rdev_for_each(rdev1, mddev) {
		c = 0;

		/* round size to chunk_size */
		sectors = rdev1->sectors;
		sector_div(sectors, mddev->chunk_sectors);
		rdev1->sectors = sectors * mddev->chunk_sectors;

		if (rdev1->logical_block_size > blksize)
			blksize = rdev1->logical_block_size;

		rdev_for_each(rdev2, mddev) {
			if (rdev2 == rdev1)
				break;
			if (rdev2->sectors == rdev1->sectors) {
				/*
				 * Not unique, don't count it as a new
				 * group
				 */
				c = 1;
				break;
			}
		}
		if (!c)
			conf->nr_strip_zones++;
	}

	/*
	 * now since we have the hard sector sizes, we can make sure
	 * chunk size is a multiple of that sector size
	 */
	if ((mddev->chunk_sectors << 9) % blksize) {
		err = -EINVAL;
		goto abort;
	}

	err = -ENOMEM;
	conf->strip_zone = calloc(conf->nr_strip_zones,
				  sizeof(struct strip_zone));
	if (!conf->strip_zone)
		goto abort;
	conf->devlist = calloc((size_t)conf->nr_strip_zones * mddev->raid_disks,
			       sizeof(struct md_rdev *));
	if (!conf->devlist)
		goto abort;

	/* The first zone must contain all devices, so here we check that
	 * there is a proper alignment of slots to devices and find them all
	 */
	zone = &conf->strip_zone[0];
	cnt = 0;
	smallest = NULL;
	dev = conf->devlist;
	err = -EINVAL;
	rdev_for_each(rdev1, mddev) {
		int j = rdev1->raid_disk;

		if (mddev->level == 10) {
			/* taking over a raid10-n2 array */
			j /= 2;
			rdev1->new_raid_disk = j;
		}

		if (mddev->level == 1) {
			/* taiking over a raid1 array-
			 * we have only one active disk
			 */
			j = 0;
			rdev1->new_raid_disk = j;
		}

		if (j < 0)
			goto abort;
		if (j >= mddev->raid_disks)
			goto abort;
		if (dev[j])
			goto abort;
		dev[j] = rdev1;

		if (!smallest || (rdev1->sectors < smallest->sectors))
			smallest = rdev1;
		cnt++;
	}
	if (cnt != mddev->raid_disks)
		goto abort;
	zone->nb_dev = cnt;
	zone->zone_end = smallest->sectors * cnt;

	curr_zone_end = zone->zone_end;

	/* now do the other zones */
	for (i = 1; i < conf->nr_strip_zones; i++)
	{
		int j;

		zone = conf->strip_zone + i;
		dev = conf->devlist + i * mddev->raid_disks;

		zone->dev_start = smallest->sectors;
		smallest = NULL;
		c = 0;

		for (j=0; j<cnt; j++) {
			rdev = conf->devlist[j];
			if (rdev->sectors <= zone->dev_start)
				continue;
			dev[c] = rdev;
			c++;
			if (!smallest || rdev->sectors < smallest->sectors)
				smallest = rdev;
		}

		zone->nb_dev = c;
		sectors = (smallest->sectors - zone->dev_start) * c;

		curr_zone_end += sectors;
		zone->zone_end = curr_zone_end;
	}

	if (conf->nr_strip_zones == 1 || conf->strip_zone[1].nb_dev == 1) {
		conf->layout = RAID0_ORIG_LAYOUT;
	} else if (mddev->layout == RAID0_ORIG_LAYOUT ||
		   mddev->layout == RAID0_ALT_MULTIZONE_LAYOUT) {
		conf->layout = mddev->layout;
	} else if (default_layout == RAID0_ORIG_LAYOUT ||
		   default_layout == RAID0_ALT_MULTIZONE_LAYOUT) {
		conf->layout = default_layout;
	} else {
		err = -EOPNOTSUPP;
		goto abort;
	}

	if (conf->layout == RAID0_ORIG_LAYOUT) {
		for (i = 1; i < conf->nr_strip_zones; i++) {
			sector_t first_sector = conf->strip_zone[i-1].zone_end;

			sector_div(first_sector, mddev->chunk_sectors);
			zone = conf->strip_zone + i;
			/* disk_shift is first disk index used in the zone */
			zone->disk_shift = sector_div(first_sector,
						      zone->nb_dev);
		}
	}

	*private_conf = conf;

	return 0;
abort:
	free(conf->strip_zone);
	free(conf->devlist);
	free(conf);
	*private_conf = NULL;
	return err;
}

/* Find the zone which holds a particular offset
 * Update *sectorp to be an offset in that zone
 */
static struct strip_zone *find_zone(struct r0conf *conf,
				    sector_t *sectorp)
{
	int i;
	struct strip_zone *z = conf->strip_zone;
	sector_t sector = *sectorp;

	for (i = 0; i < conf->nr_strip_zones; i++)
		if (sector < z[i].zone_end) {
			if (i)
				*sectorp = sector - z[i-1].zone_end;
			return z + i;
		}
	return NULL; /* md: BUG() */
}

/*
 * remaps the bio to the target device. we separate two flows.
 * power 2 flow and a general flow for the sake of performance
*/
static struct md_rdev *map_sector(struct mddev *mddev, struct strip_zone *zone,
				sector_t sector, sector_t *sector_offset)
{
	unsigned int sect_in_chunk;
	sector_t chunk;
	struct r0conf *conf = mddev->private;
	int raid_disks = conf->strip_zone[0].nb_dev;
	unsigned int chunk_sects = mddev->chunk_sectors;

	if (is_power_of_2(chunk_sects)) {
		int chunksect_bits = ffz(~chunk_sects);
		/* find the sector offset inside the chunk */
		sect_in_chunk  = sector & (chunk_sects - 1);
		sector >>= chunksect_bits;
		/* chunk in zone */
		chunk = *sector_offset;
		/* quotient is the chunk in real device*/
		sector_div(chunk, zone->nb_dev << chunksect_bits);
	} else{
		sect_in_chunk = sector_div(sector, chunk_sects);
		chunk = *sector_offset;
		sector_div(chunk, chunk_sects * zone->nb_dev);
	}
	/*
	*  position the bio over the real device
	*  real sector = chunk in device + starting of zone
	*	+ the position in the chunk
	*/
	*sector_offset = (chunk * chunk_sects) + sect_in_chunk;
	return conf->devlist[(zone - conf->strip_zone)*raid_disks
			     + sector_div(sector, zone->nb_dev)];
}

static sector_t raid0_size(struct mddev *mddev, sector_t sectors, int raid_disks)
{
	sector_t array_sectors = 0;
	struct md_rdev *rdev;

	(void)sectors;
	(void)raid_disks;
	rdev_for_each(rdev, mddev)
		array_sectors += (rdev->sectors &
				  ~(sector_t)(mddev->chunk_sectors-1));

	return array_sectors;
}

static int raid0_run(struct mddev *mddev)
{
	struct r0conf *conf;
	int ret;

	if (mddev->chunk_sectors == 0)
		return -EINVAL;
	ret = create_strip_zones(mddev, &conf);
	if (ret < 0)
		return ret;
	mddev->private = conf;
	return 0;
}

static int map_disk_shift(int disk_index, int num_disks, int disk_shift)
{
	return ((disk_index + num_disks - disk_shift) % num_disks);
}

/* md_submit_discard_bio, for the reference: notes the member range */
static char discard_ranges[64 * MAX_MEMBERS];
static int discard_len, discard_count;

static void md_submit_discard_bio(struct md_rdev *rdev, sector_t start,
				  sector_t size)
{
	discard_len += snprintf(discard_ranges + discard_len,
				sizeof(discard_ranges) - discard_len,
				" %d %llu %llu", rdev->raid_disk,
				(unsigned long long)start,
				(unsigned long long)size);
	discard_count++;
}

/* raid0_handle_discard for the bio [bio_sector, bio_end): the bio split at
 * the zone end, then the member ranges */
static void raid0_handle_discard(struct mddev *mddev, sector_t bio_sector,
				 sector_t bio_end)
{
	struct r0conf *conf = mddev->private;
	struct strip_zone *zone;
	sector_t start = bio_sector;
	sector_t end;
	unsigned int stripe_size;
	sector_t first_stripe_index, last_stripe_index;
	sector_t start_disk_offset;
	unsigned int start_disk_index;
	sector_t end_disk_offset;
	unsigned int end_disk_index;
	unsigned int disk;
	sector_t orig_start, orig_end;
	sector_t part_end; /* the reference's: where the (split) bio ends */

	orig_start = start;
	zone = find_zone(conf, &start);
	if (!zone) {
		printf("X\n");
		return;
	}

	if (bio_end > zone->zone_end)
		end = zone->zone_end;
	else
		end = bio_end;
	discard_len = 0;
	discard_count = 0;
	discard_ranges[0] = 0;

	part_end = end;
	orig_end = end;
	if (zone != conf->strip_zone)
		end = end - zone[-1].zone_end;

	/* Now start and end is the offset in zone */
	stripe_size = zone->nb_dev * mddev->chunk_sectors;

	first_stripe_index = start;
	sector_div(first_stripe_index, stripe_size);
	last_stripe_index = end;
	sector_div(last_stripe_index, stripe_size);

	/* In the first zone the original and alternate layouts are the same */
	if ((conf->layout == RAID0_ORIG_LAYOUT) && (zone != conf->strip_zone)) {
		sector_div(orig_start, mddev->chunk_sectors);
		start_disk_index = sector_div(orig_start, zone->nb_dev);
		start_disk_index = map_disk_shift(start_disk_index,
						  zone->nb_dev,
						  zone->disk_shift);
		sector_div(orig_end, mddev->chunk_sectors);
		end_disk_index = sector_div(orig_end, zone->nb_dev);
		end_disk_index = map_disk_shift(end_disk_index,
						zone->nb_dev, zone->disk_shift);
	} else {
		start_disk_index = (int)(start - first_stripe_index * stripe_size) /
			mddev->chunk_sectors;
		end_disk_index = (int)(end - last_stripe_index * stripe_size) /
			mddev->chunk_sectors;
	}
	start_disk_offset = ((int)(start - first_stripe_index * stripe_size) %
		mddev->chunk_sectors) +
		first_stripe_index * mddev->chunk_sectors;
	end_disk_offset = ((int)(end - last_stripe_index * stripe_size) %
		mddev->chunk_sectors) +
		last_stripe_index * mddev->chunk_sectors;

	for (disk = 0; disk < zone->nb_dev; disk++) {
		sector_t dev_start, dev_end;
		struct md_rdev *rdev;
		int compare_disk;

		compare_disk = map_disk_shift(disk, zone->nb_dev,
					      zone->disk_shift);

		if (compare_disk < start_disk_index)
			dev_start = (first_stripe_index + 1) *
				mddev->chunk_sectors;
		else if (compare_disk > start_disk_index)
			dev_start = first_stripe_index * mddev->chunk_sectors;
		else
			dev_start = start_disk_offset;

		if (compare_disk < end_disk_index)
			dev_end = (last_stripe_index + 1) * mddev->chunk_sectors;
		else if (compare_disk > end_disk_index)
			dev_end = last_stripe_index * mddev->chunk_sectors;
		else
			dev_end = end_disk_offset;

		if (dev_end <= dev_start)
			continue;

		rdev = conf->devlist[(zone - conf->strip_zone) *
			conf->strip_zone[0].nb_dev + disk];
		md_submit_discard_bio(rdev,
			dev_start + zone->dev_start /* + rdev->data_offset */,
			dev_end - dev_start);
	}
	printf("D %llu %d%s\n", (unsigned long long)part_end, discard_count,
	       discard_ranges);
}

/* raid0_make_request's split length, then raid0_map_submit_bio's mapping */
static void raid0_make_request(struct mddev *mddev, sector_t bio_sector)
{
	struct r0conf *conf = mddev->private;
	struct strip_zone *zone;
	struct md_rdev *tmp_dev;
	sector_t sector;
	unsigned chunk_sects;
	unsigned sectors;

	sector = bio_sector;
	chunk_sects = mddev->chunk_sectors;

	sectors = chunk_sects -
		(is_power_of_2(chunk_sects)
		 ? (sector & (chunk_sects-1))
		 : sector_div(sector, chunk_sects));

	sector = bio_sector;
	zone = find_zone(mddev->private, &sector);
	if (!zone) {
		printf("X\n");
		return;
	}
	switch (conf->layout) {
	case RAID0_ORIG_LAYOUT:
		tmp_dev = map_sector(mddev, zone, bio_sector, &sector);
		break;
	case RAID0_ALT_MULTIZONE_LAYOUT:
		tmp_dev = map_sector(mddev, zone, sector, &sector);
		break;
	default:
		abort();
	}
	printf("M %d %llu %u\n", tmp_dev->raid_disk,
	       (unsigned long long)(sector + zone->dev_start), sectors);
}

/* md-linear.h */
struct dev_info {
	struct md_rdev	*rdev;
	sector_t	end_sector;
};

struct linear_conf {
	sector_t		array_sectors;
	int			raid_disks; /* a copy of mddev->raid_disks */
	struct dev_info		disks[MAX_MEMBERS];
};

/* md-linear.c */
static inline struct dev_info *which_dev(struct mddev *mddev, sector_t sector)
{
	int lo, mid, hi;
	struct linear_conf *conf;

	lo = 0;
	hi = mddev->raid_disks - 1;
	conf = mddev->private;

	/*
	 * Binary Search
	 */

	while (hi > lo) {

		mid = (hi + lo) / 2;
		if (sector < conf->disks[mid].end_sector)
			hi = mid;
		else
			lo = mid + 1;
	}

	return conf->disks + lo;
}

static struct linear_conf *linear_conf(struct mddev *mddev, int raid_disks)
{
	struct linear_conf *conf;
	struct md_rdev *rdev;
	int i, cnt;

	conf = calloc(1, sizeof(*conf));
	if (!conf)
		return NULL;

	conf->raid_disks = raid_disks;

	cnt = 0;
	conf->array_sectors = 0;

	rdev_for_each(rdev, mddev) {
		int j = rdev->raid_disk;
		struct dev_info *disk = conf->disks + j;
		sector_t sectors;

		if (j < 0 || j >= raid_disks || disk->rdev)
			goto out;

		disk->rdev = rdev;
		if (mddev->chunk_sectors) {
			sectors = rdev->sectors;
			sector_div(sectors, mddev->chunk_sectors);
			rdev->sectors = sectors * mddev->chunk_sectors;
		}

		conf->array_sectors += rdev->sectors;
		cnt++;
	}
	if (cnt != raid_disks)
		goto out;

	/*
	 * Here we calculate the device offsets.
	 */
	conf->disks[0].end_sector = conf->disks[0].rdev->sectors;

	for (i = 1; i < raid_disks; i++)
		conf->disks[i].end_sector =
			conf->disks[i-1].end_sector +
			conf->disks[i].rdev->sectors;

	return conf;

out:
	free(conf);
	return NULL;
}

/* linear_make_request's device choice, bounds check and split length */
static void linear_make_request(struct mddev *mddev, sector_t bio_sector)
{
	struct dev_info *tmp_dev;
	sector_t start_sector, end_sector;

	tmp_dev = which_dev(mddev, bio_sector);
	start_sector = tmp_dev->end_sector - tmp_dev->rdev->sectors;
	end_sector = tmp_dev->end_sector;

	if (bio_sector >= end_sector || bio_sector < start_sector) {
		printf("X\n"); /* out_of_bounds */
		return;
	}
	printf("M %d %llu %llu\n", tmp_dev->rdev->raid_disk,
	       (unsigned long long)(bio_sector - start_sector),
	       (unsigned long long)(end_sector - bio_sector));
}

/* The harness */

static struct mddev mddev;
static int is_linear;

static void free_conf(void)
{
	if (mddev.private && !is_linear) {
		struct r0conf *conf = mddev.private;

		free(conf->strip_zone);
		free(conf->devlist);
	}
	free(mddev.private);
	mddev.private = NULL;
}

/* Members bound in a rotated order: md keeps them in binding order, and
 * only their raid_disk says where they go. */
static void read_members(int n, unsigned int block_size)
{
	int i;

	mddev.raid_disks = n;
	mddev.nr_rdevs = n;
	for (i = 0; i < n; i++) {
		struct md_rdev *rdev = &mddev.rdevs[(i + n / 2) % n];
		unsigned long long sectors;

		if (scanf("%llu", &sectors) != 1)
			exit(2);
		rdev->sectors = sectors;
		rdev->raid_disk = i;
		rdev->logical_block_size = block_size;
	}
}

int main(void)
{
	char cmd[2];

	while (scanf("%1s", cmd) == 1) {
		unsigned long long a, b;
		int n, layout, deflayout;
		unsigned int chunk, block_size;

		switch (cmd[0]) {
		case 'R':
			free_conf();
			is_linear = 0;
			if (scanf("%u %d %d %u %d", &chunk, &layout, &deflayout,
				  &block_size, &n) != 5 || n < 1 || n > MAX_MEMBERS)
				return 2;
			mddev.level = 0;
			mddev.chunk_sectors = chunk;
			mddev.layout = layout;
			default_layout = deflayout;
			read_members(n, block_size);
			n = raid0_run(&mddev);
			if (n) {
				printf("ERR %d\n", n);
			} else {
				struct r0conf *conf = mddev.private;
				int i, k;

				printf("OK %d %llu %d\n", conf->layout,
				       (unsigned long long)raid0_size(&mddev, 0, 0),
				       conf->nr_strip_zones);
				for (i = 0; i < conf->nr_strip_zones; i++) {
					struct strip_zone *z = conf->strip_zone + i;

					printf("Z %llu %llu %d %d",
					       (unsigned long long)z->zone_end,
					       (unsigned long long)z->dev_start,
					       z->nb_dev, z->disk_shift);
					for (k = 0; k < z->nb_dev; k++)
						printf(" %d", conf->devlist[i * mddev.raid_disks + k]->raid_disk);
					printf("\n");
				}
			}
			break;
		case 'L':
			free_conf();
			is_linear = 1;
			if (scanf("%u %d", &chunk, &n) != 2 || n < 1 || n > MAX_MEMBERS)
				return 2;
			mddev.level = -1;
			mddev.chunk_sectors = chunk;
			read_members(n, 512);
			mddev.private = linear_conf(&mddev, n);
			if (!mddev.private)
				printf("ERR\n");
			else
				printf("OK %llu\n", (unsigned long long)
				       ((struct linear_conf *)mddev.private)->array_sectors);
			break;
		case 'M':
			if (scanf("%llu", &a) != 1 || !mddev.private)
				return 2;
			if (is_linear)
				linear_make_request(&mddev, a);
			else
				raid0_make_request(&mddev, a);
			break;
		case 'D':
			if (scanf("%llu %llu", &a, &b) != 2 || !mddev.private || is_linear)
				return 2;
			raid0_handle_discard(&mddev, a, b);
			break;
		default:
			return 2;
		}
	}
	free_conf();
	return 0;
}
