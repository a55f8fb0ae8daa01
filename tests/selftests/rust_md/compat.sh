#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Compatibility with the C md of the same kernel, both ways: raid0 arrays
# created and written by the C md are assembled by the driver under test
# and read back correctly; what that driver then writes, the C md reads
# back correctly. raid0 with one zone (1.2), three zones in md's two
# multi-zone layouts (original and alternate), 0.90, and --build without a
# superblock; neither driver rewrites a raid0 superblock. linear (the C md
# of 6.12 has none): an array the driver under test creates has each
# member's slice at the member's data offset, which is md's layout.
#
# The driver under test is RMD_DRIVER (default rust); RMD_DRIVER=c checks
# the test itself, C md against C md.
. "$(dirname "$0")/lib.sh"

ktap_print_header
ktap_set_plan 24

B=$RMD_DRIVER
stop() { mdadm --stop "$@" >/dev/null 2>&1; }
mdadm_forget
wipe_sb /dev/vda /dev/vdb /dev/vdc /dev/vdd
loop_make 0 4M && loop_make 1 6M && loop_make 2 10M
loop_make 3 4M && loop_make 4 6M && loop_make 5 10M
loop_make 6 8M && loop_make 7 8M
R1=(/dev/vda /dev/vdb) R2=(/dev/loop0 /dev/loop1 /dev/loop2)
R3=(/dev/loop3 /dev/loop4 /dev/loop5) R4=(/dev/vdc /dev/vdd) R5=(/dev/loop6 /dev/loop7)
NAMES=("raid0 1.2" "raid0 1.2, 3 zones, layout original" "raid0 1.2, 3 zones, layout alternate"
	"raid0 0.90" "raid0 --build")

# The big arrays get their data in ranges: the start, the middle (odd
# offsets and sizes), the end; seed 52 (written by B) in other ranges.
ranges() { # ranges <md> <seed>
	local s mid
	s=$(blockdev --getsize64 "$1")
	mid=$((s / 2))
	if [ "$2" = 51 ]; then
		echo "0 2097152 $((mid + 1000)) 1049100 $((s - 2097152)) 2097152"
	else
		echo "4194304 1048576 $((mid + 3000000)) 777777 $((s - 4194304)) 1048576"
	fi
}
# data <write|verify> <md> <seed> <whole>: the pattern over the whole array,
# or over its ranges.
data() {
	local mode=$1 md=$2 seed=$3 whole=$4 r off len
	if [ "$whole" = whole ]; then
		md_pattern "$mode" "$md" seed="$seed" bs=200000 || return 1
		return 0
	fi
	r=($(ranges "$md" "$seed"))
	while [ ${#r[@]} -gt 0 ]; do
		off=${r[0]} len=${r[1]}
		r=("${r[@]:2}")
		md_pattern "$mode" "$md" seed="$seed" off="$off" len="$len" bs=12k || return 1
	done
}
WHOLE=("" whole whole "" whole)

# Start (assemble, or build) array i as /dev/md$i.
start() {
	local i=$1
	case $i in
	0) mdadm --assemble /dev/md0 "${R1[@]}" ;;
	1) mdadm --assemble /dev/md1 "${R2[@]}" ;;
	2) mdadm --assemble /dev/md2 "${R3[@]}" ;;
	3) mdadm --assemble /dev/md3 "${R4[@]}" ;;
	4) mdadm --build /dev/md4 -l0 -n2 -c 32 "${R5[@]}" ;;
	esac
}
stop_all() {
	local i
	for i in 0 1 2 3 4; do
		stop /dev/md$i
		wait_md_gone md$i
	done
}

# ---- the C md creates and writes ------------------------------------------
load_md_levels c
mdadm --create /dev/md0 --run -l0 -n2 -c 64 "${R1[@]}" >/dev/null 2>&1
mdadm --create /dev/md1 --run -l0 -n3 -c 64 --layout=original "${R2[@]}" >/dev/null 2>&1
mdadm --create /dev/md2 --run -l0 -n3 -c 64 --layout=alternate "${R3[@]}" >/dev/null 2>&1
make_090_raid0 64 "${R4[@]}" && mdadm --assemble /dev/md3 "${R4[@]}" >/dev/null 2>&1
mdadm --build /dev/md4 -l0 -n2 -c 32 "${R5[@]}" >/dev/null 2>&1
setup=""
for i in 0 1 2 3 4; do
	data write /dev/md$i 51 "${WHOLE[$i]}" >/dev/null || setup+=" md$i"
