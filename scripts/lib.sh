# Shared paths for bosh's scripts; sourced, not run.
# shellcheck shell=bash
BOSH_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BOSH_CACHE=${BOSH_CACHE:-/var/cache/bosh}
BOSH_SRC_TARBALL=${BOSH_SRC_TARBALL:-/usr/src/linux-source-6.12.tar.xz}

# Version of Debian's 6.12 source package: part of the debug kernel's key.
bosh_src_version() {
	dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null || echo unknown
}

# Directory of the cached debug kernel tree for the current source and configs.
bosh_debug_kdir() {
	local key
	key=$( { bosh_src_version; cat "$BOSH_ROOT"/configs/*.config; } |
		sha256sum | cut -c1-16)
	echo "$BOSH_CACHE/kernel-debug-$key"
}

# Release of Debian's stock 6.12 kernel (newest installed image).
bosh_stock_release() {
	local r
	r=$(ls /lib/modules 2>/dev/null | grep -E '^6\.12\..*-amd64$' | sort -V | tail -1)
	echo "$r"
}
