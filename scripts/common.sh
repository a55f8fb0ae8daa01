# SPDX-License-Identifier: GPL-2.0
# Sourced by the scripts: where the repository and the build cache are.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache=${RUST_MD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rust_md}
