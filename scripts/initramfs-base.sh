#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the guest's userland as a gzip'd cpio archive: busybox-static, and
# mdadm, fio and util-linux's blockdev with the shared libraries they need.
# The kernel-specific part (modules, tests, /init) is a second archive
# appended to this one (scripts/initramfs.sh); Linux unpacks both.
#
# usage: initramfs-base.sh <output.cpio.gz>
set -euo pipefail
out=$1
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT

mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,lib,lib64,etc,proc,sys,dev,tmp,run,root,var}
ln -s ../run "$root/var/run"
cp /bin/busybox "$root/bin/busybox"
for applet in $(/bin/busybox --list-full); do
	[ -e "$root/$applet" ] || ln -s /bin/busybox "$root/$applet"
done

# Copy an ELF program with every shared library ldd names, keeping paths.
copy_elf() {
	local bin=$1 dest=${2:-$1}
	mkdir -p "$root$(dirname "$dest")"
	rm -f "$root$dest"
	cp -L "$bin" "$root$dest"
	ldd "$bin" 2>/dev/null | grep -o '/[^ ]*' | while read -r lib; do
		[ -e "$root$lib" ] && continue
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
		strip --strip-unneeded "$root$lib" 2>/dev/null || true
	done
}
copy_elf /sbin/mdadm
copy_elf /usr/bin/fio
copy_elf "$(command -v blockdev)" /sbin/blockdev
copy_elf /bin/bash
ln -sf /sbin/blockdev "$root/usr/sbin/blockdev"

# busybox timeout has no --foreground, kills at once for a duration of 0
# (GNU: no limit), and exits 143, not 124, on timeout; kselftest's
# runner.sh needs all three as GNU does them.
rm -f "$root/usr/bin/timeout"
cat > "$root/usr/bin/timeout" <<'SHIM'
#!/bin/sh
[ "$1" = --foreground ] && shift
if [ "$1" = 0 ]; then
	shift
	exec "$@"
fi
/bin/busybox timeout "$@"
rc=$?
[ $rc = 143 ] && rc=124
exit $rc
SHIM
chmod +x "$root/usr/bin/timeout"

echo "root:x:0:0:root:/root:/bin/sh" > "$root/etc/passwd"
echo "root:x:0:" > "$root/etc/group"
mkdir -p "$root/etc/mdadm"
echo "# rust_md guest: arrays are named on the command line" > "$root/etc/mdadm/mdadm.conf"

(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet | gzip -1) > "$out.tmp"
mv "$out.tmp" "$out"
echo "initramfs: base $(du -h "$out" | cut -f1) -> $out" >&2
