#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the guest kernel of one flavour (debug or perf) from Debian's
# linux-source-6.12, with kernel/patches/ applied and kernel/base.config +
# kernel/<flavour>.config merged over tinyconfig, into a cache directory
# outside the repo keyed by a hash of everything that goes into it.
# Prints the build directory (usable as KDIR) on its last line.
#
# usage: kernel.sh <debug|perf> [--print-dir]
set -euo pipefail

flavour=${1:?usage: kernel.sh <debug|perf> [--print-dir]}
. "$(dirname "$0")/common.sh"
tarball=$(ls /usr/src/linux-source-6.12.tar.* | head -1)
srcver=$(dpkg-query -W -f='${Version}' linux-source-6.12)
fragments=("$here/kernel/base.config" "$here/kernel/$flavour.config")
[ -f "${fragments[1]}" ] || { echo "kernel.sh: no kernel/$flavour.config" >&2; exit 1; }
mapfile -t patches < <(find "$here/kernel/patches" -name '*.patch' | sort)

# What a build depends on: the source, the patches, the fragments, the tools,
# and how it is made (bump recipe when the steps below change what they make).
recipe=1
tools="$(rustc --version) $(bindgen --version | head -1) $(clang --version | head -1)"
patch_key=$( { echo "$srcver"; cat "${patches[@]}" /dev/null; } | sha256sum | cut -c1-12)
key=$( { echo "$patch_key $tools $flavour $recipe"; cat "${fragments[@]}"; } |
	sha256sum | cut -c1-12)
src=$cache/src-$srcver-$patch_key
build=$cache/build-$flavour-$key

if [ "${2:-}" = --print-dir ]; then echo "$build"; exit 0; fi
if [ -f "$build/.rust_md-complete" ]; then
	echo "kernel: $flavour up to date ($build)" >&2
	echo "$build"
	exit 0
fi

mkdir -p "$cache"
if [ ! -f "$src/.rust_md-ready" ]; then
	echo "kernel: extracting $tarball ($srcver)" >&2
	rm -rf "$src" "$src.tmp"
	mkdir -p "$src.tmp"
	tar -xf "$tarball" -C "$src.tmp" --strip-components=1
	for p in "${patches[@]}"; do
		echo "kernel: applying $(basename "$p")" >&2
		patch -d "$src.tmp" -p1 --quiet --forward < "$p"
	done
	echo "$srcver" > "$src.tmp/.rust_md-ready"
	mv "$src.tmp" "$src"
fi

mkdir -p "$build"
kmake() { make -C "$src" O="$build" LLVM=1 "$@"; }
echo "kernel: configuring $flavour in $build" >&2
kmake -s tinyconfig >/dev/null
"$src/scripts/kconfig/merge_config.sh" -m -O "$build" "$build/.config" "${fragments[@]}" >/dev/null
kmake -s olddefconfig >/dev/null
"$here/scripts/check-config.sh" "$build/.config" "${fragments[@]}"

echo "kernel: building $flavour (bzImage modules), log in $build/build.log" >&2
start=$(date +%s)
if ! kmake -j"$(nproc)" bzImage modules > "$build/build.log" 2>&1; then
	tail -40 "$build/build.log" >&2
	echo "kernel: build failed, full log: $build/build.log" >&2
	exit 1
fi
{
	echo "source: linux-source-6.12 $srcver"
	echo "patches: ${patches[*]##*/}"
	echo "tools: $tools"
	echo "built: $(date -u +%FT%TZ) in $(( $(date +%s) - start ))s"
} > "$build/rust_md-kernel.txt"
touch "$build/.rust_md-complete"
# Keep the two newest builds of this flavour and sources, drop older ones.
ls -dt "$cache"/build-"$flavour"-* | tail -n +3 | xargs -r rm -rf
ls -dt "$cache"/src-* | tail -n +3 | xargs -r rm -rf
echo "kernel: $flavour built in $(( $(date +%s) - start ))s" >&2
echo "$build"
