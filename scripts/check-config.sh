#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Fail if any option requested by the fragments did not survive olddefconfig.
# merge_config.sh only warns, and tinyconfig silently drops things like BUG.
#
# usage: check-config.sh <.config> <fragment>...
set -euo pipefail
config=$1; shift
bad=0
while read -r line; do
	case "$line" in
	CONFIG_*=n|"# CONFIG_"*" is not set")
		opt=${line%%=*}; opt=${opt#\# }; opt=${opt%% *}
		if grep -q "^$opt=" "$config"; then
			echo "config: $opt requested off but is $(grep "^$opt=" "$config")" >&2; bad=1
		fi ;;
	CONFIG_*=*)
		if ! grep -qxF "$line" "$config"; then
			have=$(grep "^${line%%=*}=" "$config" || echo "not set")
			echo "config: $line requested, got: $have" >&2; bad=1
		fi ;;
	esac
done < <(cat "$@")
[ $bad = 0 ] || { echo "config: requested options were dropped (see above)" >&2; exit 1; }
