#!/bin/sh
# Runs in the guest under `make run SCRIPT=`: the host checks that this
# output, byte for byte, and the exit status come back intact.
printf 'stdout line 1\n\ttabbed: a\\b "quoted" $dollar\n'
echo "stderr line 1" >&2
for tool in mdadm fio blockdev bash; do
	command -v $tool >/dev/null || echo "missing $tool" >&2
done
printf 'no newline at the end'
exit 3
