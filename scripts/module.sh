#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build md_mod.ko against a kernel build tree. The sources are mirrored into
# a directory per kernel tree, so that builds against the debug and perf
# kernels do not overwrite each other and the work tree stays clean.
# Prints the path of md_mod.ko on its last line.
#
# usage: module.sh <kdir> [strict]
#   strict: clippy on, every Rust and C warning an error (make check).
set -euo pipefail
kdir=$(readlink -f "$1")
strict=${2:-}
. "$(dirname "$0")/common.sh"
dir=$cache/module/$(echo "$kdir" | sha256sum | cut -c1-12)

[ -f "$kdir/Module.symvers" ] && [ -f "$kdir/rust/libkernel.rmeta" ] || {
	echo "module: $kdir is not a built Rust-enabled kernel tree (need Module.symvers and rust/libkernel.rmeta)" >&2
	exit 1
}
mkdir -p "$dir"
# Mirror the module's sources (Kbuild, the crate root, blockdev/, mddev/ and
# any C shim beside them); keep the build products already there.
shopt -s nullglob
sources=("$here/Kbuild" "$here"/*.rs "$here"/*.c "$here"/*.h "$here/blockdev" "$here/mddev")
rsync -a --delete --include='*/' --include='*.rs' --include='*.c' --include='*.h' \
	--include='Kbuild' --exclude='*' "${sources[@]}" "$dir/"

flags=(LLVM=1)
if [ "$strict" = strict ]; then
	flags+=(CLIPPY=1 KRUSTFLAGS=-Dwarnings KCFLAGS=-Werror)
fi
if ! make -s -C "$kdir" M="$dir" "${flags[@]}" > "$dir/build.log" 2>&1; then
	cat "$dir/build.log" >&2
	echo "module: build failed against $kdir" >&2
	exit 1
fi
# Kbuild tracks the command line of each object, so a change of flags
# rebuilds by itself. A strict build also fails on any other warning
# (objtool's, modpost's).
if grep -E "warning|error" "$dir/build.log" >&2 && [ "$strict" = strict ]; then
	echo "module: warnings in a strict build against $kdir" >&2
	exit 1
fi
echo "$dir/md_mod.ko"
