#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The driver and the C md of the same kernel, on the same arrays:
#
# Data, both ways: raid0 arrays created and written by the C md (one zone;
# three zones in md's two multi-zone layouts, original and alternate;
# 0.90; --build without a superblock) are assembled by the driver and read
# back correctly; what the driver then writes, the C md reads back
# correctly; neither rewrites a raid0 superblock. linear (the C md of 6.12
# has none): an array the driver creates has each member's slice at the
# member's data offset, which is md's layout.
#
# What they show, byte for byte: /proc/mdstat (but for its Personalities
# line, which lists what each driver has: checked apart), mdadm --detail
# (but for its times), the md/ and dev-*/ attributes, GET_ARRAY_INFO (but
# for its times) and GET_DISK_INFO, for the same arrays: all five assembled
# at once, read-only, half assembled by -I (inactive) and completed; and
# mdadm --examine of every member afterwards.
#
# The driver is RMD_DRIVER (default rust); RMD_DRIVER=c checks the test
# itself, C md against C md.
. "$(dirname "$0")/lib.sh"

ktap_print_header
ktap_set_plan 44
rmd_setup

B=$RMD_DRIVER
loop_make 0 2M && loop_make 1 3M && loop_make 2 4M
loop_make 3 2M && loop_make 4 3M && loop_make 5 4M
loop_make 6 2M && loop_make 7 2M
R1=(/dev/vda /dev/vdb) R2=(/dev/loop0 /dev/loop1 /dev/loop2)
R3=(/dev/loop3 /dev/loop4 /dev/loop5) R4=(/dev/vdc /dev/vdd) R5=(/dev/loop6 /dev/loop7)
NAMES=("raid0 1.2" "raid0 1.2, 3 zones, layout original" "raid0 1.2, 3 zones, layout alternate"
	"raid0 0.90" "raid0 --build")
MEMBERS="vda vdb vdc vdd loop0 loop1 loop2 loop3 loop4 loop5"
SNAP=/tmp/rmd-snap
stop() { mdadm --stop "$@" >/dev/null 2>&1; }

# The big arrays get their data in ranges: the start, the middle (odd
# offsets and sizes), the end; seed 52 (written by B) in other ranges.
ranges() { # ranges <md> <seed>
	local mid
	dev_bytes "$1"
	mid=$((BYTES / 2))
	if [ "$2" = 51 ]; then
		echo "0 2097152 $((mid + 1000)) 1049100 $((BYTES - 2097152)) 2097152"
	else
		echo "4194304 1048576 $((mid + 3000000)) 777777 $((BYTES - 4194304)) 1048576"
	fi
}
# data <write|verify> <md> <seed> <whole>: the pattern over the whole array,
# or over its ranges.
data() {
	local mode=$1 md=$2 seed=$3 whole=$4 r off len
	if [ "$whole" = whole ]; then
		md_pattern "$mode" "$md" seed="$seed" bs=200000
		return
	fi
	r=($(ranges "$md" "$seed"))
	while [ ${#r[@]} -gt 0 ]; do
		off=${r[0]} len=${r[1]}
		r=("${r[@]:2}")
		md_pattern "$mode" "$md" seed="$seed" off="$off" len="$len" bs=12k || return 1
	done
}
WHOLE=("" whole whole "" whole)

# start <i>: array i assembled (or built) as md3<i>.
start() {
	case $1 in
	0) mdadm --assemble /dev/md30 "${R1[@]}" ;;
	1) mdadm --assemble /dev/md31 "${R2[@]}" ;;
	2) mdadm --assemble /dev/md32 "${R3[@]}" ;;
	3) mdadm --assemble /dev/md33 "${R4[@]}" ;;
	4) mdadm --build /dev/md34 -l0 -n2 -c 32 "${R5[@]}" ;;
	esac
}
stop_all() { stop /dev/md30 /dev/md31 /dev/md32 /dev/md33 /dev/md34; }

