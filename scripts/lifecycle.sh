# The lifecycle checks at the end of a guest run; sourced, not run, by
# scripts/run-selftests and scripts/fuzz-guest (bosh_kmemleak_check by
# scripts/run-hmm-tests too). bosh_lifecycle_checks calls the caller's
# ok and notok and adds to its pass, fail and skip:
#   1. every gauge of every device is 0, and so is pages_held (pages the
#      module holds from the page allocator);
#   2. the module unloads;
#   3. a kmemleak scan finds nothing (bosh_kmemleak_check).
# It runs under set -e as well as without it.
# shellcheck shell=bash

bosh_lifecycle_checks() {
	local dir nonzero="" held i

	echo "# lifecycle: gauges before unload"
	for dir in /sys/kernel/debug/bosh/bosh.*; do
		[ -e "$dir/stats" ] || continue
		nonzero+=$(awk -v d="${dir##*/}" \
			'$1 ~ /^(bos|pages_.*|store_.*|vram_pages_used|svm_pages|vram_pages_pinned)$/ && $2 != 0 { print d ": " $0 }' "$dir/stats")
	done
	held=$(cat /sys/kernel/debug/bosh/pages_held 2>/dev/null || echo missing)
	[ "$held" = 0 ] || nonzero+=$'\n'"pages_held $held"
	if [ -z "$nonzero" ]; then pass=$((pass + 1)); ok "lifecycle: gauges zero"
	else echo "$nonzero" | sed 's/^/# /' || true; fail=$((fail + 1)); notok "lifecycle: gauges zero"; fi

	# A BO_BUSY fence holds the module until it signals (at most
	# BOSH_BUSY_MAX_US, 10 s): a test may leave one behind.
	for i in $(seq 30); do
		rmmod bosh 2>/dev/null && break
		sleep 0.5
	done
	if [ ! -d /sys/module/bosh ]; then pass=$((pass + 1)); ok "lifecycle: unload"
	else fail=$((fail + 1)); notok "lifecycle: unload"; fi

	bosh_kmemleak_check
}

# Check 3 on its own: scripts/run-hmm-tests runs it after test_hmm's unload.
bosh_kmemleak_check() {
	local scanned leaks

	if [ -w /sys/kernel/debug/kmemleak ]; then
		# kmemleak reports only objects older than its minimum age (5 s,
		# jiffies_min_age): a leak made at unload would pass unseen.
		sleep 5
		# A scan that could not run (kmemleak disabled itself) is not clean.
		scanned=0
		echo scan > /sys/kernel/debug/kmemleak && echo scan > /sys/kernel/debug/kmemleak &&
			scanned=1
		leaks=$(cat /sys/kernel/debug/kmemleak || echo "kmemleak: cannot read")
		[ "$scanned" = 1 ] || leaks="kmemleak: the scan could not run"
		if [ -z "$leaks" ]; then pass=$((pass + 1)); ok "kmemleak: clean"
		else echo "$leaks" | head -60 | sed 's/^/# /' || true; fail=$((fail + 1)); notok "kmemleak: clean"; fi
	else
		skip=$((skip + 1)); ok "kmemleak: clean # SKIP no kmemleak in this kernel"
	fi
}
