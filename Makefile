# SPDX-License-Identifier: GPL-2.0
#
# rust_md: what people type. (Kbuild reads ./Kbuild, never this file, so
# `make -C $KDIR M=$PWD LLVM=1` builds the module as any external module.)
#
#   make            md_mod.ko against the perf kernel (built if missing)
#   make run        boot the perf kernel in QEMU and show md_mod at work
#   make run SCRIPT=file   run your script in the guest instead
#   make run SHELL=1       an interactive shell in the guest
#   make check      every test; last line "N passed, N failed, N skipped"
#   make bench      rust_md against the C md and the raw members, in QEMU;
#                   QUICK=1 one short round, MODE=icount|tcg|kvm, ROUNDS=N
#   make deps       install and check the tools (every target does this)
#   make kernel FLAVOUR=debug|perf, make module, make fmt, make clippy,
#   make clean (this tree), make distclean (also the kernel cache)

# `make run SHELL=1`: SHELL is make's own variable. Take the user's value as
# the interactive switch, run recipes with bash, and keep it from sub-makes.
ifeq ($(origin SHELL),command line)
RUN_SHELL := $(SHELL)
override SHELL := /bin/bash
MAKEOVERRIDES := $(filter-out SHELL=%,$(MAKEOVERRIDES))
else
SHELL := /bin/bash
endif
.SHELLFLAGS := -eo pipefail -c

TOOLCHAIN := $(shell sed -n 's/^channel *= *"\(.*\)"/\1/p' rust-toolchain.toml)
export RUSTUP_TOOLCHAIN := $(TOOLCHAIN)
export PATH := $(HOME)/.cargo/bin:$(PATH)
export RUST_MD_CACHE ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/rust_md
export RUST_MD_OUT ?= $(CURDIR)/out
ifneq ($(KDIR),)
export KDIR
endif

FLAVOUR ?= perf
SCRIPT ?=
MODE ?= icount
QUICK ?=
ROUNDS ?=
CHECK_RESULTS := $(RUST_MD_OUT)/check-results.txt

.PHONY: all deps kernel module run check bench fmt fmt-check clippy host-tests harness-record clean distclean
.DEFAULT_GOAL := all

all: module

deps:
	@scripts/deps.sh

kernel: deps
ifeq ($(KDIR),)
	@scripts/kernel.sh $(FLAVOUR) >/dev/null
endif

module: kernel
	@ko=$$(scripts/module.sh $${KDIR:-$$(scripts/kernel.sh $(FLAVOUR) --print-dir)} | tail -1); \
	echo "module: $$ko"

run:
ifneq ($(RUN_SHELL),)
	@scripts/deps.sh
	@scripts/guest.sh perf shell
else ifneq ($(SCRIPT),)
	@mkdir -p $(RUST_MD_OUT); scripts/deps.sh 2> $(RUST_MD_OUT)/deps.log || { cat $(RUST_MD_OUT)/deps.log >&2; exit 1; }
	@scripts/guest.sh perf script $(abspath $(SCRIPT))
else
	@scripts/deps.sh
	@scripts/guest.sh perf demo
endif

RUST_ROOTS := rust_md.rs tests/host/lib.rs tests/progs/src/lib.rs $(wildcard tests/progs/src/bin/*.rs)

fmt:
	rustfmt --edition 2021 $(RUST_ROOTS)

fmt-check:
	rustfmt --edition 2021 --check $(RUST_ROOTS)

clippy: deps
	@scripts/module.sh $${KDIR:-$$(scripts/kernel.sh debug | tail -1)} strict >/dev/null && echo "clippy: clean"

# Re-record the real guest runs (clean, planted failures, hang) that the
# host-side harness tests judge.
harness-record: deps
	tests/harness/record.sh

host-tests:
	@python3 tests/harness/run.py
	@cd tests/host && CARGO_TARGET_DIR=$(RUST_MD_CACHE)/host-target cargo test

# Every check appends "ok|not ok|skip <name>" lines to $(CHECK_RESULTS);
# the last line sums them up. A stage that fails still lets the others run.
check: deps
	@mkdir -p $(RUST_MD_OUT); : > $(CHECK_RESULTS)
	@scripts/check.sh $(CHECK_RESULTS)

# The table goes to stdout, JSON and Markdown to bench/results (QUICK=1:
# out/bench); a full run also refreshes README.md's Speed section.
bench: deps
	@scripts/bench.sh --mode $(MODE) $(if $(filter 1,$(QUICK)),--quick) $(if $(ROUNDS),--rounds $(ROUNDS))

clean:
	rm -rf out target
	rm -f *.o *.ko *.mod *.mod.c *.mod.o .*.cmd Module.symvers modules.order
	find blockdev mddev -name '*.o' -o -name '.*.cmd' | xargs rm -f

distclean: clean
	rm -rf $(RUST_MD_CACHE)
