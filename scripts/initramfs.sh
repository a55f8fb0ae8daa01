#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the guest initramfs for one kernel build: the userland archive
# (initramfs-base.sh) followed by an archive with /init, md_mod.ko, the C md
# reference modules (kept apart in /lib/modules/c_md, never autoloaded), brd,
# the installed kselftests and the kernel's .config.
#
# usage: initramfs.sh <kdir> <md_mod.ko> <base.cpio.gz> <output.cpio.gz>
set -euo pipefail
kdir=$1 ko=$2 base=$3 out=$4
. "$(dirname "$0")/common.sh"
ksrc=$(readlink -f "$kdir/source")
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT

install -D -m755 "$here/guest/init" "$root/init"
install -D -m755 "$here/guest/postcheck.sh" "$root/usr/share/rust_md/postcheck.sh"
install -D -m755 "$here/guest/demo.sh" "$root/usr/share/rust_md/demo.sh"
install -D -m644 "$kdir/.config" "$root/usr/share/rust_md/kernel.config"
install -D -m644 "$ko" "$root/lib/modules/rust_md/md_mod.ko"
for m in md-mod linear raid0 raid1; do
	install -D -m644 "$kdir/drivers/md/$m.ko" "$root/lib/modules/c_md/$m.ko"
done
install -D -m644 "$kdir/drivers/block/brd.ko" "$root/lib/modules/extra/brd.ko"

# The tests' small programs (tests/progs), static.
export CARGO_TARGET_DIR=$cache/progs-target
# (cargo reads tests/progs/.cargo/config.toml only from that directory)
(cd "$here/tests/progs" && cargo build --release --quiet)
for prog in md_ioctl md_race md_churn md_write md_attr_loop md_pattern md_sb md_open; do
	install -D -m755 "$CARGO_TARGET_DIR/release/$prog" "$root/usr/bin/$prog"
done

# The kselftest runner and helpers from the kernel tree, and our collection.
ks=$root/kselftest
mkdir -p "$ks/kselftest"
cp "$ksrc/tools/testing/selftests/run_kselftest.sh" "$ks/"
cp "$ksrc"/tools/testing/selftests/kselftest/{runner.sh,ktap_helpers.sh,module.sh,prefix.pl} "$ks/kselftest/"
# rust_md_planted fails on purpose and runs only when named (harness tests);
# rust_md_reboot resets the guest and runs only when named (make check does).
: > "$ks/kselftest-list.txt"
for coll in rust_md:tests/selftests/rust_md rust_md_planted:tests/harness/planted \
	rust_md_reboot:tests/selftests/rust_md_reboot; do
	name=${coll%%:*} dir=$here/${coll#*:}
	tmp=$(mktemp -d)
	make -s -C "$dir" KSRC="$ksrc" OUTPUT="$tmp" install INSTALL_PATH="$ks/$name" >/dev/null
	make -s -C "$dir" KSRC="$ksrc" emit_tests COLLECTION="$name" >> "$ks/kselftest-list.txt"
	rm -rf "$tmp"
done

(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet | gzip -1) > "$out.top"
cat "$base" "$out.top" > "$out.tmp"
rm -f "$out.top"
mv "$out.tmp" "$out"
