#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make run SCRIPT=...` and `make run SHELL=1` as a user types them, on the
# perf kernel: the script's stdout and stderr come back intact, its exit
# status too (exactly from scripts/guest.sh; through make as make reports a
# failed command: "Error N" and status 2), the console log is kept beside
# them, and the interactive shell takes commands.
# usage: check-run-script.sh <results-file>
set -uo pipefail
results=$1
here=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
record() { if [ "$1" = 0 ]; then echo "ok $2"; else echo "not ok $2"; echo "check: FAIL $2" >&2; fi >> "$results"; }

printf 'stdout line 1\n\ttabbed: a\\b "quoted" $dollar\nno newline at the end' > "$tmp/want-stdout"
printf 'stderr line 1\n' > "$tmp/want-stderr"

make -s --no-print-directory -C "$here" run SCRIPT=tests/run/exit-status.sh \
	> "$tmp/stdout" 2> "$tmp/stderr"
rc=$?
cmp -s "$tmp/stdout" "$tmp/want-stdout"; r=$?
[ $r = 0 ] || diff <(od -c "$tmp/want-stdout") <(od -c "$tmp/stdout") | head -20 >&2
record $r "make run SCRIPT=: stdout intact"
# make adds one line of its own for a failed command: "make: *** [...] Error 3"
# ("make[1]: ..." when make check runs it).
grep -Ev '^make(\[[0-9]+\])?: \*\*\* \[.*\] Error 3$' "$tmp/stderr" > "$tmp/stderr.guest"
cmp -s "$tmp/stderr.guest" "$tmp/want-stderr"; r=$?
[ $r = 0 ] || cat "$tmp/stderr" >&2
record $r "make run SCRIPT=: stderr intact"
[ $rc != 0 ] && grep -q 'Error 3$' "$tmp/stderr" && [ "$(cat "$here/out/script-latest/exit-status")" = 3 ]
record $? "make run SCRIPT=: exit status reported (make: Error 3, out/script-latest/exit-status)"
[ -s "$here/out/script-latest/console.log" ] && grep -q "Run /init" "$here/out/script-latest/console.log"
record $? "make run SCRIPT=: console log kept beside the output"

"$here/scripts/guest.sh" perf script "$here/tests/run/exit-status.sh" > "$tmp/stdout2" 2> "$tmp/stderr2"
rc=$?
cmp -s "$tmp/stdout2" "$tmp/want-stdout" && cmp -s "$tmp/stderr2" "$tmp/want-stderr" && [ $rc = 3 ]
record $? "scripts/guest.sh perf script: stdout, stderr and exit status 3 exactly (got $rc)"

# The shell: wait for its prompt, then type, as a person would.
coproc SH { timeout 300 make -s --no-print-directory -C "$here" run SHELL=1 2>&1; }
pid=$SH_PID
got=1
while IFS= read -r -t 240 line <&"${SH[0]}"; do
	echo "$line" >> "$tmp/shell.log"
	case "$line" in
	*"built-in shell"*) printf 'echo shell-says-$((6*7))\nexit\n' >&"${SH[1]}" ;;
	*shell-says-42*) got=0 ;;
	esac
done
wait "$pid" 2>/dev/null
[ $got = 0 ] || tail -5 "$tmp/shell.log" >&2
record $got "make run SHELL=1: interactive shell takes commands"