# snap <name> <mdX>...: what the driver shows, into $SNAP/<driver>/<name>.*
# (mdstat without its Personalities line, each array's --detail with its
# times masked, its attributes and ioctl answers).
snap() {
	local f=$SNAP/$drv/$1 md l a d v
	shift
	grep -v '^Personalities : ' /proc/mdstat > $f.mdstat
	for md in "$@"; do
		while IFS= read -r l; do
			[[ "$l" =~ ^(\ *(Creation|Update)\ Time\ :\ ) ]] && l="${BASH_REMATCH[1]}<time>"
			echo "$l"
		done < <(mdadm --detail /dev/$md 2>&1) > $f.$md.detail
		{
			attrs /sys/block/$md/md level raid_disks chunk_size layout component_size \
				metadata_version array_size array_state
			echo "$ATTRS"
			for d in /sys/block/$md/md/dev-*; do
				[ -e "$d" ] || continue
				attrs $d state slot offset size block/dev
				echo "${d##*/}: $ATTRS"
			done
			for d in /sys/block/$md/md/rd*; do
				[ -e "$d" ] && echo "${d##*/} -> $(readlink $d)"
			done
			md_ioctl /dev/$md array-info , disk-info 0 , disk-info 1 , disk-info 2 , disk-info 3 |
				sed 's/ ctime=[0-9]*//; s/ utime=[0-9]*//'
		} > $f.$md.sysfs 2>&1
	done
}
# scenarios: the same steps under each driver, the arrays assembled as
# md30-md34 (and -I making md0).
scenarios() {
	mkdir -p $SNAP/$drv
	head -1 /proc/mdstat > $SNAP/$drv/personalities
	snap assembled md30 md31 md32 md33 md34
	mdadm --readonly /dev/md30 >/dev/null 2>&1
	snap readonly md30
	mdadm --readwrite /dev/md30 >/dev/null 2>&1
}
scenarios_incremental() {
	# (arrays still being deleted can make /proc/mdstat lose lines: the C
	# md's seq_file walks a list they are leaving)
	wait_md_released md30 md31 md32 md33 md34
	mdadm_forget
	mdadm -I /dev/vdb >/dev/null 2>&1
	snap inactive md0
	mdadm -I /dev/vda >/dev/null 2>&1
	snap incremental md0
	stop /dev/md0
	for d in $MEMBERS; do
		mdadm --examine /dev/$d 2>&1
	done > $SNAP/$drv/examine
}
same() { # same <file> <description>: c's snapshot file against B's
	local a=$SNAP/c/$1 b=$SNAP/$B/$1
	[ -s $a ] && [ "$(<$b)" = "$(<$a)" ]
	ktap_check "$2: $B shows what c shows" $?
	[ -s $a ] || echo "# nothing captured for $1"
	cmp -s $a $b || diff $a $b 2>&1 | head -30 | sed 's/^/# /'
}

# ---- the C md creates and writes ------------------------------------------
load_md_levels c
mdadm --create /dev/md20 --name=0 --run -l0 -n2 -c 64 "${R1[@]}" >/dev/null 2>&1
mdadm --create /dev/md21 --run -l0 -n3 -c 64 --layout=original "${R2[@]}" >/dev/null 2>&1
mdadm --create /dev/md22 --run -l0 -n3 -c 64 --layout=alternate "${R3[@]}" >/dev/null 2>&1
make_090_raid0 64 "${R4[@]}" && mdadm --assemble /dev/md23 "${R4[@]}" >/dev/null 2>&1
mdadm --build /dev/md24 -l0 -n2 -c 32 "${R5[@]}" >/dev/null 2>&1
setup=""
for i in 0 1 2 3 4; do
	data write /dev/md2$i 51 "${WHOLE[$i]}" >/dev/null || setup+=" md2$i"
