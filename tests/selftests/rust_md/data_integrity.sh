#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Data through the array: a deterministic pattern (md_pattern: each sector
# derived from the seed and its offset in the array) written through
# /dev/mdX buffered and with O_DIRECT, in request sizes from 1536 bytes to
# 1 MiB, at offsets that straddle chunk boundaries (and for buffered I/O,
# sector boundaries), up to the array's last byte; read back both ways;
# found on the members where md puts it (raid0 chunk mapping, linear
# concatenation at the data offsets); fio random writes with verification;
# and all of it again after stop and assemble. raid0 with one zone (three
# equal members) and with three zones (unequal loop members); linear 1.2
# and 0.90 (rust_md only: the C md of 6.12 has no linear).
#
# RMD_DRIVER=rust|c picks the driver. Each assembly gets a unit of its
# own: the C md frees a unit only seconds after a stop on the debug kernel.
. "$(dirname "$0")/lib.sh"

ktap_print_header
ktap_set_plan 23
rmd_setup

drv=$RMD_DRIVER
load_md_levels "$drv"
stop() { mdadm --stop "$@" >/dev/null 2>&1; }

# ---- raid0, one zone: vda vdb vdc, 64 KiB chunks --------------------------
DEVS=(/dev/vda /dev/vdb /dev/vdc)
mdadm --create /dev/md0 --run -l0 -n3 -c 64 "${DEVS[@]}" >/dev/null 2>&1
dev_bytes /dev/md0
size=$BYTES
f=($(md_sb /dev/vda 1.2 get data_offset))
doff=$((f[1] * 512))
C=65536
# off len bs direct: the ranges, each written once with seed 31.
RANGES=(
	"0 1048576 4096 0"
	"61440 532480 12288 0"
	"1000000 300001 3000 0"
	"2097664 1050112 1536 1"
	"4194304 4194304 1048576 1"
	"9433088 204800 131584 1"
	"$((size - 1049088)) 1049088 196608 1"
)
for r in "${RANGES[@]}"; do
	read -r off len bs direct <<<"$r"
	out=$(md_pattern write /dev/md0 seed=31 off=$off len=$len bs=$bs direct=$direct 2>&1 &&
		md_pattern verify /dev/md0 seed=31 off=$off len=$len 2>&1 &&
		if [ $(( (off | len) % 512 )) = 0 ]; then
			md_pattern verify /dev/md0 seed=31 off=$off len=$len bs=65536 direct=1 2>&1
		fi)
	rc=$?
	how="$bs-byte requests"
	[ $direct = 1 ] && how+=", O_DIRECT"
	ktap_check_out "$drv raid0: $len bytes at $off in $how: read back" $rc "$out"
done

# Chunk c of the array is chunk c/3 of member c%3 (one zone).
bad=""
last=$(( size / C - 1 ))
for c in 0 1 2 3 15 64 65 66 67 127 $last; do
	m=${DEVS[$((c % 3))]}
	md_pattern verify "$m" seed=31 off=$((doff + c / 3 * C)) len=$C aoff=$((c * C)) >/dev/null || bad+=" $c"
done
[ -z "$bad" ]
ktap_check_out "$drv raid0: array chunk c is on member c%3 at data offset + c/3 chunks" $? "${bad:+wrong chunks:$bad}"

fio_job=(--name=rmd --filename=/dev/md0 --offset=16m --size=24m --rw=randwrite
	--bsrange=512-192k --direct=1 --ioengine=libaio --iodepth=8
	--verify=crc32c --verify_fatal=1 --randrepeat=1 --randseed=7 --output-format=terse)
out=$(fio "${fio_job[@]}" 2>&1)
ktap_check_out "$drv raid0: fio random O_DIRECT writes (512 B-192 KiB, depth 8) verify" $? "$(tail -5 <<<"$out")"

stop /dev/md0
out=$(mdadm --assemble /dev/md4 "${DEVS[@]}" 2>&1)
[ $? = 0 ]
ktap_check_out "$drv raid0: assembled again (as md4)" $? "$out"
bad=""
for r in "${RANGES[@]}"; do
	read -r off len bs direct <<<"$r"
	md_pattern verify /dev/md4 seed=31 off=$off len=$len >/dev/null || bad+=" $off+$len"
done
[ -z "$bad" ]
ktap_check_out "$drv raid0: after stop and assemble every range reads back" $? "${bad:+bad ranges:$bad}"
out=$(fio "${fio_job[@]/#--filename=*/--filename=/dev/md4}" --verify_only 2>&1)
ktap_check_out "$drv raid0: and so does fio's data" $? "$(tail -5 <<<"$out")"
stop /dev/md4

