# SPDX-License-Identifier: GPL-2.0-only
# bosh entry points; see README.md.
SEED ?=
ITERATIONS ?=
DURATION ?=
PROCS ?=
PRESSURE ?=
MUTANTS ?=
ROUNDS ?=

.PHONY: all run check lint bench fuzz fuzz-guided soak mutate coverage dkms-install module clean

all: module

module:
	scripts/setup
	scripts/build-module debug

run:
	scripts/run-demo

check:
	scripts/check

lint:
	scripts/lint

bench:
	scripts/bench

fuzz:
	SEED="$(SEED)" ITERATIONS="$(ITERATIONS)" DURATION="$(DURATION)" PROCS="$(PROCS)" PRESSURE="$(PRESSURE)" scripts/fuzz

fuzz-guided:
	SEED="$(SEED)" ITERATIONS="$(ITERATIONS)" ROUNDS="$(ROUNDS)" DURATION="$(DURATION)" scripts/fuzz-guided

soak:
	DURATION="$(DURATION)" scripts/soak

mutate:
	MUTANTS="$(MUTANTS)" scripts/mutate

coverage:
	scripts/coverage

dkms-install:
	scripts/dkms-install

clean:
	rm -rf build