done
[ -n "$setup" ] && echo "# the C md could not set up:$setup"
stop /dev/md20 /dev/md21 /dev/md22 /dev/md23 /dev/md24
for d in "${R1[@]}" "${R2[@]}" "${R3[@]}"; do md_sb $d 1.2 save /tmp/rmd-sb-${d#/dev/} >/dev/null; done
for d in "${R4[@]}"; do md_sb $d 0.90 save /tmp/rmd-sb-${d#/dev/} >/dev/null; done
md_reset

# ---- B assembles, reads, shows, writes -------------------------------------
drv=$B
[ "$B" = c ] && drv=c-again B=c-again	# c against c
load_md_levels "$RMD_DRIVER"
for i in 0 1 2 3 4; do
	out=$(start $i 2>&1)
	ktap_check_out "c -> $B: ${NAMES[$i]}: started" $? "$out"
	out=$(data verify /dev/md3$i 51 "${WHOLE[$i]}" 2>&1)
	ktap_check_out "c -> $B: ${NAMES[$i]}: the C md's data reads back" $? "$out"
done
scenarios
out=""
for i in 0 1 2 3 4; do
	data write /dev/md3$i 52 "${WHOLE[$i]}" >/dev/null || out+=" md3$i"
done
[ -z "$out" ]
ktap_check_out "$B writes its own data to all five" $? "failed:$out"
stop_all
scenarios_incremental
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

# ---- the C md reads what B wrote; its view of the same arrays --------------
drv=c
load_md_levels c
for i in 0 1 2 3 4; do
	out=$(start $i 2>&1)
	ktap_check_out "$B -> c: ${NAMES[$i]}: started" $? "$out"
	out=$(data verify /dev/md3$i 52 "${WHOLE[$i]}" 2>&1)
	[ $? = 0 ] && { [ -n "${WHOLE[$i]}" ] || out=$(data verify /dev/md3$i 51 "" 2>&1); }
	ktap_check_out "$B -> c: ${NAMES[$i]}: $B's data reads back (and the rest is intact)" $? "$out"
done
scenarios
stop_all
scenarios_incremental
md_reset

same assembled.mdstat "/proc/mdstat with all five assembled"
for i in 0 1 2 3 4; do
	same assembled.md3$i.detail "${NAMES[$i]}: mdadm --detail"
	same assembled.md3$i.sysfs "${NAMES[$i]}: attributes and ioctls"
done
same readonly.mdstat "read-only: /proc/mdstat"
same readonly.md30.detail "read-only: mdadm --detail"
same inactive.mdstat "-I, one member: /proc/mdstat"
same inactive.md0.detail "-I, one member: mdadm --detail"
same inactive.md0.sysfs "-I, one member: attributes and ioctls"
same incremental.mdstat "-I, both members: /proc/mdstat"
same incremental.md0.detail "-I, both members: mdadm --detail"
same examine "mdadm --examine of every member afterwards"

# Personalities: md's format, each personality the driver has.
p=$(<$SNAP/$B/personalities)
want="raid0 "
has_linear "$RMD_DRIVER" && want="linear raid0 "
got=""
for w in ${p#Personalities : }; do
	[[ "$w" =~ ^\[(linear|raid0)\]$ ]] && got+="${BASH_REMATCH[1]} "
done
got=$(tr ' ' '\n' <<<"$got" | sort | tr '\n' ' ' | sed 's/^ *//')
[[ "$p" =~ ^Personalities\ :\ (\[[a-z0-9]+\]\ )*$ ]] && [ "$got" = "$want" ]
ktap_check "$B: 'Personalities : ' lists $want in md's format ('$p')" $?

# ---- linear: the layout B makes is md's ------------------------------------
if has_linear "$RMD_DRIVER"; then
	load_md_levels "$RMD_DRIVER"
	wipe_sb "${R2[@]}"
	out=$(mdadm --create /dev/md40 --run -l linear -n3 "${R2[@]}" 2>&1 &&
		md_pattern write /dev/md40 seed=53 bs=100000 2>&1)
	ktap_check_out "$B linear 1.2 on 2, 3, 4 MiB members: created and written" $? "$out"
	a=0 out="" rc=0
	for m in "${R2[@]}"; do
		f=($(md_sb $m 1.2 get data_offset data_size))
		out+="$m: $(md_pattern verify $m seed=53 off=$((f[1] * 512)) len=$((f[2] * 512)) aoff=$a 2>&1)"$'\n' || rc=1
		a=$((a + f[2] * 512))
	done
	dev_bytes /dev/md40
	[ $rc = 0 ] && [ "$a" = "$BYTES" ]
	ktap_check_out "$B linear: each member's data area holds its slice of the array, in order" $? "$out"
	stop /dev/md40
	md_reset
else
	ktap_skip_n 2 "$B linear: the C md of 6.12 has no linear"
fi

rmd_cleanup
ktap_finished
