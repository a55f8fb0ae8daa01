#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot the guest once, under a hard timeout, and keep what it printed:
#   <out>/console.log  kernel messages (ttyS0)
#   <out>/stdout       test or script output (ttyS1)
#   <out>/stderr       script stderr (ttyS2)
#   <out>/status       "exit N" from the guest (ttyS3)
# Member disks: RUST_MD_DISKS (default 4) sparse files of RUST_MD_DISK_MB
# (default 256) MiB in <out>/disks, attached as virtio-blk (vda, vdb, ...).
# They are new for every boot, unless RUST_MD_KEEP_DISKS=1: then disks
# already there are used again and left for the next boot (the caller
# removes them).
#
# Emulation: TCG by default (-accel tcg,thread=multi), because nested KVM on
# our machines hangs at kernel entry. RUST_MD_KVM=1 asks for KVM.
# RUST_MD_ICOUNT=shift=N (make bench's default) runs single-threaded TCG
# with QEMU's instruction-count clock (-icount shift=N,sleep=off): guest
# time then follows the instructions executed, not the host's load, so
# measurements repeat on a shared machine; tsc=reliable keeps the guest
# from switching its clock source mid-run when the TSC looks unstable.
#
# usage: qemu.sh <out> <bzImage> <initrd> <mode> <timeout-s> [interactive]
# exit:  QEMU's status; 124 when the timeout killed it.
set -uo pipefail
out=$1 kernel=$2 initrd=$3 mode=$4 limit=$5 interactive=${6:-}
mkdir -p "$out/disks"
rm -f "$out"/{console.log,stdout,stderr,status}

mem=${RUST_MD_MEM:-2048}
smp=${RUST_MD_SMP:-2}
append="console=ttyS0 loglevel=7 panic=-1 oops=panic printk.devkmsg=on rmd_mode=$mode"
append+=" ${RUST_MD_TESTS:+rmd_tests=$RUST_MD_TESTS} ${RUST_MD_APPEND:-}"

if [ "${RUST_MD_KVM:-0}" = 1 ]; then
	accel=(-accel kvm -cpu host)
elif [ -n "${RUST_MD_ICOUNT:-}" ]; then
	accel=(-accel tcg -cpu max -icount "$RUST_MD_ICOUNT,sleep=off")
	append+=" tsc=reliable"
else
	accel=(-accel tcg,thread=multi -cpu max)
fi
args=(-nodefaults -no-reboot -display none -M pc -m "$mem" -smp "$smp"
      -kernel "$kernel" -initrd "$initrd" -append "$append" "${accel[@]}")
if [ -n "$interactive" ]; then
	args+=(-serial mon:stdio)
else
	args+=(-serial "file:$out/console.log")
fi
args+=(-serial "file:$out/stdout" -serial "file:$out/stderr" -serial "file:$out/status")
for i in $(seq 0 $(( ${RUST_MD_DISKS:-4} - 1 ))); do
	img=$out/disks/disk$i.img
	if [ "${RUST_MD_KEEP_DISKS:-0}" != 1 ] || [ ! -f "$img" ]; then
		rm -f "$img"
		truncate -s "${RUST_MD_DISK_MB:-256}M" "$img"
	fi
	args+=(-drive "file=$img,if=virtio,format=raw,cache=unsafe")
done
echo "qemu-system-x86_64 ${args[*]}" > "$out/qemu.cmdline"

if [ -n "$interactive" ]; then
	qemu-system-x86_64 "${args[@]}"
	exit $?
fi
timeout -k 10 "$limit" qemu-system-x86_64 "${args[@]}" < /dev/null
rc=$?
[ "${RUST_MD_KEEP_DISKS:-0}" = 1 ] || rm -rf "$out/disks"
exit $rc