done
for d in "${R1[@]}" "${R2[@]}" "${R3[@]}"; do md_sb $d 1.2 save /tmp/rmd-sb-${d#/dev/} >/dev/null; done
for d in "${R4[@]}"; do md_sb $d 0.90 save /tmp/rmd-sb-${d#/dev/} >/dev/null; done
[ -n "$setup" ] && echo "# the C md could not set up:$setup"
stop_all
md_reset

# ---- B assembles, reads, writes --------------------------------------------
load_md_levels "$B"
for i in 0 1 2 3 4; do
	out=$(start $i 2>&1)
	ktap_check_out "c -> $B: ${NAMES[$i]}: started" $? "$out"
	out=$(data verify /dev/md$i 51 "${WHOLE[$i]}" 2>&1)
	ktap_check_out "c -> $B: ${NAMES[$i]}: the C md's data reads back" $? "$out"
done
out=""
for i in 0 1 2 3 4; do
	data write /dev/md$i 52 "${WHOLE[$i]}" >/dev/null || out+=" md$i"
done
[ -z "$out" ]
ktap_check_out "$B writes its own data to all five" $? "failed:$out"
stop_all
out=""
for d in "${R1[@]}" "${R2[@]}" "${R3[@]}"; do
	md_sb $d 1.2 save /tmp/rmd-sb-now >/dev/null && cmp -s /tmp/rmd-sb-now /tmp/rmd-sb-${d#/dev/} || out+=" $d"
done
for d in "${R4[@]}"; do
	md_sb $d 0.90 save /tmp/rmd-sb-now >/dev/null && cmp -s /tmp/rmd-sb-now /tmp/rmd-sb-${d#/dev/} || out+=" $d"
done
[ -z "$out" ]
ktap_check_out "$B left every superblock as the C md wrote it" $? "changed:$out"
md_reset

# ---- the C md reads what B wrote -------------------------------------------
load_md_levels c
for i in 0 1 2 3 4; do
	out=$(start $i 2>&1)
	ktap_check_out "$B -> c: ${NAMES[$i]}: started" $? "$out"
	out=$(data verify /dev/md$i 52 "${WHOLE[$i]}" 2>&1)
	[ $? = 0 ] && { [ -n "${WHOLE[$i]}" ] || out=$(data verify /dev/md$i 51 "" 2>&1); }
	ktap_check_out "$B -> c: ${NAMES[$i]}: $B's data reads back (and the rest is intact)" $? "$out"
done
stop_all
md_reset

# ---- linear: the layout B makes is md's ------------------------------------
if has_linear "$B"; then
	load_md_levels "$B"
	wipe_sb "${R2[@]}"
	out=$(mdadm --create /dev/md5 --run -l linear -n3 "${R2[@]}" 2>&1 &&
		md_pattern write /dev/md5 seed=53 bs=100000 2>&1)
	ktap_check_out "$B linear 1.2 on 4, 6, 10 MiB members: created and written" $? "$out"
	a=0 out="" rc=0
	for m in "${R2[@]}"; do
		off=$(( $(sb_get $m 1.2 data_offset) * 512 )) len=$(( $(sb_get $m 1.2 data_size) * 512 ))
		out+="$m: $(md_pattern verify $m seed=53 off=$off len=$len aoff=$a 2>&1)"$'\n' || rc=1
		a=$((a + len))
	done
	[ $rc = 0 ] && [ "$a" = "$(blockdev --getsize64 /dev/md5)" ]
	ktap_check_out "$B linear: each member's data area holds its slice of the array, in order" $? "$out"
	stop /dev/md5
	wait_md_gone md5
	md_reset
else
	ktap_skip_n 2 "$B linear: the C md of 6.12 has no linear"
fi

loop_free
mdadm_forget
wipe_sb /dev/vda /dev/vdb /dev/vdc /dev/vdd
rm -f /tmp/rmd-sb-*
md_reset
ktap_finished
