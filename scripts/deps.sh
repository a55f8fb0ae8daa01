#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install, by package name, whatever the build and the tests need and is
# missing; then check the versions that matter. Idempotent: when everything
# is present it only checks, in a few seconds.
#
# Environment: RUST_TOOLCHAIN (default from rust-toolchain.toml),
#              BINDGEN_VERSION (default ^0.73).
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
toolchain=${RUST_TOOLCHAIN:-$(sed -n 's/^channel *= *"\(.*\)"/\1/p' "$here/rust-toolchain.toml")}
bindgen_req=${BINDGEN_VERSION:-0.73}

debs=(clang lld llvm libclang-dev libelf-dev libssl-dev bc flex bison cpio kmod
      busybox-static qemu-system-x86 linux-source-6.12 mdadm fio util-linux
      rsync xz-utils make gcc libc6-dev python3 e2fsprogs)

die() { echo "deps: $*" >&2; exit 1; }

missing=()
for p in "${debs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done
if ((${#missing[@]})); then
	[ "$(id -u)" = 0 ] || die "missing packages (${missing[*]}); run as root or install them"
	echo "deps: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

command -v rustup >/dev/null || die "rustup not found: install Rust with rustup first"
if ! rustup toolchain list | grep -q "^$toolchain"; then
	echo "deps: installing Rust toolchain $toolchain"
	rustup toolchain install --profile minimal "$toolchain"
fi
installed=$(rustup component list --toolchain "$toolchain" --installed)
for c in rust-src clippy rustfmt; do
	grep -q "^$c" <<<"$installed" || rustup component add --toolchain "$toolchain" "$c"
done

bindgen_ok() {
	command -v bindgen >/dev/null &&
		bindgen --version 2>/dev/null | grep -q "^bindgen $bindgen_req\."
}
if ! bindgen_ok; then
	echo "deps: installing bindgen-cli $bindgen_req.x"
	cargo +"$toolchain" install --locked --quiet bindgen-cli --version "^$bindgen_req"
	export PATH="$HOME/.cargo/bin:$PATH"
fi

# Versions: the kernel's rust/ and the module must come from one rustc.
rustc_v=$(rustc +"$toolchain" --version)
case "$rustc_v" in "rustc $toolchain "*) ;; *) die "rustc is '$rustc_v', want $toolchain";; esac
bindgen_ok || die "bindgen is '$(bindgen --version 2>&1 | head -1)', want $bindgen_req.x (cargo install --locked bindgen-cli)"
clang_major=$(clang -dumpversion | cut -d. -f1)
[ "$clang_major" -ge 13 ] || die "clang $clang_major is too old: 6.12 needs >= 13"
libclang=$(bindgen --version 2>&1 | sed -n 's/.*clang version \([0-9.]*\).*/\1/p' | head -1)
ls /usr/src/linux-source-6.12.tar.* >/dev/null 2>&1 || die "no /usr/src/linux-source-6.12.tar.*"
echo >&2 "deps: ok ($rustc_v; $(bindgen --version | head -1); clang $(clang -dumpversion); linux-source $(dpkg-query -W -f='${Version}' linux-source-6.12))"