# ---- raid0, three zones: 2, 3 and 4 MiB members ------------------------------
loop_make 0 2M && loop_make 1 3M && loop_make 2 4M
L=(/dev/loop0 /dev/loop1 /dev/loop2)
out=$(mdadm --create /dev/md1 --run -l0 -n3 -c 64 "${L[@]}" 2>&1)
rc=$?
getv v /sys/block/md1/md/layout
[ $rc = 0 ] && [ "$v" = 1 ]
ktap_check_out "$drv raid0 3 zones: created (mdadm sets layout original)" $? "$out"
out=$(md_pattern write /dev/md1 seed=32 bs=100000 2>&1 && md_pattern verify /dev/md1 seed=32 2>&1)
ktap_check_out "$drv raid0 3 zones: the whole array, buffered 100000-byte requests, reads back" $? "$out"
out=$(md_pattern verify /dev/md1 seed=32 direct=1 bs=1m 2>&1)
ktap_check_out "$drv raid0 3 zones: and with O_DIRECT 1 MiB reads" $? "$out"
# The last zone has one member, the largest: the array's last chunk is the
# last chunk of loop2's data.
dev_bytes /dev/md1
asize=$BYTES
f=($(md_sb /dev/loop2 1.2 get data_offset data_size))
dend=$(( (f[1] + f[2] / 128 * 128) * 512 ))
out=$(md_pattern verify /dev/loop2 seed=32 off=$((dend - C)) len=$C aoff=$((asize - C)) 2>&1)
ktap_check_out "$drv raid0 3 zones: the array's end is the end of the largest member's data" $? "$out"
stop /dev/md1
out=$(mdadm --assemble /dev/md5 "${L[@]}" 2>&1 && md_pattern verify /dev/md5 seed=32 direct=1 bs=256k 2>&1)
ktap_check_out "$drv raid0 3 zones: after stop and assemble the array reads back" $? "$out"
stop /dev/md5

# ---- linear (rust_md only) -------------------------------------------------
if has_linear "$drv"; then
	# 1.2 on vda vdb: vda's data holds the array's start, vdb's the rest.
	wipe_sb /dev/vda /dev/vdb
	mdadm --create /dev/md2 --run -l linear -n2 /dev/vda /dev/vdb >/dev/null 2>&1
	f=($(md_sb /dev/vda 1.2 get data_offset data_size))
	d0=$((f[1] * 512))
	b=$((f[2] * 512))	# the boundary
	f=($(md_sb /dev/vdb 1.2 get data_offset))
	d1=$((f[1] * 512))
	dev_bytes /dev/md2
	asize=$BYTES
	out=$(md_pattern write /dev/md2 seed=33 len=256k bs=24k 2>&1 &&
		md_pattern write /dev/md2 seed=33 off=$((b - 98304)) len=196608 bs=24576 2>&1 &&
		md_pattern write /dev/md2 seed=33 off=$((b + 1048576 - 65536)) len=131072 bs=131072 direct=1 2>&1 &&
		md_pattern write /dev/md2 seed=33 off=$((asize - 65536)) len=65536 bs=4096 direct=1 2>&1 &&
		md_pattern verify /dev/md2 seed=33 off=$((b - 98304)) len=196608 2>&1 &&
		md_pattern verify /dev/md2 seed=33 off=$((b + 1048576 - 65536)) len=131072 direct=1 2>&1)
	ktap_check_out "$drv linear 1.2: writes across the member boundary read back" $? "$out"
	out=$(md_pattern verify /dev/vda seed=33 off=$d0 len=256k aoff=0 2>&1 &&
		md_pattern verify /dev/vda seed=33 off=$((d0 + b - 98304)) len=98304 aoff=$((b - 98304)) 2>&1 &&
		md_pattern verify /dev/vdb seed=33 off=$d1 len=98304 aoff=$b 2>&1 &&
		md_pattern verify /dev/vdb seed=33 off=$((d1 + 1048576 - 65536)) len=131072 aoff=$((b + 1048576 - 65536)) 2>&1 &&
		md_pattern verify /dev/vdb seed=33 off=$((d1 + asize - b - 65536)) len=65536 aoff=$((asize - 65536)) 2>&1)
	ktap_check_out "$drv linear 1.2: on the members, concatenated at their data offsets" $? "$out"
	ktap_eq "$drv linear 1.2: size is the sum of the members' data" "$asize" $((2 * b))
	stop /dev/md2
	out=$(mdadm --assemble /dev/md6 /dev/vda /dev/vdb 2>&1 &&
		md_pattern verify /dev/md6 seed=33 off=$((b - 98304)) len=196608 direct=1 bs=8k 2>&1)
	ktap_check_out "$drv linear 1.2: after stop and assemble it reads back" $? "$out"
	stop /dev/md6

	# 0.90 on unequal members: data from offset 0 to the superblock.
	wipe_sb "${L[@]}"
	mdadm --create /dev/md3 --run -e 0.90 -l linear -n3 "${L[@]}" >/dev/null 2>&1
	out=$(md_pattern write /dev/md3 seed=34 bs=77777 2>&1 && md_pattern verify /dev/md3 seed=34 direct=1 2>&1)
	ktap_check_out "$drv linear 0.90, 3 unequal members: the whole array reads back" $? "$out"
	a=0 out="" rc=0
	for m in "${L[@]}"; do
		dev_bytes $m
		s=$(( ((BYTES / 512 & ~127) - 128) * 512 ))
		out+="$m: $(md_pattern verify $m seed=34 len=$s aoff=$a 2>&1)"$'\n' || rc=1
		a=$((a + s))
	done
	dev_bytes /dev/md3
	[ $rc = 0 ] && [ "$a" = "$BYTES" ]
	ktap_check_out "$drv linear 0.90: each member from 0 to its superblock, in order" $? "$out"
	stop /dev/md3
else
	ktap_skip_n 6 "$drv linear: the C md of 6.12 has no linear"
fi

rmd_cleanup
ktap_finished
